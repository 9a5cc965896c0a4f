//! Values crossing into Python: results, bytes, `inspect`, policy and log dictionaries, and the
//! arguments of `exec`.

use std::collections::BTreeMap;

use docksandbox::{EnforcedPolicy, ExecOptions, ExecOutput, NetworkLogEntry, SandboxInfo};
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyString};

/// `bytes`, `bytearray` or `str` (encoded as UTF-8), as taken by `write_file` and `stdin`.
#[derive(FromPyObject)]
pub enum Data {
    /// Raw bytes.
    Bytes(PyBackedBytes),
    /// Text, written as UTF-8.
    Text(PyBackedStr),
}

impl Data {
    /// The bytes (text encoded as UTF-8).
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Data::Bytes(b) => b.to_vec(),
            Data::Text(s) => s.as_bytes().to_vec(),
        }
    }
}

/// Bytes that become a Python `bytes` (a `Vec<u8>` would become a list).
pub struct Bytes(pub Vec<u8>);

impl<'py> IntoPyObject<'py> for Bytes {
    type Target = PyBytes;
    type Output = Bound<'py, PyBytes>;
    type Error = std::convert::Infallible;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        Ok(PyBytes::new(py, &self.0))
    }
}

/// Core values that become a `dict` (their serde form).
macro_rules! as_dict {
    ($($(#[$doc:meta])* $name:ident($ty:ty);)*) => {$(
        $(#[$doc])*
        pub struct $name(pub $ty);

        impl<'py> IntoPyObject<'py> for $name {
            type Target = PyAny;
            type Output = Bound<'py, PyAny>;
            type Error = PyErr;

            fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
                Ok(pythonize::pythonize(py, &self.0)?)
            }
        }
    )*};
}

as_dict! {
    /// A [`SandboxInfo`] as a `dict`.
    Info(SandboxInfo);
    /// The policy a sandbox's proxy enforces, as a `dict` (rules as strings).
    Policy(EnforcedPolicy);
    /// One entry of a sandbox's connection log, as a `dict`.
    LogEntry(NetworkLogEntry);
    /// A published port, as a `dict` (`container_port`, `protocol`, `host_ip`, `host_port`,
    /// `forwarded`).
    Port(docksandbox::PublishedPort);
    /// What a sandbox uses, as a `dict` (`cpu_percent`, `memory_bytes`, `memory_limit`,
    /// `memory_peak`, `pids`, `pids_limit`, `net_rx_bytes`, `net_tx_bytes`).
    Usage(docksandbox::ResourceUsage);
    /// A branch sandbox's branch, as a `dict` (`name`, `base`, `ahead`, `dirty`).
    BranchState(docksandbox::BranchStatus);
    /// What `merge` did, as a `dict` (`into`, `commit`, `how`, `files`).
    Merged(docksandbox::MergeReport);
}

/// The captured result of a command.
#[pyclass(frozen, module = "docksandbox._native")]
#[derive(Debug)]
pub struct ExecResult {
    /// The exit code (128 + signal number when a signal ended the command).
    #[pyo3(get)]
    exit_code: i64,
    /// Whether the out-of-memory killer ended the command.
    oom_killed: bool,
    /// Everything written to stdout.
    #[pyo3(get)]
    stdout_bytes: Py<PyBytes>,
    /// Everything written to stderr.
    #[pyo3(get)]
    stderr_bytes: Py<PyBytes>,
}

fn lossy<'py>(py: Python<'py>, b: &Py<PyBytes>) -> Bound<'py, PyString> {
    PyString::new(py, &String::from_utf8_lossy(b.bind(py).as_bytes()))
}

#[pymethods]
impl ExecResult {
    /// Stdout as text (UTF-8, invalid sequences replaced).
    #[getter]
    fn stdout<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        lossy(py, &self.stdout_bytes)
    }

    /// Stderr as text (UTF-8, invalid sequences replaced).
    #[getter]
    fn stderr<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        lossy(py, &self.stderr_bytes)
    }

    /// Whether the command exited with 0.
    #[getter]
    fn ok(&self) -> bool {
        self.exit_code == 0
    }

    /// Whether the out-of-memory killer ended it (raise the sandbox's ``memory``).
    #[getter]
    fn oom_killed(&self) -> bool {
        self.oom_killed
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "ExecResult(exit_code={}, stdout={} bytes, stderr={} bytes)",
            self.exit_code,
            self.stdout_bytes.bind(py).as_bytes().len(),
            self.stderr_bytes.bind(py).as_bytes().len()
        )
    }
}

/// An [`ExecOutput`] on its way to becoming an [`ExecResult`].
pub struct Output(pub ExecOutput);

impl<'py> IntoPyObject<'py> for Output {
    type Target = ExecResult;
    type Output = Bound<'py, ExecResult>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        Bound::new(
            py,
            ExecResult {
                exit_code: self.0.exit_code,
                oom_killed: self.0.oom_killed,
                stdout_bytes: PyBytes::new(py, &self.0.stdout).unbind(),
                stderr_bytes: PyBytes::new(py, &self.0.stderr).unbind(),
            },
        )
    }
}

/// The arguments of `exec` and `exec_stream` (sync and async), as the core's options.
pub struct ExecArgs {
    /// The program and its arguments.
    pub cmd: Vec<String>,
    /// Everything else the keyword arguments say.
    pub opts: ExecOptions,
}

impl ExecArgs {
    /// The core's arguments from the Python ones; an invalid `timeout` raises the mapped
    /// exception (`InvalidSpecError`) before anything is sent.
    pub fn new(
        py: Python<'_>,
        cmd: Vec<String>,
        env: Option<BTreeMap<String, String>>,
        workdir: Option<String>,
        user: Option<String>,
        stdin: Option<Data>,
        timeout: Option<f64>,
    ) -> PyResult<Self> {
        let timeout = timeout
            .map(|t| docksandbox::timeout_from_secs(t, "timeout"))
            .transpose()
            .map_err(|e| crate::errors::to_py(py, e))?;
        Ok(ExecArgs {
            cmd,
            opts: ExecOptions {
                env: env.unwrap_or_default(),
                workdir,
                user,
                stdin: stdin.map(Data::into_vec),
                timeout,
                // A cancelled asyncio task (or an interrupted call) kills its command.
                kill_on_drop: true,
            },
        })
    }
}
