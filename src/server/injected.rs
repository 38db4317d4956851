//! Injected faults on the HTTP exchange: an answer replaced by an HTTP error, withheld
//! (a reset, a hold), or delivered broken (truncated, malformed, dribbled). The rules
//! themselves, and what they match, are `services::faults`.

use std::time::Duration;

use bytes::Bytes;
use hyper::{Response, StatusCode, header};

use super::body::AnswerBody;
use super::contracts;
use super::routes::HttpResponse;
use crate::services::faults::{Effect, Faults, HttpSpec, Injection, RuleError, RuleSpec};

/// The rules of a gateway that serves the services of `contracts::SERVICES` (the names
/// a rule may match).
pub fn registry(max_hold: Duration) -> Faults {
    Faults::new(max_hold, service_names())
}

/// Checks a rule as the gateway's registry would (a world file's, before a gateway
/// runs).
pub fn check(spec: &RuleSpec) -> Result<(), RuleError> {
    crate::services::faults::check(spec, &service_names())
}

fn service_names() -> Vec<&'static str> {
    contracts::SERVICES.iter().map(|s| s.name).collect()
}

/// An answer that must not be sent: the connection's task ends the connection
/// instead (`cut::CutSignal`), at once or after the hold.
#[derive(Clone, Copy, Debug)]
pub enum Withheld {
    Reset,
    Hold(Duration),
}

/// `response` as the injected effect delivers it, and the outcome the journal keeps
/// when the effect replaced the answer. The answer's own effects (a delay, a status, a
/// fault) were applied before it was made.
pub fn shape(
    response: HttpResponse,
    injection: &Injection,
    max_hold: Duration,
) -> (HttpResponse, Option<&'static str>) {
    match &injection.effect {
        Some(Effect::Http(h)) => (http_error(h), Some("HTTP_ERROR")),
        Some(Effect::Reset) => (withheld(Withheld::Reset), Some("NO_ANSWER")),
        Some(Effect::Hold(h)) => {
            let hold = h.ms.map_or(max_hold, Duration::from_millis).min(max_hold);
            (withheld(Withheld::Hold(hold)), Some("NO_ANSWER"))
        }
        Some(Effect::Truncate) => (reshape(response, AnswerBody::truncated), None),
        Some(Effect::Malformed) => (
            reshape(response, |b: Bytes| {
                AnswerBody::whole(b.slice(..b.len() / 2))
            }),
            None,
        ),
        Some(Effect::Dribble(d)) => {
            let (bytes, every) = (d.bytes, Duration::from_millis(d.every_ms));
            let body = |b| AnswerBody::dribbled(b, bytes, every, max_hold);
            (reshape(response, body), None)
        }
        _ => (response, None),
    }
}

/// The HTTP status the journal keeps: 0 for an answer never sent.
pub fn http_status(response: &HttpResponse) -> u16 {
    if response.extensions().get::<Withheld>().is_some() {
        0
    } else {
        response.status().as_u16()
    }
}

fn withheld(how: Withheld) -> HttpResponse {
    let mut r = Response::new(AnswerBody::empty());
    r.extensions_mut().insert(how);
    r
}

fn reshape(response: HttpResponse, body: impl FnOnce(Bytes) -> AnswerBody) -> HttpResponse {
    let (parts, whole) = response.into_parts();
    Response::from_parts(parts, body(whole.into_bytes()))
}

/// An error page as a load balancer in front of the network writes one.
fn http_error(h: &HttpSpec) -> HttpResponse {
    let status = StatusCode::from_u16(h.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let page = h.body.clone().unwrap_or_else(|| {
        let title = format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error")
        );
        format!(
            "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
        )
    });
    let mut r = Response::new(AnswerBody::whole(page));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html"),
    );
    if let Some(seconds) = h.retry_after {
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    r
}
