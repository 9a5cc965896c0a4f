//! docksandbox-bench: docksandbox against the docker CLI, docker-py, dockerode and bare
//! bollard, measured in ONE run on one machine, interleaved (the contestants take turns, in an
//! order that rotates every iteration) after warm-up. Prints medians, min/max and the ratio
//! docksandbox / peer for each row; `--json FILE` writes the same.
//!
//! ```text
//! cargo run --release -p docksandbox-bench                 # full run (see BENCHMARKS.md)
//! cargo run -p docksandbox-bench -- --quick                # smoke mode: few iterations, small sizes
//! cargo run --release -p docksandbox-bench -- --only B1,B6 --json bench.json
//! ```

mod branch_rows;
mod docker_rows;
mod driver;
mod ffi_rows;
mod floor;
mod framework_rows;
mod lifetime_rows;
mod mcp_rows;
mod network_rows;
mod rows;
mod speed_rows;
mod stats;
mod workspace_rows;

use std::path::PathBuf;
use std::time::Instant;

use docksandbox::{Client, NetworkMode, SandboxBuilder, Shell};

use driver::Driver;
use stats::Summary;

/// The image every contestant uses.
pub const IMAGE: &str = "docksandbox/busybox:test";
/// Label on every container the bench creates.
pub const LABEL: &str = "dev.docksandbox.bench";

/// The same hardening on both sides: docksandbox's defaults, as docker CLI flags.
pub const HARDENING: &[&str] = &[
    "--network",
    "none",
    "--init",
    "--cap-drop",
    "NET_RAW",
    "--cap-drop",
    "MKNOD",
    "--pids-limit",
    "4096",
];

/// Settings and shared handles of one bench run.
#[derive(Debug)]
pub struct Ctx {
    pub client: Client,
    pub docker: bollard::Docker,
    pub run_id: String,
    pub root: tempfile::TempDir,
    pub iterations: usize,
    pub warmup: usize,
    pub quick: bool,
    pub dockerpy: Option<Driver>,
    pub dockerode: Option<Driver>,
    pub ds_python: Option<Driver>,
    pub ds_node: Option<Driver>,
    pub cli: Option<PathBuf>,
    seq: std::sync::atomic::AtomicUsize,
}

impl Ctx {
    /// A fresh workspace directory.
    pub fn workspace(&self) -> PathBuf {
        let n = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = self.root.path().join(format!("ws{n}"));
        std::fs::create_dir_all(&p).expect("workspace");
        p
    }

    /// The builder every docksandbox contestant uses.
    pub fn builder(&self, ws: &std::path::Path) -> SandboxBuilder {
        docksandbox::Sandbox::builder()
            .client(self.client.clone())
            .workspace(ws)
            .agent(Shell)
            .template(IMAGE)
            .network(NetworkMode::None)
            .label(LABEL, &self.run_id)
    }

    /// Two contestants interleaved (order rotated) over the warm-up and the iterations:
    /// `one(k)` runs contestant `k` (0 = docksandbox, 1 = the peer) once and returns its
    /// milliseconds; the samples of each, warm-up left out.
    pub async fn pair_rounds(
        &self,
        mut one: impl AsyncFnMut(usize) -> Result<f64, String>,
    ) -> Result<[Vec<f64>; 2], String> {
        let mut samples = [Vec::new(), Vec::new()];
        for round in 0..self.warmup + self.iterations {
            for k in self.order(2, round) {
                let took = one(k).await?;
                if round >= self.warmup {
                    samples[k].push(took);
                }
            }
        }
        Ok(samples)
    }

    /// Rotated contestant order for iteration `i`.
    pub fn order(&self, names: usize, i: usize) -> Vec<usize> {
        (0..names).map(|k| (k + i) % names).collect()
    }

    /// Two operations of the docksandbox Python driver, interleaved (order rotated) over the
    /// warm-up and the iterations: the samples of each, or the driver's first error.
    pub async fn ds_python_pair(&mut self, lines: [&str; 2]) -> Result<[Vec<f64>; 2], String> {
        let mut samples = [Vec::new(), Vec::new()];
        for round in 0..self.warmup + self.iterations {
            for k in self.order(2, round) {
                let d = self
                    .ds_python
                    .as_mut()
                    .ok_or("no docksandbox Python driver")?;
                let ms = d.call(lines[k]).await?;
                if round >= self.warmup {
                    samples[k].push(ms);
                }
            }
        }
        Ok(samples)
    }
}

/// One row of results.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub id: String,
    pub operation: String,
    pub results: Vec<Summary>,
    pub notes: Vec<String>,
}

/// Runs `docker ARGS` and returns stdout (errors as strings).
pub async fn docker_cli(args: &[&str]) -> Result<String, String> {
    let out = tokio::process::Command::new("docker")
        .args(args)
        .output()
        .await
        .map_err(|e| format!("docker: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "docker {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Milliseconds since `t`.
pub fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

struct Args {
    quick: bool,
    iterations: Option<usize>,
    json: Option<PathBuf>,
    only: Option<Vec<String>>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        quick: false,
        iterations: None,
        json: None,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => a.quick = true,
            "--iterations" | "-n" => {
                a.iterations = Some(
                    it.next()
                        .and_then(|v| v.parse().ok())
                        .ok_or("--iterations takes a number")?,
                )
            }
            "--json" => a.json = Some(it.next().ok_or("--json takes a file")?.into()),
            "--only" => {
                a.only = Some(
                    it.next()
                        .ok_or("--only takes B1,B2,…")?
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .collect(),
                )
            }
            "-h" | "--help" => {
                println!("usage: docksandbox-bench [--quick] [--iterations N] [--only B1,B2,…] [--json FILE]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

fn find_cli() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("DOCKSANDBOX_BIN") {
        return Some(p.into());
    }
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    let p = dir.join("docksandbox");
    p.exists().then_some(p)
}

fn print_table(rows: &[Row]) {
    println!();
    println!("| row | operation | contestant | median ms | min ms | max ms | docksandbox / peer |");
    println!("|---|---|---|---:|---:|---:|---:|");
    for r in rows {
        for s in &r.results {
            println!(
                "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {} |",
                r.id,
                r.operation,
                s.contestant,
                s.median_ms,
                s.min_ms,
                s.max_ms,
                s.ratio
                    .map(|x| format!("{x:.2}"))
                    .unwrap_or_else(|| "—".into())
            );
        }
        for n in &r.notes {
            println!("|  | note: {n} | | | | | |");
        }
    }
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("docksandbox-bench: {e}");
            std::process::exit(2);
        }
    };
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers");
    let client = Client::connect().expect("client");
    if let Err(e) = client.ping().await {
        eprintln!("docksandbox-bench: {e}");
        std::process::exit(1);
    }
    let py = here.join("dockerpy_driver.py");
    let node = here.join("dockerode_driver.js");
    let ds_py = here.join("docksandbox_py_driver.py");
    let ds_node = here.join("docksandbox_node_driver.js");
    let python = std::env::var("DOCKSANDBOX_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    // The docksandbox Python package lives in its own virtualenv (sandbox-py/test.sh makes it).
    let ds_python = std::env::var("DOCKSANDBOX_BENCH_DS_PYTHON").unwrap_or_else(|_| {
        let venv = here.join("../../sandbox-py/.venv/bin/python");
        if venv.exists() {
            venv.to_string_lossy().into_owned()
        } else {
            python.clone()
        }
    });
    let ctx = Ctx {
        client,
        docker: bollard::Docker::connect_with_defaults().expect("bollard"),
        run_id: format!("bench-{}", std::process::id()),
        root: tempfile::Builder::new()
            .prefix("docksandbox-bench-")
            .tempdir_in("/tmp")
            .expect("tempdir"),
        iterations: args.iterations.unwrap_or(if args.quick { 3 } else { 25 }),
        warmup: if args.quick { 1 } else { 3 },
        quick: args.quick,
        dockerpy: Driver::start("docker-py", &python, &[py.to_str().unwrap()]).await,
        dockerode: Driver::start("dockerode", "node", &[node.to_str().unwrap()]).await,
        ds_python: if ds_py.exists() {
            Driver::start(
                "docksandbox (Python)",
                &ds_python,
                &[ds_py.to_str().unwrap()],
            )
            .await
        } else {
            None
        },
        ds_node: if ds_node.exists() {
            Driver::start("docksandbox (Node)", "node", &[ds_node.to_str().unwrap()]).await
        } else {
            None
        },
        cli: find_cli(),
        seq: Default::default(),
    };
    println!(
        "docksandbox-bench: {} iterations (+{} warm-up), image {IMAGE}, {} mode",
        ctx.iterations,
        ctx.warmup,
        if ctx.quick { "quick" } else { "full" }
    );
    // Row ids as written (`B2c`) or in any case (`b2c`, `B2C`).
    let want = |id: &str| {
        args.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|x| x.eq_ignore_ascii_case(id)))
    };
    let mut ctx = ctx;
    let mut rows = Vec::new();
    let mut failed = false;
    macro_rules! row {
        ($id:literal, $f:expr) => {
            if want($id) {
                eprintln!("{}…", $id);
                match $f.await {
                    Ok(mut r) => rows.append(&mut r),
                    Err(e) => {
                        eprintln!("{} failed: {e}", $id);
                        failed = true;
                    }
                }
            }
        };
    }
    row!("B1", rows::b1_exec(&mut ctx));
    row!("B2", rows::b2_cold(&mut ctx));
    row!("B3", rows::b3_rerun(&mut ctx));
    row!("B2c", speed_rows::b2c_cli_cold(&mut ctx));
    row!("B3c", speed_rows::b3c_cli_rerun(&mut ctx));
    row!("B4", rows::b4_parallel(&mut ctx));
    row!("B4c", speed_rows::b4c_cli_parallel(&mut ctx));
    row!("B5", rows::b5_list(&mut ctx));
    row!("B6", rows::b6_bulk(&mut ctx));
    row!("B7", rows::b7_memory(&mut ctx));
    row!("B8", rows::b8_channel(&mut ctx));
    row!("B9", network_rows::b9_cold_proxy(&mut ctx));
    row!("B10", network_rows::b10_proxy_data(&mut ctx));
    row!("B11", workspace_rows::b11_review_writes(&mut ctx));
    row!("B12", workspace_rows::b12_diff_stat(&mut ctx));
    row!("B13", docker_rows::b13_scoped_docker(&mut ctx));
    row!("B14", network_rows::b14_secret_interception(&mut ctx));
    row!("B15", ffi_rows::b15_ffi_exec(&mut ctx));
    row!("B16", lifetime_rows::b16_ephemeral(&mut ctx));
    row!("B17", branch_rows::b17_branch(&mut ctx));
    row!("B18", mcp_rows::b18_mcp_exec(&mut ctx));
    row!("B21", speed_rows::b21_pool(&mut ctx));
    row!("B22", framework_rows::b22_deepagents_execute(&mut ctx));
    rows::cleanup(&ctx).await;
    print_table(&rows);
    if let Some(path) = args.json {
        let doc = serde_json::json!({
            "machine": rows::machine().await,
            "iterations": ctx.iterations,
            "quick": ctx.quick,
            "rows": rows,
        });
        std::fs::write(&path, serde_json::to_vec_pretty(&doc).expect("json")).expect("write json");
        println!("\nwrote {}", path.display());
    }
    if failed {
        std::process::exit(1);
    }
}
