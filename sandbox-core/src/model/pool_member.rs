//! One member of a warm pool: its name, its spec, and the empty workspace directory it gets
//! instead of a project (made with it, removed with it, by whoever removes it).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::spec::SandboxSpec;

/// The directory holding the pools' member workspaces of this host user:
/// `<temp>/docksandbox-pool-<uid>`.
pub(crate) fn root() -> PathBuf {
    // The owner of /proc/self is this process's effective uid (no `unsafe` for geteuid).
    let uid = std::fs::metadata("/proc/self").map(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid()
    });
    std::env::temp_dir().join(format!("docksandbox-pool-{}", uid.unwrap_or(0)))
}

/// The spec of a new member of pool `pool`: `spec` with a fresh name, a fresh empty
/// workspace (made now, mode 0700), ephemeral (owned by this process), marked as pooled.
pub(crate) fn spec(pool: &str, spec: &SandboxSpec) -> Result<SandboxSpec> {
    let name = format!("{pool}-{}", crate::model::naming::nonce());
    let dir = root().join(&name);
    make_private_dir(&root())?;
    make_private_dir(&dir)?;
    let mut s = spec.clone();
    s.workspace = dir;
    s.name = Some(name);
    s.ephemeral = Some(true);
    s.pool = Some(pool.to_string());
    Ok(s)
}

pub(crate) fn make_private_dir(d: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new().mode(0o700).create(d) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && d.is_dir() => Ok(()),
        Err(e) => Err(Error::invalid(
            "pool",
            format!("cannot make the pool's workspace {}: {e}", d.display()),
        )),
    }
}

/// Removes a removed member's workspace: only a directory named after the sandbox directly in
/// [`root`], and only for a pooled sandbox's spec.
pub(crate) fn discard_workspace(spec: &SandboxSpec) {
    let (Some(_), Some(name)) = (&spec.pool, &spec.name) else {
        return;
    };
    let root = root();
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    if spec.workspace.parent() == Some(root.as_path())
        && spec.workspace.file_name() == Some(std::ffi::OsStr::new(name))
    {
        if let Err(e) = std::fs::remove_dir_all(&spec.workspace) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(error = %e, "could not remove the pool member's workspace {}", spec.workspace.display());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_gets_its_own_private_workspace_which_goes_with_it_and_nothing_else_does() {
        let base = SandboxSpec::new("", crate::Shell);
        let s = spec("pool-test-a", &base).unwrap();
        assert!(s.name.as_deref().unwrap().starts_with("pool-test-a-"));
        assert_eq!(s.ephemeral, Some(true));
        assert_eq!(s.pool.as_deref(), Some("pool-test-a"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&s.workspace)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        // Another sandbox's directory (not a pool member's own) is never removed.
        let mut other = s.clone();
        other.name = Some("someone-else".into());
        discard_workspace(&other);
        assert!(s.workspace.is_dir());
        let mut unpooled = s.clone();
        unpooled.pool = None;
        discard_workspace(&unpooled);
        assert!(s.workspace.is_dir());
        discard_workspace(&s);
        assert!(!s.workspace.exists());
    }
}
