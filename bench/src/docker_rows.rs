//! The scoped-docker rows: what `--docker scoped` costs against the engine's own socket, in one
//! run, both measured from inside a sandbox with the same docker CLI (the base template's).
//! - B13: `docker run --rm busybox true` through the scoped proxy vs the host socket;
//! - B13p: `docker ps -a` with N of the sandbox's own containers and N foreign ones, through the
//!   proxy (which lists the N own) vs the host socket (which lists them all).

use std::time::Instant;

use docksandbox::DockerAccess;

use crate::stats::pair_row;
use crate::{ms, Ctx, Row, IMAGE, LABEL};

type Res<T> = Result<T, String>;

/// The template with a docker CLI.
const TEMPLATE: &str = "docksandbox/base:latest";

async fn sh(sb: &docksandbox::Sandbox, script: &str) -> Res<String> {
    let out = sb
        .exec(["sh", "-c", script])
        .await
        .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!("{script}: {}", out.stderr_str().trim()));
    }
    Ok(out.stdout_str().to_string())
}

/// B13 and B13p.
pub async fn b13_scoped_docker(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let n = if ctx.quick { 10 } else { 50 };
    let scoped = ctx
        .builder(&ctx.workspace())
        .template(TEMPLATE)
        .docker(DockerAccess::Scoped)
        .run()
        .await
        .map_err(|e| e.to_string())?;
    let host = ctx
        .builder(&ctx.workspace())
        .template(TEMPLATE)
        .docker(DockerAccess::Host)
        .run()
        .await
        .map_err(|e| e.to_string())?;
    let boxes = [&scoped, &host];
    let run = format!("docker run --rm {IMAGE} true");
    let mut samples = [Vec::new(), Vec::new()];
    for round in 0..ctx.warmup + ctx.iterations {
        for k in ctx.order(2, round) {
            let t = Instant::now();
            sh(boxes[k], &run).await?;
            if round >= ctx.warmup {
                samples[k].push(ms(t));
            }
        }
    }
    let mut rows = vec![pair_row(
        "B13",
        "`docker run --rm busybox true` inside a sandbox: scoped proxy vs the host socket",
        ["docksandbox --docker scoped", "--docker host (peer)"],
        samples,
        vec!["the base template's docker CLI in both; target: ≤ 1.1×".into()],
    )];
    // N own containers (made through the proxy) and N foreign ones (made on the host).
    sh(
        &scoped,
        &format!(
            "i=0; while [ $i -lt {n} ]; do docker create {IMAGE} true >/dev/null; i=$((i+1)); done"
        ),
    )
    .await?;
    for _ in 0..n {
        let out = std::process::Command::new("docker")
            .args([
                "create",
                "--label",
                &format!("{LABEL}={}", ctx.run_id),
                IMAGE,
                "true",
            ])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
    }
    let mut samples = [Vec::new(), Vec::new()];
    for round in 0..ctx.warmup + ctx.iterations {
        for k in ctx.order(2, round) {
            let t = Instant::now();
            let out = sh(boxes[k], "docker ps -a -q | wc -l").await?;
            let took = ms(t);
            let listed: usize = out.trim().parse().unwrap_or(0);
            if (k == 0 && listed != n) || (k == 1 && listed < 2 * n) {
                return Err(format!("B13p: contestant {k} listed {listed}"));
            }
            if round >= ctx.warmup {
                samples[k].push(took);
            }
        }
    }
    rows.push(pair_row(
        "B13p",
        &format!("`docker ps -a` with {n} own and {n} foreign containers: scoped vs host socket"),
        ["docksandbox --docker scoped", "--docker host (peer)"],
        samples,
        vec!["the proxy lists the sandbox's own only; target: ≤ 1.2×".into()],
    ));
    scoped.remove().await.map_err(|e| e.to_string())?;
    host.remove().await.map_err(|e| e.to_string())?;
    Ok(rows)
}
