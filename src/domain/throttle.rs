//! Sign-in throttling rules (SPEC § 10): after repeated failures an account, or a client
//! address, is locked for a while; each further failure doubles the wait, up to a ceiling short
//! enough that nobody can be kept out for long by someone else's guessing.

use chrono::{Duration, NaiveDateTime};

/// The thresholds and waits in force (from settings).
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures on one account before it is locked.
    pub account_threshold: i32,
    /// Failures from one address before it is locked.
    pub address_threshold: i32,
    /// The first lock's length; it doubles with each failure after the threshold.
    pub base_lock: Duration,
    /// The longest lock.
    pub max_lock: Duration,
    /// Failures older than this (since the last one) are forgotten.
    pub window: Duration,
}

/// What is remembered about one account or address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRecord {
    pub failures: i32,
    pub first_failure_at: NaiveDateTime,
    pub last_failure_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Account,
    Address,
}

impl ThrottlePolicy {
    fn threshold(&self, subject: Subject) -> i32 {
        match subject {
            Subject::Account => self.account_threshold,
            Subject::Address => self.address_threshold,
        }
    }

    /// Whether sign-in is locked at `now`.
    pub fn is_locked(&self, record: Option<&FailureRecord>, now: NaiveDateTime) -> bool {
        record
            .and_then(|r| r.locked_until)
            .is_some_and(|until| until > now)
    }

    /// The record after one more failure at `now`.
    pub fn after_failure(
        &self,
        subject: Subject,
        record: Option<&FailureRecord>,
        now: NaiveDateTime,
    ) -> FailureRecord {
        let fresh = record.filter(|r| now - r.last_failure_at <= self.window);
        let failures = fresh.map_or(0, |r| r.failures).saturating_add(1);
        let over = failures - self.threshold(subject);
        let locked_until = if over >= 0 {
            let factor = 1i32.checked_shl(over.min(20) as u32).unwrap_or(i32::MAX);
            let wait = self
                .base_lock
                .checked_mul(factor)
                .unwrap_or(self.max_lock)
                .min(self.max_lock);
            Some(now + wait)
        } else {
            None
        };
        FailureRecord {
            failures,
            first_failure_at: fresh.map_or(now, |r| r.first_failure_at),
            last_failure_at: now,
            locked_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            account_threshold: 5,
            address_threshold: 20,
            base_lock: Duration::minutes(1),
            max_lock: Duration::minutes(15),
            window: Duration::hours(1),
        }
    }

    fn t(minutes: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
            + Duration::minutes(minutes)
    }

    #[test]
    fn locks_after_the_threshold_with_growing_waits_up_to_the_ceiling() {
        let p = policy();
        let mut r: Option<FailureRecord> = None;
        let mut waits = vec![];
        for _ in 0..10 {
            let next = p.after_failure(Subject::Account, r.as_ref(), t(0));
            waits.push(next.locked_until.map(|u| (u - t(0)).num_minutes()));
            r = Some(next);
        }
        assert_eq!(
            waits,
            [
                None,
                None,
                None,
                None,
                Some(1),
                Some(2),
                Some(4),
                Some(8),
                Some(15),
                Some(15)
            ]
        );
        assert!(p.is_locked(r.as_ref(), t(14)));
        assert!(!p.is_locked(r.as_ref(), t(15)));
    }

    #[test]
    fn old_failures_are_forgotten() {
        let p = policy();
        let mut r = None;
        for _ in 0..4 {
            r = Some(p.after_failure(Subject::Account, r.as_ref(), t(0)));
        }
        let later = p.after_failure(Subject::Account, r.as_ref(), t(61));
        assert_eq!(later.failures, 1);
        assert_eq!(later.locked_until, None);
    }

    #[test]
    fn addresses_have_their_own_threshold() {
        let p = policy();
        let mut r = None;
        for _ in 0..19 {
            r = Some(p.after_failure(Subject::Address, r.as_ref(), t(0)));
        }
        assert!(!p.is_locked(r.as_ref(), t(0)));
        r = Some(p.after_failure(Subject::Address, r.as_ref(), t(0)));
        assert!(p.is_locked(r.as_ref(), t(0)));
    }

    proptest! {
        #[test]
        fn no_lock_is_ever_longer_than_the_ceiling(n in 1usize..200) {
            let p = policy();
            let mut r = None;
            for _ in 0..n {
                let next = p.after_failure(Subject::Account, r.as_ref(), t(0));
                if let Some(until) = next.locked_until {
                    prop_assert!(until - t(0) <= p.max_lock);
                }
                r = Some(next);
            }
        }
    }
}
