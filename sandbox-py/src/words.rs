//! Python's words for the core's spec fields and options: the one table core errors are
//! translated with (`mounts[0].host` → `volumes[0]`, `recreate` → `recreate=True`). The
//! messages themselves are the core's ([`docksandbox::Error::message_with`]).

/// Spec field (its first part) → the keyword argument of `docksandbox.run` that sets it.
pub const KWARGS: &[(&str, &str)] = &[
    ("workspace", "workspace"),
    ("mounts", "volumes"),
    ("env", "env"),
    ("template", "template"),
    ("mount_docker_socket", "mount_docker_socket"),
    ("docker", "docker"),
    ("credentials", "credentials"),
    ("name", "name"),
    ("cpus", "cpus"),
    ("memory", "memory"),
    ("pids_limit", "pids_limit"),
    ("network", "network"),
    ("allow_hosts", "allow_hosts"),
    ("deny_hosts", "deny_hosts"),
    ("network_policy", "network_policy"),
    ("allow_presets", "allow_presets"),
    ("add_hosts", "add_hosts"),
    ("labels", "labels"),
    ("ca_bundle", "ca_bundle"),
    ("workspace_mode", "workspace_mode"),
    ("writable", "writable"),
    ("secrets", "secrets"),
    ("secret_hosts", "secrets"),
    ("secret_mode", "secret_mode"),
    ("git_guard", "git_guard"),
    ("share_agent_config", "share_agent_config"),
    ("ports", "ports"),
    ("ephemeral", "ephemeral"),
    ("ttl", "ttl"),
    ("idle_stop", "idle_stop"),
    ("branch", "branch"),
    ("branch.from", "branch_from"),
];

/// Python's words for a spec field or option, `None` when no keyword sets it.
pub fn word(field: &str) -> Option<String> {
    if field == "recreate" {
        return Some("`recreate=True`".into());
    }
    let (root, index, key) = docksandbox::split_field(field);
    let kwarg = KWARGS.iter().find(|(f, _)| *f == root)?.1;
    Some(match (index, key) {
        (Some(i), _) if root != "secret_hosts" => format!("`{kwarg}[{i}]`"),
        (None, Some(k)) if root == "env" => format!("`{kwarg}['{k}']`"),
        _ => format!("`{kwarg}=`"),
    })
}
