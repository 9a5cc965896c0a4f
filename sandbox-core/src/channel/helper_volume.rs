//! The exec helper in a read-only volume, filled once per engine and helper build, that every
//! new sandbox mounts at [`EXECD_DIR`] instead of having the helper copied in on each create
//! (that copy was a quarter of a cold `run`; see BENCHMARKS.md).
//!
//! Per helper build (the first 16 hex digits of its SHA-256) two volumes, both labelled
//! [`EXECD`] with that digest: the data volume `docksandbox-execd-<digest>` holding `execd`,
//! and the marker `docksandbox-execd-<digest>-ready`, made only once the data volume is full.
//! A sandbox mounts the data volume only when both exist: nothing ever mounts a half-written
//! helper. Filling is serialized by a name: the never-started filler container
//! `docksandbox-execd-<digest>-fill` holds the lock; a `run` that finds the helper not ready,
//! or another process filling it, copies the helper in as before ([`super::helper_binary`]).

use std::collections::HashMap;

use bytes::Bytes;

use crate::backend::{
    Backend, ContainerConfig, Created, MountKind, MountRequest, SecuritySettings,
};
use crate::engine::Engine;
use crate::error::Result;
use crate::model::label_keys::EXECD;
use crate::model::paths::{EXECD_DIR, EXECD_FILE};

/// Where the filler container has the data volume while it is filled.
const FILL_DIR: &str = "/fill";

/// A filler lock older than this belongs to a process that died while filling: it is removed.
const STALE_LOCK_SECS: i64 = 120;

/// Set to `off` (or `0`, `false`) to copy the exec helper into each new sandbox instead of
/// mounting its shared read-only volume.
pub const HELPER_VOLUME_ENV: &str = "DOCKSANDBOX_HELPER_VOLUME";

/// The digest naming this build's helper volumes, when this build carries a helper.
fn digest() -> Option<&'static str> {
    super::helper_binary::digest().map(|d| &d[..16])
}

/// The data volume's name for helper digest `d`.
fn data_volume(d: &str) -> String {
    format!("docksandbox-execd-{d}")
}

/// The marker volume's name for helper digest `d`.
fn ready_volume(d: &str) -> String {
    format!("docksandbox-execd-{d}-ready")
}

/// The filler (lock) container's name for helper digest `d`.
fn filler(d: &str) -> String {
    format!("docksandbox-execd-{d}-fill")
}

/// The mount of the helper's data volume `volume` in a sandbox: read-only.
pub(crate) fn mount(volume: &str) -> MountRequest {
    MountRequest {
        kind: MountKind::Volume,
        source: volume.to_string(),
        target: EXECD_DIR.into(),
        read_only: true,
    }
}

/// Whether `config` mounts the helper volume (then nothing is copied in).
pub(crate) fn mounted(config: &ContainerConfig) -> bool {
    config.mounts.iter().any(|m| m.target == EXECD_DIR)
}

/// The helper's data volume, ready to mount: found on the engine, or filled now with the help
/// of `image` (any image the engine has; its container is never started). `None` when this
/// build has no helper, the engine refused a step, or another process is filling it: the
/// caller copies the helper in instead. A found volume is remembered by `engine`.
pub(crate) async fn ready(engine: &Engine, image: &str) -> Option<String> {
    let d = digest()?;
    if std::env::var(HELPER_VOLUME_ENV)
        .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "off" | "0" | "false"))
    {
        return None;
    }
    if let Some(v) = engine.helper_volume.get() {
        return Some(v.clone());
    }
    let backend = engine.backend.as_ref();
    let found = match is_ready(backend, d).await {
        Ok(true) => true,
        Ok(false) => match fill(backend, d, image).await {
            Ok(filled) => filled,
            Err(e) => {
                tracing::debug!(error = %e, "could not fill the exec helper's volume; copying the helper in");
                false
            }
        },
        Err(e) => {
            tracing::debug!(error = %e, "could not list the exec helper's volumes");
            false
        }
    };
    found.then(|| {
        let v = data_volume(d);
        let _ = engine.helper_volume.set(v.clone());
        v
    })
}

/// The helper volumes on the engine that are not this build's (`prune --volumes` removes
/// those no sandbox mounts): every marker first, so that no data volume outlives its marker.
pub(crate) async fn of_other_builds(backend: &dyn Backend) -> Result<Vec<String>> {
    let mine = digest().map(data_volume);
    let mut other: Vec<String> = backend
        .list_volumes(&[(EXECD, "")])
        .await?
        .into_iter()
        .filter(|v| mine.as_ref().is_none_or(|m| !v.starts_with(m.as_str())))
        .collect();
    other.sort_by_key(|v| !v.ends_with("-ready"));
    Ok(other)
}

/// Both volumes of digest `d` exist (one request).
async fn is_ready(backend: &dyn Backend, d: &str) -> Result<bool> {
    let names = backend.list_volumes(&[(EXECD, d)]).await?;
    Ok(names.contains(&data_volume(d)) && names.contains(&ready_volume(d)))
}

/// Fills the data volume under the filler lock, then makes the marker. `Ok(false)`: another
/// process holds the lock.
async fn fill(backend: &dyn Backend, d: &str, image: &str) -> Result<bool> {
    let Some(bin) = super::helper_binary::embedded() else {
        return Ok(false);
    };
    let labels = HashMap::from([(EXECD.to_string(), d.to_string())]);
    backend.ensure_volume(&data_volume(d), &labels).await?;
    let lock = filler(d);
    let id = match backend.create(&filler_config(&lock, image, d)).await? {
        Created::New(id) => id,
        Created::NameTaken => {
            // Another process is filling it, or died doing so long ago.
            if let Ok(held) = backend.inspect(&lock).await {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|t| t.as_secs() as i64)
                    .unwrap_or(0);
                if now - held.summary.created > STALE_LOCK_SECS {
                    tracing::info!("removing the exec helper's stale filler `{lock}`");
                    let _ = backend.remove(&held.summary.id, true).await;
                }
            }
            return Ok(false);
        }
    };
    let filled = async {
        // Under the lock: a marker made meanwhile means the helper may be in use already.
        if !is_ready(backend, d).await? {
            let tar =
                crate::archive::single_file_tar(EXECD_FILE, Bytes::from_static(bin), 0o700, 0, 0)?;
            backend.upload(&id, FILL_DIR, tar).await?;
            backend.ensure_volume(&ready_volume(d), &labels).await?;
        }
        Ok::<_, crate::Error>(())
    }
    .await;
    if let Err(e) = backend.remove(&id, true).await {
        tracing::warn!(error = %e, "could not remove the exec helper's filler `{lock}`");
    }
    filled.map(|()| true)
}

/// The filler: never started, it only holds the lock's name and mounts the data volume for the
/// upload.
fn filler_config(name: &str, image: &str, d: &str) -> ContainerConfig {
    ContainerConfig {
        name: name.to_string(),
        image: image.to_string(),
        labels: HashMap::from([(EXECD.to_string(), d.to_string())]),
        env: Vec::new(),
        // Never run: an entrypoint only because the engine wants a command.
        entrypoint: vec!["/docksandbox-execd-filler-never-runs".into()],
        user: "0:0".into(),
        working_dir: "/".into(),
        mounts: vec![MountRequest {
            kind: MountKind::Volume,
            source: data_volume(d),
            target: FILL_DIR.into(),
            read_only: false,
        }],
        security: SecuritySettings::hardened(16),
        cpus: None,
        memory: None,
        network: "none".into(),
        network_aliases: Vec::new(),
        dns: Vec::new(),
        sysctls: HashMap::new(),
        restart_unless_stopped: false,
        group_add: Vec::new(),
        ports: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_share_the_digest_and_the_mount_is_read_only() {
        assert_eq!(data_volume("ab"), "docksandbox-execd-ab");
        assert_eq!(ready_volume("ab"), "docksandbox-execd-ab-ready");
        assert_eq!(filler("ab"), "docksandbox-execd-ab-fill");
        let m = mount("v");
        assert!(m.read_only && m.kind == MountKind::Volume && m.target == EXECD_DIR);
        assert_eq!(
            format!("{EXECD_DIR}/{EXECD_FILE}"),
            crate::model::paths::EXECD_PATH
        );
    }
}
