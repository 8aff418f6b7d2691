//! The sign-in throttle at work (rules in `domain::throttle`, queries in `db::throttle`): every
//! check of a password or a second-factor code — sign-in, enrolment, re-authentication — is
//! counted through `Throttled`, and its failure logged through `record_failure`.

use chrono::{NaiveDateTime, SubsecRound};
use serde_json::json;

use crate::app::AppError;
use crate::audit::{self, Entry};
use crate::auth::secret;
use crate::db::users::UserRow;
use crate::db::{self, DbConnection, throttle};
use crate::domain::Role;
use crate::domain::throttle::{FailureRecord, Subject, ThrottlePolicy};
use crate::notify::{self, AccountMail};

fn account_key(email: &str) -> String {
    format!("account:{}", secret::digest(&email.trim().to_lowercase()))
}

fn source_key(email: &str, addr: &str) -> String {
    format!(
        "source:{}@{addr}",
        secret::digest(&email.trim().to_lowercase())
    )
}

fn address_key(addr: &str) -> String {
    format!("addr:{addr}")
}

/// One key's record around this attempt.
pub(crate) struct Counted {
    key: String,
    subject: Subject,
    before: Option<FailureRecord>,
    /// With this attempt counted; `None` when nothing was counted (a lock was running).
    after: Option<FailureRecord>,
}

impl Counted {
    /// Takes this attempt's count back (it was right after all), under the key's lock, from
    /// whatever the record holds now (parallel attempts may have counted since).
    fn take_back(&self, conn: &mut DbConnection, policy: &ThrottlePolicy) -> Result<(), AppError> {
        let Some(counted) = &self.after else {
            return Ok(());
        };
        throttle::lock(conn, &self.key)?;
        let now = throttle::find(conn, &self.key)?;
        let back = policy.taken_back(self.subject, now.as_ref(), self.before.as_ref(), counted);
        throttle::restore(conn, &self.key, back.as_ref())?;
        Ok(())
    }
}

/// One attempt at a password or a code as the throttle sees it (`domain::throttle`): counted
/// as a failure *before* anything is checked, atomically per key, against the account as seen
/// from this address (the source), the address, and the account; a right attempt then takes its
/// count back, so that a success never counts against anyone.
pub(crate) struct Throttled {
    pub(crate) source: Counted,
    pub(crate) address: Counted,
    pub(crate) account: Counted,
    /// The source or the address is locked: nothing was counted, and nothing may be checked
    /// (attempts during a lock do not lengthen it).
    pub(crate) locked: bool,
    /// The account was at the ceiling of consecutive failures before this attempt: a password
    /// alone must not say whether it was right.
    pub(crate) veiled: bool,
}

impl Throttled {
    pub(crate) fn attempt(
        conn: &mut DbConnection,
        policy: &ThrottlePolicy,
        email: &str,
        client_addr: &str,
        now: NaiveDateTime,
    ) -> Result<Self, AppError> {
        // To the microsecond, as PostgreSQL keeps it: what is read back must equal what was
        // stored (`ThrottlePolicy::taken_back` compares them).
        let now = now.trunc_subsecs(6);
        let keys = [
            (source_key(email, client_addr), Subject::Source),
            (address_key(client_addr), Subject::Address),
            (account_key(email), Subject::Account),
        ];
        db::write(conn, |conn| {
            // Always in this order (source, address, account), so that two attempts never wait
            // for each other's keys crosswise.
            let mut counted = Vec::with_capacity(3);
            for (key, subject) in &keys {
                throttle::lock(conn, key)?;
                let before = throttle::find(conn, key)?;
                counted.push(Counted {
                    key: key.clone(),
                    subject: *subject,
                    before,
                    after: None,
                });
            }
            let locked = counted
                .iter()
                .any(|c| policy.is_locked(c.before.as_ref(), now));
            let veiled = policy.at_ceiling(counted[2].before.as_ref());
            if !locked {
                for c in &mut counted {
                    let after = policy.after_failure(c.subject, c.before.as_ref(), now);
                    throttle::store(conn, &c.key, &after)?;
                    c.after = Some(after);
                }
            }
            let mut counted = counted.into_iter();
            let mut next = || counted.next().expect("three keys");
            Ok(Throttled {
                source: next(),
                address: next(),
                account: next(),
                locked,
                veiled,
            })
        })
    }

    /// The attempt was right (a password, or a re-authentication): it does not count as a
    /// failure anywhere. Call inside a write transaction.
    pub(crate) fn succeeded(
        &self,
        conn: &mut DbConnection,
        policy: &ThrottlePolicy,
    ) -> Result<(), AppError> {
        self.source.take_back(conn, policy)?;
        self.address.take_back(conn, policy)?;
        self.account.take_back(conn, policy)
    }

    /// A complete sign-in (password and second factor): the account's failures, from this
    /// source and from anywhere, are over; the address keeps what others counted there. Call
    /// inside a write transaction.
    pub(crate) fn signed_in(
        &self,
        conn: &mut DbConnection,
        policy: &ThrottlePolicy,
    ) -> Result<(), AppError> {
        for c in [&self.source, &self.account] {
            throttle::lock(conn, &c.key)?;
            throttle::clear(conn, &c.key)?;
        }
        self.address.take_back(conn, policy)
    }
}

/// A security-log entry for something a person (known or not) did from `client_addr`.
pub(crate) fn person_entry(
    event: &'static str,
    outcome: &'static str,
    user: Option<&UserRow>,
    client_addr: &str,
    detail: serde_json::Value,
) -> Entry {
    Entry {
        event,
        outcome,
        actor_user_id: user.map(|u| u.id.clone()),
        actor_org: user.and_then(|u| {
            u.role
                .parse::<Role>()
                .ok()
                .map(|r| r.organisation().to_owned())
        }),
        client_addr: Some(client_addr.to_owned()),
        detail,
        ..Entry::default()
    }
}

/// What went wrong in one attempt, for the security log.
pub(crate) struct Failure<'a> {
    pub(crate) user: Option<&'a UserRow>,
    pub(crate) client_addr: &'a str,
    pub(crate) event: &'static str,
    pub(crate) reason: &'a str,
}

/// Logs a failed attempt (it was counted before it was checked), any lock it started, and tells
/// the account's owner by e-mail when the account's consecutive failures reach the threshold.
pub(crate) fn record_failure(
    conn: &mut DbConnection,
    policy: &ThrottlePolicy,
    throttled: &Throttled,
    failure: &Failure<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let Failure {
        user,
        client_addr,
        event,
        reason,
    } = *failure;
    db::write(conn, |conn| {
        let entry =
            |event, outcome, detail| person_entry(event, outcome, user, client_addr, detail);
        audit::record(
            conn,
            &entry(event, "failure", json!({ "reason": reason })),
            now,
        )?;
        let newly_locked = |c: &Counted| {
            c.after.filter(|after| {
                after.locked_until.is_some() && !policy.is_locked(c.before.as_ref(), now)
            })
        };
        if let Some(after) = newly_locked(&throttled.source) {
            audit::record(
                conn,
                &entry(
                    "account_locked",
                    "denied",
                    json!({ "scope": "this_address", "until": after.locked_until, "failures": after.failures }),
                ),
                now,
            )?;
        }
        if let Some(after) = newly_locked(&throttled.address) {
            audit::record(
                conn,
                &entry(
                    "address_locked",
                    "denied",
                    json!({ "until": after.locked_until, "failures": after.failures }),
                ),
                now,
            )?;
        }
        if let (Some(user), Some(after)) = (user, throttled.account.after.as_ref())
            && policy.tell_owner(throttled.account.before.as_ref(), after)
        {
            notify::enqueue_account_mail(
                conn,
                AccountMail::SignInFailures,
                &user.id,
                &user.email,
                &json!({}),
                now,
            )?;
            audit::record(
                conn,
                &entry(
                    "owner_told_of_failures",
                    "success",
                    json!({ "failures": after.failures }),
                ),
                now,
            )?;
        }
        Ok(())
    })
}

/// Forgets the account's consecutive failures (an administrator's second-factor reset: the way
/// past the ceiling for an account that has no second factor to give). Inside the caller's
/// transaction.
pub fn forget_account_failures(conn: &mut DbConnection, email: &str) -> Result<(), AppError> {
    let key = account_key(email);
    throttle::lock(conn, &key)?;
    throttle::clear(conn, &key)?;
    Ok(())
}
