//! The register written back as a world file: loading it into an empty data directory
//! gives the same register.

use toml::Spanned;

use super::WorldError;
use super::{
    GrantEntry, InscriptionEntry, InstitutionEntry, PcsaEntry, PeriodEntry, PersonEntry,
    RightEntry, SectorEntry, Text, WorldFile,
};
use crate::domain::date::format_utc_timestamp;
use crate::domain::decision::{CStatus, Form, Nature, RegisteredForm};
use crate::domain::{Amount, CbeNumber, Date, Delivery, RegisterStatus, Ssin, SubscriptionState};
use crate::store::{Change, Store};
use crate::wire::novaprima;

/// What an exported file says of itself.
const HEADER: &str = "\
# The register of a bcss-gateway, as a world file (bcss-gateway world export).
# Rights declared as rights are exported as rights; the forms the register accepted
# are exported in the order it accepted them, each with that time, and a load judges
# them again in that order. Statements are exported line by line, subscriptions with
# where and how they are delivered (a load starts their queues anew).
";

/// A value written, not read: it has no position.
fn text(value: impl ToString) -> Text {
    Spanned::new(0..0, value.to_string())
}

/// A certificate as PEM text.
fn pem(der: &[u8]) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

fn at<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}

/// The register as a world file's text: its PCSAs, institutions, persons,
/// inscriptions, the rights no form made, the forms, statements and subscriptions.
/// Passwords are written as their hashes. `client_cas` are the CA files the server
/// trusts for client certificates.
pub fn export(
    register: &dyn Store,
    client_cas: &[std::path::PathBuf],
) -> Result<String, WorldError> {
    let mut world = WorldFile {
        client_cas: client_cas.iter().map(|p| text(p.display())).collect(),
        ..WorldFile::default()
    };
    let contents = register.contents()?;
    let mut forms = Vec::new();
    for change in &contents {
        if let Change::Person(p) = change {
            forms.extend(register.forms(&p.ssin)?);
        }
    }
    forms.sort_by_key(|f| f.number);
    // Certificates registered whole are written whole, as PEM text.
    let whole: std::collections::HashMap<String, String> = contents
        .iter()
        .filter_map(|c| match c {
            Change::Certificate(der) => Some((
                crate::domain::CertificateFingerprint::of_der(der).to_hex(),
                pem(der),
            )),
            _ => None,
        })
        .collect();
    // A right of a person at a PCSA that sent forms about them is the forms' to make.
    let decided: std::collections::HashSet<(Ssin, CbeNumber)> = forms
        .iter()
        .map(|f| (f.form.ssin(), f.form.pcsa()))
        .collect();
    for change in contents {
        match change {
            Change::Right(r) if decided.contains(&(r.ssin(), r.pcsa())) => {}
            // Written with the institution that names it.
            Change::Certificate(_) => {}
            Change::Pcsa(p) => world.pcsas.push(PcsaEntry {
                cbe_number: text(p.cbe),
                ins_code: text(p.ins.as_str()),
                name: text(p.name),
            }),
            Change::Institution(i) => world.institutions.push(InstitutionEntry {
                cbe_number: text(i.cbe),
                name: text(i.name),
                password: None,
                password_hash: i.password_hash.map(text),
                certificates: i
                    .certificates
                    .iter()
                    .filter(|c| !whole.contains_key(&c.to_hex()))
                    .map(|c| text(c.to_hex()))
                    .collect(),
                certificate_files: Vec::new(),
                certificate_pems: i
                    .certificates
                    .iter()
                    .filter_map(|c| whole.get(&c.to_hex()))
                    .map(|pem| text(pem.clone()))
                    .collect(),
                sector: i.sector.map(|s| SectorEntry {
                    sector: at(i64::from(s.sector)),
                    institution: at(i64::from(s.institution)),
                }),
                grants: i
                    .grants
                    .into_iter()
                    .map(|g| GrantEntry {
                        service: text(g.service.name()),
                        legal_contexts: g.legal_contexts.into_iter().map(text).collect(),
                    })
                    .collect(),
            }),
            Change::Person(p) => world.persons.push(PersonEntry {
                ssin: text(p.ssin),
                last_name: text(p.last_name),
                first_name: text(p.first_name),
                birth_date: p.birth_date.map(text),
                replaced_by: match p.status {
                    RegisterStatus::Replaced { by } => Some(text(by)),
                    _ => None,
                },
                cancelled: matches!(p.status, RegisterStatus::Cancelled).then(|| at(true)),
            }),
            Change::Inscription(i) => world.inscriptions.push(InscriptionEntry {
                institution: text(i.institution),
                ssin: text(i.ssin),
                quality: at(i64::from(i.quality.code())),
                begin: text(i.period.begin()),
                end: i.period.end().map(text),
            }),
            Change::Right(r) => world.rights.push(RightEntry {
                ssin: text(r.ssin()),
                pcsa: text(r.pcsa()),
                kind: text(r.kind().wire_name()),
                category: text(r.category()),
                partner: r.partner().map(text),
                periods: r
                    .periods()
                    .iter()
                    .map(|p| PeriodEntry {
                        begin: text(p.begin()),
                        end: text(p.end()),
                    })
                    .collect(),
            }),
        }
    }
    let body = toml::to_string(&world).map_err(|e| WorldError::Format(e.to_string()))?;
    let history = history(register, &forms)?;
    Ok(format!("{HEADER}\n{body}\n{history}"))
}

/// The decision history, statements and subscriptions, as the world file's tables:
/// forms in registration order (a load judges them in the order written), each with
/// the time the register accepted it.
fn history(store: &dyn Store, forms: &[RegisteredForm]) -> Result<String, WorldError> {
    let mut out = String::new();
    for f in forms {
        out.push_str(&form_toml(&f.form, Some(f.registered_at_ms))?);
    }
    let mut statements = toml::value::Array::new();
    // Statements are a CPAS's by INS code: each code once, whatever PCSAs claim it.
    let mut codes: Vec<_> = store.pcsas()?.into_iter().map(|p| p.ins).collect();
    codes.sort();
    codes.dedup();
    for ins in codes {
        for month in store.statement_months(&ins)? {
            let mut lines = Vec::new();
            for line in store.statement(&ins, month)? {
                let mut text = String::new();
                novaprima::write_line(&line, &mut text);
                lines.push(toml::Value::String(text));
            }
            let mut t = toml::Table::new();
            t.insert("lines".into(), toml::Value::Array(lines));
            statements.push(toml::Value::Table(t));
        }
    }
    let mut subscriptions = toml::value::Array::new();
    for s in store.subscriptions()? {
        if s.state == SubscriptionState::Unsubscribed {
            continue;
        }
        let mut t = toml::Table::new();
        t.insert("institution".into(), s.institution.to_string().into());
        if let Delivery::Push { endpoint } = &s.delivery {
            t.insert("endpoint".into(), endpoint.clone().into());
        }
        t.insert("mode".into(), s.mode.wire_name().into());
        subscriptions.push(toml::Value::Table(t));
    }
    let mut rest = toml::Table::new();
    if !statements.is_empty() {
        rest.insert("statement".into(), toml::Value::Array(statements));
    }
    if !subscriptions.is_empty() {
        rest.insert("subscription".into(), toml::Value::Array(subscriptions));
    }
    out.push_str(&toml::to_string(&rest).map_err(|e| WorldError::Format(e.to_string()))?);
    Ok(out)
}

fn date(d: Date) -> toml::Value {
    d.to_string()
        .parse::<toml::value::Datetime>()
        .map_or_else(|_| d.to_string().into(), toml::Value::Datetime)
}

/// An amount as text: exact, where a float might not be.
fn amount(a: Amount) -> toml::Value {
    a.to_string().into()
}

fn number(n: impl Into<i64>) -> toml::Value {
    toml::Value::Integer(n.into())
}

/// Inserts `value` under `path` (`a/b/c`), making the tables on the way.
fn put(table: &mut toml::Table, path: &str, value: toml::Value) {
    match path.split_once('/') {
        None => {
            table.insert(path.into(), value);
        }
        Some((head, rest)) => {
            let entry = table
                .entry(head)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(inner) = entry {
                put(inner, rest, value);
            }
        }
    }
}

/// A form as a world file's `[[formB]]` (C, D) table, accepted at `registered_at_ms`
/// when that is known.
pub(super) fn form_toml(form: &Form, registered_at_ms: Option<i64>) -> Result<String, WorldError> {
    let (name, table) = form_table(form, registered_at_ms);
    let mut wrapper = toml::Table::new();
    wrapper.insert(
        name.into(),
        toml::Value::Array(vec![toml::Value::Table(table)]),
    );
    let mut text = toml::to_string(&wrapper).map_err(|e| WorldError::Format(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// A form as a world file's table, with the contract's element names.
fn form_table(form: &Form, registered_at_ms: Option<i64>) -> (&'static str, toml::Table) {
    let mut t = toml::Table::new();
    let sender = form.sender();
    t.insert("pcsa".into(), sender.cbe.to_string().into());
    t.insert("ssin".into(), form.ssin().to_string().into());
    if let Some(at) = registered_at_ms {
        t.insert("registeredAt".into(), format_utc_timestamp(at).into());
    }
    let opt = |t: &mut toml::Table, path: &str, v: Option<toml::Value>| {
        if let Some(v) = v {
            put(t, path, v);
        }
    };
    match form {
        Form::B(b) => {
            t.insert("kind".into(), b.kind.wire_name().into());
            t.insert("entryDate".into(), date(b.entry_date));
            t.insert("category".into(), b.category.to_string().into());
            t.insert("realLifeSituation".into(), number(b.situation));
            t.insert(
                "nationalRegisterInscription".into(),
                number(b.national_register),
            );
            t.insert("homeless".into(), b.homeless.into());
            t.insert("studyGrant".into(), number(b.study_grant));
            opt(
                &mut t,
                "partnerSsin",
                b.partner.map(|p| p.to_string().into()),
            );
            for (who, measures, income) in [
                (
                    "beneficiary",
                    &b.measures.beneficiary,
                    &b.resources.income.beneficiary,
                ),
                ("partner", &b.measures.partner, &b.resources.income.partner),
            ] {
                if let Some(a) = &measures.art60 {
                    let at = |f: &str| format!("{who}/art60Employment/{f}");
                    opt(&mut t, &at("employmentType"), a.employment_type.map(number));
                    opt(&mut t, &at("workSchedule"), a.work_schedule.map(number));
                    opt(&mut t, &at("occupationRate"), a.occupation_rate.map(number));
                    opt(&mut t, &at("workplace"), a.workplace.map(number));
                    opt(
                        &mut t,
                        &at("initiative"),
                        a.initiative.clone().map(Into::into),
                    );
                }
                let at = |f: &str| format!("{who}/{f}");
                opt(
                    &mut t,
                    &at("socioProfessionalIntegration"),
                    measures.socio_professional_integration.map(number),
                );
                opt(
                    &mut t,
                    &at("integrationProject"),
                    measures.integration_project.map(number),
                );
                opt(&mut t, &at("activation"), measures.activation.map(number));
                opt(
                    &mut t,
                    &at("partnershipConvention"),
                    measures.partnership_convention.map(number),
                );
                opt(
                    &mut t,
                    &at("professionalIncome"),
                    income.professional.map(amount),
                );
                opt(
                    &mut t,
                    &at("professionalIncomeArt35"),
                    income.art35.map(amount),
                );
                opt(&mut t, &at("artisticIncome"), income.artistic.map(amount));
                let s = &measures.subsidies;
                let at = |f: &str| format!("subsidies/{who}/{f}");
                opt(&mut t, &at("art60"), s.art60.map(amount));
                opt(&mut t, &at("art61"), s.art61.map(amount));
                opt(&mut t, &at("activation"), s.activation.map(amount));
                opt(
                    &mut t,
                    &at("partnershipConvention"),
                    s.partnership_convention.map(amount),
                );
                opt(&mut t, &at("alimony"), s.alimony.map(amount));
            }
            for (resource, a) in &b.resources.amounts {
                put(&mut t, resource.field(), amount(*a));
            }
            if let Some(c) = &b.resources.cohabitants {
                opt(
                    &mut t,
                    "resources/cohabitants/resources",
                    c.resources.map(amount),
                );
                put(
                    &mut t,
                    "resources/cohabitants/categoryACount",
                    number(c.category_a),
                );
                put(
                    &mut t,
                    "resources/cohabitants/categoryECount",
                    number(c.category_e),
                );
            }
            let d = b.duration;
            for (part, n) in [("months", d.months), ("weeks", d.weeks), ("days", d.days)] {
                if n > 0 {
                    put(&mut t, &format!("duration/{part}"), number(n));
                }
            }
            if d.months == 0 && d.weeks == 0 && d.days == 0 {
                t.insert("duration".into(), toml::Value::Table(toml::Table::new()));
            }
            t.insert("decisionDate".into(), date(b.decision_date));
            opt(&mut t, "annualAmount", b.annual_amount.map(amount));
            opt(
                &mut t,
                "installationPremium",
                b.installation_premium.map(amount),
            );
            if b.regularisation {
                t.insert("status".into(), number(1));
            }
            opt(&mut t, "reference", b.reference.clone().map(Into::into));
            opt(&mut t, "suspension", b.suspension.map(|s| number(s.code())));
            if b.judgement {
                t.insert("judgement".into(), true.into());
            }
            ("formB", t)
        }
        Form::C(c) => {
            t.insert("entryDate".into(), date(c.entry_date));
            t.insert("decisionDate".into(), date(c.decision_date));
            let nature = match c.nature {
                Nature::Refusal => 1,
                Nature::Withdrawal => 2,
            };
            t.insert("nature".into(), number(nature));
            opt(&mut t, "effectiveStopDate", c.effective_stop.map(date));
            let status = match c.status {
                CStatus::New => None,
                CStatus::Regularisation => Some(1),
                CStatus::Withdrawal => Some(9),
            };
            opt(&mut t, "status", status.map(number));
            opt(&mut t, "reference", c.reference.clone().map(Into::into));
            ("formC", t)
        }
        Form::D(d) => {
            t.insert("recoveryMonth".into(), d.recovery_month.to_string().into());
            t.insert("sequenceNumber".into(), number(d.sequence));
            t.insert(
                "recoveryType".into(),
                format!("{:02}", d.recovery_type).into(),
            );
            t.insert("recoveredAmount".into(), amount(d.amount));
            t.insert("periodStart".into(), date(d.period_start));
            t.insert("periodEnd".into(), date(d.period_end));
            if d.regularisation {
                t.insert("status".into(), number(1));
            }
            opt(&mut t, "reference", d.reference.clone().map(Into::into));
            ("formD", t)
        }
    }
}
