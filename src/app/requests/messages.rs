//! Messages between the mission and the Ministry, internal notes among the authorities, and the
//! checks of text and classification markings that actions share with them.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

use super::audience::tell;
use super::{Context, invalid, visible};
use crate::app::AppError;
use crate::db::requests::{self as store, NewMessage};
use crate::db::{self, DbConnection};
use crate::domain::access::{self, Actor, MarkingRefusal};
use crate::domain::disclosure;
use crate::domain::ids::RequestId;
use crate::domain::notification::Notice;
use crate::domain::text::check_text;
use crate::domain::workflow::State;
use crate::domain::{Classification, FieldError, Role};

const MAX_DECLASSIFY_YEARS: i32 = 30;

#[derive(Debug, Clone, Default)]
pub struct MessageInput {
    pub body: String,
    /// `external` (mission ↔ MFA) or `internal` (a note among authorities).
    pub visibility: String,
    pub classification: String,
    pub declassify_on: Option<String>,
}

/// Adds an external message (mission staff and MFA officers) or an internal note (authorities,
/// classified within their clearance and the installation's ceiling).
pub fn add_message(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    input: &MessageInput,
    ctx: &Context,
) -> Result<(), AppError> {
    let found = store::find(conn, id.as_str())?;
    let row = visible(conn, actor, found, ctx.now)?;
    let state = row.state;
    if state == State::Draft {
        return Err(AppError::NotNow(
            "Messages can be exchanged once the request is submitted.".into(),
        ));
    }
    let internal = match input.visibility.as_str() {
        "external" => false,
        "internal" => true,
        _ => {
            return Err(invalid(vec![FieldError::new(
                "visibility",
                "must be external or internal",
            )]));
        }
    };
    if !disclosure::may_write(actor, internal) {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    let body = required_text("body", Some(&input.body), 10_000)
        .map_err(|e| errors.push(e))
        .ok();
    let (level, until) = if internal {
        match marking(
            actor,
            "message",
            &input.classification,
            input.declassify_on.as_deref(),
            Classification::Unclassified,
            ctx,
        ) {
            Ok(m) => m,
            Err(e) => {
                errors.extend(e);
                (Classification::Unclassified, ctx.today())
            }
        }
    } else {
        if !input.classification.is_empty() && input.classification != "unclassified" {
            errors.push(FieldError::new(
                "classification",
                "external messages go to the mission and cannot be classified",
            ));
        }
        (Classification::Unclassified, ctx.today())
    };
    let Some(body) = body.filter(|_| errors.is_empty()) else {
        return Err(invalid(errors));
    };
    db::write(conn, |conn| {
        insert_message(
            conn,
            id.as_str(),
            actor,
            internal,
            (level, Some(until)),
            &body,
            ctx.now,
        )?;
        if !internal {
            let notice = if actor.role == Role::MissionStaff {
                Notice::MessageFromMission
            } else {
                Notice::MessageFromMfa
            };
            tell(conn, &[notice], &row, state, actor.into(), ctx.now)?;
        }
        Ok(())
    })
}

pub(crate) fn required_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<String, FieldError> {
    let value = value.unwrap_or_default();
    check_text(field, value, 1, max, true)?;
    Ok(value.to_owned())
}

pub(super) fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => {
            check_text(field, v, 1, max, true)?;
            Ok(Some(v.to_owned()))
        }
    }
}

/// A classification and declassification date an author chose, checked against their clearance,
/// the installation's ceiling and the 30-year limit.
pub(crate) fn marking(
    actor: &Actor,
    field: &str,
    classification: &str,
    declassify_on: Option<&str>,
    default: Classification,
    ctx: &Context,
) -> Result<(Classification, NaiveDate), Vec<FieldError>> {
    let mut errors = Vec::new();
    let level = if classification.trim().is_empty() {
        default
    } else {
        match classification.parse::<Classification>() {
            Ok(c) => c,
            Err(e) => {
                return Err(vec![FieldError::new(named(field, "classification"), e)]);
            }
        }
    };
    match access::may_mark(actor, level, ctx.ceiling) {
        Err(MarkingRefusal::AboveCeiling) => errors.push(FieldError::new(
            named(field, "classification"),
            format!(
                "{} information must not be entered in this portal, which is approved up to {}; handle it through approved channels",
                level.marking(),
                ctx.ceiling.marking()
            ),
        )),
        Err(MarkingRefusal::AboveClearance) => errors.push(FieldError::new(
            named(field, "classification"),
            "is above your security clearance",
        )),
        Ok(()) => {}
    }
    let today = ctx.today();
    let latest = today
        .with_year(today.year() + MAX_DECLASSIFY_YEARS)
        .unwrap_or(today + Duration::days(365 * 30));
    let until = match declassify_on.map(str::trim).filter(|d| !d.is_empty()) {
        None => latest,
        Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(date) if date <= today => {
                errors.push(FieldError::new(
                    named(field, "declassify_on"),
                    "must be after today",
                ));
                latest
            }
            Ok(date) if date > latest => {
                errors.push(FieldError::new(
                    named(field, "declassify_on"),
                    "must be at most 30 years from today (Security Act § 11)",
                ));
                latest
            }
            Ok(date) => date,
            Err(_) => {
                errors.push(FieldError::new(
                    named(field, "declassify_on"),
                    "must be a date written YYYY-MM-DD",
                ));
                latest
            }
        },
    };
    if errors.is_empty() {
        Ok((level, until))
    } else {
        Err(errors)
    }
}

/// A marking's field inside `field` (`note.classification`), or by itself when `field` is empty.
fn named(field: &str, part: &str) -> String {
    if field.is_empty() {
        part.to_owned()
    } else {
        format!("{field}.{part}")
    }
}

/// Stores a message or note; `(level, until)` is its classification and declassification date.
pub(super) fn insert_message(
    conn: &mut DbConnection,
    request_id: &str,
    author: &Actor,
    internal: bool,
    (level, until): (Classification, Option<NaiveDate>),
    body: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    store::insert_message(
        conn,
        &NewMessage {
            id: &db::new_id(),
            request_id,
            author_id: &author.user_id,
            visibility: if internal { "internal" } else { "external" },
            classification: level.code(),
            declassify_on: until.filter(|_| level > Classification::Unclassified),
            body,
            created_at: now,
        },
    )?;
    Ok(())
}
