//! One connection to the in-sandbox process server: an engine exec of `execd serve` whose
//! stdin and stdout carry frames. A reader task routes incoming frames to the processes, a
//! writer task sends what the processes queue.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use docksandbox_execd::frame::{self, Decoder, Frame, WriteBatch};
use docksandbox_execd::message::{self, kind, Exit, Hello, Spawn};
use docksandbox_execd::PROTOCOL_VERSION;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, watch};

use super::process::{self, StdinCredit};
use crate::backend::{Backend, ExecEvent, ExecProcess, ExecRequest, ExecStdin};
use crate::error::{Error, Result};
use crate::model::paths::EXECD_PATH;
use crate::model::shell_words::shell_words;

/// How long the helper may take to greet back.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a connection could not be opened.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The sandbox has no helper (made before docksandbox had one): use the engine's exec.
    Missing(String),
    /// The helper is there but cannot serve us (refused, broken, forbidden): use the engine's exec.
    Unavailable(String),
    /// The engine failed (sandbox stopped, engine gone): the caller gets this error.
    Failed(Error),
}

/// A live (or lost) connection.
#[derive(Debug)]
pub(crate) struct Connection {
    tx: mpsc::UnboundedSender<Vec<u8>>,
    shared: Arc<Shared>,
    /// The process that opened it: a forked child (Python's multiprocessing) must not use it.
    pid: u32,
}

/// What the reader task and the processes share.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    procs: Mutex<HashMap<u32, Slot>>,
    lost: Mutex<Option<String>>,
    next_id: AtomicU32,
}

/// A started process, as the reader task routes to it.
#[derive(Debug)]
struct Slot {
    events: mpsc::UnboundedSender<Result<ExecEvent>>,
    stdin_credit: Arc<StdinCredit>,
    done: watch::Sender<bool>,
    command: String,
}

/// Whether the engine's answer says the helper file does not exist.
fn missing(said: &[u8]) -> bool {
    let text = String::from_utf8_lossy(said).to_ascii_lowercase();
    text.contains(EXECD_PATH) && text.contains("no such file")
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

impl Connection {
    /// Starts `execd serve` in `container` and greets it.
    pub(crate) async fn open(backend: &dyn Backend, container: &str) -> Result<Self, OpenError> {
        let req = ExecRequest {
            cmd: vec![EXECD_PATH.into(), "serve".into()],
            workdir: Some("/".into()),
            user: Some("0:0".into()),
            stdin: true,
            ..Default::default()
        };
        let mut p = backend
            .exec(container, req)
            .await
            .map_err(OpenError::Failed)?;
        let mut stdin = p.stdin.take().ok_or_else(|| {
            OpenError::Failed(Error::Client("the engine gave the helper no stdin".into()))
        })?;
        let hello = frame::encode(
            kind::HELLO,
            0,
            &Hello {
                version: PROTOCOL_VERSION,
            }
            .encode(),
        );
        let mut dec = Decoder::default();
        let greeting = async {
            stdin
                .write_all(&hello)
                .await
                .map_err(|e| OpenError::Unavailable(format!("cannot write to the helper: {e}")))?;
            stdin
                .flush()
                .await
                .map_err(|e| OpenError::Unavailable(format!("cannot write to the helper: {e}")))?;
            let mut said = Vec::new();
            loop {
                match p.events.next().await {
                    Some(Ok(ExecEvent::Stdout(b))) => {
                        said.extend_from_slice(&b);
                        dec.push(&b);
                        match dec.next_frame() {
                            Ok(Some(f)) => return Ok(f),
                            Ok(None) => {}
                            Err(_) if missing(&said) => {
                                return Err(OpenError::Missing(format!(
                                    "no {} in the sandbox",
                                    EXECD_PATH
                                )))
                            }
                            Err(_) => {
                                return Err(OpenError::Unavailable(format!(
                                    "`{} serve` answered {:?}",
                                    EXECD_PATH,
                                    lossy(&said)
                                )))
                            }
                        }
                    }
                    Some(Ok(ExecEvent::Stderr(b))) => said.extend_from_slice(&b),
                    Some(Ok(ExecEvent::Exit(code))) => {
                        let reason = format!(
                            "`{} serve` exited with code {code}: {}",
                            EXECD_PATH,
                            lossy(&said)
                        );
                        return Err(if missing(&said) {
                            OpenError::Missing(reason)
                        } else {
                            OpenError::Unavailable(reason)
                        });
                    }
                    Some(Err(e)) => return Err(OpenError::Failed(e)),
                    None => return Err(OpenError::Unavailable("the helper's output ended".into())),
                }
            }
        };
        let first = tokio::time::timeout(HANDSHAKE_TIMEOUT, greeting)
            .await
            .map_err(|_| {
                OpenError::Unavailable(format!(
                    "the helper did not greet within {HANDSHAKE_TIMEOUT:?}"
                ))
            })??;
        match first.kind {
            kind::HELLO_OK
                if Hello::decode(&first.payload).is_ok_and(|h| h.version == PROTOCOL_VERSION) => {}
            kind::FATAL => {
                return Err(OpenError::Unavailable(format!(
                    "the helper refused the connection: {}",
                    lossy(&first.payload)
                )))
            }
            k => {
                return Err(OpenError::Unavailable(format!(
                    "the helper greeted with frame kind {k:#04x}"
                )))
            }
        }
        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(read_loop(p.events, dec, shared.clone()));
        tokio::spawn(write_loop(stdin, rx, shared.clone()));
        Ok(Connection {
            tx,
            shared,
            pid: std::process::id(),
        })
    }

    /// Why the connection is gone, or `None` while it is alive.
    pub(crate) fn lost(&self) -> Option<String> {
        if self.pid != std::process::id() {
            return Some("the process forked: the child opens its own connection".into());
        }
        self.shared.lost.lock().expect("lock").clone()
    }

    /// Starts a process; `None` when the connection is lost (connect again).
    pub(crate) fn start(&self, req: &ExecRequest) -> Option<ExecProcess> {
        let id = self
            .shared
            .next_id
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1);
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let stdin_credit = Arc::new(StdinCredit::new());
        let (done_tx, done_rx) = watch::channel(false);
        let command = shell_words(&req.cmd);
        {
            let lost = self.shared.lost.lock().expect("lock");
            if lost.is_some() || self.pid != std::process::id() {
                return None;
            }
            self.shared.procs.lock().expect("lock").insert(
                id,
                Slot {
                    events: events_tx,
                    stdin_credit: stdin_credit.clone(),
                    done: done_tx,
                    command: command.clone(),
                },
            );
        }
        let spawn = Spawn {
            tty: req.tty,
            stdin: req.stdin,
            rows: 0,
            cols: 0,
            user: req.user.clone().unwrap_or_default(),
            cwd: req.workdir.clone().unwrap_or_default(),
            argv: req.cmd.clone(),
            env: req.env.clone(),
        };
        tracing::debug!(id, request = ?req, "exec through the helper");
        if self
            .tx
            .send(frame::encode(kind::SPAWN, id, &spawn.encode()))
            .is_err()
        {
            self.shared.procs.lock().expect("lock").remove(&id);
            return None;
        }
        let stdin: Option<ExecStdin> = req
            .stdin
            .then(|| Box::pin(process::Stdin::new(id, self.tx.clone(), stdin_credit)) as ExecStdin);
        Some(ExecProcess {
            events: process::events(id, command, events_rx, self.tx.clone()),
            stdin,
            control: Arc::new(process::Control::new(id, self.tx.clone(), done_rx)),
        })
    }
}

impl Shared {
    /// Routes one frame from the helper.
    fn dispatch(&self, f: Frame) {
        let mut procs = self.procs.lock().expect("lock");
        match f.kind {
            kind::STDOUT | kind::STDERR => {
                if let Some(slot) = procs.get(&f.id) {
                    let b = Bytes::from(f.payload);
                    let ev = if f.kind == kind::STDOUT {
                        ExecEvent::Stdout(b)
                    } else {
                        ExecEvent::Stderr(b)
                    };
                    let _ = slot.events.send(Ok(ev));
                }
            }
            kind::STDIN_CREDIT => {
                if let (Some(slot), Ok(n)) = (procs.get(&f.id), message::decode_u32(&f.payload)) {
                    slot.stdin_credit.grant(n as usize);
                }
            }
            kind::EXIT => {
                if let Some(slot) = procs.remove(&f.id) {
                    let code = Exit::decode(&f.payload).map_or(255, |e| e.shell_code());
                    slot.finish(Ok(ExecEvent::Exit(code)));
                }
            }
            kind::SPAWN_FAILED => {
                if let Some(slot) = procs.remove(&f.id) {
                    let (code, msg) = f
                        .payload
                        .split_first()
                        .map_or((126, &[][..]), |(c, m)| (*c, m));
                    let mut text = msg.to_vec();
                    text.push(b'\n');
                    let _ = slot.events.send(Ok(ExecEvent::Stderr(text.into())));
                    slot.finish(Ok(ExecEvent::Exit(i64::from(code))));
                }
            }
            kind::FATAL => {
                tracing::warn!(reason = %lossy(&f.payload), "the exec helper gave up");
                drop(procs);
                self.lose(format!("the helper gave up: {}", lossy(&f.payload)));
            }
            other => tracing::debug!(kind = other, "ignoring an unknown frame from the helper"),
        }
    }

    /// The connection is gone: every running process learns it.
    fn lose(&self, reason: String) {
        let mut lost = self.lost.lock().expect("lock");
        if lost.is_none() {
            *lost = Some(reason.clone());
        }
        drop(lost);
        let slots: Vec<Slot> = self
            .procs
            .lock()
            .expect("lock")
            .drain()
            .map(|(_, s)| s)
            .collect();
        for slot in slots {
            let command = slot.command.clone();
            slot.finish(Err(Error::ExecInterrupted {
                command,
                reason: reason.clone(),
            }));
        }
    }
}

impl Slot {
    fn finish(self, last: Result<ExecEvent>) {
        let _ = self.events.send(last);
        self.stdin_credit.close();
        let _ = self.done.send(true);
    }
}

async fn read_loop(
    mut events: BoxStream<'static, Result<ExecEvent>>,
    mut dec: Decoder,
    shared: Arc<Shared>,
) {
    let mut said = Vec::new();
    let reason = 'read: loop {
        loop {
            match dec.next_frame() {
                Ok(Some(f)) => shared.dispatch(f),
                Ok(None) => break,
                Err(e) => break 'read format!("the helper sent a bad frame: {e}"),
            }
        }
        match events.next().await {
            Some(Ok(ExecEvent::Stdout(b))) => dec.push(&b),
            Some(Ok(ExecEvent::Stderr(b))) => {
                tracing::debug!(helper = %lossy(&b), "exec helper stderr");
                said = b.to_vec();
            }
            Some(Ok(ExecEvent::Exit(code))) => {
                break format!(
                    "the helper exited with code {code}{}",
                    if said.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", lossy(&said))
                    }
                )
            }
            Some(Err(e)) => break format!("the engine stream failed: {e}"),
            None => break "the helper's output ended".to_string(),
        }
    };
    shared.lose(reason);
}

async fn write_loop(
    mut stdin: ExecStdin,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    shared: Arc<Shared>,
) {
    let mut batch = WriteBatch::default();
    while let Some(f) = rx.recv().await {
        let bytes = batch.fill(&f, || rx.try_recv().ok());
        let wrote = async {
            stdin.write_all(bytes).await?;
            stdin.flush().await
        };
        if let Err(e) = wrote.await {
            shared.lose(format!("cannot write to the helper: {e}"));
            return;
        }
    }
    // Every handle and process is gone: closing stdin ends the helper, which kills what is left.
    let _ = stdin.shutdown().await;
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_missing_helper_is_told_apart_from_a_broken_one() {
        let engine = br#"OCI runtime exec failed: exec failed: unable to start container process: exec: "/mnt/docksandbox/bin/execd": stat /mnt/docksandbox/bin/execd: no such file or directory: unknown"#;
        assert!(super::missing(engine));
        assert!(!super::missing(b"exec format error"));
        assert!(!super::missing(b"/lib/ld-musl: no such file or directory"));
    }
}
