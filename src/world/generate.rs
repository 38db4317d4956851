//! A synthetic population: a world of any size made from a seed, for a test suite or a
//! benchmark that needs many persons. The same seed and arguments give the same world
//! on every machine and version: the generator is a splitmix64 of its own, because a
//! crate's generators may change their streams between versions.
//!
//! What it makes follows the register's rules, and the register judges it when it is
//! loaded like any world: SSINs with serials 001–998 (odd for men, even for women),
//! the 2000s check rule for births from 2000, some bis numbers (month + 20 or + 40)
//! replaced by the person's National Register number, some cancelled numbers; PCSAs
//! from real INS codes across the three regions; decision histories of forms B and C
//! (renewals, withdrawals, suspensions, category E with a partner); inscriptions for
//! a generated partner institution (and any other named); and a monthly statement
//! line for each month a living wage was paid.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::domain::decision::{
    CStatus, Duration, Form, FormB, FormC, Measures, Nature, PerPerson, Sender, Suspension,
};
use crate::domain::{
    Amount, AmountType, Category, CbeNumber, Date, Grant, InsCode, Inscription, Institution, Month,
    OpenPeriod, PaymentLine, Pcsa, Person, QualityCode, RegisterStatus, RightKind, Service, Ssin,
};
use crate::store::Change;

/// Real municipalities (INS code, name of the CPAS), the three regions interleaved so
/// that a few PCSAs already span them. The first six are the demo's, with its CBE
/// numbers, so that a generated world composes with the demo.
const PLACES: [(&str, &str, Option<&str>); 24] = [
    ("44021", "OCMW Gent", Some("0212239166")),
    ("21004", "CPAS de Bruxelles", Some("0212663293")),
    ("62063", "CPAS de Liège", Some("0207594351")),
    ("11002", "OCMW Antwerpen", Some("0212071001")),
    ("52011", "CPAS de Charleroi", Some("0212445638")),
    ("92094", "CPAS de Namur", Some("0212516805")),
    ("31005", "OCMW Brugge", None),
    ("21001", "CPAS d'Anderlecht", None),
    ("53053", "CPAS de Mons", None),
    ("24062", "OCMW Leuven", None),
    ("21015", "CPAS de Schaerbeek", None),
    ("57081", "CPAS de Tournai", None),
    ("12025", "OCMW Mechelen", None),
    ("21012", "CPAS de Molenbeek-Saint-Jean", None),
    ("63079", "CPAS de Verviers", None),
    ("71022", "OCMW Hasselt", None),
    ("21009", "CPAS d'Ixelles", None),
    ("55022", "CPAS de La Louvière", None),
    ("34022", "OCMW Kortrijk", None),
    ("35013", "OCMW Oostende", None),
    ("41002", "OCMW Aalst", None),
    ("46021", "OCMW Sint-Niklaas", None),
    ("71016", "OCMW Genk", None),
    ("13040", "OCMW Turnhout", None),
];

const LAST_NAMES: [&str; 40] = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dubois",
    "Lambert",
    "Dupont",
    "Martin",
    "Simon",
    "Laurent",
    "Leclercq",
    "Lejeune",
    "Renard",
    "Mathieu",
    "Hermans",
    "Vermeulen",
    "Pauwels",
    "Van Damme",
    "Michiels",
    "Aerts",
    "Declercq",
    "Benali",
    "El Amrani",
    "Haddad",
    "Yilmaz",
    "Kaya",
    "Nowak",
    "Rossi",
    "Diallo",
    "Lemaire",
    "Francois",
    "Gerard",
    "Van den Broeck",
    "Desmet",
];
const MEN: [&str; 20] = [
    "Jan", "Luc", "Tom", "Pieter", "Thomas", "Lucas", "Noah", "Arthur", "Louis", "Jules", "Ahmed",
    "Mohamed", "Youssef", "Pierre", "Nicolas", "Julien", "Kevin", "Bram", "Wout", "Milan",
];
const WOMEN: [&str; 20] = [
    "Sophie", "Marie", "Emma", "Olivia", "Louise", "Lotte", "Nadia", "Amina", "Fatima", "Julie",
    "Laura", "Sarah", "Eva", "An", "Els", "Camille", "Manon", "Lina", "Noor", "Chloe",
];

/// The monthly amount paid, in cents, by category.
fn monthly_cents(category: Category) -> i64 {
    match category {
        Category::A => 87_613,
        Category::B => 131_420,
        Category::E => 164_083,
    }
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    pub persons: usize,
    pub seed: u64,
    /// How many PCSAs (1 to 24).
    pub pcsas: usize,
    /// How many months of history, ending with `last`.
    pub months: u32,
    pub last: Month,
    /// Institutions (of the register or another world) inscribed for every person,
    /// besides the generated partner institution.
    pub inscribe: Vec<CbeNumber>,
}

/// The generated partner institution: it consults every generated person.
pub const PARTNER_PREFIX: &str = "07999999";
pub const PARTNER_PASSWORD: &str = "generated-partner";
pub const PARTNER_LEGAL_CONTEXT: &str = "UNEMPLOYMENT:LIVING_WAGE_CHECK";

/// A decision of the history, rendered as a form or as a world file's table.
#[derive(Clone, Debug)]
pub enum Decision {
    B {
        pcsa: usize,
        ssin: Ssin,
        kind: RightKind,
        category: Category,
        partner: Option<Ssin>,
        entry: Date,
        months: u16,
        suspended: bool,
        reference: String,
    },
    C {
        pcsa: usize,
        ssin: Ssin,
        entry: Date,
        reference: String,
    },
}

/// Months a person was paid a living wage by a PCSA, in one category.
#[derive(Clone, Debug)]
struct Paid {
    pcsa: usize,
    ssin: Ssin,
    category: Category,
    reference: String,
    names: (String, String),
}

/// A generated world.
pub struct Population {
    pub pcsas: Vec<Pcsa>,
    pub partner: Institution,
    pub persons: Vec<Person>,
    pub inscriptions: Vec<Inscription>,
    /// In the order the register accepts them.
    pub decisions: Vec<Decision>,
    paid: Vec<Paid>,
    /// For each month of the history, from the first: which `paid` were paid then.
    paid_by_month: Vec<Vec<u32>>,
    pub first: Month,
    pub last: Month,
}

/// splitmix64: small, fast, and the same stream everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number from 0 to `n` - 1.
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(i).copied().unwrap_or("")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("--pcsas: expected 1 to {}", PLACES.len())]
    Pcsas,
    #[error("--months: expected 1 to 600")]
    Months,
    #[error("the history's months run before the calendar's")]
    Calendar,
    #[error("a generated value is not valid: {0}")]
    Value(String),
}

fn value(e: impl std::fmt::Display) -> GenerateError {
    GenerateError::Value(e.to_string())
}

/// The month `n` months after `m`.
fn plus(m: Month, n: u32) -> Result<Month, GenerateError> {
    m.add_months(n).ok_or(GenerateError::Calendar)
}

fn pcsa(i: usize) -> Result<Pcsa, GenerateError> {
    let (ins, name, cbe) = PLACES.get(i).ok_or(GenerateError::Pcsas)?;
    let cbe = match cbe {
        Some(c) => CbeNumber::parse(c).map_err(value)?,
        None => CbeNumber::with_check_digits(&format!("03{ins}0")).map_err(value)?,
    };
    Ok(Pcsa {
        cbe,
        ins: InsCode::parse(ins).map_err(value)?,
        name: (*name).to_owned(),
    })
}

/// A new SSIN for a person born on `birth` of `sex` (true: a man), not in `taken`;
/// `bis` adds 20 (sex unknown) or 40 (sex known) to the month.
fn ssin(
    rng: &mut Rng,
    birth: Date,
    man: bool,
    bis: Option<u32>,
    taken: &mut HashSet<Ssin>,
) -> Result<Ssin, GenerateError> {
    let (y, m, d) = birth.ymd();
    loop {
        // Serials 001 to 998: odd for a man, even for a woman.
        let mut serial = 1 + rng.below(998);
        if (serial % 2 == 1) != man {
            serial = if serial == 998 { 997 } else { serial + 1 };
        }
        let month = m + bis.unwrap_or(0);
        let nine = format!("{:02}{month:02}{d:02}{serial:03}", y % 100);
        let s = Ssin::with_check_digits(&nine, y >= 2000).map_err(value)?;
        if taken.insert(s) {
            return Ok(s);
        }
    }
}

/// Generates the population `spec` describes.
pub fn generate(spec: &Spec) -> Result<Population, GenerateError> {
    if spec.pcsas == 0 || spec.pcsas > PLACES.len() {
        return Err(GenerateError::Pcsas);
    }
    if spec.months == 0 || spec.months > 600 {
        return Err(GenerateError::Months);
    }
    let first = spec
        .last
        .sub_months(spec.months - 1)
        .ok_or(GenerateError::Calendar)?;
    let mut rng = Rng(spec.seed);
    let pcsas = (0..spec.pcsas).map(pcsa).collect::<Result<Vec<_>, _>>()?;
    let partner_cbe = CbeNumber::with_check_digits(PARTNER_PREFIX).map_err(value)?;
    let context = || vec![PARTNER_LEGAL_CONTEXT.to_owned()];
    let partner = Institution {
        cbe: partner_cbe,
        name: "Generated partner institution".into(),
        sector: None,
        password_hash: None,
        certificates: Vec::new(),
        grants: vec![
            Grant {
                service: Service::LivingWages,
                legal_contexts: context(),
            },
            Grant {
                service: Service::LivingWagesWithAmount,
                legal_contexts: context(),
            },
            Grant {
                service: Service::LivingWagesNotifications,
                legal_contexts: Vec::new(),
            },
        ],
    };
    let since = OpenPeriod::new(first.first_day(), None).map_err(value)?;
    let quality = QualityCode::new(1).map_err(value)?;
    let earliest = Date::from_ymd(1950, 1, 1).map_err(value)?;
    let mut taken = HashSet::new();
    let mut persons: Vec<Person> = Vec::with_capacity(spec.persons);
    let mut extras = Vec::new();
    for _ in 0..spec.persons {
        let man = rng.chance(50);
        let days = i32::try_from(rng.below(20_000)).unwrap_or(0);
        let birth = earliest.add_days(days).ok_or(GenerateError::Calendar)?;
        let number = ssin(&mut rng, birth, man, None, &mut taken)?;
        let first_name = rng.pick(if man { &MEN } else { &WOMEN }).to_owned();
        let last_name = rng.pick(&LAST_NAMES).to_owned();
        // Some had a bis number before their National Register number; some numbers
        // were cancelled.
        if rng.chance(2) {
            // Month + 40 when the sex was known when the number was given, else + 20.
            let shift = if rng.chance(50) { 40 } else { 20 };
            let bis = ssin(&mut rng, birth, man, Some(shift), &mut taken)?;
            extras.push(Person {
                ssin: bis,
                last_name: last_name.clone(),
                first_name: first_name.clone(),
                birth_date: bis.birth_date(),
                status: RegisterStatus::Replaced { by: number },
            });
        }
        if rng.chance(1) {
            let cancelled = ssin(&mut rng, birth, !man, None, &mut taken)?;
            extras.push(Person {
                ssin: cancelled,
                last_name: last_name.clone(),
                first_name: rng.pick(if man { &WOMEN } else { &MEN }).to_owned(),
                birth_date: cancelled.birth_date(),
                status: RegisterStatus::Cancelled,
            });
        }
        persons.push(Person {
            ssin: number,
            last_name,
            first_name,
            birth_date: number.birth_date(),
            status: RegisterStatus::Active,
        });
    }
    let mut inscriptions = Vec::new();
    for p in &persons {
        for institution in std::iter::once(&partner_cbe).chain(&spec.inscribe) {
            inscriptions.push(Inscription {
                ssin: p.ssin,
                institution: *institution,
                quality,
                period: since,
            });
        }
    }
    let (decisions, paid, paid_by_month) = histories(&mut rng, spec, &persons, first)?;
    persons.extend(extras);
    Ok(Population {
        pcsas,
        partner,
        persons,
        inscriptions,
        decisions,
        paid,
        paid_by_month,
        first,
        last: spec.last,
    })
}

/// The decisions in the order the register accepts them, who was paid, and who was
/// paid in each month of the history.
type Histories = (Vec<Decision>, Vec<Paid>, Vec<Vec<u32>>);

/// Decision histories: nine persons in ten have a right, from a month of the history's
/// first quarter (a generated population is one of beneficiaries). A right runs 3 to
/// 12 months and is renewed 19 times in 20; one in twenty is withdrawn before its end,
/// one in twenty suspended (not paid); one in ten is in category E with the next person
/// as partner.
fn histories(
    rng: &mut Rng,
    spec: &Spec,
    persons: &[Person],
    first: Month,
) -> Result<Histories, GenerateError> {
    let mut decisions: Vec<(Date, Decision)> = Vec::new();
    let mut paid = Vec::new();
    let mut paid_by_month: Vec<Vec<u32>> = vec![Vec::new(); spec.months as usize];
    let mut partner_of_previous = false;
    for (i, person) in persons.iter().enumerate() {
        if std::mem::take(&mut partner_of_previous) || !rng.chance(90) {
            continue;
        }
        let pcsa = usize::try_from(rng.below(spec.pcsas as u64)).unwrap_or(0);
        let partner = match persons.get(i + 1) {
            Some(next) if rng.chance(10) => {
                partner_of_previous = true;
                Some(next.ssin)
            }
            _ => None,
        };
        let category = match partner {
            Some(_) => Category::E,
            None if rng.chance(50) => Category::A,
            None => Category::B,
        };
        let kind = if rng.chance(5) {
            RightKind::EquivalentLivingWage
        } else {
            RightKind::LivingWage
        };
        let reference = format!("G{:07}", i % 10_000_000);
        let mut paid_months = Vec::new();
        // Most rights began in the history's first quarter, and last.
        let mut start = u32::try_from(rng.below(u64::from(spec.months.div_ceil(4)))).unwrap_or(0);
        let mut round = 0;
        while start < spec.months {
            let months = 3 + u32::try_from(rng.below(10)).unwrap_or(0);
            let suspended = rng.chance(5);
            let entry = plus(first, start)?.first_day();
            decisions.push((
                decision_date(entry)?,
                Decision::B {
                    pcsa,
                    ssin: person.ssin,
                    kind,
                    category,
                    partner,
                    entry,
                    months: u16::try_from(months).unwrap_or(12),
                    suspended,
                    reference: format!("{reference}{round}"),
                },
            ));
            let mut end = start + months;
            let stop = start + 1 + u32::try_from(rng.below(u64::from(months - 2))).unwrap_or(0);
            if months > 3 && stop < spec.months && rng.chance(5) {
                // Withdrawn from a month after its first (decided before today).
                let stop_entry = plus(first, stop)?.first_day();
                decisions.push((
                    decision_date(stop_entry)?,
                    Decision::C {
                        pcsa,
                        ssin: person.ssin,
                        entry: stop_entry,
                        reference: format!("{reference}{round}C"),
                    },
                ));
                end = stop;
            }
            if !suspended && kind == RightKind::LivingWage {
                paid_months.extend(start..end.min(spec.months));
            }
            round += 1;
            // Most rights are renewed: a living wage is often a matter of years.
            if end < start + months || !rng.chance(95) || round > 60 {
                break;
            }
            start = end;
        }
        if !paid_months.is_empty() {
            let id = u32::try_from(paid.len()).unwrap_or(u32::MAX);
            for n in paid_months {
                if let Some(month) = paid_by_month.get_mut(n as usize) {
                    month.push(id);
                }
            }
            paid.push(Paid {
                pcsa,
                ssin: person.ssin,
                category,
                reference: format!("{reference}0"),
                names: (person.last_name.clone(), person.first_name.clone()),
            });
        }
    }
    // The register accepts them in the order they were decided.
    decisions.sort_by_key(|(date, _)| *date);
    Ok((
        decisions.into_iter().map(|(_, d)| d).collect(),
        paid,
        paid_by_month,
    ))
}

/// A CPAS decides ten days before the right starts.
fn decision_date(entry: Date) -> Result<Date, GenerateError> {
    entry.add_days(-10).ok_or(GenerateError::Calendar)
}

impl Population {
    /// The reference data, as `apply` writes it.
    pub fn changes(&self, partner_password_hash: Option<String>) -> Vec<Change> {
        let mut changes: Vec<Change> = self.pcsas.iter().cloned().map(Change::Pcsa).collect();
        let mut partner = self.partner.clone();
        partner.password_hash = partner_password_hash;
        changes.push(Change::Institution(partner));
        changes.extend(self.persons.iter().cloned().map(Change::Person));
        changes.extend(self.inscriptions.iter().cloned().map(Change::Inscription));
        changes
    }

    /// A decision as the form the CPAS sends.
    pub fn form(&self, d: &Decision) -> Result<Form, GenerateError> {
        let sender = |pcsa: usize| -> Result<Sender, GenerateError> {
            let p = self.pcsas.get(pcsa).ok_or(GenerateError::Pcsas)?;
            Ok(Sender {
                name: p.name.clone(),
                ins: p.ins,
                cbe: p.cbe,
            })
        };
        Ok(match d {
            Decision::B {
                pcsa,
                ssin,
                kind,
                category,
                partner,
                entry,
                months,
                suspended,
                reference,
            } => {
                let project = Measures {
                    integration_project: Some(8),
                    ..Measures::default()
                };
                Form::B(FormB {
                    sender: sender(*pcsa)?,
                    ssin: *ssin,
                    kind: *kind,
                    entry_date: *entry,
                    category: *category,
                    situation: 12,
                    national_register: 0,
                    homeless: false,
                    study_grant: 0,
                    partner: *partner,
                    duration: Duration {
                        months: *months,
                        ..Duration::default()
                    },
                    decision_date: decision_date(*entry)?,
                    annual_amount: suspended.then(|| Amount::from_cents(0)),
                    installation_premium: None,
                    regularisation: false,
                    reference: Some(reference.clone()),
                    suspension: suspended.then_some(Suspension::Detention),
                    judgement: false,
                    measures: Box::new(if *category == Category::E {
                        PerPerson {
                            beneficiary: project.clone(),
                            partner: project,
                        }
                    } else {
                        PerPerson::default()
                    }),
                    resources: Box::default(),
                })
            }
            Decision::C {
                pcsa,
                ssin,
                entry,
                reference,
            } => Form::C(FormC {
                sender: sender(*pcsa)?,
                ssin: *ssin,
                entry_date: *entry,
                decision_date: decision_date(*entry)?,
                nature: Nature::Withdrawal,
                effective_stop: None,
                status: CStatus::New,
                reference: Some(reference.clone()),
            }),
        })
    }

    /// The statement lines of `month`: one per person paid that month.
    pub fn statement_lines(&self, month: Month) -> Vec<PaymentLine> {
        let mut lines = Vec::new();
        let index = usize::try_from(self.first.months_until(month)).ok();
        let ids = index.and_then(|i| self.paid_by_month.get(i));
        for p in ids
            .into_iter()
            .flatten()
            .filter_map(|id| self.paid.get(*id as usize))
        {
            let Some(pcsa) = self.pcsas.get(p.pcsa) else {
                continue;
            };
            let mut line = PaymentLine::living_wage(
                pcsa.ins,
                p.ssin,
                month,
                month.first_day(),
                month.last_day(),
                monthly_cents(p.category),
            );
            line.amount_type = AmountType::Grant;
            line.category = match p.category {
                Category::A => 'A',
                Category::B => 'B',
                Category::E => 'E',
            };
            line.file_number = format!("{:<11}", truncate(&p.reference, 11));
            line.reference = format!("{:<12}", truncate(&p.reference, 12));
            line.last_name = format!("{:<30}", truncate(&p.names.0, 30));
            line.first_name = format!("{:<20}", truncate(&p.names.1, 20));
            lines.push(line);
        }
        lines
    }

    /// Every month of the history, oldest first.
    pub fn months(&self) -> Vec<Month> {
        let mut months = vec![self.first];
        while let Some(next) = months.last().and_then(|m| m.succ()) {
            if next > self.last {
                break;
            }
            months.push(next);
        }
        months
    }

    /// The world file that declares it, its statements in `statements_file` (a name
    /// beside it).
    pub fn world_file(&self, statements_file: &str) -> Result<String, GenerateError> {
        let mut out = String::new();
        let w = &mut out;
        let _ = writeln!(
            w,
            "# A synthetic population (bcss-gateway world generate): {} persons, {} PCSAs,\n\
             # {} decisions, statements from {} to {}. The partner institution logs in as\n\
             # E{} with password {PARTNER_PASSWORD}.\n",
            self.persons.len(),
            self.pcsas.len(),
            self.decisions.len(),
            self.first,
            self.last,
            self.partner.cbe
        );
        for p in &self.pcsas {
            let _ = writeln!(
                w,
                "[[pcsa]]\ncbeNumber = \"{}\"\ninsCode = \"{}\"\nname = {}\n",
                p.cbe,
                p.ins.as_str(),
                quoted(&p.name)
            );
        }
        let _ = writeln!(
            w,
            "[[institution]]\ncbeNumber = \"{}\"\nname = {}\npassword = \"{PARTNER_PASSWORD}\"\n",
            self.partner.cbe,
            quoted(&self.partner.name)
        );
        for g in &self.partner.grants {
            let contexts: Vec<String> = g.legal_contexts.iter().map(|c| quoted(c)).collect();
            let _ = writeln!(
                w,
                "[[institution.grant]]\nservice = \"{}\"\nlegalContexts = [{}]\n",
                g.service.name(),
                contexts.join(", ")
            );
        }
        for p in &self.persons {
            let _ = write!(
                w,
                "[[person]]\nssin = \"{}\"\nlastName = {}\nfirstName = {}\n",
                p.ssin,
                quoted(&p.last_name),
                quoted(&p.first_name)
            );
            if let Some(birth) = p.birth_date {
                let _ = writeln!(w, "birthDate = \"{birth}\"");
            }
            match p.status {
                RegisterStatus::Replaced { by } => {
                    let _ = writeln!(w, "replacedBy = \"{by}\"");
                }
                RegisterStatus::Cancelled => {
                    let _ = writeln!(w, "cancelled = true");
                }
                RegisterStatus::Active => {}
            }
            w.push('\n');
        }
        for i in &self.inscriptions {
            let _ = writeln!(
                w,
                "[[inscription]]\ninstitution = \"{}\"\nssin = \"{}\"\nquality = {}\nbegin = \"{}\"\n",
                i.institution,
                i.ssin,
                i.quality.code(),
                i.period.begin()
            );
        }
        for d in &self.decisions {
            let form = self.form(d)?;
            w.push_str(&super::export::form_toml(&form, None).map_err(value)?);
        }
        if !self.paid.is_empty() {
            let _ = writeln!(w, "[[statement]]\nfile = {}", quoted(statements_file));
        }
        Ok(out)
    }

    /// The statements as a NOVAPRIMA file.
    pub fn statements_file(&self) -> String {
        let mut out = String::new();
        for month in self.months() {
            for line in self.statement_lines(month) {
                crate::wire::novaprima::write_line(&line, &mut out);
                out.push('\n');
            }
        }
        out
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Where loading a population stands, for a progress display.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub stage: &'static str,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Generate(#[from] GenerateError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("the register refused a generated form (a generator fault): {0}")]
    Refused(String),
}

/// What a load wrote.
#[derive(Clone, Copy, Debug, Default)]
pub struct Loaded {
    pub declarations: usize,
    pub decisions: usize,
    pub statement_lines: usize,
}

/// Forms judged per transaction: a commit per form would make a large population's
/// load a matter of its disk's syncs.
const FORMS_PER_GROUP: usize = 2_000;

/// Loads a population into `store` directly, for a size a world file would not carry
/// well: the reference data in one transaction, then the decisions, judged by the
/// register's rules in order, a few thousand per transaction (their past: not
/// notified), then the statements, a month per transaction.
pub fn load(
    pop: &Population,
    store: &dyn crate::store::Store,
    partner_password_hash: Option<String>,
    now_ms: i64,
    progress: &mut dyn FnMut(Progress),
) -> Result<Loaded, LoadError> {
    use crate::domain::decision::Outcome;
    use crate::services::pcsa_decision::judge;
    use crate::store::{DecisionFile, GroupWrite, Registered};

    let changes = pop.changes(partner_password_hash);
    store.apply(&changes)?;
    let total = pop.decisions.len() as u64;
    let mut done = 0u64;
    for chunk in pop.decisions.chunks(FORMS_PER_GROUP) {
        let forms = chunk
            .iter()
            .map(|d| pop.form(d))
            .collect::<Result<Vec<_>, _>>()?;
        let mut outcomes: Vec<Option<Outcome>> = forms.iter().map(|_| None).collect();
        type Decide<'a> = Box<dyn FnMut(&DecisionFile) -> Option<Registered> + 'a>;
        let mut deciders: Vec<Decide<'_>> = forms
            .iter()
            .zip(outcomes.iter_mut())
            .map(|(form, outcome)| {
                let at = super::history::default_registered_at(form, now_ms);
                Box::new(move |file: &DecisionFile| {
                    let (judged, write) = judge(form, &[], at, false, file);
                    *outcome = Some(judged);
                    write
                }) as Decide<'_>
            })
            .collect();
        let mut writes: Vec<GroupWrite<'_>> = forms
            .iter()
            .zip(deciders.iter_mut())
            .map(|(form, decide)| GroupWrite::Register {
                ssin: form.ssin(),
                pcsa: form.pcsa(),
                decide: decide.as_mut(),
            })
            .collect();
        store.write_group(&mut writes)?;
        drop(writes);
        drop(deciders);
        for (form, outcome) in forms.iter().zip(outcomes) {
            match outcome {
                Some(Outcome::Accepted { .. } | Outcome::AlreadyRegistered(_)) => {}
                other => {
                    return Err(LoadError::Refused(format!(
                        "form {} about {}: {other:?}",
                        form.letter(),
                        form.ssin()
                    )));
                }
            }
        }
        done += chunk.len() as u64;
        progress(Progress {
            stage: "decisions",
            done,
            total,
        });
    }
    let months = pop.months();
    let mut lines_written = 0usize;
    for (i, month) in months.iter().enumerate() {
        let lines = pop.statement_lines(*month);
        let mut by_pcsa: Vec<(InsCode, Vec<PaymentLine>)> = Vec::new();
        for line in lines {
            match by_pcsa.iter_mut().find(|(ins, _)| *ins == line.ins) {
                Some((_, l)) => l.push(line),
                None => by_pcsa.push((line.ins, vec![line])),
            }
        }
        let mut replaced = vec![0usize; by_pcsa.len()];
        let mut writes: Vec<GroupWrite<'_>> = by_pcsa
            .iter()
            .zip(replaced.iter_mut())
            .map(|((ins, lines), replaced)| GroupWrite::Statement {
                ins: *ins,
                month: *month,
                lines,
                replace: true,
                replaced,
            })
            .collect();
        if !writes.is_empty() {
            store.write_group(&mut writes)?;
        }
        lines_written += by_pcsa.iter().map(|(_, l)| l.len()).sum::<usize>();
        progress(Progress {
            stage: "statements",
            done: i as u64 + 1,
            total: months.len() as u64,
        });
    }
    Ok(Loaded {
        declarations: changes.len(),
        decisions: pop.decisions.len(),
        statement_lines: lines_written,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(seed: u64) -> Spec {
        Spec {
            persons: 500,
            seed,
            pcsas: 24,
            months: 36,
            last: Month::parse_xsd("2026-06").unwrap_or_else(|e| panic!("{e}")),
            inscribe: Vec::new(),
        }
    }

    #[test]
    fn a_seed_makes_the_same_world_and_another_seed_another() {
        let world = |seed| {
            let p = generate(&spec(seed)).unwrap_or_else(|e| panic!("{e}"));
            (
                p.world_file("s.txt").unwrap_or_else(|e| panic!("{e}")),
                p.statements_file(),
            )
        };
        assert_eq!(world(1), world(1));
        assert_ne!(world(1).0, world(2).0);
    }

    #[test]
    fn the_numbers_follow_the_registers_rules() {
        let p = generate(&spec(3)).unwrap_or_else(|e| panic!("{e}"));
        let mut seen = HashSet::new();
        let (mut bis, mut cancelled, mut born_2000s) = (0, 0, 0);
        for person in &p.persons {
            let s = person.ssin.as_str();
            assert!(seen.insert(person.ssin), "{s} twice");
            // Parsed again: check digits (the 2000s rule included) hold.
            assert_eq!(
                Ssin::parse(s)
                    .map(|x| x.as_str().to_owned())
                    .ok()
                    .as_deref(),
                Some(s)
            );
            let serial: u32 = s[6..9].parse().unwrap_or(0);
            assert!((1..=998).contains(&serial), "{s}");
            let month: u32 = s[2..4].parse().unwrap_or(0);
            match person.status {
                RegisterStatus::Replaced { by } => {
                    bis += 1;
                    assert!(month > 20, "a bis number shifts its month: {s}");
                    assert!(p.persons.iter().any(|q| q.ssin == by));
                }
                RegisterStatus::Cancelled => cancelled += 1,
                RegisterStatus::Active => assert!((1..=12).contains(&month), "{s}"),
            }
            if person.birth_date.is_some_and(|d| d.year() >= 2000) {
                born_2000s += 1;
            }
        }
        assert!(
            bis > 0 && cancelled > 0 && born_2000s > 0,
            "{bis} {cancelled} {born_2000s}"
        );
        let has = |f: &dyn Fn(&Decision) -> bool| p.decisions.iter().any(f);
        assert!(has(&|d| matches!(d, Decision::C { .. })));
        assert!(has(&|d| matches!(
            d,
            Decision::B {
                suspended: true,
                ..
            }
        )));
        assert!(has(&|d| matches!(
            d,
            Decision::B {
                category: Category::E,
                partner: Some(_),
                ..
            }
        )));
        // Every region has PCSAs.
        let regions: HashSet<_> = p.pcsas.iter().map(|x| x.ins.region()).collect();
        assert_eq!(regions.len(), 3);
        assert!(p.months().iter().any(|m| !p.statement_lines(*m).is_empty()));
    }
}
