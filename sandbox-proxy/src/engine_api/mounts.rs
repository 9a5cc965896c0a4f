//! Bind mounts of a child: allowed only from inside the workspace, checked on the real file
//! system (the proxy sees the workspace at its host path): the source must be absolute, its
//! real path must equal it (no symlink anywhere, no `..`) and lie inside the workspace. A
//! source that does not exist yet (the engine creates it) is checked through its nearest
//! existing ancestor. The check is made at create and again at every start, when the engine
//! mounts.

use std::path::{Component, Path, PathBuf};

use super::refusal::Refusal;

/// Propagation modes a bind may ask for (the others would let mounts cross the boundary).
pub const PROPAGATION_OK: &[&str] = &["", "private", "rprivate"];

/// The parts of a `Binds` entry (`SRC:DST[:OPTS]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// Host path (absolute) or volume name.
    pub source: String,
    /// Path in the container.
    pub target: String,
    /// Options (`ro`, `rprivate`, …).
    pub options: Vec<String>,
}

impl Bind {
    /// Parses a `Binds` entry.
    ///
    /// ```
    /// use docksandbox_proxy::engine_api::mounts::Bind;
    /// let b = Bind::parse("/w/data:/data:ro").unwrap();
    /// assert_eq!((b.source.as_str(), b.target.as_str()), ("/w/data", "/data"));
    /// assert!(b.is_host_path());
    /// assert!(!Bind::parse("cache:/c").unwrap().is_host_path());
    /// ```
    pub fn parse(s: &str) -> Result<Bind, Refusal> {
        let parts: Vec<&str> = s.split(':').collect();
        let (source, target, options) = match parts.as_slice() {
            [t] => ("", *t, ""),
            [s, t] => (*s, *t, ""),
            [s, t, o] => (*s, *t, *o),
            _ => {
                return Err(Refusal::bad_request(format!(
                    "bind {s:?} is not SOURCE:TARGET[:OPTIONS]"
                )))
            }
        };
        Ok(Bind {
            source: source.to_string(),
            target: target.to_string(),
            options: options
                .split(',')
                .filter(|o| !o.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }

    /// Whether the source is a host path (else a volume name, or none: anonymous).
    pub fn is_host_path(&self) -> bool {
        self.source.starts_with('/')
    }

    /// Back to the `Binds` form.
    pub fn render(&self) -> String {
        let mut s = if self.source.is_empty() {
            self.target.clone()
        } else {
            format!("{}:{}", self.source, self.target)
        };
        if !self.options.is_empty() {
            s.push(':');
            s.push_str(&self.options.join(","));
        }
        s
    }

    /// Refuses options that would share mounts with the host or relabel host files.
    pub fn check_options(&self) -> Result<(), Refusal> {
        for o in &self.options {
            match o.as_str() {
                "ro" | "rw" | "nocopy" | "consistent" | "cached" | "delegated" => {}
                p if PROPAGATION_OK.contains(&p) => {}
                other => {
                    return Err(Refusal::forbidden(format!(
                        "bind option {other:?} of {} is refused by docksandbox's scoped Docker access (propagation may be private or rprivate only; no relabelling)",
                        self.source
                    )))
                }
            }
        }
        Ok(())
    }
}

/// Checks that host path `source` may be bind mounted: see the module's documentation.
///
/// ```
/// use docksandbox_proxy::engine_api::mounts::check_source;
/// let w = tempfile::tempdir().unwrap();
/// let w = w.path().canonicalize().unwrap();
/// std::fs::create_dir(w.join("d")).unwrap();
/// assert!(check_source(&w, w.join("d").to_str().unwrap()).is_ok());
/// assert!(check_source(&w, w.join("new/dir").to_str().unwrap()).is_ok());
/// assert!(check_source(&w, "/").is_err());
/// assert!(check_source(&w, &format!("{}/../../etc", w.display())).is_err());
/// std::os::unix::fs::symlink("/", w.join("lnk")).unwrap();
/// assert!(check_source(&w, w.join("lnk").to_str().unwrap()).is_err());
/// ```
pub fn check_source(workspace: &Path, source: &str) -> Result<(), Refusal> {
    let refuse = |why: &str| {
        Err(Refusal::forbidden(format!(
            "bind mount of {source} is refused by docksandbox's scoped Docker access: {why}; only paths inside the workspace {} can be mounted",
            workspace.display()
        )))
    };
    let path = Path::new(source);
    if !path.is_absolute() {
        return refuse("not an absolute path");
    }
    if path
        .components()
        .any(|c| !matches!(c, Component::RootDir | Component::Normal(_)))
        || source.contains("//")
        || (source.len() > 1 && source.ends_with('/'))
    {
        return refuse("not a canonical path");
    }
    if !path.starts_with(workspace) {
        return refuse("outside the workspace");
    }
    // The nearest existing ancestor must be itself (no symlink on the way) and in the workspace.
    let mut existing: PathBuf = path.to_path_buf();
    loop {
        match std::fs::symlink_metadata(&existing) {
            Ok(_) => break,
            Err(_) => {
                if !existing.pop() {
                    return refuse("no part of it exists");
                }
            }
        }
    }
    match existing.canonicalize() {
        Ok(real) if real == existing && real.starts_with(workspace) => Ok(()),
        Ok(real) => refuse(&format!(
            "{} is really {} (a symbolic link)",
            existing.display(),
            real.display()
        )),
        Err(e) => refuse(&format!("cannot resolve {}: {e}", existing.display())),
    }
}
