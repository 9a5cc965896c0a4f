//! A sandbox request in the words users type (CLI flags, Python and Node keyword arguments):
//! strings for volumes, memory sizes, modes. Every wrapper maps its arguments onto this one
//! type, so every interpretation rule lives here, in the core.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::lifecycle::bounds::Bounds;
use crate::lifecycle::builder::SandboxBuilder;
use crate::lifecycle::client::Client;
use crate::model::agent::Agent;
use crate::model::key_value::parse_pair;
use crate::model::mount::Mount;
use crate::model::network::NetworkMode;
use crate::model::network_policy::NetworkPolicy;
use crate::model::network_rule::{parse_default, parse_rule};
use crate::sandbox::Sandbox;

/// What `docksandbox run`, `docksandbox.run(...)` (Python) and `ds.run({...})` (Node) take.
///
/// ```
/// use docksandbox::RunRequest;
/// let dir = tempfile::tempdir().unwrap();
/// let req = RunRequest {
///     workspace: Some(dir.path().to_string_lossy().into_owned()),
///     agent: "shell".into(),
///     volumes: vec![format!("{}:/data:ro", dir.path().display())],
///     memory: Some("512m".into()),
///     network: Some("none".into()),
///     ..Default::default()
/// };
/// let spec = req.builder().unwrap().build().unwrap();
/// assert_eq!(spec.resources.memory, Some(512 << 20));
/// assert!(spec.mounts[0].read_only);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunRequest {
    /// Workspace directory; relative paths are taken from the current directory; default `.`.
    pub workspace: Option<String>,
    /// Agent name: `claude`, `codex`, `gemini`, `copilot`, `shell`, or a custom name with `command`.
    pub agent: String,
    /// For a custom agent: the program and its default arguments.
    pub command: Option<Vec<String>>,
    /// Template image.
    pub template: Option<String>,
    /// Container environment.
    pub env: BTreeMap<String, String>,
    /// `KEY=VALUE` strings (the CLI's `-e`), added to `env`.
    pub env_pairs: Vec<String>,
    /// Extra mounts, `HOST[:CONTAINER][:ro]`.
    pub volumes: Vec<String>,
    /// `sandbox` (default) or `none`.
    pub credentials: Option<String>,
    /// Mount the engine's socket (`true`: the same as `docker: "host"`).
    pub mount_docker_socket: Option<bool>,
    /// `none` (default), `scoped` or `host`: what the sandbox may do with the engine.
    pub docker: Option<String>,
    /// Container name.
    pub name: Option<String>,
    /// Replace a sandbox whose stored config differs.
    pub recreate: bool,
    /// CPU limit.
    pub cpus: Option<f64>,
    /// Memory limit: `512m`, `2g`, or bytes.
    pub memory: Option<String>,
    /// Process limit.
    pub pids_limit: Option<i64>,
    /// `proxy` (the default for new sandboxes), `bridge` or `none`.
    pub network: Option<String>,
    /// Rules the proxy allows (`--allow-host`): `host`, `*.domain`, `host:port`, `ip[:port]`, CIDR.
    pub allow_hosts: Vec<String>,
    /// Rules the proxy refuses (`--deny-host`).
    pub deny_hosts: Vec<String>,
    /// What the proxy does with connections no rule decides: `allow` (default) or `deny`
    /// (`--network-policy`).
    pub network_policy: Option<String>,
    /// Presets whose hosts are allowed (`--allow-preset`): `agent`, `github`, `registries`, or a
    /// user preset.
    pub allow_presets: Vec<String>,
    /// Static names for the proxy, `NAME:IP` (`--add-host`).
    pub add_hosts: Vec<String>,
    /// Extra labels.
    pub labels: BTreeMap<String, String>,
    /// `KEY=VALUE` strings (the CLI's `--label`), added to `labels`.
    pub label_pairs: Vec<String>,
    /// A PEM bundle of CA certificates for the sandbox and its template build; when unset,
    /// `DOCKSANDBOX_CA_BUNDLE` is used if set.
    pub ca_bundle: Option<String>,
    /// Share the host's non-secret agent configuration read-only (default false).
    pub share_agent_config: Option<bool>,
    /// The git guard (`--no-git-guard` sets false; on by default).
    pub git_guard: Option<bool>,
    /// `rw` (default), `ro` or `review` (`--workspace-mode`).
    pub workspace_mode: Option<String>,
    /// Subdirectories of a read-only workspace that stay writable (`--writable`).
    pub writable: Vec<String>,
    /// `--secret NAME` (value from the host variable NAME) or `NAME=@FILE`.
    pub secrets: Vec<String>,
    /// `--secret-host NAME=HOST[,HOST]`: where each secret may go.
    pub secret_hosts: Vec<String>,
    /// `--secret-mode proxy|env` for every `--secret` (default proxy).
    pub secret_mode: Option<String>,
    /// Ports published on the host (`-p/--publish`):
    /// `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp]`, bound to 127.0.0.1 unless written out.
    pub ports: Vec<String>,
    /// A fresh sandbox removed when the session ends (`--rm`, Python `ephemeral=True`).
    pub ephemeral: Option<bool>,
    /// Removed this long after it is made (`--ttl 2h`).
    pub ttl: Option<String>,
    /// Stopped after this long without use (`--idle-stop 30m`); started again on use.
    pub idle_stop: Option<String>,
    /// Work on this branch of the workspace's repository, in its own worktree (`--branch`).
    pub branch: Option<String>,
    /// A new branch starts here instead of `HEAD` (`--from`).
    pub branch_from: Option<String>,
}

impl RunRequest {
    /// Gives this request a front door's network where the caller asked for none, adds its
    /// refused hosts, and (unless `bounds.widen_network`) refuses a request for more: a wider
    /// mode, `allow` where the front door denies, or hosts it does not allow.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut b = docksandbox::Bounds::new([dir.path()]).unwrap();
    /// b.network.network = Some("none".into());
    /// let mut req = docksandbox::RunRequest::default();
    /// req.shape_within(&b).unwrap();
    /// assert_eq!(req.network.as_deref(), Some("none"));
    /// let mut wider = docksandbox::RunRequest { network: Some("bridge".into()), ..Default::default() };
    /// assert!(wider.shape_within(&b).is_err());
    /// ```
    pub fn shape_within(&mut self, bounds: &Bounds) -> Result<()> {
        let req = self;
        let nb = &bounds.network;
        let given = |v: &Option<String>, field: &str| -> Result<NetworkMode> {
            match v.as_deref() {
                None => Ok(NetworkMode::Proxy),
                Some(s) => s.parse().map_err(|_| {
                    Error::invalid(
                        field,
                        format!("`{s}` is not a network: proxy, none or bridge"),
                    )
                }),
            }
        };
        let ours = given(&nb.network, "network")?;
        if req.network.is_none() {
            req.network = nb.network.clone();
        }
        let theirs = given(&req.network, "network")?;
        let denies = |p: &Option<String>| p.as_deref() == Some("deny");
        if !bounds.widen_network {
            if reach(theirs) > reach(ours) {
                return Err(Error::invalid(
                    "network",
                    format!("`{theirs}` is more network than this server gives (`{ours}`); the user can start it with --allow-policy-changes"),
                ));
            }
            if denies(&nb.network_policy) && req.network_policy.as_deref() == Some("allow") {
                return Err(Error::invalid(
                    "network_policy",
                    "`allow` is more network than this server gives (`deny`); the user can start it with --allow-policy-changes",
                ));
            }
            if let Some(h) = req.allow_hosts.iter().find(|h| !nb.allow_hosts.contains(h)) {
                return Err(Error::invalid(
                    "allow_hosts",
                    format!("`{h}` is not among the hosts this server allows ({}); the user can start it with --allow-policy-changes", if nb.allow_hosts.is_empty() { "none".to_string() } else { nb.allow_hosts.join(", ") }),
                ));
            }
        }
        if req.network_policy.is_none() {
            req.network_policy = nb.network_policy.clone();
        }
        if req.allow_hosts.is_empty() {
            req.allow_hosts = nb.allow_hosts.clone();
        }
        for d in &nb.deny_hosts {
            if !req.deny_hosts.contains(d) {
                req.deny_hosts.push(d.clone());
            }
        }
        Ok(())
    }

    /// The agent this request names.
    pub fn agent_profile(&self) -> Result<Agent> {
        match (&self.command, Agent::builtin(&self.agent)) {
            (None, Some(a)) => Ok(a),
            (Some(cmd), _) => {
                let (program, args) = cmd
                    .split_first()
                    .ok_or_else(|| Error::invalid("command", "is empty"))?;
                let a = Agent::custom(self.agent.clone(), program.clone())
                    .with_default_args(args.iter().cloned());
                a.validate()?;
                Ok(a)
            }
            (None, None) => Agent::from_name(&self.agent),
        }
    }

    /// The builder this request describes (validation happens on `build`/`run`).
    pub fn builder(&self) -> Result<SandboxBuilder> {
        // An empty path (`-w "$UNSET"`) is a mistake, not the current directory.
        if self.workspace.as_deref() == Some("") {
            return Err(Error::invalid(
                "workspace",
                "is empty; give the project directory (or leave it unset for the current directory)",
            ));
        }
        let ws = crate::model::validate::absolutize(self.workspace.as_deref().unwrap_or("."))?;
        self.builder_with(Some(ws))
    }

    /// A warm pool of `size` sandboxes of this request (`docksandbox pool start`, Python
    /// `docksandbox.pool(...)`, Node `ds.pool(...)`): no workspace (each member gets a fresh
    /// empty one); `name` names the pool. See [`crate::Pool`].
    pub async fn pool(&self, client: &Client, size: usize) -> Result<crate::Pool> {
        if self.workspace.is_some() {
            return Err(Error::invalid(
                "workspace",
                "a pool's sandboxes get fresh empty workspaces of their own: leave it unset",
            ));
        }
        self.builder_with(None)?
            .client(client.clone())
            .pool(size)
            .await
    }

    fn builder_with(&self, ws: Option<std::path::PathBuf>) -> Result<SandboxBuilder> {
        let mut b = SandboxBuilder::default();
        if let Some(ws) = ws {
            b = b.workspace(ws);
        }
        let mut b = b
            .agent(self.agent_profile()?)
            .recreate(self.recreate)
            .envs(self.env.clone());
        for pair in &self.env_pairs {
            let (k, v) = parse_pair(pair, "env")?;
            b = b.env(k, v);
        }
        for pair in &self.label_pairs {
            let (k, v) = parse_pair(pair, "labels")?;
            b = b.label(k, v);
        }
        for v in &self.volumes {
            let mut m = Mount::parse(v)?;
            m.host = crate::model::validate::absolutize(&m.host)?;
            b = b.mount(m);
        }
        if let Some(t) = &self.template {
            b = b.template(t);
        }
        if let Some(c) = &self.credentials {
            b = b.credentials(c.parse()?);
        }
        if let Some(s) = self.mount_docker_socket {
            b = b.mount_docker_socket(s);
        }
        if let Some(d) = &self.docker {
            let d: crate::DockerAccess = d.parse()?;
            if self.mount_docker_socket == Some(true) && d != crate::DockerAccess::Host {
                return Err(crate::Error::invalid(
                    "docker",
                    format!("mount_docker_socket is docker=\"host\"; it cannot be combined with docker=\"{d}\""),
                ));
            }
            b = b.docker(d);
        }
        if let Some(n) = &self.name {
            b = b.name(n);
        }
        if let Some(c) = self.cpus {
            b = b.cpus(c);
        }
        if let Some(m) = &self.memory {
            b = b.memory(crate::model::resources::parse_memory(m)?);
        }
        if let Some(p) = self.pids_limit {
            b = b.pids_limit(p);
        }
        if let Some(n) = &self.network {
            b = b.network(n.parse()?);
        }
        if let Some(p) = self.policy()? {
            b = b.network_policy(p);
        }
        for (k, v) in &self.labels {
            b = b.label(k, v);
        }
        let ca = self.ca_bundle.clone().or_else(|| {
            std::env::var(crate::model::ca_bundle::CA_BUNDLE_ENV)
                .ok()
                .filter(|v| !v.is_empty())
        });
        if let Some(g) = self.git_guard {
            b = b.git_guard(g);
        }
        if let Some(m) = &self.workspace_mode {
            b = b.workspace_mode(m.parse()?);
        }
        for w in &self.writable {
            b = b.writable(w);
        }
        for sec in crate::model::secret::secrets_from_flags(
            &self.secrets,
            &self.secret_hosts,
            self.secret_mode.as_deref(),
        )? {
            b = b.secret(sec);
        }
        for (i, p) in self.ports.iter().enumerate() {
            b = b.port(crate::model::port::PortMapping::parse_field(
                p,
                &format!("ports[{i}]"),
            )?);
        }
        if let Some(e) = self.ephemeral {
            b = b.ephemeral(e);
        }
        if let Some(t) = &self.ttl {
            b = b.ttl(crate::model::duration::positive(t, "ttl")?);
        }
        if let Some(t) = &self.idle_stop {
            b = b.idle_stop(crate::model::duration::positive(t, "idle_stop")?);
        }
        if let Some(n) = &self.branch {
            b = b.branch(n.clone());
        }
        if let Some(f) = &self.branch_from {
            b = b.branch_from(f.clone());
        }
        if let Some(s) = self.share_agent_config {
            b = b.share_agent_config(s);
        }
        if let Some(ca) = ca {
            b = b.ca_bundle(crate::model::validate::absolutize(&ca)?);
        }
        Ok(b)
    }

    /// The network policy these words ask for, or `None` when they name none.
    pub fn policy(&self) -> Result<Option<NetworkPolicy>> {
        if self.allow_hosts.is_empty()
            && self.deny_hosts.is_empty()
            && self.network_policy.is_none()
            && self.allow_presets.is_empty()
            && self.add_hosts.is_empty()
        {
            return Ok(None);
        }
        let rules = |words: &[String], field: &str| {
            words
                .iter()
                .enumerate()
                .map(|(i, w)| parse_rule(w, &format!("{field}[{i}]")))
                .collect::<Result<Vec<_>>>()
        };
        let mut p = NetworkPolicy {
            allow: rules(&self.allow_hosts, "allow_hosts")?,
            deny: rules(&self.deny_hosts, "deny_hosts")?,
            presets: self.allow_presets.clone(),
            ..Default::default()
        };
        if let Some(d) = &self.network_policy {
            p.default = parse_default(d, "network_policy")?;
        }
        for (i, h) in self.add_hosts.iter().enumerate() {
            let field = format!("add_hosts[{i}]");
            // NAME:IP at the first `:` (a name has none; an IPv6 address may be bracketed).
            let (name, ip) = h
                .split_once(':')
                .filter(|(n, _)| !n.is_empty())
                .ok_or_else(|| {
                    Error::invalid(&field, format!("`{}` is not NAME:IP", h.escape_debug()))
                })?;
            let ip: std::net::IpAddr = ip.trim_matches(['[', ']']).parse().map_err(|_| {
                Error::invalid(
                    &field,
                    format!("`{}` is not an IP address", ip.escape_debug()),
                )
            })?;
            p.hosts
                .entry(name.to_ascii_lowercase())
                .or_default()
                .push(ip);
        }
        Ok(Some(p))
    }

    /// Creates or reuses the sandbox on `client`.
    pub async fn run(&self, client: &Client) -> Result<Sandbox> {
        self.builder()?.client(client.clone()).run().await
    }
}

/// How much a mode lets through: `none` < `proxy` < `bridge`.
fn reach(mode: NetworkMode) -> u8 {
    match mode {
        NetworkMode::None => 0,
        NetworkMode::Proxy => 1,
        NetworkMode::Bridge => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_interpreted_here() {
        let r = RunRequest {
            agent: "claude".into(),
            env_pairs: vec!["A=1=2".into()],
            credentials: Some("none".into()),
            ..Default::default()
        };
        let b = r.builder().unwrap();
        let dbg = format!("{b:?}");
        assert!(dbg.contains("\"A\": \"1=2\""), "{dbg}");
        for bad in [
            RunRequest {
                agent: "nope".into(),
                ..Default::default()
            },
            RunRequest {
                agent: "shell".into(),
                env_pairs: vec!["NOEQ".into()],
                ..Default::default()
            },
            RunRequest {
                agent: "shell".into(),
                memory: Some("lots".into()),
                ..Default::default()
            },
            RunRequest {
                agent: "shell".into(),
                network: Some("host".into()),
                ..Default::default()
            },
            RunRequest {
                agent: "shell".into(),
                credentials: Some("host".into()),
                ..Default::default()
            },
            RunRequest {
                agent: "x".into(),
                command: Some(vec![]),
                ..Default::default()
            },
        ] {
            let e = bad.builder().and_then(|b| b.build()).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidSpec, "{bad:?}");
        }
        let custom = RunRequest {
            agent: "aider".into(),
            command: Some(vec!["aider".into(), "--yes".into()]),
            ..Default::default()
        };
        assert_eq!(custom.agent_profile().unwrap().default_args, ["--yes"]);
    }

    #[test]
    fn static_names_take_v4_and_v6_addresses() {
        let r = RunRequest {
            agent: "shell".into(),
            add_hosts: vec![
                "a.test:10.0.0.1".into(),
                "b.test:[fd00::1]".into(),
                "B.test:2001:db8::1".into(),
            ],
            ..Default::default()
        };
        let p = r.policy().unwrap().unwrap();
        assert_eq!(
            p.hosts["a.test"],
            ["10.0.0.1".parse::<std::net::IpAddr>().unwrap()]
        );
        assert_eq!(p.hosts["b.test"].len(), 2, "{:?}", p.hosts);
        for bad in [":10.0.0.1", "c.test", "c.test:nope"] {
            let r = RunRequest {
                agent: "shell".into(),
                add_hosts: vec![bad.into()],
                ..Default::default()
            };
            assert!(
                r.policy().unwrap_err().to_string().contains("add_hosts[0]"),
                "{bad}"
            );
        }
    }
}
