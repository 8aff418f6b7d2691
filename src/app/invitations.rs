//! Accepting an invitation: the invited person sets their password through the single-use link.

use chrono::NaiveDateTime;
use secrecy::SecretString;
use serde_json::json;

use crate::app::{Acting, AppError};
use crate::audit;
use crate::auth::password::{self, HashCost};
use crate::auth::secret;
use crate::db::users::{self, UserRow};
use crate::db::{self, DbConnection, accounts};
use crate::domain::FieldError;

const PURPOSE: &str = "invitation";

/// The invited person, if the link is unused, unexpired and their account active.
pub fn invitee(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<UserRow>, AppError> {
    let Some(link) = accounts::find_usable(conn, PURPOSE, &secret::digest(token), now)? else {
        return Ok(None);
    };
    let Some(user_id) = link.user_id else {
        return Ok(None);
    };
    Ok(users::find(conn, &user_id)?.filter(|u| u.active))
}

/// Sets the password and spends the link. Unknown, used or expired links are `NotFound`.
pub fn accept(
    conn: &mut DbConnection,
    token: &str,
    new_password: &SecretString,
    confirmation: &SecretString,
    cost: HashCost,
    client_addr: &str,
    now: NaiveDateTime,
) -> Result<UserRow, AppError> {
    use secrecy::ExposeSecret;
    let user = invitee(conn, token, now)?.ok_or(AppError::NotFound)?;
    let mut errors = Vec::new();
    if let Err(e) = password::check_new_password("password", new_password, &user.name, &user.email)
    {
        errors.push(e);
    }
    if new_password.expose_secret() != confirmation.expose_secret() {
        errors.push(FieldError::new(
            "password_confirmation",
            "must be the same as the password",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let hash = password::hash(new_password, cost);
    let digest = secret::digest(token);
    db::write(conn, |conn| {
        let link = accounts::find_usable(conn, PURPOSE, &digest, now)?.ok_or(AppError::NotFound)?;
        if !accounts::mark_used(conn, &link.id, now)? {
            return Err(AppError::NotFound);
        }
        users::set_password(conn, &user.id, &hash, now)?;
        let acting = Acting {
            user_id: Some(user.id.clone()),
            org: None,
            client_addr: Some(client_addr.to_owned()),
        };
        audit::record(
            conn,
            &acting.entry("invitation_accepted", "user", &user.id, json!({})),
            now,
        )?;
        users::find(conn, &user.id)?.ok_or(AppError::NotFound)
    })
}
