//! An engine as every engine-facing step uses it: the backend and the caller's progress
//! observer. [`crate::Client`] holds one; templates and the lifecycle take it by reference,
//! so neither needs the client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use crate::backend::Backend;
use crate::channel::Channel;
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
    /// The exec channels of this process's live handles, by container id (and whether the
    /// helper was switched off): a new handle on a sandbox another handle still holds shares
    /// its open channel instead of opening one (a re-run then costs no engine exec).
    channels: Arc<Mutex<SharedChannels>>,
}

/// Live exec channels by (container id, helper switched off).
type SharedChannels = HashMap<(String, bool), Weak<Channel>>;

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
            channels: Arc::default(),
        }
    }

    /// The exec channel to container `id` (`name`): the one a live handle of this engine
    /// holds, else a new one (connected on first use).
    pub(crate) fn channel(&self, id: &str, name: &str) -> Arc<Channel> {
        let key = (id.to_string(), Channel::off_by_env());
        let mut all = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = all.get(&key).and_then(Weak::upgrade) {
            return c;
        }
        all.retain(|_, c| c.strong_count() > 0);
        let c = Arc::new(Channel::new(
            self.backend.clone(),
            id.to_string(),
            name.to_string(),
        ));
        all.insert(key, Arc::downgrade(&c));
        c
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
