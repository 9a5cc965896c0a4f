//! Copying bytes both ways between a client and its upstream, counting them.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

/// A stream that counts the bytes read from it.
struct Counted<T> {
    inner: T,
    read: u64,
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.read += n as u64;
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Bytes moved per read and write each way (tokio's default, 8 KiB, costs a system call per
/// 8 KiB on a bulk download).
const BUF: usize = 256 * 1024;

/// What a finished tunnel moved.
#[derive(Debug)]
pub struct Moved {
    /// Client to upstream, `preface` included.
    pub up: u64,
    /// Upstream to client.
    pub down: u64,
    /// How it ended, if not cleanly.
    pub error: Option<io::Error>,
}

/// Sends `preface` (bytes already read from the client) upstream, then copies both ways until
/// both directions are closed.
pub async fn splice<A, B>(client: A, mut upstream: B, preface: &[u8]) -> Moved
where
    A: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
{
    if !preface.is_empty() {
        if let Err(e) = upstream.write_all(preface).await {
            return Moved {
                up: 0,
                down: 0,
                error: Some(e),
            };
        }
    }
    let mut c = Counted {
        inner: client,
        read: 0,
    };
    let mut u = Counted {
        inner: upstream,
        read: 0,
    };
    let error = tokio::io::copy_bidirectional_with_sizes(&mut c, &mut u, BUF, BUF)
        .await
        .err();
    Moved {
        up: c.read + preface.len() as u64,
        down: u.read,
        error,
    }
}
