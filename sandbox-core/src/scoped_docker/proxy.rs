//! The engine proxy container of a `--docker scoped` sandbox: made before the sandbox, beside
//! it on its network (where the ports of its children are forwarded), with the engine's socket
//! and the workspace (read-only, to check bind sources on the real file system) mounted; its
//! own socket is in a volume the sandbox mounts read-only. Down, the sandbox has no engine at
//! all (fail closed); restart unless-stopped brings it back with the engine.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use crate::backend::{Backend, ContainerConfig, Created, MountKind, MountRequest, SandboxStatus};
use crate::egress::image::{self, PROGRAM};
use crate::egress::proxy as egress;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::label_keys::SANDBOX_NAME;
use crate::model::naming::sandbox_key;
use crate::model::network::NetworkMode;
use crate::model::spec::SandboxSpec;

/// The label of the agent's children (value: the sandbox's name), set by the proxy.
pub(crate) const OWNER_LABEL: &str = "io.docksandbox.owner";
/// The label of a sandbox's engine proxy (value: the sandbox's key).
pub(crate) const ENGINE_PROXY_FOR: &str = "io.docksandbox.engine-proxy-for";
/// Where the proxy's socket volume is in the sandbox.
pub(crate) const SOCKET_DIR: &str = "/run/docksandbox/docker";
/// The proxy's name on the sandbox's network (where forwarded ports are).
pub(crate) const ENGINE_ALIAS: &str = "docksandbox-docker";
/// Where the engine's socket is in the proxy.
const UPSTREAM: &str = "/engine.sock";
/// Where the socket volume is in the proxy.
const PROXY_SOCKET_DIR: &str = "/sock";
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The engine proxy of `sandbox`.
pub(crate) fn proxy_name(sandbox: &str) -> String {
    format!("{sandbox}-docker")
}

/// The volume holding the proxy's socket.
pub(crate) fn socket_volume(sandbox: &str) -> String {
    format!("{sandbox}-docker-sock")
}

/// The environment of a scoped sandbox: the engine is the proxy, classic builds (BuildKit
/// cannot use the sandbox's network), Testcontainers looks for mapped ports at the proxy.
pub(crate) fn sandbox_env(spec: &SandboxSpec) -> Vec<(String, String)> {
    let mut v = vec![
        (
            "DOCKER_HOST".to_string(),
            format!("unix://{SOCKET_DIR}/docker.sock"),
        ),
        ("DOCKER_BUILDKIT".into(), "0".into()),
        ("COMPOSE_DOCKER_CLI_BUILD".into(), "0".into()),
    ];
    if spec.network == Some(NetworkMode::Proxy) {
        v.push(("TESTCONTAINERS_HOST_OVERRIDE".into(), ENGINE_ALIAS.into()));
    }
    v
}

/// The mount of the proxy's socket into the sandbox.
pub(crate) fn sandbox_mount(sandbox: &str) -> MountRequest {
    MountRequest {
        kind: MountKind::Volume,
        source: socket_volume(sandbox),
        target: SOCKET_DIR.into(),
        read_only: true,
    }
}

/// The network the sandbox's children join (and the proxy, to forward their ports).
fn child_network(spec: &SandboxSpec, sandbox: &str) -> String {
    match spec.network.unwrap_or(NetworkMode::Proxy) {
        NetworkMode::Proxy => egress::network_name(sandbox),
        NetworkMode::Bridge => "bridge".into(),
        NetworkMode::None => "none".into(),
    }
}

fn labels(spec: &SandboxSpec, key: &str, sandbox: &str) -> HashMap<String, String> {
    let mut l: HashMap<String, String> = spec.labels.clone().into_iter().collect();
    l.insert(ENGINE_PROXY_FOR.to_string(), key.to_string());
    l.insert(SANDBOX_NAME.to_string(), sandbox.to_string());
    l
}

fn config(
    backend: &dyn Backend,
    spec: &SandboxSpec,
    key: &str,
    sandbox: &str,
    image: String,
) -> Result<ContainerConfig> {
    let sock = backend.engine_socket().ok_or_else(|| {
        Error::invalid(
            "docker",
            format!(
                "the engine at {} is not reached through a local socket, so scoped Docker access cannot be given",
                backend.host()
            ),
        )
    })?;
    let ws = spec.workspace.to_string_lossy().into_owned();
    let meta = std::fs::metadata(&spec.workspace).map_err(|e| Error::File {
        path: ws.clone(),
        reason: e.to_string(),
    })?;
    let network = child_network(spec, sandbox);
    let mut entrypoint: Vec<String> = vec![
        PROGRAM.into(),
        "engine".into(),
        "--upstream".into(),
        UPSTREAM.into(),
        "--listen".into(),
        format!("{PROXY_SOCKET_DIR}/docker.sock"),
        "--socket-volume".into(),
        socket_volume(sandbox),
        "--owner".into(),
        sandbox.into(),
        "--sandbox".into(),
        sandbox.into(),
        "--workspace".into(),
        ws.clone(),
        "--network".into(),
        network.clone(),
    ];
    for p in [
        "/var/run/docker.sock",
        "/run/docker.sock",
        &format!("{SOCKET_DIR}/docker.sock"),
    ] {
        entrypoint.extend(["--socket-path".into(), p.to_string()]);
    }
    if let Some(m) = spec.resources.memory {
        entrypoint.extend(["--memory".into(), m.to_string()]);
    }
    if let Some(c) = spec.resources.cpus {
        entrypoint.extend(["--nano-cpus".into(), ((c * 1e9) as i64).to_string()]);
    }
    if let Some(p) = spec.resources.pids {
        entrypoint.extend(["--pids".into(), p.to_string()]);
    }
    if spec.network == Some(NetworkMode::Proxy) {
        for (k, v) in egress::sandbox_env() {
            if k.ends_with("_PROXY") || k.ends_with("_proxy") {
                entrypoint.extend(["--build-arg".into(), format!("{k}={v}")]);
            }
        }
    }
    for (k, v) in &spec.labels {
        entrypoint.extend(["--label".into(), format!("{k}={v}")]);
    }
    let mut group_add = Vec::new();
    if let Some(g) = sock.gid.filter(|g| *g != 0) {
        group_add.push(g.to_string());
    }
    Ok(ContainerConfig {
        name: proxy_name(sandbox),
        image,
        labels: labels(spec, key, sandbox),
        env: Vec::new(),
        entrypoint,
        // The workspace's owner: it can read the workspace to resolve bind sources.
        user: format!("{}:{}", meta.uid(), meta.gid()),
        working_dir: "/".into(),
        mounts: vec![
            MountRequest {
                kind: MountKind::Bind,
                source: sock.path,
                target: UPSTREAM.into(),
                read_only: false,
            },
            MountRequest {
                kind: MountKind::Volume,
                source: socket_volume(sandbox),
                target: PROXY_SOCKET_DIR.into(),
                read_only: false,
            },
            MountRequest {
                kind: MountKind::Bind,
                source: ws.clone(),
                target: ws,
                read_only: true,
            },
        ],
        security: egress::helper_security(),
        cpus: None,
        memory: Some(egress::HELPER_MEMORY),
        network: if network == "none" {
            "none".into()
        } else {
            network
        },
        network_aliases: if spec.network == Some(NetworkMode::Proxy) {
            vec![ENGINE_ALIAS.into()]
        } else {
            Vec::new()
        },
        dns: Vec::new(),
        sysctls: HashMap::new(),
        restart_unless_stopped: true,
        group_add,
        ports: Vec::new(),
    })
}

/// Makes sure the scoped sandbox `spec` (resolved; its network already made) has a running
/// engine proxy.
pub(crate) async fn ensure(engine: &Engine, spec: &SandboxSpec) -> Result<()> {
    let backend = engine.backend.as_ref();
    let sandbox = spec.name.as_deref().unwrap_or_default();
    let key = sandbox_key(&spec.workspace, &spec.agent.name);
    let name = proxy_name(sandbox);
    for _ in 0..200 {
        match backend.inspect(&name).await {
            Ok(d) => {
                if d.summary.labels.get(ENGINE_PROXY_FOR) != Some(&key) {
                    return Err(Error::NameInUse { name });
                }
                match d.summary.status {
                    SandboxStatus::Running => return Ok(()),
                    SandboxStatus::Stopped
                        if d.started_at
                            .as_deref()
                            .is_none_or(|t| t.starts_with("0001-")) =>
                    {
                        // Being made by a concurrent `run`.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                    _ => return start(backend, &d.summary.id).await,
                }
            }
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let image = image::ensure(engine).await?;
        backend
            .ensure_volume(&socket_volume(sandbox), &labels(spec, &key, sandbox))
            .await?;
        match backend
            .create(&config(backend, spec, &key, sandbox, image)?)
            .await?
        {
            Created::New(id) => {
                let started = start(backend, &id).await;
                if started.is_err() {
                    let _ = backend.remove(&id, true).await;
                }
                return started;
            }
            Created::NameTaken => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    Err(Error::StartFailed {
        name,
        reason: "the scoped Docker proxy did not come up while concurrent runs were making it"
            .into(),
    })
}

async fn start(backend: &dyn Backend, id: &str) -> Result<()> {
    backend.start(id).await?;
    let d = backend.inspect(id).await?;
    backend
        .wait_for_output(
            id,
            d.started_at.as_deref(),
            docksandbox_proxy::READY_MARKER,
            READY_TIMEOUT,
        )
        .await
        .map_err(|e| match e {
            Error::StartFailed { reason, .. } => Error::StartFailed {
                name: d.summary.name.clone(),
                reason: format!("the scoped Docker proxy did not start: {reason}"),
            },
            e => e,
        })
}

/// Stops the engine proxy of `sandbox`.
pub(crate) async fn stop(backend: &dyn Backend, sandbox: &str) -> Result<()> {
    match backend
        .stop(&proxy_name(sandbox), Duration::from_secs(2))
        .await
    {
        Err(Error::NotFound { .. }) => Ok(()),
        r => r,
    }
}

/// The agent's children of `sandbox`: containers, networks, volumes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Children {
    /// Container names.
    pub containers: Vec<String>,
    /// Network names.
    pub networks: Vec<String>,
    /// Volume names.
    pub volumes: Vec<String>,
}

/// What the agent of `sandbox` made through its scoped engine.
pub(crate) async fn children(backend: &dyn Backend, sandbox: &str) -> Result<Children> {
    let by = [(OWNER_LABEL, sandbox)];
    Ok(Children {
        containers: backend
            .list(&by)
            .await?
            .into_iter()
            .map(|c| c.name)
            .collect(),
        networks: backend.list_networks(&by).await?,
        volumes: backend.list_volumes(&by).await?,
    })
}

/// Removes the proxy, its socket volume and the agent's children (their anonymous volumes
/// too; named volumes only with `volumes`).
pub(crate) async fn remove(backend: &dyn Backend, sandbox: &str, volumes: bool) -> Result<()> {
    let gone = |r: Result<()>| match r {
        Err(Error::NotFound { .. }) => Ok(()),
        r => r,
    };
    // The proxy first: nothing new is made while the children go.
    gone(backend.remove(&proxy_name(sandbox), true).await)?;
    let c = children(backend, sandbox).await?;
    for name in &c.containers {
        gone(backend.remove(name, true).await)?;
    }
    for n in &c.networks {
        gone(backend.remove_network(n).await)?;
    }
    if volumes {
        for v in &c.volumes {
            gone(backend.remove_volume(v).await)?;
        }
    }
    gone(backend.remove_volume(&socket_volume(sandbox)).await)
}

/// Removes the engine proxies whose sandbox is gone (removed behind our back, e.g. by
/// `docker rm`), older than `grace` (a younger one may be a concurrent `run`'s), with the
/// agent's children and the socket volume; returns how many sandboxes' parts went.
pub(crate) async fn remove_orphans(backend: &dyn Backend, grace: Duration) -> Result<usize> {
    let orphans = egress::orphaned(backend, ENGINE_PROXY_FOR, grace).await?;
    for sandbox in &orphans {
        tracing::info!(
            "removing the scoped Docker proxy and children of the removed sandbox `{sandbox}`"
        );
        remove(backend, sandbox, false).await?;
    }
    Ok(orphans.len())
}
