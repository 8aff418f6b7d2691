//! Bulk inserts for the development seeder (`protection-portal seed`): many rows per statement,
//! on each engine's own connection, for loading a million requests in minutes.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{
    measures, messages, reference_counters, request_stages, requests, timeline_events,
};
use super::{DbConnection, DbResult};

/// A whole request row, as the seeder makes it.
#[derive(Debug, Insertable)]
#[diesel(table_name = requests)]
pub struct SeedRequest {
    pub id: String,
    pub mission_id: String,
    pub reference: Option<String>,
    pub state: &'static str,
    pub version: i32,
    pub title: String,
    pub justification: &'static str,
    pub urgency: &'static str,
    pub contact_name: &'static str,
    pub contact_phone: &'static str,
    pub contact_email: &'static str,
    pub created_by: String,
    pub assigned_officer_id: Option<String>,
    pub reached_police: bool,
    pub referred_to_pst: bool,
    pub referred_by: Option<String>,
    pub reply: Option<&'static str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = measures)]
pub struct SeedMeasure {
    pub id: String,
    pub request_id: String,
    pub position: i32,
    pub kind: Option<&'static str>,
    pub location: Option<&'static str>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub description: &'static str,
    pub outcome: Option<&'static str>,
    pub implemented_on: Option<NaiveDate>,
    /// The last day it is in the police calendar (approved measures of requests approved, in
    /// effect or ended).
    pub calendar_until: Option<NaiveDate>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = timeline_events)]
pub struct SeedEvent {
    pub id: String,
    pub request_id: String,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub action: &'static str,
    pub from_state: Option<&'static str>,
    pub to_state: &'static str,
    pub mission_visible: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = messages)]
pub struct SeedMessage {
    pub id: String,
    pub request_id: String,
    pub author_id: String,
    pub visibility: &'static str,
    pub classification: &'static str,
    pub body: &'static str,
    pub created_at: NaiveDateTime,
}

/// A stage record (`db::statistics`), as the seeder counts it from the path it made.
#[derive(Debug, Insertable)]
#[diesel(table_name = request_stages)]
pub struct SeedStage {
    pub request_id: String,
    pub stage: &'static str,
    pub began_on: NaiveDate,
    pub due_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub working_days: Option<i32>,
    pub reached_police: bool,
}

/// Rows per INSERT: below SQLite's and PostgreSQL's limits on bound parameters.
const CHUNK: usize = 500;

macro_rules! insert_chunks {
    ($conn:expr, $table:expr, $rows:expr) => {{
        for chunk in $rows.chunks(CHUNK) {
            match $conn {
                DbConnection::Sqlite(c) => diesel::insert_into($table).values(chunk).execute(c)?,
                DbConnection::Postgres(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)?
                }
            };
        }
    }};
}

pub fn insert_requests(conn: &mut DbConnection, rows: &[SeedRequest]) -> DbResult<()> {
    insert_chunks!(conn, requests::table, rows);
    Ok(())
}

pub fn insert_measures(conn: &mut DbConnection, rows: &[SeedMeasure]) -> DbResult<()> {
    insert_chunks!(conn, measures::table, rows);
    Ok(())
}

pub fn insert_events(conn: &mut DbConnection, rows: &[SeedEvent]) -> DbResult<()> {
    insert_chunks!(conn, timeline_events::table, rows);
    Ok(())
}

pub fn insert_stages(conn: &mut DbConnection, rows: &[SeedStage]) -> DbResult<()> {
    insert_chunks!(conn, request_stages::table, rows);
    Ok(())
}

/// Search documents, written with their requests.
pub fn insert_documents(
    conn: &mut DbConnection,
    rows: &[super::search::NewDocument],
) -> DbResult<()> {
    insert_chunks!(conn, super::search::requests_search::table, rows);
    Ok(())
}

pub fn insert_messages(conn: &mut DbConnection, rows: &[SeedMessage]) -> DbResult<()> {
    insert_chunks!(conn, messages::table, rows);
    Ok(())
}

/// Makes the year's reference counter continue after `last_seq` (never going back).
pub fn advance_reference_counter(
    conn: &mut DbConnection,
    year: i32,
    last_seq: i32,
) -> DbResult<()> {
    let current: Option<i32> = reference_counters::table
        .find(year)
        .select(reference_counters::last_seq)
        .first(conn)
        .optional()?;
    match current {
        Some(seq) if seq >= last_seq => {}
        Some(_) => {
            diesel::update(reference_counters::table.find(year))
                .set(reference_counters::last_seq.eq(last_seq))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(reference_counters::table)
                .values((
                    reference_counters::year.eq(year),
                    reference_counters::last_seq.eq(last_seq),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The highest reference number given in `year` so far.
pub fn reference_counter(conn: &mut DbConnection, year: i32) -> DbResult<i32> {
    Ok(reference_counters::table
        .find(year)
        .select(reference_counters::last_seq)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Whether an earlier seed made missions here (each seed names its missions "Seeded mission N
/// (run)"), so that another seed may add to this database.
pub fn seeded_before(conn: &mut DbConnection) -> DbResult<bool> {
    use super::schema::missions;
    let found: Option<String> = missions::table
        .filter(missions::name.like("Seeded mission %"))
        .select(missions::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}
