//! Workspace protection: a review-mode sandbox's changes (`sb.diff`, `diffText`, `apply`,
//! `discard`) and the guard check (`sb.guardCheck`, `guardCheck`). The options map field by
//! field onto the core's; the words (`added`, `git-hook`, …) are the core's serde words, the
//! same as the CLI's `--json`.

use std::path::PathBuf;

use napi_derive::napi;

/// Options of `sb.diff()` and `sb.discard()`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct DiffOptions {
    /// Only the changes at or under these paths (absolute, or relative to the workspace);
    /// every change when absent. A path that holds no change rejects with `INVALID_SPEC`.
    pub paths: Option<Vec<String>>,
}

/// Options of `sb.diffText()`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct DiffTextOptions {
    /// Only the changes at or under these paths (absolute, or relative to the workspace).
    pub paths: Option<Vec<String>>,
    /// One `A/M/D/R path` line per change and a count instead of the unified diff.
    pub stat: Option<bool>,
}

/// Options of `sb.apply()`: the fields of the core's `ApplyOptions`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct ApplyOptions {
    /// Only the changes at or under these paths (absolute, or relative to the workspace);
    /// every change when absent. A path that holds no change rejects with `INVALID_SPEC`.
    pub paths: Option<Vec<String>>,
    /// Report what would be applied; change nothing.
    pub dry_run: Option<bool>,
    /// Apply even over host files that changed since the sandbox was made.
    pub force: Option<bool>,
    /// Apply changes that would make the host run programs (git hooks and config, `.envrc`,
    /// editor tasks); refused otherwise.
    pub allow_exec_vectors: Option<bool>,
}

impl From<ApplyOptions> for docksandbox::ApplyOptions {
    fn from(o: ApplyOptions) -> Self {
        // Every field written out: a field added to the core fails to compile here.
        docksandbox::ApplyOptions {
            paths: paths(o.paths),
            dry_run: o.dry_run.unwrap_or_default(),
            force: o.force.unwrap_or_default(),
            allow_exec_vectors: o.allow_exec_vectors.unwrap_or_default(),
        }
    }
}

/// Options of `sb.guardCheck()` and `guardCheck()`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct GuardCheckOptions {
    /// Disable what was found: hooks renamed `*.disabled`, keys removed (a backup kept).
    pub fix: Option<bool>,
}

/// The paths as the core takes them (it resolves relative ones against the workspace).
pub(crate) fn paths(p: Option<Vec<String>>) -> Vec<PathBuf> {
    p.unwrap_or_default()
        .into_iter()
        .map(PathBuf::from)
        .collect()
}

/// A path as JavaScript text.
fn text(p: PathBuf) -> String {
    p.to_string_lossy().into_owned()
}

/// The core's serde word for one of its enums (`added`, `file`, `git-hook`, …).
fn word(v: serde_json::Result<serde_json::Value>) -> String {
    match v {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// One change a review-mode agent made to the workspace.
#[napi(object)]
#[derive(Debug)]
pub struct Change {
    /// The path, absolute (the same in the sandbox and on the host).
    pub path: String,
    /// What happened to it.
    #[napi(ts_type = "'added' | 'modified' | 'deleted' | 'renamed'")]
    pub kind: String,
    /// For `renamed`: where it was.
    pub from: Option<String>,
    /// The entry's type (the new one; the old one for a deletion).
    #[napi(ts_type = "'file' | 'dir' | 'symlink'")]
    pub entry: String,
    /// The host's permission bits before (absent when it did not exist).
    pub old_mode: Option<u32>,
    /// The permission bits after (absent when deleted).
    pub new_mode: Option<u32>,
    /// Size in bytes after (before, for a deletion).
    pub size: f64,
    /// Whether either side is not text (holds a NUL byte).
    pub binary: bool,
}

impl From<docksandbox::Change> for Change {
    fn from(c: docksandbox::Change) -> Self {
        // Destructured in full: a field added to the core fails to compile here.
        let docksandbox::Change {
            path,
            kind,
            from,
            entry,
            old_mode,
            new_mode,
            size,
            binary,
        } = c;
        Change {
            path: text(path),
            kind: word(serde_json::to_value(kind)),
            from: from.map(text),
            entry: word(serde_json::to_value(entry)),
            old_mode,
            new_mode,
            size: size as f64,
            binary,
        }
    }
}

/// The changes as JavaScript objects.
pub(crate) fn changes(v: Vec<docksandbox::Change>) -> Vec<Change> {
    v.into_iter().map(Change::from).collect()
}

/// One file through which the host would run a program.
#[napi(object)]
#[derive(Debug)]
pub struct ExecVector {
    /// The file (absolute host path).
    pub path: String,
    /// How it runs a program.
    #[napi(
        ts_type = "'git-hook' | 'git-config' | 'git-attributes' | 'envrc' | 'vscode-task' | 'vscode-settings'"
    )]
    pub kind: String,
    /// What in the file: the hook's name, the config key, the attributes line, the setting.
    pub key: String,
    /// A digest of the path, kind, key and value: a vector that changed is a new one.
    pub fingerprint: String,
}

impl From<docksandbox::ExecVector> for ExecVector {
    fn from(v: docksandbox::ExecVector) -> Self {
        // Destructured in full: a field added to the core fails to compile here.
        let docksandbox::ExecVector {
            path,
            kind,
            key,
            fingerprint,
        } = v;
        ExecVector {
            path: text(path),
            kind: word(serde_json::to_value(kind)),
            key,
            fingerprint,
        }
    }
}

/// What a guard check found (and, with `fix`, did).
#[napi(object)]
#[derive(Debug)]
pub struct GuardReport {
    /// The directory scanned.
    pub workspace: String,
    /// The sandbox whose creation-time record the scan was compared with (absent: no sandbox
    /// of this workspace is known, every vector is reported).
    pub baseline_of: Option<String>,
    /// Vectors new or changed since that record.
    pub vectors: Vec<ExecVector>,
    /// With `fix`: what was done to each (renamed, key removed, backup kept).
    pub fixed: Vec<String>,
    /// Whether nothing was found.
    pub clean: bool,
    /// One line per vector, as the CLI prints them.
    pub lines: Vec<String>,
}

impl From<docksandbox::GuardReport> for GuardReport {
    fn from(r: docksandbox::GuardReport) -> Self {
        let clean = r.is_clean();
        let lines = r.lines();
        // Destructured in full: a field added to the core fails to compile here.
        let docksandbox::GuardReport {
            workspace,
            baseline_of,
            vectors,
            fixed,
        } = r;
        GuardReport {
            workspace: text(workspace),
            baseline_of,
            vectors: vectors.into_iter().map(ExecVector::from).collect(),
            fixed,
            clean,
            lines,
        }
    }
}
