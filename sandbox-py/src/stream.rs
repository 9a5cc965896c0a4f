//! A streaming command as a Python iterator (`for chunk in …`) and async iterator
//! (`async for chunk in …`): stdout and stderr chunks as they come, then the exit code.
//!
//! Chunks that are already waiting are merged (same stream, up to 1 MiB) so that big outputs
//! cross into Python in few objects; nothing waits to fill a chunk.

use std::sync::{Arc, Mutex};

use docksandbox::ExecEvent;
use futures_util::{FutureExt, StreamExt};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::runtime::{awaitable, wait};

/// At most this many bytes are merged into one chunk.
const MERGE_LIMIT: usize = 1 << 20;

/// One piece of a streaming command's life.
#[pyclass(frozen, module = "docksandbox._native")]
#[derive(Debug)]
pub struct ExecChunk {
    /// `"stdout"`, `"stderr"` or `"exit"` (always last).
    #[pyo3(get)]
    kind: &'static str,
    /// The bytes written (empty for `"exit"`).
    #[pyo3(get)]
    data: Py<PyBytes>,
    /// The exit code, on the `"exit"` chunk only.
    #[pyo3(get)]
    exit_code: Option<i64>,
}

#[pymethods]
impl ExecChunk {
    /// The bytes as text (UTF-8, invalid sequences replaced; a multi-byte character may be
    /// split between two chunks).
    #[getter]
    fn text(&self, py: Python<'_>) -> String {
        String::from_utf8_lossy(self.data.bind(py).as_bytes()).into_owned()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        match self.exit_code {
            Some(code) => format!("ExecChunk(kind='exit', exit_code={code})"),
            None => format!(
                "ExecChunk(kind='{}', data={} bytes)",
                self.kind,
                self.data.bind(py).as_bytes().len()
            ),
        }
    }
}

/// A chunk before it becomes an [`ExecChunk`].
enum Chunk {
    Out(&'static str, Vec<u8>),
    Exit(i64),
}

impl<'py> IntoPyObject<'py> for Chunk {
    type Target = ExecChunk;
    type Output = Bound<'py, ExecChunk>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        let chunk = match self {
            Chunk::Out(kind, data) => ExecChunk {
                kind,
                data: PyBytes::new(py, &data).unbind(),
                exit_code: None,
            },
            Chunk::Exit(code) => ExecChunk {
                kind: "exit",
                data: PyBytes::new(py, b"").unbind(),
                exit_code: Some(code),
            },
        };
        Bound::new(py, chunk)
    }
}

#[derive(Default)]
struct State {
    events: Option<docksandbox::ExecStream>,
    /// An event read while merging that belongs to the next chunk.
    pending: Option<docksandbox::Result<ExecEvent>>,
}

/// The output of a running command, chunk by chunk (see the module docs).
#[pyclass(frozen, module = "docksandbox._native")]
pub struct ExecStream {
    state: Arc<tokio::sync::Mutex<State>>,
    exit_code: Arc<Mutex<Option<i64>>>,
}

impl std::fmt::Debug for ExecStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecStream")
            .field("exit_code", &self.exit_code)
            .finish_non_exhaustive()
    }
}

impl ExecStream {
    pub fn new(events: docksandbox::ExecStream) -> Self {
        ExecStream {
            state: Arc::new(tokio::sync::Mutex::new(State {
                events: Some(events),
                pending: None,
            })),
            exit_code: Arc::default(),
        }
    }

    fn next_chunk(
        &self,
    ) -> impl std::future::Future<Output = docksandbox::Result<Option<Chunk>>> + Send + 'static
    {
        let state = self.state.clone();
        let exit_code = self.exit_code.clone();
        async move {
            let mut s = state.lock().await;
            let next = match s.pending.take() {
                Some(ev) => Some(ev),
                None => match s.events.as_mut() {
                    Some(events) => events.next().await,
                    None => None,
                },
            };
            let (kind, mut data) = match next {
                None => {
                    s.events = None;
                    return Ok(None);
                }
                Some(Err(e)) => {
                    s.events = None;
                    return Err(e);
                }
                Some(Ok(ExecEvent::Exit(code))) => {
                    s.events = None;
                    *exit_code.lock().unwrap_or_else(|e| e.into_inner()) = Some(code);
                    return Ok(Some(Chunk::Exit(code)));
                }
                Some(Ok(ExecEvent::Stdout(b))) => ("stdout", b.to_vec()),
                Some(Ok(ExecEvent::Stderr(b))) => ("stderr", b.to_vec()),
            };
            while data.len() < MERGE_LIMIT {
                let Some(ready) = s.events.as_mut().and_then(|e| e.next().now_or_never()) else {
                    break;
                };
                match ready {
                    Some(Ok(ExecEvent::Stdout(b))) if kind == "stdout" => {
                        data.extend_from_slice(&b)
                    }
                    Some(Ok(ExecEvent::Stderr(b))) if kind == "stderr" => {
                        data.extend_from_slice(&b)
                    }
                    Some(other) => {
                        s.pending = Some(other);
                        break;
                    }
                    None => {
                        s.events = None;
                        break;
                    }
                }
            }
            Ok(Some(Chunk::Out(kind, data)))
        }
    }
}

#[pymethods]
impl ExecStream {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Chunk>> {
        wait(py, self.next_chunk())
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let next = self.next_chunk();
        awaitable(py, async move {
            match next.await {
                Ok(Some(chunk)) => Ok(chunk),
                Ok(None) => Err(PyStopAsyncIteration::new_err(())),
                Err(e) => Err(crate::errors::raise(e)),
            }
        })
    }

    /// The exit code once the `"exit"` chunk was read, else None.
    #[getter]
    fn exit_code(&self) -> Option<i64> {
        *self.exit_code.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops reading: the connection to the command is closed (the command itself is not
    /// killed; give `timeout` for that).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let state = self.state.clone();
        wait(py, async move {
            *state.lock().await = State::default();
            Ok(())
        })
    }
}
