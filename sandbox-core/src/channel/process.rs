//! The host's side of one process run through the helper: its events (granting output credit
//! as they are consumed), its stdin (sending only as much as the helper grants), its control.

use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use async_trait::async_trait;
use docksandbox_execd::frame;
use docksandbox_execd::message::{self, kind};
use docksandbox_execd::{MAX_CHUNK, OUTPUT_WINDOW, STDIN_WINDOW};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWrite;
use tokio::sync::{mpsc, watch};

use crate::backend::{ExecControl, ExecEvent};
use crate::error::{Error, Result};

type Tx = mpsc::UnboundedSender<Vec<u8>>;

/// Output bytes consumed before they are granted back to the helper in one frame.
const CREDIT_BATCH: u32 = OUTPUT_WINDOW / 4;

/// How long a kill may take to be confirmed by the helper.
const KILL_CONFIRM: Duration = Duration::from_secs(30);

/// The events of process `id`, granting output credit as the caller consumes them.
pub(crate) fn events(
    id: u32,
    command: String,
    rx: mpsc::UnboundedReceiver<Result<ExecEvent>>,
    tx: Tx,
) -> BoxStream<'static, Result<ExecEvent>> {
    Events {
        id,
        command,
        rx,
        tx,
        unacked: 0,
        finished: false,
    }
    .boxed()
}

struct Events {
    id: u32,
    command: String,
    rx: mpsc::UnboundedReceiver<Result<ExecEvent>>,
    tx: Tx,
    unacked: u32,
    finished: bool,
}

impl Stream for Events {
    type Item = Result<ExecEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let item = std::task::ready!(this.rx.poll_recv(cx));
        match &item {
            Some(Ok(ExecEvent::Stdout(b) | ExecEvent::Stderr(b))) => {
                this.unacked = this.unacked.saturating_add(b.len() as u32);
                if this.unacked >= CREDIT_BATCH {
                    let _ = this.tx.send(frame::encode(
                        kind::CREDIT,
                        this.id,
                        &message::encode_u32(this.unacked),
                    ));
                    this.unacked = 0;
                }
            }
            Some(Ok(ExecEvent::Exit(_)) | Err(_)) => this.finished = true,
            None if !this.finished => {
                // The connection's tasks are gone without a word (their runtime ended): never
                // let that pass for a clean end.
                this.finished = true;
                return Poll::Ready(Some(Err(Error::ExecInterrupted {
                    command: this.command.clone(),
                    reason:
                        "the connection's tasks stopped (the async runtime that opened it ended)"
                            .into(),
                })));
            }
            None => {}
        }
        Poll::Ready(item)
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        if !self.finished {
            // Nobody reads the rest: the helper drops it instead of waiting for credit.
            let _ = self.tx.send(frame::encode(kind::DETACH, self.id, &[]));
        }
    }
}

/// How many stdin bytes the helper still accepts for one process.
#[derive(Debug)]
pub(crate) struct StdinCredit {
    state: Mutex<CreditState>,
}

#[derive(Debug)]
struct CreditState {
    available: usize,
    waker: Option<Waker>,
    closed: bool,
}

impl StdinCredit {
    pub(crate) fn new() -> Self {
        StdinCredit {
            state: Mutex::new(CreditState {
                available: STDIN_WINDOW as usize,
                waker: None,
                closed: false,
            }),
        }
    }

    fn poll_take(&self, cx: &mut Context<'_>, want: usize) -> Poll<std::io::Result<usize>> {
        let mut s = self.state.lock().expect("lock");
        if s.closed {
            return Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
        }
        if s.available == 0 {
            s.waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = want.min(s.available);
        s.available -= n;
        Poll::Ready(Ok(n))
    }

    /// The helper wrote `n` bytes to the process.
    pub(crate) fn grant(&self, n: usize) {
        let mut s = self.state.lock().expect("lock");
        s.available += n;
        if let Some(w) = s.waker.take() {
            w.wake();
        }
    }

    /// The process ended or the connection is gone: writes fail from now on.
    pub(crate) fn close(&self) {
        let mut s = self.state.lock().expect("lock");
        s.closed = true;
        if let Some(w) = s.waker.take() {
            w.wake();
        }
    }
}

/// The stdin of process `id`.
pub(crate) struct Stdin {
    id: u32,
    tx: Tx,
    credit: std::sync::Arc<StdinCredit>,
    closed: bool,
}

impl Stdin {
    pub(crate) fn new(id: u32, tx: Tx, credit: std::sync::Arc<StdinCredit>) -> Self {
        Stdin {
            id,
            tx,
            credit,
            closed: false,
        }
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            let _ = self.tx.send(frame::encode(kind::STDIN_CLOSE, self.id, &[]));
        }
    }
}

impl AsyncWrite for Stdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.closed {
            return Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
        }
        let n = std::task::ready!(self.credit.poll_take(cx, buf.len().min(MAX_CHUNK)))?;
        if self
            .tx
            .send(frame::encode(kind::STDIN, self.id, &buf[..n]))
            .is_err()
        {
            return Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.close();
        Poll::Ready(Ok(()))
    }
}

impl Drop for Stdin {
    fn drop(&mut self) {
        self.close();
    }
}

/// Resize and kill of process `id`.
#[derive(Debug)]
pub(crate) struct Control {
    id: u32,
    tx: Tx,
    done: watch::Receiver<bool>,
}

impl Control {
    pub(crate) fn new(id: u32, tx: Tx, done: watch::Receiver<bool>) -> Self {
        Control { id, tx, done }
    }
}

#[async_trait]
impl ExecControl for Control {
    async fn resize(&self, rows: u16, cols: u16) -> Result<()> {
        let mut p = rows.to_be_bytes().to_vec();
        p.extend_from_slice(&cols.to_be_bytes());
        self.tx
            .send(frame::encode(kind::RESIZE, self.id, &p))
            .map_err(|_| Error::Client("the exec helper connection is closed".into()))
    }

    /// Kills the process tree and returns once the helper reports the process ended.
    async fn kill(&self) -> Result<()> {
        if *self.done.borrow() {
            return Ok(());
        }
        if self
            .tx
            .send(frame::encode(kind::KILL, self.id, &[9]))
            .is_err()
        {
            // The connection is gone, and the helper's processes died with it.
            return Ok(());
        }
        let mut done = self.done.clone();
        let confirmed = tokio::time::timeout(KILL_CONFIRM, async {
            // An error means the connection is gone, and the process with it.
            let _ = done.wait_for(|d| *d).await;
        })
        .await;
        match confirmed {
            Ok(()) => Ok(()),
            Err(_) => Err(Error::Client(format!(
                "the exec helper did not confirm the kill within {KILL_CONFIRM:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use docksandbox_execd::frame::Decoder;
    use tokio::io::AsyncWriteExt;

    fn frames(rx: &mut mpsc::UnboundedReceiver<Vec<u8>>) -> Vec<(u8, u32, Vec<u8>)> {
        let mut d = Decoder::default();
        while let Ok(f) = rx.try_recv() {
            d.push(&f);
        }
        let mut out = Vec::new();
        while let Some(f) = d.next_frame().unwrap() {
            out.push((f.kind, f.id, f.payload));
        }
        out
    }

    #[tokio::test]
    async fn output_credit_is_granted_as_events_are_consumed_in_batches() {
        let (tx, mut wire) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let mut events = events(7, "cmd".into(), ev_rx, tx);
        let chunk = Bytes::from(vec![0u8; 64 * 1024]);
        for _ in 0..8 {
            ev_tx.send(Ok(ExecEvent::Stdout(chunk.clone()))).unwrap();
        }
        // Received but not consumed: no credit yet.
        assert!(frames(&mut wire).is_empty());
        for _ in 0..3 {
            events.next().await.unwrap().unwrap();
        }
        assert!(
            frames(&mut wire).is_empty(),
            "credit before a batch was consumed"
        );
        events.next().await.unwrap().unwrap();
        assert_eq!(
            frames(&mut wire),
            vec![(kind::CREDIT, 7, CREDIT_BATCH.to_be_bytes().to_vec())]
        );
        ev_tx.send(Ok(ExecEvent::Exit(0))).unwrap();
        drop(ev_tx);
        let rest: Vec<_> = events.collect().await;
        assert_eq!(rest.len(), 5, "4 chunks and the exit");
        assert!(matches!(rest.last(), Some(Ok(ExecEvent::Exit(0)))));
        // A finished stream sends no DETACH when dropped.
        let f = frames(&mut wire);
        assert!(f.iter().all(|(k, _, _)| *k == kind::CREDIT), "{f:?}");
    }

    #[tokio::test]
    async fn an_abandoned_stream_detaches_and_a_silent_end_is_an_error() {
        let (tx, mut wire) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        drop(events(3, "x".into(), ev_rx, tx.clone()));
        drop(ev_tx);
        assert_eq!(frames(&mut wire), vec![(kind::DETACH, 3, vec![])]);

        let (ev_tx, ev_rx) = mpsc::unbounded_channel::<Result<ExecEvent>>();
        let mut s = events(4, "sleep 1".into(), ev_rx, tx);
        drop(ev_tx);
        match s.next().await {
            Some(Err(Error::ExecInterrupted { command, .. })) => assert_eq!(command, "sleep 1"),
            other => panic!("{other:?}"),
        }
        assert!(s.next().await.is_none());
    }

    #[tokio::test]
    async fn stdin_waits_for_credit_and_fails_once_closed() {
        let (tx, mut wire) = mpsc::unbounded_channel();
        let credit = std::sync::Arc::new(StdinCredit::new());
        let mut stdin = Stdin::new(5, tx, credit.clone());
        let window = vec![1u8; STDIN_WINDOW as usize];
        stdin.write_all(&window).await.unwrap();
        let sent: usize = frames(&mut wire).iter().map(|(_, _, p)| p.len()).sum();
        assert_eq!(sent, STDIN_WINDOW as usize);
        // The window is used up: the next write waits until the helper grants more.
        let more = tokio::spawn(async move {
            stdin.write_all(b"more").await.unwrap();
            stdin.shutdown().await.unwrap();
            stdin
        });
        tokio::task::yield_now().await;
        assert!(frames(&mut wire).is_empty());
        credit.grant(2);
        credit.grant(2);
        let stdin = more.await.unwrap();
        let f = frames(&mut wire);
        let data: Vec<u8> = f
            .iter()
            .filter(|(k, _, _)| *k == kind::STDIN)
            .flat_map(|(_, _, p)| p.clone())
            .collect();
        assert_eq!(data, b"more");
        assert_eq!(f.last().map(|x| x.0), Some(kind::STDIN_CLOSE));
        drop(stdin);
        assert!(frames(&mut wire).is_empty(), "closed twice");
        credit.close();
        let (tx, _wire) = mpsc::unbounded_channel();
        let mut s = Stdin::new(6, tx, credit);
        assert_eq!(
            s.write(b"x").await.unwrap_err().kind(),
            std::io::ErrorKind::BrokenPipe
        );
    }
}
