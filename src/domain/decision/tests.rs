//! The rules of seed 003 for forms B, C and D, one test per rule, on an in-memory history.

use super::*;
use crate::domain::{
    Amount, Category, CbeNumber, Date, InsCode, Period, Person, RegisterStatus, Right, RightKind,
    Ssin,
};

fn d(s: &str) -> Date {
    Date::parse_xsd(s).unwrap()
}

fn ssin() -> Ssin {
    Ssin::with_check_digits("850731001", false).unwrap()
}

fn partner() -> Ssin {
    Ssin::with_check_digits("870412002", false).unwrap()
}

fn sender(cbe8: &str, ins: &str) -> Sender {
    Sender {
        name: format!("CPAS {ins}"),
        ins: InsCode::parse(ins).unwrap(),
        cbe: CbeNumber::with_check_digits(cbe8).unwrap(),
    }
}

fn liege() -> Sender {
    sender("02122391", "62063")
}

fn gent() -> Sender {
    sender("02075943", "44021")
}

fn b(entry: &str, months: u16) -> FormB {
    FormB {
        sender: liege(),
        ssin: ssin(),
        kind: RightKind::LivingWage,
        entry_date: d(entry),
        category: Category::B,
        situation: 12,
        national_register: 0,
        homeless: false,
        study_grant: 0,
        partner: None,
        duration: Duration {
            months,
            ..Duration::default()
        },
        decision_date: d(entry),
        annual_amount: None,
        installation_premium: None,
        regularisation: false,
        reference: None,
        suspension: None,
        judgement: false,
    }
}

fn c(entry: &str, nature: Nature, status: CStatus) -> FormC {
    FormC {
        sender: liege(),
        ssin: ssin(),
        entry_date: d(entry),
        decision_date: d(entry),
        nature,
        effective_stop: None,
        status,
        reference: None,
    }
}

/// A person's register in memory: forms accepted so far and the rights per PCSA.
struct Register {
    person: Person,
    forms: Vec<RegisteredForm>,
    rights: Vec<Right>,
    events: Vec<ChangeEvent>,
}

impl Register {
    fn new() -> Self {
        Register {
            person: Person {
                ssin: ssin(),
                last_name: "Test".into(),
                first_name: "Person".into(),
                birth_date: None,
                status: RegisterStatus::Active,
            },
            forms: Vec::new(),
            rights: Vec::new(),
            events: Vec::new(),
        }
    }

    fn send(&mut self, form: Form) -> Outcome {
        let pcsa = form.pcsa();
        let current: Vec<Right> = self
            .rights
            .iter()
            .filter(|r| r.pcsa() == pcsa)
            .cloned()
            .collect();
        let history = History {
            person: Some(&self.person),
            forms: &self.forms,
            rights: &current,
        };
        let at = Registration {
            number: self.forms.len() as u64 + 1,
            now_ms: 0,
            today: d("2026-11-22"),
        };
        let outcome = register(form, &history, &at, Vec::new());
        if let Outcome::Accepted {
            form,
            rights,
            event,
        } = &outcome
        {
            self.forms.push(form.clone());
            self.rights.retain(|r| r.pcsa() != pcsa);
            self.rights.extend(rights.iter().cloned());
            self.events.extend(*event);
        }
        outcome
    }

    fn accept(&mut self, form: Form) -> Attestation {
        match self.send(form) {
            Outcome::Accepted { form, .. } => form.attestation,
            other => panic!("refused: {other:?}"),
        }
    }

    fn errors(&mut self, form: Form) -> Vec<(&'static str, &'static str)> {
        match self.send(form) {
            Outcome::Rejected(errors) => errors.iter().map(|e| (e.code.code(), e.field)).collect(),
            other => panic!("accepted: {other:?}"),
        }
    }

    fn periods(&self) -> Vec<(String, String)> {
        let mut p: Vec<Period> = self
            .rights
            .iter()
            .flat_map(|r| r.periods().to_vec())
            .collect();
        p.sort();
        p.iter()
            .map(|p| (p.begin().to_string(), p.end().to_string()))
            .collect()
    }
}

fn periods(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_new_b_opens_a_right_for_its_duration() {
    let mut r = Register::new();
    r.accept(Form::B(b("2021-01-03", 1)));
    assert_eq!(r.periods(), periods(&[("2021-01-03", "2021-02-02")]));
    assert_eq!(r.events, [ChangeEvent::Create]);
}

#[test]
fn a_later_b_revises_the_right_from_its_date() {
    let mut r = Register::new();
    r.accept(Form::B(b("2021-01-01", 12)));
    let mut revision = b("2021-06-01", 6);
    revision.category = Category::A;
    revision.situation = 11;
    r.accept(Form::B(revision));
    assert_eq!(
        r.periods(),
        periods(&[("2021-01-01", "2021-05-31"), ("2021-06-01", "2021-11-30")])
    );
    assert_eq!(
        r.rights
            .iter()
            .map(|x| x.category())
            .collect::<Vec<_>>()
            .len(),
        2
    );
    assert!(r.rights.iter().any(|x| x.category() == Category::A));
    assert_eq!(r.events, [ChangeEvent::Create, ChangeEvent::Modify]);
}

#[test]
fn a_b_with_status_1_replaces_the_accepted_b_of_the_same_date() {
    let mut r = Register::new();
    r.accept(Form::B(b("2021-01-01", 12)));
    let mut fix = b("2021-01-01", 3);
    fix.regularisation = true;
    r.accept(Form::B(fix));
    assert_eq!(r.periods(), periods(&[("2021-01-01", "2021-03-31")]));
}

#[test]
fn a_b_with_status_1_is_refused_without_an_accepted_b_to_regularise() {
    let mut r = Register::new();
    r.accept(Form::B(b("2021-01-01", 12)));
    let mut fix = b("2021-02-01", 3);
    fix.regularisation = true;
    assert_eq!(r.errors(Form::B(fix)), [("900010", "status")]);
}

#[test]
fn a_suspension_keeps_the_right() {
    let mut r = Register::new();
    r.accept(Form::B(b("2025-03-01", 12)));
    let mut suspended = b("2025-06-01", 9);
    suspended.suspension = Some(Suspension::Detention);
    suspended.annual_amount = Some(Amount::ZERO);
    r.accept(Form::B(suspended));
    assert_eq!(
        r.periods(),
        periods(&[("2025-03-01", "2025-05-31"), ("2025-06-01", "2026-02-28")])
    );
}

#[test]
fn suspension_amount_is_zero_or_below_the_category_and_total_abroad() {
    let mut r = Register::new();
    let with = |code, amount: Option<&str>| {
        let mut f = b("2025-03-01", 1);
        f.suspension = Some(code);
        f.annual_amount = amount.map(|a| Amount::parse(a).unwrap());
        Form::B(f)
    };
    // Category B: 15,770.40 a year from February 2025.
    assert_eq!(
        r.errors(with(Suspension::Unspecified, None)),
        [("900008", "annualAmount")]
    );
    assert_eq!(
        r.errors(with(Suspension::Unspecified, Some("15770.40"))),
        [("900008", "annualAmount")]
    );
    assert_eq!(
        r.errors(with(Suspension::DepartureAbroad, Some("100"))),
        [("900008", "annualAmount")]
    );
    r.accept(with(Suspension::Unspecified, Some("15770.39")));
    r.accept(with(Suspension::DepartureAbroad, Some("0")));
}

#[test]
fn a_withdrawal_ends_the_running_b_the_day_before_its_entry_date() {
    let mut r = Register::new();
    r.accept(Form::B(b("2021-01-01", 12)));
    r.accept(Form::C(c("2021-04-15", Nature::Withdrawal, CStatus::New)));
    assert_eq!(r.periods(), periods(&[("2021-01-01", "2021-04-14")]));
    assert_eq!(r.events, [ChangeEvent::Create, ChangeEvent::Modify]);
}

#[test]
fn a_withdrawal_with_an_effective_stop_date_ends_the_right_before_it() {
    // The seed's example: noticed on 15/02/2021 that the aid should have ended on 01/12/2020.
    let mut r = Register::new();
    r.accept(Form::B(b("2020-06-01", 12)));
    let mut late = c("2021-02-15", Nature::Withdrawal, CStatus::New);
    late.effective_stop = Some(d("2020-12-01"));
    r.accept(Form::C(late));
    assert_eq!(r.periods(), periods(&[("2020-06-01", "2020-11-30")]));
}

#[test]
fn a_withdrawal_from_the_first_day_cancels_the_right() {
    let mut r = Register::new();
    r.accept(Form::B(b("2021-01-01", 12)));
    r.accept(Form::C(c("2021-01-01", Nature::Withdrawal, CStatus::New)));
    assert!(r.periods().is_empty());
    assert_eq!(r.events, [ChangeEvent::Create, ChangeEvent::Cancel]);
    // A new decision later opens a right again.
    r.accept(Form::B(b("2021-03-01", 1)));
    assert_eq!(r.periods(), periods(&[("2021-03-01", "2021-03-31")]));
    assert_eq!(r.events.last(), Some(&ChangeEvent::Create));
}

#[test]
fn a_refusal_is_recorded_and_changes_no_period() {
    let mut r = Register::new();
    r.accept(Form::B(b("2021-01-01", 12)));
    r.accept(Form::C(c("2021-04-15", Nature::Refusal, CStatus::New)));
    assert_eq!(r.periods(), periods(&[("2021-01-01", "2021-12-31")]));
    assert_eq!(r.forms.len(), 2);
    assert_eq!(r.events, [ChangeEvent::Create]);
}

#[test]
fn a_c_with_status_1_regularises_the_accepted_c() {
    let mut r = Register::new();
    r.accept(Form::B(b("2021-01-01", 12)));
    r.accept(Form::C(c("2021-04-15", Nature::Withdrawal, CStatus::New)));
    let mut fix = c("2021-04-15", Nature::Withdrawal, CStatus::Regularisation);
    fix.effective_stop = Some(d("2021-03-01"));
    r.accept(Form::C(fix));
    assert_eq!(r.periods(), periods(&[("2021-01-01", "2021-02-28")]));
    let orphan = c("2021-05-01", Nature::Withdrawal, CStatus::Regularisation);
    assert_eq!(r.errors(Form::C(orphan)), [("900010", "status")]);
}

#[test]
fn a_c_with_status_9_cancels_that_c_and_the_b_runs_again_for_its_whole_duration() {
    let mut r = Register::new();
    r.accept(Form::B(b("2021-01-01", 12)));
    r.accept(Form::C(c("2021-04-15", Nature::Withdrawal, CStatus::New)));
    // Not exactly the same data: refused.
    let mut other = c("2021-04-15", Nature::Withdrawal, CStatus::Withdrawal);
    other.decision_date = d("2021-04-16");
    assert_eq!(r.errors(Form::C(other)), [("900011", "status")]);
    r.accept(Form::C(c(
        "2021-04-15",
        Nature::Withdrawal,
        CStatus::Withdrawal,
    )));
    assert_eq!(r.periods(), periods(&[("2021-01-01", "2021-12-31")]));
    assert_eq!(
        r.events,
        [
            ChangeEvent::Create,
            ChangeEvent::Modify,
            ChangeEvent::Modify
        ]
    );
}

#[test]
fn category_e_requires_the_partners_ssin() {
    let mut r = Register::new();
    let mut family = b("2021-01-01", 12);
    family.category = Category::E;
    family.situation = 28;
    family.study_grant = 3;
    assert_eq!(
        r.errors(Form::B(family.clone())),
        [("900004", "partnerSsin")]
    );
    family.partner = Some(ssin());
    assert_eq!(
        r.errors(Form::B(family.clone())),
        [("900005", "partnerSsin")]
    );
    family.partner = Some(partner());
    r.accept(Form::B(family));
}

#[test]
fn the_study_grant_must_fit_the_real_life_situation_420408() {
    let mut r = Register::new();
    let mut f = b("2021-01-01", 12);
    f.study_grant = 2; // beneficiary and partner have a grant ...
    f.situation = 12; // ... but the beneficiary lives alone
    assert_eq!(r.errors(Form::B(f)), [("420408", "studyGrant")]);
}

#[test]
fn situation_codes_are_valid_only_before_2005_or_from_2005() {
    let mut r = Register::new();
    let mut old = b("2005-01-01", 1);
    old.situation = 13; // valid until 31/12/2004
    assert_eq!(r.errors(Form::B(old)), [("900003", "realLifeSituation")]);
    let mut new = b("2004-12-31", 1);
    new.situation = 21; // valid from 01/01/2005
    assert_eq!(r.errors(Form::B(new)), [("900003", "realLifeSituation")]);
    let mut fine = b("2004-12-31", 1);
    fine.situation = 13;
    r.accept(Form::B(fine));
}

#[test]
fn the_reference_has_at_most_12_characters() {
    let mut r = Register::new();
    let mut f = b("2021-01-01", 12);
    f.reference = Some("1234567890123".into());
    assert_eq!(r.errors(Form::B(f.clone())), [("900006", "reference")]);
    f.reference = Some("123456789012".into());
    r.accept(Form::B(f));
}

#[test]
fn every_error_is_reported_not_only_the_first() {
    let mut r = Register::new();
    let mut f = b("2021-01-01", 0);
    f.category = Category::E;
    f.situation = 12;
    f.study_grant = 4;
    f.reference = Some("far too long a reference".into());
    let errors = r.errors(Form::B(f));
    assert_eq!(
        errors,
        [
            ("420408", "studyGrant"),
            ("900004", "partnerSsin"),
            ("900007", "duration"),
            ("900006", "reference")
        ]
    );
}

#[test]
fn the_installation_premium_is_granted_once_in_a_life_whichever_cpas() {
    let mut r = Register::new();
    let mut first = b("2021-01-01", 12);
    first.installation_premium = Some(Amount::parse("1776.07").unwrap());
    r.accept(Form::B(first.clone()));
    // Its own regularisation may restate it ...
    let mut fix = first.clone();
    fix.regularisation = true;
    fix.duration.months = 6;
    r.accept(Form::B(fix));
    // ... but no other B, from this CPAS or another, may grant it again.
    let mut again = b("2022-01-01", 12);
    again.installation_premium = Some(Amount::parse("1776.07").unwrap());
    assert_eq!(
        r.errors(Form::B(again.clone())),
        [("900009", "installationPremium")]
    );
    again.sender = gent();
    assert_eq!(
        r.errors(Form::B(again)),
        [("900009", "installationPremium")]
    );
}

#[test]
fn the_same_form_twice_returns_the_same_attestation_and_changes_nothing() {
    let mut r = Register::new();
    let mut f = b("2021-01-01", 12);
    f.reference = Some("DOS-42".into());
    let first = r.accept(Form::B(f.clone()));
    assert_eq!(first.as_str().len(), 15);
    assert_eq!(
        r.send(Form::B(f.clone())),
        Outcome::AlreadyRegistered(first)
    );
    assert_eq!(r.forms.len(), 1);
    assert_eq!(r.events.len(), 1);
    // Another reference is another sending.
    f.reference = Some("DOS-43".into());
    let second = r.accept(Form::B(f));
    assert_eq!(second.as_str(), "B00000000000002");
}

#[test]
fn rights_of_different_pcsas_are_separate_timelines() {
    let mut r = Register::new();
    r.accept(Form::B(b("2021-01-01", 12)));
    let mut elsewhere = b("2021-06-01", 12);
    elsewhere.sender = gent();
    r.accept(Form::B(elsewhere));
    assert_eq!(
        r.periods(),
        periods(&[("2021-01-01", "2021-12-31"), ("2021-06-01", "2022-05-31")])
    );
    assert_eq!(r.events, [ChangeEvent::Create, ChangeEvent::Create]);
}

#[test]
fn a_form_about_someone_not_in_the_register_is_refused() {
    let mut r = Register::new();
    r.person.status = RegisterStatus::Cancelled;
    assert_eq!(r.errors(Form::B(b("2021-01-01", 1))), [("900014", "ssin")]);
}

// Form D: recoveries.

fn recovery(month: &str, sequence: u16, amount: &str, start: &str, end: &str) -> FormD {
    FormD {
        sender: liege(),
        ssin: ssin(),
        recovery_month: crate::domain::Month::parse_xsd(month).unwrap(),
        sequence,
        recovery_type: 1,
        amount: Amount::parse(amount).unwrap(),
        period_start: d(start),
        period_end: d(end),
        regularisation: false,
        reference: None,
    }
}

/// A register where the CPAS granted 12,000.00 a year over 2021.
fn granted_2021() -> Register {
    let mut r = Register::new();
    let mut grant = b("2021-01-01", 12);
    grant.annual_amount = Some(Amount::parse("12000").unwrap());
    r.accept(Form::B(grant));
    r
}

#[test]
fn a_d_period_lasts_at_least_one_day() {
    let mut r = granted_2021();
    let empty = recovery("2021-06", 1, "10", "2021-03-02", "2021-03-01");
    assert_eq!(r.errors(Form::D(empty)), [("900016", "periodEnd")]);
    r.accept(Form::D(recovery(
        "2021-06",
        1,
        "10",
        "2021-03-01",
        "2021-03-01",
    )));
}

#[test]
fn a_d_period_lies_within_one_calendar_year() {
    let mut r = granted_2021();
    let across = recovery("2022-02", 1, "10", "2021-12-01", "2022-01-31");
    assert_eq!(r.errors(Form::D(across)), [("900017", "periodEnd")]);
}

#[test]
fn a_d_period_does_not_straddle_1_july_2014() {
    // The seed's example: 1,000 EUR for 01/01/2014–30/09/2014 is two forms D.
    let mut r = Register::new();
    let mut grant = b("2014-01-01", 12);
    grant.annual_amount = Some(Amount::parse("12000").unwrap());
    r.accept(Form::B(grant));
    let whole = recovery("2015-10", 1, "1000", "2014-01-01", "2014-09-30");
    assert_eq!(r.errors(Form::D(whole)), [("900018", "periodEnd")]);
    r.accept(Form::D(recovery(
        "2015-10",
        1,
        "600",
        "2014-01-01",
        "2014-06-30",
    )));
    r.accept(Form::D(recovery(
        "2015-10",
        2,
        "400",
        "2014-07-01",
        "2014-09-30",
    )));
    assert!(r.events.len() == 1, "a recovery changes no right");
}

#[test]
fn a_d_recovers_no_more_than_was_granted_for_the_period() {
    let mut r = granted_2021();
    // March 2021 is a twelfth of 12,000.00: 1,000.00.
    let too_much = recovery("2021-06", 1, "1000.01", "2021-03-01", "2021-03-31");
    assert_eq!(r.errors(Form::D(too_much)), [("900019", "recoveredAmount")]);
    // Half of April (15 of 30 days) is 500.00.
    let half = recovery("2021-06", 1, "500.01", "2021-04-16", "2021-04-30");
    assert_eq!(r.errors(Form::D(half)), [("900019", "recoveredAmount")]);
    r.accept(Form::D(recovery(
        "2021-06",
        1,
        "1000",
        "2021-03-01",
        "2021-03-31",
    )));
    // Nothing was granted by this CPAS in 2020.
    let before = recovery("2021-06", 2, "0.01", "2020-03-01", "2020-03-31");
    assert_eq!(r.errors(Form::D(before)), [("900019", "recoveredAmount")]);
    // Another CPAS granted nothing at all.
    let mut elsewhere = recovery("2021-06", 1, "1", "2021-03-01", "2021-03-31");
    elsewhere.sender = gent();
    assert_eq!(
        r.errors(Form::D(elsewhere)),
        [("900019", "recoveredAmount")]
    );
}

#[test]
fn d_sequence_numbers_count_per_month_and_beneficiary() {
    let mut r = granted_2021();
    let second_first = recovery("2021-06", 2, "10", "2021-03-01", "2021-03-31");
    assert_eq!(
        r.errors(Form::D(second_first)),
        [("900020", "sequenceNumber")]
    );
    r.accept(Form::D(recovery(
        "2021-06",
        1,
        "10",
        "2021-03-01",
        "2021-03-31",
    )));
    r.accept(Form::D(recovery(
        "2021-06",
        2,
        "10",
        "2021-04-01",
        "2021-04-30",
    )));
    // Another month starts again at 1.
    r.accept(Form::D(recovery(
        "2021-07",
        1,
        "10",
        "2021-05-01",
        "2021-05-31",
    )));
    let repeated = recovery("2021-06", 2, "20", "2021-05-01", "2021-05-31");
    assert_eq!(r.errors(Form::D(repeated)), [("900020", "sequenceNumber")]);
}

#[test]
fn a_d_with_status_1_replaces_the_d_of_the_same_ssin_and_recovery_month() {
    let mut r = granted_2021();
    let mut fix = recovery("2021-06", 1, "20", "2021-03-01", "2021-03-31");
    fix.regularisation = true;
    assert_eq!(r.errors(Form::D(fix.clone())), [("900010", "status")]);
    r.accept(Form::D(recovery(
        "2021-06",
        1,
        "10",
        "2021-03-01",
        "2021-03-31",
    )));
    r.accept(Form::D(fix));
    let in_force = timeline::forms_in_force(&r.forms.iter().collect::<Vec<_>>());
    let ds: Vec<String> = in_force
        .iter()
        .filter_map(|f| match &f.form {
            Form::D(d) => Some(d.amount.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(ds, ["20.00"]);
    // The replaced form does not count: the next one of June is still number 2.
    r.accept(Form::D(recovery(
        "2021-06",
        2,
        "10",
        "2021-04-01",
        "2021-04-30",
    )));
}

#[test]
fn d_recovery_types_are_from_the_list_and_for_their_region_and_dates() {
    let mut r = granted_2021();
    let mut f = recovery("2021-06", 1, "10", "2021-03-01", "2021-03-31");
    f.recovery_type = 2;
    assert_eq!(r.errors(Form::D(f.clone())), [("900002", "recoveryType")]);
    // 34 is Flemish only; the CPAS is in Liège.
    f.recovery_type = 34;
    assert_eq!(r.errors(Form::D(f.clone())), [("900021", "recoveryType")]);
    // 04 ended on 30 June 2014, 30 begins the next day.
    f.recovery_type = 4;
    assert_eq!(r.errors(Form::D(f.clone())), [("900021", "recoveryType")]);
    f.recovery_type = 30;
    r.accept(Form::D(f));
}
