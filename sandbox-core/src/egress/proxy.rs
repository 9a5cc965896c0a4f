//! The proxy container and the networks of a `proxy` sandbox: made before the sandbox (which
//! cannot start without its network), shared by concurrent `run`s (deterministic names, the
//! engine arbitrates), brought back when gone or stopped, removed with the sandbox.
//!
//! The sandbox is alone with its proxy on a network of its own that has no route out and no
//! address of the host; the proxy is also on the engine's default bridge, its way out. With the
//! proxy down the sandbox reaches nothing (fail closed).

use std::collections::HashMap;
use std::time::Duration;

use docksandbox_proxy::policy::Policy;
use docksandbox_proxy::secrets::{Secret as ProxySecret, SecretsFile, SECRETS_PATH};
use docksandbox_proxy::{HTTP_PORT, POLICY_PATH, READY_MARKER, SOCKS_PORT};

use crate::model::paths::SECRETS_CA_FILE;
use crate::model::secret::SecretMode;

use crate::backend::{
    Backend, ContainerConfig, Created, MountKind, MountRequest, NetworkRequest, SandboxStatus,
    SecuritySettings,
};
use crate::egress::image::{self, PROGRAM, PROXY_USER};
use crate::egress::refused;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::label_keys::{KEY, MANAGED, PROXY_FOR, SANDBOX_NAME};
use crate::model::naming::sandbox_key;
use crate::model::spec::SandboxSpec;

/// The network every proxy reaches the outside through: the engine's default bridge (what any
/// container there could already reach, nothing more; proxies are reached only from their
/// sandbox's network and controlled only through the engine).
pub(crate) const EGRESS_NETWORK: &str = "bridge";
/// The proxy's name on its sandbox's network.
pub(crate) const PROXY_ALIAS: &str = "docksandbox-proxy";
/// A proxy without its sandbox for this long is an orphan to `run` (a younger one may be a
/// concurrent `run`'s, whose sandbox does not exist yet).
pub(crate) const ORPHAN_AFTER: Duration = Duration::from_secs(120);
/// How long the proxy may take to listen.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The proxy container of sandbox `sandbox`.
pub(crate) fn proxy_name(sandbox: &str) -> String {
    format!("{sandbox}-proxy")
}

/// The sandbox's own network.
pub(crate) fn network_name(sandbox: &str) -> String {
    format!("{sandbox}-net")
}

/// The volume holding the proxy's policy (kept across proxy restarts and re-creations).
pub(crate) fn state_volume(sandbox: &str) -> String {
    format!("{sandbox}-proxy-state")
}

/// The volume the proxy writes its per-sandbox CA certificate into, mounted read-only into
/// the sandbox at [`SECRETS_CA_DIR`] (only sandboxes with secrets have it).
pub(crate) fn ca_volume(sandbox: &str) -> String {
    format!("{sandbox}-proxy-ca")
}

/// Where the proxy's CA volume is in the proxy.
const PROXY_CA_DIR: &str = "/ca";

/// A test-only setting: a PEM file of CAs the proxy trusts for real servers besides the
/// Mozilla roots (the test internet's certificate). Never needed in use.
pub const PROXY_UPSTREAM_CA_ENV: &str = "DOCKSANDBOX_PROXY_UPSTREAM_CA";

/// Where the proxy reads the extra upstream CAs in its state volume.
const UPSTREAM_CA_PATH: &str = "/state/upstream-ca.pem";

/// Whether `spec` has secrets the proxy adds.
pub(crate) fn has_proxy_secrets(spec: &SandboxSpec) -> bool {
    spec.secrets
        .iter()
        .any(|s| s.effective_mode() == SecretMode::Proxy)
}

/// The environment of every process in a `proxy` sandbox: both spellings of the proxy
/// variables (curl reads only lower case), Node's opt-in, and loopback left direct.
pub(crate) fn sandbox_env() -> Vec<(String, String)> {
    let http = format!("http://{PROXY_ALIAS}:{HTTP_PORT}");
    let socks = format!("socks5h://{PROXY_ALIAS}:{SOCKS_PORT}");
    let no_proxy = "localhost,127.0.0.1,::1".to_string();
    let mut v = Vec::new();
    for (k, val) in [
        ("HTTP_PROXY", &http),
        ("HTTPS_PROXY", &http),
        ("ALL_PROXY", &socks),
        ("NO_PROXY", &no_proxy),
    ] {
        v.push((k.to_string(), val.clone()));
        v.push((k.to_ascii_lowercase(), val.clone()));
    }
    v.push(("NODE_USE_ENV_PROXY".into(), "1".into()));
    v
}

/// Where the sandbox's engine resolver sends outside names: nowhere (a name lookup is not a way
/// out; the proxy resolves). The proxy's own name is answered on the sandbox's network.
pub(crate) const SANDBOX_DNS: &str = "127.0.0.1";

/// The labels of a sandbox's proxy, network and volume: the sandbox's own labels (the caller's,
/// so that whatever finds the sandbox by them finds these too), its key and name.
fn labels(spec: &SandboxSpec, key: &str, sandbox: &str) -> HashMap<String, String> {
    let mut l: HashMap<String, String> = spec.labels.clone().into_iter().collect();
    l.insert(PROXY_FOR.to_string(), key.to_string());
    l.insert(SANDBOX_NAME.to_string(), sandbox.to_string());
    l
}

/// The memory of a helper container beside a sandbox (the egress and scoped Docker proxies).
pub(crate) const HELPER_MEMORY: u64 = 256 << 20;

/// The hardening of a helper container beside a sandbox: every capability dropped, no new
/// privileges, a read-only root, no init (the program is PID 1 and handles its signals).
pub(crate) fn helper_security() -> SecuritySettings {
    SecuritySettings {
        cap_drop: vec!["ALL".into()],
        init: false,
        security_opt: vec!["no-new-privileges".into()],
        readonly_rootfs: true,
        ..SecuritySettings::hardened(256)
    }
}

fn config(
    labels: HashMap<String, String>,
    sandbox: &str,
    image: String,
    secrets: bool,
) -> ContainerConfig {
    let mut entrypoint = vec![PROGRAM.to_string(), "serve".into()];
    let mut mounts = vec![MountRequest {
        kind: MountKind::Volume,
        source: state_volume(sandbox),
        target: "/state".into(),
        read_only: false,
    }];
    if secrets {
        entrypoint.extend([
            "--secrets".into(),
            SECRETS_PATH.into(),
            "--ca-out".into(),
            format!("{PROXY_CA_DIR}/{SECRETS_CA_FILE}"),
        ]);
        if std::env::var_os(PROXY_UPSTREAM_CA_ENV).is_some() {
            entrypoint.extend(["--upstream-ca".into(), UPSTREAM_CA_PATH.into()]);
        }
        mounts.push(MountRequest {
            kind: MountKind::Volume,
            source: ca_volume(sandbox),
            target: PROXY_CA_DIR.into(),
            read_only: false,
        });
    }
    ContainerConfig {
        name: proxy_name(sandbox),
        image,
        labels,
        env: Vec::new(),
        entrypoint,
        user: format!("{PROXY_USER}:{PROXY_USER}"),
        working_dir: "/".into(),
        mounts,
        security: helper_security(),
        cpus: None,
        memory: Some(HELPER_MEMORY),
        network: EGRESS_NETWORK.into(),
        network_aliases: Vec::new(),
        dns: Vec::new(),
        // The proxy is on two networks: it must never route between them.
        sysctls: HashMap::from([
            ("net.ipv4.ip_forward".to_string(), "0".to_string()),
            (
                "net.ipv6.conf.all.disable_ipv6".to_string(),
                "1".to_string(),
            ),
        ]),
        restart_unless_stopped: true,
        group_add: Vec::new(),
        ports: Vec::new(),
    }
}

/// The policy a new proxy of `spec` starts with: the spec's, presets expanded, this engine's
/// gateways and host addresses refused.
async fn initial_policy(backend: &dyn Backend, spec: &SandboxSpec) -> Result<Policy> {
    let refused = refused::refused(backend).await?;
    spec.network_policy
        .clone()
        .unwrap_or_default()
        .enforced(&spec.agent, refused)
}

/// A proxy being started in the background while its sandbox is made.
#[derive(Debug)]
pub(crate) struct Starting(Option<tokio::task::JoinHandle<Result<()>>>);

impl Starting {
    /// Waits until the proxy listens (an error when it could not start; it was removed then).
    pub(crate) async fn wait(self) -> Result<()> {
        match self.0 {
            None => Ok(()),
            Some(task) => task
                .await
                .map_err(|e| Error::Client(format!("the egress proxy's start was lost: {e}")))?,
        }
    }
}

/// Makes sure the `proxy` sandbox `spec` (resolved: its name is set) has its networks and a
/// running proxy; a new proxy starts with the spec's policy unless its state volume already
/// holds one (live changes survive the proxy).
pub(crate) async fn ensure(engine: &Engine, spec: &SandboxSpec) -> Result<()> {
    ensure_starting(engine, spec).await?.wait().await
}

/// As [`ensure`], returning as soon as the sandbox's network exists: a proxy made here starts
/// in the background (the sandbox can be made meanwhile; it reaches nothing until then).
pub(crate) async fn ensure_starting(engine: &Engine, spec: &SandboxSpec) -> Result<Starting> {
    let backend = engine.backend.as_ref();
    let sandbox = spec.name.as_deref().unwrap_or_default();
    let key = &sandbox_key(&spec.workspace, &spec.agent.name);
    // The common case, one request: the proxy is there and running.
    if is_running(backend, spec).await {
        return Ok(Starting(None));
    }
    let image = image::ensure(engine).await?;
    backend
        .ensure_volume(&state_volume(sandbox), &labels(spec, key, sandbox))
        .await?;
    let secrets = has_proxy_secrets(spec);
    if secrets {
        backend
            .ensure_volume(&ca_volume(sandbox), &labels(spec, key, sandbox))
            .await?;
    }
    let name = proxy_name(sandbox);
    let network = network_name(sandbox);
    let mut waited = 0u32;
    for _ in 0..400 {
        match backend.inspect(&name).await {
            Ok(d) => {
                if d.summary.labels.get(PROXY_FOR).map(String::as_str) != Some(key) {
                    return Err(Error::NameInUse { name });
                }
                match d.summary.status {
                    SandboxStatus::Running => return Ok(Starting(None)),
                    // Being made by a concurrent `run`: wait for it (a `run` that died while
                    // making it left it half made: after 10 s it is made again).
                    SandboxStatus::Stopped if never_started(d.started_at.as_deref()) => {
                        waited += 1;
                        if waited > 200 {
                            let _ = backend.remove(&d.summary.id, true).await;
                            waited = 0;
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                    status => {
                        if !backend
                            .list_networks(&[(PROXY_FOR, key)])
                            .await?
                            .contains(&network)
                        {
                            // Its network was removed behind our back: the proxy is made again, by
                            // whichever `run` wins its name.
                            tracing::info!(
                                "the network of `{sandbox}` is gone; recreating its egress proxy"
                            );
                            match backend.remove(&d.summary.id, true).await {
                                Ok(()) | Err(Error::NotFound { .. }) => continue,
                                Err(e) => return Err(e),
                            }
                        }
                        tracing::info!("the egress proxy of `{sandbox}` was {status}; starting it");
                        return start(backend, &name).await.map(|()| Starting(None));
                    }
                }
            }
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        // The engine lets one `run` create the proxy; that one makes the network too.
        match backend
            .create(&config(
                labels(spec, key, sandbox),
                sandbox,
                image.clone(),
                secrets,
            ))
            .await?
        {
            Created::New(id) => {
                let made = async {
                    backend
                        .ensure_network(&NetworkRequest {
                            name: network.clone(),
                            labels: labels(spec, key, sandbox),
                            isolated: true,
                            separate_peers: false,
                        })
                        .await?;
                    if backend.download(&id, POLICY_PATH).await.is_err() {
                        let policy = initial_policy(backend, spec).await?;
                        write_initial_policy(backend, &id, &policy).await?;
                    }
                    if secrets {
                        write_secrets(backend, &id, spec).await?;
                    }
                    backend
                        .connect_network(&id, &network, &[PROXY_ALIAS.to_string()])
                        .await
                }
                .await;
                if let Err(e) = made {
                    let _ = backend.remove(&id, true).await;
                    return Err(e);
                }
                // Started whatever happens to the caller: concurrent `run`s wait for it.
                let backend = engine.backend.clone();
                return Ok(Starting(Some(tokio::spawn(async move {
                    let started = start(backend.as_ref(), &id).await;
                    if started.is_err() {
                        let _ = backend.remove(&id, true).await;
                    }
                    started
                }))));
            }
            Created::NameTaken => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    Err(Error::StartFailed {
        name,
        reason: "the egress proxy did not come up while concurrent runs were making it".into(),
    })
}

/// Whether the proxy of the sandbox `spec` runs (one request).
pub(crate) async fn is_running(backend: &dyn Backend, spec: &SandboxSpec) -> bool {
    let sandbox = spec.name.as_deref().unwrap_or_default();
    let key = sandbox_key(&spec.workspace, &spec.agent.name);
    backend.inspect(&proxy_name(sandbox)).await.is_ok_and(|d| {
        d.summary.status == SandboxStatus::Running && d.summary.labels.get(PROXY_FOR) == Some(&key)
    })
}

/// Whether a container's start time says it was created and never started.
fn never_started(started_at: Option<&str>) -> bool {
    started_at.is_none_or(|t| t.is_empty() || t.starts_with("0001-"))
}

async fn start(backend: &dyn Backend, id: &str) -> Result<()> {
    backend.start(id).await?;
    let d = backend.inspect(id).await?;
    backend
        .wait_for_output(id, d.started_at.as_deref(), READY_MARKER, READY_TIMEOUT)
        .await
        .map_err(|e| match e {
            Error::StartFailed { reason, .. } => Error::StartFailed {
                name: d.summary.name.clone(),
                reason: format!("the egress proxy did not start: {reason}"),
            },
            e => e,
        })
}

/// Puts the first policy into a created (not yet started) proxy's state volume.
async fn write_initial_policy(backend: &dyn Backend, id: &str, policy: &Policy) -> Result<()> {
    let json = serde_json::to_vec_pretty(policy)
        .map_err(|e| Error::Client(format!("cannot serialize the network policy: {e}")))?;
    let (dir, file) = POLICY_PATH.rsplit_once('/').unwrap_or(("/", POLICY_PATH));
    let tar = crate::archive::single_file_tar(file, json.into(), 0o600, PROXY_USER, PROXY_USER)?;
    backend.upload(id, dir, tar).await
}

/// Puts the secrets' values (read from the host now) and, for tests, the extra upstream CAs
/// into a created proxy's state volume, readable by the proxy's user only.
async fn write_secrets(backend: &dyn Backend, id: &str, spec: &SandboxSpec) -> Result<()> {
    let mut file = SecretsFile::default();
    for (i, s) in spec.secrets.iter().enumerate() {
        if s.effective_mode() != SecretMode::Proxy {
            continue;
        }
        let placeholder = s
            .placeholder
            .clone()
            .ok_or_else(|| Error::Client(format!("secret {} has no placeholder", s.name)))?;
        file.secrets.push(ProxySecret {
            name: s.name.clone(),
            placeholder,
            value: s.value(i)?,
            hosts: s.hosts.clone(),
        });
    }
    let json = serde_json::to_vec(&file)
        .map_err(|e| Error::Client(format!("cannot serialize the secrets: {e}")))?;
    let (dir, name) = SECRETS_PATH.rsplit_once('/').unwrap_or(("/", SECRETS_PATH));
    let tar = crate::archive::single_file_tar(name, json.into(), 0o600, PROXY_USER, PROXY_USER)?;
    backend.upload(id, dir, tar).await?;
    if let Some(ca) = std::env::var_os(PROXY_UPSTREAM_CA_ENV) {
        let pem = std::fs::read(&ca).map_err(|e| Error::File {
            path: std::path::PathBuf::from(&ca).display().to_string(),
            reason: format!("{PROXY_UPSTREAM_CA_ENV}: {e}"),
        })?;
        let (dir, name) = UPSTREAM_CA_PATH
            .rsplit_once('/')
            .unwrap_or(("/", UPSTREAM_CA_PATH));
        let tar = crate::archive::single_file_tar(name, pem.into(), 0o600, PROXY_USER, PROXY_USER)?;
        backend.upload(id, dir, tar).await?;
    }
    Ok(())
}

/// Stops the proxy of `sandbox` (the next `run` starts it again).
pub(crate) async fn stop(backend: &dyn Backend, sandbox: &str) -> Result<()> {
    match backend
        .stop(&proxy_name(sandbox), Duration::from_secs(2))
        .await
    {
        Err(Error::NotFound { .. }) => Ok(()),
        r => r,
    }
}

/// Removes the proxy, the sandbox's network and the policy volume of `sandbox`; what is already
/// gone is not an error.
pub(crate) async fn remove(backend: &dyn Backend, sandbox: &str) -> Result<()> {
    let gone = |r: Result<()>| match r {
        Err(Error::NotFound { .. }) => Ok(()),
        r => r,
    };
    gone(backend.remove(&proxy_name(sandbox), true).await)?;
    gone(backend.remove_network(&network_name(sandbox)).await)?;
    gone(backend.remove_volume(&ca_volume(sandbox)).await)?;
    gone(backend.remove_volume(&state_volume(sandbox)).await)
}

/// Removes the proxies, networks and state volumes whose sandbox is gone (removed behind our
/// back, e.g. by `docker rm`) and whose proxy is older than `grace` (a younger one may belong
/// to a concurrent `run` whose sandbox does not exist yet).
pub(crate) async fn remove_orphans(backend: &dyn Backend, grace: Duration) -> Result<usize> {
    let orphans = orphaned(backend, PROXY_FOR, grace).await?;
    for sandbox in &orphans {
        tracing::info!("removing the egress proxy of the removed sandbox `{sandbox}`");
        remove(backend, sandbox).await?;
    }
    Ok(orphans.len())
}

/// The names of the sandboxes that are gone while a helper container of theirs (labelled
/// `label` = the sandbox's key) older than `grace` is still there (a younger one may be a
/// concurrent `run`'s: helpers are made before their sandbox).
pub(crate) async fn orphaned(
    backend: &dyn Backend,
    label: &str,
    grace: Duration,
) -> Result<Vec<String>> {
    let keys: std::collections::HashSet<String> = backend
        .list(&[(MANAGED, "true")])
        .await?
        .into_iter()
        .filter_map(|s| s.labels.get(KEY).cloned())
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok(backend
        .list(&[(label, "")])
        .await?
        .into_iter()
        .filter(|p| now - p.created >= grace.as_secs() as i64)
        .filter(|p| p.labels.get(label).is_some_and(|k| !keys.contains(k)))
        .filter_map(|p| p.labels.get(SANDBOX_NAME).cloned())
        .collect())
}
