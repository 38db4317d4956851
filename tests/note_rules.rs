//! The register against the SPP IS note (seed 003), rule by rule, over real TLS: the
//! forms a CPAS sends, and what a partner (ONEM) then sees of the person in LivingWages
//! V2 (periods) and V3 (each right with its state). Every answer is validated against
//! the schemas.

mod support;

use support::forms::{FormB, FormC};
use support::v3::onem_rights;
use support::{Client, Gateway, PD_PATH, Reply, onem_periods};

/// What ONEM sees of `ssin` over [begin, end]: V2's periods, and V3's rights as
/// "begin..end STATE" ("- STATE" for a right with no days left) with the B's
/// attestation.
async fn onem_sees(gw: &Gateway, ssin: &str, begin: &str, end: &str) -> Seen {
    Seen {
        v2: onem_periods(gw, ssin, begin, end).await,
        v3: onem_rights(gw, ssin, begin, end)
            .await
            .into_iter()
            .map(|r| {
                let period = r.period.unwrap_or_else(|| "-".into());
                (
                    format!("{period} {}", r.state),
                    r.attestation.unwrap_or_default(),
                )
            })
            .collect(),
    }
}

#[derive(Debug)]
struct Seen {
    v2: Vec<String>,
    /// (period and state, attestation of the B) per right.
    v3: Vec<(String, String)>,
}

impl Seen {
    fn v3_states(&self) -> Vec<&str> {
        self.v3.iter().map(|(s, _)| s.as_str()).collect()
    }
}

/// The CPAS de Liège sends `envelope`.
async fn liege_sends(gw: &Gateway, envelope: &str) -> Reply {
    gw.basic("cpas-liege").soap_at(PD_PATH, envelope).await
}

/// `cpas` sends `envelope`: the outcome and the (code, field) of every error.
async fn sends(cpas: &Client, envelope: &str) -> (String, Vec<(String, String)>) {
    let reply = cpas.soap_at(PD_PATH, envelope).await;
    let (outcome, _, errors) = judged(&reply);
    assert_ne!(outcome, "", "{}", reply.body);
    (outcome, errors)
}

fn accepted_() -> (String, Vec<(String, String)>) {
    ("ACCEPTED".into(), Vec::new())
}

fn rejected(errors: &[(&str, &str)]) -> (String, Vec<(String, String)>) {
    (
        "REJECTED".into(),
        errors
            .iter()
            .map(|(c, f)| ((*c).to_owned(), (*f).to_owned()))
            .collect(),
    )
}

/// The CPAS of Eupen, one of the nine of the German-speaking Community, and the CPAS
/// de Bruxelles, as callers.
const EUPEN: (&str, &str, &str) = ("0212222241", "63023", "ÖSHZ Eupen");
const BRUSSELS: (&str, &str, &str) = ("0212663293", "21004", "CPAS de Bruxelles");

fn add(gw: &Gateway, (cbe, ins, name): (&str, &str, &str)) -> Client {
    gw.add_cpas(cbe, ins, name)
}

/// Rubric 21 for the beneficiary.
fn employment(inner: &str) -> String {
    format!("<beneficiary><art60Employment>{inner}</art60Employment></beneficiary>")
}

fn subsidies(inner: &str) -> String {
    format!("<subsidies><beneficiary>{inner}</beneficiary></subsidies>")
}

/// The outcome, the attestation and the (code, field) of every error.
fn judged(reply: &Reply) -> (String, String, Vec<(String, String)>) {
    let errors = reply
        .body
        .split("<error>")
        .skip(1)
        .map(|e| {
            let first = |name| {
                support::texts_of(e, name)
                    .into_iter()
                    .next()
                    .unwrap_or_default()
            };
            (first("code"), first("field"))
        })
        .collect();
    (
        reply.text_of("outcome").unwrap_or_default(),
        reply.text_of("attestation").unwrap_or_default(),
        errors,
    )
}

/// Sends `envelope` and expects it accepted; its attestation.
async fn accepted(gw: &Gateway, envelope: &str) -> String {
    let reply = liege_sends(gw, envelope).await;
    let (outcome, attestation, errors) = judged(&reply);
    assert_eq!(
        (outcome.as_str(), errors.as_slice()),
        ("ACCEPTED", &[][..]),
        "{}",
        reply.body
    );
    attestation
}

const YEAR_2021: (&str, &str) = ("2021-01-01", "2021-12-31");

#[tokio::test]
async fn a_cancelled_c_sent_again_withdraws_again_and_a_replaced_b_is_judged_anew() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let (begin, end) = YEAR_2021;
    let b = accepted(
        &gw,
        &FormB::new(&liege, &ssin, "2021-01-01", 12).envelope(&liege),
    )
    .await;
    let withdrawal = FormC::withdrawal(&liege, &ssin, "2021-04-15");
    let cancel = FormC {
        status: 9,
        ..FormC::withdrawal(&liege, &ssin, "2021-04-15")
    };
    let first = accepted(&gw, &withdrawal.envelope()).await;
    let cancelled = accepted(&gw, &cancel.envelope()).await;
    let whole = onem_sees(&gw, &ssin, begin, end).await;
    assert_eq!(whole.v2, ["2021-01-01..2021-12-31"]);
    assert_eq!(
        whole.v3,
        [("2021-01-01..2021-12-31 CURRENT".into(), b.clone())]
    );

    // Sent again while its C stays cancelled, the status-9 C gets its first answer.
    let reply = liege_sends(&gw, &cancel.envelope()).await;
    assert_eq!(
        judged(&reply),
        ("ALREADY_REGISTERED".into(), cancelled.clone(), vec![])
    );

    // « il ne semble jamais avoir existé »: the same C again is a new withdrawal.
    let again = accepted(&gw, &withdrawal.envelope()).await;
    assert_ne!(again, first);
    let seen = onem_sees(&gw, &ssin, begin, end).await;
    assert_eq!(seen.v2, ["2021-01-01..2021-04-14"]);
    assert_eq!(seen.v3_states(), ["2021-01-01..2021-04-14 WITHDRAWN"]);
    // And the status-9 C cancels it in turn.
    assert_ne!(accepted(&gw, &cancel.envelope()).await, cancelled);
    assert_eq!(onem_sees(&gw, &ssin, begin, end).await.v2, whole.v2);

    // A B replaced by its regularisation no longer counts: sent again, it is a new
    // status-0 B of that date, which must be a regularisation.
    let six_months = FormB {
        status: 1,
        ..FormB::new(&liege, &ssin, "2021-01-01", 6)
    };
    let regularised = accepted(&gw, &six_months.envelope(&liege)).await;
    let reply = liege_sends(
        &gw,
        &FormB::new(&liege, &ssin, "2021-01-01", 12).envelope(&liege),
    )
    .await;
    let (outcome, _, errors) = judged(&reply);
    assert_eq!(outcome, "REJECTED", "{}", reply.body);
    assert_eq!(errors, [("900029".into(), "status".into())]);
    let seen = onem_sees(&gw, &ssin, begin, end).await;
    assert_eq!(seen.v2, ["2021-01-01..2021-06-30"]);
    assert_eq!(
        seen.v3,
        [("2021-01-01..2021-06-30 CURRENT".into(), regularised)]
    );
}

#[tokio::test]
async fn a_second_b_of_the_same_date_must_be_a_regularisation() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let (begin, end) = YEAR_2021;
    let b = accepted(
        &gw,
        &FormB::new(&liege, &ssin, "2021-01-01", 12).envelope(&liege),
    )
    .await;
    let correction = FormB {
        reference: Some("DOS-FIX"),
        ..FormB::new(&liege, &ssin, "2021-01-01", 3)
    };
    let reply = liege_sends(&gw, &correction.envelope(&liege)).await;
    let (outcome, _, errors) = judged(&reply);
    assert_eq!(outcome, "REJECTED", "{}", reply.body);
    assert_eq!(errors, [("900029".into(), "status".into())]);
    assert!(
        reply.body.contains(&b),
        "names the B in force: {}",
        reply.body
    );
    let seen = onem_sees(&gw, &ssin, begin, end).await;
    assert_eq!(seen.v2, ["2021-01-01..2021-12-31"], "nothing replaced");
    assert_eq!(seen.v3, [("2021-01-01..2021-12-31 CURRENT".into(), b)]);

    let fixed = accepted(
        &gw,
        &FormB {
            status: 1,
            ..correction
        }
        .envelope(&liege),
    )
    .await;
    let seen = onem_sees(&gw, &ssin, begin, end).await;
    assert_eq!(seen.v2, ["2021-01-01..2021-03-31"]);
    assert_eq!(seen.v3, [("2021-01-01..2021-03-31 CURRENT".into(), fixed)]);

    // After a withdrawal from its first day the B is history: a B of its date is a
    // new decision, status 0.
    accepted(
        &gw,
        &FormC::withdrawal(&liege, &ssin, "2021-01-01").envelope(),
    )
    .await;
    let renewed = FormB {
        reference: Some("DOS-NEW"),
        ..FormB::new(&liege, &ssin, "2021-01-01", 2)
    };
    let again = accepted(&gw, &renewed.envelope(&liege)).await;
    let seen = onem_sees(&gw, &ssin, begin, end).await;
    assert_eq!(seen.v2, ["2021-01-01..2021-02-28"]);
    assert_eq!(seen.v3, [("2021-01-01..2021-02-28 CURRENT".into(), again)]);
}

/// The note's example of rubric 13: « Le CPAS constate en date du 15/02/2021 que
/// l'octroi du RIS devait prendre fin en date du 01/12/2020 ».
fn late_withdrawal<'a>(liege: &'a str, ssin: &'a str) -> FormC<'a> {
    FormC {
        effective_stop: Some("2020-12-01"),
        ..FormC::withdrawal(liege, ssin, "2021-02-15")
    }
}

#[tokio::test]
async fn a_c_ends_the_b_in_force_when_it_was_registered_not_a_later_decision() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let after = gw.ssins.no_right.clone();
    let window = ("2020-01-01", "2021-12-31");

    // « la date à partir de laquelle le formulaire B en cours n'est plus valable »: the
    // C ends the B of June 2020; a B registered after it, from 4 January 2021 (between
    // the stop date and the C's entry date), is a later decision it does not erase.
    let june = accepted(
        &gw,
        &FormB::new(&liege, &after, "2020-06-01", 12).envelope(&liege),
    )
    .await;
    accepted(&gw, &late_withdrawal(&liege, &after).envelope()).await;
    let january = FormB {
        reference: Some("DOS-2021"),
        ..FormB::new(&liege, &after, "2021-01-04", 6)
    };
    let later = accepted(&gw, &january.envelope(&liege)).await;
    let seen = onem_sees(&gw, &after, window.0, window.1).await;
    assert_eq!(
        seen.v2,
        ["2020-06-01..2020-11-30", "2021-01-04..2021-07-03"]
    );
    assert_eq!(
        seen.v3,
        [
            ("2020-06-01..2020-11-30 WITHDRAWN".into(), june),
            ("2021-01-04..2021-07-03 CURRENT".into(), later.clone()),
        ]
    );

    // A regularisation of the C keeps its place: the later B still stands.
    accepted(
        &gw,
        &FormC {
            status: 1,
            decision: "2021-02-16",
            ..late_withdrawal(&liege, &after)
        }
        .envelope(),
    )
    .await;
    assert_eq!(onem_sees(&gw, &after, window.0, window.1).await.v2, seen.v2);

    // Registered before the C (in another register, the same person), the same B was
    // in force when the C came, and it ends.
    let gw = Gateway::start().await;
    let ssin = gw.ssins.no_right.as_str();
    let june = accepted(
        &gw,
        &FormB::new(&liege, ssin, "2020-06-01", 12).envelope(&liege),
    )
    .await;
    let january = FormB { ssin, ..january };
    let earlier = accepted(&gw, &january.envelope(&liege)).await;
    // So is one decided for March, after the C's own entry date.
    let march = FormB {
        reference: Some("DOS-MAR"),
        ..FormB::new(&liege, ssin, "2021-03-01", 6)
    };
    let march = accepted(&gw, &march.envelope(&liege)).await;
    accepted(&gw, &late_withdrawal(&liege, ssin).envelope()).await;
    let seen = onem_sees(&gw, ssin, window.0, window.1).await;
    assert_eq!(seen.v2, ["2020-06-01..2020-11-30"]);
    assert_eq!(
        seen.v3,
        [
            ("2020-06-01..2020-11-30 WITHDRAWN".into(), june),
            ("- WITHDRAWN".into(), earlier),
            ("- WITHDRAWN".into(), march),
        ]
    );
}

#[tokio::test]
async fn a_status_9_c_has_the_same_data_but_for_its_own_reference() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let (begin, end) = YEAR_2021;
    accepted(
        &gw,
        &FormB::new(&liege, &ssin, "2021-01-01", 12).envelope(&liege),
    )
    .await;
    let withdrawal = FormC {
        reference: Some("RET-2021-04"),
        ..FormC::withdrawal(&liege, &ssin, "2021-04-15")
    };
    accepted(&gw, &withdrawal.envelope()).await;
    // Another decision date is other data: nothing to withdraw.
    let reply = liege_sends(
        &gw,
        &FormC {
            status: 9,
            decision: "2021-04-16",
            ..FormC::withdrawal(&liege, &ssin, "2021-04-15")
        }
        .envelope(),
    )
    .await;
    let (outcome, _, errors) = judged(&reply);
    assert_eq!(outcome, "REJECTED", "{}", reply.body);
    assert_eq!(errors, [("900011".into(), "status".into())]);
    assert_eq!(
        onem_sees(&gw, &ssin, begin, end).await.v3_states(),
        ["2021-01-01..2021-04-14 WITHDRAWN"]
    );
    // The CPAS's own reference is bookkeeping, not the decision's data.
    accepted(
        &gw,
        &FormC {
            status: 9,
            reference: Some("ANN-2021-04"),
            ..FormC::withdrawal(&liege, &ssin, "2021-04-15")
        }
        .envelope(),
    )
    .await;
    let seen = onem_sees(&gw, &ssin, begin, end).await;
    assert_eq!(seen.v2, ["2021-01-01..2021-12-31"]);
    assert_eq!(seen.v3_states(), ["2021-01-01..2021-12-31 CURRENT"]);
}

#[tokio::test]
async fn the_german_speaking_cpas_are_not_under_the_walloon_reform_of_2025() {
    let gw = Gateway::start().await;
    let eupen = add(&gw, EUPEN);
    let ssin = gw.ssins.no_right.clone();
    let with = |rubrics: &str, subsidies: &str| {
        FormB {
            ins: EUPEN.1,
            rubrics,
            subsidies,
            ..FormB::new(EUPEN.0, &ssin, "2025-03-01", 12)
        }
        .envelope(EUPEN.0)
    };
    // The Walloon Region's occupation rate and employment type 8 are not theirs.
    let walloon =
        employment("<employmentType>8</employmentType><occupationRate>80</occupationRate>");
    let reply = sends(&eupen, &with(&walloon, "")).await;
    assert_eq!(
        reply,
        rejected(&[
            ("900024", "beneficiary/art60Employment/employmentType"),
            ("900024", "beneficiary/art60Employment/occupationRate")
        ])
    );
    // The schedule, and article 60 and 61 on one form, as in Flanders and Brussels.
    let theirs = employment("<employmentType>1</employmentType><workSchedule>3</workSchedule>");
    let both = subsidies("<art60>20000.00</art60><art61>3000.00</art61>");
    let reply = sends(&eupen, &with(&theirs, &both)).await;
    assert_eq!(reply, accepted_());
    let seen = onem_sees(&gw, &ssin, "2025-01-01", "2026-12-31").await;
    assert_eq!(seen.v2, ["2025-03-01..2026-02-28"]);
    assert_eq!(seen.v3_states(), ["2025-03-01..2026-02-28 CURRENT"]);
    // The same form from Liège is refused, rubric by rubric.
    let liege = gw.cbe("cpas-liege");
    let from_liege = FormB {
        rubrics: &theirs,
        subsidies: &both,
        ..FormB::new(&liege, &ssin, "2025-03-01", 12)
    };
    let reply = sends(&gw.basic("cpas-liege"), &from_liege.envelope(&liege)).await;
    assert_eq!(
        reply,
        rejected(&[
            ("900028", "subsidies"),
            ("900024", "beneficiary/art60Employment/workSchedule"),
            ("900026", "subsidies/beneficiary/art60"),
            ("900026", "subsidies/beneficiary/art61")
        ])
    );
}

#[tokio::test]
async fn article_61_needs_rubric_21_only_under_the_walloon_reform() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let cpas = gw.basic("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let premium = subsidies("<art61>1500.00</art61>");
    // Liège in 2024, before the reform: no rubric 21 needed.
    let before = FormB {
        subsidies: &premium,
        ..FormB::new(&liege, &ssin, "2024-01-01", 12)
    };
    assert_eq!(sends(&cpas, &before.envelope(&liege)).await, accepted_());
    // From 2025 the reform asks for the employment type and the occupation rate.
    let after = FormB {
        subsidies: &premium,
        reference: Some("DOS-2025"),
        ..FormB::new(&liege, &ssin, "2025-01-01", 12)
    };
    assert_eq!(
        sends(&cpas, &after.envelope(&liege)).await,
        rejected(&[("900026", "subsidies/beneficiary/art61")])
    );
    let seen = onem_sees(&gw, &ssin, "2024-01-01", "2025-12-31").await;
    assert_eq!(seen.v2, ["2024-01-01..2024-12-31"]);
    assert_eq!(seen.v3_states(), ["2024-01-01..2024-12-31 CURRENT"]);
}

#[tokio::test]
async fn the_brussels_training_premium_is_3000_over_36_months_one_month_per_form() {
    let gw = Gateway::start().await;
    let brussels = add(&gw, BRUSSELS);
    let ssin = gw.ssins.no_right.clone();
    let premium = |entry: &str, days: u16, amount: &str| {
        let subsidies = subsidies(&format!("<art61>{amount}</art61>"));
        FormB {
            ins: BRUSSELS.1,
            days,
            subsidies: &subsidies,
            ..FormB::new(BRUSSELS.0, &ssin, entry, 0)
        }
        .envelope(BRUSSELS.0)
    };
    // « Un formulaire art.61 du 20/01/2020 pour une durée de 18 jours sera refusé ».
    assert_eq!(
        sends(&brussels, &premium("2020-01-20", 18, "1000.00")).await,
        rejected(&[("900030", "duration")])
    );
    assert_eq!(
        sends(&brussels, &premium("2020-01-20", 12, "1000.00")).await,
        accepted_()
    );
    assert_eq!(
        sends(&brussels, &premium("2020-02-01", 29, "2000.00")).await,
        accepted_()
    );
    assert_eq!(
        sends(&brussels, &premium("2020-03-01", 31, "0.01")).await,
        rejected(&[("900031", "subsidies/beneficiary/art61")])
    );
    // After the 36 months, none at all.
    assert_eq!(
        sends(&brussels, &premium("2023-01-20", 1, "0.01")).await,
        rejected(&[
            ("900031", "subsidies/beneficiary/art61"),
            ("900031", "subsidies/beneficiary/art61")
        ])
    );
    // Article 60 for a Brussels contract from 2020 (type 5), half-time: category E's
    // amount « divisé par le régime de travail », 15,968.89 / 2 in 2021.
    let work = employment("<employmentType>5</employmentType><workSchedule>1</workSchedule>");
    let art60 = |amount: &str| {
        let subsidies = subsidies(&format!("<art60>{amount}</art60>"));
        FormB {
            ins: BRUSSELS.1,
            rubrics: &work,
            subsidies: &subsidies,
            ..FormB::new(BRUSSELS.0, &ssin, "2021-06-01", 1)
        }
        .envelope(BRUSSELS.0)
    };
    assert_eq!(
        sends(&brussels, &art60("7984.46")).await,
        rejected(&[("900027", "subsidies/beneficiary/art60")])
    );
    assert_eq!(sends(&brussels, &art60("7984.45")).await, accepted_());
    // ONEM sees the two months the premiums went with (the demo's own Brussels
    // decisions for this person are none).
    let seen = onem_sees(&gw, &ssin, "2020-01-01", "2021-12-31").await;
    assert_eq!(
        seen.v2,
        ["2020-01-20..2020-02-29", "2021-06-01..2021-06-30"]
    );
    assert_eq!(
        seen.v3_states(),
        [
            "2020-01-20..2020-01-31 CURRENT",
            "2020-02-01..2020-02-29 CURRENT",
            "2021-06-01..2021-06-30 CURRENT"
        ]
    );
}

#[tokio::test]
async fn a_social_economy_article_60_form_ends_with_the_year() {
    let gw = Gateway::start().await;
    let gent = gw.cbe("ocmw-gent");
    let cpas = gw.basic("ocmw-gent");
    let ssin = gw.ssins.no_right.clone();
    let work = employment(
        "<employmentType>3</employmentType><workSchedule>3</workSchedule><workplace>15</workplace>",
    );
    let cost = subsidies("<art60>10000.00</art60>");
    let form = |months| FormB {
        ins: "44021",
        rubrics: &work,
        subsidies: &cost,
        ..FormB::new(&gent, &ssin, "2021-03-01", months)
    };
    assert_eq!(
        sends(&cpas, &form(12).envelope(&gent)).await,
        rejected(&[("900030", "duration")])
    );
    assert_eq!(sends(&cpas, &form(10).envelope(&gent)).await, accepted_());
    let seen = onem_sees(&gw, &ssin, "2021-01-01", "2022-12-31").await;
    assert_eq!(seen.v2, ["2021-03-01..2021-12-31"]);
    assert_eq!(seen.v3_states(), ["2021-03-01..2021-12-31 CURRENT"]);
}

#[tokio::test]
async fn activation_codes_1_10_11_4_and_5_only_continue_a_decision_in_progress() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let cpas = gw.basic("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    let activa = "<beneficiary><activation>10</activation></beneficiary>";
    let form = |entry, reference| FormB {
        rubrics: activa,
        reference: Some(reference),
        ..FormB::new(&liege, &ssin, entry, 12)
    };
    // A new decision with code 10 after 1 January 2002 is refused ...
    assert_eq!(
        sends(&cpas, &form("2016-06-01", "DOS-NEW").envelope(&liege)).await,
        rejected(&[("900024", "beneficiary/activation")])
    );
    // ... but a revision of one in progress is accepted: 2001's right runs on 31 May 2002.
    let mut first = form("2001-06-01", "DOS-2001");
    first.decision = "2001-05-20";
    assert_eq!(sends(&cpas, &first.envelope(&liege)).await, accepted_());
    assert_eq!(
        sends(&cpas, &form("2002-06-01", "DOS-2002").envelope(&liege)).await,
        accepted_()
    );
    // ONEM manages the person's file from 2001: it sees both rights.
    gw.inscribe("onem", &ssin, "2001-01-01");
    let seen = onem_sees(&gw, &ssin, "2001-01-01", "2003-12-31").await;
    assert_eq!(seen.v2, ["2001-06-01..2003-05-31"]);
    assert_eq!(
        seen.v3_states(),
        [
            "2001-06-01..2002-05-31 CURRENT",
            "2002-06-01..2003-05-31 CURRENT"
        ]
    );
}

#[tokio::test]
async fn the_category_amounts_in_force_bound_the_income_the_premium_and_article_60() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let cpas = gw.basic("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    // Rubric 42's example: « Personne en cat A au 01/12/2018 », 7,284.12 a year.
    let cohabitant = |amount| FormB {
        category: "A",
        situation: 1,
        annual_amount: Some(amount),
        ..FormB::new(&liege, &ssin, "2018-12-01", 6)
    };
    assert_eq!(
        sends(&cpas, &cohabitant("7284.13").envelope(&liege)).await,
        rejected(&[("900032", "annualAmount")])
    );
    assert_eq!(
        sends(&cpas, &cohabitant("7284.12").envelope(&liege)).await,
        accepted_()
    );
    // Rubric 62: the monthly amount of category E, 1,254.82 then (15,057.85 / 12).
    let premium = |amount| FormB {
        installation_premium: Some(amount),
        reference: Some("DOS-2019"),
        ..FormB::new(&liege, &ssin, "2019-01-01", 6)
    };
    assert_eq!(
        sends(&cpas, &premium("1314.20").envelope(&liege)).await,
        rejected(&[("900033", "installationPremium")])
    );
    assert_eq!(
        sends(&cpas, &premium("1254.82").envelope(&liege)).await,
        accepted_()
    );
    // Rubric 63: full-time article 60 at most category E's yearly amount.
    let work = employment("<employmentType>1</employmentType><workSchedule>3</workSchedule>");
    let subsidy = |amount: &str| subsidies(&format!("<art60>{amount}</art60>"));
    let (above, at_most) = (subsidy("15057.86"), subsidy("15057.85"));
    let art60 = |subsidies| FormB {
        rubrics: &work,
        subsidies,
        reference: Some("DOS-ART60"),
        ..FormB::new(&liege, &ssin, "2019-07-01", 6)
    };
    assert_eq!(
        sends(&cpas, &art60(&above).envelope(&liege)).await,
        rejected(&[("900027", "subsidies/beneficiary/art60")])
    );
    assert_eq!(
        sends(&cpas, &art60(&at_most).envelope(&liege)).await,
        accepted_()
    );
    let seen = onem_sees(&gw, &ssin, "2018-01-01", "2019-12-31").await;
    assert_eq!(
        seen.v2,
        ["2018-12-01..2019-12-31"],
        "V2 joins what follows on"
    );
    assert_eq!(
        seen.v3_states(),
        [
            "2018-12-01..2018-12-31 CURRENT",
            "2019-01-01..2019-06-30 CURRENT",
            "2019-07-01..2019-12-31 CURRENT"
        ]
    );
}

#[tokio::test]
async fn a_revision_restates_the_installation_premium_without_granting_it_again() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let cpas = gw.basic("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    // 1,330.74: category E's monthly amount on 1 January 2021.
    let form = |entry, reference, premium| FormB {
        installation_premium: Some(premium),
        reference: Some(reference),
        ..FormB::new(&liege, &ssin, entry, 12)
    };
    let first = accepted(
        &gw,
        &form("2021-01-01", "DOS-1", "1330.74").envelope(&liege),
    )
    .await;
    // « TOUTES les données [...] doivent être reprises »: the revision restates it.
    let revision = accepted(
        &gw,
        &form("2021-06-01", "DOS-2", "1330.74").envelope(&liege),
    )
    .await;
    // A new decision after the right ended is a second premium.
    assert_eq!(
        sends(
            &cpas,
            &form("2023-01-01", "DOS-3", "1640.83").envelope(&liege)
        )
        .await,
        rejected(&[("900009", "installationPremium")])
    );
    let seen = onem_sees(&gw, &ssin, "2021-01-01", "2023-12-31").await;
    assert_eq!(seen.v2, ["2021-01-01..2022-05-31"]);
    assert_eq!(
        seen.v3,
        [
            ("2021-01-01..2021-05-31 CURRENT".into(), first),
            ("2021-06-01..2022-05-31 CURRENT".into(), revision)
        ]
    );
}

#[tokio::test]
async fn forms_are_dated_from_the_minimex_law_on() {
    let gw = Gateway::start().await;
    let liege = gw.cbe("cpas-liege");
    let cpas = gw.basic("cpas-liege");
    let ssin = gw.ssins.no_right.clone();
    assert_eq!(
        sends(
            &cpas,
            &FormB::new(&liege, &ssin, "1974-08-06", 1).envelope(&liege)
        )
        .await,
        rejected(&[("900015", "entryDate")])
    );
    assert_eq!(
        sends(
            &cpas,
            &FormC::withdrawal(&liege, &ssin, "1974-08-06").envelope()
        )
        .await,
        rejected(&[("900015", "entryDate")])
    );
    // A minimex decision of 1990, with no integration income amount to bound it; and
    // the equivalent living wage on form B.
    let minimex = FormB {
        annual_amount: Some("99999.00"),
        ..FormB::new(&liege, &ssin, "1990-01-01", 12)
    };
    assert_eq!(sends(&cpas, &minimex.envelope(&liege)).await, accepted_());
    let equivalent = minimex
        .envelope(&liege)
        .replace(
            "<kind>LIVING_WAGE</kind>",
            "<kind>EQUIVALENT_LIVING_WAGE</kind>",
        )
        .replace("1990-01-01", "2016-01-01")
        .replace("99999.00", "20000.00");
    assert_eq!(sends(&cpas, &equivalent).await, accepted_());
    let seen = onem_sees(&gw, &ssin, "2016-01-01", "2016-12-31").await;
    assert_eq!(seen.v2, ["2016-01-01..2016-12-31"]);
    assert_eq!(seen.v3_states(), ["2016-01-01..2016-12-31 CURRENT"]);
}
