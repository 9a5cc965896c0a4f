//! Support for the cross-crate tests that drive a real Docker engine.
//!
//! Every container a test makes carries the label `dev.docksandbox.test-run=<id>`; dropping
//! the [`TestEnv`] removes them all, even when the test failed. Without an engine the tests
//! skip with a message on a laptop, and fail loudly in CI (`CI=true`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use docksandbox::{Client, Sandbox, SandboxBuilder};

/// The label every test container carries.
pub const TEST_LABEL: &str = "dev.docksandbox.test-run";
/// The tiny image for fast tests (scripts/build-images.sh).
pub const BUSYBOX: &str = "docksandbox/busybox:test";
/// The Debian image with bash, git, sudo, curl and an `agent` user.
pub const DEBIAN: &str = "docksandbox/base:latest";

static SEQ: AtomicU32 = AtomicU32::new(0);

/// One test's engine connection, run id and scratch directory.
#[derive(Debug)]
pub struct TestEnv {
    /// The client every sandbox of the test uses.
    pub client: Client,
    /// This test's id (label value).
    pub run_id: String,
    root: tempfile::TempDir,
}

impl TestEnv {
    /// Connects to the engine; `None` (test skipped) when there is none outside CI.
    pub async fn new() -> Option<TestEnv> {
        let client = Client::connect().expect("client");
        if let Err(e) = client.ping().await {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("CI=true but no Docker engine answers: {e}");
            }
            eprintln!("SKIPPED: no Docker engine ({e}); run scripts/start-docker.sh");
            return None;
        }
        let run_id = format!(
            "t{}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let root = tempfile::Builder::new()
            .prefix("docksandbox-test-")
            .tempdir_in("/tmp")
            .expect("tempdir");
        Some(TestEnv {
            client,
            run_id,
            root,
        })
    }

    /// A fresh workspace directory called `name` (may hold spaces, `:` …).
    pub fn workspace(&self, name: &str) -> PathBuf {
        let p = self.root.path().join(name);
        std::fs::create_dir_all(&p).expect("workspace dir");
        p
    }

    /// A builder for `workspace` with this test's client and label, on the busybox image.
    pub fn builder(&self, workspace: &Path) -> SandboxBuilder {
        Sandbox::builder()
            .client(self.client.clone())
            .workspace(workspace)
            .agent(docksandbox::Shell)
            .template(BUSYBOX)
            .label(TEST_LABEL, &self.run_id)
    }

    /// A builder with this test's client and label, on the busybox image, and no workspace:
    /// what a warm pool takes.
    pub fn pool_builder(&self) -> SandboxBuilder {
        Sandbox::builder()
            .client(self.client.clone())
            .agent(docksandbox::Shell)
            .template(BUSYBOX)
            .label(TEST_LABEL, &self.run_id)
    }

    /// Ids of the sandboxes this test created (their proxies not included).
    pub fn containers(&self) -> Vec<String> {
        docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label={TEST_LABEL}={}", self.run_id),
            "--filter",
            "label=docksandbox.managed=true",
        ])
        .lines()
        .map(str::to_owned)
        .collect()
    }

    /// Ids of every container this test made (sandboxes, proxies, forwarders), sorted: what
    /// "nothing was made" compares, unaffected by other tests on the same engine.
    pub fn all_labelled(&self) -> Vec<String> {
        let mut ids: Vec<String> = docker(&[
            "ps",
            "-aq",
            "--no-trunc",
            "--filter",
            &format!("label={TEST_LABEL}={}", self.run_id),
        ])
        .lines()
        .map(str::to_owned)
        .collect();
        ids.sort();
        ids
    }

    /// Ids of the egress proxies of this test's sandboxes.
    pub fn proxies(&self) -> Vec<String> {
        docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label={TEST_LABEL}={}", self.run_id),
            "--filter",
            "label=docksandbox.proxy-for",
        ])
        .lines()
        .map(str::to_owned)
        .collect()
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        remove_labelled(&format!("{TEST_LABEL}={}", self.run_id));
    }
}

/// Removes every container, then every network and volume, carrying `label` (`key=value`).
pub fn remove_labelled(label: &str) {
    let filter = format!("label={label}");
    for (kind, list) in [
        ("container", vec!["ps", "-aq", "--filter", &filter]),
        ("network", vec!["network", "ls", "-q", "--filter", &filter]),
        ("volume", vec!["volume", "ls", "-q", "--filter", &filter]),
    ] {
        let ids: Vec<String> = docker(&list).lines().map(str::to_owned).collect();
        if ids.is_empty() {
            continue;
        }
        let mut args = match kind {
            "container" => vec!["rm", "-f"],
            other => vec![other, "rm"],
        };
        args.extend(ids.iter().map(String::as_str));
        docker(&args);
    }
}

/// Runs the docker CLI and returns its stdout (panics when it cannot start).
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `docker inspect` of a container as JSON.
pub fn docker_inspect(id: &str) -> serde_json::Value {
    let s = docker(&["inspect", id]);
    let v: serde_json::Value = serde_json::from_str(&s).expect("docker inspect JSON");
    v[0].clone()
}

/// Skips the test when no engine answers (outside CI).
#[macro_export]
macro_rules! env_or_skip {
    () => {
        match $crate::TestEnv::new().await {
            Some(e) => e,
            None => return,
        }
    };
}

/// The `docksandbox` CLI binary of this workspace, with a generous timeout (a hang fails the
/// test instead of blocking it). Built by `cargo test --workspace` (scripts/test.sh); when a
/// single test binary is run alone, build it first: `cargo build -p docksandbox-cli`.
pub fn cli() -> assert_cmd::Command {
    // Test binaries live in target/<profile>/deps; the CLI in target/<profile>.
    let path = std::env::var_os("DOCKSANDBOX_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let exe = std::env::current_exe().expect("test binary path");
            let profile_dir = exe.parent().and_then(Path::parent).expect("target dir");
            profile_dir.join("docksandbox")
        });
    assert!(
        path.exists(),
        "{} is missing: build the CLI first (`cargo build -p docksandbox-cli`)",
        path.display()
    );
    let mut c = assert_cmd::Command::new(path);
    c.timeout(std::time::Duration::from_secs(240));
    c.env_remove("RUST_LOG");
    c
}
pub mod internet;
