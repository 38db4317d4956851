//! The propagation delay: on the real network a right registered by a CPAS reaches
//! the consultations only after the SPP IS has recorded it (up to 7 days). With a
//! delay configured, a consultation sees the rights that the forms registered at
//! least that long ago make; without one (the default), the register's rights as
//! they stand.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::domain::decision::timeline;
use crate::domain::{CbeNumber, Ssin};
use crate::store::{PersonFile, Store, StoreError};

/// How long a registered form waits before it counts, and the time now.
#[derive(Clone, Copy, Debug, Default)]
pub struct Visibility {
    pub delay_ms: i64,
    pub now_ms: i64,
}

impl Visibility {
    /// Whether a form registered at `registered_at_ms` counts yet.
    pub fn counts(&self, registered_at_ms: i64) -> bool {
        self.delay_ms <= 0 || registered_at_ms <= self.now_ms.saturating_sub(self.delay_ms)
    }
}

/// The longest delay the network allows.
pub const MAX_DELAY_SECONDS: u64 = 7 * 24 * 3600;

/// Replaces, in `file`, the rights of each PCSA that has forms still within the delay
/// by the rights of its forms registered before the delay.
pub fn visible(
    store: &dyn Store,
    ssin: &Ssin,
    file: &mut Arc<PersonFile>,
    at: Visibility,
) -> Result<(), StoreError> {
    if at.delay_ms <= 0 {
        return Ok(());
    }
    let forms = store.forms(ssin)?;
    let pending: BTreeSet<CbeNumber> = forms
        .iter()
        .filter(|f| !at.counts(f.registered_at_ms))
        .map(|f| f.form.pcsa())
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    // The store's file may be shared: this consultation changes its own copy.
    let file = Arc::make_mut(file);
    for pcsa_cbe in pending {
        let Some(pcsa) = store.pcsa(&pcsa_cbe)? else {
            continue;
        };
        let seen: Vec<&timeline::RegisteredForm> = forms
            .iter()
            .filter(|f| f.form.pcsa() == pcsa_cbe && at.counts(f.registered_at_ms))
            .collect();
        let rights = timeline::rights(&timeline::forms_in_force(&seen));
        file.rights.retain(|(_, p)| p.cbe != pcsa_cbe);
        file.rights
            .extend(rights.into_iter().map(|r| (r, pcsa.clone())));
    }
    Ok(())
}
