//! What the host workspace held when a review-mode sandbox was made: each entry's size,
//! modification time and mode. `apply` refuses a change whose host file differs from it
//! (the user edited it meanwhile), so a review never overwrites the user's own work.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// One entry's stamp: `(size, mtime in ns, mode with file type)`.
pub(crate) type Stamp = (u64, i128, u32);

/// The stamps of every entry under the workspace, by path relative to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Baseline {
    entries: BTreeMap<PathBuf, Stamp>,
}

/// The stamp of `meta`.
pub(crate) fn stamp(meta: &std::fs::Metadata) -> Stamp {
    let mtime = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
    // A directory's size and time change with its entries: only its kind and mode count.
    if meta.is_dir() {
        (0, 0, meta.mode())
    } else {
        (meta.len(), mtime, meta.mode())
    }
}

impl Baseline {
    /// Walks `workspace` (symlinks not followed).
    pub fn record(workspace: &Path) -> Result<Self> {
        let mut entries = BTreeMap::new();
        let mut stack = vec![PathBuf::new()];
        while let Some(rel) = stack.pop() {
            let dir = workspace.join(&rel);
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                let Ok(meta) = e.metadata() else { continue };
                let r = rel.join(e.file_name());
                if meta.is_dir() {
                    stack.push(r.clone());
                }
                entries.insert(r, stamp(&meta));
            }
        }
        Ok(Baseline { entries })
    }

    /// Writes it to `path` (atomically).
    pub fn save(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("json.tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec(self).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    /// Reads it from `path`; an absent file is an empty baseline.
    pub fn load(path: &Path) -> Result<Self> {
        match std::fs::read(path) {
            Ok(b) => Ok(serde_json::from_slice(&b).map_err(std::io::Error::other)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Baseline::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// The stamp recorded for `rel`.
    pub fn get(&self, rel: &Path) -> Option<&Stamp> {
        self.entries.get(rel)
    }

    /// Records `rel` as it is now (`None`: absent).
    pub fn set(&mut self, rel: &Path, now: Option<Stamp>) {
        match now {
            Some(s) => self.entries.insert(rel.to_path_buf(), s),
            None => self.entries.remove(rel),
        };
    }

    /// Forgets `rel` and everything under it.
    pub fn forget_under(&mut self, rel: &Path) {
        self.entries.retain(|p, _| !p.starts_with(rel));
    }

    /// Whether the host's entry at `rel` (its metadata now, `None` when absent) is not what
    /// the sandbox saw: changed, made or removed since the baseline.
    pub fn host_changed(&self, rel: &Path, now: Option<&std::fs::Metadata>) -> bool {
        match (self.entries.get(rel), now) {
            (None, None) => false,
            (Some(s), Some(m)) => *s != stamp(m),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_creations_and_removals_after_the_record_are_seen() {
        let d = tempfile::tempdir().unwrap();
        let ws = d.path();
        std::fs::create_dir(ws.join("sub")).unwrap();
        std::fs::write(ws.join("sub/a"), "a").unwrap();
        std::fs::write(ws.join("b"), "b").unwrap();
        let b = Baseline::record(ws).unwrap();
        let path = ws.join("baseline.json");
        b.save(&path).unwrap();
        let b = Baseline::load(&path).unwrap();
        let meta = |p: &str| std::fs::symlink_metadata(ws.join(p)).ok();
        assert!(!b.host_changed(Path::new("sub/a"), meta("sub/a").as_ref()));
        assert!(!b.host_changed(Path::new("sub"), meta("sub").as_ref()));
        std::fs::write(ws.join("sub/a"), "changed").unwrap();
        assert!(b.host_changed(Path::new("sub/a"), meta("sub/a").as_ref()));
        std::fs::remove_file(ws.join("b")).unwrap();
        assert!(b.host_changed(Path::new("b"), None));
        std::fs::write(ws.join("c"), "").unwrap();
        assert!(b.host_changed(Path::new("c"), meta("c").as_ref()));
        assert!(!b.host_changed(Path::new("never"), None));
    }
}
