//! The sandbox's network mode.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The sandbox's network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    /// The engine's default bridge: outbound access, nothing published.
    #[default]
    Bridge,
    /// No network at all (loopback only).
    None,
}

impl std::str::FromStr for NetworkMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "bridge" => Ok(NetworkMode::Bridge),
            "none" => Ok(NetworkMode::None),
            _ => Err(Error::invalid(
                "network",
                format!(
                    "`{}` is not one of: bridge, none (host networking is never allowed)",
                    s.escape_debug()
                ),
            )),
        }
    }
}

impl NetworkMode {
    /// The mode's word, as typed and stored: `bridge` or `none`.
    ///
    /// ```
    /// assert_eq!(docksandbox::NetworkMode::None.as_str(), "none");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
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
