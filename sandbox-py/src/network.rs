//! The network of a `proxy` sandbox: `run(network={...})` mapped onto the core's request,
//! the rules of `sb.network.allow/deny/policy` handed to the core's parsers, and the followed
//! connection log as a Python iterator and async iterator. Every rule is the core's.

use std::sync::Arc;

use docksandbox::{NetworkLogEntry, NetworkRule, NetworkWords, RunRequest};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use pyo3::exceptions::{PyStopAsyncIteration, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::LogEntry;
use crate::errors::to_py;
use crate::runtime::{awaitable, wait};

/// `v` as `T`, a wrong type raising `TypeError` naming the key.
fn extract<'py, T>(v: &Bound<'py, PyAny>, key: &str) -> PyResult<T>
where
    T: for<'a> FromPyObject<'a, 'py, Error = PyErr>,
{
    v.extract::<T>()
        .map_err(|e| PyTypeError::new_err(format!("run(): network[{key:?}]: {}", e.value(v.py()))))
}

/// `IP` or `[IP, …]`.
#[derive(FromPyObject)]
enum Addresses {
    One(String),
    Many(Vec<String>),
}

/// Adds the `network` dict of `run()` to `req`: its values read with Python's types (a wrong
/// type raises `TypeError` naming the key), then handed to the core, which decides the rest
/// ([`docksandbox::NetworkWords`]: unknown keys, what may not be given twice, how it joins the
/// keyword arguments). Keys set to None are left out.
pub fn apply(req: &mut RunRequest, net: &Bound<'_, PyDict>) -> PyResult<()> {
    let py = net.py();
    let mut w = NetworkWords::default();
    for (k, v) in net.iter() {
        let key: String = k
            .extract()
            .map_err(|_| PyTypeError::new_err("run(): the keys of network must be strings"))?;
        if v.is_none() {
            continue;
        }
        match key.as_str() {
            "mode" => w.mode = Some(extract(&v, &key)?),
            "default" => w.default = Some(extract(&v, &key)?),
            "allow" => w.allow = extract(&v, &key)?,
            "deny" => w.deny = extract(&v, &key)?,
            "presets" => w.presets = extract(&v, &key)?,
            "hosts" => {
                let map = v.cast::<PyDict>().map_err(|_| {
                    PyTypeError::new_err(
                        "run(): network[\"hosts\"] must be a dict of names to addresses",
                    )
                })?;
                for (name, ips) in map.iter() {
                    let name: String = extract(&name, "hosts")?;
                    let ips = match extract::<Addresses>(&ips, &key)? {
                        Addresses::One(ip) => vec![ip],
                        Addresses::Many(ips) => ips,
                    };
                    w.hosts.insert(name, ips);
                }
            }
            other => return Err(to_py(py, NetworkWords::unknown_key(other))),
        }
    }
    req.add_network_words(w).map_err(|e| to_py(py, e))
}

/// The core's rules for `hosts` (errors name `hosts[i]`), raised before anything is sent.
pub fn rules(py: Python<'_>, hosts: &[String]) -> PyResult<Vec<NetworkRule>> {
    hosts
        .iter()
        .enumerate()
        .map(|(i, h)| docksandbox::parse_rule(h, &format!("hosts[{i}]")))
        .collect::<docksandbox::Result<Vec<_>>>()
        .map_err(|e| to_py(py, e))
}

/// `allow` or `deny` (errors name `default`).
pub fn default_action(py: Python<'_>, default: &str) -> PyResult<docksandbox::NetworkDefault> {
    docksandbox::parse_network_default(default, "default").map_err(|e| to_py(py, e))
}

/// Whether `e` passes the `denied` filter.
pub fn wanted(e: &NetworkLogEntry, denied: bool) -> bool {
    !denied || e.decision == "deny"
}

/// The log so far, oldest first.
pub async fn entries(sb: docksandbox::Sandbox, denied: bool) -> docksandbox::Result<Vec<LogEntry>> {
    let mut log = sb.network_log(false).await?;
    let mut out = Vec::new();
    while let Some(e) = log.next().await {
        let e = e?;
        if wanted(&e, denied) {
            out.push(LogEntry(e));
        }
    }
    Ok(out)
}

type Entries = BoxStream<'static, docksandbox::Result<NetworkLogEntry>>;

/// A followed connection log: each entry (a dict) as it is written, until the proxy stops.
#[pyclass(frozen, module = "docksandbox._native")]
pub struct NetworkLog {
    entries: Arc<tokio::sync::Mutex<Option<Entries>>>,
    denied: bool,
}

impl std::fmt::Debug for NetworkLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkLog")
            .field("denied", &self.denied)
            .finish_non_exhaustive()
    }
}

impl NetworkLog {
    pub fn new(entries: Entries, denied: bool) -> Self {
        NetworkLog {
            entries: Arc::new(tokio::sync::Mutex::new(Some(entries))),
            denied,
        }
    }

    fn next_entry(
        &self,
    ) -> impl std::future::Future<Output = docksandbox::Result<Option<LogEntry>>> + Send + 'static
    {
        let entries = self.entries.clone();
        let denied = self.denied;
        async move {
            let mut slot = entries.lock().await;
            loop {
                let Some(log) = slot.as_mut() else {
                    return Ok(None);
                };
                match log.next().await {
                    Some(Ok(e)) if wanted(&e, denied) => return Ok(Some(LogEntry(e))),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        *slot = None;
                        return Err(e);
                    }
                    None => {
                        *slot = None;
                        return Ok(None);
                    }
                }
            }
        }
    }
}

#[pymethods]
impl NetworkLog {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<LogEntry>> {
        wait(py, self.next_entry())
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let next = self.next_entry();
        awaitable(py, async move {
            match next.await {
                Ok(Some(e)) => Ok(e),
                Ok(None) => Err(PyStopAsyncIteration::new_err(())),
                Err(e) => Err(crate::errors::raise(e)),
            }
        })
    }

    /// Stops reading: the log is closed.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let entries = self.entries.clone();
        wait(py, async move {
            *entries.lock().await = None;
            Ok(())
        })
    }
}
