//! From the outbox to each subscriber's queue: an event is for an institution that a
//! deliberation grants LivingWagesNotifications, that is subscribed, and that holds an
//! inscription for the person overlapping the period of a right the event made,
//! changed or removed. Nobody else ever sees it.

use uuid::Uuid;

use crate::domain::decision::{RegisteredForm, timeline};
use crate::domain::{
    CbeNumber, DeliveryMode, Notification, Period, Right, RightRecord, Service, Subscription,
};
use crate::store::{OutboxEvent, Store, StoreError};

/// Turns up to `batch` outbox events after the fan-out into notifications, in one
/// transaction with the fan-out's move. Only events of `visible_from_ms` or earlier are
/// taken: a right is notified when it becomes consultable (the propagation delay).
/// Returns how many events it took.
pub fn fan_out(store: &dyn Store, batch: usize, visible_from_ms: i64) -> Result<usize, StoreError> {
    let from = store.fanned_out()?;
    let mut events = store.outbox(from, batch)?;
    // Outbox events are in time order: the first one not yet visible ends the batch.
    if let Some(hidden) = events.iter().position(|e| e.at_ms > visible_from_ms) {
        events.truncate(hidden);
    }
    let Some(to) = events.last().map(|e| e.sequence) else {
        return Ok(0);
    };
    let mut recipients: Vec<Subscription> = Vec::new();
    for s in store.subscriptions()? {
        if s.receives()
            && store
                .institution(&s.institution)?
                .is_some_and(|i| i.is_granted(Service::LivingWagesNotifications))
        {
            recipients.push(s);
        }
    }
    let mut queued = Vec::new();
    if !recipients.is_empty() {
        for event in &events {
            queued.extend(notifications_of(store, event, &recipients)?);
        }
    }
    store.enqueue_notifications(from, to, queued)?;
    Ok(events.len())
}

/// The rights of one PCSA that its forms up to `last` (registration number) make.
fn rights_up_to(forms: &[RegisteredForm], pcsa: &CbeNumber, last: u64) -> Vec<Right> {
    let seen: Vec<&RegisteredForm> = forms
        .iter()
        .filter(|f| f.form.pcsa() == *pcsa && f.number <= last)
        .collect();
    timeline::rights(&timeline::forms_in_force(&seen))
}

fn notifications_of(
    store: &dyn Store,
    event: &OutboxEvent,
    recipients: &[Subscription],
) -> Result<Vec<(CbeNumber, Notification)>, StoreError> {
    let file = store.person_file(&event.ssin)?;
    let Some(pcsa) = store.pcsa(&event.pcsa)? else {
        return Ok(Vec::new());
    };
    let forms = store.forms(&event.ssin)?;
    let Some(number) = forms
        .iter()
        .find(|f| f.attestation == event.attestation)
        .map(|f| f.number)
    else {
        return Ok(Vec::new());
    };
    let before = rights_up_to(&forms, &event.pcsa, number.saturating_sub(1));
    let after = rights_up_to(&forms, &event.pcsa, number);
    // What the event did: the rights it made or changed, and those it removed. The
    // PCSA's other rights for the person are not news, and would make a notification
    // grow with the person's whole history.
    let made: Vec<&Right> = after.iter().filter(|r| !before.contains(r)).collect();
    let gone: Vec<&Right> = before.iter().filter(|r| !after.contains(r)).collect();
    let periods_of = |rights: &[&Right]| -> Vec<Period> {
        rights
            .iter()
            .flat_map(|r| r.periods().iter().copied())
            .collect()
    };
    let mut touched = periods_of(&made);
    touched.extend(periods_of(&gone));
    let kind = made.first().or(gone.first()).map(|r| r.kind());
    let mut out = Vec::new();
    for s in recipients {
        let manages_file = file.inscriptions.iter().any(|i| {
            i.institution == s.institution && touched.iter().any(|p| p.overlaps(&i.period))
        });
        if !manages_file {
            continue;
        }
        let right = match (s.mode, kind) {
            (DeliveryMode::WithAttestation, Some(kind)) => Some(RightRecord {
                attestation: event.attestation.clone(),
                kind,
                periods: periods_of(&made),
            }),
            _ => None,
        };
        out.push((
            s.institution,
            Notification {
                id: Uuid::new_v4(),
                // Given by the store, per subscriber.
                sequence: 0,
                outbox_sequence: event.sequence,
                event: event.event,
                ssin: event.ssin,
                pcsa: event.pcsa,
                pcsa_ins: pcsa.ins,
                event_ms: event.at_ms,
                right,
            },
        ));
    }
    Ok(out)
}
