//! Review mode's layer: an overlay volume whose lower layer is the host workspace and whose
//! upper layer — every write the agent makes — is a directory docksandbox keeps on the host,
//! `<state dir>/review/<sandbox>/upper`. The engine mounts it (the `local` driver, type
//! overlay) when the sandbox starts: no privileges inside the sandbox, and the sandbox's
//! writes survive restarts of the sandbox and of the engine.

use std::collections::HashMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::model::label_keys::{MANAGED, REVIEW_OF};
use crate::model::naming::review_volume;
use crate::workspace::baseline::Baseline;
use crate::workspace::state_dir::{state_dir, STATE_DIR_ENV};

/// The host directories of one review-mode sandbox's layer.
#[derive(Debug, Clone)]
pub(crate) struct ReviewLayer {
    /// `<state dir>/review/<sandbox>`.
    pub dir: PathBuf,
    /// The agent's writes: new and changed files, whiteouts for deletions.
    pub upper: PathBuf,
    /// Overlay's scratch directory (same filesystem as `upper`).
    pub work: PathBuf,
}

impl ReviewLayer {
    /// The layer of sandbox `name` (nothing is created).
    pub fn of(name: &str) -> Result<Self> {
        let root = state_dir().ok_or_else(|| {
            Error::invalid(
                "workspace_mode",
                format!("review mode keeps the agent's writes on this host, but no place for them is known: set {STATE_DIR_ENV} or HOME"),
            )
        })?;
        let dir = root.join("review").join(name);
        Ok(ReviewLayer {
            upper: dir.join("upper"),
            work: dir.join("work"),
            dir,
        })
    }

    /// The file recording what the workspace held when the layer was made.
    pub fn baseline_path(&self) -> PathBuf {
        self.dir.join("baseline.json")
    }

    /// Makes the layer's directories (the upper one owned like the workspace, so the agent
    /// can write at its top), records the workspace's baseline, and creates the overlay
    /// volume. Kept as they are when they exist (a concurrent `run` of the same sandbox).
    pub async fn prepare(&self, backend: &dyn Backend, name: &str, workspace: &Path) -> Result<()> {
        let ws_meta = std::fs::metadata(workspace)?;
        let fresh = !self.upper.exists();
        std::fs::create_dir_all(&self.work)?;
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))?;
        if fresh {
            std::fs::create_dir_all(&self.upper)?;
            std::fs::set_permissions(
                &self.upper,
                std::fs::Permissions::from_mode(ws_meta.mode() & 0o7777),
            )?;
            // Only root can give it away; anyone else owns the workspace they review.
            let _ = std::os::unix::fs::chown(&self.upper, Some(ws_meta.uid()), Some(ws_meta.gid()));
        }
        if fresh || !self.baseline_path().exists() {
            let ws = workspace.to_path_buf();
            let path = self.baseline_path();
            tokio::task::spawn_blocking(move || Baseline::record(&ws)?.save(&path))
                .await
                .map_err(|e| Error::Client(format!("baseline task: {e}")))??;
        }
        let labels = HashMap::from([
            (MANAGED.to_string(), "true".to_string()),
            (REVIEW_OF.to_string(), name.to_string()),
        ]);
        backend
            .ensure_overlay_volume(
                &review_volume(name),
                &labels,
                &workspace.to_string_lossy(),
                &self.upper.to_string_lossy(),
                &self.work.to_string_lossy(),
            )
            .await
    }

    /// Removes the overlay volume and the layer's directories (the agent's unapplied writes).
    pub async fn remove(backend: &dyn Backend, name: &str) -> Result<()> {
        match backend.remove_volume(&review_volume(name)).await {
            Ok(()) | Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        let layer = Self::of(name)?;
        match std::fs::remove_dir_all(&layer.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
