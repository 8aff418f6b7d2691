//! Queries on e-mail preferences: a row per kind a person switched off (or on again).

use diesel::prelude::*;

use super::schema::notification_preferences as prefs;
use super::{DbConnection, DbError, DbResult};

/// The kinds a person does not want by e-mail.
pub fn switched_off(conn: &mut DbConnection, user_id: &str) -> DbResult<Vec<String>> {
    prefs::table
        .filter(prefs::user_id.eq(user_id))
        .filter(prefs::email.eq(false))
        .select(prefs::kind)
        .load(conn)
        .map_err(DbError::from)
}

/// Records one choice (insert or replace).
pub fn set(conn: &mut DbConnection, user_id: &str, kind: &str, email: bool) -> DbResult<()> {
    let updated = diesel::update(
        prefs::table
            .filter(prefs::user_id.eq(user_id))
            .filter(prefs::kind.eq(kind)),
    )
    .set(prefs::email.eq(email))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(prefs::table)
            .values((
                prefs::user_id.eq(user_id),
                prefs::kind.eq(kind),
                prefs::email.eq(email),
            ))
            .execute(conn)?;
    }
    Ok(())
}
