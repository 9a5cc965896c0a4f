//! Waiting for a started sandbox: its entrypoint's setup prints [`READY_MARKER`] once the
//! sandbox user exists and execs may start.

use std::time::Duration;

use crate::backend::{Backend, ContainerDetails, SandboxStatus};
use crate::error::{Error, Result};

/// Printed by the setup when the sandbox is ready for execs.
pub(crate) const READY_MARKER: &str = "docksandbox-ready";

/// How long the in-container setup may take before giving up.
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Waits until the container `d` (just started) printed the ready marker.
pub(crate) async fn wait_ready(
    backend: &dyn Backend,
    name: &str,
    d: &ContainerDetails,
) -> Result<()> {
    if d.summary.status != SandboxStatus::Running {
        return Err(Error::StartFailed {
            name: name.to_string(),
            reason: format!("it is {} right after start", d.summary.status),
        });
    }
    backend
        .wait_for_output(
            &d.summary.id,
            d.started_at.as_deref(),
            READY_MARKER,
            READY_TIMEOUT,
        )
        .await
        .map_err(|e| match e {
            Error::StartFailed { reason, .. } => Error::StartFailed {
                name: name.to_string(),
                reason,
            },
            e => e,
        })
}
