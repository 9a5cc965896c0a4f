//! A branch sandbox's work, reviewed from the host: its branch's status, diff and log, and
//! `merge` into the user's branch (see `crate::workspace::branch_review`).

use crate::error::{Error, Result};
use crate::model::branch::Branch;
use crate::sandbox::Sandbox;
use crate::workspace::branch_review::{self, BranchStatus, MergeOptions, MergeReport};
use crate::workspace::git::blocking;
use crate::workspace::worktree;

impl Sandbox {
    /// The branch this sandbox works on (`run --branch`), `None` for a plain sandbox.
    pub fn branch(&self) -> Option<&Branch> {
        self.inner.spec.branch.as_ref()
    }

    /// Its branch, seen from the host: commits ahead of its base and uncommitted changes.
    ///
    /// ```no_run
    /// # async fn f(sb: docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// let st = sb.branch_status().await?;
    /// println!("{} is {} ahead of {}", st.name, st.ahead, st.base);
    /// # Ok(()) }
    /// ```
    pub async fn branch_status(&self) -> Result<BranchStatus> {
        let (b, repo, wt) = self.placed_branch()?;
        blocking(move || branch_review::status(&b, &repo, &wt)).await
    }

    /// Its branch's changes against its base (commits and the worktree's uncommitted
    /// changes), as a unified diff, or as `git diff --stat` with `stat`.
    pub async fn branch_diff(&self, stat: bool) -> Result<String> {
        let (b, repo, wt) = self.placed_branch()?;
        blocking(move || branch_review::diff(&b, &repo, &wt, stat)).await
    }

    /// Its branch's commits that its base does not have, newest first.
    pub async fn branch_log(&self) -> Result<String> {
        let (b, repo, _) = self.placed_branch()?;
        blocking(move || branch_review::log(&b, &repo)).await
    }

    /// Merges its branch into the repository's current branch (or `options.into`) with the
    /// host's git: a fast-forward when it can, else a merge commit (or one squashed commit).
    /// Refused, with nothing changed, on a conflict (the files named) or when the user's
    /// uncommitted changes touch the files the branch changes; never moves a branch backwards.
    ///
    /// ```no_run
    /// # async fn f(sb: docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// let done = sb.merge(&docksandbox::MergeOptions { squash: true, ..Default::default() }).await?;
    /// println!("{} is now {}", done.into, done.commit);
    /// # Ok(()) }
    /// ```
    pub async fn merge(&self, options: &MergeOptions) -> Result<MergeReport> {
        let (b, repo, _) = self.placed_branch()?;
        let options = options.clone();
        blocking(move || branch_review::merge(&b, &repo, &options)).await
    }

    fn placed_branch(&self) -> Result<(Branch, std::path::PathBuf, std::path::PathBuf)> {
        match worktree::placed(&self.inner.spec) {
            Some((b, repo)) => Ok((b.clone(), repo.clone(), self.inner.spec.workspace.clone())),
            None => Err(Error::invalid(
                "branch",
                format!(
                    "sandbox `{}` works on no branch: make one with `docksandbox run --branch NAME`",
                    self.inner.name
                ),
            )),
        }
    }
}
