//! Files in and out of a sandbox: write, read, copy in, copy out (tar archives through the
//! backend; paths relative to the workspace).

use std::path::{Path, PathBuf};

use crate::archive;
use crate::error::{Error, Result};
use crate::model::validate;
use crate::sandbox::Sandbox;

/// An entry of a directory in a sandbox ([`Sandbox::list_dir`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DirEntry {
    /// Its name in the directory.
    pub name: String,
    /// `file`, `directory`, `symlink` or `other`.
    pub kind: String,
    /// Size in bytes (of the link itself for a symlink).
    pub size: u64,
}

/// Lists `$1` one entry a line, `KIND<TAB>SIZE<TAB>NAME`, with the sandbox's own `stat`.
const LIST_DIR: &str = r#"cd -- "$1" || exit 2
for f in * .[!.]* ..?*; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  stat -c '%F	%s	%n' -- "$f"
done"#;

impl Sandbox {
    /// The entries of directory `path` in the sandbox (relative paths are inside the
    /// workspace), sorted by name; hidden entries included.
    ///
    /// ```no_run
    /// # async fn f(sb: docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// for e in sb.list_dir(".").await? {
    ///     println!("{} {} {}", e.kind, e.size, e.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_dir(&self, path: &str) -> Result<Vec<DirEntry>> {
        let p = self.in_sandbox(path)?;
        let shown = p.to_string_lossy().into_owned();
        let out = self
            .exec(["sh", "-c", LIST_DIR, "sh", shown.as_str()])
            .await?;
        if out.exit_code != 0 {
            return Err(Error::File {
                path: shown,
                reason: format!(
                    "not a directory that can be listed ({})",
                    out.stderr_str().trim()
                ),
            });
        }
        let mut v: Vec<DirEntry> = out
            .stdout_str()
            .lines()
            .filter_map(|l| {
                let mut it = l.splitn(3, '\t');
                let kind = it.next()?;
                let size = it.next()?.parse().ok()?;
                let name = it.next()?.to_string();
                let kind = match kind {
                    "regular file" | "regular empty file" => "file",
                    "directory" => "directory",
                    "symbolic link" => "symlink",
                    _ => "other",
                };
                Some(DirEntry {
                    name,
                    kind: kind.into(),
                    size,
                })
            })
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }

    fn in_sandbox(&self, path: &str) -> Result<PathBuf> {
        if path.is_empty() || path.contains('\0') {
            return Err(Error::invalid("path", "is empty or contains NUL"));
        }
        let p = Path::new(path);
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.inner.spec.workspace.join(p)
        };
        Ok(validate::normalize_lexically(&abs))
    }

    fn owner(&self) -> (u64, u64) {
        let mut it = self.inner.user.split(':').map(|x| x.parse().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    }

    /// Writes `data` to `path` in the sandbox (relative paths are inside the workspace),
    /// owned by the sandbox user, mode 0644. The parent directory must exist.
    pub async fn write_file(&self, path: &str, data: impl AsRef<[u8]>) -> Result<()> {
        self.write_file_bytes(path, bytes::Bytes::copy_from_slice(data.as_ref()))
            .await
    }

    /// As [`Sandbox::write_file`], taking ownership of the data (a `Vec<u8>`, `Bytes`,
    /// `String`) so that it is sent without being copied.
    ///
    /// ```no_run
    /// # async fn demo(sb: docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// let big: Vec<u8> = vec![0; 64 << 20];
    /// sb.write_file_bytes("/tmp/big.bin", big).await?;
    /// # Ok(()) }
    /// ```
    pub async fn write_file_bytes(&self, path: &str, data: impl Into<bytes::Bytes>) -> Result<()> {
        let p = self.in_sandbox(path)?;
        let (dir, name) = archive::split(&p)?;
        let (uid, gid) = self.owner();
        let data = data.into();
        let tar = archive::single_file_tar(&name, data, 0o644, uid, gid)?;
        self.inner.backend.upload(&self.inner.id, &dir, tar).await
    }

    /// Reads the file at `path` in the sandbox (relative paths are inside the workspace).
    pub async fn read_file(&self, path: &str) -> Result<Vec<u8>> {
        let p = self.in_sandbox(path)?;
        let shown = p.to_string_lossy().into_owned();
        let tar = self.inner.backend.download(&self.inner.id, &shown).await?;
        archive::first_file(tar, shown).await
    }

    /// Copies a host file or directory into directory `dest_dir` of the sandbox.
    pub async fn copy_in(&self, host_path: impl AsRef<Path>, dest_dir: &str) -> Result<()> {
        let dir = self.in_sandbox(dest_dir)?;
        let tar = archive::tar_host_path(host_path.as_ref()).await?;
        self.inner
            .backend
            .upload(&self.inner.id, &dir.to_string_lossy(), tar)
            .await
    }

    /// Copies a file or directory of the sandbox into host directory `host_dir`.
    pub async fn copy_out(&self, path: &str, host_dir: impl AsRef<Path>) -> Result<()> {
        let p = self.in_sandbox(path)?;
        let tar = self
            .inner
            .backend
            .download(&self.inner.id, &p.to_string_lossy())
            .await?;
        archive::unpack(tar, host_dir.as_ref()).await
    }
}
