//! Demo mode: development certificates, a realistic dataset that shows every answer of
//! LivingWages V2, and a manifest (`demo.json`) saying how to call the server.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::certs::{CertError, DevelopmentPki};
use crate::domain::decision::{
    CStatus, Duration, Form, FormB, FormC, Measures, Nature, Outcome, PerPerson, Sender, Suspension,
};
use crate::domain::{
    Amount, AmountType, Category, CbeNumber, CertificateFingerprint, Date, Delivery, DeliveryMode,
    Grant, InsCode, Inscription, Institution, Law, Month, OpenPeriod, PaymentLine, Pcsa, Person,
    QualityCode, RegisterStatus, RightKind, Service, Ssin, Subscription,
};
use crate::server::TlsFiles;
use crate::server::auth::hash_password;
use crate::services::pcsa_decision::judge_and_register;
use crate::store::{Change, Store, StoreError};

#[derive(Debug, Error)]
pub enum DemoError {
    #[error(transparent)]
    Certificates(#[from] CertError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("demo data is invalid: {0}")]
    Data(String),
    #[error("cannot hash a demo password: {0}")]
    Password(String),
    #[error("cannot {action} {path}: {reason}")]
    Manifest {
        action: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("{0} holds data but no demo.json: start the demo on an empty --data-dir")]
    NotADemo(PathBuf),
}

/// The manifest that `serve --demo` writes into its data directory.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub endpoints: Endpoints,
    pub wsdl: Endpoints,
    pub ca_certificate: PathBuf,
    pub default_institution: String,
    pub institutions: Vec<DemoInstitution>,
    pub ssins: Vec<DemoSsin>,
    /// The PCSAs of the demo register. Absent from manifests written by earlier
    /// versions.
    #[serde(default)]
    pub pcsas: Vec<DemoPcsa>,
}

/// A CPAS of the demo, as a form or ManageAccess names it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DemoPcsa {
    pub name: String,
    pub cbe_number: String,
    pub ins_code: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub living_wages_v2: String,
    /// Absent from manifests written by earlier versions.
    #[serde(default)]
    pub pcsa_decision_v1: String,
    #[serde(default)]
    pub connector: String,
    #[serde(default)]
    pub subscription_v1: String,
    #[serde(default)]
    pub with_amount_v1: String,
    #[serde(default)]
    pub living_wages_v3: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DemoInstitution {
    pub key: String,
    pub name: String,
    pub cbe_number: String,
    pub username: String,
    pub password: String,
    pub certificate: PathBuf,
    pub private_key: PathBuf,
    /// Service name → legal contexts granted.
    pub legal_contexts: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DemoSsin {
    pub ssin: String,
    pub illustrates: String,
    /// The status code getLivingWages answers the default institution.
    pub expected_status: String,
    /// What the register knows of the person (the proof of authentication
    /// ManageAccess asks for); absent for a number it does not know, and from
    /// manifests written by earlier versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
}

impl DemoSsin {
    /// A number of the demo; what the register knows of the person is added once the
    /// register is built.
    fn new(ssin: String, illustrates: &str, expected_status: &str) -> DemoSsin {
        DemoSsin {
            ssin,
            illustrates: illustrates.to_owned(),
            expected_status: expected_status.to_owned(),
            last_name: None,
            first_name: None,
            birth_date: None,
        }
    }
}

/// The demo register, built from code so that every identifier is well formed.
pub struct DemoData {
    pub changes: Vec<Change>,
    /// The forms the PCSAs sent, oldest first; the rights are theirs.
    pub decisions: Vec<Form>,
    pub ssins: Vec<DemoSsin>,
    /// Monthly statements: what the PCSAs paid.
    pub statements: Vec<Statement>,
}

/// One PCSA's statement for one month.
pub struct Statement {
    pub ins: InsCode,
    pub month: Month,
    pub lines: Vec<PaymentLine>,
}

impl DemoData {
    /// Writes the register, then the decisions as the register's past (no
    /// notification), then the statements.
    pub fn load(&self, store: &dyn Store) -> Result<(), DemoError> {
        store.apply(&self.changes)?;
        for form in &self.decisions {
            let at = registered_at_ms(form);
            match judge_and_register(store, form, Vec::new(), at, false)? {
                Some(Outcome::Accepted { .. }) => {}
                other => {
                    return Err(DemoError::Data(format!(
                        "the register did not accept the demo form {} about {}: {other:?}",
                        form.letter(),
                        form.ssin()
                    )));
                }
            }
        }
        for s in &self.statements {
            store.write_statement(&s.ins, s.month, &s.lines, true)?;
        }
        Ok(())
    }
}

/// A demo institution before its certificate and password exist.
pub struct InstitutionSpec {
    pub key: &'static str,
    pub name: &'static str,
    pub cbe_prefix: &'static str,
    pub legal_contexts: &'static [&'static str],
    /// Legal contexts of LivingWagesWithAmount (none: not granted).
    pub amounts: &'static [&'static str],
    /// A deliberation grants it LivingWagesNotifications.
    pub notifications: bool,
}

impl InstitutionSpec {
    /// What the deliberations grant it.
    pub fn grants(&self) -> Vec<Grant> {
        let owned = |contexts: &[&str]| contexts.iter().map(|c| (*c).to_owned()).collect();
        let mut grants = Vec::new();
        if !self.legal_contexts.is_empty() {
            grants.push(Grant {
                service: Service::LivingWages,
                legal_contexts: owned(self.legal_contexts),
            });
        }
        if !self.amounts.is_empty() {
            grants.push(Grant {
                service: Service::LivingWagesWithAmount,
                legal_contexts: owned(self.amounts),
            });
        }
        if self.notifications {
            grants.push(Grant {
                service: Service::LivingWagesNotifications,
                legal_contexts: Vec::new(),
            });
        }
        grants
    }
}

pub const INSTITUTIONS: [InstitutionSpec; 7] = [
    InstitutionSpec {
        key: "onem",
        name: "Office national de l'Emploi / Rijksdienst voor Arbeidsvoorziening",
        cbe_prefix: "02067374",
        legal_contexts: &["UNEMPLOYMENT:LIVING_WAGE_CHECK"],
        amounts: &["UNEMPLOYMENT:LIVING_WAGE_CHECK"],
        notifications: false,
    },
    InstitutionSpec {
        key: "vdab",
        name: "Vlaamse Dienst voor Arbeidsbemiddeling en Beroepsopleiding",
        cbe_prefix: "08876066",
        legal_contexts: &["EMPLOYMENT:ACTIVATION_GUIDANCE"],
        amounts: &["EMPLOYMENT:ACTIVATION_GUIDANCE"],
        notifications: false,
    },
    InstitutionSpec {
        key: "forem",
        name: "Office wallon de la Formation professionnelle et de l'Emploi",
        cbe_prefix: "02360230",
        legal_contexts: &["EMPLOYMENT:ACTIVATION_GUIDANCE"],
        amounts: &["EMPLOYMENT:ACTIVATION_GUIDANCE"],
        notifications: false,
    },
    // No deliberation for LivingWages: every consultation answers MSG00013.
    InstitutionSpec {
        key: "inami",
        name: "Institut national d'assurance maladie-invalidité",
        cbe_prefix: "02068972",
        legal_contexts: &[],
        amounts: &[],
        notifications: false,
    },
    // Two CPAS, which register decisions (PcsaDecisionService) for themselves; their
    // CBE numbers are those of the demo PCSAs CPAS de Liège and OCMW Gent.
    // Notified about the people whose file it manages, and subscribed in the demo to
    // the notification sink (examples/notification_sink.rs); no consultation grant.
    InstitutionSpec {
        key: "cin",
        name: "Collège intermutualiste national / Nationaal Intermutualistisch College",
        cbe_prefix: "04117025",
        legal_contexts: &[],
        amounts: &[],
        notifications: true,
    },
    InstitutionSpec {
        key: "cpas-liege",
        name: "CPAS de Liège",
        cbe_prefix: "02075943",
        legal_contexts: &[],
        amounts: &[],
        notifications: false,
    },
    InstitutionSpec {
        key: "ocmw-gent",
        name: "OCMW Gent",
        cbe_prefix: "02122391",
        legal_contexts: &[],
        amounts: &[],
        notifications: false,
    },
];

fn data_err(e: impl std::fmt::Display) -> DemoError {
    DemoError::Data(e.to_string())
}

/// `n` days from a demo date.
fn shift(date: Date, n: i32) -> Result<Date, DemoError> {
    date.add_days(n)
        .ok_or_else(|| data_err(format!("{date} + {n} days is outside the calendar")))
}

/// The month after a demo month.
fn next_month(month: Month) -> Result<Month, DemoError> {
    month
        .succ()
        .ok_or_else(|| data_err(format!("{month} has no next month")))
}

fn cbe(prefix: &str) -> Result<CbeNumber, DemoError> {
    CbeNumber::with_check_digits(prefix).map_err(data_err)
}

fn ssin(first_nine: &str, born_2000s: bool) -> Result<Ssin, DemoError> {
    Ssin::with_check_digits(first_nine, born_2000s).map_err(data_err)
}

fn date(s: &str) -> Result<Date, DemoError> {
    Date::parse_xsd(s).map_err(data_err)
}

pub fn institution_cbe(key: &str) -> Result<CbeNumber, DemoError> {
    let spec = INSTITUTIONS
        .iter()
        .find(|s| s.key == key)
        .ok_or_else(|| DemoError::Data(format!("no demo institution {key}")))?;
    cbe(spec.cbe_prefix)
}

/// The demo register. `institutions` are (spec key, password hash, certificate).
pub fn dataset(
    institutions: &[(&str, Option<String>, Option<CertificateFingerprint>)],
) -> Result<DemoData, DemoError> {
    let mut changes = Vec::new();

    let pcsa = |prefix: &str, ins: &str, name: &str| -> Result<Pcsa, DemoError> {
        Ok(Pcsa {
            cbe: cbe(prefix)?,
            ins: InsCode::parse(ins).map_err(data_err)?,
            name: name.to_owned(),
        })
    };
    let gent = pcsa("02122391", "44021", "OCMW Gent")?;
    let antwerpen = pcsa("02120710", "11002", "OCMW Antwerpen")?;
    let liege = pcsa("02075943", "62063", "CPAS de Liège")?;
    let charleroi = pcsa("02124456", "52011", "CPAS de Charleroi")?;
    let bruxelles = pcsa("02126632", "21004", "CPAS de Bruxelles")?;
    let namur = pcsa("02125168", "92094", "CPAS de Namur")?;
    for p in [&gent, &antwerpen, &liege, &charleroi, &bruxelles, &namur] {
        changes.push(Change::Pcsa(p.clone()));
    }

    for (key, hash, cert) in institutions {
        let spec = INSTITUTIONS
            .iter()
            .find(|s| s.key == *key)
            .ok_or_else(|| DemoError::Data(format!("no demo institution {key}")))?;
        let grants = spec.grants();
        changes.push(Change::Institution(Institution {
            cbe: cbe(spec.cbe_prefix)?,
            name: spec.name.to_owned(),
            sector: None,
            password_hash: hash.clone(),
            certificates: cert.iter().copied().collect(),
            grants,
        }));
    }
    let onem = institution_cbe("onem")?;
    let vdab = institution_cbe("vdab")?;
    let forem = institution_cbe("forem")?;
    let inami = institution_cbe("inami")?;

    let mut ssins = Vec::new();
    let mut person = |s: Ssin,
                      last: &str,
                      first: &str,
                      status: RegisterStatus,
                      illustrates: &str,
                      expected: &str| {
        changes_push_person(&mut changes, s, last, first, status);
        ssins.push(DemoSsin::new(s.to_string(), illustrates, expected));
    };

    let sophie = ssin("850731001", false)?;
    person(
        sophie,
        "Peeters",
        "Sophie",
        RegisterStatus::Active,
        "living wage from two PCSAs, one Flemish (Gent) and one Walloon (Liège); the Flanders operations show only Gent",
        "MSG00000",
    );
    let ahmed = ssin("900215123", false)?;
    person(
        ahmed,
        "Benali",
        "Ahmed",
        RegisterStatus::Active,
        "equivalent living wage, then living wage, from CPAS de Bruxelles (two categories in getLivingWages)",
        "MSG00000",
    );
    let lucas = ssin("030615212", true)?;
    person(
        lucas,
        "Lambert",
        "Lucas",
        RegisterStatus::Active,
        "born in 2003 (check digits computed with the 2000s rule), living wage from CPAS de Charleroi",
        "MSG00000",
    );
    let marie = ssin("780412045", false)?;
    person(
        marie,
        "Dubois",
        "Marie",
        RegisterStatus::Active,
        "no right at all (NO_DATA_FOUND)",
        "MSG00100",
    );
    let jan = ssin("851020117", false)?;
    let jan_bis = ssin("853020011", false)?;
    person(
        jan,
        "Claes",
        "Jan",
        RegisterStatus::Active,
        "National Register number that replaced a bis number; living wage from OCMW Antwerpen",
        "MSG00000",
    );
    person(
        jan_bis,
        "Claes",
        "Jan",
        RegisterStatus::Replaced { by: jan },
        "bis number replaced by a National Register number (MSG00006 with newSSIN)",
        "MSG00006",
    );
    let cancelled = ssin("920505087", false)?;
    person(
        cancelled,
        "Janssens",
        "Tom",
        RegisterStatus::Cancelled,
        "cancelled SSIN (MSG00007)",
        "MSG00007",
    );
    let nadia = ssin("880909133", false)?;
    person(
        nadia,
        "Haddad",
        "Nadia",
        RegisterStatus::Active,
        "living wage from CPAS de Namur, but only Le Forem manages her file (MSG00012 for the others)",
        "MSG00012",
    );
    let amina = ssin("920308246", false)?;
    person(
        amina,
        "Benali",
        "Amina",
        RegisterStatus::Active,
        "partner named in CPAS de Bruxelles's decisions for Ahmed Benali (category E), without a right herself",
        "MSG00100",
    );
    let unknown = ssin("750101999", false)?;
    ssins.push(DemoSsin::new(
        unknown.to_string(),
        "well-formed SSIN unknown to the register (MSG00005)",
        "MSG00005",
    ));
    ssins.push(DemoSsin::new(
        "85073100137".into(),
        "check digits wrong (MSG00011)",
        "MSG00011",
    ));

    // The decisions the PCSAs sent, by date: the register's rights come from them, so
    // each right has its attestation, decision date and history (LivingWages V3).
    let grant = |s: Ssin,
                 p: &Pcsa,
                 kind: RightKind,
                 category: Category,
                 partner: Option<Ssin>,
                 entry: &str,
                 months: u16|
     -> Result<FormB, DemoError> {
        let entry = date(entry)?;
        Ok(FormB {
            sender: sender(p),
            ssin: s,
            kind,
            entry_date: entry,
            category,
            situation: 12,
            national_register: 0,
            homeless: false,
            study_grant: 0,
            partner,
            duration: Duration {
                months,
                ..Duration::default()
            },
            decision_date: shift(entry, -10)?,
            annual_amount: None,
            installation_premium: None,
            regularisation: false,
            reference: Some(format!("{}-{}", p.ins, entry.year())),
            suspension: None,
            judgement: false,
            measures: Box::new(if category == Category::E {
                // Category E names an integration project for both partners: 8,
                // none for health or equity reasons.
                let none_possible = Measures {
                    integration_project: Some(8),
                    ..Measures::default()
                };
                PerPerson {
                    beneficiary: none_possible.clone(),
                    partner: none_possible,
                }
            } else {
                PerPerson::default()
            }),
            resources: Box::default(),
        })
    };
    let (lw, elw) = (RightKind::LivingWage, RightKind::EquivalentLivingWage);
    // Gent's 24 months were cut short by a withdrawal from September 2021.
    let gent_stop = FormC {
        sender: sender(&gent),
        ssin: sophie,
        entry_date: date("2021-09-01")?,
        decision_date: date("2021-08-20")?,
        nature: Nature::Withdrawal,
        effective_stop: None,
        status: CStatus::New,
        reference: Some("44021-STOP".into()),
    };
    // Liège's second decision is suspended (detention): the right stays, unpaid.
    let mut liege_2022 = grant(sophie, &liege, lw, Category::B, None, "2022-01-01", 12)?;
    liege_2022.suspension = Some(Suspension::Detention);
    liege_2022.annual_amount = Some(Amount::from_cents(0));
    let mut decisions = vec![Form::C(gent_stop), Form::B(liege_2022)];
    for (s, p, kind, category, partner, entry, months) in [
        (sophie, &liege, lw, Category::B, None, "2019-03-01", 12),
        (sophie, &gent, lw, Category::B, None, "2020-03-01", 24),
        (
            ahmed,
            &bruxelles,
            elw,
            Category::E,
            Some(amina),
            "2021-05-01",
            24,
        ),
        (
            ahmed,
            &bruxelles,
            lw,
            Category::E,
            Some(amina),
            "2023-05-01",
            42,
        ),
        (lucas, &charleroi, lw, Category::A, None, "2022-07-01", 12),
        (lucas, &charleroi, lw, Category::A, None, "2024-01-01", 24),
        (jan, &antwerpen, lw, Category::A, None, "2020-09-01", 6),
        (nadia, &namur, lw, Category::B, None, "2021-01-01", 12),
    ] {
        decisions.push(Form::B(grant(
            s, p, kind, category, partner, entry, months,
        )?));
    }
    decisions.sort_by_key(registered_at_ms);

    let since = OpenPeriod::new(date("2015-01-01")?, None).map_err(data_err)?;
    let quality = |code| QualityCode::new(code).map_err(data_err);
    let inscription = |s: Ssin, who: CbeNumber, q: QualityCode| {
        Change::Inscription(Inscription {
            ssin: s,
            institution: who,
            quality: q,
            period: since,
        })
    };
    for s in [sophie, ahmed, amina, lucas, marie, jan, jan_bis, cancelled] {
        changes.push(inscription(s, onem, quality(2)?));
    }
    for s in [sophie, jan] {
        changes.push(inscription(s, vdab, quality(9)?));
    }
    for s in [nadia, lucas] {
        changes.push(inscription(s, forem, quality(9)?));
    }
    changes.push(inscription(sophie, inami, quality(9)?));
    let cin = institution_cbe("cin")?;
    for s in [sophie, ahmed, amina, lucas, marie, jan] {
        changes.push(inscription(s, cin, quality(9)?));
    }
    let statements = statements(&[
        (ahmed, &bruxelles, 'E', "2025-01", "2026-10", 164_083),
        (lucas, &charleroi, 'A', "2024-07", "2025-12", 87_613),
    ])?;
    Ok(DemoData {
        changes,
        decisions,
        ssins,
        statements,
    })
}

/// A PCSA as the sender of its forms.
fn sender(p: &Pcsa) -> Sender {
    Sender {
        name: p.name.clone(),
        ins: p.ins,
        cbe: p.cbe,
    }
}

/// When the register accepted a demo form: three days after its decision, at 10:00 UTC.
fn registered_at_ms(form: &Form) -> i64 {
    let decided = match form {
        Form::B(b) => b.decision_date,
        Form::C(c) => c.decision_date,
        Form::D(d) => d.period_end,
    };
    (i64::from(decided.days_since_epoch()) + 3) * 86_400_000 + 10 * 3_600_000
}

/// A grant line a month for each (person, PCSA, category, first month, last month,
/// cents a month), on the statement of the month paid; plus, for the first person, a
/// regularisation of an earlier month and, for the second, a recovery.
fn statements(paid: &[(Ssin, &Pcsa, char, &str, &str, i64)]) -> Result<Vec<Statement>, DemoError> {
    let month = |s: &str| Month::parse_xsd(s).map_err(data_err);
    let mut out: Vec<Statement> = Vec::new();
    let mut add = |line: PaymentLine| match out
        .iter_mut()
        .find(|s| s.ins == line.ins && s.month == line.statement)
    {
        Some(s) => s.lines.push(line),
        None => out.push(Statement {
            ins: line.ins,
            month: line.statement,
            lines: vec![line],
        }),
    };
    for (i, (ssin, pcsa, category, first, last, cents)) in paid.iter().enumerate() {
        let line = |statement: Month, amount_type, first_day, last_day, cents: i64| {
            let mut l = payment_line(pcsa.ins, *ssin, statement, first_day, last_day, cents);
            l.amount_type = amount_type;
            l.category = *category;
            l.file_number = format!("{:<11}", format!("DEMO-{i}"));
            l
        };
        let (first, last) = (month(first)?, month(last)?);
        let mut m = first;
        while m <= last {
            add(line(
                m,
                AmountType::Grant,
                m.first_day(),
                m.last_day(),
                *cents,
            ));
            m = next_month(m)?;
        }
        // Three months after the first, an adjustment of the first month's amount.
        let later = next_month(next_month(next_month(first)?)?)?;
        if i == 0 {
            add(line(
                later,
                AmountType::GrantRegularisation,
                first.first_day(),
                first.last_day(),
                5_000,
            ));
        } else {
            add(line(
                later,
                AmountType::Recovery,
                shift(first.first_day(), 9)?,
                shift(first.first_day(), 11)?,
                -(cents * 3 / 30),
            ));
        }
    }
    Ok(out)
}

/// A living wage line of a statement: the days paid, the amount at 100 % in cents
/// (booked at 60 % on article 860), category B, about the main beneficiary.
pub fn payment_line(
    ins: InsCode,
    ssin: Ssin,
    statement: Month,
    first_day: Date,
    last_day: Date,
    cents: i64,
) -> PaymentLine {
    PaymentLine {
        law: Law::IntegrationIncome,
        ins,
        statement,
        file_number: format!("{:<11}", "DEMO"),
        suffix: "  ".into(),
        ssin,
        reference: format!("{:<12}", "B-DEMO"),
        amount_type: if cents < 0 {
            AmountType::Recovery
        } else {
            AmountType::Grant
        },
        first_day,
        last_day,
        budget_article: "860   ".into(),
        article: 860,
        amount: Amount::from_cents(cents),
        category: 'B',
        last_name: format!("{:<30}", "DEMO"),
        first_name: format!("{:<20}", "DEMO"),
        concerned: "00".into(),
        reference2: " ".repeat(15),
        paid: Amount::from_cents(cents * 60 / 100),
    }
}

fn changes_push_person(
    changes: &mut Vec<Change>,
    ssin: Ssin,
    last: &str,
    first: &str,
    status: RegisterStatus,
) {
    changes.push(Change::Person(Person {
        ssin,
        last_name: last.to_owned(),
        first_name: first.to_owned(),
        birth_date: ssin.birth_date(),
        status,
    }));
}

/// What `serve --demo` needs to start: the TLS files and the manifest (without the
/// listening address, known only once bound).
pub struct DemoSetup {
    pub tls: TlsFiles,
    pub manifest: Manifest,
}

fn manifest_path(data_dir: &Path) -> PathBuf {
    data_dir.join("demo.json")
}

/// Prepares a demo in `data_dir`: on an empty store, makes certificates, passwords and
/// the dataset; on a store it made before, reuses them.
/// Where the demo's subscriber is pushed: the notification sink's default address.
pub const DEMO_SINK_URL: &str = "https://127.0.0.1:9443/LivingWagesNotificationService/v1";

pub fn prepare(data_dir: &Path, store: &dyn Store) -> Result<DemoSetup, DemoError> {
    let certs_dir = data_dir.join("certs");
    let tls = |ca: PathBuf| TlsFiles {
        certificate_chain: certs_dir.join("server.pem"),
        private_key: certs_dir.join("server.key"),
        client_ca: Some(ca),
    };
    let path = manifest_path(data_dir);
    if !store.is_empty()? {
        let text =
            std::fs::read_to_string(&path).map_err(|_| DemoError::NotADemo(data_dir.to_owned()))?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| DemoError::Manifest {
            action: "read",
            path: path.clone(),
            reason: e.to_string(),
        })?;
        return Ok(DemoSetup {
            tls: tls(manifest.ca_certificate.clone()),
            manifest,
        });
    }

    let clients: Vec<(String, String)> = INSTITUTIONS
        .iter()
        .map(|s| (s.key.to_owned(), format!("{} (demo)", s.name)))
        .collect();
    let hosts = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let pki = DevelopmentPki::generate(&hosts, &clients)?;
    let files = pki.write(&certs_dir)?;

    let mut credentials = Vec::new();
    let mut institutions = Vec::new();
    for (spec, ((_, issued), (_, cert_path, key_path))) in INSTITUTIONS
        .iter()
        .zip(pki.clients.iter().zip(&files.clients))
    {
        let password = uuid::Uuid::new_v4().simple().to_string();
        let hash = hash_password(&password).map_err(|e| DemoError::Password(e.to_string()))?;
        credentials.push((spec.key, Some(hash), Some(issued.fingerprint())));
        let cbe = cbe(spec.cbe_prefix)?;
        let legal_contexts = spec
            .grants()
            .into_iter()
            .filter(|g| !g.legal_contexts.is_empty())
            .map(|g| (g.service.name().to_owned(), g.legal_contexts))
            .collect();
        institutions.push(DemoInstitution {
            key: spec.key.to_owned(),
            name: spec.name.to_owned(),
            cbe_number: cbe.to_string(),
            username: format!("E{cbe}"),
            password,
            certificate: absolute(cert_path),
            private_key: absolute(key_path),
            legal_contexts,
        });
    }
    let mut data = dataset(&credentials)?;
    // What a tester needs to name a person or a CPAS as the register knows them.
    let mut pcsas = Vec::new();
    for change in &data.changes {
        match change {
            Change::Person(p) => {
                for s in data.ssins.iter_mut().filter(|s| s.ssin == p.ssin.as_str()) {
                    s.last_name = Some(p.last_name.clone());
                    s.first_name = Some(p.first_name.clone());
                    s.birth_date = p.birth_date.map(|d| d.to_string());
                }
            }
            Change::Pcsa(p) => pcsas.push(DemoPcsa {
                name: p.name.clone(),
                cbe_number: p.cbe.to_string(),
                ins_code: p.ins.as_str().to_owned(),
            }),
            _ => {}
        }
    }
    let manifest = Manifest {
        endpoints: Endpoints::default(),
        wsdl: Endpoints::default(),
        ca_certificate: absolute(&files.ca),
        default_institution: "onem".to_owned(),
        institutions,
        ssins: data.ssins.clone(),
        pcsas,
    };
    // The passwords exist only in the manifest: write it before the store holds their
    // hashes, so that a start failing later (a port in use) leaves a usable demo.
    save_manifest(data_dir, &manifest)?;
    data.load(store)?;
    let cin = institution_cbe("cin")?;
    let now_ms = crate::clock::unix_millis();
    store.update_subscription(&cin, None, &mut |_| {
        Some(Subscription::new(
            cin,
            Delivery::Push {
                endpoint: DEMO_SINK_URL.to_owned(),
            },
            DeliveryMode::SsinOnly,
            now_ms,
        ))
    })?;
    Ok(DemoSetup {
        tls: tls(manifest.ca_certificate.clone()),
        manifest,
    })
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
}

/// Writes the manifest with the address the server listens on.
pub fn write_manifest(
    data_dir: &Path,
    manifest: &mut Manifest,
    base_url: &str,
) -> Result<PathBuf, DemoError> {
    let url = |path: &str| format!("{base_url}{path}");
    let (e, w) = (&mut manifest.endpoints, &mut manifest.wsdl);
    for (endpoint, wsdl, path) in [
        (
            &mut e.living_wages_v2,
            &mut w.living_wages_v2,
            crate::wire::living_wages_v2::PATH,
        ),
        (
            &mut e.living_wages_v3,
            &mut w.living_wages_v3,
            crate::wire::living_wages_v3::PATH,
        ),
        (
            &mut e.pcsa_decision_v1,
            &mut w.pcsa_decision_v1,
            crate::wire::pcsa_decision_v1::PATH,
        ),
        (&mut e.connector, &mut w.connector, crate::wire::ssdn::PATH),
        (
            &mut e.subscription_v1,
            &mut w.subscription_v1,
            crate::wire::subscription_v1::PATH,
        ),
        (
            &mut e.with_amount_v1,
            &mut w.with_amount_v1,
            crate::wire::living_wages_with_amount_v1::PATH,
        ),
    ] {
        *endpoint = url(path);
        *wsdl = format!("{}?wsdl", url(path));
    }
    save_manifest(data_dir, manifest)
}

/// `demo.json` holds the demo passwords: readable by its owner only.
fn save_manifest(data_dir: &Path, manifest: &Manifest) -> Result<PathBuf, DemoError> {
    let path = manifest_path(data_dir);
    let text = serde_json::to_string_pretty(manifest).map_err(|e| DemoError::Manifest {
        action: "encode",
        path: path.clone(),
        reason: e.to_string(),
    })?;
    crate::files::write(&path, &(text + "\n"), true).map_err(|e| DemoError::Manifest {
        action: "write",
        path: path.clone(),
        reason: e.to_string(),
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_statements_are_what_a_pcsa_may_send_and_cover_eighteen_months() {
        let keys: Vec<_> = INSTITUTIONS.iter().map(|s| (s.key, None, None)).collect();
        let data = dataset(&keys).unwrap();
        let mut months_per_person = std::collections::BTreeMap::new();
        for statement in &data.statements {
            for line in &statement.lines {
                assert_eq!(line.check(), [], "{line:?}");
                assert_eq!((line.ins, line.statement), (statement.ins, statement.month));
                if line.amount_type == AmountType::Grant {
                    *months_per_person.entry(line.ssin).or_insert(0) += 1;
                }
            }
        }
        assert_eq!(months_per_person.len(), 2);
        assert!(
            months_per_person.values().all(|&n| n >= 18),
            "{months_per_person:?}"
        );
    }
}
