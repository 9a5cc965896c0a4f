//! Exec through the daemon: start, stream, learn the exit code for sure, resize, kill.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::Docker;
use futures_util::StreamExt;

use super::error_map::map;
use crate::backend::{ExecControl, ExecEvent, ExecProcess, ExecRequest};
use crate::error::{Error, Result};

/// Records the command's pid, then becomes the command: a later exec can kill it.
const PID_WRAPPER: &str = r#"echo $$ > "$0" 2>/dev/null; exec "$@""#;

/// Stops the recorded process and all its descendants, then kills them (children first).
const KILL_SCRIPT: &str = r#"p=$(cat "$1" 2>/dev/null) || exit 0
kt() { kill -STOP "$1" 2>/dev/null; for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do kt "$c"; done; kill -KILL "$1" 2>/dev/null; }
kt "$p"; rm -f "$1""#;

static EXEC_SEQ: AtomicU64 = AtomicU64::new(0);

fn pidfile_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "/tmp/.docksandbox-exec-{}-{nanos:x}-{}.pid",
        std::process::id(),
        EXEC_SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// Output buffer per exec stream: large enough for bulk transfers.
const OUTPUT_CAPACITY: usize = 64 * 1024;

pub(crate) async fn start(
    docker: &Docker,
    host: &str,
    container: &str,
    req: ExecRequest,
) -> Result<ExecProcess> {
    let pidfile = req.killable.then(pidfile_name);
    let cmd = match &pidfile {
        Some(pf) => {
            let mut c = vec![
                "/bin/sh".to_string(),
                "-c".into(),
                PID_WRAPPER.into(),
                pf.clone(),
            ];
            c.extend(req.cmd.iter().cloned());
            c
        }
        None => req.cmd.clone(),
    };
    tracing::debug!(container, request = ?req, "exec");
    let created = docker
        .create_exec(
            container,
            CreateExecOptions {
                attach_stdin: Some(req.stdin),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                tty: Some(req.tty),
                env: Some(req.env.clone()),
                cmd: Some(cmd),
                user: req.user.clone(),
                working_dir: req.workdir.clone(),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| map(host, e))?;
    let exec_id = created.id;
    let started = docker
        .start_exec(
            &exec_id,
            Some(StartExecOptions {
                detach: false,
                tty: req.tty,
                output_capacity: Some(OUTPUT_CAPACITY),
            }),
        )
        .await
        .map_err(|e| map(host, e))?;
    let StartExecResults::Attached { output, input } = started else {
        return Err(Error::Client("the engine detached an attached exec".into()));
    };
    let control = Arc::new(DockerExecControl {
        docker: docker.clone(),
        host: host.to_string(),
        container: container.to_string(),
        exec_id: exec_id.clone(),
        pidfile,
    });
    let events = events(docker.clone(), host.to_string(), exec_id, output);
    Ok(ExecProcess {
        events,
        stdin: req.stdin.then_some(input),
        control,
    })
}

type Output = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>,
>;

/// Where an exec's event stream is: still reading output, or finished.
enum State {
    Streaming {
        out: Output,
        docker: Docker,
        host: String,
        exec_id: String,
    },
    Done,
}

fn events(
    docker: Docker,
    host: String,
    exec_id: String,
    out: Output,
) -> futures_util::stream::BoxStream<'static, Result<ExecEvent>> {
    let start = State::Streaming {
        out,
        docker,
        host,
        exec_id,
    };
    futures_util::stream::unfold(start, |state| async move {
        let State::Streaming {
            mut out,
            docker,
            host,
            exec_id,
        } = state
        else {
            return None;
        };
        let event = loop {
            match out.next().await {
                Some(Ok(LogOutput::StdOut { message } | LogOutput::Console { message })) => {
                    break ExecEvent::Stdout(message)
                }
                Some(Ok(LogOutput::StdErr { message })) => break ExecEvent::Stderr(message),
                Some(Ok(LogOutput::StdIn { .. })) => continue,
                Some(Err(e)) => return Some((Err(map(&host, e)), State::Done)),
                None => {
                    let code = exit_code(&docker, &host, &exec_id).await;
                    return Some((code.map(ExecEvent::Exit), State::Done));
                }
            }
        };
        let next = State::Streaming {
            out,
            docker,
            host,
            exec_id,
        };
        Some((Ok(event), next))
    })
    .boxed()
}

/// The exit code, once the engine really knows it: after the output ends, inspect can still
/// say "running" for a moment, so poll with a short backoff.
pub(crate) async fn exit_code(docker: &Docker, host: &str, exec_id: &str) -> Result<i64> {
    let mut delay = Duration::from_millis(1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let info = docker
            .inspect_exec(exec_id)
            .await
            .map_err(|e| map(host, e))?;
        if info.running == Some(false) {
            if let Some(code) = info.exit_code {
                return Ok(code);
            }
        }
        if tokio::time::Instant::now() > deadline {
            return Err(Error::Client(format!(
                "exec {exec_id} ended its output but the engine reported no exit code for 30 s"
            )));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(50));
    }
}

/// Resize and kill of one daemon exec.
#[derive(Debug)]
pub(crate) struct DockerExecControl {
    docker: Docker,
    host: String,
    container: String,
    exec_id: String,
    pidfile: Option<String>,
}

#[async_trait]
impl ExecControl for DockerExecControl {
    async fn resize(&self, rows: u16, cols: u16) -> Result<()> {
        self.docker
            .resize_exec(
                &self.exec_id,
                bollard::exec::ResizeExecOptions {
                    height: rows,
                    width: cols,
                },
            )
            .await
            .map_err(|e| map(&self.host, e))
    }

    async fn kill(&self) -> Result<()> {
        let Some(pidfile) = &self.pidfile else {
            return Err(Error::Client(
                "this exec was started without a timeout and cannot be killed".into(),
            ));
        };
        let req = ExecRequest {
            cmd: vec![
                "/bin/sh".into(),
                "-c".into(),
                KILL_SCRIPT.into(),
                "sh".into(),
                pidfile.clone(),
            ],
            user: Some("0:0".into()),
            ..Default::default()
        };
        let mut p = start(&self.docker, &self.host, &self.container, req).await?;
        while let Some(ev) = p.events.next().await {
            ev?;
        }
        Ok(())
    }
}
