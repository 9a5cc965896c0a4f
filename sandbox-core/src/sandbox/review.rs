//! A review-mode sandbox's changes: list them, show them, apply them to the host, drop them.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::backend::SandboxStatus;
use crate::error::{Error, Result};
use crate::model::workspace_mode::WorkspaceMode;
use crate::sandbox::Sandbox;
use crate::workspace::apply::{self, ApplyOptions};
use crate::workspace::baseline::{stamp, Baseline};
use crate::workspace::changes::{self, Change, ChangeKind};
use crate::workspace::exec_vectors::ExecVector;
use crate::workspace::patch;
use crate::workspace::review_layer::ReviewLayer;

/// The file beside the baseline that records what was applied.
const APPLIED: &str = "applied.json";

impl Sandbox {
    fn review_layer(&self) -> Result<ReviewLayer> {
        let mode = self.inner.spec.workspace_mode.unwrap_or_default();
        if mode != WorkspaceMode::Review {
            return Err(Error::invalid(
                "workspace_mode",
                format!(
                    "sandbox `{}` shares its workspace as `{mode}`: diff, apply and discard work on sandboxes made with --workspace-mode review",
                    self.inner.name
                ),
            ));
        }
        let ws = &self.inner.spec.workspace;
        if !ws.is_dir() {
            return Err(Error::invalid(
                "workspace",
                format!(
                    "{} (the workspace of sandbox `{}`) is no longer a directory on this host: it moved or was removed since the sandbox was made; put it back there, or `docksandbox rm {}` to drop the changes",
                    ws.display(),
                    self.inner.name,
                    self.inner.name
                ),
            ));
        }
        let layer = ReviewLayer::of(&self.inner.name)?;
        if !layer.upper.is_dir() {
            return Err(Error::File {
                path: layer.upper.display().to_string(),
                reason: format!(
                    "the review layer of sandbox `{}` is missing on this host (removed, or the sandbox was made on another machine)",
                    self.inner.name
                ),
            });
        }
        Ok(layer)
    }

    async fn blocking<T: Send + 'static>(
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| Error::Client(format!("review task: {e}")))?
    }

    /// What the agent changed in a review-mode workspace (`--workspace-mode review`): every
    /// added, modified, deleted and renamed path, sorted. The host's files are untouched.
    ///
    /// ```no_run
    /// # async fn demo(sb: docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// for c in sb.diff().await? {
    ///     println!("{} {}", c.letter(), c.path.display());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn diff(&self) -> Result<Vec<Change>> {
        let layer = self.review_layer()?;
        let ws = self.inner.spec.workspace.clone();
        Self::blocking(move || {
            let applied = Baseline::load(&layer.dir.join(APPLIED))?;
            changes::compute(&ws, &layer.upper, &applied)
        })
        .await
    }

    /// [`Sandbox::diff`], only the changes under `paths` (absolute, or relative to the
    /// workspace; all when empty); a path holding no change is an error.
    pub async fn diff_paths(&self, paths: &[PathBuf]) -> Result<Vec<Change>> {
        apply::select(&self.inner.spec.workspace, self.diff().await?, paths)
    }

    /// `changes` (from [`Sandbox::diff`]) as a unified diff, `git diff` style; with `stat`,
    /// one `A/M/D/R path` line each and a count instead.
    pub async fn diff_text(&self, changes: &[Change], stat: bool) -> Result<String> {
        let layer = self.review_layer()?;
        let ws = self.inner.spec.workspace.clone();
        let changes = changes.to_vec();
        Self::blocking(move || {
            Ok(if stat {
                patch::stat(&ws, &changes)
            } else {
                patch::unified(&ws, &layer.upper, &changes)
            })
        })
        .await
    }

    /// Copies the agent's changes (all, or those under `options.paths`) onto the host
    /// workspace, owned by the workspace's owner with their modes, deletions included; all
    /// or nothing. Refused, naming the files, when a host file changed since the sandbox was
    /// made (unless `options.force`) and when a change would make the host run a program
    /// (unless `options.allow_exec_vectors`). Returns what was (with `dry_run`: would be)
    /// applied.
    pub async fn apply(&self, options: &ApplyOptions) -> Result<Vec<Change>> {
        let layer = self.review_layer()?;
        let ws = self.inner.spec.workspace.clone();
        let name = self.inner.name.clone();
        let options = options.clone();
        Self::blocking(move || {
            let applied_path = layer.dir.join(APPLIED);
            let mut applied = Baseline::load(&applied_path)?;
            let all = changes::compute(&ws, &layer.upper, &applied)?;
            let chosen = apply::select(&ws, all, &options.paths)?;
            let mut baseline = Baseline::load(&layer.baseline_path())?;
            if !options.force {
                let clashes = apply::conflicts(&ws, &baseline, &chosen);
                if !clashes.is_empty() {
                    return Err(Error::ApplyConflict {
                        name,
                        paths: clashes.iter().map(|p| p.display().to_string()).collect(),
                    });
                }
            }
            if !options.allow_exec_vectors {
                let vectors = exec_vectors_in(&ws, &layer.upper, &chosen);
                if !vectors.is_empty() {
                    return Err(Error::ExecVectorsInChanges {
                        name,
                        vectors: vectors
                            .iter()
                            .map(|v| format!("{} ({})", v.path.display(), v.key))
                            .collect(),
                    });
                }
            }
            if options.dry_run || chosen.is_empty() {
                return Ok(chosen);
            }
            let meta = std::fs::metadata(&ws)?;
            let marks = apply::apply(&ws, &layer.upper, &chosen, (meta.uid(), meta.gid()))
                .map_err(|e| Error::ApplyFailed {
                    name: name.clone(),
                    reason: e.to_string(),
                })?;
            for (rel, upper_stamp) in marks {
                applied.set(&rel, upper_stamp);
                let host = std::fs::symlink_metadata(ws.join(&rel)).ok();
                baseline.set(&rel, host.as_ref().map(stamp));
            }
            applied.save(&applied_path)?;
            baseline.save(&layer.baseline_path())?;
            Ok(chosen)
        })
        .await
    }

    /// Drops the agent's changes (all, or those under `paths`): the sandbox sees the host's
    /// files there again. A running sandbox is restarted for it (overlay's layers may not
    /// change under a mounted overlay), so its processes are stopped. Returns what was dropped.
    pub async fn discard(&self, paths: &[PathBuf]) -> Result<Vec<Change>> {
        let layer = self.review_layer()?;
        let chosen = apply::select(&self.inner.spec.workspace, self.diff().await?, paths)?;
        if chosen.is_empty() {
            return Ok(chosen);
        }
        let status = self.status().await?;
        let live = matches!(status, SandboxStatus::Running | SandboxStatus::Paused);
        if live {
            self.inner
                .backend
                .stop(&self.inner.id, Duration::from_secs(10))
                .await?;
        }
        let ws = self.inner.spec.workspace.clone();
        let dropped = chosen.clone();
        let edited = Self::blocking(move || {
            let mut applied = Baseline::load(&layer.dir.join(APPLIED))?;
            for c in &dropped {
                for p in std::iter::once(&c.path).chain(c.from.iter()) {
                    let rel = p.strip_prefix(&ws).unwrap_or(p);
                    drop_upper(&layer, &ws, rel, c.kind)?;
                    applied.forget_under(rel);
                }
            }
            applied.save(&layer.dir.join(APPLIED))
        })
        .await;
        if live {
            self.inner.backend.start(&self.inner.id).await?;
            let d = self.inner.backend.inspect(&self.inner.id).await?;
            crate::sandbox::ready::wait_ready(self.inner.backend.as_ref(), &self.inner.name, &d)
                .await?;
        }
        edited?;
        Ok(chosen)
    }
}

/// Removes the upper layer's entry for `rel`; for a deletion inside a directory that
/// replaced the host's (opaque), puts the host's entry back into the layer instead.
fn drop_upper(
    layer: &ReviewLayer,
    ws: &std::path::Path,
    rel: &std::path::Path,
    kind: ChangeKind,
) -> Result<()> {
    let up = layer.upper.join(rel);
    match std::fs::symlink_metadata(&up) {
        Ok(m) if m.is_dir() => {
            if kind != ChangeKind::Modified {
                std::fs::remove_dir_all(&up)?;
            }
        }
        Ok(_) => std::fs::remove_file(&up)?,
        Err(_) if kind == ChangeKind::Deleted => {
            // Hidden by an opaque parent: the host's copy comes back as an unchanged entry.
            let host = ws.join(rel);
            if let Ok(m) = std::fs::symlink_metadata(&host) {
                if m.is_file() {
                    if let Some(parent) = up.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::copy(&host, &up)?;
                    let _ = std::os::unix::fs::lchown(&up, Some(m.uid()), Some(m.gid()));
                } else if m.is_dir() {
                    std::fs::create_dir_all(&up)?;
                }
            }
        }
        Err(_) => {}
    }
    Ok(())
}

/// The exec vectors among the changes that write files: what the git guard's scan finds in
/// each written file's new content.
fn exec_vectors_in(
    ws: &std::path::Path,
    upper: &std::path::Path,
    chosen: &[Change],
) -> Vec<ExecVector> {
    let written: Vec<&Change> = chosen
        .iter()
        .filter(|c| c.kind != ChangeKind::Deleted)
        .collect();
    if written.is_empty() {
        return Vec::new();
    }
    // Scan the layer, then keep what lies at a written path (mapped back to the workspace).
    crate::workspace::exec_vectors::scan(upper)
        .into_iter()
        .filter_map(|mut v| {
            let rel = v.path.strip_prefix(upper).ok()?.to_path_buf();
            let host = ws.join(&rel);
            written.iter().any(|c| c.path == host).then(|| {
                v.path = host;
                v
            })
        })
        .collect()
}
