//! What `list` and `inspect` report, as a record foreign code can read.

use std::collections::HashMap;

/// A sandbox as the core's [`docksandbox::SandboxInfo`] reports it (secrets appear as
/// fingerprints, never as values).
#[derive(Debug, Clone, uniffi::Record)]
pub struct SandboxInfo {
    /// Container id.
    pub id: String,
    /// Container name.
    pub name: String,
    /// Agent name.
    pub agent: String,
    /// Workspace path (the same inside and outside).
    pub workspace: String,
    /// Template image.
    pub template: String,
    /// `running`, `stopped`, `paused`, `restarting`, `removing`, `dead` or `unknown`.
    pub status: String,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// The user commands run as (`uid:gid`).
    pub user: String,
    /// Container environment (secret values as fingerprints).
    pub env: HashMap<String, String>,
    /// Labels.
    pub labels: HashMap<String, String>,
    /// Warnings about the sandbox's settings (a mounted engine socket, …).
    pub warnings: Vec<String>,
}

impl From<docksandbox::SandboxInfo> for SandboxInfo {
    fn from(i: docksandbox::SandboxInfo) -> Self {
        SandboxInfo {
            id: i.id,
            name: i.name,
            agent: i.agent,
            workspace: i.workspace.to_string_lossy().into_owned(),
            template: i.template,
            status: i.status.as_str().to_string(),
            created_at: i.created_at,
            user: i.user,
            env: i.env.into_iter().collect(),
            labels: i.labels.into_iter().collect(),
            warnings: i.warnings,
        }
    }
}
