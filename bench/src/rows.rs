//! The rows B1–B7. Each row runs warm-up rounds then measured rounds; in every round each
//! available contestant runs once, in an order that rotates, so drift on a noisy machine
//! spreads evenly. The first contestant is docksandbox: ratios are docksandbox / peer.

use std::collections::HashMap;
use std::time::Instant;

use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
};
use docksandbox::{label_keys, ExecOptions, Sandbox};

use crate::stats::summarize;
use crate::{docker_cli, floor, ms, Ctx, Row, HARDENING, IMAGE, LABEL};

type Res<T> = Result<T, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Ds,
    DsPython,
    DsNode,
    /// docksandbox with the exec channel off (the engine's exec, as before the channel).
    DsEngine,
    Bollard,
    Cli,
    DockerPy,
    Dockerode,
}

impl Who {
    fn name(self) -> &'static str {
        match self {
            Who::Ds => "docksandbox (Rust)",
            Who::DsPython => "docksandbox (Python)",
            Who::DsNode => "docksandbox (Node)",
            Who::DsEngine => "docksandbox (Rust, engine exec)",
            Who::Bollard => "bollard (floor)",
            Who::Cli => "docker CLI",
            Who::DockerPy => "docker-py",
            Who::Dockerode => "dockerode",
        }
    }
}

fn available(ctx: &Ctx, wanted: &[Who]) -> Vec<Who> {
    wanted
        .iter()
        .copied()
        .filter(|w| match w {
            Who::DockerPy => ctx.dockerpy.is_some(),
            Who::Dockerode => ctx.dockerode.is_some(),
            Who::DsPython => ctx.ds_python.is_some(),
            Who::DsNode => ctx.ds_node.is_some(),
            _ => true,
        })
        .collect()
}

async fn driver(ctx: &mut Ctx, who: Who, line: &str) -> Res<f64> {
    let d = match who {
        Who::DockerPy => ctx.dockerpy.as_mut(),
        Who::Dockerode => ctx.dockerode.as_mut(),
        Who::DsPython => ctx.ds_python.as_mut(),
        Who::DsNode => ctx.ds_node.as_mut(),
        _ => None,
    }
    .ok_or("no driver")?;
    d.call(line).await
}

fn row(id: &str, op: &str, who: &[Who], samples: &[Vec<f64>], notes: Vec<String>) -> Row {
    let mut results: Vec<_> = who
        .iter()
        .zip(samples)
        .filter_map(|(w, s)| summarize(w.name(), s))
        .collect();
    if let Some(ours) = results.first().map(|r| r.median_ms) {
        for r in results.iter_mut().skip(1) {
            if !r.contestant.starts_with("docksandbox") {
                r.ratio = Some(ours / r.median_ms);
            }
        }
    }
    Row {
        id: id.into(),
        operation: op.into(),
        results,
        notes,
    }
}

/// Runs rounds: `one(ctx, who, round)` returns milliseconds.
async fn rounds<F>(ctx: &mut Ctx, who: &[Who], one: F) -> Res<Vec<Vec<f64>>>
where
    F: for<'a> FnMut(&'a mut Ctx, Who, usize) -> futures_util::future::BoxFuture<'a, Res<f64>>,
{
    let n = ctx.iterations;
    rounds_n(ctx, who, n, one).await
}

/// [`rounds`] with at most `cap` measured rounds (for rows whose one round takes seconds).
async fn rounds_n<F>(ctx: &mut Ctx, who: &[Who], cap: usize, mut one: F) -> Res<Vec<Vec<f64>>>
where
    F: for<'a> FnMut(&'a mut Ctx, Who, usize) -> futures_util::future::BoxFuture<'a, Res<f64>>,
{
    let mut samples = vec![Vec::new(); who.len()];
    let total = ctx.warmup + ctx.iterations.min(cap);
    for round in 0..total {
        for k in ctx.order(who.len(), round) {
            let t = one(ctx, who[k], round).await?;
            if round >= ctx.warmup {
                samples[k].push(t);
            }
        }
    }
    Ok(samples)
}

async fn running_sandbox(ctx: &Ctx) -> Res<Sandbox> {
    let ws = ctx.workspace();
    ctx.builder(&ws).run().await.map_err(|e| e.to_string())
}

async fn cli_ms(args: &[&str]) -> Res<f64> {
    let t = Instant::now();
    docker_cli(args).await?;
    Ok(ms(t))
}

/// B1: warm exec round trip of `true` in a running sandbox.
pub async fn b1_exec(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let sb = running_sandbox(ctx).await?;
    let id = sb.id().to_string();
    let name = sb.name().to_string();
    let who = available(
        ctx,
        &[
            Who::Ds,
            Who::DsPython,
            Who::DsNode,
            Who::Bollard,
            Who::Cli,
            Who::DockerPy,
            Who::Dockerode,
        ],
    );
    let samples = rounds(ctx, &who, |ctx, w, _| {
        let sb = sb.clone();
        let id = id.clone();
        let name = name.clone();
        Box::pin(async move {
            match w {
                Who::Ds => {
                    let t = Instant::now();
                    let out = sb.exec(["true"]).await.map_err(|e| e.to_string())?;
                    if !out.success() {
                        return Err(format!("exit {}", out.exit_code));
                    }
                    Ok(ms(t))
                }
                Who::Bollard => {
                    let t = Instant::now();
                    floor::exec(&ctx.docker, &id, &["true"])
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(ms(t))
                }
                Who::Cli => cli_ms(&["exec", &id, "true"]).await,
                Who::DsPython | Who::DsNode => driver(ctx, w, &format!("exec_true {name}")).await,
                _ => driver(ctx, w, &format!("exec {id}")).await,
            }
        })
    })
    .await?;
    Ok(vec![row(
        "B1",
        "warm exec `true` in a running sandbox",
        &who,
        &samples,
        vec![],
    )])
}

/// B8: warm exec round trip through the exec channel (the in-sandbox helper), from Rust,
/// Python and Node, against docker-py's `exec_run` on the same container, the bollard floor
/// and docksandbox itself with the channel off.
pub async fn b8_channel(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let sb = running_sandbox(ctx).await?;
    let id = sb.id().to_string();
    let name = sb.name().to_string();
    // A second handle on the same sandbox, made while the channel is switched off.
    std::env::set_var(docksandbox::CHANNEL_ENV, "off");
    let engine = ctx.client.get(&name).await;
    std::env::remove_var(docksandbox::CHANNEL_ENV);
    let engine = engine.map_err(|e| e.to_string())?;
    let who = available(
        ctx,
        &[
            Who::Ds,
            Who::DsPython,
            Who::DsNode,
            Who::DockerPy,
            Who::Bollard,
            Who::DsEngine,
        ],
    );
    let samples = rounds(ctx, &who, |ctx, w, _| {
        let sb = sb.clone();
        let engine = engine.clone();
        let id = id.clone();
        let name = name.clone();
        Box::pin(async move {
            match w {
                Who::Ds | Who::DsEngine => {
                    let sb = if w == Who::Ds { sb } else { engine };
                    let t = Instant::now();
                    let out = sb.exec(["true"]).await.map_err(|e| e.to_string())?;
                    if !out.success() {
                        return Err(format!("exit {}", out.exit_code));
                    }
                    Ok(ms(t))
                }
                Who::Bollard => {
                    let t = Instant::now();
                    floor::exec(&ctx.docker, &id, &["true"])
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(ms(t))
                }
                Who::DsPython | Who::DsNode => driver(ctx, w, &format!("exec_true {name}")).await,
                _ => driver(ctx, w, &format!("exec_run {id}")).await,
            }
        })
    })
    .await?;
    let mut r = row(
        "B8",
        "warm exec `true` through the exec channel",
        &who,
        &samples,
        vec![],
    );
    let median = |name: &str| {
        r.results
            .iter()
            .find(|s| s.contestant == name)
            .map(|s| s.median_ms)
    };
    if let Some(peer) = median(Who::DockerPy.name()) {
        let mut notes = Vec::new();
        for w in [Who::Ds, Who::DsPython, Who::DsNode, Who::DsEngine] {
            if let Some(m) = median(w.name()) {
                notes.push(format!(
                    "{} / docker-py exec_run = {:.3}",
                    w.name(),
                    m / peer
                ));
            }
        }
        r.notes = notes;
    }
    Ok(vec![r])
}

/// B2: cold run to first exec output vs `docker run --rm`.
pub async fn b2_cold(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let who = available(
        ctx,
        &[
            Who::Ds,
            Who::Bollard,
            Who::Cli,
            Who::DockerPy,
            Who::Dockerode,
        ],
    );
    let mut run_args = vec!["run", "--rm"];
    run_args.extend_from_slice(HARDENING);
    run_args.extend_from_slice(&[IMAGE, "true"]);
    let samples = rounds(ctx, &who, |ctx, w, _| {
        let run_args = run_args.clone();
        Box::pin(async move {
            match w {
                Who::Ds => {
                    let ws = ctx.workspace();
                    let t = Instant::now();
                    let sb = ctx.builder(&ws).run().await.map_err(|e| e.to_string())?;
                    sb.exec(["true"]).await.map_err(|e| e.to_string())?;
                    let took = ms(t);
                    sb.remove().await.map_err(|e| e.to_string())?;
                    Ok(took)
                }
                Who::Bollard => {
                    let t = Instant::now();
                    let id = bollard_container(ctx, true).await?;
                    floor::exec(&ctx.docker, &id, &["true"])
                        .await
                        .map_err(|e| e.to_string())?;
                    let took = ms(t);
                    remove(ctx, &id).await;
                    Ok(took)
                }
                Who::Cli => cli_ms(&run_args).await,
                _ => driver(ctx, w, &format!("run {IMAGE}")).await,
            }
        })
    })
    .await?;
    Ok(vec![row(
        "B2",
        "cold run to first exec output (create + start + exec)",
        &who,
        &samples,
        vec!["docksandbox and bollard: removal after the measurement is not timed; `docker run --rm` and the peers' runs include their removal".into()],
    )])
}

/// A hardened keep-alive container through bare bollard; started when `start`.
async fn bollard_container(ctx: &Ctx, start: bool) -> Res<String> {
    use bollard::models::{ContainerCreateBody, HostConfig};
    let body = ContainerCreateBody {
        image: Some(IMAGE.into()),
        cmd: Some(vec!["sleep".into(), "infinity".into()]),
        labels: Some(HashMap::from([(LABEL.to_string(), ctx.run_id.clone())])),
        host_config: Some(HostConfig {
            network_mode: Some("none".into()),
            init: Some(true),
            cap_drop: Some(vec!["NET_RAW".into(), "MKNOD".into()]),
            pids_limit: Some(4096),
            ..Default::default()
        }),
        ..Default::default()
    };
    let c = ctx
        .docker
        .create_container(
            None::<bollard::query_parameters::CreateContainerOptions>,
            body,
        )
        .await
        .map_err(|e| e.to_string())?;
    if start {
        ctx.docker
            .start_container(&c.id, None)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(c.id)
}

async fn remove(ctx: &Ctx, id: &str) {
    let _ = ctx
        .docker
        .remove_container(
            id,
            Some(RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await;
}

/// B3: re-run of an existing stopped / running sandbox to first exec.
pub async fn b3_rerun(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let mut out = Vec::new();
    for stopped in [true, false] {
        let ws = ctx.workspace();
        let sb = ctx.builder(&ws).run().await.map_err(|e| e.to_string())?;
        let peer = bollard_container(ctx, true).await?;
        // B3r also from the Python and Node packages (a re-run in their process).
        let mut wanted = vec![Who::Ds];
        if !stopped {
            wanted.extend([Who::DsPython, Who::DsNode]);
        }
        wanted.extend([Who::Bollard, Who::Cli, Who::DockerPy, Who::Dockerode]);
        let who = available(ctx, &wanted);
        let samples = rounds(ctx, &who, |ctx, w, _| {
            let ws = ws.clone();
            let sb = sb.clone();
            let peer = peer.clone();
            Box::pin(async move {
                if stopped {
                    match w {
                        Who::Ds => sb.stop().await.map_err(|e| e.to_string())?,
                        _ => {
                            docker_cli(&["stop", "-t", "1", &peer]).await?;
                        }
                    }
                }
                match w {
                    Who::Ds => {
                        let t = Instant::now();
                        let again = ctx.builder(&ws).run().await.map_err(|e| e.to_string())?;
                        again.exec(["true"]).await.map_err(|e| e.to_string())?;
                        Ok(ms(t))
                    }
                    Who::Bollard => {
                        let t = Instant::now();
                        if stopped {
                            ctx.docker
                                .start_container(&peer, None)
                                .await
                                .map_err(|e| e.to_string())?;
                        }
                        floor::exec(&ctx.docker, &peer, &["true"])
                            .await
                            .map_err(|e| e.to_string())?;
                        Ok(ms(t))
                    }
                    Who::Cli => {
                        let t = Instant::now();
                        if stopped {
                            docker_cli(&["start", &peer]).await?;
                        }
                        docker_cli(&["exec", &peer, "true"]).await?;
                        Ok(ms(t))
                    }
                    Who::DsPython | Who::DsNode => {
                        let line =
                            format!("rerun_true {} {IMAGE} {LABEL}={}", ws.display(), ctx.run_id);
                        driver(ctx, w, &line).await
                    }
                    _ => {
                        let op = if stopped { "start_exec" } else { "exec" };
                        driver(ctx, w, &format!("{op} {peer}")).await
                    }
                }
            })
        })
        .await?;
        let (id, what) = if stopped {
            (
                "B3s",
                "re-run of a stopped sandbox to first exec (start + exec)",
            )
        } else {
            ("B3r", "re-run of a running sandbox to first exec")
        };
        out.push(row(id, what, &who, &samples, vec![]));
        sb.remove().await.map_err(|e| e.to_string())?;
        remove(ctx, &peer).await;
    }
    Ok(out)
}

/// B4: 16 parallel runs, wall time to all first outputs.
pub async fn b4_parallel(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let n = if ctx.quick { 4 } else { 16 };
    let who = available(ctx, &[Who::Ds, Who::Bollard, Who::Cli]);
    let mut run_args: Vec<String> = vec!["run".into(), "--rm".into()];
    run_args.extend(HARDENING.iter().map(|s| s.to_string()));
    run_args.extend([IMAGE.to_string(), "true".into()]);
    let samples = rounds_n(ctx, &who, 10, |ctx, w, _| {
        let run_args = run_args.clone();
        Box::pin(async move {
            match w {
                Who::Ds => {
                    let wss: Vec<_> = (0..n).map(|_| ctx.workspace()).collect();
                    let ctx_ref = &*ctx;
                    let t = Instant::now();
                    let runs = wss.iter().map(|ws| async move {
                        let sb = ctx_ref.builder(ws).run().await?;
                        sb.exec(["true"]).await?;
                        Ok::<_, docksandbox::Error>(sb)
                    });
                    let all = futures_util::future::join_all(runs).await;
                    let took = ms(t);
                    for sb in all {
                        sb.map_err(|e| e.to_string())?
                            .remove()
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                    Ok(took)
                }
                Who::Bollard => {
                    let t = Instant::now();
                    let ctx_ref = &*ctx;
                    let runs = (0..n).map(|_| async move {
                        let id = bollard_container(ctx_ref, true).await?;
                        floor::exec(&ctx_ref.docker, &id, &["true"])
                            .await
                            .map_err(|e| e.to_string())?;
                        Ok::<_, String>(id)
                    });
                    let all = futures_util::future::join_all(runs).await;
                    let took = ms(t);
                    for id in all {
                        remove(ctx, &id?).await;
                    }
                    Ok(took)
                }
                _ => {
                    let t = Instant::now();
                    let runs = (0..n).map(|_| {
                        let a: Vec<&str> = run_args.iter().map(String::as_str).collect();
                        async move { docker_cli(&a).await }
                    });
                    for r in futures_util::future::join_all(runs).await {
                        r?;
                    }
                    Ok(ms(t))
                }
            }
        })
    })
    .await?;
    Ok(vec![row(
        "B4",
        &format!("{n} parallel runs, wall time to all first outputs"),
        &who,
        &samples,
        vec![],
    )])
}

/// B5: list with 200 sandboxes present vs `docker ps --filter label=…`.
pub async fn b5_list(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let n = if ctx.quick { 20 } else { 200 };
    // One real sandbox; the rest are created (not started) with the same kind of labels.
    let sb = running_sandbox(ctx).await?;
    let details = ctx
        .docker
        .inspect_container(sb.id(), None)
        .await
        .map_err(|e| e.to_string())?;
    let labels = details.config.and_then(|c| c.labels).unwrap_or_default();
    let t = Instant::now();
    for i in 1..n {
        let mut l = labels.clone();
        l.insert(label_keys::KEY.into(), format!("bench-{i}"));
        let body = bollard::models::ContainerCreateBody {
            image: Some(IMAGE.into()),
            cmd: Some(vec!["true".into()]),
            labels: Some(l),
            ..Default::default()
        };
        let name = format!("{}-{i}", ctx.run_id);
        ctx.docker
            .create_container(
                Some(CreateContainerOptionsBuilder::default().name(&name).build()),
                body,
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    eprintln!(
        "  {n} sandboxes present (setup {:.1} s)",
        t.elapsed().as_secs_f64()
    );
    let filter = format!("label={}=true", label_keys::MANAGED);
    let label_only = format!("{}=true", label_keys::MANAGED);
    let who = available(
        ctx,
        &[
            Who::Ds,
            Who::Bollard,
            Who::Cli,
            Who::DockerPy,
            Who::Dockerode,
        ],
    );
    let samples = rounds(ctx, &who, |ctx, w, _| {
        let filter = filter.clone();
        let label_only = label_only.clone();
        Box::pin(async move {
            match w {
                Who::Ds => {
                    let t = Instant::now();
                    let l = ctx.client.list().await.map_err(|e| e.to_string())?;
                    if l.len() < n {
                        return Err(format!("listed {} < {n}", l.len()));
                    }
                    Ok(ms(t))
                }
                Who::Bollard => {
                    let t = Instant::now();
                    let f = HashMap::from([("label", vec![label_only.clone()])]);
                    ctx.docker
                        .list_containers(Some(
                            ListContainersOptionsBuilder::default()
                                .all(true)
                                .filters(&f)
                                .build(),
                        ))
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(ms(t))
                }
                Who::Cli => cli_ms(&["ps", "-a", "--no-trunc", "--filter", &filter]).await,
                _ => driver(ctx, w, &format!("list {label_only}")).await,
            }
        })
    })
    .await?;
    Ok(vec![row(
        "B5",
        &format!("list with {n} sandboxes present"),
        &who,
        &samples,
        vec![],
    )])
}

/// B6: bulk data through exec stdout, and file copies in and out.
pub async fn b6_bulk(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let size: usize = if ctx.quick { 16 << 20 } else { 256 << 20 };
    let mib = size >> 20;
    let sb = running_sandbox(ctx).await?;
    let id = sb.id().to_string();
    let size_s = size.to_string();
    let mut rows = Vec::new();

    let who = available(
        ctx,
        &[
            Who::Ds,
            Who::Bollard,
            Who::Cli,
            Who::DockerPy,
            Who::Dockerode,
        ],
    );
    let samples = rounds_n(ctx, &who, 7, |ctx, w, _| {
        let (sb, id, size_s) = (sb.clone(), id.clone(), size_s.clone());
        Box::pin(async move {
            let cmd = ["head", "-c", size_s.as_str(), "/dev/zero"];
            match w {
                Who::Ds => {
                    let t = Instant::now();
                    let out = sb
                        .exec_with(cmd, ExecOptions::default())
                        .await
                        .map_err(|e| e.to_string())?;
                    if out.stdout.len() != size {
                        return Err(format!("got {} bytes", out.stdout.len()));
                    }
                    Ok(ms(t))
                }
                Who::Bollard => {
                    let t = Instant::now();
                    let n = floor::exec(&ctx.docker, &id, &cmd)
                        .await
                        .map_err(|e| e.to_string())?;
                    if n != size {
                        return Err(format!("bollard got {n} bytes"));
                    }
                    Ok(ms(t))
                }
                Who::Cli => {
                    let t = Instant::now();
                    let out =
                        docker_cli(&["exec", &id, "head", "-c", &size_s, "/dev/zero"]).await?;
                    if out.len() != size {
                        return Err(format!("docker CLI got {} bytes", out.len()));
                    }
                    Ok(ms(t))
                }
                _ => driver(ctx, w, &format!("cat {id} {size_s}")).await,
            }
        })
    })
    .await?;
    rows.push(row(
        "B6o",
        &format!("{mib} MiB through exec stdout"),
        &who,
        &samples,
        vec![],
    ));

    let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let host_file = ctx.root.path().join("blob.bin");
    std::fs::write(&host_file, &data).map_err(|e| e.to_string())?;
    let host_file_s = host_file.to_string_lossy().into_owned();
    let who = vec![Who::Ds, Who::Cli];
    let samples = rounds_n(ctx, &who, 7, |_ctx, w, _| {
        let (sb, id, data, host_file_s) =
            (sb.clone(), id.clone(), data.clone(), host_file_s.clone());
        Box::pin(async move {
            let t = Instant::now();
            match w {
                // The data is the caller's already (as the file is docker cp's): handed over
                // without a copy.
                Who::Ds => sb
                    .write_file_bytes("/tmp/blob-ds.bin", data)
                    .await
                    .map_err(|e| e.to_string())?,
                _ => {
                    docker_cli(&["cp", &host_file_s, &format!("{id}:/tmp/blob-cli.bin")]).await?;
                }
            }
            Ok(ms(t))
        })
    })
    .await?;
    rows.push(row(
        "B6i",
        &format!("{mib} MiB file copied in (write_file_bytes vs docker cp)"),
        &who,
        &samples,
        vec![],
    ));

    let out_dir = ctx.root.path().join("out");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let out_dir_s = out_dir.to_string_lossy().into_owned();
    let samples = rounds_n(ctx, &who, 7, |_ctx, w, _| {
        let (sb, id, out_dir_s) = (sb.clone(), id.clone(), out_dir_s.clone());
        Box::pin(async move {
            let t = Instant::now();
            match w {
                Who::Ds => {
                    let got = sb
                        .read_file("/tmp/blob-ds.bin")
                        .await
                        .map_err(|e| e.to_string())?;
                    if got.len() != size {
                        return Err(format!("read {} bytes", got.len()));
                    }
                }
                _ => {
                    docker_cli(&["cp", &format!("{id}:/tmp/blob-cli.bin"), &out_dir_s]).await?;
                }
            }
            Ok(ms(t))
        })
    })
    .await?;
    rows.push(row(
        "B6c",
        &format!("{mib} MiB file copied out (read_file vs docker cp)"),
        &who,
        &samples,
        vec![],
    ));
    sb.remove().await.map_err(|e| e.to_string())?;
    Ok(rows)
}

/// B7: peak memory (max RSS, KiB) of the CLI process for an exec and a cold run.
pub async fn b7_memory(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let Some(cli) = ctx.cli.clone() else {
        return Ok(vec![Row {
            id: "B7".into(),
            operation: "peak memory of the CLI".into(),
            results: vec![],
            notes: vec!["skipped: no docksandbox CLI binary beside the bench (build sandbox-cli or set DOCKSANDBOX_BIN)".into()],
        }]);
    };
    if !std::path::Path::new("/usr/bin/time").exists() {
        return Ok(vec![Row {
            id: "B7".into(),
            operation: "peak memory of the CLI".into(),
            results: vec![],
            notes: vec!["skipped: /usr/bin/time is missing (Debian package `time`)".into()],
        }]);
    }
    let sb = running_sandbox(ctx).await?;
    let name = sb.name().to_string();
    let cli_s = cli.to_string_lossy().into_owned();
    let who = vec![Who::Ds, Who::Cli];
    let maxrss = |args: Vec<String>| async move {
        let out = tokio::process::Command::new("/usr/bin/time")
            .arg("-f")
            .arg("%M")
            .args(&args)
            .output()
            .await
            .map_err(|e| e.to_string())?;
        let err = String::from_utf8_lossy(&out.stderr);
        err.lines()
            .last()
            .and_then(|l| l.trim().parse::<f64>().ok())
            .ok_or_else(|| format!("{args:?}: {err}"))
    };
    let samples = rounds_n(ctx, &who, 7, |_ctx, w, _| {
        let (cli_s, name) = (cli_s.clone(), name.clone());
        Box::pin(async move {
            match w {
                Who::Ds => maxrss(vec![cli_s, "exec".into(), name, "true".into()]).await,
                _ => maxrss(vec!["docker".into(), "exec".into(), name, "true".into()]).await,
            }
        })
    })
    .await?;
    sb.remove().await.map_err(|e| e.to_string())?;
    let mut r = row(
        "B7",
        "peak memory of the CLI for `exec NAME true` (KiB, not ms)",
        &who,
        &samples,
        vec![],
    );
    if let Some(first) = r.results.first_mut() {
        first.contestant = "docksandbox CLI".into();
    }
    Ok(vec![r])
}

/// Removes everything this run created.
pub async fn cleanup(ctx: &Ctx) {
    if let Ok(ids) = docker_cli(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label={LABEL}={}", ctx.run_id),
    ])
    .await
    {
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids);
            let _ = docker_cli(&args).await;
        }
    }
}

/// What the table was measured on.
pub async fn machine() -> serde_json::Value {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let engine = docker_cli(&["version", "--format", "{{.Server.Version}}"])
        .await
        .unwrap_or_default();
    serde_json::json!({ "cpus": cpus, "docker": engine.trim() })
}
