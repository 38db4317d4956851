//! LivingWagesSubscriptionService v1 on the wire: an institution granted
//! LivingWagesNotifications subscribes (pushed to its endpoint, or pulling),
//! unsubscribes, reads its status, replays from a sequence number, and pulls and
//! acknowledges notifications.

use super::common::{
    Children, InformationCbss, InformationCustomer, InvalidField, RequestHead, Status, operation_of,
};
use super::living_wages_notification_v1::write_notification;
use super::xml::{Element, XmlWriter};
use crate::domain::date::format_utc_timestamp;
use crate::domain::{Attempt, Delivery, DeliveryMode, Notification, Subscription};

pub const INTF_NS: &str = "urn:bcss-gateway:intf:LivingWagesSubscriptionService:v1";
pub const PATH: &str = "/SOA4520/LivingWagesSubscriptionService/v1";
pub const FAULT_ELEMENT: &str = "subscriptionFault";
/// At most this many notifications per pull.
pub const MAX_PULL: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `endpoint` absent: the institution pulls.
    Subscribe {
        endpoint: Option<String>,
        mode: DeliveryMode,
    },
    Unsubscribe,
    GetStatus,
    Replay {
        from: u64,
    },
    Pull {
        after: u64,
        max: usize,
    },
    Acknowledge {
        up_to: u64,
    },
}

impl Operation {
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Subscribe { .. } => "subscribe",
            Operation::Unsubscribe => "unsubscribe",
            Operation::GetStatus => "getStatus",
            Operation::Replay { .. } => "replay",
            Operation::Pull { .. } => "pull",
            Operation::Acknowledge { .. } => "acknowledge",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub information_customer: InformationCustomer,
    pub operation: Operation,
}

impl Request {
    pub fn head(&self) -> RequestHead<'_> {
        RequestHead {
            operation: self.operation.name(),
            action_base: Some("urn:bcss-gateway:LivingWagesSubscriptionService/"),
            customer: Some(&self.information_customer),
            legal_context: None,
            ssin: None,
        }
    }
}

pub use super::common::RequestError;

fn number(c: &mut Children<'_>, local: &str) -> Result<u64, InvalidField> {
    let (text, path) = c.required_text(local)?;
    text.parse()
        .map_err(|_| InvalidField::new(path, Some(text), "expected a whole number"))
}

pub fn read_request(el: &Element) -> Result<Request, RequestError> {
    let name = operation_of(
        el,
        INTF_NS,
        &[
            "subscribe",
            "unsubscribe",
            "getStatus",
            "replay",
            "pull",
            "acknowledge",
        ],
    )?;
    let mut c = Children::of(el, "")?;
    let information_customer =
        InformationCustomer::read(c.required("informationCustomer")?, "informationCustomer")?;
    let operation = match name {
        "subscribe" => {
            let endpoint = c.optional_text("endpoint")?.map(|(t, _)| t.to_owned());
            let (mode, path) = c.required_text("mode")?;
            let mode =
                mode.parse()
                    .map_err(|e: crate::domain::subscription::DeliveryModeError| {
                        InvalidField::new(path, Some(mode), e.to_string())
                    })?;
            Operation::Subscribe { endpoint, mode }
        }
        "unsubscribe" => Operation::Unsubscribe,
        "getStatus" => Operation::GetStatus,
        "replay" => Operation::Replay {
            from: number(&mut c, "fromSequenceNumber")?,
        },
        "pull" => {
            let after = number(&mut c, "afterSequenceNumber")?;
            let max = match c.optional_text("maxNotifications")? {
                None => 100,
                Some((t, path)) => match t.parse::<usize>() {
                    Ok(n @ 1..=MAX_PULL) => n,
                    _ => {
                        return Err(InvalidField::new(
                            path,
                            Some(t),
                            format!("expected a number from 1 to {MAX_PULL}"),
                        )
                        .into());
                    }
                },
            };
            Operation::Pull { after, max }
        }
        _ => Operation::Acknowledge {
            up_to: number(&mut c, "upToSequenceNumber")?,
        },
    };
    c.finish()?;
    Ok(Request {
        information_customer,
        operation,
    })
}

/// What a handler answers besides the status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    pub subscription: Option<Subscription>,
    /// The last attempts, for `getStatus`.
    pub attempts: Vec<Attempt>,
    /// For `pull`.
    pub notifications: Vec<Notification>,
}

pub fn write_response(
    w: &mut XmlWriter,
    request: &Request,
    cbss: &InformationCbss,
    status: &Status,
    answer: &Answer,
) {
    let name = format!("ls:{}Response", request.operation.name());
    w.open_ns(&name, &[("ls", INTF_NS)]);
    request.information_customer.write(w);
    cbss.write(w);
    status.write(w);
    if let Some(s) = &answer.subscription {
        write_subscription(w, s, &answer.attempts);
    }
    for n in &answer.notifications {
        write_notification(w, n);
    }
    w.close(&name);
}

fn write_subscription(w: &mut XmlWriter, s: &Subscription, attempts: &[Attempt]) {
    w.open("subscription")
        .leaf("institution", s.institution.as_str());
    match &s.delivery {
        Delivery::Push { endpoint } => {
            w.leaf("delivery", "PUSH").leaf("endpoint", endpoint);
        }
        Delivery::Pull => {
            w.leaf("delivery", "PULL");
        }
    }
    w.leaf("mode", s.mode.wire_name())
        .leaf("state", s.state.wire_name())
        .leaf("subscribedAt", &format_utc_timestamp(s.subscribed_at_ms))
        .leaf("lastSequenceNumber", &s.last_sequence.to_string())
        .leaf("acknowledgedSequenceNumber", &s.acknowledged.to_string())
        .leaf("pendingCount", &s.pending().to_string())
        .leaf("failedAttempts", &s.failed_attempts.to_string());
    if s.failed_attempts > 0 && s.next_attempt_ms > 0 {
        w.leaf("nextAttempt", &format_utc_timestamp(s.next_attempt_ms));
    }
    w.leaf_opt("lastError", s.last_error.as_deref());
    for a in attempts {
        w.open("attempt")
            .leaf("time", &format_utc_timestamp(a.at_ms))
            .leaf("firstSequenceNumber", &a.first_sequence.to_string())
            .leaf("lastSequenceNumber", &a.last_sequence.to_string())
            .leaf("outcome", a.outcome.wire_name())
            .leaf_opt(
                "httpStatus",
                a.http_status.map(|s| s.to_string()).as_deref(),
            )
            .leaf("latencyMs", &a.latency_ms.to_string())
            .leaf_opt("error", a.error.as_deref())
            .close("attempt");
    }
    w.close("subscription");
}
