//! Extra bind mounts: a host path at a container path, optionally read-only.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An extra bind mount of a host path into the sandbox.
///
/// Sent to the engine as a structured mount, so paths with spaces, `:` and `,` work.
///
/// ```
/// use docksandbox::Mount;
/// let m = Mount::parse("/data/train:/data:ro").unwrap();
/// assert_eq!(m, Mount::read_only("/data/train", "/data"));
/// let same_path = Mount::parse("/srv/models").unwrap();
/// assert_eq!(same_path.container, same_path.host);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Mount {
    /// Absolute host path (canonicalized when the spec is validated).
    pub host: PathBuf,
    /// Absolute path inside the sandbox.
    pub container: PathBuf,
    /// Mounted read-only.
    #[serde(default)]
    pub read_only: bool,
}

impl Mount {
    /// A writable mount of `host` at `container`.
    pub fn new(host: impl Into<PathBuf>, container: impl Into<PathBuf>) -> Self {
        Mount {
            host: host.into(),
            container: container.into(),
            read_only: false,
        }
    }

    /// A read-only mount of `host` at `container`.
    pub fn read_only(host: impl Into<PathBuf>, container: impl Into<PathBuf>) -> Self {
        Mount {
            read_only: true,
            ..Mount::new(host, container)
        }
    }

    /// Parses the `docker sandbox -v` form: `HOST[:CONTAINER][:ro|:readonly|:rw]`.
    ///
    /// A lone `HOST` is mounted at the same path. Paths that themselves hold `:` cannot be
    /// written in this form: use [`Mount::new`] instead.
    pub fn parse(s: &str) -> Result<Mount> {
        let bad = |why: &str| Error::invalid("volume", format!("`{}`: {why}", s.escape_debug()));
        if s.is_empty() {
            return Err(bad("empty; expected HOST:CONTAINER[:ro]"));
        }
        let mut parts: Vec<&str> = s.split(':').collect();
        let mut read_only = false;
        if parts.len() > 1 {
            match *parts.last().unwrap_or(&"") {
                "ro" | "readonly" => {
                    read_only = true;
                    parts.pop();
                }
                "rw" => {
                    parts.pop();
                }
                _ => {}
            }
        }
        let (host, container) =
            match parts.as_slice() {
                [host] => (*host, *host),
                [host, container] => (*host, *container),
                _ => return Err(bad(
                    "expected HOST:CONTAINER[:ro]; paths holding `:` need the structured mount API",
                )),
            };
        if host.is_empty() || container.is_empty() {
            return Err(bad("host and container paths must not be empty"));
        }
        Ok(Mount {
            host: host.into(),
            container: container.into(),
            read_only,
        })
    }
}

impl std::fmt::Display for Mount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}{}",
            self.host.display(),
            self.container.display(),
            if self.read_only { ":ro" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        assert_eq!(Mount::parse("/a:/b").unwrap(), Mount::new("/a", "/b"));
        assert_eq!(
            Mount::parse("/a:/b:readonly").unwrap(),
            Mount::read_only("/a", "/b")
        );
        assert_eq!(Mount::parse("/a:ro").unwrap(), Mount::read_only("/a", "/a"));
        assert_eq!(Mount::parse("/a:/b:rw").unwrap(), Mount::new("/a", "/b"));
        assert!(Mount::parse("").is_err());
        assert!(Mount::parse("/a:/b:/c").is_err());
        assert!(Mount::parse(":/b").is_err());
    }
}
