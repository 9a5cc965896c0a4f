//! An engine as every engine-facing step uses it: the backend and the caller's progress
//! observer. [`crate::Client`] holds one; templates and the lifecycle take it by reference,
//! so neither needs the client.

use std::sync::Arc;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::progress::{Progress, ProgressFn};

/// The backend plus the observer of long steps.
#[derive(Clone)]
pub(crate) struct Engine {
    /// The engine.
    pub(crate) backend: Arc<dyn Backend>,
    /// Where progress goes (the CLI's bar, a binding's callback), when anyone listens.
    pub(crate) progress: Option<ProgressFn>,
    /// The exec helper's volume once found or filled (`channel/helper_volume.rs`).
    pub(crate) helper_volume: Arc<tokio::sync::OnceCell<String>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("backend", &self.backend)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Engine {
    /// An engine on `backend`, nobody listening to its progress.
    pub(crate) fn new(backend: Arc<dyn Backend>) -> Self {
        Engine {
            backend,
            progress: None,
            helper_volume: Arc::default(),
        }
    }

    /// Reports one step to the observer, if any.
    pub(crate) fn report(&self, p: &Progress) {
        if let Some(f) = &self.progress {
            f(p);
        }
    }

    /// Pulls a missing template image, reporting progress.
    pub(crate) async fn pull(&self, image: &str) -> Result<()> {
        self.report(&Progress::Step {
            message: format!("pulling {image}"),
        });
        let observer = |p: &Progress| self.report(p);
        self.backend
            .pull(image, &observer)
            .await
            .map_err(|e| Error::ImageNotFound {
                image: image.to_string(),
                reason: format!("it is not on the engine and the pull failed: {e}"),
            })?;
        self.report(&Progress::Done {
            message: format!("pulled {image}"),
        });
        Ok(())
    }
}
