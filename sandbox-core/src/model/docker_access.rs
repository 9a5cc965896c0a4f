//! What the sandbox may do with the Docker engine.

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};

/// The sandbox's access to the engine it runs on.
///
/// ```
/// use docksandbox::DockerAccess;
/// assert_eq!("scoped".parse::<DockerAccess>().unwrap(), DockerAccess::Scoped);
/// assert_eq!(DockerAccess::default(), DockerAccess::None);
/// // Specs stored before this setting said `"mount_docker_socket": true`.
/// let old: DockerAccess = serde_json::from_str("true").unwrap();
/// assert_eq!(old, DockerAccess::Host);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DockerAccess {
    /// The default: no engine inside the sandbox.
    #[default]
    None,
    /// A filtering Engine API proxy of the sandbox's own at `/var/run/docker.sock`: the agent
    /// builds images and runs containers (`docker run -v $PWD:/app`, compose, Testcontainers),
    /// all of them labelled as the sandbox's, on its network, under its limits, with binds only
    /// from the workspace; privileged containers, host namespaces, devices, other containers and
    /// everything else that reaches the host are refused.
    Scoped,
    /// The engine's own socket: root on the host (a warning says so on create).
    Host,
}

impl std::str::FromStr for DockerAccess {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "none" => Ok(DockerAccess::None),
            "scoped" => Ok(DockerAccess::Scoped),
            "host" => Ok(DockerAccess::Host),
            _ => Err(Error::invalid(
                "docker",
                format!("`{}` is not one of: none, scoped, host", s.escape_debug()),
            )),
        }
    }
}

impl DockerAccess {
    /// The word, as typed and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            DockerAccess::None => "none",
            DockerAccess::Scoped => "scoped",
            DockerAccess::Host => "host",
        }
    }
}

impl std::fmt::Display for DockerAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DockerAccess {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Old(bool),
            Word(String),
        }
        match Either::deserialize(d)? {
            Either::Old(true) => Ok(DockerAccess::Host),
            Either::Old(false) => Ok(DockerAccess::None),
            Either::Word(w) => w.parse().map_err(serde::de::Error::custom),
        }
    }
}
