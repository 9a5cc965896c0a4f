//! The typed description of a sandbox.

use crate::model::docker_access::DockerAccess;
use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::agent::Agent;
use crate::model::branch::Branch;
use crate::model::credentials::CredentialsMode;
use crate::model::mount::Mount;
use crate::model::network::NetworkMode;
use crate::model::network_policy::NetworkPolicy;
use crate::model::port::PortMapping;
use crate::model::resources::Resources;
use crate::model::secret::{Secret, SecretMode};
use crate::model::validate;
use crate::model::workspace_mode::{writable_dir, WorkspaceMode};

/// A validated description of a sandbox: what [`crate::SandboxBuilder`] builds and what is
/// stored (secrets fingerprinted) on the container.
///
/// `Option` fields that are `None` were not set by the caller: on a re-run they inherit the
/// stored value, and on create they get their default (see [`SandboxSpec::resolved`]).
///
/// ```
/// use docksandbox::{Sandbox, Shell, SandboxSpec};
/// let dir = tempfile::tempdir().unwrap();
/// let spec: SandboxSpec = Sandbox::builder().workspace(dir.path()).agent(Shell).build().unwrap();
/// let json = serde_json::to_string(&spec).unwrap();
/// assert_eq!(serde_json::from_str::<SandboxSpec>(&json).unwrap(), spec);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxSpec {
    /// Canonical absolute host path, mounted at the same path and used as working directory.
    pub workspace: PathBuf,
    /// The agent this sandbox runs.
    pub agent: Agent,
    /// Template image; the agent's default when `None`.
    #[serde(default)]
    pub template: Option<String>,
    /// Environment variables set in the container.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Extra bind mounts.
    #[serde(default)]
    pub mounts: Vec<Mount>,
    /// What the sandbox may do with the engine (`None`: [`DockerAccess::None`]). Specs stored
    /// before this setting had `mount_docker_socket: true`, read as [`DockerAccess::Host`].
    #[serde(default, alias = "mount_docker_socket")]
    pub docker: Option<DockerAccess>,
    /// Where the agent's login lives.
    #[serde(default)]
    pub credentials: Option<CredentialsMode>,
    /// Container name; derived from the workspace and agent when `None`.
    #[serde(default)]
    pub name: Option<String>,
    /// Resource limits.
    #[serde(default)]
    pub resources: Resources,
    /// Network mode (new sandboxes: [`NetworkMode::Proxy`]).
    #[serde(default)]
    pub network: Option<NetworkMode>,
    /// What the sandbox may reach through its egress proxy (`proxy` mode only; the default
    /// policy when `None`: the public internet, never the host, the LAN or cloud metadata).
    #[serde(default)]
    pub network_policy: Option<NetworkPolicy>,
    /// Extra container labels (keys under `docksandbox.` are reserved).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// A PEM bundle of CA certificates, mounted read-only at [`crate::CA_BUNDLE_TARGET`]
    /// with `SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`, `REQUESTS_CA_BUNDLE`, `GIT_SSL_CAINFO` and
    /// `CURL_CA_BUNDLE` pointing at it, and used when `run` builds the template.
    #[serde(default)]
    pub ca_bundle: Option<PathBuf>,
    /// Share the host's non-secret user-level agent configuration
    /// ([`Agent::user_config_paths`], e.g. `~/.claude/CLAUDE.md`) read-only. Off by default.
    #[serde(default)]
    pub share_agent_config: Option<bool>,
    /// Mount the files through which git runs host programs (hooks, config, `config.worktree`,
    /// `info/attributes`) read-only, in the workspace and every read-write mount that is a
    /// repository. On for new sandboxes; a stored spec without it predates it (off).
    #[serde(default)]
    pub git_guard: Option<bool>,
    /// How the workspace is shared: read-write (the default), read-only, or review.
    #[serde(default)]
    pub workspace_mode: Option<WorkspaceMode>,
    /// In [`WorkspaceMode::ReadOnly`]: subdirectories of the workspace that stay writable
    /// (absolute after validation; made, owned by the workspace's owner, when missing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writable: Vec<PathBuf>,
    /// Secrets: values kept on the host. In [`SecretMode::Proxy`] (the default) the sandbox
    /// holds a placeholder in the variable and the egress proxy puts the value into request
    /// headers to the secret's hosts only. With a `proxy` network the agent's own API keys
    /// ([`Agent::secret_hosts`]) are added on create when set on the host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// Ports of the sandbox reachable from the host (`-p`): published by the engine on a
    /// `bridge` sandbox, through a forwarder beside a `proxy` sandbox (its only way in).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortMapping>,
    /// Removed when the session that made it ends (`run --rm`, Python `ephemeral=True`): a
    /// fresh sandbox, never reused by another `run`; one whose owner process died is removed
    /// by the next docksandbox call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<bool>,
    /// Removed this many seconds after it was made (`--ttl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// Stopped after this many seconds without an exec or attached session (`--idle-stop`);
    /// the next `run` or exec starts it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_stop: Option<u64>,
    /// A branch of the workspace's repository to work on (`run --branch`): the sandbox's
    /// workspace is then that branch's worktree beside the repository, with the repository's
    /// common `.git` mounted at its path (hooks, config, the user's `HEAD` and index and the
    /// other worktrees read-only). One sandbox per repository, branch and agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<Branch>,
    /// The warm pool this sandbox belongs to (set by [`crate::Pool`], never by hand): its
    /// workspace is a fresh empty directory of the pool's, removed with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
}

impl SandboxSpec {
    /// A spec for `workspace` and `agent` with nothing else set. Not yet validated.
    pub fn new(workspace: impl Into<PathBuf>, agent: impl Into<Agent>) -> Self {
        SandboxSpec {
            workspace: workspace.into(),
            agent: agent.into(),
            template: None,
            env: BTreeMap::new(),
            mounts: Vec::new(),
            docker: None,
            credentials: None,
            name: None,
            resources: Resources::default(),
            network: None,
            network_policy: None,
            labels: BTreeMap::new(),
            ca_bundle: None,
            share_agent_config: None,
            git_guard: None,
            workspace_mode: None,
            writable: Vec::new(),
            secrets: Vec::new(),
            ports: Vec::new(),
            ephemeral: None,
            ttl: None,
            idle_stop: None,
            branch: None,
            pool: None,
        }
    }

    /// Checks every field and returns the spec with its paths canonicalized.
    ///
    /// Errors are [`Error::InvalidSpec`] naming the field and the rule.
    pub fn validate(mut self) -> Result<Self> {
        self.agent.validate()?;
        let home = validate::host_home();
        self.workspace = validate::workspace(&self.workspace, home.as_deref())?;
        if let Some(b) = &self.branch {
            b.validate()?;
            validate::branch_workspace(&self.workspace, b)?;
        }
        if let Some(t) = &self.template {
            validate::template(t)?;
        }
        for (k, v) in &self.env {
            validate::env_name(k, "env")?;
            validate::env_value(k, v)?;
        }
        let mut targets = std::collections::BTreeSet::new();
        targets.insert(self.workspace.clone());
        for (i, m) in self.mounts.iter_mut().enumerate() {
            *m = validate::mount(m, i, home.as_deref())?;
            if !targets.insert(m.container.clone()) {
                return Err(Error::invalid(
                    format!("mounts[{i}].container"),
                    format!(
                        "{} is already mounted (the workspace or another mount)",
                        m.container.display()
                    ),
                ));
            }
        }
        if !self.writable.is_empty() && self.workspace_mode != Some(WorkspaceMode::ReadOnly) {
            return Err(Error::invalid(
                "writable",
                "writable directories need --workspace-mode ro (in rw everything is writable, in review every write is kept for review)",
            ));
        }
        let ws = self.workspace.clone();
        for (i, d) in self.writable.iter_mut().enumerate() {
            *d = writable_dir(&ws, d, i)?;
        }
        self.writable.sort();
        self.writable.dedup();
        if let Some(n) = &self.name {
            validate::container_name(n)?;
        }
        self.resources.validate()?;
        if let Some(p) = &self.network_policy {
            if let Some(mode @ (NetworkMode::Bridge | NetworkMode::None)) = self.network {
                return Err(Error::invalid(
                    "network_policy",
                    format!("a network policy needs --network proxy, not {mode} (bridge is open to everything, none to nothing)"),
                ));
            }
            p.validate()?;
        }
        for (k, v) in &self.labels {
            validate::label(k, v)?;
        }
        if let Some(p) = &self.ca_bundle {
            self.ca_bundle = Some(crate::model::ca_bundle::validate(p)?);
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, sec) in self.secrets.iter_mut().enumerate() {
            sec.validate(i)?;
            if !names.insert(sec.name.clone()) {
                return Err(Error::invalid(
                    format!("secrets[{i}]"),
                    format!("{} is given twice", sec.name),
                ));
            }
            if self.env.contains_key(&sec.name) {
                return Err(Error::invalid(
                    format!("secrets[{i}]"),
                    format!(
                        "{} is also set with --env: a secret's variable is its own",
                        sec.name
                    ),
                ));
            }
            if sec.effective_mode() == SecretMode::Proxy {
                if let Some(mode @ (NetworkMode::Bridge | NetworkMode::None)) = self.network {
                    return Err(Error::invalid(
                        format!("secrets[{i}]"),
                        format!("{} is added by the egress proxy, which needs --network proxy, not {mode}; or pass --secret-mode env", sec.name),
                    ));
                }
                if let Some(p) = &self.network_policy {
                    for h in &sec.hosts {
                        if let Some(why) = p.refuses_name(&self.agent, h) {
                            return Err(Error::invalid(
                                format!("secrets[{i}]"),
                                format!(
                                    "{} may go to {h}, which the network policy refuses ({why})",
                                    sec.name
                                ),
                            ));
                        }
                    }
                }
            }
        }
        crate::model::validate::ports(&self.ports, self.network)?;
        Ok(self)
    }

    /// The spec with every unset field given its default: what a new sandbox is created with.
    pub fn resolved(&self) -> SandboxSpec {
        let mut s = self.clone();
        s.template
            .get_or_insert_with(|| self.agent.default_template.clone());
        s.docker.get_or_insert(DockerAccess::None);
        s.credentials.get_or_insert(CredentialsMode::Sandbox);
        s.name.get_or_insert_with(|| {
            let name = match &self.branch {
                Some(b) => crate::model::naming::derive_name_shown(
                    &self.workspace,
                    &b.name.replace('/', "-"),
                    &self.agent.name,
                ),
                None => crate::model::naming::derive_name(&self.workspace, &self.agent.name),
            };
            if self.ephemeral == Some(true) {
                // A fresh one each time: never the name a lasting sandbox takes.
                format!("{name}-{}", crate::model::naming::nonce())
            } else {
                name
            }
        });
        s.resources.pids.get_or_insert(Resources::DEFAULT_PIDS);
        let network = *s.network.get_or_insert(NetworkMode::Proxy);
        if network == NetworkMode::Proxy {
            s.network_policy.get_or_insert_with(NetworkPolicy::default);
        }
        s.share_agent_config.get_or_insert(false);
        s.git_guard.get_or_insert(true);
        s.workspace_mode.get_or_insert(WorkspaceMode::ReadWrite);
        if network == NetworkMode::Proxy {
            // The agent's API keys set on the host: kept out of the sandbox too.
            for (var, hosts) in &self.agent.secret_hosts {
                let set = std::env::var(var).is_ok_and(|v| !v.is_empty());
                if set && !s.secrets.iter().any(|x| &x.name == var) && !s.env.contains_key(var) {
                    let mut sec = Secret::from_env(var.clone());
                    sec.hosts = hosts.clone();
                    s.secrets.push(sec);
                }
            }
        }
        let sandbox = s.name.clone().unwrap_or_default();
        for sec in &mut s.secrets {
            if sec.effective_mode() == SecretMode::Proxy && sec.placeholder.is_none() {
                sec.placeholder = Some(Secret::new_placeholder(&sec.name, &sandbox));
            }
        }
        s
    }

    /// The template image this spec resolves to.
    pub fn template_image(&self) -> &str {
        self.template
            .as_deref()
            .unwrap_or(&self.agent.default_template)
    }
}
