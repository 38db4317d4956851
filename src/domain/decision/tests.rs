//! The rules of seed 003 for forms B, C and D, one test per rule, on an in-memory history.

use super::timeline::{Stretch, Withdrawn};
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

pub(crate) fn b(entry: &str, months: u16) -> FormB {
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
        measures: Box::default(),
        resources: Box::default(),
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
    /// What each registration left of the decided rights, per PCSA.
    decided: std::collections::HashMap<crate::domain::CbeNumber, Vec<DatedRight>>,
    events: Vec<ChangeEvent>,
    /// Each PCSA's own inscriptions of the person.
    own: std::collections::HashMap<crate::domain::CbeNumber, Vec<OwnInscriptions>>,
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
            decided: Default::default(),
            events: Vec::new(),
            own: Default::default(),
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
        let (no_decision, no_inscription) = (Vec::new(), Vec::new());
        let history = History {
            person: Some(&self.person),
            forms: &self.forms,
            rights: &current,
            decided: self.decided.get(&pcsa).unwrap_or(&no_decision),
            own_inscriptions: self.own.get(&pcsa).unwrap_or(&no_inscription),
        };
        let at = Registration {
            number: self.forms.len() as u64 + 1,
            // The n-th form is registered n seconds after the epoch.
            now_ms: 1_000 * (self.forms.len() as i64 + 1),
            today: d("2026-11-22"),
        };
        let outcome = register(form, &history, &at, Vec::new());
        if let Outcome::Accepted {
            form,
            rights,
            decided,
            event,
            inscriptions,
        } = &outcome
        {
            let own = self.own.entry(pcsa).or_default();
            for changed in inscriptions {
                own.retain(|o| o.quality != changed.quality);
                own.push(changed.clone());
            }
            self.decided.insert(pcsa, decided.clone());
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

    /// The errors of a form, none when it is accepted.
    fn found(&mut self, form: Form) -> Vec<(&'static str, &'static str)> {
        match self.send(form) {
            Outcome::Rejected(errors) => errors.iter().map(|e| (e.code.code(), e.field)).collect(),
            Outcome::Accepted { .. } => Vec::new(),
            other => panic!("{other:?}"),
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
    // Category B: 15,770.41 a year from February 2025 (the law's yearly amount; twelve
    // times the monthly 1,314.20 is 15,770.40).
    assert_eq!(
        r.errors(with(Suspension::Unspecified, None)),
        [("900008", "annualAmount")]
    );
    assert_eq!(
        r.errors(with(Suspension::Unspecified, Some("15770.41"))),
        [("900008", "annualAmount")]
    );
    assert_eq!(
        r.errors(with(Suspension::DepartureAbroad, Some("100"))),
        [("900008", "annualAmount")]
    );
    r.accept(with(Suspension::Unspecified, Some("15770.40")));
    let Form::B(mut abroad) = with(Suspension::DepartureAbroad, Some("0")) else {
        unreachable!()
    };
    abroad.regularisation = true;
    r.accept(Form::B(abroad));
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
    family.measures.beneficiary.integration_project = Some(11);
    family.measures.partner.integration_project = Some(8);
    assert_eq!(
        r.errors(Form::B(family.clone())),
        [("900004", "partnerSsin"), ("900025", "partner")]
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
    f.measures.beneficiary.integration_project = Some(11);
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
fn the_income_granted_is_at_most_the_categorys_amount_in_force() {
    // Rubric 61: « Un complément du revenu d'intégration sera octroyé lorsque le montant
    // des ressources [...] sera inférieur au montant du revenu d'intégration selon la
    // catégorie ». Rubric 42's example: category A is 7,284.12 on 1 December 2018.
    let mut r = Register::new();
    let mut f = b("2018-12-01", 6);
    f.category = Category::A;
    f.situation = 1;
    f.annual_amount = euros("7284.13");
    assert_eq!(r.errors(Form::B(f.clone())), [("900032", "annualAmount")]);
    // The equivalent aid of the law of 1965 is the CPAS's to set.
    f.kind = crate::domain::RightKind::EquivalentLivingWage;
    r.accept(Form::B(f.clone()));
    f.kind = crate::domain::RightKind::LivingWage;
    f.regularisation = true;
    f.annual_amount = euros("7284.12");
    r.accept(Form::B(f.clone()));
    // From July 2019 the cohabitant's amount is 7,429.80 (rubric 42's second example).
    f.regularisation = false;
    f.entry_date = d("2019-07-01");
    f.decision_date = f.entry_date;
    f.annual_amount = euros("7429.80");
    r.accept(Form::B(f));
}

#[test]
fn forms_are_dated_from_the_minimex_law_on() {
    // Before 1 October 2002 form B carried the minimex (« Formulaire B minimex » in the
    // statement layout), instituted by the law of 7 August 1974.
    let mut r = Register::new();
    assert_eq!(
        r.errors(Form::B(b("1974-08-06", 12))),
        [("900015", "entryDate")]
    );
    let withdrawal = c("1974-08-06", Nature::Withdrawal, CStatus::New);
    assert_eq!(r.errors(Form::C(withdrawal)), [("900015", "entryDate")]);
    r.accept(Form::B(b("1974-08-07", 12)));
    // No amount of the integration income bounds a minimex decision.
    let mut minimex = b("1990-01-01", 12);
    minimex.annual_amount = euros("99999");
    r.accept(Form::B(minimex));
}

#[test]
fn the_installation_premium_is_once_in_a_life_from_1997() {
    // Rubric 62: « Depuis le 1er janvier 1997, cette majoration ne peut être octroyée
    // qu'une seule fois »: a premium of a minimex decision of 1996 does not count.
    let mut r = Register::new();
    let mut old = b("1996-06-01", 6);
    old.installation_premium = euros("500");
    r.accept(Form::B(old));
    let mut now = b("2025-02-01", 12);
    now.installation_premium = euros("1776.07");
    r.accept(Form::B(now));
}

#[test]
fn a_regularised_revision_may_restate_the_premium_it_forgot() {
    let mut r = Register::new();
    let mut first = b("2021-01-01", 12);
    first.installation_premium = euros("1330.74");
    r.accept(Form::B(first.clone()));
    // The revision forgot the premium; its regularisation restates it.
    let revision = FormB {
        entry_date: d("2021-06-01"),
        decision_date: d("2021-06-01"),
        installation_premium: None,
        ..first.clone()
    };
    r.accept(Form::B(revision.clone()));
    r.accept(Form::B(FormB {
        regularisation: true,
        installation_premium: first.installation_premium,
        ..revision
    }));
}

#[test]
fn the_installation_premium_is_the_monthly_amount_of_category_e() {
    // Rubric 62: « il s'agit ici toujours du montant mensuel applicable pour la
    // catégorie E et ce indépendamment de la catégorie réelle du bénéficiaire ».
    let mut r = Register::new();
    let mut f = b("2025-02-01", 12);
    f.installation_premium = euros("1314.20");
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [("900033", "installationPremium")]
    );
    f.installation_premium = euros("1776.07");
    r.accept(Form::B(f));
}

#[test]
fn a_revision_restates_the_installation_premium_without_granting_it_again() {
    // Rubric 4: « TOUTES les données (donc également celles qui ne changent pas)
    // doivent être reprises dans le formulaire B ».
    let mut r = Register::new();
    let mut first = b("2021-01-01", 12);
    first.installation_premium = euros("1330.74");
    r.accept(Form::B(first.clone()));
    let mut revision = first.clone();
    revision.entry_date = d("2021-06-01");
    revision.decision_date = revision.entry_date;
    revision.annual_amount = euros("5000");
    // Another amount is not a restatement.
    revision.installation_premium = euros("1449.15");
    assert_eq!(
        r.errors(Form::B(revision.clone())),
        [("900033", "installationPremium")]
    );
    revision.installation_premium = first.installation_premium;
    r.accept(Form::B(revision.clone()));
    // After a gap the same CPAS's new B is no revision: a second premium.
    let mut later = revision;
    later.entry_date = d("2023-01-01");
    later.decision_date = later.entry_date;
    assert_eq!(
        r.errors(Form::B(later)),
        [
            ("900009", "installationPremium"),
            ("900033", "installationPremium")
        ]
    );
}

#[test]
fn the_installation_premium_is_granted_once_in_a_life_whichever_cpas() {
    let mut r = Register::new();
    let mut first = b("2021-01-01", 12);
    // The monthly amount of category E on 1 January 2021: 15,968.89 / 12.
    first.installation_premium = Some(Amount::parse("1330.74").unwrap());
    r.accept(Form::B(first.clone()));
    // Its own regularisation may restate it ...
    let mut fix = first.clone();
    fix.regularisation = true;
    fix.duration.months = 6;
    r.accept(Form::B(fix));
    // ... but no other B, from this CPAS or another, may grant it again.
    let mut again = b("2022-01-01", 12);
    again.installation_premium = Some(Amount::parse("1449.15").unwrap());
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
    // Another reference is another sending: of a B of the same date, a correction.
    f.reference = Some("DOS-43".into());
    assert_eq!(r.errors(Form::B(f.clone())), [("900029", "status")]);
    f.regularisation = true;
    let second = r.accept(Form::B(f));
    assert_eq!(second.as_str(), "B00000000000002");
}

/// The CPAS de Liège's own inscriptions of the person: quality 2 (integration income)
/// and 9 (other guidance), both from 2021 without end.
fn liege_inscribed(r: &mut Register) {
    let from_2021 = crate::domain::OpenPeriod::new(d("2021-01-01"), None).unwrap();
    r.own.insert(
        liege().cbe,
        [2, 9]
            .map(|q| OwnInscriptions {
                quality: crate::domain::QualityCode::new(q).unwrap(),
                periods: vec![from_2021],
            })
            .to_vec(),
    );
}

/// The periods of the CPAS de Liège's own inscriptions in quality `q`.
fn own_periods(r: &Register, q: u8) -> Vec<(String, Option<String>)> {
    r.own[&liege().cbe]
        .iter()
        .filter(|o| o.quality.code() == q)
        .flat_map(|o| o.periods.iter())
        .map(|p| (p.begin().to_string(), p.end().map(|e| e.to_string())))
        .collect()
}

#[test]
fn a_withdrawal_ends_the_cpass_own_inscription_of_the_right_it_withdraws() {
    // Form C: « retire les droits dérivés de la personne, la désintègre au niveau de la
    // banque carrefour ».
    let mut r = Register::new();
    liege_inscribed(&mut r);
    r.accept(Form::B(b("2021-01-01", 12)));
    let withdrawal = c("2021-04-15", Nature::Withdrawal, CStatus::New);
    r.accept(Form::C(withdrawal.clone()));
    let ended = vec![("2021-01-01".to_owned(), Some("2021-04-14".to_owned()))];
    assert_eq!(own_periods(&r, 2), ended);
    // Guidance (quality 9) is another file of the CPAS.
    assert_eq!(own_periods(&r, 9), [("2021-01-01".to_owned(), None)]);
    // A regularisation moves the end to its own stop date.
    let mut fix = withdrawal.clone();
    fix.status = CStatus::Regularisation;
    fix.effective_stop = Some(d("2021-03-01"));
    r.accept(Form::C(fix.clone()));
    assert_eq!(
        own_periods(&r, 2),
        [("2021-01-01".to_owned(), Some("2021-02-28".to_owned()))]
    );
    // Cancelled, the withdrawal « ne semble jamais avoir existé »: the inscription runs
    // again over the right restored, to its end.
    r.accept(Form::C(FormC {
        status: CStatus::Withdrawal,
        ..fix
    }));
    assert_eq!(
        own_periods(&r, 2),
        [("2021-01-01".to_owned(), Some("2021-12-31".to_owned()))]
    );
    // Withdrawn again, then regularised into a refusal: the inscription runs again.
    r.accept(Form::C(withdrawal.clone()));
    assert_eq!(own_periods(&r, 2), ended);
    r.accept(Form::C(FormC {
        status: CStatus::Regularisation,
        nature: Nature::Refusal,
        ..withdrawal
    }));
    assert_eq!(
        own_periods(&r, 2),
        [("2021-01-01".to_owned(), Some("2021-12-31".to_owned()))]
    );
    // A refusal ends nothing.
    r.accept(Form::C(c("2021-06-01", Nature::Refusal, CStatus::New)));
    assert_eq!(
        own_periods(&r, 2),
        [("2021-01-01".to_owned(), Some("2021-12-31".to_owned()))]
    );
}

#[test]
fn a_second_b_of_the_same_date_is_a_regularisation_with_status_1() {
    // Rubric 80: « le CPAS peut envoyer un formulaire B en vue d'une régularisation
    // [...] doit avoir la même date d'entrée en vigueur [...] le code '1' ».
    let mut r = Register::new();
    let first = r.accept(Form::B(b("2021-01-01", 12)));
    let correction = b("2021-01-01", 6);
    let refused = r.send(Form::B(correction.clone()));
    let Outcome::Rejected(errors) = refused else {
        panic!("accepted: {refused:?}")
    };
    let [e] = errors.as_slice() else {
        panic!("{errors:?}")
    };
    assert_eq!((e.code.code(), e.field), ("900029", "status"));
    assert!(e.message.contains(first.as_str()), "{}", e.message);
    assert_eq!(r.periods(), periods(&[("2021-01-01", "2021-12-31")]));
    // Another date is a revision, status 0 as before.
    r.accept(Form::B(b("2021-03-01", 12)));
    r.accept(Form::B(FormB {
        regularisation: true,
        ..correction
    }));
    assert_eq!(
        r.periods(),
        periods(&[("2021-01-01", "2021-02-28"), ("2021-03-01", "2022-02-28")])
    );
    // Other CPAS, other timeline: their B of that date is their own decision.
    r.accept(Form::B(b_of(gent(), "2021-01-01")));
}

#[test]
fn a_cancelled_c_no_longer_exists_and_sent_again_withdraws_again() {
    // Form C, rubric 21: « Le formulaire C initial est ensuite annulé; il ne semble
    // jamais avoir existé. »
    let mut r = Register::new();
    r.accept(Form::B(b("2021-01-01", 12)));
    let withdrawal = c("2021-04-15", Nature::Withdrawal, CStatus::New);
    let first = r.accept(Form::C(withdrawal.clone()));
    let cancel = FormC {
        status: CStatus::Withdrawal,
        ..withdrawal.clone()
    };
    let cancelled = r.accept(Form::C(cancel.clone()));
    // The status-9 C sent again while its C stays cancelled: the same answer.
    assert_eq!(
        r.send(Form::C(cancel.clone())),
        Outcome::AlreadyRegistered(cancelled.clone())
    );
    assert_eq!(r.periods(), periods(&[("2021-01-01", "2021-12-31")]));
    // The same C again is a new withdrawal, with its own attestation.
    let again = r.accept(Form::C(withdrawal));
    assert_ne!(again, first);
    assert_eq!(r.periods(), periods(&[("2021-01-01", "2021-04-14")]));
    // And the status-9 C cancels that one in turn.
    let cancelled_again = r.accept(Form::C(cancel));
    assert_ne!(cancelled_again, cancelled);
    assert_eq!(r.periods(), periods(&[("2021-01-01", "2021-12-31")]));
    assert_eq!(
        r.events,
        [
            ChangeEvent::Create,
            ChangeEvent::Modify,
            ChangeEvent::Modify,
            ChangeEvent::Modify,
            ChangeEvent::Modify
        ]
    );
}

#[test]
fn a_regularisation_replaces_the_b_sent_since_a_whole_withdrawal() {
    // Rubric 80: the regularisation « remplacera ensuite le formulaire B envoyé
    // précédemment »: after a withdrawal emptied the first B of the date, the B sent
    // since.
    let mut r = Register::new();
    r.accept(Form::B(b("2021-01-01", 12)));
    r.accept(Form::C(c("2021-01-01", Nature::Withdrawal, CStatus::New)));
    r.accept(Form::B(b("2021-01-01", 6)));
    r.accept(Form::B(FormB {
        regularisation: true,
        ..b("2021-01-01", 3)
    }));
    assert_eq!(r.periods(), periods(&[("2021-01-01", "2021-03-31")]));
}

#[test]
fn a_c_withdraws_whole_the_bs_decided_before_it_that_start_after_its_stop() {
    // A B decided for March 2021, then the note's late withdrawal (entry date
    // 15/02/2021, stop 01/12/2020): no B decided before the C survives the stop.
    let mut r = Register::new();
    r.accept(Form::B(b("2020-06-01", 12)));
    let march = r.accept(Form::B(b("2021-03-01", 6)));
    let mut late = c("2021-02-15", Nature::Withdrawal, CStatus::New);
    late.effective_stop = Some(d("2020-12-01"));
    let c = r.accept(Form::C(late));
    assert_eq!(r.periods(), periods(&[("2020-06-01", "2020-11-30")]));
    let decided = r.decided();
    let emptied = decided
        .iter()
        .find(|d| d.right.attestation == march)
        .unwrap();
    assert_eq!(emptied.right.period, None);
    assert_eq!(
        emptied.right.withdrawal.as_ref().map(|w| &w.attestation),
        Some(&c)
    );
}

#[test]
fn a_b_withdrawn_whole_revises_no_later_decision() {
    // B from March, withdrawn from its first day; then a B from February for a year,
    // decided after the withdrawal: the withdrawn B does not cut it in March.
    let mut r = Register::new();
    r.accept(Form::B(b("2021-03-01", 12)));
    r.accept(Form::C(c("2021-03-01", Nature::Withdrawal, CStatus::New)));
    r.accept(Form::B(b("2021-02-01", 12)));
    assert_eq!(r.periods(), periods(&[("2021-02-01", "2022-01-31")]));
}

#[test]
fn a_status_9_c_has_the_same_data_but_for_its_own_reference() {
    // Rubric 21: « il remplit un formulaire C avec exactement les mêmes données ». The
    // reference (rubric 22) is the CPAS's bookkeeping, not data of the decision.
    let mut r = Register::new();
    r.accept(Form::B(b("2021-01-01", 12)));
    let mut withdrawal = c("2021-04-15", Nature::Withdrawal, CStatus::New);
    withdrawal.reference = Some("RET-1".into());
    r.accept(Form::C(withdrawal.clone()));
    let mut cancel = FormC {
        status: CStatus::Withdrawal,
        reference: Some("ANN-1".into()),
        ..withdrawal
    };
    cancel.effective_stop = Some(d("2021-04-01"));
    assert_eq!(r.errors(Form::C(cancel.clone())), [("900011", "status")]);
    cancel.effective_stop = None;
    r.accept(Form::C(cancel));
    assert_eq!(r.periods(), periods(&[("2021-01-01", "2021-12-31")]));
}

#[test]
fn a_b_replaced_by_its_regularisation_is_judged_anew_when_sent_again() {
    let mut r = Register::new();
    let wrong = b("2021-01-01", 12);
    r.accept(Form::B(wrong.clone()));
    let right = FormB {
        regularisation: true,
        ..b("2021-01-01", 6)
    };
    let regularised = r.accept(Form::B(right.clone()));
    // The replaced B is not in force: judged as a new status-0 B of that date.
    assert_eq!(r.errors(Form::B(wrong.clone())), [("900029", "status")]);
    // Regularised back, then forward again: each a new registration.
    r.accept(Form::B(FormB {
        regularisation: true,
        ..wrong
    }));
    assert_eq!(r.periods(), periods(&[("2021-01-01", "2021-12-31")]));
    let forward = r.accept(Form::B(right.clone()));
    assert_ne!(forward, regularised);
    assert_eq!(r.periods(), periods(&[("2021-01-01", "2021-06-30")]));
    assert_eq!(r.send(Form::B(right)), Outcome::AlreadyRegistered(forward));
}

#[test]
fn a_c_ends_the_b_in_force_when_it_was_registered_not_a_later_decision() {
    // Form C, rubric 4: « la date à partir de laquelle le formulaire B en cours n'est
    // plus valable »; the note's example: noticed on 15/02/2021 that the aid should
    // have ended on 01/12/2020.
    let late = || {
        let mut c = c("2021-02-15", Nature::Withdrawal, CStatus::New);
        c.effective_stop = Some(d("2020-12-01"));
        c
    };
    // A B registered after the C, from 4 January 2021 (between the stop date and the
    // C's entry date), is a later decision: the C does not erase it.
    let mut r = Register::new();
    r.accept(Form::B(b("2020-06-01", 12)));
    r.accept(Form::C(late()));
    r.accept(Form::B(b("2021-01-04", 6)));
    let later = periods(&[("2020-06-01", "2020-11-30"), ("2021-01-04", "2021-07-03")]);
    assert_eq!(r.periods(), later);
    // Registered before the C, the same B was in force, and the C ends it whole.
    let mut r = Register::new();
    r.accept(Form::B(b("2020-06-01", 12)));
    r.accept(Form::B(b("2021-01-04", 6)));
    r.accept(Form::C(late()));
    assert_eq!(r.periods(), periods(&[("2020-06-01", "2020-11-30")]));
    // A regularisation corrects a decision in its place: the B regularised after the
    // C is still the B the C ended, and the C regularised after the later B still
    // leaves that B alone.
    let mut r = Register::new();
    r.accept(Form::B(b("2020-06-01", 12)));
    r.accept(Form::C(late()));
    r.accept(Form::B(FormB {
        regularisation: true,
        ..b("2020-06-01", 11)
    }));
    assert_eq!(r.periods(), periods(&[("2020-06-01", "2020-11-30")]));
    r.accept(Form::B(b("2021-01-04", 6)));
    let mut fix = late();
    fix.status = CStatus::Regularisation;
    fix.decision_date = d("2021-02-16");
    r.accept(Form::C(fix));
    assert_eq!(r.periods(), later);
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

/// A form B of category E, a couple with a child, granted 12,000.00 a year (below the
/// category's amount from 2013 on).
fn family_granted_12000(entry: &str) -> FormB {
    let mut family = b(entry, 12);
    family.category = Category::E;
    family.situation = 28;
    family.study_grant = 3;
    family.partner = Some(partner());
    family.measures.beneficiary.integration_project = Some(11);
    family.measures.partner.integration_project = Some(8);
    family.annual_amount = Some(Amount::parse("12000").unwrap());
    family
}

/// A register where the CPAS granted 12,000.00 a year over 2021.
fn granted_2021() -> Register {
    let mut r = Register::new();
    let grant = family_granted_12000("2021-01-01");
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
    r.accept(Form::B(family_granted_12000("2014-01-01")));
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

// Rubrics 21–25, 31–42 and 63–72.

/// A form of the CPAS `sender` from `entry`, for the rules that depend on the region.
fn b_of(sender: Sender, entry: &str) -> FormB {
    FormB {
        sender,
        ..b(entry, 12)
    }
}

fn brussels() -> Sender {
    sender("02072577", "21004")
}

fn eupen() -> Sender {
    sender("02084557", "63023")
}

/// A code that does not apply there or then (900024) on `field`, or no error.
fn only_if(refused: bool, field: &'static str) -> Vec<(&'static str, &'static str)> {
    if refused {
        vec![("900024", field)]
    } else {
        Vec::new()
    }
}

fn art60(employment_type: u8) -> Art60Employment {
    Art60Employment {
        employment_type: Some(employment_type),
        ..Art60Employment::default()
    }
}

#[test]
fn category_e_needs_an_integration_project_for_beneficiary_and_partner() {
    let mut r = Register::new();
    let mut family = b("2021-01-01", 12);
    family.category = Category::E;
    family.situation = 28;
    family.study_grant = 3;
    family.partner = Some(partner());
    assert_eq!(
        r.errors(Form::B(family.clone())),
        [
            ("900026", "beneficiary/integrationProject"),
            ("900026", "partner/integrationProject")
        ]
    );
    family.measures.beneficiary.integration_project = Some(11);
    // Code 8: no project, for reasons of health or equity.
    family.measures.partner.integration_project = Some(8);
    r.accept(Form::B(family));
}

#[test]
fn employment_types_apply_in_their_region_from_their_date() {
    let mut r = Register::new();
    for (sender, entry, code, refused) in [
        (gent(), "2017-01-01", 3, false),
        (liege(), "2017-01-01", 3, true),
        (gent(), "2020-01-01", 1, true),
        (brussels(), "2021-12-31", 2, false),
        (brussels(), "2022-01-01", 2, true),
        (brussels(), "2020-01-01", 5, false),
        (liege(), "2024-12-31", 7, true),
        (liege(), "2025-01-01", 8, false),
        (eupen(), "2025-01-01", 8, true),
    ] {
        let mut f = b_of(sender, entry);
        f.measures.beneficiary.art60 = Some(art60(code));
        let expected = only_if(refused, "beneficiary/art60Employment/employmentType");
        assert_eq!(r.found(Form::B(f)), expected, "code {code} at {entry}");
    }
}

#[test]
fn the_occupation_rate_replaces_the_schedule_in_wallonia_from_2025() {
    let mut r = Register::new();
    let mut f = b_of(liege(), "2025-01-01");
    f.measures.beneficiary.art60 = Some(Art60Employment {
        work_schedule: Some(3),
        ..art60(8)
    });
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [("900024", "beneficiary/art60Employment/workSchedule")]
    );
    let mut g = b_of(gent(), "2025-01-01");
    g.measures.beneficiary.art60 = Some(Art60Employment {
        occupation_rate: Some(80),
        ..art60(3)
    });
    assert_eq!(
        r.errors(Form::B(g)),
        [("900024", "beneficiary/art60Employment/occupationRate")]
    );
    f.measures.beneficiary.art60 = Some(Art60Employment {
        occupation_rate: Some(80),
        ..art60(8)
    });
    r.accept(Form::B(f));
}

#[test]
fn the_german_speaking_cpas_are_not_under_the_walloon_reform_of_2025() {
    // Rubric 63: the subsidy follows the integration income in « Région Flamande,
    // Bruxelles et cantons germanophones »; rubric 21's reform is « en Wallonie ».
    let mut r = Register::new();
    let mut f = b_of(eupen(), "2025-03-01");
    f.measures.beneficiary.art60 = Some(Art60Employment {
        occupation_rate: Some(80),
        ..art60(8)
    });
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [
            ("900024", "beneficiary/art60Employment/employmentType"),
            ("900024", "beneficiary/art60Employment/occupationRate")
        ]
    );
    // The schedule, an article 60 subsidy above the Walloon flat rate, and an article
    // 61 subsidy on the same form: as before the reform.
    f.measures.beneficiary.art60 = Some(Art60Employment {
        work_schedule: Some(3),
        ..art60(1)
    });
    // Full-time, at most category E's 21,312.87 a year (rubric 63), not the flat rate.
    f.measures.beneficiary.subsidies.art60 = euros("21312.88");
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [("900027", "subsidies/beneficiary/art60")]
    );
    f.measures.beneficiary.subsidies.art60 = euros("21312.87");
    f.measures.partner.subsidies.art61 = Some(Amount::parse("3000").unwrap());
    f.partner = Some(partner());
    f.measures.partner.art60 = Some(art60(1));
    r.accept(Form::B(f));
    // Recovery types 40–45 are for the Walloon Region's contracts from 2025.
    let mut d = recovery("2025-06", 1, "100", "2025-03-01", "2025-03-31");
    d.sender = eupen();
    d.recovery_type = 41;
    assert_eq!(r.errors(Form::D(d.clone())), [("900021", "recoveryType")]);
    d.sender = liege();
    r.accept(Form::D(d));
}

#[test]
fn workplace_19_ends_the_day_before_the_29th_birthday() {
    // The beneficiary was born on 31 July 1985.
    let mut r = Register::new();
    let mut f = b_of(gent(), "2014-07-31");
    f.measures.beneficiary.art60 = Some(Art60Employment {
        workplace: Some(19),
        ..art60(1)
    });
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [("900024", "beneficiary/art60Employment/workplace")]
    );
    f.entry_date = d("2014-07-30");
    f.decision_date = f.entry_date;
    r.accept(Form::B(f));
}

#[test]
fn ptp_in_wallonia_from_july_2017_needs_the_regions_confirmation_350101() {
    let mut r = Register::new();
    let mut f = b_of(liege(), "2017-07-01");
    f.measures.beneficiary.activation = Some(2);
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [("350101", "beneficiary/activation")]
    );
    // Not for the German-speaking CPAS, nor before July 2017.
    let mut eupen_ptp = f.clone();
    eupen_ptp.sender = eupen();
    assert_eq!(r.found(Form::B(eupen_ptp)), []);
    f.entry_date = d("2017-06-30");
    f.decision_date = f.entry_date;
    r.accept(Form::B(f));
}

#[test]
fn activa_and_insertion_temping_in_wallonia_from_july_2017_are_refused_320771() {
    let mut r = Register::new();
    for code in [14, 15, 16, 17] {
        let mut f = b_of(liege(), "2018-01-01");
        f.measures.beneficiary.activation = Some(code);
        assert_eq!(r.errors(Form::B(f)), [("320771", "beneficiary/activation")]);
    }
}

#[test]
fn activation_codes_end_by_region() {
    for (sender, entry, code, refused) in [
        (gent(), "2017-01-01", 12, false),
        (gent(), "2017-01-01", 15, true),
        (gent(), "2016-12-31", 15, false),
        (eupen(), "2019-01-01", 12, true),
        (brussels(), "2021-01-01", 2, true),
        (brussels(), "2021-01-01", 16, false),
    ] {
        let mut r = Register::new();
        let mut f = b_of(sender, entry);
        f.measures.beneficiary.activation = Some(code);
        let expected = only_if(refused, "beneficiary/activation");
        assert_eq!(r.found(Form::B(f)), expected, "code {code} at {entry}");
    }
}

#[test]
fn partnership_conventions_end_in_wallonia_in_2017_but_for_the_german_speaking_cpas() {
    let mut r = Register::new();
    let mut f = b_of(liege(), "2017-01-01");
    f.measures.beneficiary.partnership_convention = Some(1);
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [("900024", "beneficiary/partnershipConvention")]
    );
    f.sender = eupen();
    f.measures.beneficiary.subsidies.partnership_convention = Some(Amount::from_cents(25_000));
    r.accept(Form::B(f));
}

#[test]
fn integration_project_codes_end_on_their_date() {
    let mut r = Register::new();
    for (entry, code, refused) in [
        ("2016-10-31", 3, false),
        ("2016-11-01", 3, true),
        ("2018-09-30", 12, false),
        ("2018-10-01", 12, true),
        ("2026-01-01", 11, false),
    ] {
        let mut f = b(entry, 12);
        f.measures.beneficiary.integration_project = Some(code);
        let expected = only_if(refused, "beneficiary/integrationProject");
        assert_eq!(r.found(Form::B(f)), expected, "code {code} at {entry}");
    }
}

#[test]
fn a_working_students_income_goes_in_rubric_31_with_a_study_grant() {
    let mut r = Register::new();
    let mut f = b("2021-01-01", 12);
    f.measures.beneficiary.integration_project = Some(10);
    f.resources.income.beneficiary.art35 = Some(Amount::from_cents(300_000));
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [
            ("900026", "studyGrant"),
            ("900002", "beneficiary/professionalIncomeArt35")
        ]
    );
    f.study_grant = 1;
    f.resources.income.beneficiary = Income {
        professional: Some(Amount::from_cents(300_000)),
        ..Income::default()
    };
    r.accept(Form::B(f));
}

#[test]
fn rubrics_about_the_partner_need_the_partners_ssin() {
    let mut r = Register::new();
    let mut f = b("2021-01-01", 12);
    f.resources.income.partner.professional = Some(Amount::from_cents(100));
    assert_eq!(r.errors(Form::B(f.clone())), [("900025", "partner")]);
    f.resources.income.partner = Income::default();
    f.measures.partner.socio_professional_integration = Some(4);
    assert_eq!(r.errors(Form::B(f)), [("900025", "partner")]);
}

#[test]
fn a_subsidy_needs_the_measure_it_pays_for() {
    let mut r = Register::new();
    let mut f = b_of(gent(), "2021-01-01");
    let s = &mut f.measures.beneficiary.subsidies;
    s.art60 = Some(Amount::from_cents(600_000));
    s.activation = Some(Amount::from_cents(100_000));
    s.partnership_convention = Some(Amount::from_cents(25_000));
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [
            ("900026", "subsidies/beneficiary/art60"),
            ("900026", "subsidies/beneficiary/activation"),
            ("900026", "subsidies/beneficiary/partnershipConvention")
        ]
    );
    let m = &mut f.measures.beneficiary;
    m.art60 = Some(art60(3));
    m.activation = Some(12);
    m.partnership_convention = Some(1);
    r.accept(Form::B(f));
}

#[test]
fn subsidies_stay_within_their_ceilings() {
    let mut r = Register::new();
    let mut f = b_of(gent(), "2021-01-01");
    let m = &mut f.measures.beneficiary;
    m.art60 = Some(Art60Employment {
        work_schedule: Some(1),
        ..art60(3)
    });
    m.activation = Some(12);
    m.partnership_convention = Some(1);
    m.subsidies = Subsidies {
        art61: Some(Amount::from_cents(150_001)),
        activation: Some(Amount::from_cents(522_001)),
        partnership_convention: Some(Amount::from_cents(25_001)),
        alimony: Some(Amount::from_cents(110_001)),
        ..Subsidies::default()
    };
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [
            ("900027", "subsidies/beneficiary/art61"),
            ("900027", "subsidies/beneficiary/activation"),
            ("900027", "subsidies/beneficiary/partnershipConvention"),
            ("900027", "subsidies/beneficiary/alimony")
        ]
    );
    f.measures.beneficiary.subsidies = Subsidies {
        art61: Some(Amount::from_cents(150_000)),
        activation: Some(Amount::from_cents(522_000)),
        partnership_convention: Some(Amount::from_cents(25_000)),
        alimony: Some(Amount::from_cents(110_000)),
        ..Subsidies::default()
    };
    r.accept(Form::B(f));
}

/// A form B of `sender` from `entry` lasting `days` days.
fn b_for_days(sender: Sender, entry: &str, days: u16) -> FormB {
    FormB {
        duration: Duration {
            days,
            ..Duration::default()
        },
        ..b_of(sender, entry)
    }
}

fn euros(text: &str) -> Option<Amount> {
    Some(Amount::parse(text).unwrap())
}

#[test]
fn article_61_needs_rubric_21_only_under_the_walloon_reform() {
    // Rubric 21: « Pour une demande subvention art.61, les rubriques type de mise au
    // travail et le taux d'occupation art.60 devront être remplis [...] (ce qui n'était
    // pas le cas auparavant) ».
    for (sender, entry, refused) in [
        (gent(), "2021-01-01", false),
        (liege(), "2024-12-01", false),
        (eupen(), "2025-03-01", false),
        (liege(), "2025-03-01", true),
    ] {
        let mut r = Register::new();
        let mut f = b_of(sender, entry);
        f.measures.beneficiary.subsidies.art61 = euros("1500");
        let expected = if refused {
            vec![("900026", "subsidies/beneficiary/art61")]
        } else {
            Vec::new()
        };
        assert_eq!(r.found(Form::B(f)), expected, "{entry}");
    }
}

#[test]
fn article_61_ceilings_follow_the_work_schedule() {
    // Rubric 65: 125, 187.50, 200 and 250 « par mois de travail complet » half-time,
    // 3/4, 4/5 and full-time; the schedule's code 2 (between half- and full-time) is
    // held to 4/5's, and no schedule to full-time's.
    for (schedule, ceiling) in [
        (Some(1), "1500.00"),
        (Some(2), "2400.00"),
        (Some(3), "3000.00"),
        (None, "3000.00"),
    ] {
        let mut r = Register::new();
        let mut f = b_of(gent(), "2021-01-01");
        let m = &mut f.measures.beneficiary;
        m.art60 = schedule.map(|s| Art60Employment {
            work_schedule: Some(s),
            ..art60(3)
        });
        let ceiling = Amount::parse(ceiling).unwrap();
        m.subsidies.art61 = Some(Amount::from_cents(ceiling.cents() + 1));
        assert_eq!(
            r.errors(Form::B(f.clone())),
            [("900027", "subsidies/beneficiary/art61")],
            "{schedule:?}"
        );
        f.measures.beneficiary.subsidies.art61 = Some(ceiling);
        r.accept(Form::B(f));
    }
}

#[test]
fn the_brussels_training_premium_is_3000_over_36_months_one_month_per_form() {
    let premium = |entry: &str, days: u16, amount: &str| {
        let mut f = b_for_days(brussels(), entry, days);
        f.measures.beneficiary.subsidies.art61 = euros(amount);
        Form::B(f)
    };
    let mut r = Register::new();
    // « Un formulaire art.61 du 20/01/2020 pour une durée de 18 jours sera refusé car
    // il déborde sur le mois de février ».
    assert_eq!(
        r.errors(premium("2020-01-20", 18, "1000")),
        [("900030", "duration")]
    );
    r.accept(premium("2020-01-20", 12, "1000"));
    // No ceiling by schedule any more: 2,000 for a half-time month is within the 3,000.
    let Form::B(mut half_time) = premium("2020-02-01", 29, "2000") else {
        unreachable!()
    };
    half_time.measures.beneficiary.art60 = Some(Art60Employment {
        work_schedule: Some(1),
        ..art60(5)
    });
    r.accept(Form::B(half_time));
    assert_eq!(
        r.errors(premium("2020-03-01", 31, "0.01")),
        [("900031", "subsidies/beneficiary/art61")]
    );
    // Before 2020 the Brussels premium was monthly, by the schedule's ceiling.
    let mut before = Register::new();
    assert_eq!(
        before.errors(premium("2019-12-01", 31, "3000.01")),
        [("900027", "subsidies/beneficiary/art61")]
    );

    // « Ce contingent pourra être réparti sur les 36 mois qui suivent la première
    // demande »: from 20 January 2020, until 19 January 2023.
    let mut r = Register::new();
    r.accept(premium("2020-01-20", 12, "250"));
    r.accept(premium("2023-01-19", 1, "250"));
    assert_eq!(
        r.errors(premium("2023-01-20", 12, "250")),
        [("900031", "subsidies/beneficiary/art61")]
    );
    // A regularisation replaces its form's premium instead of adding to it.
    r.accept(Form::B(FormB {
        regularisation: true,
        ..match premium("2023-01-19", 1, "2750") {
            Form::B(b) => b,
            _ => unreachable!(),
        }
    }));
}

#[test]
fn article_60_follows_category_e_outside_the_walloon_reform() {
    // Rubric 63: full-time « le montant annuel indexé de la catégorie E », at least
    // half-time 6,000, + 25 % under 25; Brussels' contracts from 2020 « plafonnée au
    // montant de la catégorie 3 », « divisé par le régime de travail » part-time. The
    // beneficiary was born on 31 July 1985: under 25 in 2008.
    for (sender, entry, employment_type, schedule, ceiling) in [
        (liege(), "2021-01-01", 1, Some(3), Some("15968.89")),
        (liege(), "2021-01-01", 2, None, Some("15968.89")),
        (liege(), "2021-01-01", 1, Some(1), Some("6000.00")),
        (gent(), "2008-06-01", 1, Some(2), Some("7500.00")),
        // 11,161.70 from May 2008, and a quarter more.
        (gent(), "2008-06-01", 1, Some(3), Some("13952.13")),
        (brussels(), "2021-01-01", 5, Some(1), Some("7984.45")),
        (brussels(), "2021-01-01", 6, Some(3), Some("15968.89")),
        (eupen(), "2025-03-01", 2, Some(2), Some("6000.00")),
        // The Flemish minimum income and pre-2002 amounts are not in the note.
        (gent(), "2021-01-01", 3, Some(3), None),
        (gent(), "2001-01-01", 1, Some(3), None),
    ] {
        let mut f = b_of(sender, entry);
        f.measures.beneficiary.art60 = Some(Art60Employment {
            work_schedule: schedule,
            ..art60(employment_type)
        });
        let case = format!("{entry} {employment_type} {schedule:?}");
        let mut r = Register::new();
        let Some(limit) = ceiling.map(|c| Amount::parse(c).unwrap()) else {
            f.measures.beneficiary.subsidies.art60 = euros("50000");
            assert_eq!(r.found(Form::B(f)), [], "{case}");
            continue;
        };
        f.measures.beneficiary.subsidies.art60 = Some(Amount::from_cents(limit.cents() + 1));
        let above = [("900027", "subsidies/beneficiary/art60")];
        assert_eq!(r.found(Form::B(f.clone())), above, "{case}");
        f.measures.beneficiary.subsidies.art60 = Some(limit);
        assert_eq!(r.found(Form::B(f)), [], "{case}");
    }
}

#[test]
fn sine_and_article_60_together_stay_within_the_walloon_flat_rate() {
    // Rubric 21: « La combinaison SINE + Art.60 sur un même formulaire sera autorisée
    // pour autant que la somme des 2 demandes ne dépasse pas le forfait ».
    let mut r = Register::new();
    let mut f = b_of(liege(), "2025-03-01");
    let m = &mut f.measures.beneficiary;
    m.art60 = Some(Art60Employment {
        occupation_rate: Some(100),
        ..art60(7)
    });
    m.activation = Some(12);
    m.subsidies.art60 = euros("30000");
    m.subsidies.activation = euros("1602.73");
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [("900027", "subsidies/beneficiary/art60")]
    );
    f.measures.beneficiary.subsidies.activation = euros("1602.72");
    r.accept(Form::B(f));
}

#[test]
fn a_social_economy_article_60_form_ends_with_the_year() {
    // Rubric 63: « la durée du formulaire B doit être limitée au 31/12 de l'année en
    // cours ».
    let mut r = Register::new();
    let mut f = b_of(gent(), "2021-03-01");
    f.measures.beneficiary.art60 = Some(Art60Employment {
        workplace: Some(15),
        ..art60(3)
    });
    f.measures.beneficiary.subsidies.art60 = euros("10000");
    assert_eq!(r.errors(Form::B(f.clone())), [("900030", "duration")]);
    f.duration.months = 10;
    r.accept(Form::B(f.clone()));
    // Without the subsidy the year's ceiling does not concern the form.
    let mut g = b_of(gent(), "2022-03-01");
    g.measures.beneficiary.art60 = f.measures.beneficiary.art60.clone();
    r.accept(Form::B(g));
}

#[test]
fn activation_codes_1_10_11_4_and_5_only_continue_a_decision_in_progress() {
    // Rubric 24: « Les codes 4 et 5 ne peuvent être utilisés après le 1er octobre 2002
    // que pour les décisions en cours », « Les codes 1, 10 et 11 ne peuvent être
    // utilisés après le 1er janvier 2002 que pour les décisions en cours ».
    let with = |entry: &str, months: u16, code: u8| {
        let mut f = b(entry, months);
        f.measures.beneficiary.activation = Some(code);
        Form::B(f)
    };
    let refused = [("900024", "beneficiary/activation")];
    for code in [1, 10, 11] {
        let mut r = Register::new();
        r.accept(with("2001-06-01", 12, code));
        // Revised from June 2002, while the 2001 decision runs.
        r.accept(with("2002-06-01", 12, code));
        // A new decision after a gap is not in progress.
        assert_eq!(r.errors(with("2003-07-01", 12, code)), refused, "{code}");
        assert_eq!(
            Register::new().errors(with("2002-01-01", 12, code)),
            refused
        );
    }
    for code in [4, 5] {
        let mut r = Register::new();
        r.accept(with("2002-09-30", 12, code));
        r.accept(with("2002-10-01", 12, code));
        assert_eq!(
            Register::new().errors(with("2002-10-01", 12, code)),
            refused
        );
    }
    // Another code running does not make this one in progress.
    let mut r = Register::new();
    r.accept(with("2001-06-01", 12, 10));
    assert_eq!(r.errors(with("2002-06-01", 12, 11)), refused);
}

#[test]
fn walloon_art60_subsidy_is_at_most_the_flat_rate_at_the_occupation_rate() {
    let mut r = Register::new();
    let mut f = b_of(liege(), "2025-03-01");
    f.measures.beneficiary.art60 = Some(art60(8));
    f.measures.beneficiary.subsidies.art60 = Some(Amount::from_cents(2_528_219));
    // The type alone is not enough in Wallonia from 2025: the rate prorates the subsidy.
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [("900026", "subsidies/beneficiary/art60")]
    );
    f.measures.beneficiary.art60 = Some(Art60Employment {
        occupation_rate: Some(80),
        ..art60(8)
    });
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [("900027", "subsidies/beneficiary/art60")]
    );
    // The note's example: 31,602.72 × 80 / 100.
    f.measures.beneficiary.subsidies.art60 = Some(Amount::from_cents(2_528_218));
    r.accept(Form::B(f));
}

#[test]
fn art60_and_art61_on_one_walloon_form_from_2025_are_refused() {
    let mut r = Register::new();
    let mut f = b_of(liege(), "2025-03-01");
    f.category = Category::E;
    f.situation = 28;
    f.study_grant = 2;
    f.partner = Some(partner());
    let employed = Art60Employment {
        occupation_rate: Some(50),
        ..art60(7)
    };
    for m in [&mut f.measures.beneficiary, &mut f.measures.partner] {
        m.integration_project = Some(11);
        m.art60 = Some(employed.clone());
    }
    f.measures.beneficiary.subsidies.art60 = Some(Amount::from_cents(1_000_000));
    f.measures.partner.subsidies.art61 = Some(Amount::from_cents(1_000_000));
    assert_eq!(r.errors(Form::B(f.clone())), [("900028", "subsidies")]);
    f.measures.partner.subsidies.art61 = None;
    f.measures.partner.subsidies.art60 = Some(Amount::from_cents(1_000_000));
    r.accept(Form::B(f));
}

#[test]
fn resources_are_amounts_of_zero_or_more_and_cohabitants_are_counted() {
    let mut r = Register::new();
    let mut f = b("2021-01-01", 12);
    f.resources.amounts = vec![
        (Resource::UnemploymentBenefit, Amount::from_cents(-1)),
        (Resource::MovableIncome, Amount::from_cents(10_000)),
    ];
    f.resources.cohabitants = Some(Cohabitants {
        resources: Some(Amount::from_cents(2_126_232)),
        category_a: 0,
        category_e: 0,
    });
    assert_eq!(
        r.errors(Form::B(f.clone())),
        [
            ("900026", "resources/cohabitants"),
            ("900002", "resources/benefits/unemploymentBenefit")
        ]
    );
    f.resources.amounts[0].1 = Amount::ZERO;
    f.resources.cohabitants = Some(Cohabitants {
        resources: Some(Amount::from_cents(2_126_232)),
        category_a: 2,
        category_e: 0,
    });
    r.accept(Form::B(f));
}

// What LivingWages V3 tells of each right.

impl Register {
    /// The decided rights of the Liège forms, checked against the rights the register
    /// keeps (the same days in force) and against a replay of the history.
    fn decided(&self) -> Vec<DatedRight> {
        let history: Vec<&RegisteredForm> = self.forms.iter().collect();
        let decided = decided_rights(&history);
        let kept = self.decided.get(&liege().cbe).cloned().unwrap_or_default();
        assert_eq!(
            kept, decided,
            "what registrations kept and the replay disagree"
        );
        let mut in_force: Vec<Period> = decided.iter().filter_map(|r| r.right.period).collect();
        in_force.sort();
        let mut kept: Vec<Period> = self
            .rights
            .iter()
            .flat_map(|r| r.periods().to_vec())
            .collect();
        kept.sort();
        assert_eq!(in_force, kept, "decided rights and register disagree");
        decided
    }
}

fn window(begin: &str, end: &str) -> crate::domain::OpenPeriod {
    crate::domain::OpenPeriod::new(d(begin), Some(d(end))).unwrap()
}

#[test]
fn a_withdrawal_keeps_the_right_with_the_days_it_took() {
    let mut r = Register::new();
    let mut grant = b("2024-01-01", 12);
    grant.decision_date = d("2023-12-20");
    let granted = r.accept(Form::B(grant));
    let [only] = r.decided().try_into().unwrap();
    assert_eq!(only.right.attestation, granted);
    assert_eq!(only.right.decision_date, d("2023-12-20"));
    assert_eq!(only.right.withdrawal, None);
    assert_eq!(only.changed_at_ms, 1_000);

    let mut stop = c("2024-07-01", Nature::Withdrawal, CStatus::New);
    stop.decision_date = d("2024-06-15");
    let withdrawn = r.accept(Form::C(stop));
    let [only] = r.decided().try_into().unwrap();
    assert_eq!(only.right.attestation, granted, "still the B's right");
    assert_eq!(
        only.right.period,
        Period::new(d("2024-01-01"), d("2024-06-30")).ok()
    );
    let w = only.right.withdrawal.clone().unwrap();
    assert_eq!(w.attestation, withdrawn);
    assert_eq!(w.decision_date, d("2024-06-15"));
    assert_eq!(
        w.days,
        Period::new(d("2024-07-01"), d("2024-12-31")).unwrap()
    );
    assert_eq!(only.changed_at_ms, 2_000, "changed by the C");
    // Withdrawn in a window that holds days it took, current in one before them.
    assert!(
        only.right
            .withdrawn_within(&window("2024-06-01", "2024-07-31"))
    );
    assert!(
        !only
            .right
            .withdrawn_within(&window("2024-01-01", "2024-06-30"))
    );
    // A window of withdrawn days only still concerns it, with no days in force.
    let after = window("2024-09-01", "2024-09-30");
    assert!(only.right.concerns(&after));
    assert_eq!(only.right.period_within(&after), None);
    assert!(!only.right.concerns(&window("2025-01-01", "2025-12-31")));
}

#[test]
fn a_right_withdrawn_whole_stays_until_its_withdrawal_is_withdrawn() {
    let mut r = Register::new();
    r.accept(Form::B(b("2024-01-01", 6)));
    let stop = c("2024-01-01", Nature::Withdrawal, CStatus::New);
    r.accept(Form::C(stop.clone()));
    let [only] = r.decided().try_into().unwrap();
    assert_eq!(only.right.period, None);
    assert_eq!(
        only.right.withdrawal.as_ref().map(|w| w.days),
        Period::new(d("2024-01-01"), d("2024-06-30")).ok()
    );
    assert_eq!(only.right.first_day(), Some(d("2024-01-01")));
    assert_eq!(only.changed_at_ms, 2_000);

    // Status 9 withdraws the C: the B runs again whole, changed by that form.
    r.accept(Form::C(FormC {
        status: CStatus::Withdrawal,
        ..stop
    }));
    let [only] = r.decided().try_into().unwrap();
    assert_eq!(
        only.right.period,
        Period::new(d("2024-01-01"), d("2024-06-30")).ok()
    );
    assert_eq!(only.right.withdrawal, None);
    assert_eq!(only.changed_at_ms, 3_000);
}

#[test]
fn a_revision_shortens_the_right_before_it_without_withdrawing_it() {
    let mut r = Register::new();
    let first = r.accept(Form::B(b("2024-01-01", 12)));
    let mut revision = b("2024-05-01", 12);
    revision.suspension = Some(Suspension::Detention);
    revision.annual_amount = Some(Amount::parse("0").unwrap());
    let second = r.accept(Form::B(revision));
    // A recovery changes no right, so no right's time.
    r.accept(Form::D(recovery(
        "2024-03",
        1,
        "10",
        "2024-02-01",
        "2024-02-02",
    )));
    let [before, after] = r.decided().try_into().unwrap();
    assert_eq!(before.right.attestation, first);
    assert_eq!(
        before.right.period,
        Period::new(d("2024-01-01"), d("2024-04-30")).ok()
    );
    assert_eq!(
        before.right.withdrawal, None,
        "a revision is not a withdrawal"
    );
    assert_eq!(before.right.suspension, None);
    assert_eq!(before.changed_at_ms, 2_000);
    assert_eq!(after.right.attestation, second);
    assert_eq!(after.right.suspension, Some(Suspension::Detention));
    assert_eq!(after.changed_at_ms, 2_000);
}

#[test]
fn a_whole_withdrawal_is_history_until_a_b_of_its_date_replaces_it() {
    let mut r = Register::new();
    r.accept(Form::B(b("2024-03-01", 6)));
    r.accept(Form::C(c("2024-03-01", Nature::Withdrawal, CStatus::New)));
    // A B of an earlier date ends before the withdrawn right began: both stay.
    let earlier = r.accept(Form::B(b("2024-01-01", 2)));
    let [first, withdrawn] = r.decided().try_into().unwrap();
    assert_eq!(first.right.attestation, earlier);
    assert_eq!(withdrawn.right.period, None);
    // A new B from the withdrawn right's date replaces it from then on.
    let again = r.accept(Form::B(b("2024-03-01", 3)));
    let [first_again, only] = r.decided().try_into().unwrap();
    assert_eq!(first_again, first, "untouched, with its time");
    assert_eq!(only.right.attestation, again);
    assert_eq!(only.right.withdrawal, None);
}

/// The stretches computed the plain way, each form against every stretch: what the
/// register's own computation must give.
fn stretches_one_by_one(in_force: &[RegisteredForm]) -> Vec<Stretch<'_>> {
    let mut events: Vec<(usize, &RegisteredForm)> = in_force.iter().enumerate().collect();
    events.sort_by_key(|&(decided, f)| {
        let date = match &f.form {
            Form::B(b) => b.entry_date,
            Form::C(c) => c.entry_date,
            Form::D(d) => d.period_start,
        };
        (date, decided)
    });
    let mut out: Vec<Stretch<'_>> = Vec::new();
    for (decided, f) in events {
        match &f.form {
            Form::B(b) => {
                let whole = in_force
                    .iter()
                    .enumerate()
                    .filter_map(|(i, g)| match &g.form {
                        Form::C(c) if c.nature == Nature::Withdrawal => Some((i, g, c)),
                        _ => None,
                    })
                    .filter(|(i, _, c)| *i > decided && c.cut() <= b.entry_date)
                    .min_by_key(|(i, _, c)| (c.cut(), std::cmp::Reverse(*i)));
                if let Some((_, by, c)) = whole {
                    if let Some(last) = b.last_day()
                        && let Ok(days) = Period::new(b.entry_date, last)
                    {
                        out.push(Stretch {
                            period: None,
                            form: f,
                            b,
                            withdrawn: Some(Withdrawn { days, form: by, c }),
                            decided,
                        });
                    }
                    continue;
                }
                let revised_from = b.entry_date;
                out.retain_mut(|s| match s.period {
                    Some(p) if p.end() < revised_from => true,
                    Some(p) => match revised_from.pred().map(|end| Period::new(p.begin(), end)) {
                        Some(Ok(kept)) => {
                            s.period = Some(kept);
                            true
                        }
                        _ => false,
                    },
                    // Withdrawn whole: history, unless this B replaces it from before.
                    None => s.b.entry_date < revised_from,
                });
                if let Some(last) = b.last_day()
                    && let Ok(period) = Period::new(b.entry_date, last)
                {
                    out.push(Stretch {
                        period: Some(period),
                        form: f,
                        b,
                        withdrawn: None,
                        decided,
                    });
                }
            }
            Form::C(c) if c.nature == Nature::Withdrawal => {
                let first_day_without = c.cut();
                for s in &mut out {
                    let Some(p) = s.period.filter(|p| p.end() >= first_day_without) else {
                        continue;
                    };
                    if s.decided > decided {
                        continue;
                    }
                    let taken_from = first_day_without.max(p.begin());
                    let days_end = s.withdrawn.as_ref().map_or(p.end(), |w| w.days.end());
                    let Ok(days) = Period::new(taken_from, days_end.max(p.end())) else {
                        continue;
                    };
                    s.withdrawn = Some(Withdrawn { days, form: f, c });
                    s.period = first_day_without
                        .pred()
                        .and_then(|end| Period::new(p.begin(), end).ok());
                }
            }
            Form::C(_) | Form::D(_) => {}
        }
    }
    out
}

/// One form of a random history: a B (new or regularising the B of its date), or a C
/// withdrawal (new, regularising, or withdrawing an earlier C by its data).
#[derive(Clone, Debug)]
enum Step {
    B {
        day: i32,
        months: u16,
        regularise: bool,
    },
    C {
        day: i32,
        stop_before: Option<i32>,
    },
    RegulariseC {
        of: usize,
        stop_before: Option<i32>,
    },
    WithdrawC {
        of: usize,
    },
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        4 => (0..90i32, 1..7u16, proptest::bool::weighted(0.2))
            .prop_map(|(day, months, regularise)| Step::B { day, months, regularise }),
        2 => (0..90i32, proptest::option::of(1..30i32))
            .prop_map(|(day, stop_before)| Step::C { day, stop_before }),
        1 => (0..8usize, proptest::option::of(1..30i32))
            .prop_map(|(of, stop_before)| Step::RegulariseC { of, stop_before }),
        1 => (0..8usize).prop_map(|of| Step::WithdrawC { of }),
    ]
}

proptest::proptest! {
    /// What each registration keeps is what a replay of the whole history gives, with
    /// the same times: a consultation may read the one instead of computing the other.
    #[test]
    fn kept_decided_rights_are_the_replay_of_the_history(
        steps in proptest::collection::vec(step(), 1..40)
    ) {
        let first = d("2023-01-01");
        let day = |n: i32| first.add_days(n).unwrap().to_string();
        let mut r = Register::new();
        let mut cs: Vec<FormC> = Vec::new();
        for s in steps {
            let form = match s {
                Step::B { day: n, months, regularise } => {
                    let mut f = b(&day(n), months);
                    f.regularisation = regularise;
                    Form::B(f)
                }
                Step::C { day: n, stop_before } => {
                    let mut f = c(&day(n), Nature::Withdrawal, CStatus::New);
                    f.effective_stop = stop_before.map(|k| d(&day(n - k)));
                    Form::C(f)
                }
                Step::RegulariseC { of, stop_before } => {
                    let Some(old) = cs.get(of % cs.len().max(1)) else { continue };
                    let mut f = old.clone();
                    f.status = CStatus::Regularisation;
                    f.effective_stop = stop_before.map(|k| f.entry_date.add_days(-k).unwrap());
                    Form::C(f)
                }
                Step::WithdrawC { of } => {
                    let Some(old) = cs.get(of % cs.len().max(1)) else { continue };
                    let mut f = old.clone();
                    f.status = CStatus::Withdrawal;
                    Form::C(f)
                }
            };
            if let (Outcome::Accepted { .. }, Form::C(f)) = (r.send(form.clone()), &form) {
                cs.push(f.clone());
            }
            // Compared after every form, not only at the end.
            r.decided();
            let history: Vec<&RegisteredForm> = r.forms.iter().collect();
            let in_force = timeline::forms_in_force(&history);
            proptest::prop_assert_eq!(
                timeline::stretches(&in_force),
                stretches_one_by_one(&in_force)
            );
        }
    }
}
