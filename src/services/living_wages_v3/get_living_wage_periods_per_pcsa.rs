//! getLivingWagePeriodsPerPCSA: the periods of right grouped by PCSA (CBE number and
//! INS code), in the order of each PCSA's first period.

use super::Consulted;
use crate::domain::{OpenPeriod, merge_periods};
use crate::wire::living_wages_v3::{Answer, PcsaPeriods};

pub(super) fn answer(rights: &[Consulted], window: &OpenPeriod) -> Answer {
    let mut groups: Vec<PcsaPeriods> = Vec::new();
    for r in rights {
        let Some(days) = r.period.and_then(|p| p.clip(window)) else {
            continue;
        };
        match groups.iter_mut().find(|g| g.cbe == r.pcsa.cbe) {
            Some(g) => g.periods.push(days),
            None => groups.push(PcsaPeriods {
                cbe: r.pcsa.cbe,
                ins: r.pcsa.ins,
                periods: vec![days],
            }),
        }
    }
    for g in &mut groups {
        g.periods = merge_periods(std::mem::take(&mut g.periods));
    }
    groups.sort_by_key(|g| (g.periods.first().map(|p| p.begin()), g.cbe));
    Answer::PerPcsa(groups)
}
