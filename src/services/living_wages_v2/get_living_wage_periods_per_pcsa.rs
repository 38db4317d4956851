//! getLivingWagePeriodsPerPCSA(Flanders): the periods of right grouped by PCSA, in the
//! order of each PCSA's first period.

use super::{Rights, grouped_periods};
use crate::domain::OpenPeriod;
use crate::wire::living_wages_v2::{Answer, PcsaPeriods};

pub fn answer(rights: &Rights<'_>, window: &OpenPeriod) -> Answer {
    let groups = grouped_periods(rights, window, |_, pcsa| pcsa.cbe);
    Answer::PerPcsa(
        groups
            .into_iter()
            .map(|(pcsa, periods)| PcsaPeriods { pcsa, periods })
            .collect(),
    )
}
