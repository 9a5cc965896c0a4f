//! A sandbox on a branch of its repository (`run --branch NAME`): the branch's name and the
//! rules git has for it, where its worktree lives, and what the spec stores about it.
//!
//! The worktree of branch `NAME` of the repository at `/src/app` is
//! `/src/.app.docksandbox/NAME`: beside the repository (same filesystem, never inside its
//! tracked tree), one directory per branch, at the same absolute path in the sandbox.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The branch a sandbox works on, stored in its spec.
///
/// ```
/// use docksandbox::Branch;
/// let b = Branch::new("fix-login").from("main");
/// assert_eq!(b.name, "fix-login");
/// assert!(Branch::new("bad..name").validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    /// The branch (`refs/heads/NAME`), made from [`Branch::from`] when it does not exist.
    pub name: String,
    /// What a new branch starts from (a branch, tag or commit); the repository's `HEAD` when
    /// `None`. An existing branch is used as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The repository's working tree (set when the worktree is made; the sandbox's own
    /// workspace is then the worktree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<PathBuf>,
    /// What `diff`, `log` and `ahead` compare with: the branch the repository had checked out
    /// (or the commit, when detached) when the worktree was made, or `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

impl Branch {
    /// The branch `name`, not yet validated.
    pub fn new(name: impl Into<String>) -> Self {
        Branch {
            name: name.into(),
            from: None,
            repository: None,
            base: None,
        }
    }

    /// Starts a new branch from `reference` instead of `HEAD`.
    pub fn from(mut self, reference: impl Into<String>) -> Self {
        self.from = Some(reference.into());
        self
    }

    /// Checks the name against git's rules for branch names (`git check-ref-format
    /// --branch`) and `from` against those for revisions.
    pub fn validate(&self) -> Result<()> {
        branch_name(&self.name)?;
        if let Some(f) = &self.from {
            if f.is_empty() || f.starts_with('-') || f.chars().any(|c| c.is_control() || c == ' ') {
                return Err(Error::invalid(
                    "branch.from",
                    format!("`{f}` is not a branch, tag or commit name"),
                ));
            }
        }
        Ok(())
    }
}

/// Git's rules for a branch name (`git check-ref-format --branch`), with the reason.
fn branch_name(name: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::invalid(
            "branch",
            format!("`{name}` is not a name git accepts for a branch: {why}"),
        ))
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.starts_with('-') {
        return bad("it starts with `-`");
    }
    if name == "@" || name == "HEAD" {
        return bad("it is a name git reserves");
    }
    if name.len() > 200 {
        return bad("it is longer than 200 characters");
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || " ~^:?*[\\".contains(*c))
    {
        return bad(&format!(
            "it holds {:?} (spaces, control characters and ~ ^ : ? * [ \\ are refused)",
            c
        ));
    }
    if name.contains("..") {
        return bad("it holds `..`");
    }
    if name.contains("@{") {
        return bad("it holds `@{`");
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return bad("a `/` starts or ends it, or two follow each other");
    }
    if name.ends_with('.') {
        return bad("it ends with `.`");
    }
    for part in name.split('/') {
        if part.starts_with('.') {
            return bad("a part of it starts with `.`");
        }
        if part.ends_with(".lock") {
            return bad("a part of it ends with `.lock`");
        }
    }
    Ok(())
}

/// The directory of the repository at `repository`'s worktrees:
/// `<parent>/.<name>.docksandbox`.
pub(crate) fn worktrees_dir(repository: &Path) -> PathBuf {
    let base = repository
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repository".into());
    repository
        .parent()
        .unwrap_or(Path::new("/"))
        .join(format!(".{base}.docksandbox"))
}

/// Where the worktree of branch `name` of `repository` lives (a branch `a/b` nests, as its
/// ref does).
pub(crate) fn worktree_dir(repository: &Path, name: &str) -> PathBuf {
    worktrees_dir(repository).join(name)
}

/// The reason written into the worktree's lock (`git worktree lock --reason`): it names the
/// sandbox, and tells a worktree docksandbox made from one it did not.
pub(crate) fn lock_reason(sandbox: &str) -> String {
    format!("{LOCK_PREFIX}{sandbox}")
}

/// How every docksandbox lock reason starts.
pub(crate) const LOCK_PREFIX: &str = "docksandbox sandbox ";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_refused_names_are_refused() {
        for ok in ["fix-login", "feature/x", "v1.2", "a_b", "ünï"] {
            branch_name(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "",
            "-x",
            "a..b",
            "a~1",
            "a b",
            "a^",
            "a:b",
            "a?",
            "a*",
            "a[b",
            "a\\b",
            "/a",
            "a/",
            "a//b",
            "a.",
            ".a",
            "a/.b",
            "a.lock",
            "a/b.lock/c",
            "@",
            "a@{b",
            "HEAD",
            "a\tb",
        ] {
            assert!(branch_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn worktrees_live_beside_the_repository() {
        let r = Path::new("/src/app");
        assert_eq!(
            worktree_dir(r, "feature/x"),
            Path::new("/src/.app.docksandbox/feature/x")
        );
        assert!(!worktree_dir(r, "x").starts_with(r));
    }
}
