//! The host's `git`, run on a repository: the one place a git command is spelled and its
//! failure turned into [`Error::Git`].
//!
//! Git runs with the user's configuration but never prompts, never pages and never runs the
//! repository's hooks or file monitor from here (`core.hooksPath=/dev/null`,
//! `core.fsmonitor=false`): what a sandbox wrote cannot run
//! on the host through a command docksandbox runs for it.

use std::path::Path;
use std::process::{Command, Output};

use crate::error::{Error, Result};

/// Runs `git -C dir ARGS`; its standard output (trailing newline trimmed) when it succeeds.
pub(crate) fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = run(dir, args)?;
    if out.status.success() {
        let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
        while s.ends_with('\n') {
            s.pop();
        }
        Ok(s)
    } else {
        Err(failed(args, &out))
    }
}

/// Runs `git -C dir ARGS`; whether it succeeded (for questions such as `merge-base
/// --is-ancestor`).
pub(crate) fn git_ok(dir: &Path, args: &[&str]) -> Result<bool> {
    Ok(run(dir, args)?.status.success())
}

/// Runs `git -C dir ARGS` and returns what it printed, whatever its exit status.
pub(crate) fn git_output(dir: &Path, args: &[&str]) -> Result<Output> {
    run(dir, args)
}

fn run(dir: &Path, args: &[&str]) -> Result<Output> {
    let mut cmd = Command::new("git");
    if is_root() {
        // Root works on the repositories of the users it runs sandboxes for (their worktrees
        // are made theirs); hooks and the file monitor stay off.
        cmd.args(["-c", "safe.directory=*"]);
    }
    cmd.arg("-C")
        .arg(dir)
        .args([
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.pager=cat",
            "-c",
            "core.fsmonitor=false",
        ])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| Error::Git {
            command: format!("git {}", args.join(" ")),
            reason: format!("{e}: install git on the host (apt-get install git)"),
        })
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The error of a git command that failed: its first lines of standard error.
pub(crate) fn failed(args: &[&str], out: &Output) -> Error {
    let err = String::from_utf8_lossy(&out.stderr);
    let reason: Vec<&str> = err
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(4)
        .collect();
    Error::Git {
        command: format!("git {}", args.join(" ")),
        reason: if reason.is_empty() {
            format!("it exited with {}", out.status)
        } else {
            reason.join("; ")
        },
    }
}

/// Runs host git steps off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Client(format!("a git step panicked: {e}")))?
}
