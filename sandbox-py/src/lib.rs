//! `docksandbox._native`: the compiled half of the `docksandbox` Python package.
//!
//! A thin layer over the core crate: `run` takes the core's [`docksandbox::RunRequest`]
//! (the Python keyword arguments, as a dict), every call maps onto one core call, and every
//! error is mapped once ([`errors`]). The pure-Python half (`docksandbox/__init__.py`,
//! `docksandbox/aio.py`) gives the public signatures, context managers and docs.

mod convert;
mod errors;
mod network;
mod runtime;
mod sandbox;
mod stream;
mod warm_pool;
mod words;
mod workspace;

use std::path::PathBuf;

use docksandbox::RunRequest;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::raise;
use crate::runtime::{awaitable, client, wait};
use crate::sandbox::Sandbox;
use crate::workspace::GuardReport;

/// The core's request from the keyword arguments (`None` values already left out); a
/// `network` dict is mapped by [`network::apply`].
fn request(args: &Bound<'_, PyAny>) -> PyResult<RunRequest> {
    let py = args.py();
    let fields = args.cast::<PyDict>()?.copy()?;
    let network = match fields.get_item("network")? {
        Some(n) if n.is_instance_of::<PyDict>() => {
            fields.del_item("network")?;
            Some(n.cast_into::<PyDict>()?)
        }
        _ => None,
    };
    let mut req: RunRequest =
        pythonize::depythonize(fields.as_any()).map_err(|e| match PyErr::from(e) {
            e if e.is_instance_of::<PyTypeError>(py) => e,
            e => PyTypeError::new_err(format!("run(): {}", e.value(py))),
        })?;
    if let Some(n) = network {
        network::apply(&mut req, &n)?;
    }
    Ok(req)
}

/// Every sandbox on the engine, as handles (one listing request).
async fn list_handles() -> docksandbox::Result<Vec<Sandbox>> {
    Ok(client()?
        .list_sandboxes()
        .await?
        .into_iter()
        .map(Sandbox::new)
        .collect())
}

/// Creates or reuses the sandbox the request describes; returns it running.
#[pyfunction]
fn run(py: Python<'_>, request: &Bound<'_, PyAny>) -> PyResult<Sandbox> {
    let req = self::request(request)?;
    wait(
        py,
        async move { req.run(&client()?).await.map(Sandbox::new) },
    )
}

#[pyfunction]
fn run_async<'py>(py: Python<'py>, request: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let req = self::request(request)?;
    awaitable(py, async move {
        let client = client().map_err(raise)?;
        req.run(&client).await.map(Sandbox::new).map_err(raise)
    })
}

/// A warm pool of `size` sandboxes of the request (no workspace).
#[pyfunction]
fn pool(py: Python<'_>, request: &Bound<'_, PyAny>, size: usize) -> PyResult<warm_pool::Pool> {
    let req = self::request(request)?;
    wait(py, async move {
        req.pool(&client()?, size).await.map(warm_pool::Pool::new)
    })
}

#[pyfunction]
fn pool_async<'py>(
    py: Python<'py>,
    request: &Bound<'py, PyAny>,
    size: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let req = self::request(request)?;
    awaitable(py, async move {
        let client = client().map_err(raise)?;
        req.pool(&client, size)
            .await
            .map(warm_pool::Pool::new)
            .map_err(raise)
    })
}

/// Every docksandbox sandbox on the engine, newest first.
#[pyfunction]
fn list(py: Python<'_>) -> PyResult<Vec<Sandbox>> {
    wait(py, list_handles())
}

#[pyfunction]
fn list_async(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    awaitable(py, async { list_handles().await.map_err(raise) })
}

/// The sandbox called `name_or_id` (a name, a full id or a unique id prefix).
#[pyfunction]
fn get(py: Python<'_>, name_or_id: String) -> PyResult<Sandbox> {
    wait(py, async move {
        client()?.get(&name_or_id).await.map(Sandbox::new)
    })
}

#[pyfunction]
fn get_async(py: Python<'_>, name_or_id: String) -> PyResult<Bound<'_, PyAny>> {
    awaitable(py, async move {
        let client = client().map_err(raise)?;
        client
            .get(&name_or_id)
            .await
            .map(Sandbox::new)
            .map_err(raise)
    })
}

/// The exec vectors in `workspace` new since its oldest sandbox was made (every one when none
/// is known); disabled with `fix`.
#[pyfunction]
#[pyo3(signature = (workspace, *, fix=false))]
fn guard_check(py: Python<'_>, workspace: PathBuf, fix: bool) -> PyResult<GuardReport> {
    wait(py, async move {
        client()?
            .guard_check(&workspace, fix)
            .await
            .map(GuardReport::new)
    })
}

#[pyfunction]
#[pyo3(signature = (workspace, *, fix=false))]
fn guard_check_async(py: Python<'_>, workspace: PathBuf, fix: bool) -> PyResult<Bound<'_, PyAny>> {
    awaitable(py, async move {
        let client = client().map_err(raise)?;
        client
            .guard_check(&workspace, fix)
            .await
            .map(GuardReport::new)
            .map_err(raise)
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Sandbox>()?;
    m.add_class::<convert::ExecResult>()?;
    m.add_class::<stream::ExecStream>()?;
    m.add_class::<stream::ExecChunk>()?;
    m.add_class::<network::NetworkLog>()?;
    m.add_class::<workspace::Change>()?;
    m.add_class::<workspace::ExecVector>()?;
    m.add_class::<GuardReport>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(run_async, m)?)?;
    m.add_class::<warm_pool::Pool>()?;
    m.add_function(wrap_pyfunction!(pool, m)?)?;
    m.add_function(wrap_pyfunction!(pool_async, m)?)?;
    m.add_function(wrap_pyfunction!(list, m)?)?;
    m.add_function(wrap_pyfunction!(list_async, m)?)?;
    m.add_function(wrap_pyfunction!(get, m)?)?;
    m.add_function(wrap_pyfunction!(get_async, m)?)?;
    m.add_function(wrap_pyfunction!(guard_check, m)?)?;
    m.add_function(wrap_pyfunction!(guard_check_async, m)?)?;
    errors::register(m)?;
    // Not part of the module: only `atexit` holds it.
    let shutdown = wrap_pyfunction!(shutdown, m)?;
    m.py()
        .import("atexit")?
        .call_method1("register", (shutdown,))?;
    Ok(())
}

/// Stops the runtime before the interpreter finalizes (registered with `atexit`).
#[pyfunction]
#[pyo3(name = "_shutdown")]
fn shutdown(py: Python<'_>) {
    runtime::shutdown(py);
}
