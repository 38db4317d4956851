//! getLivingWagePeriodsPerPCSA(Flanders): the periods of right grouped by PCSA, in the
//! order of each PCSA's first period.

use std::collections::BTreeMap;

use super::{Rights, periods_within};
use crate::domain::OpenPeriod;
use crate::wire::living_wages_v2::{Answer, PcsaPeriods};

pub fn answer(rights: &Rights<'_>, window: &OpenPeriod) -> Answer {
    let mut by_pcsa: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for (right, pcsa) in rights.iter().map(|rp| (&rp.0, &rp.1)) {
        by_pcsa.entry(pcsa.cbe).or_default().push(right);
    }
    let mut groups: Vec<PcsaPeriods> = by_pcsa
        .into_iter()
        .map(|(pcsa, rights)| PcsaPeriods {
            pcsa,
            periods: periods_within(rights.into_iter(), window),
        })
        .filter(|g| !g.periods.is_empty())
        .collect();
    groups.sort_by_key(|g| (g.periods[0].begin(), g.pcsa));
    Answer::PerPcsa(groups)
}
