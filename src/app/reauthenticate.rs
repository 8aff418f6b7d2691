//! Re-authentication of a signed-in person before a sensitive change (a new password, new
//! recovery codes, a new API token): the current password and/or a fresh second-factor code,
//! through the sign-in throttle, every attempt in the security log.

use secrecy::SecretString;
use serde_json::json;

use crate::app::AppError;
use crate::app::sign_in::{Attempt, totp_step};
use crate::app::throttling::{Failure, Throttled, person_entry, record_failure};
use crate::audit;
use crate::auth::password::{self, HashCost, Verified};
use crate::db::users::{self, UserRow};
use crate::db::{self, DbConnection};
use crate::domain::FieldError;

/// What a signed-in person must give again before a sensitive change, and why.
pub struct Reauthentication<'a> {
    /// Their current password, and the form field it was typed in.
    pub password: Option<(&'static str, &'a SecretString)>,
    /// A fresh code from their authenticator app (a recovery code does not do), and its field.
    pub code: Option<(&'static str, &'a str)>,
    /// For the security log: what it was for.
    pub purpose: &'static str,
}

pub const TOO_MANY_ATTEMPTS: &str = "Too many failed attempts: wait a few minutes and try again";
/// Past the account's ceiling of consecutive failures, which only a complete sign-in resets.
pub const SIGN_IN_AGAIN: &str = "Too many failed attempts on your account: sign out, sign in again with your password and code, then try again";
pub const NOT_CURRENT_PASSWORD: &str = "is not your current password";
pub const CODE_NOT_RIGHT: &str =
    "must be the current code from your authenticator app; each code is accepted once";

/// Re-authentication of a signed-in person (a stolen session must not be enough to change the
/// password, mint recovery codes or create an API token): the password and/or a fresh TOTP code,
/// through the same throttle as sign-in, every attempt written to the security log. On failure
/// the errors name the fields.
pub fn reauthenticate(
    conn: &mut DbConnection,
    user_id: &str,
    reauth: &Reauthentication<'_>,
    attempt: &Attempt<'_>,
    cost: HashCost,
) -> Result<UserRow, AppError> {
    let Attempt {
        client_addr,
        policy,
        unix_time,
        now,
    } = *attempt;
    let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
    let throttled = Throttled::attempt(conn, policy, &user.email, client_addr, now)?;
    let first_field = reauth
        .password
        .map(|(f, _)| f)
        .or(reauth.code.map(|(f, _)| f))
        .unwrap_or("current_password");
    let mut errors = Vec::new();
    let mut reasons = Vec::new();
    if throttled.locked {
        errors.push(FieldError::new(first_field, TOO_MANY_ATTEMPTS));
        reasons.push("locked");
    } else if throttled.veiled && reauth.code.is_none() {
        // Past the ceiling a password alone tells nothing, here as at sign-in: a stolen session
        // cannot go on guessing the current password. A complete sign-in resets the count.
        errors.push(FieldError::new(first_field, SIGN_IN_AGAIN));
        reasons.push("ceiling");
    } else {
        if let Some((field, password)) = reauth.password {
            let stored = user.password_hash.as_deref();
            if password::verify_or_dummy(password, stored, cost) == Verified::No {
                errors.push(FieldError::new(field, NOT_CURRENT_PASSWORD));
                reasons.push("wrong_password");
            }
        }
        if let Some((field, code)) = reauth.code {
            let step = totp_step(&user, code.trim(), unix_time);
            // The time step is used up only when everything else was right.
            let used = errors.is_empty()
                && match step {
                    Some(step) => {
                        db::write(conn, |conn| users::use_totp_step(conn, &user.id, step))?
                    }
                    None => false,
                };
            if !used {
                errors.push(FieldError::new(field, CODE_NOT_RIGHT));
                reasons.push("wrong_code");
            }
        }
    }
    if !errors.is_empty() {
        let reason = reasons.join(",");
        let failure = Failure {
            user: Some(&user),
            client_addr,
            event: "reauthentication_failed",
            reason: &reason,
        };
        record_failure(conn, policy, &throttled, &failure, now)?;
        return Err(AppError::Invalid(errors));
    }
    db::write(conn, |conn| {
        throttled.succeeded(conn, policy)?;
        audit::record(
            conn,
            &person_entry(
                "reauthenticated",
                "success",
                Some(&user),
                client_addr,
                json!({ "purpose": reauth.purpose }),
            ),
            now,
        )?;
        Ok::<_, AppError>(())
    })?;
    Ok(user)
}
