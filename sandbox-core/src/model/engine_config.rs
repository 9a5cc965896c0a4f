//! Which engine to talk to, chosen as the docker CLI chooses it (pure resolution; `docker/`
//! connects to it): an explicit address, else a named context, else `DOCKER_HOST` (with
//! `DOCKER_TLS_VERIFY` / `DOCKER_CERT_PATH`), else `DOCKER_CONTEXT`, else the current context
//! of `~/.docker/config.json` (`$DOCKER_CONFIG`), else the default socket. A context is read
//! from the docker CLI's own store: `contexts/meta/<sha256 of its name>/meta.json` for the
//! address and `contexts/tls/<sha256 of its name>/docker/{ca,cert,key}.pem` for its
//! certificates.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The default engine address, as the docker CLI uses it.
pub const DEFAULT_DOCKER_HOST: &str = "unix:///var/run/docker.sock";

/// An engine's address and how to reach it safely.
///
/// ```
/// let e = docksandbox::EngineConfig::host("tcp://10.0.0.5:2376");
/// assert_eq!(e.host, "tcp://10.0.0.5:2376");
/// assert!(e.tls.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// `unix:///…`, `tcp://host:port`, `https://…` or `ssh://user@host`.
    pub host: String,
    /// Client certificates for a TLS engine.
    pub tls: Option<TlsFiles>,
    /// The context it came from, when it came from one.
    pub context: Option<String>,
}

/// A TLS engine's certificate authority and the client's certificate and key (PEM files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The CA that signed the engine's certificate.
    pub ca: PathBuf,
    /// The client certificate.
    pub cert: PathBuf,
    /// The client key.
    pub key: PathBuf,
}

impl TlsFiles {
    /// `ca.pem`, `cert.pem` and `key.pem` in `dir` (the layout of `DOCKER_CERT_PATH`).
    pub fn in_dir(dir: &Path) -> Self {
        TlsFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }
}

impl EngineConfig {
    /// The engine at `host`, without TLS material (`unix://`, plain `tcp://`, `ssh://`).
    pub fn host(host: impl Into<String>) -> Self {
        EngineConfig {
            host: normalized(host.into()),
            tls: None,
            context: None,
        }
    }

    /// Resolves the engine as the docker CLI does, from the process environment and the docker
    /// CLI's configuration directory: `host` if given, else context `engine` if given, else
    /// `DOCKER_HOST`, else `DOCKER_CONTEXT`, else the config's current context, else the
    /// default socket.
    ///
    /// ```no_run
    /// let e = docksandbox::EngineConfig::resolve(None, Some("build-box"))?;
    /// println!("{}", e.host);
    /// # Ok::<(), docksandbox::Error>(())
    /// ```
    pub fn resolve(host: Option<&str>, engine: Option<&str>) -> Result<Self> {
        Self::resolve_in(host, engine, &Environment::from_process())
    }

    /// [`EngineConfig::resolve`] against an explicit environment (tests, embedders).
    pub(crate) fn resolve_in(
        host: Option<&str>,
        engine: Option<&str>,
        env: &Environment,
    ) -> Result<Self> {
        if let (Some(h), Some(e)) = (host, engine) {
            return Err(Error::invalid(
                "engine",
                format!("both an address ({h}) and an engine ({e}) were given: give one"),
            ));
        }
        if let Some(h) = host.filter(|h| !h.is_empty()) {
            return Ok(env.with_tls_env(Self::host(h)));
        }
        if let Some(name) = engine.filter(|e| !e.is_empty()) {
            return env.context(name);
        }
        if let Some(h) = env.docker_host.as_deref().filter(|h| !h.is_empty()) {
            return Ok(env.with_tls_env(Self::host(h)));
        }
        if let Some(name) = env.docker_context.as_deref().filter(|c| !c.is_empty()) {
            return env.context(name);
        }
        if let Some(name) = env.current_context()? {
            return env.context(&name);
        }
        Ok(Self::host(DEFAULT_DOCKER_HOST))
    }
}

/// What resolution reads: the variables and the docker CLI's configuration directory.
#[derive(Debug, Clone, Default)]
pub(crate) struct Environment {
    pub docker_host: Option<String>,
    pub docker_context: Option<String>,
    pub tls_verify: bool,
    pub cert_path: Option<PathBuf>,
    /// `$DOCKER_CONFIG`, else `~/.docker`.
    pub config_dir: Option<PathBuf>,
}

impl Environment {
    fn from_process() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Environment {
            docker_host: var("DOCKER_HOST"),
            docker_context: var("DOCKER_CONTEXT"),
            tls_verify: var("DOCKER_TLS_VERIFY").is_some(),
            cert_path: var("DOCKER_CERT_PATH").map(PathBuf::from),
            config_dir: var("DOCKER_CONFIG")
                .map(PathBuf::from)
                .or_else(|| var("HOME").map(|h| Path::new(&h).join(".docker"))),
        }
    }

    /// A `tcp://` engine from an address uses TLS when `DOCKER_TLS_VERIFY` is set, with the
    /// files of `DOCKER_CERT_PATH` (else the configuration directory), as the docker CLI.
    fn with_tls_env(&self, mut e: EngineConfig) -> EngineConfig {
        if self.tls_verify && e.host.starts_with("tcp://") {
            let dir = self.cert_path.clone().or_else(|| self.config_dir.clone());
            e.tls = dir.map(|d| TlsFiles::in_dir(&d));
        }
        e
    }

    /// `currentContext` of `config.json`; `None` when unset or `default`.
    fn current_context(&self) -> Result<Option<String>> {
        let Some(dir) = &self.config_dir else {
            return Ok(None);
        };
        let path = dir.join("config.json");
        // As the docker CLI: a config it cannot read is left out (said with -D).
        let left_out = |why: String| {
            tracing::debug!(
                "{} cannot be read ({why}); its current context is left out",
                path.display()
            );
            Ok(None)
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return left_out(e.to_string()),
        };
        let v: serde_json::Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => return left_out(e.to_string()),
        };
        Ok(v.get("currentContext")
            .and_then(|c| c.as_str())
            .filter(|c| !c.is_empty() && *c != "default")
            .map(str::to_owned))
    }

    /// Context `name` from the docker CLI's store (`default`: `DOCKER_HOST` or the socket).
    fn context(&self, name: &str) -> Result<EngineConfig> {
        if name == "default" {
            let host = self
                .docker_host
                .clone()
                .unwrap_or_else(|| DEFAULT_DOCKER_HOST.to_string());
            let mut e = self.with_tls_env(EngineConfig::host(host));
            e.context = Some(name.to_string());
            return Ok(e);
        }
        let Some(dir) = &self.config_dir else {
            return Err(no_context(name, Path::new("~/.docker")));
        };
        let id = hex(&Sha256::digest(name.as_bytes()));
        let meta = dir.join("contexts/meta").join(&id).join("meta.json");
        let text = match std::fs::read_to_string(&meta) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(no_context(name, dir))
            }
            Err(e) => return Err(unreadable(&meta, &e.to_string())),
        };
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| unreadable(&meta, &e.to_string()))?;
        let endpoint = &v["Endpoints"]["docker"];
        let host = endpoint["Host"]
            .as_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| unreadable(&meta, "it names no Endpoints.docker.Host"))?;
        let tls_dir = dir.join("contexts/tls").join(&id).join("docker");
        let tls = if endpoint["SkipTLSVerify"].as_bool() == Some(true) {
            return Err(Error::invalid(
                "engine",
                format!("context `{name}` skips TLS verification (SkipTLSVerify), which docksandbox refuses: give it the engine's CA (`docker context update {name} --docker ca=…`)"),
            ));
        } else if tls_dir.join("ca.pem").exists() {
            Some(TlsFiles::in_dir(&tls_dir))
        } else {
            None
        };
        Ok(EngineConfig {
            host: normalized(host.to_string()),
            tls,
            context: Some(name.to_string()),
        })
    }
}

fn normalized(host: String) -> String {
    if host.starts_with('/') {
        format!("unix://{host}")
    } else {
        host
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn no_context(name: &str, dir: &Path) -> Error {
    Error::invalid(
        "engine",
        format!(
            "no docker context named `{name}` in {}: list them with `docker context ls`, or make it with `docker context create {name} --docker host=…`",
            dir.display()
        ),
    )
}

fn unreadable(path: &Path, why: &str) -> Error {
    Error::invalid(
        "engine",
        format!("{} cannot be read: {why}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path, name: &str, host: &str, tls: bool) {
        let id = hex(&Sha256::digest(name.as_bytes()));
        let meta = dir.join("contexts/meta").join(&id);
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            serde_json::json!({"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}}}).to_string(),
        )
        .unwrap();
        if tls {
            let t = dir.join("contexts/tls").join(&id).join("docker");
            std::fs::create_dir_all(&t).unwrap();
            for f in ["ca.pem", "cert.pem", "key.pem"] {
                std::fs::write(t.join(f), "pem").unwrap();
            }
        }
    }

    fn env(dir: &Path) -> Environment {
        Environment {
            config_dir: Some(dir.to_path_buf()),
            ..Default::default()
        }
    }

    #[test]
    fn the_docker_clis_order_decides() {
        let d = tempfile::tempdir().unwrap();
        store(d.path(), "box", "tcp://10.1.2.3:2376", true);
        store(d.path(), "other", "ssh://me@other", false);
        std::fs::write(
            d.path().join("config.json"),
            r#"{"auths": {}, "currentContext": "other"}"#,
        )
        .unwrap();
        let mut e = env(d.path());
        // The config's current context, when nothing else is said.
        let r = EngineConfig::resolve_in(None, None, &e).unwrap();
        assert_eq!(
            (r.host.as_str(), r.context.as_deref()),
            ("ssh://me@other", Some("other"))
        );
        // DOCKER_CONTEXT over the config; DOCKER_HOST over both.
        e.docker_context = Some("box".into());
        let r = EngineConfig::resolve_in(None, None, &e).unwrap();
        assert_eq!(r.host, "tcp://10.1.2.3:2376");
        let tls = r.tls.unwrap();
        assert!(tls.ca.ends_with("docker/ca.pem") && tls.key.ends_with("docker/key.pem"));
        e.docker_host = Some("unix:///run/x.sock".into());
        let r = EngineConfig::resolve_in(None, None, &e).unwrap();
        assert_eq!((r.host.as_str(), r.context), ("unix:///run/x.sock", None));
        // A named engine over the variables; an address over everything.
        let r = EngineConfig::resolve_in(None, Some("other"), &e).unwrap();
        assert_eq!(r.host, "ssh://me@other");
        let r = EngineConfig::resolve_in(Some("/tmp/d.sock"), None, &e).unwrap();
        assert_eq!(r.host, "unix:///tmp/d.sock");
        // `default` is DOCKER_HOST or the socket.
        let r = EngineConfig::resolve_in(None, Some("default"), &e).unwrap();
        assert_eq!(r.host, "unix:///run/x.sock");
        let r = EngineConfig::resolve_in(None, None, &Environment::default()).unwrap();
        assert_eq!(r.host, DEFAULT_DOCKER_HOST);
    }

    #[test]
    fn tls_from_the_variables_as_the_docker_cli() {
        let e = Environment {
            docker_host: Some("tcp://h:2376".into()),
            tls_verify: true,
            cert_path: Some("/certs".into()),
            ..Default::default()
        };
        let r = EngineConfig::resolve_in(None, None, &e).unwrap();
        assert_eq!(r.tls, Some(TlsFiles::in_dir(Path::new("/certs"))));
        let plain = Environment {
            tls_verify: false,
            ..e
        };
        assert_eq!(
            EngineConfig::resolve_in(None, None, &plain).unwrap().tls,
            None
        );
    }

    #[test]
    fn bad_engines_are_named() {
        let d = tempfile::tempdir().unwrap();
        let e = env(d.path());
        let msg = EngineConfig::resolve_in(None, Some("nope"), &e)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("no docker context named `nope`"), "{msg}");
        let msg = EngineConfig::resolve_in(Some("tcp://a:1"), Some("b"), &e)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("give one"), "{msg}");
        // A context that skips verification is refused, not half-trusted.
        store(d.path(), "lax", "tcp://h:2376", false);
        let id = hex(&Sha256::digest(b"lax"));
        let meta = d.path().join("contexts/meta").join(id).join("meta.json");
        let text = std::fs::read_to_string(&meta)
            .unwrap()
            .replace("\"SkipTLSVerify\":false", "\"SkipTLSVerify\":true");
        std::fs::write(&meta, text).unwrap();
        let msg = EngineConfig::resolve_in(None, Some("lax"), &e)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("SkipTLSVerify"), "{msg}");
        // A config.json the docker CLI could not read either is left out (said with -D).
        std::fs::write(d.path().join("config.json"), "{").unwrap();
        let r = EngineConfig::resolve_in(None, None, &e).unwrap();
        assert_eq!(r.host, DEFAULT_DOCKER_HOST);
    }
}
