//! The check after start: the engine's mounts are the validated ones, and no validated host
//! path resolves elsewhere now (a symlink swapped in between check and use).

use std::path::Path;

use crate::backend::{ContainerConfig, ContainerDetails, MountKind};
use crate::error::{Error, Result};
use crate::model::paths::DOCKER_SOCKET_TARGET;

/// After start: the engine's mounts are the validated ones, and no validated host path
/// resolves elsewhere now (a symlink swapped in between check and use).
pub(crate) fn verify_mounts(config: &ContainerConfig, d: &ContainerDetails) -> Result<()> {
    let fail = |reason: String| Error::MountMismatch {
        name: config.name.clone(),
        reason,
    };
    for want in config.mounts.iter().filter(|m| m.kind == MountKind::Bind) {
        let got = d
            .mounts
            .iter()
            .find(|m| m.target == want.target)
            .ok_or_else(|| fail(format!("{} is not mounted", want.target)))?;
        if got.source != want.source || got.read_only != want.read_only {
            return Err(fail(format!(
                "{} comes from {} (read-only: {}), expected {} (read-only: {})",
                want.target, got.source, got.read_only, want.source, want.read_only
            )));
        }
        if want.target != DOCKER_SOCKET_TARGET {
            let now = std::fs::canonicalize(Path::new(&want.source))
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            if now != want.source {
                return Err(fail(format!(
                    "{} now resolves to {now:?}: it changed after validation",
                    want.source
                )));
            }
        }
    }
    Ok(())
}
