//! Deterministic names: the sandbox key, container names derived from (workspace, agent),
//! and the credentials volume of an agent.

use std::path::Path;

use sha2::{Digest, Sha256};

/// SHA-256 over the agent and the canonical workspace path: what identifies a sandbox.
fn key_digest(workspace: &Path, agent: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(agent.as_bytes());
    h.update([0u8]);
    h.update(workspace.as_os_str().as_encoded_bytes());
    h.finalize().into()
}

/// The sandbox key (the value of the `docksandbox.key` label): 32 hex digits of
/// [`key_digest`]. One sandbox per key.
pub(crate) fn sandbox_key(workspace: &Path, agent: &str) -> String {
    hex(&key_digest(workspace, agent)[..16])
}

/// The short hash in derived names: 8 hex digits of [`key_digest`].
fn key_hash(workspace: &Path, agent: &str) -> String {
    hex(&key_digest(workspace, agent)[..4])
}

/// Name of the credentials volume of `agent` (shared by all its sandboxes, kept across `rm`).
///
/// ```
/// assert_eq!(docksandbox::credentials_volume("claude"), "docksandbox-claude-credentials");
/// ```
pub fn credentials_volume(agent: &str) -> String {
    format!("docksandbox-{agent}-credentials")
}

/// The overlay volume of review-mode sandbox `name`.
pub(crate) fn review_volume(name: &str) -> String {
    format!("{name}-review")
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The default container name of the sandbox for `workspace` and `agent`:
/// `<agent>-<directory name>-<hash>`, always a valid Docker name, the same for the same inputs.
///
/// ```
/// use std::path::Path;
/// let n = docksandbox::derive_name(Path::new("/home/me/My Project"), "claude");
/// assert!(n.starts_with("claude-My-Project-"));
/// assert_eq!(n, docksandbox::derive_name(Path::new("/home/me/My Project"), "claude"));
/// ```
pub fn derive_name(workspace: &Path, agent: &str) -> String {
    let base = workspace
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    derive_name_shown(workspace, &base, agent)
}

/// As [`derive_name`], with `shown` in the name instead of the workspace's last component
/// (a branch sandbox shows its branch).
pub(crate) fn derive_name_shown(workspace: &Path, base: &str, agent: &str) -> String {
    let mut dir = String::new();
    for c in base.chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
        let c = if keep { c } else { '-' };
        if c == '-' && dir.ends_with('-') {
            continue;
        }
        dir.push(c);
        if dir.len() >= 40 {
            break;
        }
    }
    let dir = dir.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let agent: String = agent
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .take(32)
        .collect();
    let agent = agent.trim_start_matches(['-', '_']);
    let agent = if agent.is_empty() { "sandbox" } else { agent };
    let hash = key_hash(workspace, agent);
    if dir.is_empty() {
        format!("{agent}-{hash}")
    } else {
        format!("{agent}-{dir}-{hash}")
    }
}

/// Six hex digits that differ on every call (an ephemeral sandbox's name suffix).
pub(crate) fn nonce() -> String {
    use sha2::{Digest, Sha256};
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = Sha256::digest(format!("{now}\0{}\0{seq}", std::process::id()));
    hex(&d[..3])
}
