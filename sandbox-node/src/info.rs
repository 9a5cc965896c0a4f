//! `inspect()` and `list()` results: the core's `SandboxInfo` in JavaScript's case.

use std::collections::BTreeMap;

use napi_derive::napi;

/// A sandbox as `inspect()` and `list()` report it. `list()` fills what one listing request
/// knows; `inspect()` also fills `mounts`, `security`, `resources` and `network`. Secrets never
/// appear (env values whose names look secret are fingerprints).
#[napi(object)]
#[derive(Debug)]
pub struct SandboxInfo {
    /// Container id.
    pub id: String,
    /// Container name.
    pub name: String,
    /// Agent name.
    pub agent: String,
    /// Workspace path (the same on the host and in the sandbox).
    pub workspace: String,
    /// Template image.
    pub template: String,
    /// Coarse state.
    #[napi(
        ts_type = "'running' | 'stopped' | 'paused' | 'restarting' | 'removing' | 'dead' | 'unknown'"
    )]
    pub status: String,
    /// Creation time, Unix seconds.
    pub created: i64,
    /// Creation time, RFC 3339 (UTC).
    pub created_at: String,
    /// Container environment (values whose names look secret are fingerprints).
    pub env: BTreeMap<String, String>,
    /// Credentials mode (`sandbox` or `none`).
    pub credentials: String,
    /// `uid:gid` commands run as.
    pub user: String,
    /// docksandbox version that created it.
    pub version: String,
    /// Whether the engine's socket is mounted (the agent controls the engine).
    pub docker_socket: bool,
    /// What the sandbox may do with the engine: `none`, `scoped` or `host`.
    pub docker: String,
    /// What the agent made through scoped Docker access (inspect only): `containers`,
    /// `networks`, `volumes` (names).
    pub children: Option<serde_json::Value>,
    /// Things the user should know (e.g. the docker socket is mounted).
    pub warnings: Vec<String>,
    /// User labels.
    pub labels: BTreeMap<String, String>,
    /// The stored spec, as the core serializes it (snake_case keys).
    #[napi(ts_type = "Record<string, unknown> | undefined")]
    pub spec: Option<serde_json::Value>,
    /// Mounts as the engine made them (inspect only).
    pub mounts: Option<Vec<MountInfo>>,
    /// Effective security settings (inspect only).
    pub security: Option<SecurityInfo>,
    /// Effective limits (inspect only).
    pub resources: Option<ResourcesInfo>,
    /// Network mode (inspect only).
    pub network: Option<String>,
    /// Stopped for being idle (`idleStop`); the next `run()` starts it again.
    pub idle_stopped: bool,
    /// Ports published on this host, its own and its forwarders'.
    pub ports: Option<Vec<PortInfo>>,
    /// A branch sandbox's branch, seen from the host.
    pub branch: Option<BranchInfo>,
}

/// A branch sandbox's branch (`run({ branch })`), seen from the host.
#[napi(object)]
#[derive(Debug)]
pub struct BranchInfo {
    /// The branch.
    pub name: String,
    /// What it is compared with (the branch it was made from).
    pub base: String,
    /// Commits on the branch that its base does not have.
    pub ahead: i64,
    /// Whether its worktree has uncommitted changes.
    pub dirty: bool,
}

impl From<docksandbox::BranchStatus> for BranchInfo {
    fn from(b: docksandbox::BranchStatus) -> Self {
        BranchInfo {
            name: b.name,
            base: b.base,
            ahead: i64::try_from(b.ahead).unwrap_or(i64::MAX),
            dirty: b.dirty,
        }
    }
}

/// A port of a sandbox published on this host.
#[napi(object)]
#[derive(Debug)]
pub struct PortInfo {
    /// The port inside the sandbox.
    pub container_port: u32,
    /// `tcp` or `udp`.
    #[napi(ts_type = "'tcp' | 'udp'")]
    pub protocol: String,
    /// The host address it is bound to.
    pub host_ip: String,
    /// The host port.
    pub host_port: u32,
    /// Reached through a forwarder beside the sandbox.
    pub forwarded: bool,
}

impl From<docksandbox::PublishedPort> for PortInfo {
    fn from(p: docksandbox::PublishedPort) -> Self {
        let docksandbox::PublishedPort {
            container_port,
            protocol,
            host_ip,
            host_port,
            forwarded,
        } = p;
        PortInfo {
            container_port: container_port.into(),
            protocol: protocol.as_str().to_string(),
            host_ip: host_ip.to_string(),
            host_port: host_port.into(),
            forwarded,
        }
    }
}

/// One mount of a sandbox.
#[napi(object)]
#[derive(Debug)]
pub struct MountInfo {
    /// `bind`, `volume` or `other`.
    #[napi(ts_type = "'bind' | 'volume' | 'other'")]
    pub kind: String,
    /// Host path (bind) or volume name.
    pub source: String,
    /// Path in the container.
    pub target: String,
    /// Read-only.
    pub read_only: bool,
}

/// A sandbox's effective security settings.
#[napi(object)]
#[derive(Debug)]
pub struct SecurityInfo {
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
    /// Host namespaces shared: always empty for sandboxes.
    pub host_namespaces: Vec<String>,
}

/// Limits as the engine applies them.
#[napi(object)]
#[derive(Debug)]
pub struct ResourcesInfo {
    /// CPUs (absent: unlimited).
    pub cpus: Option<f64>,
    /// Memory bytes (absent: unlimited).
    pub memory: Option<f64>,
    /// Process limit.
    pub pids: Option<i64>,
}

impl From<docksandbox::SandboxInfo> for SandboxInfo {
    fn from(i: docksandbox::SandboxInfo) -> Self {
        // Destructured in full: a field added to the core fails to compile here.
        let docksandbox::SandboxInfo {
            id,
            name,
            agent,
            workspace,
            template,
            status,
            created,
            created_at,
            env,
            credentials,
            user,
            version,
            docker_socket,
            docker,
            children,
            warnings,
            labels,
            spec,
            mounts,
            security,
            resources,
            network,
            idle_stopped,
            ports,
            branch,
        } = i;
        SandboxInfo {
            id,
            name,
            agent,
            workspace: workspace.to_string_lossy().into_owned(),
            template,
            status: status.as_str().to_owned(),
            created,
            created_at,
            env,
            credentials,
            user,
            version,
            docker_socket,
            docker: docker.to_string(),
            children: children.and_then(|c| serde_json::to_value(c).ok()),
            warnings,
            labels,
            spec: spec.and_then(|s| serde_json::to_value(s).ok()),
            mounts: mounts.map(|ms| ms.into_iter().map(MountInfo::from).collect()),
            security: security.map(SecurityInfo::from),
            resources: resources.map(|r| {
                let docksandbox::EffectiveResources { cpus, memory, pids } = r;
                ResourcesInfo {
                    cpus,
                    memory: memory.map(|m| m as f64),
                    pids,
                }
            }),
            network,
            idle_stopped,
            ports: ports.map(|ps| ps.into_iter().map(PortInfo::from).collect()),
            branch: branch.map(BranchInfo::from),
        }
    }
}

impl From<docksandbox::MountRequest> for MountInfo {
    fn from(m: docksandbox::MountRequest) -> Self {
        let docksandbox::MountRequest {
            kind,
            source,
            target,
            read_only,
        } = m;
        MountInfo {
            kind: kind.as_str().to_owned(),
            source,
            target,
            read_only,
        }
    }
}

impl From<docksandbox::SecuritySettings> for SecurityInfo {
    fn from(s: docksandbox::SecuritySettings) -> Self {
        let docksandbox::SecuritySettings {
            privileged,
            cap_drop,
            cap_add,
            init,
            pids_limit,
            security_opt,
            readonly_rootfs,
            host_namespaces,
        } = s;
        SecurityInfo {
            privileged,
            cap_drop,
            cap_add,
            init,
            pids_limit,
            security_opt,
            readonly_rootfs,
            host_namespaces,
        }
    }
}
