//! A secret: a value kept on the host, the hosts it may go to, and how the sandbox gets it.
//! With [`SecretMode::Proxy`] (the default) the sandbox holds only a placeholder and the egress
//! proxy puts the value into request headers on the way to those hosts; with
//! [`SecretMode::Env`] the value is given to the agent's process when `run` launches it (the
//! weaker choice, for programs that check a key's format locally: any process the agent
//! starts can read it); other commands (`exec`) do not get it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::network_rule::parse_rule;

/// Where a secret's value comes from, on the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretSource {
    /// The host environment variable of this name (`--secret NAME`).
    Env(String),
    /// The contents of this file, one trailing newline removed (`--secret NAME=@FILE`).
    File(PathBuf),
}

/// How a secret reaches what uses it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretMode {
    /// The sandbox holds a placeholder; the proxy adds the value on the way to the hosts.
    #[default]
    Proxy,
    /// The value itself, in the environment of the agent's process (`run AGENT`); any process
    /// the agent starts can read it.
    Env,
}

impl std::str::FromStr for SecretMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "proxy" => Ok(SecretMode::Proxy),
            "env" => Ok(SecretMode::Env),
            _ => Err(Error::invalid(
                "secret_mode",
                format!("`{}` is not one of: proxy, env", s.escape_debug()),
            )),
        }
    }
}

/// One secret of a sandbox. Never holds the value: that is read from [`Secret::source`] when
/// the sandbox is made.
///
/// ```
/// use docksandbox::Secret;
/// let s = Secret::from_env("GITHUB_TOKEN").host("api.github.com").host("github.com");
/// assert_eq!(s.hosts, ["api.github.com", "github.com"]);
/// let f = Secret::parse_flag("NPM_TOKEN=@/run/secrets/npm").unwrap();
/// assert!(matches!(f.source, docksandbox::SecretSource::File(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    /// The environment variable that holds it (or its placeholder) inside.
    pub name: String,
    /// Where its value comes from.
    pub source: SecretSource,
    /// The hosts it may go to: names, or `*.domain`.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// [`SecretMode::Proxy`] when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<SecretMode>,
    /// What the sandbox holds instead of the value (`docksandbox-secret:NAME:<random>`):
    /// made when the sandbox is created, the same for its whole life.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
}

impl Secret {
    /// The secret `name`, its value from the host variable of the same name.
    pub fn from_env(name: impl Into<String>) -> Self {
        let name = name.into();
        Secret {
            source: SecretSource::Env(name.clone()),
            name,
            hosts: Vec::new(),
            mode: None,
            placeholder: None,
        }
    }

    /// Adds a host the value may go to.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.hosts.push(host.into());
        self
    }

    /// A `--secret` word: `NAME` (from the host variable NAME) or `NAME=@FILE`.
    pub fn parse_flag(s: &str) -> Result<Self> {
        match s.split_once('=') {
            None => Ok(Secret::from_env(s)),
            Some((name, rest)) => match rest.strip_prefix('@') {
                Some(file) if !file.is_empty() => Ok(Secret {
                    source: SecretSource::File(PathBuf::from(file)),
                    ..Secret::from_env(name)
                }),
                _ => Err(Error::invalid(
                    "secrets",
                    format!(
                        "`{}`: give NAME (the value comes from the host variable NAME) or NAME=@FILE, never the value itself",
                        name.escape_debug()
                    ),
                )),
            },
        }
    }

    /// A new placeholder for secret `name` of sandbox `sandbox`: unique to the sandbox (its
    /// name, the time, the process), useless anywhere else.
    pub(crate) fn new_placeholder(name: &str, sandbox: &str) -> String {
        use sha2::{Digest, Sha256};
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let d = Sha256::digest(format!(
            "{sandbox}\0{name}\0{now}\0{}\0{seq}",
            std::process::id()
        ));
        format!(
            "{}{name}:{}",
            docksandbox_proxy::secrets::PLACEHOLDER_PREFIX,
            crate::model::naming::hex(&d[..8])
        )
    }

    /// The mode in force.
    pub fn effective_mode(&self) -> SecretMode {
        self.mode.unwrap_or_default()
    }

    /// Checks the name and hosts (hosts canonicalized, sorted); `i` names it in errors.
    pub(crate) fn validate(&mut self, i: usize) -> Result<()> {
        let field = format!("secrets[{i}]");
        let good = !self.name.is_empty()
            && self.name.len() <= 256
            && !self.name.starts_with(|c: char| c.is_ascii_digit())
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !good {
            return Err(Error::invalid(
                &field,
                format!(
                    "`{}` is not a variable name ([A-Za-z_][A-Za-z0-9_]*)",
                    self.name.escape_debug()
                ),
            ));
        }
        if let SecretSource::File(p) = &self.source {
            // Read again whenever the proxy is made: the same file, wherever that is from.
            self.source = SecretSource::File(crate::model::validate::absolutize(p)?);
        }
        let mut hosts = Vec::new();
        for (j, h) in self.hosts.iter().enumerate() {
            let f = format!("{field}.hosts[{j}]");
            let rule = parse_rule(h, &f)?;
            if !rule.is_name() {
                return Err(Error::invalid(
                    &f,
                    format!(
                        "`{}` is not a host name or a *.domain wildcard (no ports, addresses or networks: the value goes to names whose certificates prove them)",
                        h.escape_debug()
                    ),
                ));
            }
            hosts.push(rule.to_string());
        }
        hosts.sort();
        hosts.dedup();
        self.hosts = hosts;
        if self.effective_mode() == SecretMode::Proxy && self.hosts.is_empty() {
            return Err(Error::invalid(
                &field,
                format!(
                    "{} goes nowhere: name its hosts (--secret-host {}=HOST[,HOST]) or pass --secret-mode env",
                    self.name, self.name
                ),
            ));
        }
        self.value(i).map(drop)
    }

    /// The value, read from the host now. Refused when unset, empty, unreadable, or holding a
    /// line break or NUL (it would end a header and start another).
    pub(crate) fn value(&self, i: usize) -> Result<String> {
        let field = format!("secrets[{i}]");
        let v = match &self.source {
            SecretSource::Env(var) => std::env::var(var).map_err(|_| {
                Error::invalid(
                    &field,
                    format!("{} takes its value from the host variable {var}, which is unset or not UTF-8", self.name),
                )
            })?,
            SecretSource::File(p) => {
                let mut s = std::fs::read_to_string(p).map_err(|e| {
                    Error::invalid(
                        &field,
                        format!("{} takes its value from {}: {e}", self.name, p.display()),
                    )
                })?;
                if s.ends_with('\n') {
                    s.pop();
                    if s.ends_with('\r') {
                        s.pop();
                    }
                }
                s
            }
        };
        if v.is_empty() {
            return Err(Error::invalid(
                &field,
                format!("the value of {} is empty", self.name),
            ));
        }
        if v.contains(['\r', '\n', '\0']) {
            return Err(Error::invalid(
                &field,
                format!(
                    "the value of {} holds a line break or NUL (it would end a request header and start another)",
                    self.name
                ),
            ));
        }
        Ok(v)
    }
}

/// The secrets `--secret`, `--secret-host NAME=HOST[,HOST]` and `--secret-mode proxy|env`
/// describe. A `--secret-host` for a name no `--secret` gives is refused.
///
/// ```
/// let s = docksandbox::secrets_from_flags(
///     &["GITHUB_TOKEN".into()],
///     &["GITHUB_TOKEN=api.github.com,github.com".into()],
///     None,
/// ).unwrap();
/// assert_eq!(s[0].hosts, ["api.github.com", "github.com"]);
/// assert!(docksandbox::secrets_from_flags(&[], &["NOPE=x.test".into()], None).is_err());
/// ```
pub fn secrets_from_flags(
    secrets: &[String],
    secret_hosts: &[String],
    mode: Option<&str>,
) -> Result<Vec<Secret>> {
    let mode = mode.map(str::parse::<SecretMode>).transpose()?;
    let mut out: Vec<Secret> = Vec::new();
    for s in secrets {
        let mut secret = Secret::parse_flag(s)?;
        secret.mode = mode;
        out.push(secret);
    }
    for (i, sh) in secret_hosts.iter().enumerate() {
        let field = format!("secret_hosts[{i}]");
        let Some((name, hosts)) = sh.split_once('=') else {
            return Err(Error::invalid(
                field,
                format!("`{}` is not NAME=HOST[,HOST]", sh.escape_debug()),
            ));
        };
        let Some(secret) = out.iter_mut().find(|s| s.name == name) else {
            return Err(Error::invalid(
                field,
                format!(
                    "no --secret {} was given (secrets: {})",
                    name.escape_debug(),
                    if secrets.is_empty() {
                        "none".to_string()
                    } else {
                        secrets.join(", ")
                    }
                ),
            ));
        };
        secret.hosts.extend(
            hosts
                .split(',')
                .filter(|h| !h.is_empty())
                .map(str::to_string),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_and_never_taken_from_the_flag() {
        assert!(Secret::parse_flag("X=plain-value").is_err());
        assert!(Secret::parse_flag("X=@").is_err());
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("v");
        std::fs::write(&f, "line one\nline two\n").unwrap();
        let mut s = Secret::parse_flag(&format!("TOKEN=@{}", f.display()))
            .unwrap()
            .host("api.x.test");
        let e = s.validate(0).unwrap_err().to_string();
        assert!(e.contains("line break"), "{e}");
        std::fs::write(&f, "good-value\n").unwrap();
        s.validate(0).unwrap();
        assert_eq!(s.value(0).unwrap(), "good-value");
        std::fs::write(&f, "").unwrap();
        assert!(s.validate(0).unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn hosts_are_names_or_wildcards() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("v");
        std::fs::write(&f, "v").unwrap();
        let base = || Secret::parse_flag(&format!("T=@{}", f.display())).unwrap();
        for bad in ["10.0.0.1", "x.test:443", "10.0.0.0/8", "*.com", "a b"] {
            assert!(base().host(bad).validate(0).is_err(), "{bad}");
        }
        let mut ok = base()
            .host("API.X.test.")
            .host("*.y.test")
            .host("api.x.test");
        ok.validate(0).unwrap();
        assert_eq!(ok.hosts, ["*.y.test", "api.x.test"]);
        assert!(base()
            .validate(0)
            .unwrap_err()
            .to_string()
            .contains("--secret-host"));
        let mut env = base();
        env.mode = Some(SecretMode::Env);
        env.validate(0).unwrap();
        let mut bad = base().host("x.test");
        bad.name = "1X".into();
        assert!(bad.validate(0).is_err());
    }
}
