//! LivingWagesNotificationService v1: the contract an institution implements to be
//! pushed notifications. The gateway is the client: it writes `notifyRequest` and reads
//! `notifyResponse`; the notification sink does the opposite.

use super::common::{Children, InvalidField};
use super::soap::{self, SoapVersion};
use super::xml::{Element, XmlWriter};
use crate::domain::date::format_utc_timestamp;
use crate::domain::{CbeNumber, Notification};

pub const INTF_NS: &str = "urn:bcss-gateway:intf:LivingWagesNotificationService:v1";
pub const SOAP_ACTION: &str = "urn:bcss-gateway:LivingWagesNotificationService/notify";
/// Where the notification sink listens, and what its WSDL names.
pub const SINK_PATH: &str = "/LivingWagesNotificationService/v1";

/// A batch as the gateway sends it: one subscriber's notifications, in sequence order.
pub fn write_request(subscriber: &CbeNumber, notifications: &[Notification]) -> String {
    soap::envelope(SoapVersion::Soap11, |w| {
        w.open_ns("lwn:notifyRequest", &[("lwn", INTF_NS)]);
        w.leaf("subscriber", subscriber.as_str());
        for n in notifications {
            write_notification(w, n);
        }
        w.close("lwn:notifyRequest");
    })
}

/// One notification, as a push batch and a pull answer carry it.
pub fn write_notification(w: &mut XmlWriter, n: &Notification) {
    w.open("notification")
        .leaf("id", &n.id.to_string())
        .leaf("sequenceNumber", &n.sequence.to_string())
        .leaf("event", n.event.name())
        .leaf("ssin", n.ssin.as_str());
    w.open("pcsa")
        .leaf("cbeNumber", n.pcsa.as_str())
        .leaf("insCode", n.pcsa_ins.as_str())
        .close("pcsa");
    w.leaf("eventTime", &format_utc_timestamp(n.event_ms));
    if let Some(right) = &n.right {
        w.open("right")
            .leaf("attestation", right.attestation.as_str())
            .leaf("kind", right.kind.wire_name());
        for p in &right.periods {
            w.open("period")
                .leaf("beginDate", &p.begin().xsd())
                .leaf("endDate", &p.end().xsd())
                .close("period");
        }
        w.close("right");
    }
    w.close("notification");
}

/// A notification as a receiver reads it: the text of each element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub id: String,
    pub sequence: u64,
    pub event: String,
    pub ssin: String,
    pub pcsa_cbe: String,
    pub pcsa_ins: String,
    pub event_time: String,
    /// In attestation mode.
    pub right: Option<ReceivedRight>,
}

/// The right of a notification in attestation mode, as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedRight {
    pub attestation: String,
    pub kind: String,
    /// (begin, end) of each period.
    pub periods: Vec<(String, String)>,
}

/// A batch as a receiver reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedBatch {
    pub subscriber: String,
    pub notifications: Vec<Received>,
}

/// Reads the body element of a `notifyRequest` (structure only: a receiver decides
/// what else to check).
pub fn read_request(el: &Element) -> Result<ReceivedBatch, InvalidField> {
    if !el.is(INTF_NS, "notifyRequest") {
        return Err(InvalidField::new(
            "/",
            None,
            format!(
                "expected {{{INTF_NS}}}notifyRequest, found {}",
                el.expanded_name()
            ),
        ));
    }
    let mut c = Children::of(el, "")?;
    let (subscriber, _) = c.required_text("subscriber")?;
    let mut notifications = Vec::new();
    while let Some(n) = c.optional("notification")? {
        let mut f = Children::of(n, "notification")?;
        let (id, _) = f.required_text("id")?;
        let (sequence, path) = f.required_text("sequenceNumber")?;
        let sequence = sequence
            .parse()
            .map_err(|_| InvalidField::new(path, Some(sequence), "expected a whole number"))?;
        let (event, _) = f.required_text("event")?;
        let (ssin, _) = f.required_text("ssin")?;
        let mut p = Children::of(f.required("pcsa")?, "notification/pcsa")?;
        let (pcsa_cbe, _) = p.required_text("cbeNumber")?;
        let (pcsa_ins, _) = p.required_text("insCode")?;
        p.finish()?;
        let (event_time, _) = f.required_text("eventTime")?;
        let right = match f.optional("right")? {
            None => None,
            Some(r) => {
                let mut r = Children::of(r, "notification/right")?;
                let (attestation, _) = r.required_text("attestation")?;
                let (kind, _) = r.required_text("kind")?;
                let mut periods = Vec::new();
                while let Some(period) = r.optional("period")? {
                    let mut q = Children::of(period, "notification/right/period")?;
                    let (begin, _) = q.required_text("beginDate")?;
                    let (end, _) = q.required_text("endDate")?;
                    q.finish()?;
                    periods.push((begin.to_owned(), end.to_owned()));
                }
                r.finish()?;
                Some(ReceivedRight {
                    attestation: attestation.to_owned(),
                    kind: kind.to_owned(),
                    periods,
                })
            }
        };
        f.finish()?;
        notifications.push(Received {
            id: id.to_owned(),
            sequence,
            event: event.to_owned(),
            ssin: ssin.to_owned(),
            pcsa_cbe: pcsa_cbe.to_owned(),
            pcsa_ins: pcsa_ins.to_owned(),
            event_time: event_time.to_owned(),
            right,
        });
    }
    c.finish()?;
    if notifications.is_empty() {
        return Err(InvalidField::new(
            "notification",
            None,
            "a batch holds at least one notification",
        ));
    }
    Ok(ReceivedBatch {
        subscriber: subscriber.to_owned(),
        notifications,
    })
}

/// The receiver's answer: OK (every notification of the batch is taken) or NOK.
pub fn write_response(ok: bool, message: Option<&str>) -> String {
    soap::envelope(SoapVersion::Soap11, |w| {
        w.open_ns("lwn:notifyResponse", &[("lwn", INTF_NS)])
            .leaf("status", if ok { "OK" } else { "NOK" })
            .leaf_opt("message", message)
            .close("lwn:notifyResponse");
    })
}

/// Reads the receiver's answer: `Ok(true)` for OK, `Ok(false)` for NOK (with its
/// message, if any), `Err` for anything the contract does not allow.
pub fn read_response(body: &[u8]) -> Result<(bool, Option<String>), String> {
    let envelope = soap::parse_envelope(body).map_err(|(_, e)| e.to_string())?;
    let el = &envelope.payload;
    if !el.is(INTF_NS, "notifyResponse") {
        return Err(format!(
            "expected {{{INTF_NS}}}notifyResponse, found {}",
            el.expanded_name()
        ));
    }
    let mut c = Children::of(el, "").map_err(|e| e.message())?;
    let (status, _) = c.required_text("status").map_err(|e| e.message())?;
    let message = c
        .optional_text("message")
        .map_err(|e| e.message())?
        .map(|(m, _)| m.to_owned());
    c.finish().map_err(|e| e.message())?;
    match status {
        "OK" => Ok((true, message)),
        "NOK" => Ok((false, message)),
        other => Err(format!("status {other:?} is neither OK nor NOK")),
    }
}

/// A batch holds up to 1,000 notifications, each a few dozen elements: far more than
/// a request's tree. The receiver's body limit is what bounds it.
const BATCH_MAX_ELEMENTS: usize = 1 << 20;

/// Reads a whole request envelope, for a receiver.
pub fn read_request_envelope(body: &[u8]) -> Result<ReceivedBatch, String> {
    let envelope =
        soap::parse_envelope_bounded(body, BATCH_MAX_ELEMENTS).map_err(|(_, e)| e.to_string())?;
    read_request(&envelope.payload).map_err(|e| e.message())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::decision::{Attestation, ChangeEvent};
    use crate::domain::{Date, InsCode, Period, RightKind, RightRecord, Ssin};

    #[test]
    fn a_batch_reads_back_as_written() {
        let n = Notification {
            id: uuid::Uuid::nil(),
            sequence: 7,
            outbox_sequence: crate::domain::OutboxSequence(70),
            event: ChangeEvent::Modify,
            ssin: Ssin::with_check_digits("850731001", false).unwrap(),
            pcsa: CbeNumber::with_check_digits("02075943").unwrap(),
            pcsa_ins: InsCode::parse("62063").unwrap(),
            event_ms: 0,
            right: Some(RightRecord {
                attestation: Attestation::new('B', 3),
                kind: RightKind::LivingWage,
                periods: vec![
                    Period::new(
                        Date::from_ymd(2024, 1, 1).unwrap(),
                        Date::from_ymd(2024, 6, 30).unwrap(),
                    )
                    .unwrap(),
                ],
            }),
        };
        let subscriber = CbeNumber::with_check_digits("02067374").unwrap();
        let batch =
            read_request_envelope(write_request(&subscriber, std::slice::from_ref(&n)).as_bytes())
                .unwrap();
        assert_eq!(batch.subscriber, subscriber.as_str());
        let r = &batch.notifications[0];
        assert_eq!((r.sequence, r.event.as_str()), (7, "MODIFY"));
        assert_eq!(r.event_time, "1970-01-01T00:00:00.000Z");
        assert_eq!(
            r.right,
            Some(ReceivedRight {
                attestation: "B00000000000003".into(),
                kind: "LIVING_WAGE".into(),
                periods: vec![("2024-01-01".into(), "2024-06-30".into())]
            })
        );
        assert_eq!(
            read_response(write_response(false, Some("busy")).as_bytes()),
            Ok((false, Some("busy".into())))
        );
        // The biggest batch the gateway sends is far more elements than a request may
        // have, and a receiver still reads it.
        let biggest: Vec<Notification> = (1..=1000)
            .map(|sequence| Notification {
                sequence,
                ..n.clone()
            })
            .collect();
        let xml = write_request(&subscriber, &biggest);
        assert!(crate::wire::soap::parse_envelope(xml.as_bytes()).is_err());
        let batch = read_request_envelope(xml.as_bytes()).unwrap();
        assert_eq!(batch.notifications.len(), 1000);
    }
}
