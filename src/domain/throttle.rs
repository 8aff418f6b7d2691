//! Sign-in throttling rules (product.md § 10, NIST SP 800-63B § 5.2.2): rate limiting that slows
//! guessing without letting anyone keep an account's owner out.
//!
//! Three things are counted for every attempt at a password or a code:
//! - the **source**: the account as seen from one client address. It is locked after
//!   `account_threshold` failures, each further failure doubling the wait up to `max_lock`. The
//!   lock keeps out that address only, so someone who knows an e-mail address locks out
//!   themselves, not its owner;
//! - the **address**: all attempts from one client address, on any account. Locked the same way
//!   after `address_threshold` failures (one address spraying many accounts);
//! - the **account**: consecutive failures from anywhere, never locked and never forgotten with
//!   time, only reset by a complete sign-in (password and second factor). At `account_threshold`
//!   the owner is told by e-mail (once: the count only passes that number once until it is
//!   reset). At `CONSECUTIVE_FAILURE_CEILING` (100, NIST's upper bound) a password alone no
//!   longer tells whether it was right: only the password together with a valid second factor
//!   gets in, so guesses from many addresses gain nothing past the ceiling.
//!
//! A source's or an address's failures are forgotten once `window` has passed since the first
//! of them (a fixed window, not "since the last failure": an occasional failure cannot keep a
//! record alive for ever).

use chrono::{Duration, NaiveDateTime};

/// NIST SP 800-63B § 5.2.2: at most 100 consecutive failed attempts on one account.
pub const CONSECUTIVE_FAILURE_CEILING: i32 = 100;

/// The thresholds and waits in force (from settings).
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures on one account from one address before that address is locked out of it; also
    /// the number of consecutive failures (from anywhere) at which the owner is told.
    pub account_threshold: i32,
    /// Failures from one address (on any accounts) before it is locked.
    pub address_threshold: i32,
    /// The first lock's length; it doubles with each failure after the threshold.
    pub base_lock: Duration,
    /// The longest lock.
    pub max_lock: Duration,
    /// A source's or address's failures are forgotten this long after the first of them.
    pub window: Duration,
}

/// What is remembered about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRecord {
    pub failures: i32,
    pub first_failure_at: NaiveDateTime,
    pub last_failure_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

/// What a record counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// One account as seen from one client address.
    Source,
    /// One client address, whatever the account.
    Address,
    /// One account, from anywhere: consecutive failures, never locked.
    Account,
}

impl ThrottlePolicy {
    fn threshold(&self, subject: Subject) -> Option<i32> {
        match subject {
            Subject::Source => Some(self.account_threshold),
            Subject::Address => Some(self.address_threshold),
            Subject::Account => None,
        }
    }

    /// Whether the key is locked at `now`.
    pub fn is_locked(&self, record: Option<&FailureRecord>, now: NaiveDateTime) -> bool {
        record
            .and_then(|r| r.locked_until)
            .is_some_and(|until| until > now)
    }

    /// The record as it stands at `now`: a source's or address's failures are forgotten once
    /// the window since the first of them has passed (unless a lock still runs); an account's
    /// consecutive failures are never forgotten with time.
    fn current(
        &self,
        subject: Subject,
        record: Option<&FailureRecord>,
        now: NaiveDateTime,
    ) -> Option<FailureRecord> {
        record
            .filter(|r| {
                subject == Subject::Account
                    || now - r.first_failure_at < self.window
                    || self.is_locked(Some(r), now)
            })
            .copied()
    }

    /// The record after one more failure at `now`.
    pub fn after_failure(
        &self,
        subject: Subject,
        record: Option<&FailureRecord>,
        now: NaiveDateTime,
    ) -> FailureRecord {
        let fresh = self.current(subject, record, now);
        let failures = fresh.map_or(0, |r| r.failures).saturating_add(1);
        let locked_until = self.threshold(subject).and_then(|threshold| {
            let over = failures - threshold;
            (over >= 0).then(|| {
                let factor = 1i32.checked_shl(over.min(20) as u32).unwrap_or(i32::MAX);
                let wait = self
                    .base_lock
                    .checked_mul(factor)
                    .unwrap_or(self.max_lock)
                    .min(self.max_lock);
                now + wait
            })
        });
        FailureRecord {
            failures,
            first_failure_at: fresh.map_or(now, |r| r.first_failure_at),
            last_failure_at: now,
            locked_until,
        }
    }

    /// The record with one failure taken back: an attempt counted before it was checked turned
    /// out right. `now` is what the key holds at this moment, `before` and `counted` what it held
    /// before and after this attempt was counted. With nothing counted in between the record is
    /// put back as it was; otherwise one failure is taken off, and the lock this attempt made (if
    /// it is still the one in force) gives way to the lock there was before. `None`: nothing left.
    pub fn taken_back(
        &self,
        subject: Subject,
        now: Option<&FailureRecord>,
        before: Option<&FailureRecord>,
        counted: &FailureRecord,
    ) -> Option<FailureRecord> {
        let r = now?;
        if r == counted {
            return before.copied();
        }
        let failures = r.failures - 1;
        if failures <= 0 {
            return None;
        }
        let under = self.threshold(subject).is_none_or(|t| failures < t);
        let locked_until = if under {
            None
        } else if r.locked_until == counted.locked_until {
            before.and_then(|b| b.locked_until)
        } else {
            r.locked_until
        };
        Some(FailureRecord {
            failures,
            locked_until,
            ..*r
        })
    }

    /// Whether the owner is told of repeated failures now that the account's count went from
    /// `before` to `after`: once, when it reaches the threshold.
    pub fn tell_owner(&self, before: Option<&FailureRecord>, after: &FailureRecord) -> bool {
        before.map_or(0, |r| r.failures) < self.account_threshold
            && after.failures >= self.account_threshold
    }

    /// Whether the account has seen so many consecutive failures that a password alone must no
    /// longer say whether it was right.
    pub fn at_ceiling(&self, account: Option<&FailureRecord>) -> bool {
        account.is_some_and(|r| r.failures >= CONSECUTIVE_FAILURE_CEILING)
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
            let next = p.after_failure(Subject::Source, r.as_ref(), t(0));
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
    fn failures_are_forgotten_a_window_after_the_first_however_often_they_come() {
        let p = policy();
        let mut r = None;
        for _ in 0..4 {
            r = Some(p.after_failure(Subject::Source, r.as_ref(), t(0)));
        }
        let later = p.after_failure(Subject::Source, r.as_ref(), t(61));
        assert_eq!(later.failures, 1);
        assert_eq!(later.locked_until, None);
        // One wrong password every 16 minutes never locks anything (it did when failures were
        // forgotten only after an hour without one).
        let mut r = None;
        for i in 0..100 {
            let next = p.after_failure(Subject::Source, r.as_ref(), t(i * 16));
            assert_eq!(next.locked_until, None, "failure {i}");
            r = Some(next);
        }
    }

    #[test]
    fn an_accounts_consecutive_failures_never_lock_and_are_not_forgotten_with_time() {
        let p = policy();
        let mut r = None;
        for i in 0..150 {
            let next = p.after_failure(Subject::Account, r.as_ref(), t(i * 600));
            assert_eq!(next.locked_until, None);
            r = Some(next);
        }
        assert_eq!(r.unwrap().failures, 150);
        assert!(p.at_ceiling(r.as_ref()));
        let mut r = None;
        for _ in 0..CONSECUTIVE_FAILURE_CEILING - 1 {
            r = Some(p.after_failure(Subject::Account, r.as_ref(), t(0)));
        }
        assert!(!p.at_ceiling(r.as_ref()));
        assert!(!p.at_ceiling(None));
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

    #[test]
    fn a_right_attempt_takes_back_its_own_count_and_the_lock_it_made() {
        let p = policy();
        let mut r = None;
        for _ in 0..4 {
            r = Some(p.after_failure(Subject::Source, r.as_ref(), t(0)));
        }
        let counted = p.after_failure(Subject::Source, r.as_ref(), t(0));
        assert!(counted.locked_until.is_some());
        assert_eq!(
            p.taken_back(Subject::Source, Some(&counted), r.as_ref(), &counted),
            r
        );
        // Another failure was counted in between: one comes off, the lock stays (it is theirs).
        let theirs = p.after_failure(Subject::Source, Some(&counted), t(0));
        let back = p
            .taken_back(Subject::Source, Some(&theirs), r.as_ref(), &counted)
            .unwrap();
        assert_eq!(back.failures, 5);
        assert_eq!(back.locked_until, theirs.locked_until);
        // After a lock ran out, a right attempt does not start a new one.
        let expired = p.after_failure(Subject::Source, Some(&counted), t(30));
        assert!(expired.locked_until.is_some());
        let parallel = FailureRecord {
            failures: expired.failures + 1,
            ..expired
        };
        let back = p
            .taken_back(Subject::Source, Some(&parallel), Some(&counted), &expired)
            .unwrap();
        assert_eq!(back.locked_until, counted.locked_until);
        assert!(!p.is_locked(Some(&back), t(30)));
        let one = p.after_failure(Subject::Address, None, t(0));
        assert_eq!(p.taken_back(Subject::Address, Some(&one), None, &one), None);
        assert_eq!(p.taken_back(Subject::Address, None, None, &one), None);
    }

    #[test]
    fn the_owner_is_told_once_when_the_count_reaches_the_threshold() {
        let p = policy();
        let mut r: Option<FailureRecord> = None;
        let mut told = 0;
        for _ in 0..120 {
            let next = p.after_failure(Subject::Account, r.as_ref(), t(0));
            told += usize::from(p.tell_owner(r.as_ref(), &next));
            r = Some(next);
        }
        assert_eq!(told, 1);
    }

    proptest! {
        #[test]
        fn no_lock_is_ever_longer_than_the_ceiling(n in 1usize..200) {
            let p = policy();
            let mut r = None;
            for _ in 0..n {
                let next = p.after_failure(Subject::Source, r.as_ref(), t(0));
                if let Some(until) = next.locked_until {
                    prop_assert!(until - t(0) <= p.max_lock);
                }
                r = Some(next);
            }
        }

        /// Whatever the pattern of failures (minutes apart), a source is never locked for
        /// longer than the ceiling after its last failure, and with no failures for a window
        /// plus the longest lock it is free again.
        #[test]
        fn a_source_is_free_again_a_window_after_its_last_failure(gaps in proptest::collection::vec(0i64..40, 1..80)) {
            let p = policy();
            let mut r = None;
            let mut at = 0;
            for gap in gaps {
                at += gap;
                if !p.is_locked(r.as_ref(), t(at)) {
                    r = Some(p.after_failure(Subject::Source, r.as_ref(), t(at)));
                }
            }
            let record = r.unwrap();
            prop_assert!(record.locked_until.is_none_or(|u| u - record.last_failure_at <= p.max_lock));
            prop_assert!(!p.is_locked(r.as_ref(), t(at) + p.max_lock));
            let next = p.after_failure(Subject::Source, r.as_ref(), t(at) + p.window + p.max_lock);
            prop_assert_eq!(next.failures, 1);
        }

        /// A failure counted and taken back leaves the record as it was (failures and lock).
        #[test]
        fn counting_and_taking_back_is_neutral(n in 0usize..30, subject in prop_oneof![Just(Subject::Source), Just(Subject::Address), Just(Subject::Account)]) {
            let p = policy();
            let mut r = None;
            for _ in 0..n {
                r = Some(p.after_failure(subject, r.as_ref(), t(0)));
            }
            let counted = p.after_failure(subject, r.as_ref(), t(0));
            let back = p.taken_back(subject, Some(&counted), r.as_ref(), &counted);
            prop_assert_eq!(back, r);
        }
    }
}
