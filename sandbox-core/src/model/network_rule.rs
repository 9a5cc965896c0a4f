//! The words of a network policy: rules (`host`, `*.domain`, `host:port`, `ip[:port]`, CIDR)
//! and the default (`allow`, `deny`), as the egress proxy's library defines them, read with
//! the field named in errors.

pub use docksandbox_proxy::policy::{DefaultAction as NetworkDefault, Rule as NetworkRule};

use crate::error::{Error, Result};

/// `allow` or `deny`, refused with `field` named.
///
/// ```
/// assert!(docksandbox::parse_network_default("deny", "network_policy").is_ok());
/// assert!(docksandbox::parse_network_default("block", "network_policy").is_err());
/// ```
pub fn parse_default(s: &str, field: &str) -> Result<NetworkDefault> {
    s.parse::<NetworkDefault>()
        .map_err(|e| Error::invalid(field, e.0))
}

/// A rule as the user wrote it, refused with `field` named.
///
/// ```
/// assert!(docksandbox::parse_rule("*.example.com", "allow_hosts[0]").is_ok());
/// let e = docksandbox::parse_rule("10.0.0.0/33", "allow_hosts[0]").unwrap_err();
/// assert!(e.to_string().contains("allow_hosts[0]"));
/// ```
pub fn parse_rule(s: &str, field: &str) -> Result<NetworkRule> {
    s.parse::<NetworkRule>()
        .map_err(|e| Error::invalid(field, e.0))
}
