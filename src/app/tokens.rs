//! Personal access tokens for the API: created (shown once), listed, revoked, and checked on
//! every call. A token is `pp_<prefix>_<secret>`; the prefix names it in lists and logs without
//! revealing it, and only the SHA-256 of the whole token is stored.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use crate::app::{Acting, AppError};
use crate::audit;
use crate::auth::secret;
use crate::db::tokens::{self, NewToken, TokenRow};
use crate::db::users::{self, UserRow};
use crate::db::{self, DbConnection, DbError, missions};
use crate::domain::access::Actor;
use crate::domain::text::check_text;
use crate::domain::{Clearance, FieldError, Role};

/// A new token: the stored row and the token itself, to show once.
pub struct Created {
    pub row: TokenRow,
    pub token: String,
}

fn prefix() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyz23456789";
    secret::random_bytes::<10>()
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// The token's name (a default for an empty one) once it and the validity are checked.
pub fn check_input(name: &str, expires_in_days: Option<i64>) -> Result<String, AppError> {
    let name = if name.trim().is_empty() {
        "API token"
    } else {
        name.trim()
    };
    check_text("name", name, 1, 100, false)?;
    if let Some(days) = expires_in_days
        && !(1..=366).contains(&days)
    {
        return Err(FieldError::new("expires_in_days", "must be between 1 and 366").into());
    }
    Ok(name.to_owned())
}

/// What a token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The API, as its owner.
    Api,
    /// Only the calendar feed (`/api/v1/calendar.ics`), which a calendar program fetches with
    /// the token in its address.
    CalendarFeed,
}

impl Scope {
    pub fn code(self) -> &'static str {
        match self {
            Scope::Api => "api",
            Scope::CalendarFeed => "calendar",
        }
    }
}

/// Creates a token for `user_id` (256 random bits), valid for `expires_in_days` or until revoked.
pub fn create(
    conn: &mut DbConnection,
    acting: &Acting,
    user_id: &str,
    name: &str,
    expires_in_days: Option<i64>,
    now: NaiveDateTime,
) -> Result<Created, AppError> {
    create_scoped(
        conn,
        acting,
        user_id,
        (name, Scope::Api),
        expires_in_days,
        now,
    )
}

/// Creates a token that reads the calendar feed and nothing else, until revoked: the address a
/// person gives their calendar program. Only for those who may see the calendar.
pub fn create_calendar_feed(
    conn: &mut DbConnection,
    acting: &Acting,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<Created, AppError> {
    crate::domain::access::authorise(actor, crate::domain::access::Capability::ViewCalendar)
        .map_err(|_| AppError::NotFound)?;
    create_scoped(
        conn,
        acting,
        &actor.user_id,
        ("Calendar feed", Scope::CalendarFeed),
        None,
        now,
    )
}

fn create_scoped(
    conn: &mut DbConnection,
    acting: &Acting,
    user_id: &str,
    (name, scope): (&str, Scope),
    expires_in_days: Option<i64>,
    now: NaiveDateTime,
) -> Result<Created, AppError> {
    let name = check_input(name, expires_in_days)?;
    let name = name.as_str();
    let scope = scope.code();
    let prefix = prefix();
    let token = format!("pp_{prefix}_{}", secret::generate());
    let id = db::new_id();
    db::write(conn, |conn| {
        let user = users::find(conn, user_id)?
            .filter(|u| u.active)
            .ok_or(AppError::NotFound)?;
        tokens::insert(
            conn,
            &NewToken {
                id: &id,
                user_id: &user.id,
                name,
                prefix: &prefix,
                token_hash: &secret::digest(&token),
                created_at: now,
                expires_at: expires_in_days.map(|d| now + Duration::days(d)),
                scope,
            },
        )?;
        audit::record(
            conn,
            &acting.entry(
                "token_created",
                "api_token",
                &id,
                json!({ "prefix": prefix, "user_id": user.id, "scope": scope }),
            ),
            now,
        )?;
        let row = tokens::list_for_user(conn, &user.id)?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(AppError::NotFound)?;
        Ok(Created {
            row,
            token: token.clone(),
        })
    })
}

pub fn list(conn: &mut DbConnection, user_id: &str) -> Result<Vec<TokenRow>, AppError> {
    Ok(tokens::list_for_user(conn, user_id)?)
}

pub fn revoke(
    conn: &mut DbConnection,
    acting: &Acting,
    user_id: &str,
    id: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::write(conn, |conn| {
        if !tokens::revoke(conn, user_id, id, now)? {
            return Err(AppError::NotFound);
        }
        audit::record(
            conn,
            &acting.entry("token_revoked", "api_token", id, json!({})),
            now,
        )?;
        Ok(())
    })
}

/// The person a presented token acts for: the token must be unrevoked and unexpired, its owner
/// active (and, for mission staff, their mission active).
pub fn authenticate(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<(Actor, UserRow, TokenRow)>, AppError> {
    authenticate_for(conn, token, Scope::Api, now)
}

/// As `authenticate`, for a token of `scope` (a calendar feed's token opens nothing else, and an
/// API token is not taken in an address).
pub fn authenticate_for(
    conn: &mut DbConnection,
    token: &str,
    scope: Scope,
    now: NaiveDateTime,
) -> Result<Option<(Actor, UserRow, TokenRow)>, AppError> {
    if !token.starts_with("pp_") || token.len() > 200 {
        return Ok(None);
    }
    let Some(row) = tokens::find_usable(conn, &secret::digest(token), scope.code(), now)? else {
        return Ok(None);
    };
    let Some(user) = users::find(conn, &row.user_id)?.filter(|u| u.active) else {
        return Ok(None);
    };
    if let Some(m) = &user.mission_id
        && !missions::find(conn, m)?.is_some_and(|m| m.active)
    {
        return Ok(None);
    }
    let (Ok(role), Ok(clearance)) = (
        user.role.parse::<Role>(),
        user.clearance.parse::<Clearance>(),
    ) else {
        return Ok(None);
    };
    // The last use is shown to the person to the minute: writing it on every call would make
    // every API read a write.
    if row
        .last_used_at
        .is_none_or(|at| now - at >= chrono::Duration::minutes(1))
    {
        match db::bookkeeping(conn, |conn| tokens::touch(conn, &row.id, now)) {
            // Bookkeeping never holds up a read: when another writer holds the database, the
            // last use is written on a later call.
            Err(DbError::Busy(why)) => {
                tracing::debug!(error = %why, "token's last use not written")
            }
            other => other?,
        }
    }
    let actor = Actor {
        user_id: user.id.clone(),
        role,
        mission_id: user.mission_id.clone(),
        clearance,
    };
    Ok(Some((actor, user, row)))
}

/// Counts an API call against the token's per-minute limit; `Some(seconds)` to wait when over.
///
/// The count is kept in the database, so that the limit holds across instances. Writing it on
/// every call would make every API read a write, so each process adds its calls in steps of
/// 1/20 of the limit (at most 100): with a limit of 600 a minute, one write per 30 calls. Each
/// instance may therefore let through up to one step more than the limit; limits below 40 are
/// counted call by call.
pub fn throttle(
    conn: &mut DbConnection,
    token_id: &str,
    limit: u32,
    now: NaiveDateTime,
) -> Result<Option<i64>, AppError> {
    let step = (limit / 20).clamp(1, 100) as i32;
    let key = format!("api:{token_id}");
    let minute = chrono::Duration::minutes(1);
    let wait = |count: i32, start: NaiveDateTime| {
        (count as u32 > limit).then(|| (60 - (now - start).num_seconds()).max(1))
    };
    {
        let mut pending = uncounted_calls().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = pending.get_mut(&key)
            && now - p.window_start < minute
            && p.uncounted + 1 < step
        {
            p.uncounted += 1;
            return Ok(wait(p.counted + p.uncounted, p.window_start));
        }
    }
    let before = uncounted_calls()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&key)
        .filter(|p| now - p.window_start < minute);
    let uncounted = before.as_ref().map_or(0, |p| p.uncounted);
    let (count, start) = match db::bookkeeping(conn, |conn| {
        tokens::count_calls(conn, &key, uncounted + 1, now)
    }) {
        Ok(counted) => counted,
        Err(DbError::Busy(why)) => {
            // Another writer holds the database: keep the calls counted here, and add them to
            // the shared count on a later call, rather than hold up or refuse this one.
            tracing::debug!(error = %why, "API calls not yet added to the shared count");
            let mut p = before.unwrap_or(UncountedCalls {
                window_start: now,
                counted: 0,
                uncounted: 0,
            });
            p.uncounted += 1;
            let answer = wait(p.counted + p.uncounted, p.window_start);
            uncounted_calls()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, p);
            return Ok(answer);
        }
        Err(e) => return Err(e.into()),
    };
    let mut pending = uncounted_calls().lock().unwrap_or_else(|e| e.into_inner());
    if pending.len() > 10_000 {
        pending.retain(|_, p| now - p.window_start < minute);
    }
    pending.insert(
        key,
        UncountedCalls {
            window_start: start,
            counted: count,
            uncounted: 0,
        },
    );
    Ok(wait(count, start))
}

/// A token's calls in this process since its count in the database was last brought up to date.
struct UncountedCalls {
    window_start: NaiveDateTime,
    /// The count in the database when this process last wrote it.
    counted: i32,
    uncounted: i32,
}

fn uncounted_calls() -> &'static Mutex<HashMap<String, UncountedCalls>> {
    static CALLS: OnceLock<Mutex<HashMap<String, UncountedCalls>>> = OnceLock::new();
    CALLS.get_or_init(Default::default)
}

/// Finds an active user by e-mail (for `token create --user`).
pub fn user_by_email(conn: &mut DbConnection, email: &str) -> Result<UserRow, AppError> {
    users::find_by_email(conn, &email.trim().to_lowercase())?
        .filter(|u| u.active)
        .ok_or_else(|| FieldError::new("user", "no active account has this e-mail address").into())
}
