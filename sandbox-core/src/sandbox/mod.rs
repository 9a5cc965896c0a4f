//! The handle on one running sandbox: exec, files, agent, stop, remove, inspect.

//!
//! The handle's methods live by concept: identity and lifecycle here, commands in
//! [`exec`](self::exec), the agent in `agent_launch`, files in `files`.

pub(crate) mod activity;
pub(crate) mod agent_launch;
pub(crate) mod branch;
pub(crate) mod busy;
pub(crate) mod exec;
pub(crate) mod exec_options;
pub(crate) mod exec_output;
pub(crate) mod files;
pub(crate) mod git_identity;
pub(crate) mod guard;
pub(crate) mod info;
pub(crate) mod network;
pub(crate) mod oom;
pub(crate) mod ports;
pub(crate) mod ready;
pub(crate) mod review;
pub(crate) mod save;
pub(crate) mod session_log;
pub(crate) mod stats;

use crate::model::docker_access::DockerAccess;
use crate::scoped_docker;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use crate::backend::{Backend, SandboxStatus};
use crate::channel::Channel;
use crate::egress::proxy;
use crate::error::{Error, Result};
use crate::model::agent::Agent;
use crate::model::network::NetworkMode;
use crate::model::spec::SandboxSpec;
use crate::model::workspace_mode::WorkspaceMode;
use crate::reuse::stored_spec::{decode, stored_user};
use crate::sandbox::info::SandboxInfo;
use crate::workspace::guard_check;
use crate::workspace::review_layer::ReviewLayer;

/// A sandbox: one container for one (workspace, agent), with the workspace at the same path.
///
/// Cheap to clone; all clones share one engine connection.
///
/// ```no_run
/// use docksandbox::{Sandbox, Shell};
/// # async fn demo() -> docksandbox::Result<()> {
/// let sandbox = Sandbox::builder()
///     .workspace(std::env::current_dir()?)
///     .agent(Shell)
///     .run()
///     .await?;
/// let out = sandbox.exec(["pwd"]).await?;
/// assert_eq!(out.stdout_str().trim(), std::env::current_dir()?.to_str().unwrap());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

#[derive(Debug, Clone)]
struct Inner {
    backend: Arc<dyn Backend>,
    id: String,
    name: String,
    spec: SandboxSpec,
    user: String,
    home: String,
    git_env: OnceCell<Vec<String>>,
    agent_program: OnceCell<String>,
    egress_checked: OnceCell<()>,
    channel: Arc<Channel>,
}

/// Size of a terminal, for [`Sandbox::attach_agent`] and [`Sandbox::exec_process`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtySize {
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub cols: u16,
}

impl Sandbox {
    pub(crate) fn new(
        backend: Arc<dyn Backend>,
        id: String,
        name: String,
        spec: SandboxSpec,
        user: String,
        home: String,
    ) -> Self {
        let channel = Channel::shared(&backend, &id, &name);
        Sandbox::assemble(backend, (id, name), spec, (user, home), channel)
    }

    fn assemble(
        backend: Arc<dyn Backend>,
        (id, name): (String, String),
        spec: SandboxSpec,
        (user, home): (String, String),
        channel: Arc<Channel>,
    ) -> Self {
        Sandbox {
            inner: Arc::new(Inner {
                backend,
                id,
                name,
                spec,
                user,
                home,
                git_env: OnceCell::new(),
                agent_program: OnceCell::new(),
                egress_checked: OnceCell::new(),
                channel,
            }),
        }
    }

    /// The handle on container `id` called `name`, from the labels that store its spec.
    pub(crate) fn from_labels(
        backend: Arc<dyn Backend>,
        id: String,
        name: String,
        labels: &HashMap<String, String>,
    ) -> Result<Self> {
        let spec = decode(labels)?;
        let (user, home) = stored_user(labels);
        Ok(Sandbox::new(backend, id, name, spec, user, home))
    }

    /// The same sandbox with another agent profile (a re-run may bring an updated profile);
    /// it shares this handle's exec channel and finds the agent's program anew.
    pub(crate) fn with_agent(self, agent: Agent) -> Self {
        let mut inner = Inner::clone(&self.inner);
        inner.spec.agent = agent;
        inner.agent_program = OnceCell::new();
        Sandbox {
            inner: Arc::new(inner),
        }
    }

    /// The container id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }
    /// The container name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }
    /// The agent profile.
    pub fn agent(&self) -> &Agent {
        &self.inner.spec.agent
    }
    /// The workspace path (the same on the host and in the sandbox).
    pub fn workspace(&self) -> &Path {
        &self.inner.spec.workspace
    }
    /// The effective spec (secret env values fingerprinted).
    pub fn spec(&self) -> &SandboxSpec {
        &self.inner.spec
    }
    /// `uid:gid` commands run as by default (the workspace owner's).
    pub fn user(&self) -> &str {
        &self.inner.user
    }
    /// The sandbox user's home directory.
    pub fn home(&self) -> &str {
        &self.inner.home
    }
    /// The engine backend.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.inner.backend
    }

    /// Stops the sandbox (its processes are killed after 10 s), and its egress proxy. `run`
    /// starts both again.
    pub async fn stop(&self) -> Result<()> {
        self.inner
            .backend
            .stop(&self.inner.id, Duration::from_secs(10))
            .await?;
        crate::inbound::forwarder::stop_all(self.inner.backend.as_ref(), &self.inner.name).await?;
        if self.inner.spec.network == Some(NetworkMode::Proxy) {
            proxy::stop(self.inner.backend.as_ref(), &self.inner.name).await?;
        }
        if self.inner.spec.docker == Some(DockerAccess::Scoped) {
            scoped_docker::proxy::stop(self.inner.backend.as_ref(), &self.inner.name).await?;
        }
        Ok(())
    }

    /// Done with the sandbox: an ephemeral one ([`crate::SandboxSpec::ephemeral`]) is
    /// removed, any other stopped (`run` starts it again). What Python's `with` and Node's
    /// `await using` / `close()` call on exit. A sandbox already gone is not an error.
    ///
    /// ```no_run
    /// # async fn f() -> docksandbox::Result<()> {
    /// let sb = docksandbox::Sandbox::builder()
    ///     .workspace(std::env::current_dir()?)
    ///     .agent(docksandbox::Shell)
    ///     .ephemeral(true)
    ///     .run()
    ///     .await?;
    /// sb.exec(["make", "test"]).await?;
    /// sb.close().await?; // removed
    /// # Ok(()) }
    /// ```
    pub async fn close(&self) -> Result<()> {
        let done = if self.inner.spec.ephemeral == Some(true) {
            self.remove().await
        } else {
            self.stop().await
        };
        match done {
            Err(Error::NotFound { .. }) => Ok(()),
            r => r,
        }
    }

    /// Removes the sandbox, running or not. The credentials volume is kept.
    pub async fn remove(&self) -> Result<()> {
        self.remove_with(true).await
    }

    /// Removes the sandbox; without `force` a running sandbox is refused with
    /// [`Error::Running`] (like `docker rm` without `-f`).
    pub async fn remove_with(&self, force: bool) -> Result<()> {
        self.remove_with_volumes(force, false).await
    }

    /// As [`Sandbox::remove_with`]; with `volumes`, the named volumes the agent made through
    /// scoped Docker access go too (its containers, networks and anonymous volumes always do).
    pub async fn remove_with_volumes(&self, force: bool, volumes: bool) -> Result<()> {
        self.remove_with_options(&RemoveOptions {
            force,
            volumes,
            ..Default::default()
        })
        .await
    }

    /// Removes the sandbox as `options` say. A branch sandbox's worktree goes with it and its
    /// branch stays (unless `delete_branch`); a worktree with uncommitted changes, or deleting a
    /// branch its base has not merged, is refused before anything is removed unless `discard`.
    ///
    /// ```no_run
    /// # async fn f(sb: docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// use docksandbox::RemoveOptions;
    /// sb.remove_with_options(&RemoveOptions { force: true, delete_branch: true, ..Default::default() }).await?;
    /// # Ok(()) }
    /// ```
    pub async fn remove_with_options(&self, options: &RemoveOptions) -> Result<()> {
        let (force, volumes) = (options.force, options.volumes);
        let spec = self.inner.spec.clone();
        let (delete_branch, discard) = (options.delete_branch, options.discard);
        crate::workspace::git::blocking(move || {
            crate::workspace::worktree::check_removal(&spec, delete_branch, discard)
        })
        .await?;
        // Gone already (another process removed it, or is doing so): its companions are
        // still removed here, and the caller learns it was not found.
        let mut gone = None;
        match self.status().await {
            Ok(status) => {
                let live = matches!(
                    status,
                    SandboxStatus::Running | SandboxStatus::Paused | SandboxStatus::Restarting
                );
                if !force && live {
                    return Err(Error::Running {
                        name: self.inner.name.clone(),
                    });
                }
                match self.inner.backend.remove(&self.inner.id, force).await {
                    Ok(()) => {}
                    Err(e @ Error::NotFound { .. }) => gone = Some(e),
                    Err(e) => return Err(e),
                }
            }
            Err(e @ Error::NotFound { .. }) => gone = Some(e),
            Err(e) => return Err(e),
        }
        crate::inbound::forwarder::remove(self.inner.backend.as_ref(), &self.inner.name).await?;
        if self.inner.spec.docker == Some(DockerAccess::Scoped) {
            // The agent's containers and networks go with it (and their anonymous volumes);
            // its named volumes stay, like the credentials volume.
            scoped_docker::proxy::remove(self.inner.backend.as_ref(), &self.inner.name, volumes)
                .await?;
        }
        if self.inner.spec.network == Some(NetworkMode::Proxy) {
            proxy::remove(self.inner.backend.as_ref(), &self.inner.name).await?;
        }
        if self.inner.spec.workspace_mode == Some(WorkspaceMode::Review) {
            ReviewLayer::remove(self.inner.backend.as_ref(), &self.inner.name).await?;
        }
        guard_check::forget(&self.inner.name);
        crate::sandbox::activity::forget(&self.inner.name);
        crate::model::pool_member::discard_workspace(&self.inner.spec);
        let spec = self.inner.spec.clone();
        crate::workspace::git::blocking(move || {
            crate::workspace::worktree::remove(&spec, delete_branch)
        })
        .await?;
        gone.map_or(Ok(()), Err)
    }

    /// Everything known about the sandbox, with its effective security settings.
    pub async fn inspect(&self) -> Result<SandboxInfo> {
        let d = self.inner.backend.inspect(&self.inner.id).await?;
        let mut ports = d.ports.clone();
        ports.extend(
            crate::inbound::forwarder::list(self.inner.backend.as_ref(), &self.inner.name).await?,
        );
        ports.sort();
        let mut info = SandboxInfo::from_details(d);
        info.ports = Some(ports);
        if info.docker == DockerAccess::Scoped {
            info.children = Some(
                scoped_docker::proxy::children(self.inner.backend.as_ref(), &self.inner.name)
                    .await?,
            );
        }
        Ok(info.with_branch_status().await)
    }

    /// The sandbox's current status.
    pub async fn status(&self) -> Result<SandboxStatus> {
        Ok(self
            .inner
            .backend
            .inspect(&self.inner.id)
            .await?
            .summary
            .status)
    }
}

/// How [`Sandbox::remove_with_options`] removes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemoveOptions {
    /// Remove it even when running (else [`Error::Running`]).
    pub force: bool,
    /// The named volumes the agent made through scoped Docker access go too.
    pub volumes: bool,
    /// A branch sandbox's branch goes too (refused when not merged, unless `discard`).
    pub delete_branch: bool,
    /// Drop a branch sandbox's uncommitted changes, and an unmerged branch with
    /// `delete_branch`.
    pub discard: bool,
}
