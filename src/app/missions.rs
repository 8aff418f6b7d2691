//! Creating and listing missions (operator work).

use chrono::NaiveDateTime;

use crate::app::AppError;
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
        missions::find(conn, &id)?.ok_or(AppError::NotFound)
    })
}
