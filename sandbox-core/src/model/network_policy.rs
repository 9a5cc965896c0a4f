//! What a `proxy` sandbox may reach: the caller's rules and presets as stored in the spec, and
//! their expansion into the policy the egress proxy enforces.
//!
//! The rule language and the decision itself live in `docksandbox-proxy`'s library (the proxy
//! must decide, the core must validate: one definition for both); this module adds what only
//! the host knows: presets, validation with the field named, and the host's user presets.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use docksandbox_proxy::policy::Policy;

use crate::error::{Error, Result};
use crate::model::agent::Agent;
use crate::model::network_rule::{parse_rule, NetworkDefault, NetworkRule};

/// The presets every host has: the sandbox's agent's hosts, GitHub, and the package registries
/// the host's own clients are configured to use.
pub const BUILTIN_PRESETS: [&str; 3] = ["agent", "github", "registries"];

/// GitHub's hosts for git over https, the API, archives and release downloads.
const GITHUB_HOSTS: &[&str] = &[
    "github.com",
    "api.github.com",
    "codeload.github.com",
    "objects.githubusercontent.com",
    "raw.githubusercontent.com",
    "release-assets.githubusercontent.com",
];

/// Environment variable naming the user presets file (default
/// `~/.config/docksandbox/network-presets.json`: `{"NAME": ["HOST", "HOST:PORT", …], …}`).
pub const PRESETS_FILE_ENV: &str = "DOCKSANDBOX_NETWORK_PRESETS";

/// What a sandbox in `proxy` mode may reach, as asked for. Stored in the spec; changed live
/// with [`crate::Sandbox::set_network_policy`].
///
/// Whatever the rules say, the proxy refuses loopback, link-local (cloud metadata), the host's
/// own addresses and the engine's gateways unless a `HOST:PORT` or `IP:PORT` rule names that
/// exact target, and private ranges unless a CIDR rule allows them. A rule without a port covers
/// ports 80 and 443; other ports need a rule naming them.
///
/// ```
/// use docksandbox::{NetworkDefault, NetworkPolicy};
/// let p = NetworkPolicy::deny_by_default()
///     .allow("api.github.com".parse().unwrap())
///     .preset("agent");
/// assert_eq!(p.default, NetworkDefault::Deny);
/// assert_eq!(p.allow[0].to_string(), "api.github.com");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkPolicy {
    /// What happens to a connection no rule decides: `allow` (the public internet; the default)
    /// or `deny`.
    pub default: NetworkDefault,
    /// Rules that allow: `host`, `*.domain`, `host:port`, `ip`, `ip:port`, CIDR.
    pub allow: Vec<NetworkRule>,
    /// Rules that refuse (the more specific rule wins; deny wins a tie).
    pub deny: Vec<NetworkRule>,
    /// Presets whose hosts are allowed: `agent`, `github`, `registries`, or a user preset.
    pub presets: Vec<String>,
    /// Names the proxy resolves to these addresses instead of asking DNS (as `--add-host`).
    pub hosts: BTreeMap<String, Vec<IpAddr>>,
}

impl NetworkPolicy {
    /// A policy that refuses everything no rule allows.
    pub fn deny_by_default() -> Self {
        NetworkPolicy {
            default: NetworkDefault::Deny,
            ..Default::default()
        }
    }

    /// Adds an allow rule.
    pub fn allow(mut self, rule: NetworkRule) -> Self {
        self.allow.push(rule);
        self
    }

    /// Adds a deny rule.
    pub fn deny(mut self, rule: NetworkRule) -> Self {
        self.deny.push(rule);
        self
    }

    /// Adds a preset by name.
    pub fn preset(mut self, name: impl Into<String>) -> Self {
        self.presets.push(name.into());
        self
    }

    /// Checks presets and static names; rules are valid by construction.
    pub(crate) fn validate(&self) -> Result<()> {
        let user = user_presets()?;
        for (i, p) in self.presets.iter().enumerate() {
            if !BUILTIN_PRESETS.contains(&p.as_str()) && !user.contains_key(p) {
                let mut known: Vec<&str> = BUILTIN_PRESETS.to_vec();
                known.extend(user.keys().map(String::as_str));
                return Err(Error::invalid(
                    format!("network.presets[{i}]"),
                    format!(
                        "unknown preset `{}`; presets are {} (user presets: ${PRESETS_FILE_ENV} or ~/.config/docksandbox/network-presets.json)",
                        p.escape_debug(),
                        known.join(", ")
                    ),
                ));
            }
        }
        for name in self.hosts.keys() {
            let ok = name.parse::<NetworkRule>().ok().is_some_and(|r| {
                r.to_string() == name.to_ascii_lowercase() && !name.contains(['*', ':', '/'])
            });
            if !ok {
                return Err(Error::invalid(
                    "network.hosts",
                    format!("`{}` is not a host name", name.escape_debug()),
                ));
            }
        }
        Ok(())
    }

    /// Each preset with the rules it stands for, for `agent` (this sandbox's `agent`).
    pub fn expand_presets(&self, agent: &Agent) -> Result<Vec<(String, Vec<NetworkRule>)>> {
        let user = user_presets()?;
        self.presets
            .iter()
            .map(|p| {
                let hosts: Vec<String> = match p.as_str() {
                    "agent" => agent.network_hosts.clone(),
                    "github" => GITHUB_HOSTS.iter().map(|h| h.to_string()).collect(),
                    "registries" => crate::model::registries::hosts(),
                    other => user.get(other).cloned().unwrap_or_default(),
                };
                let rules = hosts
                    .iter()
                    .map(|h| parse_rule(h, &format!("preset {p}")))
                    .collect::<Result<Vec<_>>>()?;
                Ok((p.clone(), rules))
            })
            .collect()
    }

    /// The policy the proxy enforces: these rules, the presets expanded for `agent`, and
    /// `refused` (the host's own addresses and the engine's gateways) closed on top.
    /// Why this policy refuses `host` (a name or `*.domain`, checked on port 443 with a name
    /// under the domain), `None` when it may be reached.
    pub(crate) fn refuses_name(&self, agent: &Agent, host: &str) -> Option<String> {
        let policy = self.enforced(agent, Vec::new()).ok()?;
        let name = match host.strip_prefix("*.") {
            Some(domain) => format!("docksandbox-check.{domain}"),
            None => host.to_string(),
        };
        policy.decide_name(&name, 443).map(|v| v.rule)
    }

    pub(crate) fn enforced(&self, agent: &Agent, refused: Vec<ipnet::IpNet>) -> Result<Policy> {
        let mut allow = self.allow.clone();
        for (_, rules) in self.expand_presets(agent)? {
            allow.extend(rules);
        }
        Ok(Policy {
            default: self.default,
            allow,
            deny: self.deny.clone(),
            hosts: self.hosts.clone(),
            refused,
        })
    }
}

/// The user presets file, when there is one.
fn presets_file() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(PRESETS_FILE_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| crate::model::validate::host_home().map(|h| h.join(".config")))?;
    Some(config.join("docksandbox/network-presets.json"))
}

/// The user's presets: `{"name": ["host", …]}`; none when the file does not exist.
fn user_presets() -> Result<BTreeMap<String, Vec<String>>> {
    let Some(path) = presets_file() else {
        return Ok(BTreeMap::new());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => {
            return Err(Error::invalid(
                "network.presets",
                format!("cannot read {}: {e}", path.display()),
            ))
        }
    };
    let presets: BTreeMap<String, Vec<String>> = serde_json::from_str(&text).map_err(|e| {
        Error::invalid(
            "network.presets",
            format!(
                "{} is not a JSON object of preset names to host lists: {e}",
                path.display()
            ),
        )
    })?;
    for (name, hosts) in &presets {
        if BUILTIN_PRESETS.contains(&name.as_str()) {
            return Err(Error::invalid(
                "network.presets",
                format!("{}: `{name}` is a built-in preset", path.display()),
            ));
        }
        for h in hosts {
            parse_rule(h, &format!("{}: preset {name}", path.display()))?;
        }
    }
    Ok(presets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_expand_and_unknown_ones_are_refused() {
        let p = NetworkPolicy::deny_by_default()
            .preset("agent")
            .preset("github");
        p.validate().unwrap();
        let agent: Agent = crate::model::agent::Claude.into();
        let expanded = p.expand_presets(&agent).unwrap();
        assert!(expanded[0]
            .1
            .iter()
            .any(|r| r.to_string() == "api.anthropic.com"));
        assert!(expanded[1].1.iter().any(|r| r.to_string() == "github.com"));
        let e = NetworkPolicy::default()
            .preset("nope")
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("network.presets[0]"), "{e}");
        let mut bad = NetworkPolicy::default();
        bad.hosts.insert("exa mple".into(), vec![]);
        assert!(bad.validate().is_err());
    }
}
