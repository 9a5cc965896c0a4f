//! How the workspace is shared with the sandbox: read-write (the default), read-only with
//! declared writable subdirectories, or review (the agent's writes kept aside until the user
//! applies them).

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How the workspace is shared with the sandbox (`--workspace-mode`).
///
/// ```
/// use docksandbox::WorkspaceMode;
/// assert_eq!("review".parse::<WorkspaceMode>().unwrap(), WorkspaceMode::Review);
/// assert_eq!(WorkspaceMode::ReadOnly.as_str(), "ro");
/// assert!("rwx".parse::<WorkspaceMode>().is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WorkspaceMode {
    /// The default: the host's directory, read-write, at the same path.
    #[default]
    #[serde(rename = "rw")]
    ReadWrite,
    /// Read-only at the same path; only the [`crate::SandboxSpec::writable`] subdirectories
    /// (e.g. `target/`) can be written.
    #[serde(rename = "ro")]
    ReadOnly,
    /// The agent may change anything, but its writes go to a layer docksandbox keeps beside the
    /// host's directory; the host's files change only on [`crate::Sandbox::apply`].
    #[serde(rename = "review")]
    Review,
}

impl WorkspaceMode {
    /// The mode's word, as typed and stored: `rw`, `ro` or `review`.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceMode::ReadWrite => "rw",
            WorkspaceMode::ReadOnly => "ro",
            WorkspaceMode::Review => "review",
        }
    }
}

impl std::str::FromStr for WorkspaceMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "rw" => Ok(WorkspaceMode::ReadWrite),
            "ro" => Ok(WorkspaceMode::ReadOnly),
            "review" => Ok(WorkspaceMode::Review),
            _ => Err(Error::invalid(
                "workspace_mode",
                format!("`{}` is not one of: rw, ro, review", s.escape_debug()),
            )),
        }
    }
}

impl std::fmt::Display for WorkspaceMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--writable DIR`: relative to the workspace (or absolute inside it), without `..`, and
/// — as far as it exists — not leaving the workspace through a symlink. Returns the absolute
/// path inside `workspace` (canonical for the part that exists); it need not exist yet.
pub(crate) fn writable_dir(workspace: &Path, dir: &Path, i: usize) -> Result<PathBuf> {
    let field = format!("writable[{i}]");
    let rel = if dir.is_absolute() {
        dir.strip_prefix(workspace)
            .map_err(|_| {
                Error::invalid(
                    &field,
                    format!(
                        "{} is outside the workspace {}",
                        dir.display(),
                        workspace.display()
                    ),
                )
            })?
            .to_path_buf()
    } else {
        dir.to_path_buf()
    };
    if rel.as_os_str().is_empty() {
        return Err(Error::invalid(
            &field,
            "is the workspace itself; use --workspace-mode rw for a writable workspace",
        ));
    }
    for c in rel.components() {
        match c {
            Component::Normal(_) => {}
            Component::CurDir => {}
            _ => {
                return Err(Error::invalid(
                    &field,
                    format!(
                        "`{}` must be a path inside the workspace without `..`",
                        dir.display()
                    ),
                ))
            }
        }
    }
    // Walk down what exists: every existing component must stay inside the workspace.
    let mut at = workspace.to_path_buf();
    let mut rest = Vec::new();
    for c in rel
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
    {
        if !rest.is_empty() {
            rest.push(c.as_os_str().to_owned());
            continue;
        }
        let next = at.join(c);
        match std::fs::symlink_metadata(&next) {
            Err(_) => rest.push(c.as_os_str().to_owned()),
            Ok(_) => {
                let canon = std::fs::canonicalize(&next)
                    .map_err(|e| Error::invalid(&field, format!("{}: {e}", next.display())))?;
                if !canon.starts_with(workspace) || canon == workspace {
                    return Err(Error::invalid(
                        &field,
                        format!(
                            "{} leads outside the workspace (to {}) through a symlink",
                            next.display(),
                            canon.display()
                        ),
                    ));
                }
                if !canon.is_dir() {
                    return Err(Error::invalid(
                        &field,
                        format!("{} is not a directory", canon.display()),
                    ));
                }
                at = canon;
            }
        }
    }
    for r in rest {
        at.push(r);
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writable_dirs_stay_inside_the_workspace() {
        let d = tempfile::tempdir().unwrap();
        let ws = std::fs::canonicalize(d.path()).unwrap();
        std::fs::create_dir(ws.join("target")).unwrap();
        assert_eq!(
            writable_dir(&ws, Path::new("target"), 0).unwrap(),
            ws.join("target")
        );
        assert_eq!(
            writable_dir(&ws, Path::new("build/out"), 0).unwrap(),
            ws.join("build/out")
        );
        assert_eq!(
            writable_dir(&ws, &ws.join("target"), 0).unwrap(),
            ws.join("target")
        );
        for bad in ["../x", "a/../../x", "/etc", ""] {
            assert!(writable_dir(&ws, Path::new(bad), 0).is_err(), "{bad}");
        }
        std::os::unix::fs::symlink("/tmp", ws.join("out")).unwrap();
        let e = writable_dir(&ws, Path::new("out/x"), 0).unwrap_err();
        assert!(e.to_string().contains("symlink"), "{e}");
        std::fs::write(ws.join("file"), "").unwrap();
        assert!(writable_dir(&ws, Path::new("file"), 0).is_err());
    }
}
