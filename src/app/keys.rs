//! Secrets sealed at rest (product.md § 10): sealing the second-factor seeds left in clear from before
//! sealing, and re-sealing every seed under the current key (`protection-portal keys rotate`).

use chrono::NaiveDateTime;
use serde_json::json;

use crate::app::{Acting, AppError};
use crate::audit;
use crate::auth::keys::{self, Keys, OpenError};
use crate::db::{self, DbConnection, users};

/// What a pass over the stored seeds did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Resealed {
    /// Seeds found in clear and sealed now.
    pub sealed_from_clear: usize,
    /// Seeds sealed under an earlier key and re-sealed under the current one.
    pub resealed: usize,
    /// Seeds already under the current key.
    pub current: usize,
}

/// A seed that would not open: rotation stops before changing anything.
#[derive(Debug, thiserror::Error)]
#[error("the second-factor seed of account {user_id} does not open: {why}")]
pub struct Unopenable {
    pub user_id: String,
    pub why: OpenError,
}

/// Seals every seed still in clear (from before sealing). Run at every start; cheap when none.
pub fn seal_clear_seeds(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, AppError> {
    let keys = keys::current();
    db::write(conn, |conn| {
        let mut sealed = 0;
        for (id, stored) in users::totp_seeds(conn)? {
            if Keys::sealed_with(&stored).is_none() {
                let value = keys.seal(&keys::totp_context(&id), &stored);
                if users::replace_totp_seed(conn, &id, &stored, &value)? {
                    sealed += 1;
                }
            }
        }
        if sealed > 0 {
            record(
                conn,
                "secrets_sealed",
                json!({ "sealed_from_clear": sealed }),
                now,
            )?;
        }
        Ok(sealed)
    })
}

/// Re-seals every seed under the current key, in one transaction. Every seed is opened first (a
/// seed in clear is sealed); if any does not open, nothing changes and the account is named, so
/// an old key is never dropped while something still needs it.
pub fn rotate(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> Result<Result<Resealed, Unopenable>, AppError> {
    let keys = keys::current();
    db::write(conn, |conn| {
        let seeds = users::totp_seeds(conn)?;
        let mut plan = Vec::new();
        let mut done = Resealed::default();
        for (id, stored) in seeds {
            let context = keys::totp_context(&id);
            match Keys::sealed_with(&stored) {
                Some(k) if k == keys.current_id() => {
                    // Opening proves it is sound under the current key.
                    if let Err(why) = keys.open(&context, &stored) {
                        return Ok(Err(Unopenable { user_id: id, why }));
                    }
                    done.current += 1;
                }
                Some(_) => match keys.open(&context, &stored) {
                    Ok(seed) => {
                        use secrecy::ExposeSecret;
                        let value = keys.seal(&context, seed.expose_secret());
                        plan.push((id, stored, value));
                        done.resealed += 1;
                    }
                    Err(why) => return Ok(Err(Unopenable { user_id: id, why })),
                },
                None => {
                    let value = keys.seal(&context, &stored);
                    plan.push((id, stored, value));
                    done.sealed_from_clear += 1;
                }
            }
        }
        for (id, stored, value) in &plan {
            users::replace_totp_seed(conn, id, stored, value)?;
        }
        record(
            conn,
            "secrets_resealed",
            json!({
                "key": keys.current_id(),
                "resealed": done.resealed,
                "sealed_from_clear": done.sealed_from_clear,
                "already_current": done.current,
            }),
            now,
        )?;
        Ok(Ok(done))
    })
}

fn record(
    conn: &mut DbConnection,
    event: &'static str,
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let mut entry = Acting::command_line().entry(event, "keys", "seal", detail);
    entry.outcome = "success";
    audit::record(conn, &entry, now).map_err(AppError::from)
}
