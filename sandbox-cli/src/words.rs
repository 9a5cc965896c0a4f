//! The CLI's words for the core's spec fields and options: the one table core errors are
//! translated with (`mounts[0].host` → `-v/--volume ./data:/data`, `recreate` → `--recreate`),
//! and what the user typed for the indexed flags, so an error shows it as typed beside what it
//! became. The messages themselves are the core's ([`docksandbox::Error::message_with`]).

use std::sync::Mutex;

/// Spec field (its first part) → the `run` flag that sets it.
pub const FLAGS: &[(&str, &str)] = &[
    ("workspace", "-w/--workspace"),
    ("mounts", "-v/--volume"),
    ("env", "-e/--env"),
    ("template", "-t/--template"),
    ("mount_docker_socket", "--mount-docker-socket"),
    ("docker", "--docker"),
    ("credentials", "--credentials"),
    ("name", "--name"),
    ("recreate", "--recreate"),
    ("cpus", "--cpus"),
    ("memory", "--memory"),
    ("pids_limit", "--pids-limit"),
    ("network", "--network"),
    ("allow_hosts", "--allow-host"),
    ("deny_hosts", "--deny-host"),
    ("network_policy", "--network-policy"),
    ("allow_presets", "--allow-preset"),
    ("add_hosts", "--add-host"),
    ("labels", "--label"),
    ("ca_bundle", "--ca-bundle"),
    ("workspace_mode", "--workspace-mode"),
    ("writable", "--writable"),
    ("secrets", "--secret"),
    ("secret_hosts", "--secret-host"),
    ("secret_mode", "--secret-mode"),
    ("git_guard", "--no-git-guard"),
    ("share_agent_config", "--share-agent-config"),
    ("ports", "-p/--publish"),
    ("ephemeral", "--rm"),
    ("ttl", "--ttl"),
    ("idle_stop", "--idle-stop"),
    ("branch", "--branch"),
    ("branch.from", "--from"),
    ("filters", "--filter"),
    ("since", "--since"),
    ("force", "-f/--force"),
];

/// What was typed for repeated flags, by spec field: `("mounts", ["./data:/data"])`.
static TYPED: Mutex<Vec<(&'static str, Vec<String>)>> = Mutex::new(Vec::new());

/// Remembers what the user typed for the repeated flag that fills `field`.
pub fn remember(field: &'static str, typed: &[String]) {
    let mut t = TYPED.lock().unwrap_or_else(|e| e.into_inner());
    t.retain(|(f, _)| *f != field);
    t.push((field, typed.to_vec()));
}

/// The CLI's words for a spec field or option, `None` when it has no flag.
pub fn word(field: &str) -> Option<String> {
    let (root, index, key) = docksandbox::split_field(field);
    let flag = FLAGS.iter().find(|(f, _)| *f == root)?.1;
    let typed = index.and_then(|i| {
        let t = TYPED.lock().unwrap_or_else(|e| e.into_inner());
        t.iter()
            .find(|(f, _)| *f == root)
            .and_then(|(_, v)| v.get(i).cloned())
    });
    Some(match (typed, key) {
        (Some(t), _) => format!("{flag} {t}"),
        (None, Some(k)) if root == "env" => format!("{flag} {k}"),
        _ => flag.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_become_flags_with_what_was_typed() {
        remember("mounts", &["./data:/data".into(), "/m:/m".into()]);
        assert_eq!(
            word("mounts[0].host").as_deref(),
            Some("-v/--volume ./data:/data")
        );
        assert_eq!(
            word("mounts[1].container").as_deref(),
            Some("-v/--volume /m:/m")
        );
        assert_eq!(word("env.FOO").as_deref(), Some("-e/--env FOO"));
        assert_eq!(word("recreate").as_deref(), Some("--recreate"));
        assert_eq!(word("agent.command"), None);
    }
}
