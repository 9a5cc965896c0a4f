//! The options JavaScript passes, mapped field by field onto the core's request types. No
//! defaults and no rules here: an option the caller left out stays `None` (the core decides),
//! so a re-run does not see configuration drift the user never asked for.

use std::collections::BTreeMap;

use napi::bindgen_prelude::{Either, Uint8Array};
use napi_derive::napi;
use serde_json::Value;

/// Options of `run()`: the fields of the core's `RunRequest`, in JavaScript's case.
#[napi(object)]
#[derive(Debug, Default)]
pub struct RunOptions {
    /// Workspace directory, mounted at the same path; relative paths are taken from the current
    /// directory (default `.`).
    pub workspace: Option<String>,
    /// `claude`, `codex`, `gemini`, `copilot`, `shell`, or a custom name together with `command`.
    pub agent: Option<String>,
    /// For a custom agent: its program and default arguments.
    pub command: Option<Vec<String>>,
    /// Template image (default: the agent's).
    pub template: Option<String>,
    /// Container environment.
    pub env: Option<BTreeMap<String, String>>,
    /// Extra mounts, `HOST[:CONTAINER][:ro]`.
    pub volumes: Option<Vec<String>>,
    /// `sandbox` (a per-agent volume keeps logins) or `none`.
    #[napi(ts_type = "'sandbox' | 'none'")]
    pub credentials: Option<String>,
    /// Mount the engine's socket (the agent then controls the engine): the same as
    /// `docker: 'host'`.
    pub mount_docker_socket: Option<bool>,
    /// What the sandbox may do with the engine: `none` (default), `scoped` (a filtered engine
    /// of its own objects) or `host` (the engine itself: root on the host).
    #[napi(ts_type = "'none' | 'scoped' | 'host'")]
    pub docker: Option<String>,
    /// Container name (default: derived from the workspace and agent).
    pub name: Option<String>,
    /// Replace an existing sandbox whose stored configuration differs.
    pub recreate: Option<bool>,
    /// CPU limit.
    pub cpus: Option<f64>,
    /// Memory limit: bytes, or a size such as `'512m'`, `'2g'`.
    pub memory: Option<Either<f64, String>>,
    /// Process limit.
    pub pids_limit: Option<i64>,
    /// `proxy` (the default: the sandbox reaches the network only through its own egress
    /// proxy, which enforces a policy), `bridge` or `none`; or a `NetworkOptions` object (the
    /// mode and the proxy's policy in one place).
    #[napi(ts_type = "'proxy' | 'bridge' | 'none' | NetworkOptions")]
    pub network: Option<Value>,
    /// Rules the proxy allows: `host`, `*.domain`, `host:port`, `ip[:port]`, CIDR.
    pub allow_hosts: Option<Vec<String>>,
    /// Rules the proxy refuses (the more specific rule wins; deny wins a tie).
    pub deny_hosts: Option<Vec<String>>,
    /// What the proxy does with connections no rule decides (default `allow`).
    #[napi(ts_type = "'allow' | 'deny'")]
    pub network_policy: Option<String>,
    /// Presets whose hosts are allowed: `agent`, `github`, `registries`, or a user preset.
    pub allow_presets: Option<Vec<String>>,
    /// Static names for the proxy, `NAME:IP` (like docker's `--add-host`).
    pub add_hosts: Option<Vec<String>>,
    /// Extra container labels.
    pub labels: Option<BTreeMap<String, String>>,
    /// PEM bundle of extra CA certificates (TLS-inspecting proxies), mounted read-only with
    /// `SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`… set (default: `DOCKSANDBOX_CA_BUNDLE`).
    pub ca_bundle: Option<String>,
    /// Share the host's non-secret agent configuration (`~/.claude/CLAUDE.md`, settings,
    /// commands …) read-only (default false).
    pub share_agent_config: Option<bool>,
    /// The git guard: repositories' hooks and config read-only inside (default true).
    pub git_guard: Option<bool>,
    /// How the workspace is shared: `rw` (the default, read-write), `ro` (read-only but for
    /// `writable`) or `review` (the agent's writes kept aside until `sb.apply()`).
    #[napi(ts_type = "'rw' | 'ro' | 'review'")]
    pub workspace_mode: Option<String>,
    /// Subdirectories of an `ro` workspace that stay writable (relative to the workspace, or
    /// absolute inside it), e.g. `['target']`.
    pub writable: Option<Vec<String>>,
    /// Secrets: the name of each (the variable that holds it inside) → the hosts its value may
    /// go to (names or `*.domain`). The value is read from the host environment variable of
    /// that name (or from the file `secretFiles` gives it). In `proxy` mode (the default) it
    /// never enters the sandbox: the variable inside holds a placeholder,
    /// `docksandbox-secret:NAME:<random>` (the same for the sandbox's life), and the egress
    /// proxy replaces the placeholder in request headers to those hosts only (over TLS, which
    /// the proxy intercepts with a per-sandbox CA the sandbox trusts; sent anywhere else, or
    /// over plain HTTP, it stays the placeholder). Needs the `proxy` network. E.g.
    /// `{ GITHUB_TOKEN: ['api.github.com'] }`.
    pub secrets: Option<BTreeMap<String, Vec<String>>>,
    /// Secrets whose value is the contents of a file (one trailing newline removed) instead of
    /// the host variable: name → file path (read when the sandbox is made). Its hosts come
    /// from `secrets[name]` (a name in both is one secret, its value from the file); in `env`
    /// mode it needs no hosts.
    pub secret_files: Option<BTreeMap<String, String>>,
    /// How every secret reaches the sandbox: `proxy` (the default: a placeholder inside, the
    /// value added by the egress proxy on the way to the secret's hosts) or `env` (the value
    /// itself, in the environment of the agent when it is launched, `docksandbox run AGENT`:
    /// any process it starts can read it; no hosts needed; commands `exec()` runs do not get
    /// it, pass it in their `env` if they need it).
    #[napi(ts_type = "'proxy' | 'env'")]
    pub secret_mode: Option<String>,
    /// Ports reachable from this host, as `docker run -p` writes them (`'3000'`, `'8080:80'`,
    /// `'0.0.0.0::5173'`, `'53/udp'`): on `127.0.0.1` and a free host port unless written out.
    /// Find them with `sb.port(3000)`; add more while it runs with `sb.addPort()`.
    pub ports: Option<Vec<String>>,
    /// A new sandbox, never reused, removed by `sb.close()` / `await using` (and by the next
    /// docksandbox call when this process died).
    pub ephemeral: Option<bool>,
    /// Removed this long after it is made: `'30m'`, `'2h'`, `'1h30m'`.
    pub ttl: Option<String>,
    /// Stopped after this long without an exec or session (and no process of its own);
    /// started again on use.
    pub idle_stop: Option<String>,
    /// Work on this branch of the workspace's repository, in its own worktree beside the
    /// repository (`sb.workspace()`); one sandbox per repository, branch and agent. Review it
    /// with `sb.branchDiff()`, `sb.branchLog()`, `sb.merge()`.
    pub branch: Option<String>,
    /// What a new `branch` starts from (a branch, tag or commit; default `HEAD`).
    pub branch_from: Option<String>,
}

/// `network` as an object: the mode and the proxy's policy together. Each key maps onto the
/// `run()` option of the same meaning (`default` → `networkPolicy`, `allow` → `allowHosts`,
/// `deny` → `denyHosts`, `presets` → `allowPresets`, `hosts` → `addHosts`); lists given both
/// ways are joined. Unknown keys are refused (`INVALID_SPEC`).
#[napi(object)]
#[derive(Debug, Default)]
pub struct NetworkOptions {
    /// `proxy` (the default), `bridge` or `none`.
    #[napi(ts_type = "'proxy' | 'bridge' | 'none'")]
    pub mode: Option<String>,
    /// What the proxy does with connections no rule decides (default `allow`).
    #[napi(ts_type = "'allow' | 'deny'")]
    pub default: Option<String>,
    /// Rules the proxy allows: `host`, `*.domain`, `host:port`, `ip[:port]`, CIDR.
    pub allow: Option<Vec<String>>,
    /// Rules the proxy refuses.
    pub deny: Option<Vec<String>>,
    /// Presets whose hosts are allowed: `agent`, `github`, `registries`, or a user preset.
    pub presets: Option<Vec<String>>,
    /// Names the proxy resolves to these addresses instead of asking DNS.
    pub hosts: Option<BTreeMap<String, Either<String, Vec<String>>>>,
}

impl TryFrom<RunOptions> for docksandbox::RunRequest {
    type Error = docksandbox::Error;

    /// Every rule is the core's, the shape of `network` included ([`docksandbox::NetworkWords`]).
    fn try_from(o: RunOptions) -> docksandbox::Result<Self> {
        let words = o
            .network
            .as_ref()
            .map(docksandbox::NetworkWords::from_json)
            .transpose()?;
        let hosts = o.secrets.unwrap_or_default();
        let files = o.secret_files.unwrap_or_default();
        // One `NAME` or `NAME=@FILE` per name given either way (the file, when given, is the
        // source); one `NAME=HOST,HOST` per name with hosts.
        let names: std::collections::BTreeSet<&String> = hosts.keys().chain(files.keys()).collect();
        let secrets = names
            .iter()
            .map(|name| match files.get(*name) {
                Some(file) => format!("{name}=@{file}"),
                None => (*name).clone(),
            })
            .collect();
        let secret_hosts = hosts
            .iter()
            .filter(|(_, h)| !h.is_empty())
            .map(|(name, h)| format!("{name}={}", h.join(",")))
            .collect();
        // Every field written out: a field added to the core fails to compile here.
        let mut req = docksandbox::RunRequest {
            workspace: o.workspace,
            agent: o.agent.unwrap_or_default(),
            command: o.command,
            template: o.template,
            env: o.env.unwrap_or_default(),
            env_pairs: Vec::new(),
            volumes: o.volumes.unwrap_or_default(),
            credentials: o.credentials,
            mount_docker_socket: o.mount_docker_socket,
            docker: o.docker,
            name: o.name,
            recreate: o.recreate.unwrap_or_default(),
            cpus: o.cpus,
            memory: o.memory.map(|m| match m {
                // JavaScript's number, written as a string the core parses (bytes).
                Either::A(n) => n.to_string(),
                Either::B(s) => s,
            }),
            pids_limit: o.pids_limit,
            network: None,
            allow_hosts: o.allow_hosts.unwrap_or_default(),
            deny_hosts: o.deny_hosts.unwrap_or_default(),
            network_policy: o.network_policy,
            allow_presets: o.allow_presets.unwrap_or_default(),
            add_hosts: o.add_hosts.unwrap_or_default(),
            labels: o.labels.unwrap_or_default(),
            label_pairs: Vec::new(),
            ca_bundle: o.ca_bundle,
            share_agent_config: o.share_agent_config,
            git_guard: o.git_guard,
            workspace_mode: o.workspace_mode,
            writable: o.writable.unwrap_or_default(),
            secrets,
            secret_hosts,
            secret_mode: o.secret_mode,
            ports: o.ports.unwrap_or_default(),
            ephemeral: o.ephemeral,
            ttl: o.ttl,
            idle_stop: o.idle_stop,
            branch: o.branch,
            branch_from: o.branch_from,
        };
        if let Some(w) = words {
            req.add_network_words(w)?;
        }
        Ok(req)
    }
}

/// Options of `exec()` and `execStream()`.
#[napi(object)]
#[allow(missing_debug_implementations)] // napi's Buffer / Uint8Array have no Debug
#[derive(Default)]
pub struct ExecOptions {
    /// Extra environment variables.
    pub env: Option<BTreeMap<String, String>>,
    /// Working directory (default: the workspace).
    pub workdir: Option<String>,
    /// `uid:gid` or a name (default: the workspace owner's uid:gid).
    pub user: Option<String>,
    /// Fed to the command's stdin, which is then closed.
    pub stdin: Option<Either<String, Uint8Array>>,
    /// Kill the command (and its children) after this many milliseconds; the call then fails
    /// with code `EXEC_TIMEOUT`.
    pub timeout_ms: Option<f64>,
}

impl ExecOptions {
    /// The core's options; fails with `INVALID_SPEC` for a timeout that is no duration.
    pub(crate) fn into_core(self) -> docksandbox::Result<docksandbox::ExecOptions> {
        let timeout = self
            .timeout_ms
            .map(|ms| docksandbox::timeout_from_secs(ms / 1000.0, "timeoutMs"))
            .transpose()?;
        Ok(docksandbox::ExecOptions {
            env: self.env.unwrap_or_default(),
            workdir: self.workdir,
            user: self.user,
            stdin: self.stdin.map(bytes),
            timeout,
            // A promise cannot be cancelled; a command outlives only the process that awaited it.
            kill_on_drop: false,
        })
    }
}

/// The bytes of a string (UTF-8) or of a Buffer / Uint8Array.
pub(crate) fn bytes(data: Either<String, Uint8Array>) -> Vec<u8> {
    match data {
        Either::A(s) => s.into_bytes(),
        Either::B(b) => b.to_vec(),
    }
}
