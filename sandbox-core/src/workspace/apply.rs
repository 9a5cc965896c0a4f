//! Bringing review-mode changes onto the host workspace, all or nothing: every new file is
//! first written beside its target, then each target is swapped in, the host's old entry
//! kept as a backup until the end. Any failure undoes the swaps in reverse order, so a failed
//! apply leaves the workspace exactly as it was.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::workspace::baseline::{stamp, Baseline, Stamp};
use crate::workspace::changes::{Change, ChangeKind, EntryType};

/// A test hook: `apply` fails on purpose after this many steps, to prove the rollback.
pub const APPLY_FAIL_AFTER_ENV: &str = "DOCKSANDBOX_APPLY_FAIL_AFTER";

/// How [`crate::Sandbox::apply`] brings changes onto the host.
///
/// ```
/// let opts = docksandbox::ApplyOptions { dry_run: true, ..Default::default() };
/// assert!(opts.paths.is_empty()); // every change
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApplyOptions {
    /// Only the changes at or under these paths (absolute, or relative to the workspace);
    /// every change when empty. A path that holds no change is an error.
    pub paths: Vec<PathBuf>,
    /// Report what would be applied; change nothing.
    pub dry_run: bool,
    /// Apply even over host files that changed since the sandbox was made.
    pub force: bool,
    /// Apply changes that would make the host run programs (git hooks and config, `.envrc`,
    /// editor tasks); refused otherwise.
    pub allow_exec_vectors: bool,
}

/// The changes `paths` select (all when empty); a path selecting none is an error.
pub(crate) fn select(
    workspace: &Path,
    changes: Vec<Change>,
    paths: &[PathBuf],
) -> Result<Vec<Change>> {
    if paths.is_empty() {
        return Ok(changes);
    }
    let wanted: Vec<PathBuf> = paths
        .iter()
        .map(|p| {
            if p.is_absolute() {
                p.clone()
            } else {
                workspace.join(p)
            }
        })
        .collect();
    for (i, w) in wanted.iter().enumerate() {
        let hit = changes
            .iter()
            .any(|c| c.path.starts_with(w) || c.from.as_ref().is_some_and(|f| f.starts_with(w)));
        if !hit {
            return Err(Error::invalid(
                format!("paths[{i}]"),
                format!("{} holds no change (see `docksandbox diff`)", w.display()),
            ));
        }
    }
    Ok(changes
        .into_iter()
        .filter(|c| {
            wanted
                .iter()
                .any(|w| c.path.starts_with(w) || c.from.as_ref().is_some_and(|f| f.starts_with(w)))
        })
        .collect())
}

/// The paths among `changes` whose host entry changed since `baseline`.
pub(crate) fn conflicts(workspace: &Path, baseline: &Baseline, changes: &[Change]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for c in changes {
        for p in std::iter::once(&c.path).chain(c.from.iter()) {
            let rel = p.strip_prefix(workspace).unwrap_or(p);
            let now = std::fs::symlink_metadata(p).ok();
            if baseline.host_changed(rel, now.as_ref()) && !out.contains(p) {
                out.push(p.clone());
            }
        }
    }
    out
}

/// One undoable step.
enum Step {
    /// `target` was moved to `backup`.
    Backup { target: PathBuf, backup: PathBuf },
    /// `target` was put in place (from the staged copy).
    Placed { target: PathBuf },
    /// The directory was made.
    MadeDir(PathBuf),
    /// The mode was `old`.
    Chmod { path: PathBuf, old: u32 },
}

struct Txn {
    steps: Vec<Step>,
    staged: Vec<PathBuf>,
    fail_after: Option<usize>,
    done: usize,
    owner: (u32, u32),
}

fn sibling(p: &Path, tag: &str) -> PathBuf {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    p.with_file_name(format!(".{name}.docksandbox-{tag}-{}", std::process::id()))
}

impl Txn {
    fn tick(&mut self) -> Result<()> {
        self.done += 1;
        if self.fail_after.is_some_and(|n| self.done > n) {
            return Err(std::io::Error::other(format!(
                "failure injected by {APPLY_FAIL_AFTER_ENV}"
            ))
            .into());
        }
        Ok(())
    }

    fn own(&self, p: &Path) {
        // Only root can give files away; anyone else writes files they own.
        let _ = std::os::unix::fs::lchown(p, Some(self.owner.0), Some(self.owner.1));
    }

    /// Makes the missing parents of `p`, each recorded.
    fn parents(&mut self, p: &Path, workspace: &Path) -> Result<()> {
        let mut missing = Vec::new();
        let mut at = p.parent();
        while let Some(d) = at {
            if d == workspace || std::fs::symlink_metadata(d).is_ok() {
                break;
            }
            missing.push(d.to_path_buf());
            at = d.parent();
        }
        for d in missing.into_iter().rev() {
            std::fs::create_dir(&d)?;
            self.own(&d);
            self.steps.push(Step::MadeDir(d));
        }
        Ok(())
    }

    fn backup(&mut self, target: &Path) -> Result<()> {
        if std::fs::symlink_metadata(target).is_err() {
            return Ok(());
        }
        self.tick()?;
        let backup = sibling(target, "backup");
        std::fs::rename(target, &backup)?;
        self.steps.push(Step::Backup {
            target: target.to_path_buf(),
            backup,
        });
        Ok(())
    }

    fn rollback(&mut self) {
        while let Some(s) = self.steps.pop() {
            let r = match &s {
                Step::Placed { target } => match std::fs::symlink_metadata(target) {
                    Ok(m) if m.is_dir() => std::fs::remove_dir(target),
                    Ok(_) => std::fs::remove_file(target),
                    Err(_) => Ok(()),
                },
                Step::Backup { target, backup } => std::fs::rename(backup, target),
                Step::MadeDir(d) => std::fs::remove_dir(d),
                Step::Chmod { path, old } => {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(*old))
                }
            };
            if let Err(e) = r {
                tracing::error!(error = %e, "apply rollback step failed");
            }
        }
        for p in self.staged.drain(..) {
            let _ = std::fs::remove_file(p);
        }
    }

    fn finish(&mut self) {
        for s in self.steps.drain(..) {
            if let Step::Backup { backup, .. } = s {
                let r = match std::fs::symlink_metadata(&backup) {
                    Ok(m) if m.is_dir() => std::fs::remove_dir_all(&backup),
                    _ => std::fs::remove_file(&backup),
                };
                if let Err(e) = r {
                    tracing::warn!(error = %e, path = %backup.display(), "could not remove apply's backup");
                }
            }
        }
    }
}

/// Copies the new side of a file or symlink change beside its target; returns the copy.
fn stage(txn: &mut Txn, workspace: &Path, upper: &Path, c: &Change) -> Result<PathBuf> {
    let rel = c.path.strip_prefix(workspace).unwrap_or(&c.path);
    let src = upper.join(rel);
    txn.parents(&c.path, workspace)?;
    let tmp = sibling(&c.path, "apply");
    txn.staged.push(tmp.clone());
    match c.entry {
        EntryType::Symlink => std::os::unix::fs::symlink(std::fs::read_link(&src)?, &tmp)?,
        _ => {
            std::fs::copy(&src, &tmp)?;
            let mode = std::fs::metadata(&src)?.mode() & 0o7777;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
        }
    }
    txn.own(&tmp);
    Ok(tmp)
}

/// Applies `changes` (already selected and checked) to `workspace`, all or nothing; returns
/// the upper layer's stamp of each applied path, so that the same entry is not shown again.
pub(crate) fn apply(
    workspace: &Path,
    upper: &Path,
    changes: &[Change],
    owner: (u32, u32),
) -> Result<Vec<(PathBuf, Option<Stamp>)>> {
    let mut txn = Txn {
        steps: Vec::new(),
        staged: Vec::new(),
        fail_after: std::env::var(APPLY_FAIL_AFTER_ENV)
            .ok()
            .and_then(|v| v.parse().ok()),
        done: 0,
        owner,
    };
    match run(&mut txn, workspace, upper, changes) {
        Ok(applied) => {
            txn.finish();
            Ok(applied)
        }
        Err(e) => {
            txn.rollback();
            Err(e)
        }
    }
}

fn run(
    txn: &mut Txn,
    workspace: &Path,
    upper: &Path,
    changes: &[Change],
) -> Result<Vec<(PathBuf, Option<Stamp>)>> {
    // Stage every new file first: most failures (space, permissions) happen here, before any
    // host entry is touched.
    let mut staged = Vec::new();
    for c in changes {
        let writes = matches!(
            c.kind,
            ChangeKind::Added | ChangeKind::Modified | ChangeKind::Renamed
        ) && c.entry != EntryType::Dir;
        if writes {
            staged.push((c, stage(txn, workspace, upper, c)?));
        }
    }
    // Deletions, the shallowest first (a deleted directory takes its contents along).
    let mut deletions: Vec<&Path> = changes
        .iter()
        .filter_map(|c| match c.kind {
            ChangeKind::Deleted => Some(c.path.as_path()),
            ChangeKind::Renamed => c.from.as_deref(),
            _ => None,
        })
        .collect();
    deletions.sort_by_key(|p| p.components().count());
    let mut gone: Vec<PathBuf> = Vec::new();
    for p in deletions {
        if gone.iter().any(|g| p.starts_with(g)) {
            continue;
        }
        txn.backup(p)?;
        gone.push(p.to_path_buf());
    }
    // New directories, parents first, then the files put in place.
    let mut dirs: Vec<&Change> = changes
        .iter()
        .filter(|c| c.entry == EntryType::Dir && c.kind != ChangeKind::Deleted)
        .collect();
    dirs.sort_by_key(|c| c.path.components().count());
    for c in dirs {
        let rel = c.path.strip_prefix(workspace).unwrap_or(&c.path);
        let mode = std::fs::metadata(upper.join(rel))?.mode() & 0o7777;
        match std::fs::symlink_metadata(&c.path) {
            Ok(m) if m.is_dir() => {
                txn.tick()?;
                txn.steps.push(Step::Chmod {
                    path: c.path.clone(),
                    old: m.mode() & 0o7777,
                });
                std::fs::set_permissions(&c.path, std::fs::Permissions::from_mode(mode))?;
            }
            _ => {
                txn.tick()?;
                txn.parents(&c.path, workspace)?;
                std::fs::create_dir(&c.path)?;
                txn.steps.push(Step::MadeDir(c.path.clone()));
                std::fs::set_permissions(&c.path, std::fs::Permissions::from_mode(mode))?;
                txn.own(&c.path);
            }
        }
    }
    for (c, tmp) in staged {
        txn.backup(&c.path)?;
        txn.tick()?;
        std::fs::rename(&tmp, &c.path)?;
        txn.staged.retain(|s| s != &tmp);
        txn.steps.push(Step::Placed {
            target: c.path.clone(),
        });
    }
    let mut applied = Vec::new();
    for c in changes {
        for p in std::iter::once(&c.path).chain(c.from.iter()) {
            let rel = p.strip_prefix(workspace).unwrap_or(p).to_path_buf();
            let st = std::fs::symlink_metadata(upper.join(&rel))
                .ok()
                .map(|m| stamp(&m));
            applied.push((rel, st));
        }
    }
    Ok(applied)
}
