//! Idle detection: a connection's reads and writes stamp the time of the last traffic,
//! and a connection whose stamp is older than the idle timeout is closed. For
//! HTTP/1.1 it also times a request's head: from the first byte that arrives while no
//! request is being served until the server starts serving it. Between two requests a
//! kept-alive connection is idle, not slow (hyper's own header timer would start as
//! soon as it waits for the next request). The same wrapper ends the connection with a
//! reset when an injected fault asked for one (`cut.rs`).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

use super::cut::CutSignal;

pub struct Tracked<T: Linger> {
    inner: T,
    activity: Activity,
    cut: Arc<CutSignal>,
}

/// A stream whose socket can be closed with a zero linger, which the kernel answers
/// with an RST.
pub trait Linger {
    fn zero_linger(&self) -> std::io::Result<()>;
}

impl Linger for tokio_rustls::server::TlsStream<tokio::net::TcpStream> {
    fn zero_linger(&self) -> std::io::Result<()> {
        self.get_ref().0.set_zero_linger()
    }
}

impl<T: Linger> Drop for Tracked<T> {
    fn drop(&mut self) {
        if self.cut.resets()
            && let Err(e) = self.inner.zero_linger()
        {
            tracing::debug!(error = %e, "cannot reset the connection: it is closed instead");
        }
    }
}

/// No request head is on its way.
const NO_HEAD: u64 = u64::MAX;

/// The last time a connection moved bytes, and when the head of the request on its way
/// began, in milliseconds since it was opened.
#[derive(Clone)]
pub struct Activity {
    opened: Instant,
    last_ms: Arc<AtomicU64>,
    head_ms: Arc<AtomicU64>,
    serving: Arc<AtomicUsize>,
    head_began: Arc<tokio::sync::Notify>,
}

impl Activity {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(NO_HEAD - 1)
    }

    fn touch(&self) {
        self.last_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Bytes arrived: with no request being served, they begin the next one's head.
    fn received(&self) {
        let now = self.now_ms();
        self.last_ms.store(now, Ordering::Relaxed);
        if self.serving.load(Ordering::Relaxed) == 0
            && self
                .head_ms
                .compare_exchange(NO_HEAD, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.head_began.notify_one();
        }
    }

    /// The server starts serving a request: its head is complete.
    pub fn serving(&self) -> Serving {
        self.serving.fetch_add(1, Ordering::Relaxed);
        self.head_ms.store(NO_HEAD, Ordering::Relaxed);
        Serving(self.clone())
    }

    /// Completes once a request's head has taken longer than `limit` to arrive.
    pub async fn head_overdue(&self, limit: Duration) {
        loop {
            let began = self.head_ms.load(Ordering::Relaxed);
            if began == NO_HEAD {
                self.head_began.notified().await;
                continue;
            }
            let deadline = self.opened + Duration::from_millis(began) + limit;
            tokio::time::sleep_until(deadline).await;
            if self.head_ms.load(Ordering::Relaxed) == began {
                return;
            }
        }
    }

    /// Completes once the connection has been quiet for `limit`.
    pub async fn idle_for(&self, limit: Duration) {
        loop {
            let last = self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + limit;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A request being served; dropped once its response is handed over.
pub struct Serving(Activity);

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.serving.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<T: Linger> Tracked<T> {
    pub fn new(inner: T, cut: Arc<CutSignal>) -> (Self, Activity) {
        let activity = Activity {
            opened: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
            head_ms: Arc::new(AtomicU64::new(NO_HEAD)),
            serving: Arc::new(AtomicUsize::new(0)),
            head_began: Arc::new(tokio::sync::Notify::new()),
        };
        (
            Tracked {
                inner,
                activity: activity.clone(),
                cut,
            },
            activity,
        )
    }
}

impl<T: AsyncRead + Linger + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.received();
        }
        result
    }
}

impl<T: AsyncWrite + Linger + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
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
