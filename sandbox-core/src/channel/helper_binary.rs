//! The in-sandbox process server `docksandbox-execd`, embedded in this library by `build.rs`:
//! where it goes in a sandbox and how it gets there (a tar upload through the Engine API
//! before the container starts, so it works with remote engines too).

use bytes::Bytes;

use crate::backend::Backend;
use crate::error::Result;
use crate::model::paths::EXECD_PATH;

/// The static helper binary; empty when this build could not make one (see `build.rs`).
static BINARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/docksandbox-execd"));

/// [`BINARY`]'s SHA-256, hex (written by `build.rs`).
static DIGEST: &str = include_str!(concat!(env!("OUT_DIR"), "/docksandbox-execd.sha256"));

/// The helper's bytes, when this build carries it.
pub(crate) fn embedded() -> Option<&'static [u8]> {
    (!BINARY.is_empty()).then_some(BINARY)
}

/// The embedded helper's SHA-256 (hex), when this build carries it.
pub(crate) fn digest() -> Option<&'static str> {
    embedded().map(|_| DIGEST)
}

/// Places the helper into the created (not yet started) container `id`. A no-op when this
/// build carries no helper.
pub(crate) async fn install(backend: &dyn Backend, id: &str) -> Result<()> {
    let Some(bin) = embedded() else {
        return Ok(());
    };
    let rel = EXECD_PATH.trim_start_matches('/');
    let tar = crate::archive::single_file_tar(rel, Bytes::from_static(bin), 0o700, 0, 0)?;
    backend.upload(id, "/", tar).await
}
