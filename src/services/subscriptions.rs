//! LivingWagesSubscriptionService: an institution that a deliberation grants
//! LivingWagesNotifications manages its own subscription. Every change is one store
//! transaction; the dispatcher is woken so that a (re)subscription or a replay takes
//! effect at once.

use super::{ServiceError, access, status};
use crate::domain::{Delivery, Institution, Service, Subscription, SubscriptionState};
use crate::notify::push::Target;
use crate::store::Store;
use crate::wire::common::{Status, StatusValue};
use crate::wire::subscription_v1::{Answer, Operation, Request};

/// How many of the last delivery attempts a status shows.
const ATTEMPTS_SHOWN: usize = 10;

fn not_subscribed() -> Status {
    Status::new(
        StatusValue::NoDataFound,
        "MSG00100",
        "This organisation has no subscription to LivingWagesNotifications",
    )
}

pub fn handle(
    store: &dyn Store,
    caller: &Institution,
    request: &Request,
    now_ms: i64,
    wake: &dyn Fn(),
) -> Result<(Status, Answer), ServiceError> {
    access::check_identification(caller, &request.information_customer.identification)?;
    if !caller.is_granted(Service::LivingWagesNotifications) {
        return Err(ServiceError::NotGranted {
            service: Service::LivingWagesNotifications.name(),
            caller: caller.cbe.to_string(),
        });
    }
    let current = store
        .subscriptions()?
        .into_iter()
        .find(|s| s.institution == caller.cbe);
    let invalid = |field: &str, value: Option<&str>, reason: &str| {
        Ok((
            status::validation_error(field, value, reason),
            Answer::default(),
        ))
    };
    let answered = |s: Option<Subscription>| Answer {
        subscription: s,
        ..Answer::default()
    };
    match &request.operation {
        Operation::Subscribe { endpoint, mode } => {
            let delivery = match endpoint {
                Some(url) => {
                    if let Err(reason) = Target::parse(url) {
                        return invalid("endpoint", Some(url), &reason);
                    }
                    Delivery::Push {
                        endpoint: url.clone(),
                    }
                }
                None => Delivery::Pull,
            };
            // A new subscription starts empty; subscribing again keeps the sequence
            // numbers and what was acknowledged, and makes it active again.
            let written = store.update_subscription(&caller.cbe, None, &mut |old| {
                Some(match old {
                    None => Subscription::new(caller.cbe, delivery.clone(), *mode, now_ms),
                    Some(old) => Subscription {
                        delivery: delivery.clone(),
                        mode: *mode,
                        state: SubscriptionState::Active,
                        failed_attempts: 0,
                        next_attempt_ms: 0,
                        last_error: None,
                        ..old.clone()
                    },
                })
            })?;
            wake();
            Ok((status::data_found(), answered(written)))
        }
        _ if current.is_none() => Ok((not_subscribed(), Answer::default())),
        Operation::Unsubscribe => {
            let written = store.update_subscription(&caller.cbe, None, &mut |old| {
                old.map(|s| Subscription {
                    state: SubscriptionState::Unsubscribed,
                    ..s.clone()
                })
            })?;
            Ok((status::data_found(), answered(written)))
        }
        Operation::GetStatus => Ok((
            status::data_found(),
            Answer {
                subscription: current,
                attempts: store.attempts(&caller.cbe, ATTEMPTS_SHOWN)?,
                notifications: Vec::new(),
            },
        )),
        Operation::Replay { from } => {
            let last = current.as_ref().map_or(0, |s| s.last_sequence);
            if *from == 0 || *from > last + 1 {
                return invalid(
                    "fromSequenceNumber",
                    Some(&from.to_string()),
                    &format!("expected a sequence number from 1 to {}", last + 1),
                );
            }
            let written = store.update_subscription(&caller.cbe, None, &mut |old| {
                old.map(|s| {
                    let mut s = s.clone();
                    s.replay_from(*from);
                    s
                })
            })?;
            wake();
            Ok((status::data_found(), answered(written)))
        }
        Operation::Pull { after, max } => Ok((
            status::data_found(),
            Answer {
                notifications: store.notifications(&caller.cbe, *after, *max)?,
                subscription: current,
                attempts: Vec::new(),
            },
        )),
        Operation::Acknowledge { up_to } => {
            if current
                .as_ref()
                .is_some_and(|s| matches!(s.delivery, Delivery::Push { .. }))
            {
                return invalid(
                    "upToSequenceNumber",
                    Some(&up_to.to_string()),
                    "this subscription is pushed: the receiver's OK acknowledges",
                );
            }
            let written = store.update_subscription(&caller.cbe, None, &mut |old| {
                old.map(|s| {
                    let mut s = s.clone();
                    s.acknowledge(*up_to);
                    s
                })
            })?;
            Ok((status::data_found(), answered(written)))
        }
    }
}
