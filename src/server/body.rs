//! The body of the gateway's answers: whole, as nearly every answer is, or as an
//! injected fault delivers it (cut short, or a few bytes at a time).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

/// The answer was cut on purpose: the connection ends without the rest.
#[derive(Debug, thiserror::Error)]
#[error("the answer was cut by an injected fault")]
pub struct Cut;

pub struct AnswerBody(Kind);

/// How long a truncated answer waits before its cut: its first half is written out
/// meanwhile.
const FLUSHED: Duration = Duration::from_millis(50);

enum Kind {
    Whole(Option<Bytes>),
    /// Sends `sent` then fails, while declaring the length of the whole. Between the
    /// two it waits a moment, so that what was sent leaves the server's buffers
    /// before the connection is cut.
    Truncated {
        sent: Option<Bytes>,
        declared: u64,
        wait: Option<Pin<Box<tokio::time::Sleep>>>,
    },
    Dribbled {
        rest: Bytes,
        piece: usize,
        every: Duration,
        declared: u64,
        wait: Option<Pin<Box<tokio::time::Sleep>>>,
        /// Past it the rest goes at once: a dribble keeps a request no longer than
        /// a hold may.
        until: tokio::time::Instant,
    },
}

impl AnswerBody {
    pub fn whole(bytes: impl Into<Bytes>) -> AnswerBody {
        let bytes = bytes.into();
        AnswerBody(Kind::Whole((!bytes.is_empty()).then_some(bytes)))
    }

    pub fn empty() -> AnswerBody {
        AnswerBody(Kind::Whole(None))
    }

    /// The bytes of a whole body, to keep a copy of (`--journal-bodies`).
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.0 {
            Kind::Whole(bytes) => bytes.as_ref(),
            _ => None,
        }
    }

    /// The bytes of a whole body (an answer an injected fault reshapes); a body
    /// already reshaped has none to give.
    pub fn into_bytes(self) -> Bytes {
        match self.0 {
            Kind::Whole(bytes) => bytes.unwrap_or_default(),
            _ => Bytes::new(),
        }
    }

    /// Half of `bytes`, then a cut.
    pub fn truncated(bytes: Bytes) -> AnswerBody {
        let declared = bytes.len() as u64;
        let sent = bytes.slice(..bytes.len() / 2);
        AnswerBody(Kind::Truncated {
            sent: Some(sent),
            declared,
            wait: None,
        })
    }

    /// `bytes`, `piece` at a time, `every` apart, for at most `longest`.
    pub fn dribbled(bytes: Bytes, piece: usize, every: Duration, longest: Duration) -> AnswerBody {
        AnswerBody(Kind::Dribbled {
            declared: bytes.len() as u64,
            rest: bytes,
            piece: piece.max(1),
            every,
            wait: None,
            until: tokio::time::Instant::now() + longest,
        })
    }
}

impl From<String> for AnswerBody {
    fn from(text: String) -> AnswerBody {
        AnswerBody::whole(text)
    }
}

impl Body for AnswerBody {
    type Data = Bytes;
    type Error = Cut;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Cut>>> {
        match &mut self.0 {
            Kind::Whole(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Truncated { sent, wait, .. } => {
                if let Some(b) = sent.take() {
                    *wait = Some(Box::pin(tokio::time::sleep(FLUSHED)));
                    return Poll::Ready(Some(Ok(Frame::data(b))));
                }
                if let Some(sleep) = wait
                    && sleep.as_mut().poll(cx).is_pending()
                {
                    return Poll::Pending;
                }
                Poll::Ready(Some(Err(Cut)))
            }
            Kind::Dribbled {
                rest,
                piece,
                every,
                wait,
                until,
                ..
            } => {
                if rest.is_empty() {
                    return Poll::Ready(None);
                }
                if let Some(sleep) = wait {
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    *wait = None;
                }
                let now = tokio::time::Instant::now();
                let n = if now >= *until {
                    rest.len()
                } else {
                    (*piece).min(rest.len())
                };
                let chunk = rest.split_to(n);
                if !rest.is_empty() {
                    *wait = Some(Box::pin(tokio::time::sleep(*every)));
                }
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Whole(bytes) => bytes.is_none(),
            Kind::Truncated { .. } => false,
            Kind::Dribbled { rest, .. } => rest.is_empty(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Whole(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            Kind::Truncated { declared, .. } | Kind::Dribbled { declared, .. } => {
                SizeHint::with_exact(*declared)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_dribble_sends_everything_in_pieces_and_a_truncation_fails() {
        let mut body = AnswerBody::dribbled(
            Bytes::from_static(b"0123456789"),
            4,
            Duration::from_millis(1),
            Duration::from_secs(5),
        );
        assert_eq!(body.size_hint().exact(), Some(10));
        let mut pieces = Vec::new();
        while let Some(frame) = body.frame().await {
            pieces.push(frame.unwrap().into_data().unwrap());
        }
        assert_eq!(pieces, [&b"0123"[..], b"4567", b"89"]);
        let mut cut = AnswerBody::truncated(Bytes::from_static(b"0123456789"));
        assert_eq!(cut.size_hint().exact(), Some(10));
        assert_eq!(
            &cut.frame().await.unwrap().unwrap().into_data().unwrap()[..],
            b"01234"
        );
        assert!(cut.frame().await.unwrap().is_err());
    }
}
