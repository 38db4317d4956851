//! PcsaDecisionService v1 over real TLS: a CPAS registers forms B and C, partners see
//! the effect in LivingWages V2 at once, every answer is validated against the schema.

mod support;

use support::forms::{FormB, FormC, LIEGE_INS};
use support::{Gateway, PD_NS, PD_PATH, SOAP11, envelope, validate_soap_request};

fn form_d(caller: &str, ssin: &str, sequence: u16, amount: &str, start: &str, end: &str) -> String {
    form_d_for_month(caller, ssin, "2024-06", sequence, amount, start, end)
}

fn form_d_for_month(
    caller: &str,
    ssin: &str,
    month: &str,
    sequence: u16,
    amount: &str,
    start: &str,
    end: &str,
) -> String {
    envelope(
        SOAP11,
        &format!(
            "<pd:sendFormDRequest xmlns:pd=\"{PD_NS}\">\
             <informationCustomer><customerIdentification><cbeNumber>{caller}</cbeNumber></customerIdentification></informationCustomer>\
             <formD><pcsa><name>CPAS de Liège</name><insCode>{LIEGE_INS}</insCode><cbeNumber>{caller}</cbeNumber></pcsa>\
             <ssin>{ssin}</ssin><recoveryMonth>{month}</recoveryMonth><sequenceNumber>{sequence}</sequenceNumber>\
             <recoveryType>01</recoveryType><recoveredAmount>{amount}</recoveredAmount>\
             <periodStart>{start}</periodStart><periodEnd>{end}</periodEnd><reference>REC-1</reference></formD>\
             </pd:sendFormDRequest>"
        ),
    )
}

fn assert_rejected(reply: &support::Reply) {
    assert_eq!(
        reply.text_of("outcome").as_deref(),
        Some("REJECTED"),
        "{}",
        reply.body
    );
}

fn assert_accepted(reply: &support::Reply) {
    assert_eq!(
        reply.text_of("outcome").as_deref(),
        Some("ACCEPTED"),
        "{}",
        reply.body
    );
}

/// What ONEM sees of a person's living wages in 2024.
async fn onem_sees(gw: &Gateway, ssin: &str) -> Vec<String> {
    onem_sees_in(gw, ssin, "2024-01-01", "2024-12-31").await
}

async fn onem_sees_in(gw: &Gateway, ssin: &str, begin: &str, end: &str) -> Vec<String> {
    support::onem_periods(gw, ssin, begin, end).await
}

#[tokio::test]
async fn a_form_b_sent_by_a_cpas_is_seen_by_a_partner_at_once_and_a_c_shortens_it() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let cpas = gw.basic("cpas-liege");
    assert!(onem_sees(&gw, &ssin).await.is_empty());

    let reply = cpas
        .soap_at(
            PD_PATH,
            &FormB::new(&liege, &ssin, "2024-01-01", 12).envelope(&liege),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.status_code(), "MSG00000");
    assert_eq!(reply.text_of("outcome").as_deref(), Some("ACCEPTED"));
    assert_eq!(reply.text_of("reference").as_deref(), Some("DOS-2024-001"));
    let attestation = reply.text_of("attestation").unwrap_or_default();
    assert_eq!(attestation.len(), 15, "{}", reply.body);
    assert_eq!(onem_sees(&gw, &ssin).await, ["2024-01-01..2024-12-31"]);

    let reply = cpas
        .soap_at(
            PD_PATH,
            &FormC::withdrawal(&liege, &ssin, "2024-04-01").envelope(),
        )
        .await;
    assert_accepted(&reply);
    assert_eq!(onem_sees(&gw, &ssin).await, ["2024-01-01..2024-03-31"]);

    // Withdrawing that C (status 9, same data) gives the B its whole duration back.
    let reply = cpas
        .soap_at(
            PD_PATH,
            &FormC {
                status: 9,
                ..FormC::withdrawal(&liege, &ssin, "2024-04-01")
            }
            .envelope(),
        )
        .await;
    assert_accepted(&reply);
    assert_eq!(onem_sees(&gw, &ssin).await, ["2024-01-01..2024-12-31"]);

    // Each change is in the outbox, in order, with the person's version.
    let events = gw
        .store
        .outbox(bcss_gateway::domain::OutboxSequence::START, 100)
        .unwrap_or_default();
    let summary: Vec<(u64, u64, &str)> = events
        .iter()
        .map(|e| (e.sequence.0, e.version, e.event.name()))
        .collect();
    assert_eq!(
        summary,
        [(1, 1, "CREATE"), (2, 2, "MODIFY"), (3, 3, "MODIFY")]
    );
    assert_eq!(events[0].attestation.as_str(), attestation);
    assert!(events.iter().all(|e| e.ssin.as_str() == ssin));
}

#[tokio::test]
async fn the_same_form_twice_returns_the_same_attestation_and_changes_nothing() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let cpas = gw.with_certificate("cpas-liege");
    let form = FormB::new(&liege, &ssin, "2024-01-01", 6).envelope(&liege);
    let first = cpas.soap_at(PD_PATH, &form).await;
    let second = cpas.soap_at(PD_PATH, &form).await;
    assert_eq!(first.text_of("outcome").as_deref(), Some("ACCEPTED"));
    assert_eq!(
        second.text_of("outcome").as_deref(),
        Some("ALREADY_REGISTERED")
    );
    assert_eq!(first.text_of("attestation"), second.text_of("attestation"));
    assert_eq!(
        gw.store
            .outbox(bcss_gateway::domain::OutboxSequence::START, 100)
            .map(|e| e.len())
            .unwrap_or(0),
        1
    );
}

#[tokio::test]
async fn a_refused_form_lists_every_error_with_its_code_and_field() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let mut form = FormB::new(&liege, &ssin, "2024-01-01", 0);
    form.category = "E";
    form.study_grant = 2; // with a partner, but the situation is "lives alone"
    form.rubrics = "<beneficiary><integrationProject>11</integrationProject></beneficiary>";
    let reply = gw
        .basic("cpas-liege")
        .soap_at(PD_PATH, &form.envelope(&liege))
        .await;
    assert_eq!(reply.status, 200);
    assert_rejected(&reply);
    assert!(reply.text_of("attestation").is_none());
    assert_eq!(
        reply
            .texts_of("code")
            .into_iter()
            .skip(1)
            .collect::<Vec<_>>(),
        ["420408", "900004", "900007"],
        "{}",
        reply.body
    );
    assert_eq!(
        reply.texts_of("field"),
        ["studyGrant", "partnerSsin", "duration"]
    );
    assert!(onem_sees(&gw, &ssin).await.is_empty());
    assert!(
        gw.store
            .outbox(bcss_gateway::domain::OutboxSequence::START, 10)
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn unreadable_values_are_errors_of_the_reply_naming_the_rubric() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let mut form = FormB::new(&liege, "85073100111", "2024-02-30", 1);
    form.decision = "2024-02-01";
    let reply = gw
        .basic("cpas-liege")
        .soap_at(PD_PATH, &form.envelope(&liege))
        .await;
    assert_rejected(&reply);
    assert_eq!(reply.texts_of("field"), ["ssin", "entryDate"]);
    assert!(reply.texts_of("code").iter().skip(1).all(|c| c == "900002"));
}

/// Rubrics 21–42 of a Walloon family in 2025: the beneficiary works under article 60 in
/// the social economy at 80 %, the partner is in a SINE activation.
const FAMILY_RUBRICS: &str = "<beneficiary>\
    <art60Employment><employmentType>8</employmentType><occupationRate>80</occupationRate>\
    <workplace>15</workplace><initiative>1299</initiative></art60Employment>\
    <socioProfessionalIntegration>1</socioProfessionalIntegration>\
    <integrationProject>11</integrationProject>\
    <professionalIncome>1200.00</professionalIncome></beneficiary>\
    <partner><integrationProject>8</integrationProject><activation>12</activation>\
    <professionalIncomeArt35>3600</professionalIncomeArt35><artisticIncome>500.5</artisticIncome></partner>\
    <resources><benefits><unemploymentBenefit>2400.00</unemploymentBenefit>\
    <familyBenefits>1200</familyBenefits><otherBenefits>10</otherBenefits></benefits>\
    <builtRealEstate>750</builtRealEstate><alimonyReceived>1800</alimonyReceived>\
    <otherResources>1</otherResources>\
    <cohabitants><resources>21262.32</resources><categoryACount>2</categoryACount></cohabitants></resources>";

/// Rubrics 63–72 that go with it: the social-economy flat rate at 80 %
/// (38,123.28 × 80 / 100) and the SINE activation's annual amount.
const FAMILY_SUBSIDIES: &str = "<subsidies>\
    <beneficiary><art60>30498.62</art60><alimony>1100</alimony></beneficiary>\
    <partner><activation>5220.00</activation></partner></subsidies>";

#[tokio::test]
async fn a_form_b_carries_every_rubric_from_21_to_72() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let mut form = FormB::family(&liege, &ssin, "2025-03-01", 10);
    form.rubrics = FAMILY_RUBRICS;
    form.subsidies = FAMILY_SUBSIDIES;
    let request = form.envelope(&liege);
    validate_soap_request(&request);
    let reply = gw.basic("cpas-liege").soap_at(PD_PATH, &request).await;
    assert_accepted(&reply);
    assert_eq!(
        onem_sees_in(&gw, &ssin, "2025-01-01", "2025-12-31").await,
        ["2025-03-01..2025-12-31"]
    );

    // The register keeps every rubric as sent.
    let stored = gw.store.forms(&ssin.parse().unwrap()).unwrap();
    let [registered] = stored.as_slice() else {
        panic!("{stored:?}")
    };
    let bcss_gateway::domain::decision::Form::B(b) = &registered.form else {
        panic!("{registered:?}")
    };
    let employment = b.measures.beneficiary.art60.clone().unwrap();
    assert_eq!(
        (
            employment.employment_type,
            employment.occupation_rate,
            employment.workplace
        ),
        (Some(8), Some(80), Some(15))
    );
    assert_eq!(employment.initiative.as_deref(), Some("1299"));
    assert_eq!(b.measures.partner.activation, Some(12));
    assert_eq!(
        b.measures
            .partner
            .subsidies
            .activation
            .map(|a| a.to_string()),
        Some("5220.00".into())
    );
    assert_eq!(
        b.resources.income.partner.artistic.map(|a| a.to_string()),
        Some("500.50".into())
    );
    assert_eq!(
        b.resources
            .amounts
            .iter()
            .map(|(r, a)| format!("{}={a}", r.element()))
            .collect::<Vec<_>>(),
        [
            "unemploymentBenefit=2400.00",
            "familyBenefits=1200.00",
            "otherBenefits=10.00",
            "builtRealEstate=750.00",
            "alimonyReceived=1800.00",
            "otherResources=1.00"
        ]
    );
    let cohabitants = b.resources.cohabitants.clone().unwrap();
    assert_eq!((cohabitants.category_a, cohabitants.category_e), (2, 0));
}

#[tokio::test]
async fn measures_refused_in_wallonia_carry_the_notes_codes_350101_and_320771() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let mut form = FormB::family(&liege, &ssin, "2018-01-01", 6);
    form.rubrics = "<beneficiary><integrationProject>11</integrationProject><activation>02</activation></beneficiary>\
        <partner><integrationProject>11</integrationProject><activation>15</activation></partner>";
    form.subsidies = "<subsidies><beneficiary><activation>99999</activation></beneficiary>\
        <partner><art60>100</art60><alimony>1100.01</alimony></partner></subsidies>";
    let request = form.envelope(&liege);
    validate_soap_request(&request);
    let reply = gw.basic("cpas-liege").soap_at(PD_PATH, &request).await;
    assert_rejected(&reply);
    let errors: Vec<(String, String)> = reply
        .texts_of("code")
        .into_iter()
        .skip(1)
        .zip(reply.texts_of("field"))
        .collect();
    let pairs: Vec<(&str, &str)> = errors
        .iter()
        .map(|(c, f)| (c.as_str(), f.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("350101", "beneficiary/activation"),
            ("900027", "subsidies/beneficiary/activation"),
            ("320771", "partner/activation"),
            ("900026", "subsidies/partner/art60"),
            ("900027", "subsidies/partner/alimony"),
        ],
        "{}",
        reply.body
    );
    assert!(
        reply
            .body
            .contains("confirmation de la R\u{e9}gion Wallonne"),
        "{}",
        reply.body
    );
    assert!(onem_sees(&gw, &ssin).await.is_empty());
}

#[tokio::test]
async fn codes_outside_their_lists_are_unreadable_values_naming_the_rubric() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let mut form = FormB::new(&liege, &gw.ssins.no_right, "2024-01-01", 1);
    form.rubrics = "<beneficiary><art60Employment><workplace>22</workplace></art60Employment>\
        <integrationProject>13</integrationProject></beneficiary>\
        <resources><movableIncome>12.345</movableIncome></resources>";
    let reply = gw
        .basic("cpas-liege")
        .soap_at(PD_PATH, &form.envelope(&liege))
        .await;
    assert_rejected(&reply);
    assert_eq!(
        reply.texts_of("field"),
        [
            "beneficiary/art60Employment/workplace",
            "beneficiary/integrationProject",
            "resources/movableIncome"
        ]
    );
    assert!(reply.texts_of("code").iter().skip(1).all(|c| c == "900002"));
}

/// A form B of CPAS de Liège, sent by the demo institution `key` in its own name.
async fn send_liege_form_as(gw: &Gateway, key: &str) -> support::Reply {
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    gw.basic(key)
        .soap_at(
            PD_PATH,
            &FormB::new(&liege, &ssin, "2024-01-01", 1).envelope(&gw.cbe(key)),
        )
        .await
}

#[tokio::test]
async fn a_cpas_registers_only_its_own_decisions() {
    let gw = Gateway::start().await;
    let reply = send_liege_form_as(&gw, "ocmw-gent").await;
    assert_rejected(&reply);
    assert_eq!(reply.texts_of("field"), ["pcsa/cbeNumber"]);
    assert_eq!(
        reply.texts_of("code").get(1).map(String::as_str),
        Some("900012")
    );
}

#[tokio::test]
async fn only_a_cpas_may_send_decisions() {
    let gw = Gateway::start().await;
    let reply = send_liege_form_as(&gw, "onem").await;
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert_eq!(reply.reason_code(), "MSG00013");
    assert!(reply.body.contains("pcsaDecisionFault"));
}

#[tokio::test]
async fn a_message_that_breaks_the_contract_is_a_fault_naming_the_element() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let without_category = FormB::new(&liege, &ssin, "2024-01-01", 1)
        .envelope(&liege)
        .replace("<category>B</category>", "");
    let reply = gw
        .basic("cpas-liege")
        .soap_at(PD_PATH, &without_category)
        .await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.reason_code(), "MSG00004");
    assert!(reply.body.contains("formB/category"), "{}", reply.body);
}

#[tokio::test]
async fn the_contract_is_published_with_its_schemas() {
    let gw = Gateway::start().await;
    let client = gw.basic("cpas-liege");
    let wsdl = client.get(&format!("{PD_PATH}?wsdl")).await;
    assert_eq!(wsdl.status, 200);
    for operation in ["sendFormB", "sendFormC", "sendFormD", "sendPayments"] {
        assert!(
            wsdl.body.contains(&format!(
                "soapAction=\"urn:bcss-gateway:PcsaDecisionService/{operation}\""
            )),
            "{operation}"
        );
    }
    assert!(wsdl.body.contains("?xsd=PcsaDecisionV1.xsd"));
    let xsd = client
        .get(&format!("{PD_PATH}?xsd=PcsaDecisionV1.xsd"))
        .await;
    assert_eq!(xsd.status, 200);
    assert!(xsd.body.contains("FormBType"));
}

#[tokio::test]
async fn a_form_d_recovers_no_more_than_the_cpas_granted_and_changes_no_right() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let cpas = gw.basic("cpas-liege");
    let mut grant = FormB::new(&liege, &ssin, "2024-01-01", 12);
    grant.annual_amount = Some("12000.00");
    assert_accepted(&cpas.soap_at(PD_PATH, &grant.envelope(&liege)).await);

    // March is a twelfth of the year: 1,000.00 may be recovered, not a cent more.
    let reply = cpas
        .soap_at(
            PD_PATH,
            &form_d(&liege, &ssin, 1, "1000.00", "2024-03-01", "2024-03-31"),
        )
        .await;
    assert_accepted(&reply);
    assert!(
        reply
            .text_of("attestation")
            .is_some_and(|a| a.starts_with('D') && a.len() == 15)
    );
    assert_eq!(reply.text_of("reference").as_deref(), Some("REC-1"));
    let reply = cpas
        .soap_at(
            PD_PATH,
            &form_d(&liege, &ssin, 2, "1000.01", "2024-04-01", "2024-04-30"),
        )
        .await;
    assert_rejected(&reply);
    assert_eq!(reply.texts_of("field"), ["recoveredAmount"]);
    assert_eq!(
        reply.texts_of("code").get(1).map(String::as_str),
        Some("900019")
    );
    // A period across years is refused with its own code, next to the sequence error.
    let reply = cpas
        .soap_at(
            PD_PATH,
            &form_d(&liege, &ssin, 3, "10", "2024-12-01", "2025-01-31"),
        )
        .await;
    assert_eq!(reply.texts_of("field"), ["periodEnd", "sequenceNumber"]);

    assert_eq!(onem_sees(&gw, &ssin).await, ["2024-01-01..2024-12-31"]);
    assert_eq!(
        gw.store
            .outbox(bcss_gateway::domain::OutboxSequence::START, 100)
            .map(|e| e.len())
            .unwrap_or(0),
        1
    );
}

/// The last months of the calendar the register supports: a decision may run to
/// 9999-12-31 and a recovery may be judged against it, but nothing may end after it.
/// Before the dates were bounded, the D's judgement never ended and froze the gateway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_at_the_end_of_the_supported_calendar_are_judged_and_answered() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let cpas = gw.basic("cpas-liege");
    let answered = |what: &'static str| {
        move |r: Result<support::Reply, tokio::time::error::Elapsed>| {
            r.unwrap_or_else(|_| panic!("{what} got no answer within 10 s"))
        }
    };
    let within = std::time::Duration::from_secs(10);

    let mut grant = FormB::new(&liege, &ssin, "9999-01-01", 12);
    grant.decision = "2024-01-01";
    grant.annual_amount = Some("12000.00");
    let reply = tokio::time::timeout(within, cpas.soap_at(PD_PATH, &grant.envelope(&liege))).await;
    assert_accepted(&answered("the form B to 9999-12-31")(reply));

    let recover = form_d_for_month(
        &liege,
        &ssin,
        "9999-12",
        1,
        "1000.00",
        "9999-12-01",
        "9999-12-31",
    );
    let reply = tokio::time::timeout(within, cpas.soap_at(PD_PATH, &recover)).await;
    assert_accepted(&answered("the form D for 9999-12")(reply));
    let too_much = form_d_for_month(
        &liege,
        &ssin,
        "9999-12",
        2,
        "1000.01",
        "9999-12-01",
        "9999-12-31",
    );
    let reply = tokio::time::timeout(within, cpas.soap_at(PD_PATH, &too_much)).await;
    let reply = answered("the second form D for 9999-12")(reply);
    assert_rejected(&reply);
    assert_eq!(reply.texts_of("field"), ["recoveredAmount"]);

    // A revision from February for as long would end on 10000-01-31: refused, naming
    // the duration.
    let mut beyond = FormB::new(&liege, &ssin, "9999-02-01", 12);
    beyond.decision = "2024-01-01";
    beyond.reference = Some("DOS-BEYOND");
    let reply = tokio::time::timeout(within, cpas.soap_at(PD_PATH, &beyond.envelope(&liege))).await;
    let reply = answered("the form B past 9999-12-31")(reply);
    assert_rejected(&reply);
    assert_eq!(reply.texts_of("field"), ["duration"]);
    assert_eq!(
        reply.texts_of("code").get(1).map(String::as_str),
        Some("900002")
    );
    assert!(reply.body.contains("9999-12-31"), "{}", reply.body);

    // A year the contract cannot write is an error naming the rubric and the range.
    let reply = cpas
        .soap_at(
            PD_PATH,
            &FormB::new(&liege, &ssin, "10000-01-01", 1).envelope(&liege),
        )
        .await;
    assert_rejected(&reply);
    assert_eq!(reply.texts_of("field"), ["entryDate", "decisionDate"]);
    assert!(
        reply.body.contains("0001-01-01 to 9999-12-31"),
        "{}",
        reply.body
    );

    let health = tokio::time::timeout(within, gw.anonymous().get("/health")).await;
    assert_eq!(answered("/health")(health).body.trim(), "ok");
    assert_eq!(
        onem_sees_in(&gw, &ssin, "9999-06-01", "9999-12-31").await,
        ["9999-06-01..9999-12-31"]
    );
}

/// "Today" is a day in Brussels: at 23:30 UTC on 30 November it is already 00:30 on
/// 1 December there, so a decision dated 1 December is not in the future; an hour and
/// a half earlier (22:00 UTC, 23:00 in Brussels) it still is. In summer Brussels is two
/// hours ahead: 22:30 UTC on 30 June is 00:30 on 1 July.
#[tokio::test]
async fn a_decision_dated_today_counts_from_midnight_in_brussels() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let cpas = gw.basic("cpas-liege");
    let at = |instant: &str| {
        let ms = bcss_gateway::clock::Setting::parse(&format!("fixed:{instant}"), 0)
            .unwrap_or_else(|e| panic!("{instant}: {e}"));
        gw.clock.set(ms);
    };
    let mut form = FormB::new(&liege, &ssin, "2026-12-01", 1);

    at("2026-11-30T22:00:00Z");
    let reply = cpas.soap_at(PD_PATH, &form.envelope(&liege)).await;
    assert_rejected(&reply);
    assert_eq!(reply.texts_of("field"), ["decisionDate"]);
    assert!(
        reply.body.contains("after today (2026-11-30)"),
        "{}",
        reply.body
    );

    at("2026-11-30T23:30:00Z");
    assert_accepted(&cpas.soap_at(PD_PATH, &form.envelope(&liege)).await);

    form = FormB::new(&liege, &ssin, "2027-07-01", 1);
    form.reference = Some("DOS-SUMMER");
    at("2027-06-30T21:30:00Z");
    assert_rejected(&cpas.soap_at(PD_PATH, &form.envelope(&liege)).await);
    at("2027-06-30T22:30:00Z");
    assert_accepted(&cpas.soap_at(PD_PATH, &form.envelope(&liege)).await);
}

/// A payment line of a statement: integration income, category B, article 860 (60 %).
fn payment(ssin: &str, amount: &str, paid: &str) -> String {
    payment_on(ssin, "860", amount, paid)
}

/// The same, booked on another budget article.
fn payment_on(ssin: &str, article: &str, amount: &str, paid: &str) -> String {
    format!(
        "<payment><law>1</law><fileNumber>D-0042</fileNumber><ssin>{ssin}</ssin>\
         <reference>DOS-2025-1</reference><amountType>1</amountType>\
         <firstDay>2025-02-01</firstDay><lastDay>2025-02-28</lastDay><budgetArticle>{article}</budgetArticle>\
         <amount>{amount}</amount><category>B</category><lastName>Dupont</lastName><firstName>Marie</firstName>\
         <personConcerned>00</personConcerned><paidAmount>{paid}</paidAmount></payment>"
    )
}

fn statement(caller: &str, ins: &str, payments: &[String]) -> String {
    envelope(
        SOAP11,
        &format!(
            "<pd:sendPaymentsRequest xmlns:pd=\"{PD_NS}\">\
             <informationCustomer><customerIdentification><cbeNumber>{caller}</cbeNumber></customerIdentification></informationCustomer>\
             <statement><insCode>{ins}</insCode><month>2025-03</month>{}</statement></pd:sendPaymentsRequest>",
            payments.concat()
        ),
    )
}

#[tokio::test]
async fn a_statement_of_payments_is_written_whole_and_replaced_when_sent_again() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let cpas = gw.basic("cpas-liege");
    let (a, b) = (gw.ssins.no_right.clone(), gw.ssins.two_pcsas.clone());
    let good = statement(
        &liege,
        LIEGE_INS,
        &[payment(&a, "1314.20", "788.52"), payment(&b, "-100", "-60")],
    );
    let reply = cpas.soap_at(PD_PATH, &good).await;
    assert_accepted(&reply);
    assert_eq!(reply.text_of("lineCount").as_deref(), Some("2"));
    assert_eq!(reply.text_of("replacedLineCount").as_deref(), Some("0"));
    let ins = bcss_gateway::domain::InsCode::parse(LIEGE_INS).unwrap();
    let march = bcss_gateway::domain::Month::parse_xsd("2025-03").unwrap();
    let lines = gw.store.statement(&ins, march).unwrap();
    assert_eq!(
        lines.iter().map(|l| l.paid.to_string()).collect::<Vec<_>>(),
        ["788.52", "-60.00"]
    );
    // Written as a statement line holds it, ready for export.
    let mut text = String::new();
    bcss_gateway::wire::novaprima::write_line(&lines[1], &mut text);
    assert_eq!(&text[65..80], "860   -00010000");

    let again = cpas.soap_at(PD_PATH, &good).await;
    assert_eq!(again.text_of("replacedLineCount").as_deref(), Some("2"));
    assert_eq!(gw.store.statement(&ins, march).unwrap().len(), 2);

    // Every refused line is named; nothing of the statement changes.
    let bad = statement(
        &liege,
        LIEGE_INS,
        &[
            payment(&gw.ssins.unknown, "10", "6"),
            payment(&a, "10", "10"),
            payment(&a, "10", "6"),
        ],
    );
    let reply = cpas.soap_at(PD_PATH, &bad).await;
    assert_rejected(&reply);
    assert_eq!(reply.texts_of("line"), ["1", "2"]);
    assert_eq!(reply.texts_of("field"), ["ssin", "paidAmount"]);
    assert_eq!(
        reply
            .texts_of("code")
            .into_iter()
            .skip(1)
            .collect::<Vec<_>>(),
        ["900014", "900023"]
    );
    assert_eq!(gw.store.statement(&ins, march).unwrap(), lines);
}

/// Every article of the note's list is accepted with its State share, the integration
/// projects with students up to « 70% + 10% » (980) among them; one past the list is
/// refused by name.
#[tokio::test]
async fn the_budget_articles_of_the_note_carry_their_state_share() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let cpas = gw.basic("cpas-liege");
    let a = gw.ssins.no_right.clone();
    let lines = [
        payment_on(&a, "980", "100", "80"),
        payment_on(&a, "960", "100", "60"),
        payment_on(&a, "870", "100", "70"),
        payment_on(&a, "133", "100", "10"),
    ];
    let reply = cpas
        .soap_at(PD_PATH, &statement(&liege, LIEGE_INS, &lines))
        .await;
    assert_accepted(&reply);
    assert_eq!(reply.text_of("lineCount").as_deref(), Some("4"));
    // 80 % of 100 on article 980, not 70 %.
    let wrong_share = payment_on(&a, "980", "100", "70");
    let past = payment_on(&a, "981", "100", "81");
    let reply = cpas
        .soap_at(PD_PATH, &statement(&liege, LIEGE_INS, &[wrong_share, past]))
        .await;
    assert_rejected(&reply);
    assert_eq!(reply.texts_of("line"), ["1", "2"]);
    assert_eq!(reply.texts_of("field"), ["paidAmount", "budgetArticle"]);
}

#[tokio::test]
async fn a_cpas_sends_only_its_own_statement() {
    let gw = Gateway::start().await;
    let gent = gw.cbe("ocmw-gent");
    let a = gw.ssins.no_right.clone();
    let reply = gw
        .basic("ocmw-gent")
        .soap_at(
            PD_PATH,
            &statement(&gent, LIEGE_INS, &[payment(&a, "10", "6")]),
        )
        .await;
    assert_eq!(reply.texts_of("field"), ["insCode"]);
    assert_eq!(
        reply.texts_of("code").get(1).map(String::as_str),
        Some("900012")
    );
    // And only in its own name.
    let reply = gw
        .basic("ocmw-gent")
        .soap_at(
            PD_PATH,
            &statement(&gw.cbe("cpas-liege"), LIEGE_INS, &[payment(&a, "10", "6")]),
        )
        .await;
    assert_eq!(reply.reason_code(), "MSG00014", "{}", reply.body);
}

#[tokio::test]
async fn with_a_propagation_delay_a_right_appears_only_once_the_delay_has_passed() {
    let gw = Gateway::start_with(support::Options {
        propagation_delay: std::time::Duration::from_secs(3 * 24 * 3600),
        ..support::Options::default()
    })
    .await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let cpas = gw.basic("cpas-liege");
    let form = FormB::new(&liege, &ssin, "2024-01-01", 12);
    assert_accepted(&cpas.soap_at(PD_PATH, &form.envelope(&liege)).await);
    assert!(onem_sees(&gw, &ssin).await.is_empty());
    // Two days later, still nothing; after three, the right.
    gw.clock.advance_ms(2 * 24 * 3600 * 1000);
    assert!(onem_sees(&gw, &ssin).await.is_empty());
    // A C sent now shortens the right, but only three days after it was sent.
    assert_accepted(
        &cpas
            .soap_at(
                PD_PATH,
                &FormC::withdrawal(&liege, &ssin, "2024-04-01").envelope(),
            )
            .await,
    );
    gw.clock.advance_ms(24 * 3600 * 1000 + 1000);
    assert_eq!(onem_sees(&gw, &ssin).await, ["2024-01-01..2024-12-31"]);
    gw.clock.advance_ms(2 * 24 * 3600 * 1000);
    assert_eq!(onem_sees(&gw, &ssin).await, ["2024-01-01..2024-03-31"]);
}

/// Real-life situation 44 (« après le 30/03/2007 ») from 30 March 2007, as « après le
/// 01/01/2005 » is from 1 January 2005; code 20, listed without a meaning or a date,
/// at any date. The register then holds the rights from the days the note allows.
#[tokio::test]
async fn situation_44_from_30_march_2007_and_code_20_at_any_date() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let cpas = gw.basic("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let mut early = FormB::new(&liege, &ssin, "2007-03-29", 1);
    early.situation = 44;
    let reply = cpas.soap_at(PD_PATH, &early.envelope(&liege)).await;
    assert_rejected(&reply);
    assert_eq!(reply.texts_of("field"), ["realLifeSituation"]);
    let mut from = FormB::new(&liege, &ssin, "2007-03-30", 1);
    from.situation = 44;
    assert_accepted(&cpas.soap_at(PD_PATH, &from.envelope(&liege)).await);
    let mut twenty = FormB::new(&liege, &ssin, "2012-05-01", 1);
    twenty.situation = 20;
    twenty.category = "A";
    twenty.reference = Some("DOS-2012-20");
    assert_accepted(&cpas.soap_at(PD_PATH, &twenty.envelope(&liege)).await);
    // ONEM, managing the person's file from 2007, sees both rights in V2 and V3.
    gw.inscribe("onem", &ssin, "2007-01-01");
    assert_eq!(
        onem_sees_in(&gw, &ssin, "2007-01-01", "2012-12-31").await,
        ["2007-03-30..2007-04-29", "2012-05-01..2012-05-31"]
    );
    let seen: Vec<(Option<String>, String)> =
        support::v3::onem_rights(&gw, &ssin, "2007-01-01", "2012-12-31")
            .await
            .into_iter()
            .map(|r| (r.period, r.state))
            .collect();
    assert_eq!(
        seen,
        [
            (Some("2007-03-30..2007-04-29".into()), "CURRENT".into()),
            (Some("2012-05-01..2012-05-31".into()), "CURRENT".into())
        ]
    );
}
