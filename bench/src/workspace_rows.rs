//! The workspace-mode rows: what review mode (issue 16) costs, in one run.
//! - B11: a write-heavy workload (many small files, as a build writes them) inside a
//!   review-mode sandbox (writes go to docksandbox's overlay layer) vs a read-write one;
//! - B12: `docksandbox diff --stat` over a review sandbox with N changed files vs `git status`
//!   over a copy of the same tree with the same N changes made on the host.

use std::path::Path;
use std::time::Instant;

use docksandbox::WorkspaceMode;

use crate::stats::pair_row;
use crate::{ms, Ctx, Row};

type Res<T> = Result<T, String>;

/// B11: N small files written (and listed) inside, review vs read-write.
pub async fn b11_review_writes(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let files = if ctx.quick { 300 } else { 2000 };
    let modes = [WorkspaceMode::Review, WorkspaceMode::ReadWrite];
    let mut boxes = Vec::new();
    for m in modes {
        let ws = ctx.workspace();
        std::fs::write(ws.join("Cargo.toml"), "[package]\n").map_err(|e| e.to_string())?;
        boxes.push(
            ctx.builder(&ws)
                .workspace_mode(m)
                .run()
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    let mut samples = [Vec::new(), Vec::new()];
    for round in 0..ctx.warmup + ctx.iterations {
        let script = format!(
            "set -e; d=target/r{round}; mkdir -p $d; i=0; while [ $i -lt {files} ]; do echo \"fn f$i() {{}}\" > $d/f$i.rs; i=$((i+1)); done; ls $d | wc -l"
        );
        for k in ctx.order(2, round) {
            let t = Instant::now();
            let out = boxes[k]
                .exec(["sh", "-c", &script])
                .await
                .map_err(|e| e.to_string())?;
            let took = ms(t);
            if out.stdout_str().trim() != files.to_string() {
                return Err(format!("B11 workload: {out:?}"));
            }
            if round >= ctx.warmup {
                samples[k].push(took);
            }
        }
    }
    for b in boxes {
        b.remove().await.map_err(|e| e.to_string())?;
    }
    Ok(vec![pair_row(
        "B11",
        &format!("{files} small files written inside: review mode vs read-write"),
        ["docksandbox (review)", "docksandbox (rw, peer)"],
        samples,
        vec!["one exec per round, a fresh directory each round; target: ≤ 1.3×".into()],
    )])
}

fn sh(dir: &Path, script: &str) -> Res<String> {
    let out = std::process::Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// B12: `diff --stat` on N changed files vs `git status` on the same tree.
pub async fn b12_diff_stat(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let files = if ctx.quick { 1000 } else { 10_000 };
    let make = format!(
        "set -e; mkdir -p src; i=0; while [ $i -lt {files} ]; do echo \"line $i\" > src/f$i.txt; i=$((i+1)); done"
    );
    let change = "set -e; for f in src/*.txt; do echo changed >> \"$f\"; done";
    let ws = std::fs::canonicalize(ctx.workspace()).map_err(|e| e.to_string())?;
    sh(&ws, &make)?;
    let git = ctx.root.path().join("git-peer");
    std::fs::create_dir_all(&git).map_err(|e| e.to_string())?;
    sh(&git, &make)?;
    sh(
        &git,
        "git init -q && git add -A && git -c user.name=b -c user.email=b@b commit -qm base",
    )?;
    sh(&git, change)?;
    let sb = ctx
        .builder(&ws)
        .workspace_mode(WorkspaceMode::Review)
        .run()
        .await
        .map_err(|e| e.to_string())?;
    let out = sb
        .exec(["sh", "-c", change])
        .await
        .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!("B12 changes: {out:?}"));
    }
    let mut samples = [Vec::new(), Vec::new()];
    for round in 0..ctx.warmup + ctx.iterations {
        for k in ctx.order(2, round) {
            let t = Instant::now();
            let lines = if k == 0 {
                match &ctx.cli {
                    Some(cli) => {
                        let out = tokio::process::Command::new(cli)
                            .args(["diff", "--stat", sb.name()])
                            .output()
                            .await
                            .map_err(|e| e.to_string())?;
                        String::from_utf8_lossy(&out.stdout).lines().count() - 1
                    }
                    None => {
                        let c = sb.diff().await.map_err(|e| e.to_string())?;
                        sb.diff_text(&c, true).await.map_err(|e| e.to_string())?;
                        c.len()
                    }
                }
            } else {
                let out = tokio::process::Command::new("git")
                    .args(["status", "--porcelain"])
                    .current_dir(&git)
                    .output()
                    .await
                    .map_err(|e| e.to_string())?;
                String::from_utf8_lossy(&out.stdout).lines().count()
            };
            let took = ms(t);
            if lines != files {
                return Err(format!(
                    "B12: contestant {k} listed {lines} of {files} changes"
                ));
            }
            if round >= ctx.warmup {
                samples[k].push(took);
            }
        }
    }
    sb.remove().await.map_err(|e| e.to_string())?;
    let how = if ctx.cli.is_some() {
        "the CLI, a process per round, as git"
    } else {
        "in-process (no CLI binary found)"
    };
    Ok(vec![pair_row(
        "B12",
        &format!("{files} changed files: `docksandbox diff --stat` vs `git status`"),
        ["docksandbox diff --stat", "git status --porcelain (peer)"],
        samples,
        vec![format!("docksandbox via {how}; target: ≤ 2×")],
    )])
}
