//! Properties of the calendar over its whole supported range, 0001-01-01 to 9999-12-31:
//! every operation is total or answers "outside the range", never wraps, and every walk
//! over dates ends. Days are drawn across the range with its edges weighted in, where
//! arithmetic breaks first.

// Strategies build only values within the range they draw from.
#![allow(clippy::unwrap_used)]

use bcss_gateway::domain::decision::Duration;
use bcss_gateway::domain::decision::recovery::granted_between;
use bcss_gateway::domain::inscription::{with_registered, without_unregistered};
use bcss_gateway::domain::month::Month;
use bcss_gateway::domain::period::{OpenPeriod, Period, merge_periods};
use bcss_gateway::domain::{Amount, Date};
use proptest::prelude::*;

fn first() -> i32 {
    Date::MIN.days_since_epoch()
}

fn last() -> i32 {
    Date::MAX.days_since_epoch()
}

/// A supported day: anywhere in the range, or within 400 days of either edge.
fn day() -> impl Strategy<Value = Date> {
    prop_oneof![
        first()..=last(),
        first()..=first() + 400,
        last() - 400..=last(),
    ]
    .prop_map(|n| Date::from_days_since_epoch(n).unwrap())
}

fn period() -> impl Strategy<Value = Period> {
    (day(), day()).prop_map(|(a, b)| Period::new(a.min(b), a.max(b)).unwrap())
}

fn open_period() -> impl Strategy<Value = OpenPeriod> {
    (day(), proptest::option::of(day())).prop_map(|(a, b)| match b {
        Some(b) => OpenPeriod::new(a.min(b), Some(a.max(b))).unwrap(),
        None => OpenPeriod::new(a, None).unwrap(),
    })
}

fn distance(a: Date, b: Date) -> i64 {
    i64::from(b.days_since_epoch()) - i64::from(a.days_since_epoch())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn adding_days_stays_in_range_or_says_so(d in day(), n in any::<i32>()) {
        let target = i64::from(d.days_since_epoch()) + i64::from(n);
        match d.add_days(n) {
            Some(moved) => {
                prop_assert_eq!(i64::from(moved.days_since_epoch()), target);
                prop_assert!(Date::MIN <= moved && moved <= Date::MAX);
                prop_assert_eq!(Date::parse_xsd(&moved.xsd()), Ok(moved));
            }
            None => prop_assert!(target < i64::from(first()) || target > i64::from(last())),
        }
    }

    #[test]
    fn a_month_holds_its_days_and_steps_to_the_next(d in day(), n in 0u32..130_000) {
        let m = Month::of(d);
        prop_assert!(m.first_day() <= d && d <= m.last_day());
        prop_assert_eq!(distance(m.first_day(), m.last_day()) + 1, i64::from(m.days()));
        match m.succ() {
            Some(next) => prop_assert_eq!(m.last_day().succ(), Some(next.first_day())),
            None => prop_assert_eq!(m.last_day(), Date::MAX),
        }
        match m.add_months(n) {
            Some(later) => prop_assert_eq!(m.months_until(later), i64::from(n)),
            None => prop_assert!(m.months_until(Month::of(Date::MAX)) < i64::from(n)),
        }
    }

    #[test]
    fn a_period_counts_clips_and_merges_within_itself(
        p in period(),
        window in open_period(),
        others in proptest::collection::vec(period(), 0..6),
    ) {
        prop_assert_eq!(i64::from(p.days()), distance(p.begin(), p.end()) + 1);
        match p.clip(&window) {
            Some(c) => {
                prop_assert!(p.begin() <= c.begin() && c.end() <= p.end());
                prop_assert!(window.contains(c.begin()) && window.contains(c.end()));
                prop_assert!(p.overlaps(&window));
            }
            None => prop_assert!(!p.overlaps(&window)),
        }
        let mut all = others.clone();
        all.push(p);
        let merged = merge_periods(all.clone());
        for pair in merged.windows(2) {
            // Apart by at least one day that no period covers.
            prop_assert!(pair[0].end().succ().is_some_and(|next| next < pair[1].begin()));
        }
        for q in &all {
            prop_assert!(merged.iter().any(|m| m.begin() <= q.begin() && q.end() <= m.end()));
        }
        for m in &merged {
            prop_assert!(all.iter().any(|q| q.begin() == m.begin()));
            prop_assert!(all.iter().any(|q| q.end() == m.end()));
        }
    }

    #[test]
    fn inscriptions_join_and_split_at_the_edges(
        existing in open_period(),
        change in open_period(),
    ) {
        let joined = with_registered(&[existing], change);
        prop_assert!(!joined.is_empty() && joined.len() <= 2);
        prop_assert!(joined.iter().any(|p| p.contains(change.begin())));
        if let Some(left) = without_unregistered(&[existing], change) {
            for p in &left {
                prop_assert!(!p.overlaps(&change));
                prop_assert!(existing.contains(p.begin()));
            }
        }
    }

}

proptest! {
    // Up to 65,535 and 119,988 months walked per case: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn what_was_granted_is_walked_month_by_month_and_never_exceeds_the_year(
        held in period(),
        asked in period(),
        annual in 0i64..1_000_000_000,
    ) {
        let amount = Amount::from_cents(annual);
        let granted = granted_between(amount, held.begin(), held.end(), asked.begin(), asked.end());
        match held.clip(&asked.into()) {
            None => prop_assert_eq!(granted, Amount::ZERO),
            Some(common) => {
                // Each month's twelfth rounded up: at most one cent a month above the
                // exact share, and at most a twelfth per month touched.
                let months = Month::of(common.begin()).months_until(Month::of(common.end())) + 1;
                prop_assert!(granted.cents() >= 0);
                prop_assert!(i128::from(granted.cents()) <= (i128::from(annual) / 12 + 1) * i128::from(months));
            }
        }
    }

    #[test]
    fn a_duration_ends_where_its_months_weeks_and_days_lead_or_not_at_all(
        start in day(),
        months in 0u16..=u16::MAX,
        weeks in 0u16..200,
        days in 0u16..400,
    ) {
        let duration = Duration { months, weeks, days };
        // The same walk on plain integers, with no calendar type to stop it.
        let mut length = 0i64;
        for _ in 0..months {
            let at = i64::from(start.days_since_epoch()) + length;
            let Some(d) = i32::try_from(at).ok().and_then(Date::from_days_since_epoch) else {
                length = i64::MAX / 4;
                break;
            };
            length += i64::from(Date::days_in_month(d.year(), d.month()));
        }
        length += i64::from(weeks) * 7 + i64::from(days);
        let expected_last = i64::from(start.days_since_epoch()) + length - 1;
        match duration.last_day(start) {
            Some(end) => {
                prop_assert!(!duration.is_empty());
                prop_assert_eq!(i64::from(end.days_since_epoch()), expected_last);
                prop_assert!(end >= start);
            }
            None => prop_assert!(duration.is_empty() || expected_last > i64::from(last())),
        }
    }
}

/// The freeze found by fuzzing: a recovery in the last supported month.
#[test]
fn the_last_month_of_the_calendar_is_granted_like_any_other() {
    let d = |s: &str| Date::parse_xsd(s).unwrap();
    let annual = Amount::from_cents(1_200_000);
    assert_eq!(
        granted_between(
            annual,
            d("9999-01-01"),
            d("9999-12-31"),
            d("9999-12-01"),
            d("9999-12-31")
        ),
        Amount::from_cents(100_000)
    );
    assert_eq!(
        granted_between(
            annual,
            d("9999-01-01"),
            d("9999-12-31"),
            d("9999-01-01"),
            d("9999-12-31")
        ),
        annual
    );
    assert_eq!(
        granted_between(
            annual,
            Date::MIN,
            Date::MAX,
            d("0001-01-01"),
            d("0001-01-31")
        ),
        Amount::from_cents(100_000)
    );
}
