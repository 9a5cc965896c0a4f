//! Keeping secrets out of everything docksandbox stores or prints.

use sha2::{Digest, Sha256};

/// Whether an environment variable's name says it holds a secret
/// (`*KEY*`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*CREDENTIAL*`, case-insensitive).
///
/// ```
/// assert!(docksandbox::is_secret_name("ANTHROPIC_API_KEY"));
/// assert!(docksandbox::is_secret_name("gh_token"));
/// assert!(!docksandbox::is_secret_name("RUST_LOG"));
/// ```
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "KEY",
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "CREDENTIAL",
        "AUTH",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// What is stored or shown instead of a secret value: a short SHA-256 fingerprint, enough to
/// tell whether it changed, useless to recover it.
pub(crate) fn fingerprint(value: &str) -> String {
    let d = Sha256::digest(value.as_bytes());
    format!("<redacted sha256:{}>", crate::model::naming::hex(&d[..6]))
}

/// The value to store or print for env var `name`.
pub(crate) fn shown_value(name: &str, value: &str) -> String {
    if is_secret_name(name) && !value.starts_with("<redacted sha256:") {
        fingerprint(value)
    } else {
        value.to_string()
    }
}

/// `K=V` pairs with secret values replaced, for logs and debug output.
pub(crate) fn redact_env_pairs(env: &[String]) -> Vec<String> {
    env.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => format!("{k}={}", shown_value(k, v)),
            None => kv.clone(),
        })
        .collect()
}
