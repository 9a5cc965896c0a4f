//! What a command in a sandbox gives back: the captured output, or a stream of it.

use futures_util::stream::BoxStream;

use crate::backend::ExecEvent;
use crate::error::Result;

/// The captured result of a finished command.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecOutput {
    /// Exit code (128 + signal number when a signal ended it).
    pub exit_code: i64,
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr.
    pub stderr: Vec<u8>,
    /// Whether the out-of-memory killer ended it (exit 137 while the sandbox's memory cgroup
    /// counted a kill): the sandbox's memory limit was too small for it.
    pub oom_killed: bool,
}

impl ExecOutput {
    /// Whether the command exited with 0.
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }
    /// Stdout as text (invalid UTF-8 replaced).
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    /// Stderr as text (invalid UTF-8 replaced).
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// `data` as text of at most about `max` bytes: whole when it fits, else its first and last
/// halves joined by a line saying how much was left out; and whether anything was.
///
/// ```
/// let (all, cut) = docksandbox::head_tail(b"short", 100);
/// assert_eq!((all.as_str(), cut), ("short", false));
/// let (text, cut) = docksandbox::head_tail(&[b'x'; 1000], 100);
/// assert!(cut && text.starts_with("xxxx") && text.contains("900 bytes left out"));
/// ```
pub fn head_tail(data: &[u8], max: usize) -> (String, bool) {
    if data.len() <= max {
        return (String::from_utf8_lossy(data).into_owned(), false);
    }
    let half = max / 2;
    let head = String::from_utf8_lossy(&data[..half]);
    let tail = String::from_utf8_lossy(&data[data.len() - (max - half)..]);
    let gone = data.len() - max;
    (format!("{head}\n[… {gone} bytes left out …]\n{tail}"), true)
}

/// A streaming command: stdout and stderr chunks as they come, then [`ExecEvent::Exit`].
pub type ExecStream = BoxStream<'static, Result<ExecEvent>>;
