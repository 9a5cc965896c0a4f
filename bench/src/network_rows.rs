//! The network rows: what the egress proxy costs, against the open bridge, in one run.
//! - B9: cold run to first exec, `proxy` vs `bridge` (the proxy container and network included);
//! - B10: a download from the test internet's server through the proxy vs direct on the bridge
//!   (throughput), and a small HTTPS request through the proxy vs direct (latency), both timed
//!   by curl inside the sandbox so exec overhead is left out;
//! - B14: a small HTTPS request to a secret's host (intercepted, the value added) vs to another
//!   host (a plain tunnel), from one sandbox.
//!
//! B10 needs the test internet (root: a network namespace; `tests/src/internet.rs`); without it
//! the row says why and is skipped.

use std::time::Instant;

use docksandbox::{NetworkMode, NetworkPolicy, Sandbox};
use docksandbox_tests::internet::{Internet, PUBLIC};

use crate::stats::pair_row;
use crate::{ms, Ctx, Row};

type Res<T> = Result<T, String>;

/// B9: cold `run` to first exec, `proxy` against `bridge`.
pub async fn b9_cold_proxy(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let mut samples = [Vec::new(), Vec::new()];
    let modes = [NetworkMode::Proxy, NetworkMode::Bridge];
    for round in 0..ctx.warmup + ctx.iterations {
        for k in ctx.order(2, round) {
            let ws = ctx.workspace();
            let t = Instant::now();
            let sb = ctx
                .builder(&ws)
                .network(modes[k])
                .run()
                .await
                .map_err(|e| e.to_string())?;
            sb.exec(["true"]).await.map_err(|e| e.to_string())?;
            let took = ms(t);
            sb.remove().await.map_err(|e| e.to_string())?;
            if round >= ctx.warmup {
                samples[k].push(took);
            }
        }
    }
    Ok(vec![pair_row(
        "B9",
        "cold run to first exec: proxy network vs bridge",
        ["docksandbox (proxy)", "docksandbox (bridge, peer)"],
        samples,
        vec![
            "proxy includes its own network and the egress proxy container; removal not timed"
                .into(),
        ],
    )])
}

/// curl's own `time_total` in seconds (as milliseconds) for `args` inside `sb`.
async fn curl_ms(sb: &Sandbox, args: &[&str]) -> Res<f64> {
    let mut cmd = vec![
        "curl",
        "-sk",
        "-o",
        "/dev/null",
        "-w",
        "%{time_total} %{http_code}",
    ];
    cmd.extend_from_slice(args);
    let out = sb.exec(cmd).await.map_err(|e| e.to_string())?;
    let text = out.stdout_str();
    let mut it = text.split_whitespace();
    let secs: f64 = it
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or(format!("curl said {text:?}"))?;
    if it.next() != Some("200") {
        return Err(format!("curl {args:?}: {text} {}", out.stderr_str()));
    }
    Ok(secs * 1000.0)
}

/// B10: download throughput and small-request latency through the proxy vs direct.
pub async fn b10_proxy_data(ctx: &mut Ctx) -> Res<Vec<Row>> {
    if effective_uid() != 0 {
        return Ok(vec![Row {
            id: "B10".into(),
            operation: "proxy throughput and latency".into(),
            results: Vec::new(),
            notes: vec!["skipped: the test internet needs root".into()],
        }]);
    }
    let _net = Internet::start();
    let mut policy = NetworkPolicy::default();
    policy
        .hosts
        .insert("bench.test".into(), vec![PUBLIC.into()]);
    let proxied = ctx
        .builder(&ctx.workspace())
        .template("docksandbox/base:latest")
        .network(NetworkMode::Proxy)
        .network_policy(policy)
        .run()
        .await
        .map_err(|e| e.to_string())?;
    let direct = ctx
        .builder(&ctx.workspace())
        .template("docksandbox/base:latest")
        .network(NetworkMode::Bridge)
        .run()
        .await
        .map_err(|e| e.to_string())?;
    let size: u64 = if ctx.quick { 8 << 20 } else { 256 << 20 };
    let big_proxy = format!("http://bench.test/bytes/{size}");
    let big_direct = format!("http://{PUBLIC}/bytes/{size}");
    let small_proxy = "https://bench.test/".to_string();
    let small_direct = format!("https://{PUBLIC}/");
    let (mut big, mut small) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    let iterations = ctx.iterations.min(if ctx.quick { 2 } else { 10 });
    for round in 0..ctx.warmup + iterations {
        for k in ctx.order(2, round) {
            let (sb, big_url, small_url, extra): (&Sandbox, &str, &str, &[&str]) = if k == 0 {
                (&proxied, &big_proxy, &small_proxy, &[])
            } else {
                (&direct, &big_direct, &small_direct, &["--noproxy", "*"])
            };
            let mut a = extra.to_vec();
            a.push(big_url);
            let b = curl_ms(sb, &a).await?;
            let mut a = extra.to_vec();
            a.push(small_url);
            let s = curl_ms(sb, &a).await?;
            if round >= ctx.warmup {
                big[k].push(b);
                small[k].push(s);
            }
        }
    }
    let mib = size as f64 / f64::from(1 << 20);
    let throughput = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2)
            .map(|m| mib / (m / 1000.0))
            .unwrap_or(0.0)
    };
    let notes = vec![format!(
        "{mib:.0} MiB from the test internet's server: {:.0} MiB/s through the proxy, {:.0} MiB/s direct (throughput ratio proxy/direct = direct time / proxy time)",
        throughput(&big[0]),
        throughput(&big[1])
    )];
    let rows = vec![
        pair_row(
            "B10d",
            &format!("download {mib:.0} MiB: proxy vs direct (bridge)"),
            ["docksandbox (proxy)", "direct on the bridge (peer)"],
            big,
            notes,
        ),
        pair_row(
            "B10l",
            "small HTTPS request (TLS handshake + GET): proxy vs direct",
            ["docksandbox (proxy)", "direct on the bridge (peer)"],
            small,
            vec!["timed by curl inside the sandbox (time_total)".into()],
        ),
    ];
    let _ = proxied.remove().await;
    let _ = direct.remove().await;
    Ok(rows)
}

/// This process's effective uid, from `/proc/self` (no libc call).
fn effective_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX)
}

/// B14: a small HTTPS request to a secret's host (the proxy terminates TLS, adds the value,
/// and opens verified TLS to the server) vs the same request to a host no secret is for (a
/// plain tunnel), from one sandbox to the same test-internet server.
pub async fn b14_secret_interception(ctx: &mut Ctx) -> Res<Vec<Row>> {
    if effective_uid() != 0 {
        return Ok(vec![Row {
            id: "B14".into(),
            operation: "secret interception latency".into(),
            results: Vec::new(),
            notes: vec!["skipped: the test internet needs root".into()],
        }]);
    }
    let net = Internet::start();
    std::env::set_var(docksandbox::PROXY_UPSTREAM_CA_ENV, net.cert_path());
    std::env::set_var("DS_BENCH_SECRET", "bench-secret-value");
    let mut policy = NetworkPolicy::default();
    for name in ["api.anthropic.com", "bench.test"] {
        policy.hosts.insert(name.into(), vec![PUBLIC.into()]);
    }
    let sb = ctx
        .builder(&ctx.workspace())
        .template("docksandbox/base:latest")
        .network(NetworkMode::Proxy)
        .network_policy(policy)
        .secret(docksandbox::Secret::from_env("DS_BENCH_SECRET").host("api.anthropic.com"))
        .run()
        .await
        .map_err(|e| e.to_string())?;
    let header = "x-api-key: $DS_BENCH_SECRET".to_string();
    let mut samples = [Vec::new(), Vec::new()];
    let iterations = ctx.iterations.min(if ctx.quick { 3 } else { 20 });
    for round in 0..ctx.warmup + iterations {
        for k in ctx.order(2, round) {
            // Both with -k: the server's own certificate (tunnel) is self-signed, and a
            // verifying curl spends most of its time loading the system's roots, the same
            // for both; what is timed is what the proxy adds.
            let args: Vec<&str> = if k == 0 {
                vec!["-H", &header, "https://api.anthropic.com/"]
            } else {
                vec!["-H", &header, "https://bench.test/"]
            };
            let ms = curl_ms_sh(&sb, &args).await?;
            if round >= ctx.warmup {
                samples[k].push(ms);
            }
        }
    }
    let _ = sb.remove().await;
    std::env::remove_var(docksandbox::PROXY_UPSTREAM_CA_ENV);
    drop(net);
    Ok(vec![pair_row(
        "B14",
        "small HTTPS request: to a secret's host (intercepted) vs to another host (tunnel)",
        [
            "docksandbox (interception)",
            "docksandbox (plain tunnel, peer)",
        ],
        samples,
        vec![
            "timed by curl inside the sandbox (time_total); target: ≤ 1.3× and ≤ 2 ms added".into(),
        ],
    )])
}

/// As [`curl_ms`], through `bash -c` so that `$VAR` in the arguments is the sandbox's own
/// (the placeholder).
async fn curl_ms_sh(sb: &Sandbox, args: &[&str]) -> Res<f64> {
    let quoted: Vec<String> = args.iter().map(|a| format!("\"{a}\"")).collect();
    let script = format!(
        "curl -s -k -o /dev/null -w '%{{time_total}} %{{http_code}}' {}",
        quoted.join(" ")
    );
    let out = sb
        .exec(["bash", "-c", &script])
        .await
        .map_err(|e| e.to_string())?;
    let text = out.stdout_str();
    let mut it = text.split_whitespace();
    let secs: f64 = it
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or(format!("curl said {text:?} {}", out.stderr_str()))?;
    if it.next() != Some("200") {
        return Err(format!("curl {args:?}: {text} {}", out.stderr_str()));
    }
    Ok(secs * 1000.0)
}
