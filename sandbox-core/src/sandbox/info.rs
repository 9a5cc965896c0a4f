//! What `inspect` and `list` report about a sandbox.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::backend::{
    ContainerDetails, ContainerSummary, MountRequest, SandboxStatus, SecuritySettings,
};
use crate::model::label_keys as labels;
use crate::model::paths::DOCKER_SOCKET_TARGET;
use crate::model::spec::SandboxSpec;
use crate::reuse::stored_spec::decode;

/// A sandbox as reported by [`crate::Sandbox::inspect`] and [`crate::Client::list`].
///
/// `list` fills the fields known from one listing request; `inspect` also fills `mounts`,
/// `security`, `resources` and `network`. Secrets never appear (env values whose names look
/// secret are fingerprints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxInfo {
    /// Container id.
    pub id: String,
    /// Container name.
    pub name: String,
    /// Agent name.
    pub agent: String,
    /// Workspace path (host and sandbox).
    pub workspace: PathBuf,
    /// Template image.
    pub template: String,
    /// Status.
    pub status: SandboxStatus,
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
    /// What the sandbox may do with the engine (`none`, `scoped`, `host`).
    #[serde(default)]
    pub docker: crate::DockerAccess,
    /// What the agent made through scoped Docker access (inspect only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<crate::scoped_docker::proxy::Children>,
    /// Things the user should know (e.g. the docker socket is mounted).
    pub warnings: Vec<String>,
    /// User labels.
    pub labels: BTreeMap<String, String>,
    /// The stored spec.
    pub spec: Option<SandboxSpec>,
    /// Mounts as the engine made them (inspect only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mounts: Option<Vec<MountRequest>>,
    /// Effective security settings (inspect only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<SecuritySettings>,
    /// Effective limits (inspect only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<EffectiveResources>,
    /// Network mode (inspect only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Stopped for being idle (`--idle-stop`); the next `run` or `exec` starts it again.
    #[serde(default)]
    pub idle_stopped: bool,
    /// Ports published on the host, its own and its forwarders' (`inspect` and `list`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<crate::model::port::PublishedPort>>,
    /// A branch sandbox's branch: commits ahead of its base, uncommitted changes (`inspect`
    /// and `list`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<crate::workspace::branch_review::BranchStatus>,
}

impl SandboxInfo {
    /// Fills [`SandboxInfo::branch`] from the host's git, for a branch sandbox.
    pub(crate) async fn with_branch_status(mut self) -> Self {
        let Some(spec) = self.spec.clone() else {
            return self;
        };
        let Some((b, repo)) = crate::workspace::worktree::placed(&spec) else {
            return self;
        };
        let (b, repo, wt) = (b.clone(), repo.clone(), spec.workspace.clone());
        let got = crate::workspace::git::blocking(move || {
            crate::workspace::branch_review::status(&b, &repo, &wt)
        })
        .await;
        match got {
            Ok(st) => self.branch = Some(st),
            Err(e) => tracing::debug!(error = %e, "no branch status for `{}`", self.name),
        }
        self
    }
}

/// Limits as the engine applies them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EffectiveResources {
    /// CPUs (None: unlimited).
    pub cpus: Option<f64>,
    /// Memory bytes (None: unlimited).
    pub memory: Option<u64>,
    /// Process limit.
    pub pids: Option<i64>,
}

/// The warning shown wherever a sandbox has the engine's socket.
pub const DOCKER_SOCKET_WARNING: &str =
    "the Docker socket is mounted: the agent can control the Docker engine (and through it, the host)";

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

impl SandboxInfo {
    pub(crate) fn from_summary(s: ContainerSummary) -> Self {
        let spec = decode(&s.labels).ok();
        let docker = spec.as_ref().and_then(|sp| sp.docker).unwrap_or_default();
        let docker_socket = docker == crate::DockerAccess::Host;
        let get = |k: &str| s.labels.get(k).cloned().unwrap_or_default();
        let user_labels = s
            .labels
            .iter()
            .filter(|(k, _)| !k.starts_with(labels::PREFIX))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        SandboxInfo {
            id: s.id.clone(),
            name: s.name.clone(),
            agent: get(labels::AGENT),
            workspace: PathBuf::from(get(labels::WORKSPACE)),
            template: spec
                .as_ref()
                .map(|sp| sp.template_image().to_string())
                .unwrap_or_else(|| s.image.clone()),
            status: s.status,
            created: s.created,
            created_at: rfc3339(s.created),
            env: spec.as_ref().map(|sp| sp.env.clone()).unwrap_or_default(),
            credentials: spec
                .as_ref()
                .map(|sp| sp.credentials.unwrap_or_default().to_string())
                .unwrap_or_default(),
            user: get(labels::USER),
            version: get(labels::VERSION),
            docker_socket,
            docker,
            children: None,
            warnings: if docker_socket {
                vec![DOCKER_SOCKET_WARNING.to_string()]
            } else {
                Vec::new()
            },
            labels: user_labels,
            spec,
            mounts: None,
            security: None,
            resources: None,
            network: None,
            idle_stopped: s.status != SandboxStatus::Running
                && crate::sandbox::activity::was_idle_stopped(&s.name),
            ports: None,
            branch: None,
        }
    }

    pub(crate) fn from_details(d: ContainerDetails) -> Self {
        let mut info = SandboxInfo::from_summary(d.summary);
        let socket = d.mounts.iter().any(|m| m.target == DOCKER_SOCKET_TARGET);
        if socket && !info.docker_socket {
            info.docker_socket = true;
            info.warnings.push(DOCKER_SOCKET_WARNING.to_string());
        }
        info.resources = Some(EffectiveResources {
            cpus: d.cpus,
            memory: d.memory,
            pids: d.security.pids_limit,
        });
        // The engine lists mounts in no fixed order (a map): sorted, so that two reads of
        // one sandbox compare equal.
        let mut mounts = d.mounts;
        mounts.sort_by(|a, b| (&a.target, &a.source).cmp(&(&b.target, &b.source)));
        info.mounts = Some(mounts);
        info.security = Some(d.security);
        info.network = Some(d.network_mode);
        info
    }
}
