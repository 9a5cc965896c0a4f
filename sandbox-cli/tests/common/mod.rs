//! Support for the CLI's tests: the built binary against the real engine.
//!
//! Every sandbox a test creates carries `dev.docksandbox.test-run=<id>` (through the hidden
//! `run --label` flag); dropping the [`TestEnv`] removes them, even when the test failed.
//! Without an engine the tests skip with a message, and fail in CI (`CI=true`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The label every test container carries.
pub const TEST_LABEL: &str = "dev.docksandbox.test-run";
/// The tiny image for fast tests.
pub const BUSYBOX: &str = "docksandbox/busybox:test";
/// The Debian image with bash.
pub const DEBIAN: &str = "docksandbox/base:latest";
/// How long one CLI call may take on a loaded machine.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(240);

static SEQ: AtomicU32 = AtomicU32::new(0);

/// The CLI binary, with a timeout.
pub fn cli() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("docksandbox").expect("the docksandbox binary");
    c.timeout(CALL_TIMEOUT);
    c.env_remove("RUST_LOG");
    c
}

/// One test's run id and scratch directory; removes the test's containers when dropped.
#[derive(Debug)]
pub struct TestEnv {
    /// The label value of this test's containers.
    pub run_id: String,
    root: tempfile::TempDir,
}

impl TestEnv {
    /// `None` (test skipped) when no engine answers outside CI; a failure in CI.
    pub fn new() -> Option<TestEnv> {
        let probe = cli().args(["ls", "-q"]).output().expect("run docksandbox");
        if !probe.status.success() {
            let why = String::from_utf8_lossy(&probe.stderr).into_owned();
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("CI=true but no Docker engine answers: {why}");
            }
            eprintln!("SKIPPED: no Docker engine ({why}); run scripts/start-docker.sh");
            return None;
        }
        let run_id = format!(
            "cli{}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let root = tempfile::Builder::new()
            .prefix("docksandbox-cli-test-")
            .tempdir_in("/tmp")
            .expect("tempdir");
        Some(TestEnv { run_id, root })
    }

    /// A fresh workspace directory called `name`, canonical.
    pub fn workspace(&self, name: &str) -> PathBuf {
        let p = self.root.path().join(name);
        std::fs::create_dir_all(&p).expect("workspace dir");
        std::fs::canonicalize(p).expect("canonical workspace")
    }

    /// The label flag value of this test.
    pub fn label(&self) -> String {
        format!("{TEST_LABEL}={}", self.run_id)
    }

    /// `docksandbox run --label <test> -t <busybox> -w <ws>` (append flags, AGENT, args).
    pub fn run(&self, ws: &Path) -> assert_cmd::Command {
        self.run_on(ws, BUSYBOX)
    }

    /// As [`TestEnv::run`] on `template`.
    pub fn run_on(&self, ws: &Path, template: &str) -> assert_cmd::Command {
        let mut c = cli();
        c.args(["run", "--label", &self.label(), "-t", template, "-w"])
            .arg(ws);
        c
    }

    /// Creates (or reuses) the busybox shell sandbox of `ws` and returns its name.
    pub fn detached(&self, ws: &Path) -> String {
        let out = self.run(ws).args(["-d", "shell"]).output().unwrap();
        assert!(out.status.success(), "run -d failed: {}", show(&out));
        stdout(&out).trim().to_string()
    }

    /// As [`TestEnv::detached`] with `--name name`.
    pub fn detached_named(&self, ws: &Path, name: &str) -> String {
        let out = self
            .run(ws)
            .args(["-d", "--name", name, "shell"])
            .output()
            .unwrap();
        assert!(out.status.success(), "run -d failed: {}", show(&out));
        stdout(&out).trim().to_string()
    }

    /// Ids of this test's sandboxes (their proxies not included).
    pub fn containers(&self) -> Vec<String> {
        docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label={}", self.label()),
            "--filter",
            "label=docksandbox.managed=true",
        ])
        .lines()
        .map(str::to_owned)
        .collect()
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // Sandboxes and their proxies, then their networks and volumes.
        docksandbox_tests::remove_labelled(&self.label());
    }
}

/// Skips the test when no engine answers (outside CI).
#[macro_export]
macro_rules! env_or_skip {
    () => {
        match common::TestEnv::new() {
            Some(e) => e,
            None => return,
        }
    };
}

/// Builds `dockerfile` (its text, written into `dir`) as image `tag` with `template build -f`
/// and returns the image id.
pub fn build_dockerfile(dir: &Path, dockerfile: &str, tag: &str) -> String {
    std::fs::write(dir.join("Dockerfile"), dockerfile).unwrap();
    let out = cli()
        .args(["template", "build", "-q", "-f"])
        .arg(dir.join("Dockerfile"))
        .args(["-t", tag])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    docker(&["image", "inspect", "-f", "{{.Id}}", tag])
        .trim()
        .to_string()
}

/// Runs the docker CLI and returns its stdout.
pub fn docker(args: &[&str]) -> String {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Everything about a finished call, for assertion messages.
pub fn show(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

/// Asserts `o` failed with status `code` and one `docksandbox: …` line on stderr holding
/// every one of `words`.
pub fn assert_one_line_error(o: &Output, code: i32, words: &[&str]) {
    assert_eq!(o.status.code(), Some(code), "{}", show(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "not one line: {}", show(o));
    assert!(err.starts_with("docksandbox: "), "{}", show(o));
    for w in words {
        assert!(err.contains(w), "`{w}` missing: {}", show(o));
    }
}

/// `docksandbox inspect <reference>`'s one object.
pub fn inspect(reference: &str) -> serde_json::Value {
    let out = cli().args(["inspect", reference]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("inspect JSON");
    let arr = v.as_array().expect("an array");
    assert_eq!(arr.len(), 1, "{v}");
    arr[0].clone()
}

/// Polls `check` until it gives a value or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `GET /` at `addr` (`127.0.0.1:PORT`) over plain HTTP/1.0, retried for a few seconds: the
/// answer, or an empty string when nothing answers.
pub fn http_get(addr: &str) -> String {
    use std::io::{Read, Write};
    wait_for(Duration::from_secs(10), || {
        let mut s = std::net::TcpStream::connect(addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(s, "GET / HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
        let mut body = String::new();
        s.read_to_string(&mut body).ok()?;
        (!body.is_empty()).then_some(body)
    })
    .unwrap_or_default()
}
