//! A warm pool: throwaway sandboxes of one spec, created and started in the background so that
//! taking one costs no engine work. For agent frameworks that run model-written code in a fresh
//! box and throw it away (the E2B use), by the hundred.
//!
//! Members are ordinary sandboxes: ephemeral (owned by this process, so the next docksandbox
//! call removes them if it dies), labelled with their pool (`docksandbox ls` shows them as
//! pooled), each on a fresh empty workspace directory of its own instead of a project. A member
//! is handed out once: [`Pool::take`] pops it from the pool's queue under a lock, with its exec
//! channel already connected, and a replacement starts. [`Pool::close`] removes the members,
//! handed out or not.

use crate::model::pool_member as member;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::lifecycle::client::Client;
use crate::lifecycle::run::RunOptions;
use crate::model::spec::SandboxSpec;
use crate::sandbox::Sandbox;

use crate::model::pool_member::discard_workspace;

/// The directory the pools' member workspaces are made in (a valid workspace to check a
/// member's spec against).
pub(crate) fn member_root() -> std::path::PathBuf {
    let r = member::root();
    let _ = member::make_private_dir(&r);
    r
}

/// How many members a pool keeps ready, and how many exist.
///
/// ```
/// let s = docksandbox::PoolStatus::default();
/// assert_eq!((s.ready, s.starting, s.taken), (0, 0, 0));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PoolStatus {
    /// The pool's name (its members are `NAME-xxxxxx`).
    pub name: String,
    /// How many members it keeps ready.
    pub size: usize,
    /// Members running and waiting to be taken.
    pub ready: usize,
    /// Members being created and started.
    pub starting: usize,
    /// Members handed out and not yet removed by the pool.
    pub taken: usize,
    /// Why the last member could not be made, if it could not.
    pub last_error: Option<String>,
}

/// Throwaway sandboxes of one spec, kept created and started.
///
/// ```no_run
/// # async fn demo() -> docksandbox::Result<()> {
/// use docksandbox::{NetworkMode, Sandbox, Shell};
/// let pool = Sandbox::builder().agent(Shell).network(docksandbox::NetworkMode::None).pool(4).await?;
/// let sb = pool.take().await?; // running, its exec channel connected
/// let out = sb.exec(["python3", "-c", "print(6 * 7)"]).await?;
/// # let _ = out;
/// sb.remove().await?; // or leave it to `pool.close()`
/// pool.close().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    client: Client,
    spec: SandboxSpec,
    name: String,
    size: usize,
    state: Mutex<State>,
    changed: Notify,
    closed: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    ready: VecDeque<Sandbox>,
    starting: usize,
    taken: Vec<Sandbox>,
    /// Consecutive failures, and the last one's message.
    failures: u32,
    last_error: Option<String>,
}

/// At most this many members are made at once (the engine serializes more anyway).
const PARALLEL_STARTS: usize = 4;

impl Pool {
    /// Starts a pool of `size` members of `spec` named `pool-xxxxxx`; see [`Pool::named`].
    pub async fn new(client: &Client, spec: SandboxSpec, size: usize) -> Result<Pool> {
        let name = format!("pool-{}", crate::model::naming::nonce());
        Pool::named(client, &name, spec, size).await
    }

    /// Starts a pool called `name` keeping `size` members of `spec` ready. `spec` has no
    /// workspace (each member gets a fresh empty one), no name and no branch; it is validated
    /// now, and the first members are being made when this returns (see [`Pool::wait_ready`]).
    pub async fn named(
        client: &Client,
        name: &str,
        spec: SandboxSpec,
        size: usize,
    ) -> Result<Pool> {
        crate::model::validate::container_name(name).map_err(|_| {
            Error::invalid(
                "pool",
                format!("`{}` must be 2-100 characters of letters, digits, `_`, `.` or `-`, starting with a letter or digit", name.escape_debug()),
            )
        })?;
        if name.len() > 100 {
            return Err(Error::invalid(
                "pool",
                format!("`{name}` is longer than 100 characters"),
            ));
        }
        if size == 0 || size > 256 {
            return Err(Error::invalid(
                "pool.size",
                format!("{size}: a pool keeps 1 to 256 sandboxes ready"),
            ));
        }
        if !spec.workspace.as_os_str().is_empty() {
            return Err(Error::invalid(
                "workspace",
                "a pool's sandboxes get fresh empty workspaces of their own: leave it unset",
            ));
        }
        if spec.name.is_some() {
            return Err(Error::invalid(
                "name",
                "a pool names its sandboxes (`POOL-xxxxxx`): leave it unset, or name the pool",
            ));
        }
        if spec.branch.is_some() {
            return Err(Error::invalid(
                "branch",
                "a pool's sandboxes have no repository: leave it unset",
            ));
        }
        if spec.ephemeral == Some(false) {
            return Err(Error::invalid(
                "ephemeral",
                "a pool's sandboxes are always ephemeral",
            ));
        }
        // Every other rule, checked once on a member's spec (its workspace made and removed).
        let probe = member::spec(name, &spec)?;
        let checked = probe.clone().validate();
        discard_workspace(&probe);
        checked?;
        let pool = Pool {
            shared: Arc::new(Shared {
                client: client.clone(),
                spec,
                name: name.to_string(),
                size,
                state: Mutex::new(State::default()),
                changed: Notify::new(),
                closed: AtomicBool::new(false),
            }),
        };
        pool.refill();
        Ok(pool)
    }

    /// Where the server of the pool `name` (`docksandbox pool serve`) listens: a socket in a
    /// directory only this host user can enter.
    pub fn control_socket(name: &str) -> std::path::PathBuf {
        member_root().join(format!("{name}.sock"))
    }

    /// The pool's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// How many are ready, starting and taken.
    pub fn status(&self) -> PoolStatus {
        let st = self.shared.state.lock().expect("pool state");
        PoolStatus {
            name: self.shared.name.clone(),
            size: self.shared.size,
            ready: st.ready.len(),
            starting: st.starting,
            taken: st.taken.len(),
            last_error: st.last_error.clone(),
        }
    }

    /// A running member, handed out to this caller only (its exec channel connected); a
    /// replacement starts. Waits while none is ready; fails when the pool is closed or its
    /// members cannot be made (the engine's reason).
    pub async fn take(&self) -> Result<Sandbox> {
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut st = self.shared.state.lock().expect("pool state");
                if self.shared.closed.load(Ordering::SeqCst) {
                    return Err(self.closed_error());
                }
                if let Some(sb) = st.ready.pop_front() {
                    st.taken.push(sb.clone());
                    drop(st);
                    self.refill();
                    return Ok(sb);
                }
                if st.starting == 0 && st.failures > 0 {
                    let why = st.last_error.clone().unwrap_or_default();
                    return Err(Error::StartFailed {
                        name: self.shared.name.clone(),
                        reason: format!("the pool cannot make its sandboxes: {why}"),
                    });
                }
            }
            changed.await;
        }
    }

    /// Waits until `size` members are ready (or one could not be made: its error).
    pub async fn wait_ready(&self) -> Result<()> {
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let st = self.shared.state.lock().expect("pool state");
                if self.shared.closed.load(Ordering::SeqCst) {
                    return Err(self.closed_error());
                }
                if st.ready.len() >= self.shared.size {
                    return Ok(());
                }
                if st.failures > 0 {
                    return Err(Error::StartFailed {
                        name: self.shared.name.clone(),
                        reason: format!(
                            "the pool cannot make its sandboxes: {}",
                            st.last_error.clone().unwrap_or_default()
                        ),
                    });
                }
            }
            changed.await;
        }
    }

    /// Stops refilling and removes every member, ready, handed out or still starting (and
    /// their workspaces). Taking afterwards fails.
    pub async fn close(&self) -> Result<()> {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.changed.notify_waiters();
        // The ones starting remove themselves when they are up.
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.shared.state.lock().expect("pool state").starting == 0 {
                break;
            }
            changed.await;
        }
        let members: Vec<Sandbox> = {
            let mut st = self.shared.state.lock().expect("pool state");
            let mut all: Vec<Sandbox> = st.ready.drain(..).collect();
            all.append(&mut st.taken);
            all
        };
        let removals = members.iter().map(|sb| async move {
            match sb.remove().await {
                Ok(()) | Err(Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e),
            }
        });
        let results = futures_util::future::join_all(removals).await;
        results.into_iter().collect::<Result<Vec<()>>>().map(|_| ())
    }

    fn closed_error(&self) -> Error {
        Error::invalid("pool", format!("the pool `{}` is closed", self.shared.name))
    }

    /// Starts as many member creations as the pool lacks (at most [`PARALLEL_STARTS`] at once).
    fn refill(&self) {
        let wanted = {
            let mut st = self.shared.state.lock().expect("pool state");
            if self.shared.closed.load(Ordering::SeqCst) {
                return;
            }
            let have = st.ready.len() + st.starting;
            let n = self
                .shared
                .size
                .saturating_sub(have)
                .min(PARALLEL_STARTS.saturating_sub(st.starting));
            st.starting += n;
            n
        };
        for _ in 0..wanted {
            let pool = self.clone();
            tokio::spawn(async move { pool.make_one().await });
        }
    }

    async fn make_one(&self) {
        let made = async {
            let spec = member::spec(&self.shared.name, &self.shared.spec)?;
            let made = self
                .shared
                .client
                .run(spec.clone(), RunOptions::default())
                .await;
            let sb = match made {
                Ok(sb) => sb,
                Err(e) => {
                    discard_workspace(&spec);
                    return Err(e);
                }
            };
            // Its exec channel connected before anyone takes it.
            if let Err(e) = sb.exec(["true"]).await {
                let _ = sb.remove().await;
                return Err(e);
            }
            Ok(sb)
        }
        .await;
        let made = match made {
            Ok(sb) if self.shared.closed.load(Ordering::SeqCst) => {
                // Closed while it started: it goes before `close` returns.
                let _ = sb.remove().await;
                Err(self.closed_error())
            }
            other => other,
        };
        let closed = self.shared.closed.load(Ordering::SeqCst);
        let backoff = {
            let mut st = self.shared.state.lock().expect("pool state");
            st.starting -= 1;
            match made {
                Err(_) if closed => None,
                Ok(sb) => {
                    st.ready.push_back(sb);
                    st.failures = 0;
                    st.last_error = None;
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e, pool = %self.shared.name, "could not make a pool sandbox");
                    st.failures += 1;
                    st.last_error = Some(e.to_string());
                    Some(Duration::from_millis(250 << st.failures.min(7)))
                }
            }
        };
        self.shared.changed.notify_waiters();
        if let Some(wait) = backoff {
            tokio::time::sleep(wait).await;
        }
        self.refill();
    }
}
