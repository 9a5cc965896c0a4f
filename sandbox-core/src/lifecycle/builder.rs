//! The builder that describes a sandbox and ends in one async call.

use crate::model::docker_access::DockerAccess;
use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::lifecycle::client::Client;
use crate::lifecycle::run::RunOptions;
use crate::model::agent::Agent;
use crate::model::branch::Branch;
use crate::model::credentials::CredentialsMode;
use crate::model::mount::Mount;
use crate::model::network::NetworkMode;
use crate::model::network_policy::NetworkPolicy;
use crate::model::port::PortMapping;
use crate::model::resources::Resources;
use crate::model::secret::Secret;
use crate::model::spec::SandboxSpec;
use crate::model::workspace_mode::WorkspaceMode;
use crate::sandbox::Sandbox;

impl Sandbox {
    /// Starts describing a sandbox.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }
}

/// Describes a sandbox; [`SandboxBuilder::build`] validates it into a [`SandboxSpec`] and
/// [`SandboxBuilder::run`] creates or reuses it.
///
/// ```no_run
/// use docksandbox::{Sandbox, Claude, Mount, NetworkMode};
/// # async fn demo() -> docksandbox::Result<()> {
/// let sandbox = Sandbox::builder()
///     .workspace(std::env::current_dir()?)
///     .agent(Claude)
///     .env("RUST_LOG", "info")
///     .mount(Mount::read_only("/srv/datasets", "/data"))
///     .cpus(2.0)
///     .memory(4 << 30)
///     .network(NetworkMode::Bridge)
///     .run()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct SandboxBuilder {
    workspace: Option<PathBuf>,
    agent: Option<Agent>,
    template: Option<String>,
    env: BTreeMap<String, String>,
    mounts: Vec<Mount>,
    docker: Option<DockerAccess>,
    credentials: Option<CredentialsMode>,
    name: Option<String>,
    resources: Resources,
    network: Option<NetworkMode>,
    network_policy: Option<NetworkPolicy>,
    labels: BTreeMap<String, String>,
    ca_bundle: Option<PathBuf>,
    share_agent_config: Option<bool>,
    git_guard: Option<bool>,
    workspace_mode: Option<WorkspaceMode>,
    writable: Vec<PathBuf>,
    secrets: Vec<Secret>,
    ports: Vec<PortMapping>,
    ephemeral: Option<bool>,
    ttl: Option<u64>,
    idle_stop: Option<u64>,
    branch: Option<Branch>,
    options: RunOptions,
    client: Option<Client>,
    deferred_error: Option<String>,
}

impl SandboxBuilder {
    /// The project directory, mounted at the same absolute path. Required.
    pub fn workspace(mut self, dir: impl Into<PathBuf>) -> Self {
        self.workspace = Some(dir.into());
        self
    }
    /// The agent ([`crate::Claude`], [`crate::Shell`], [`Agent::custom`] …). Required.
    pub fn agent(mut self, agent: impl Into<Agent>) -> Self {
        self.agent = Some(agent.into());
        self
    }
    /// The template image (default: the agent's).
    pub fn template(mut self, image: impl Into<String>) -> Self {
        self.template = Some(image.into());
        self
    }
    /// Sets a container environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }
    /// Sets container environment variables.
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }
    /// Adds an extra mount.
    pub fn mount(mut self, mount: Mount) -> Self {
        self.mounts.push(mount);
        self
    }
    /// Adds an extra mount written as `HOST[:CONTAINER][:ro]` (errors surface at build/run).
    pub fn volume(mut self, spec: &str) -> Self {
        match Mount::parse(spec) {
            Ok(m) => self.mounts.push(m),
            Err(e) => {
                self.deferred_error.get_or_insert(e.to_string());
            }
        }
        self
    }
    /// What the sandbox may do with the engine: nothing (the default), a scoped engine of its
    /// own objects ([`DockerAccess::Scoped`]) or the host's engine ([`DockerAccess::Host`], root
    /// on the host).
    ///
    /// ```
    /// use docksandbox::{DockerAccess, Sandbox, Shell};
    /// let ws = tempfile::tempdir().unwrap();
    /// let spec = Sandbox::builder()
    ///     .workspace(ws.path())
    ///     .agent(Shell)
    ///     .docker(DockerAccess::Scoped)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(spec.docker, Some(DockerAccess::Scoped));
    /// ```
    pub fn docker(mut self, access: DockerAccess) -> Self {
        self.docker = Some(access);
        self
    }
    /// Mounts the engine's socket at `/var/run/docker.sock` (the agent then controls the
    /// engine): the same as `docker(DockerAccess::Host)` (`false`: `DockerAccess::None`).
    pub fn mount_docker_socket(self, yes: bool) -> Self {
        self.docker(if yes {
            DockerAccess::Host
        } else {
            DockerAccess::None
        })
    }
    /// Where the agent's login lives.
    pub fn credentials(mut self, mode: CredentialsMode) -> Self {
        self.credentials = Some(mode);
        self
    }
    /// The container name (default: derived from workspace and agent).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// CPU limit.
    pub fn cpus(mut self, cpus: f64) -> Self {
        self.resources.cpus = Some(cpus);
        self
    }
    /// Memory limit in bytes ([`crate::parse_memory`] reads `512m`, `2g`).
    pub fn memory(mut self, bytes: u64) -> Self {
        self.resources.memory = Some(bytes);
        self
    }
    /// Process limit (default [`Resources::DEFAULT_PIDS`]).
    pub fn pids_limit(mut self, pids: i64) -> Self {
        self.resources.pids = Some(pids);
        self
    }
    /// Network mode.
    pub fn network(mut self, network: NetworkMode) -> Self {
        self.network = Some(network);
        self
    }
    /// What the sandbox may reach through its egress proxy (`proxy` mode, the default).
    pub fn network_policy(mut self, policy: NetworkPolicy) -> Self {
        self.network_policy = Some(policy);
        self
    }
    /// A PEM bundle of CA certificates for the sandbox and its template build
    /// (see [`SandboxSpec::ca_bundle`]).
    pub fn ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(path.into());
        self
    }
    /// The git guard: repositories' hooks and config read-only inside (on by default; see
    /// [`SandboxSpec::git_guard`]).
    pub fn git_guard(mut self, yes: bool) -> Self {
        self.git_guard = Some(yes);
        self
    }
    /// How the workspace is shared: [`WorkspaceMode::ReadWrite`] (the default), read-only, or
    /// review (see [`SandboxSpec::workspace_mode`]).
    pub fn workspace_mode(mut self, mode: WorkspaceMode) -> Self {
        self.workspace_mode = Some(mode);
        self
    }
    /// A secret: its value stays on the host; the sandbox holds a placeholder that the egress
    /// proxy replaces, in request headers to the secret's hosts only (see [`Secret`]).
    ///
    /// ```no_run
    /// # async fn demo() -> docksandbox::Result<()> {
    /// use docksandbox::{Sandbox, Secret, Shell};
    /// let sb = Sandbox::builder()
    ///     .workspace(std::env::current_dir()?)
    ///     .agent(Shell)
    ///     .secret(Secret::from_env("GITHUB_TOKEN").host("api.github.com"))
    ///     .run()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn secret(mut self, secret: Secret) -> Self {
        self.secrets.push(secret);
        self
    }
    /// A subdirectory of a read-only workspace that stays writable (`target`, `build/out`).
    pub fn writable(mut self, dir: impl Into<PathBuf>) -> Self {
        self.writable.push(dir.into());
        self
    }
    /// Shares the host's non-secret agent configuration (see [`SandboxSpec::share_agent_config`]).
    pub fn share_agent_config(mut self, yes: bool) -> Self {
        self.share_agent_config = Some(yes);
        self
    }
    /// Publishes a port of the sandbox on the host ([`PortMapping`]: `127.0.0.1` and a free
    /// host port unless set).
    ///
    /// ```
    /// use docksandbox::{PortMapping, Sandbox, Shell};
    /// let ws = tempfile::tempdir().unwrap();
    /// let spec = Sandbox::builder()
    ///     .workspace(ws.path())
    ///     .agent(Shell)
    ///     .port(PortMapping::tcp(3000))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(spec.ports[0].to_string(), "127.0.0.1:0:3000/tcp");
    /// ```
    pub fn port(mut self, port: PortMapping) -> Self {
        self.ports.push(port);
        self
    }
    /// A fresh sandbox removed when its owner (this process) is done with it
    /// ([`crate::Sandbox::remove`]) or dies (see [`SandboxSpec::ephemeral`]).
    pub fn ephemeral(mut self, yes: bool) -> Self {
        self.ephemeral = Some(yes);
        self
    }
    /// Removed `ttl` after it is made.
    pub fn ttl(mut self, ttl: std::time::Duration) -> Self {
        self.ttl = Some(ttl.as_secs());
        self
    }
    /// Stopped after `idle` without an exec or attached session; started again on use.
    pub fn idle_stop(mut self, idle: std::time::Duration) -> Self {
        self.idle_stop = Some(idle.as_secs());
        self
    }
    /// Works on branch `name` of the workspace's repository, in its own worktree beside the
    /// repository (made from `HEAD` when the branch is new; see [`SandboxSpec::branch`]).
    ///
    /// ```no_run
    /// # async fn f() -> docksandbox::Result<()> {
    /// use docksandbox::{Sandbox, Claude};
    /// let sb = Sandbox::builder().workspace("/src/app").agent(Claude).branch("fix-login").run().await?;
    /// # Ok(()) }
    /// ```
    pub fn branch(mut self, name: impl Into<String>) -> Self {
        let from = self.branch.take().and_then(|b| b.from);
        self.branch = Some(Branch {
            from,
            ..Branch::new(name)
        });
        self
    }
    /// A new branch starts from `reference` (a branch, tag or commit) instead of `HEAD`.
    /// Needs [`SandboxBuilder::branch`].
    pub fn branch_from(mut self, reference: impl Into<String>) -> Self {
        let b = self.branch.get_or_insert_with(|| Branch::new(""));
        b.from = Some(reference.into());
        self
    }
    /// Adds a container label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }
    /// Replace an existing sandbox whose stored config differs instead of failing with
    /// [`Error::ConfigChanged`].
    pub fn recreate(mut self, yes: bool) -> Self {
        self.options.recreate = yes;
        self
    }
    /// Uses this client (default: [`Client::connect`]).
    pub fn client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Validates the description into a spec. Nothing is created.
    pub fn build(&self) -> Result<SandboxSpec> {
        if let Some(e) = &self.deferred_error {
            return Err(Error::invalid("volume", e.clone()));
        }
        let workspace = self
            .workspace
            .clone()
            .ok_or_else(|| Error::invalid("workspace", "not set: give the project directory"))?;
        let agent = self.agent.clone().ok_or_else(|| {
            Error::invalid(
                "agent",
                format!(
                    "not set: choose one of {} or a custom agent",
                    Agent::BUILTIN_NAMES.join(", ")
                ),
            )
        })?;
        if let Some(b) = &self.branch {
            if b.name.is_empty() {
                return Err(Error::invalid(
                    "branch.from",
                    "a starting point needs a branch: give --branch NAME too",
                ));
            }
        }
        SandboxSpec {
            workspace,
            agent,
            template: self.template.clone(),
            env: self.env.clone(),
            mounts: self.mounts.clone(),
            docker: self.docker,
            credentials: self.credentials,
            name: self.name.clone(),
            resources: self.resources,
            network: self.network,
            network_policy: self.network_policy.clone(),
            labels: self.labels.clone(),
            ca_bundle: self.ca_bundle.clone(),
            share_agent_config: self.share_agent_config,
            git_guard: self.git_guard,
            workspace_mode: self.workspace_mode,
            writable: self.writable.clone(),
            secrets: self.secrets.clone(),
            ports: self.ports.clone(),
            ephemeral: self.ephemeral,
            ttl: self.ttl,
            idle_stop: self.idle_stop,
            branch: self.branch.clone(),
            pool: None,
        }
        .validate()
    }

    /// Starts a warm pool of `size` sandboxes of this description (no workspace: each gets a
    /// fresh empty one; see [`crate::Pool`]).
    pub async fn pool(self, size: usize) -> Result<crate::Pool> {
        if self.workspace.is_some() {
            return Err(Error::invalid(
                "workspace",
                "a pool's sandboxes get fresh empty workspaces of their own: leave it unset",
            ));
        }
        let pool_name = self.name.clone();
        let mut b = self;
        b.name = None;
        let client = match b.client.clone() {
            Some(c) => c,
            None => Client::connect()?,
        };
        b.workspace = Some(crate::lifecycle::pool::member_root());
        let mut spec = b.build()?;
        spec.workspace = std::path::PathBuf::new();
        match pool_name {
            Some(n) => crate::Pool::named(&client, &n, spec, size).await,
            None => crate::Pool::new(&client, spec, size).await,
        }
    }

    /// Creates the sandbox, or reuses the one that exists for this workspace and agent
    /// (starting it when stopped), and returns it running.
    pub async fn run(self) -> Result<Sandbox> {
        let spec = self.build()?;
        let client = match self.client {
            Some(c) => c,
            None => Client::connect()?,
        };
        client.run(spec, self.options).await
    }
}
