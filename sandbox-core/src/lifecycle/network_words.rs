//! `network` as the Python and Node packages take it: a mode word, or a policy in words
//! (`{"mode", "default", "allow", "deny", "presets", "hosts"}`), merged into a [`RunRequest`].
//! The packages only hand over what they were given; which keys exist, what may not be given
//! twice and how it joins the other arguments is decided here.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::lifecycle::request::RunRequest;

/// The `network` argument of `run` in the Python and Node packages, as words.
///
/// ```
/// let w = docksandbox::NetworkWords::from_json(&serde_json::json!({
///     "default": "deny", "allow": ["api.example.com"], "hosts": {"db.test": "10.0.0.5"}
/// })).unwrap();
/// let mut req = docksandbox::RunRequest { agent: "shell".into(), ..Default::default() };
/// req.add_network_words(w).unwrap();
/// assert_eq!(req.network_policy.as_deref(), Some("deny"));
/// assert_eq!(req.add_hosts, ["db.test:10.0.0.5"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkWords {
    /// `proxy`, `bridge` or `none`.
    pub mode: Option<String>,
    /// `allow` or `deny`: what the proxy does with connections no rule decides.
    pub default: Option<String>,
    /// Rules the proxy allows.
    pub allow: Vec<String>,
    /// Rules the proxy refuses.
    pub deny: Vec<String>,
    /// Presets whose hosts are allowed.
    pub presets: Vec<String>,
    /// Names the proxy resolves to these addresses instead of asking DNS.
    pub hosts: BTreeMap<String, Vec<String>>,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::invalid(field, reason)
}

fn string(v: &Value, field: &str) -> Result<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        other => Err(invalid(field, format!("expected a string, got {other}"))),
    }
}

fn strings(v: &Value, field: &str) -> Result<Vec<String>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                string(item, &format!("{field}[{i}]"))?
                    .ok_or_else(|| invalid(format!("{field}[{i}]"), "expected a string, got null"))
            })
            .collect(),
        other => Err(invalid(
            field,
            format!("expected an array of strings, got {other}"),
        )),
    }
}

impl NetworkWords {
    /// The keys of the policy form.
    pub const KEYS: [&'static str; 6] = ["mode", "default", "allow", "deny", "presets", "hosts"];

    /// The error for a key that is not one of [`NetworkWords::KEYS`] (a typo must not pass).
    pub fn unknown_key(key: &str) -> Error {
        invalid(
            "network",
            format!(
                "unknown key `{}`; the keys are {}",
                key.escape_debug(),
                Self::KEYS.join(", ")
            ),
        )
    }

    /// Reads what a package was given, as JSON: a string is a mode; an object is read key by
    /// key (`hosts` maps names to an address or a list of them); `null` is nothing.
    pub fn from_json(v: &Value) -> Result<NetworkWords> {
        let map = match v {
            Value::Null => return Ok(NetworkWords::default()),
            Value::String(mode) => {
                return Ok(NetworkWords {
                    mode: Some(mode.clone()),
                    ..Default::default()
                })
            }
            Value::Object(map) => map,
            other => {
                return Err(invalid(
                    "network",
                    format!("expected a mode (proxy, bridge, none) or an object, got {other}"),
                ))
            }
        };
        let mut w = NetworkWords::default();
        for (key, v) in map {
            let field = format!("network.{key}");
            match key.as_str() {
                "mode" => w.mode = string(v, &field)?,
                "default" => w.default = string(v, &field)?,
                "allow" => w.allow = strings(v, &field)?,
                "deny" => w.deny = strings(v, &field)?,
                "presets" => w.presets = strings(v, &field)?,
                "hosts" => match v {
                    Value::Null => {}
                    Value::Object(hosts) => {
                        for (name, ips) in hosts {
                            let f = format!("network.hosts.{name}");
                            let ips = match ips {
                                Value::String(ip) => vec![ip.clone()],
                                Value::Array(_) => strings(ips, &f)?,
                                other => {
                                    return Err(invalid(
                                        f,
                                        format!(
                                            "expected an address or an array of them, got {other}"
                                        ),
                                    ))
                                }
                            };
                            w.hosts.insert(name.clone(), ips);
                        }
                    }
                    other => {
                        return Err(invalid(
                            field,
                            format!("expected an object of names to addresses, got {other}"),
                        ))
                    }
                },
                other => return Err(Self::unknown_key(other)),
            }
        }
        Ok(w)
    }
}

impl RunRequest {
    /// Merges `words` into this request: `mode` is `network`, `default` is `network_policy`
    /// (refused when that is set too), `allow`/`deny`/`presets` come before `allow_hosts`/
    /// `deny_hosts`/`allow_presets`, and each of `hosts` becomes an `add_hosts` entry `NAME:IP`
    /// (`NAME:[IP]` for IPv6). The words themselves are checked when the request is built.
    pub fn add_network_words(&mut self, words: NetworkWords) -> Result<()> {
        if words.default.is_some() && self.network_policy.is_some() {
            return Err(invalid(
                "network_policy",
                "given twice (also as network's `default`); give one",
            ));
        }
        if words.mode.is_some() && self.network.is_some() {
            return Err(invalid(
                "network",
                "the mode is given twice (also as network's `mode`); give one",
            ));
        }
        let prepend = |to: &mut Vec<String>, mut first: Vec<String>| {
            first.append(to);
            *to = first;
        };
        self.network = words.mode.or(self.network.take());
        self.network_policy = words.default.or(self.network_policy.take());
        prepend(&mut self.allow_hosts, words.allow);
        prepend(&mut self.deny_hosts, words.deny);
        prepend(&mut self.allow_presets, words.presets);
        let hosts = words
            .hosts
            .into_iter()
            .flat_map(|(name, ips)| {
                ips.into_iter().map(move |ip| {
                    if ip.contains(':') {
                        format!("{name}:[{ip}]")
                    } else {
                        format!("{name}:{ip}")
                    }
                })
            })
            .collect();
        prepend(&mut self.add_hosts, hosts);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_merge_and_their_shape_is_checked() {
        let w = NetworkWords::from_json(&serde_json::json!({
            "allow": ["a.test"], "hosts": {"v6.test": ["fd00::1", "10.0.0.1"]}
        }))
        .unwrap();
        let mut req = RunRequest {
            allow_hosts: vec!["b.test".into()],
            ..Default::default()
        };
        req.add_network_words(w).unwrap();
        assert_eq!(req.allow_hosts, ["a.test", "b.test"]);
        assert_eq!(req.add_hosts, ["v6.test:[fd00::1]", "v6.test:10.0.0.1"]);
        for (bad, field) in [
            (serde_json::json!({"alow": []}), "network"),
            (serde_json::json!({"allow": "x"}), "network.allow"),
            (serde_json::json!({"hosts": {"a": 1}}), "network.hosts.a"),
            (serde_json::json!(5), "network"),
        ] {
            let e = NetworkWords::from_json(&bad).unwrap_err();
            assert!(
                e.to_string().contains(&format!("invalid {field}")),
                "{bad}: {e}"
            );
        }
        let mut twice = RunRequest {
            network_policy: Some("deny".into()),
            ..Default::default()
        };
        let w = NetworkWords {
            default: Some("allow".into()),
            ..Default::default()
        };
        assert!(twice
            .add_network_words(w)
            .unwrap_err()
            .to_string()
            .contains("given twice"));
    }
}
