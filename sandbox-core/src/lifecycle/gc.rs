//! Lifetimes enforced without a daemon: every `run` and `list` (so every `docksandbox run`,
//! `ls`, `exec`, `prune`), and `docksandbox gc` from a timer, removes the ephemeral sandboxes
//! whose owner process on this host is gone and those whose time to live is over, and stops
//! the ones idle for longer than their `--idle-stop` (no exec or session for that long, and no
//! process of their own running).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::backend::SandboxStatus;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::label_keys::{EXPIRES, IDLE_STOP, MANAGED, OWNER_PROCESS, SPEC};
use crate::model::owner_process;
use crate::sandbox::activity;
use crate::sandbox::Sandbox;

/// What a garbage collection did.
///
/// ```
/// let r = docksandbox::GcReport::default();
/// assert!(r.removed.is_empty() && r.stopped.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Sandboxes removed, with why: `(name, "its owner process is gone")`.
    pub removed: Vec<(String, String)>,
    /// Sandboxes stopped for being idle.
    pub stopped: Vec<String>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Collects what is due on `engine`.
pub(crate) async fn collect(engine: &Engine) -> Result<GcReport> {
    let backend = &engine.backend;
    let mut report = GcReport::default();
    let now = now();
    for s in backend.list(&[(MANAGED, "true")]).await? {
        if !s.labels.contains_key(SPEC) {
            continue;
        }
        let orphaned = s
            .labels
            .get(OWNER_PROCESS)
            .is_some_and(|o| owner_process::alive(o) == Some(false));
        let expired = s
            .labels
            .get(EXPIRES)
            .and_then(|e| e.parse::<u64>().ok())
            .is_some_and(|e| e <= now);
        let why = if orphaned {
            Some("its owner process is gone")
        } else if expired {
            Some("its time to live is over")
        } else {
            None
        };
        if let Some(why) = why {
            let sb = Sandbox::from_labels(backend.clone(), s.id, s.name.clone(), &s.labels)?;
            tracing::info!("removing sandbox `{}`: {why}", s.name);
            match sb.remove().await {
                Ok(()) | Err(Error::NotFound { .. }) => {
                    report.removed.push((s.name, why.to_string()))
                }
                Err(e) => tracing::warn!(error = %e, "could not remove sandbox `{}`", s.name),
            }
            continue;
        }
        let Some(idle) = s.labels.get(IDLE_STOP).and_then(|i| i.parse::<u64>().ok()) else {
            continue;
        };
        if s.status != SandboxStatus::Running {
            continue;
        }
        let Some(last) = activity::last_used(&s.name) else {
            // Never seen used from this host (being made, or made elsewhere): from now on.
            activity::touch(&s.name);
            continue;
        };
        let since = SystemTime::now()
            .duration_since(last)
            .unwrap_or_default()
            .as_secs();
        if since < idle {
            continue;
        }
        let sb = Sandbox::from_labels(backend.clone(), s.id, s.name.clone(), &s.labels)?;
        match sb.busy().await {
            Ok(true) => activity::touch(&s.name),
            Ok(false) => {
                tracing::info!("stopping sandbox `{}`: idle for {since} s", s.name);
                // Marked first: whoever sees it stopped sees why.
                activity::mark_idle_stopped(&s.name);
                match sb.stop().await {
                    Ok(()) => report.stopped.push(s.name),
                    Err(e) => {
                        activity::forget_idle_stop(&s.name);
                        tracing::warn!(error = %e, "could not stop sandbox `{}`", s.name)
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "could not look into sandbox `{}`", s.name),
        }
    }
    Ok(report)
}
