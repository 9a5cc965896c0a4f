//! Connecting a started process (the agent, an `exec`) to the CLI's own stdin, stdout,
//! stderr, terminal size and signals until it exits.

use std::time::Duration;

use docksandbox::{ExecEvent, ExecProcess, ExecStdin};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::failure::Failure;

/// What the process gets on its stdin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdin {
    /// The CLI's stdin, closed at its end.
    Forward,
    /// Nothing: closed at once (the process reads end of input).
    Closed,
    /// Nothing, but left open (a terminal without `-i`).
    Idle,
}

/// How long killing the process on a signal may take before the CLI exits anyway.
const KILL_TIMEOUT: Duration = Duration::from_secs(15);

/// Pumps output to stdout/stderr, `stdin` into the process, window-size changes (when
/// `resize`) into its terminal, until it exits; returns its exit status. SIGINT, SIGTERM and
/// SIGHUP kill the process and end the session with 128 + the signal number.
pub async fn attach(mut process: ExecProcess, stdin: Stdin, resize: bool) -> Result<i64, Failure> {
    let input = process.stdin.take();
    // Stdin left open lives until the process ends.
    let mut _idle = None;
    match (stdin, input) {
        (Stdin::Forward, Some(input)) => {
            tokio::spawn(forward_stdin(input));
        }
        (Stdin::Closed, Some(mut input)) => {
            let _ = input.shutdown().await;
        }
        (Stdin::Idle, Some(input)) => _idle = Some(input),
        (_, None) => {}
    }
    let mut winch = if resize {
        Some(signal(SignalKind::window_change())?)
    } else {
        None
    };
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut out = tokio::io::stdout();
    let mut err = tokio::io::stderr();
    loop {
        tokio::select! {
            ev = process.events.next() => match ev {
                Some(Ok(ExecEvent::Stdout(b))) => {
                    out.write_all(&b).await?;
                    out.flush().await?;
                }
                Some(Ok(ExecEvent::Stderr(b))) => {
                    err.write_all(&b).await?;
                    err.flush().await?;
                }
                Some(Ok(ExecEvent::Exit(code))) => return Ok(code),
                Some(Err(e)) => return Err(e.into()),
                None => {
                    return Err(docksandbox::Error::Client(
                        "the engine ended the session without an exit code".into(),
                    )
                    .into())
                }
            },
            _ = recv(&mut winch) => {
                if let Some(size) = crate::tty::size() {
                    if let Err(e) = process.control.resize(size.rows, size.cols).await {
                        tracing::debug!(error = %e, "resize failed");
                    }
                }
            }
            _ = int.recv() => return Ok(kill(&process, 2).await),
            _ = term.recv() => return Ok(kill(&process, 15).await),
            _ = hup.recv() => return Ok(kill(&process, 1).await),
        }
    }
}

/// Waits for the next signal of `s`; never, without one.
async fn recv(s: &mut Option<Signal>) {
    match s {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

/// Kills the process (and what it started) after the CLI got signal `signo`.
async fn kill(process: &ExecProcess, signo: i64) -> i64 {
    tracing::debug!(signo, "signal received; killing the process");
    match tokio::time::timeout(KILL_TIMEOUT, process.control.kill()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "could not kill the process in the sandbox"),
        Err(_) => tracing::warn!("killing the process in the sandbox timed out"),
    }
    128 + signo
}

/// Copies the CLI's stdin into the process, then closes the process's stdin. Runs on its own
/// task so a process that does not read its input cannot block its output.
async fn forward_stdin(mut input: ExecStdin) {
    let mut chunks = crate::input::read_stdin();
    while let Some(chunk) = chunks.recv().await {
        if input.write_all(&chunk).await.is_err() || input.flush().await.is_err() {
            return;
        }
    }
    let _ = input.shutdown().await;
}
