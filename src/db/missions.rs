//! Queries on missions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::missions;
use super::{DbConnection, DbError, DbResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = missions)]
pub struct MissionRow {
    pub id: String,
    pub name: String,
    pub country: String,
    pub kind: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = missions)]
pub struct NewMission<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub country: &'a str,
    pub kind: &'a str,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, mission: &NewMission<'_>) -> DbResult<()> {
    diesel::insert_into(missions::table)
        .values(mission)
        .execute(conn)
        .map(|_| ())
        .map_err(DbError::from)
}

pub fn find(conn: &mut DbConnection, id: &str) -> DbResult<Option<MissionRow>> {
    missions::table
        .find(id)
        .select(MissionRow::as_select())
        .first(conn)
        .optional()
        .map_err(DbError::from)
}

pub fn find_by_name(conn: &mut DbConnection, name: &str) -> DbResult<Option<MissionRow>> {
    missions::table
        .filter(missions::name.eq(name))
        .select(MissionRow::as_select())
        .first(conn)
        .optional()
        .map_err(DbError::from)
}

pub fn list(conn: &mut DbConnection) -> DbResult<Vec<MissionRow>> {
    missions::table
        .order(missions::name.asc())
        .select(MissionRow::as_select())
        .load(conn)
        .map_err(DbError::from)
}

pub fn count(conn: &mut DbConnection) -> DbResult<i64> {
    missions::table
        .count()
        .get_result(conn)
        .map_err(DbError::from)
}

/// Renames a mission; its requests' search documents (which hold the name) follow.
pub fn rename(conn: &mut DbConnection, id: &str, name: &str, now: NaiveDateTime) -> DbResult<bool> {
    let renamed = diesel::update(missions::table.find(id))
        .set((missions::name.eq(name), missions::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n == 1)?;
    if renamed {
        super::search::refresh_mission(conn, id)?;
    }
    Ok(renamed)
}

pub fn set_active(
    conn: &mut DbConnection,
    id: &str,
    active: bool,
    now: NaiveDateTime,
) -> DbResult<bool> {
    diesel::update(missions::table.find(id))
        .set((missions::active.eq(active), missions::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n == 1)
        .map_err(DbError::from)
}
