//! Creating and listing missions (operator work).

use chrono::NaiveDateTime;

use serde_json::json;

use crate::app::{Acting, AppError};
use crate::audit;
use crate::db::missions::{self, MissionRow, NewMission};
use crate::db::{self, DbConnection};
use crate::domain::{CountryCode, FieldError, MissionKind, MissionName};

/// A mission as typed by an administrator, before checking.
#[derive(Debug, Clone)]
pub struct MissionInput {
    pub name: String,
    pub country: String,
    pub kind: String,
}

pub fn create_mission(
    conn: &mut DbConnection,
    acting: &Acting,
    input: &MissionInput,
    now: NaiveDateTime,
) -> Result<MissionRow, AppError> {
    let mut errors = Vec::new();
    let name = MissionName::parse(&input.name)
        .map_err(|e| errors.push(e))
        .ok();
    let country = CountryCode::parse(&input.country)
        .map_err(|e| errors.push(e))
        .ok();
    let kind = input
        .kind
        .parse::<MissionKind>()
        .map_err(|e| errors.push(FieldError::new("kind", e)))
        .ok();
    let (Some(name), Some(country), Some(kind)) = (name, country, kind) else {
        return Err(AppError::Invalid(errors));
    };
    let id = db::new_id();
    db::write(conn, |conn| {
        if missions::find_by_name(conn, name.as_str())?.is_some() {
            return Err(AppError::Invalid(vec![FieldError::new(
                "name",
                "a mission with this name already exists",
            )]));
        }
        missions::insert(
            conn,
            &NewMission {
                id: &id,
                name: name.as_str(),
                country: country.as_str(),
                kind: kind.code(),
                active: true,
                created_at: now,
                updated_at: now,
            },
        )?;
        audit::record(
            conn,
            &acting.entry(
                "mission_created",
                "mission",
                &id,
                json!({ "country": country.as_str(), "kind": kind.code() }),
            ),
            now,
        )?;
        missions::find(conn, &id)?.ok_or(AppError::NotFound)
    })
}

pub fn rename_mission(
    conn: &mut DbConnection,
    acting: &Acting,
    id: &str,
    name: &str,
    now: NaiveDateTime,
) -> Result<MissionRow, AppError> {
    let name = MissionName::parse(name)?;
    db::write(conn, |conn| {
        let current = missions::find(conn, id)?.ok_or(AppError::NotFound)?;
        if current.name == name.as_str() {
            return Ok(current);
        }
        if missions::find_by_name(conn, name.as_str())?.is_some() {
            return Err(FieldError::new("name", "a mission with this name already exists").into());
        }
        missions::rename(conn, id, name.as_str(), now)?;
        audit::record(
            conn,
            &acting.entry("mission_renamed", "mission", id, json!({})),
            now,
        )?;
        missions::find(conn, id)?.ok_or(AppError::NotFound)
    })
}

/// Deactivates or reactivates a mission. Deactivating ends its staff's sessions and API tokens
/// (for good) at once and keeps them from signing in; its requests are kept.
pub fn set_mission_active(
    conn: &mut DbConnection,
    acting: &Acting,
    id: &str,
    active: bool,
    now: NaiveDateTime,
) -> Result<MissionRow, AppError> {
    db::write(conn, |conn| {
        let current = missions::find(conn, id)?.ok_or(AppError::NotFound)?;
        if current.active == active {
            return Ok(current);
        }
        missions::set_active(conn, id, active, now)?;
        if !active {
            for user in db::users::list_for_mission(conn, id)? {
                db::sessions::delete_for_user(conn, &user.id)?;
                db::tokens::revoke_all_for_user(conn, &user.id, now)?;
            }
        }
        let event = if active {
            "mission_reactivated"
        } else {
            "mission_deactivated"
        };
        audit::record(conn, &acting.entry(event, "mission", id, json!({})), now)?;
        missions::find(conn, id)?.ok_or(AppError::NotFound)
    })
}

pub fn list_missions(conn: &mut DbConnection) -> Result<Vec<MissionRow>, AppError> {
    Ok(missions::list(conn)?)
}

pub fn find_mission(conn: &mut DbConnection, id: &str) -> Result<MissionRow, AppError> {
    missions::find(conn, id)?.ok_or(AppError::NotFound)
}
