//! Reviewing a branch sandbox's work from the host: how far its branch is ahead of its base,
//! whether its worktree has uncommitted changes, its diff and log, and `merge` into the
//! user's branch with the host's git (refused on a conflict or when the user's uncommitted
//! changes touch the same files; a branch is only ever moved forward, never forced).

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::branch::Branch;
use crate::workspace::git::{failed, git, git_ok, git_output};
use crate::workspace::worktree::checked_out_at;

/// A branch sandbox's branch, seen from the host (in `ls`, `inspect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchStatus {
    /// The branch.
    pub name: String,
    /// What it is compared with (the branch it was made from).
    pub base: String,
    /// Commits on the branch that its base does not have.
    pub ahead: u64,
    /// Whether the worktree has uncommitted changes (untracked files count).
    pub dirty: bool,
}

/// How [`crate::Sandbox::merge`] merges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeOptions {
    /// One new commit with the branch's changes instead of the branch's commits.
    pub squash: bool,
    /// The branch to merge into (default: the one the repository has checked out).
    pub into: Option<String>,
}

/// What [`crate::Sandbox::merge`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeReport {
    /// The branch merged into.
    pub into: String,
    /// Its commit now.
    pub commit: String,
    /// `fast-forward`, `merge`, `squash`, or `up-to-date` (nothing to merge).
    pub how: String,
    /// The files the merge changed.
    pub files: Vec<String>,
}

pub(crate) fn status(b: &Branch, repo: &Path, wt: &Path) -> Result<BranchStatus> {
    let base = crate::workspace::worktree::base_of(b, repo);
    let ahead = git(
        repo,
        &[
            "rev-list",
            "--count",
            &format!("{base}..refs/heads/{}", b.name),
        ],
    )?
    .parse()
    .unwrap_or(0);
    let dirty =
        wt.exists() && !git(wt, &["status", "--porcelain", "--untracked-files=all"])?.is_empty();
    Ok(BranchStatus {
        name: b.name.clone(),
        base,
        ahead,
        dirty,
    })
}

/// The branch's changes against where it left its base: its commits and the worktree's
/// uncommitted changes, untracked files included, as one unified diff.
pub(crate) fn diff(b: &Branch, repo: &Path, wt: &Path, stat: bool) -> Result<String> {
    let base = crate::workspace::worktree::base_of(b, repo);
    let since = git(
        repo,
        &["merge-base", &base, &format!("refs/heads/{}", b.name)],
    )?;
    let mut args = vec!["diff", "--no-color", "--no-ext-diff"];
    if stat {
        args.push("--stat");
    }
    args.push(&since);
    let mut out = if wt.exists() {
        git(wt, &args)?
    } else {
        let tip = format!("refs/heads/{}", b.name);
        args.push(&tip);
        git(repo, &args)?
    };
    if wt.exists() {
        let untracked = git(wt, &["ls-files", "--others", "--exclude-standard", "-z"])?;
        for f in untracked.split('\0').filter(|f| !f.is_empty()) {
            let mut a = vec!["diff", "--no-color", "--no-index"];
            if stat {
                a.push("--stat");
            }
            a.extend(["--", "/dev/null", f]);
            let o = git_output(wt, &a)?;
            // `--no-index` exits 1 when the files differ, which they do.
            if o.status.code() == Some(1) || o.status.success() {
                let text = String::from_utf8_lossy(&o.stdout);
                if !out.is_empty() && !text.is_empty() {
                    out.push('\n');
                }
                out.push_str(text.trim_end_matches('\n'));
            } else {
                return Err(failed(&a, &o));
            }
        }
    }
    Ok(out)
}

/// The branch's commits that its base does not have, newest first (`git log` medium form).
pub(crate) fn log(b: &Branch, repo: &Path) -> Result<String> {
    let base = crate::workspace::worktree::base_of(b, repo);
    git(
        repo,
        &[
            "log",
            "--no-color",
            "--format=medium",
            &format!("{base}..refs/heads/{}", b.name),
        ],
    )
}

/// Merges the branch into `options.into` (or the repository's current branch).
pub(crate) fn merge(b: &Branch, repo: &Path, options: &MergeOptions) -> Result<MergeReport> {
    let refuse = |reason: String, files: Vec<String>| Error::BranchRefused {
        branch: b.name.clone(),
        reason,
        files,
    };
    let into = match &options.into {
        Some(i) => i.clone(),
        None => git(repo, &["symbolic-ref", "--quiet", "--short", "HEAD"]).map_err(|_| {
            refuse(
                format!(
                    "{} has no branch checked out (detached HEAD): pass --into BRANCH",
                    repo.display()
                ),
                Vec::new(),
            )
        })?,
    };
    if into == b.name {
        return Err(refuse(
            "it cannot be merged into itself: pass --into another branch".into(),
            Vec::new(),
        ));
    }
    let into_ref = format!("refs/heads/{into}");
    let old = git(repo, &["rev-parse", "--verify", "--quiet", &into_ref]).map_err(|_| {
        refuse(
            format!("there is no branch `{into}` to merge into"),
            Vec::new(),
        )
    })?;
    let tip = git(
        repo,
        &["rev-parse", "--verify", &format!("refs/heads/{}", b.name)],
    )?;
    if git_ok(repo, &["merge-base", "--is-ancestor", &tip, &old])? {
        return Ok(MergeReport {
            into,
            commit: old,
            how: "up-to-date".into(),
            files: Vec::new(),
        });
    }
    let checked_out = checked_out_at(repo, &into)?;
    let here = std::fs::canonicalize(repo)?;
    if let Some(at) = &checked_out {
        if std::fs::canonicalize(at).ok().as_deref() != Some(here.as_path()) {
            return Err(refuse(
                format!(
                    "`{into}` is checked out at {}: merge there, or pass --into a branch of {}",
                    at.display(),
                    repo.display()
                ),
                Vec::new(),
            ));
        }
    }
    let changed: BTreeSet<String> = git(
        repo,
        &[
            "diff",
            "--name-only",
            "--no-renames",
            &format!("{old}...{tip}"),
        ],
    )?
    .lines()
    .map(str::to_string)
    .collect();
    if checked_out.is_some() {
        let dirty = git(
            repo,
            &["status", "--porcelain", "--untracked-files=all", "-z"],
        )?;
        let mut touched = Vec::new();
        for entry in dirty.split('\0').filter(|e| e.len() > 3) {
            let f = &entry[3..];
            if changed.contains(f) {
                touched.push(f.to_string());
            }
        }
        if !touched.is_empty() {
            return Err(refuse(
                format!(
                    "not merged into `{into}`: your uncommitted changes in {} touch files the branch changes; commit or stash them first",
                    repo.display()
                ),
                touched,
            ));
        }
    }
    let ff = git_ok(repo, &["merge-base", "--is-ancestor", &old, &tip])?;
    let (commit, how) = if ff && !options.squash {
        (tip.clone(), "fast-forward")
    } else {
        let o = git_output(
            repo,
            &[
                "merge-tree",
                "--write-tree",
                "--name-only",
                "--no-messages",
                &old,
                &tip,
            ],
        )?;
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let mut lines = text.lines();
        let tree = lines.next().unwrap_or_default().to_string();
        match o.status.code() {
            Some(0) => {}
            Some(1) => {
                let files: Vec<String> = lines
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
                return Err(refuse(
                    format!(
                        "not merged into `{into}`: these files conflict; merge by hand (`git merge {}`) or ask the agent to rebase onto `{into}`",
                        b.name
                    ),
                    files,
                ));
            }
            _ => {
                return Err(failed(&["merge-tree", "--write-tree", &old, &tip], &o));
            }
        }
        let (msg, parents): (String, Vec<&str>) = if options.squash {
            let subjects = git(repo, &["log", "--format=* %s", &format!("{old}..{tip}")])?;
            (
                format!("Squashed branch '{}'\n\n{subjects}\n", b.name),
                vec![old.as_str()],
            )
        } else {
            (
                format!("Merge branch '{}' into {into}\n", b.name),
                vec![old.as_str(), tip.as_str()],
            )
        };
        let mut args: Vec<&str> = identity(repo);
        args.extend(["commit-tree", tree.as_str(), "-m", msg.as_str()]);
        for p in &parents {
            args.extend(["-p", p]);
        }
        let c = git(repo, &args)?;
        (c, if options.squash { "squash" } else { "merge" })
    };
    if checked_out.is_some() {
        // The user's checkout follows, by git's own fast-forward: it refuses rather than
        // overwrite a local change.
        git(
            repo,
            &["merge", "--ff-only", "--no-edit", "--quiet", &commit],
        )?;
    } else {
        git(repo, &["update-ref", &into_ref, &commit, &old])?;
    }
    Ok(MergeReport {
        into,
        commit,
        how: how.into(),
        files: changed.into_iter().collect(),
    })
}

/// `-c user.name=… -c user.email=…` when the host's git has no identity of its own, so that
/// a merge commit can be written.
fn identity(repo: &Path) -> Vec<&'static str> {
    let has = git(repo, &["config", "user.email"]).is_ok_and(|e| !e.is_empty());
    if has {
        Vec::new()
    } else {
        vec![
            "-c",
            "user.name=docksandbox",
            "-c",
            "user.email=docksandbox@localhost",
        ]
    }
}
