//! Create-or-reuse: the heart of `run`.
//!
//! A sandbox is keyed by (canonical workspace, agent) through a label. Concurrent `run`s race
//! on a deterministic container name: the engine lets exactly one create it, the others get
//! "name taken" and adopt the winner. No lock files, no daemon.

use crate::inbound::forwarder;
use crate::model::docker_access::DockerAccess;
use crate::scoped_docker;
use std::collections::HashMap;
use std::time::Duration;
use tracing::Instrument;

use crate::backend::{ContainerDetails, Created, SandboxStatus};
use crate::channel::helper_volume;
use crate::egress::proxy;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::lifecycle::container_config::container_config;
use crate::lifecycle::mount_check::verify_mounts;
use crate::model::credentials::CredentialsMode;
use crate::model::label_keys::{CREDENTIALS_OF, KEY, MANAGED, OWNER_PROCESS};
use crate::model::naming::{credentials_volume, sandbox_key};
use crate::model::network::NetworkMode;
use crate::model::spec::SandboxSpec;
use crate::model::workspace_mode::WorkspaceMode;
use crate::reuse::drift::reconcile;
use crate::reuse::stored_spec::{decode, storable, stored_user};
use crate::sandbox::Sandbox;
use crate::templates::build::TemplateBuilder;
use crate::templates::definition::{Template, TemplateBuildOptions};
use crate::workspace::guard_check;
use crate::workspace::review_layer::ReviewLayer;
use crate::workspace::worktree;
use std::os::unix::fs::MetadataExt;

/// How [`crate::Client::run`] treats an existing sandbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Replace an existing sandbox whose stored config differs from the requested one.
    pub recreate: bool,
}

/// Creates the sandbox described by `spec`, or reuses the existing one for its workspace and
/// agent (see [`crate::Client::run`]).
pub(crate) async fn run(
    engine: &Engine,
    spec: SandboxSpec,
    options: RunOptions,
) -> Result<Sandbox> {
    let spec = spec.validate()?;
    // A branch sandbox's workspace is its worktree, made first (and undone if the sandbox
    // cannot be made).
    let (spec, made) = tokio::task::spawn_blocking(move || worktree::prepare(spec))
        .await
        .map_err(|e| Error::Client(format!("the worktree step panicked: {e}")))??;
    let mut checkout = worktree::Checkout::of(made.as_ref());
    let result = run_placed(engine, spec, options, &mut checkout)
        .instrument(tracing::debug_span!("run"))
        .await;
    // Joined by whatever read the files; settled here when the run failed before that.
    let finished = if result.is_ok() {
        checkout.wait().await
    } else {
        checkout.settle().await
    };
    let result = match (result, finished) {
        (Ok(sb), Err(e)) => {
            let _ = sb.remove().await;
            Err(e)
        }
        (result, _) => result,
    };
    if result.is_err() {
        if let Some(m) = made {
            m.undo();
        }
    }
    result
}

async fn run_placed(
    engine: &Engine,
    spec: SandboxSpec,
    options: RunOptions,
    checkout: &mut worktree::Checkout,
) -> Result<Sandbox> {
    if spec.ephemeral == Some(true) {
        // Always a fresh one, never adopted by nor adopting another `run`.
        return create(engine, &spec, options, checkout).await;
    }
    let key = sandbox_key(&spec.workspace, &spec.agent.name);
    let found = engine
        .backend
        .list(&[(KEY, key.as_str())])
        .instrument(tracing::debug_span!("lookup"))
        .await?;
    if let Some(existing) = found
        .into_iter()
        .filter(|s| !s.labels.contains_key(OWNER_PROCESS))
        .min_by_key(|s| s.created)
    {
        checkout.wait().await?;
        let status = existing.status;
        if let Some(sb) = adopt(
            engine,
            &spec,
            existing.id,
            existing.name,
            &existing.labels,
            status,
            options,
        )
        .await?
        {
            return Ok(sb);
        }
    }
    create(engine, &spec, options, checkout).await
}

/// Reuses an existing sandbox; `None` when it was removed to be recreated.
async fn adopt(
    engine: &Engine,
    requested: &SandboxSpec,
    id: String,
    name: String,
    stored_labels: &HashMap<String, String>,
    status: SandboxStatus,
    options: RunOptions,
) -> Result<Option<Sandbox>> {
    let stored = decode(stored_labels)?;
    match reconcile(requested, &stored) {
        Ok(_effective) => {
            if stored.network == Some(NetworkMode::Proxy) {
                // Its network and proxy first: a proxy stopped, killed or removed behind our
                // back comes back before the sandbox runs again.
                proxy::ensure(engine, &stored).await?;
            }
            if stored.docker == Some(DockerAccess::Scoped) {
                scoped_docker::proxy::ensure(engine, &stored).await?;
            }
            if status != SandboxStatus::Running {
                // Stopped, killed, or its engine restarted: say so, then bring it back.
                tracing::info!("sandbox `{name}` was {status}; starting it again");
            }
            match status {
                SandboxStatus::Running => {}
                SandboxStatus::Paused => engine.backend.unpause(&id).await?,
                _ => engine
                    .backend
                    .start(&id)
                    .await
                    .map_err(|e| start_error(&name, e))?,
            }
            let d = engine.backend.inspect(&id).await?;
            wait_ready(engine, &name, &d).await?;
            if stored.idle_stop.is_some() {
                crate::sandbox::activity::touch(&name);
            }
            // Its forwarders: the stopped ones started, a removed one of its own ports made.
            forwarder::start_all(engine.backend.as_ref(), &name).await?;
            if stored.network == Some(NetworkMode::Proxy) {
                for p in &stored.ports {
                    forwarder::ensure(engine, &stored, p).await?;
                }
            }
            let sb = Sandbox::from_labels(engine.backend.clone(), id, name, stored_labels)?;
            Ok(Some(sb.with_agent(requested.agent.clone())))
        }
        Err(_) if options.recreate => {
            tracing::info!(sandbox = %name, "configuration changed; recreating");
            engine.backend.remove(&id, true).await?;
            Ok(None)
        }
        Err(changes) => Err(Error::ConfigChanged { name, changes }),
    }
}

async fn wait_ready(engine: &Engine, name: &str, d: &ContainerDetails) -> Result<()> {
    crate::sandbox::ready::wait_ready(engine.backend.as_ref(), name, d)
        .await
        .map_err(|e| named(name, e))
}

async fn create(
    engine: &Engine,
    spec: &SandboxSpec,
    options: RunOptions,
    checkout: &mut worktree::Checkout,
) -> Result<Sandbox> {
    let backend = &engine.backend;
    let resolved = spec.resolved();
    let mut config = container_config(backend.as_ref(), &resolved)?;
    let key = sandbox_key(&resolved.workspace, &resolved.agent.name);
    // A name held by another container is refused before anything (a volume) is made.
    match backend
        .inspect(&config.name)
        .instrument(tracing::debug_span!("name_check"))
        .await
    {
        Ok(_) if resolved.ephemeral == Some(true) => {
            return Err(ephemeral_name_taken(&config.name))
        }
        Ok(d) if d.summary.labels.get(KEY) != Some(&key) => {
            return Err(Error::NameInUse { name: config.name })
        }
        Ok(_) | Err(Error::NotFound { .. }) => {}
        Err(e) => return Err(e),
    }
    if let Some(t) = Template::for_image(&config.image) {
        let mut opts = TemplateBuildOptions::from_env();
        if let Some(ca) = &resolved.ca_bundle {
            opts.ca_bundle = Some(ca.clone());
        }
        TemplateBuilder::new(engine)
            .ensure_template(t, &opts)
            .instrument(tracing::debug_span!("template"))
            .await?;
    }
    // The exec helper from its read-only volume, made once per engine and helper build.
    if let Some(v) = helper_volume::ready(engine, &config.image)
        .instrument(tracing::debug_span!("helper_volume"))
        .await
    {
        config.mounts.push(helper_volume::mount(&v));
    }
    if resolved.credentials == Some(CredentialsMode::Sandbox)
        && !resolved.agent.credential_paths.is_empty()
    {
        let vol_labels = HashMap::from([
            (MANAGED.to_string(), "true".to_string()),
            (CREDENTIALS_OF.to_string(), resolved.agent.name.clone()),
        ]);
        backend
            .ensure_volume(&credentials_volume(&resolved.agent.name), &vol_labels)
            .instrument(tracing::debug_span!("credentials_volume"))
            .await?;
    }
    let proxy_starting = match resolved.network {
        Some(NetworkMode::Proxy) => {
            // A removed scoped sandbox's children are on its network: they go first.
            if let Err(e) =
                scoped_docker::proxy::remove_orphans(backend.as_ref(), proxy::ORPHAN_AFTER).await
            {
                tracing::warn!(error = %e, "could not clean up the scoped Docker proxies of removed sandboxes");
            }
            if let Err(e) = forwarder::remove_orphans(backend.as_ref(), proxy::ORPHAN_AFTER).await {
                tracing::warn!(error = %e, "could not clean up the port forwarders of removed sandboxes");
            }
            let (orphans, starting) = tokio::join!(
                proxy::remove_orphans(backend.as_ref(), proxy::ORPHAN_AFTER),
                proxy::ensure_starting(engine, &resolved)
                    .instrument(tracing::debug_span!("proxy_start"))
            );
            if let Err(e) = orphans {
                tracing::warn!(error = %e, "could not clean up the proxies of removed sandboxes");
            }
            Some(starting?)
        }
        Some(NetworkMode::Bridge) => {
            tracing::warn!(
                "sandbox `{}` uses the open bridge network: it can reach this host's services, the LAN and cloud metadata (the default `--network proxy` cannot)",
                config.name
            );
            None
        }
        _ => None,
    };
    if resolved.docker == Some(DockerAccess::Scoped) {
        // Its network exists now (the egress proxy may still be starting).
        if let Err(e) = scoped_docker::proxy::ensure(engine, &resolved).await {
            if resolved.network == Some(NetworkMode::Proxy) {
                if let Some(p) = proxy_starting {
                    let _ = p.wait().await;
                }
                let _ = proxy::remove(backend.as_ref(), &config.name).await;
            }
            let _ = scoped_docker::proxy::remove(backend.as_ref(), &config.name, false).await;
            return Err(e);
        }
    }
    if resolved.workspace_mode == Some(WorkspaceMode::Review) {
        // Review mode's layer copies the files: they are checked out first.
        checkout.wait().await?;
    }
    prepare_workspace(engine, &resolved, &config.name).await?;
    // A branch sandbox's files land while the engine starts it (begun once the container
    // exists); the record of its exec vectors reads them.
    let (created_tx, created_rx) = tokio::sync::oneshot::channel();
    let files = async {
        if created_rx.await.is_err() {
            // Not created: nothing to check out for (the run fails).
            return Ok(());
        }
        checkout.wait().await?;
        let (name, ws) = (config.name.clone(), resolved.workspace.clone());
        let recorded = tokio::task::spawn_blocking(move || guard_check::record(&name, &ws))
            .instrument(tracing::debug_span!("guard_record"))
            .await;
        if let Err(e) = recorded
            .map_err(|e| Error::Client(e.to_string()))
            .and_then(|r| r)
        {
            tracing::warn!(error = %e, "could not record the workspace's exec vectors; `guard check` will report every one");
        }
        Ok(())
    };
    let (made, files) = tokio::join!(
        make(engine, spec, &resolved, &config, &key, options, created_tx)
            .instrument(tracing::debug_span!("make")),
        files
    );
    if made.is_err() && resolved.workspace_mode == Some(WorkspaceMode::Review) {
        if let Err(Error::NotFound { .. }) = backend.inspect(&config.name).await {
            let _ = ReviewLayer::remove(backend.as_ref(), &config.name).await;
        }
    }
    // The proxy started meanwhile; a sandbox is returned only with its proxy listening.
    if let Some(p) = proxy_starting {
        let proxied = p
            .wait()
            .instrument(tracing::debug_span!("proxy_wait"))
            .await;
        if let (Ok(sb), Err(e)) = (&made, &proxied) {
            // A sandbox is never left without its proxy: nothing half made stays.
            tracing::warn!(error = %e, "the egress proxy did not start; removing the sandbox");
            let _ = backend.remove(sb.id(), true).await;
            let _ = proxy::remove(backend.as_ref(), sb.name()).await;
            let _ = scoped_docker::proxy::remove(backend.as_ref(), sb.name(), false).await;
        }
        proxied?;
    }
    let sb = made?;
    if let Err(e) = files {
        // Its files could not be checked out: removed with its companions.
        let _ = sb.remove().await;
        return Err(e);
    }
    if resolved.idle_stop.is_some() {
        crate::sandbox::activity::touch(sb.name());
    }
    if resolved.network == Some(NetworkMode::Proxy) && !resolved.ports.is_empty() {
        // A proxy sandbox's ports: its forwarders, or nothing at all.
        for p in &resolved.ports {
            if let Err(e) = forwarder::ensure(engine, &resolved, p).await {
                let _ = sb.remove().await;
                return Err(named(sb.name(), e));
            }
        }
    }
    Ok(sb)
}

/// What the workspace mode needs on the host before the container: review mode's layer and
/// overlay volume, read-only mode's missing writable directories (owned like the workspace).
async fn prepare_workspace(engine: &Engine, resolved: &SandboxSpec, name: &str) -> Result<()> {
    match resolved.workspace_mode.unwrap_or_default() {
        WorkspaceMode::Review => {
            ReviewLayer::of(name)?
                .prepare(engine.backend.as_ref(), name, &resolved.workspace)
                .await
        }
        WorkspaceMode::ReadOnly => {
            let meta = std::fs::metadata(&resolved.workspace)?;
            for w in &resolved.writable {
                if !w.exists() {
                    std::fs::create_dir_all(w)?;
                    let mut at = Some(w.as_path());
                    while let Some(d) = at.filter(|d| *d != resolved.workspace) {
                        let _ = std::os::unix::fs::chown(d, Some(meta.uid()), Some(meta.gid()));
                        at = d.parent();
                    }
                }
            }
            Ok(())
        }
        WorkspaceMode::ReadWrite => Ok(()),
    }
}

/// Creates and starts the container of `resolved` (or adopts the one a concurrent `run` made).
async fn make(
    engine: &Engine,
    spec: &SandboxSpec,
    resolved: &SandboxSpec,
    config: &crate::backend::ContainerConfig,
    key: &str,
    options: RunOptions,
    created: tokio::sync::oneshot::Sender<()>,
) -> Result<Sandbox> {
    let backend = &engine.backend;
    let mut created = Some(created);
    let mut backoff = Duration::from_millis(5);
    let mut pulled = false;
    for _attempt in 0..40 {
        let outcome = match backend
            .create(config)
            .instrument(tracing::debug_span!("create"))
            .await
        {
            Err(Error::ImageNotFound { .. }) if !pulled => {
                pulled = true;
                engine.pull(&config.image).await?;
                continue;
            }
            other => other.map_err(|e| named(&config.name, e))?,
        };
        let id = match outcome {
            Created::New(id) => {
                if let Some(tx) = created.take() {
                    let _ = tx.send(());
                }
                id
            }
            Created::NameTaken if resolved.ephemeral == Some(true) => {
                return Err(ephemeral_name_taken(&config.name))
            }
            Created::NameTaken => {
                // The engine reserves a name before the container can be inspected: a
                // concurrent winner may not be visible yet, or may have failed and gone.
                let d = match backend.inspect(&config.name).await {
                    Ok(d) => d,
                    Err(Error::NotFound { .. }) => {
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_millis(200));
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                if d.summary.labels.get(KEY).map(String::as_str) != Some(key) {
                    return Err(Error::NameInUse {
                        name: config.name.clone(),
                    });
                }
                let status = d.summary.status;
                let s = d.summary;
                match adopt(engine, spec, s.id, s.name, &s.labels, status, options).await? {
                    Some(sb) => return Ok(sb),
                    None => continue,
                }
            }
        };
        if helper_volume::mounted(config) {
            // In its volume already.
        } else if let Err(e) = crate::channel::helper_binary::install(backend.as_ref(), &id)
            .instrument(tracing::debug_span!("helper_install"))
            .await
        {
            tracing::warn!(error = %e, sandbox = %config.name, "could not place the exec helper; this sandbox's commands will use the engine's exec");
        }
        let started = async {
            backend
                .start(&id)
                .instrument(tracing::debug_span!("start"))
                .await
                .map_err(|e| start_error(&config.name, e))?;
            let d = backend
                .inspect(&id)
                .instrument(tracing::debug_span!("mount_check"))
                .await?;
            verify_mounts(config, &d)?;
            wait_ready(engine, &config.name, &d)
                .instrument(tracing::debug_span!("ready"))
                .await
        }
        .await;
        if let Err(e) = started {
            if let Err(rm) = backend.remove(&id, true).await {
                tracing::warn!(error = %rm, "could not remove the failed sandbox");
            }
            if resolved.network == Some(NetworkMode::Proxy) {
                if let Err(rm) = proxy::remove(backend.as_ref(), &config.name).await {
                    tracing::warn!(error = %rm, "could not remove the failed sandbox's proxy");
                }
            }
            if resolved.docker == Some(DockerAccess::Scoped) {
                let _ = scoped_docker::proxy::remove(backend.as_ref(), &config.name, false).await;
            }
            return Err(e);
        }
        let (user, home) = stored_user(&config.labels);
        return Ok(Sandbox::new(
            backend.clone(),
            id,
            config.name.clone(),
            storable(resolved),
            user,
            home,
        ));
    }
    Err(Error::NameInUse {
        name: config.name.clone(),
    })
}

/// `--rm` with the `--name` of a sandbox (or container) that exists.
fn ephemeral_name_taken(name: &str) -> Error {
    Error::invalid(
        "ephemeral",
        format!("`{name}` exists already, and an ephemeral sandbox is always a new one: choose another name, leave the name out, or run without it to use `{name}`"),
    )
}

/// A backend's start and mount errors named after the sandbox (backends name the container).
fn named(name: &str, e: Error) -> Error {
    match e {
        Error::MountMismatch { reason, .. } => Error::MountMismatch {
            name: name.to_string(),
            reason,
        },
        Error::StartFailed { reason, .. } => Error::StartFailed {
            name: name.to_string(),
            reason,
        },
        Error::PortInUse { port, reason, .. } => Error::PortInUse {
            name: name.to_string(),
            port,
            reason,
        },
        e => e,
    }
}

/// A failed start: typed errors named after the sandbox, any other engine refusal a
/// [`Error::StartFailed`] carrying the engine's message.
fn start_error(name: &str, e: Error) -> Error {
    match named(name, e) {
        Error::Engine { message, .. } => Error::StartFailed {
            name: name.to_string(),
            reason: message,
        },
        e => e,
    }
}
