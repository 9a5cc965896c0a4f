//! One tokio runtime and one engine connection per process, both made lazily and made again in
//! a child after `fork` (the parent's worker threads do not exist there); the bridges from
//! futures to sync calls (GIL released, Ctrl-C honoured) and to asyncio awaitables.

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use docksandbox::Client;
use pyo3::prelude::*;
use pyo3_async_runtimes::{generic, TaskLocals};
use tokio::runtime::{Handle, Runtime};

struct Process {
    pid: u32,
    /// Owned here alone (callers get handles), so that exit can shut it down.
    runtime: Runtime,
    client: Option<Client>,
}

static PROCESS: Mutex<Option<Process>> = Mutex::new(None);

/// How often a waiting sync call looks for pending signals (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

fn with_process<T>(f: impl FnOnce(&mut Process) -> T) -> T {
    let mut guard = PROCESS.lock().unwrap_or_else(|e| e.into_inner());
    let pid = std::process::id();
    if guard.as_ref().is_none_or(|p| p.pid != pid) {
        if let Some(parent) = guard.take() {
            // Forked: the parent's worker threads are not in this process, and dropping its
            // runtime or connection pool would wait for them. Leak them instead.
            std::mem::forget(parent);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("docksandbox")
            .build()
            .expect("cannot start the tokio runtime");
        *guard = Some(Process {
            pid,
            runtime,
            client: None,
        });
    }
    f(guard.as_mut().expect("set above"))
}

/// Stops the runtime's threads at interpreter exit (an `atexit` handler, so before the
/// interpreter starts finalizing): a worker thread still handing a result to asyncio would
/// otherwise release the GIL while the interpreter is torn down, and the process would abort or
/// crash after the program's last line. Waits at most 2 s for running tasks, with the GIL
/// released so that they can finish.
pub fn shutdown(py: Python<'_>) {
    let old = {
        let mut guard = PROCESS.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_mut() {
            Some(p) if p.pid == std::process::id() => {
                p.client = None;
                // What runs after this (another exit handler) gets a runtime without threads:
                // nothing of it outlives the interpreter.
                let quiet = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("cannot start the tokio runtime");
                Some(std::mem::replace(&mut p.runtime, quiet))
            }
            _ => None,
        }
    };
    if let Some(rt) = old {
        py.detach(|| rt.shutdown_timeout(Duration::from_secs(2)));
    }
}

/// A handle on this process's runtime.
pub fn runtime() -> Handle {
    with_process(|p| p.runtime.handle().clone())
}

/// This process's engine connection (`DOCKER_HOST`, else the default socket).
pub fn client() -> docksandbox::Result<Client> {
    with_process(|p| {
        if let Some(c) = &p.client {
            return Ok(c.clone());
        }
        let _ctx = p.runtime.enter();
        let c = Client::connect()?;
        p.client = Some(c.clone());
        Ok(c)
    })
}

/// The pid the current runtime belongs to: handles made under another pid are stale.
pub fn pid() -> u32 {
    std::process::id()
}

/// Runs `fut` to completion for a sync call: the GIL is released while it waits, and pending
/// signals are checked every 50 ms so Ctrl-C (KeyboardInterrupt) interrupts it. On an
/// exception from a signal handler the future is dropped (its request is abandoned).
pub fn wait<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = docksandbox::Result<T>> + Send,
    T: Send,
{
    let rt = runtime();
    let outcome: PyResult<docksandbox::Result<T>> = py.detach(|| {
        rt.block_on(async {
            tokio::pin!(fut);
            let start = tokio::time::Instant::now() + SIGNAL_CHECK;
            let mut ticks = tokio::time::interval_at(start, SIGNAL_CHECK);
            loop {
                tokio::select! {
                    biased;
                    r = &mut fut => return Ok(r),
                    _ = ticks.tick() => Python::attach(|py| py.check_signals())?,
                }
            }
        })
    });
    outcome?.map_err(|e| crate::errors::to_py(py, e))
}

/// An asyncio awaitable of `fut`, run on this process's runtime (the event loop is never
/// blocked; cancelling the awaitable drops the future).
pub fn awaitable<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    generic::future_into_py::<ForkSafeTokio, _, T>(py, fut)
}

/// pyo3-async-runtimes' bridge, on this module's fork-aware runtime instead of its global one.
struct ForkSafeTokio;

tokio::task_local! {
    static TASK_LOCALS: OnceCell<TaskLocals>;
}

impl generic::Runtime for ForkSafeTokio {
    type JoinError = tokio::task::JoinError;
    type JoinHandle = tokio::task::JoinHandle<()>;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        runtime().spawn(fut)
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        runtime().spawn_blocking(f)
    }
}

impl generic::ContextExt for ForkSafeTokio {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|c| c.get().cloned())
            .unwrap_or_default()
    }
}
