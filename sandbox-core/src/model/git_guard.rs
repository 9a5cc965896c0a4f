//! The git guard: the files of a repository through which git runs programs on the host
//! (its hooks, its config, `config.worktree`, `info/attributes`) are mounted read-only over
//! the read-write workspace, so nothing the agent writes there runs at the user's next `git`
//! on the host. Commits, branches, the index and the object store stay writable.
//!
//! Only what exists is guarded (the guard creates nothing on the host); a symlink among these
//! paths cannot be guarded safely and is refused with the way out.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Inside a git directory: what git reads to decide which programs to run.
const GUARDED: [&str; 4] = ["hooks", "config", "config.worktree", "info/attributes"];

/// The git directory of the repository whose working tree is `dir`, when it is inside `dir`
/// (`dir/.git`, or the directory a `.git` file names, for a linked worktree or a submodule).
fn git_dir(dir: &Path) -> Option<PathBuf> {
    let dot_git = dir.join(".git");
    let meta = std::fs::symlink_metadata(&dot_git).ok()?;
    if meta.is_dir() {
        return Some(dot_git);
    }
    if !meta.is_file() {
        return None;
    }
    let text = std::fs::read_to_string(&dot_git).ok()?;
    let named = text.strip_prefix("gitdir:")?.trim();
    let p = dir.join(named);
    let p = std::fs::canonicalize(p).ok()?;
    p.starts_with(dir).then_some(p)
}

/// The paths to mount read-only for the repository at `dir` (none when `dir` is no
/// repository's working tree): each exists and is a plain file or directory.
pub(crate) fn guarded_paths(dir: &Path, field: &str) -> Result<Vec<PathBuf>> {
    let Some(git) = git_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut dirs = vec![git.clone()];
    // A linked worktree shares the main repository's hooks and config (its "common dir").
    if let Ok(common) = std::fs::read_to_string(git.join("commondir")) {
        if let Ok(c) = std::fs::canonicalize(git.join(common.trim())) {
            if c.starts_with(dir) && c != git {
                dirs.push(c);
            }
        }
    }
    let mut out = Vec::new();
    for d in dirs {
        out.extend(guarded_in(&d, field)?);
    }
    Ok(out)
}

/// The paths to mount read-only in the git directory `git` (a repository's `.git` or a
/// worktree's common dir): those of them that exist, each a plain file or directory.
pub(crate) fn guarded_in(git: &Path, field: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for rel in GUARDED {
        let p = git.join(rel);
        match std::fs::symlink_metadata(&p) {
            Err(_) => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::invalid(
                    field,
                    format!(
                        "{} is a symlink, which the git guard cannot make read-only; replace it with the file or directory itself, or pass --no-git-guard (git_guard=False) to run without the guard",
                        p.display()
                    ),
                ))
            }
            Ok(_) => out.push(p),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_existing_plain_paths_of_a_repository_are_guarded() {
        let d = tempfile::tempdir().unwrap();
        let ws = std::fs::canonicalize(d.path()).unwrap();
        assert!(
            guarded_paths(&ws, "workspace").unwrap().is_empty(),
            "no repository"
        );
        std::fs::create_dir_all(ws.join(".git/hooks")).unwrap();
        std::fs::write(ws.join(".git/config"), "").unwrap();
        let got = guarded_paths(&ws, "workspace").unwrap();
        assert_eq!(got, [ws.join(".git/hooks"), ws.join(".git/config")]);
        std::os::unix::fs::symlink("/tmp", ws.join(".git/config.worktree")).unwrap();
        let e = guarded_paths(&ws, "workspace").unwrap_err();
        assert!(e.to_string().contains("--no-git-guard"), "{e}");
    }
}
