//! The egress proxy's image: the static `docksandbox-proxy` program embedded in this library
//! (built by `build.rs`) imported as a one-file image, with no registry. Its tag carries a hash
//! of the program, so a changed program gets a new image.

use bytes::Bytes;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::label_keys::VERSION;

/// The static proxy program; empty when this build could not make one (see `build.rs`).
static BINARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/docksandbox-proxy"));

/// [`BINARY`]'s SHA-256, hex (written by `build.rs`).
static DIGEST: &str = include_str!(concat!(env!("OUT_DIR"), "/docksandbox-proxy.sha256"));

/// The user the proxy runs as (nobody), owner of its state directory.
pub(crate) const PROXY_USER: u64 = 65534;

/// Where the program lives in the image.
pub(crate) const PROGRAM: &str = "/docksandbox-proxy";

/// The image for this build's proxy program: `docksandbox/proxy:<version>-<hash>`.
pub(crate) fn tag() -> Result<String> {
    if BINARY.is_empty() {
        return Err(Error::StartFailed {
            name: "docksandbox-proxy".into(),
            reason: "this docksandbox was built without its egress proxy program (the static build failed: install the musl target with `rustup target add x86_64-unknown-linux-musl` and rebuild), so `--network proxy` cannot work; use --network none".into(),
        });
    }
    let hash = &DIGEST[..12];
    Ok(format!("docksandbox/proxy:{}-{hash}", crate::VERSION))
}

/// Makes sure the proxy image exists on the engine (imported once per program version).
pub(crate) async fn ensure(engine: &Engine) -> Result<String> {
    let tag = tag()?;
    if engine.backend.image(&tag).await?.is_some() {
        return Ok(tag);
    }
    let rootfs = rootfs()?;
    let changes = vec![
        format!("ENTRYPOINT [\"{PROGRAM}\", \"serve\"]"),
        format!("USER {PROXY_USER}:{PROXY_USER}"),
        format!("LABEL {VERSION}={}", crate::VERSION),
    ];
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(rootfs) });
    engine
        .backend
        .import(&tag, &changes, Box::pin(stream))
        .await?;
    Ok(tag)
}

/// The image's whole file system: the program, `/state` (the policy's directory) owned by the
/// proxy's user, `/ca` and `/sock` (the scoped-docker proxy's socket).
fn rootfs() -> Result<Bytes> {
    let mut b = tar::Builder::new(Vec::new());
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o700);
    dir.set_uid(PROXY_USER);
    dir.set_gid(PROXY_USER);
    dir.set_size(0);
    dir.set_mtime(0);
    let mut file = tar::Header::new_gnu();
    file.set_mode(0o755);
    file.set_size(BINARY.len() as u64);
    file.set_mtime(0);
    let io = |e: std::io::Error| Error::Client(format!("cannot archive the proxy program: {e}"));
    for d in ["etc/", "state/", "ca/", "sock/"] {
        let mut h = dir.clone();
        if d == "etc/" {
            h.set_uid(0);
            h.set_gid(0);
            h.set_mode(0o755);
        }
        if d == "sock/" {
            // The scoped-docker proxy's socket directory (its user is the workspace owner's).
            h.set_uid(0);
            h.set_gid(0);
            h.set_mode(0o1777);
        }
        if d == "ca/" {
            // The CA certificate's directory: readable in the sandbox it is mounted into.
            h.set_mode(0o755);
        }
        b.append_data(&mut h, d, std::io::empty()).map_err(io)?;
    }
    b.append_data(&mut file, PROGRAM.trim_start_matches('/'), BINARY)
        .map_err(io)?;
    Ok(Bytes::from(b.into_inner().map_err(io)?))
}
