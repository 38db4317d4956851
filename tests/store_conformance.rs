//! The store interface's contract. Every engine runs the same suite (redb is the only
//! one today); each case gets a fresh, empty store.

use bcss_gateway::domain::decision::{ChangeEvent, Duration, Form, FormB, Outcome, Sender};
use bcss_gateway::domain::{
    Amount, AmountType, Category, CbeNumber, CertificateFingerprint, Date, Grant, InsCode,
    Inscription, Institution, Law, Month, OpenPeriod, PaymentLine, Pcsa, Period, Person,
    QualityCode, RegisterStatus, Right, RightKind, Service, Ssin,
};
use bcss_gateway::domain::{Delivery, DeliveryMode, Notification, OutboxSequence, Subscription};
use bcss_gateway::services::pcsa_decision::judge;
use bcss_gateway::store::ReferenceData;
use bcss_gateway::store::{AuditRecord, Change, GroupWrite, RedbStore, Store, StoreError};

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn ssin(nine: &str) -> Ssin {
    ok(Ssin::with_check_digits(nine, false))
}

fn cbe(eight: &str) -> CbeNumber {
    ok(CbeNumber::with_check_digits(eight))
}

fn d(s: &str) -> Date {
    ok(Date::parse_xsd(s))
}

fn person(s: Ssin) -> Person {
    Person {
        ssin: s,
        last_name: "Test".into(),
        first_name: "Person".into(),
        birth_date: s.birth_date(),
        status: RegisterStatus::Active,
    }
}

fn pcsa(c: CbeNumber, ins: &str) -> Pcsa {
    Pcsa {
        cbe: c,
        ins: ok(InsCode::parse(ins)),
        name: format!("PCSA {ins}"),
    }
}

fn institution(c: CbeNumber, fp: u8) -> Institution {
    Institution {
        cbe: c,
        name: "Partner".into(),
        sector: None,
        password_hash: None,
        certificates: vec![CertificateFingerprint::from_bytes([fp; 32])],
        grants: vec![Grant {
            service: Service::LivingWages,
            legal_contexts: vec!["X".into()],
        }],
    }
}

fn right(s: Ssin, p: CbeNumber, kind: RightKind, b: &str, e: &str) -> Right {
    ok(Right::new(
        s,
        p,
        kind,
        Category::B,
        None,
        vec![ok(Period::new(d(b), d(e)))],
    ))
}

/// The suite, one test per case, against stores made by `$open`: each case gets a
/// fresh, empty store.
macro_rules! conformance {
    ($engine:ident, $open:expr, [$($case:ident),* $(,)?]) => {
        mod $engine {
            use super::*;
            $(
                #[test]
                fn $case() {
                    let dir = ok(tempfile::tempdir());
                    let store = ($open)(dir.path());
                    super::$case(&store);
                }
            )*
        }
    };
}

conformance!(
    redb_engine,
    |dir: &std::path::Path| ok(RedbStore::open_dir(dir)),
    [
        person_file_holds_only_that_person,
        apply_is_atomic,
        certificates_identify_their_institution,
        references_are_checked,
        audit_trail_is_ordered,
        audit_trail_orders_late_records,
        the_audit_trail_is_kept_within_its_retention,
        emptiness,
        registration_forgets_only_its_persons_file,
        only_apply_moves_the_generation,
        a_group_sees_its_earlier_writes,
        statements_and_payments,
        subscriptions_queue_in_order_and_the_fan_out_moves_once,
        contents_give_back_what_apply_wrote,
        a_restored_snapshot_is_the_register_it_was_taken_of,
        a_group_writes_reference_data_forms_and_subscriptions_or_nothing,
        a_registration_reads_and_replaces_its_pcsas_own_inscriptions,
    ]
);

/// `contents` is what `apply` wrote, ordered by key within each kind, and applying it
/// to an empty store makes the same contents.
fn contents_give_back_what_apply_wrote(store: &dyn Store) {
    assert!(ok(store.contents()).is_empty());
    let (a, b) = (ssin("850731001"), ssin("850731002"));
    let (p, partner) = (cbe("02122391"), cbe("02067374"));
    let inscription = Change::Inscription(Inscription {
        ssin: b,
        institution: partner,
        quality: ok(QualityCode::new(2)),
        period: ok(OpenPeriod::new(d("2020-01-01"), Some(d("2020-06-30")))),
    });
    let right = Change::Right(right(
        a,
        p,
        RightKind::LivingWage,
        "2020-01-01",
        "2020-12-31",
    ));
    // Written in another order: read back by kind, then by key.
    ok(store.apply(&[
        Change::Certificate(vec![3, 2, 1]),
        Change::Institution(institution(partner, 1)),
        Change::Pcsa(pcsa(p, "44021")),
        Change::Person(person(b)),
        inscription.clone(),
        Change::Person(person(a)),
        right.clone(),
    ]));
    let contents = ok(store.contents());
    assert_eq!(
        contents,
        [
            Change::Pcsa(pcsa(p, "44021")),
            Change::Institution(institution(partner, 1)),
            Change::Certificate(vec![3, 2, 1]),
            Change::Person(person(a)),
            Change::Person(person(b)),
            inscription,
            right,
        ]
    );
    let dir = ok(tempfile::tempdir());
    let copy = ok(RedbStore::open_dir(dir.path()));
    ok(copy.apply(&contents));
    assert_eq!(ok(copy.contents()), contents);
}

fn person_file_holds_only_that_person(store: &dyn Store) {
    let (a, b) = (ssin("850731001"), ssin("850731002"));
    let (p1, p2) = (cbe("02122391"), cbe("02075943"));
    let partner = cbe("02067374");
    let ins = |s, q| {
        Change::Inscription(Inscription {
            ssin: s,
            institution: partner,
            quality: ok(QualityCode::new(q)),
            period: ok(OpenPeriod::new(d("2020-01-01"), None)),
        })
    };
    ok(store.apply(&[
        Change::Pcsa(pcsa(p1, "44021")),
        Change::Pcsa(pcsa(p2, "62063")),
        Change::Institution(institution(partner, 1)),
        Change::Person(person(a)),
        Change::Person(person(b)),
        Change::Right(right(
            a,
            p1,
            RightKind::LivingWage,
            "2020-01-01",
            "2020-12-31",
        )),
        Change::Right(right(
            a,
            p2,
            RightKind::EquivalentLivingWage,
            "2021-01-01",
            "2021-12-31",
        )),
        Change::Right(right(
            b,
            p1,
            RightKind::LivingWage,
            "2019-01-01",
            "2019-12-31",
        )),
        ins(a, 2),
        ins(a, 9),
        ins(b, 2),
    ]));
    let file = ok(store.person_file(&a));
    assert_eq!(file.person.as_ref().map(|p| p.ssin), Some(a));
    assert_eq!(file.rights.len(), 2);
    assert!(
        file.rights
            .iter()
            .all(|(r, p)| r.ssin() == a && r.pcsa() == p.cbe)
    );
    assert_eq!(file.inscriptions.len(), 2);
    assert!(file.inscriptions.iter().all(|i| i.ssin == a));
    // The same right written again (same PCSA, kind and first day) replaces it ...
    ok(store.apply(&[Change::Right(right(
        a,
        p1,
        RightKind::LivingWage,
        "2020-01-01",
        "2020-06-30",
    ))]));
    let periods_of = |store: &dyn Store, pcsa: CbeNumber| -> Vec<Period> {
        let file = ok(store.person_file(&a));
        let mut periods: Vec<Period> = file
            .rights
            .iter()
            .filter(|(r, _)| r.pcsa() == pcsa)
            .flat_map(|(r, _)| r.periods().to_vec())
            .collect();
        periods.sort();
        periods
    };
    assert_eq!(
        periods_of(store, p1),
        [ok(Period::new(d("2020-01-01"), d("2020-06-30")))]
    );
    // ... while a later right of the same PCSA and kind stands beside it.
    let later = ok(Right::new(
        a,
        p1,
        RightKind::LivingWage,
        Category::E,
        None,
        vec![ok(Period::new(d("2022-01-01"), d("2022-12-31")))],
    ));
    ok(store.apply(&[Change::Right(later)]));
    assert_eq!(
        periods_of(store, p1),
        [
            ok(Period::new(d("2020-01-01"), d("2020-06-30"))),
            ok(Period::new(d("2022-01-01"), d("2022-12-31")))
        ]
    );
    assert_eq!(ok(store.person_file(&a)).rights.len(), 3);
    let unknown = ok(store.person_file(&ssin("850731003")));
    assert_eq!(unknown, Default::default());
    assert_eq!(ok(store.person(&b)).map(|p| p.ssin), Some(b));
    assert_eq!(
        ok(store.pcsa(&p2)).map(|p| p.ins.as_str().to_owned()),
        Some("62063".into())
    );
}

fn apply_is_atomic(store: &dyn Store) {
    let a = ssin("850731001");
    let unknown_pcsa = cbe("02122391");
    let result = store.apply(&[
        Change::Person(person(a)),
        Change::Right(right(
            a,
            unknown_pcsa,
            RightKind::LivingWage,
            "2020-01-01",
            "2020-12-31",
        )),
    ]);
    assert!(
        matches!(result, Err(StoreError::UnknownPcsa { .. })),
        "{result:?}"
    );
    assert_eq!(
        ok(store.person(&a)),
        None,
        "the person of a failed batch must not be stored"
    );
    assert!(ok(store.is_empty()));
}

fn certificates_identify_their_institution(store: &dyn Store) {
    let (x, y) = (cbe("02067374"), cbe("08876066"));
    ok(store.apply(&[Change::Institution(institution(x, 1))]));
    let found = ok(store.institution_by_certificate(&CertificateFingerprint::from_bytes([1; 32])));
    assert_eq!(found.map(|i| i.cbe), Some(x));
    assert_eq!(
        ok(store.institution_by_certificate(&CertificateFingerprint::from_bytes([2; 32]))),
        None
    );
    // Another institution cannot take the same certificate.
    let taken = store.apply(&[Change::Institution(institution(y, 1))]);
    assert!(
        matches!(taken, Err(StoreError::CertificateTaken { owner, .. }) if owner == x),
        "{taken:?}"
    );
    // Replacing an institution's certificate releases the old one.
    ok(store.apply(&[Change::Institution(institution(x, 3))]));
    assert_eq!(
        ok(store.institution_by_certificate(&CertificateFingerprint::from_bytes([1; 32]))),
        None
    );
    ok(store.apply(&[Change::Institution(institution(y, 1))]));
    assert_eq!(
        ok(store.institution_by_certificate(&CertificateFingerprint::from_bytes([1; 32])))
            .map(|i| i.cbe),
        Some(y)
    );
    assert_eq!(ok(store.institutions()).len(), 2);
    // Certificates registered whole are kept once each, in fingerprint order, and
    // given while an institution names them.
    assert!(ok(store.registered_certificates()).is_empty());
    let (first, second) = (vec![1, 2, 3], vec![4, 5]);
    let mut owner = institution(x, 4);
    owner.certificates = vec![
        CertificateFingerprint::of_der(&first),
        CertificateFingerprint::of_der(&second),
    ];
    ok(store.apply(&[
        Change::Certificate(first.clone()),
        Change::Certificate(second.clone()),
        Change::Certificate(first.clone()),
        Change::Institution(owner.clone()),
    ]));
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort_by_key(|der| CertificateFingerprint::of_der(der).to_hex());
    assert_eq!(ok(store.registered_certificates()), expected);
    owner.certificates = vec![CertificateFingerprint::of_der(&second)];
    ok(store.apply(&[Change::Institution(owner)]));
    assert_eq!(ok(store.registered_certificates()), [second]);
    ok(store.apply(&[Change::Certificate(vec![9])]));
    assert_eq!(ok(store.registered_certificates()).len(), 1);
}

fn references_are_checked(store: &dyn Store) {
    let a = ssin("850731001");
    let missing = cbe("02067374");
    let inscription = Inscription {
        ssin: a,
        institution: missing,
        quality: ok(QualityCode::new(2)),
        period: ok(OpenPeriod::new(d("2020-01-01"), None)),
    };
    let r = store.apply(&[Change::Inscription(inscription)]);
    assert!(
        matches!(r, Err(StoreError::UnknownInstitution { cbe, .. }) if cbe == missing),
        "{r:?}"
    );
}

fn audit_trail_is_ordered(store: &dyn Store) {
    let records: Vec<AuditRecord> = (0..5)
        .map(|i| AuditRecord {
            ticket: uuid::Uuid::now_v7(),
            received_at_ms: i,
            latency_us: 10,
            caller: None,
            operation: Some("getLivingWages".into()),
            legal_context: None,
            ssin: None,
            outcome: format!("MSG0000{i}").into(),
            http_status: 200,
            service: None,
            mark: None,
        })
        .collect();
    ok(store.append_audit(&records[..2]));
    ok(store.append_audit(&records[2..]));
    let all = ok(store.audit_trail(None, 100));
    assert_eq!(all, records);
    let page = ok(store.audit_trail(Some(records[1].ticket), 2));
    assert_eq!(page, records[2..4]);
}

/// An audit record of a consultation answered MSG00000.
fn consultation(ticket: uuid::Uuid, received_at_ms: i64, latency_us: u64) -> AuditRecord {
    AuditRecord {
        ticket,
        received_at_ms,
        latency_us,
        caller: None,
        operation: Some("getLivingWages".into()),
        legal_context: None,
        ssin: None,
        outcome: "MSG00000".into(),
        http_status: 200,
        service: None,
        mark: None,
    }
}

/// Hundreds of records over several seconds, committed out of order (a long exchange
/// is recorded after shorter ones that started later) and one batch twice: the trail
/// still gives each record once, in ticket order, page after page.
fn audit_trail_orders_late_records(store: &dyn Store) {
    let base_ms = 1_800_000_000_000u64;
    let records: Vec<AuditRecord> = (0..700u64)
        .map(|i| {
            let random = (i * 7919).to_le_bytes();
            let random = [0, 0, random[0], random[1], random[2], 0, 0, 0, 0, 0];
            let ticket =
                uuid::Builder::from_unix_timestamp_millis(base_ms + i * 9, &random).into_uuid();
            consultation(ticket, i64::try_from(i).unwrap_or(0), i)
        })
        .collect();
    let (odd, even): (Vec<AuditRecord>, Vec<AuditRecord>) =
        records.iter().cloned().partition(|r| r.latency_us % 2 == 1);
    let mut odd_reversed = odd;
    odd_reversed.reverse();
    ok(store.append_audit(&odd_reversed));
    ok(store.append_audit(&even));
    ok(store.append_audit(&records[100..150]));
    assert_eq!(ok(store.audit_trail(None, 1000)), records);
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = ok(store.audit_trail(after, 37));
        assert!(page.len() <= 37);
        let Some(last) = page.last() else { break };
        after = Some(last.ticket);
        paged.extend(page);
    }
    assert_eq!(paged, records);
    assert_eq!(
        ok(store.audit_trail(Some(records[698].ticket), 10)),
        records[699..]
    );
    // Walked in either order, in a window of time, after a ticket.
    let walk = |window: bcss_gateway::store::AuditWindow| {
        let mut seen = Vec::new();
        ok(store.walk_audit(&window, &mut |r| {
            seen.push(r);
            true
        }));
        seen
    };
    let mut newest_first = records.clone();
    newest_first.reverse();
    let window = bcss_gateway::store::AuditWindow::default();
    assert_eq!(walk(window), records);
    let newest = bcss_gateway::store::AuditWindow {
        newest_first: true,
        ..window
    };
    assert_eq!(walk(newest), newest_first);
    // Records 100 to 399 were received from 900 ms to 3,591 ms after the first.
    let ms = |i: u64| i64::try_from(base_ms + i * 9).unwrap_or(0);
    let within = bcss_gateway::store::AuditWindow {
        from_ms: Some(ms(100)),
        to_ms: Some(ms(399)),
        ..window
    };
    assert_eq!(walk(within), records[100..400]);
    assert_eq!(
        walk(bcss_gateway::store::AuditWindow {
            newest_first: true,
            after: Some(records[399].ticket),
            ..within
        }),
        newest_first[301..600]
    );
    let mut first_three = Vec::new();
    ok(store.walk_audit(&newest, &mut |r| {
        first_three.push(r);
        first_three.len() < 3
    }));
    assert_eq!(first_three, newest_first[..3]);
}

/// Retention removes the oldest records, a group at a time, and never one the
/// bounds keep: by count (within a group of records of the bound), and by age.
fn the_audit_trail_is_kept_within_its_retention(store: &dyn Store) {
    let base_ms = 1_800_000_000_000u64;
    // 2,000 records, one every 10 ms: 20 s of trail.
    let records: Vec<AuditRecord> = (0..2000u64)
        .map(|i| {
            let ticket =
                uuid::Builder::from_unix_timestamp_millis(base_ms + i * 10, &[1; 10]).into_uuid();
            consultation(ticket, i64::try_from(base_ms + i * 10).unwrap_or(0), i)
        })
        .collect();
    for batch in records.chunks(300) {
        ok(store.append_audit(batch));
    }
    assert_eq!(ok(store.audit_len()), 2000);
    let keep = |max_records, oldest_ms| bcss_gateway::store::Retention {
        max_records,
        oldest_ms,
    };
    // Within the bounds: nothing goes.
    assert_eq!(ok(store.prune_audit(&keep(2000, Some(0)), 1000)), 0);
    // At most 1,500: the oldest go, whole groups, and no more than needed.
    let removed = ok(store.prune_audit(&keep(1500, None), 1000));
    let left = ok(store.audit_trail(None, 10_000));
    assert_eq!(left.len() as u64, 2000 - removed);
    assert_eq!(ok(store.audit_len()), 2000 - removed);
    assert!(
        left.len() >= 1500 && left.len() < 1500 + 256,
        "{} left",
        left.len()
    );
    assert_eq!(
        left[..],
        records[records.len() - left.len()..],
        "the newest stay"
    );
    // A pass removes at most the groups it is given.
    let before = ok(store.audit_len());
    let one_group = ok(store.prune_audit(&keep(1, None), 1));
    assert!(one_group > 0 && one_group <= 256);
    assert_eq!(ok(store.audit_len()), before - one_group);
    // By age: nothing received before 15 s into the trail is kept, a group within
    // its span of the cut may stay.
    let cut = i64::try_from(base_ms + 15_000).unwrap_or(0);
    ok(store.prune_audit(&keep(u64::MAX, Some(cut)), 1000));
    let left = ok(store.audit_trail(None, 10_000));
    assert!(
        left.iter().all(|r| r.received_at_ms >= cut - 1_000),
        "older than the span kept"
    );
    assert!(
        left.first().is_some_and(|r| r.received_at_ms <= cut),
        "too much removed"
    );
    assert_eq!(left.last(), records.last());
    assert_eq!(ok(store.audit_len()), left.len() as u64);
}

fn payment(s: Ssin, ins: &str, statement: &str, first_day: &str, cents: i64) -> PaymentLine {
    PaymentLine {
        law: Law::IntegrationIncome,
        ins: ok(InsCode::parse(ins)),
        statement: ok(Month::parse_xsd(statement)),
        file_number: format!("{:<11}", "F1"),
        suffix: "  ".into(),
        ssin: s,
        reference: format!("{:<12}", ""),
        amount_type: AmountType::Grant,
        first_day: d(first_day),
        last_day: d(first_day),
        budget_article: "116   ".into(),
        article: 116,
        amount: Amount::from_cents(cents),
        category: 'B',
        last_name: format!("{:<30}", "Test"),
        first_name: format!("{:<20}", "Person"),
        concerned: "00".into(),
        reference2: format!("{:<15}", ""),
        paid: Amount::from_cents(cents),
    }
}

fn statements_and_payments(store: &dyn Store) {
    let (a, b) = (ssin("850731001"), ssin("870412002"));
    let ins = ok(InsCode::parse("62063"));
    let march = ok(Month::parse_xsd("2025-03"));
    let first = [
        payment(a, "62063", "2025-03", "2025-02-01", 100),
        payment(b, "62063", "2025-03", "2025-01-01", 200),
    ];
    assert_eq!(ok(store.write_statement(&ins, march, &first, true)), 0);
    // Lines keep the statement's order; a person's payments come by first day paid.
    assert_eq!(ok(store.statement(&ins, march)), first);
    let more = [payment(a, "62063", "2025-03", "2025-01-01", 300)];
    assert_eq!(ok(store.write_statement(&ins, march, &more, false)), 0);
    let cents =
        |lines: Vec<PaymentLine>| -> Vec<i64> { lines.iter().map(|l| l.amount.cents()).collect() };
    assert_eq!(cents(ok(store.statement(&ins, march))), [100, 200, 300]);
    assert_eq!(cents(ok(store.payments(&a))), [300, 100]);
    // Another CPAS's statement and another month stay apart.
    let other = ok(InsCode::parse("44021"));
    let april = ok(Month::parse_xsd("2025-04"));
    ok(store.write_statement(
        &other,
        march,
        &[payment(a, "44021", "2025-03", "2025-03-01", 7)],
        true,
    ));
    ok(store.write_statement(
        &ins,
        april,
        &[payment(a, "62063", "2025-04", "2025-03-01", 8)],
        true,
    ));
    assert_eq!(ok(store.statement_months(&ins)), [march, april]);
    // Replacing drops every earlier line of that statement only.
    let replaced = [payment(b, "62063", "2025-03", "2025-01-01", 9)];
    assert_eq!(ok(store.write_statement(&ins, march, &replaced, true)), 3);
    assert_eq!(cents(ok(store.statement(&ins, march))), [9]);
    assert_eq!(cents(ok(store.payments(&a))), [7, 8]);
    assert_eq!(cents(ok(store.payments(&b))), [9]);
}

fn emptiness(store: &dyn Store) {
    assert!(ok(store.is_empty()));
    ok(store.apply(&[Change::Person(person(ssin("850731001")))]));
    assert!(!ok(store.is_empty()));
}

/// A form B of the PCSA `p` (Gent) for `a`: 12 months from `entry`.
fn form_b(a: Ssin, p: CbeNumber, entry: &str, reference: &str) -> Form {
    Form::B(FormB {
        sender: Sender {
            name: "PCSA 44021".into(),
            ins: ok(InsCode::parse("44021")),
            cbe: p,
        },
        ssin: a,
        kind: RightKind::LivingWage,
        entry_date: d(entry),
        category: Category::B,
        situation: 12,
        national_register: 0,
        homeless: false,
        study_grant: 0,
        partner: None,
        duration: Duration {
            months: 12,
            ..Duration::default()
        },
        decision_date: d(entry),
        annual_amount: None,
        installation_premium: None,
        regularisation: false,
        reference: Some(reference.into()),
        suspension: None,
        judgement: false,
        measures: Box::default(),
        resources: Box::default(),
    })
}

/// Registers `form` as the register's writer does; its outcome.
fn register(store: &dyn Store, form: &Form) -> Outcome {
    let mut outcome = None;
    ok(store.register(&form.ssin(), &form.pcsa(), &mut |file| {
        let (judged, write) = judge(form, &[], 1_800_000_000_000, true, file);
        outcome = Some(judged);
        write
    }));
    outcome.unwrap_or_else(|| panic!("the store never judged the form"))
}

/// A snapshot gives back the register as it was, caches included, whatever was
/// registered, applied or subscribed since; the audit trail stays as it is.
fn a_restored_snapshot_is_the_register_it_was_taken_of(store: &dyn Store) {
    let (a, b, p) = (ssin("850731001"), ssin("850731002"), cbe("02075943"));
    ok(store.apply(&person_with_a_right_in_2020(a, p)));
    let dir = ok(tempfile::tempdir());
    let snapshot = dir.path().join("initial.redb");
    ok(store.save_snapshot(&snapshot));
    let before = (ok(store.contents()), ok(store.person_file(&a)));

    ok(store.apply(&[
        Change::Person(person(b)),
        Change::Pcsa(pcsa(cbe("02122391"), "44021")),
    ]));
    let outcome = register(store, &form_b(a, p, "2024-01-01", "R-1"));
    assert!(matches!(outcome, Outcome::Accepted { .. }), "{outcome:?}");
    assert_eq!(
        ok(store.decided(&a)).len(),
        1,
        "the decided rights at the PCSA"
    );
    ok(store.write_statement(
        &ok(InsCode::parse("62063")),
        ok(Month::parse_xsd("2024-01")),
        &[payment(a, "62063", "2024-01", "2024-01-01", 100)],
        true,
    ));
    let subscriber = cbe("02068987");
    ok(store.update_subscription(&subscriber, None, &mut |_| {
        Some(Subscription::new(
            subscriber,
            Delivery::Pull,
            DeliveryMode::SsinOnly,
            0,
        ))
    }));
    let record = AuditRecord {
        ticket: uuid::Uuid::now_v7(),
        received_at_ms: 1,
        latency_us: 10,
        caller: None,
        operation: Some("getLivingWages".into()),
        legal_context: None,
        ssin: None,
        outcome: "MSG00000".into(),
        http_status: 200,
        service: None,
        mark: None,
    };
    ok(store.append_audit(std::slice::from_ref(&record)));
    let generation = store.generation();

    ok(store.restore_snapshot(&snapshot));
    assert_eq!(ok(store.contents()), before.0);
    assert_eq!(*ok(store.person_file(&a)), *before.1);
    assert!(ok(store.forms(&a)).is_empty());
    assert!(ok(store.decided(&a)).is_empty());
    assert!(ok(store.pcsa(&cbe("02122391"))).is_none());
    assert!(
        ok(store.statement(
            &ok(InsCode::parse("62063")),
            ok(Month::parse_xsd("2024-01"))
        ))
        .is_empty()
    );
    assert!(ok(store.subscriptions()).is_empty());
    assert_eq!(ok(store.outbox(OutboxSequence::default(), 10)), []);
    assert_eq!(ok(store.outbox_head()), OutboxSequence::START);
    assert_ne!(
        store.generation(),
        generation,
        "cached institutions are read again"
    );
    assert_eq!(ok(store.audit_trail(None, 10)), [record]);
    // The same form is a new decision again.
    let outcome = register(store, &form_b(a, p, "2024-01-01", "R-1"));
    assert!(matches!(outcome, Outcome::Accepted { .. }), "{outcome:?}");
}

fn registration_forgets_only_its_persons_file(store: &dyn Store) {
    let (a, b, p) = (ssin("850731001"), ssin("850731002"), cbe("02075943"));
    ok(store.apply(&person_with_a_right_in_2020(a, p)));
    ok(store.apply(&[Change::Person(person(b))]));
    let (file_a, file_b) = (ok(store.person_file(&a)), ok(store.person_file(&b)));
    assert!(file_b.rights.is_empty());
    // Reading again without a change serves the same file.
    assert!(std::sync::Arc::ptr_eq(&file_b, &ok(store.person_file(&b))));

    let outcome = register(store, &form_b(b, p, "2024-01-01", "R-1"));
    assert!(matches!(outcome, Outcome::Accepted { .. }), "{outcome:?}");
    let after_b = ok(store.person_file(&b));
    assert_eq!(
        after_b.rights.len(),
        1,
        "the registered person's file is read anew"
    );
    // Another person's file is kept across the commit: consultations keep their cache.
    assert!(std::sync::Arc::ptr_eq(&file_a, &ok(store.person_file(&a))));
    // A statement changes no person file.
    ok(store.write_statement(
        &ok(InsCode::parse("44021")),
        ok(Month::parse_xsd("2024-01")),
        &[payment(b, "44021", "2024-01", "2024-01-01", 100)],
        true,
    ));
    assert!(std::sync::Arc::ptr_eq(&after_b, &ok(store.person_file(&b))));
    // An inscription changes its person's file.
    let onem = cbe("02068987");
    ok(store.apply(&[Change::Institution(institution(onem, 1))]));
    let before = ok(store.person_file(&b));
    ok(
        store.update_inscriptions(&b, &onem, ok(QualityCode::new(2)), &mut |_| {
            Some(vec![ok(OpenPeriod::new(d("2024-01-01"), None))])
        }),
    );
    let inscribed = ok(store.person_file(&b));
    assert_eq!(before.inscriptions.len() + 1, inscribed.inscriptions.len());
}

/// A registration is given the PCSA's own inscriptions of the person, per quality, and
/// replaces those of the qualities it changes in the same transaction; the other
/// qualities and other institutions' inscriptions stay.
fn a_registration_reads_and_replaces_its_pcsas_own_inscriptions(store: &dyn Store) {
    use bcss_gateway::domain::decision::OwnInscriptions;
    let (a, p, onem) = (ssin("850731001"), cbe("02075943"), cbe("02068987"));
    ok(store.apply(&person_with_a_right_in_2020(a, p)));
    ok(store.apply(&[
        Change::Institution(institution(p, 1)),
        Change::Institution(institution(onem, 2)),
    ]));
    let from_2024 = ok(OpenPeriod::new(d("2024-01-01"), None));
    for (institution, quality) in [(p, 2), (p, 9), (onem, 2)] {
        ok(
            store.update_inscriptions(&a, &institution, ok(QualityCode::new(quality)), &mut |_| {
                Some(vec![from_2024])
            }),
        );
    }
    let ended = ok(OpenPeriod::new(d("2024-01-01"), Some(d("2024-04-14"))));
    let form = form_b(a, p, "2024-01-01", "R-1");
    let mut seen = Vec::new();
    ok(store.register(&a, &p, &mut |file| {
        seen = file.own_inscriptions.clone();
        let (_, write) = judge(&form, &[], 1_800_000_000_000, true, file);
        write.map(|mut w| {
            w.inscriptions = vec![OwnInscriptions {
                quality: ok(QualityCode::new(2)),
                periods: vec![ended],
            }];
            w
        })
    }));
    seen.sort_by_key(|o| o.quality);
    let qualities: Vec<(u8, Vec<OpenPeriod>)> = seen
        .iter()
        .map(|o| (o.quality.code(), o.periods.clone()))
        .collect();
    assert_eq!(qualities, [(2, vec![from_2024]), (9, vec![from_2024])]);
    let mut after: Vec<(CbeNumber, u8, OpenPeriod)> = ok(store.person_file(&a))
        .inscriptions
        .iter()
        .map(|i| (i.institution, i.quality.code(), i.period))
        .collect();
    after.sort_by_key(|(i, q, _)| (*i, *q));
    let mut expected = vec![(p, 2, ended), (p, 9, from_2024), (onem, 2, from_2024)];
    expected.sort_by_key(|(i, q, _)| (*i, *q));
    assert_eq!(after, expected);
}

fn only_apply_moves_the_generation(store: &dyn Store) {
    let (a, p) = (ssin("850731001"), cbe("02075943"));
    let start = store.generation();
    ok(store.apply(&person_with_a_right_in_2020(a, p)));
    let applied = store.generation();
    assert_ne!(start, applied, "apply moves the generation");
    register(store, &form_b(a, p, "2024-01-01", "R-1"));
    ok(store.write_statement(
        &ok(InsCode::parse("44021")),
        ok(Month::parse_xsd("2024-01")),
        &[payment(a, "44021", "2024-01", "2024-01-01", 100)],
        true,
    ));
    let onem = cbe("02068987");
    ok(store.apply(&[Change::Institution(institution(onem, 1))]));
    let with_onem = store.generation();
    assert_ne!(applied, with_onem);
    ok(
        store.update_inscriptions(&a, &onem, ok(QualityCode::new(2)), &mut |_| {
            Some(vec![ok(OpenPeriod::new(d("2024-01-01"), None))])
        }),
    );
    assert_eq!(
        store.generation(),
        with_onem,
        "registrations, statements and inscriptions leave institutions as they are"
    );
}

type Decide<'a> = Box<
    dyn FnMut(&bcss_gateway::store::DecisionFile) -> Option<bcss_gateway::store::Registered> + 'a,
>;

/// A world's group: reference data, a form about a person it declares, a
/// subscription, then the check. When the check says no, none of it is written; when
/// it says yes, all of it is, and the form saw the person the same group wrote.
fn a_group_writes_reference_data_forms_and_subscriptions_or_nothing(store: &dyn Store) {
    let (a, p, subscriber) = (ssin("850731001"), cbe("02075943"), cbe("02068987"));
    let world = [
        Change::Pcsa(pcsa(p, "62063")),
        Change::Person(person(a)),
        Change::Institution(institution(subscriber, 7)),
    ];
    let form = form_b(a, p, "2024-01-01", "R-1");
    for keep in [false, true] {
        let mut outcome = None;
        let mut decide = |file: &bcss_gateway::store::DecisionFile| {
            let (judged, write) = judge(&form, &[], 1_800_000_000_000, false, file);
            outcome = Some(judged);
            write
        };
        let mut subscribe = |_: Option<&Subscription>| {
            Some(Subscription::new(
                subscriber,
                Delivery::Pull,
                DeliveryMode::SsinOnly,
                0,
            ))
        };
        let mut check = || keep;
        ok(store.write_group(&mut [
            GroupWrite::Apply(&world),
            GroupWrite::Register {
                ssin: a,
                pcsa: p,
                decide: &mut decide,
            },
            GroupWrite::Subscribe {
                institution: subscriber,
                decide: &mut subscribe,
            },
            GroupWrite::Check(&mut check),
        ]));
        assert!(
            matches!(outcome, Some(Outcome::Accepted { .. })),
            "{outcome:?}"
        );
        if keep {
            assert_eq!(
                ok(store.contents()).len(),
                4,
                "the PCSA, institution, person, right"
            );
            assert_eq!(ok(store.forms(&a)).len(), 1);
            assert_eq!(ok(store.subscriptions()).len(), 1);
            assert_eq!(ok(store.person_file(&a)).rights.len(), 1);
            assert!(ok(store.pcsa(&p)).is_some());
        } else {
            assert!(ok(store.contents()).is_empty());
            assert!(ok(store.forms(&a)).is_empty());
            assert!(ok(store.subscriptions()).is_empty());
            assert!(ok(store.person_file(&a)).person.is_none());
        }
    }
}

fn a_group_sees_its_earlier_writes(store: &dyn Store) {
    let (a, p) = (ssin("850731001"), cbe("02075943"));
    ok(store.apply(&person_with_a_right_in_2020(a, p)));
    let first = form_b(a, p, "2024-01-01", "R-1");
    let again = first.clone();
    let revision = form_b(a, p, "2024-06-01", "R-2");
    let forms = [&first, &again, &revision];
    let seen = std::cell::RefCell::new(Vec::<usize>::new());
    let mut outcomes: Vec<Option<Outcome>> = vec![None, None, None];
    let mut replaced = 0;
    {
        let mut deciders: Vec<Decide<'_>> = forms
            .iter()
            .zip(outcomes.iter_mut())
            .map(|(form, outcome)| {
                let seen = &seen;
                Box::new(move |file: &bcss_gateway::store::DecisionFile| {
                    seen.borrow_mut().push(file.forms.len());
                    let (judged, write) = judge(form, &[], 1_800_000_000_000, true, file);
                    *outcome = Some(judged);
                    write
                }) as Decide<'_>
            })
            .collect();
        let lines = [payment(a, "44021", "2024-01", "2024-01-01", 100)];
        let mut iter = deciders.iter_mut();
        let (Some(d0), Some(d1), Some(d2)) = (iter.next(), iter.next(), iter.next()) else {
            panic!("three deciders");
        };
        let mut writes = [
            GroupWrite::Register {
                ssin: a,
                pcsa: p,
                decide: d0.as_mut(),
            },
            GroupWrite::Statement {
                ins: ok(InsCode::parse("44021")),
                month: ok(Month::parse_xsd("2024-01")),
                lines: &lines,
                replace: true,
                replaced: &mut replaced,
            },
            GroupWrite::Register {
                ssin: a,
                pcsa: p,
                decide: d1.as_mut(),
            },
            GroupWrite::Register {
                ssin: a,
                pcsa: p,
                decide: d2.as_mut(),
            },
        ];
        ok(store.write_group(&mut writes));
    }
    // Each judgement saw the forms accepted before it in the same group.
    assert_eq!(*seen.borrow(), [0, 1, 1]);
    assert!(matches!(outcomes[0], Some(Outcome::Accepted { .. })));
    assert!(matches!(outcomes[1], Some(Outcome::AlreadyRegistered(_))));
    assert!(matches!(outcomes[2], Some(Outcome::Accepted { .. })));
    assert_eq!(ok(store.forms(&a)).len(), 2);
    assert_eq!(replaced, 0);
    assert_eq!(
        ok(store.statement(
            &ok(InsCode::parse("44021")),
            ok(Month::parse_xsd("2024-01"))
        ))
        .len(),
        1
    );
    let events = ok(store.outbox(OutboxSequence::START, 10));
    assert_eq!(
        events
            .iter()
            .map(|e| (e.sequence.0, e.version))
            .collect::<Vec<_>>(),
        [(1, 1), (2, 2)],
        "one outbox event per accepted form, in order, with the person's versions"
    );
    assert_eq!(ok(store.outbox_head()), OutboxSequence(2));
}

/// A PCSA in Gent, and a person with a living wage from it through 2020.
fn person_with_a_right_in_2020(a: Ssin, p: CbeNumber) -> [Change; 3] {
    [
        Change::Pcsa(pcsa(p, "44021")),
        Change::Person(person(a)),
        Change::Right(right(
            a,
            p,
            RightKind::LivingWage,
            "2020-01-01",
            "2020-12-31",
        )),
    ]
}

fn notification(a: Ssin, p: CbeNumber, outbox_sequence: u64) -> Notification {
    Notification {
        id: uuid::Uuid::from_u128(u128::from(outbox_sequence)),
        sequence: 0,
        outbox_sequence: OutboxSequence(outbox_sequence),
        event: ChangeEvent::Create,
        ssin: a,
        pcsa: p,
        pcsa_ins: ok(InsCode::parse("44021")),
        event_ms: 1_800_000_000_000,
        right: None,
    }
}

fn subscriptions_queue_in_order_and_the_fan_out_moves_once(store: &dyn Store) {
    let (a, p, onem) = (ssin("850731001"), cbe("02075943"), cbe("02068987"));
    ok(store.apply(&[Change::Institution(institution(onem, 1))]));
    // Never subscribed: `decide` sees nothing, and its answer is written.
    let written = ok(store.update_subscription(&onem, None, &mut |old| {
        assert!(old.is_none());
        Some(Subscription::new(
            onem,
            Delivery::Pull,
            DeliveryMode::SsinOnly,
            1,
        ))
    }));
    assert_eq!(written.map(|s| s.institution), Some(onem));
    assert_eq!(ok(store.subscriptions()).len(), 1);
    // Writing nothing leaves it as it was.
    ok(store.update_subscription(&onem, None, &mut |old| {
        assert!(old.is_some());
        None
    }));
    assert_eq!(ok(store.fanned_out()), OutboxSequence(0));
    ok(store.enqueue_notifications(
        OutboxSequence(0),
        OutboxSequence(2),
        vec![(onem, notification(a, p, 1)), (onem, notification(a, p, 2))],
    ));
    assert_eq!(ok(store.fanned_out()), OutboxSequence(2));
    let queued = ok(store.notifications(&onem, 0, 10));
    assert_eq!(
        queued
            .iter()
            .map(|n| (n.sequence, n.outbox_sequence.0))
            .collect::<Vec<_>>(),
        [(1, 1), (2, 2)],
        "each subscriber's sequence follows the order given"
    );
    assert_eq!(
        ok(store.notifications(&onem, 1, 10)).len(),
        1,
        "paged after a sequence"
    );
    // A fan-out that is no longer where it started is refused, and nothing moves.
    assert!(matches!(
        store.enqueue_notifications(
            OutboxSequence(0),
            OutboxSequence(3),
            vec![(onem, notification(a, p, 3))]
        ),
        Err(StoreError::FanOutMoved {
            expected: OutboxSequence(0),
            found: OutboxSequence(2)
        })
    ));
    assert_eq!(ok(store.notifications(&onem, 0, 10)).len(), 2);
    let subscription = ok(store.subscriptions()).into_iter().next();
    assert_eq!(subscription.map(|s| s.last_sequence), Some(2));
}

#[test]
fn redb_keeps_everything_across_a_reopen() {
    let dir = ok(tempfile::tempdir());
    let a = ssin("850731001");
    let p = cbe("02122391");
    {
        let store = ok(RedbStore::open_dir(dir.path()));
        ok(store.apply(&person_with_a_right_in_2020(a, p)));
    }
    let store = ok(RedbStore::open_dir(dir.path()));
    let file = ok(store.person_file(&a));
    assert_eq!(file.rights.len(), 1);
    assert_eq!(
        file.rights[0].0.periods(),
        [ok(Period::new(d("2020-01-01"), d("2020-12-31")))]
    );
}

#[test]
fn redb_refuses_a_file_of_another_layout() {
    let dir = ok(tempfile::tempdir());
    let path = dir.path().join("bcss-gateway.redb");
    {
        // A file written by an earlier layout: data, and no layout version.
        let db = ok(redb::Database::create(&path));
        let tx = ok(db.begin_write());
        {
            let def: redb::TableDefinition<&[u8], &[u8]> =
                redb::TableDefinition::new("person_files");
            let mut files = ok(tx.open_table(def));
            ok(files.insert(b"85073100183P".as_slice(), b"{}".as_slice()));
        }
        ok(tx.commit());
    }
    match RedbStore::open_dir(dir.path()) {
        Err(e @ StoreError::Format { found: 1, .. }) => {
            assert!(e.to_string().contains("--data-dir"), "{e}");
        }
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("a file of another layout was opened"),
    }
}

#[test]
fn redb_sees_a_renamed_pcsa_at_once_and_after_a_reopen() {
    let dir = ok(tempfile::tempdir());
    let a = ssin("850731001");
    let p = cbe("02122391");
    let renamed = Pcsa {
        name: "OCMW Gent (nieuw)".into(),
        ..pcsa(p, "44021")
    };
    {
        let store = ok(RedbStore::open_dir(dir.path()));
        ok(store.apply(&person_with_a_right_in_2020(a, p)));
        ok(store.apply(&[Change::Pcsa(renamed.clone())]));
        assert_eq!(ok(store.person_file(&a)).rights[0].1, renamed);
        // A failed batch leaves the PCSA as it was.
        let failed = store.apply(&[
            Change::Pcsa(pcsa(p, "44021")),
            Change::Right(right(
                a,
                cbe("02075943"),
                RightKind::LivingWage,
                "2021-01-01",
                "2021-12-31",
            )),
        ]);
        assert!(
            matches!(failed, Err(StoreError::UnknownPcsa { .. })),
            "{failed:?}"
        );
        assert_eq!(ok(store.pcsa(&p)), Some(renamed.clone()));
    }
    let store = ok(RedbStore::open_dir(dir.path()));
    assert_eq!(ok(store.person_file(&a)).rights[0].1, renamed);
}
