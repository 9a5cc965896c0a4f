//! What a review-mode agent changed: the upper layer of its overlay read against the host
//! workspace (the lower layer). Overlay keeps a new or changed entry in the upper layer,
//! a deletion as a whiteout (a character device 0:0) and a directory that replaced the
//! lower one as an opaque directory (`user.overlay.opaque = y`); a copied-up file whose
//! content and mode equal the host's (touched, or already applied) is no change.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::workspace::baseline::{stamp, Baseline};

/// What happened to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// New in the sandbox.
    Added,
    /// Content, mode or link target differs from the host's.
    Modified,
    /// Removed in the sandbox.
    Deleted,
    /// Moved: the host's [`Change::from`] is, unchanged, at [`Change::path`].
    Renamed,
}

/// What kind of entry a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryType {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
}

/// One change a review-mode agent made to the workspace.
///
/// ```
/// use docksandbox::{Change, ChangeKind};
/// # fn show(c: &Change) {
/// match c.kind {
///     ChangeKind::Renamed => println!("R {} -> {}", c.from.as_ref().unwrap().display(), c.path.display()),
///     k => println!("{k:?} {}", c.path.display()),
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The path, absolute (the same in the sandbox and on the host).
    pub path: PathBuf,
    /// What happened to it.
    pub kind: ChangeKind,
    /// For [`ChangeKind::Renamed`]: where it was.
    pub from: Option<PathBuf>,
    /// The entry's type (the new one; the old one for a deletion).
    pub entry: EntryType,
    /// The host's permission bits before (`None` when it did not exist).
    pub old_mode: Option<u32>,
    /// The permission bits after (`None` when deleted).
    pub new_mode: Option<u32>,
    /// Size in bytes after (before, for a deletion).
    pub size: u64,
    /// Whether either side is not text (holds a NUL byte).
    pub binary: bool,
}

impl Change {
    /// The one-letter status `A`, `M`, `D` or `R`, as `git status --short` shows them.
    pub fn letter(&self) -> char {
        match self.kind {
            ChangeKind::Added => 'A',
            ChangeKind::Modified => 'M',
            ChangeKind::Deleted => 'D',
            ChangeKind::Renamed => 'R',
        }
    }
}

/// An entry on one side, typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Absent,
    File,
    Dir,
    Symlink,
    Whiteout,
    Other,
}

fn side(meta: Option<&std::fs::Metadata>) -> Side {
    let Some(m) = meta else { return Side::Absent };
    let t = m.file_type();
    if t.is_dir() {
        Side::Dir
    } else if t.is_file() {
        Side::File
    } else if t.is_symlink() {
        Side::Symlink
    } else if t.is_char_device() && m.rdev() == 0 {
        Side::Whiteout
    } else {
        Side::Other
    }
}

fn entry_type(s: Side) -> EntryType {
    match s {
        Side::Dir => EntryType::Dir,
        Side::Symlink => EntryType::Symlink,
        _ => EntryType::File,
    }
}

/// Whether overlay marked the upper directory `p` as replacing the lower one.
fn opaque(p: &Path) -> bool {
    ["user.overlay.opaque", "trusted.overlay.opaque"]
        .iter()
        .any(|k| matches!(xattr_get(p, k).as_deref(), Some(b"y")))
}

/// One extended attribute of `p` (not following a symlink), `None` when absent or unreadable.
fn xattr_get(p: &Path, name: &str) -> Option<Vec<u8>> {
    xattr::get(p, name).ok().flatten()
}

/// Whether the first 8000 bytes of `p` hold a NUL (git's test for binary). A short read is
/// taken for the end of the file (what a regular file on a local file system gives): one
/// read per small file, which is most of what `diff` costs on a large tree.
pub(crate) fn is_binary(p: &Path) -> bool {
    let Ok(mut f) = std::fs::File::open(p) else {
        return false;
    };
    let mut buf = [0u8; 8000];
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => {
                n += k;
                if n < buf.len() {
                    break;
                }
            }
        }
    }
    buf[..n].contains(&0)
}

/// `f` of each item, in order; spread over the machine's cores when there are many (the
/// walk's stats and the binary checks open or stat every changed file: the slow part of a
/// large diff).
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 || items.len() < 256 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().expect("a diff worker panicked"))
            .collect()
    })
}

/// Fills [`Change::binary`]: a file is binary when its new content (in the layer) or, for an
/// edit, its host content is; a deleted file by its host content.
fn fill_binary(changes: &mut [Change], workspace: &Path, upper: &Path) {
    let flags = par_map(changes, |c: &Change| {
        if c.entry != EntryType::File {
            return false;
        }
        let rel = c.path.strip_prefix(workspace).unwrap_or(&c.path);
        match c.kind {
            ChangeKind::Deleted => is_binary(&c.path),
            ChangeKind::Modified => is_binary(&upper.join(rel)) || is_binary(&c.path),
            ChangeKind::Added | ChangeKind::Renamed => is_binary(&upper.join(rel)),
        }
    });
    for (c, b) in changes.iter_mut().zip(flags) {
        c.binary = b;
    }
}

/// Whether the files `a` and `b` hold the same bytes.
fn same_content(a: &Path, b: &Path) -> Result<bool> {
    let (mut fa, mut fb) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = read_full(&mut fa, &mut ba)?;
        let m = read_full(&mut fb, &mut bb)?;
        if n != m || ba[..n] != bb[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn digest(p: &Path) -> Result<[u8; 32]> {
    let mut f = std::fs::File::open(p)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(h.finalize().into())
}

struct Walk<'a> {
    workspace: &'a Path,
    upper: &'a Path,
    /// The upper layer's entries as they were when applied: unchanged since, they are no
    /// change (the host has them, or has since moved on).
    applied: &'a Baseline,
    out: Vec<Change>,
}

impl Walk<'_> {
    fn push(
        &mut self,
        rel: &Path,
        kind: ChangeKind,
        s: Side,
        old: Option<&std::fs::Metadata>,
        new: Option<&std::fs::Metadata>,
    ) {
        let abs = self.workspace.join(rel);
        self.out.push(Change {
            path: abs,
            kind,
            from: None,
            entry: entry_type(s),
            old_mode: old.map(|m| m.mode() & 0o7777),
            new_mode: new.map(|m| m.mode() & 0o7777),
            size: match (kind, s) {
                (_, Side::Dir) => 0,
                (ChangeKind::Deleted, _) => old.map_or(0, |m| m.len()),
                _ => new.map_or(0, |m| m.len()),
            },
            // Filled for every change at the end (`fill_binary`).
            binary: false,
        });
    }

    /// Everything under the host's `rel` (itself included, last), as deleted.
    fn deleted_tree(&mut self, rel: &Path, meta: &std::fs::Metadata) {
        let s = side(Some(meta));
        if s == Side::Dir {
            if let Ok(rd) = std::fs::read_dir(self.workspace.join(rel)) {
                let mut names: Vec<_> = rd.flatten().map(|e| e.file_name()).collect();
                names.sort();
                for n in names {
                    let r = rel.join(&n);
                    if let Ok(m) = std::fs::symlink_metadata(self.workspace.join(&r)) {
                        self.deleted_tree(&r, &m);
                    }
                }
            }
        }
        if matches!(s, Side::File | Side::Dir | Side::Symlink) {
            self.push(rel, ChangeKind::Deleted, s, Some(meta), None);
        }
    }

    /// The upper directory `rel`; `lower_dir`: whether the host's `rel` is a real directory
    /// (reached without symlinks), so that its entries are the lower side of ours.
    fn dir(&mut self, rel: &Path, lower_dir: bool) -> Result<()> {
        let up = self.upper.join(rel);
        let mut names: Vec<_> = std::fs::read_dir(&up)?
            .flatten()
            .map(|e| e.file_name())
            .collect();
        names.sort();
        if lower_dir && !rel.as_os_str().is_empty() && opaque(&up) {
            // It replaced the host's directory: what only the host has is gone.
            if let Ok(rd) = std::fs::read_dir(self.workspace.join(rel)) {
                let mut gone: Vec<_> = rd
                    .flatten()
                    .map(|e| e.file_name())
                    .filter(|n| !names.contains(n))
                    .collect();
                gone.sort();
                for n in gone {
                    let r = rel.join(&n);
                    if let Ok(m) = std::fs::symlink_metadata(self.workspace.join(&r)) {
                        self.deleted_tree(&r, &m);
                    }
                }
            }
        }
        let (upper, workspace) = (self.upper, self.workspace);
        let metas = par_map(&names, |n| {
            let r = rel.join(n);
            let um = std::fs::symlink_metadata(upper.join(&r));
            let lm = lower_dir
                .then(|| std::fs::symlink_metadata(workspace.join(&r)).ok())
                .flatten();
            (r, um, lm)
        });
        for (r, um, lm) in metas {
            self.entry(&r, &um?, lm.as_ref())?;
        }
        Ok(())
    }

    fn entry(
        &mut self,
        rel: &Path,
        um: &std::fs::Metadata,
        lm: Option<&std::fs::Metadata>,
    ) -> Result<()> {
        let (us, ls) = (side(Some(um)), side(lm));
        if us == Side::Other {
            return Ok(());
        }
        if us != Side::Dir && self.applied.get(rel) == Some(&stamp(um)) {
            return Ok(());
        }
        if us == Side::Whiteout {
            if let Some(lm) = lm {
                self.deleted_tree(rel, lm);
            }
            return Ok(());
        }
        if us == ls {
            match us {
                Side::Dir => {
                    if (um.mode() & 0o7777) != (lm.map_or(0, |m| m.mode()) & 0o7777) {
                        self.push(rel, ChangeKind::Modified, us, lm, Some(um));
                    }
                    return self.dir(rel, true);
                }
                Side::File => {
                    let lm = lm.expect("same side");
                    let same_mode = (um.mode() & 0o7777) == (lm.mode() & 0o7777);
                    let same = um.len() == lm.len()
                        && same_content(&self.upper.join(rel), &self.workspace.join(rel))?;
                    if !(same && same_mode) {
                        self.push(rel, ChangeKind::Modified, us, Some(lm), Some(um));
                    }
                }
                Side::Symlink => {
                    let a = std::fs::read_link(self.upper.join(rel))?;
                    let b = std::fs::read_link(self.workspace.join(rel))?;
                    if a != b {
                        self.push(rel, ChangeKind::Modified, us, lm, Some(um));
                    }
                }
                _ => {}
            }
            return Ok(());
        }
        // A new entry, or one whose type changed (the host's one is deleted first).
        if let Some(lm) = lm.filter(|_| ls != Side::Absent) {
            self.deleted_tree(rel, lm);
        }
        self.push(rel, ChangeKind::Added, us, None, Some(um));
        if us == Side::Dir {
            self.dir(rel, false)?;
        }
        Ok(())
    }
}

/// The changes in `upper` over `workspace`, sorted by path; a file deleted and the same
/// bytes added elsewhere are one rename.
pub(crate) fn compute(workspace: &Path, upper: &Path, applied: &Baseline) -> Result<Vec<Change>> {
    let mut w = Walk {
        workspace,
        upper,
        applied,
        out: Vec::new(),
    };
    if upper.is_dir() {
        w.dir(Path::new(""), true)?;
    }
    let mut out = pair_renames(w.out, workspace, upper)?;
    fill_binary(&mut out, workspace, upper);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Joins a deleted file and an added one with the same bytes into a rename.
fn pair_renames(changes: Vec<Change>, workspace: &Path, upper: &Path) -> Result<Vec<Change>> {
    let deleted: Vec<usize> = (0..changes.len())
        .filter(|&i| changes[i].kind == ChangeKind::Deleted && changes[i].entry == EntryType::File)
        .collect();
    if deleted.is_empty() {
        return Ok(changes);
    }
    let mut taken = vec![false; changes.len()];
    let mut renamed: Vec<(usize, PathBuf)> = Vec::new();
    let mut digests: std::collections::HashMap<usize, [u8; 32]> = Default::default();
    for (i, c) in changes.iter().enumerate() {
        if c.kind != ChangeKind::Added || c.entry != EntryType::File {
            continue;
        }
        let rel = c.path.strip_prefix(workspace).unwrap_or(&c.path);
        let mut added_digest = None;
        for &d in &deleted {
            let old = &changes[d];
            if taken[d] || old.size != c.size || old.old_mode != c.new_mode {
                continue;
            }
            let a = match added_digest {
                Some(a) => a,
                None => *added_digest.insert(digest(&upper.join(rel))?),
            };
            let b = match digests.get(&d) {
                Some(b) => *b,
                None => *digests.entry(d).or_insert(digest(&old.path)?),
            };
            if a == b {
                taken[d] = true;
                renamed.push((i, old.path.clone()));
                break;
            }
        }
    }
    let mut out: Vec<Change> = Vec::with_capacity(changes.len());
    let by_added: std::collections::HashMap<usize, PathBuf> = renamed.into_iter().collect();
    for (i, mut c) in changes.into_iter().enumerate() {
        if taken[i] {
            continue;
        }
        if let Some(from) = by_added.get(&i) {
            c.kind = ChangeKind::Renamed;
            c.old_mode = c.new_mode;
            c.from = Some(from.clone());
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An upper layer written by hand the way overlay writes it (whiteouts need root, so
    /// only the other shapes are made here; the real engine tests cover whiteouts).
    #[test]
    fn additions_edits_renames_and_untouched_copies() {
        let d = tempfile::tempdir().unwrap();
        let ws = d.path().join("ws");
        let up = d.path().join("upper");
        std::fs::create_dir_all(ws.join("src")).unwrap();
        std::fs::create_dir_all(up.join("src")).unwrap();
        std::fs::write(ws.join("src/same.txt"), "same").unwrap();
        std::fs::write(up.join("src/same.txt"), "same").unwrap();
        std::fs::write(ws.join("src/edit.txt"), "a\n").unwrap();
        std::fs::write(up.join("src/edit.txt"), "b\n").unwrap();
        std::fs::write(up.join("new.bin"), b"\0\x01").unwrap();
        std::fs::create_dir_all(up.join("newdir")).unwrap();
        std::fs::write(up.join("newdir/x"), "x").unwrap();
        let got = compute(&ws, &up, &Baseline::default()).unwrap();
        let short: Vec<(char, String, bool)> = got
            .iter()
            .map(|c| {
                (
                    c.letter(),
                    c.path.strip_prefix(&ws).unwrap().display().to_string(),
                    c.binary,
                )
            })
            .collect();
        assert_eq!(
            short,
            [
                ('A', "new.bin".into(), true),
                ('A', "newdir".into(), false),
                ('A', "newdir/x".into(), false),
                ('M', "src/edit.txt".into(), false),
            ]
        );
    }
}
