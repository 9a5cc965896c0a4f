//! The host's git identity, as seen from the workspace (repo-local config wins), passed to
//! every exec through git's environment configuration (`GIT_CONFIG_COUNT`, git ≥ 2.31):
//! nothing is written into the sandbox.

use std::path::Path;

async fn git_config(workspace: &Path, key: &str) -> Option<String> {
    let out = tokio::process::Command::new("git")
        .arg("-C")
        .arg(workspace)
        .args(["config", "--get", key])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .await
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let v = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!v.is_empty() && !v.contains('\0')).then_some(v)
}

/// `K=V` pairs that give git inside the sandbox the host's `user.name` and `user.email`.
pub(crate) async fn env(workspace: &Path) -> Vec<String> {
    let (name, email) = tokio::join!(
        git_config(workspace, "user.name"),
        git_config(workspace, "user.email")
    );
    let pairs: Vec<(&str, String)> = [("user.name", name), ("user.email", email)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    if pairs.is_empty() {
        return Vec::new();
    }
    let mut env = vec![format!("GIT_CONFIG_COUNT={}", pairs.len())];
    for (i, (k, v)) in pairs.iter().enumerate() {
        env.push(format!("GIT_CONFIG_KEY_{i}={k}"));
        env.push(format!("GIT_CONFIG_VALUE_{i}={v}"));
    }
    env
}
