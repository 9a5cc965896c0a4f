//! The native sandbox handle: every operation as a sync method (GIL released while it waits)
//! and as an `*_async` method returning an asyncio awaitable.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use crate::convert::{Bytes, Data, ExecArgs, Info, Output};
use crate::errors::raise;
use crate::runtime::{awaitable, client, pid, wait};
use crate::stream::ExecStream;

/// The core handle and the process it was made in.
type Slot = Arc<Mutex<(u32, docksandbox::Sandbox)>>;

/// One sandbox (see `docksandbox.Sandbox` for the public class).
#[pyclass(frozen, module = "docksandbox._native")]
#[derive(Debug)]
pub struct Sandbox {
    /// The container id.
    #[pyo3(get)]
    id: String,
    /// The container name.
    #[pyo3(get)]
    name: String,
    /// The agent's name.
    #[pyo3(get)]
    agent: String,
    /// The workspace path, the same on the host and in the sandbox.
    #[pyo3(get)]
    workspace: String,
    slot: Slot,
}

impl Sandbox {
    pub fn new(sb: docksandbox::Sandbox) -> Self {
        Sandbox {
            id: sb.id().to_string(),
            name: sb.name().to_string(),
            agent: sb.agent().name.clone(),
            workspace: sb.workspace().to_string_lossy().into_owned(),
            slot: Arc::new(Mutex::new((pid(), sb))),
        }
    }

    /// The core handle; in a forked child, found again through this process's connection.
    fn handle(&self) -> impl Future<Output = docksandbox::Result<docksandbox::Sandbox>> + Send {
        let slot = self.slot.clone();
        let id = self.id.clone();
        async move {
            {
                let s = slot.lock().unwrap_or_else(|e| e.into_inner());
                if s.0 == pid() {
                    return Ok(s.1.clone());
                }
            }
            let fresh = client()?.get(&id).await?;
            let parents = std::mem::replace(
                &mut *slot.lock().unwrap_or_else(|e| e.into_inner()),
                (pid(), fresh.clone()),
            );
            // Its connection pool belongs to the parent's runtime: never touch it here.
            std::mem::forget(parents);
            Ok(fresh)
        }
    }

    fn blocking<T, F, Fut>(&self, py: Python<'_>, op: F) -> PyResult<T>
    where
        F: FnOnce(docksandbox::Sandbox) -> Fut + Send,
        Fut: Future<Output = docksandbox::Result<T>> + Send,
        T: Send,
    {
        let handle = self.handle();
        wait(py, async move { op(handle.await?).await })
    }

    fn later<'py, T, F, Fut>(&self, py: Python<'py>, op: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: FnOnce(docksandbox::Sandbox) -> Fut + Send + 'static,
        Fut: Future<Output = docksandbox::Result<T>> + Send,
        T: for<'a> IntoPyObject<'a> + Send + 'static,
    {
        let handle = self.handle();
        awaitable(py, async move {
            let sb = handle.await.map_err(raise)?;
            op(sb).await.map_err(raise)
        })
    }
}

#[pymethods]
impl Sandbox {
    /// The current status: `running`, `stopped`, `paused`, … (asks the engine).
    fn status(&self, py: Python<'_>) -> PyResult<String> {
        self.blocking(py, |sb| async move {
            sb.status().await.map(|s| s.as_str().to_string())
        })
    }

    fn status_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, |sb| async move {
            sb.status().await.map(|s| s.as_str().to_string())
        })
    }

    #[pyo3(signature = (cmd, *, env=None, workdir=None, user=None, stdin=None, timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn exec(
        &self,
        py: Python<'_>,
        cmd: Vec<String>,
        env: Option<BTreeMap<String, String>>,
        workdir: Option<String>,
        user: Option<String>,
        stdin: Option<Data>,
        timeout: Option<f64>,
    ) -> PyResult<Output> {
        let a = ExecArgs::new(py, cmd, env, workdir, user, stdin, timeout)?;
        self.blocking(py, |sb| async move {
            sb.exec_with(a.cmd, a.opts).await.map(Output)
        })
    }

    #[pyo3(signature = (cmd, *, env=None, workdir=None, user=None, stdin=None, timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn exec_async<'py>(
        &self,
        py: Python<'py>,
        cmd: Vec<String>,
        env: Option<BTreeMap<String, String>>,
        workdir: Option<String>,
        user: Option<String>,
        stdin: Option<Data>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let a = ExecArgs::new(py, cmd, env, workdir, user, stdin, timeout)?;
        self.later(py, |sb| async move {
            sb.exec_with(a.cmd, a.opts).await.map(Output)
        })
    }

    #[pyo3(signature = (cmd, *, env=None, workdir=None, user=None, stdin=None, timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn exec_stream(
        &self,
        py: Python<'_>,
        cmd: Vec<String>,
        env: Option<BTreeMap<String, String>>,
        workdir: Option<String>,
        user: Option<String>,
        stdin: Option<Data>,
        timeout: Option<f64>,
    ) -> PyResult<ExecStream> {
        let a = ExecArgs::new(py, cmd, env, workdir, user, stdin, timeout)?;
        self.blocking(py, |sb| async move {
            sb.exec_stream(a.cmd, a.opts).await.map(ExecStream::new)
        })
    }

    #[pyo3(signature = (cmd, *, env=None, workdir=None, user=None, stdin=None, timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn exec_stream_async<'py>(
        &self,
        py: Python<'py>,
        cmd: Vec<String>,
        env: Option<BTreeMap<String, String>>,
        workdir: Option<String>,
        user: Option<String>,
        stdin: Option<Data>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let a = ExecArgs::new(py, cmd, env, workdir, user, stdin, timeout)?;
        self.later(py, |sb| async move {
            sb.exec_stream(a.cmd, a.opts).await.map(ExecStream::new)
        })
    }

    fn write_file(&self, py: Python<'_>, path: String, data: Data) -> PyResult<()> {
        let data = data.into_vec();
        self.blocking(
            py,
            |sb| async move { sb.write_file_bytes(&path, data).await },
        )
    }

    fn write_file_async<'py>(
        &self,
        py: Python<'py>,
        path: String,
        data: Data,
    ) -> PyResult<Bound<'py, PyAny>> {
        let data = data.into_vec();
        self.later(
            py,
            |sb| async move { sb.write_file_bytes(&path, data).await },
        )
    }

    fn read_file(&self, py: Python<'_>, path: String) -> PyResult<Bytes> {
        self.blocking(py, |sb| async move { sb.read_file(&path).await.map(Bytes) })
    }

    fn read_file_async<'py>(&self, py: Python<'py>, path: String) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, |sb| async move { sb.read_file(&path).await.map(Bytes) })
    }

    fn inspect(&self, py: Python<'_>) -> PyResult<Info> {
        self.blocking(py, |sb| async move { sb.inspect().await.map(Info) })
    }

    fn inspect_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, |sb| async move { sb.inspect().await.map(Info) })
    }

    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        self.blocking(py, |sb| async move { sb.stop().await })
    }

    fn stop_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, |sb| async move { sb.stop().await })
    }

    fn remove(&self, py: Python<'_>) -> PyResult<()> {
        self.blocking(py, |sb| async move { sb.remove().await })
    }

    fn remove_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, |sb| async move { sb.remove().await })
    }

    fn __repr__(&self) -> String {
        format!(
            "Sandbox(name={:?}, agent={:?}, workspace={:?}, id={:?})",
            self.name,
            self.agent,
            self.workspace,
            &self.id[..self.id.len().min(12)]
        )
    }
}
