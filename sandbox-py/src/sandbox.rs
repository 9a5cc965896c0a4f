//! The native sandbox handle: every operation as a sync method (GIL released while it waits)
//! and as an `*_async` method returning an asyncio awaitable.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use docksandbox::ApplyOptions;

use pyo3::prelude::*;

use crate::convert::{
    BranchState, Bytes, Data, ExecArgs, Info, LogEntry, Merged, Output, Policy, Port, Usage,
};
use crate::errors::raise;
use crate::network::{default_action, entries, rules, NetworkLog};
use crate::runtime::{awaitable, client, pid, wait};
use crate::stream::ExecStream;
use crate::workspace::{Changes, GuardReport};

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

    /// The sandbox's ports published on the host.
    fn ports(&self, py: Python<'_>) -> PyResult<Vec<Port>> {
        self.blocking(py, |sb| async move {
            Ok(sb.ports().await?.into_iter().map(Port).collect())
        })
    }

    fn ports_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, |sb| async move {
            Ok(sb.ports().await?.into_iter().map(Port).collect::<Vec<_>>())
        })
    }

    /// The host address (`127.0.0.1:49153`) of TCP port `container_port`, or None.
    fn port(&self, py: Python<'_>, container_port: u16) -> PyResult<Option<String>> {
        self.blocking(py, move |sb| async move {
            Ok(sb.port(container_port).await?.map(|p| p.host_address()))
        })
    }

    fn port_async<'py>(&self, py: Python<'py>, container_port: u16) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, move |sb| async move {
            Ok(sb.port(container_port).await?.map(|p| p.host_address()))
        })
    }

    /// Publishes one more port of the running sandbox (`[HOST_IP:][HOST_PORT:]PORT`).
    fn add_port(&self, py: Python<'_>, port: String) -> PyResult<Port> {
        self.blocking(py, move |sb| async move {
            let p = docksandbox::PortMapping::parse_indexed(&port, 0)?;
            sb.add_port(p).await.map(Port)
        })
    }

    fn add_port_async<'py>(&self, py: Python<'py>, port: String) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, move |sb| async move {
            let p = docksandbox::PortMapping::parse_indexed(&port, 0)?;
            sb.add_port(p).await.map(Port)
        })
    }

    /// What the running sandbox uses now.
    fn stats(&self, py: Python<'_>) -> PyResult<Usage> {
        self.blocking(py, |sb| async move { sb.stats().await.map(Usage) })
    }

    fn stats_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, |sb| async move { sb.stats().await.map(Usage) })
    }

    /// What detached sessions printed (from Unix second `since` when not 0), as text.
    #[pyo3(signature = (since=0))]
    fn logs(&self, py: Python<'_>, since: i64) -> PyResult<String> {
        self.blocking(py, move |sb| logs_text(sb, since))
    }

    #[pyo3(signature = (since=0))]
    fn logs_async<'py>(&self, py: Python<'py>, since: i64) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, move |sb| logs_text(sb, since))
    }

    /// Saves the sandbox's file system as the local image `template`; returns its id.
    fn save(&self, py: Python<'_>, template: String) -> PyResult<String> {
        self.blocking(py, move |sb| async move { sb.save(&template).await })
    }

    fn save_async<'py>(&self, py: Python<'py>, template: String) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, move |sb| async move { sb.save(&template).await })
    }

    /// Done with it: an ephemeral sandbox is removed, another stopped.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.blocking(py, |sb| async move { sb.close().await })
    }

    fn close_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, |sb| async move { sb.close().await })
    }

    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        self.blocking(py, |sb| async move { sb.stop().await })
    }

    fn stop_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, |sb| async move { sb.stop().await })
    }

    #[pyo3(signature = (delete_branch=false, force=false))]
    fn remove(&self, py: Python<'_>, delete_branch: bool, force: bool) -> PyResult<()> {
        let o = remove_options(delete_branch, force);
        self.blocking(
            py,
            move |sb| async move { sb.remove_with_options(&o).await },
        )
    }

    #[pyo3(signature = (delete_branch=false, force=false))]
    fn remove_async<'py>(
        &self,
        py: Python<'py>,
        delete_branch: bool,
        force: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let o = remove_options(delete_branch, force);
        self.later(
            py,
            move |sb| async move { sb.remove_with_options(&o).await },
        )
    }

    fn branch_status(&self, py: Python<'_>) -> PyResult<BranchState> {
        self.blocking(
            py,
            |sb| async move { sb.branch_status().await.map(BranchState) },
        )
    }

    fn branch_status_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.later(
            py,
            |sb| async move { sb.branch_status().await.map(BranchState) },
        )
    }

    fn branch_diff(&self, py: Python<'_>, stat: bool) -> PyResult<String> {
        self.blocking(py, move |sb| async move { sb.branch_diff(stat).await })
    }

    fn branch_diff_async<'py>(&self, py: Python<'py>, stat: bool) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, move |sb| async move { sb.branch_diff(stat).await })
    }

    fn branch_log(&self, py: Python<'_>) -> PyResult<String> {
        self.blocking(py, |sb| async move { sb.branch_log().await })
    }

    fn branch_log_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, |sb| async move { sb.branch_log().await })
    }

    #[pyo3(signature = (squash=false, into=None))]
    fn merge(&self, py: Python<'_>, squash: bool, into: Option<String>) -> PyResult<Merged> {
        let o = docksandbox::MergeOptions { squash, into };
        self.blocking(py, move |sb| async move { sb.merge(&o).await.map(Merged) })
    }

    #[pyo3(signature = (squash=false, into=None))]
    fn merge_async<'py>(
        &self,
        py: Python<'py>,
        squash: bool,
        into: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let o = docksandbox::MergeOptions { squash, into };
        self.later(py, move |sb| async move { sb.merge(&o).await.map(Merged) })
    }

    /// The policy the sandbox's proxy enforces now, as a dict.
    fn network_show(&self, py: Python<'_>) -> PyResult<Policy> {
        self.blocking(py, move |sb| async move {
            sb.network_policy().await.map(Policy)
        })
    }

    fn network_show_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, move |sb| async move {
            sb.network_policy().await.map(Policy)
        })
    }

    fn network_allow(&self, py: Python<'_>, hosts: Vec<String>) -> PyResult<()> {
        let rules = rules(py, &hosts)?;
        self.blocking(py, move |sb| async move { sb.allow_hosts(&rules).await })
    }

    fn network_allow_async<'py>(
        &self,
        py: Python<'py>,
        hosts: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rules = rules(py, &hosts)?;
        self.later(py, move |sb| async move { sb.allow_hosts(&rules).await })
    }

    fn network_deny(&self, py: Python<'_>, hosts: Vec<String>) -> PyResult<()> {
        let rules = rules(py, &hosts)?;
        self.blocking(py, move |sb| async move { sb.deny_hosts(&rules).await })
    }

    fn network_deny_async<'py>(
        &self,
        py: Python<'py>,
        hosts: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rules = rules(py, &hosts)?;
        self.later(py, move |sb| async move { sb.deny_hosts(&rules).await })
    }

    fn network_set_default(&self, py: Python<'_>, default: String) -> PyResult<()> {
        let d = default_action(py, &default)?;
        self.blocking(py, move |sb| async move { sb.set_network_default(d).await })
    }

    fn network_set_default_async<'py>(
        &self,
        py: Python<'py>,
        default: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let d = default_action(py, &default)?;
        self.later(py, move |sb| async move { sb.set_network_default(d).await })
    }

    /// The connection log so far (only refusals with `denied`), oldest first.
    #[pyo3(signature = (*, denied=false))]
    fn network_log(&self, py: Python<'_>, denied: bool) -> PyResult<Vec<LogEntry>> {
        self.blocking(py, move |sb| entries(sb, denied))
    }

    #[pyo3(signature = (*, denied=false))]
    fn network_log_async<'py>(&self, py: Python<'py>, denied: bool) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, move |sb| entries(sb, denied))
    }

    /// The connection log followed: the entries so far, then each new one.
    #[pyo3(signature = (*, denied=false))]
    fn network_log_stream(&self, py: Python<'_>, denied: bool) -> PyResult<NetworkLog> {
        self.blocking(py, move |sb| async move {
            sb.network_log(true)
                .await
                .map(|l| NetworkLog::new(l, denied))
        })
    }

    #[pyo3(signature = (*, denied=false))]
    fn network_log_stream_async<'py>(
        &self,
        py: Python<'py>,
        denied: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, move |sb| async move {
            sb.network_log(true)
                .await
                .map(|l| NetworkLog::new(l, denied))
        })
    }

    /// A review-mode sandbox's changes (only those under `paths`; all when empty).
    fn diff(&self, py: Python<'_>, paths: Vec<PathBuf>) -> PyResult<Changes> {
        self.blocking(py, move |sb| async move {
            sb.diff_paths(&paths).await.map(Changes)
        })
    }

    fn diff_async<'py>(&self, py: Python<'py>, paths: Vec<PathBuf>) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, move |sb| async move {
            sb.diff_paths(&paths).await.map(Changes)
        })
    }

    /// Those changes as a unified diff (with `stat`: one line each and a count).
    #[pyo3(signature = (paths, *, stat=false))]
    fn diff_text(&self, py: Python<'_>, paths: Vec<PathBuf>, stat: bool) -> PyResult<String> {
        self.blocking(py, move |sb| async move {
            let changes = sb.diff_paths(&paths).await?;
            sb.diff_text(&changes, stat).await
        })
    }

    #[pyo3(signature = (paths, *, stat=false))]
    fn diff_text_async<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
        stat: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, move |sb| async move {
            let changes = sb.diff_paths(&paths).await?;
            sb.diff_text(&changes, stat).await
        })
    }

    /// Copies the changes onto the host workspace; returns what was (would be) applied.
    #[pyo3(signature = (paths, *, dry_run=false, force=false, allow_exec_vectors=false))]
    fn apply(
        &self,
        py: Python<'_>,
        paths: Vec<PathBuf>,
        dry_run: bool,
        force: bool,
        allow_exec_vectors: bool,
    ) -> PyResult<Changes> {
        let opts = ApplyOptions {
            paths,
            dry_run,
            force,
            allow_exec_vectors,
        };
        self.blocking(
            py,
            move |sb| async move { sb.apply(&opts).await.map(Changes) },
        )
    }

    #[pyo3(signature = (paths, *, dry_run=false, force=false, allow_exec_vectors=false))]
    fn apply_async<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
        dry_run: bool,
        force: bool,
        allow_exec_vectors: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = ApplyOptions {
            paths,
            dry_run,
            force,
            allow_exec_vectors,
        };
        self.later(
            py,
            move |sb| async move { sb.apply(&opts).await.map(Changes) },
        )
    }

    /// Drops the changes (only those under `paths`; all when empty); returns what was dropped.
    fn discard(&self, py: Python<'_>, paths: Vec<PathBuf>) -> PyResult<Changes> {
        self.blocking(py, move |sb| async move {
            sb.discard(&paths).await.map(Changes)
        })
    }

    fn discard_async<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, move |sb| async move {
            sb.discard(&paths).await.map(Changes)
        })
    }

    /// The exec vectors that appeared in the workspace since the sandbox was made (disabled
    /// with `fix`).
    #[pyo3(signature = (*, fix=false))]
    fn guard_check(&self, py: Python<'_>, fix: bool) -> PyResult<GuardReport> {
        self.blocking(py, move |sb| async move {
            sb.guard_check(fix).await.map(GuardReport::new)
        })
    }

    #[pyo3(signature = (*, fix=false))]
    fn guard_check_async<'py>(&self, py: Python<'py>, fix: bool) -> PyResult<Bound<'py, PyAny>> {
        self.later(py, move |sb| async move {
            sb.guard_check(fix).await.map(GuardReport::new)
        })
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

/// The sandbox's log so far, as text (invalid UTF-8 replaced).
async fn logs_text(sb: docksandbox::Sandbox, since: i64) -> docksandbox::Result<String> {
    use futures_util::StreamExt;
    let mut s = sb.logs(false, since).await?;
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c?);
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `remove(delete_branch, force)`: removed even when running; `force` drops a branch
/// sandbox's uncommitted changes and unmerged branch.
fn remove_options(delete_branch: bool, force: bool) -> docksandbox::RemoveOptions {
    docksandbox::RemoveOptions {
        force: true,
        volumes: false,
        delete_branch,
        discard: force,
    }
}
