//! kill -9 during a burst of registrations, with a live notification receiver: after a
//! restart, every form the gateway acknowledged is there (a re-send gets the same
//! attestation), the register is whole (rights are what the forms in force make, the
//! outbox has no gap and each of its events belongs to a stored form), and every
//! acknowledged form's notification reached the receiver, in order, a duplicate only
//! ever carrying the id it had the first time.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use bcss_gateway::demo::Manifest;
use bcss_gateway::domain::decision::timeline;
use bcss_gateway::domain::{CbeNumber, Date, Ssin};
use bcss_gateway::notify::sink::{Behaviour, Sink};
use bcss_gateway::store::RedbStore;
use bcss_gateway::store::{Outbox, ReferenceData, Register};
use support::{
    Client, LS_NS, LS_PATH, PD_PATH, SOAP11, demo_binary, envelope, liege_form_b, texts_of,
};

/// Subscribes `cbe` to `endpoint` with the right in each notification.
fn subscribe(cbe: &str, endpoint: &str) -> String {
    envelope(
        SOAP11,
        &format!(
            "<ls:subscribeRequest xmlns:ls=\"{LS_NS}\">\
             <informationCustomer><customerIdentification><cbeNumber>{cbe}</cbeNumber></customerIdentification></informationCustomer>\
             <endpoint>{endpoint}</endpoint><mode>WITH_ATTESTATION</mode></ls:subscribeRequest>"
        ),
    )
}

/// One acknowledged form: (SSIN, entry date, reference) → attestation.
type Acknowledged = Arc<Mutex<Vec<(String, Date, String, String)>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_form_survives_a_kill_9_and_nothing_is_half_applied() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut gateway, addr) = demo_binary(&data, &[]);
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(data.join("demo.json")).unwrap()).unwrap();
    let ca = std::fs::read_to_string(&manifest.ca_certificate).unwrap();
    let liege = manifest
        .institutions
        .iter()
        .find(|i| i.key == "cpas-liege")
        .unwrap()
        .clone();
    let ssins: Vec<String> = manifest
        .ssins
        .iter()
        .filter(|s| ["MSG00000", "MSG00100"].contains(&s.expected_status.as_str()))
        .map(|s| s.ssin.clone())
        .collect();
    assert!(ssins.len() >= 4, "{ssins:?}");

    // The demo's notified institution (inscribed for each of these persons) takes
    // every change with its attestation, at a receiver that outlives the gateway.
    let cin = manifest
        .institutions
        .iter()
        .find(|i| i.key == "cin")
        .unwrap()
        .clone();
    let certs = data.join("certs");
    let sink = Sink::start(
        "127.0.0.1:0".parse().unwrap(),
        certs.join("server.pem"),
        certs.join("server.key"),
        Behaviour::Acknowledge,
    )
    .await
    .unwrap();
    let reply = Client::external(addr, &ca)
        .with_basic(&cin.username, &cin.password)
        .send(
            "POST",
            LS_PATH,
            &[("content-type", "text/xml; charset=utf-8")],
            subscribe(&cin.cbe_number, &sink.url()).into_bytes(),
        )
        .await;
    assert_eq!(
        texts_of(&reply.body, "code"),
        ["MSG00000"],
        "{}",
        reply.body
    );

    let acknowledged: Acknowledged = Arc::new(Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for (w, ssin) in ssins.iter().enumerate() {
        let client = Client::external(addr, &ca).with_basic(&liege.username, &liege.password);
        let (ssin, cbe, acknowledged) =
            (ssin.clone(), liege.cbe_number.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            let first = Date::from_ymd(2020, 1, 1).unwrap();
            for i in 0..100_000 {
                let entry = first.add_days(i % 1500).unwrap();
                let reference = format!("K{w}-{i}");
                let Ok(reply) = client
                    .try_send(
                        "POST",
                        PD_PATH,
                        &[("content-type", "text/xml; charset=utf-8")],
                        liege_form_b(&cbe, &ssin, &entry.to_string(), &reference).into_bytes(),
                    )
                    .await
                else {
                    return; // the gateway is gone
                };
                if reply.status != 200 {
                    return;
                }
                assert_eq!(
                    texts_of(&reply.body, "outcome"),
                    ["ACCEPTED"],
                    "{}",
                    reply.body
                );
                let attestation = texts_of(&reply.body, "attestation").concat();
                acknowledged
                    .lock()
                    .unwrap()
                    .push((ssin.clone(), entry, reference, attestation));
            }
        }));
    }
    // Let the burst run, then kill the gateway without warning.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while acknowledged.lock().unwrap().len() < 150 {
        assert!(
            std::time::Instant::now() < deadline && writers.iter().any(|w| !w.is_finished()),
            "the burst stopped before 150 forms were acknowledged"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    gateway.kill().unwrap(); // SIGKILL
    gateway.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let before_restart = sink.accepted().len();

    // After a restart, re-sending each acknowledged form gives back its attestation.
    let (mut gateway, addr) = demo_binary(&data, &[]);
    let client = Client::external(addr, &ca).with_basic(&liege.username, &liege.password);
    for (ssin, entry, reference, attestation) in &acknowledged {
        let reply = client
            .send(
                "POST",
                PD_PATH,
                &[("content-type", "text/xml; charset=utf-8")],
                liege_form_b(&liege.cbe_number, ssin, &entry.to_string(), reference).into_bytes(),
            )
            .await;
        assert_eq!(
            texts_of(&reply.body, "outcome"),
            ["ALREADY_REGISTERED"],
            "{reference}"
        );
        assert_eq!(&texts_of(&reply.body, "attestation").concat(), attestation);
    }
    // Delivery resumes where it stopped: every acknowledged form is notified.
    let wanted: BTreeSet<&str> = acknowledged.iter().map(|a| a.3.as_str()).collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let missing = loop {
        let notified: BTreeSet<String> = sink
            .accepted()
            .into_iter()
            .filter_map(|(_, n)| n.right.map(|r| r.attestation))
            .collect();
        let missing = wanted.iter().filter(|a| !notified.contains(**a)).count();
        if missing == 0 || std::time::Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        missing,
        0,
        "acknowledged forms never notified ({} received before the kill, {} in all)",
        before_restart,
        sink.accepted().len()
    );
    gateway.kill().unwrap();
    gateway.wait().unwrap();

    // The register is whole.
    let store = RedbStore::open_dir(&data).unwrap();
    let events = store
        .outbox(bcss_gateway::domain::OutboxSequence::START, usize::MAX)
        .unwrap();
    assert!(!events.is_empty());
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.sequence.0, i as u64 + 1, "the outbox has a gap");
    }
    let mut versions: HashMap<Ssin, u64> = HashMap::new();
    let mut attestations = BTreeMap::new();
    for ssin in &ssins {
        let ssin = Ssin::parse(ssin).unwrap();
        let forms = store.forms(&ssin).unwrap();
        for f in &forms {
            attestations.insert(f.attestation.to_string(), ssin);
        }
        // The demo's own decisions about the person come from other PCSAs too.
        let of_liege: Vec<_> = forms
            .iter()
            .filter(|f| f.form.pcsa().as_str() == liege.cbe_number)
            .collect();
        let expected = timeline::rights(&timeline::forms_in_force(&of_liege));
        let file = store.person_file(&ssin).unwrap();
        let stored: Vec<_> = file
            .rights
            .iter()
            .filter(|(_, p)| p.cbe.as_str() == liege.cbe_number)
            .map(|(r, _)| r.clone())
            .collect();
        if !forms.is_empty() {
            assert_eq!(
                stored, expected,
                "rights of {ssin} are not what its forms make"
            );
        }
    }
    for e in &events {
        let v = versions.entry(e.ssin).or_insert(0);
        *v += 1;
        assert_eq!(e.version, *v, "versions of {} skip", e.ssin);
        assert_eq!(
            attestations.get(e.attestation.as_str()),
            Some(&e.ssin),
            "event {} names no stored form",
            e.sequence
        );
    }
    for (_, _, _, attestation) in &acknowledged {
        assert!(attestations.contains_key(attestation), "{attestation} lost");
    }

    // What the receiver got is the subscriber's queue, in order: the first arrival of
    // each sequence number comes right after the one before it, and any later arrival
    // of a number (a batch re-sent after the kill) carries the same notification.
    let cin_cbe = CbeNumber::parse(&cin.cbe_number).unwrap();
    let queue = store.notifications(&cin_cbe, 0, usize::MAX).unwrap();
    let mut first_arrival: Vec<(u64, String)> = Vec::new();
    let mut duplicates = 0;
    for (subscriber, n) in sink.accepted() {
        assert_eq!(subscriber, cin.cbe_number);
        match first_arrival.iter().find(|(s, _)| *s == n.sequence) {
            Some((_, id)) => {
                assert_eq!(
                    *id, n.id,
                    "sequence {} came back with another id",
                    n.sequence
                );
                duplicates += 1;
            }
            None => {
                assert_eq!(
                    n.sequence,
                    first_arrival.len() as u64 + 1,
                    "notification out of order"
                );
                first_arrival.push((n.sequence, n.id));
            }
        }
    }
    let queued: Vec<(u64, String)> = queue
        .iter()
        .map(|n| (n.sequence, n.id.to_string()))
        .collect();
    assert_eq!(
        first_arrival, queued,
        "the receiver's view is not the queue"
    );
    println!(
        "{} forms acknowledged; {} notifications, {} before the kill, {duplicates} sent twice",
        acknowledged.len(),
        queued.len(),
        before_restart
    );
}
