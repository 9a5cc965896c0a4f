//! The one mapping of the core's [`docksandbox::Error`] onto the error foreign callers catch.
//!
//! The variant is the core's [`docksandbox::ErrorKind`] (the categories of Python's exception
//! tree and Node's `error.code`); `code` is the same stable string; `description` is the
//! core's message. Kotlin sees `DocksandboxException.InvalidSpec`, Swift
//! `DocksandboxError.InvalidSpec`, Python and Ruby `DocksandboxError.InvalidSpec`.

use docksandbox::{Error, ErrorKind};

/// A field whose stored value differs from the one asked for (see
/// [`DocksandboxError::ConfigChanged`]).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldChange {
    /// The spec field, e.g. `env.FOO`, `network`.
    pub field: String,
    /// The stored value (secrets shown as fingerprints).
    pub stored: String,
    /// The requested value (secrets shown as fingerprints).
    pub requested: String,
}

/// Everything that can go wrong, by category.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum DocksandboxError {
    /// No Docker engine answered, or this user may not use its socket.
    #[error("{description}")]
    DockerUnavailable {
        /// `DOCKER_UNAVAILABLE`.
        code: String,
        /// What happened and how to fix it.
        description: String,
    },
    /// An argument was refused; `field` names it (`memory`, `mounts[0].host`, `cmd`).
    #[error("{description}")]
    InvalidSpec {
        /// `INVALID_SPEC`.
        code: String,
        /// What was refused and why.
        description: String,
        /// The spec field, or an empty string when the refusal is about no single field.
        field: String,
    },
    /// The sandbox exists with another configuration; `recreate` replaces it.
    #[error("{description}")]
    ConfigChanged {
        /// `CONFIG_CHANGED`.
        code: String,
        /// The fields and how to proceed.
        description: String,
        /// Each changed field.
        changes: Vec<FieldChange>,
    },
    /// No sandbox matches the name or id.
    #[error("{description}")]
    NotFound {
        /// `NOT_FOUND`.
        code: String,
        /// What was looked for.
        description: String,
    },
    /// A command ran past its timeout and was killed; what it wrote before is kept.
    #[error("{description}")]
    ExecTimeout {
        /// `EXEC_TIMEOUT`.
        code: String,
        /// The command and its timeout.
        description: String,
        /// Its stdout before the kill.
        stdout: Vec<u8>,
        /// Its stderr before the kill.
        stderr: Vec<u8>,
    },
    /// The template image is missing, or the agent's program is not installed in it.
    #[error("{description}")]
    Image {
        /// `IMAGE_ERROR`.
        code: String,
        /// What is missing and how to get it.
        description: String,
    },
    /// Everything else (including a listener that threw).
    #[error("{description}")]
    Other {
        /// `SANDBOX_ERROR`.
        code: String,
        /// What happened.
        description: String,
    },
}

impl From<Error> for DocksandboxError {
    fn from(e: Error) -> Self {
        let kind = e.kind();
        let code = kind.code().to_string();
        let description = e.to_string();
        match kind {
            ErrorKind::DockerUnavailable => Self::DockerUnavailable { code, description },
            ErrorKind::InvalidSpec => Self::InvalidSpec {
                code,
                field: e.field().unwrap_or_default().to_string(),
                description,
            },
            ErrorKind::ConfigChanged => Self::ConfigChanged {
                code,
                description,
                changes: match e {
                    Error::ConfigChanged { changes, .. } => changes
                        .into_iter()
                        .map(|c| FieldChange {
                            field: c.field,
                            stored: c.stored,
                            requested: c.requested,
                        })
                        .collect(),
                    _ => Vec::new(),
                },
            },
            ErrorKind::NotFound => Self::NotFound { code, description },
            ErrorKind::ExecTimeout => match e {
                Error::ExecTimeout { stdout, stderr, .. } => Self::ExecTimeout {
                    code,
                    description,
                    stdout,
                    stderr,
                },
                _ => Self::ExecTimeout {
                    code,
                    description,
                    stdout: Vec::new(),
                    stderr: Vec::new(),
                },
            },
            ErrorKind::Image => Self::Image { code, description },
            _ => Self::Other { code, description },
        }
    }
}

/// A foreign listener that threw (or a callback uniffi could not complete) becomes an error
/// of the call that invoked it, never a crash.
impl From<uniffi::UnexpectedUniFFICallbackError> for DocksandboxError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Other {
            code: ErrorKind::Other.code().to_string(),
            description: format!("the exec listener failed: {}", e.reason),
        }
    }
}

/// Results of exported calls.
pub type Result<T> = std::result::Result<T, DocksandboxError>;
