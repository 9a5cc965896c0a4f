//! The pluggable engine interface. [`crate::DockerBackend`] implements it on bollard; a
//! Podman backend or an in-sandbox exec channel can implement it without touching callers.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWrite;

use crate::error::Result;

/// What a backend creates: one sandbox container, fully described.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerConfig {
    /// Container name.
    pub name: String,
    /// Image reference.
    pub image: String,
    /// Labels (docksandbox's state).
    pub labels: HashMap<String, String>,
    /// `K=V` environment of the container.
    pub env: Vec<String>,
    /// Entrypoint (replaces the image's).
    pub entrypoint: Vec<String>,
    /// User of the main process (`uid:gid`).
    pub user: String,
    /// Working directory of the main process.
    pub working_dir: String,
    /// Mounts, structured.
    pub mounts: Vec<MountRequest>,
    /// Hardening.
    pub security: SecuritySettings,
    /// CPU limit in CPUs.
    pub cpus: Option<f64>,
    /// Memory limit in bytes (swap limited to the same).
    pub memory: Option<u64>,
    /// The engine network the container is attached to: `bridge`, `none`, or a network's name.
    pub network: String,
    /// Other names of the container on that network.
    pub network_aliases: Vec<String>,
    /// DNS servers the engine's resolver forwards outside names to (empty: the engine's choice).
    pub dns: Vec<String>,
    /// Namespaced kernel settings of the container (`net.ipv4.ip_forward` …).
    pub sysctls: HashMap<String, String>,
    /// The engine restarts the container when it exits or the engine restarts, unless it was
    /// stopped on purpose.
    pub restart_unless_stopped: bool,
    /// Supplementary groups of the container's processes (e.g. the docker socket's group).
    pub group_add: Vec<String>,
    /// Ports the engine publishes on the host.
    pub ports: Vec<crate::model::port::PortMapping>,
}

/// An engine network for one sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRequest {
    /// The network's name.
    pub name: String,
    /// Labels (docksandbox's state).
    pub labels: HashMap<String, String>,
    /// No route out, no address of the host on it, no IPv6: only its containers reach each other.
    pub isolated: bool,
    /// Its containers cannot reach each other (each reaches only the outside).
    pub separate_peers: bool,
}

/// The kind of a mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    /// A host path.
    Bind,
    /// A named volume.
    Volume,
    /// Anything else the engine reports.
    Other,
}

impl MountKind {
    /// The kind's lowercase word (`bind`, `volume`, `other`): the serde form.
    ///
    /// ```
    /// assert_eq!(docksandbox::MountKind::Bind.as_str(), "bind");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            MountKind::Bind => "bind",
            MountKind::Volume => "volume",
            MountKind::Other => "other",
        }
    }
}

/// One mount of a container, requested or as the engine made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountRequest {
    /// Bind or volume.
    pub kind: MountKind,
    /// Host path (bind) or volume name.
    pub source: String,
    /// Path in the container.
    pub target: String,
    /// Read-only.
    pub read_only: bool,
}

/// The security settings of a container: requested on create, reported by inspect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecuritySettings {
    /// Privileged mode (never requested).
    pub privileged: bool,
    /// Capabilities removed from the engine's default set.
    pub cap_drop: Vec<String>,
    /// Capabilities added.
    pub cap_add: Vec<String>,
    /// An init process reaps zombies and forwards signals.
    pub init: bool,
    /// Maximum number of processes.
    pub pids_limit: Option<i64>,
    /// `no-new-privileges` and other security options.
    pub security_opt: Vec<String>,
    /// Read-only root file system.
    pub readonly_rootfs: bool,
    /// Host namespaces shared (`pid`, `ipc`, `uts`, `net`, `userns`, `cgroup`): always empty for sandboxes.
    pub host_namespaces: Vec<String>,
}

impl SecuritySettings {
    /// The hardened defaults every sandbox gets: not privileged, Docker's default capability
    /// set minus `NET_RAW` and `MKNOD`, an init process, no host namespaces.
    pub fn hardened(pids_limit: i64) -> Self {
        SecuritySettings {
            privileged: false,
            cap_drop: vec!["NET_RAW".into(), "MKNOD".into()],
            cap_add: Vec::new(),
            init: true,
            pids_limit: Some(pids_limit),
            security_opt: Vec::new(),
            readonly_rootfs: false,
            host_namespaces: Vec::new(),
        }
    }
}

/// A container's coarse state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxStatus {
    /// Running.
    Running,
    /// Created or exited: `run` starts it again.
    Stopped,
    /// Paused.
    Paused,
    /// Restarting.
    Restarting,
    /// Being removed.
    Removing,
    /// Dead (the engine could not stop or remove it).
    Dead,
    /// Anything else.
    Unknown,
}

impl SandboxStatus {
    /// Maps the engine's state string.
    pub fn from_engine(s: &str) -> Self {
        match s {
            "running" => SandboxStatus::Running,
            "created" | "exited" | "stopped" | "stopping" => SandboxStatus::Stopped,
            "paused" => SandboxStatus::Paused,
            "restarting" => SandboxStatus::Restarting,
            "removing" => SandboxStatus::Removing,
            "dead" => SandboxStatus::Dead,
            _ => SandboxStatus::Unknown,
        }
    }
}

impl SandboxStatus {
    /// The status's lowercase word (`running`, `stopped`, …): the serde form, what `ls` shows.
    ///
    /// ```
    /// assert_eq!(docksandbox::SandboxStatus::Running.as_str(), "running");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxStatus::Running => "running",
            SandboxStatus::Stopped => "stopped",
            SandboxStatus::Paused => "paused",
            SandboxStatus::Restarting => "restarting",
            SandboxStatus::Removing => "removing",
            SandboxStatus::Dead => "dead",
            SandboxStatus::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for SandboxStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A container as listed (one request for all of them).
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSummary {
    /// Full id.
    pub id: String,
    /// Name without the leading `/`.
    pub name: String,
    /// Image reference.
    pub image: String,
    /// Labels.
    pub labels: HashMap<String, String>,
    /// State.
    pub status: SandboxStatus,
    /// Creation time, Unix seconds.
    pub created: i64,
    /// Ports the engine published for it (listing only; inspect has them in
    /// [`ContainerDetails::ports`]).
    pub ports: Vec<crate::model::port::PublishedPort>,
}

/// A container as inspected.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerDetails {
    /// The list-level facts.
    pub summary: ContainerSummary,
    /// When the main process last started, as the engine wrote it (RFC 3339).
    pub started_at: Option<String>,
    /// Mounts as the engine made them.
    pub mounts: Vec<MountRequest>,
    /// Effective security settings.
    pub security: SecuritySettings,
    /// Network mode.
    pub network_mode: String,
    /// CPU limit in CPUs.
    pub cpus: Option<f64>,
    /// Memory limit in bytes.
    pub memory: Option<u64>,
    /// Supplementary groups.
    pub group_add: Vec<String>,
    /// Ports the engine published on the host (while it runs).
    pub ports: Vec<crate::model::port::PublishedPort>,
}

/// Outcome of a create request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// Created, with this id.
    New(String),
    /// A container with that name exists already (a concurrent `run` won).
    NameTaken,
}

/// One command to run in a container.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ExecRequest {
    /// argv.
    pub cmd: Vec<String>,
    /// `K=V` pairs added to the container's environment.
    pub env: Vec<String>,
    /// Working directory.
    pub workdir: Option<String>,
    /// `uid:gid` or a user name.
    pub user: Option<String>,
    /// Allocate a terminal (output arrives as stdout).
    pub tty: bool,
    /// Attach stdin.
    pub stdin: bool,
    /// The caller may need [`ExecControl::kill`] (a timeout is set).
    pub killable: bool,
}

impl std::fmt::Debug for ExecRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecRequest")
            .field("cmd", &self.cmd)
            .field("env", &crate::model::secrets::redact_env_pairs(&self.env))
            .field("workdir", &self.workdir)
            .field("user", &self.user)
            .field("tty", &self.tty)
            .field("stdin", &self.stdin)
            .field("killable", &self.killable)
            .finish()
    }
}

/// What a running exec produces, in order; [`ExecEvent::Exit`] is always last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecEvent {
    /// Bytes written to stdout (or to the terminal, with a TTY).
    Stdout(Bytes),
    /// Bytes written to stderr.
    Stderr(Bytes),
    /// The process ended with this exit code (128 + signal when killed by a signal).
    Exit(i64),
}

/// Control of a running exec.
#[async_trait]
pub trait ExecControl: Send + Sync + std::fmt::Debug {
    /// Resizes the exec's terminal.
    async fn resize(&self, rows: u16, cols: u16) -> Result<()>;
    /// Kills the process and everything it started.
    async fn kill(&self) -> Result<()>;
}

/// Writable stdin of an exec.
pub type ExecStdin = Pin<Box<dyn AsyncWrite + Send>>;

/// A started exec.
pub struct ExecProcess {
    /// Output events, ending with [`ExecEvent::Exit`] once the exit code is really known.
    pub events: BoxStream<'static, Result<ExecEvent>>,
    /// Stdin, when requested.
    pub stdin: Option<ExecStdin>,
    /// Resize and kill.
    pub control: Arc<dyn ExecControl>,
}

impl std::fmt::Debug for ExecProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecProcess")
            .field("stdin", &self.stdin.is_some())
            .field("control", &self.control)
            .finish()
    }
}

/// Where the engine's socket is, for `mount_docker_socket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineSocket {
    /// Path of the socket on the engine's host.
    pub path: String,
    /// The socket's group id, when known (added to the sandbox's groups so its user can use it).
    pub gid: Option<u32>,
}

/// An image on the engine.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageDetails {
    /// Image id (`sha256:…`).
    pub id: String,
    /// Its labels.
    pub labels: HashMap<String, String>,
    /// Its configuration's environment (`K=V`).
    pub env: Vec<String>,
    /// Its entrypoint.
    pub entrypoint: Vec<String>,
    /// Its command.
    pub cmd: Vec<String>,
    /// Its working directory.
    pub working_dir: String,
    /// Its user.
    pub user: String,
}

/// What a container uses, from the engine's stats (one sample over about a second).
///
/// ```
/// let u = docksandbox::ResourceUsage::default();
/// assert_eq!(u.memory_bytes, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceUsage {
    /// CPU use over the sample, in percent of one CPU (200 = two CPUs busy).
    pub cpu_percent: f64,
    /// Memory in use now, page cache left out (what `docker stats` shows).
    pub memory_bytes: u64,
    /// The memory limit (the host's memory when the sandbox has none).
    pub memory_limit: Option<u64>,
    /// The most memory it has used, when the engine's cgroups count it.
    pub memory_peak: Option<u64>,
    /// Processes (threads included) now.
    pub pids: u64,
    /// The process limit.
    pub pids_limit: Option<u64>,
    /// Bytes received over its networks.
    pub net_rx_bytes: u64,
    /// Bytes sent over its networks.
    pub net_tx_bytes: u64,
}

/// An image build: a tar context holding a `Dockerfile`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct BuildRequest {
    /// The tag to give the image.
    pub tag: String,
    /// The build context, a tar archive in consecutive chunks.
    pub context: Vec<Bytes>,
    /// Build arguments.
    pub build_args: HashMap<String, String>,
    /// Labels put on the image.
    pub labels: HashMap<String, String>,
    /// Ignore the layer cache.
    pub no_cache: bool,
}

impl std::fmt::Debug for BuildRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildRequest")
            .field("tag", &self.tag)
            .field(
                "context_bytes",
                &self.context.iter().map(Bytes::len).sum::<usize>(),
            )
            .field("build_args", &self.build_args)
            .field("labels", &self.labels)
            .field("no_cache", &self.no_cache)
            .finish()
    }
}

/// The operations the sandbox lifecycle needs from a container engine.
#[async_trait]
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// Address of the engine, for messages (`unix:///var/run/docker.sock`).
    fn host(&self) -> &str;
    /// Checks that the engine answers.
    async fn ping(&self) -> Result<()>;
    /// Pulls an image, reporting progress.
    async fn pull(
        &self,
        image: &str,
        progress: &(dyn for<'p> Fn(&'p crate::Progress) + Send + Sync),
    ) -> Result<()>;
    /// Creates a container; [`Created::NameTaken`] when the name exists,
    /// [`crate::Error::ImageNotFound`] when its image is not on the engine (nothing is pulled),
    /// and [`crate::Error::MountMismatch`] when a bind source does not exist.
    async fn create(&self, config: &ContainerConfig) -> Result<Created>;
    /// Starts a container (no-op when running). A bind source that vanished is
    /// [`crate::Error::MountMismatch`]; an image that cannot run the entrypoint
    /// [`crate::Error::StartFailed`] with the reason; both named by `id`.
    async fn start(&self, id: &str) -> Result<()>;
    /// Waits until the container's output holds `marker` (printed since `since`, RFC 3339)
    /// or the container exits (error, with its output).
    async fn wait_for_output(
        &self,
        id: &str,
        since: Option<&str>,
        marker: &str,
        timeout: Duration,
    ) -> Result<()>;
    /// Resumes a paused container.
    async fn unpause(&self, id: &str) -> Result<()>;
    /// What a running container uses now.
    async fn stats(&self, id: &str) -> Result<ResourceUsage>;
    /// Pauses a running container (its processes frozen until [`Backend::unpause`]).
    async fn pause(&self, id: &str) -> Result<()>;
    /// A container's file system as a tar stream (mounts not included).
    async fn export(&self, id: &str) -> Result<BoxStream<'static, std::io::Result<Bytes>>>;
    /// Stops a container, killing it after `timeout`.
    async fn stop(&self, id: &str, timeout: Duration) -> Result<()>;
    /// Removes a container (`force`: even when running). Named volumes are kept.
    async fn remove(&self, id: &str, force: bool) -> Result<()>;
    /// Inspects a container by id or name.
    async fn inspect(&self, id_or_name: &str) -> Result<ContainerDetails>;
    /// Lists containers (running or not) carrying every `key=value` label given (an empty
    /// value: the label with any value).
    async fn list(&self, labels: &[(&str, &str)]) -> Result<Vec<ContainerSummary>>;
    /// Starts a command in a running container.
    async fn exec(&self, id: &str, request: ExecRequest) -> Result<ExecProcess>;
    /// Extracts a tar archive, given as consecutive chunks, into directory `dir` of the container.
    async fn upload(&self, id: &str, dir: &str, tar: Vec<Bytes>) -> Result<()>;
    /// A tar archive of `path` in the container, as the engine streams it (an error for a
    /// missing path comes first).
    async fn download(&self, id: &str, path: &str) -> Result<BoxStream<'static, Result<Bytes>>>;
    /// Creates a named volume unless it exists.
    async fn ensure_volume(&self, name: &str, labels: &HashMap<String, String>) -> Result<()>;
    /// Creates a named volume unless it exists, whose contents are the host directory `lower`
    /// seen through an overlay: writes land in the host directory `upper` (with `work`
    /// beside it), never in `lower`. Mounted by the engine when a container uses it.
    async fn ensure_overlay_volume(
        &self,
        name: &str,
        labels: &HashMap<String, String>,
        lower: &str,
        upper: &str,
        work: &str,
    ) -> Result<()>;
    /// The image `reference`, or `None` when the engine does not have it.
    async fn image(&self, reference: &str) -> Result<Option<ImageDetails>>;
    /// Builds an image, reporting each line of output ([`crate::Progress::Build`]); returns
    /// its id. A failing step gives [`crate::Error::TemplateBuildFailed`] with its output.
    async fn build(
        &self,
        request: BuildRequest,
        progress: &(dyn for<'p> Fn(&'p crate::Progress) + Send + Sync),
    ) -> Result<String>;
    /// Removes the image `id` unless a container or a tag still uses it (then it stays, and
    /// that is not an error): what a rebuild replaced. `true` when it was removed.
    async fn remove_unused_image(&self, id: &str) -> Result<bool>;
    /// Images carrying the label `key`: `(id, tags)`.
    async fn list_images(&self, key: &str) -> Result<Vec<(String, Vec<String>)>>;
    /// Names of the volumes carrying every label of `labels` (`(key, "")`: the key alone).
    async fn list_volumes(&self, labels: &[(&str, &str)]) -> Result<Vec<String>>;
    /// Imports a root filesystem (a tar stream) as image `tag`, applying Dockerfile
    /// `changes` (`ENV …`, `CMD …`, `LABEL …`).
    async fn import(
        &self,
        tag: &str,
        changes: &[String],
        rootfs: BoxStream<'static, std::io::Result<Bytes>>,
    ) -> Result<()>;
    /// The engine's socket, when it can be mounted into a container.
    fn engine_socket(&self) -> Option<EngineSocket>;
    /// Creates a network unless one of that name exists. Not atomic: engines may allow two
    /// networks of one name, so callers make sure only one of them creates it.
    async fn ensure_network(&self, request: &NetworkRequest) -> Result<()>;
    /// Attaches a created or running container to a network, with `aliases` as its other names there.
    async fn connect_network(
        &self,
        container: &str,
        network: &str,
        aliases: &[String],
    ) -> Result<()>;
    /// Removes a network ([`crate::Error::NotFound`] when there is none).
    async fn remove_network(&self, name: &str) -> Result<()>;
    /// Names of the networks carrying every `key=value` label given (an empty value: any value).
    async fn list_networks(&self, labels: &[(&str, &str)]) -> Result<Vec<String>>;
    /// The addresses of the engine's gateways on its networks (the host's side of each bridge).
    async fn gateways(&self) -> Result<Vec<std::net::IpAddr>>;
    /// Removes a named volume ([`crate::Error::NotFound`] when there is none).
    async fn remove_volume(&self, name: &str) -> Result<()>;
    /// A container's output (stdout and stderr) as it was written (from Unix second `since`
    /// when not 0), then, with `follow`, as it comes until the container stops.
    async fn logs(
        &self,
        id: &str,
        follow: bool,
        since: i64,
    ) -> Result<BoxStream<'static, Result<Bytes>>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_word(v: impl Serialize) -> String {
        serde_json::to_value(v)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn words_are_the_serde_forms() {
        use SandboxStatus::*;
        for s in [
            Running, Stopped, Paused, Restarting, Removing, Dead, Unknown,
        ] {
            assert_eq!(s.as_str(), serde_word(s));
        }
        for k in [MountKind::Bind, MountKind::Volume, MountKind::Other] {
            assert_eq!(k.as_str(), serde_word(k));
        }
    }
}
