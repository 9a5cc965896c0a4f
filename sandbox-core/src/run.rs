//! Create-or-reuse: the heart of `run`.
//!
//! A sandbox is keyed by (canonical workspace, agent) through a label. Concurrent `run`s race
//! on a deterministic container name: the engine lets exactly one create it, the others get
//! "name taken" and adopt the winner. No lock files, no daemon.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use crate::backend::{
    ContainerConfig, ContainerDetails, Created, MountKind, MountRequest, SandboxStatus,
    SecuritySettings,
};
use crate::client::{Client, RunOptions};
use crate::error::{Error, Result};
use crate::labels;
use crate::sandbox::Sandbox;
use crate::setup;
use crate::spec::{CredentialsMode, NetworkMode, SandboxSpec};

/// How long the in-container setup may take before `run` gives up.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the engine's socket appears inside a sandbox.
pub const DOCKER_SOCKET_TARGET: &str = "/var/run/docker.sock";

/// Name of the credentials volume of `agent` (shared by all its sandboxes, kept across `rm`).
pub fn credentials_volume(agent: &str) -> String {
    format!("docksandbox-{agent}-credentials")
}

impl Client {
    /// Creates the sandbox described by `spec`, or reuses the existing one for its workspace
    /// and agent (starting it when stopped). Fails with [`Error::ConfigChanged`] when the
    /// existing one was created with other settings, unless `options.recreate`.
    pub async fn run(&self, spec: SandboxSpec, options: RunOptions) -> Result<Sandbox> {
        let spec = spec.validate()?;
        let key = labels::key(&spec.workspace, &spec.agent.name);
        let found = self.backend().list(&[(labels::KEY, key.as_str())]).await?;
        if let Some(existing) = found.into_iter().min_by_key(|s| s.created) {
            let status = existing.status;
            if let Some(sb) = self
                .adopt(
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
        self.create(&spec, options).await
    }

    /// Reuses an existing sandbox; `None` when it was removed to be recreated.
    async fn adopt(
        &self,
        requested: &SandboxSpec,
        id: String,
        name: String,
        stored_labels: &HashMap<String, String>,
        status: SandboxStatus,
        options: RunOptions,
    ) -> Result<Option<Sandbox>> {
        let stored = labels::decode(stored_labels)?;
        match crate::drift::reconcile(requested, &stored) {
            Ok(_effective) => {
                if status != SandboxStatus::Running {
                    // Stopped, killed, or its engine restarted: say so, then bring it back.
                    tracing::info!("sandbox `{name}` was {status}; starting it again");
                }
                match status {
                    SandboxStatus::Running => {}
                    SandboxStatus::Paused => self.backend().unpause(&id).await?,
                    _ => self
                        .backend()
                        .start(&id)
                        .await
                        .map_err(|e| start_error(&name, e))?,
                }
                let d = self.backend().inspect(&id).await?;
                self.wait_ready(&name, &d).await?;
                let sb = self.handle(id, name, stored_labels)?;
                Ok(Some(sb.with_agent(requested.agent.clone())))
            }
            Err(_) if options.recreate => {
                tracing::info!(sandbox = %name, "configuration changed; recreating");
                self.backend().remove(&id, true).await?;
                Ok(None)
            }
            Err(changes) => Err(Error::ConfigChanged { name, changes }),
        }
    }

    async fn wait_ready(&self, name: &str, d: &ContainerDetails) -> Result<()> {
        if d.summary.status != SandboxStatus::Running {
            return Err(Error::StartFailed {
                name: name.to_string(),
                reason: format!("it is {} right after start", d.summary.status),
            });
        }
        self.backend()
            .wait_for_output(
                &d.summary.id,
                d.started_at.as_deref(),
                setup::READY_MARKER,
                READY_TIMEOUT,
            )
            .await
            .map_err(|e| match e {
                Error::StartFailed { reason, .. } => Error::StartFailed {
                    name: name.to_string(),
                    reason,
                },
                e => e,
            })
    }

    async fn create(&self, spec: &SandboxSpec, options: RunOptions) -> Result<Sandbox> {
        let resolved = spec.resolved();
        let config = self.container_config(&resolved)?;
        let key = labels::key(&resolved.workspace, &resolved.agent.name);
        // A name held by another container is refused before anything (a volume) is made.
        match self.backend().inspect(&config.name).await {
            Ok(d) if d.summary.labels.get(labels::KEY) != Some(&key) => {
                return Err(Error::NameInUse { name: config.name })
            }
            Ok(_) | Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        if let Some(t) = crate::Template::for_image(&config.image) {
            let mut opts = crate::TemplateBuildOptions::from_env();
            if let Some(ca) = &resolved.ca_bundle {
                opts.ca_bundle = Some(ca.clone());
            }
            self.ensure_template(t, &opts).await?;
        }
        if resolved.credentials == Some(CredentialsMode::Sandbox)
            && !resolved.agent.credential_paths.is_empty()
        {
            let vol_labels = HashMap::from([
                (labels::MANAGED.to_string(), "true".to_string()),
                (
                    "docksandbox.credentials-of".to_string(),
                    resolved.agent.name.clone(),
                ),
            ]);
            self.backend()
                .ensure_volume(&credentials_volume(&resolved.agent.name), &vol_labels)
                .await?;
        }
        let mut backoff = Duration::from_millis(5);
        let mut pulled = false;
        for _attempt in 0..40 {
            let created = match self.backend().create(&config).await {
                Err(Error::ImageNotFound { .. }) if !pulled => {
                    pulled = true;
                    self.pull(&config.image).await?;
                    continue;
                }
                Err(Error::Engine { message, .. }) if vanished_mount(&message) => {
                    return Err(mount_vanished(&config.name, message));
                }
                other => other?,
            };
            let id = match created {
                Created::New(id) => id,
                Created::NameTaken => {
                    // The engine reserves a name before the container can be inspected: a
                    // concurrent winner may not be visible yet, or may have failed and gone.
                    let d = match self.backend().inspect(&config.name).await {
                        Ok(d) => d,
                        Err(Error::NotFound { .. }) => {
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_millis(200));
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    if d.summary.labels.get(labels::KEY) != Some(&key) {
                        return Err(Error::NameInUse { name: config.name });
                    }
                    let status = d.summary.status;
                    let s = d.summary;
                    match self
                        .adopt(spec, s.id, s.name, &s.labels, status, options)
                        .await?
                    {
                        Some(sb) => return Ok(sb),
                        None => continue,
                    }
                }
            };
            if let Err(e) = crate::helper::install(self.backend().as_ref(), &id).await {
                tracing::warn!(error = %e, sandbox = %config.name, "could not place the exec helper; this sandbox's commands will use the engine's exec");
            }
            let started = async {
                self.backend()
                    .start(&id)
                    .await
                    .map_err(|e| start_error(&config.name, e))?;
                let d = self.backend().inspect(&id).await?;
                verify_mounts(&config, &d)?;
                self.wait_ready(&config.name, &d).await
            }
            .await;
            if let Err(e) = started {
                if let Err(rm) = self.backend().remove(&id, true).await {
                    tracing::warn!(error = %rm, "could not remove the failed sandbox");
                }
                return Err(e);
            }
            let user = config.labels.get(labels::USER).cloned().unwrap_or_default();
            let home = config.labels.get(labels::HOME).cloned().unwrap_or_default();
            let spec = labels::storable(&resolved);
            return Ok(Sandbox::new(
                self.backend().clone(),
                id,
                config.name,
                spec,
                user,
                home,
            ));
        }
        Err(Error::NameInUse { name: config.name })
    }

    /// Pulls a missing template image, reporting progress.
    pub(crate) async fn pull(&self, image: &str) -> Result<()> {
        self.report(&crate::Progress::Step {
            message: format!("pulling {image}"),
        });
        let observer = |p: &crate::Progress| self.report(p);
        self.backend()
            .pull(image, &observer)
            .await
            .map_err(|e| Error::ImageNotFound {
                image: image.to_string(),
                reason: format!("it is not on the engine and the pull failed: {e}"),
            })?;
        self.report(&crate::Progress::Done {
            message: format!("pulled {image}"),
        });
        Ok(())
    }

    fn container_config(&self, spec: &SandboxSpec) -> Result<ContainerConfig> {
        let meta = std::fs::metadata(&spec.workspace).map_err(|e| {
            Error::invalid(
                "workspace",
                format!(
                    "{}: {e} (it changed after validation)",
                    spec.workspace.display()
                ),
            )
        })?;
        let (uid, gid) = (meta.uid(), meta.gid());
        let home = setup::home_for(uid);
        let user = format!("{uid}:{gid}");
        let ws = spec.workspace.to_string_lossy().into_owned();
        let mut mounts = vec![MountRequest {
            kind: MountKind::Bind,
            source: ws.clone(),
            target: ws.clone(),
            read_only: false,
        }];
        for m in &spec.mounts {
            mounts.push(MountRequest {
                kind: MountKind::Bind,
                source: m.host.to_string_lossy().into_owned(),
                target: m.container.to_string_lossy().into_owned(),
                read_only: m.read_only,
            });
        }
        let creds = (spec.credentials == Some(CredentialsMode::Sandbox)
            && !spec.agent.credential_paths.is_empty())
        .then_some(spec.agent.credential_paths.as_slice());
        if creds.is_some() {
            mounts.push(MountRequest {
                kind: MountKind::Volume,
                source: credentials_volume(&spec.agent.name),
                target: setup::credentials_dir(),
                read_only: false,
            });
        }
        if spec.share_agent_config == Some(true) {
            mounts.extend(host_agent_config(spec)?);
        }
        let mut env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if let Some(ca) = &spec.ca_bundle {
            mounts.push(MountRequest {
                kind: MountKind::Bind,
                source: ca.to_string_lossy().into_owned(),
                target: crate::CA_BUNDLE_TARGET.into(),
                read_only: true,
            });
            env.extend(
                crate::ca_bundle::env_pairs()
                    .filter(|(k, _)| !spec.env.contains_key(k))
                    .map(|(k, v)| format!("{k}={v}")),
            );
        }
        let mut group_add = Vec::new();
        if spec.mount_docker_socket == Some(true) {
            let sock = self.backend().engine_socket().ok_or_else(|| {
                Error::invalid(
                    "mount_docker_socket",
                    format!(
                        "the engine at {} is not reached through a local socket, so its socket cannot be mounted",
                        self.backend().host()
                    ),
                )
            })?;
            mounts.push(MountRequest {
                kind: MountKind::Bind,
                source: sock.path,
                target: DOCKER_SOCKET_TARGET.into(),
                read_only: false,
            });
            if let Some(g) = sock.gid.filter(|g| *g != 0) {
                group_add.push(g.to_string());
            }
        }
        Ok(ContainerConfig {
            name: spec.name.clone().unwrap_or_default(),
            image: spec.template_image().to_string(),
            labels: labels::encode(spec, &user, home)?,
            env,
            entrypoint: setup::entrypoint(uid, gid, home, creds, &spec.agent.user_config_paths),
            user: "0:0".into(),
            working_dir: ws,
            mounts,
            security: SecuritySettings::hardened(
                spec.resources
                    .pids
                    .unwrap_or(crate::Resources::DEFAULT_PIDS),
            ),
            cpus: spec.resources.cpus,
            memory: spec.resources.memory,
            network: spec.network.unwrap_or(NetworkMode::Bridge),
            group_add,
        })
    }
}

/// Read-only mounts of the host's non-secret agent configuration that exists, each checked
/// like any mount (canonical, no secrets, no system paths) and of a file or directory.
fn host_agent_config(spec: &SandboxSpec) -> Result<Vec<MountRequest>> {
    let Some(home) = crate::validate::host_home() else {
        return Err(Error::invalid(
            "share_agent_config",
            "the host's home directory is unknown (set HOME)",
        ));
    };
    let mut out = Vec::new();
    for p in &spec.agent.user_config_paths {
        let host = home.join(p);
        if std::fs::symlink_metadata(&host).is_err() {
            continue;
        }
        let canon = crate::validate::shared_config_source(&host, &home)?;
        out.push(MountRequest {
            kind: MountKind::Bind,
            source: canon.to_string_lossy().into_owned(),
            target: format!("{}/{p}", setup::host_config_dir()),
            read_only: true,
        });
    }
    Ok(out)
}

/// The engine's words for a bind source that is not there (any more).
fn vanished_mount(message: &str) -> bool {
    message.contains("bind source path does not exist")
        || (message.contains("error mounting") && message.contains("no such file or directory"))
}

/// A validated host path was moved away before the engine used it.
fn mount_vanished(name: &str, message: String) -> Error {
    Error::MountMismatch {
        name: name.to_string(),
        reason: format!("{message}: it changed after validation (or was removed); run again"),
    }
}

fn start_error(name: &str, e: Error) -> Error {
    match e {
        Error::Engine { message, .. } if vanished_mount(&message) => mount_vanished(name, message),
        Error::Engine { message, .. } => {
            let hint = if message.contains("/bin/sh") {
                " (the template has no /bin/sh; docksandbox templates need a POSIX shell)"
            } else {
                ""
            };
            Error::StartFailed {
                name: name.to_string(),
                reason: format!("{message}{hint}"),
            }
        }
        e => e,
    }
}

/// After start: the engine's mounts are the validated ones, and no validated host path
/// resolves elsewhere now (a symlink swapped in between check and use).
fn verify_mounts(config: &ContainerConfig, d: &ContainerDetails) -> Result<()> {
    let fail = |reason: String| Error::MountMismatch {
        name: config.name.clone(),
        reason,
    };
    for want in config.mounts.iter().filter(|m| m.kind == MountKind::Bind) {
        let got = d
            .mounts
            .iter()
            .find(|m| m.target == want.target)
            .ok_or_else(|| fail(format!("{} is not mounted", want.target)))?;
        if got.source != want.source || got.read_only != want.read_only {
            return Err(fail(format!(
                "{} comes from {} (read-only: {}), expected {} (read-only: {})",
                want.target, got.source, got.read_only, want.source, want.read_only
            )));
        }
        if want.target != DOCKER_SOCKET_TARGET {
            let now = std::fs::canonicalize(Path::new(&want.source))
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            if now != want.source {
                return Err(fail(format!(
                    "{} now resolves to {now:?}: it changed after validation",
                    want.source
                )));
            }
        }
    }
    Ok(())
}
