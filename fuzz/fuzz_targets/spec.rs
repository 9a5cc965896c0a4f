//! Fuzzes docksandbox's spec parser and validator: `RunRequest` and `SandboxSpec` from JSON,
//! `Mount::parse`, `parse_memory`, and the builder, on paths built from a table of dangerous
//! and harmless prefixes (real fixtures: symlinks to /etc, the home, ~/.ssh, sockets…) followed
//! by fuzzed bytes.
//!
//! Checks: nothing panics, every refusal is `INVALID_SPEC`, and nothing accepted is dangerous by
//! this file's own oracle (written without the core's tables): an accepted workspace or mount
//! source canonicalizes to itself, is not `/`, a system path, a home or its ancestor, a secret
//! or login file, a socket, or a directory holding the engine's socket; a mount target is
//! absolute and outside system paths.

#![no_main]

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{symlink, FileTypeExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use docksandbox::{ErrorKind, Mount, RunRequest, SandboxSpec, Shell};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

struct Fixtures {
    root: PathBuf,
    home: PathBuf,
    real_home: PathBuf,
    engine: PathBuf,
}

/// Made once per process: a fixture tree, a fake HOME and DOCKER_HOST pointing into it.
fn fixtures() -> &'static Fixtures {
    static FX: OnceLock<Fixtures> = OnceLock::new();
    FX.get_or_init(|| {
        // libFuzzer ends with exit(): remove the fixtures of fuzzers no longer running.
        if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix("docksandbox-fuzz-") {
                    if !Path::new("/proc").join(pid).exists() {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
        }
        let dir = std::env::temp_dir().join(format!("docksandbox-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let root = std::fs::canonicalize(&dir).unwrap();
        let home = root.join("users/me");
        for d in [
            "ws/sub",
            "data",
            "engine",
            "users/bob/.ssh",
            "look/home",
            "look/.ssh-notes",
            "links",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for d in [
            ".ssh",
            ".aws",
            ".docker",
            ".gnupg",
            ".config/gcloud",
            "project",
        ] {
            std::fs::create_dir_all(home.join(d)).unwrap();
        }
        for f in [".ssh/id_rsa", ".netrc", ".bashrc", ".gitconfig"] {
            std::fs::write(home.join(f), "secret").unwrap();
        }
        std::fs::write(root.join("data.txt"), "x").unwrap();
        drop(std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap());
        let engine = root.join("engine/docker.sock");
        drop(std::os::unix::net::UnixListener::bind(&engine).unwrap());
        let l = root.join("links");
        for (name, target) in [
            ("to-etc", PathBuf::from("/etc")),
            ("to-root", PathBuf::from("/")),
            ("to-home", home.clone()),
            ("to-ssh", home.join(".ssh")),
            ("to-sock", root.join("sock")),
            ("to-docker-sock", PathBuf::from("/var/run/docker.sock")),
            ("up", PathBuf::from("../../../../..")),
            ("chain", PathBuf::from("to-etc")),
            ("to-ws", root.join("ws")),
            ("loop", PathBuf::from("loop")),
        ] {
            symlink(target, l.join(name)).unwrap();
        }
        // The fuzzer is one thread: setting the process environment here is safe.
        std::env::set_var("HOME", &home);
        std::env::set_var("DOCKER_HOST", format!("unix://{}", engine.display()));
        Fixtures {
            real_home: passwd_home(),
            root,
            home,
            engine,
        }
    })
}

fn passwd_home() -> PathBuf {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").unwrap().uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let home = passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() >= 6 && f[2] == uid).then(|| PathBuf::from(f[5]))
        })
        .unwrap_or_else(|| PathBuf::from("/root"));
    std::fs::canonicalize(&home).unwrap_or(home)
}

const PREFIXES: &[&str] = &[
    "",
    "/",
    "//",
    "/./",
    "/etc",
    "/usr/lib",
    "/proc/self/root",
    "/proc/self/cwd",
    "/dev/null",
    "/var/run/docker.sock",
    "/run",
    "/var/spool",
    "/home",
    "/root",
    "/tmp",
    "relative",
    "@FX",
    "@FX/ws",
    "@FX/ws/sub",
    "@FX/data",
    "@FX/data.txt",
    "@FX/sock",
    "@FX/engine",
    "@FX/users",
    "@FX/users/bob",
    "@FX/look",
    "@FX/look/.ssh-notes",
    "@FX/links/to-etc",
    "@FX/links/to-root",
    "@FX/links/to-home",
    "@FX/links/to-ssh",
    "@FX/links/to-sock",
    "@FX/links/to-docker-sock",
    "@FX/links/up",
    "@FX/links/chain",
    "@FX/links/to-ws",
    "@FX/links/loop",
    "@HOME",
    "@HOME/.ssh",
    "@HOME/.ssh/id_rsa",
    "@HOME/.config",
    "@HOME/.netrc",
    "@HOME/project",
    "@REALHOME",
];

/// Path pieces the fuzzer composes after a prefix: separators, dot forms, names of secrets,
/// fixtures and system directories, and bytes the rules care about.
const PIECES: &[&[u8]] = &[
    b"/",
    b"/",
    b"//",
    b"..",
    b".",
    b".ssh",
    b".aws",
    b".docker",
    b".gnupg",
    b".netrc",
    b".bashrc",
    b".gitconfig",
    b".config",
    b"gcloud",
    b"gh",
    b".ssh-notes",
    b"etc",
    b"usr",
    b"proc",
    b"self",
    b"root",
    b"run",
    b"var",
    b"spool",
    b"users",
    b"bob",
    b"me",
    b"home",
    b"ws",
    b"data",
    b"engine",
    b"docker.sock",
    b"sock",
    b"links",
    b"to-etc",
    b"to-ssh",
    b"up",
    b"loop",
    b":",
    b",",
    b" ",
    b"\n",
    b"\0",
    b"\xff",
    b"x",
];

#[derive(Debug, Arbitrary)]
struct FuzzPath {
    prefix: u8,
    pieces: Vec<u8>,
    tail: Vec<u8>,
}

impl FuzzPath {
    fn bytes(&self, fx: &Fixtures) -> Vec<u8> {
        let p = PREFIXES[self.prefix as usize % PREFIXES.len()];
        let mut b = p
            .replace("@FX", &fx.root.to_string_lossy())
            .replace("@REALHOME", &fx.real_home.to_string_lossy())
            .replace("@HOME", &fx.home.to_string_lossy())
            .into_bytes();
        for &i in &self.pieces {
            b.extend_from_slice(PIECES[i as usize % PIECES.len()]);
        }
        b.extend_from_slice(&self.tail);
        b
    }

    fn path(&self, fx: &Fixtures) -> PathBuf {
        PathBuf::from(OsString::from_vec(self.bytes(fx)))
    }

    fn text(&self, fx: &Fixtures) -> String {
        String::from_utf8_lossy(&self.bytes(fx)).into_owned()
    }
}

/// Mounts and volumes looked at per input (more only slow the fuzzer down).
const MAX_ITEMS: usize = 3;

/// The parts of a request, with paths on the fixture tree.
#[derive(Debug, Arbitrary)]
struct Parts {
    raw_workspace: bool,
    volumes: Vec<(FuzzPath, Option<FuzzPath>, u8)>,
    env_pairs: Vec<String>,
    name: Option<String>,
    memory: Option<String>,
    cpus: Option<f64>,
    pids: Option<i64>,
    network: Option<u8>,
    agent: u8,
    command: Option<Vec<String>>,
}

/// Every input exercises the path rules directly (a spec built by hand), then, when present,
/// the wrappers' request and the JSON a binding or a label holds.
#[derive(Debug, Arbitrary)]
struct Input {
    workspace: FuzzPath,
    mounts: Vec<(FuzzPath, FuzzPath, bool)>,
    request: Option<Parts>,
    /// `(true, s)`: `s` as a `RunRequest`; `(false, s)`: as a stored `SandboxSpec`.
    json: Option<(bool, String)>,
}

// ---- the oracle ---------------------------------------------------------------------------

/// The system paths are the core's own list (one list, checked against the filesystem by
/// the property tests); the rest of the oracle is independent of the validator.
const NEVER_WITHIN: &[&str] = docksandbox::SYSTEM_PATHS;
const NEVER_ITSELF: &[&str] = &[
    "/", "/home", "/root", "/tmp", "/var", "/var/lib", "/var/tmp", "/mnt", "/media", "/opt", "/srv",
];
const SECRET: &[&str] = &[
    ".ssh",
    ".aws",
    ".docker",
    ".gnupg",
    ".netrc",
    ".bashrc",
    ".gitconfig",
];

fn host_danger(p: &Path, fx: &Fixtures) -> Option<String> {
    let real = std::fs::canonicalize(p).ok();
    if real.as_deref() != Some(p) {
        return Some(format!("not canonical: now {real:?}"));
    }
    if NEVER_ITSELF.iter().any(|d| p == Path::new(d)) {
        return Some("a shared or root directory".into());
    }
    if let Some(d) = NEVER_WITHIN.iter().find(|d| p.starts_with(d)) {
        return Some(format!("within {d}"));
    }
    if fx.home.starts_with(p) || fx.real_home.starts_with(p) {
        return Some("a home or an ancestor of one".into());
    }
    if p.iter().any(|c| SECRET.iter().any(|s| OsStr::new(s) == c))
        || p.iter()
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| w[0] == ".config" && w[1] == "gcloud")
    {
        return Some("a secret".into());
    }
    let default_sock = std::fs::canonicalize("/var/run/docker.sock").ok();
    if fx.engine.starts_with(p) || default_sock.is_some_and(|s| s.starts_with(p)) {
        return Some("holds the engine socket".into());
    }
    match std::fs::metadata(p) {
        Ok(m) if m.file_type().is_socket() || !(m.is_dir() || m.is_file()) => {
            Some("a socket or device".into())
        }
        Ok(_) => None,
        Err(e) => Some(format!("unusable: {e}")),
    }
}

fn check_spec(spec: &SandboxSpec, fx: &Fixtures) {
    if let Some(why) = host_danger(&spec.workspace, fx) {
        panic!(
            "dangerous workspace accepted: {} ({why})",
            spec.workspace.display()
        );
    }
    if !spec.workspace.is_dir() {
        panic!("workspace is not a directory: {}", spec.workspace.display());
    }
    for m in &spec.mounts {
        if let Some(why) = host_danger(&m.host, fx) {
            panic!(
                "dangerous mount source accepted: {} ({why})",
                m.host.display()
            );
        }
        let c = &m.container;
        if !c.is_absolute()
            || c == Path::new("/")
            || NEVER_WITHIN.iter().any(|d| c.starts_with(d))
            || c.starts_with("/mnt/docksandbox")
        {
            panic!("dangerous mount target accepted: {}", c.display());
        }
    }
}

fn check<T>(r: docksandbox::Result<T>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidSpec, "refused with {e:?}");
            assert!(!e.to_string().is_empty());
            None
        }
    }
}

/// Existing dangerous places are a sparse set that coverage does not lead to: the first few
/// pieces of the workspace are tried after every prefix, so finding a dangerous suffix for
/// one prefix is enough.
fn every_prefix(input: &Input, fx: &Fixtures) {
    let pieces: Vec<u8> = input.workspace.pieces.iter().take(4).copied().collect();
    if pieces.is_empty() {
        return; // the prefixes themselves are tried by `hand_built`
    }
    for prefix in 0..PREFIXES.len() as u8 {
        let p = FuzzPath {
            prefix,
            pieces: pieces.clone(),
            tail: Vec::new(),
        };
        if let Some(spec) = check(SandboxSpec::new(p.path(fx), Shell).validate()) {
            check_spec(&spec, fx);
        }
    }
}

fn hand_built(input: &Input, fx: &Fixtures) {
    let mut spec = SandboxSpec::new(input.workspace.path(fx), Shell);
    for (h, c, ro) in input.mounts.iter().take(MAX_ITEMS) {
        let m = Mount::new(h.path(fx), c.path(fx));
        spec.mounts.push(if *ro {
            Mount {
                read_only: true,
                ..m
            }
        } else {
            m
        });
    }
    if let Some(spec) = check(spec.validate()) {
        check_spec(&spec, fx);
        // Validation is idempotent.
        assert_eq!(spec.clone().validate().ok().as_ref(), Some(&spec));
    }
}

fn request(input: &Input, parts: &Parts, fx: &Fixtures) {
    const AGENTS: &[&str] = &["shell", "shell", "claude", "codex", "aider", "nope", ""];
    const NETWORKS: &[&str] = &["bridge", "none", "host", ""];
    let volumes: Vec<String> = parts
        .volumes
        .iter()
        .take(MAX_ITEMS)
        .map(|(h, c, ro)| {
            let mut v = h.text(fx);
            if let Some(c) = c {
                v = format!("{v}:{}", c.text(fx));
            }
            match ro % 4 {
                1 => v + ":ro",
                2 => v + ":rw",
                _ => v,
            }
        })
        .collect();
    for v in &volumes {
        let _ = check(Mount::parse(v));
    }
    if let Some(m) = &parts.memory {
        let _ = check(docksandbox::parse_memory(m));
    }
    let req = RunRequest {
        workspace: Some(input.workspace.text(fx)),
        agent: AGENTS[parts.agent as usize % AGENTS.len()].to_string(),
        command: parts.command.clone(),
        env_pairs: parts.env_pairs.clone(),
        volumes,
        name: parts.name.clone(),
        memory: parts.memory.clone(),
        cpus: parts.cpus,
        pids_limit: parts.pids,
        network: parts
            .network
            .map(|n| NETWORKS[n as usize % NETWORKS.len()].to_string()),
        ..Default::default()
    };
    let Some(mut b) = check(req.builder()) else {
        return;
    };
    if parts.raw_workspace {
        b = b.workspace(input.workspace.path(fx));
    }
    if let Some(spec) = check(b.build()) {
        check_spec(&spec, fx);
    }
}

fn json(as_request: bool, s: &str, fx: &Fixtures) {
    if as_request {
        if let Ok(req) = serde_json::from_str::<RunRequest>(s) {
            if let Some(spec) = check(req.builder().and_then(|b| b.build())) {
                check_spec(&spec, fx);
            }
        }
    } else if let Ok(spec) = serde_json::from_str::<SandboxSpec>(s) {
        if let Some(spec) = check(spec.validate()) {
            check_spec(&spec, fx);
        }
    }
}

fuzz_target!(|input: Input| {
    let fx = fixtures();
    every_prefix(&input, fx);
    hand_built(&input, fx);
    if let Some(parts) = &input.request {
        request(&input, parts, fx);
    }
    if let Some((as_request, s)) = &input.json {
        json(*as_request, s, fx);
    }
});
