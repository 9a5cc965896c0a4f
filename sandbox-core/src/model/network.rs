//! The sandbox's network mode.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The sandbox's network.
///
/// New sandboxes get [`NetworkMode::Proxy`]; a sandbox keeps the mode it was created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    /// The default: alone on an isolated network of its own, no route to the host, the LAN,
    /// cloud metadata or anything else; its one way out is the egress proxy beside it, which
    /// applies the sandbox's [`crate::NetworkPolicy`] to every connection and logs it.
    Proxy,
    /// The engine's default bridge: open outbound access, including the host's services, the
    /// LAN and cloud metadata (a warning says so on create).
    Bridge,
    /// No network at all (loopback only).
    None,
}

impl std::str::FromStr for NetworkMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "proxy" => Ok(NetworkMode::Proxy),
            "bridge" => Ok(NetworkMode::Bridge),
            "none" => Ok(NetworkMode::None),
            _ => Err(Error::invalid(
                "network",
                format!(
                    "`{}` is not one of: proxy, bridge, none (host networking is never allowed)",
                    s.escape_debug()
                ),
            )),
        }
    }
}

impl NetworkMode {
    /// The mode's word, as typed and stored: `proxy`, `bridge` or `none`.
    ///
    /// ```
    /// assert_eq!(docksandbox::NetworkMode::None.as_str(), "none");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkMode::Proxy => "proxy",
            NetworkMode::Bridge => "bridge",
            NetworkMode::None => "none",
        }
    }
}

impl std::fmt::Display for NetworkMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
