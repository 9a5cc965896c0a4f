//! The native warm pool (see `docksandbox.Pool` for the public class): every method one core
//! call, sync and `*_async`.

use pyo3::prelude::*;

use crate::errors::raise;
use crate::runtime::{awaitable, wait};
use crate::sandbox::Sandbox;

/// A pool's counts as a `dict` (`name`, `size`, `ready`, `starting`, `taken`, `last_error`).
struct Status(docksandbox::PoolStatus);

impl<'py> IntoPyObject<'py> for Status {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        Ok(pythonize::pythonize(py, &self.0)?)
    }
}

/// One warm pool.
#[pyclass(frozen, module = "docksandbox._native")]
#[derive(Debug)]
pub struct Pool {
    inner: docksandbox::Pool,
}

impl Pool {
    pub fn new(inner: docksandbox::Pool) -> Self {
        Pool { inner }
    }
}

#[pymethods]
impl Pool {
    /// The pool's name.
    #[getter]
    fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// How many members are ready, starting and taken.
    fn status(&self) -> Status {
        Status(self.inner.status())
    }

    fn take(&self, py: Python<'_>) -> PyResult<Sandbox> {
        let p = self.inner.clone();
        wait(py, async move { p.take().await.map(Sandbox::new) })
    }

    fn take_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let p = self.inner.clone();
        awaitable(py, async move {
            p.take().await.map(Sandbox::new).map_err(raise)
        })
    }

    fn wait_ready(&self, py: Python<'_>) -> PyResult<()> {
        let p = self.inner.clone();
        wait(py, async move { p.wait_ready().await })
    }

    fn wait_ready_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let p = self.inner.clone();
        awaitable(py, async move { p.wait_ready().await.map_err(raise) })
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let p = self.inner.clone();
        wait(py, async move { p.close().await })
    }

    fn close_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let p = self.inner.clone();
        awaitable(py, async move { p.close().await.map_err(raise) })
    }
}
