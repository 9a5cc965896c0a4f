//! The client: one engine connection and every operation on it. All of `Client`'s methods are
//! in this file; each one that is a concept of its own hands over to that concept's module:
//! `run` to [`crate::lifecycle::run`], template builds to [`crate::templates`].

use std::sync::Arc;

use crate::backend::Backend;
use crate::docker::DockerBackend;
use crate::egress::proxy;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::lifecycle::gc::GcReport;
use crate::lifecycle::run::{self, RunOptions};
use crate::model::label_keys::MANAGED;
use crate::model::spec::SandboxSpec;
use crate::progress::ProgressFn;
use crate::sandbox::info::SandboxInfo;
use crate::sandbox::Sandbox;
use crate::templates::bootstrap::{self, BootstrapOptions};
use crate::templates::build::{BuiltTemplate, DockerfileBuild, TemplateBuilder, TemplateState};
use crate::templates::definition::{Template, TemplateBuildOptions};
use crate::workspace::guard_check::{self, GuardReport};

/// A connection to a container engine, shared by every sandbox it returns.
///
/// ```no_run
/// # async fn demo() -> docksandbox::Result<()> {
/// let client = docksandbox::Client::connect()?;
/// for s in client.list().await? {
///     println!("{} {} {}", s.name, s.status, s.workspace.display());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) engine: Engine,
}

impl Client {
    /// Connects to the Docker engine like the docker CLI (`DOCKER_HOST`, else the default socket).
    pub fn connect() -> Result<Self> {
        Self::connect_to(None)
    }

    /// Connects to the Docker engine at `host` (`unix://…`, `tcp://…`), or as [`Client::connect`].
    pub fn connect_to(host: Option<&str>) -> Result<Self> {
        Ok(Self::with_backend(Arc::new(DockerBackend::connect(host)?)))
    }

    /// Connects to the engine `config` names: an address, a docker context, TLS
    /// certificates (see [`crate::EngineConfig::resolve`]).
    ///
    /// ```no_run
    /// let client = docksandbox::Client::connect_with(&docksandbox::EngineConfig::resolve(None, Some("build-box"))?)?;
    /// # Ok::<(), docksandbox::Error>(())
    /// ```
    pub fn connect_with(config: &crate::EngineConfig) -> Result<Self> {
        Ok(Self::with_backend(Arc::new(DockerBackend::connect_with(
            config,
        )?)))
    }

    /// Uses any backend.
    pub fn with_backend(backend: Arc<dyn Backend>) -> Self {
        Client {
            engine: Engine::new(backend),
        }
    }

    /// Reports long steps (image pulls) to `observer`.
    ///
    /// ```no_run
    /// let client = docksandbox::Client::connect()?
    ///     .with_progress(std::sync::Arc::new(|p: &docksandbox::Progress| eprintln!("{p:?}")));
    /// # Ok::<(), docksandbox::Error>(())
    /// ```
    pub fn with_progress(mut self, observer: ProgressFn) -> Self {
        self.engine.progress = Some(observer);
        self
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.engine.backend
    }

    /// Checks that the engine answers.
    pub async fn ping(&self) -> Result<()> {
        self.engine.backend.ping().await
    }

    /// Creates the sandbox described by `spec`, or reuses the existing one for its workspace
    /// and agent (starting it when stopped). Fails with [`Error::ConfigChanged`] when the
    /// existing one was created with other settings, unless `options.recreate`.
    pub async fn run(&self, spec: SandboxSpec, options: RunOptions) -> Result<Sandbox> {
        self.collect_quietly().await;
        run::run(&self.engine, spec, options).await
    }

    /// Removes the ephemeral sandboxes whose owner process (on this host) is gone and those
    /// whose time to live is over; stops those idle past their idle-stop time. `run` and
    /// `list` do this first; call it from a timer (`docksandbox gc`) to enforce lifetimes when
    /// nothing else runs.
    pub async fn collect_garbage(&self) -> Result<GcReport> {
        crate::lifecycle::gc::collect(&self.engine).await
    }

    async fn collect_quietly(&self) {
        if let Err(e) = self.collect_garbage().await {
            tracing::debug!(error = %e, "garbage collection failed");
        }
    }

    /// The sandbox `reference`, started again when it was stopped for being idle (what
    /// `exec` uses: an idle-stopped sandbox comes back transparently).
    pub async fn resume(&self, reference: &str) -> Result<Sandbox> {
        self.collect_quietly().await;
        let sb = self.get(reference).await?;
        if !crate::sandbox::activity::was_idle_stopped(sb.name())
            || sb.status().await? == crate::backend::SandboxStatus::Running
        {
            return Ok(sb);
        }
        tracing::info!(
            "sandbox `{}` was stopped for being idle; starting it again",
            sb.name()
        );
        run::run(&self.engine, sb.spec().clone(), RunOptions::default()).await
    }

    /// As [`Client::run`], within `bounds`: the spec must be under its roots and of its
    /// templates, and a new sandbox must not exceed its count. Refused before anything is made.
    pub async fn run_within(
        &self,
        spec: SandboxSpec,
        options: RunOptions,
        bounds: &crate::lifecycle::bounds::Bounds,
    ) -> Result<Sandbox> {
        let spec = spec.validate()?;
        bounds.check(&spec)?;
        if let Some(max) = bounds.max_sandboxes {
            let repo = crate::lifecycle::bounds::repository_of(&spec);
            let branch = spec.branch.as_ref().map(|b| b.name.clone());
            let mine: Vec<SandboxSpec> = self
                .list()
                .await?
                .into_iter()
                .filter_map(|i| i.spec)
                .filter(|s| bounds.allows_sandbox(s))
                .collect();
            let exists = mine.iter().any(|s| {
                crate::lifecycle::bounds::repository_of(s) == repo
                    && s.agent.name == spec.agent.name
                    && s.branch.as_ref().map(|b| b.name.clone()) == branch
            });
            if !exists && mine.len() >= max {
                return Err(Error::invalid(
                    "max_sandboxes",
                    format!(
                        "{} sandboxes exist under this server's roots, its limit: remove one (sandbox_rm) first",
                        mine.len()
                    ),
                ));
            }
        }
        self.run(spec, options).await
    }

    /// As [`Client::get`], for a sandbox within `bounds` only (any other is not found).
    pub async fn get_within(
        &self,
        reference: &str,
        bounds: &crate::lifecycle::bounds::Bounds,
    ) -> Result<Sandbox> {
        let sb = self.get(reference).await?;
        if bounds.allows_sandbox(sb.spec()) {
            Ok(sb)
        } else {
            Err(Error::NotFound {
                reference: reference.to_string(),
            })
        }
    }

    /// Every docksandbox sandbox on the engine (one request; other containers are not shown).
    pub async fn list(&self) -> Result<Vec<SandboxInfo>> {
        self.collect_quietly().await;
        let backend = &self.engine.backend;
        let (sandboxes, forwarders) = tokio::join!(
            backend.list(&[(MANAGED, "true")]),
            backend.list(&[(crate::model::label_keys::PORTS_FOR, "")])
        );
        let forwarders = forwarders.unwrap_or_default();
        let mut v: Vec<SandboxInfo> = sandboxes?
            .into_iter()
            .map(|s| {
                let mut ports = s.ports.clone();
                ports.extend(crate::inbound::forwarder::listed(&forwarders, &s.name));
                ports.sort();
                let mut info = SandboxInfo::from_summary(s);
                info.ports = Some(ports);
                info
            })
            .collect();
        v = futures_util::future::join_all(v.into_iter().map(SandboxInfo::with_branch_status))
            .await;
        v.sort_by(|a, b| b.created.cmp(&a.created).then(a.name.cmp(&b.name)));
        Ok(v)
    }

    /// Every sandbox as a handle, ready for exec and files (one listing request).
    pub async fn list_sandboxes(&self) -> Result<Vec<Sandbox>> {
        self.collect_quietly().await;
        let backend = &self.engine.backend;
        let all = backend.list(&[(MANAGED, "true")]).await?;
        let mut v: Vec<_> = all
            .into_iter()
            .filter_map(|s| {
                let created = s.created;
                Sandbox::from_labels(backend.clone(), s.id, s.name, &s.labels)
                    .ok()
                    .map(|h| (created, h))
            })
            .collect();
        v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.name().cmp(b.1.name())));
        Ok(v.into_iter().map(|(_, h)| h).collect())
    }

    /// The sandbox called `reference`: a name, a full id, a branch sandbox's branch, or a
    /// unique id prefix.
    pub async fn get(&self, reference: &str) -> Result<Sandbox> {
        if reference.is_empty() {
            return Err(Error::invalid("sandbox", "the reference is empty"));
        }
        let backend = &self.engine.backend;
        let all = backend.list(&[(MANAGED, "true")]).await?;
        let pick = if let Some(s) = all
            .iter()
            .find(|s| s.name == reference || s.id == reference)
        {
            s.clone()
        } else if let Some(s) = self.by_branch(&all, reference)? {
            s
        } else {
            let matches: Vec<_> = all.iter().filter(|s| s.id.starts_with(reference)).collect();
            match matches.as_slice() {
                [one] => (*one).clone(),
                [] => {
                    return Err(Error::NotFound {
                        reference: reference.to_string(),
                    })
                }
                many => {
                    return Err(Error::Ambiguous {
                        reference: reference.to_string(),
                        count: many.len(),
                    })
                }
            }
        };
        Sandbox::from_labels(backend.clone(), pick.id, pick.name, &pick.labels)
    }

    /// The branch sandbox on branch `branch`: of the current directory's repository when it
    /// has one there, else the only one on that branch.
    fn by_branch(
        &self,
        all: &[crate::backend::ContainerSummary],
        branch: &str,
    ) -> Result<Option<crate::backend::ContainerSummary>> {
        let on: Vec<_> = all
            .iter()
            .filter(|s| {
                s.labels
                    .get(crate::model::label_keys::BRANCH)
                    .map(String::as_str)
                    == Some(branch)
            })
            .collect();
        if on.len() > 1 {
            // Several repositories (or agents) have this branch: the one of this directory.
            if let Ok(cwd) = std::env::current_dir().and_then(std::fs::canonicalize) {
                let here: Vec<_> = on
                    .iter()
                    .filter(|s| {
                        crate::reuse::stored_spec::decode(&s.labels)
                            .ok()
                            .and_then(|spec| spec.branch.and_then(|b| b.repository))
                            .is_some_and(|r| r == cwd)
                    })
                    .collect();
                if let [one] = here.as_slice() {
                    return Ok(Some((**one).clone()));
                }
            }
            return Err(Error::Ambiguous {
                reference: branch.to_string(),
                count: on.len(),
            });
        }
        Ok(on.first().map(|s| (*s).clone()))
    }

    /// Everything known about the sandbox called `reference` (name, id or unique id prefix).
    pub async fn inspect(&self, reference: &str) -> Result<SandboxInfo> {
        self.get(reference).await?.inspect().await
    }

    /// Every sandbox, inspected (mounts, security settings, limits): one listing request,
    /// then the inspections concurrently.
    pub async fn list_detailed(&self) -> Result<Vec<SandboxInfo>> {
        let listed = self.list().await?;
        let backend = &self.engine.backend;
        let all =
            futures_util::future::join_all(listed.iter().map(|s| backend.inspect(&s.id))).await;
        let mut out = Vec::with_capacity(all.len());
        for (d, s) in all.into_iter().zip(listed) {
            match d {
                Ok(d) => {
                    let mut info = SandboxInfo::from_details(d);
                    info.ports = s.ports;
                    out.push(info.with_branch_status().await)
                }
                // Removed between the listing and the inspection.
                Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Stops the sandbox called `reference`.
    pub async fn stop(&self, reference: &str) -> Result<()> {
        self.get(reference).await?.stop().await
    }

    /// Removes the sandbox called `reference` (running or not). Credentials volumes are kept.
    pub async fn remove(&self, reference: &str) -> Result<()> {
        self.get(reference).await?.remove().await
    }

    /// Removes what sandboxes removed behind docksandbox's back (e.g. by `docker rm`) left: their
    /// egress proxies, networks and policy volumes, scoped Docker proxies and the agent's
    /// containers and networks; returns how many sandboxes' parts went.
    /// `run` does this too for parts older than two minutes; this call takes all of them, so
    /// a `run` making a sandbox at the same moment may have to be repeated.
    pub async fn prune(&self) -> Result<usize> {
        let backend = self.engine.backend.as_ref();
        // Forwarders and the agent's children first: they are on the network the egress
        // proxy's parts take.
        let ports =
            crate::inbound::forwarder::remove_orphans(backend, std::time::Duration::ZERO).await?;
        let engine =
            crate::scoped_docker::proxy::remove_orphans(backend, std::time::Duration::ZERO).await?;
        let egress = proxy::remove_orphans(backend, std::time::Duration::ZERO).await?;
        Ok(egress.max(engine).max(ports))
    }

    /// Scans `workspace` for files through which the host would run programs (git hooks,
    /// config and attribute drivers of repositories made inside, `.envrc`, VS Code tasks and
    /// settings) that appeared or changed since the oldest sandbox of that workspace was made
    /// (every one, when no sandbox of it is known); with `fix`, disables them. What
    /// `docksandbox guard check [WORKSPACE] [--fix]` runs.
    ///
    /// ```no_run
    /// # async fn demo() -> docksandbox::Result<()> {
    /// let client = docksandbox::Client::connect()?;
    /// let report = client.guard_check(&std::env::current_dir()?, false).await?;
    /// for line in report.lines() {
    ///     eprintln!("docksandbox guard: {line}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn guard_check(&self, workspace: &std::path::Path, fix: bool) -> Result<GuardReport> {
        let ws = std::fs::canonicalize(workspace).map_err(|e| {
            Error::invalid(
                "workspace",
                format!("{} cannot be read: {e}", workspace.display()),
            )
        })?;
        let mut of: Vec<SandboxInfo> = self
            .list()
            .await?
            .into_iter()
            .filter(|s| s.workspace == ws)
            .collect();
        of.sort_by(|a, b| a.created.cmp(&b.created).then(a.name.cmp(&b.name)));
        let names: Vec<String> = of.into_iter().map(|s| s.name).collect();
        tokio::task::spawn_blocking(move || guard_check::check(&ws, &names, fix))
            .await
            .map_err(|e| Error::Client(format!("guard task: {e}")))?
    }

    /// Builds the built-in template `name` (`base`/`shell`, `claude`, `codex`, `gemini`,
    /// `copilot`) and the templates it is built FROM, skipping every image whose build inputs
    /// (definition, FROM image, CA bundle) are unchanged unless `options.force`.
    ///
    /// ```no_run
    /// # async fn demo() -> docksandbox::Result<()> {
    /// let client = docksandbox::Client::connect()?;
    /// let opts = docksandbox::TemplateBuildOptions::from_env();
    /// for t in client.build_template("claude", &opts).await? {
    ///     println!("{} {}", t.image, if t.built { "built" } else { "up to date" });
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn build_template(
        &self,
        name: &str,
        options: &TemplateBuildOptions,
    ) -> Result<Vec<BuiltTemplate>> {
        TemplateBuilder::new(&self.engine)
            .build_template(name, options)
            .await
    }

    /// Builds `build.dockerfile` with `build.context` into `build.tag`, labelled with the
    /// docksandbox version and a hash of the context; skipped when that hash is unchanged
    /// (unless `options.force`). A CA bundle is put in the context as `docksandbox-ca.crt`
    /// and the CA variables passed as build arguments.
    pub async fn build_dockerfile(
        &self,
        build: &DockerfileBuild,
        options: &TemplateBuildOptions,
    ) -> Result<BuiltTemplate> {
        TemplateBuilder::new(&self.engine)
            .build_dockerfile(build, options)
            .await
    }

    /// Every built-in template with the state of its image on the engine.
    pub async fn template_states(&self) -> Result<Vec<(&'static Template, TemplateState)>> {
        TemplateBuilder::new(&self.engine).template_states().await
    }

    /// Produces `options.image` from Debian's packages with debootstrap (minbase variant) and
    /// imports it into the engine; a no-op when the image exists (unless `options.force`).
    /// Needs root and the `debootstrap` program on this host.
    pub async fn bootstrap_base_image(&self, options: &BootstrapOptions) -> Result<()> {
        bootstrap::bootstrap_base_image(&self.engine, options).await
    }
}
