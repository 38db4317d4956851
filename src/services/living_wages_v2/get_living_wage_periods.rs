//! getLivingWagePeriods(Flanders): the uninterrupted periods of right, whatever the PCSA
//! or the kind of aid.

use super::{Rights, periods_within};
use crate::domain::OpenPeriod;
use crate::wire::living_wages_v2::Answer;

pub fn answer(rights: &Rights<'_>, window: &OpenPeriod) -> Answer {
    Answer::Periods(periods_within(rights.iter().map(|(r, _)| r), window))
}
