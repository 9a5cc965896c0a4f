//! Workspace protection as Python values: a review-mode sandbox's changes ([`Change`]) and a
//! guard check's findings ([`GuardReport`], [`ExecVector`]). Each record wraps the core's
//! value; its words (`"added"`, `"git-hook"`, …) are the core's serde forms, its lines the
//! core's.

use std::path::Path;

use pyo3::prelude::*;
use pyo3::types::PyString;

/// A path as Python text (lossy, like `Sandbox.workspace`).
fn text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// One change a review-mode agent made to the workspace.
#[pyclass(frozen, eq, module = "docksandbox._native")]
#[derive(Debug, PartialEq)]
pub struct Change(docksandbox::Change);

#[pymethods]
impl Change {
    /// The path, absolute (the same in the sandbox and on the host).
    #[getter]
    fn path(&self) -> String {
        text(&self.0.path)
    }

    /// `"added"`, `"modified"`, `"deleted"` or `"renamed"`.
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pythonize::pythonize(py, &self.0.kind)?)
    }

    /// For a rename: where it was (`from` in the library).
    #[getter(from_path)]
    fn moved_from(&self) -> Option<String> {
        self.0.from.as_deref().map(text)
    }

    /// `"file"`, `"dir"` or `"symlink"` (the new type; the old one for a deletion).
    #[getter]
    fn entry<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pythonize::pythonize(py, &self.0.entry)?)
    }

    /// The host's permission bits before (None when it did not exist).
    #[getter]
    fn old_mode(&self) -> Option<u32> {
        self.0.old_mode
    }

    /// The permission bits after (None when deleted).
    #[getter]
    fn new_mode(&self) -> Option<u32> {
        self.0.new_mode
    }

    /// Size in bytes after (before, for a deletion).
    #[getter]
    fn size(&self) -> u64 {
        self.0.size
    }

    /// Whether either side is not text.
    #[getter]
    fn binary(&self) -> bool {
        self.0.binary
    }

    /// `A`, `M`, `D` or `R`, as `git status --short` shows them.
    #[getter]
    fn letter(&self) -> String {
        self.0.letter().to_string()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let kind = self.kind(py)?;
        let path = PyString::new(py, &self.path()).repr()?;
        Ok(match self.moved_from() {
            Some(from) => format!(
                "Change(kind={}, path={path}, from_path={})",
                kind.repr()?,
                PyString::new(py, &from).repr()?
            ),
            None => format!("Change(kind={}, path={path})", kind.repr()?),
        })
    }
}

/// The core's changes as [`Change`]s.
pub struct Changes(pub Vec<docksandbox::Change>);

impl<'py> IntoPyObject<'py> for Changes {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        Ok(self
            .0
            .into_iter()
            .map(Change)
            .collect::<Vec<_>>()
            .into_pyobject(py)?
            .into_any())
    }
}

/// One place through which the host would run a program.
#[pyclass(frozen, eq, module = "docksandbox._native")]
#[derive(Debug, PartialEq)]
pub struct ExecVector(docksandbox::ExecVector);

#[pymethods]
impl ExecVector {
    /// The file (absolute host path).
    #[getter]
    fn path(&self) -> String {
        text(&self.0.path)
    }

    /// `"git-hook"`, `"git-config"`, `"git-attributes"`, `"envrc"`, `"vscode-task"` or
    /// `"vscode-settings"`.
    #[getter]
    fn kind<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pythonize::pythonize(py, &self.0.kind)?)
    }

    /// What in the file: the hook's name, the config key, the attributes line, the setting.
    #[getter]
    fn key(&self) -> &str {
        &self.0.key
    }

    /// A digest of the path, kind, key and value.
    #[getter]
    fn fingerprint(&self) -> &str {
        &self.0.fingerprint
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "ExecVector(kind={}, path={}, key={})",
            self.kind(py)?.repr()?,
            PyString::new(py, &self.path()).repr()?,
            PyString::new(py, &self.0.key).repr()?
        ))
    }
}

/// What a guard check found (and, with `fix`, did).
#[pyclass(frozen, eq, module = "docksandbox._native")]
#[derive(Debug, PartialEq)]
pub struct GuardReport(docksandbox::GuardReport);

impl GuardReport {
    pub fn new(r: docksandbox::GuardReport) -> Self {
        GuardReport(r)
    }
}

#[pymethods]
impl GuardReport {
    /// The directory scanned.
    #[getter]
    fn workspace(&self) -> String {
        text(&self.0.workspace)
    }

    /// The sandbox whose creation-time record the scan was compared with (None: no sandbox
    /// of this workspace is known, every vector is reported).
    #[getter]
    fn baseline_of(&self) -> Option<&str> {
        self.0.baseline_of.as_deref()
    }

    /// The vectors new or changed since that record.
    #[getter]
    fn vectors(&self) -> Vec<ExecVector> {
        self.0.vectors.iter().cloned().map(ExecVector).collect()
    }

    /// With `fix`: what was done to each.
    #[getter]
    fn fixed(&self) -> Vec<String> {
        self.0.fixed.clone()
    }

    /// Whether nothing was found.
    #[getter]
    fn is_clean(&self) -> bool {
        self.0.is_clean()
    }

    /// One line per vector, as the CLI prints them.
    fn lines(&self) -> Vec<String> {
        self.0.lines()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "GuardReport(workspace={}, vectors={}, fixed={})",
            PyString::new(py, &self.workspace()).repr()?,
            self.0.vectors.len(),
            self.0.fixed.len()
        ))
    }
}
