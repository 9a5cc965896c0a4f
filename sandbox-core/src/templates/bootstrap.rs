//! Producing the base image without a registry: debootstrap a Debian root filesystem from
//! Debian's packages and import it: asked for (`docksandbox template build --bootstrap`), or
//! when a template build finds no registry answering for its Debian base (said in one line).
//! It runs a root program (debootstrap) on the host.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::StreamExt;
use std::io::Write;

use tokio::io::AsyncBufReadExt;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::progress::Progress;

/// The image `--bootstrap` produces when no base image is named.
pub const BOOTSTRAP_IMAGE: &str = "docksandbox/debian:bookworm";

/// Environment variable naming the Debian mirror debootstrap downloads from.
pub const MIRROR_ENV: &str = "DOCKSANDBOX_DEBIAN_MIRROR";

/// What to bootstrap.
///
/// ```
/// let o = docksandbox::BootstrapOptions::default();
/// assert_eq!(o.image, docksandbox::BOOTSTRAP_IMAGE);
/// assert_eq!(o.suite, "bookworm");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapOptions {
    /// The image to produce.
    pub image: String,
    /// The Debian release.
    pub suite: String,
    /// The mirror; `DOCKSANDBOX_DEBIAN_MIRROR`, else the host's apt mirror, else deb.debian.org.
    pub mirror: Option<String>,
    /// Produce it again even when it exists.
    pub force: bool,
}

impl Default for BootstrapOptions {
    fn default() -> Self {
        BootstrapOptions {
            image: BOOTSTRAP_IMAGE.to_string(),
            suite: "bookworm".to_string(),
            mirror: None,
            force: false,
        }
    }
}

/// The mirror apt is configured with on this host (deb822 or one-line sources).
fn host_mirror() -> Option<String> {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(rd) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        more.sort();
        files.extend(more);
    }
    for f in files {
        if let Some(m) = std::fs::read_to_string(&f).ok().and_then(|t| mirror_in(&t)) {
            return Some(m);
        }
    }
    None
}

/// The first non-security http(s) mirror in an apt sources text.
fn mirror_in(text: &str) -> Option<String> {
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let url = match words.as_slice() {
            ["URIs:", url, ..] => url,
            ["deb", url, ..] if !url.starts_with('[') => url,
            _ => continue,
        };
        if url.starts_with("http") && !url.contains("security") {
            return Some(url.to_string());
        }
    }
    None
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin"])
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file());
    found
}

/// The effective uid of this process (owner of `/proc/self`).
fn euid() -> Option<u32> {
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

/// Produces `options.image` from Debian's packages with debootstrap (minbase variant) and
/// imports it into the engine; a no-op when the image exists (unless `options.force`).
/// Needs root and the `debootstrap` program on this host.
pub(crate) async fn bootstrap_base_image(
    engine: &Engine,
    options: &BootstrapOptions,
) -> Result<()> {
    crate::model::validate::template(&options.image)?;
    let fail = |reason: String| Error::BootstrapFailed {
        image: options.image.clone(),
        reason,
    };
    if !options.force && engine.backend.image(&options.image).await?.is_some() {
        return Ok(());
    }
    let debootstrap = find_program("debootstrap").ok_or_else(|| {
        fail("debootstrap is not installed: `apt-get install debootstrap` (Debian/Ubuntu), or set DOCKSANDBOX_BASE_IMAGE to a Debian image you have".into())
    })?;
    if euid() != Some(0) {
        return Err(fail(
            "debootstrap needs root: run this as root (e.g. with sudo), or set DOCKSANDBOX_BASE_IMAGE to a Debian image you have".into(),
        ));
    }
    let mirror = options
        .mirror
        .clone()
        .or_else(|| std::env::var(MIRROR_ENV).ok().filter(|m| !m.is_empty()))
        .or_else(host_mirror)
        .unwrap_or_else(|| "http://deb.debian.org/debian".to_string());
    let work = tempfile::Builder::new()
        .prefix("docksandbox-bootstrap-")
        .tempdir()?;
    let root = work.path().join("rootfs");
    engine.report(&Progress::Step {
        message: format!(
            "debootstrap {} from {mirror} into {}",
            options.suite, options.image
        ),
    });
    let mut child = tokio::process::Command::new(&debootstrap)
        .args(["--variant=minbase", &options.suite])
        .arg(&root)
        .arg(&mirror)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| fail(format!("cannot start {}: {e}", debootstrap.display())))?;
    let mut tail = std::collections::VecDeque::new();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut errs = tokio::io::BufReader::new(child.stderr.take().expect("piped")).lines();
    let mut out_open = true;
    let mut err_open = true;
    while out_open || err_open {
        let line = tokio::select! {
            l = lines.next_line(), if out_open => l?.or_else(|| { out_open = false; None }),
            l = errs.next_line(), if err_open => l?.or_else(|| { err_open = false; None }),
        };
        if let Some(line) = line {
            tail.push_back(line.clone());
            if tail.len() > 20 {
                tail.pop_front();
            }
            engine.report(&Progress::Build {
                image: options.image.clone(),
                step: None,
                line,
            });
        }
    }
    let status = child.wait().await?;
    if !status.success() {
        return Err(fail(format!(
            "debootstrap failed ({status}); its last lines:\n{}",
            tail.into_iter().collect::<Vec<_>>().join("\n")
        )));
    }
    for leftover in ["var/cache/apt/archives", "var/lib/apt/lists"] {
        clear_dir(&root.join(leftover));
    }
    let rootfs = rootfs_stream(root);
    let changes = vec![
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
        "ENV LANG=C.UTF-8".to_string(),
        "CMD [\"/bin/bash\"]".to_string(),
        format!(
            "LABEL docksandbox.bootstrap={} docksandbox.version={}",
            options.suite,
            crate::VERSION
        ),
    ];
    engine
        .backend
        .import(&options.image, &changes, rootfs)
        .await?;
    engine.report(&Progress::Done {
        message: format!("imported {}", options.image),
    });
    drop(work);
    Ok(())
}

/// Removes the files of `dir` (package caches), keeping the directory.
fn clear_dir(dir: &Path) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_file()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// A tar stream of the root filesystem, written by a blocking task (`/dev`, `/proc` and
/// `/sys` are left empty: the engine provides them).
fn rootfs_stream(
    root: PathBuf,
) -> futures_util::stream::BoxStream<'static, std::io::Result<Bytes>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(16);
    tokio::task::spawn_blocking(move || {
        let writer = std::io::BufWriter::with_capacity(1 << 20, ChannelWriter { tx: tx.clone() });
        let mut b = tar::Builder::new(writer);
        b.follow_symlinks(false);
        let result = (|| -> std::io::Result<()> {
            for entry in std::fs::read_dir(&root)? {
                let entry = entry?;
                let name = entry.file_name();
                let path = entry.path();
                if ["dev", "proc", "sys"].contains(&name.to_str().unwrap_or_default()) {
                    b.append_dir(&name, &path)?;
                } else if entry.file_type()?.is_dir() {
                    b.append_dir_all(&name, &path)?;
                } else {
                    b.append_path_with_name(&path, &name)?;
                }
            }
            b.into_inner()?.flush()
        })();
        if let Err(e) = result {
            let _ = tx.blocking_send(Err(e));
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) })
        .boxed()
}

struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tx
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "import ended"))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn mirrors_are_read_from_both_source_formats() {
        let deb822 = "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n\nURIs: http://deb.debian.org/debian-security\n";
        assert_eq!(
            super::mirror_in(deb822).as_deref(),
            Some("http://mirror.example/debian")
        );
        let one_line = "# c\ndeb http://security.debian.org/ bookworm-security main\ndeb https://m.example/debian bookworm main\n";
        assert_eq!(
            super::mirror_in(one_line).as_deref(),
            Some("https://m.example/debian")
        );
        assert_eq!(
            super::mirror_in("deb [arch=amd64] http://x bookworm main"),
            None
        );
    }
}
