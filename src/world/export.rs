//! The register written back as a world file: loading it into an empty data directory
//! gives the same register.

use toml::Spanned;

use super::WorldError;
use super::{
    GrantEntry, InscriptionEntry, InstitutionEntry, PcsaEntry, PeriodEntry, PersonEntry,
    RightEntry, SectorEntry, Text, WorldFile,
};
use crate::domain::RegisterStatus;
use crate::store::{Change, ReferenceData};

/// What an exported file says of itself. Forms, statements and subscriptions are not
/// exported yet: the rights forms made are exported as rights.
const HEADER: &str = "\
# The register of a bcss-gateway, as a world file (bcss-gateway world export).
# Rights are exported as the register holds them, whether loaded or made by forms;
# forms, statements of payments and subscriptions are not exported.
";

/// A value written, not read: it has no position.
fn text(value: impl ToString) -> Text {
    Spanned::new(0..0, value.to_string())
}

fn at<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}

/// The register's PCSAs, institutions, persons, inscriptions and rights as a world
/// file's text. Passwords are written as their hashes.
/// `client_cas` are the CA files the server trusts for client certificates.
pub fn export(
    register: &dyn ReferenceData,
    client_cas: &[std::path::PathBuf],
) -> Result<String, WorldError> {
    let mut world = WorldFile {
        client_cas: client_cas.iter().map(|p| text(p.display())).collect(),
        ..WorldFile::default()
    };
    for change in register.contents()? {
        match change {
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
                certificates: i.certificates.iter().map(|c| text(c.to_hex())).collect(),
                certificate_files: Vec::new(),
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
    Ok(format!("{HEADER}\n{body}"))
}
