//! A person's notifications in the portal, and their e-mail preferences. Only notifications
//! about requests they may still see are shown or counted.

use chrono::NaiveDateTime;

use crate::app::AppError;
use crate::db::requests::{self as store, NotificationRow};
use crate::db::{self, DbConnection, preferences};
use crate::domain::access::Actor;
use crate::domain::disclosure::list_scope as scope_for;
use crate::domain::notification;

pub fn unread_count(conn: &mut DbConnection, actor: &Actor) -> Result<i64, AppError> {
    Ok(store::count_unread_up_to(
        conn,
        &actor.user_id,
        &scope_for(actor),
        UNREAD_CAP,
    )?)
}

/// The scope of the lists of anyone in `role` who belongs where the role does (a mission's
/// staff to their mission): what the header's badge, counted with the session
/// (`db::sessions::find_live`), counts notifications about.
pub fn badge_scope(role: crate::domain::Role) -> crate::domain::disclosure::ListScope {
    scope_for(&Actor {
        user_id: String::new(),
        role,
        mission_id: role.belongs_to_mission().then(String::new),
        clearance: crate::domain::Clearance::None,
    })
}

/// The header's badge counts unread notifications up to this and shows "99+" beyond: it is on
/// every page, and must not count through thousands.
pub const UNREAD_CAP: i64 = 99;

pub struct NotificationPage {
    pub items: Vec<NotificationRow>,
    pub total: i64,
}

pub fn page(
    conn: &mut DbConnection,
    actor: &Actor,
    page: i64,
    per_page: i64,
) -> Result<NotificationPage, AppError> {
    let scope = scope_for(actor);
    let offset = (page.clamp(1, 1_000_000) - 1) * per_page;
    Ok(NotificationPage {
        items: store::visible_notifications_page(conn, &actor.user_id, &scope, per_page, offset)?,
        total: store::count_visible_notifications(conn, &actor.user_id, &scope)?,
    })
}

pub fn mark_read(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    // In a transaction, like every change: one the request's deadline caught is rolled back.
    db::write(conn, |conn| {
        if store::mark_notification_read(conn, &actor.user_id, id, now)? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    })
}

/// Marks what `actor` was told about a request read, once they opened it; answers how many
/// notifications that was. Reads first, so that opening a request with nothing unread writes
/// nothing (on SQLite a write would queue behind every other).
pub fn read_about(
    conn: &mut DbConnection,
    actor: &Actor,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    if store::count_unread_about(conn, &actor.user_id, request_id)? == 0 {
        return Ok(0);
    }
    db::write(conn, |conn| {
        Ok(store::mark_read_about(
            conn,
            &actor.user_id,
            request_id,
            now,
        )?)
    })
}

pub fn mark_all_read(
    conn: &mut DbConnection,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    db::write(conn, |conn| {
        Ok(store::mark_all_notifications_read(
            conn,
            &actor.user_id,
            now,
        )?)
    })
}

/// The kinds the person may switch off, each with whether e-mail is on.
pub fn preferences(
    conn: &mut DbConnection,
    actor: &Actor,
) -> Result<Vec<(notification::Notice, bool)>, AppError> {
    let off = preferences::switched_off(conn, &actor.user_id)?;
    Ok(notification::optional_for(actor.role)
        .into_iter()
        .map(|k| (k, !off.iter().any(|o| o == k.code())))
        .collect())
}

/// Stores the person's choices: e-mail on for the kinds in `on`, off for the other optional
/// kinds of their role. Kinds that ask them to act are not theirs to switch off.
pub fn set_preferences(
    conn: &mut DbConnection,
    actor: &Actor,
    on: &[String],
) -> Result<(), AppError> {
    db::write(conn, |conn| {
        for kind in notification::optional_for(actor.role) {
            preferences::set(
                conn,
                &actor.user_id,
                kind.code(),
                on.iter().any(|c| c == kind.code()),
            )?;
        }
        Ok(())
    })
}
