//! The register against the SPP IS note (seed 003), rule by rule, over real TLS: the
//! forms a CPAS sends, and what a partner (ONEM) then sees of the person in LivingWages
//! V2 (periods) and V3 (each right with its state). Every answer is validated against
//! the schemas.

mod support;

use support::forms::{FormB, FormC};
use support::v3::{ask, request, rights};
use support::{Call, Gateway, PD_PATH, Reply, periods};

/// What ONEM sees of `ssin` over [begin, end]: V2's periods, and V3's rights as
/// "begin..end STATE" ("- STATE" for a right with no days left) with the B's
/// attestation.
async fn onem_sees(gw: &Gateway, ssin: &str, begin: &str, end: &str) -> Seen {
    let onem = gw.cbe("onem");
    let v2 = gw
        .basic("onem")
        .soap(
            &Call::new("getLivingWages", &onem, ssin)
                .period(begin, Some(end))
                .soap11(),
        )
        .await;
    let v3 = ask(
        gw,
        "onem",
        &request("getLivingWages", &onem, ssin, (begin, Some(end)), None),
    )
    .await;
    Seen {
        v2: periods(&v2),
        v3: rights(&v3)
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
    let c = accepted(&gw, &late_withdrawal(&liege, &after).envelope()).await;
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
    assert!(!c.is_empty());

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
    accepted(&gw, &late_withdrawal(&liege, ssin).envelope()).await;
    let seen = onem_sees(&gw, ssin, window.0, window.1).await;
    assert_eq!(seen.v2, ["2020-06-01..2020-11-30"]);
    assert_eq!(
        seen.v3,
        [
            ("2020-06-01..2020-11-30 WITHDRAWN".into(), june),
            ("- WITHDRAWN".into(), earlier),
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
