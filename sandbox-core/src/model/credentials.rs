//! Where an agent's login lives: a volume per agent, or nothing.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Where an agent's login and settings live.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialsMode {
    /// A named volume per agent, shared by all sandboxes of that agent, kept across `rm`:
    /// log in once.
    #[default]
    Sandbox,
    /// Nothing is mounted: log in by hand in each sandbox.
    None,
}

impl std::str::FromStr for CredentialsMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "sandbox" => Ok(CredentialsMode::Sandbox),
            "none" => Ok(CredentialsMode::None),
            "host" => Err(Error::invalid(
                "credentials",
                "`host` (sharing ~/.ssh, ~/.gitconfig…) is not supported: it hands host secrets to the agent; use `sandbox` or `none`",
            )),
            _ => Err(Error::invalid(
                "credentials",
                format!("`{}` is not one of: sandbox, none", s.escape_debug()),
            )),
        }
    }
}

impl CredentialsMode {
    /// The mode's word, as typed and stored: `sandbox` or `none`.
    ///
    /// ```
    /// assert_eq!(docksandbox::CredentialsMode::Sandbox.as_str(), "sandbox");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialsMode::Sandbox => "sandbox",
            CredentialsMode::None => "none",
        }
    }
}

impl std::fmt::Display for CredentialsMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
