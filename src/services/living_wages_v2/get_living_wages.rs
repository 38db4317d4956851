//! getLivingWages: the periods of right per PCSA and per kind of aid (living wage or
//! its equivalent), in the order of each group's first period.

use super::{Rights, grouped_periods};
use crate::domain::OpenPeriod;
use crate::wire::living_wages_v2::{Answer, LivingWage};

pub fn answer(rights: &Rights<'_>, window: &OpenPeriod) -> Answer {
    let groups = grouped_periods(rights, window, |right, pcsa| (pcsa.cbe, right.kind()));
    Answer::LivingWages(
        groups
            .into_iter()
            .map(|((pcsa, kind), periods)| LivingWage {
                pcsa,
                kind,
                periods,
            })
            .collect(),
    )
}
