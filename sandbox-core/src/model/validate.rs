//! The validation rules for every host path, container path, name and value of a spec.
//!
//! Host paths are canonicalized (symlinks resolved) before the rules run, so `..`, `//`, `/./`
//! and symlink chains are judged by where they really lead.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::mount::Mount;

/// Longest path accepted (Linux `PATH_MAX`).
pub const PATH_MAX: usize = 4096;
/// Longest environment value accepted (Linux `MAX_ARG_STRLEN`).
pub const ENV_VALUE_MAX: usize = 128 * 1024;

/// System directories that may be neither a workspace, a mount source nor a mount target,
/// nor anything inside them.
pub const SYSTEM_PATHS: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/proc",
    "/run",
    "/sbin",
    "/sys",
    "/usr",
    "/var/run",
    "/var/lib/docker",
    "/var/lib/containerd",
    // cron and at spools: a writable mount is code execution on the host.
    "/var/spool",
];

/// Directories that may be neither a workspace nor a mount, but whose subdirectories may.
pub const SHARED_DIRS: &[&str] = &[
    "/home", "/root", "/tmp", "/var/tmp", "/var", "/var/lib", "/mnt", "/media", "/opt", "/srv",
];

/// Home-relative paths holding host secrets, or run by the host's shells and git (writing them
/// is code execution on the host): never mounted through the generic options, nor anything
/// inside them. They are recognized wherever they appear in a path, not only under `HOME`: the
/// homes of other users, and backups of a home, hold the same secrets.
pub const SECRET_HOME_DIRS: &[&str] = &[
    ".ssh",
    ".aws",
    ".azure",
    ".docker",
    ".gnupg",
    ".kube",
    ".password-store",
    ".config/gcloud",
    ".config/gh",
    ".netrc",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    ".gitconfig",
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".profile",
    ".zshrc",
    ".zprofile",
];

/// The host's home directory (canonicalized): `HOME`, else this user's entry in /etc/passwd,
/// so a process started without `HOME` (a service, cron) still protects it.
pub(crate) fn host_home() -> Option<PathBuf> {
    let p = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(passwd_home)?;
    Some(std::fs::canonicalize(&p).unwrap_or(p))
}

/// The home /etc/passwd gives this user (canonicalized, read once): protected even when `HOME`
/// points elsewhere (`sudo -E`, services, a test's fake home).
fn passwd_home_cached() -> Option<&'static Path> {
    static HOME: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    HOME.get_or_init(|| passwd_home().map(|p| std::fs::canonicalize(&p).unwrap_or(p)))
        .as_deref()
}

/// The engine sockets a mount must not expose, canonicalized.
fn engine_sockets() -> Vec<PathBuf> {
    crate::model::paths::engine_sockets()
        .into_iter()
        .map(|p| std::fs::canonicalize(&p).unwrap_or_else(|_| normalize_lexically(&p)))
        .collect()
}

/// Whether `p` has the components of `rel` (e.g. `.config/gcloud`) in a row, anywhere.
fn has_components(p: &Path, rel: &str) -> bool {
    let want: Vec<&std::ffi::OsStr> = Path::new(rel).iter().collect();
    let have: Vec<&std::ffi::OsStr> = p.iter().collect();
    have.windows(want.len()).any(|w| w == want.as_slice())
}

/// The home directory /etc/passwd gives the current user (uid read from /proc/self).
fn passwd_home() -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 6 && f[2] == uid && !f[5].is_empty()).then(|| PathBuf::from(f[5]))
    })
}

/// Turns a user-typed path into an absolute one, relative to the current directory
/// (what `-w .` means on a command line). Does not touch the file system otherwise.
///
/// ```
/// let p = docksandbox::absolutize("project").unwrap();
/// assert!(p.is_absolute() && p.ends_with("project"));
/// ```
pub fn absolutize(p: impl AsRef<Path>) -> Result<PathBuf> {
    let p = p.as_ref();
    if p.is_absolute() {
        Ok(p.to_path_buf())
    } else {
        // `./data` is shown as `/cwd/data`, not `/cwd/./data` (`..` is left to canonicalizing).
        Ok(std::env::current_dir()?.join(p).components().collect())
    }
}

fn raw_checks(p: &Path, field: &str) -> Result<()> {
    let bytes = p.as_os_str().as_bytes();
    if bytes.is_empty() {
        return Err(Error::invalid(field, "is empty"));
    }
    if bytes.contains(&0) {
        return Err(Error::invalid(field, "contains a NUL byte"));
    }
    if bytes.len() > PATH_MAX {
        return Err(Error::invalid(
            field,
            format!(
                "is {} bytes long; paths are limited to {PATH_MAX}",
                bytes.len()
            ),
        ));
    }
    if p.to_str().is_none() {
        return Err(Error::invalid(
            field,
            format!(
                "`{}` is not valid UTF-8; the engine would mount a different path",
                p.display()
            ),
        ));
    }
    if bytes.contains(&b'\n') || bytes.contains(&b'\r') {
        return Err(Error::invalid(field, "contains a line break"));
    }
    if !p.is_absolute() {
        return Err(Error::invalid(
            field,
            format!("`{}` is relative; give an absolute path", p.display()),
        ));
    }
    Ok(())
}

/// Lexically normalizes an absolute path (`.`, `..`, `//`), without touching the file system.
pub(crate) fn normalize_lexically(p: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

fn is_within(p: &Path, dir: &Path) -> bool {
    p == dir || p.starts_with(dir)
}

/// The rules every path that ends up mounted obeys, whether on the host or in the container.
fn placement_rules(p: &Path, field: &str, home: Option<&Path>) -> Result<()> {
    if p == Path::new("/") {
        return Err(Error::invalid(
            field,
            "`/` may not be mounted (the whole file system)",
        ));
    }
    for sys in SYSTEM_PATHS {
        if is_within(p, Path::new(sys)) {
            return Err(Error::invalid(
                field,
                format!(
                    "{} is a system path ({sys} and everything in it is refused)",
                    p.display()
                ),
            ));
        }
    }
    for home in home.into_iter().chain(passwd_home_cached()) {
        if home.starts_with(p) {
            return Err(Error::invalid(
                field,
                format!(
                    "{} is the home directory or an ancestor of it (it would expose ~/.ssh, ~/.aws …); use a project directory",
                    p.display()
                ),
            ));
        }
    }
    for home in home.into_iter().chain(passwd_home_cached()) {
        if let Some(secret) = SECRET_HOME_DIRS
            .iter()
            .find(|s| is_within(p, &home.join(s)))
        {
            return Err(secret_error(p, field, secret));
        }
    }
    for shared in SHARED_DIRS {
        if p == Path::new(shared) {
            return Err(Error::invalid(
                field,
                format!(
                    "{} is a shared system directory; use a directory inside it",
                    p.display()
                ),
            ));
        }
    }
    Ok(())
}

/// A host agent-config path to share read-only: canonical, a regular file or directory, and
/// allowed by the placement rules (a symlink to `~/.ssh` or `/etc` is refused).
pub(crate) fn shared_config_source(p: &Path, home: &Path) -> Result<PathBuf> {
    let field = "share_agent_config";
    raw_checks(p, field)?;
    let canon = std::fs::canonicalize(p)
        .map_err(|e| Error::invalid(field, format!("`{}`: {e}", p.display())))?;
    raw_checks(&canon, field)?;
    let meta = std::fs::metadata(&canon)
        .map_err(|e| Error::invalid(field, format!("`{}`: {e}", canon.display())))?;
    if !meta.is_file() && !meta.is_dir() {
        return Err(Error::invalid(
            field,
            format!("`{}` is not a regular file or directory", canon.display()),
        ));
    }
    placement_rules(&canon, field, Some(home))?;
    host_rules(&canon, field)?;
    Ok(canon)
}

fn secret_error(p: &Path, field: &str, secret: &str) -> Error {
    Error::invalid(
        field,
        format!(
            "{} holds host secrets or login scripts ({secret}) and is never mounted",
            p.display()
        ),
    )
}

/// The rules for host paths only (a container path named `.ssh` exposes nothing of the host):
/// no secret or login file of any home (another user's, a backup of one), and no directory
/// holding the engine's socket, which hands the agent the engine like the socket itself.
fn host_rules(p: &Path, field: &str) -> Result<()> {
    if let Some(secret) = SECRET_HOME_DIRS.iter().find(|s| has_components(p, s)) {
        return Err(secret_error(p, field, secret));
    }
    engine_socket_rule(p, field)
}

fn engine_socket_rule(p: &Path, field: &str) -> Result<()> {
    match engine_sockets().into_iter().find(|s| s.starts_with(p)) {
        Some(s) => Err(Error::invalid(
            field,
            format!(
                "{} holds the Docker engine's socket ({}), which gives control of the host; mount a directory without it (the engine only through `--docker scoped`, a filtered engine of the sandbox's own, or `--docker host`)",
                p.display(),
                s.display()
            ),
        )),
        None => Ok(()),
    }
}

/// Validates and canonicalizes a workspace directory.
pub(crate) fn workspace(p: &Path, home: Option<&Path>) -> Result<PathBuf> {
    raw_checks(p, "workspace")?;
    let canon = std::fs::canonicalize(p).map_err(|e| {
        Error::invalid(
            "workspace",
            format!("`{}` cannot be used: {e}", p.display()),
        )
    })?;
    raw_checks(&canon, "workspace")?;
    if !canon.is_dir() {
        return Err(Error::invalid(
            "workspace",
            format!("`{}` is not a directory", canon.display()),
        ));
    }
    placement_rules(&canon, "workspace", home)?;
    host_rules(&canon, "workspace")?;
    Ok(canon)
}

/// Validates an extra mount: canonical host source, normalized container target.
pub(crate) fn mount(m: &Mount, i: usize, home: Option<&Path>) -> Result<Mount> {
    let hf = format!("mounts[{i}].host");
    let cf = format!("mounts[{i}].container");
    raw_checks(&m.host, &hf)?;
    raw_checks(&m.container, &cf)?;
    let meta = std::fs::symlink_metadata(&m.host)
        .and_then(|_| std::fs::metadata(&m.host))
        .map_err(|e| Error::invalid(&hf, format!("`{}` cannot be used: {e}", m.host.display())))?;
    if meta.file_type().is_socket() {
        return Err(Error::invalid(
            &hf,
            format!(
                "{} is a socket; the engine is reached only through `--docker scoped` or `--docker host`, other sockets never",
                m.host.display()
            ),
        ));
    }
    if !(meta.is_dir() || meta.is_file()) {
        return Err(Error::invalid(
            &hf,
            format!("{} is neither a file nor a directory", m.host.display()),
        ));
    }
    let host = std::fs::canonicalize(&m.host)?;
    raw_checks(&host, &hf)?;
    placement_rules(&host, &hf, home)?;
    host_rules(&host, &hf)?;
    let container = normalize_lexically(&m.container);
    placement_rules(&container, &cf, home)?;
    if is_within(&container, Path::new(crate::model::paths::INTERNAL_DIR)) {
        return Err(Error::invalid(&cf, "is reserved for docksandbox"));
    }
    Ok(Mount {
        host,
        container,
        read_only: m.read_only,
    })
}

/// Validates an environment variable name.
pub(crate) fn env_name(k: &str, field: &str) -> Result<()> {
    if k.is_empty() {
        return Err(Error::invalid(
            field,
            "an environment variable name is empty",
        ));
    }
    if k.contains('=') || k.contains('\0') {
        return Err(Error::invalid(
            format!("{field}.{}", k.escape_debug()),
            "an environment variable name may not contain `=` or NUL",
        ));
    }
    if k.len() > 1024 {
        return Err(Error::invalid(
            field,
            "an environment variable name is over 1024 bytes",
        ));
    }
    Ok(())
}

/// Validates an environment variable value.
pub(crate) fn env_value(k: &str, v: &str) -> Result<()> {
    if v.contains('\0') {
        return Err(Error::invalid(
            format!("env.{k}"),
            "the value contains a NUL byte",
        ));
    }
    if v.len() > ENV_VALUE_MAX {
        return Err(Error::invalid(
            format!("env.{k}"),
            format!("the value is {} bytes; at most {ENV_VALUE_MAX}", v.len()),
        ));
    }
    Ok(())
}

/// Validates a container name against the engine's rule `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub(crate) fn container_name(n: &str) -> Result<()> {
    let ok = (2..=128).contains(&n.len())
        && n.as_bytes()[0].is_ascii_alphanumeric()
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "name",
            format!(
                "`{}` must be 2-128 characters of letters, digits, `_`, `.` or `-`, starting with a letter or digit",
                n.escape_debug()
            ),
        ))
    }
}

/// Validates a template image reference (shape only; the engine judges the rest).
pub(crate) fn template(t: &str) -> Result<()> {
    if t.is_empty() || t.len() > 255 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(
            "template",
            format!("`{}` is not an image reference", t.escape_debug()),
        ));
    }
    Ok(())
}

/// Validates the published ports: a way in needs a network; two ports on one host port (and
/// address) cannot both be bound; UDP goes through no forwarder, so it needs `bridge`.
pub(crate) fn ports(
    ports: &[crate::model::port::PortMapping],
    network: Option<crate::model::network::NetworkMode>,
) -> Result<()> {
    use crate::model::network::NetworkMode;
    use crate::model::port::PortProtocol;
    let mut seen = std::collections::BTreeSet::new();
    let mut inside = std::collections::BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let field = format!("ports[{i}]");
        if network == Some(NetworkMode::None) {
            return Err(Error::invalid(
                field,
                "a sandbox with --network none has no way in; publish ports with --network proxy (the default) or bridge",
            ));
        }
        if p.protocol == PortProtocol::Udp && network != Some(NetworkMode::Bridge) {
            return Err(Error::invalid(
                field,
                format!("{p}: UDP ports need --network bridge (a proxy sandbox is reached through a TCP forwarder only)"),
            ));
        }
        if p.host_port != 0 && !seen.insert((p.host_ip, p.host_port, p.protocol)) {
            return Err(Error::invalid(
                field,
                format!("host port {}:{} is given twice", p.host_ip, p.host_port),
            ));
        }
        if !inside.insert((p.container_port, p.protocol)) {
            return Err(Error::invalid(
                field,
                format!("{} is published twice", p.container_key()),
            ));
        }
    }
    Ok(())
}

/// Validates the name of an image to make (`save`'s target): `[HOST[:PORT]/]PATH[:TAG]`, the
/// path's components lowercase letters and digits joined by `.`, `_`, `__` or `-`, the tag
/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`; no digest.
pub(crate) fn image_name(t: &str, field: &str) -> Result<()> {
    let bad = |why: &str| {
        Error::invalid(
            field,
            format!("`{}` is not an image name: {why}", t.escape_debug()),
        )
    };
    if t.is_empty() || t.len() > 255 {
        return Err(bad("give NAME[:TAG], e.g. my-tools:v1"));
    }
    if t.contains('@') {
        return Err(bad(
            "a digest (@sha256:…) names an image that exists; give NAME[:TAG]",
        ));
    }
    let (path, tag) = match t.rsplit_once(':') {
        Some((p, tag)) if !tag.contains('/') => (p, Some(tag)),
        _ => (t, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && !tag.starts_with(['.', '-'])
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !ok {
            return Err(bad(
                "the tag is letters, digits, `_`, `.` and `-` (up to 128)",
            ));
        }
    }
    let mut parts: Vec<&str> = path.split('/').collect();
    // A first part with a `.` or `:` or `localhost` is a registry host.
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        parts.remove(0);
    }
    let component = |c: &str| {
        !c.is_empty()
            && c.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && c.bytes()
                .last()
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && c.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            })
            && !c.contains("..")
    };
    if parts.iter().all(|c| component(c)) {
        Ok(())
    } else {
        Err(bad("names are lowercase letters, digits, and `.`, `_`, `-` between them, parts joined by `/`"))
    }
}

/// Validates a user label.
pub(crate) fn label(k: &str, v: &str) -> Result<()> {
    if k.is_empty() || k.len() > 256 || k.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::invalid(
            "labels",
            format!("`{}` is not a label key", k.escape_debug()),
        ));
    }
    if k.starts_with(crate::model::label_keys::PREFIX) {
        return Err(Error::invalid(
            format!("labels.{k}"),
            format!(
                "keys under `{}` are reserved",
                crate::model::label_keys::PREFIX
            ),
        ));
    }
    if v.contains('\0') || v.len() > 4096 {
        return Err(Error::invalid(
            format!("labels.{k}"),
            "the value holds NUL or is over 4096 bytes",
        ));
    }
    Ok(())
}

/// Longest single argument the kernel passes to a program (`MAX_ARG_STRLEN`, NUL included).
pub(crate) const ARG_MAX_BYTES: usize = 128 * 1024 - 1;

/// Validates agent arguments (NUL cannot pass through exec; the kernel refuses longer ones).
pub(crate) fn args(args: &[String]) -> Result<()> {
    if args.iter().any(|a| a.contains('\0')) {
        return Err(Error::invalid("args", "an argument contains a NUL byte"));
    }
    if let Some(a) = args.iter().find(|a| a.len() > ARG_MAX_BYTES) {
        return Err(Error::invalid(
            "args",
            format!(
                "an argument is {} bytes; the kernel passes at most 128 KiB per argument (pass large input on stdin or in a workspace file)",
                a.len()
            ),
        ));
    }
    Ok(())
}

/// A `--branch` sandbox's workspace: before its worktree is made, the top of a repository's
/// working tree (not a bare repository, not a directory inside one); after, that branch's
/// worktree of the stored repository.
pub(crate) fn branch_workspace(ws: &Path, b: &crate::model::branch::Branch) -> Result<()> {
    if let Some(repo) = &b.repository {
        let expected = crate::model::branch::worktree_dir(repo, &b.name);
        if ws != expected {
            return Err(Error::invalid(
                "branch",
                format!(
                    "the worktree of `{}` is {}, not {}",
                    b.name,
                    expected.display(),
                    ws.display()
                ),
            ));
        }
        return Ok(());
    }
    if std::fs::symlink_metadata(ws.join(".git")).is_ok() {
        return Ok(());
    }
    if ws.join("HEAD").is_file() && ws.join("objects").is_dir() && ws.join("refs").is_dir() {
        return Err(Error::invalid(
            "branch",
            format!(
                "{} is a bare repository, which has no working tree to branch from: clone it (`git clone {} app`) and run in the clone",
                ws.display(),
                ws.display()
            ),
        ));
    }
    if let Some(top) = ws
        .ancestors()
        .skip(1)
        .find(|a| std::fs::symlink_metadata(a.join(".git")).is_ok())
    {
        return Err(Error::invalid(
            "branch",
            format!(
                "{} is inside the repository at {}: run --branch from its top directory (`cd {}`)",
                ws.display(),
                top.display(),
                top.display()
            ),
        ));
    }
    Err(Error::invalid(
        "branch",
        format!(
            "{} is not a git repository: --branch needs one (`git init` and a first commit)",
            ws.display()
        ),
    ))
}

/// The address a front door serves on (`docksandbox mcp --http ADDR`): an IP and a port, and
/// a loopback one unless `any` (anyone who reaches it could run commands in the sandboxes).
///
/// ```
/// assert!(docksandbox::listen_address("127.0.0.1:8931", false).is_ok());
/// assert!(docksandbox::listen_address("0.0.0.0:8931", false).is_err());
/// assert!(docksandbox::listen_address("0.0.0.0:8931", true).is_ok());
/// assert!(docksandbox::listen_address("localhost", false).is_err());
/// ```
pub fn listen_address(addr: &str, any: bool) -> Result<std::net::SocketAddr> {
    let sock: std::net::SocketAddr = addr.parse().map_err(|e| {
        Error::invalid(
            "http",
            format!("`{addr}` is not an address and port like 127.0.0.1:8931 ({e})"),
        )
    })?;
    if !sock.ip().is_loopback() && !any {
        return Err(Error::invalid(
            "http",
            format!("{} is not a loopback address: anyone who reaches it could run commands in your sandboxes; listen on 127.0.0.1, or pass --listen-any to mean it", sock.ip()),
        ));
    }
    Ok(sock)
}

/// A shared secret a front door is given (`DOCKSANDBOX_MCP_TOKEN`): at least 16 characters.
pub fn shared_token(token: &str, name: &str) -> Result<()> {
    if token.chars().count() < 16 {
        return Err(Error::invalid(
            name,
            format!("{name} is shorter than 16 characters: set a longer one, or unset it for a random token"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement() {
        let home = Path::new("/home/u");
        for bad in [
            "/",
            "/usr",
            "/usr/local/x",
            "/etc",
            "/proc/1",
            "/var/run",
            "/run/user",
            "/home",
            "/home/u",
            "/home/u/.ssh",
            "/home/u/.ssh/keys",
            "/home/u/.aws",
            "/tmp",
            "/var",
        ] {
            assert!(
                placement_rules(Path::new(bad), "f", Some(home)).is_err(),
                "{bad}"
            );
        }
        for good in [
            "/home/u/project",
            "/tmp/x",
            "/srv/data",
            "/home/u/.sshx",
            "/opt/p",
            "/var/lib/x",
        ] {
            placement_rules(Path::new(good), "f", Some(home)).unwrap();
        }
    }

    #[test]
    fn the_home_directory_is_known_without_home() {
        let from_passwd = passwd_home().expect("this user has a passwd entry");
        assert!(from_passwd.is_absolute(), "{}", from_passwd.display());
    }

    #[test]
    fn lexical() {
        assert_eq!(
            normalize_lexically(Path::new("/a/./b//../c")),
            Path::new("/a/c")
        );
        assert_eq!(normalize_lexically(Path::new("/../..")), Path::new("/"));
    }

    #[test]
    fn names() {
        container_name("claude-proj-1234").unwrap();
        for bad in ["", "a", "-x", "a b", "a/b", "é1"] {
            assert!(container_name(bad).is_err(), "{bad}");
        }
    }
}
