//! World files: the register described in TOML, so that a tester brings their own
//! institutions, PCSAs, persons, inscriptions and rights instead of the demo's.
//!
//! Several files compose into one world (a shared base, one team's persons): what one
//! declares, another may refer to, and a key declared twice is an error naming both
//! places. Every value is checked as the register checks it, every problem is reported
//! at once with its file, line and field, and a world is applied in one transaction:
//! all of it or nothing. `export` writes the register back in the same format. The
//! format is described in `schemas/world.schema.json`, and
//! `examples/worlds/example.toml` is an annotated example.

mod export;
pub mod generate;
pub mod history;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use export::export;

use std::cell::RefCell;

use crate::domain::decision::{Form, Outcome};
use crate::domain::{
    CbeNumber, CertificateFingerprint, Date, Delivery, DeliveryMode, Grant, InsCode, Inscription,
    Institution, Month, OpenPeriod, PaymentLine, Pcsa, Period, Person, QualityCode, RegisterStatus,
    Right, SectorInstitution, Service, Ssin, Subscription,
};
use crate::server::auth::hash_password;
use crate::server::injected;
use crate::services::faults::RuleSpec;
use crate::services::pcsa_decision::judge;
use crate::services::statements::RegisterCheck;
use crate::services::subscriptions;
use crate::store::{
    Change, DecisionFile, GroupWrite, ReferenceData, Registered, Store, StoreError,
};
use crate::tls;
use crate::wire::novaprima;

/// The services a grant may name, by their names on the network.
const SERVICES: [Service; 3] = [
    Service::LivingWages,
    Service::LivingWagesWithAmount,
    Service::LivingWagesNotifications,
];

type Text = Spanned<String>;

/// One world file as written. Every value is kept with its position, so that a
/// problem found after reading still names its line.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldFile {
    /// CA certificates (PEM files, relative to the world file) that institutions'
    /// client certificates may chain to.
    #[serde(default, rename = "clientCa", skip_serializing_if = "Vec::is_empty")]
    pub client_cas: Vec<Text>,
    #[serde(default, rename = "pcsa", skip_serializing_if = "Vec::is_empty")]
    pub pcsas: Vec<PcsaEntry>,
    #[serde(default, rename = "institution", skip_serializing_if = "Vec::is_empty")]
    pub institutions: Vec<InstitutionEntry>,
    #[serde(default, rename = "person", skip_serializing_if = "Vec::is_empty")]
    pub persons: Vec<PersonEntry>,
    #[serde(default, rename = "inscription", skip_serializing_if = "Vec::is_empty")]
    pub inscriptions: Vec<InscriptionEntry>,
    #[serde(default, rename = "right", skip_serializing_if = "Vec::is_empty")]
    pub rights: Vec<RightEntry>,
    /// Forms, read with their positions by `history::drafts` (here only so that the
    /// file's other tables are read strictly).
    #[serde(default, rename = "formB", skip_serializing)]
    pub forms_b: Vec<toml::Table>,
    #[serde(default, rename = "formC", skip_serializing)]
    pub forms_c: Vec<toml::Table>,
    #[serde(default, rename = "formD", skip_serializing)]
    pub forms_d: Vec<toml::Table>,
    #[serde(default, rename = "statement", skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<StatementEntry>,
    #[serde(
        default,
        rename = "subscription",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub subscriptions: Vec<SubscriptionEntry>,
    /// Fault rules for the gateway that runs this world (`services::faults`), as the
    /// admin API takes them.
    #[serde(default, rename = "fault", skip_serializing)]
    pub faults: Vec<Spanned<RuleSpec>>,
}

/// A CPAS's monthly statements of payments: a NOVAPRIMA file, or its lines.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementEntry {
    /// Relative to the world file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<Text>,
}

/// A subscription to LivingWagesNotifications.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubscriptionEntry {
    /// CBE number of an institution granted LivingWagesNotifications.
    pub institution: Text,
    /// Where to push (https); absent, it pulls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Text>,
    /// `SSIN_ONLY` (default) or `WITH_ATTESTATION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Text>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PcsaEntry {
    pub cbe_number: Text,
    pub ins_code: Text,
    pub name: Text,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InstitutionEntry {
    pub cbe_number: Text,
    pub name: Text,
    /// HTTP Basic password, hashed when loaded; or its Argon2id hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<Text>,
    /// SHA-256 fingerprints of its client certificates (hex, colons allowed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<Text>,
    /// Its client certificates as PEM files (relative to the world file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificate_files: Vec<Text>,
    /// Its client certificates as PEM text, one each: what `world export` writes for
    /// certificates registered whole, and a fragment sent to the admin API may give.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificate_pems: Vec<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<SectorEntry>,
    #[serde(default, rename = "grant", skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<GrantEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectorEntry {
    pub sector: Spanned<i64>,
    pub institution: Spanned<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GrantEntry {
    pub service: Text,
    #[serde(default)]
    pub legal_contexts: Vec<Text>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PersonEntry {
    pub ssin: Text,
    pub last_name: Text,
    pub first_name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<Text>,
    /// The number that replaced this one (MSG00006).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<Text>,
    /// The number designates nobody any more (MSG00007).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<Spanned<bool>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InscriptionEntry {
    /// CBE number of the institution that manages the person's file.
    pub institution: Text,
    pub ssin: Text,
    pub quality: Spanned<i64>,
    pub begin: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Text>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RightEntry {
    pub ssin: Text,
    /// CBE number of the granting PCSA.
    pub pcsa: Text,
    pub kind: Text,
    pub category: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<Text>,
    #[serde(rename = "period")]
    pub periods: Vec<PeriodEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodEntry {
    pub begin: Text,
    pub end: Text,
}

/// One thing wrong in a world, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// From 1.
    pub line: usize,
    /// The field, as a path into the file: `person[3].ssin`.
    pub field: String,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.field,
            self.reason
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("{}: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("the world was not loaded, nothing was written:\n{}", list(.0))]
    Problems(Vec<Problem>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the register cannot be written as a world file: {0}")]
    Format(String),
    #[error("cannot write {}: {source}", file.display())]
    Write {
        file: PathBuf,
        source: std::io::Error,
    },
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A world file read, with where its lines start (to turn positions into lines).
pub struct Source {
    pub path: PathBuf,
    line_starts: Vec<usize>,
    pub world: WorldFile,
    /// Its forms, in the order written.
    pub drafts: Vec<history::Draft>,
}

impl Source {
    fn new(path: &Path, text: &str, world: WorldFile) -> Source {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source {
            path: path.to_owned(),
            line_starts,
            world,
            drafts: Vec::new(),
        }
    }

    /// The line (from 1) of a byte offset.
    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
    }
}

/// Reads world files; a file that is not TOML, or not of this format, is a problem
/// of its own, and the others are still read so that every problem is reported.
pub fn read(paths: &[PathBuf]) -> Result<Vec<Source>, WorldError> {
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|source| WorldError::Read {
            file: path.clone(),
            source,
        })?;
        match parse(path, text) {
            Ok(source) => sources.push(source),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(sources)
    } else {
        Err(WorldError::Problems(problems))
    }
}

/// Reads one world file's text.
pub fn parse(path: &Path, text: String) -> Result<Source, Problem> {
    match toml::from_str::<WorldFile>(&text) {
        Ok(world) => {
            let has_forms =
                !(world.forms_b.is_empty() && world.forms_c.is_empty() && world.forms_d.is_empty());
            let mut source = Source::new(path, &text, world);
            if has_forms {
                source.drafts = history::drafts(&text).map_err(|(at, reason)| Problem {
                    file: path.to_owned(),
                    line: source.line(at),
                    field: field_at(&text, source.line(at)),
                    reason,
                })?;
            }
            Ok(source)
        }
        Err(e) => {
            let line = e.span().map_or(1, |s| {
                Source::new(path, &text, WorldFile::default()).line(s.start)
            });
            Err(Problem {
                file: path.to_owned(),
                line,
                field: field_at(&text, line),
                reason: e.message().trim().to_owned(),
            })
        }
    }
}

/// The field a line of a world file sets, as well as the text tells without reading
/// it: the table it is in (the last header before it) and its key. A reader's error
/// names only its position.
fn field_at(text: &str, line: usize) -> String {
    let lines: Vec<&str> = text.lines().take(line).collect();
    let table = lines
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    let key = lines
        .last()
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim().to_owned())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    match (table, key) {
        (Some(t), Some(k)) => format!("{t}.{k}"),
        (Some(t), None) => t,
        (None, Some(k)) => k,
        (None, None) => "(file)".into(),
    }
}

/// Where a key was first declared (its file, and its position in it), to name both
/// places of a duplicate.
type Declared<'a> = HashMap<String, (&'a Source, usize)>;

/// A world checked: what to write to the register, and the CAs to trust for client
/// certificates (each as its PEM text, named by its fingerprint).
pub struct Checked {
    pub changes: Vec<Change>,
    pub client_cas: Vec<(String, String)>,
    /// The decision history, in the order written (files in the order given).
    pub forms: Vec<CheckedForm>,
    /// Statements, one per CPAS and month, each replacing what the register held.
    pub statements: Vec<(InsCode, Month, Vec<PaymentLine>)>,
    pub subscriptions: Vec<(CbeNumber, Delivery, DeliveryMode)>,
    /// Fault rules, for the running gateway only (the store never holds them).
    pub faults: Vec<RuleSpec>,
}

impl Checked {
    /// How many things the world declares.
    pub fn declarations(&self) -> usize {
        self.changes.len()
            + self.client_cas.len()
            + self.forms.len()
            + self
                .statements
                .iter()
                .map(|(_, _, l)| l.len())
                .sum::<usize>()
            + self.subscriptions.len()
            + self.faults.len()
    }
}

/// A form read, still to be judged (in the world's transaction), and where it is.
pub struct CheckedForm {
    pub form: Form,
    pub registered_at_ms: Option<i64>,
    /// Which source, and which of its drafts.
    source: usize,
    draft: usize,
}

/// Checks a world against itself and the register it is to be loaded into, and returns
/// what loads it. Passwords are hashed and files read here: call it off the async
/// workers.
pub fn check(sources: &[Source], register: &dyn ReferenceData) -> Result<Checked, WorldError> {
    let mut c = Checker {
        problems: Vec::new(),
        source: None,
        certificates: Vec::new(),
    };
    let (mut pcsas, mut institutions, mut persons) = (Vec::new(), Vec::new(), Vec::new());
    let (mut declared_pcsas, mut declared_institutions, mut declared_persons) =
        (Declared::new(), Declared::new(), Declared::new());
    let mut client_cas = Vec::new();
    // A municipality has one CPAS: statements name it by its INS code.
    let mut ins_owners: HashMap<InsCode, (CbeNumber, String)> = register
        .pcsas()?
        .into_iter()
        .map(|p| (p.ins, (p.cbe, p.name)))
        .collect();
    // Declarations first, in every file: a file may refer to what another declares.
    for source in sources {
        c.source = Some(source);
        for (i, t) in source.world.client_cas.iter().enumerate() {
            if let Some(ca) = c.client_ca(&format!("clientCa[{i}]"), t) {
                client_cas.push(ca);
            }
        }
        for (i, e) in source.world.pcsas.iter().enumerate() {
            let at = format!("pcsa[{i}]");
            if let Some(pcsa) = c.pcsa(&at, e) {
                c.unique(&mut declared_pcsas, pcsa.cbe.as_str(), &e.cbe_number, &at);
                match ins_owners.get(&pcsa.ins) {
                    Some((owner, name)) if *owner != pcsa.cbe => {
                        let reason = format!(
                            "{} is already the INS code of PCSA {owner} ({name}): a municipality has one CPAS",
                            pcsa.ins.as_str()
                        );
                        c.problem(e.ins_code.span(), format!("{at}.insCode"), reason);
                    }
                    _ => {
                        ins_owners.insert(pcsa.ins, (pcsa.cbe, pcsa.name.clone()));
                    }
                }
                pcsas.push(pcsa);
            }
        }
        for (i, e) in source.world.institutions.iter().enumerate() {
            let at = format!("institution[{i}]");
            if let Some(institution) = c.institution(&at, e) {
                c.unique(
                    &mut declared_institutions,
                    institution.cbe.as_str(),
                    &e.cbe_number,
                    &at,
                );
                institutions.push(institution);
            }
        }
        for (i, e) in source.world.persons.iter().enumerate() {
            let at = format!("person[{i}]");
            if let Some(person) = c.person(&at, e) {
                c.unique(&mut declared_persons, person.ssin.as_str(), &e.ssin, &at);
                persons.push(person);
            }
        }
    }
    let known = Known {
        pcsas: &declared_pcsas,
        institutions: &declared_institutions,
        persons: &declared_persons,
        register,
    };
    let mut changes: Vec<Change> = Vec::new();
    for source in sources {
        c.source = Some(source);
        for (i, e) in source.world.inscriptions.iter().enumerate() {
            if let Some(inscription) = c.inscription(&format!("inscription[{i}]"), e, &known)? {
                changes.push(Change::Inscription(inscription));
            }
        }
        for (i, e) in source.world.rights.iter().enumerate() {
            if let Some(right) = c.right(&format!("right[{i}]"), e, &known)? {
                changes.push(Change::Right(right));
            }
        }
    }
    let forms = c.forms(sources, &pcsas, register)?;
    let statements = c.statements(sources, &pcsas, &persons, register)?;
    let subscriptions = c.subscriptions(sources, &institutions, register)?;
    let mut fault_rules = Vec::new();
    for source in sources {
        c.source = Some(source);
        for (i, rule) in source.world.faults.iter().enumerate() {
            match injected::check(rule.get_ref()) {
                Ok(()) => fault_rules.push(rule.get_ref().clone()),
                Err(e) => c.problem(rule.span(), format!("fault[{i}].{}", e.field), e.reason),
            }
        }
    }
    if !c.problems.is_empty() {
        // In reading order, whichever pass found them.
        let order: Vec<&Path> = sources.iter().map(|s| s.path.as_path()).collect();
        c.problems.sort_by_key(|p| {
            let file = order.iter().position(|f| *f == p.file.as_path());
            (file, p.line)
        });
        return Err(WorldError::Problems(c.problems));
    }
    let mut all: Vec<Change> = pcsas.into_iter().map(Change::Pcsa).collect();
    all.extend(institutions.into_iter().map(Change::Institution));
    all.extend(
        std::mem::take(&mut c.certificates)
            .into_iter()
            .map(Change::Certificate),
    );
    all.extend(persons.into_iter().map(Change::Person));
    all.append(&mut changes);
    Ok(Checked {
        changes: all,
        client_cas,
        forms,
        statements,
        subscriptions,
        faults: fault_rules,
    })
}

/// Writes a checked world in one transaction: the reference data, then the forms,
/// each judged by the register's rules against what the ones before it wrote (a form
/// already registered is left as it is: a world loaded again changes nothing), the
/// statements and the subscriptions. When the register refuses a form, nothing is
/// written and each refusal is a problem. `announce` puts the forms' changes in the
/// outbox (a running gateway's are notified; a history loaded at start is the
/// register's past). Returns whether an outbox event was written.
pub fn write(
    store: &dyn Store,
    sources: &[Source],
    checked: &Checked,
    announce: bool,
    now_ms: i64,
) -> Result<bool, WorldError> {
    let outcomes: RefCell<Vec<Option<Outcome>>> =
        RefCell::new(checked.forms.iter().map(|_| None).collect());
    type Decide<'a> = Box<dyn FnMut(&DecisionFile) -> Option<Registered> + 'a>;
    let mut deciders: Vec<Decide<'_>> = checked
        .forms
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let outcomes = &outcomes;
            let at = f
                .registered_at_ms
                .unwrap_or_else(|| history::default_registered_at(&f.form, now_ms));
            Box::new(move |file: &DecisionFile| {
                let (judged, write) = judge(&f.form, &[], at, announce, file);
                if let Some(slot) = outcomes.borrow_mut().get_mut(i) {
                    *slot = Some(judged);
                }
                write
            }) as Decide<'_>
        })
        .collect();
    type Subscribe<'a> = Box<dyn FnMut(Option<&Subscription>) -> Option<Subscription> + 'a>;
    let mut subscribers: Vec<Subscribe<'_>> = checked
        .subscriptions
        .iter()
        .map(|(cbe, delivery, mode)| {
            Box::new(move |old: Option<&Subscription>| {
                Some(subscriptions::subscribed(old, cbe, delivery, *mode, now_ms))
            }) as Subscribe<'_>
        })
        .collect();
    let mut replaced = vec![0usize; checked.statements.len()];
    let mut keep = || {
        outcomes.borrow().iter().all(|o| {
            matches!(
                o,
                Some(Outcome::Accepted { .. } | Outcome::AlreadyRegistered(_))
            )
        })
    };
    let mut writes = vec![GroupWrite::Apply(&checked.changes)];
    for (f, decide) in checked.forms.iter().zip(deciders.iter_mut()) {
        writes.push(GroupWrite::Register {
            ssin: f.form.ssin(),
            pcsa: f.form.pcsa(),
            decide: decide.as_mut(),
        });
    }
    for ((ins, month, lines), replaced) in checked.statements.iter().zip(replaced.iter_mut()) {
        writes.push(GroupWrite::Statement {
            ins: *ins,
            month: *month,
            lines,
            replace: true,
            replaced,
        });
    }
    for ((cbe, _, _), decide) in checked.subscriptions.iter().zip(subscribers.iter_mut()) {
        writes.push(GroupWrite::Subscribe {
            institution: *cbe,
            decide: decide.as_mut(),
        });
    }
    writes.push(GroupWrite::Check(&mut keep));
    store.write_group(&mut writes)?;
    drop(writes);
    drop(deciders);
    let mut refusals = Vec::new();
    let mut announced = false;
    for (f, outcome) in checked.forms.iter().zip(outcomes.into_inner()) {
        let source = &sources[f.source];
        let draft = &source.drafts[f.draft];
        match outcome {
            Some(Outcome::Accepted { event, .. }) => announced |= announce && event.is_some(),
            Some(Outcome::AlreadyRegistered(_)) => {}
            Some(Outcome::Rejected(errors)) => {
                for e in &errors {
                    let p = history::form_problem(&draft.node, e);
                    refusals.push(Problem {
                        file: source.path.clone(),
                        line: source.line(p.span.start),
                        field: draft.field(&p.path),
                        reason: format!("the register refuses it: {}", p.reason),
                    });
                }
            }
            None => refusals.push(Problem {
                file: source.path.clone(),
                line: source.line(draft.node.span.start),
                field: draft.at(),
                reason: "the register did not judge it".into(),
            }),
        }
    }
    if refusals.is_empty() {
        Ok(announced)
    } else {
        Err(WorldError::Problems(refusals))
    }
}

/// Reads, checks and writes world files to `store` in one transaction (`write`: their
/// forms are the register's past, not notified); the CAs they declare are then
/// written into `trusted_cas` (a directory the server reads its trusted client CAs
/// from). Returns how many declarations were applied, and the fault rules for the
/// gateway about to serve them.
pub fn load(
    paths: &[PathBuf],
    store: &dyn Store,
    trusted_cas: &Path,
) -> Result<Loaded, WorldError> {
    let sources = read(paths)?;
    let checked = check(&sources, store)?;
    write(
        store,
        &sources,
        &checked,
        false,
        crate::clock::unix_millis(),
    )?;
    if !checked.client_cas.is_empty() {
        crate::files::private_dir(trusted_cas).map_err(|source| WorldError::Write {
            file: trusted_cas.to_owned(),
            source,
        })?;
    }
    for (name, pem) in &checked.client_cas {
        let file = trusted_cas.join(format!("{name}.pem"));
        crate::files::write(&file, pem, false)
            .map_err(|source| WorldError::Write { file, source })?;
    }
    Ok(Loaded {
        declarations: checked.declarations(),
        faults: checked.faults,
    })
}

/// What `load` wrote, and what it leaves to the gateway.
pub struct Loaded {
    pub declarations: usize,
    pub faults: Vec<RuleSpec>,
}

/// Applies a world fragment sent to the running gateway over the admin API, named
/// `name` in its problems: as `apply_running`, but naming no file (the command line
/// sends paths through the control socket instead).
pub fn apply_fragment(
    name: &Path,
    text: String,
    store: &dyn Store,
    now_ms: i64,
) -> Result<Applied, WorldError> {
    let source = parse(name, text).map_err(|p| WorldError::Problems(vec![p]))?;
    // A fragment sent over the network names no file of the gateway's machine: it could
    // read any file the gateway's account may, and its problems would quote it.
    let mut files = Vec::new();
    for (i, e) in source.world.institutions.iter().enumerate() {
        for (j, f) in e.certificate_files.iter().enumerate() {
            files.push((f, format!("institution[{i}].certificateFiles[{j}]")));
        }
    }
    for (i, e) in source.world.statements.iter().enumerate() {
        if let Some(f) = &e.file {
            files.push((f, format!("statement[{i}].file")));
        }
    }
    if !files.is_empty() {
        let problems = files
            .into_iter()
            .map(|(f, field)| Problem {
                file: name.to_owned(),
                line: source.line(f.span().start),
                field,
                reason: "a fragment sent to the admin API names no file: give certificates \
                         as fingerprints (certificates) and statements as lines"
                    .into(),
            })
            .collect();
        return Err(WorldError::Problems(problems));
    }
    apply_running(std::slice::from_ref(&source), store, now_ms)
}

/// What applying a world to a running gateway did.
pub struct Applied {
    pub declarations: usize,
    /// An outbox event was written: the dispatcher has notifications to make.
    pub announced: bool,
    /// Fault rules for the running gateway to add.
    pub faults: Vec<RuleSpec>,
}

/// Applies world files to a running gateway's register: as `load`, all of them or
/// nothing, what they declare again replacing what the register held; its forms are
/// judged and notified as if the CPAS had sent them, at `now_ms` unless they say when. A CA for
/// client certificates is trusted only from the worlds given at start, which the TLS
/// listener reads once (an institution's own certificates are trusted at once); file
/// paths are read relative to each file. Returns how many declarations were applied.
pub fn apply_running(
    sources: &[Source],
    store: &dyn Store,
    now_ms: i64,
) -> Result<Applied, WorldError> {
    let cas: Vec<Problem> = sources
        .iter()
        .filter_map(|source| {
            let first = source.world.client_cas.first()?;
            Some(Problem {
                file: source.path.clone(),
                line: source.line(first.span().start),
                field: "clientCa".into(),
                reason: "a CA for client certificates is trusted from the worlds given at \
                         start (serve --world); an institution's own certificates \
                         (certificates, certificateFiles) are trusted at once"
                    .into(),
            })
        })
        .collect();
    if !cas.is_empty() {
        return Err(WorldError::Problems(cas));
    }
    let mut checked = check(sources, store)?;
    for f in &mut checked.forms {
        f.registered_at_ms.get_or_insert(now_ms);
    }
    let announced = write(store, sources, &checked, true, now_ms)?;
    Ok(Applied {
        declarations: checked.declarations(),
        announced,
        faults: checked.faults,
    })
}

/// Where the CAs that world files declare for client certificates are kept in a data
/// directory, for `serve` to trust.
pub fn trusted_cas_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("certs").join("client-cas")
}

/// The CA files a server trusts for client certificates, from `trusted_cas` (written
/// by `load`), in name order; none when the directory does not exist.
pub fn trusted_cas(trusted_cas: &Path) -> Result<Vec<PathBuf>, WorldError> {
    let entries = match std::fs::read_dir(trusted_cas) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(WorldError::Read {
                file: trusted_cas.to_owned(),
                source,
            });
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| WorldError::Read {
                file: trusted_cas.to_owned(),
                source,
            })?
            .path();
        if path.extension().is_some_and(|e| e == "pem") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// What a reference may name: declared in the world, or already in the register.
struct Known<'a> {
    pcsas: &'a Declared<'a>,
    institutions: &'a Declared<'a>,
    persons: &'a Declared<'a>,
    register: &'a dyn ReferenceData,
}

struct Checker<'a> {
    problems: Vec<Problem>,
    source: Option<&'a Source>,
    /// Institutions' certificates given as files: registered whole, so that a
    /// signature may name one rather than carry it.
    certificates: Vec<Vec<u8>>,
}

impl<'a> Checker<'a> {
    fn line_of(&self, span: std::ops::Range<usize>) -> usize {
        self.source.map_or(1, |s| s.line(span.start))
    }

    fn problem(&mut self, span: std::ops::Range<usize>, field: String, reason: String) {
        let line = self.line_of(span);
        let file = self.source.map(|s| s.path.clone()).unwrap_or_default();
        self.problems.push(Problem {
            file,
            line,
            field,
            reason,
        });
    }

    /// A value read by `parse`, or a problem naming `field`.
    fn value<T, E: fmt::Display>(
        &mut self,
        text: &Text,
        field: String,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match parse(text.get_ref()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(text.span(), field, e.to_string());
                None
            }
        }
    }

    fn optional<T, E: fmt::Display>(
        &mut self,
        text: Option<&Text>,
        field: String,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<Option<T>> {
        match text {
            None => Some(None),
            Some(t) => self.value(t, field, parse).map(Some),
        }
    }

    fn unique(&mut self, declared: &mut Declared<'a>, key: &str, at: &Text, field: &str) {
        match declared.get(key) {
            Some((source, offset)) => {
                let reason = format!(
                    "{key} is declared twice: also at {}:{}",
                    source.path.display(),
                    source.line(*offset)
                );
                self.problem(at.span(), field.to_owned(), reason);
            }
            None => {
                if let Some(source) = self.source {
                    declared.insert(key.to_owned(), (source, at.span().start));
                }
            }
        }
    }

    fn pcsa(&mut self, at: &str, e: &PcsaEntry) -> Option<Pcsa> {
        let cbe = self.value(&e.cbe_number, format!("{at}.cbeNumber"), CbeNumber::parse);
        let ins = self.value(&e.ins_code, format!("{at}.insCode"), InsCode::parse);
        let name = self.name(&e.name, format!("{at}.name"));
        Some(Pcsa {
            cbe: cbe?,
            ins: ins?,
            name: name?,
        })
    }

    fn name(&mut self, text: &Text, field: String) -> Option<String> {
        self.value(text, field, |s| {
            if s.trim().is_empty() {
                Err("must not be empty")
            } else {
                Ok(s.to_owned())
            }
        })
    }

    fn institution(&mut self, at: &str, e: &InstitutionEntry) -> Option<Institution> {
        let cbe = self.value(&e.cbe_number, format!("{at}.cbeNumber"), CbeNumber::parse);
        let name = self.name(&e.name, format!("{at}.name"));
        let password_hash = match (&e.password, &e.password_hash) {
            (Some(p), Some(_)) => {
                self.problem(
                    p.span(),
                    format!("{at}.password"),
                    "give password or passwordHash, not both".into(),
                );
                None
            }
            (Some(p), None) => self.value(p, format!("{at}.password"), |s| {
                if s.is_empty() {
                    return Err("must not be empty".to_owned());
                }
                hash_password(s).map(Some).map_err(|e| e.to_string())
            }),
            (None, Some(h)) => self.value(h, format!("{at}.passwordHash"), |s| {
                if s.starts_with("$argon2") {
                    Ok(Some(s.to_owned()))
                } else {
                    Err("expected an Argon2 hash in PHC form ($argon2id$...)")
                }
            }),
            (None, None) => Some(None),
        };
        let mut certificates = Vec::new();
        for (i, t) in e.certificates.iter().enumerate() {
            if let Some(f) = self.value(t, format!("{at}.certificates[{i}]"), |s| {
                s.parse::<CertificateFingerprint>()
            }) {
                certificates.push(f);
            }
        }
        for (i, t) in e.certificate_files.iter().enumerate() {
            let field = format!("{at}.certificateFiles[{i}]");
            if let Some((fingerprint, _, der)) = self.certificate_file(t, field) {
                certificates.push(fingerprint);
                self.certificates.push(der);
            }
        }
        for (i, t) in e.certificate_pems.iter().enumerate() {
            use rustls::pki_types::pem::PemObject;
            let field = format!("{at}.certificatePems[{i}]");
            match rustls::pki_types::CertificateDer::from_pem_slice(t.get_ref().as_bytes()) {
                Ok(der) => {
                    certificates.push(tls::fingerprint(&der));
                    self.certificates.push(der.to_vec());
                }
                Err(e) => self.problem(t.span(), field, format!("not a PEM certificate: {e}")),
            }
        }
        let sector = match &e.sector {
            None => Some(None),
            Some(s) => {
                let sector = self.number(&s.sector, format!("{at}.sector.sector"));
                let institution = self.number(&s.institution, format!("{at}.sector.institution"));
                match (sector, institution) {
                    (Some(sector), Some(institution)) => Some(Some(SectorInstitution {
                        sector,
                        institution,
                    })),
                    _ => None,
                }
            }
        };
        let mut grants = Vec::new();
        for (i, g) in e.grants.iter().enumerate() {
            let service = self.value(&g.service, format!("{at}.grant[{i}].service"), |s| {
                SERVICES
                    .into_iter()
                    .find(|svc| svc.name() == s)
                    .ok_or_else(|| {
                        let names: Vec<&str> = SERVICES.iter().map(|s| s.name()).collect();
                        format!(
                            "{s:?} is not a service: expected one of {}",
                            names.join(", ")
                        )
                    })
            });
            let mut legal_contexts = Vec::new();
            for (j, lc) in g.legal_contexts.iter().enumerate() {
                let field = format!("{at}.grant[{i}].legalContexts[{j}]");
                if let Some(lc) = self.value(lc, field, |s| {
                    if s.is_empty() || s.len() > 100 {
                        Err("expected a legal context of 1 to 100 characters")
                    } else {
                        Ok(s.to_owned())
                    }
                }) {
                    legal_contexts.push(lc);
                }
            }
            if let Some(service) = service {
                grants.push(Grant {
                    service,
                    legal_contexts,
                });
            }
        }
        Some(Institution {
            cbe: cbe?,
            name: name?,
            sector: sector?,
            password_hash: password_hash?,
            certificates,
            grants,
        })
    }

    /// A PEM file named relative to the world file: the fingerprint of its first
    /// certificate, and its text.
    fn certificate_file(
        &mut self,
        t: &Text,
        field: String,
    ) -> Option<(CertificateFingerprint, String, Vec<u8>)> {
        let dir = self
            .source
            .and_then(|s| s.path.parent())
            .map(Path::to_owned)
            .unwrap_or_default();
        let path = dir.join(t.get_ref());
        let read = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: {e}", path.display()))
            .and_then(|pem| {
                let certs = tls::load_certificates(&path).map_err(|e| e.to_string())?;
                let first = certs
                    .first()
                    .ok_or_else(|| format!("{} holds no certificate", path.display()))?;
                Ok((tls::fingerprint(first), pem, first.to_vec()))
            });
        match read {
            Ok(found) => Some(found),
            Err(reason) => {
                self.problem(t.span(), field, reason);
                None
            }
        }
    }

    /// A CA certificate to trust for client certificates: a PEM file whose
    /// certificates can anchor a chain.
    fn client_ca(&mut self, at: &str, t: &Text) -> Option<(String, String)> {
        let (fingerprint, pem, _) = self.certificate_file(t, at.to_owned())?;
        let dir = self
            .source
            .and_then(|s| s.path.parent())
            .unwrap_or(Path::new(""));
        let anchors = tls::load_certificates(&dir.join(t.get_ref())).ok()?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in anchors {
            if let Err(e) = roots.add(cert) {
                self.problem(
                    t.span(),
                    at.to_owned(),
                    format!("not usable as a CA certificate: {e}"),
                );
                return None;
            }
        }
        Some((fingerprint.to_hex(), pem))
    }

    fn number(&mut self, n: &Spanned<i64>, field: String) -> Option<u16> {
        match u16::try_from(*n.get_ref()) {
            Ok(v) if v <= 999 => Some(v),
            _ => {
                self.problem(n.span(), field, "expected a number from 0 to 999".into());
                None
            }
        }
    }

    fn person(&mut self, at: &str, e: &PersonEntry) -> Option<Person> {
        let ssin = self.value(&e.ssin, format!("{at}.ssin"), Ssin::parse);
        let last_name = self.name(&e.last_name, format!("{at}.lastName"));
        let first_name = self.value(&e.first_name, format!("{at}.firstName"), |s| {
            Ok::<_, std::convert::Infallible>(s.to_owned())
        });
        let birth_date = self.optional(
            e.birth_date.as_ref(),
            format!("{at}.birthDate"),
            Date::parse_xsd,
        );
        let replaced_by = self.optional(
            e.replaced_by.as_ref(),
            format!("{at}.replacedBy"),
            Ssin::parse,
        );
        let cancelled = e.cancelled.as_ref().is_some_and(|c| *c.get_ref());
        let status = match (replaced_by?, cancelled) {
            (Some(_), true) => {
                let span = e.cancelled.as_ref().map(Spanned::span).unwrap_or(0..0);
                self.problem(
                    span,
                    format!("{at}.cancelled"),
                    "a number is either replaced or cancelled, not both".into(),
                );
                return None;
            }
            (Some(by), false) => RegisterStatus::Replaced { by },
            (None, true) => RegisterStatus::Cancelled,
            (None, false) => RegisterStatus::Active,
        };
        Some(Person {
            ssin: ssin?,
            last_name: last_name?,
            first_name: first_name?,
            birth_date: birth_date?,
            status,
        })
    }

    /// A reference to a person: declared in the world or in the register.
    fn person_ref(
        &mut self,
        text: &Text,
        field: String,
        known: &Known<'_>,
    ) -> Result<Option<Ssin>, StoreError> {
        let Some(ssin) = self.value(text, field.clone(), Ssin::parse) else {
            return Ok(None);
        };
        if known.persons.contains_key(ssin.as_str()) || known.register.person(&ssin)?.is_some() {
            Ok(Some(ssin))
        } else {
            self.problem(
                text.span(),
                field,
                format!("{ssin} is not a person of the world or of the register"),
            );
            Ok(None)
        }
    }

    fn inscription(
        &mut self,
        at: &str,
        e: &InscriptionEntry,
        known: &Known<'_>,
    ) -> Result<Option<Inscription>, StoreError> {
        let institution = match self.value(
            &e.institution,
            format!("{at}.institution"),
            CbeNumber::parse,
        ) {
            Some(cbe)
                if known.institutions.contains_key(cbe.as_str())
                    || known.pcsas.contains_key(cbe.as_str())
                    || known.register.institution(&cbe)?.is_some()
                    || known.register.pcsa(&cbe)?.is_some() =>
            {
                Some(cbe)
            }
            Some(cbe) => {
                self.problem(
                    e.institution.span(),
                    format!("{at}.institution"),
                    format!("{cbe} is not an institution or PCSA of the world or of the register"),
                );
                None
            }
            None => None,
        };
        let ssin = self.person_ref(&e.ssin, format!("{at}.ssin"), known)?;
        let quality = match u8::try_from(*e.quality.get_ref()).map(QualityCode::new) {
            Ok(Ok(q)) => Some(q),
            Ok(Err(err)) => {
                self.problem(e.quality.span(), format!("{at}.quality"), err.to_string());
                None
            }
            Err(_) => {
                let reason = format!("{} is not a quality code", e.quality.get_ref());
                self.problem(e.quality.span(), format!("{at}.quality"), reason);
                None
            }
        };
        let begin = self.value(&e.begin, format!("{at}.begin"), Date::parse_xsd);
        let end = self.optional(e.end.as_ref(), format!("{at}.end"), Date::parse_xsd);
        let period = match (begin, end) {
            (Some(begin), Some(end)) => {
                let span = e.end.as_ref().map_or(e.begin.span(), Spanned::span);
                match OpenPeriod::new(begin, end) {
                    Ok(p) => Some(p),
                    Err(err) => {
                        self.problem(span, format!("{at}.end"), err.to_string());
                        None
                    }
                }
            }
            _ => None,
        };
        Ok(match (institution, ssin, quality, period) {
            (Some(institution), Some(ssin), Some(quality), Some(period)) => Some(Inscription {
                ssin,
                institution,
                quality,
                period,
            }),
            _ => None,
        })
    }

    /// Each source's forms, read as the service reads them; judged later, in the
    /// world's transaction.
    fn forms(
        &mut self,
        sources: &'a [Source],
        pcsas: &[Pcsa],
        register: &dyn ReferenceData,
    ) -> Result<Vec<CheckedForm>, StoreError> {
        let declared: HashMap<CbeNumber, &Pcsa> = pcsas.iter().map(|p| (p.cbe, p)).collect();
        let mut store_error = None;
        let mut find = |text: &str| -> Result<Pcsa, String> {
            let cbe = CbeNumber::parse(text).map_err(|e| e.to_string())?;
            if let Some(p) = declared.get(&cbe) {
                return Ok((*p).clone());
            }
            match register.pcsa(&cbe) {
                Ok(Some(p)) => Ok(p),
                Ok(None) => Err(format!(
                    "{cbe} is not a PCSA of the world or of the register"
                )),
                Err(e) => {
                    let reason = e.to_string();
                    store_error = Some(e);
                    Err(reason)
                }
            }
        };
        let mut forms = Vec::new();
        for (i, source) in sources.iter().enumerate() {
            self.source = Some(source);
            for (j, draft) in source.drafts.iter().enumerate() {
                match history::read(draft, &mut find) {
                    history::Read::Form {
                        form,
                        registered_at_ms,
                    } => forms.push(CheckedForm {
                        form,
                        registered_at_ms,
                        source: i,
                        draft: j,
                    }),
                    history::Read::Problems(problems) => {
                        for p in problems {
                            self.problem(p.span, draft.field(&p.path), p.reason);
                        }
                    }
                }
            }
        }
        match store_error {
            Some(e) => Err(e),
            None => Ok(forms),
        }
    }

    /// Each source's statement lines, checked as `payments import` checks them
    /// against the register the world makes; grouped by CPAS and month.
    fn statements(
        &mut self,
        sources: &'a [Source],
        pcsas: &[Pcsa],
        persons: &[Person],
        register: &dyn ReferenceData,
    ) -> Result<Vec<(InsCode, Month, Vec<PaymentLine>)>, StoreError> {
        let mut check = RegisterCheck::new(register)?.with_declared(
            pcsas.iter().map(|p| p.ins),
            persons.iter().map(|p| (p.ssin, p.status)),
        );
        let mut grouped: Vec<(InsCode, Month, Vec<PaymentLine>)> = Vec::new();
        for source in sources {
            self.source = Some(source);
            for (i, e) in source.world.statements.iter().enumerate() {
                let at = format!("statement[{i}]");
                // Each line with where a problem of it is said to be.
                let lines: Vec<(String, PathBuf, usize)> = match (&e.file, e.lines.is_empty()) {
                    (Some(file), true) => {
                        let dir = source.path.parent().unwrap_or(Path::new(""));
                        let path = dir.join(file.get_ref());
                        match std::fs::read_to_string(&path) {
                            Ok(text) => text
                                .lines()
                                .enumerate()
                                .filter(|(_, l)| !l.is_empty())
                                .map(|(n, l)| (l.to_owned(), path.clone(), n + 1))
                                .collect(),
                            Err(err) => {
                                self.problem(
                                    file.span(),
                                    format!("{at}.file"),
                                    format!("{}: {err}", path.display()),
                                );
                                continue;
                            }
                        }
                    }
                    (None, false) => e
                        .lines
                        .iter()
                        .map(|l| {
                            let line = source.line(l.span().start);
                            (l.get_ref().clone(), source.path.clone(), line)
                        })
                        .collect(),
                    _ => {
                        let span = e.file.as_ref().map_or(0..0, Spanned::span);
                        self.problem(span, at, "give a file or lines, not both".into());
                        continue;
                    }
                };
                for (text, file, line) in lines {
                    let errors = match novaprima::parse_line(&text) {
                        Err(errors) => errors,
                        Ok(payment) => {
                            let errors = check.check(&payment)?;
                            if errors.is_empty() {
                                match grouped.iter_mut().find(|(ins, m, _)| {
                                    *ins == payment.ins && *m == payment.statement
                                }) {
                                    Some((_, _, lines)) => lines.push(payment),
                                    None => grouped.push((
                                        payment.ins,
                                        payment.statement,
                                        vec![payment],
                                    )),
                                }
                            }
                            errors
                        }
                    };
                    for e in errors {
                        self.problems.push(Problem {
                            file: file.clone(),
                            line,
                            field: format!("{at}.{}", e.field),
                            reason: e.reason,
                        });
                    }
                }
            }
        }
        Ok(grouped)
    }

    /// Each source's subscriptions: an institution granted LivingWagesNotifications,
    /// an https endpoint or none (pull), a delivery mode.
    fn subscriptions(
        &mut self,
        sources: &'a [Source],
        institutions: &[Institution],
        register: &dyn ReferenceData,
    ) -> Result<Vec<(CbeNumber, Delivery, DeliveryMode)>, StoreError> {
        let mut out = Vec::new();
        for source in sources {
            self.source = Some(source);
            for (i, e) in source.world.subscriptions.iter().enumerate() {
                let at = format!("subscription[{i}]");
                let institution = self.value(
                    &e.institution,
                    format!("{at}.institution"),
                    CbeNumber::parse,
                );
                let granted = match institution {
                    Some(cbe) => {
                        let declared = institutions.iter().find(|i| i.cbe == cbe).cloned();
                        let found = match declared {
                            Some(i) => Some(i),
                            None => register.institution(&cbe)?,
                        };
                        if found.is_some_and(|i| i.is_granted(Service::LivingWagesNotifications)) {
                            Some(cbe)
                        } else {
                            self.problem(
                                e.institution.span(),
                                format!("{at}.institution"),
                                format!(
                                    "{cbe} is not an institution granted LivingWagesNotifications"
                                ),
                            );
                            None
                        }
                    }
                    None => None,
                };
                let delivery = match &e.endpoint {
                    None => Some(Delivery::Pull),
                    Some(t) => self.value(t, format!("{at}.endpoint"), |s| {
                        subscriptions::delivery(Some(s), None).map_err(|r| r.to_string())
                    }),
                };
                let mode = match &e.mode {
                    None => Some(DeliveryMode::SsinOnly),
                    Some(t) => self.value(t, format!("{at}.mode"), |s| s.parse::<DeliveryMode>()),
                };
                if let (Some(cbe), Some(delivery), Some(mode)) = (granted, delivery, mode) {
                    out.push((cbe, delivery, mode));
                }
            }
        }
        Ok(out)
    }

    fn right(
        &mut self,
        at: &str,
        e: &RightEntry,
        known: &Known<'_>,
    ) -> Result<Option<Right>, StoreError> {
        let ssin = self.person_ref(&e.ssin, format!("{at}.ssin"), known)?;
        let pcsa = match self.value(&e.pcsa, format!("{at}.pcsa"), CbeNumber::parse) {
            Some(cbe)
                if known.pcsas.contains_key(cbe.as_str())
                    || known.register.pcsa(&cbe)?.is_some() =>
            {
                Some(cbe)
            }
            Some(cbe) => {
                self.problem(
                    e.pcsa.span(),
                    format!("{at}.pcsa"),
                    format!("{cbe} is not a PCSA of the world or of the register"),
                );
                None
            }
            None => None,
        };
        let kind = self.value(&e.kind, format!("{at}.kind"), |s| s.parse());
        let category = self.value(&e.category, format!("{at}.category"), |s| s.parse());
        let partner = match &e.partner {
            None => Some(None),
            Some(p) => self
                .person_ref(p, format!("{at}.partner"), known)?
                .map(Some),
        };
        let mut periods = Vec::new();
        let mut periods_ok = true;
        for (i, p) in e.periods.iter().enumerate() {
            let begin = self.value(&p.begin, format!("{at}.period[{i}].begin"), Date::parse_xsd);
            let end = self.value(&p.end, format!("{at}.period[{i}].end"), Date::parse_xsd);
            match (begin, end) {
                (Some(b), Some(e)) => match Period::new(b, e) {
                    Ok(p) => periods.push(p),
                    Err(err) => {
                        self.problem(
                            p.end.span(),
                            format!("{at}.period[{i}].end"),
                            err.to_string(),
                        );
                        periods_ok = false;
                    }
                },
                _ => periods_ok = false,
            }
        }
        let (Some(ssin), Some(pcsa), Some(kind), Some(category), Some(partner), true) =
            (ssin, pcsa, kind, category, partner, periods_ok)
        else {
            return Ok(None);
        };
        match Right::new(ssin, pcsa, kind, category, partner, periods) {
            Ok(r) => Ok(Some(r)),
            Err(err) => {
                self.problem(e.ssin.span(), at.to_owned(), err.to_string());
                Ok(None)
            }
        }
    }
}
