//! LivingWagesNotifications end to end over real TLS: a CPAS registers forms, the
//! dispatcher pushes notifications to a real receiver (the notification sink), and
//! institutions manage their subscriptions through LivingWagesSubscriptionService.
//! Every answer of the subscription service is validated against its schema.

// Test helpers, outside #[test] functions, may stop the test on a failed setup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use bcss_gateway::domain::{
    CbeNumber, Delivery, DeliveryMode, Grant, Receivers, Service, Subscription, SubscriptionState,
};
use bcss_gateway::notify::sink::{Behaviour, Sink};
use bcss_gateway::store::Change;
use support::{Gateway, LS_NS, LS_PATH, Options, PD_NS, PD_PATH, SOAP11, envelope};

const LIEGE_INS: &str = "62063";
/// Long enough for any delivery on a loaded CI machine.
const PATIENCE: Duration = Duration::from_secs(20);

fn form_b(cpas: &str, ssin: &str, entry: &str, months: u16) -> String {
    envelope(
        SOAP11,
        &format!(
            "<pd:sendFormBRequest xmlns:pd=\"{PD_NS}\">\
             <informationCustomer><customerIdentification><cbeNumber>{cpas}</cbeNumber></customerIdentification></informationCustomer>\
             <formB><pcsa><name>CPAS de Liège</name><insCode>{LIEGE_INS}</insCode><cbeNumber>{cpas}</cbeNumber></pcsa>\
             <ssin>{ssin}</ssin><kind>LIVING_WAGE</kind><entryDate>{entry}</entryDate><category>B</category>\
             <realLifeSituation>12</realLifeSituation><nationalRegisterInscription>0</nationalRegisterInscription>\
             <homeless>false</homeless><studyGrant>0</studyGrant>\
             <duration><months>{months}</months></duration><decisionDate>{entry}</decisionDate></formB>\
             </pd:sendFormBRequest>"
        ),
    )
}

fn withdrawal(cpas: &str, ssin: &str, entry: &str) -> String {
    envelope(
        SOAP11,
        &format!(
            "<pd:sendFormCRequest xmlns:pd=\"{PD_NS}\">\
             <informationCustomer><customerIdentification><cbeNumber>{cpas}</cbeNumber></customerIdentification></informationCustomer>\
             <formC><pcsa><name>CPAS de Liège</name><insCode>{LIEGE_INS}</insCode><cbeNumber>{cpas}</cbeNumber></pcsa>\
             <ssin>{ssin}</ssin><entryDate>{entry}</entryDate><decisionDate>{entry}</decisionDate>\
             <nature>2</nature></formC></pd:sendFormCRequest>"
        ),
    )
}

/// A request of the subscription service with `body` after informationCustomer.
fn subscription_call(operation: &str, cbe: &str, body: &str) -> String {
    envelope(
        SOAP11,
        &format!(
            "<ls:{operation}Request xmlns:ls=\"{LS_NS}\">\
             <informationCustomer><customerIdentification><cbeNumber>{cbe}</cbeNumber></customerIdentification></informationCustomer>\
             {body}</ls:{operation}Request>"
        ),
    )
}

async fn call(gw: &Gateway, key: &str, operation: &str, body: &str) -> support::Reply {
    let reply = gw
        .basic(key)
        .soap_at(LS_PATH, &subscription_call(operation, &gw.cbe(key), body))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply
}

async fn subscribe(gw: &Gateway, key: &str, url: Option<&str>, mode: &str) -> support::Reply {
    let endpoint = url.map_or(String::new(), |u| format!("<endpoint>{u}</endpoint>"));
    let reply = call(
        gw,
        key,
        "subscribe",
        &format!("{endpoint}<mode>{mode}</mode>"),
    )
    .await;
    assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
    reply
}

async fn register(gw: &Gateway, form: &str) {
    let reply = gw.basic("cpas-liege").soap_at(PD_PATH, form).await;
    assert_eq!(
        reply.text_of("outcome").as_deref(),
        Some("ACCEPTED"),
        "{}",
        reply.body
    );
}

/// Polls the subscription status until `done` holds for it.
async fn status_until(
    gw: &Gateway,
    key: &str,
    done: impl Fn(&support::Reply) -> bool,
) -> support::Reply {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let reply = call(gw, key, "getStatus", "").await;
        if done(&reply) || tokio::time::Instant::now() > deadline {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn events(sink: &Sink) -> Vec<(u64, String, String)> {
    sink.accepted()
        .into_iter()
        .map(|(_, n)| (n.sequence, n.event, n.ssin))
        .collect()
}

/// Gives `key` the LivingWagesNotifications grant it does not have in the demo.
fn grant_notifications(gw: &Gateway, key: &str) {
    let cbe = CbeNumber::parse(&gw.cbe(key)).unwrap();
    let mut institution = gw.store.institution(&cbe).unwrap().unwrap();
    institution.grants.push(Grant {
        service: Service::LivingWagesNotifications,
        legal_contexts: Vec::new(),
    });
    gw.store.apply(&[Change::Institution(institution)]).unwrap();
}

#[tokio::test]
async fn a_b_then_cs_reach_the_subscriber_as_create_modify_cancel_in_order() {
    let gw = Gateway::start().await;
    let sink = gw.sink(Behaviour::Acknowledge).await;
    let reply = subscribe(&gw, "cin", Some(&sink.url()), "SSIN_ONLY").await;
    assert_eq!(reply.text_of("state").as_deref(), Some("ACTIVE"));
    let liege = gw.cbe("cpas-liege");
    let marie = gw.ssins.no_right.clone();

    register(&gw, &form_b(&liege, &marie, "2024-01-01", 12)).await;
    assert!(sink.wait_for(1, PATIENCE).await, "no CREATE");
    // Withdrawn from July: the right is shortened; then from its first day: gone.
    register(&gw, &withdrawal(&liege, &marie, "2024-07-01")).await;
    register(&gw, &withdrawal(&liege, &marie, "2024-01-01")).await;
    assert!(sink.wait_for(3, PATIENCE).await, "{:?}", events(&sink));
    assert_eq!(
        events(&sink),
        [
            (1, "CREATE".into(), marie.clone()),
            (2, "MODIFY".into(), marie.clone()),
            (3, "CANCEL".into(), marie.clone())
        ]
    );
    let received = sink.accepted();
    let (subscriber, first) = &received[0];
    assert_eq!(subscriber, &gw.cbe("cin"));
    assert_eq!(
        (first.pcsa_cbe.as_str(), first.pcsa_ins.as_str()),
        (liege.as_str(), LIEGE_INS)
    );
    assert!(first.right.is_none(), "SSIN_ONLY carries no attestation");
    let mut ids: Vec<&String> = received.iter().map(|(_, n)| &n.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3);

    let status = status_until(&gw, "cin", |r| {
        r.text_of("acknowledgedSequenceNumber").as_deref() == Some("3")
    })
    .await;
    assert_eq!(status.text_of("pendingCount").as_deref(), Some("0"));
    assert_eq!(
        status.texts_of("outcome").last().map(String::as_str),
        Some("OK")
    );
}

#[tokio::test]
async fn in_attestation_mode_the_notification_carries_the_right() {
    let gw = Gateway::start().await;
    let sink = gw.sink(Behaviour::Acknowledge).await;
    subscribe(&gw, "cin", Some(&sink.url()), "WITH_ATTESTATION").await;
    let liege = gw.cbe("cpas-liege");
    register(&gw, &form_b(&liege, &gw.ssins.no_right, "2024-01-01", 6)).await;
    assert!(sink.wait_for(1, PATIENCE).await);
    let (_, n) = &sink.accepted()[0];
    let right = n.right.clone().unwrap();
    assert_eq!(right.attestation.len(), 15);
    assert_eq!(right.kind, "LIVING_WAGE");
    assert_eq!(
        right.periods,
        [("2024-01-01".to_owned(), "2024-06-30".to_owned())]
    );
}

#[tokio::test]
async fn nobody_without_inscription_grant_or_subscription_receives_anything() {
    let gw = Gateway::start().await;
    let sink = gw.sink(Behaviour::Acknowledge).await;
    subscribe(&gw, "cin", Some(&sink.url()), "SSIN_ONLY").await;
    // ONEM manages Marie's file but no deliberation grants it notifications: a
    // subscription of its own (refused by the service, so written directly) is ignored.
    let onem = CbeNumber::parse(&gw.cbe("onem")).unwrap();
    gw.store
        .update_subscription(&onem, None, &mut |_| {
            Some(Subscription::new(
                onem,
                Delivery::Push {
                    endpoint: sink.url(),
                },
                DeliveryMode::SsinOnly,
                0,
            ))
        })
        .unwrap();
    let liege = gw.cbe("cpas-liege");
    // CIN does not manage Nadia's file.
    register(&gw, &form_b(&liege, &gw.ssins.forem_only, "2024-01-01", 6)).await;
    // Marie's is the only notification, and only for CIN.
    register(&gw, &form_b(&liege, &gw.ssins.no_right, "2024-01-01", 6)).await;
    assert!(sink.wait_for(1, PATIENCE).await);
    // Once unsubscribed, CIN gets nothing new.
    let reply = call(&gw, "cin", "unsubscribe", "").await;
    assert_eq!(reply.text_of("state").as_deref(), Some("UNSUBSCRIBED"));
    register(&gw, &withdrawal(&liege, &gw.ssins.no_right, "2024-03-01")).await;
    // The fan-out has passed every event when the outbox has no more for it.
    let last = gw
        .store
        .outbox(bcss_gateway::domain::OutboxSequence::START, 100)
        .unwrap()
        .last()
        .map(|e| e.sequence)
        .unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while gw.store.fanned_out().unwrap() < last && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(gw.store.fanned_out().unwrap(), last);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let accepted = sink.accepted();
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert_eq!(accepted[0].0, gw.cbe("cin"));
    assert_eq!(accepted[0].1.ssin, gw.ssins.no_right);
    assert!(gw.store.notifications(&onem, 0, 10).unwrap().is_empty());
}

#[tokio::test]
async fn only_an_institution_granted_notifications_may_subscribe() {
    let gw = Gateway::start().await;
    let reply = gw
        .basic("onem")
        .soap_at(
            LS_PATH,
            &subscription_call("subscribe", &gw.cbe("onem"), "<mode>SSIN_ONLY</mode>"),
        )
        .await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.reason_code(), "MSG00013", "{}", reply.body);
    // A granted institution subscribes in its own name only: MSG00014 before anything
    // is written (the register keeps the demo's one subscription, the CIN's).
    let before = gw.store.subscriptions().unwrap_or_else(|e| panic!("{e}"));
    let reply = gw
        .basic("cin")
        .soap_at(
            LS_PATH,
            &subscription_call("subscribe", &gw.cbe("onem"), "<mode>SSIN_ONLY</mode>"),
        )
        .await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.reason_code(), "MSG00014", "{}", reply.body);
    support::validate_soap_reply(&reply.body);
    let after = gw.store.subscriptions().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(after, before);
    // And an endpoint must be an https URL.
    let reply = call(
        &gw,
        "cin",
        "subscribe",
        "<endpoint>http://127.0.0.1:1/x</endpoint><mode>SSIN_ONLY</mode>",
    )
    .await;
    assert_eq!(reply.status_code(), "MSG00008", "{}", reply.body);
}

#[tokio::test]
async fn a_receiver_restarted_between_batches_costs_no_failed_attempt() {
    let gw = Gateway::start().await;
    let sink = gw.sink(Behaviour::Acknowledge).await;
    let addr = sink.addr();
    subscribe(&gw, "cin", Some(&sink.url()), "SSIN_ONLY").await;
    let liege = gw.cbe("cpas-liege");
    let marie = gw.ssins.no_right.clone();
    register(&gw, &form_b(&liege, &marie, "2024-01-01", 12)).await;
    assert!(sink.wait_for(1, PATIENCE).await);
    // The gateway keeps its connection for the next batch; the receiver restarts,
    // and that connection is gone.
    sink.stop().await;
    let back = Sink::start(
        addr,
        gw.server_certificate.clone(),
        gw.server_key.clone(),
        Behaviour::Acknowledge,
    )
    .await
    .unwrap();
    register(&gw, &withdrawal(&liege, &marie, "2024-07-01")).await;
    assert!(back.wait_for(1, PATIENCE).await);
    assert_eq!(events(&back)[0].0, 2);
    let status = status_until(&gw, "cin", |r| {
        r.text_of("acknowledgedSequenceNumber").as_deref() == Some("2")
    })
    .await;
    assert_eq!(status.text_of("failedAttempts").as_deref(), Some("0"));
    assert_eq!(status.texts_of("outcome"), ["OK", "OK"], "{}", status.body);
}

#[tokio::test]
async fn a_receiver_down_then_up_gets_everything_in_order_and_others_are_not_held_up() {
    let gw = Gateway::start_with(Options {
        retry: "0,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms",
        ..Options::default()
    })
    .await;
    // CIN's receiver is down; ONEM (granted for this test) has a live one.
    let down = gw.sink(Behaviour::Acknowledge).await;
    let addr = down.addr();
    let url = down.url();
    down.stop().await;
    subscribe(&gw, "cin", Some(&url), "SSIN_ONLY").await;
    grant_notifications(&gw, "onem");
    let live = gw.sink(Behaviour::Acknowledge).await;
    subscribe(&gw, "onem", Some(&live.url()), "SSIN_ONLY").await;

    let liege = gw.cbe("cpas-liege");
    let marie = gw.ssins.no_right.clone();
    register(&gw, &form_b(&liege, &marie, "2024-01-01", 12)).await;
    register(&gw, &withdrawal(&liege, &marie, "2024-07-01")).await;
    register(&gw, &form_b(&liege, &marie, "2024-09-01", 2)).await;
    assert!(live.wait_for(3, PATIENCE).await, "ONEM waited for CIN");

    let failing = status_until(&gw, "cin", |r| {
        r.text_of("failedAttempts").is_some_and(|n| n != "0")
    })
    .await;
    assert!(
        failing
            .texts_of("outcome")
            .iter()
            .any(|o| o == "CONNECT_FAILED"),
        "{}",
        failing.body
    );
    let back = Sink::start(
        addr,
        gw.server_certificate.clone(),
        gw.server_key.clone(),
        Behaviour::Acknowledge,
    )
    .await
    .unwrap();
    assert!(back.wait_for(3, PATIENCE).await, "{:?}", events(&back));
    let sequences: Vec<u64> = back.accepted().iter().map(|(_, n)| n.sequence).collect();
    assert_eq!(sequences, [1, 2, 3]);
}

#[tokio::test]
async fn a_batch_refused_with_nok_comes_again_with_the_same_ids() {
    let gw = Gateway::start_with(Options {
        retry: "0,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms",
        ..Options::default()
    })
    .await;
    let sink = gw.sink(Behaviour::Refuse).await;
    subscribe(&gw, "cin", Some(&sink.url()), "SSIN_ONLY").await;
    let liege = gw.cbe("cpas-liege");
    register(&gw, &form_b(&liege, &gw.ssins.no_right, "2024-01-01", 12)).await;
    let refused = status_until(&gw, "cin", |r| {
        r.texts_of("outcome").iter().filter(|o| *o == "NOK").count() >= 2
    })
    .await;
    assert_eq!(
        refused.text_of("acknowledgedSequenceNumber").as_deref(),
        Some("0")
    );
    assert_eq!(
        refused.text_of("lastError").as_deref(),
        Some("refused by the sink")
    );
    let queued = gw
        .store
        .notifications(&CbeNumber::parse(&gw.cbe("cin")).unwrap(), 0, 10)
        .unwrap();
    sink.set_behaviour(Behaviour::Acknowledge);
    assert!(sink.wait_for(1, PATIENCE).await);
    assert_eq!(sink.accepted()[0].1.id, queued[0].id.to_string());
}

/// CIN subscribed to a receiver that never answers, retried on `retry`, with an answer
/// timeout of `answer_ms`, and one form B registered for it to be notified of.
async fn stalled_delivery(retry: &'static str, answer_ms: u64) -> (Gateway, Sink) {
    let gw = Gateway::start_with(Options {
        retry,
        answer_timeout: Duration::from_millis(answer_ms),
        ..Options::default()
    })
    .await;
    let sink = gw.sink(Behaviour::Stall(Duration::from_secs(30))).await;
    subscribe(&gw, "cin", Some(&sink.url()), "SSIN_ONLY").await;
    register(
        &gw,
        &form_b(&gw.cbe("cpas-liege"), &gw.ssins.no_right, "2024-01-01", 12),
    )
    .await;
    (gw, sink)
}

#[tokio::test]
async fn a_stalling_receiver_times_out_and_is_retried() {
    let (gw, sink) = stalled_delivery("0,200ms,200ms,200ms,200ms,200ms,200ms,200ms", 300).await;
    let stalled = status_until(&gw, "cin", |r| {
        r.texts_of("outcome").iter().any(|o| o == "TIMEOUT")
    })
    .await;
    assert!(
        stalled.texts_of("outcome").iter().any(|o| o == "TIMEOUT"),
        "{}",
        stalled.body
    );
    sink.set_behaviour(Behaviour::Acknowledge);
    assert!(sink.wait_for(1, PATIENCE).await);
}

/// After an attempt that timed out, the next one waits its whole delay from the end
/// of the failed one (within the ±20 % spread), not from its start.
#[tokio::test]
async fn a_retry_waits_from_the_end_of_the_failed_attempt() {
    let (gw, _sink) = stalled_delivery("0,1s,1s,1s,1s,1s,1s,1s", 700).await;
    let cin = bcss_gateway::domain::CbeNumber::parse(&gw.cbe("cin")).unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let attempts = loop {
        let attempts = gw.store.attempts(&cin, 10).unwrap();
        if attempts.len() >= 3 || tokio::time::Instant::now() > deadline {
            break attempts;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(attempts.len() >= 3, "{attempts:?}");
    for pair in attempts.windows(2) {
        let ended = pair[0].at_ms + i64::try_from(pair[0].latency_ms).unwrap();
        let waited = pair[1].at_ms - ended;
        assert!(
            (780..=1_400).contains(&waited),
            "{waited} ms between the end of an attempt and the next: {attempts:?}"
        );
    }
}

#[tokio::test]
async fn after_the_last_retry_the_notification_is_dead_lettered_until_a_replay() {
    let gw = Gateway::start_with(Options {
        retry: "0,50ms,50ms",
        ..Options::default()
    })
    .await;
    let sink = gw.sink(Behaviour::Refuse).await;
    subscribe(&gw, "cin", Some(&sink.url()), "SSIN_ONLY").await;
    let liege = gw.cbe("cpas-liege");
    register(&gw, &form_b(&liege, &gw.ssins.no_right, "2024-01-01", 12)).await;
    let failing = status_until(&gw, "cin", |r| {
        r.text_of("state").as_deref() == Some("FAILING")
    })
    .await;
    assert_eq!(
        failing.text_of("state").as_deref(),
        Some("FAILING"),
        "{}",
        failing.body
    );
    assert_eq!(failing.text_of("failedAttempts").as_deref(), Some("3"));
    assert_eq!(failing.texts_of("outcome"), ["NOK", "NOK", "NOK"]);

    // A failing subscription still queues, but sends nothing until replayed.
    sink.set_behaviour(Behaviour::Acknowledge);
    register(&gw, &withdrawal(&liege, &gw.ssins.no_right, "2024-07-01")).await;
    let queued = status_until(&gw, "cin", |r| {
        r.text_of("lastSequenceNumber").as_deref() == Some("2")
    })
    .await;
    assert_eq!(queued.text_of("pendingCount").as_deref(), Some("2"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.accepted().is_empty());

    let reply = call(
        &gw,
        "cin",
        "replay",
        "<fromSequenceNumber>1</fromSequenceNumber>",
    )
    .await;
    assert_eq!(reply.text_of("state").as_deref(), Some("ACTIVE"));
    assert!(sink.wait_for(2, PATIENCE).await);
    assert_eq!(
        sink.accepted()
            .iter()
            .map(|(_, n)| n.sequence)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    // Replay from beyond what was queued is an error naming the field.
    let reply = call(
        &gw,
        "cin",
        "replay",
        "<fromSequenceNumber>9</fromSequenceNumber>",
    )
    .await;
    assert_eq!(reply.status_code(), "MSG00008");
    let subscription = gw
        .store
        .subscriptions()
        .unwrap()
        .into_iter()
        .find(|s| s.institution.as_str() == gw.cbe("cin"))
        .unwrap();
    assert_eq!(subscription.state, SubscriptionState::Active);
}

#[tokio::test]
async fn an_institution_without_an_endpoint_pulls_and_acknowledges() {
    let gw = Gateway::start().await;
    let reply = subscribe(&gw, "cin", None, "SSIN_ONLY").await;
    assert_eq!(reply.text_of("delivery").as_deref(), Some("PULL"));
    let liege = gw.cbe("cpas-liege");
    register(&gw, &form_b(&liege, &gw.ssins.no_right, "2024-01-01", 12)).await;
    register(&gw, &withdrawal(&liege, &gw.ssins.no_right, "2024-07-01")).await;
    let pulled = status_until(&gw, "cin", |r| {
        r.text_of("lastSequenceNumber").as_deref() == Some("2")
    })
    .await;
    assert_eq!(pulled.text_of("pendingCount").as_deref(), Some("2"));
    let reply = call(
        &gw,
        "cin",
        "pull",
        "<afterSequenceNumber>0</afterSequenceNumber><maxNotifications>1</maxNotifications>",
    )
    .await;
    assert_eq!(reply.texts_of("sequenceNumber"), ["1"]);
    assert_eq!(reply.texts_of("event"), ["CREATE"]);
    let reply = call(
        &gw,
        "cin",
        "pull",
        "<afterSequenceNumber>1</afterSequenceNumber>",
    )
    .await;
    assert_eq!(reply.texts_of("event"), ["MODIFY"]);
    let reply = call(
        &gw,
        "cin",
        "acknowledge",
        "<upToSequenceNumber>2</upToSequenceNumber>",
    )
    .await;
    assert_eq!(reply.text_of("pendingCount").as_deref(), Some("0"));
}

#[tokio::test]
async fn with_a_propagation_delay_a_change_is_notified_once_it_is_consultable() {
    let three_days = Duration::from_secs(3 * 24 * 3600);
    let gw = Gateway::start_with(Options {
        propagation_delay: three_days,
        ..Options::default()
    })
    .await;
    let sink = gw.sink(Behaviour::Acknowledge).await;
    subscribe(&gw, "cin", Some(&sink.url()), "SSIN_ONLY").await;
    register(
        &gw,
        &form_b(&gw.cbe("cpas-liege"), &gw.ssins.no_right, "2024-01-01", 12),
    )
    .await;
    assert!(!sink.wait_for(1, Duration::from_millis(1500)).await);
    assert_eq!(gw.store.fanned_out().unwrap().0, 0);
    gw.clock
        .advance_ms(i64::try_from(three_days.as_millis()).unwrap());
    assert!(sink.wait_for(1, PATIENCE).await);
}

/// A subscriber cannot make the gateway probe the network it runs in: without the
/// operator's leave, loopback, private and link-local receivers are refused when they
/// subscribe; and where a receiver may be, an attempt that could not connect says
/// so in the same words whether the port was closed or something else answered.
#[tokio::test]
async fn receivers_are_where_the_operator_allows_and_failures_do_not_map_ports() {
    let gw = Gateway::start_with(Options {
        receivers: Receivers::default(),
        ..Options::default()
    })
    .await;
    let before = gw.store.subscriptions().unwrap();
    for (url, kind) in [
        ("https://127.0.0.1:9443/n", "loopback"),
        ("https://[::1]:22/n", "loopback"),
        ("https://10.0.0.1/n", "private"),
        ("https://169.254.169.254/latest", "link-local"),
    ] {
        let reply = call(
            &gw,
            "cin",
            "subscribe",
            &format!("<endpoint>{url}</endpoint><mode>SSIN_ONLY</mode>"),
        )
        .await;
        assert_eq!(reply.status_code(), "MSG00008", "{}", reply.body);
        assert!(
            reply.body.contains(&format!("a {kind} address")) && reply.body.contains("--receivers"),
            "{}",
            reply.body
        );
    }
    assert_eq!(gw.store.subscriptions().unwrap(), before, "nothing changed");
    // The operator's subscriptions (world files, the admin API, the command line) are
    // checked when a batch is sent.
    let cin = CbeNumber::parse(&gw.cbe("cin")).unwrap();
    gw.store
        .update_subscription(&cin, None, &mut |_| {
            Some(Subscription::new(
                cin,
                Delivery::Push {
                    endpoint: "https://127.0.0.1:9/n".into(),
                },
                DeliveryMode::SsinOnly,
                0,
            ))
        })
        .unwrap();
    let liege = gw.cbe("cpas-liege");
    register(&gw, &form_b(&liege, &gw.ssins.no_right, "2024-01-01", 12)).await;
    let failed = status_until(&gw, "cin", |r| r.text_of("lastError").is_some()).await;
    let error = failed.text_of("lastError").unwrap_or_default();
    assert!(
        error.contains("127.0.0.1 is a loopback address") && error.contains("--receivers"),
        "{error}"
    );

    // Where receivers may be (this machine, for the tests): a closed port, and one
    // that accepts and hangs up without TLS.
    let gw = Gateway::start_with(Options {
        retry: "0",
        ..Options::default()
    })
    .await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let hangs_up = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hangs_up_addr = hangs_up.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = hangs_up.accept().await {
            drop(stream);
        }
    });
    let liege = gw.cbe("cpas-liege");
    let mut errors = Vec::new();
    for (addr, entry) in [(closed, "2024-01-01"), (hangs_up_addr, "2025-01-01")] {
        subscribe(&gw, "cin", Some(&format!("https://{addr}/n")), "SSIN_ONLY").await;
        register(&gw, &form_b(&liege, &gw.ssins.no_right, entry, 12)).await;
        let failed = status_until(&gw, "cin", |r| {
            r.text_of("lastError")
                .is_some_and(|e| e.contains(&addr.to_string()))
        })
        .await;
        let error = failed.text_of("lastError").unwrap_or_default();
        errors.push(error.replace(&addr.port().to_string(), "PORT"));
    }
    assert_eq!(errors[0], "could not connect to 127.0.0.1:PORT");
    assert_eq!(
        errors[0], errors[1],
        "a closed port and an open one look alike"
    );
}

fn add_rule(gw: &Gateway, rule: serde_json::Value) -> u64 {
    let spec = serde_json::from_value(rule).unwrap();
    gw.faults.add(vec![spec], gw.clock.now_ms()).unwrap()[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_duplicate_and_pause_deliveries_without_breaking_their_order() {
    let gw = Gateway::start().await;
    let sink = gw.sink(Behaviour::Acknowledge).await;
    subscribe(&gw, "cin", Some(&sink.url()), "SSIN_ONLY").await;
    let liege = gw.cbe("cpas-liege");
    let cin = gw.cbe("cin");
    let marie = gw.ssins.no_right.clone();

    // The next batch twice: the same notification, the same id.
    let duplicate = add_rule(
        &gw,
        serde_json::json!({"match": {"institution": cin}, "effect": "duplicate", "count": 1}),
    );
    register(&gw, &form_b(&liege, &marie, "2024-01-01", 12)).await;
    assert!(sink.wait_for(2, PATIENCE).await, "{:?}", events(&sink));
    let received = sink.accepted();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].1.id, received[1].1.id);
    assert_eq!(received[0].1.sequence, 1);

    // Paused: nothing arrives; resumed by removing the rule: everything, in order.
    let pause = add_rule(
        &gw,
        serde_json::json!({"match": {"institution": cin}, "effect": {"pause": {}}}),
    );
    register(&gw, &withdrawal(&liege, &marie, "2024-07-01")).await;
    register(&gw, &withdrawal(&liege, &marie, "2024-01-01")).await;
    assert!(
        !sink.wait_for(3, Duration::from_millis(1500)).await,
        "delivered while paused"
    );
    assert!(gw.faults.remove(pause));
    gw.dispatcher_wake();
    assert!(sink.wait_for(4, PATIENCE).await, "{:?}", events(&sink));
    assert_eq!(
        events(&sink)[2..],
        [
            (2, "MODIFY".into(), marie.clone()),
            (3, "CANCEL".into(), marie.clone())
        ]
    );

    // Held for a while: delivered once the pause is over, by the gateway's clock.
    add_rule(
        &gw,
        serde_json::json!({"match": {"institution": cin}, "effect": {"pause": {"ms": 1000}}}),
    );
    let held_from = std::time::Instant::now();
    register(&gw, &form_b(&liege, &marie, "2025-01-01", 3)).await;
    assert!(sink.wait_for(5, PATIENCE).await, "{:?}", events(&sink));
    assert!(held_from.elapsed() >= Duration::from_millis(900));

    gw.flush_audit().await;
    let marks: Vec<(Option<String>, String)> = gw
        .store
        .audit_trail(None, 1000)
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.mark {
            Some(bcss_gateway::store::AuditMark::Injected { rule, effect }) => Some((
                r.caller.map(|c| c.to_string()),
                format!("{rule} {effect} {}", r.outcome),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        marks[..2],
        [
            (Some(cin.clone()), format!("{duplicate} duplicate OK")),
            (Some(cin.clone()), format!("{pause} pause PAUSED")),
        ]
    );
    assert_eq!(marks.len(), 3, "{marks:?}");
}
