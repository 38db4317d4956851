//! LivingWages V2 over real TLS: every operation and every status, answers validated
//! against the project's schemas and the real CBSS ones.

mod support;

use support::{Call, Gateway, periods};

const LC_ONEM: &str = "UNEMPLOYMENT:LIVING_WAGE_CHECK";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_periods_span_both_pcsas_and_both_regions() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let r = gw
        .basic("onem")
        .soap(&Call::new("getLivingWagePeriods", &onem, &gw.ssins.two_pcsas).soap11())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.text_of("value").as_deref(), Some("DATA_FOUND"));
    assert_eq!(r.status_code(), "MSG00000");
    // Liège 2019-03..2020-02 and Gent 2020-03..2021-08 touch: one uninterrupted period.
    assert_eq!(
        periods(&r),
        ["2019-03-01..2021-08-31", "2022-01-01..2022-12-31"]
    );
    assert_eq!(support::contract_element_count(&r.body), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periods_are_clipped_to_the_requested_period() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let call = Call::new("getLivingWagePeriods", &onem, &gw.ssins.two_pcsas)
        .period("2020-06-15", Some("2022-03-31"));
    let r = gw.basic("onem").soap(&call.soap11()).await;
    assert_eq!(
        periods(&r),
        ["2020-06-15..2021-08-31", "2022-01-01..2022-03-31"]
    );
    // The criteria are echoed as sent.
    assert_eq!(r.texts_of("beginDate")[0], "2020-06-15");
    assert_eq!(r.texts_of("endDate")[0], "2022-03-31");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_pcsa_groups_by_pcsa_and_flanders_keeps_only_flemish_pcsas() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let client = gw.basic("onem");
    let r = client
        .soap(&Call::new("getLivingWagePeriodsPerPCSA", &onem, &gw.ssins.two_pcsas).soap11())
        .await;
    let pcsas = r.texts_of("pcsaCbeNumber");
    assert_eq!(pcsas.len(), 2, "{}", r.body);
    assert_eq!(
        periods(&r),
        [
            "2019-03-01..2020-02-29",
            "2022-01-01..2022-12-31",
            "2020-03-01..2021-08-31"
        ]
    );
    let liege = pcsas[0].clone();
    let gent = pcsas[1].clone();

    let r = client
        .soap(
            &Call::new(
                "getLivingWagePeriodsPerPCSAFlanders",
                &onem,
                &gw.ssins.two_pcsas,
            )
            .soap11(),
        )
        .await;
    assert_eq!(r.texts_of("pcsaCbeNumber"), vec![gent]);
    assert_eq!(periods(&r), ["2020-03-01..2021-08-31"]);
    assert!(!r.body.contains(&liege));

    let r = client
        .soap(&Call::new("getLivingWagePeriodsFlanders", &onem, &gw.ssins.two_pcsas).soap11())
        .await;
    assert_eq!(periods(&r), ["2020-03-01..2021-08-31"]);

    // Only Walloon rights: the Flanders operations find nothing.
    let r = client
        .soap(&Call::new("getLivingWagePeriodsFlanders", &onem, &gw.ssins.born_2003).soap11())
        .await;
    assert_eq!(r.status_code(), "MSG00100");
    assert_eq!(r.text_of("value").as_deref(), Some("NO_DATA_FOUND"));
    assert!(periods(&r).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_living_wages_separates_the_kinds_of_aid() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let r = gw
        .basic("onem")
        .soap(&Call::new("getLivingWages", &onem, &gw.ssins.equivalent).soap11())
        .await;
    assert_eq!(r.status_code(), "MSG00000");
    assert_eq!(
        r.texts_of("category"),
        ["EQUIVALENT_LIVING_WAGE", "LIVING_WAGE"]
    );
    assert_eq!(
        periods(&r),
        ["2021-05-01..2023-04-30", "2023-05-01..2026-10-31"]
    );
    // The same person's periods merge across kinds in getLivingWagePeriods.
    let r = gw
        .basic("onem")
        .soap(&Call::new("getLivingWagePeriods", &onem, &gw.ssins.equivalent).soap11())
        .await;
    assert_eq!(periods(&r), ["2021-05-01..2026-10-31"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_statuses_of_the_ssin() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let client = gw.basic("onem");
    let status = |ssin: String| {
        let onem = onem.clone();
        let client = &client;
        async move {
            let r = client
                .soap(&Call::new("getLivingWages", &onem, &ssin).soap11())
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            (r.text_of("value").unwrap_or_default(), r.status_code(), r)
        }
    };
    let (value, code, _) = status(gw.ssins.no_right.clone()).await;
    assert_eq!(
        (value.as_str(), code.as_str()),
        ("NO_DATA_FOUND", "MSG00100")
    );
    let (value, code, _) = status(gw.ssins.unknown.clone()).await;
    assert_eq!((value.as_str(), code.as_str()), ("NO_RESULT", "MSG00005"));
    let (value, code, r) = status(gw.ssins.replaced.clone()).await;
    assert_eq!((value.as_str(), code.as_str()), ("NO_RESULT", "MSG00006"));
    assert_eq!(r.text_of("fieldName").as_deref(), Some("newSSIN"));
    assert_eq!(r.text_of("fieldValue"), Some(gw.ssins.replacing.clone()));
    let (value, code, _) = status(gw.ssins.cancelled.clone()).await;
    assert_eq!((value.as_str(), code.as_str()), ("NO_RESULT", "MSG00007"));
    // Right shape, wrong check digits.
    let mut bad = gw.ssins.two_pcsas.clone();
    let last = bad.pop().and_then(|c| c.to_digit(10)).unwrap_or(0);
    bad.push(char::from_digit((last + 1) % 10, 10).unwrap_or('0'));
    let (value, code, r) = status(bad).await;
    assert_eq!((value.as_str(), code.as_str()), ("NO_RESULT", "MSG00011"));
    assert!(
        r.text_of("description")
            .is_some_and(|d| d.contains("check digits")),
        "{}",
        r.body
    );
    // A person whose file ONEM does not manage.
    let (value, code, r) = status(gw.ssins.forem_only.clone()).await;
    assert_eq!((value.as_str(), code.as_str()), ("NO_RESULT", "MSG00012"));
    assert!(
        !r.body.contains("livingWages>"),
        "no data may leak: {}",
        r.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inscription_must_overlap_the_requested_period() {
    use bcss_gateway::domain::{CbeNumber, Date, Inscription, OpenPeriod, QualityCode, Ssin};
    use bcss_gateway::store::Change;
    let gw = Gateway::start().await;
    let vdab = gw.cbe("vdab");
    let ssin = gw.ssins.born_2003.clone();
    let d = |s: &str| Date::parse_xsd(s).unwrap_or_else(|e| panic!("{e}"));
    let inscription = Inscription {
        ssin: Ssin::parse(&ssin).unwrap_or_else(|e| panic!("{e}")),
        institution: CbeNumber::parse(&vdab).unwrap_or_else(|e| panic!("{e}")),
        quality: QualityCode::new(9).unwrap_or_else(|e| panic!("{e}")),
        period: OpenPeriod::new(d("2022-01-01"), Some(d("2022-12-31")))
            .unwrap_or_else(|e| panic!("{e}")),
    };
    gw.store
        .apply(&[Change::Inscription(inscription)])
        .unwrap_or_else(|e| panic!("{e}"));
    let client = gw.basic("vdab");
    let call = |begin: &'static str, end: Option<&'static str>| {
        Call::new("getLivingWagePeriods", &vdab, &ssin)
            .legal_context("EMPLOYMENT:ACTIVATION_GUIDANCE")
            .period(begin, end)
            .soap11()
    };
    let r = client.soap(&call("2023-01-01", None)).await;
    assert_eq!(r.status_code(), "MSG00012");
    let r = client.soap(&call("2020-01-01", Some("2021-12-31"))).await;
    assert_eq!(r.status_code(), "MSG00012");
    // The inscription's first day overlaps; the right itself begins on 2022-07-01.
    let r = client.soap(&call("2020-01-01", Some("2022-01-01"))).await;
    assert_eq!(r.status_code(), "MSG00100");
    let r = client.soap(&call("2022-01-01", Some("2022-07-01"))).await;
    assert_eq!(r.status_code(), "MSG00000");
    assert_eq!(periods(&r), ["2022-07-01..2022-07-01"]);
    let r = client.soap(&call("2022-12-31", None)).await;
    assert_eq!(r.status_code(), "MSG00000");
    assert_eq!(
        periods(&r),
        ["2022-12-31..2023-06-30", "2024-01-01..2025-12-31"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_legal_context_must_be_granted_for_the_service() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let inami = gw.cbe("inami");
    // A context granted to another institution, not to ONEM.
    let call = Call::new("getLivingWages", &onem, &gw.ssins.two_pcsas)
        .legal_context("EMPLOYMENT:ACTIVATION_GUIDANCE");
    let r = gw.basic("onem").soap(&call.soap11()).await;
    assert_eq!(
        (r.text_of("value").as_deref(), r.status_code().as_str()),
        (Some("NO_RESULT"), "MSG00013")
    );
    // No deliberation for this service at all, although INAMI manages the file.
    let call = Call::new("getLivingWages", &inami, &gw.ssins.two_pcsas).legal_context(LC_ONEM);
    let r = gw.basic("inami").soap(&call.soap11()).await;
    assert_eq!(r.status_code(), "MSG00013");
    assert!(!r.body.contains("livingWages>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_identification_must_be_the_authenticated_caller() {
    let gw = Gateway::start().await;
    let vdab = gw.cbe("vdab");
    let onem = gw.cbe("onem");
    let r = gw
        .basic("onem")
        .soap(&Call::new("getLivingWages", &vdab, &gw.ssins.two_pcsas).soap11())
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.text_of("faultcode").as_deref(), Some("soapenv:Client"));
    assert_eq!(r.reason_code(), "MSG00014");
    // The fault echoes the request's informationCustomer.
    assert_eq!(r.text_of("cbeNumber"), Some(vdab.clone()));
    assert!(
        r.text_of("diagnostic")
            .is_some_and(|d| d.contains(&vdab) && d.contains(&onem))
    );
    // Same with a client certificate.
    let r = gw
        .with_certificate("onem")
        .soap(&Call::new("getLivingWages", &vdab, &gw.ssins.two_pcsas).soap11())
        .await;
    assert_eq!(r.reason_code(), "MSG00014");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_period_ending_before_it_begins_is_a_validation_error() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let call = Call::new("getLivingWages", &onem, &gw.ssins.two_pcsas)
        .period("2022-01-01", Some("2021-12-31"));
    let r = gw.basic("onem").soap(&call.soap11()).await;
    assert_eq!(
        (r.text_of("value").as_deref(), r.status_code().as_str()),
        (Some("NO_RESULT"), "MSG00008")
    );
    assert_eq!(
        r.text_of("fieldName").as_deref(),
        Some("criteria/period/endDate")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exchange_gets_a_fresh_ticket_and_an_audit_record() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let client = gw.basic("onem");
    let a = client
        .soap(&Call::new("getLivingWages", &onem, &gw.ssins.two_pcsas).soap11())
        .await;
    let b = client
        .soap(&Call::new("getLivingWagePeriods", &onem, &gw.ssins.no_right).soap11())
        .await;
    let c = gw
        .basic("onem")
        .soap(&Call::new("getLivingWages", &gw.cbe("vdab"), &gw.ssins.two_pcsas).soap11())
        .await;
    let tickets: Vec<String> = [&a, &b, &c]
        .iter()
        .map(|r| r.text_of("ticketCBSS").unwrap_or_default())
        .collect();
    assert!(
        tickets.iter().all(|t| uuid::Uuid::parse_str(t).is_ok()),
        "{tickets:?}"
    );
    assert_ne!(tickets[0], tickets[1]);
    assert_ne!(tickets[1], tickets[2]);
    // The client's own ticket is echoed.
    assert_eq!(a.text_of("ticket").as_deref(), Some("test-ticket"));
    for r in [&a, &b] {
        let received = r.text_of("timestampReceive").unwrap_or_default();
        let replied = r.text_of("timestampReply").unwrap_or_default();
        assert!(
            received <= replied && received.ends_with('Z'),
            "{received} {replied}"
        );
    }

    gw.flush_audit().await;
    let trail = gw
        .store
        .audit_trail(None, 100)
        .unwrap_or_else(|e| panic!("{e}"));
    let by_ticket = |t: &str| {
        trail
            .iter()
            .find(|r| r.ticket.to_string() == t)
            .unwrap_or_else(|| panic!("no audit record for {t}"))
    };
    let ra = by_ticket(&tickets[0]);
    assert_eq!(ra.operation.as_deref(), Some("getLivingWages"));
    assert_eq!(ra.outcome, "MSG00000");
    assert_eq!(ra.legal_context.as_deref(), Some(LC_ONEM));
    assert_eq!(ra.ssin.as_deref(), Some(gw.ssins.two_pcsas.as_str()));
    assert_eq!(ra.caller.map(|c| c.to_string()), Some(onem.clone()));
    assert_eq!(ra.http_status, 200);
    assert_eq!(by_ticket(&tickets[1]).outcome, "MSG00100");
    let rc = by_ticket(&tickets[2]);
    assert_eq!((rc.outcome.as_ref(), rc.http_status), ("MSG00014", 500));
}

#[test]
fn validation_rejects_a_reply_that_breaks_the_contract() {
    if std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "xmllint is required in CI"
        );
        eprintln!("SKIPPED: xmllint is not installed");
        return;
    }
    // endDate is mandatory in a period of right.
    let invalid = format!(
        "<e:Envelope xmlns:e='{}'><e:Body><lw:getLivingWagePeriodsResponse xmlns:lw='{}'><informationCustomer><customerIdentification>\
         <cbeNumber>0206737484</cbeNumber></customerIdentification></informationCustomer><informationCBSS>\
         <ticketCBSS>01a201a1-d5ad-7175-8ccd-774d9c2279db</ticketCBSS><timestampReceive>2026-01-01T00:00:00Z</timestampReceive>\
         <timestampReply>2026-01-01T00:00:00Z</timestampReply></informationCBSS><legalContext>X</legalContext><criteria>\
         <ssin>85073100130</ssin><period><beginDate>2020-01-01</beginDate></period></criteria><status><value>DATA_FOUND</value>\
         <code>MSG00000</code></status><livingWagePeriod><beginDate>2020-01-01</beginDate></livingWagePeriod>\
         </lw:getLivingWagePeriodsResponse></e:Body></e:Envelope>",
        support::SOAP11,
        support::INTF_NS
    );
    let verdict = std::panic::catch_unwind(|| support::validate_soap_reply(&invalid));
    let message = verdict
        .err()
        .and_then(|e| e.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(
        message.contains("reply invalid"),
        "an invalid reply must be rejected, got {message:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_caller_managing_the_file_learns_that_a_number_was_replaced() {
    let gw = Gateway::start().await;
    let vdab = gw.cbe("vdab");
    let client = gw.basic("vdab");
    for ssin in [&gw.ssins.replaced, &gw.ssins.cancelled] {
        let call = Call::new("getLivingWages", &vdab, ssin)
            .legal_context("EMPLOYMENT:ACTIVATION_GUIDANCE");
        let r = client.soap(&call.soap11()).await;
        assert_eq!(r.status_code(), "MSG00012", "{}", r.body);
        assert!(
            !r.body.contains(&gw.ssins.replacing),
            "the new number must not leak: {}",
            r.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brussels_is_not_flanders() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let client = gw.basic("onem");
    let r = client
        .soap(
            &Call::new(
                "getLivingWagePeriodsPerPCSAFlanders",
                &onem,
                &gw.ssins.equivalent,
            )
            .soap11(),
        )
        .await;
    assert_eq!(r.status_code(), "MSG00100", "{}", r.body);
    let r = client
        .soap(&Call::new("getLivingWagePeriodsPerPCSA", &onem, &gw.ssins.equivalent).soap11())
        .await;
    assert_eq!(r.status_code(), "MSG00000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_deliberation_takes_effect_at_once() {
    use bcss_gateway::store::Change;
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let client = gw.basic("onem");
    let call = Call::new("getLivingWages", &onem, &gw.ssins.two_pcsas).soap11();
    assert_eq!(client.soap(&call).await.status_code(), "MSG00000");
    let cbe = bcss_gateway::domain::CbeNumber::parse(&onem).unwrap_or_else(|e| panic!("{e}"));
    let mut institution = gw
        .store
        .institution(&cbe)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no ONEM"));
    institution.grants.clear();
    gw.store
        .apply(&[Change::Institution(institution)])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(client.soap(&call).await.status_code(), "MSG00013");
}
