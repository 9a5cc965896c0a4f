//! Commands in a sandbox: captured, streamed or attached, through the exec channel, with one
//! timeout path that kills the process tree.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::backend::{ExecControl, ExecEvent, ExecProcess, ExecRequest};
use crate::error::{Error, Result};
use crate::model::shell_words::shell_words;
use crate::model::validate;
use crate::sandbox::exec_options::ExecOptions;
use crate::sandbox::exec_output::{ExecOutput, ExecStream};
use crate::sandbox::oom::OOM_EXIT;
use crate::sandbox::{Sandbox, TtySize};

impl Sandbox {
    async fn base_env(&self) -> Vec<String> {
        let git = self
            .inner
            .git_env
            .get_or_init(|| crate::sandbox::git_identity::env(&self.inner.spec.workspace))
            .await;
        let user_name = if self.inner.user.starts_with("0:") {
            "root"
        } else {
            "agent"
        };
        let mut env = vec![
            format!("HOME={}", self.inner.home),
            format!("USER={user_name}"),
            format!("LOGNAME={user_name}"),
        ];
        env.extend(git.iter().cloned());
        env
    }

    async fn request(
        &self,
        cmd: Vec<String>,
        opts: &ExecOptions,
        tty: bool,
    ) -> Result<ExecRequest> {
        if cmd.is_empty() {
            return Err(Error::invalid("cmd", "the command is empty"));
        }
        validate::args(&cmd)?;
        self.ensure_egress().await?;
        if self.inner.spec.idle_stop.is_some() {
            crate::sandbox::activity::touch(&self.inner.name);
        }
        let mut env = self.base_env().await;
        for (k, v) in &opts.env {
            validate::env_name(k, "exec.env")?;
            validate::env_value(k, v)?;
            env.push(format!("{k}={v}"));
        }
        Ok(ExecRequest {
            cmd,
            env,
            workdir: Some(
                opts.workdir
                    .clone()
                    .unwrap_or_else(|| self.inner.spec.workspace.to_string_lossy().into_owned()),
            ),
            user: Some(opts.user.clone().unwrap_or_else(|| self.inner.user.clone())),
            tty,
            stdin: opts.stdin.is_some() || tty,
            killable: opts.timeout.is_some() || opts.kill_on_drop,
        })
    }

    /// Runs a command and captures its output.
    ///
    /// A non-zero exit is not an error (see [`ExecOutput::exit_code`]); a timeout is
    /// ([`Error::ExecTimeout`], after the process and its children were killed).
    pub async fn exec<I, S>(&self, cmd: I) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.exec_with(cmd, ExecOptions::default()).await
    }

    /// Runs a command with options and captures its output.
    pub async fn exec_with<I, S>(&self, cmd: I, opts: ExecOptions) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut events = self.exec_stream(cmd, opts).await?;
        let mut out = ExecOutput::default();
        while let Some(ev) = events.next().await {
            match ev {
                Ok(ExecEvent::Stdout(b)) => out.stdout.extend_from_slice(&b),
                Ok(ExecEvent::Stderr(b)) => out.stderr.extend_from_slice(&b),
                Ok(ExecEvent::Exit(code)) => out.exit_code = code,
                // The timeout carries what was captured before the kill.
                Err(Error::ExecTimeout {
                    command, timeout, ..
                }) => {
                    return Err(Error::ExecTimeout {
                        command,
                        timeout,
                        stdout: out.stdout,
                        stderr: out.stderr,
                    })
                }
                Err(e) => return Err(e),
            }
        }
        if out.exit_code == OOM_EXIT {
            out.oom_killed = self.oom_killed_since_checked().await.unwrap_or(false);
        }
        Ok(out)
    }

    /// Runs a command and streams its output: chunks of stdout and stderr as they come, then
    /// the exit code. With a timeout, the stream ends with [`Error::ExecTimeout`] after the
    /// process was killed.
    pub async fn exec_stream<I, S>(&self, cmd: I, mut opts: ExecOptions) -> Result<ExecStream>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let cmd: Vec<String> = cmd.into_iter().map(Into::into).collect();
        let shown = shell_words(&cmd);
        let stdin = opts.stdin.take();
        let mut req = self.request(cmd, &opts, false).await?;
        req.stdin = stdin.is_some();
        let mut p = self.inner.channel.exec(req).await?;
        if let (Some(data), Some(mut input)) = (stdin, p.stdin.take()) {
            tokio::spawn(async move {
                let _ = input.write_all(&data).await;
                let _ = input.shutdown().await;
            });
        }
        Ok(match opts.timeout {
            Some(t) => killed_when_dropped(p, Some((t, shown))),
            None if opts.kill_on_drop => killed_when_dropped(p, None),
            None => p.events,
        })
    }

    /// Starts a command attached to stdin (and a terminal when `tty` is given): the
    /// building block of interactive sessions. Write to `stdin`, read `events`, resize and
    /// kill through `control`.
    pub async fn exec_process<I, S>(
        &self,
        cmd: I,
        opts: ExecOptions,
        tty: Option<TtySize>,
    ) -> Result<ExecProcess>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let cmd: Vec<String> = cmd.into_iter().map(Into::into).collect();
        let mut req = self.request(cmd, &opts, tty.is_some()).await?;
        req.stdin = true;
        // Interactive processes can always be killed (the CLI does on SIGTERM/SIGHUP).
        req.killable = true;
        if tty.is_some() {
            req.env.push(format!(
                "TERM={}",
                std::env::var("TERM").unwrap_or_else(|_| "xterm-256color".into())
            ));
        }
        let p = self.inner.channel.exec(req).await?;
        if let Some(size) = tty {
            // The engine only takes a size once the process exists; a failure here is cosmetic.
            if let Err(e) = p.control.resize(size.rows, size.cols).await {
                tracing::debug!(error = %e, "initial resize failed");
            }
        }
        Ok(p)
    }
}

/// `p`'s events, killing the process tree when the stream is dropped before the process
/// ended (the caller's future cancelled). With `timeout` (and the command as shown), also the
/// one timeout path: once it has passed since now the tree is killed and the stream ends with
/// [`Error::ExecTimeout`] (its output left empty for the caller that captured some to fill in).
fn killed_when_dropped(p: ExecProcess, timeout: Option<(Duration, String)>) -> ExecStream {
    let deadline = timeout
        .as_ref()
        .map(|(t, _)| tokio::time::Instant::now() + *t);
    let state = Some((p.events, KillOnDrop(Some(p.control))));
    futures_util::stream::unfold(state, move |state| {
        let timeout = timeout.clone();
        async move {
            let (mut events, mut guard) = state?;
            let expiry = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                ev = events.next() => match ev {
                    Some(Ok(ExecEvent::Exit(code))) => {
                        guard.disarm();
                        Some((Ok(ExecEvent::Exit(code)), None))
                    }
                    Some(ev) => Some((ev, Some((events, guard)))),
                    None => {
                        guard.disarm();
                        None
                    }
                },
                _ = expiry => {
                    if let Some(control) = guard.0.take() {
                        if let Err(e) = control.kill().await {
                            tracing::warn!(error = %e, "could not kill the timed-out command");
                        }
                    }
                    let (timeout, command) = timeout?;
                    let timed_out = Error::ExecTimeout {
                        command,
                        timeout,
                        stdout: Vec::new(),
                        stderr: Vec::new(),
                    };
                    Some((Err(timed_out), None))
                }
            }
        }
    })
    .boxed()
}

/// Kills a process whose stream is dropped before it ended (its control is taken when it
/// ends or is killed).
struct KillOnDrop(Option<Arc<dyn ExecControl>>);

impl KillOnDrop {
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let (Some(control), Ok(rt)) = (self.0.take(), tokio::runtime::Handle::try_current()) {
            rt.spawn(async move {
                if let Err(e) = control.kill().await {
                    tracing::warn!(error = %e, "could not kill the abandoned command");
                }
            });
        }
    }
}
