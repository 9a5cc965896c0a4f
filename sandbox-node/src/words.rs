//! Node's words for the core's spec fields and options: the one table core errors are
//! translated with (`mounts[0].host` → `volumes[0]`, `recreate` → `recreate: true`). The
//! messages themselves are the core's ([`docksandbox::Error::message_with`]).

/// Spec field (its first part) → the `run()` option that sets it.
pub const OPTIONS: &[(&str, &str)] = &[
    ("workspace", "workspace"),
    ("mounts", "volumes"),
    ("env", "env"),
    ("template", "template"),
    ("mount_docker_socket", "mountDockerSocket"),
    ("docker", "docker"),
    ("credentials", "credentials"),
    ("name", "name"),
    ("cpus", "cpus"),
    ("memory", "memory"),
    ("pids_limit", "pidsLimit"),
    ("network", "network"),
    ("allow_hosts", "allowHosts"),
    ("deny_hosts", "denyHosts"),
    ("network_policy", "networkPolicy"),
    ("allow_presets", "allowPresets"),
    ("add_hosts", "addHosts"),
    ("labels", "labels"),
    ("ca_bundle", "caBundle"),
    ("workspace_mode", "workspaceMode"),
    ("writable", "writable"),
    ("secrets", "secrets"),
    ("secret_hosts", "secrets"),
    ("secret_mode", "secretMode"),
    ("git_guard", "gitGuard"),
    ("share_agent_config", "shareAgentConfig"),
    ("ports", "ports"),
    ("ephemeral", "ephemeral"),
    ("ttl", "ttl"),
    ("idle_stop", "idleStop"),
    ("branch", "branch"),
    ("branch.from", "branchFrom"),
];

/// Node's words for a spec field or option, `None` when no option sets it.
pub fn word(field: &str) -> Option<String> {
    if field == "recreate" {
        return Some("`recreate: true`".into());
    }
    let (root, index, key) = docksandbox::split_field(field);
    let option = OPTIONS.iter().find(|(f, _)| *f == root)?.1;
    Some(match (index, key) {
        (Some(i), _) if root != "secret_hosts" => format!("option `{option}[{i}]`"),
        (None, Some(k)) if root == "env" => format!("option `{option}.{k}`"),
        _ => format!("option `{option}`"),
    })
}
