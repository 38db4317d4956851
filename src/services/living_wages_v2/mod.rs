//! LivingWages V2: who has a right to social integration, when, and from which PCSA.
//! The five operations share the access rules and differ in how they group periods;
//! the Flanders variants only count PCSAs of the Flemish region.

mod get_living_wage_periods;
mod get_living_wage_periods_per_pcsa;
mod get_living_wages;

use super::propagation::{self, Visibility};
use super::{ServiceError, access, status};

use crate::domain::{Institution, OpenPeriod, Pcsa, Period, Region, Right, merge_periods};
use crate::store::Store;
use crate::wire::common::Status;
use crate::wire::living_wages_v2::{Answer, Operation, Request};

/// The rights a consultation may look at, with their PCSAs.
type Rights<'a> = [&'a (Right, Pcsa)];

/// The caller was authorised for the service under the request's legal context
/// (`access::authorize`); the rules about the person follow (`access::admit`).
pub fn consult(
    store: &dyn Store,
    caller: &Institution,
    request: &Request,
    at: Visibility,
) -> Result<(Status, Answer), ServiceError> {
    let admitted = access::admit(store, caller, &request.criteria)?;
    let access::Admitted {
        ssin,
        window,
        mut file,
    } = match admitted {
        Ok(a) => a,
        Err(s) => return Ok((s, Answer::Nothing)),
    };
    propagation::visible(store, &ssin, &mut file, at)?;
    let flanders_only = request.operation.flanders_only();
    let rights: Vec<&(Right, Pcsa)> = file
        .rights
        .iter()
        .filter(|(_, pcsa)| !flanders_only || pcsa.region() == Region::Flanders)
        .collect();
    let answer = match request.operation {
        Operation::GetLivingWagePeriods | Operation::GetLivingWagePeriodsFlanders => {
            get_living_wage_periods::answer(&rights, &window)
        }
        Operation::GetLivingWagePeriodsPerPcsa | Operation::GetLivingWagePeriodsPerPcsaFlanders => {
            get_living_wage_periods_per_pcsa::answer(&rights, &window)
        }
        Operation::GetLivingWages => get_living_wages::answer(&rights, &window),
    };
    let status = status::found_in(answer.found(), &window);
    Ok((status, answer))
}

/// The periods of `rights` inside `window`, clipped and merged.
fn periods_within<'a>(rights: impl Iterator<Item = &'a Right>, window: &OpenPeriod) -> Vec<Period> {
    // Merged once over all the rights, which is the same as merging each right's first.
    merge_periods(rights.flat_map(|r| r.periods().iter().filter_map(|p| p.clip(window))))
}

/// The periods of `rights` inside `window`, grouped by `key` and merged per group;
/// groups left without a period are dropped (the contract wants at least one), and
/// the groups come in the order of their first period.
fn grouped_periods<K: Ord + Copy>(
    rights: &Rights<'_>,
    window: &OpenPeriod,
    key: impl Fn(&Right, &Pcsa) -> K,
) -> Vec<(K, Vec<Period>)> {
    // A person has a handful of rights: a sorted list of keys and one pass per key
    // cost less than a map.
    let mut keys: Vec<K> = rights.iter().map(|rp| key(&rp.0, &rp.1)).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out: Vec<(K, Vec<Period>)> = keys
        .into_iter()
        .map(|k| {
            let group = rights.iter().filter(|rp| key(&rp.0, &rp.1) == k);
            (k, periods_within(group.map(|rp| &rp.0), window))
        })
        .filter(|(_, periods)| !periods.is_empty())
        .collect();
    out.sort_by_key(|(k, periods)| (periods.first().map(Period::begin), *k));
    out
}
