//! getLivingWages: the periods of right per PCSA and per kind of aid (living wage or
//! its equivalent).

use std::collections::BTreeMap;

use super::{Rights, periods_within};
use crate::domain::OpenPeriod;
use crate::wire::living_wages_v2::{Answer, LivingWage};

pub fn answer(rights: &Rights<'_>, window: &OpenPeriod) -> Answer {
    let mut by_key: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for (right, pcsa) in rights.iter().map(|rp| (&rp.0, &rp.1)) {
        by_key
            .entry((pcsa.cbe, right.kind()))
            .or_default()
            .push(right);
    }
    let mut wages: Vec<LivingWage> = by_key
        .into_iter()
        .map(|((pcsa, kind), rights)| LivingWage {
            pcsa,
            kind,
            periods: periods_within(rights.into_iter(), window),
        })
        .filter(|lw| !lw.periods.is_empty())
        .collect();
    wages.sort_by_key(|lw| (lw.periods[0].begin(), lw.pcsa, lw.kind));
    Answer::LivingWages(wages)
}
