//! The journal (the audit trail of every exchange) over real TLS: kept within its
//! retention while the gateway runs.

mod support;

use std::time::Duration;

use bcss_gateway::clock::Setting;
use bcss_gateway::server::audit::JournalLimits;
use support::{Call, Gateway, Options};

fn tickets(gw: &Gateway) -> Vec<String> {
    gw.store
        .audit_trail(None, 100_000)
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|r| r.ticket.to_string())
        .collect()
}

/// The oldest records go once there are more than the bound, or once they are older
/// than the age, by the server's clock; the newest stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_keeps_the_newest_records_within_its_bounds() {
    let gw = Gateway::start_with(Options {
        journal: JournalLimits {
            max_records: 10,
            max_age: Some(Duration::from_secs(7 * 24 * 3600)),
        },
        ..Options::default()
    })
    .await;
    let onem = gw.basic("onem");
    let body = Call::new("getLivingWages", &gw.cbe("onem"), &gw.ssins.two_pcsas).soap11();
    let mut sent = Vec::new();
    // Four commits of ten exchanges each.
    for _ in 0..4 {
        for _ in 0..10 {
            let reply = onem.soap(&body).await;
            assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
            sent.push(reply.text_of("ticketCBSS").unwrap_or_default());
        }
        gw.flush_audit().await;
    }
    let kept = tickets(&gw);
    assert_eq!(
        kept,
        sent[30..],
        "the last ten kept, the thirty before them gone"
    );
    assert_eq!(gw.store.audit_len().unwrap_or_default(), 10);

    // Eight days later, by the server's clock, a new exchange: the week-old go.
    let now = bcss_gateway::clock::unix_millis();
    gw.clock.set(Setting::Offset(8 * 24 * 3600 * 1000));
    assert!(gw.clock.now_ms() > now);
    let reply = onem.soap(&body).await;
    gw.flush_audit().await;
    let kept = tickets(&gw);
    assert_eq!(kept, [reply.text_of("ticketCBSS").unwrap_or_default()]);
}
