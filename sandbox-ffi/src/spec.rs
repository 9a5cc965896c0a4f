//! What a foreign caller asks for, field by field the core's [`docksandbox::RunRequest`]
//! (the words the CLI, Python and Node take). No defaults and no rules here: a field left
//! out stays empty and the core decides.

use std::collections::HashMap;

use docksandbox::RunRequest;

/// A sandbox to create or reuse: `agent` is needed, every other field is optional
/// (`workspace` defaults to the current directory).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct SandboxSpec {
    /// Workspace directory, mounted at the same absolute path.
    #[uniffi(default)]
    pub workspace: Option<String>,
    /// `claude`, `codex`, `gemini`, `copilot`, `shell`, or a custom name with `command`
    /// (left out: refused, naming the field).
    #[uniffi(default)]
    pub agent: Option<String>,
    /// For a custom agent: its program and default arguments.
    #[uniffi(default)]
    pub command: Option<Vec<String>>,
    /// Template image (default: the agent's).
    #[uniffi(default)]
    pub template: Option<String>,
    /// Container environment.
    #[uniffi(default)]
    pub env: HashMap<String, String>,
    /// Extra mounts, `HOST[:CONTAINER][:ro]`.
    #[uniffi(default)]
    pub volumes: Vec<String>,
    /// `sandbox` (a per-agent volume keeps logins) or `none`.
    #[uniffi(default)]
    pub credentials: Option<String>,
    /// `none` (default), `scoped` (a filtered engine of its own) or `host` (root on the host).
    #[uniffi(default)]
    pub docker: Option<String>,
    /// Container name (default: derived from the workspace and agent).
    #[uniffi(default)]
    pub name: Option<String>,
    /// Replace an existing sandbox whose stored configuration differs.
    #[uniffi(default)]
    pub recreate: bool,
    /// CPU limit.
    #[uniffi(default)]
    pub cpus: Option<f64>,
    /// Memory limit, e.g. `512m`, `2g`.
    #[uniffi(default)]
    pub memory: Option<String>,
    /// Process limit.
    #[uniffi(default)]
    pub pids_limit: Option<i64>,
    /// `proxy` (default: egress through the sandbox's own policy proxy), `bridge` or `none`.
    #[uniffi(default)]
    pub network: Option<String>,
    /// Rules the proxy allows: `host`, `*.domain`, `host:port`, `ip[:port]`, CIDR.
    #[uniffi(default)]
    pub allow_hosts: Vec<String>,
    /// Rules the proxy refuses.
    #[uniffi(default)]
    pub deny_hosts: Vec<String>,
    /// What the proxy does with connections no rule decides: `allow` or `deny`.
    #[uniffi(default)]
    pub network_policy: Option<String>,
    /// Extra labels on the container.
    #[uniffi(default)]
    pub labels: HashMap<String, String>,
    /// Published ports, `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp]`.
    #[uniffi(default)]
    pub ports: Vec<String>,
    /// Removed when closed, never reused.
    #[uniffi(default)]
    pub ephemeral: Option<bool>,
    /// Removed after this long, e.g. `2h`.
    #[uniffi(default)]
    pub ttl: Option<String>,
    /// Stopped after this long without use, e.g. `30m`.
    #[uniffi(default)]
    pub idle_stop: Option<String>,
}

impl SandboxSpec {
    /// The core's request.
    pub(crate) fn request(self) -> RunRequest {
        RunRequest {
            workspace: self.workspace,
            agent: self.agent.unwrap_or_default(),
            command: self.command,
            template: self.template,
            env: self.env.into_iter().collect(),
            volumes: self.volumes,
            credentials: self.credentials,
            docker: self.docker,
            name: self.name,
            recreate: self.recreate,
            cpus: self.cpus,
            memory: self.memory,
            pids_limit: self.pids_limit,
            network: self.network,
            allow_hosts: self.allow_hosts,
            deny_hosts: self.deny_hosts,
            network_policy: self.network_policy,
            labels: self.labels.into_iter().collect(),
            ports: self.ports,
            ephemeral: self.ephemeral,
            ttl: self.ttl,
            idle_stop: self.idle_stop,
            ..Default::default()
        }
    }
}

/// How to run one command; every field optional.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct ExecOptions {
    /// Extra environment variables.
    #[uniffi(default)]
    pub env: HashMap<String, String>,
    /// Working directory (default: the workspace).
    #[uniffi(default)]
    pub workdir: Option<String>,
    /// User, `uid:gid` or a name (default: the workspace owner).
    #[uniffi(default)]
    pub user: Option<String>,
    /// Bytes fed to stdin, then stdin is closed.
    #[uniffi(default)]
    pub stdin: Option<Vec<u8>>,
    /// Kill the command after this many seconds (then `ExecTimeout`).
    #[uniffi(default)]
    pub timeout_secs: Option<f64>,
}

impl ExecOptions {
    /// The core's options. An abandoned call (a cancelled coroutine) kills its command.
    pub(crate) fn core(self) -> crate::error::Result<docksandbox::ExecOptions> {
        let timeout = self
            .timeout_secs
            .map(|s| docksandbox::timeout_from_secs(s, "timeout_secs"))
            .transpose()?;
        Ok(docksandbox::ExecOptions {
            env: self.env.into_iter().collect(),
            workdir: self.workdir,
            user: self.user,
            stdin: self.stdin,
            timeout,
            kill_on_drop: true,
        })
    }
}

/// A finished command.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ExecOutput {
    /// Exit code (128 + signal number when a signal ended it).
    pub exit_code: i64,
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr.
    pub stderr: Vec<u8>,
    /// Whether the out-of-memory killer ended it.
    pub oom_killed: bool,
}

impl From<docksandbox::ExecOutput> for ExecOutput {
    fn from(o: docksandbox::ExecOutput) -> Self {
        ExecOutput {
            exit_code: o.exit_code,
            stdout: o.stdout,
            stderr: o.stderr,
            oom_killed: o.oom_killed,
        }
    }
}
