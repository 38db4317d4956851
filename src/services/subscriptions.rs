//! LivingWagesSubscriptionService: an institution that a deliberation grants
//! LivingWagesNotifications manages its own subscription; the `subscribers` command
//! does the same for an operator. Every change is one store transaction; the
//! dispatcher is woken so that a (re)subscription or a replay takes effect at once.

use super::effects::Effects;
use super::{ServiceError, status};
use crate::domain::{
    CbeNumber, Delivery, DeliveryMode, Institution, PushEndpoint, Receivers, Service, Subscription,
    SubscriptionState,
};
use crate::store::{Store, StoreError};
use crate::wire::common::{Status, StatusValue};
use crate::wire::subscription_v1::{Answer, Operation, Request};

/// How many of the last delivery attempts a status shows.
pub const ATTEMPTS_SHOWN: usize = 10;

/// Why a subscription cannot be changed as asked, naming the field at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("endpoint: {0}")]
    Endpoint(String),
    #[error("no subscription to LivingWagesNotifications for this institution")]
    NotSubscribed,
    #[error("{0} is not an institution granted LivingWagesNotifications")]
    NotGranted(CbeNumber),
    #[error("fromSequenceNumber: expected a sequence number from 1 to {next}")]
    ReplayFrom { next: u64 },
    #[error("upToSequenceNumber: this subscription is pushed, the receiver's OK acknowledges")]
    AcknowledgePushed,
}

/// Where to deliver: an https endpoint, or none for pull. A subscriber's own endpoint
/// is checked against where `receivers` may be; the operator's (world files, the admin
/// API, the command line: `None`) only when a batch is sent, as every endpoint is.
pub fn delivery(
    endpoint: Option<&str>,
    receivers: Option<&Receivers>,
) -> Result<Delivery, Refusal> {
    match endpoint {
        Some(url) => {
            let parsed = PushEndpoint::parse(url).map_err(Refusal::Endpoint)?;
            if let Some(receivers) = receivers {
                receivers.check(&parsed).map_err(Refusal::Endpoint)?;
            }
            Ok(Delivery::Push {
                endpoint: url.to_owned(),
            })
        }
        None => Ok(Delivery::Pull),
    }
}

/// A new subscription starts empty; subscribing again keeps the sequence numbers and
/// what was acknowledged, and makes it active again.
pub fn subscribe(
    store: &dyn Store,
    institution: &CbeNumber,
    delivery: Delivery,
    mode: DeliveryMode,
    now_ms: i64,
) -> Result<Option<Subscription>, StoreError> {
    store.update_subscription(institution, None, &mut |old| {
        Some(subscribed(old, institution, &delivery, mode, now_ms))
    })
}

/// The subscription after subscribing, from the one there was (if any).
pub fn subscribed(
    old: Option<&Subscription>,
    institution: &CbeNumber,
    delivery: &Delivery,
    mode: DeliveryMode,
    now_ms: i64,
) -> Subscription {
    match old {
        None => Subscription::new(*institution, delivery.clone(), mode, now_ms),
        Some(old) => Subscription {
            delivery: delivery.clone(),
            mode,
            state: SubscriptionState::Active,
            failed_attempts: 0,
            next_attempt_ms: 0,
            last_error: None,
            ..old.clone()
        },
    }
}

/// Changes an existing subscription; `change` may refuse.
fn change(
    store: &dyn Store,
    institution: &CbeNumber,
    change: &dyn Fn(&mut Subscription) -> Result<(), Refusal>,
) -> Result<Result<Subscription, Refusal>, StoreError> {
    let mut refused = None;
    let written = store.update_subscription(institution, None, &mut |old| {
        let mut s = old?.clone();
        match change(&mut s) {
            Ok(()) => Some(s),
            Err(r) => {
                refused = Some(r);
                None
            }
        }
    })?;
    Ok(match (refused, written) {
        (Some(r), _) => Err(r),
        (None, Some(s)) => Ok(s),
        (None, None) => Err(Refusal::NotSubscribed),
    })
}

pub fn unsubscribe(
    store: &dyn Store,
    institution: &CbeNumber,
) -> Result<Result<Subscription, Refusal>, StoreError> {
    change(store, institution, &|s| {
        s.state = SubscriptionState::Unsubscribed;
        Ok(())
    })
}

/// Everything from `from` on is delivered again; a failing subscription is active again.
pub fn replay(
    store: &dyn Store,
    institution: &CbeNumber,
    from: u64,
) -> Result<Result<Subscription, Refusal>, StoreError> {
    change(store, institution, &|s| {
        if from == 0 || from > s.last_sequence + 1 {
            return Err(Refusal::ReplayFrom {
                next: s.last_sequence + 1,
            });
        }
        s.replay_from(from);
        Ok(())
    })
}

pub fn acknowledge(
    store: &dyn Store,
    institution: &CbeNumber,
    up_to: u64,
) -> Result<Result<Subscription, Refusal>, StoreError> {
    change(store, institution, &|s| {
        if matches!(s.delivery, Delivery::Push { .. }) {
            return Err(Refusal::AcknowledgePushed);
        }
        s.acknowledge(up_to);
        Ok(())
    })
}

/// Only an institution that a deliberation grants LivingWagesNotifications may be
/// subscribed (the service's own callers are authorised before they get here).
pub fn check_granted(
    store: &dyn Store,
    institution: &CbeNumber,
) -> Result<Result<(), Refusal>, StoreError> {
    let granted = store
        .institution(institution)?
        .is_some_and(|i| i.is_granted(Service::LivingWagesNotifications));
    Ok(if granted {
        Ok(())
    } else {
        Err(Refusal::NotGranted(*institution))
    })
}

pub fn find(
    store: &dyn Store,
    institution: &CbeNumber,
) -> Result<Option<Subscription>, StoreError> {
    Ok(store
        .subscriptions()?
        .into_iter()
        .find(|s| s.institution == *institution))
}

/// The status a refusal is answered with.
fn refused(r: &Refusal, request: &Request) -> Status {
    match (r, &request.operation) {
        (Refusal::NotSubscribed, _) => Status::new(
            StatusValue::NoDataFound,
            "MSG00100",
            "This organisation has no subscription to LivingWagesNotifications",
        ),
        (Refusal::Endpoint(reason), Operation::Subscribe { endpoint, .. }) => {
            status::validation_error("endpoint", endpoint.as_deref(), reason)
        }
        (Refusal::ReplayFrom { .. }, Operation::Replay { from }) => status::validation_error(
            "fromSequenceNumber",
            Some(&from.to_string()),
            &r.to_string(),
        ),
        (_, Operation::Acknowledge { up_to }) => status::validation_error(
            "upToSequenceNumber",
            Some(&up_to.to_string()),
            &r.to_string(),
        ),
        _ => status::validation_error(request.operation.name(), None, &r.to_string()),
    }
}

/// The caller was authorised as a partner granted LivingWagesNotifications
/// (`access::authorize`).
pub fn handle(
    store: &dyn Store,
    caller: &Institution,
    request: &Request,
    receivers: &Receivers,
    now_ms: i64,
) -> Result<(Status, Answer, Effects), ServiceError> {
    let cbe = &caller.cbe;
    let answered = |s: Subscription| Answer {
        subscription: Some(s),
        ..Answer::default()
    };
    let outcome = match &request.operation {
        Operation::Subscribe { endpoint, mode } => {
            match delivery(endpoint.as_deref(), Some(receivers)) {
                Err(r) => Err(r),
                Ok(d) => subscribe(store, cbe, d, *mode, now_ms)?
                    .map(answered)
                    .ok_or(Refusal::NotSubscribed),
            }
        }
        Operation::Unsubscribe => unsubscribe(store, cbe)?.map(answered),
        Operation::Replay { from } => replay(store, cbe, *from)?.map(answered),
        Operation::Acknowledge { up_to } => acknowledge(store, cbe, *up_to)?.map(answered),
        Operation::GetStatus => match find(store, cbe)? {
            None => Err(Refusal::NotSubscribed),
            Some(s) => Ok(Answer {
                subscription: Some(s),
                attempts: store.attempts(cbe, ATTEMPTS_SHOWN)?,
                notifications: Vec::new(),
            }),
        },
        Operation::Pull { after, max } => match find(store, cbe)? {
            None => Err(Refusal::NotSubscribed),
            Some(s) => Ok(Answer {
                notifications: store.notifications(cbe, *after, *max)?,
                subscription: Some(s),
                attempts: Vec::new(),
            }),
        },
    };
    match outcome {
        Ok(answer) => {
            let effects = Effects {
                subscription_changed: matches!(
                    request.operation,
                    Operation::Subscribe { .. } | Operation::Replay { .. }
                ),
                ..Effects::NONE
            };
            Ok((status::data_found(), answer, effects))
        }
        Err(r) => Ok((refused(&r, request), Answer::default(), Effects::NONE)),
    }
}
