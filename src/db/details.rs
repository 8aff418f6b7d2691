//! Queries on what a request is about besides its measures: its event and the people to
//! protect (product.md § 4). Both are replaced whole with the request's content.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{protected_persons, request_events};
use super::{DbConnection, DbError};

type DbResult<T> = Result<T, DbError>;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_events)]
pub struct RequestEventRow {
    pub request_id: String,
    pub name: String,
    pub venue: String,
    pub address: String,
    /// Wall-clock times in Oslo.
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    pub expected_attendance: Option<i32>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = protected_persons)]
pub struct PersonRow {
    pub id: String,
    pub request_id: String,
    pub ordinal: i32,
    pub name: String,
    pub position: String,
    /// Wall-clock times in Oslo.
    pub arrives_at: Option<NaiveDateTime>,
    pub leaves_at: Option<NaiveDateTime>,
}

/// A request's event and people, as stored.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub event: Option<RequestEventRow>,
    pub persons: Vec<PersonRow>,
}

pub fn of(conn: &mut DbConnection, request_id: &str) -> DbResult<Details> {
    let event = request_events::table
        .find(request_id)
        .select(RequestEventRow::as_select())
        .first(conn)
        .optional()?;
    let persons = protected_persons::table
        .filter(protected_persons::request_id.eq(request_id))
        .order(protected_persons::ordinal.asc())
        .select(PersonRow::as_select())
        .load(conn)?;
    Ok(Details { event, persons })
}

/// Replaces a request's event and people with these (`fresh`: the request is new, with
/// nothing to replace).
pub fn replace(
    conn: &mut DbConnection,
    request_id: &str,
    fresh: bool,
    event: Option<&RequestEventRow>,
    persons: &[PersonRow],
) -> DbResult<()> {
    if !fresh {
        diesel::delete(request_events::table.find(request_id)).execute(conn)?;
        diesel::delete(
            protected_persons::table.filter(protected_persons::request_id.eq(request_id)),
        )
        .execute(conn)?;
    }
    if let Some(event) = event {
        diesel::insert_into(request_events::table)
            .values(event)
            .execute(conn)?;
    }
    for person in persons {
        diesel::insert_into(protected_persons::table)
            .values(person)
            .execute(conn)?;
    }
    Ok(())
}

/// The start of a request's event, if it has one with a start.
pub fn event_start(conn: &mut DbConnection, request_id: &str) -> DbResult<Option<NaiveDateTime>> {
    let found: Option<Option<NaiveDateTime>> = request_events::table
        .find(request_id)
        .select(request_events::starts_at)
        .first(conn)
        .optional()?;
    Ok(found.flatten())
}
