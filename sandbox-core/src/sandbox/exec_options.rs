//! How to run one command in a sandbox: environment, directory, user, stdin, timeout.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::model::key_value::parse_pair;
use crate::model::secrets::shown_value;

/// How to run one command. Everything is optional: the defaults run it as the sandbox user,
/// in the workspace, with no stdin and no timeout.
///
/// ```
/// use std::time::Duration;
/// let opts = docksandbox::ExecOptions::default()
///     .env("RUST_LOG", "debug")
///     .workdir("/tmp")
///     .stdin(b"input".to_vec())
///     .timeout(Duration::from_secs(30));
/// assert_eq!(opts.timeout, Some(Duration::from_secs(30)));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExecOptions {
    /// Extra environment variables.
    pub env: BTreeMap<String, String>,
    /// Working directory (default: the workspace).
    pub workdir: Option<String>,
    /// User (`uid:gid` or a name; default: the workspace owner's uid:gid).
    pub user: Option<String>,
    /// Bytes fed to stdin, then stdin is closed.
    pub stdin: Option<Vec<u8>>,
    /// Kill the command (and its children) after this long; the call then fails with
    /// [`crate::Error::ExecTimeout`].
    pub timeout: Option<Duration>,
    /// Kill the command (and its children) when its output is no longer awaited: the future
    /// or stream is dropped before the command ended (a cancelled task, coroutine or
    /// promise). Without it an abandoned command runs on, detached.
    pub kill_on_drop: bool,
}

impl std::fmt::Debug for ExecOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let env: BTreeMap<&String, String> = self
            .env
            .iter()
            .map(|(k, v)| (k, shown_value(k, v)))
            .collect();
        f.debug_struct("ExecOptions")
            .field("env", &env)
            .field("workdir", &self.workdir)
            .field("user", &self.user)
            .field("stdin", &self.stdin.as_ref().map(Vec::len))
            .field("timeout", &self.timeout)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}

impl ExecOptions {
    /// Adds `KEY=VALUE` words (the CLI's `exec -e`), refusing words without `=`.
    pub fn env_pairs<I, S>(mut self, pairs: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for p in pairs {
            let (k, v) = parse_pair(p.as_ref(), "exec.env")?;
            self.env.insert(k, v);
        }
        Ok(self)
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }
    /// Sets the working directory.
    pub fn workdir(mut self, dir: impl Into<String>) -> Self {
        self.workdir = Some(dir.into());
        self
    }
    /// Sets the user.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }
    /// Sets stdin's content.
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(data.into());
        self
    }
    /// Kills the command when it is abandoned (see [`ExecOptions::kill_on_drop`]).
    pub fn kill_on_drop(mut self, kill: bool) -> Self {
        self.kill_on_drop = kill;
        self
    }
    /// Sets the timeout.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }
}

/// A timeout given as a number of seconds (what the Python and Node packages take), refused
/// with [`crate::Error::InvalidSpec`] naming `field` when it is not above zero or not finite.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(docksandbox::timeout_from_secs(1.5, "timeout").unwrap(), Duration::from_millis(1500));
/// assert!(docksandbox::timeout_from_secs(-1.0, "timeout").is_err());
/// assert!(docksandbox::timeout_from_secs(f64::NAN, "timeout").is_err());
/// ```
pub fn timeout_from_secs(secs: f64, field: &str) -> Result<Duration> {
    if secs.is_nan() || secs <= 0.0 {
        return Err(Error::invalid(
            field,
            format!("{secs} is not a positive duration"),
        ));
    }
    Duration::try_from_secs_f64(secs)
        .map_err(|e| Error::invalid(field, format!("{secs} is not a duration ({e})")))
}
