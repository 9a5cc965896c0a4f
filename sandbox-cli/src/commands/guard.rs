//! `docksandbox guard check`, and the same scan after every agent session and `exec`: files
//! through which the host would run programs, found on the host side.

use docksandbox::{GuardReport, Sandbox, WorkspaceMode};

use super::Global;
use crate::cli::{GuardArgs, GuardCommand};
use crate::failure::Outcome;

pub async fn guard(g: &Global, a: GuardArgs) -> Outcome {
    let GuardCommand::Check {
        workspace,
        fix,
        json,
    } = a.command;
    let ws = match workspace {
        Some(w) => std::path::PathBuf::from(w),
        None => std::env::current_dir().map_err(docksandbox::Error::from)?,
    };
    let report = g.client()?.guard_check(&ws, fix).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print_report(&report, fix);
    }
    // Found and left in place: a non-zero status, so scripts notice.
    Ok(if report.is_clean() || fix { 0 } else { 1 })
}

fn print_report(report: &GuardReport, fixed: bool) {
    for line in report.lines() {
        eprintln!("docksandbox: guard: {line}");
    }
    for line in &report.fixed {
        eprintln!("docksandbox: guard: {line}");
    }
    if !report.is_clean() && !fixed {
        eprintln!(
            "docksandbox: guard: the host would run these; disable them with `docksandbox guard check --fix {}`",
            report.workspace.display()
        );
    }
}

/// After an agent session or an `exec` in a sandbox that writes to the host's files: reports
/// what appeared on stderr. A failing scan is a warning, never the command's failure.
pub async fn after_session(sandbox: &Sandbox) {
    if sandbox.spec().workspace_mode == Some(WorkspaceMode::Review) {
        // Nothing reached the host; `apply` checks the changes.
        return;
    }
    match sandbox.guard_check(false).await {
        Ok(r) => print_report(&r, false),
        Err(e) => crate::logging::warn(&format!("guard check failed: {e}")),
    }
}
