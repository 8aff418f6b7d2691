//! Signing in: password, then the second factor (enrolled at the first sign-in), throttled
//! (`app::throttling`), every step written to the security log.

use chrono::NaiveDateTime;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::app::AppError;
use crate::app::throttling::{Failure, Throttled, person_entry, record_failure};
use crate::audit;
use crate::auth::password::{self, HashCost, Verified};
use crate::auth::{keys, totp};
use crate::db::users::{self, UserRow};
use crate::db::{self, DbConnection, missions, recovery_codes};
use crate::domain::Email;
use crate::domain::throttle::ThrottlePolicy;

/// Where a person stands after a correct password.
#[derive(Debug)]
pub enum PasswordOutcome {
    /// First sign-in: they must enrol a second factor.
    Enrol(UserRow),
    /// They must give a code from their authenticator (or a recovery code).
    Code(UserRow),
    /// Wrong e-mail or password, or locked: the same answer whichever it was.
    Refused,
    /// The account is at the ceiling of consecutive failures and this password was not right
    /// (or the account is unknown, inactive or has no second factor): the person is asked for a
    /// code all the same, and no code will do. A right password gets the same page, so that past
    /// the ceiling guessing the password alone tells nothing (`domain::throttle`).
    Veiled { email: String },
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

/// Whether `user`, read with their mission's `mission_active` (`None`: no mission), may go on
/// using a signed-in session: active, their mission active, their second factor enrolled. The
/// same rule as `signed_in_user`, for a person read together with their session.
pub fn may_stay_signed_in(user: &UserRow, mission_active: Option<bool>) -> bool {
    user.active
        && user.totp_confirmed_at.is_some()
        && match &user.mission_id {
            Some(_) => mission_active == Some(true),
            None => true,
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
        .and_then(|u| u.password_hash.as_deref());
    let verified = password::verify_or_dummy(password, stored, cost);
    let rehash = (verified == Verified::YesRehash).then(|| password::hash(password, cost));

    let veiled = throttled.veiled;
    match user {
        Some(user)
            if usable
                && !locked
                && verified != Verified::No
                && !(veiled && user.totp_confirmed_at.is_none()) =>
        {
            db::write(conn, |conn| {
                // The attempt does not count; what wrong codes counted stays until the second
                // factor is given too (a right password alone does not reset it).
                throttled.succeeded(conn, policy)?;
                if let Some(hash) = &rehash {
                    users::upgrade_password_hash(conn, &user.id, hash)?;
                }
                audit::record(
                    conn,
                    &person_entry(
                        "sign_in_password",
                        "success",
                        Some(&user),
                        client_addr,
                        json!({ "rehashed": rehash.is_some() }),
                    ),
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
            } else if verified == Verified::No {
                "wrong_password"
            } else {
                "no_second_factor_past_the_ceiling"
            };
            let failure = Failure {
                user: user.as_ref(),
                client_addr,
                event: "sign_in_failed",
                reason,
            };
            record_failure(conn, policy, &throttled, &failure, now)?;
            Ok(if veiled && !locked {
                PasswordOutcome::Veiled { email }
            } else {
                PasswordOutcome::Refused
            })
        }
    }
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
                match totp_step(&user, code, unix_time) {
                    Some(step) => users::use_totp_step(conn, &user.id, step)?,
                    None => false,
                }
            };
            if ok {
                throttled.signed_in(conn, policy)?;
                complete_sign_in(conn, &user, client_addr, "code", now)?;
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

/// The second step after a veiled password step (`PasswordOutcome::Veiled`): no code is
/// right. It is counted and logged like a wrong code, so that it takes the same work.
pub fn refuse_veiled_code(
    conn: &mut DbConnection,
    email: &str,
    attempt: &Attempt<'_>,
) -> Result<(), AppError> {
    let Attempt {
        client_addr,
        policy,
        now,
        ..
    } = *attempt;
    let throttled = Throttled::attempt(conn, policy, email, client_addr, now)?;
    let user = users::find_by_email(conn, email)?;
    let failure = Failure {
        user: user.as_ref(),
        client_addr,
        event: "second_factor_failed",
        reason: if throttled.locked {
            "locked"
        } else {
            "password_not_right"
        },
    };
    record_failure(conn, policy, &throttled, &failure, now)
}

fn complete_sign_in(
    conn: &mut DbConnection,
    user: &UserRow,
    client_addr: &str,
    method: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    users::record_sign_in(conn, &user.id, now)?;
    audit::record(
        conn,
        &person_entry(
            "sign_in",
            "success",
            Some(user),
            client_addr,
            json!({ "second_factor": method }),
        ),
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
            &person_entry(
                "second_factor_enrolled",
                "success",
                Some(&user),
                client_addr,
                json!({}),
            ),
            now,
        )?;
        throttled.signed_in(conn, policy)?;
        complete_sign_in(conn, &user, client_addr, "enrolment", now)
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
            &person_entry("sign_out", "success", Some(user), client_addr, json!({})),
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

/// `signed_in_user`, with the name of the person's mission (for a session made in the same
/// request, which was not read with its person: `web::session_store`).
pub fn signed_in_person(
    conn: &mut DbConnection,
    user_id: &str,
) -> Result<(Option<UserRow>, Option<String>), AppError> {
    let user = signed_in_user(conn, user_id)?;
    let mission_name = match user.as_ref().and_then(|u| u.mission_id.as_deref()) {
        Some(m) => missions::find(conn, m)?.map(|m| m.name),
        None => None,
    };
    Ok((user, mission_name))
}

/// The time step `code` matches under the person's enrolled (sealed) seed, if it does. A seed
/// that does not open under the configured keys is logged for the operator and matches nothing.
pub(crate) fn totp_step(user: &UserRow, code: &str, unix_time: u64) -> Option<i64> {
    let (Some(sealed), Some(_)) = (user.totp_secret.as_deref(), user.totp_confirmed_at) else {
        return None;
    };
    match keys::current().open(&keys::totp_context(&user.id), sealed) {
        Ok(seed) => totp::check(seed.expose_secret(), code, unix_time),
        Err(e) => {
            tracing::error!(user = %user.id, error = %e, "stored second-factor seed does not open");
            None
        }
    }
}
