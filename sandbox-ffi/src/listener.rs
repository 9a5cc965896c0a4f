//! Streaming exec output to foreign code: a listener the caller implements.

use crate::error::Result;

/// Receives a streamed command's output as it comes, then its exit code. A method that
/// throws ends the stream: the command is killed and the call fails with `Other`.
#[uniffi::export(with_foreign)]
pub trait ExecListener: Send + Sync {
    /// A chunk of stdout.
    fn on_stdout(&self, data: Vec<u8>) -> Result<()>;
    /// A chunk of stderr.
    fn on_stderr(&self, data: Vec<u8>) -> Result<()>;
    /// The command ended with this exit code (always last).
    fn on_exit(&self, exit_code: i64) -> Result<()>;
}
