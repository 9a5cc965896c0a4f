//! Timings of the core operations against the real engine, next to a docker CLI peer.
//!
//! A measurement program, not a test: nothing is asserted. In one run, with warm-up
//! iterations first and A/B order alternating every iteration, it measures:
//!
//! - **cold run**: `Sandbox::builder()…run()` on a fresh workspace (busybox template, no
//!   network) up to the output of a first `exec`, vs
//!   `docker run --rm --network none docksandbox/busybox:test true`;
//! - **re-run**: `run` of the same, already running sandbox, vs a `docker inspect` of that
//!   container (a reference floor: one CLI round trip);
//! - **exec**: `exec(["true"])` on the running sandbox vs `docker exec NAME true`.
//!
//! ```text
//! cargo run -p docksandbox-examples --example core_timings            # 15 iterations
//! cargo run -p docksandbox-examples --example core_timings -- 5       # or DOCKSANDBOX_TIMINGS_N=5
//! ```
//!
//! Every container it creates carries the label `docksandbox-timings=<run id>` and is removed
//! at the end, also when a step fails.
use std::error::Error;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use docksandbox::{Client, NetworkMode, Sandbox, SandboxBuilder, Shell};

type BoxResult<T> = Result<T, Box<dyn Error>>;

const IMAGE: &str = "docksandbox/busybox:test";
const LABEL: &str = "docksandbox-timings";

/// Removes every container labelled with this run's id when dropped (success, error or panic).
struct Cleanup {
    run_id: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let filter = format!("label={LABEL}={}", self.run_id);
        let Ok(out) = Command::new("docker")
            .args(["ps", "-aq", "--filter", &filter])
            .output()
        else {
            return;
        };
        let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(String::from)
            .collect();
        if !ids.is_empty() {
            eprintln!("cleanup: removing {} leftover container(s)", ids.len());
            let _ = Command::new("docker")
                .args(["rm", "-f"])
                .args(&ids)
                .stdout(Stdio::null())
                .status();
        }
    }
}

/// Runs a docker CLI command, output captured; fails unless it exits with 0.
fn docker(args: &[&str]) -> BoxResult<()> {
    let out = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "docker {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    Ok(())
}

fn timed<T>(f: impl FnOnce() -> BoxResult<T>) -> BoxResult<(Duration, T)> {
    let t0 = Instant::now();
    let v = f()?;
    Ok((t0.elapsed(), v))
}

/// Median, min, max in milliseconds.
fn stats(samples: &[Duration]) -> (f64, f64, f64) {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let n = ms.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let median = if n % 2 == 1 {
        ms[n / 2]
    } else {
        (ms[n / 2 - 1] + ms[n / 2]) / 2.0
    };
    (median, ms[0], ms[n - 1])
}

#[derive(Default)]
struct Pair {
    ours: Vec<Duration>,
    peer: Vec<Duration>,
}

fn env_or_arg(arg: Option<String>, var: &str, default: usize) -> BoxResult<usize> {
    match arg.or_else(|| std::env::var(var).ok()) {
        Some(v) => Ok(v
            .parse()
            .map_err(|e| format!("{var}: `{v}` is not a count: {e}"))?),
        None => Ok(default),
    }
}

fn builder(client: &Client, workspace: &Path, run_id: &str) -> SandboxBuilder {
    Sandbox::builder()
        .workspace(workspace)
        .agent(Shell)
        .template(IMAGE)
        .network(NetworkMode::None)
        .label(LABEL, run_id)
        .client(client.clone())
}

fn main() -> BoxResult<()> {
    let n = env_or_arg(std::env::args().nth(1), "DOCKSANDBOX_TIMINGS_N", 15)?;
    let warmup = env_or_arg(None, "DOCKSANDBOX_TIMINGS_WARMUP", 2)?;
    if n == 0 {
        return Err("at least one iteration is needed".into());
    }
    let run_id = format!("{}-{}", std::process::id(), now_secs());
    let _cleanup = Cleanup {
        run_id: run_id.clone(),
    };

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let client = {
        let _enter = rt.enter();
        Client::connect()?
    };
    rt.block_on(client.ping())?;
    let server = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!(
        "docksandbox {} ({} build), Docker {server}, image {IMAGE}; {warmup} warm-up + {n} measured iterations, A/B order alternating",
        docksandbox::VERSION,
        if cfg!(debug_assertions) { "debug" } else { "release" },
    );

    // The long-lived sandbox for re-run and exec.
    let warm_dir = tempfile::Builder::new()
        .prefix("ds-timings-warm-")
        .tempdir()?;
    let warm = rt.block_on(builder(&client, warm_dir.path(), &run_id).run())?;
    let warm_name = warm.name().to_string();

    let (mut cold, mut rerun, mut exec) = (Pair::default(), Pair::default(), Pair::default());
    let mut removes = Vec::new();
    for i in 0..warmup + n {
        let record = i >= warmup;
        let ours_first = i % 2 == 0;
        eprint!(
            "\r{} {}/{}   ",
            if record { "iteration" } else { "warm-up" },
            if record { i - warmup + 1 } else { i + 1 },
            if record { n } else { warmup }
        );

        // (a) cold run to first exec output.
        let cold_ours = || -> BoxResult<(Duration, Duration)> {
            let dir = tempfile::Builder::new()
                .prefix("ds-timings-cold-")
                .tempdir()?;
            let (t, sb) = timed(|| {
                rt.block_on(async {
                    let sb = builder(&client, dir.path(), &run_id).run().await?;
                    let out = sb.exec(["echo", "ok"]).await?;
                    if out.stdout_str() != "ok\n" {
                        return Err(format!("unexpected exec output {:?}", out.stdout_str()).into());
                    }
                    Ok::<_, Box<dyn Error>>(sb)
                })
            })?;
            let (t_rm, ()) = timed(|| Ok(rt.block_on(sb.remove())?))?;
            Ok((t, t_rm))
        };
        let cold_peer = || timed(|| docker(&["run", "--rm", "--network", "none", IMAGE, "true"]));
        // (b) re-run of the running sandbox vs one docker CLI round trip.
        let rerun_ours = || {
            timed(|| {
                let sb = rt.block_on(builder(&client, warm_dir.path(), &run_id).run())?;
                if sb.id() != warm.id() {
                    return Err("re-run returned another sandbox".into());
                }
                Ok(())
            })
        };
        let rerun_peer = || timed(|| docker(&["inspect", &warm_name]));
        // (c) exec on the running sandbox.
        let exec_ours = || {
            timed(|| {
                let out = rt.block_on(warm.exec(["true"]))?;
                if !out.success() {
                    return Err(format!("exec true exited with {}", out.exit_code).into());
                }
                Ok(())
            })
        };
        let exec_peer = || timed(|| docker(&["exec", &warm_name, "true"]));

        let (a_ours, a_rm, a_peer) = if ours_first {
            let (t, rm) = cold_ours()?;
            (t, rm, cold_peer()?.0)
        } else {
            let p = cold_peer()?.0;
            let (t, rm) = cold_ours()?;
            (t, rm, p)
        };
        let (b_ours, b_peer) = if ours_first {
            (rerun_ours()?.0, rerun_peer()?.0)
        } else {
            let p = rerun_peer()?.0;
            (rerun_ours()?.0, p)
        };
        let (c_ours, c_peer) = if ours_first {
            (exec_ours()?.0, exec_peer()?.0)
        } else {
            let p = exec_peer()?.0;
            (exec_ours()?.0, p)
        };
        if record {
            cold.ours.push(a_ours);
            cold.peer.push(a_peer);
            removes.push(a_rm);
            rerun.ours.push(b_ours);
            rerun.peer.push(b_peer);
            exec.ours.push(c_ours);
            exec.peer.push(c_peer);
        }
    }
    eprintln!();
    rt.block_on(warm.remove())?;

    println!();
    let rows = [
        (
            "cold run → first exec output",
            "docker run --rm --network none … true",
            &cold,
        ),
        (
            "re-run of the running sandbox",
            "docker inspect NAME",
            &rerun,
        ),
        ("exec true", "docker exec NAME true", &exec),
    ];
    println!(
        "| {:<30} | {:>24} | {:<38} | {:>24} | {:>5} |",
        "op", "docksandbox ms (min–max)", "peer", "peer ms (min–max)", "ratio"
    );
    println!(
        "|{:-<32}|{:->26}|{:-<40}|{:->26}|{:->7}|",
        "", "", "", "", ""
    );
    for (op, peer, pair) in rows {
        let (om, omin, omax) = stats(&pair.ours);
        let (pm, pmin, pmax) = stats(&pair.peer);
        println!(
            "| {op:<30} | {:>24} | {peer:<38} | {:>24} | {:>5.2} |",
            format!("{om:.1} ({omin:.1}–{omax:.1})"),
            format!("{pm:.1} ({pmin:.1}–{pmax:.1})"),
            om / pm
        );
    }
    let (rm, rmin, rmax) = stats(&removes);
    println!(
        "\nms are medians of {n} runs; ratio = docksandbox median / peer median.\n\
         cold run: the sandbox's removal ({rm:.1} ms median, {rmin:.1}–{rmax:.1}) is not in its time; \
         the peer's `--rm` removal is in the peer's."
    );
    Ok(())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
