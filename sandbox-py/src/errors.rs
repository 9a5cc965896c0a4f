//! The one mapping from the core's [`docksandbox::Error`] to Python exceptions.
//!
//! The class is chosen by [`ErrorKind`] (the same categories the Node package's `error.code`
//! uses); the message is the core's. Each class carries its stable code as `code`;
//! `ExecTimeoutError` adds the output captured before the kill, `ConfigChangedError` the list of
//! changed fields.

use docksandbox::{Error, ErrorKind};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

create_exception!(
    docksandbox,
    SandboxError,
    PyException,
    "Base class of every docksandbox error; `code` is its stable category."
);
create_exception!(
    docksandbox,
    DockerUnavailableError,
    SandboxError,
    "No Docker engine answered, or this user may not use its socket."
);
create_exception!(
    docksandbox,
    InvalidSpecError,
    SandboxError,
    "An argument was refused (the message names the field and the rule)."
);
create_exception!(
    docksandbox,
    ConfigChangedError,
    SandboxError,
    "The sandbox exists with another configuration; `changes` lists each field. Pass recreate=True to replace it."
);
create_exception!(
    docksandbox,
    SandboxNotFoundError,
    SandboxError,
    "No sandbox matches the name or id."
);
create_exception!(
    docksandbox,
    ExecTimeoutError,
    SandboxError,
    "A command ran past its timeout and was killed; `stdout`/`stderr` hold what it wrote before."
);
create_exception!(
    docksandbox,
    ImageError,
    SandboxError,
    "The template image is missing, or the agent's program is not installed in it."
);

/// The class for each category, with the code it carries.
fn classes(py: Python<'_>) -> [(Bound<'_, pyo3::types::PyType>, ErrorKind); 7] {
    [
        (py.get_type::<SandboxError>(), ErrorKind::Other),
        (
            py.get_type::<DockerUnavailableError>(),
            ErrorKind::DockerUnavailable,
        ),
        (py.get_type::<InvalidSpecError>(), ErrorKind::InvalidSpec),
        (
            py.get_type::<ConfigChangedError>(),
            ErrorKind::ConfigChanged,
        ),
        (py.get_type::<SandboxNotFoundError>(), ErrorKind::NotFound),
        (py.get_type::<ExecTimeoutError>(), ErrorKind::ExecTimeout),
        (py.get_type::<ImageError>(), ErrorKind::Image),
    ]
}

/// Adds the classes to the module, each with its `code` (and the defaults of the extra fields).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    for (class, kind) in classes(py) {
        class.setattr("code", kind.code())?;
        m.add(class.name()?, class)?;
    }
    let timeout = py.get_type::<ExecTimeoutError>();
    timeout.setattr("stdout", PyBytes::new(py, b""))?;
    timeout.setattr("stderr", PyBytes::new(py, b""))?;
    py.get_type::<ConfigChangedError>()
        .setattr("changes", pyo3::types::PyTuple::empty(py))?;
    Ok(())
}

/// The Python exception for a core error.
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let msg = e.message_with(&crate::words::word);
    let err = match e.kind() {
        ErrorKind::DockerUnavailable => DockerUnavailableError::new_err(msg),
        ErrorKind::InvalidSpec => InvalidSpecError::new_err(msg),
        ErrorKind::ConfigChanged => ConfigChangedError::new_err(msg),
        ErrorKind::NotFound => SandboxNotFoundError::new_err(msg),
        ErrorKind::ExecTimeout => ExecTimeoutError::new_err(msg),
        ErrorKind::Image => ImageError::new_err(msg),
        _ => SandboxError::new_err(msg),
    };
    if let Err(extra) = add_details(py, &err, e) {
        return extra;
    }
    err
}

fn add_details(py: Python<'_>, err: &PyErr, e: Error) -> PyResult<()> {
    let value = err.value(py);
    match e {
        Error::ExecTimeout { stdout, stderr, .. } => {
            value.setattr("stdout", PyBytes::new(py, &stdout))?;
            value.setattr("stderr", PyBytes::new(py, &stderr))?;
        }
        Error::ConfigChanged { changes, .. } => {
            let list = PyList::empty(py);
            for c in changes {
                let d = PyDict::new(py);
                d.set_item("field", c.field)?;
                d.set_item("stored", c.stored)?;
                d.set_item("requested", c.requested)?;
                list.append(d)?;
            }
            value.setattr("changes", list)?;
        }
        _ => {}
    }
    Ok(())
}

/// A core error raised from a future (acquires the GIL to build the exception).
pub fn raise(e: Error) -> PyErr {
    Python::attach(|py| to_py(py, e))
}
