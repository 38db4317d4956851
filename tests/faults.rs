//! Injected faults as a client sees them, over real TLS: a forced status is a valid
//! answer, a fault and an HTTP error come as a load balancer or the network sends
//! them, a delay lasts at least its delay, a reset is a TCP reset, a hold answers
//! nothing, broken answers are broken as described, a seed replays its sequence, and
//! nothing a fault touches is stored. Each injected exchange is marked in the journal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use bcss_gateway::services::faults::RuleSpec;
use bcss_gateway::store::AuditMark;
use support::{Call, Gateway, LW3_NS, LW3_PATH, Options, PATH, PD_PATH, envelope, liege_form_b};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn rule(json: serde_json::Value) -> RuleSpec {
    serde_json::from_value(json).unwrap()
}

fn add(gw: &Gateway, json: serde_json::Value) -> u64 {
    gw.faults.add(vec![rule(json)], gw.clock.now_ms()).unwrap()[0]
}

fn consultation(gw: &Gateway, ssin: &str) -> String {
    Call::new("getLivingWages", &gw.cbe("onem"), ssin).soap11()
}

/// Sends one HTTP/1.1 request by hand and reads until the server closes or fails:
/// what arrived, and how the stream ended.
async fn raw_exchange(gw: &Gateway, body: &str) -> (Vec<u8>, std::io::Result<()>) {
    let mut tls = gw.anonymous().connect().await;
    let head = gw.raw_post_head("onem", body.len());
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(body.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        match tls.read(&mut buf).await {
            Ok(0) => break Ok(()),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) => break Err(e),
        }
    };
    (received, end)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_status_is_a_valid_answer_and_the_journal_marks_it() {
    let gw = Gateway::start().await;
    let ssin = gw.ssins.two_pcsas.clone();
    let id = add(
        &gw,
        serde_json::json!({
            "match": {"service": "LivingWagesService v2", "operation": "getLivingWages", "ssin": ssin},
            "effect": {"status": "MSG00012"},
            "count": 1
        }),
    );
    let onem = gw.basic("onem");
    // `soap` validates the answer against the contract's schemas.
    let forced = onem.soap(&consultation(&gw, &ssin)).await;
    assert_eq!(forced.status, 200);
    assert_eq!(forced.status_code(), "MSG00012", "{}", forced.body);
    assert_eq!(
        forced.texts_of("ssin").last().map(String::as_str),
        Some(ssin.as_str())
    );
    // The count is spent: the next one is answered as the register says.
    let normal = onem.soap(&consultation(&gw, &ssin)).await;
    assert_eq!(normal.status_code(), "MSG00000");
    assert!(gw.faults.list().is_empty());

    // V3 too, matched by operation alone.
    add(
        &gw,
        serde_json::json!({"match": {"service": "LivingWagesService v3"}, "effect": {"status": "MSG00100"}}),
    );
    let payload = Call::new("getLivingWages", &gw.cbe("onem"), &ssin)
        .payload()
        .replace(support::INTF_NS, LW3_NS);
    let v3 = onem
        .soap_at(LW3_PATH, &envelope(support::SOAP11, &payload))
        .await;
    assert_eq!(v3.status_code(), "MSG00100", "{}", v3.body);
    // V2 is left alone by a rule on V3.
    assert_eq!(
        onem.soap(&consultation(&gw, &ssin)).await.status_code(),
        "MSG00000"
    );

    gw.flush_audit().await;
    let trail = gw.store.audit_trail(None, 100).unwrap();
    let marked: Vec<_> = trail
        .iter()
        .filter_map(|r| match &r.mark {
            Some(AuditMark::Injected { rule, effect }) => Some((
                *rule,
                effect.as_str(),
                r.service.as_deref(),
                r.outcome.as_ref(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        marked,
        [
            (
                id,
                "status MSG00012",
                Some("LivingWagesService v2"),
                "MSG00012"
            ),
            (
                id + 1,
                "status MSG00100",
                Some("LivingWagesService v3"),
                "MSG00100"
            ),
        ]
    );
    assert_eq!(trail.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_http_errors_come_as_the_network_and_its_load_balancer_send_them() {
    let gw = Gateway::start().await;
    let ssin = gw.ssins.two_pcsas.clone();
    let onem = gw.basic("onem");
    add(
        &gw,
        serde_json::json!({"effect": {"fault": {}}, "count": 1}),
    );
    let fault = onem.soap(&consultation(&gw, &ssin)).await;
    assert_eq!(fault.status, 500);
    assert_eq!(fault.reason_code(), "MSG00003", "{}", fault.body);
    assert!(fault.body.contains("Server"), "{}", fault.body);

    add(
        &gw,
        serde_json::json!({"effect": {"fault": {"reason": "MSG00013", "message": "not today"}}, "count": 1}),
    );
    let client = onem.soap(&consultation(&gw, &ssin)).await;
    assert_eq!(client.reason_code(), "MSG00013");
    assert!(
        client.body.contains("not today") && client.body.contains("Client"),
        "{}",
        client.body
    );

    add(
        &gw,
        serde_json::json!({"effect": {"http": {"status": 503, "retryAfter": 5}}, "count": 1}),
    );
    let unavailable = onem.soap(&consultation(&gw, &ssin)).await;
    assert_eq!(unavailable.status, 503);
    assert_eq!(unavailable.header("retry-after"), Some("5"));
    assert_eq!(unavailable.header("content-type"), Some("text/html"));
    assert!(
        unavailable
            .body
            .contains("<h1>503 Service Unavailable</h1>"),
        "{}",
        unavailable.body
    );

    add(
        &gw,
        serde_json::json!({"match": {"method": "GET"}, "effect": {"http": {"status": 429}}, "count": 1}),
    );
    assert_eq!(onem.get(&format!("{PATH}?wsdl")).await.status, 429);
    assert_eq!(onem.get(&format!("{PATH}?wsdl")).await.status, 200);
    // What watches the gateway is never faulted.
    add(
        &gw,
        serde_json::json!({"effect": {"http": {"status": 500}}}),
    );
    assert_eq!(onem.get("/health").await.status, 200);
    assert_eq!(onem.soap(&consultation(&gw, &ssin)).await.status, 500);
    gw.faults.clear();
    assert_eq!(onem.soap(&consultation(&gw, &ssin)).await.status, 200);

    gw.flush_audit().await;
    let outcomes: Vec<(String, u16)> = gw
        .store
        .audit_trail(None, 100)
        .unwrap()
        .iter()
        .filter(|r| r.mark.is_some())
        .map(|r| (r.outcome.to_string(), r.http_status))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("MSG00003".into(), 500),
            ("MSG00013".into(), 500),
            ("HTTP_ERROR".into(), 503),
            ("HTTP_ERROR".into(), 429),
            ("HTTP_ERROR".into(), 500),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delay_lasts_at_least_its_delay_and_a_dribble_brings_the_whole_answer() {
    let gw = Gateway::start().await;
    let ssin = gw.ssins.two_pcsas.clone();
    let onem = gw.basic("onem");
    add(
        &gw,
        serde_json::json!({"delay": {"fixed": {"ms": 400}}, "count": 1}),
    );
    let started = Instant::now();
    let delayed = onem.soap(&consultation(&gw, &ssin)).await;
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(delayed.status_code(), "MSG00000");

    let whole = onem.soap(&consultation(&gw, &ssin)).await.body;
    add(
        &gw,
        serde_json::json!({"effect": {"dribble": {"bytes": 256, "everyMs": 40}}, "count": 1}),
    );
    let started = Instant::now();
    let dribbled = onem.soap(&consultation(&gw, &ssin)).await;
    let pauses = (whole.len() as u32).div_ceil(256) - 1;
    assert!(started.elapsed() >= Duration::from_millis(40) * pauses);
    assert_eq!(dribbled.status_code(), "MSG00000");
    assert_eq!(dribbled.body.len(), whole.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_is_a_reset_and_a_hold_answers_nothing() {
    let gw = Gateway::start_with(Options {
        max_hold: Duration::from_millis(600),
        ..Options::default()
    })
    .await;
    let body = consultation(&gw, &gw.ssins.two_pcsas.clone());
    add(&gw, serde_json::json!({"effect": "reset", "count": 1}));
    let (received, end) = raw_exchange(&gw, &body).await;
    assert!(received.is_empty());
    assert_eq!(
        end.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset)
    );

    // Asked for longer than the gateway's --max-hold: held for the maximum.
    add(
        &gw,
        serde_json::json!({"effect": {"hold": {"ms": 60000}}, "count": 1}),
    );
    let started = Instant::now();
    let (received, end) = raw_exchange(&gw, &body).await;
    let held = started.elapsed();
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    assert!(held >= Duration::from_millis(600) && held < Duration::from_secs(30));
    // Closed, not reset: without TLS close_notify, as a server that went away.
    assert_ne!(
        end.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset)
    );

    // The next request is answered.
    let (received, _) = raw_exchange_closing(&gw, &body).await;
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");

    gw.flush_audit().await;
    let held: Vec<_> = gw
        .store
        .audit_trail(None, 100)
        .unwrap()
        .into_iter()
        .filter(|r| r.mark.is_some())
        .map(|r| (r.outcome.to_string(), r.http_status))
        .collect();
    assert_eq!(held, [("NO_ANSWER".into(), 0), ("NO_ANSWER".into(), 0)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_answer_is_cut_and_a_malformed_one_is_not_xml() {
    let gw = Gateway::start().await;
    let body = consultation(&gw, &gw.ssins.two_pcsas.clone());
    let (whole, _) = raw_exchange_closing(&gw, &body).await;
    let whole_body = split_body(&whole).1.to_owned();

    add(&gw, serde_json::json!({"effect": "truncate", "count": 1}));
    let (cut, _) = raw_exchange_closing(&gw, &body).await;
    let (head, got) = split_body(&cut);
    let declared: usize = header(head, "content-length").parse().unwrap();
    assert_eq!(declared, whole_body.len());
    assert_eq!(got.len(), declared / 2);
    // The same answer (its ticket and timestamps aside), cut.
    assert_eq!(got[..60], whole_body[..60]);
    // A client reading it fails: the body ends before its declared length.
    add(&gw, serde_json::json!({"effect": "truncate", "count": 1}));
    let failed = gw
        .basic("onem")
        .try_send(
            "POST",
            PATH,
            &[("content-type", "text/xml")],
            body.clone().into_bytes(),
        )
        .await;
    assert!(failed.is_err(), "{:?}", failed.map(|r| r.body));

    add(&gw, serde_json::json!({"effect": "malformed", "count": 1}));
    let (broken, _) = raw_exchange_closing(&gw, &body).await;
    let (head, got) = split_body(&broken);
    assert!(head.starts_with("HTTP/1.1 200"));
    assert_eq!(
        header(head, "content-length").parse::<usize>().unwrap(),
        got.len()
    );
    assert!(got.len() < whole_body.len() && got[..60] == whole_body[..60]);
    assert!(well_formed(got).is_err());
}

/// `raw_exchange` with `connection: close`, so that a whole answer ends the stream.
async fn raw_exchange_closing(gw: &Gateway, body: &str) -> (String, std::io::Result<()>) {
    let mut tls = gw.anonymous().connect().await;
    let head =
        gw.raw_post_head("onem", body.len())
            .replacen("\r\n", "\r\nconnection: close\r\n", 1);
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(body.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let end = tls.read_to_end(&mut received).await.map(drop);
    (String::from_utf8_lossy(&received).into_owned(), end)
}

fn split_body(response: &str) -> (&str, &str) {
    response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP answer: {response:?}"))
}

fn header<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
        .unwrap_or_else(|| panic!("no {name} in {head}"))
}

/// Whether `xml` is a well-formed document, by the gateway's own reader.
fn well_formed(xml: &str) -> Result<(), String> {
    bcss_gateway::wire::soap::parse_envelope(xml.as_bytes())
        .map(drop)
        .map_err(|(_, e)| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seeded_probability_gives_the_same_sequence_twice() {
    let gw = Gateway::start().await;
    let ssin = gw.ssins.two_pcsas.clone();
    let onem = gw.basic("onem");
    let sequence = || async {
        gw.faults.clear();
        add(
            &gw,
            serde_json::json!({"effect": {"status": "MSG00005"}, "probability": 0.5, "seed": 2027}),
        );
        let mut codes = Vec::new();
        for _ in 0..24 {
            codes.push(onem.soap(&consultation(&gw, &ssin)).await.status_code());
        }
        codes
    };
    let first = sequence().await;
    assert_eq!(first, sequence().await);
    let forced = first.iter().filter(|c| *c == "MSG00005").count();
    assert!((4..=20).contains(&forced), "{first:?}");
    assert!(first.iter().all(|c| c == "MSG00005" || c == "MSG00000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_on_a_registration_stores_nothing() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let form = liege_form_b(&liege, &ssin, "2025-01-01", "FAULT-1");
    let cpas = gw.basic("cpas-liege");
    for effect in [
        serde_json::json!({"fault": {}}),
        serde_json::json!({"http": {"status": 503}}),
        serde_json::json!("reset"),
    ] {
        add(
            &gw,
            serde_json::json!({"match": {"path": PD_PATH}, "effect": effect, "count": 1}),
        );
        let _ = cpas
            .try_send(
                "POST",
                PD_PATH,
                &[("content-type", "text/xml")],
                form.clone().into_bytes(),
            )
            .await;
    }
    // The form was never registered: sent again without a fault, it is accepted.
    let sent = cpas.soap_at(PD_PATH, &form).await;
    assert_eq!(
        sent.text_of("outcome").as_deref(),
        Some("ACCEPTED"),
        "{}",
        sent.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_outside_the_allow_list_gets_no_answer() {
    let gw = Gateway::start_with(Options {
        allow_from: Some(vec!["10.0.0.0/8".parse().unwrap()]),
        max_hold: Duration::from_secs(5),
        ..Options::default()
    })
    .await;
    let attempt = tokio::time::timeout(Duration::from_secs(1), gw.anonymous().try_connect()).await;
    assert!(attempt.is_err(), "the handshake should get no answer");

    let allowed = Gateway::start_with(Options {
        allow_from: Some(vec!["127.0.0.0/8".parse().unwrap()]),
        ..Options::default()
    })
    .await;
    assert_eq!(allowed.anonymous().get("/health").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_request_does_not_keep_shutdown_waiting() {
    let mut gw = Gateway::start().await;
    let body = consultation(&gw, &gw.ssins.two_pcsas.clone());
    add(&gw, serde_json::json!({"effect": {"hold": {}}}));
    let mut tls = gw.anonymous().connect().await;
    let head = gw.raw_post_head("onem", body.len());
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(body.as_bytes()).await.unwrap();
    // The request is held for up to a minute; the tests' shutdown grace is 10 s.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopping = Instant::now();
    gw.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(8),
        "{:?}",
        stopping.elapsed()
    );
    let mut rest = Vec::new();
    let _ = tls.read_to_end(&mut rest).await;
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
}
