//! Mapping bollard's errors onto [`crate::Error`], once.

use crate::error::Error;

/// Finds the I/O error at the root of a bollard error, if any.
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}

/// Maps a bollard error from a request to `host`.
pub(crate) fn map(host: &str, e: bollard::errors::Error) -> Error {
    use bollard::errors::Error as B;
    match e {
        B::DockerResponseServerError {
            status_code,
            message,
        } => Error::Engine {
            status: status_code,
            message,
        },
        B::SocketNotFoundError(path) => Error::DockerUnavailable {
            host: host.to_string(),
            reason: format!("no socket at {path}"),
        },
        B::RequestTimeoutError => Error::DockerUnavailable {
            host: host.to_string(),
            reason: "the engine did not answer in time".into(),
        },
        other => match io_kind(&other) {
            Some(std::io::ErrorKind::PermissionDenied) => Error::DockerPermissionDenied {
                host: host.to_string(),
            },
            Some(
                k @ (std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::NotFound
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::TimedOut
                | std::io::ErrorKind::AddrNotAvailable),
            ) => Error::DockerUnavailable {
                host: host.to_string(),
                reason: format!("{k}"),
            },
            _ => Error::Client(other.to_string()),
        },
    }
}

/// The HTTP status of an engine error, if that is what it is.
pub(crate) fn status(e: &Error) -> Option<u16> {
    match e {
        Error::Engine { status, .. } => Some(*status),
        _ => None,
    }
}
