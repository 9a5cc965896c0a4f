//! The one error type of docksandbox. Every message names the fix.

use std::time::Duration;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One field whose requested value differs from the value stored on an existing sandbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldChange {
    /// The spec field, e.g. `env.FOO`, `network`, `mounts`.
    pub field: String,
    /// The value stored on the existing sandbox (secrets shown as fingerprints).
    pub stored: String,
    /// The value this call asked for (secrets shown as fingerprints).
    pub requested: String,
}

impl std::fmt::Display for FieldChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} -> {}", self.field, self.stored, self.requested)
    }
}

/// A spec field's name in its parts, for the front doors' tables: `mounts[0].host` →
/// `("mounts", Some(0), Some("host"))`, `env.FOO` → `("env", None, Some("FOO"))`, `memory` →
/// `("memory", None, None)`.
///
/// ```
/// assert_eq!(docksandbox::split_field("mounts[0].host"), ("mounts", Some(0), Some("host")));
/// assert_eq!(docksandbox::split_field("env.FOO"), ("env", None, Some("FOO")));
/// assert_eq!(docksandbox::split_field("memory"), ("memory", None, None));
/// ```
pub fn split_field(field: &str) -> (&str, Option<usize>, Option<&str>) {
    let end = field.find(['[', '.']).unwrap_or(field.len());
    let (root, mut rest) = field.split_at(end);
    let mut index = None;
    if let Some(r) = rest.strip_prefix('[') {
        if let Some((n, after)) = r.split_once(']') {
            index = n.parse().ok();
            rest = after;
        }
    }
    let key = rest.strip_prefix('.').filter(|k| !k.is_empty());
    (root, index, key)
}

/// Everything that can go wrong in docksandbox.
///
/// Bindings map each variant once (Python exception classes, Node error codes); the
/// [`Error::kind`] gives the stable category they map from.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No Docker engine answered.
    #[error("Docker daemon not reachable at {host}: {reason}. Start dockerd (or Docker Desktop), or set DOCKER_HOST to a running engine")]
    DockerUnavailable {
        /// The address tried (`unix:///var/run/docker.sock`, `tcp://…`).
        host: String,
        /// What the connection attempt said.
        reason: String,
    },

    /// The engine's socket exists but this user may not use it.
    #[error("permission denied on the Docker socket {host}: add your user to the `docker` group (then log in again) or run as root")]
    DockerPermissionDenied {
        /// The socket address.
        host: String,
    },

    /// The template image is not on the engine and could not be pulled.
    #[error("template image `{image}` not found on the engine ({reason}). Build it (scripts/build-images.sh, `docksandbox template build`) or pass another template")]
    ImageNotFound {
        /// The image reference.
        image: String,
        /// Why it could not be had (pull error, etc.).
        reason: String,
    },

    /// The agent's program is not installed in the template image.
    #[error(
        "the `{agent}` agent's program (`{command}`) was not found in template `{image}`. {fix}"
    )]
    AgentNotInstalled {
        /// Agent name.
        agent: String,
        /// The program(s) looked for.
        command: String,
        /// The sandbox's image.
        image: String,
        /// What to do: the command that builds the agent's template, or a hint for custom agents.
        fix: String,
    },

    /// A template build failed; `output` is what the failing step printed.
    #[error("building template `{image}` failed at {step}: {reason}\n{output}")]
    TemplateBuildFailed {
        /// The image being built.
        image: String,
        /// The failing step (`Step 13/16 : RUN …`), or `the start` before any step.
        step: String,
        /// The engine's error message.
        reason: String,
        /// The last lines the failing step printed.
        output: String,
    },

    /// The base image could not be produced with debootstrap.
    #[error("cannot bootstrap base image `{image}`: {reason}")]
    BootstrapFailed {
        /// The image that was to be produced.
        image: String,
        /// Why, naming the fix.
        reason: String,
    },

    /// A spec field is invalid.
    #[error("invalid {field}: {reason}")]
    InvalidSpec {
        /// Which field (`workspace`, `mounts[0].host`, `env.FOO`, `name`, …).
        field: String,
        /// Why, naming the rule that refused it.
        reason: String,
    },

    /// The sandbox for this workspace exists with another configuration.
    #[error("sandbox `{name}` exists with another configuration ({}); pass `recreate(true)` to replace it, or `docksandbox rm {name}` first", .changes.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    ConfigChanged {
        /// The existing sandbox's name.
        name: String,
        /// Each differing field.
        changes: Vec<FieldChange>,
    },

    /// No sandbox matches the reference.
    #[error("no sandbox matches `{reference}`: list them with `docksandbox ls`")]
    NotFound {
        /// The name, id or id prefix asked for.
        reference: String,
    },

    /// A reference matches several sandboxes.
    #[error("`{reference}` matches {count} sandboxes: use a longer id prefix or the full name")]
    Ambiguous {
        /// The id prefix asked for.
        reference: String,
        /// How many matched.
        count: usize,
    },

    /// A host port asked for is taken (by another program or container).
    #[error("host port {port} of `{name}` is already in use: publish on another host port, or leave HOST_PORT out for a free one (the engine said: {reason})")]
    PortInUse {
        /// The sandbox (or its forwarder).
        name: String,
        /// The host address and port, as the engine named it (`127.0.0.1:8080`).
        port: String,
        /// The engine's words.
        reason: String,
    },

    /// A container with the wanted name exists but is not this sandbox.
    #[error("a container named `{name}` already exists and is not the sandbox for this workspace and agent: choose another name or remove that container")]
    NameInUse {
        /// The contested name.
        name: String,
    },

    /// An exec ran longer than its timeout; the process was killed.
    #[error("command `{command}` timed out after {timeout:?} and was killed")]
    ExecTimeout {
        /// The command, shell-quoted for display.
        command: String,
        /// The timeout that elapsed.
        timeout: Duration,
        /// Output captured before the kill.
        stdout: Vec<u8>,
        /// Error output captured before the kill.
        stderr: Vec<u8>,
    },

    /// The connection to the sandbox's exec helper broke while a command ran (the helper was
    /// killed, or the sandbox stopped); the command was killed with it.
    #[error("command `{command}` was interrupted: the connection to the sandbox's exec helper was lost ({reason}) and the command was killed with it. Run it again (docksandbox reconnects); if the sandbox stopped, `docksandbox run` starts it")]
    ExecInterrupted {
        /// The command, shell-quoted for display.
        command: String,
        /// What happened to the connection.
        reason: String,
    },

    /// The sandbox is not running (it must be started first).
    #[error(
        "sandbox `{name}` is not running (status: {status}); `docksandbox run` starts it again"
    )]
    NotRunning {
        /// Sandbox name.
        name: String,
        /// Its status.
        status: String,
    },

    /// The sandbox is running and the operation needs it stopped (or forced).
    #[error(
        "sandbox `{name}` is running: stop it first (`docksandbox stop {name}`) or remove it anyway (`docksandbox rm -f {name}`)"
    )]
    Running {
        /// Sandbox name.
        name: String,
    },

    /// The sandbox container did not come up.
    #[error("sandbox `{name}` did not start: {reason}")]
    StartFailed {
        /// Sandbox name.
        name: String,
        /// What went wrong, with the container's output where there was some.
        reason: String,
    },

    /// The mounts the engine made differ from the validated ones (a path was swapped between check and use).
    #[error("mount check failed for sandbox `{name}`: {reason}; the container was removed. Check for symlinks being swapped under the workspace path")]
    MountMismatch {
        /// Sandbox name.
        name: String,
        /// Which mount differed.
        reason: String,
    },

    /// A file operation inside the sandbox failed.
    #[error("file operation on `{path}` failed: {reason}")]
    File {
        /// The path inside the sandbox (or on the host for copies).
        path: String,
        /// Why.
        reason: String,
    },

    /// `apply` found host files that changed since the review-mode sandbox was made.
    #[error("sandbox `{name}`: not applied, these host files changed since the sandbox was made: {}; look at them (`docksandbox diff`), then pass --force (force=True) to overwrite them", .paths.join(", "))]
    ApplyConflict {
        /// The sandbox.
        name: String,
        /// The host paths.
        paths: Vec<String>,
    },

    /// `apply` found changes through which the host would run a program.
    #[error("sandbox `{name}`: not applied, these changes would make the host run programs: {}; review them (`docksandbox diff`), then pass --allow-exec-vectors (allow_exec_vectors=True) to apply them anyway", .vectors.join(", "))]
    ExecVectorsInChanges {
        /// The sandbox.
        name: String,
        /// Each vector: path and key.
        vectors: Vec<String>,
    },

    /// A git command docksandbox ran on the host (for a `--branch` sandbox) failed.
    #[error("{command} failed on the host: {reason}")]
    Git {
        /// The command, as run.
        command: String,
        /// What git said (its first lines), or why it could not run.
        reason: String,
    },

    /// A branch sandbox's `merge` or `rm` was refused: nothing was changed.
    #[error("branch `{branch}`: {reason}{}", if .files.is_empty() { String::new() } else { format!(": {}", .files.join(", ")) })]
    BranchRefused {
        /// The sandbox's branch.
        branch: String,
        /// Why, and what to do.
        reason: String,
        /// The files concerned (conflicting, or changed in the user's checkout).
        files: Vec<String>,
    },

    /// `apply` failed part way; everything it had done was undone.
    #[error("sandbox `{name}`: apply failed ({reason}); the host workspace was restored as it was before")]
    ApplyFailed {
        /// The sandbox.
        name: String,
        /// Why.
        reason: String,
    },

    /// The engine refused a request.
    #[error("Docker engine error ({status}): {message}")]
    Engine {
        /// HTTP status from the engine.
        status: u16,
        /// The engine's message.
        message: String,
    },

    /// A local I/O error (reading host files, talking to the engine).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// Anything else from the engine client.
    #[error("Docker client error: {0}")]
    Client(String),
}

/// Stable categories of [`Error`], the thing bindings map to exception classes / error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Engine not reachable or not usable.
    DockerUnavailable,
    /// Bad input.
    InvalidSpec,
    /// Existing sandbox has another config.
    ConfigChanged,
    /// Nothing matches.
    NotFound,
    /// Exec timed out.
    ExecTimeout,
    /// Image or agent program missing.
    Image,
    /// Everything else.
    Other,
}

impl ErrorKind {
    /// The stable code of this category (the Node package's `error.code`):
    /// `DOCKER_UNAVAILABLE`, `INVALID_SPEC`, `CONFIG_CHANGED`, `NOT_FOUND`, `EXEC_TIMEOUT`,
    /// `IMAGE_ERROR`, `SANDBOX_ERROR`.
    ///
    /// ```
    /// assert_eq!(docksandbox::ErrorKind::NotFound.code(), "NOT_FOUND");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::DockerUnavailable => "DOCKER_UNAVAILABLE",
            ErrorKind::InvalidSpec => "INVALID_SPEC",
            ErrorKind::ConfigChanged => "CONFIG_CHANGED",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::ExecTimeout => "EXEC_TIMEOUT",
            ErrorKind::Image => "IMAGE_ERROR",
            ErrorKind::Other => "SANDBOX_ERROR",
        }
    }
}

impl Error {
    /// The stable category of this error.
    ///
    /// ```
    /// use docksandbox::{Error, ErrorKind};
    /// let e = Error::NotFound { reference: "x".into() };
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::DockerUnavailable { .. } | Error::DockerPermissionDenied { .. } => {
                ErrorKind::DockerUnavailable
            }
            Error::InvalidSpec { .. }
            | Error::NameInUse { .. }
            | Error::Ambiguous { .. }
            | Error::PortInUse { .. } => ErrorKind::InvalidSpec,
            Error::ConfigChanged { .. } => ErrorKind::ConfigChanged,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::ExecTimeout { .. } => ErrorKind::ExecTimeout,
            Error::ImageNotFound { .. }
            | Error::AgentNotInstalled { .. }
            | Error::TemplateBuildFailed { .. }
            | Error::BootstrapFailed { .. } => ErrorKind::Image,
            _ => ErrorKind::Other,
        }
    }

    /// The spec field this error is about (`mounts[0].host`, `env`, …), when it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidSpec { field, .. } => Some(field),
            _ => None,
        }
    }

    /// This error's message in a front door's words: `word(name)` gives how the CLI, Python
    /// or Node calls a spec field (`mounts[0].host` → `-v/--volume ./data:/data`) or an
    /// option (`recreate` → `--recreate`); `None` keeps the library's name. The wrappers keep
    /// one table each and translate; the message itself is the core's.
    ///
    /// ```
    /// let e = docksandbox::Error::InvalidSpec {
    ///     field: "memory".into(),
    ///     reason: "`lots` is not a size like 512m or 2g".into(),
    /// };
    /// let cli = e.message_with(&|f| (f == "memory").then(|| "--memory".to_string()));
    /// assert_eq!(cli, "invalid --memory (memory): `lots` is not a size like 512m or 2g");
    /// assert_eq!(e.message_with(&|_| None), e.to_string());
    /// ```
    pub fn message_with(&self, word: &dyn Fn(&str) -> Option<String>) -> String {
        match self {
            Error::InvalidSpec { field, reason } => match word(field) {
                Some(w) => format!("invalid {w} ({field}): {reason}"),
                None => self.to_string(),
            },
            Error::ConfigChanged { name, changes } => {
                let list: Vec<String> = changes
                    .iter()
                    .map(|c| match word(&c.field) {
                        Some(w) => format!("{w} ({}): {} -> {}", c.field, c.stored, c.requested),
                        None => c.to_string(),
                    })
                    .collect();
                format!(
                    "sandbox `{name}` exists with another configuration ({}); pass {} to replace it, or `docksandbox rm {name}` first",
                    list.join("; "),
                    word("recreate").unwrap_or_else(|| "`recreate(true)`".into())
                )
            }
            _ => self.to_string(),
        }
    }

    /// Shorthand for an [`Error::InvalidSpec`].
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidSpec {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
