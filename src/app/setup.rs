//! The first administrator: on an empty database `serve` prints a single-use link, and whoever
//! opens it creates the first administrator account.

use chrono::{Duration, NaiveDateTime};
use secrecy::SecretString;

use crate::app::users::{PreparedUser, UserInput, insert_prepared, prepare_with_password};
use crate::app::{Acting, AppError};
use crate::auth::password::HashCost;
use crate::auth::secret;
use crate::db::accounts::{self, NewAccountToken};
use crate::db::users::{self, UserRow};
use crate::db::{self, DbConnection};

const PURPOSE: &str = "first_admin";

/// If nobody has an account yet, replaces any earlier link with a new one and returns its URL.
pub fn issue_first_admin_link(
    conn: &mut DbConnection,
    public_base: &str,
    valid_for: Duration,
    now: NaiveDateTime,
) -> Result<Option<String>, AppError> {
    let token = secret::generate();
    let digest = secret::digest(&token);
    let issued = db::write(conn, |conn| {
        if users::count(conn)? > 0 {
            return Ok::<_, AppError>(false);
        }
        accounts::delete_unused(conn, PURPOSE)?;
        accounts::insert(
            conn,
            &NewAccountToken {
                id: &db::new_id(),
                purpose: PURPOSE,
                user_id: None,
                token_hash: &digest,
                expires_at: now + valid_for,
                created_at: now,
            },
        )?;
        Ok(true)
    })?;
    Ok(issued.then(|| format!("{public_base}/setup?token={token}")))
}

/// Whether a first-administrator link is still usable (the page shows the form only then).
pub fn first_admin_link_is_usable(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    Ok(
        accounts::find_usable(conn, PURPOSE, &secret::digest(token), now)?.is_some()
            && users::count(conn)? == 0,
    )
}

/// Checks the administrator's details and hashes the password (before any transaction).
pub fn prepare_first_admin(
    email: &str,
    name: &str,
    password: &SecretString,
    cost: HashCost,
) -> Result<PreparedUser, AppError> {
    let input = UserInput {
        email: email.to_owned(),
        name: name.to_owned(),
        role: "admin".to_owned(),
        mission_id: None,
        clearance: None,
    };
    prepare_with_password(&input, password, cost)
}

/// Uses the link: creates the first administrator, once. A used, expired or unknown link, or a
/// database that already has accounts, is `NotFound`.
pub fn create_first_admin(
    conn: &mut DbConnection,
    token: &str,
    admin: &PreparedUser,
    client_addr: &str,
    now: NaiveDateTime,
) -> Result<UserRow, AppError> {
    let acting = Acting {
        user_id: None,
        org: Some("operator".to_owned()),
        client_addr: Some(client_addr.to_owned()),
    };
    let digest = secret::digest(token);
    db::write(conn, |conn| {
        let link = accounts::find_usable(conn, PURPOSE, &digest, now)?.ok_or(AppError::NotFound)?;
        if users::count(conn)? > 0 || !accounts::mark_used(conn, &link.id, now)? {
            return Err(AppError::NotFound);
        }
        insert_prepared(conn, &acting, admin, now)
    })
}
