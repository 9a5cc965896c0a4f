//! The branch row (issue 21):
//! - B17: `run --branch` on a 10,000-file repository to the first exec (the worktree's checkout
//!   is the cost) vs a plain `run` of the same repository to the first exec, both through the
//!   core, a fresh sandbox each round.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::stats::pair_row;
use crate::{ms, Ctx, Row};

type Res<T> = Result<T, String>;

/// Files in the benchmark's repository (the quick mode uses fewer).
const FILES: usize = 10_000;

fn git(dir: &Path, args: &[&str]) -> Res<()> {
    let out = Command::new("git")
        .args(["-c", "user.name=bench", "-c", "user.email=bench@localhost"])
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("git: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// B17: `run --branch` vs plain `run`, to the first exec.
pub async fn b17_branch(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let files = if ctx.quick { 500 } else { FILES };
    let repo = std::fs::canonicalize(ctx.workspace()).map_err(|e| e.to_string())?;
    for i in 0..files {
        let d = repo.join(format!("src/d{}", i / 100));
        std::fs::create_dir_all(&d).map_err(|e| e.to_string())?;
        std::fs::write(d.join(format!("f{i}.txt")), format!("file {i}\n"))
            .map_err(|e| e.to_string())?;
    }
    git(&repo, &["init", "-q", "-b", "main"])?;
    git(&repo, &["add", "."])?;
    git(&repo, &["commit", "-qm", "bench"])?;
    let mut samples = [Vec::new(), Vec::new()];
    let mut branches = Vec::new();
    for round in 0..ctx.warmup + ctx.iterations {
        for k in ctx.order(2, round) {
            let t = Instant::now();
            let b = ctx.builder(&repo);
            let b = if k == 0 {
                b.branch(format!("bench-{}-{round}", ctx.run_id))
            } else {
                b.name(format!("bench-plain-{}-{round}", ctx.run_id))
            };
            let sb = b.run().await.map_err(|e| format!("B17: {e}"))?;
            let out = sb.exec(["true"]).await.map_err(|e| format!("B17: {e}"))?;
            let took = ms(t);
            if out.exit_code != 0 {
                return Err(format!("B17: exec exited {}", out.exit_code));
            }
            if k == 0 {
                // Removed after the last round: see `removed_after`.
                branches.push(sb);
            } else {
                remove(&sb).await?;
            }
            if round >= ctx.warmup {
                samples[k].push(took);
            }
        }
    }
    for sb in &branches {
        remove(sb).await?;
    }
    Ok(vec![pair_row(
        "B17",
        &format!("`run --branch` on a {files}-file repository to first exec (target ≤ 1.5×)"),
        [
            "docksandbox `run --branch` (worktree checkout)",
            "docksandbox plain `run` (same repository, peer)",
        ],
        samples,
        vec![
            "both make a fresh sandbox each round; removal (and the worktree's) not timed".into(),
            removed_after().into(),
        ],
    )])
}

/// Why the branch sandboxes (and their worktrees) are removed after the last round, not
/// between rounds.
fn removed_after() -> &'static str {
    "the worktrees are removed after the last round: on an ext4 without a journal (this \
     machine kind's root file system) the inode allocator skips every inode freed in the last \
     60–360 s (`recently_deleted` in fs/ext4/ialloc.c), so a checkout of 10,000 files right \
     after removing 10,000 costs seconds of kernel time whatever made it (plain `git worktree \
     add` too); a journaled ext4 does not do this"
}

async fn remove(sb: &docksandbox::Sandbox) -> Res<()> {
    sb.remove_with_options(&docksandbox::RemoveOptions {
        force: true,
        delete_branch: true,
        discard: true,
        ..Default::default()
    })
    .await
    .map_err(|e| format!("B17: {e}"))
}
