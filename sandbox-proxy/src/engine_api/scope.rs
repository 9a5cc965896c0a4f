//! What one sandbox's scoped-docker proxy enforces: whose objects are its own, where bind
//! mounts may come from, which network its children join, and the limits they get.

use std::path::PathBuf;

/// The label every object the proxy creates carries; its value is the sandbox's name.
pub const OWNER_LABEL: &str = "io.docksandbox.owner";

/// Labels a client may not set (they are docksandbox's own).
pub const RESERVED_LABEL_PREFIX: &str = "io.docksandbox.";

/// The label holding the ports a child asked to publish (JSON), forwarded by the proxy.
pub const PORTS_LABEL: &str = "io.docksandbox.ports";

/// One sandbox's scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The owner label's value (the sandbox's name).
    pub owner: String,
    /// The sandbox container's name (connected to the networks its children create).
    pub sandbox: String,
    /// The workspace: the only host directory bind mounts may come from (absolute, canonical).
    pub workspace: PathBuf,
    /// The network children join when they ask for the default one (`none` when the sandbox
    /// has no network).
    pub network: String,
    /// The paths a child's bind of the engine socket names (`/var/run/docker.sock` and the
    /// like): rewritten to [`Scope::proxy_socket`].
    pub socket_paths: Vec<String>,
    /// The host path of this proxy's own socket.
    pub proxy_socket: String,
    /// Build arguments every build gets (the sandbox's proxy variables).
    pub build_args: Vec<(String, String)>,
    /// Caps for children.
    pub limits: Limits,
    /// Labels every child gets besides the owner label (the sandbox's own labels, so whatever
    /// finds the sandbox by them finds its children too).
    pub labels: Vec<(String, String)>,
}

/// Resource caps for a child (each `None`: the engine's default is left).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// Memory, bytes.
    pub memory: Option<i64>,
    /// CPUs × 10⁹.
    pub nano_cpus: Option<i64>,
    /// Processes.
    pub pids: Option<i64>,
}

impl Scope {
    /// Whether `labels` (an object's) say it is this sandbox's.
    pub fn owns(&self, labels: Option<&std::collections::HashMap<String, String>>) -> bool {
        labels
            .and_then(|l| l.get(OWNER_LABEL))
            .is_some_and(|v| *v == self.owner)
    }

    /// `labels` without docksandbox's own keys, with the owner label set.
    pub fn label(
        &self,
        labels: Option<std::collections::HashMap<String, String>>,
    ) -> std::collections::HashMap<String, String> {
        let mut l = labels.unwrap_or_default();
        l.retain(|k, _| !k.starts_with(RESERVED_LABEL_PREFIX));
        for (k, v) in &self.labels {
            l.insert(k.clone(), v.clone());
        }
        l.insert(OWNER_LABEL.to_string(), self.owner.clone());
        l
    }
}
