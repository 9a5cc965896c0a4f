//! The lifetime rows (issue 20):
//! - B16: `docksandbox run --rm shell -c true` end to end from the CLI (create, start, the
//!   session, removal; the lifetime checks every `run` makes included) vs `docker run --rm`
//!   with the same image and hardening.

use std::time::Instant;

use crate::stats::pair_row;
use crate::{docker_cli, ms, Ctx, Row, HARDENING, IMAGE, LABEL};

type Res<T> = Result<T, String>;

/// B16: an ephemeral run from the CLI vs `docker run --rm`.
pub async fn b16_ephemeral(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let Some(cli) = ctx.cli.clone() else {
        return Ok(vec![Row {
            id: "B16".into(),
            operation: "`run --rm shell -c true` from the CLI".into(),
            results: vec![],
            notes: vec!["skipped: no docksandbox CLI binary beside the bench (build sandbox-cli or set DOCKSANDBOX_BIN)".into()],
        }]);
    };
    let mut docker_args = vec!["run", "--rm"];
    docker_args.extend_from_slice(HARDENING);
    docker_args.extend_from_slice(&[IMAGE, "sh", "-c", "true"]);
    let label = format!("{LABEL}={}", ctx.run_id);
    let mut samples = [Vec::new(), Vec::new()];
    for round in 0..ctx.warmup + ctx.iterations {
        for k in ctx.order(2, round) {
            let took = if k == 0 {
                let ws = ctx.workspace();
                let t = Instant::now();
                let out = tokio::process::Command::new(&cli)
                    .args(["run", "--rm", "-q", "--network", "none", "-t", IMAGE])
                    .arg("--label")
                    .arg(&label)
                    .arg("-w")
                    .arg(&ws)
                    .args(["shell", "-c", "true"])
                    .stdin(std::process::Stdio::null())
                    .output()
                    .await
                    .map_err(|e| e.to_string())?;
                let took = ms(t);
                if !out.status.success() {
                    return Err(format!(
                        "B16: docksandbox run --rm: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
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
    Ok(vec![pair_row(
        "B16",
        "`run --rm shell -c true` end to end (CLI), removal included",
        ["docksandbox CLI (`run --rm`)", "docker CLI (`run --rm`, peer)"],
        samples,
        vec!["both sides remove their container before returning; docksandbox also checks lifetimes (one listing) first".into()],
    )])
}
