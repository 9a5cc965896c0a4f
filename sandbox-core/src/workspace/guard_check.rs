//! `guard check`: the exec vectors that appeared or changed in a workspace since its sandbox
//! was made. The git guard makes existing repositories' hooks and config read-only, but a
//! repository the agent makes (`git init`, `git clone`) and files such as `.envrc` cannot be
//! guarded ahead of time; this scan finds them on the host side after the fact, against the
//! vectors recorded when the sandbox was created (`<state dir>/guard/<sandbox>.json`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::workspace::exec_vectors::{disable, scan, ExecVector};
use crate::workspace::state_dir::state_dir;

/// What a guard check found (and, with `fix`, did).
///
/// ```
/// let r = docksandbox::GuardReport::default();
/// assert!(r.is_clean());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardReport {
    /// The directory scanned.
    pub workspace: PathBuf,
    /// The sandbox whose creation-time record the scan was compared with (`None`: no
    /// sandbox of this workspace is known, every vector is reported).
    pub baseline_of: Option<String>,
    /// Vectors new or changed since that record.
    pub vectors: Vec<ExecVector>,
    /// With `fix`: what was done to each (renamed, key removed, backup kept).
    pub fixed: Vec<String>,
}

impl GuardReport {
    /// Whether nothing was found.
    pub fn is_clean(&self) -> bool {
        self.vectors.is_empty()
    }

    /// One line per vector, as the CLI prints them on stderr.
    pub fn lines(&self) -> Vec<String> {
        self.vectors
            .iter()
            .map(|v| {
                let kind = serde_json::to_value(v.kind)
                    .ok()
                    .and_then(|k| k.as_str().map(str::to_string))
                    .unwrap_or_default();
                format!("{}: {kind} `{}`", v.path.display(), v.key)
            })
            .collect()
    }
}

fn record_path(name: &str) -> Option<PathBuf> {
    Some(state_dir()?.join("guard").join(format!("{name}.json")))
}

/// Records the vectors `workspace` holds now, for sandbox `name` (at its creation).
pub(crate) fn record(name: &str, workspace: &Path) -> Result<()> {
    let Some(path) = record_path(name) else {
        return Ok(());
    };
    let prints: BTreeSet<String> = scan(workspace).into_iter().map(|v| v.fingerprint).collect();
    std::fs::create_dir_all(path.parent().expect("has a parent"))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec(&prints).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, &path)?;
    Ok(())
}

/// The record of sandbox `name`, `None` when there is none.
fn recorded(name: &str) -> Option<BTreeSet<String>> {
    let bytes = std::fs::read(record_path(name)?).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Forgets sandbox `name`'s record.
pub(crate) fn forget(name: &str) {
    if let Some(p) = record_path(name) {
        let _ = std::fs::remove_file(p);
    }
}

/// Scans `workspace` against the record of the first of `sandboxes` that has one (the
/// oldest sandbox first: its record predates what later ones' agents wrote); with `fix`,
/// disables what it found.
pub(crate) fn check(workspace: &Path, sandboxes: &[String], fix: bool) -> Result<GuardReport> {
    if !workspace.is_dir() {
        return Err(Error::invalid(
            "workspace",
            format!("{} is not a directory", workspace.display()),
        ));
    }
    let (baseline_of, known) = sandboxes
        .iter()
        .find_map(|n| recorded(n).map(|r| (Some(n.clone()), r)))
        .unwrap_or_default();
    let vectors: Vec<ExecVector> = scan(workspace)
        .into_iter()
        .filter(|v| !known.contains(&v.fingerprint))
        .collect();
    let fixed = if fix { disable(&vectors)? } else { Vec::new() };
    Ok(GuardReport {
        workspace: workspace.to_path_buf(),
        baseline_of,
        vectors,
        fixed,
    })
}
