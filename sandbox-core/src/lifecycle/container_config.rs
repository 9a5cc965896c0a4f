//! The container a sandbox is: its spec turned into the one [`ContainerConfig`] the backend
//! creates (mounts, environment, user, hardening, limits, network, labels, entrypoint).

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;

use crate::backend::{Backend, ContainerConfig, MountKind, MountRequest, SecuritySettings};
use crate::egress::proxy;
use crate::error::{Error, Result};
use crate::lifecycle::entrypoint::entrypoint;
use crate::model::ca_bundle;
use crate::model::credentials::CredentialsMode;
use crate::model::docker_access::DockerAccess;
use crate::model::git_guard;
use crate::model::naming::{credentials_volume, review_volume};
use crate::model::network::NetworkMode;
use crate::model::paths::{
    home_for, CA_BUNDLE_TARGET, CREDENTIALS_DIR, DOCKER_SOCKET_TARGET, HOST_CONFIG_DIR,
    SECRETS_CA_DIR, SECRETS_CA_FILE, TRUST_DIR,
};
use crate::model::resources::Resources;
use crate::model::spec::SandboxSpec;
use crate::model::validate;
use crate::model::workspace_mode::WorkspaceMode;
use crate::reuse::stored_spec::encode;
use crate::scoped_docker;

/// The container for the resolved `spec`: the workspace at the same path, the extra mounts,
/// the credentials volume, shared agent config and CA bundle when asked for, the hardened
/// settings, the labels that store the spec, and the entrypoint that sets the user up.
pub(crate) fn container_config(
    backend: &dyn Backend,
    spec: &SandboxSpec,
) -> Result<ContainerConfig> {
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
    let home = home_for(uid);
    let user = format!("{uid}:{gid}");
    let ws = spec.workspace.to_string_lossy().into_owned();
    let name = spec.name.clone().unwrap_or_default();
    let mode = spec.workspace_mode.unwrap_or_default();
    let mut mounts = vec![match mode {
        // The overlay of the host's directory and the review layer, at the same path.
        WorkspaceMode::Review => MountRequest {
            kind: MountKind::Volume,
            source: review_volume(&name),
            target: ws.clone(),
            read_only: false,
        },
        _ => MountRequest {
            kind: MountKind::Bind,
            source: ws.clone(),
            target: ws.clone(),
            read_only: mode == WorkspaceMode::ReadOnly,
        },
    }];
    if mode == WorkspaceMode::ReadOnly {
        for w in &spec.writable {
            let w = w.to_string_lossy().into_owned();
            mounts.push(MountRequest {
                kind: MountKind::Bind,
                source: w.clone(),
                target: w,
                read_only: false,
            });
        }
    }
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
            target: CREDENTIALS_DIR.into(),
            read_only: false,
        });
    }
    if spec.share_agent_config == Some(true) {
        mounts.extend(host_agent_config(spec)?);
    }
    if spec.git_guard == Some(true) {
        // A read-only workspace needs no guard of its own; its read-write mounts still do.
        let mut guarded = if mode == WorkspaceMode::ReadOnly {
            Vec::new()
        } else {
            git_guard::guarded_paths(&spec.workspace, "workspace")?
        };
        for (i, m) in spec.mounts.iter().enumerate().filter(|(_, m)| !m.read_only) {
            // A repository in a mount is guarded at its place in the sandbox.
            for p in git_guard::guarded_paths(&m.host, &format!("mounts[{i}].host"))? {
                let inside = m.container.join(p.strip_prefix(&m.host).unwrap_or(&p));
                mounts.push(read_only_bind(&p, &inside));
            }
        }
        guarded.sort();
        mounts.extend(guarded.iter().map(|p| read_only_bind(p, p)));
    }
    // A branch sandbox: its repository's common `.git`, with what it must not write read-only.
    for (p, read_only) in crate::workspace::worktree::mounts(spec)? {
        let p = p.to_string_lossy().into_owned();
        mounts.push(MountRequest {
            kind: MountKind::Bind,
            source: p.clone(),
            target: p,
            read_only,
        });
    }
    let mut env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    env.extend(
        spec.agent
            .env
            .iter()
            .filter(|(k, _)| !spec.env.contains_key(k))
            .map(|(k, v)| format!("{k}={v}")),
    );
    if let Some(ca) = &spec.ca_bundle {
        mounts.push(MountRequest {
            kind: MountKind::Bind,
            source: ca.to_string_lossy().into_owned(),
            target: CA_BUNDLE_TARGET.into(),
            read_only: true,
        });
        env.extend(
            ca_bundle::env_pairs()
                .filter(|(k, _)| !spec.env.contains_key(k))
                .map(|(k, v)| format!("{k}={v}")),
        );
    }
    if proxy::has_proxy_secrets(spec) {
        // The sandbox holds placeholders; the proxy's CA (for the secrets' hosts only) is
        // trusted through the bundles the setup makes (see `entrypoint.rs`).
        for sec in &spec.secrets {
            if let Some(p) = &sec.placeholder {
                env.push(format!("{}={p}", sec.name));
            }
        }
        mounts.push(MountRequest {
            kind: MountKind::Volume,
            source: proxy::ca_volume(&name),
            target: SECRETS_CA_DIR.into(),
            read_only: true,
        });
        env.push(format!(
            "DOCKSANDBOX_SECRETS_CA={SECRETS_CA_DIR}/{SECRETS_CA_FILE}"
        ));
        for var in ca_bundle::CA_ENV_VARS {
            if spec.env.contains_key(var) {
                continue;
            }
            env.retain(|e| !e.starts_with(&format!("{var}=")));
            let file = if var == "NODE_EXTRA_CA_CERTS" {
                "extra.pem"
            } else {
                "all.pem"
            };
            env.push(format!("{var}={TRUST_DIR}/{file}"));
        }
    }
    let (network, dns) = match spec.network.unwrap_or(NetworkMode::Proxy) {
        NetworkMode::Proxy => {
            env.extend(
                proxy::sandbox_env()
                    .into_iter()
                    .filter(|(k, _)| !spec.env.contains_key(k))
                    .map(|(k, v)| format!("{k}={v}")),
            );
            (
                proxy::network_name(&name),
                vec![proxy::SANDBOX_DNS.to_string()],
            )
        }
        mode => (mode.as_str().to_string(), Vec::new()),
    };
    let mut group_add = Vec::new();
    if spec.docker == Some(DockerAccess::Scoped) {
        mounts.push(scoped_docker::proxy::sandbox_mount(&name));
        // The children's forwarded ports are at the engine proxy, on the sandbox's network:
        // reached directly, never through the egress proxy.
        for e in env.iter_mut() {
            if e.starts_with("NO_PROXY=") || e.starts_with("no_proxy=") {
                e.push(',');
                e.push_str(scoped_docker::proxy::ENGINE_ALIAS);
            }
        }
        env.extend(
            scoped_docker::proxy::sandbox_env(spec)
                .into_iter()
                .filter(|(k, _)| !spec.env.contains_key(k))
                .map(|(k, v)| format!("{k}={v}")),
        );
    }
    if spec.docker == Some(DockerAccess::Host) {
        let sock = backend.engine_socket().ok_or_else(|| {
            Error::invalid(
                "docker",
                format!(
                    "the engine at {} is not reached through a local socket, so its socket cannot be mounted",
                    backend.host()
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
    let mut labels = encode(spec, &user, home)?;
    lifetime_labels(spec, &mut labels);
    Ok(ContainerConfig {
        name,
        image: spec.template_image().to_string(),
        labels,
        env,
        entrypoint: entrypoint(uid, gid, home, creds, &spec.agent.user_config_paths),
        user: "0:0".into(),
        working_dir: ws,
        mounts,
        security: SecuritySettings::hardened(
            spec.resources.pids.unwrap_or(Resources::DEFAULT_PIDS),
        ),
        cpus: spec.resources.cpus,
        memory: spec.resources.memory,
        network,
        network_aliases: Vec::new(),
        dns,
        sysctls: HashMap::new(),
        restart_unless_stopped: false,
        group_add,
        // On the bridge the engine publishes them; a proxy sandbox's network has no host
        // side, so its ports go through forwarders (`inbound/`).
        ports: if spec.network == Some(NetworkMode::Bridge) {
            spec.ports.clone()
        } else {
            Vec::new()
        },
    })
}

/// `host` mounted read-only at `target`.
fn read_only_bind(host: &std::path::Path, target: &std::path::Path) -> MountRequest {
    MountRequest {
        kind: MountKind::Bind,
        source: host.to_string_lossy().into_owned(),
        target: target.to_string_lossy().into_owned(),
        read_only: true,
    }
}

/// Read-only mounts of the host's non-secret agent configuration that exists, each checked
/// like any mount (canonical, no secrets, no system paths) and of a file or directory.
fn host_agent_config(spec: &SandboxSpec) -> Result<Vec<MountRequest>> {
    let Some(home) = validate::host_home() else {
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
        let canon = validate::shared_config_source(&host, &home)?;
        out.push(MountRequest {
            kind: MountKind::Bind,
            source: canon.to_string_lossy().into_owned(),
            target: format!("{HOST_CONFIG_DIR}/{p}"),
            read_only: true,
        });
    }
    Ok(out)
}
/// The lifetime of `spec` in labels: the owner of an ephemeral sandbox (this process), when a
/// sandbox with a time to live expires, after how long an idle one stops.
fn lifetime_labels(spec: &SandboxSpec, labels: &mut HashMap<String, String>) {
    use crate::model::label_keys::{EXPIRES, IDLE_STOP, OWNER_PROCESS};
    if spec.ephemeral == Some(true) {
        labels.insert(OWNER_PROCESS.into(), crate::model::owner_process::current());
    }
    if let Some(ttl) = spec.ttl {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        labels.insert(EXPIRES.into(), now.saturating_add(ttl).to_string());
    }
    if let Some(idle) = spec.idle_stop {
        labels.insert(IDLE_STOP.into(), idle.to_string());
    }
    if let Some(b) = &spec.branch {
        labels.insert(crate::model::label_keys::BRANCH.into(), b.name.clone());
    }
    if let Some(p) = &spec.pool {
        labels.insert(crate::model::label_keys::POOL.into(), p.clone());
    }
}
