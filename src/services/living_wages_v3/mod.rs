//! LivingWages V3: V2's consultations with a region filter, and per right the decision
//! behind it. A PCSA's rights come from the forms it sent, as far as the propagation
//! delay lets them be seen; a PCSA that never sent one has the rights the register was
//! loaded with, which carry no decision. Access rules and statuses are V2's, under the
//! same deliberation.

mod get_living_wage_periods;
mod get_living_wage_periods_per_pcsa;
mod get_living_wages;

use std::collections::{BTreeMap, BTreeSet};

use super::propagation::Visibility;
use super::{ServiceError, access, status};
use crate::domain::decision::{DatedRight, RegisteredForm, decided_rights};
use crate::domain::{CbeNumber, Date, Institution, Pcsa, Period, RightKind, Ssin};
use crate::store::{PersonFile, Store, StoreError};
use crate::wire::common::Status;
use crate::wire::living_wages_v3::{Answer, Operation, Request};

/// A right of the person, whole (the requested period clips it later).
struct Consulted {
    pcsa: Pcsa,
    kind: RightKind,
    /// Its days in force, if any are left.
    period: Option<Period>,
    /// `None` for a right the register was loaded with.
    decided: Option<DatedRight>,
}

impl Consulted {
    fn first_day(&self) -> Option<Date> {
        match &self.decided {
            Some(d) => d.right.first_day(),
            None => self.period.map(|p| p.begin()),
        }
    }
}

/// The caller was authorised for the service under the request's legal context
/// (`access::authorize`); the rules about the person follow (`access::admit`).
pub fn consult(
    store: &dyn Store,
    caller: &Institution,
    request: &Request,
    at: Visibility,
) -> Result<(Status, Answer), ServiceError> {
    let admitted = access::admit(store, caller, &request.criteria)?;
    let access::Admitted { ssin, window, file } = match admitted {
        Ok(a) => a,
        Err(s) => return Ok((s, Answer::Nothing)),
    };
    let region = request.region.unwrap_or_default();
    let mut rights = rights_of(store, &ssin, &file, at)?;
    rights.retain(|r| region.admits(r.pcsa.region()));
    rights.sort_by(|a, b| {
        (a.first_day(), a.pcsa.cbe)
            .cmp(&(b.first_day(), b.pcsa.cbe))
            .then_with(|| attestation_of(a).cmp(&attestation_of(b)))
    });
    let answer = match request.operation {
        Operation::GetLivingWagePeriods => get_living_wage_periods::answer(&rights, &window),
        Operation::GetLivingWagePeriodsPerPcsa => {
            get_living_wage_periods_per_pcsa::answer(&rights, &window)
        }
        Operation::GetLivingWages => get_living_wages::answer(&rights, &window),
    };
    let status = status::found_in(answer.found(), &window);
    Ok((status, answer))
}

fn attestation_of(r: &Consulted) -> Option<&str> {
    r.decided.as_ref().map(|d| d.right.attestation.as_str())
}

/// Every right of the person at every PCSA: from the forms seen at `at` for a PCSA
/// that sent any, from the register's rights for the others (as V2 sees them).
fn rights_of(
    store: &dyn Store,
    ssin: &Ssin,
    file: &PersonFile,
    at: Visibility,
) -> Result<Vec<Consulted>, StoreError> {
    // What the last registration at each PCSA left: the answer when every form counts.
    let mut per_pcsa = store.decided(ssin)?;
    if at.delay_ms > 0 {
        // Forms still within the propagation delay: that PCSA's history is replayed
        // without them.
        let forms = store.forms(ssin)?;
        let mut seen: BTreeMap<CbeNumber, Vec<&RegisteredForm>> = BTreeMap::new();
        let mut pending: BTreeSet<CbeNumber> = BTreeSet::new();
        for f in &forms {
            let of_pcsa = seen.entry(f.form.pcsa()).or_default();
            if at.counts(f.registered_at_ms) {
                of_pcsa.push(f);
            } else {
                pending.insert(f.form.pcsa());
            }
        }
        for cbe in pending {
            let visible = seen.get(&cbe).map_or(&[][..], Vec::as_slice);
            per_pcsa.insert(cbe, decided_rights(visible));
        }
    }
    let mut out = Vec::new();
    for (cbe, decided) in &per_pcsa {
        let Some(pcsa) = store.pcsa(cbe)? else {
            tracing::warn!(pcsa = %cbe, "forms of an unknown PCSA left out");
            continue;
        };
        for dated in decided.iter().cloned() {
            out.push(Consulted {
                pcsa: pcsa.clone(),
                kind: dated.right.kind,
                period: dated.right.period,
                decided: Some(dated),
            });
        }
    }
    let with_forms: BTreeSet<&CbeNumber> = per_pcsa.keys().collect();
    for (right, pcsa) in &file.rights {
        if with_forms.contains(&pcsa.cbe) {
            continue;
        }
        for p in right.periods() {
            out.push(Consulted {
                pcsa: pcsa.clone(),
                kind: right.kind(),
                period: Some(*p),
                decided: None,
            });
        }
    }
    Ok(out)
}
