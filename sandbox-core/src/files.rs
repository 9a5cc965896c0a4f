//! Tar archives in and out of sandboxes (the Engine API's file transport).

use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::error::{Error, Result};

fn file_err(path: impl std::fmt::Display, e: impl std::fmt::Display) -> Error {
    Error::File {
        path: path.to_string(),
        reason: e.to_string(),
    }
}

/// Splits an absolute path into (parent directory, file name).
pub(crate) fn split(p: &Path) -> Result<(String, String)> {
    let name = p
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| file_err(p.display(), "names no file"))?;
    let dir = p.parent().unwrap_or(Path::new("/"));
    Ok((dir.to_string_lossy().into_owned(), name.to_string()))
}

/// A tar holding one regular file, as chunks sent one after the other: the header, the data
/// itself (not copied again), padding and the end blocks.
pub(crate) fn single_file_tar(
    name: &str,
    data: Bytes,
    mode: u32,
    uid: u64,
    gid: u64,
) -> Result<Vec<Bytes>> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(mode);
    header.set_uid(uid);
    header.set_gid(gid);
    header.set_mtime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    );
    header.set_entry_type(tar::EntryType::Regular);
    if name.len() > 100 {
        // Long names need an extra GNU entry: let the tar crate write the whole archive.
        let mut b = tar::Builder::new(Vec::with_capacity(data.len() + 4096));
        b.append_data(&mut header, name, &data[..])
            .map_err(|e| file_err(name, e))?;
        return Ok(vec![b.into_inner().map_err(|e| file_err(name, e))?.into()]);
    }
    header.set_path(name).map_err(|e| file_err(name, e))?;
    header.set_cksum();
    let padding = (512 - data.len() % 512) % 512;
    Ok(vec![
        Bytes::copy_from_slice(header.as_bytes()),
        data,
        Bytes::from(vec![0u8; padding + 1024]),
    ])
}

/// The content of the first regular file in a tar.
pub(crate) fn first_file(tar: &[u8], shown: &str) -> Result<Vec<u8>> {
    let mut a = tar::Archive::new(tar);
    let mut entries = a.entries().map_err(|e| file_err(shown, e))?;
    let Some(entry) = entries.next() else {
        return Err(file_err(shown, "not found"));
    };
    let mut entry = entry.map_err(|e| file_err(shown, e))?;
    match entry.header().entry_type() {
        tar::EntryType::Regular | tar::EntryType::Continuous => {
            let mut out = Vec::with_capacity(entry.size() as usize);
            entry
                .read_to_end(&mut out)
                .map_err(|e| file_err(shown, e))?;
            Ok(out)
        }
        tar::EntryType::Directory => Err(file_err(shown, "is a directory")),
        _ => Err(file_err(shown, "is not a regular file")),
    }
}

/// A tar of a host file or directory (named after its last component).
pub(crate) async fn tar_host_path(p: &Path) -> Result<Vec<Bytes>> {
    let p: PathBuf = p.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let name = p
            .file_name()
            .ok_or_else(|| file_err(p.display(), "names no file"))?
            .to_owned();
        let mut b = tar::Builder::new(Vec::new());
        b.follow_symlinks(false);
        let meta = std::fs::metadata(&p).map_err(|e| file_err(p.display(), e))?;
        if meta.is_dir() {
            b.append_dir_all(&name, &p)
        } else {
            b.append_path_with_name(&p, &name)
        }
        .map_err(|e| file_err(p.display(), e))?;
        Ok(vec![b
            .into_inner()
            .map_err(|e| file_err(p.display(), e))?
            .into()])
    })
    .await
    .map_err(|e| Error::Client(format!("tar task failed: {e}")))?
}

/// Unpacks a tar into a host directory (entries may not escape it).
pub(crate) async fn unpack(tar: Bytes, dir: &Path) -> Result<()> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut a = tar::Archive::new(&tar[..]);
        a.set_preserve_permissions(false);
        a.set_overwrite(true);
        a.unpack(&dir).map_err(|e| file_err(dir.display(), e))
    })
    .await
    .map_err(|e| Error::Client(format!("untar task failed: {e}")))?
}
