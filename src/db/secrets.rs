//! Queries on secrets shared by all instances of one installation.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::instance_secrets;
use super::{DbConnection, DbError, DbResult};

/// The secret called `name`, creating it with `generate()` if it does not exist yet. When two
/// instances start at once, both end up with whichever was stored first.
pub fn get_or_create(
    conn: &mut DbConnection,
    name: &str,
    generate: impl FnOnce() -> String,
    now: NaiveDateTime,
) -> DbResult<String> {
    if let Some(value) = instance_secrets::table
        .find(name)
        .select(instance_secrets::value)
        .first::<String>(conn)
        .optional()?
    {
        return Ok(value);
    }
    let inserted = diesel::insert_into(instance_secrets::table)
        .values((
            instance_secrets::name.eq(name),
            instance_secrets::value.eq(generate()),
            instance_secrets::created_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_)
        | Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {}
        Err(e) => return Err(e.into()),
    }
    instance_secrets::table
        .find(name)
        .select(instance_secrets::value)
        .first::<String>(conn)
        .map_err(DbError::from)
}
