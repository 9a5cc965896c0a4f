//! Secrets the proxy adds on the way out: each is a real value the sandbox never holds, the
//! placeholder the sandbox holds instead, and the hosts the value may go to.
//!
//! The host side writes a [`SecretsFile`] into the proxy's state (never into the sandbox). On
//! a CONNECT to one of a secret's hosts the proxy terminates TLS with a certificate of its own
//! per-sandbox CA and, in request headers only, replaces the placeholder with the value before
//! forwarding over a TLS connection that verifies the real server. A placeholder found on the
//! way to any other host is left as it is and logged.
//!
//! ```
//! use docksandbox_proxy::secrets::{Secret, SecretsFile};
//!
//! let file = SecretsFile {
//!     secrets: vec![Secret {
//!         name: "ANTHROPIC_API_KEY".into(),
//!         placeholder: "docksandbox-secret:ANTHROPIC_API_KEY:0123456789abcdef".into(),
//!         value: "sk-ant-real".into(),
//!         hosts: vec!["api.anthropic.com".into()],
//!     }],
//! };
//! let header = "docksandbox-secret:ANTHROPIC_API_KEY:0123456789abcdef";
//! let out = file.rewrite(header.as_bytes(), "api.anthropic.com");
//! assert_eq!(out.value.as_deref(), Some(&b"sk-ant-real"[..]));
//! let elsewhere = file.rewrite(header.as_bytes(), "evil.test");
//! assert_eq!(elsewhere.value, None);
//! assert_eq!(elsewhere.sent_elsewhere, ["ANTHROPIC_API_KEY"]);
//! ```

use serde::{Deserialize, Serialize};

/// Where the proxy reads its secrets inside its container (beside the policy; mode 0600).
pub const SECRETS_PATH: &str = "/state/secrets.json";

/// What every placeholder starts with: `docksandbox-secret:<NAME>:<random>`.
pub const PLACEHOLDER_PREFIX: &str = "docksandbox-secret:";

/// One secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    /// Its name (the environment variable that holds the placeholder inside).
    pub name: String,
    /// What the sandbox holds instead of the value.
    pub placeholder: String,
    /// The real value.
    pub value: String,
    /// Where the value may go: host names, or `*.domain` for every name under domain.
    pub hosts: Vec<String>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret")
            .field("name", &self.name)
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

/// The proxy's secrets file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretsFile {
    /// Every secret of the sandbox.
    #[serde(default)]
    pub secrets: Vec<Secret>,
}

/// What [`SecretsFile::rewrite`] made of one header value.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rewrite {
    /// The new value, when a placeholder was replaced.
    pub value: Option<Vec<u8>>,
    /// The secrets whose values went in.
    pub added: Vec<String>,
    /// The secrets whose placeholders were found on the way to a host they are not for.
    pub sent_elsewhere: Vec<String>,
}

/// Whether `host` (lowercase, no trailing dot) is matched by `pattern` (a name, or `*.domain`
/// for names under domain, not domain itself).
///
/// ```
/// use docksandbox_proxy::secrets::host_matches;
/// assert!(host_matches("api.github.com", "API.github.com."));
/// assert!(host_matches("*.github.com", "uploads.github.com"));
/// assert!(!host_matches("*.github.com", "github.com"));
/// assert!(!host_matches("github.com", "evilgithub.com"));
/// ```
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let norm = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
    let (pattern, host) = (norm(pattern), norm(host));
    match pattern.strip_prefix("*.") {
        Some(domain) => host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
        None => pattern == host,
    }
}

impl SecretsFile {
    /// Whether some secret may go to `host`: connections to it are intercepted.
    pub fn binds(&self, host: &str) -> bool {
        self.secrets
            .iter()
            .any(|s| s.hosts.iter().any(|p| host_matches(p, host)))
    }

    /// Every host pattern of every secret (the per-sandbox CA is constrained to them).
    pub fn hosts(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .secrets
            .iter()
            .flat_map(|s| s.hosts.iter().cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// One header value on its way to `host`: each placeholder of a secret for `host` replaced
    /// by its value; placeholders of other secrets left, and named in `sent_elsewhere`.
    pub fn rewrite(&self, value: &[u8], host: &str) -> Rewrite {
        let mut out = Rewrite::default();
        if find(value, PLACEHOLDER_PREFIX.as_bytes()).is_none() {
            return out;
        }
        let mut current = value.to_vec();
        for s in &self.secrets {
            if find(&current, s.placeholder.as_bytes()).is_none() {
                continue;
            }
            if s.hosts.iter().any(|p| host_matches(p, host)) {
                current = replace(&current, s.placeholder.as_bytes(), s.value.as_bytes());
                out.added.push(s.name.clone());
            } else {
                out.sent_elsewhere.push(s.name.clone());
            }
        }
        if !out.added.is_empty() {
            out.value = Some(current);
        }
        out
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn replace(hay: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len() + with.len());
    let mut rest = hay;
    while let Some(i) = find(rest, needle) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(with);
        rest = &rest[i + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> SecretsFile {
        SecretsFile {
            secrets: vec![
                Secret {
                    name: "A".into(),
                    placeholder: "docksandbox-secret:A:1111".into(),
                    value: "real-a".into(),
                    hosts: vec!["api.a.test".into()],
                },
                Secret {
                    name: "B".into(),
                    placeholder: "docksandbox-secret:B:2222".into(),
                    value: "real-b".into(),
                    hosts: vec!["*.b.test".into()],
                },
            ],
        }
    }

    #[test]
    fn only_the_hosts_secrets_are_replaced_everywhere_in_the_value() {
        let f = file();
        let v = b"Bearer docksandbox-secret:A:1111, again docksandbox-secret:A:1111 and docksandbox-secret:B:2222";
        let r = f.rewrite(v, "api.a.test");
        assert_eq!(
            r.value.as_deref(),
            Some(&b"Bearer real-a, again real-a and docksandbox-secret:B:2222"[..])
        );
        assert_eq!(r.added, ["A"]);
        assert_eq!(r.sent_elsewhere, ["B"]);
        let r = f.rewrite(b"docksandbox-secret:B:2222", "x.b.test");
        assert_eq!(r.value.as_deref(), Some(&b"real-b"[..]));
        // Another sandbox's placeholder (same name, other random part) is not this secret.
        let r = f.rewrite(b"docksandbox-secret:A:9999", "api.a.test");
        assert_eq!(r, Rewrite::default());
        assert!(f.binds("API.A.TEST") && f.binds("deep.x.b.test") && !f.binds("b.test"));
        assert_eq!(f.hosts(), ["*.b.test", "api.a.test"]);
    }

    #[test]
    fn debug_never_shows_a_value() {
        let s = format!("{:?}", file());
        assert!(!s.contains("real-a") && !s.contains("1111"), "{s}");
    }
}
