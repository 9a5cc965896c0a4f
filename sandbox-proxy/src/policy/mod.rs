//! The network policy the proxy enforces: rules, the static host table, and the decision.
//!
//! ```
//! use docksandbox_proxy::policy::{DefaultAction, Policy};
//!
//! let policy: Policy = serde_json::from_str(r#"{
//!     "default": "deny",
//!     "allow": ["github.com", "*.githubusercontent.com", "db.internal:5432"],
//!     "deny": ["gist.githubusercontent.com"],
//!     "hosts": { "db.internal": ["10.9.8.7"] }
//! }"#).unwrap();
//! let v = policy.decide("gist.githubusercontent.com", 443, &["185.199.108.133".parse().unwrap()]);
//! assert_eq!((v.allowed, v.rule.as_str()), (false, "deny gist.githubusercontent.com"));
//! // An exact HOST:PORT rule reaches a private address; nothing else does.
//! assert!(policy.decide("db.internal", 5432, &["10.9.8.7".parse().unwrap()]).allowed);
//! ```

mod addr;
mod decide;
mod rule;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize};

pub use addr::{canonical as canonical_ip, parse_ip_literal};
pub use rule::{Rule, RuleError};

/// What happens to a connection no rule decides. It covers ports 80 and 443 only: any other
/// port needs a rule that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DefaultAction {
    /// Connections to ports 80 and 443 of public addresses that no deny rule names go through.
    #[default]
    Allow,
    /// Only what an allow rule names goes through.
    Deny,
}

impl DefaultAction {
    /// `"allow"` or `"deny"`, as in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            DefaultAction::Allow => "allow",
            DefaultAction::Deny => "deny",
        }
    }
}

impl fmt::Display for DefaultAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DefaultAction {
    type Err = RuleError;

    /// ```
    /// use docksandbox_proxy::policy::DefaultAction;
    /// assert_eq!("deny".parse::<DefaultAction>().unwrap(), DefaultAction::Deny);
    /// assert!("block".parse::<DefaultAction>().unwrap_err().to_string().contains("'allow' or 'deny'"));
    /// ```
    fn from_str(s: &str) -> Result<Self, RuleError> {
        match s {
            "allow" => Ok(DefaultAction::Allow),
            "deny" => Ok(DefaultAction::Deny),
            _ => Err(RuleError(format!(
                "'{}' is not a default action: write 'allow' or 'deny'",
                rule::escaped(s)
            ))),
        }
    }
}

/// The policy the proxy enforces, as stored (JSON) in its policy file. Every field may be left
/// out; unknown fields are refused.
///
/// Precedence and the fixed refusals are described on [`Policy::decide`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// What happens on ports 80 and 443 when no rule decides.
    #[serde(default)]
    pub default: DefaultAction,
    /// Rules that let connections through.
    #[serde(default)]
    pub allow: Vec<Rule>,
    /// Rules that refuse connections; at the same specificity as an allow rule, deny wins.
    #[serde(default)]
    pub deny: Vec<Rule>,
    /// Static name resolutions, used instead of DNS (like docker's `--add-host`). Keys are host
    /// names (matched case-insensitively, without a trailing dot).
    #[serde(default)]
    pub hosts: BTreeMap<String, Vec<IpAddr>>,
    /// Extra networks that are always refused (the host's own addresses, the engine's gateways),
    /// like the fixed table: only an exact HOST:PORT or IP:PORT rule reaches them. A bare
    /// address is read as a `/32` or `/128`.
    #[serde(default, deserialize_with = "nets_or_addrs")]
    pub refused: Vec<IpNet>,
}

/// What [`Policy::decide`] concluded about one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Whether the connection may go through.
    pub allowed: bool,
    /// What decided, in a few words: `allow example.com`, `deny *.evil.test`, `default deny`,
    /// `always refused: loopback 127.0.0.0/8`, `private range 10.0.0.0/8`,
    /// `port 22 needs a HOST:PORT rule`.
    pub rule: String,
    /// One sentence saying why, for the body of a 403 and the log.
    pub reason: String,
}

impl Verdict {
    pub(crate) fn deny(rule: String, reason: String) -> Self {
        Verdict {
            allowed: false,
            rule,
            reason,
        }
    }
}

impl Policy {
    /// Checks what serde cannot: every key of [`hosts`](Policy::hosts) is a host name (not an IP
    /// literal). The proxy and `docksandbox-proxy policy set` refuse a policy that fails this.
    pub fn validate(&self) -> Result<(), RuleError> {
        for name in self.hosts.keys() {
            let lower = name.to_ascii_lowercase();
            if parse_ip_literal(&lower).is_some() {
                return Err(RuleError(format!(
                    "hosts: '{}' is an IP address, not a name",
                    rule::escaped(name)
                )));
            }
            if let Err(why) = rule::validate_host_name(&lower) {
                return Err(RuleError(format!(
                    "hosts: '{}' is not a host name: {why}",
                    rule::escaped(name)
                )));
            }
        }
        Ok(())
    }

    /// The addresses [`hosts`](Policy::hosts) gives for `name` (case-insensitive, trailing dot
    /// ignored), canonicalised (IPv4-mapped IPv6 as IPv4), or `None` when it has no entry.
    ///
    /// ```
    /// use docksandbox_proxy::policy::Policy;
    /// let mut p = Policy::default();
    /// p.hosts.insert("allowed.test".into(), vec!["127.0.0.1".parse().unwrap()]);
    /// assert_eq!(p.static_addrs("Allowed.Test."), Some(vec!["127.0.0.1".parse().unwrap()]));
    /// assert_eq!(p.static_addrs("other.test"), None);
    /// ```
    pub fn static_addrs(&self, name: &str) -> Option<Vec<IpAddr>> {
        let lower = name.to_ascii_lowercase();
        let want = lower.strip_suffix('.').unwrap_or(&lower);
        self.hosts.iter().find_map(|(k, v)| {
            let k = k.to_ascii_lowercase();
            let k = k.strip_suffix('.').unwrap_or(&k);
            (k == want).then(|| v.iter().map(|a| addr::canonical(*a)).collect())
        })
    }
}

fn nets_or_addrs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
    let items = Vec::<String>::deserialize(d)?;
    items
        .iter()
        .map(|s| {
            if let Ok(net) = s.parse::<IpNet>() {
                return Ok(net);
            }
            s.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
                serde::de::Error::custom(format!(
                    "refused: '{}' is not an IP address or CIDR network",
                    rule::escaped(s)
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_action_words() {
        assert_eq!(DefaultAction::default(), DefaultAction::Allow);
        assert_eq!(
            "allow".parse::<DefaultAction>().unwrap(),
            DefaultAction::Allow
        );
        assert_eq!(DefaultAction::Deny.to_string(), "deny");
        let e = "Deny".parse::<DefaultAction>().unwrap_err().to_string();
        assert!(e.contains("'allow'") && e.contains("'deny'"), "{e}");
        assert_eq!(
            serde_json::to_string(&DefaultAction::Deny).unwrap(),
            "\"deny\""
        );
    }

    #[test]
    fn policy_json_round_trips_and_refuses_unknown_fields() {
        let p: Policy = serde_json::from_str(
            r#"{"default":"deny","allow":["Example.com","10.1.2.3:5432"],"hosts":{"a.test":["127.0.0.1"]},"refused":["192.168.65.254","172.17.0.0/16"]}"#,
        )
        .unwrap();
        assert_eq!(p.allow[0].to_string(), "example.com");
        assert_eq!(p.refused[0].to_string(), "192.168.65.254/32");
        let again: Policy = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(again, p);
        assert_eq!(
            serde_json::from_str::<Policy>("{}").unwrap(),
            Policy::default()
        );
        assert!(serde_json::from_str::<Policy>(r#"{"alow":[]}"#).is_err());
        assert!(serde_json::from_str::<Policy>(r#"{"allow":["*.com"]}"#).is_err());
        assert!(serde_json::from_str::<Policy>(r#"{"refused":["nope"]}"#).is_err());
        assert!(serde_json::from_str::<Policy>(r#"{"default":"maybe"}"#).is_err());
    }

    #[test]
    fn validate_checks_host_keys() {
        let mut p = Policy::default();
        p.hosts.insert("ok.test".into(), vec![]);
        assert!(p.validate().is_ok());
        p.hosts.insert("10.0.0.1".into(), vec![]);
        assert!(p.validate().unwrap_err().0.contains("IP address"));
        p.hosts.remove("10.0.0.1");
        p.hosts.insert("a b".into(), vec![]);
        assert!(p.validate().unwrap_err().0.contains("not a host name"));
    }
}
