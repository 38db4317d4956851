//! LivingWages V3 over real TLS: the rights a CPAS registers through PcsaDecisionService
//! appear with their attestation, decision date, last change and withdrawal; the
//! region filter; the demo's decided rights; V2's access rules and statuses, and
//! V2's periods. Every answer is validated against the project's schema.

mod support;

use bcss_gateway::clock::Setting;
use support::forms::FormC;
use support::v3::{ONEM_CONTEXT, RightSeen, ask, request, rights};
use support::{
    Call, Gateway, LW3_PATH, PD_PATH, SOAP11, SOAP12, envelope, liege_form_b, validate_soap_reply,
};

/// Fixes the server's clock at `instant` (an xs:dateTime in UTC).
fn at(gw: &Gateway, instant: &str) -> i64 {
    let ms = match Setting::parse(&format!("fixed:{instant}"), 0) {
        Ok(Setting::Fixed(ms)) => ms,
        other => panic!("{instant}: {other:?}"),
    };
    gw.clock.set(Setting::Fixed(ms));
    ms
}

#[tokio::test]
async fn a_b_then_a_c_from_the_pcsa_show_as_a_right_then_its_withdrawal() {
    let gw = Gateway::start().await;
    let (onem, liege) = (gw.cbe("onem"), gw.cbe("cpas-liege"));
    let marie = gw.ssins.no_right.clone();
    let cpas = gw.basic("cpas-liege");
    let ask_rights = |window: (&'static str, Option<&'static str>)| {
        request("getLivingWages", &onem, &marie, window, None)
    };

    // Before: Marie has no right.
    let reply = ask(&gw, "onem", &ask_rights(("2026-01-01", None))).await;
    assert_eq!(reply.status_code(), "MSG00100", "{}", reply.body);

    // The CPAS de Liège grants three months from 1 September 2026.
    let granted_ms = at(&gw, "2026-09-03T08:15:00Z");
    let sent = cpas
        .soap_at(PD_PATH, &liege_form_b(&liege, &marie, "2026-09-01", "V3-B"))
        .await;
    let b = sent.text_of("attestation").unwrap_or_default();
    assert!(b.starts_with('B') && b.len() == 15, "{}", sent.body);

    let reply = ask(&gw, "onem", &ask_rights(("2026-01-01", None))).await;
    assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
    let granted = RightSeen {
        ins: "62063".into(),
        kind: "LIVING_WAGE".into(),
        period: Some("2026-09-01..2026-11-30".into()),
        decision_date: Some("2026-09-01".into()),
        attestation: Some(b.clone()),
        last_modification: Some("2026-09-03T08:15:00.000Z".into()),
        suspension: Some("0".into()),
        state: "CURRENT".into(),
        withdrawal: None,
    };
    assert_eq!(rights(&reply), [granted]);
    // The first CBE number is the caller's, echoed; the second the PCSA's.
    assert_eq!(reply.texts_of("cbeNumber"), [onem.clone(), liege.clone()]);

    // A month later it withdraws the right from 1 November.
    let withdrawn_ms = at(&gw, "2026-10-20T14:00:00Z");
    let sent = cpas
        .soap_at(
            PD_PATH,
            &FormC {
                decision: "2026-10-19",
                ..FormC::withdrawal(&liege, &marie, "2026-11-01")
            }
            .envelope(),
        )
        .await;
    let c = sent.text_of("attestation").unwrap_or_default();
    assert!(c.starts_with('C'), "{}", sent.body);

    let reply = ask(&gw, "onem", &ask_rights(("2026-01-01", None))).await;
    let [seen] = <[RightSeen; 1]>::try_from(rights(&reply)).unwrap_or_else(|r| panic!("{r:?}"));
    assert_eq!(
        seen.attestation.as_deref(),
        Some(b.as_str()),
        "still B's right"
    );
    assert_eq!(seen.period.as_deref(), Some("2026-09-01..2026-10-31"));
    assert_eq!(seen.state, "WITHDRAWN");
    assert_eq!(
        seen.withdrawal,
        Some((
            "2026-11-01..2026-11-30".into(),
            "2026-10-19".into(),
            c.clone()
        ))
    );
    assert_eq!(
        seen.last_modification.as_deref(),
        Some("2026-10-20T14:00:00.000Z")
    );

    // Asked about September only, the right is current there.
    let reply = ask(&gw, "onem", &ask_rights(("2026-09-01", Some("2026-09-30")))).await;
    let [seen] = <[RightSeen; 1]>::try_from(rights(&reply)).unwrap_or_else(|r| panic!("{r:?}"));
    assert_eq!(seen.state, "CURRENT");
    assert_eq!(seen.period.as_deref(), Some("2026-09-01..2026-09-30"));
    assert_eq!(seen.withdrawal, None);
    // Asked about November only, nothing is in force but the withdrawal is news.
    let reply = ask(&gw, "onem", &ask_rights(("2026-11-01", Some("2026-11-30")))).await;
    assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);
    let [seen] = <[RightSeen; 1]>::try_from(rights(&reply)).unwrap_or_else(|r| panic!("{r:?}"));
    assert_eq!(seen.period, None);
    assert_eq!(seen.state, "WITHDRAWN");

    // The attestations and times are those of the change events the subscribers are
    // notified of.
    let events = gw
        .store
        .outbox(bcss_gateway::domain::OutboxSequence::START, 100)
        .unwrap_or_default();
    let of_marie: Vec<(String, i64)> = events
        .iter()
        .filter(|e| e.ssin.to_string() == marie)
        .map(|e| (e.attestation.to_string(), e.at_ms))
        .collect();
    assert_eq!(of_marie, [(b, granted_ms), (c, withdrawn_ms)]);

    // V2 and V3's period operations say the same.
    let v2 = gw
        .basic("onem")
        .soap(
            &Call::new("getLivingWagePeriods", &onem, &marie)
                .period("2026-01-01", None)
                .soap11(),
        )
        .await;
    let v3 = ask(
        &gw,
        "onem",
        &request(
            "getLivingWagePeriods",
            &onem,
            &marie,
            ("2026-01-01", None),
            None,
        ),
    )
    .await;
    assert_eq!(support::periods(&v2), ["2026-09-01..2026-10-31"]);
    assert_eq!(support::periods(&v3), support::periods(&v2));
}

/// (INS code, period, decision date, suspension code, state) of a right.
type Summary<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
);

#[tokio::test]
async fn the_demo_rights_carry_their_decisions_and_the_region_filters_pcsas() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let sophie = gw.ssins.two_pcsas.clone();
    let all = ("2015-01-01", None);

    let reply = ask(
        &gw,
        "onem",
        &request("getLivingWages", &onem, &sophie, all, None),
    )
    .await;
    let seen = rights(&reply);
    let summary: Vec<Summary<'_>> = seen
        .iter()
        .map(|r| {
            (
                r.ins.as_str(),
                r.period.as_deref(),
                r.decision_date.as_deref(),
                r.suspension.as_deref(),
                r.state.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "62063",
                Some("2019-03-01..2020-02-29"),
                Some("2019-02-19"),
                Some("0"),
                "CURRENT"
            ),
            (
                "44021",
                Some("2020-03-01..2021-08-31"),
                Some("2020-02-20"),
                Some("0"),
                "WITHDRAWN"
            ),
            // Suspended for detention: the right stays.
            (
                "62063",
                Some("2022-01-01..2022-12-31"),
                Some("2021-12-22"),
                Some("4"),
                "CURRENT"
            ),
        ],
        "{}",
        reply.body
    );
    let gent = &seen[1];
    let (days, decided, attestation) = gent.withdrawal.clone().unwrap_or_default();
    assert_eq!(
        (days.as_str(), decided.as_str()),
        ("2021-09-01..2022-02-28", "2021-08-20")
    );
    assert!(attestation.starts_with('C'), "{attestation}");
    // Every attestation is distinct, and each right changed when its form came in
    // (three days after its decision, at 10:00).
    assert_eq!(
        seen[0].last_modification.as_deref(),
        Some("2019-02-22T10:00:00.000Z")
    );
    assert_eq!(
        gent.last_modification.as_deref(),
        Some("2021-08-23T10:00:00.000Z"),
        "changed by the withdrawal"
    );

    // One region at a time, per PCSA.
    for (region, expected) in [
        (Some("FLANDERS"), vec!["44021"]),
        (Some("WALLONIA"), vec!["62063"]),
        (Some("BELGIUM"), vec!["62063", "44021"]),
        (None, vec!["62063", "44021"]),
        (Some("BRUSSELS"), vec![]),
    ] {
        let reply = ask(
            &gw,
            "onem",
            &request("getLivingWagePeriodsPerPCSA", &onem, &sophie, all, region),
        )
        .await;
        assert_eq!(reply.texts_of("insCode"), expected, "{region:?}");
        let code = if expected.is_empty() {
            "MSG00100"
        } else {
            "MSG00000"
        };
        assert_eq!(reply.status_code(), code, "{region:?}");
        // The criteria echo what was sent.
        assert_eq!(
            reply.text_of("region"),
            region.map(str::to_owned),
            "{region:?}"
        );
    }
    let reply = ask(
        &gw,
        "onem",
        &request(
            "getLivingWagePeriods",
            &onem,
            &sophie,
            all,
            Some("FLANDERS"),
        ),
    )
    .await;
    assert_eq!(support::periods(&reply), ["2020-03-01..2021-08-31"]);
}

#[tokio::test]
async fn every_demo_person_gets_v2s_status_and_periods() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let s = &gw.ssins;
    for ssin in [
        &s.two_pcsas,
        &s.equivalent,
        &s.born_2003,
        &s.no_right,
        &s.replacing,
        &s.replaced,
        &s.cancelled,
        &s.forem_only,
        &s.unknown,
        "85073100137",
    ] {
        let v2 = gw
            .basic("onem")
            .soap(
                &Call::new("getLivingWagePeriodsPerPCSA", &onem, ssin)
                    .period("2015-01-01", None)
                    .soap11(),
            )
            .await;
        let v3 = ask(
            &gw,
            "onem",
            &request(
                "getLivingWagePeriodsPerPCSA",
                &onem,
                ssin,
                ("2015-01-01", None),
                None,
            ),
        )
        .await;
        assert_eq!(v3.status_code(), v2.status_code(), "{ssin}: {}", v3.body);
        assert_eq!(v3.texts_of("information"), v2.texts_of("information"));
        assert_eq!(
            v3.texts_of("cbeNumber")[1..],
            v2.texts_of("pcsaCbeNumber")[..],
            "{ssin}"
        );
        assert_eq!(support::periods(&v3), support::periods(&v2), "{ssin}");
    }
}

#[tokio::test]
async fn refusals_and_faults_are_v2s() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let sophie = gw.ssins.two_pcsas.clone();

    // A legal context no deliberation grants.
    let payload = request("getLivingWages", &onem, &sophie, ("2020-01-01", None), None)
        .replace(ONEM_CONTEXT, "SOMETHING:ELSE");
    let reply = ask(&gw, "onem", &payload).await;
    assert_eq!(reply.status_code(), "MSG00013", "{}", reply.body);

    // The body names another institution.
    let vdab = gw.cbe("vdab");
    let reply = ask(
        &gw,
        "onem",
        &request("getLivingWages", &vdab, &sophie, ("2020-01-01", None), None),
    )
    .await;
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert_eq!(reply.reason_code(), "MSG00014");

    // A region the contract does not know, named in the fault.
    let reply = ask(
        &gw,
        "onem",
        &request(
            "getLivingWages",
            &onem,
            &sophie,
            ("2020-01-01", None),
            Some("LUXEMBOURG"),
        ),
    )
    .await;
    assert_eq!(reply.reason_code(), "MSG00004", "{}", reply.body);
    assert!(
        reply
            .texts_of("fieldName")
            .contains(&"criteria/region".into()),
        "{}",
        reply.body
    );

    // A period ending before it begins.
    let reply = ask(
        &gw,
        "onem",
        &request(
            "getLivingWages",
            &onem,
            &sophie,
            ("2020-01-01", Some("2019-01-01")),
            None,
        ),
    )
    .await;
    assert_eq!(reply.status_code(), "MSG00008", "{}", reply.body);

    // V2's Flanders operations are not V3's: the region replaces them.
    let reply = ask(
        &gw,
        "onem",
        &request(
            "getLivingWagePeriodsFlanders",
            &onem,
            &sophie,
            ("2020-01-01", None),
            None,
        ),
    )
    .await;
    assert_eq!(reply.reason_code(), "MSG00004", "{}", reply.body);

    // A SOAPAction naming another operation; then SOAP 1.2 (its action in the
    // content type) naming the right one.
    let body = request("getLivingWages", &onem, &sophie, ("2020-01-01", None), None);
    let action = |op: &str| format!("urn:bcss-gateway:LivingWagesService:v3/{op}");
    let reply = gw
        .basic("onem")
        .send(
            "POST",
            LW3_PATH,
            &[
                ("content-type", "text/xml; charset=utf-8"),
                (
                    "soapaction",
                    &format!("\"{}\"", action("getLivingWagePeriods")),
                ),
            ],
            envelope(SOAP11, &body).into_bytes(),
        )
        .await;
    validate_soap_reply(&reply.body);
    assert_eq!(reply.reason_code(), "MSG00004", "{}", reply.body);
    let reply = gw
        .basic("onem")
        .send(
            "POST",
            LW3_PATH,
            &[(
                "content-type",
                &format!(
                    "application/soap+xml; charset=utf-8; action=\"{}\"",
                    action("getLivingWages")
                ),
            )],
            envelope(SOAP12, &body).into_bytes(),
        )
        .await;
    validate_soap_reply(&reply.body);
    assert_eq!(reply.status_code(), "MSG00000", "{}", reply.body);

    // The contract is served from the endpoint, its schemas reachable.
    let wsdl = gw.basic("onem").get(&format!("{LW3_PATH}?wsdl")).await;
    assert_eq!(wsdl.status, 200);
    assert!(
        wsdl.body.contains("?xsd=LivingWagesV3.xsd"),
        "{}",
        wsdl.body
    );
    let xsd = gw
        .basic("onem")
        .get(&format!("{LW3_PATH}?xsd=LivingWagesV3.xsd"))
        .await;
    assert!(xsd.body.contains("suspensionCode"), "{}", xsd.body);
}

#[tokio::test]
async fn a_decision_reaches_v3_after_the_propagation_delay() {
    let gw = Gateway::start_with(support::Options {
        propagation_delay: std::time::Duration::from_secs(24 * 3600),
        ..support::Options::default()
    })
    .await;
    let (onem, liege) = (gw.cbe("onem"), gw.cbe("cpas-liege"));
    let marie = gw.ssins.no_right.clone();
    at(&gw, "2026-09-03T08:15:00Z");
    let sent = gw
        .basic("cpas-liege")
        .soap_at(
            PD_PATH,
            &liege_form_b(&liege, &marie, "2026-09-01", "V3-DELAY"),
        )
        .await;
    let b = sent.text_of("attestation").unwrap_or_default();
    let body = request("getLivingWages", &onem, &marie, ("2026-01-01", None), None);

    at(&gw, "2026-09-04T08:14:59Z");
    let reply = ask(&gw, "onem", &body).await;
    assert_eq!(reply.status_code(), "MSG00100", "{}", reply.body);

    at(&gw, "2026-09-04T08:15:00Z");
    let reply = ask(&gw, "onem", &body).await;
    let [seen] = <[RightSeen; 1]>::try_from(rights(&reply)).unwrap_or_else(|r| panic!("{r:?}"));
    assert_eq!(seen.attestation, Some(b));
    assert_eq!(
        seen.last_modification.as_deref(),
        Some("2026-09-03T08:15:00.000Z"),
        "the time it was accepted, not the time it became visible"
    );
}

/// A person with a long history: V3 replays it off the async workers, so that while
/// two partners consult it, everyone else is still answered at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_history_does_not_stall_other_requests() {
    const FORMS: usize = 600;
    let gw = Gateway::start().await;
    let (liege, onem) = (gw.cbe("cpas-liege"), gw.cbe("onem"));
    let ssin = gw.ssins.no_right.clone();
    let first = bcss_gateway::domain::Date::parse_xsd("2024-01-01").unwrap();
    // Each form revises the right from the next day; four CPAS connections at once.
    let send = |lane: usize| {
        let cpas = gw.basic("cpas-liege");
        let (liege, ssin) = (liege.clone(), ssin.clone());
        async move {
            for i in (lane..FORMS).step_by(4) {
                let entry = first.add_days(i32::try_from(i).unwrap()).unwrap();
                let form = liege_form_b(&liege, &ssin, &entry.to_string(), &format!("L{i}"));
                let reply = cpas.soap_at(PD_PATH, &form).await;
                assert!(reply.body.contains("<outcome>ACCEPTED"), "{}", reply.body);
            }
        }
    };
    tokio::join!(send(0), send(1), send(2), send(3));

    let answered = std::sync::atomic::AtomicUsize::new(0);
    let consult = || async {
        let payload = request(
            "getLivingWages",
            &onem,
            &ssin,
            ("2024-01-01", Some("2026-12-31")),
            None,
        );
        let started = std::time::Instant::now();
        let reply = gw
            .basic("onem")
            .soap_at(LW3_PATH, &envelope(SOAP11, &payload))
            .await;
        answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        (reply, started.elapsed())
    };
    // /health asked again and again while the two answers are computed: the slowest.
    let health = async {
        let mut slowest = std::time::Duration::ZERO;
        let mut probes = 0;
        while answered.load(std::sync::atomic::Ordering::SeqCst) < 2 {
            let started = std::time::Instant::now();
            let reply = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                gw.anonymous().get("/health"),
            )
            .await
            .unwrap_or_else(|_| panic!("/health got no answer within 10 s"));
            assert_eq!(reply.body.trim(), "ok");
            slowest = slowest.max(started.elapsed());
            probes += 1;
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        (probes, slowest)
    };
    let ((a, a_took), (b, _), (probes, slowest)) = tokio::join!(consult(), consult(), health);
    eprintln!("V3 took {a_took:?}; {probes} /health probes meanwhile, the slowest {slowest:?}");
    for reply in [&a, &b] {
        validate_soap_reply(&reply.body);
        assert_eq!(
            reply.body.matches("<right>").count(),
            FORMS,
            "one right per form B: {}",
            &reply.body[..reply.body.len().min(1500)]
        );
    }
    assert!(
        slowest < std::time::Duration::from_millis(500),
        "/health took up to {slowest:?} while the V3 answers took {a_took:?}"
    );
}
