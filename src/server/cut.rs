//! Ending a connection on purpose, for an injected fault: reset (the peer gets a TCP
//! RST, as from a crashed server or a firewall) or closed without an answer (the end
//! of a hold). The request asks; the connection's task, which owns the connection,
//! ends it.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// A request's way to end its connection.
#[derive(Default)]
pub struct CutSignal {
    asked: tokio::sync::Notify,
    reset: AtomicBool,
}

impl CutSignal {
    /// Ends the connection with a TCP reset.
    pub fn reset(&self) {
        self.reset.store(true, Ordering::Release);
        self.asked.notify_one();
    }

    /// Ends the connection with a plain close.
    pub fn close(&self) {
        self.asked.notify_one();
    }

    /// Completes once a request asked (a request that asked before it was awaited
    /// counts: `Notify` keeps the permit).
    pub async fn asked(&self) {
        self.asked.notified().await;
    }
}

/// The connection's stream: when it is dropped after a reset was asked for, the
/// socket is closed with a zero linger, which the kernel answers with an RST.
pub struct Cuttable {
    inner: TlsStream<TcpStream>,
    signal: Arc<CutSignal>,
}

impl Cuttable {
    pub fn new(inner: TlsStream<TcpStream>, signal: Arc<CutSignal>) -> Cuttable {
        Cuttable { inner, signal }
    }
}

impl Drop for Cuttable {
    fn drop(&mut self) {
        if self.signal.reset.load(Ordering::Acquire)
            && let Err(e) = self.inner.get_ref().0.set_zero_linger()
        {
            tracing::debug!(error = %e, "cannot reset the connection: it is closed instead");
        }
    }
}

impl AsyncRead for Cuttable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Cuttable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
