//! `docksandbox prune`: stopped sandboxes and those whose workspace is gone, and with
//! `--images` / `--volumes` unused images and credentials volumes; asks first unless `-f`.

use std::io::{BufRead, Write};

use docksandbox::PruneOptions;

use super::Global;
use crate::cli::PruneArgs;
use crate::failure::Outcome;

pub async fn prune(g: &Global, a: PruneArgs) -> Outcome {
    let opts = PruneOptions {
        dry_run: a.dry_run,
        images: a.images,
        volumes: a.volumes,
        ..Default::default()
    }
    .with_filters(&a.filters)?;
    let client = g.client()?;
    if !a.force && !a.dry_run && !confirm(&a)? {
        eprintln!("docksandbox: nothing removed");
        return Ok(1);
    }
    let report = client.prune_sandboxes(&opts).await?;
    let verb = if a.dry_run { "would remove" } else { "removed" };
    for (what, names) in [
        ("sandbox", &report.sandboxes),
        ("image", &report.images),
        ("volume", &report.volumes),
    ] {
        for n in names {
            if a.dry_run {
                println!("{verb} {what} {n}");
            } else {
                println!("{n}");
            }
        }
    }
    eprintln!(
        "docksandbox: {verb} {} sandbox(es), {} image(s), {} volume(s)",
        report.sandboxes.len(),
        report.images.len(),
        report.volumes.len()
    );
    Ok(0)
}

/// Asks on the terminal; without one, `-f` is needed.
fn confirm(a: &PruneArgs) -> Result<bool, crate::failure::Failure> {
    let mut what = vec![
        "stopped sandboxes",
        "sandboxes whose workspace no longer exists",
    ];
    if a.images {
        what.push("docksandbox images no container uses");
    }
    if a.volumes {
        what.push("credentials volumes (logins) no sandbox uses");
    }
    if !crate::tty::stdin_is_terminal() {
        return Err(docksandbox::Error::InvalidSpec {
            field: "force".into(),
            reason: "prune asks before removing and stdin is not a terminal: pass -f/--force (or --dry-run to see what would go)".into(),
        }
        .into());
    }
    eprint!(
        "WARNING! This will remove: {}.\nAre you sure you want to continue? [y/N] ",
        what.join(", ")
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok();
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}
