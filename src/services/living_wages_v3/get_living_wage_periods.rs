//! getLivingWagePeriods: the uninterrupted periods of right in the region, whatever
//! the PCSA or the kind of aid.

use super::Consulted;
use crate::domain::{OpenPeriod, merge_periods};
use crate::wire::living_wages_v3::Answer;

pub(super) fn answer(rights: &[Consulted], window: &OpenPeriod) -> Answer {
    Answer::Periods(merge_periods(
        rights.iter().filter_map(|r| r.period?.clip(window)),
    ))
}
