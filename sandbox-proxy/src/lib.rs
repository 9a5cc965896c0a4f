//! The egress proxy of docksandbox, as a library: the network [`policy`] it enforces and the
//! [`log`] lines it prints.
//!
//! The proxy runs as a container beside each sandbox. The sandbox sits alone on an isolated
//! engine network; the proxy, attached to that network and to an egress one, is its only way
//! out: an HTTP proxy (CONNECT and absolute-URI requests) on [`HTTP_PORT`] and a SOCKS5 proxy on
//! [`SOCKS_PORT`]. It reads its [`policy::Policy`] from [`POLICY_PATH`] (and re-reads it when it
//! changes), prints [`READY_MARKER`] once both listeners are bound, and one JSON
//! [`log::LogEntry`] per connection on stdout.
//!
//! The host side depends on this crate with `default-features = false` (serde, serde_json and
//! ipnet only) to build the policy it writes and to read the log lines:
//!
//! ```
//! use docksandbox_proxy::policy::{DefaultAction, Policy};
//!
//! let policy = Policy {
//!     default: DefaultAction::Deny,
//!     allow: vec!["api.anthropic.com".parse().unwrap(), "*.githubusercontent.com".parse().unwrap()],
//!     ..Policy::default()
//! };
//! assert!(policy.decide("api.anthropic.com", 443, &["160.79.104.10".parse().unwrap()]).allowed);
//! assert!(!policy.decide("api.anthropic.com", 22, &["160.79.104.10".parse().unwrap()]).allowed);
//! assert!(!policy.decide("evil.test", 443, &["192.0.2.1".parse().unwrap()]).allowed);
//! ```

#![deny(missing_docs)]

#[cfg(feature = "engine-api")]
pub mod engine_api;
pub mod log;
pub mod policy;
pub mod secrets;

/// The HTTP proxy's port (CONNECT and absolute-URI requests), the usual Squid port.
pub const HTTP_PORT: u16 = 3128;

/// The SOCKS5 proxy's port.
pub const SOCKS_PORT: u16 = 1080;

/// Where the proxy reads its policy (JSON of [`policy::Policy`]) inside its container.
pub const POLICY_PATH: &str = "/state/policy.json";

/// Printed on stdout (inside a [`log::ReadyLine`]) once both listeners are bound.
pub const READY_MARKER: &str = "docksandbox-proxy-ready";

/// The control socket beside a policy file (`/state/control.sock` for [`POLICY_PATH`]): where
/// `policy set` asks the running server to apply the new file at once.
///
/// ```
/// let p = docksandbox_proxy::control_socket(std::path::Path::new(docksandbox_proxy::POLICY_PATH));
/// assert_eq!(p, std::path::Path::new("/state/control.sock"));
/// ```
pub fn control_socket(policy: &std::path::Path) -> std::path::PathBuf {
    policy.with_file_name("control.sock")
}
