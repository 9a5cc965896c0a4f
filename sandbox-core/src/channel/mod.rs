//! The fast exec path: each sandbox handle keeps one connection to the in-sandbox process
//! server (`docksandbox-execd`, see `sandbox-execd/PROTOCOL.md`) and runs every command
//! through it. When the server is not there (a sandbox created by an older docksandbox, an
//! image that refuses it) the handle falls back to the engine's exec, saying why once.

mod connection;
pub(crate) mod helper_binary;
pub(crate) mod helper_volume;
mod process;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Weak};

use tokio::sync::Mutex;

use crate::backend::{Backend, ExecProcess, ExecRequest};
use crate::error::Result;
use connection::{Connection, OpenError};

/// Set to `off` (or `0`, `false`) to run every command through the engine's exec.
pub const CHANNEL_ENV: &str = "DOCKSANDBOX_EXEC_CHANNEL";

/// One sandbox handle's way of running commands.
#[derive(Debug)]
pub(crate) struct Channel {
    backend: Arc<dyn Backend>,
    container: String,
    name: String,
    state: Mutex<State>,
}

#[derive(Debug)]
enum State {
    /// Not connected yet, or the last attempt failed for a reason that may pass.
    Idle,
    /// Connected (possibly lost since: checked on use).
    Up(Arc<Connection>),
    /// The helper is unavailable for this sandbox: the engine's exec it is.
    Off,
}

impl Channel {
    /// Whether [`CHANNEL_ENV`] switches the helper off for channels made now.
    pub(crate) fn off_by_env() -> bool {
        std::env::var(CHANNEL_ENV).is_ok_and(|v| {
            matches!(
                v.to_ascii_lowercase().as_str(),
                "off" | "0" | "false" | "no"
            )
        })
    }

    /// The channel to container `container` (`name`) on `backend`: the one a live handle of
    /// this process holds, else a new one (connected on first use). Handles on one sandbox
    /// thus share one connection while any of them lives, and a re-run or `get` in the same
    /// process opens nothing.
    pub(crate) fn shared(backend: &Arc<dyn Backend>, container: &str, name: &str) -> Arc<Channel> {
        /// Live channels by (backend, container id, helper switched off).
        type Shared = HashMap<(usize, String, bool), Weak<Channel>>;
        static SHARED: LazyLock<std::sync::Mutex<Shared>> = LazyLock::new(Default::default);
        // A backend is told apart by its allocation: a live channel keeps its backend alive,
        // so the address of a live entry's backend cannot be reused.
        let key = (
            Arc::as_ptr(backend) as *const () as usize,
            container.to_string(),
            Self::off_by_env(),
        );
        let mut all = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = all.get(&key).and_then(Weak::upgrade) {
            return c;
        }
        all.retain(|_, c| c.strong_count() > 0);
        let c = Arc::new(Channel::new(
            backend.clone(),
            container.to_string(),
            name.to_string(),
        ));
        all.insert(key, Arc::downgrade(&c));
        c
    }

    fn new(backend: Arc<dyn Backend>, container: String, name: String) -> Self {
        let off = Self::off_by_env();
        if off {
            tracing::debug!(sandbox = %name, "{CHANNEL_ENV}=off: using the engine's exec");
        }
        Channel {
            backend,
            container,
            name,
            state: Mutex::new(if off { State::Off } else { State::Idle }),
        }
    }

    /// Starts `req` through the helper, or through the engine when the helper is unavailable.
    pub(crate) async fn exec(&self, req: ExecRequest) -> Result<ExecProcess> {
        // A connection can be lost between the check and the start: then connect again, once.
        for _ in 0..2 {
            match self.connection().await? {
                None => break,
                Some(conn) => {
                    if let Some(p) = conn.start(&req) {
                        return Ok(p);
                    }
                }
            }
        }
        self.backend.exec(&self.container, req).await
    }

    /// The live connection, (re)connecting when needed; `None` when the helper is unavailable.
    async fn connection(&self) -> Result<Option<Arc<Connection>>> {
        let mut state = self.state.lock().await;
        match &*state {
            State::Off => return Ok(None),
            State::Up(c) => match c.lost() {
                None => return Ok(Some(c.clone())),
                Some(reason) => {
                    tracing::info!(sandbox = %self.name, %reason, "exec helper connection lost; reconnecting")
                }
            },
            State::Idle => {}
        }
        match Connection::open(self.backend.as_ref(), &self.container).await {
            Ok(c) => {
                let c = Arc::new(c);
                *state = State::Up(c.clone());
                Ok(Some(c))
            }
            Err(OpenError::Missing(reason)) => {
                // Sandboxes made by an older docksandbox: expected, so not a warning.
                tracing::info!(
                    sandbox = %self.name,
                    %reason,
                    "this sandbox has no exec helper; using the engine's exec (slower). \
                     Sandboxes get the helper when created: `docksandbox rm` it and run again"
                );
                *state = State::Off;
                Ok(None)
            }
            Err(OpenError::Unavailable(reason)) => {
                tracing::warn!(
                    sandbox = %self.name,
                    %reason,
                    "the sandbox's exec helper is unavailable; using the engine's exec (slower). \
                     Sandboxes get the helper when created: `docksandbox rm` it and run again"
                );
                *state = State::Off;
                Ok(None)
            }
            Err(OpenError::Failed(e)) => {
                *state = State::Idle;
                Err(e)
            }
        }
    }
}
