//! What every reader of input a client, a file or a receiver controls promises, for
//! any bytes: it does not panic, a refusal names the field at fault, and what it
//! accepts writes back as it was read (or, for a request, gets an answer that is XML
//! again). Each function checks one reader and panics when a promise is broken: the
//! fuzz targets (`fuzz/`) call them with generated inputs, and a test replays their
//! committed corpus, so a known input that once broke one fails the test suite.

use std::fmt::Write;

use uuid::Uuid;

use super::common::{InformationCbss, RequestError, Status, StatusValue};
use super::xml::{self, Element, XmlWriter};
use super::{
    living_wages_notification_v1, living_wages_v2, living_wages_v3, living_wages_with_amount_v1,
    novaprima, pcsa_decision_v1, soap, ssdn, subscription_v1, ws_security,
};
use crate::domain::decision::{self, History, Registration};
use crate::domain::{Date, Person, RegisterStatus};

/// A reader's check, given any bytes.
pub type Check = fn(&[u8]);

/// The readers that have a check, by the name of their fuzz target.
pub const TARGETS: &[(&str, Check)] = &[
    ("xml", xml_tree),
    ("envelope", envelope),
    ("security_header", security_header),
    ("living_wages_v2", living_wages_v2_request),
    ("living_wages_v3", living_wages_v3_request),
    ("living_wages_with_amount", living_wages_with_amount_request),
    ("pcsa_decision", pcsa_decision_request),
    ("subscription", subscription_request),
    ("ssdn", ssdn_document),
    ("novaprima", novaprima_lines),
    ("notification_batch", notification_batch),
];

/// An XML tree written back (each element and attribute with a prefix of its own,
/// characters a reader would normalise as references) reads as the same tree.
pub fn xml_tree(data: &[u8]) {
    let Ok(tree) = xml::parse(data) else {
        return;
    };
    let mut out = String::new();
    write_tree(&tree, &mut out);
    match xml::parse(out.as_bytes()) {
        Ok(again) => assert_eq!(again, tree, "written back as {out}"),
        Err(e) => panic!("a tree read from the input was written back unreadable ({e}): {out}"),
    }
}

fn write_tree(el: &Element<'_>, out: &mut String) {
    out.push('<');
    let name = match &el.ns {
        Some(_) => format!("e:{}", el.local),
        None => el.local.to_string(),
    };
    out.push_str(&name);
    match &el.ns {
        Some(ns) => {
            out.push_str(" xmlns:e=\"");
            escape(ns, out);
            out.push('"');
        }
        // An element in no namespace inside one with a default: undeclare it.
        None => out.push_str(" xmlns=\"\""),
    }
    for (i, a) in el.attributes.iter().enumerate() {
        match &a.ns {
            Some(ns) if ns.as_ref() == "http://www.w3.org/XML/1998/namespace" => {
                let _ = write!(out, " xml:{}=\"", a.local);
            }
            Some(ns) => {
                let _ = write!(out, " xmlns:a{i}=\"");
                escape(ns, out);
                let _ = write!(out, "\" a{i}:{}=\"", a.local);
            }
            None => {
                let _ = write!(out, " {}=\"", a.local);
            }
        }
        escape(&a.value, out);
        out.push('"');
    }
    out.push('>');
    escape(&el.text, out);
    for child in &el.children {
        write_tree(child, out);
    }
    out.push_str("</");
    out.push_str(&name);
    out.push('>');
}

/// Markup escaped, and the characters XML normalises (line ends, attribute
/// whitespace) as references, so that they read back as they were.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// An envelope either gives its one payload element, which is a tree like any other,
/// or a refusal that says what it is. Addressing properties it gives make a reply
/// header that reads back to them.
pub fn envelope(data: &[u8]) {
    match soap::parse_envelope(data) {
        Ok(envelope) => {
            let mut out = String::new();
            write_tree(&envelope.payload, &mut out);
            let again = xml::parse(out.as_bytes());
            assert!(again.is_ok(), "payload written back unreadable: {out}");
            if let Some(addressing) = &envelope.addressing {
                let action = addressing.action.as_deref().unwrap_or("urn:a");
                let blocks = |w: &mut xml::XmlWriter| {
                    super::ws_addressing::Reply {
                        version: addressing.version,
                        action,
                        message_id: "urn:uuid:0".into(),
                        relates_to: addressing.message_id.as_deref(),
                    }
                    .write(w)
                };
                let head = soap::Head {
                    blocks: Some(&blocks),
                    body_id: None,
                };
                let reply = soap::envelope_with_head(envelope.version, head, |_| {});
                let read = xml::parse(reply.as_bytes());
                let header = read.as_ref().ok().and_then(|r| r.children.first());
                let texts: Vec<&str> = header
                    .map(|h| h.children.iter().map(|c| c.text.as_ref()).collect())
                    .unwrap_or_default();
                let mut expected = vec![action, "urn:uuid:0"];
                expected.extend(addressing.message_id.as_deref());
                assert_eq!(texts, expected, "reply header unreadable: {reply}");
            }
        }
        Err((_, e)) => {
            let _ = e.fault_code();
            assert!(
                !e.to_string().is_empty(),
                "a refusal without a reason: {e:?}"
            );
        }
    }
}

/// A WS-Security header is read, or refused with one of the specification's faults
/// and a reason; the IDs of a signed message are unique or refused by name; each
/// certificate read from a token encodes back to the token's text.
pub fn security_header(data: &[u8]) {
    let Ok(envelope) = soap::parse_envelope(data) else {
        return;
    };
    let Some(secured) = envelope.security else {
        return;
    };
    if let Err(e) = &secured.ids {
        assert!(
            e.reason.contains("ID"),
            "a duplicate ID refused without naming it: {e:?}"
        );
    }
    match ws_security::read(&secured.header) {
        Ok(read) => {
            use base64::Engine;
            let texts = secured
                .header
                .children
                .iter()
                .filter(|c| c.is(ws_security::WSSE_NS, "BinarySecurityToken"));
            for (token, element) in read.tokens.iter().zip(texts) {
                let compact: String = element.text.split_ascii_whitespace().collect();
                let again = base64::engine::general_purpose::STANDARD.encode(&token.der);
                assert_eq!(again, compact, "a token read as other bytes than it holds");
            }
            if let Some(t) = &read.timestamp {
                assert!(t.created > i64::MIN, "{t:?}");
            }
        }
        Err(e) => {
            assert!(!e.reason.is_empty(), "a refusal without a reason: {e:?}");
            assert!(e.fault.qname().contains(':'), "{:?}", e.fault);
        }
    }
}

/// A refusal of a request names what is wrong: the field, with a reason.
fn check_refusal(e: &RequestError) {
    match e {
        RequestError::Invalid(f) => {
            assert!(!f.path.is_empty(), "an invalid field without a path: {f:?}");
            assert!(
                !f.reason.is_empty(),
                "an invalid field without a reason: {f:?}"
            );
        }
        RequestError::UnknownOperation(name) => {
            assert!(!name.is_empty(), "an unknown operation without a name");
        }
        RequestError::WrongNamespace { element } => {
            assert!(!element.is_empty(), "a wrong namespace without the element");
        }
        RequestError::Malformed(reason) => {
            assert!(!reason.is_empty(), "a malformed request without a reason");
        }
    }
}

/// An answer is XML that the gateway itself reads back.
fn check_answer(written: String) {
    let document = soap::envelope(soap::SoapVersion::Soap11, |w| {
        w.raw(&written);
    });
    if let Err((_, e)) = soap::parse_envelope(document.as_bytes()) {
        panic!("the answer to an accepted request is not a readable envelope ({e}): {document}");
    }
}

fn cbss() -> InformationCbss {
    InformationCbss {
        ticket: Uuid::nil(),
        received_ms: 0,
        replied_ms: 0,
    }
}

fn status() -> Status {
    Status::new(StatusValue::NoResult, "MSG00100", "no data found")
}

/// The payload of a request envelope, when `data` is one.
fn request_payload(data: &[u8], read: impl FnOnce(&Element<'_>)) {
    if let Ok(envelope) = soap::parse_envelope(data) {
        read(&envelope.payload);
    }
}

/// A service's request: refused with the field named, or answered (an answer without
/// data) as XML the gateway reads back.
fn request_answered<R>(
    data: &[u8],
    read: fn(&Element<'_>) -> Result<R, RequestError>,
    write: impl FnOnce(&mut XmlWriter, &R),
) {
    request_payload(data, |payload| match read(payload) {
        Err(e) => check_refusal(&e),
        Ok(request) => {
            let mut w = XmlWriter::default();
            write(&mut w, &request);
            check_answer(w.finish());
        }
    });
}

pub fn living_wages_v2_request(data: &[u8]) {
    request_answered(data, living_wages_v2::read_request, |w, request| {
        let answer = living_wages_v2::Answer::Nothing;
        living_wages_v2::write_response(w, request, &cbss(), &status(), &answer);
    });
}

pub fn living_wages_v3_request(data: &[u8]) {
    request_answered(data, living_wages_v3::read_request, |w, request| {
        let answer = living_wages_v3::Answer::Nothing;
        living_wages_v3::write_response(w, request, &cbss(), &status(), &answer);
    });
}

pub fn living_wages_with_amount_request(data: &[u8]) {
    request_answered(
        data,
        living_wages_with_amount_v1::read_request,
        |w, request| {
            let answer = living_wages_with_amount_v1::Answer {
                pcsas: Vec::new(),
                last_month_is_last_paid: None,
            };
            living_wages_with_amount_v1::write_response(w, request, &cbss(), &status(), &answer);
        },
    );
}

pub fn subscription_request(data: &[u8]) {
    request_answered(data, subscription_v1::read_request, |w, request| {
        let answer = subscription_v1::Answer::default();
        subscription_v1::write_response(w, request, &cbss(), &status(), &answer);
    });
}

/// A form is read, then judged by the register's rules (for an active person with no
/// history): the rules end, whatever the dates, and every error names its field.
pub fn pcsa_decision_request(data: &[u8]) {
    request_payload(data, |payload| {
        let request = match pcsa_decision_v1::read_request(payload) {
            Err(e) => return check_refusal(&e),
            Ok(request) => request,
        };
        let mut w = XmlWriter::default();
        pcsa_decision_v1::write_response(&mut w, &request, &cbss(), &status(), None);
        check_answer(w.finish());
        let form = match request.submission {
            pcsa_decision_v1::Submission::Form(Ok(form)) => form,
            pcsa_decision_v1::Submission::Form(Err(errors))
            | pcsa_decision_v1::Submission::Payments(Err(errors)) => {
                for e in &errors {
                    assert!(!e.field.is_empty() && !e.message.is_empty(), "{e:?}");
                }
                return;
            }
            pcsa_decision_v1::Submission::Payments(Ok(_)) => return,
        };
        let person = Person {
            ssin: form.ssin(),
            last_name: "Fuzz".into(),
            first_name: "Input".into(),
            birth_date: None,
            status: RegisterStatus::Active,
        };
        let history = History {
            person: Some(&person),
            forms: &[],
            rights: &[],
            decided: &[],
            own_inscriptions: &[],
        };
        let Ok(today) = Date::from_ymd(2027, 1, 15) else {
            return;
        };
        let at = Registration {
            number: 1,
            now_ms: 1_800_000_000_000,
            today,
        };
        if let decision::Outcome::Rejected(errors) =
            decision::register(form, &history, &at, Vec::new())
        {
            for e in &errors {
                assert!(!e.field.is_empty() && !e.message.is_empty(), "{e:?}");
            }
        }
    });
}

/// An SSDN document (what `sendXML` carries in its `xmlString`) is read, each
/// ManageAccess request in it too; a refusal says why.
pub fn ssdn_document(data: &[u8]) {
    let Ok(doc) = xml::parse(data) else {
        return;
    };
    let mut partial = ssdn::Partial::default();
    match ssdn::read_request(&doc, &mut partial) {
        Err(detail) => assert!(!detail.diagnostic.is_empty(), "{detail:?}"),
        Ok(request) => {
            for service in &request.services {
                if let Some(Err(detail)) = service.payload.as_ref().map(ssdn::read_manage_access) {
                    assert!(!detail.diagnostic.is_empty(), "{detail:?}");
                }
            }
        }
    }
}

/// A NOVAPRIMA line read is written back as the same line of the same values; a
/// refused one names fields of the layout.
pub fn novaprima_lines(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in text.lines() {
        match novaprima::parse_line(line) {
            Ok(read) => {
                let mut out = String::new();
                novaprima::write_line(&read, &mut out);
                match novaprima::parse_line(&out) {
                    Ok(again) => assert_eq!(again, read, "{line:?} written back as {out:?}"),
                    Err(e) => panic!("{line:?} written back as {out:?}, refused: {e:?}"),
                }
            }
            Err(errors) => {
                assert!(!errors.is_empty());
                for e in &errors {
                    assert!(
                        e.field == "line" || novaprima::columns(e.field).is_some(),
                        "{e:?}"
                    );
                }
            }
        }
    }
}

/// A batch of notifications, as a receiver reads it.
pub fn notification_batch(data: &[u8]) {
    if let Err(reason) = living_wages_notification_v1::read_request_envelope(data) {
        assert!(!reason.is_empty(), "a refused batch without a reason");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::decision::ChangeEvent;
    use crate::domain::{CbeNumber, InsCode, Notification, OutboxSequence, Ssin};

    #[test]
    fn a_batch_the_gateway_writes_is_one_a_receiver_reads() {
        let notification = Notification {
            id: Uuid::from_u128(7),
            sequence: 1,
            outbox_sequence: OutboxSequence(1),
            event: ChangeEvent::Create,
            ssin: Ssin::parse("85073100130").unwrap(),
            pcsa: CbeNumber::parse("0207594351").unwrap(),
            pcsa_ins: InsCode::parse("62063").unwrap(),
            event_ms: 1_800_000_000_000,
            right: None,
        };
        let batch = living_wages_notification_v1::write_request(
            &CbeNumber::parse("0207594351").unwrap(),
            &[notification],
        );
        if let Some(dir) = std::env::var_os("BCSS_WRITE_SEED") {
            std::fs::write(std::path::Path::new(&dir).join("batch.xml"), &batch).unwrap();
        }
        let read = living_wages_notification_v1::read_request_envelope(batch.as_bytes()).unwrap();
        assert_eq!(read.notifications.len(), 1);
        notification_batch(batch.as_bytes());
    }
}
