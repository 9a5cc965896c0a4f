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

/// The `ADDR:PORT` the engine could not bind, from its words (`Bind for 127.0.0.1:8080 failed`,
/// `listen tcp4 127.0.0.1:8080: bind: …`).
fn taken_port(message: &str) -> String {
    for lead in ["Bind for ", "listen tcp4 ", "listen tcp6 ", "listen tcp "] {
        if let Some(i) = message.find(lead) {
            let rest = &message[i + lead.len()..];
            let end = rest.find([' ', ',']).unwrap_or(rest.len());
            return rest[..end].trim_end_matches(':').to_string();
        }
    }
    "(unknown)".into()
}

/// A network connect refused because the container is on that network already.
pub(crate) fn already_connected(e: &Error) -> bool {
    matches!(e, Error::Engine { message, .. } if message.contains("already exists in network"))
}

/// The engine's words for a bind source that is not there (any more).
fn vanished_mount(message: &str) -> bool {
    message.contains("bind source path does not exist")
        || (message.contains("error mounting") && message.contains("no such file or directory"))
}

/// A create or start refusal because a validated host path was moved away before the engine
/// used it: [`Error::MountMismatch`] for `container`.
pub(crate) fn mount_error(container: &str, e: Error) -> Error {
    match e {
        Error::Engine { message, .. } if vanished_mount(&message) => Error::MountMismatch {
            name: container.to_string(),
            reason: format!("{message}: it changed after validation (or was removed); run again"),
        },
        e => e,
    }
}

/// A start refusal as a typed error: a vanished mount (see [`mount_error`]), or a template
/// without `/bin/sh` as [`Error::StartFailed`] naming the rule. Other refusals stay
/// [`Error::Engine`].
pub(crate) fn start_error(container: &str, e: Error) -> Error {
    match mount_error(container, e) {
        Error::Engine { message, .. }
            if message.contains("port is already allocated")
                || message.contains("address already in use") =>
        {
            Error::PortInUse {
                name: container.to_string(),
                port: taken_port(&message),
                reason: message,
            }
        }
        Error::Engine { message, .. } if message.contains("/bin/sh") => Error::StartFailed {
            name: container.to_string(),
            reason: format!(
                "{message} (the template has no /bin/sh; docksandbox templates need a POSIX shell)"
            ),
        },
        e => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(message: &str) -> Error {
        Error::Engine {
            status: 400,
            message: message.into(),
        }
    }

    #[test]
    fn a_taken_port_is_named() {
        for m in [
            "driver failed programming external connectivity on endpoint x (1): Error starting userland proxy: listen tcp4 127.0.0.1:18555: bind: address already in use",
            "driver failed programming external connectivity on endpoint x (1): Bind for 127.0.0.1:18555 failed: port is already allocated",
        ] {
            match start_error("c", engine(m)) {
                Error::PortInUse { port, .. } => assert_eq!(port, "127.0.0.1:18555"),
                e => panic!("{e:?}"),
            }
        }
    }

    #[test]
    fn engine_wording_becomes_typed_errors() {
        let e = mount_error(
            "c",
            engine("invalid mount config for type \"bind\": bind source path does not exist: /w"),
        );
        assert!(matches!(e, Error::MountMismatch { .. }), "{e:?}");
        let e = start_error(
            "c",
            engine("error mounting \"/w\" to rootfs: no such file or directory"),
        );
        assert!(matches!(e, Error::MountMismatch { .. }), "{e:?}");
        let e = start_error(
            "c",
            engine("exec: \"/bin/sh\": stat /bin/sh: no such file or directory"),
        );
        assert!(
            matches!(e, Error::StartFailed { ref reason, .. } if reason.contains("POSIX shell")),
            "{e:?}"
        );
        assert!(matches!(
            start_error("c", engine("other")),
            Error::Engine { .. }
        ));
    }
}
