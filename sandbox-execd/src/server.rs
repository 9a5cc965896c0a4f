//! The server loop: greet, then read frames from stdin and act on them; one writer task
//! sends every frame to stdout. When stdin closes, everything started is killed.

use std::collections::HashMap;

use docksandbox_execd::frame::{self, Decoder, Frame, WriteBatch};
use docksandbox_execd::message::{self, kind, Hello, Spawn};
use docksandbox_execd::PROTOCOL_VERSION;
use std::fs::File;
use std::io::{Read, Write};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::process::{self, Out, Proc};
use crate::sys;
use crate::user;

/// The server's stdin or stdout: polled on the server's thread when the descriptor allows it
/// (a pipe, as engines give), else through tokio's blocking stdio.
enum Stdio {
    Polled(AsyncFd<File>),
    In(tokio::io::Stdin),
    Out(tokio::io::Stdout),
}

impl Stdio {
    fn stdin() -> Self {
        sys::async_stdio(0).map_or_else(|_| Stdio::In(tokio::io::stdin()), Stdio::Polled)
    }

    fn stdout() -> Self {
        sys::async_stdio(1).map_or_else(|_| Stdio::Out(tokio::io::stdout()), Stdio::Polled)
    }

    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stdio::Polled(fd) => loop {
                let mut ready = fd.readable().await?;
                if let Ok(r) = ready.try_io(|f| f.get_ref().read(buf)) {
                    return r;
                }
            },
            Stdio::In(s) => s.read(buf).await,
            Stdio::Out(_) => Err(std::io::ErrorKind::Unsupported.into()),
        }
    }

    async fn write_all(&mut self, mut buf: &[u8]) -> std::io::Result<()> {
        match self {
            Stdio::Polled(fd) => {
                while !buf.is_empty() {
                    let mut ready = fd.writable().await?;
                    if let Ok(r) = ready.try_io(|f| f.get_ref().write(buf)) {
                        buf = &buf[r?..];
                    }
                }
                Ok(())
            }
            Stdio::Out(s) => {
                s.write_all(buf).await?;
                s.flush().await
            }
            Stdio::In(_) => Err(std::io::ErrorKind::Unsupported.into()),
        }
    }
}

/// Writes queued frames to stdout, batching what is already queued into one write.
async fn write_out(mut rx: mpsc::Receiver<Vec<u8>>) {
    let mut stdout = Stdio::stdout();
    let mut batch = WriteBatch::default();
    while let Some(f) = rx.recv().await {
        let bytes = batch.fill(&f, || rx.try_recv().ok());
        if stdout.write_all(bytes).await.is_err() {
            // The host is gone: nothing can be reported any more.
            std::process::exit(0);
        }
    }
}

struct Server {
    out: Out,
    procs: HashMap<u32, Proc>,
    done: mpsc::UnboundedSender<u32>,
    base_env: Vec<(String, String)>,
    added_groups: Vec<u32>,
}

/// Serves one host connection on stdin/stdout; returns the exit code.
pub(crate) async fn serve() -> i32 {
    let (out, out_rx) = mpsc::channel::<Vec<u8>>(1024);
    let writer = tokio::spawn(write_out(out_rx));
    let mut input = Stdio::stdin();
    let mut dec = Decoder::default();
    let mut buf = vec![0u8; 256 * 1024];

    // The greeting decides whether we talk at all.
    let hello = loop {
        match dec.next_frame() {
            Ok(Some(f)) => break Ok(f),
            Ok(None) => {}
            Err(e) => break Err(e.to_string()),
        }
        match input.read(&mut buf).await {
            Ok(0) | Err(_) => return 0,
            Ok(n) => dec.push(&buf[..n]),
        }
    };
    let refusal = match hello {
        Err(e) => Some(e),
        Ok(f) if f.kind != kind::HELLO => Some("the first frame must be HELLO".to_string()),
        Ok(f) => match Hello::decode(&f.payload) {
            Err(e) => Some(e.to_string()),
            Ok(h) if h.version != PROTOCOL_VERSION => Some(format!(
                "protocol version {} is not supported: this docksandbox-execd speaks version {PROTOCOL_VERSION}; \
                 use the docksandbox version that created this sandbox, or recreate the sandbox",
                h.version
            )),
            Ok(_) => None,
        },
    };
    if let Some(reason) = refusal {
        let _ = out
            .send(frame::encode(kind::FATAL, 0, reason.as_bytes()))
            .await;
        drop(out);
        let _ = writer.await;
        eprintln!("docksandbox-execd: {reason}");
        return 2;
    }
    let ok = Hello {
        version: PROTOCOL_VERSION,
    };
    let _ = out
        .send(frame::encode(kind::HELLO_OK, 0, &ok.encode()))
        .await;

    let (done, mut done_rx) = mpsc::unbounded_channel();
    let mut server = Server {
        out: out.clone(),
        procs: HashMap::new(),
        done,
        base_env: std::env::vars().collect(),
        added_groups: user::container_added_groups(),
    };
    let code = 'serve: loop {
        tokio::select! {
            r = input.read(&mut buf) => match r {
                Ok(0) | Err(_) => break 'serve 0,
                Ok(n) => {
                    dec.push(&buf[..n]);
                    loop {
                        match dec.next_frame() {
                            Ok(Some(f)) => if let Err(reason) = server.handle(f).await {
                                let _ = out.send(frame::encode(kind::FATAL, 0, reason.as_bytes())).await;
                                eprintln!("docksandbox-execd: {reason}");
                                break 'serve 2;
                            },
                            Ok(None) => break,
                            Err(e) => {
                                let _ = out.send(frame::encode(kind::FATAL, 0, e.to_string().as_bytes())).await;
                                eprintln!("docksandbox-execd: {e}");
                                break 'serve 2;
                            }
                        }
                    }
                }
            },
            Some(id) = done_rx.recv() => { server.procs.remove(&id); }
        }
    };
    // The host is gone (or broke the protocol): nothing it started may outlive it.
    for p in server.procs.values() {
        sys::kill_tree(p.pid, p.pid);
    }
    drop(server);
    drop(out);
    if code != 0 {
        let _ = writer.await;
    }
    code
}

impl Server {
    async fn handle(&mut self, f: Frame) -> Result<(), String> {
        let id = f.id;
        match f.kind {
            kind::SPAWN => {
                let spec = Spawn::decode(&f.payload).map_err(|e| e.to_string())?;
                if self.procs.contains_key(&id) {
                    return Err(format!("process id {id} is already in use"));
                }
                match process::spawn(
                    id,
                    spec,
                    &self.base_env,
                    &self.added_groups,
                    &self.out,
                    &self.done,
                ) {
                    Ok(p) => {
                        self.procs.insert(id, p);
                    }
                    Err((code, msg)) => {
                        let mut payload = vec![code];
                        payload.extend_from_slice(msg.as_bytes());
                        let _ = self
                            .out
                            .send(frame::encode(kind::SPAWN_FAILED, id, &payload))
                            .await;
                    }
                }
            }
            kind::STDIN => {
                if let Some(tx) = self.procs.get(&id).and_then(|p| p.stdin.as_ref()) {
                    let _ = tx.send(Some(f.payload));
                }
            }
            kind::STDIN_CLOSE => {
                if let Some(p) = self.procs.get_mut(&id) {
                    if let Some(tx) = p.stdin.take() {
                        let _ = tx.send(None);
                    }
                }
            }
            kind::CREDIT => {
                let n = message::decode_u32(&f.payload).map_err(|e| e.to_string())?;
                if let Some(p) = self.procs.get(&id) {
                    p.credit.grant(n);
                }
            }
            kind::RESIZE => {
                if let (Some(p), [r1, r2, c1, c2]) = (self.procs.get(&id), f.payload.as_slice()) {
                    if let Some(m) = &p.pty {
                        let _ = sys::resize(
                            m.get_ref(),
                            u16::from_be_bytes([*r1, *r2]),
                            u16::from_be_bytes([*c1, *c2]),
                        );
                    }
                }
            }
            kind::KILL => {
                if let (Some(p), [sig]) = (self.procs.get(&id), f.payload.as_slice()) {
                    if i32::from(*sig) == libc::SIGKILL {
                        p.credit.unlimit();
                        sys::kill_tree(p.pid, p.pid);
                    } else {
                        sys::signal_group(p.pid, i32::from(*sig));
                    }
                }
            }
            kind::DETACH => {
                if let Some(p) = self.procs.get(&id) {
                    p.credit.detach();
                }
            }
            other => return Err(format!("unknown frame kind {other:#04x}")),
        }
        Ok(())
    }
}
