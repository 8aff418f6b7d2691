//! Signing in: password, then the second factor (enrolled at the first sign-in), throttled per
//! account and per client address, every step written to the security log.

use chrono::NaiveDateTime;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::app::AppError;
use crate::audit::{self, Entry};
use crate::auth::password::{self, HashCost, Verified};
use crate::auth::{keys, secret, totp};
use crate::db::users::{self, UserRow};
use crate::db::{self, DbConnection, missions, recovery_codes, throttle};
use crate::domain::throttle::{FailureRecord, Subject, ThrottlePolicy};
use crate::domain::{Email, Role};

/// Where a person stands after a correct password.
#[derive(Debug)]
pub enum PasswordOutcome {
    /// First sign-in: they must enrol a second factor.
    Enrol(UserRow),
    /// They must give a code from their authenticator (or a recovery code).
    Code(UserRow),
    /// Wrong e-mail or password, or locked: the same answer whichever it was.
    Refused,
}

fn account_key(email: &str) -> String {
    format!("account:{}", secret::digest(&email.trim().to_lowercase()))
}

fn address_key(addr: &str) -> String {
    format!("addr:{addr}")
}

/// One attempt as the throttle sees it. The attempt is counted as a failure *before* anything
/// is checked, atomically per key, so that parallel guesses are all counted; a successful
/// attempt then puts the records back (`succeeded`).
struct Throttled {
    account_key: String,
    address_key: String,
    account_before: Option<FailureRecord>,
    address_before: Option<FailureRecord>,
    /// The records with this attempt counted; `None` when it was locked already (attempts
    /// during a lock do not lengthen it, so nobody can keep someone else out for long).
    counted: Option<(FailureRecord, FailureRecord)>,
    locked: bool,
}

impl Throttled {
    fn attempt(
        conn: &mut DbConnection,
        policy: &ThrottlePolicy,
        email: &str,
        client_addr: &str,
        now: NaiveDateTime,
    ) -> Result<Self, AppError> {
        let (account_key, address_key) = (account_key(email), address_key(client_addr));
        db::write(conn, |conn| {
            throttle::lock(conn, &account_key)?;
            throttle::lock(conn, &address_key)?;
            let account_before = throttle::find(conn, &account_key)?;
            let address_before = throttle::find(conn, &address_key)?;
            let locked = policy.is_locked(account_before.as_ref(), now)
                || policy.is_locked(address_before.as_ref(), now);
            let counted = if locked {
                None
            } else {
                let account = policy.after_failure(Subject::Account, account_before.as_ref(), now);
                let address = policy.after_failure(Subject::Address, address_before.as_ref(), now);
                throttle::store(conn, &account_key, &account)?;
                throttle::store(conn, &address_key, &address)?;
                Some((account, address))
            };
            Ok(Throttled {
                account_key: account_key.clone(),
                address_key: address_key.clone(),
                account_before,
                address_before,
                counted,
                locked,
            })
        })
    }

    /// The attempt was right after all: it does not count as a failure.
    fn succeeded(&self, conn: &mut DbConnection) -> Result<(), AppError> {
        if self.counted.is_some() {
            throttle::restore(conn, &self.account_key, self.account_before.as_ref())?;
            throttle::restore(conn, &self.address_key, self.address_before.as_ref())?;
        }
        Ok(())
    }
}

/// A hash to verify against when there is no account, so that timing does not tell.
fn dummy_hash(cost: HashCost) -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        password::hash(
            &SecretString::from("no account has this password".to_owned()),
            cost,
        )
    })
}

fn org(user: &UserRow) -> Option<String> {
    user.role
        .parse::<Role>()
        .ok()
        .map(|r| r.organisation().to_owned())
}

/// Whether the person may sign in at all: active, and (for mission staff) their mission too.
fn may_sign_in(conn: &mut DbConnection, user: &UserRow) -> Result<bool, AppError> {
    if !user.active {
        return Ok(false);
    }
    match &user.mission_id {
        Some(mission_id) => Ok(missions::find(conn, mission_id)?.is_some_and(|m| m.active)),
        None => Ok(true),
    }
}

/// The first step. Runs the password hash check even when the account is unknown, locked or
/// inactive, so the answer and its timing are the same in every refused case.
pub fn check_password(
    conn: &mut DbConnection,
    email: &str,
    password: &SecretString,
    client_addr: &str,
    policy: &ThrottlePolicy,
    cost: HashCost,
    now: NaiveDateTime,
) -> Result<PasswordOutcome, AppError> {
    let email = Email::parse("email", email)
        .map(|e| e.as_str().to_owned())
        .unwrap_or_else(|_| email.trim().to_lowercase());
    let throttled = Throttled::attempt(conn, policy, &email, client_addr, now)?;
    let locked = throttled.locked;
    let user = users::find_by_email(conn, &email)?;
    let usable = match &user {
        Some(u) if u.password_hash.is_some() => may_sign_in(conn, u)?,
        _ => false,
    };
    let stored = user
        .as_ref()
        .filter(|_| usable)
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash(cost).to_owned());
    let verified = password::verify(password, &stored, cost);
    let rehash = (verified == Verified::YesRehash).then(|| password::hash(password, cost));

    match user {
        Some(user) if usable && !locked && verified != Verified::No => {
            db::write(conn, |conn| {
                // The failure count stays until the second factor is given too (a right
                // password alone does not reset what wrong codes counted).
                throttled.succeeded(conn)?;
                if let Some(hash) = &rehash {
                    users::upgrade_password_hash(conn, &user.id, hash)?;
                }
                audit::record(
                    conn,
                    &Entry {
                        event: "sign_in_password",
                        outcome: "success",
                        actor_user_id: Some(user.id.clone()),
                        actor_org: org(&user),
                        client_addr: Some(client_addr.to_owned()),
                        detail: json!({ "rehashed": rehash.is_some() }),
                        ..Entry::default()
                    },
                    now,
                )?;
                Ok::<_, AppError>(())
            })?;
            Ok(if user.totp_confirmed_at.is_some() {
                PasswordOutcome::Code(user)
            } else {
                PasswordOutcome::Enrol(user)
            })
        }
        user => {
            let reason = if locked {
                "locked"
            } else if user.is_none() {
                "unknown_account"
            } else if !usable {
                "account_inactive"
            } else {
                "wrong_password"
            };
            let failure = Failure {
                user: user.as_ref(),
                client_addr,
                event: "sign_in_failed",
                reason,
            };
            record_failure(conn, policy, &throttled, &failure, now)?;
            Ok(PasswordOutcome::Refused)
        }
    }
}

/// What went wrong in one attempt, for the security log.
struct Failure<'a> {
    user: Option<&'a UserRow>,
    client_addr: &'a str,
    event: &'static str,
    reason: &'a str,
}

/// Logs a failed attempt and counts it against the account and the address — unless they are
/// locked already: attempts during a lock do not lengthen it, so nobody can keep someone else
/// out for long.
fn record_failure(
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
        let entry = |event, outcome, detail| Entry {
            event,
            outcome,
            actor_user_id: user.map(|u| u.id.clone()),
            actor_org: user.and_then(org),
            client_addr: Some(client_addr.to_owned()),
            detail,
            ..Entry::default()
        };
        audit::record(
            conn,
            &entry(event, "failure", json!({ "reason": reason })),
            now,
        )?;
        let Some((account, address)) = &throttled.counted else {
            return Ok(());
        };
        let newly_locked = |before: Option<&FailureRecord>, after: &FailureRecord| {
            after.locked_until.is_some() && !policy.is_locked(before, now)
        };
        if newly_locked(throttled.account_before.as_ref(), account) {
            audit::record(
                conn,
                &entry(
                    "account_locked",
                    "denied",
                    json!({ "until": account.locked_until, "failures": account.failures }),
                ),
                now,
            )?;
        }
        if newly_locked(throttled.address_before.as_ref(), address) {
            audit::record(
                conn,
                &entry(
                    "address_locked",
                    "denied",
                    json!({ "until": address.locked_until, "failures": address.failures }),
                ),
                now,
            )?;
        }
        Ok(())
    })
}

/// One attempt at a second-factor code: from where, under which rules, and when.
pub struct Attempt<'a> {
    pub client_addr: &'a str,
    pub policy: &'a ThrottlePolicy,
    pub unix_time: u64,
    pub now: NaiveDateTime,
}

/// The second step: a code from the authenticator app (each accepted once) or an unused
/// recovery code.
pub fn check_code(
    conn: &mut DbConnection,
    user_id: &str,
    code: &str,
    attempt: &Attempt<'_>,
) -> Result<Option<UserRow>, AppError> {
    let Attempt {
        client_addr,
        policy,
        unix_time,
        now,
    } = *attempt;
    let Some(user) = users::find(conn, user_id)? else {
        return Ok(None);
    };
    let throttled = Throttled::attempt(conn, policy, &user.email, client_addr, now)?;
    let locked = throttled.locked;
    let allowed = !locked && may_sign_in(conn, &user)?;
    let accepted = allowed
        && db::write(conn, |conn| {
            let ok = if totp::looks_like_recovery_code(code) {
                recovery_codes::use_code(conn, &user.id, &totp::recovery_code_hash(code), now)?
            } else {
                match (user.totp_secret.as_deref(), user.totp_confirmed_at) {
                    (Some(sealed), Some(_)) => {
                        let seed = keys::current().open(&keys::totp_context(&user.id), sealed);
                        match seed {
                            Ok(seed) => match totp::check(seed.expose_secret(), code, unix_time) {
                                Some(step) => users::use_totp_step(conn, &user.id, step)?,
                                None => false,
                            },
                            Err(e) => {
                                tracing::error!(user = %user.id, error = %e, "stored second-factor seed does not open");
                                false
                            }
                        }
                    }
                    _ => false,
                }
            };
            if ok {
                complete_sign_in(
                    conn,
                    &user,
                    client_addr,
                    &throttled.account_key,
                    "code",
                    now,
                )?;
            }
            Ok::<_, AppError>(ok)
        })?;
    if accepted {
        return Ok(Some(user));
    }
    let reason = if locked {
        "locked"
    } else if !allowed {
        "account_inactive"
    } else {
        "wrong_code"
    };
    let failure = Failure {
        user: Some(&user),
        client_addr,
        event: "second_factor_failed",
        reason,
    };
    record_failure(conn, policy, &throttled, &failure, now)?;
    Ok(None)
}

fn complete_sign_in(
    conn: &mut DbConnection,
    user: &UserRow,
    client_addr: &str,
    akey: &str,
    method: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    throttle::clear(conn, akey)?;
    users::record_sign_in(conn, &user.id, now)?;
    audit::record(
        conn,
        &Entry {
            event: "sign_in",
            outcome: "success",
            actor_user_id: Some(user.id.clone()),
            actor_org: org(user),
            client_addr: Some(client_addr.to_owned()),
            detail: json!({ "second_factor": method }),
            ..Entry::default()
        },
        now,
    )?;
    Ok(())
}

/// First sign-in: confirms the new authenticator with a code, stores it, and returns the
/// recovery codes to show once. `None` when the code is wrong.
pub fn confirm_enrolment(
    conn: &mut DbConnection,
    user_id: &str,
    secret_b32: &str,
    code: &str,
    attempt: &Attempt<'_>,
) -> Result<Option<(UserRow, Vec<String>)>, AppError> {
    let Attempt {
        client_addr,
        policy,
        unix_time,
        now,
    } = *attempt;
    let Some(user) = users::find(conn, user_id)? else {
        return Ok(None);
    };
    let throttled = Throttled::attempt(conn, policy, &user.email, client_addr, now)?;
    let allowed =
        !throttled.locked && may_sign_in(conn, &user)? && user.totp_confirmed_at.is_none();
    let step = totp::check(secret_b32, code, unix_time).filter(|_| allowed);
    let Some(step) = step else {
        let failure = Failure {
            user: Some(&user),
            client_addr,
            event: "second_factor_failed",
            reason: if allowed { "wrong_code" } else { "not_allowed" },
        };
        record_failure(conn, policy, &throttled, &failure, now)?;
        return Ok(None);
    };
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    db::write(conn, |conn| {
        let sealed = keys::current().seal(&keys::totp_context(&user.id), secret_b32);
        users::confirm_totp(conn, &user.id, &sealed, step, now)?;
        recovery_codes::replace(conn, &user.id, &hashes, now)?;
        audit::record(
            conn,
            &Entry {
                event: "second_factor_enrolled",
                outcome: "success",
                actor_user_id: Some(user.id.clone()),
                actor_org: org(&user),
                client_addr: Some(client_addr.to_owned()),
                ..Entry::default()
            },
            now,
        )?;
        complete_sign_in(
            conn,
            &user,
            client_addr,
            &throttled.account_key,
            "enrolment",
            now,
        )
    })?;
    Ok(Some((user, codes)))
}

/// Writes the sign-out to the security log (the session itself is ended by the caller).
pub fn record_sign_out(
    conn: &mut DbConnection,
    user: &UserRow,
    client_addr: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::write(conn, |conn| {
        audit::record(
            conn,
            &Entry {
                event: "sign_out",
                outcome: "success",
                actor_user_id: Some(user.id.clone()),
                actor_org: org(user),
                client_addr: Some(client_addr.to_owned()),
                ..Entry::default()
            },
            now,
        )
        .map_err(AppError::from)
    })
}

/// The account behind a signed-in session, if it may still be used (active, mission active).
pub fn signed_in_user(conn: &mut DbConnection, user_id: &str) -> Result<Option<UserRow>, AppError> {
    match users::find(conn, user_id)? {
        Some(user) if may_sign_in(conn, &user)? && user.totp_confirmed_at.is_some() => {
            Ok(Some(user))
        }
        _ => Ok(None),
    }
}
