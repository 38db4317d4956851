//! LivingWagesWithAmount over real TLS: what the demo PCSAs paid, per month and per
//! year, as the server's clock moves; the partner's view; recoveries; the access rules.
//! Every answer is validated against the project's schema.

// Test helpers, outside #[test] functions, may stop the test on a failed setup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use bcss_gateway::clock::Setting;
use bcss_gateway::domain::{
    Category, CbeNumber, Date, InsCode, Month, Period, Right, RightKind, Ssin,
};
use bcss_gateway::store::Change;
use support::{Gateway, LWA_NS, LWA_PATH, Reply, SOAP11, envelope, validate_soap_reply};

const ONEM_CONTEXT: &str = "UNEMPLOYMENT:LIVING_WAGE_CHECK";

fn request(
    cbe: &str,
    ssin: &str,
    period: (&str, Option<&str>),
    aggregation: &str,
    role: Option<&str>,
) -> String {
    let end = period
        .1
        .map(|e| format!("<endDate>{e}</endDate>"))
        .unwrap_or_default();
    let role = role
        .map(|r| format!("<role>{r}</role>"))
        .unwrap_or_default();
    envelope(
        SOAP11,
        &format!(
            "<lwa:getLivingWagesWithAmountRequest xmlns:lwa=\"{LWA_NS}\">\
             <informationCustomer><customerIdentification><cbeNumber>{cbe}</cbeNumber></customerIdentification></informationCustomer>\
             <legalContext>{ONEM_CONTEXT}</legalContext>\
             <criteria><ssin>{ssin}</ssin><period><beginDate>{begin}</beginDate>{end}</period>\
             <aggregation>{aggregation}</aggregation>{role}</criteria>\
             </lwa:getLivingWagesWithAmountRequest>",
            begin = period.0
        ),
    )
}

/// Fixes the server's clock at noon (UTC) of `day`.
fn at(gw: &Gateway, day: &str) {
    let days = Date::parse_xsd(day).unwrap().days_since_epoch();
    gw.clock
        .set(Setting::Fixed(i64::from(days) * 86_400_000 + 43_200_000));
}

async fn ask(gw: &Gateway, key: &str, body: &str) -> Reply {
    let reply = gw.basic(key).soap_at(LWA_PATH, body).await;
    validate_soap_reply(&reply.body);
    reply
}

/// (month or year, amount, coversWholePeriod, definitive) of each payment.
fn rows(reply: &Reply) -> Vec<(String, String, String, String)> {
    let units: Vec<String> = reply
        .texts_of("month")
        .into_iter()
        .chain(reply.texts_of("year"))
        .collect();
    let amounts = reply.texts_of("amount");
    let covers = reply.texts_of("coversWholePeriod");
    let definitive = reply.texts_of("definitive");
    assert_eq!(units.len(), amounts.len(), "{}", reply.body);
    (0..units.len())
        .map(|i| {
            (
                units[i].clone(),
                amounts[i].clone(),
                covers[i].clone(),
                definitive[i].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_year_of_payments_by_month_and_by_year() {
    let gw = Gateway::start().await;
    at(&gw, "2026-11-22");
    let onem = gw.cbe("onem");
    let ahmed = gw.ssins.equivalent.clone();
    let reply = ask(
        &gw,
        "onem",
        &request(
            &onem,
            &ahmed,
            ("2025-01-01", Some("2025-12-31")),
            "MONTH",
            None,
        ),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.status_code(), "MSG00000");
    let months = rows(&reply);
    assert_eq!(months.len(), 12, "{}", reply.body);
    // January carries the regularisation sent three months later.
    assert_eq!(
        months[0],
        (
            "2025-01".into(),
            "1690.83".into(),
            "true".into(),
            "true".into()
        )
    );
    assert_eq!(
        months[11],
        (
            "2025-12".into(),
            "1640.83".into(),
            "true".into(),
            "true".into()
        )
    );
    // The CPAS de Bruxelles.
    let bruxelles = CbeNumber::with_check_digits("02126632")
        .unwrap()
        .to_string();
    assert_eq!(reply.texts_of("cbeNumber").last(), Some(&bruxelles));
    assert_eq!(reply.texts_of("insCode"), ["21004"]);
    assert!(
        reply
            .texts_of("allowanceType")
            .iter()
            .all(|t| t == "LIVING_WAGE")
    );
    assert!(reply.texts_of("category").iter().all(|c| c == "E"));
    // The PCSA paid later months too.
    assert_eq!(reply.texts_of("lastMonthIsLastPaid"), ["false"]);

    let reply = ask(
        &gw,
        "onem",
        &request(
            &onem,
            &ahmed,
            ("2025-01-01", Some("2025-12-31")),
            "YEAR",
            None,
        ),
    )
    .await;
    assert_eq!(
        rows(&reply),
        [(
            "2025".into(),
            "19739.96".into(),
            "true".into(),
            "true".into()
        )]
    );
    assert!(reply.texts_of("lastMonthIsLastPaid").is_empty());
    assert_eq!(
        (reply.texts_of("beginDate"), reply.texts_of("endDate")),
        (
            vec!["2025-01-01".to_owned(), "2025-01-01".to_owned()],
            vec!["2025-12-31".to_owned(), "2025-12-31".to_owned()]
        ),
        "criteria, then the paid period"
    );
}

#[tokio::test]
async fn payments_appear_on_the_first_weekend_and_become_definitive_as_the_clock_moves() {
    let gw = Gateway::start().await;
    let onem = gw.cbe("onem");
    let ahmed = gw.ssins.equivalent.clone();
    let body = request(&onem, &ahmed, ("2026-05-01", None), "MONTH", None);
    let last_month = |reply: &Reply| reply.texts_of("month").last().cloned();
    // October 2026's statement is taken into account from Saturday 7 November.
    at(&gw, "2026-11-06");
    let reply = ask(&gw, "onem", &body).await;
    assert_eq!(last_month(&reply).as_deref(), Some("2026-09"));
    assert_eq!(reply.texts_of("lastMonthIsLastPaid"), ["true"]);
    // May 2026 is definitive from November.
    assert_eq!(rows(&reply)[0].3, "true");
    assert_eq!(rows(&reply)[1].3, "false");
    at(&gw, "2026-11-07");
    let reply = ask(&gw, "onem", &body).await;
    assert_eq!(last_month(&reply).as_deref(), Some("2026-10"));
    assert_eq!(rows(&reply).len(), 6);
    at(&gw, "2026-10-31");
    let reply = ask(&gw, "onem", &body).await;
    assert_eq!(rows(&reply)[0].3, "false", "May is provisional in October");
}

#[tokio::test]
async fn the_partner_sees_the_payments_about_them_and_recoveries_keep_their_sign() {
    let gw = Gateway::start().await;
    at(&gw, "2026-04-15");
    let onem = gw.cbe("onem");
    let marie = Ssin::parse(&gw.ssins.no_right).unwrap();
    let partner = Ssin::parse(&gw.ssins.two_pcsas).unwrap();
    let liege = CbeNumber::parse(&gw.cbe("cpas-liege")).unwrap();
    // The CPAS de Liège's decision: Marie, category E, with her partner.
    let march = Period::new(
        Date::parse_xsd("2026-01-01").unwrap(),
        Date::parse_xsd("2026-12-31").unwrap(),
    )
    .unwrap();
    gw.store
        .apply(&[Change::Right(
            Right::new(
                marie,
                liege,
                RightKind::LivingWage,
                Category::E,
                Some(partner),
                vec![march],
            )
            .unwrap(),
        )])
        .unwrap();
    let line = |ssin: Ssin, concerned: &str, first: &str, last: &str, cents: i64| {
        let mut l = bcss_gateway::domain::PaymentLine::living_wage(
            InsCode::parse("62063").unwrap(),
            ssin,
            Month::parse_xsd("2026-02").unwrap(),
            Date::parse_xsd(first).unwrap(),
            Date::parse_xsd(last).unwrap(),
            cents,
        );
        l.concerned = concerned.into();
        l.category = 'E';
        l
    };
    gw.store
        .write_statement(
            &InsCode::parse("62063").unwrap(),
            Month::parse_xsd("2026-02").unwrap(),
            &[
                line(marie, "00", "2026-02-01", "2026-02-28", 70_000),
                line(marie, "00", "2026-02-10", "2026-02-12", -12_345),
                line(partner, "01", "2026-02-01", "2026-02-28", 50_000),
            ],
            true,
        )
        .unwrap();
    let reply = ask(
        &gw,
        "onem",
        &request(
            &onem,
            &marie.to_string(),
            ("2026-01-01", None),
            "MONTH",
            Some("PRIMARY_BENEFICIARY"),
        ),
    )
    .await;
    assert_eq!(
        rows(&reply),
        [(
            "2026-02".into(),
            "576.55".into(),
            "true".into(),
            "false".into()
        )]
    );
    assert_eq!(reply.texts_of("partnerSsin"), [partner.to_string()]);
    let reply = ask(
        &gw,
        "onem",
        &request(
            &onem,
            &partner.to_string(),
            ("2026-01-01", None),
            "MONTH",
            Some("PARTNER"),
        ),
    )
    .await;
    assert_eq!(
        rows(&reply),
        [(
            "2026-02".into(),
            "500.00".into(),
            "true".into(),
            "false".into()
        )]
    );
    assert!(reply.texts_of("partnerSsin").is_empty(), "{}", reply.body);
    // As a primary beneficiary, Marie's partner was paid nothing.
    let reply = ask(
        &gw,
        "onem",
        &request(
            &onem,
            &partner.to_string(),
            ("2026-01-01", None),
            "MONTH",
            None,
        ),
    )
    .await;
    assert_eq!(reply.status_code(), "MSG00100", "{}", reply.body);
}

#[tokio::test]
async fn the_access_rules_of_living_wages_apply_under_this_services_own_grant() {
    let gw = Gateway::start().await;
    at(&gw, "2026-11-22");
    let ahmed = gw.ssins.equivalent.clone();
    // INAMI and CIN have no deliberation for this service.
    for key in ["inami", "cin"] {
        let reply = ask(
            &gw,
            key,
            &request(&gw.cbe(key), &ahmed, ("2025-01-01", None), "MONTH", None),
        )
        .await;
        assert_eq!(reply.status_code(), "MSG00013", "{key}: {}", reply.body);
    }
    let onem = gw.cbe("onem");
    for (ssin, code) in [
        (gw.ssins.forem_only.clone(), "MSG00012"),
        (gw.ssins.unknown.clone(), "MSG00005"),
        (gw.ssins.replaced.clone(), "MSG00006"),
        (gw.ssins.no_right.clone(), "MSG00100"),
    ] {
        let reply = ask(
            &gw,
            "onem",
            &request(&onem, &ssin, ("2025-01-01", None), "MONTH", None),
        )
        .await;
        assert_eq!(reply.status_code(), code, "{ssin}: {}", reply.body);
    }
    // A bad aggregation is a fault naming the field; the wrong caller is MSG00014.
    let reply = ask(
        &gw,
        "onem",
        &request(&onem, &ahmed, ("2025-01-01", None), "WEEK", None),
    )
    .await;
    assert_eq!(reply.status, 500);
    assert!(
        reply.body.contains("criteria/aggregation"),
        "{}",
        reply.body
    );
    let reply = ask(
        &gw,
        "onem",
        &request(
            &gw.cbe("forem"),
            &ahmed,
            ("2025-01-01", None),
            "MONTH",
            None,
        ),
    )
    .await;
    assert_eq!(reply.reason_code(), "MSG00014", "{}", reply.body);
    // The contract is served with its schemas.
    let wsdl = gw.basic("onem").get(&format!("{LWA_PATH}?wsdl")).await;
    assert!(
        wsdl.body.contains("getLivingWagesWithAmount"),
        "{}",
        wsdl.body
    );
    let xsd = gw
        .basic("onem")
        .get(&format!("{LWA_PATH}?xsd=LivingWagesWithAmountV1.xsd"))
        .await;
    assert!(xsd.body.contains("coversWholePeriod"));
}
