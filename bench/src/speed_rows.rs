//! The start-up speed rows (issue 23), each against `docker` measured in the same run:
//! - B2c: a cold `docksandbox run` from the CLI to its first output vs `docker run --rm`;
//! - B4c: 8 and 16 such CLI runs in parallel vs as many parallel `docker run --rm`;
//! - B3c: `docksandbox run` again from a fresh CLI on the running sandbox, to the command's
//!   output, vs `docker exec` (B3r is the same in process, in `rows.rs`);
//! - B21: a throwaway sandbox from a warm pool (`Pool::take`) to its first exec output vs
//!   `docker run --rm`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::stats::pair_row;
use crate::{docker_cli, ms, Ctx, Row, HARDENING, IMAGE, LABEL};

type Res<T> = Result<T, String>;

fn docker_run_args() -> Vec<&'static str> {
    let mut a = vec!["run", "--rm"];
    a.extend_from_slice(HARDENING);
    a.extend_from_slice(&[IMAGE, "sh", "-c", "true"]);
    a
}

fn skipped(id: &str, op: &str) -> Vec<Row> {
    vec![Row {
        id: id.into(),
        operation: op.into(),
        results: vec![],
        notes: vec!["skipped: no docksandbox CLI binary beside the bench (build sandbox-cli or set DOCKSANDBOX_BIN)".into()],
    }]
}

/// `docksandbox run -q --network none -t IMAGE -w WS shell -c true` (a new sandbox unless one
/// runs for WS).
async fn cli_run(cli: &Path, label: &str, ws: &Path) -> Res<()> {
    let out = tokio::process::Command::new(cli)
        .args([
            "run",
            "-q",
            "--network",
            "none",
            "-t",
            IMAGE,
            "--label",
            label,
        ])
        .arg("-w")
        .arg(ws)
        .args(["shell", "-c", "true"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "docksandbox run: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Removes the bench's sandboxes of workspaces `wss` (untimed).
async fn remove_for(wss: &[PathBuf]) {
    for ws in wss {
        let filter = format!("label=docksandbox.workspace={}", ws.display());
        if let Ok(ids) = docker_cli(&["ps", "-aq", "--filter", &filter]).await {
            for id in ids.split_whitespace() {
                let _ = docker_cli(&["rm", "-f", id]).await;
            }
        }
    }
}

/// B2c: one cold CLI run vs `docker run --rm`.
pub async fn b2c_cli_cold(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let op = "cold `run` from the CLI to the first output";
    let Some(cli) = ctx.cli.clone() else {
        return Ok(skipped("B2c", op));
    };
    let label = format!("{LABEL}={}", ctx.run_id);
    let docker_args = docker_run_args();
    let samples = ctx
        .pair_rounds(async |k| {
            if k == 0 {
                let ws = ctx.workspace();
                let t = Instant::now();
                cli_run(&cli, &label, &ws).await?;
                let took = ms(t);
                remove_for(&[ws]).await;
                Ok(took)
            } else {
                let t = Instant::now();
                docker_cli(&docker_args).await?;
                Ok(ms(t))
            }
        })
        .await?;
    Ok(vec![pair_row(
        "B2c",
        op,
        ["docksandbox CLI (`run`)", "docker CLI (`run --rm`, peer)"],
        samples,
        vec!["a fresh workspace each round; docksandbox's sandbox stays (removed untimed), docker's is removed by `--rm` before it returns".into()],
    )])
}

/// B4c: `n` parallel cold CLI runs vs `n` parallel `docker run --rm`, for n = 8 and 16.
pub async fn b4c_cli_parallel(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let Some(cli) = ctx.cli.clone() else {
        return Ok(skipped("B4c", "parallel cold `run`s from the CLI"));
    };
    let label = format!("{LABEL}={}", ctx.run_id);
    let docker_args = docker_run_args();
    let rounds = ctx.iterations.min(if ctx.quick { 1 } else { 6 });
    let mut rows = Vec::new();
    for n in if ctx.quick { vec![4] } else { vec![8, 16] } {
        let mut samples = [Vec::new(), Vec::new()];
        for round in 0..1 + rounds {
            for k in ctx.order(2, round) {
                let took = if k == 0 {
                    let wss: Vec<PathBuf> = (0..n).map(|_| ctx.workspace()).collect();
                    let t = Instant::now();
                    let runs = wss.iter().map(|ws| cli_run(&cli, &label, ws));
                    for r in futures_util::future::join_all(runs).await {
                        r?;
                    }
                    let took = ms(t);
                    remove_for(&wss).await;
                    took
                } else {
                    let t = Instant::now();
                    let runs = (0..n).map(|_| docker_cli(&docker_args));
                    for r in futures_util::future::join_all(runs).await {
                        r?;
                    }
                    ms(t)
                };
                if round >= 1 {
                    samples[k].push(took);
                }
            }
        }
        rows.push(pair_row(
            "B4c",
            &format!("{n} parallel cold `run`s from the CLI, wall time to all outputs"),
            ["docksandbox CLI (`run`)", "docker CLI (`run --rm`, peer)"],
            samples,
            vec![],
        ));
    }
    Ok(rows)
}

/// B3c: `docksandbox run` again from a fresh CLI on a running sandbox vs `docker exec`.
pub async fn b3c_cli_rerun(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let op = "`run` again on a running sandbox from a fresh CLI, to the command's output";
    let Some(cli) = ctx.cli.clone() else {
        return Ok(skipped("B3c", op));
    };
    let label = format!("{LABEL}={}", ctx.run_id);
    let ws = ctx.workspace();
    cli_run(&cli, &label, &ws).await?;
    let id = docker_cli(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=docksandbox.workspace={}", ws.display()),
    ])
    .await?;
    let id = id.trim().to_string();
    let samples = ctx
        .pair_rounds(async |k| {
            let t = Instant::now();
            if k == 0 {
                cli_run(&cli, &label, &ws).await?;
            } else {
                docker_cli(&["exec", &id, "true"]).await?;
            }
            Ok(ms(t))
        })
        .await?;
    remove_for(&[ws]).await;
    Ok(vec![pair_row(
        "B3c",
        op,
        ["docksandbox CLI (`run`)", "docker CLI (`exec`, peer)"],
        samples,
        vec!["docksandbox's side: process start, lookup, the stored-config check, the helper's channel, the command".into()],
    )])
}

/// B21: `pool.take()` + the first exec vs `docker run --rm`.
pub async fn b21_pool(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let pool = docksandbox::Sandbox::builder()
        .client(ctx.client.clone())
        .agent(docksandbox::Shell)
        .template(IMAGE)
        .network(docksandbox::NetworkMode::None)
        .label(LABEL, &ctx.run_id)
        .pool(4)
        .await
        .map_err(|e| e.to_string())?;
    let docker_args = docker_run_args();
    let mut samples = [Vec::new(), Vec::new()];
    for round in 0..ctx.warmup + ctx.iterations {
        // A full pool before each round: what the row measures is a take, not the refill.
        pool.wait_ready().await.map_err(|e| e.to_string())?;
        for k in ctx.order(2, round) {
            let took = if k == 0 {
                let t = Instant::now();
                let sb = pool.take().await.map_err(|e| e.to_string())?;
                let out = sb.exec(["true"]).await.map_err(|e| e.to_string())?;
                let took = ms(t);
                if out.exit_code != 0 {
                    return Err(format!("B21: exec in a pooled sandbox: {out:?}"));
                }
                sb.remove().await.map_err(|e| e.to_string())?;
                took
            } else {
                let t = Instant::now();
                docker_cli(&docker_args).await?;
                ms(t)
            };
            if round >= ctx.warmup {
                samples[k].push(took);
            }
        }
    }
    pool.close().await.map_err(|e| e.to_string())?;
    Ok(vec![pair_row(
        "B21",
        "a throwaway sandbox to its first exec output: warm pool vs a new container",
        ["docksandbox (Rust) `pool.take()` + exec", "docker CLI (`run --rm`, peer)"],
        samples,
        vec!["pool of 4, refilled (untimed) before each round; docker's `run --rm` also removes its container".into()],
    )])
}
