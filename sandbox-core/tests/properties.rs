//! Property tests of docksandbox's public API:
//!
//! 1. a valid spec survives a JSON round trip unchanged, and validating it is the identity
//!    (and idempotent), whether built by hand or through the builder;
//! 2. `derive_name` is deterministic, tells apart paths with the same basename, and always
//!    yields a valid Docker container name;
//! 3. validation (and `Mount::parse`, `parse_memory`) never panics on any input, every error
//!    is an `Error::InvalidSpec`, and whatever is accepted is a safe place to mount;
//! 4. concrete refusals (bad env names, `/`, system paths, relative paths) and acceptance of
//!    harmless look-alikes (`<tmp>/etc`, `<tmp>/.sshx` …).
//!
//! No Docker engine is needed: everything here is pure validation against the local file system
//! (fixtures live in fresh temporary directories).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use docksandbox::{
    derive_name, parse_memory, Agent, CredentialsMode, Error, ErrorKind, Mount, NetworkMode,
    Resources, Sandbox, SandboxSpec, SECRET_HOME_DIRS, SYSTEM_PATHS,
};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;

const CASES: u32 = 256;

/// Directories that may not be a workspace or mount themselves (their subdirectories may).
const SHARED_DIRS: &[&str] = &[
    "/tmp", "/var/tmp", "/var", "/var/lib", "/mnt", "/media", "/opt", "/srv",
];

/// The directory docksandbox reserves inside every sandbox.
const INTERNAL_DIR: &str = "/mnt/docksandbox";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A fresh temporary directory (under /tmp) and its canonical path.
fn tempdir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("create a tempdir");
    let canon = std::fs::canonicalize(dir.path()).expect("canonicalize the tempdir");
    (dir, canon)
}

/// The host's home directory, canonicalized, as docksandbox sees it.
fn host_home() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    let p = PathBuf::from(home);
    Some(std::fs::canonicalize(&p).unwrap_or(p))
}

/// The field and reason of an `Error::InvalidSpec`; fails the test for any other error.
fn invalid_spec(e: &Error) -> (&str, &str) {
    assert_eq!(e.kind(), ErrorKind::InvalidSpec, "{e:?}");
    match e {
        Error::InvalidSpec { field, reason } => (field, reason),
        other => panic!("expected Error::InvalidSpec, got {other:?}"),
    }
}

/// The safety invariant of any path docksandbox accepts for mounting (host or container side).
fn assert_safe_place(p: &Path, what: &str) {
    assert!(p.is_absolute(), "{what}: {} is not absolute", p.display());
    assert_ne!(p, Path::new("/"), "{what}: `/` was accepted");
    for sys in SYSTEM_PATHS {
        assert!(
            !p.starts_with(sys),
            "{what}: {} is within the system path {sys}",
            p.display()
        );
    }
    for shared in SHARED_DIRS {
        assert_ne!(p, Path::new(shared), "{what}: shared dir accepted");
    }
    if let Some(home) = host_home() {
        assert!(
            !home.starts_with(p),
            "{what}: {} is the home directory or an ancestor of it",
            p.display()
        );
        for secret in SECRET_HOME_DIRS {
            assert!(
                !p.starts_with(home.join(secret)),
                "{what}: {} holds host secrets",
                p.display()
            );
        }
    }
}

/// Whether `n` is a valid Docker container name: `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`, at most 128.
fn is_docker_name(n: &str) -> bool {
    let b = n.as_bytes();
    b.len() >= 2
        && b.len() <= 128
        && b[0].is_ascii_alphanumeric()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

// ---------------------------------------------------------------------------------------------
// 1. Valid specs: JSON round trip, validate is the identity and idempotent
// ---------------------------------------------------------------------------------------------

/// Every part of a valid spec except the paths, which need a tempdir to exist.
#[derive(Debug, Clone)]
struct ValidParts {
    agent: &'static str,
    template: Option<String>,
    env: BTreeMap<String, String>,
    /// (container path suffix, read-only) of each extra mount; hosts are tempdir subdirectories.
    mounts: Vec<(String, bool)>,
    mount_docker_socket: Option<bool>,
    credentials: Option<CredentialsMode>,
    name: Option<String>,
    resources: Resources,
    network: Option<NetworkMode>,
    labels: BTreeMap<String, String>,
}

fn valid_env_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Z_][A-Z0-9_]{0,15}",
        // Anything but `=` and NUL is a valid name (the rule is the kernel's, not the shell's).
        "[^=\\x00]{1,24}",
    ]
}

fn valid_env_value() -> impl Strategy<Value = String> {
    prop_oneof!["[ -~]{0,32}", "[^\\x00]{0,32}"]
}

fn valid_template() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{1,10}(/[a-z0-9._-]{1,10}){0,2}(:[a-zA-Z0-9._-]{1,10})?",
        "[^\\s\\p{Cc}]{1,60}",
    ]
}

fn valid_label_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,10}(\\.[a-z0-9-]{1,10}){0,3}",
        "[^\\s\\p{Cc}]{1,60}",
    ]
    .prop_filter("keys under docksandbox. are reserved", |k| {
        !k.starts_with("docksandbox.")
    })
}

/// CPU counts as people write them (up to three decimals). Arbitrary `f64`s do not all survive
/// the JSON round trip: see `cpus_with_17_significant_digits_round_trip_through_json`.
fn valid_cpus() -> impl Strategy<Value = f64> {
    prop_oneof![
        (1u32..=1_024_000).prop_map(|milli| f64::from(milli) / 1000.0),
        0.001f64..1024.0,
    ]
}

fn valid_resources() -> impl Strategy<Value = Resources> {
    (
        proptest::option::of(valid_cpus()),
        proptest::option::of(Resources::MIN_MEMORY..=(1u64 << 50)),
        proptest::option::of(1i64..=4_194_304),
    )
        .prop_map(|(cpus, memory, pids)| Resources { cpus, memory, pids })
}

fn network() -> impl Strategy<Value = NetworkMode> {
    prop_oneof![Just(NetworkMode::Bridge), Just(NetworkMode::None)]
}

fn credentials() -> impl Strategy<Value = CredentialsMode> {
    prop_oneof![Just(CredentialsMode::Sandbox), Just(CredentialsMode::None)]
}

fn valid_parts() -> impl Strategy<Value = ValidParts> {
    (
        (
            select(Agent::BUILTIN_NAMES.to_vec()),
            proptest::option::of(valid_template()),
            btree_map(valid_env_name(), valid_env_value(), 0..6),
            vec(("[a-z0-9._-]{1,12}", any::<bool>()), 0..3),
            proptest::option::of(any::<bool>()),
        ),
        (
            proptest::option::of(credentials()),
            proptest::option::of("[a-zA-Z0-9][a-zA-Z0-9_.-]{1,127}"),
            valid_resources(),
            proptest::option::of(network()),
            btree_map(valid_label_key(), "[^\\x00]{0,40}", 0..4),
        ),
    )
        .prop_map(
            |(
                (agent, template, env, mounts, mount_docker_socket),
                (credentials, name, resources, network, labels),
            )| ValidParts {
                agent,
                template,
                env,
                mounts,
                mount_docker_socket,
                credentials,
                name,
                resources,
                network,
                labels,
            },
        )
}

/// The spec for `parts` on workspace `ws` (canonical), creating the mount sources under it.
fn valid_spec(parts: &ValidParts, ws: &Path) -> SandboxSpec {
    let mut spec = SandboxSpec::new(ws, Agent::builtin(parts.agent).expect("a built-in agent"));
    spec.template = parts.template.clone();
    spec.env = parts.env.clone();
    for (i, (suffix, read_only)) in parts.mounts.iter().enumerate() {
        let host = ws.join(format!("mount-{i}"));
        std::fs::create_dir(&host).expect("create a mount source");
        // `.`/`..` components are normalized away by validation: keep the target already normal.
        let suffix = suffix.trim_matches('.');
        let container = PathBuf::from(format!("/data/{i}/x{suffix}"));
        spec.mounts.push(Mount {
            host,
            container,
            read_only: *read_only,
        });
    }
    spec.docker = parts.mount_docker_socket.map(|y| {
        if y {
            docksandbox::DockerAccess::Host
        } else {
            docksandbox::DockerAccess::None
        }
    });
    spec.credentials = parts.credentials;
    spec.name = parts.name.clone();
    spec.resources = parts.resources;
    spec.network = parts.network;
    spec.labels = parts.labels.clone();
    spec
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn valid_spec_round_trips_and_validates_idempotently(parts in valid_parts()) {
        let (_guard, ws) = tempdir();
        let spec = valid_spec(&parts, &ws);

        // The JSON form is lossless, before and after validation.
        let json = serde_json::to_string(&spec).expect("serialize");
        let back: SandboxSpec = serde_json::from_str(&json).expect("parse");
        prop_assert_eq!(&back, &spec);

        // Its paths are already canonical: validation changes nothing, and again nothing.
        let validated = match spec.clone().validate() {
            Ok(v) => v,
            Err(e) => return Err(TestCaseError::fail(format!("valid spec refused: {e}"))),
        };
        prop_assert_eq!(&validated, &spec);
        let twice = validated.clone().validate().expect("validating twice");
        prop_assert_eq!(&twice, &validated);

        let json = serde_json::to_string(&validated).expect("serialize");
        prop_assert_eq!(serde_json::from_str::<SandboxSpec>(&json).expect("parse"), validated.clone());

        // The resolved spec (what a sandbox is created with) is valid and round trips as well.
        let resolved = validated.resolved();
        prop_assert_eq!(&resolved.clone().validate().expect("resolved spec is valid"), &resolved);
        let json = serde_json::to_string(&resolved).expect("serialize");
        prop_assert_eq!(serde_json::from_str::<SandboxSpec>(&json).expect("parse"), resolved);

        // The builder describes the same spec.
        let mut b = Sandbox::builder()
            .workspace(&ws)
            .agent(Agent::builtin(parts.agent).expect("a built-in agent"))
            .envs(parts.env.clone());
        if let Some(t) = &parts.template {
            b = b.template(t.clone());
        }
        for m in &spec.mounts {
            b = b.mount(m.clone());
        }
        if let Some(yes) = parts.mount_docker_socket {
            b = b.mount_docker_socket(yes);
        }
        if let Some(c) = parts.credentials {
            b = b.credentials(c);
        }
        if let Some(n) = &parts.name {
            b = b.name(n.clone());
        }
        if let Some(c) = parts.resources.cpus {
            b = b.cpus(c);
        }
        if let Some(m) = parts.resources.memory {
            b = b.memory(m);
        }
        if let Some(p) = parts.resources.pids {
            b = b.pids_limit(p);
        }
        if let Some(n) = parts.network {
            b = b.network(n);
        }
        for (k, v) in &parts.labels {
            b = b.label(k.clone(), v.clone());
        }
        prop_assert_eq!(b.build().expect("builder accepts the valid spec"), validated);
    }
}

// ---------------------------------------------------------------------------------------------
// 2. derive_name
// ---------------------------------------------------------------------------------------------

/// Path strings of every shape: arbitrary unicode, separators, `:`/`,`/spaces, `/`, empty.
fn any_path_string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "(?s).{0,80}",
        4 => "(/[^/]{0,20}){0,5}/?",
        2 => "/[a-z ]{0,8}(/[a-zA-Z0-9 :,._-]{0,60}){1,3}",
        1 => Just(String::new()),
        1 => Just("/".to_string()),
        1 => Just("//".to_string()),
        1 => Just("/..".to_string()),
        1 => Just("/home/me/..".to_string()),
        1 => Just("/home/me/.".to_string()),
        1 => Just("/x/---".to_string()),
        1 => Just("/x/ééé".to_string()),
        1 => Just(format!("/x/{}", "a".repeat(300))),
    ]
}

/// Agent strings of every shape, including ones no agent could be named.
fn any_agent_string() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => select(Agent::BUILTIN_NAMES.to_vec()).prop_map(str::to_string),
        2 => "[a-z0-9][a-z0-9_-]{0,31}",
        4 => "(?s).{0,40}",
        1 => Just(String::new()),
        1 => "[A-Za-z0-9][A-Za-z0-9_-]{32,60}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn derive_name_is_deterministic_and_a_valid_docker_name(
        path in any_path_string(),
        agent in any_agent_string(),
    ) {
        let p = Path::new(&path);
        let name = derive_name(p, &agent);
        prop_assert_eq!(&name, &derive_name(p, &agent), "not deterministic");
        prop_assert_eq!(&name, &derive_name(&PathBuf::from(&path), &agent.clone()));
        prop_assert!(
            is_docker_name(&name),
            "derive_name({:?}, {:?}) = {:?} is not a valid Docker container name",
            path, agent, name
        );
    }

    #[test]
    fn derive_name_of_non_utf8_paths_is_a_valid_docker_name(
        bytes in vec(any::<u8>(), 0..64),
        agent in any_agent_string(),
    ) {
        let p = PathBuf::from(OsString::from_vec(bytes));
        let name = derive_name(&p, &agent);
        prop_assert_eq!(&name, &derive_name(&p, &agent));
        prop_assert!(is_docker_name(&name), "{:?} for {:?}", name, p);
    }

    #[test]
    fn derive_name_tells_apart_paths_with_the_same_basename(
        parents in proptest::collection::btree_set("/[a-z]{1,6}(/[a-z0-9 ._-]{1,6}){0,3}", 2..6),
        base in "[^/]{1,30}",
        agent in any_agent_string(),
    ) {
        let names: Vec<String> = parents
            .iter()
            .map(|parent| derive_name(Path::new(&format!("{parent}/{base}")), &agent))
            .collect();
        let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
        prop_assert_eq!(distinct.len(), names.len(), "collision among {:?}", names);
        for n in &names {
            prop_assert!(is_docker_name(n), "{:?}", n);
        }
    }
}

#[test]
fn derive_name_keeps_the_readable_parts() {
    let a = derive_name(Path::new("/home/me/My Project"), "claude");
    let b = derive_name(Path::new("/srv/other/My Project"), "claude");
    let c = derive_name(Path::new("/home/me/My Project"), "codex");
    assert!(a.starts_with("claude-My-Project-"), "{a}");
    assert!(b.starts_with("claude-My-Project-"), "{b}");
    assert!(c.starts_with("codex-My-Project-"), "{c}");
    assert_ne!(a, b);
    assert_ne!(a, c);
    for p in ["/", "", "/a:b,c d", "/x/..", "/x/ ", "/x/\u{1F600}"] {
        let n = derive_name(Path::new(p), "shell");
        assert!(is_docker_name(&n), "{p:?} -> {n:?}");
    }
}

/// Regression: `derive_name` once kept a leading `-`/`_` of the agent string, giving a name the
/// engine refuses (`^[a-zA-Z0-9]`).
#[test]
fn derive_name_with_agent_starting_with_dash_or_underscore() {
    for agent in ["-", "_", "-x", "_claude", "!-a"] {
        let n = derive_name(Path::new("/home/me/project"), agent);
        assert!(is_docker_name(&n), "{agent:?} -> {n:?}");
    }
}

/// Regression: without serde_json's `float_roundtrip` feature some 17-significant-digit numbers
/// came back one ULP off, so a stored `cpus` differed from the requested one and a re-run
/// reported a spurious `ConfigChanged`.
#[test]
fn cpus_with_17_significant_digits_round_trip_through_json() {
    let (_guard, ws) = tempdir();
    for cpus in [197.813_821_016_243_22, 126.854_955_959_422_57] {
        let mut spec = SandboxSpec::new(&ws, Agent::builtin("shell").expect("shell"));
        spec.resources.cpus = Some(cpus);
        let spec = spec.validate().expect("valid cpus");
        let json = serde_json::to_string(&spec).expect("serialize");
        let back: SandboxSpec = serde_json::from_str(&json).expect("parse");
        assert_eq!(back.resources.cpus, Some(cpus), "{json}");
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Validation never panics; every error is an InvalidSpec; what passes is safe
// ---------------------------------------------------------------------------------------------

/// Where a generated path starts. `@TMP` entries are fixtures in the case's tempdir.
const PREFIXES: &[&str] = &[
    "",
    "/",
    "//",
    "/./",
    "/tmp",
    "/var/tmp",
    "/etc",
    "/usr/lib",
    "/proc/self",
    "/proc/self/root",
    "/proc/self/fd/0",
    "/dev/null",
    "/run",
    "/var/run",
    "/var/lib/docker",
    "/mnt/docksandbox",
    "/root",
    "/home",
    "relative",
    "./x",
    "~",
    "@TMP",
    "@TMP/dir",
    "@TMP/dir/sub",
    "@TMP/file",
    "@TMP/to-etc",
    "@TMP/to-root",
    "@TMP/to-home",
    "@TMP/to-tmp",
    "@TMP/up",
    "@TMP/loop",
    "@TMP/dangling",
    "@TMP/sock",
];

/// Pieces appended to a prefix.
const PIECES: &[&[u8]] = &[
    b"/",
    b"/",
    b"..",
    b".",
    b"a",
    b"dir",
    b"sub",
    b"file",
    b"etc",
    b".ssh",
    b"\0",
    b"\xff",
    b"\xc3",
    b":",
    b",",
    b" ",
    b"\n",
    b"\r",
    "é".as_bytes(),
    b"=",
];

/// A path to generate, resolved against the case's tempdir by [`PathGen::build`].
#[derive(Debug, Clone)]
enum PathGen {
    Composed(usize, Vec<usize>),
    Raw(Vec<u8>),
    Text(String),
    Long {
        len: usize,
        in_tmp: bool,
    },
    /// The case's tempdir followed by this suffix.
    InTmp(&'static str),
}

impl PathGen {
    fn build(&self, tmp: &Path) -> PathBuf {
        let tmp = tmp.as_os_str().as_encoded_bytes();
        let bytes: Vec<u8> = match self {
            PathGen::Composed(prefix, pieces) => {
                let prefix = PREFIXES[*prefix].as_bytes();
                let mut b = match prefix.strip_prefix(b"@TMP") {
                    Some(rest) => [tmp, rest].concat(),
                    None => prefix.to_vec(),
                };
                for &i in pieces {
                    b.extend_from_slice(PIECES[i]);
                }
                b
            }
            PathGen::Raw(b) => b.clone(),
            PathGen::Text(s) => s.as_bytes().to_vec(),
            PathGen::Long { len, in_tmp } => {
                let mut b = if *in_tmp { tmp.to_vec() } else { Vec::new() };
                while b.len() < *len {
                    b.extend_from_slice(b"/abcdefg");
                }
                b.truncate(*len);
                b
            }
            PathGen::InTmp(suffix) => [tmp, suffix.as_bytes()].concat(),
        };
        PathBuf::from(OsString::from_vec(bytes))
    }
}

/// Paths in the tempdir that are good workspaces / mount sources (`file` only as a mount).
fn good_host_path() -> impl Strategy<Value = PathGen> {
    select(vec![
        "",
        "/dir",
        "/dir/",
        "/dir/sub",
        "/dir/./sub/..",
        "//dir//sub",
        "/file",
    ])
    .prop_map(PathGen::InTmp)
}

/// Container paths that are good mount targets (unless the same target is used twice).
fn good_container_path() -> impl Strategy<Value = PathGen> {
    prop_oneof![
        "/data/[a-z]{1,4}".prop_map(PathGen::Text),
        "/data/\\.\\./[a-z]{1,4}/\\.?/?".prop_map(PathGen::Text),
    ]
}

fn path_gen() -> impl Strategy<Value = PathGen> {
    prop_oneof![
        6 => (0..PREFIXES.len(), vec(0..PIECES.len(), 0..6))
            .prop_map(|(p, pieces)| PathGen::Composed(p, pieces)),
        2 => vec(any::<u8>(), 0..48).prop_map(PathGen::Raw),
        2 => "(?s).{0,40}".prop_map(PathGen::Text),
        1 => (4080usize..4110, any::<bool>())
            .prop_map(|(len, in_tmp)| PathGen::Long { len, in_tmp }),
        1 => (255usize..270).prop_map(|len| PathGen::Text(format!("/tmp/{}", "n".repeat(len)))),
    ]
}

/// The fixtures `@TMP/...` names: a directory, a file, symlinks out and around, a socket.
fn make_fixtures(tmp: &Path) {
    use std::os::unix::fs::symlink;
    std::fs::create_dir_all(tmp.join("dir/sub")).expect("fixture dir");
    std::fs::write(tmp.join("file"), b"x").expect("fixture file");
    symlink("/etc", tmp.join("to-etc")).expect("symlink");
    symlink("/", tmp.join("to-root")).expect("symlink");
    if let Some(home) = host_home() {
        symlink(home, tmp.join("to-home")).expect("symlink");
    }
    symlink("/tmp", tmp.join("to-tmp")).expect("symlink");
    symlink("../../..", tmp.join("up")).expect("symlink");
    symlink("loop", tmp.join("loop")).expect("symlink");
    symlink("nowhere", tmp.join("dangling")).expect("symlink");
    // The listener is dropped at once; the socket file stays.
    drop(std::os::unix::net::UnixListener::bind(tmp.join("sock")).expect("socket"));
}

fn any_agent() -> impl Strategy<Value = Agent> {
    let text =
        || prop_oneof![4 => "[a-z0-9._/-]{0,10}", 2 => "(?s).{0,12}", 1 => Just("\0".to_string())];
    prop_oneof![
        4 => select(Agent::BUILTIN_NAMES.to_vec())
            .prop_map(|n| Agent::builtin(n).expect("a built-in agent")),
        1 => (
            prop_oneof!["[a-z0-9][a-z0-9_-]{0,31}", "(?s).{0,40}"],
            vec(text(), 0..3),
            vec(text(), 0..3),
            vec(text(), 0..3),
            vec(prop_oneof!["[A-Z_]{1,8}", "(?s).{0,8}"], 0..3),
            text(),
            vec(text(), 0..3),
            vec(prop_oneof!["[a-z0-9.*-]{1,12}(:[0-9]{1,6})?", "(?s).{0,12}"], 0..2),
        )
            .prop_map(|(name, command, args, creds, keys, template, config, hosts)| Agent {
                name,
                command,
                default_args: args,
                credential_paths: creds,
                api_key_env: keys,
                default_template: template,
                user_config_paths: config,
                network_hosts: hosts,
                secret_hosts: Vec::new(),
                env: Vec::new(),
            }),
    ]
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "(?s).{0,20}",
        2 => "[a-zA-Z0-9_.-]{0,12}",
        1 => Just(String::new()),
        1 => Just("a\0b".to_string()),
    ]
}

fn any_env_key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => any_text(),
        2 => "[A-Z_]{1,6}=[a-z]{0,3}",
        1 => Just("K".repeat(1025)),
        1 => Just("K".repeat(1024)),
    ]
}

fn any_env_value() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => any_text(),
        1 => Just("v".repeat(128 * 1024)),
        1 => Just("v".repeat(128 * 1024 + 1)),
    ]
}

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => any::<f64>(),
        2 => -2000.0f64..2000.0,
        1 => select(vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            5e-324,
            0.000_999_9,
            0.001,
            0.000_500_1,
            1024.0,
            1_024.000_000_1,
            f64::MAX,
            f64::MIN,
        ]),
    ]
}

fn any_resources() -> impl Strategy<Value = Resources> {
    (
        proptest::option::of(any_f64()),
        proptest::option::of(prop_oneof![
            any::<u64>(),
            select(vec![
                0,
                1,
                Resources::MIN_MEMORY - 1,
                Resources::MIN_MEMORY,
                1 << 50,
                (1 << 50) + 1,
                u64::MAX
            ]),
        ]),
        proptest::option::of(prop_oneof![
            any::<i64>(),
            select(vec![i64::MIN, -1, 0, 1, 4_194_304, 4_194_305, i64::MAX]),
        ]),
    )
        .prop_map(|(cpus, memory, pids)| Resources { cpus, memory, pids })
}

#[derive(Debug, Clone)]
struct AnySpec {
    workspace: PathGen,
    agent: Agent,
    template: Option<String>,
    env: BTreeMap<String, String>,
    mounts: Vec<(PathGen, PathGen, bool)>,
    name: Option<String>,
    resources: Resources,
    labels: BTreeMap<String, String>,
    socket: Option<bool>,
    credentials: Option<CredentialsMode>,
    network: Option<NetworkMode>,
}

fn any_spec() -> impl Strategy<Value = AnySpec> {
    (
        (
            prop_oneof![3 => good_host_path(), 2 => path_gen()],
            any_agent(),
            proptest::option::of(prop_oneof![3 => valid_template(), 1 => any_text()]),
            btree_map(
                prop_oneof![8 => valid_env_name(), 1 => any_env_key()],
                prop_oneof![8 => valid_env_value(), 1 => any_env_value()],
                0..4,
            ),
            vec(
                (
                    prop_oneof![3 => good_host_path(), 1 => path_gen()],
                    prop_oneof![3 => good_container_path(), 1 => path_gen()],
                    any::<bool>(),
                ),
                0..3,
            ),
        ),
        (
            proptest::option::of(prop_oneof![any_text(), "[a-zA-Z0-9][a-zA-Z0-9_.-]{0,140}"]),
            prop_oneof![3 => valid_resources(), 1 => any_resources()],
            btree_map(
                prop_oneof![
                    6 => valid_label_key(),
                    1 => any_text(),
                    1 => "docksandbox\\.[a-z]{0,6}"
                ],
                prop_oneof![6 => "[^\\x00]{0,40}", 1 => any_text()],
                0..3,
            ),
            proptest::option::of(any::<bool>()),
            proptest::option::of(credentials()),
            proptest::option::of(network()),
        ),
    )
        .prop_map(
            |(
                (workspace, agent, template, env, mounts),
                (name, resources, labels, socket, credentials, network),
            )| AnySpec {
                workspace,
                agent,
                template,
                env,
                mounts,
                name,
                resources,
                labels,
                socket,
                credentials,
                network,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn validate_never_panics_and_only_refuses_with_invalid_spec(g in any_spec()) {
        let (_guard, tmp) = tempdir();
        make_fixtures(&tmp);
        let mut spec = SandboxSpec::new(g.workspace.build(&tmp), g.agent.clone());
        spec.template = g.template.clone();
        spec.env = g.env.clone();
        spec.mounts = g
            .mounts
            .iter()
            .map(|(h, c, ro)| Mount { host: h.build(&tmp), container: c.build(&tmp), read_only: *ro })
            .collect();
        spec.name = g.name.clone();
        spec.resources = g.resources;
        spec.labels = g.labels.clone();
        spec.docker = g.socket.map(|y| if y { docksandbox::DockerAccess::Host } else { docksandbox::DockerAccess::None });
        spec.credentials = g.credentials;
        spec.network = g.network;

        match spec.clone().validate() {
            Err(e) => {
                let (field, reason) = invalid_spec(&e);
                prop_assert!(!field.is_empty() && !reason.is_empty(), "{:?}", e);
            }
            Ok(v) => {
                // Whatever passes is a canonical directory in a safe place …
                prop_assert!(v.workspace.is_dir());
                prop_assert_eq!(&std::fs::canonicalize(&v.workspace).expect("canonical"), &v.workspace);
                assert_safe_place(&v.workspace, "workspace");
                for m in &v.mounts {
                    prop_assert_eq!(&std::fs::canonicalize(&m.host).expect("canonical"), &m.host);
                    assert_safe_place(&m.host, "mount host");
                    assert_safe_place(&m.container, "mount container");
                    prop_assert!(!m.container.starts_with(INTERNAL_DIR));
                }
                // … validation is idempotent, and the JSON form is lossless.
                prop_assert_eq!(&v.clone().validate().expect("validate twice"), &v);
                let json = serde_json::to_string(&v).expect("serialize");
                prop_assert_eq!(&serde_json::from_str::<SandboxSpec>(&json).expect("parse"), &v);
            }
        }
    }

    #[test]
    fn mount_parse_never_panics(s in prop_oneof![
        "(?s).{0,40}",
        "[/a-z:,. ]{0,20}(:(ro|rw|readonly|RO|))?",
        "(:|ro|rw|readonly|/a|){0,6}",
    ]) {
        match Mount::parse(&s) {
            Ok(m) => {
                prop_assert!(!m.host.as_os_str().is_empty());
                prop_assert!(!m.container.as_os_str().is_empty());
                prop_assert!(!m.host.to_string_lossy().contains(':'));
                prop_assert!(!m.container.to_string_lossy().contains(':'));
            }
            Err(e) => {
                let (field, _) = invalid_spec(&e);
                prop_assert_eq!(field, "volume");
            }
        }
    }

    #[test]
    fn mount_display_parses_back(
        host in "[^:\\x00]{1,20}",
        container in proptest::option::of("[^:\\x00]{1,20}"),
        read_only in any::<bool>(),
    ) {
        let flags = ["ro", "rw", "readonly"];
        prop_assume!(!flags.contains(&host.as_str()));
        prop_assume!(container.as_deref().is_none_or(|c| !flags.contains(&c)));
        let container = container.unwrap_or_else(|| host.clone());
        let m = Mount { host: host.into(), container: container.into(), read_only };
        prop_assert_eq!(Mount::parse(&m.to_string()).expect("parse display"), m);
    }

    #[test]
    fn parse_memory_never_panics(s in prop_oneof![
        "(?s).{0,24}",
        "[ \\t]*[-+]?[0-9.]{0,24}[eE]?[ \\t]*[bBkKmMgGtTiIpP]{0,3}[ \\t]*",
        "[0-9]{15,40}[kmgt]?",
    ]) {
        match parse_memory(&s) {
            Ok(n) => prop_assert!((1..=1u64 << 60).contains(&n), "{} -> {}", s, n),
            Err(e) => {
                let (field, _) = invalid_spec(&e);
                prop_assert_eq!(field, "memory");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Concrete refusals and harmless look-alikes
// ---------------------------------------------------------------------------------------------

/// `key` holds `=` or NUL, or is empty.
fn bad_env_key() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        4 => ("(?s).{0,8}", prop_oneof![Just("="), Just("\0")], "(?s).{0,8}")
            .prop_map(|(a, bad, b)| format!("{a}{bad}{b}")),
    ]
}

/// Every existing path in `SYSTEM_PATHS`, and a few entries of each existing directory.
fn existing_system_paths() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sys in SYSTEM_PATHS {
        let p = Path::new(sys);
        if !p.exists() {
            continue;
        }
        out.push(p.to_path_buf());
        if let Ok(rd) = std::fs::read_dir(p) {
            // Children that resolve outside the system paths (e.g. /dev/stdout -> a log file)
            // are judged where they lead, so they are not system paths.
            let inside = |c: &PathBuf| {
                std::fs::canonicalize(c)
                    .is_ok_and(|r| SYSTEM_PATHS.iter().any(|s| r.starts_with(s)))
            };
            out.extend(rd.flatten().map(|e| e.path()).filter(inside).take(4));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn env_names_with_eq_nul_or_empty_are_refused(
        bad in bad_env_key(),
        good in btree_map("[A-Z_][A-Z0-9_]{0,8}", "[ -~]{0,8}", 0..3),
    ) {
        let (_guard, ws) = tempdir();
        let mut spec = SandboxSpec::new(&ws, Agent::builtin("shell").expect("shell"));
        spec.env = good;
        spec.env.insert(bad.clone(), "value".into());
        let e = spec.validate().expect_err("a bad env name must be refused");
        let (field, reason) = invalid_spec(&e);
        prop_assert!(field.starts_with("env"), "field {:?}", field);
        if bad.is_empty() {
            prop_assert!(reason.contains("empty"), "reason {:?}", reason);
        } else {
            prop_assert!(reason.contains("`=` or NUL"), "reason {:?}", reason);
        }
    }

    #[test]
    fn env_values_with_nul_are_refused(
        name in "[A-Z_][A-Z0-9_]{0,8}",
        a in "[^\\x00]{0,8}",
        b in "[^\\x00]{0,8}",
    ) {
        let (_guard, ws) = tempdir();
        let mut spec = SandboxSpec::new(&ws, Agent::builtin("shell").expect("shell"));
        spec.env.insert(name.clone(), format!("{a}\0{b}"));
        let e = spec.validate().expect_err("a NUL in a value must be refused");
        let (field, reason) = invalid_spec(&e);
        prop_assert_eq!(field, format!("env.{name}"));
        prop_assert!(reason.contains("NUL"), "reason {:?}", reason);
    }

    #[test]
    fn relative_workspaces_are_refused(rel in "[^/\\x00\\n\\r][^\\x00\\n\\r]{0,40}") {
        let e = SandboxSpec::new(&rel, Agent::builtin("shell").expect("shell"))
            .validate()
            .expect_err("a relative workspace must be refused");
        let (field, reason) = invalid_spec(&e);
        prop_assert_eq!(field, "workspace");
        prop_assert!(reason.contains("relative"), "reason {:?}", reason);
    }

    /// System paths are refused however they are reached: directly, through `..` out of a
    /// tempdir, through `//` and `/./`, or through a symlink.
    #[test]
    fn system_paths_are_refused_however_reached(
        sys in select(SYSTEM_PATHS.to_vec()),
        extra_ups in 0usize..4,
        how in 0u8..4,
        agent in select(Agent::BUILTIN_NAMES.to_vec()),
    ) {
        let (_guard, tmp) = tempdir();
        let rel = sys.trim_start_matches('/');
        let ws = match how {
            0 => PathBuf::from(sys),
            1 => {
                let ups = tmp.components().count() - 1 + extra_ups;
                PathBuf::from(format!("{}/{}{rel}", tmp.display(), "../".repeat(ups)))
            }
            2 => PathBuf::from(format!("//{}", rel.replace('/', "/./"))),
            _ => {
                let link = tmp.join("link");
                std::os::unix::fs::symlink(sys, &link).expect("symlink");
                link
            }
        };
        let e = SandboxSpec::new(&ws, Agent::builtin(agent).expect("agent"))
            .validate()
            .expect_err("a system path must be refused");
        let (field, reason) = invalid_spec(&e);
        prop_assert_eq!(field, "workspace");
        if Path::new(sys).is_dir() {
            prop_assert!(reason.contains("system path"), "{} via {}: {:?}", sys, ws.display(), reason);
        }
    }

    /// Any ordinary subdirectory of a tempdir is a fine workspace and mount source, whatever its
    /// name (`etc`, `proc`, unicode …): rules apply to real locations, not to names — except the
    /// names of secrets and login files (`.ssh`, `.netrc` …), refused in any home.
    #[test]
    fn any_tempdir_subdirectory_is_accepted(
        names in vec("[^/\\x00\\n\\r]{1,20}", 1..4),
    ) {
        prop_assume!(names.iter().all(|n| n != "." && n != ".."));
        prop_assume!(names.iter().all(|n| {
            !SECRET_HOME_DIRS.iter().any(|s| s.split('/').next() == Some(n.as_str()))
        }));
        let (_guard, tmp) = tempdir();
        let dir = names.iter().fold(tmp.clone(), |p, n| p.join(n));
        std::fs::create_dir_all(&dir).expect("create the look-alike");
        let spec = SandboxSpec::new(&dir, Agent::builtin("shell").expect("shell"));
        let v = match spec.validate() {
            Ok(v) => v,
            Err(e) => return Err(TestCaseError::fail(format!("{} refused: {e}", dir.display()))),
        };
        prop_assert_eq!(&v.workspace, &dir);
    }
}

#[test]
fn root_tmp_and_home_are_refused() {
    let (_guard, tmp) = tempdir();
    let mut refused: Vec<PathBuf> = [
        "/", "//", "/.", "/..", "/tmp", "/tmp/", "/tmp/.", "/var/tmp", "/var/lib", "/var",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    refused.push(tmp.join(".."));
    if let Some(home) = host_home() {
        refused.push(home.clone());
        refused.extend(home.ancestors().map(Path::to_path_buf));
        for secret in SECRET_HOME_DIRS {
            refused.push(home.join(secret));
        }
    }
    for ws in refused {
        match SandboxSpec::new(&ws, Agent::builtin("claude").expect("claude")).validate() {
            Ok(v) => panic!("{} was accepted as {}", ws.display(), v.workspace.display()),
            Err(e) => {
                let (field, _) = invalid_spec(&e);
                assert_eq!(field, "workspace", "{}", ws.display());
            }
        }
    }
}

#[test]
fn existing_system_paths_and_their_contents_are_refused() {
    let paths = existing_system_paths();
    assert!(!paths.is_empty(), "no system path exists on this machine?");
    for ws in paths {
        for agent in Agent::BUILTIN_NAMES {
            let e = SandboxSpec::new(&ws, Agent::builtin(agent).expect("agent"))
                .validate()
                .expect_err(&format!("{} must be refused", ws.display()));
            let (field, reason) = invalid_spec(&e);
            assert_eq!(field, "workspace");
            if ws.is_dir() {
                assert!(reason.contains("system path"), "{}: {reason}", ws.display());
            }
        }
    }
}

#[test]
fn system_paths_are_refused_as_mounts_but_look_alikes_are_not() {
    let (_guard, tmp) = tempdir();
    let shell = || Agent::builtin("shell").expect("shell");
    for sys in existing_system_paths() {
        // As a mount source …
        let mut spec = SandboxSpec::new(&tmp, shell());
        spec.mounts.push(Mount::read_only(&sys, "/data"));
        let e = spec.validate().expect_err("system mount source");
        assert_eq!(invalid_spec(&e).0, "mounts[0].host", "{}", sys.display());
        // … and as a mount target.
        let src = tmp.join("src");
        std::fs::create_dir_all(&src).expect("mount source");
        let mut spec = SandboxSpec::new(&tmp, shell());
        spec.mounts.push(Mount::new(&src, &sys));
        let e = spec.validate().expect_err("system mount target");
        assert_eq!(
            invalid_spec(&e).0,
            "mounts[0].container",
            "{}",
            sys.display()
        );
    }
}

#[test]
fn harmless_look_alikes_are_accepted() {
    let (_guard, tmp) = tempdir();
    let look_alikes = [
        ".sshx",
        // Not `.ssh` or `.aws`: a secret directory is refused wherever it is (another user's
        // home, a backup of one), not only under HOME.
        "ssh",
        ".aws-backup",
        "etc",
        "usr",
        "usr/lib",
        "proc",
        "sys",
        "dev",
        "bin",
        "run",
        "boot",
        "var/run",
        "var/lib/docker",
        "tmp",
        "root",
        "home",
        "etc passwd",
        "a:b,c",
        "mnt/docksandbox",
    ];
    for name in look_alikes {
        let dir = tmp.join(name);
        std::fs::create_dir_all(&dir).expect("create the look-alike");
        // As a workspace …
        let v = SandboxSpec::new(&dir, Agent::builtin("codex").expect("codex"))
            .validate()
            .unwrap_or_else(|e| panic!("{} refused as workspace: {e}", dir.display()));
        assert_eq!(v.workspace, dir);
        // … and as a mount source at a look-alike target.
        let mut spec = SandboxSpec::new(&tmp, Agent::builtin("gemini").expect("gemini"));
        spec.mounts
            .push(Mount::read_only(&dir, Path::new("/data").join(name)));
        let v = spec
            .validate()
            .unwrap_or_else(|e| panic!("{} refused as mount: {e}", dir.display()));
        assert_eq!(v.mounts[0].host, dir);
    }
}
