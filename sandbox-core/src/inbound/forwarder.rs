//! Port forwarders: the way in to a port of a `proxy` sandbox (whose network has no host side)
//! and to a port added to a running sandbox (published ports are fixed when a container is
//! made). One small container per port, beside the sandbox, running `docksandbox-proxy
//! forward` (the egress proxy's image and hardening): published by the engine on the host, on a
//! network of its own whose members cannot reach each other, and on the sandbox's inner
//! network, where it joins each connection to the sandbox's port and to nothing else. Removed
//! with the sandbox; a forwarder down means the port is closed, never another way in.

use std::collections::HashMap;
use std::time::Duration;

use crate::backend::{Backend, ContainerConfig, Created, NetworkRequest, SandboxStatus};
use crate::egress::image::{self, PROGRAM, PROXY_USER};
use crate::egress::proxy as egress;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::label_keys::{PORT, PORTS_FOR, SANDBOX_NAME};
use crate::model::naming::sandbox_key;
use crate::model::network::NetworkMode;
use crate::model::port::{PortMapping, PortProtocol, PublishedPort};
use crate::model::spec::SandboxSpec;

/// The port a forwarder listens on in its container.
const LISTEN_PORT: u16 = 8080;
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The forwarder of `sandbox`'s `port`.
pub(crate) fn forwarder_name(sandbox: &str, port: &PortMapping) -> String {
    match port.protocol {
        PortProtocol::Tcp => format!("{sandbox}-port-{}", port.container_port),
        PortProtocol::Udp => format!("{sandbox}-port-{}-udp", port.container_port),
    }
}

/// The network the engine publishes forwarders on: its members cannot reach each other.
pub(crate) fn publish_network(sandbox: &str) -> String {
    format!("{sandbox}-ports")
}

/// The inner network of a `bridge` sandbox where its forwarders reach it (a `proxy` sandbox's
/// own network serves).
pub(crate) fn inner_network(sandbox: &str) -> String {
    format!("{sandbox}-in")
}

fn network_of(spec: &SandboxSpec, sandbox: &str) -> Result<String> {
    match spec.network.unwrap_or(NetworkMode::Proxy) {
        NetworkMode::Proxy => Ok(egress::network_name(sandbox)),
        NetworkMode::Bridge => Ok(inner_network(sandbox)),
        NetworkMode::None => Err(Error::invalid(
            "ports",
            format!("sandbox `{sandbox}` has --network none: it has no way in"),
        )),
    }
}

fn labels(spec: &SandboxSpec, sandbox: &str, port: &PortMapping) -> HashMap<String, String> {
    let mut l: HashMap<String, String> = spec.labels.clone().into_iter().collect();
    l.insert(
        PORTS_FOR.to_string(),
        sandbox_key(&spec.workspace, &spec.agent.name),
    );
    l.insert(SANDBOX_NAME.to_string(), sandbox.to_string());
    l.insert(PORT.to_string(), port.to_string());
    l
}

fn config(spec: &SandboxSpec, sandbox: &str, port: &PortMapping, image: String) -> ContainerConfig {
    ContainerConfig {
        name: forwarder_name(sandbox, port),
        image,
        labels: labels(spec, sandbox, port),
        env: Vec::new(),
        entrypoint: vec![
            PROGRAM.into(),
            "forward".into(),
            "--listen".into(),
            format!("0.0.0.0:{LISTEN_PORT}"),
            "--to".into(),
            format!("{sandbox}:{}", port.container_port),
        ],
        user: format!("{PROXY_USER}:{PROXY_USER}"),
        working_dir: "/".into(),
        mounts: Vec::new(),
        security: egress::helper_security(),
        cpus: None,
        memory: Some(egress::HELPER_MEMORY),
        network: publish_network(sandbox),
        network_aliases: Vec::new(),
        dns: Vec::new(),
        // On two networks: it must never route between them.
        sysctls: HashMap::from([
            ("net.ipv4.ip_forward".to_string(), "0".to_string()),
            (
                "net.ipv6.conf.all.disable_ipv6".to_string(),
                "1".to_string(),
            ),
        ]),
        restart_unless_stopped: true,
        group_add: Vec::new(),
        ports: vec![PortMapping {
            container_port: LISTEN_PORT,
            protocol: PortProtocol::Tcp,
            ..*port
        }],
    }
}

/// Makes sure `port` of the sandbox `spec` (resolved, created) has a running forwarder, and
/// returns where it is published.
pub(crate) async fn ensure(
    engine: &Engine,
    spec: &SandboxSpec,
    port: &PortMapping,
) -> Result<PublishedPort> {
    let backend = engine.backend.as_ref();
    let sandbox = spec.name.as_deref().unwrap_or_default();
    if port.protocol == PortProtocol::Udp {
        return Err(Error::invalid(
            "ports",
            format!("{port}: a port added to a running sandbox (or of a proxy sandbox) is TCP only; UDP ports are published when a --network bridge sandbox is made"),
        ));
    }
    let inner = network_of(spec, sandbox)?;
    let name = forwarder_name(sandbox, port);
    if let Ok(d) = backend.inspect(&name).await {
        let mine = d.summary.labels.get(SANDBOX_NAME).map(String::as_str) == Some(sandbox);
        if !mine {
            return Err(Error::NameInUse { name });
        }
        if d.summary.labels.get(PORT) != Some(&port.to_string()) {
            return Err(Error::invalid(
                "ports",
                format!(
                    "{} is already forwarded as {}; remove the sandbox's forwarder `{name}` first",
                    port.container_key(),
                    d.summary.labels.get(PORT).cloned().unwrap_or_default()
                ),
            ));
        }
        if d.summary.status != SandboxStatus::Running {
            start(backend, &d.summary.id, &name).await?;
        }
        return published(backend, &name, port).await;
    }
    let mut net_labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
    net_labels.insert(SANDBOX_NAME.to_string(), sandbox.to_string());
    net_labels.insert(
        PORTS_FOR.to_string(),
        sandbox_key(&spec.workspace, &spec.agent.name),
    );
    backend
        .ensure_network(&NetworkRequest {
            name: publish_network(sandbox),
            labels: net_labels.clone(),
            isolated: false,
            separate_peers: true,
        })
        .await?;
    if spec.network == Some(NetworkMode::Bridge) {
        backend
            .ensure_network(&NetworkRequest {
                name: inner.clone(),
                labels: net_labels,
                isolated: true,
                separate_peers: false,
            })
            .await?;
        backend.connect_network(sandbox, &inner, &[]).await?;
    }
    let image = image::ensure(engine).await?;
    let id = match backend.create(&config(spec, sandbox, port, image)).await? {
        Created::New(id) => id,
        // A concurrent call made it: use that one.
        Created::NameTaken => return Box::pin(ensure(engine, spec, port)).await,
    };
    let made = async {
        backend.connect_network(&id, &inner, &[]).await?;
        start(backend, &id, &name).await
    }
    .await;
    if let Err(e) = made {
        let _ = backend.remove(&id, true).await;
        return Err(e);
    }
    published(backend, &name, port).await
}

async fn start(backend: &dyn Backend, id: &str, name: &str) -> Result<()> {
    backend.start(id).await.map_err(|e| match e {
        Error::PortInUse { port, reason, .. } => Error::PortInUse {
            name: name.to_string(),
            port,
            reason,
        },
        e => e,
    })?;
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
                name: name.to_string(),
                reason: format!("the port forwarder did not start: {reason}"),
            },
            e => e,
        })
}

/// Where the forwarder `name` of `port` is published.
async fn published(backend: &dyn Backend, name: &str, port: &PortMapping) -> Result<PublishedPort> {
    let d = backend.inspect(name).await?;
    let p = d
        .ports
        .iter()
        .find(|p| p.container_port == LISTEN_PORT)
        .ok_or_else(|| Error::StartFailed {
            name: name.to_string(),
            reason: "the engine published no host port for the forwarder".into(),
        })?;
    Ok(PublishedPort {
        container_port: port.container_port,
        protocol: port.protocol,
        host_ip: p.host_ip,
        host_port: p.host_port,
        forwarded: true,
    })
}

/// The forwarded ports of `sandbox` (running forwarders only: a stopped one publishes nothing).
pub(crate) async fn list(backend: &dyn Backend, sandbox: &str) -> Result<Vec<PublishedPort>> {
    let mut out = Vec::new();
    for c in backend
        .list(&[(SANDBOX_NAME, sandbox), (PORTS_FOR, "")])
        .await?
    {
        let Some(port) = c
            .labels
            .get(PORT)
            .and_then(|p| p.parse::<PortMapping>().ok())
        else {
            continue;
        };
        if c.status != SandboxStatus::Running {
            continue;
        }
        match published(backend, &c.name, &port).await {
            Ok(p) => out.push(p),
            Err(Error::NotFound { .. } | Error::StartFailed { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    out.sort();
    Ok(out)
}

/// The forwarded ports of `sandbox` among the listed forwarders `all` (no request).
pub(crate) fn listed(
    all: &[crate::backend::ContainerSummary],
    sandbox: &str,
) -> Vec<PublishedPort> {
    all.iter()
        .filter(|c| c.labels.get(SANDBOX_NAME).map(String::as_str) == Some(sandbox))
        .filter_map(|c| {
            let port: PortMapping = c.labels.get(PORT)?.parse().ok()?;
            let p = c.ports.iter().find(|p| p.container_port == LISTEN_PORT)?;
            Some(PublishedPort {
                container_port: port.container_port,
                protocol: port.protocol,
                host_ip: p.host_ip,
                host_port: p.host_port,
                forwarded: true,
            })
        })
        .collect()
}

/// Starts the stopped forwarders of `sandbox` (after the sandbox started again).
pub(crate) async fn start_all(backend: &dyn Backend, sandbox: &str) -> Result<()> {
    for c in backend
        .list(&[(SANDBOX_NAME, sandbox), (PORTS_FOR, "")])
        .await?
    {
        if c.status != SandboxStatus::Running {
            start(backend, &c.id, &c.name).await?;
        }
    }
    Ok(())
}

/// Stops the forwarders of `sandbox`.
pub(crate) async fn stop_all(backend: &dyn Backend, sandbox: &str) -> Result<()> {
    for c in backend
        .list(&[(SANDBOX_NAME, sandbox), (PORTS_FOR, "")])
        .await?
    {
        match backend.stop(&c.id, Duration::from_secs(1)).await {
            Ok(()) | Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Removes the forwarders of `sandbox` and their networks.
pub(crate) async fn remove(backend: &dyn Backend, sandbox: &str) -> Result<()> {
    let gone = |r: Result<()>| match r {
        Err(Error::NotFound { .. }) => Ok(()),
        r => r,
    };
    for c in backend
        .list(&[(SANDBOX_NAME, sandbox), (PORTS_FOR, "")])
        .await?
    {
        gone(backend.remove(&c.id, true).await)?;
    }
    for n in backend
        .list_networks(&[(SANDBOX_NAME, sandbox), (PORTS_FOR, "")])
        .await?
    {
        // The sandbox may still be on its inner network (when it is not removed yet).
        match backend.remove_network(&n).await {
            Ok(()) | Err(Error::NotFound { .. }) => {}
            Err(e) => tracing::debug!(error = %e, network = %n, "network left"),
        }
    }
    Ok(())
}

/// Removes the forwarders whose sandbox is gone (older than `grace`).
pub(crate) async fn remove_orphans(backend: &dyn Backend, grace: Duration) -> Result<usize> {
    let orphans = egress::orphaned(backend, PORTS_FOR, grace).await?;
    let mut seen = std::collections::BTreeSet::new();
    for sandbox in orphans {
        if seen.insert(sandbox.clone()) {
            tracing::info!("removing the port forwarders of the removed sandbox `{sandbox}`");
            remove(backend, &sandbox).await?;
        }
    }
    Ok(seen.len())
}
