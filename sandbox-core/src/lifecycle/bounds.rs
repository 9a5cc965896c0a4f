//! Bounds a front door sets that its callers cannot exceed (the MCP server's `--root`,
//! `--template`, `--max-sandboxes`, `--network`…): where sandboxes may be made, from which
//! templates, how many, and the network they get. The caller's request gets the front door's
//! network first ([`RunRequest::shape_within`](crate::RunRequest::shape_within)); the spec is checked after validation, before
//! anything is made.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::spec::SandboxSpec;

/// What callers of a front door may ask for.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let b = docksandbox::Bounds::new([dir.path()]).unwrap();
/// assert!(b.allows_path(&dir.path().join("project")));
/// assert!(!b.allows_path(std::path::Path::new("/etc")));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Bounds {
    roots: Vec<PathBuf>,
    /// Templates allowed (`None`: any).
    pub templates: Option<Vec<String>>,
    /// At most this many sandboxes under the roots (`None`: no limit).
    pub max_sandboxes: Option<usize>,
    /// The network callers' sandboxes get (as [`crate::RunRequest`]'s fields of the same names)
    /// and, unless `widen_network`, the widest they may ask for.
    pub network: NetworkBounds,
    /// Whether callers may ask for more network than `network` (the MCP server's
    /// `--allow-policy-changes`).
    pub widen_network: bool,
}

/// The network a front door gives its callers' sandboxes: the mode, the proxy's default
/// and its rules, in [`crate::RunRequest`]'s words.
#[derive(Debug, Clone, Default)]
pub struct NetworkBounds {
    /// `proxy` (when `None`), `none` or `bridge`.
    pub network: Option<String>,
    /// `allow` (when `None`) or `deny`: what the proxy does with what no rule decides.
    pub network_policy: Option<String>,
    /// Rules the proxy allows; a caller may ask for these, and no others.
    pub allow_hosts: Vec<String>,
    /// Rules the proxy refuses, always added to the caller's.
    pub deny_hosts: Vec<String>,
}

impl Bounds {
    /// Sandboxes only in `roots` (each canonicalized; a missing one is an error).
    pub fn new<P: AsRef<Path>>(roots: impl IntoIterator<Item = P>) -> Result<Self> {
        let mut v = Vec::new();
        for r in roots {
            let r = r.as_ref();
            v.push(std::fs::canonicalize(r).map_err(|e| {
                Error::invalid("root", format!("`{}` cannot be used: {e}", r.display()))
            })?);
        }
        Ok(Bounds {
            roots: v,
            ..Default::default()
        })
    }

    /// The allowed roots.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Whether `path` (canonical) is at or under one of the roots.
    pub fn allows_path(&self, path: &Path) -> bool {
        self.roots.iter().any(|r| path.starts_with(r))
    }

    /// Whether the sandbox of `spec` (its workspace, a branch sandbox's repository) is under
    /// a root: the sandboxes a caller may see and use.
    pub fn allows_sandbox(&self, spec: &SandboxSpec) -> bool {
        self.allows_path(&repository_of(spec))
    }

    /// Checks a validated spec against the bounds: its workspace (a branch sandbox's
    /// repository) and mounts under a root, its template allowed.
    pub fn check(&self, spec: &SandboxSpec) -> Result<()> {
        let ws = repository_of(spec);
        if !self.allows_path(&ws) {
            return Err(Error::invalid(
                "workspace",
                format!(
                    "{} is outside the directories this server may use ({}); the user can add one with --root",
                    ws.display(),
                    self.shown_roots()
                ),
            ));
        }
        for (i, m) in spec.mounts.iter().enumerate() {
            if !self.allows_path(&m.host) {
                return Err(Error::invalid(
                    format!("mounts[{i}].host"),
                    format!(
                        "{} is outside the directories this server may use ({})",
                        m.host.display(),
                        self.shown_roots()
                    ),
                ));
            }
        }
        if let Some(allowed) = &self.templates {
            let t = spec.template_image();
            if !allowed.iter().any(|a| a == t) {
                return Err(Error::invalid(
                    "template",
                    format!(
                        "`{t}` is not one of the templates this server allows ({})",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    fn shown_roots(&self) -> String {
        self.roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The directory a sandbox is of: its workspace, or a branch sandbox's repository.
pub(crate) fn repository_of(spec: &SandboxSpec) -> PathBuf {
    spec.branch
        .as_ref()
        .and_then(|b| b.repository.clone())
        .unwrap_or_else(|| spec.workspace.clone())
}
