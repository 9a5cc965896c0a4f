//! The adversarial input corpus (tests/corpus/inputs.toml): every case through the core
//! (`RunRequest`, or `SandboxBuilder` for raw paths) and then `run` against the engine, the
//! `cli = true` ones through `docksandbox run` as well. Refusals must be `INVALID_SPEC` with the
//! expected field and message and must create nothing; accepted specs must also pass this
//! file's own safety oracle, written independently of the core's rules.
//!
//! One test function: it points `HOME` at a fake home directory for the whole binary (the core
//! reads `HOME`), so no other test may share the process.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{symlink, FileTypeExt};
use std::path::{Path, PathBuf};

use docksandbox::{
    Agent, Error, ErrorKind, ExecOptions, Mount, RunRequest, SandboxBuilder, SandboxSpec,
};
use docksandbox_tests::{cli, docker, docker_inspect, env_or_skip, BUSYBOX, TEST_LABEL};
use serde::Deserialize;

/// Marks what refused cases try to create, so a wrongly accepted one is found afterwards.
const REFUSED_LABEL: &str = "dev.docksandbox.corpus-refused";

#[derive(Debug, Deserialize)]
struct Corpus {
    case: Vec<Case>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Expect {
    Refused,
    Accepted,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Stage {
    #[default]
    Build,
    Run,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MountCase {
    host: String,
    container: String,
    #[serde(default)]
    read_only: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    about: Option<String>,
    expect: Expect,
    field: Option<String>,
    message: Option<String>,
    #[serde(default)]
    cli: bool,
    #[serde(default)]
    stage: Stage,
    api: Option<String>,
    cwd: Option<String>,
    #[serde(default)]
    process_env: BTreeMap<String, String>,
    args: Option<Vec<String>>,
    workspace: Option<String>,
    #[serde(default)]
    volumes: Vec<String>,
    #[serde(default)]
    mounts: Vec<MountCase>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    env_pairs: Vec<String>,
    sandbox_name: Option<String>,
    cpus: Option<f64>,
    memory: Option<String>,
    pids_limit: Option<i64>,
    network: Option<String>,
    credentials: Option<String>,
    template: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    label_pairs: Vec<String>,
    agent: Option<String>,
    command: Option<Vec<String>>,
    mount_docker_socket: Option<bool>,
    ca_bundle: Option<String>,
    share_agent_config: Option<bool>,
    git_guard: Option<bool>,
    workspace_mode: Option<String>,
    #[serde(default)]
    writable: Vec<String>,
    #[serde(default)]
    secrets: Vec<String>,
    #[serde(default)]
    secret_hosts: Vec<String>,
    secret_mode: Option<String>,
    #[serde(default)]
    allow_hosts: Vec<String>,
    #[serde(default)]
    deny_hosts: Vec<String>,
    network_policy: Option<String>,
    #[serde(default)]
    allow_presets: Vec<String>,
    #[serde(default)]
    add_hosts: Vec<String>,
    #[serde(default)]
    ports: Vec<String>,
    ttl: Option<String>,
    idle_stop: Option<String>,
    branch: Option<String>,
}

/// The fixture tree the placeholders point into.
struct Fixtures {
    _dir: tempfile::TempDir,
    tmp: PathBuf,
    home: PathBuf,
    real_home: PathBuf,
    sock: PathBuf,
    run_id: String,
    taken: String,
}

impl Fixtures {
    /// Replaces placeholders, decodes `\xNN`, then pads at `@PAD(n)` (path filler: `/aaa…`
    /// components, else `x`s) so the whole value is n bytes.
    fn expand(&self, s: &str, path: bool) -> Vec<u8> {
        let s = s
            .replace("@TMP", &self.tmp.to_string_lossy())
            .replace("@REALHOME", &self.real_home.to_string_lossy())
            .replace("@HOME", &self.home.to_string_lossy())
            .replace("@SOCK", &self.sock.to_string_lossy())
            .replace("@RUN", &self.run_id)
            .replace("@TAKEN", &self.taken);
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let hex = (b[i] == b'\\' && b.get(i + 1) == Some(&b'x') && i + 4 <= b.len())
                .then(|| std::str::from_utf8(&b[i + 2..i + 4]).ok())
                .flatten()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(v) => {
                    out.push(v);
                    i += 4;
                }
                None => {
                    out.push(b[i]);
                    i += 1;
                }
            }
        }
        if let Some(at) = find(&out, b"@PAD(") {
            let close = at + find(&out[at..], b")").expect("@PAD(n) closes");
            let n: usize = std::str::from_utf8(&out[at + 5..close])
                .unwrap()
                .parse()
                .expect("@PAD(n) holds a number");
            let suffix = out[close + 1..].to_vec();
            out.truncate(at);
            let mut run = usize::MAX; // bytes since the last `/` (none yet: start a component)
            while out.len() + suffix.len() < n {
                if path && run >= 200 {
                    out.push(b'/');
                    run = 0;
                } else {
                    out.push(if path { b'a' } else { b'x' });
                    run = run.saturating_add(1);
                }
            }
            out.extend_from_slice(&suffix);
        }
        out
    }

    fn path(&self, s: &str) -> PathBuf {
        PathBuf::from(OsString::from_vec(self.expand(s, true)))
    }

    fn text(&self, s: &str) -> String {
        String::from_utf8(self.expand(s, false)).expect("UTF-8 text")
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn mkdir(p: &Path) {
    std::fs::create_dir_all(p).unwrap_or_else(|e| panic!("mkdir {}: {e}", p.display()));
}

fn make_fixtures(run_id: &str) -> Fixtures {
    let dir = tempfile::Builder::new()
        .prefix("docksandbox-corpus-")
        .tempdir_in("/tmp")
        .unwrap();
    let tmp = std::fs::canonicalize(dir.path()).unwrap();
    let home = tmp.join("users/me");
    let real_home = passwd_home();
    let fx = Fixtures {
        _dir: dir,
        tmp: tmp.clone(),
        home: home.clone(),
        real_home,
        sock: std::fs::canonicalize("/var/run/docker.sock")
            .unwrap_or_else(|_| PathBuf::from("/var/run/docker.sock")),
        run_id: run_id.to_string(),
        taken: format!("corpus-taken-{run_id}"),
    };
    for d in [
        "ws/sub",
        "data",
        "cases",
        "users/bob/.ssh",
        "engine",
        "look/home",
        "look/etc",
        "look/usr",
        "look/proc",
        "look/run",
        "look/.ssh-notes",
        "look/.sshx",
        "look/ssh",
        "look/my.ssh",
        "look/.aws-backup",
        "look/a:b",
        "look/a,b",
        "look/x:y,z w",
        "look/tab\tx",
        "look/é-ü-日本",
        "look/-rf",
        "look/$(touch pwned);`id`",
        "nl\nx",
        "cr\rx",
        "links",
    ] {
        mkdir(&tmp.join(d));
    }
    mkdir(&fx.path("@TMP/look/long@PAD(1000)"));
    mkdir(&tmp.join(OsStr::from_bytes(b"\xff\xfe")));
    for d in [
        ".ssh",
        ".aws",
        ".docker",
        ".gnupg",
        ".kube",
        ".config/gcloud",
        ".config/gh",
        "project",
        ".ssh-notes",
    ] {
        mkdir(&home.join(d));
    }
    for f in [
        ".ssh/id_rsa",
        ".aws/credentials",
        ".docker/config.json",
        ".netrc",
        ".git-credentials",
        ".bashrc",
        ".gitconfig",
    ] {
        std::fs::write(home.join(f), "secret").unwrap();
    }
    std::fs::write(tmp.join("data.txt"), "data").unwrap();
    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    mkdir(&tmp.join("pem"));
    std::fs::write(tmp.join("pem/ca.pem"), CERT).unwrap();
    std::fs::write(
        tmp.join("pem/cert-and-key.pem"),
        format!("{CERT}-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n"),
    )
    .unwrap();
    let huge = std::fs::File::create(tmp.join("pem/huge.pem")).unwrap();
    huge.set_len((8 << 20) + 1).unwrap();
    // Agent settings shared read-only (--share-agent-config) that lead to secrets.
    mkdir(&home.join(".claude"));
    symlink(home.join(".ssh/id_rsa"), home.join(".claude/settings.json")).unwrap();
    let sharer = tmp.join("users/sharer/.claude");
    mkdir(&sharer);
    symlink(tmp.join("users/bob/.ssh"), sharer.join("commands")).unwrap();
    std::fs::write(tmp.join("file.txt"), "file").unwrap();
    drop(std::os::unix::net::UnixListener::bind(tmp.join("sock")).unwrap());
    drop(std::os::unix::net::UnixListener::bind(tmp.join("engine/docker.sock")).unwrap());
    let fifo = std::process::Command::new("mkfifo")
        .arg(tmp.join("fifo"))
        .status()
        .unwrap();
    assert!(fifo.success(), "mkfifo");
    let l = tmp.join("links");
    for (name, target) in [
        ("to-etc", PathBuf::from("/etc")),
        ("to-root", PathBuf::from("/")),
        ("to-home", home.clone()),
        ("to-home-parent", home.join("..")),
        ("to-ssh", home.join(".ssh")),
        ("to-aws-file", home.join(".aws/credentials")),
        ("chain1", PathBuf::from("chain2")),
        ("chain2", PathBuf::from("chain3")),
        ("chain3", PathBuf::from("/etc")),
        ("chain-home1", PathBuf::from("chain-home2")),
        ("chain-home2", home.clone()),
        ("up", PathBuf::from("../../../../../../../..")),
        ("to-sock", fx.sock.clone()),
        ("to-mysock", tmp.join("sock")),
        ("to-proc-root", PathBuf::from("/proc/self/root")),
        ("loop", PathBuf::from("loop")),
        ("dangling", PathBuf::from("nowhere")),
        ("to-ws", tmp.join("ws")),
        ("to-data", tmp.join("data")),
        ("rel-ws", PathBuf::from("../ws")),
        ("to-key", tmp.join("pem/cert-and-key.pem")),
    ] {
        symlink(target, l.join(name)).unwrap();
    }
    fx
}

/// The current user's home from /etc/passwd (independent of `HOME`).
fn passwd_home() -> PathBuf {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").unwrap().uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let home = passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() >= 6 && f[2] == uid).then(|| PathBuf::from(f[5]))
        })
        .expect("this user has a passwd entry");
    std::fs::canonicalize(&home).unwrap_or(home)
}

// ---------------------------------------------------------------------------------------------
// The oracle: what must never be accepted, written without the core's tables.
// ---------------------------------------------------------------------------------------------

const NEVER_WITHIN: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib64",
    "/proc",
    "/run",
    "/sbin",
    "/sys",
    "/usr",
    "/var/run",
    "/var/lib/docker",
    "/var/spool",
];
const NEVER_ITSELF: &[&str] = &[
    "/", "/home", "/root", "/tmp", "/var", "/var/lib", "/var/tmp", "/mnt", "/media", "/opt", "/srv",
];
const SECRET_NAMES: &[&str] = &[
    ".ssh",
    ".aws",
    ".docker",
    ".gnupg",
    ".kube",
    ".netrc",
    ".git-credentials",
    ".bashrc",
    ".gitconfig",
];

/// Why mounting host path `p` (as accepted) would be dangerous, if it would.
fn host_danger(p: &Path, fx: &Fixtures, engine_socket: Option<&Path>) -> Option<String> {
    let real = std::fs::canonicalize(p).ok()?;
    if real != p {
        return Some(format!(
            "{} was accepted uncanonical ({})",
            p.display(),
            real.display()
        ));
    }
    if NEVER_ITSELF.iter().any(|d| p == Path::new(d)) {
        return Some(format!("{} is a shared or root directory", p.display()));
    }
    if let Some(d) = NEVER_WITHIN.iter().find(|d| p.starts_with(d)) {
        return Some(format!("{} is within {d}", p.display()));
    }
    for h in [&fx.home, &fx.real_home] {
        if h.starts_with(p) {
            return Some(format!("{} contains the home {}", p.display(), h.display()));
        }
    }
    let comps: Vec<&OsStr> = p.iter().collect();
    if let Some(s) = comps
        .iter()
        .find(|c| SECRET_NAMES.iter().any(|s| OsStr::new(s) == **c))
    {
        return Some(format!("{} passes through {s:?}", p.display()));
    }
    if comps
        .windows(2)
        .any(|w| w[0] == ".config" && (w[1] == "gcloud" || w[1] == "gh"))
    {
        return Some(format!("{} is a cloud credentials dir", p.display()));
    }
    for s in [Some(fx.sock.as_path()), engine_socket]
        .into_iter()
        .flatten()
    {
        if s.starts_with(p) {
            return Some(format!("{} holds the engine socket", p.display()));
        }
    }
    let meta = std::fs::metadata(p).ok()?;
    if meta.file_type().is_socket() || !(meta.is_dir() || meta.is_file()) {
        return Some(format!("{} is a socket or device", p.display()));
    }
    None
}

fn container_danger(p: &Path) -> Option<String> {
    if !p.is_absolute() || p == Path::new("/") {
        return Some(format!("target {}", p.display()));
    }
    NEVER_WITHIN
        .iter()
        .find(|d| p.starts_with(d))
        .map(|d| format!("target {} is within {d}", p.display()))
}

fn spec_danger(spec: &SandboxSpec, fx: &Fixtures, engine_socket: Option<&Path>) -> Vec<String> {
    let mut v: Vec<String> = host_danger(&spec.workspace, fx, engine_socket)
        .into_iter()
        .collect();
    for m in &spec.mounts {
        v.extend(host_danger(&m.host, fx, engine_socket));
        v.extend(container_danger(&m.container));
    }
    v
}

// ---------------------------------------------------------------------------------------------
// Running a case
// ---------------------------------------------------------------------------------------------

/// Sets (or, for "", unsets) process variables for one case; restores them when dropped.
struct ProcessEnv(Vec<(String, Option<OsString>)>);

impl ProcessEnv {
    fn set(vars: &BTreeMap<String, String>, fx: &Fixtures) -> ProcessEnv {
        let mut saved = Vec::new();
        for (k, v) in vars {
            saved.push((k.clone(), std::env::var_os(k)));
            if v.is_empty() {
                std::env::remove_var(k);
            } else {
                std::env::set_var(k, fx.text(v));
            }
        }
        ProcessEnv(saved)
    }
}

impl Drop for ProcessEnv {
    fn drop(&mut self) {
        for (k, v) in self.0.drain(..) {
            match v {
                Some(v) => std::env::set_var(&k, v),
                None => std::env::remove_var(&k),
            }
        }
    }
}

impl Case {
    fn default_workspace(&self, fx: &Fixtures) -> PathBuf {
        let p = fx.tmp.join("cases").join(&self.name);
        mkdir(&p);
        p
    }

    fn cwd(&self, fx: &Fixtures) -> PathBuf {
        self.cwd
            .as_deref()
            .map(|c| fx.path(c))
            .unwrap_or_else(|| self.default_workspace(fx))
    }

    /// The workspace as the user typed it (bytes), or the case's own fresh directory.
    fn typed_workspace(&self, fx: &Fixtures) -> Vec<u8> {
        match &self.workspace {
            Some(w) => fx.expand(w, true),
            None => self.default_workspace(fx).into_os_string().into_vec(),
        }
    }

    /// The request a wrapper would build (relative paths taken from the case's `cwd`, as the
    /// CLI run in that directory does), plus the raw parts a `RunRequest` cannot carry.
    fn builder(&self, fx: &Fixtures) -> Result<SandboxBuilder, Error> {
        let cwd = self.cwd(fx);
        let typed = self.typed_workspace(fx);
        let raw = self.api.as_deref() == Some("builder") || std::str::from_utf8(&typed).is_err();
        let ws = if !typed.is_empty() && typed[0] != b'/' && !raw {
            let mut p = cwd.clone().into_os_string().into_vec();
            p.push(b'/');
            p.extend_from_slice(&typed);
            p
        } else {
            typed.clone()
        };
        let volumes = self
            .volumes
            .iter()
            .map(|v| {
                let v = fx.text(v);
                if self.cwd.is_some() && !v.starts_with('/') && !v.starts_with(':') {
                    format!("{}/{v}", cwd.display())
                } else {
                    v
                }
            })
            .collect();
        let req = RunRequest {
            workspace: if raw {
                None
            } else {
                Some(String::from_utf8(ws.clone()).unwrap())
            },
            agent: self.agent.clone().unwrap_or_else(|| "shell".into()),
            command: self.command.clone(),
            template: self.template.clone(),
            env: self
                .env
                .iter()
                .map(|(k, v)| (fx.text(k), fx.text(v)))
                .collect(),
            env_pairs: self.env_pairs.iter().map(|p| fx.text(p)).collect(),
            volumes,
            credentials: self.credentials.clone(),
            mount_docker_socket: self.mount_docker_socket,
            docker: None,
            name: self.sandbox_name.as_deref().map(|n| fx.text(n)),
            recreate: false,
            cpus: self.cpus,
            memory: self.memory.clone(),
            pids_limit: self.pids_limit,
            network: self.network.clone(),
            labels: self.labels.clone(),
            label_pairs: self.label_pairs.clone(),
            ca_bundle: self.ca_bundle.as_deref().map(|c| fx.text(c)),
            share_agent_config: self.share_agent_config,
            git_guard: self.git_guard,
            workspace_mode: self.workspace_mode.clone(),
            writable: self.writable.iter().map(|w| fx.text(w)).collect(),
            secrets: self.secrets.iter().map(|w| fx.text(w)).collect(),
            secret_hosts: self.secret_hosts.clone(),
            secret_mode: self.secret_mode.clone(),
            allow_hosts: self.allow_hosts.clone(),
            deny_hosts: self.deny_hosts.clone(),
            network_policy: self.network_policy.clone(),
            allow_presets: self.allow_presets.clone(),
            add_hosts: self.add_hosts.clone(),
            ports: self.ports.clone(),
            ephemeral: None,
            ttl: self.ttl.clone(),
            idle_stop: self.idle_stop.clone(),
            branch: self.branch.clone(),
            branch_from: None,
        };
        let mut b = req.builder()?;
        if raw {
            b = b.workspace(PathBuf::from(OsString::from_vec(ws)));
        }
        for m in &self.mounts {
            b = b.mount(Mount {
                host: fx.path(&m.host),
                container: fx.path(&m.container),
                read_only: m.read_only,
            });
        }
        Ok(b)
    }

    fn cli_args(&self, fx: &Fixtures, run_id: &str, refused: bool) -> Vec<OsString> {
        let mut a: Vec<OsString> = vec!["run".into(), "-d".into(), "-q".into()];
        a.push("--label".into());
        a.push(format!("{TEST_LABEL}={run_id}").into());
        if refused {
            a.push("--label".into());
            a.push(format!("{REFUSED_LABEL}={}", self.name).into());
        }
        a.push("-t".into());
        a.push(
            self.template
                .clone()
                .unwrap_or_else(|| BUSYBOX.into())
                .into(),
        );
        a.push("-w".into());
        a.push(OsString::from_vec(self.typed_workspace(fx)));
        for v in &self.volumes {
            a.push("-v".into());
            a.push(fx.text(v).into());
        }
        for p in &self.env_pairs {
            a.push("-e".into());
            a.push(fx.text(p).into());
        }
        for (k, v) in &self.env {
            a.push("-e".into());
            a.push(format!("{}={}", fx.text(k), fx.text(v)).into());
        }
        for p in &self.label_pairs {
            a.push("--label".into());
            a.push(p.into());
        }
        for (k, v) in &self.labels {
            a.push("--label".into());
            a.push(format!("{k}={v}").into());
        }
        let opt = |a: &mut Vec<OsString>, flag: &str, v: Option<String>| {
            if let Some(v) = v {
                a.push(format!("--{flag}={v}").into());
            }
        };
        opt(
            &mut a,
            "name",
            self.sandbox_name.as_deref().map(|n| fx.text(n)),
        );
        opt(&mut a, "cpus", self.cpus.map(|c| c.to_string()));
        opt(&mut a, "memory", self.memory.clone());
        opt(&mut a, "pids-limit", self.pids_limit.map(|p| p.to_string()));
        opt(&mut a, "network", self.network.clone());
        opt(&mut a, "network-policy", self.network_policy.clone());
        for (flag, values) in [
            ("allow-host", &self.allow_hosts),
            ("deny-host", &self.deny_hosts),
            ("allow-preset", &self.allow_presets),
            ("add-host", &self.add_hosts),
        ] {
            for v in values {
                a.push(format!("--{flag}={v}").into());
            }
        }
        for p in &self.ports {
            a.push(format!("--publish={p}").into());
        }
        opt(&mut a, "ttl", self.ttl.clone());
        opt(&mut a, "idle-stop", self.idle_stop.clone());
        opt(&mut a, "branch", self.branch.clone());
        opt(&mut a, "credentials", self.credentials.clone());
        opt(&mut a, "workspace-mode", self.workspace_mode.clone());
        for w in &self.secrets {
            a.push(format!("--secret={}", fx.text(w)).into());
        }
        for w in &self.secret_hosts {
            a.push(format!("--secret-host={w}").into());
        }
        opt(&mut a, "secret-mode", self.secret_mode.clone());
        for w in &self.writable {
            a.push(format!("--writable={}", fx.text(w)).into());
        }
        if self.git_guard == Some(false) {
            a.push("--no-git-guard".into());
        }
        if self.mount_docker_socket == Some(true) {
            a.push("--mount-docker-socket".into());
        }
        if self.share_agent_config == Some(true) {
            a.push("--share-agent-config".into());
        }
        opt(
            &mut a,
            "ca-bundle",
            self.ca_bundle.as_deref().map(|c| fx.text(c)),
        );
        a.push(self.agent.clone().unwrap_or_else(|| "shell".into()).into());
        a
    }

    /// Checks a refusal: the kind, and the field and message named.
    fn check_refusal(&self, e: &Error, via: &str) -> Result<(), String> {
        let text = e.to_string();
        if e.kind() != ErrorKind::InvalidSpec {
            return Err(format!(
                "{via}: {:?} instead of INVALID_SPEC: {text}",
                e.kind()
            ));
        }
        if let Some(f) = &self.field {
            if !text.starts_with(&format!("invalid {f}")) {
                return Err(format!("{via}: field `{f}` not named: {text}"));
            }
        }
        if let Some(m) = &self.message {
            if !text.contains(m.as_str()) {
                return Err(format!("{via}: message lacks {m:?}: {text}"));
            }
        }
        Ok(())
    }
}

struct Tally {
    refused: usize,
    accepted: usize,
    via_cli: usize,
    via_engine: usize,
    failures: Vec<String>,
}

#[tokio::test(flavor = "multi_thread")]
async fn the_corpus_of_hostile_inputs_is_refused_and_look_alikes_accepted() {
    let env = env_or_skip!();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/inputs.toml"))
        .unwrap();
    let corpus: Corpus = toml::from_str(&text).expect("tests/corpus/inputs.toml parses");
    let fx = make_fixtures(&env.run_id);
    // The home directory the core protects is this fake one (the passwd home stays protected).
    std::env::set_var("HOME", &fx.home);
    // The real home's .ssh, for the case that it stays refused with HOME elsewhere.
    let real_ssh = fx.real_home.join(".ssh");
    let made_real_ssh = !real_ssh.exists();
    if made_real_ssh {
        mkdir(&real_ssh);
    }
    struct RemoveDir(Option<PathBuf>);
    impl Drop for RemoveDir {
        fn drop(&mut self) {
            if let Some(p) = &self.0 {
                let _ = std::fs::remove_dir(p);
            }
        }
    }
    let _real_ssh_guard = RemoveDir(made_real_ssh.then_some(real_ssh));

    // A container that holds a name, not a sandbox.
    struct Taken(String);
    impl Drop for Taken {
        fn drop(&mut self) {
            docker(&["rm", "-f", &self.0]);
        }
    }
    docker(&[
        "create",
        "--name",
        &fx.taken,
        "--network",
        "none",
        BUSYBOX,
        "true",
    ]);
    let _taken = Taken(fx.taken.clone());

    // A unique custom agent with a credentials path: a refused run must not create its volume.
    let agent_name = format!("corpus{}", std::process::id());
    let volume = docksandbox::credentials_volume(&agent_name);
    let probe_agent = Agent::custom(&agent_name, "sh").with_credential_paths([".corpus"]);

    let mut names = std::collections::BTreeSet::new();
    let mut t = Tally {
        refused: 0,
        accepted: 0,
        via_cli: 0,
        via_engine: 0,
        failures: Vec::new(),
    };
    let mut args_sandbox = None;
    for case in &corpus.case {
        assert!(
            names.insert(case.name.clone()),
            "duplicate case {}",
            case.name
        );
        let mut fail = |why: String| t.failures.push(format!("{}: {why}", case.name));
        match case.expect {
            Expect::Refused => t.refused += 1,
            Expect::Accepted => t.accepted += 1,
        }
        if let Some(args) = &case.args {
            if args_sandbox.is_none() {
                let ws = fx.tmp.join("cases/args");
                mkdir(&ws);
                args_sandbox = Some(env.builder(&ws).run().await.expect("sandbox for args"));
            }
            let sb = args_sandbox.as_ref().unwrap();
            let args: Vec<String> = args.iter().map(|a| fx.text(a)).collect();
            let mut full = vec![
                "-c".to_string(),
                r#"printf '%s\0' "$@""#.to_string(),
                "argv".to_string(),
            ];
            full.extend(args.iter().cloned());
            t.via_engine += 1;
            match (
                case.expect,
                sb.run_agent(&full, ExecOptions::default()).await,
            ) {
                (Expect::Refused, Err(e)) => {
                    if let Err(why) = case.check_refusal(&e, "agent args") {
                        fail(why);
                    }
                }
                (Expect::Refused, Ok(out)) => fail(format!("agent args accepted: {out:?}")),
                (Expect::Accepted, Ok(out)) => {
                    let want: Vec<u8> = args
                        .iter()
                        .flat_map(|a| [a.as_bytes(), b"\0"].concat())
                        .collect();
                    if out.stdout != want || out.exit_code != 0 {
                        fail(format!("agent args not passed verbatim: {out:?}"));
                    }
                }
                (Expect::Accepted, Err(e)) => fail(format!("agent args refused: {e}")),
            }
            continue;
        }

        let engine_socket = case
            .process_env
            .get("DOCKER_HOST")
            .and_then(|h| fx.text(h).strip_prefix("unix://").map(PathBuf::from));
        // 1. The core builds (validates) the request.
        let built = {
            let _vars = ProcessEnv::set(&case.process_env, &fx);
            case.builder(&fx).and_then(|b| b.build())
        };
        match (case.expect, case.stage, &built) {
            (Expect::Refused, Stage::Build, Err(e)) => {
                if let Err(why) = case.check_refusal(e, "build") {
                    fail(why);
                }
            }
            (Expect::Refused, Stage::Build, Ok(spec)) => {
                fail(format!("DANGEROUS INPUT ACCEPTED: {spec:?}"));
            }
            (_, _, Ok(spec)) => {
                for d in spec_danger(spec, &fx, engine_socket.as_deref()) {
                    fail(format!("DANGEROUS SPEC ACCEPTED: {d}"));
                }
            }
            (_, _, Err(e)) => fail(format!("refused by build: {e}")),
        }

        // 2. `run` against the engine refuses the same way, creating nothing.
        if case.expect == Expect::Refused {
            let b = {
                let _vars = ProcessEnv::set(&case.process_env, &fx);
                case.builder(&fx)
            };
            let result = match b {
                Err(e) => Err(e),
                Ok(mut b) => {
                    if case.agent.is_none() && case.command.is_none() {
                        b = b.agent(probe_agent.clone());
                    }
                    if case.template.is_none() {
                        b = b.template(BUSYBOX);
                    }
                    let b = b
                        .client(env.client.clone())
                        .label(TEST_LABEL, &env.run_id)
                        .label(REFUSED_LABEL, &case.name);
                    let _vars = ProcessEnv::set(&case.process_env, &fx);
                    b.run().await
                }
            };
            t.via_engine += 1;
            match result {
                Err(e) => {
                    if let Err(why) = case.check_refusal(&e, "run") {
                        fail(why);
                    }
                }
                Ok(sb) => fail(format!("DANGEROUS INPUT RAN: sandbox {}", sb.name())),
            }
        }

        // 3. The CLI, for the sample marked so.
        if case.cli {
            t.via_cli += 1;
            let refused = case.expect == Expect::Refused;
            let mut cmd = cli();
            cmd.args(case.cli_args(&fx, &env.run_id, refused))
                .current_dir(case.cwd(&fx))
                .env("HOME", &fx.home);
            for (k, v) in &case.process_env {
                if v.is_empty() {
                    cmd.env_remove(k);
                } else {
                    cmd.env(k, fx.text(v));
                }
            }
            let out = cmd.output().expect("run the CLI");
            let stderr = String::from_utf8_lossy(&out.stderr);
            let stdout = String::from_utf8_lossy(&out.stdout);
            if refused {
                let msg = case.message.as_deref().unwrap_or("");
                if out.status.code() != Some(125)
                    || !stderr.contains(msg)
                    || stderr.contains("panicked")
                {
                    fail(format!(
                        "CLI: expected status 125 and {msg:?}; got {:?}: {stderr}",
                        out.status.code()
                    ));
                }
                if stderr.trim().lines().count() != 1 {
                    fail(format!("CLI: the error is not one line: {stderr}"));
                }
            } else if !out.status.success() {
                fail(format!("CLI refused a harmless input: {stderr}"));
            } else if let Ok(spec) = &built {
                // The container the CLI made mounts what the core validated.
                let raw = docker_inspect(stdout.trim());
                let ws = &raw["Config"]["Labels"][docksandbox::label_keys::WORKSPACE];
                if ws.as_str() != spec.workspace.to_str() {
                    fail(format!(
                        "CLI sandbox workspace {ws} != {}",
                        spec.workspace.display()
                    ));
                }
                docker(&["rm", "-f", stdout.trim()]);
            }
        }
    }

    // Nothing was created by any refused case.
    let made = docker(&["ps", "-aq", "--filter", &format!("label={REFUSED_LABEL}")]);
    if !made.trim().is_empty() {
        t.failures
            .push(format!("refused cases created containers: {made}"));
    }
    let vols = docker(&["volume", "ls", "-q", "--filter", &format!("name={volume}")]);
    if !vols.trim().is_empty() {
        t.failures
            .push(format!("refused cases created the volume {volume}"));
        docker(&["volume", "rm", "-f", &volume]);
    }
    eprintln!(
        "corpus: {} cases ({} refused, {} accepted); {} through the engine, {} through the CLI; {} failures",
        corpus.case.len(),
        t.refused,
        t.accepted,
        t.via_engine,
        t.via_cli,
        t.failures.len()
    );
    assert!(corpus.case.len() >= 120, "the corpus shrank");
    assert!(
        t.failures.is_empty(),
        "{} corpus failures:\n{}",
        t.failures.len(),
        t.failures.join("\n")
    );
}
