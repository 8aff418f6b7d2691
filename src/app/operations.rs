//! The police's and PST's operations on missions (product.md § 13): a mission's page for the
//! authorities, and the threat level PST records for a mission. A changed level puts every
//! request of the mission in effect up for review at once and tells the police; the mission is
//! never told, and nothing of it reaches a mission's page, e-mail, count or the calendar feed.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;

use super::requests::Context;
use crate::app::AppError;
use crate::app::requests::{marking, required_text};
use crate::audit::{self, Entry};
use crate::db::missions::{self, MissionRow};
use crate::db::operations::{self, NewThreatLevel, ThreatLevelRow};
use crate::db::requests as store;
use crate::db::{self, DbConnection};
use crate::domain::access::Actor;
use crate::domain::disclosure::{self, AssessmentView};
use crate::domain::notification::Notice;
use crate::domain::request::ThreatLevel;
use crate::domain::{Classification, FieldError, Role};
use crate::notify::{self, Recipient};

/// How many recorded levels a mission's page shows.
pub const HISTORY_SHOWN: i64 = 50;

/// A threat level as one viewer may see it.
#[derive(Debug, Clone)]
pub struct ThreatLevelItem {
    pub id: String,
    pub recorded_at: NaiveDateTime,
    pub view: AssessmentView,
    /// The level, when the viewer may read it.
    pub level: Option<ThreatLevel>,
    /// The note and who wrote it, when the viewer may read them.
    pub note: Option<String>,
    pub recorded_by: Option<String>,
    pub classification: Option<Classification>,
    pub declassify_on: Option<NaiveDate>,
}

/// A mission as the authorities see it.
#[derive(Debug, Clone)]
pub struct MissionOperations {
    pub mission: MissionRow,
    /// The newest level first; levels the viewer may not know of are left out.
    pub threat_levels: Vec<ThreatLevelItem>,
    /// Whether the newest level recorded is one the viewer may not know of (then no level is
    /// shown as current: an older one would mislead).
    pub current_hidden: bool,
    pub may_record: bool,
    /// The classifications the viewer may give a level's note.
    pub classification_choices: Vec<Classification>,
}

impl MissionOperations {
    /// The level in force, as far as the viewer may see it.
    pub fn current(&self) -> Option<&ThreatLevelItem> {
        if self.current_hidden {
            None
        } else {
            self.threat_levels.first()
        }
    }
}

/// What a PST analyst types to record a level.
#[derive(Debug, Clone, Default)]
pub struct ThreatLevelInput {
    pub level: String,
    pub note: String,
    pub classification: String,
    pub declassify_on: Option<String>,
}

/// The active missions, for the authorities' list of missions.
pub fn missions_for(conn: &mut DbConnection, actor: &Actor) -> Result<Vec<MissionRow>, AppError> {
    if !disclosure::may_see_mission_operations(actor) {
        return Err(AppError::NotFound);
    }
    Ok(missions::list(conn)?
        .into_iter()
        .filter(|m| m.active)
        .collect())
}

/// A mission's page for the authorities: its threat levels within the viewer's clearance. Every
/// classified note shown is a read in the security log. A mission's staff get 404, as for a
/// mission that does not exist.
pub fn mission_operations(
    conn: &mut DbConnection,
    actor: &Actor,
    mission_id: &str,
    ctx: &Context,
) -> Result<MissionOperations, AppError> {
    if !disclosure::may_see_mission_operations(actor) {
        return Err(AppError::NotFound);
    }
    let mission = missions::find(conn, mission_id)?.ok_or(AppError::NotFound)?;
    let rows = operations::threat_levels_of(conn, mission_id, HISTORY_SHOWN)?;
    let current_hidden = rows.first().is_some_and(|r| {
        disclosure::threat_level_view(actor, r.classification) == AssessmentView::Absent
    });
    let authors: Vec<String> = rows.iter().map(|r| r.recorded_by.clone()).collect();
    let names = store::names(conn, &authors)?;
    let items: Vec<ThreatLevelItem> = rows.iter().filter_map(|r| item(actor, r, &names)).collect();
    let read: Vec<&ThreatLevelItem> = items
        .iter()
        .filter(|i| i.note.is_some() && i.classification > Some(Classification::Unclassified))
        .collect();
    if !read.is_empty() {
        db::write(conn, |conn| {
            for i in &read {
                audit::record(
                    conn,
                    &Entry {
                        event: "classified_read",
                        outcome: "success",
                        actor_user_id: Some(actor.user_id.clone()),
                        actor_org: Some(actor.role.organisation().to_owned()),
                        target_type: Some("threat_level"),
                        target_id: Some(i.id.clone()),
                        detail: json!({
                            "mission_id": mission_id,
                            "classification": i.classification.map(Classification::code),
                        }),
                        ..Entry::default()
                    },
                    ctx.now,
                )?;
            }
            Ok::<_, AppError>(())
        })?;
    }
    Ok(MissionOperations {
        mission,
        threat_levels: items,
        current_hidden,
        may_record: disclosure::may_record_threat_level(actor),
        classification_choices: disclosure::classification_choices(actor, ctx.ceiling),
    })
}

fn item(
    actor: &Actor,
    r: &ThreatLevelRow,
    names: &[(String, String, String)],
) -> Option<ThreatLevelItem> {
    let view = disclosure::threat_level_view(actor, r.classification);
    let full = view == AssessmentView::Full;
    let level_shown = matches!(view, AssessmentView::Full | AssessmentView::LevelOnly);
    (view != AssessmentView::Absent).then(|| ThreatLevelItem {
        id: r.id.clone(),
        recorded_at: r.recorded_at,
        view,
        level: level_shown.then_some(r.level),
        note: full.then(|| r.note.clone()),
        recorded_by: full
            .then(|| names.iter().find(|(id, ..)| *id == r.recorded_by))
            .flatten()
            .map(|(_, name, _)| name.clone()),
        classification: level_shown.then_some(r.classification),
        declassify_on: level_shown.then_some(r.declassify_on),
    })
}

/// PST records a changed threat level for a mission: the level and a classified note (within the
/// ceiling and the analyst's clearance). In the same transaction every request of the mission in
/// effect has its review due today (the portal then announces each to the police) and the police
/// liaisons are e-mailed — the e-mail names neither the mission nor the level. Answers the
/// number of requests put up for review.
pub fn record_threat_level(
    conn: &mut DbConnection,
    actor: &Actor,
    mission_id: &str,
    input: &ThreatLevelInput,
    ctx: &Context,
) -> Result<usize, AppError> {
    if !disclosure::may_see_mission_operations(actor) {
        return Err(AppError::NotFound);
    }
    let mission = missions::find(conn, mission_id)?.ok_or(AppError::NotFound)?;
    if !disclosure::may_record_threat_level(actor) {
        return Err(AppError::Forbidden);
    }
    let level = input
        .level
        .parse::<ThreatLevel>()
        .map_err(|e| FieldError::new("level", e));
    let note = required_text("note", Some(&input.note), 10_000);
    let mark = marking(
        actor,
        "",
        &input.classification,
        input.declassify_on.as_deref(),
        Classification::Restricted,
        ctx,
    );
    let (level, note, (classification, until)) = match (level, note, mark) {
        (Ok(l), Ok(n), Ok(m)) => (l, n, m),
        (l, n, m) => {
            let mut errors: Vec<FieldError> = l.err().into_iter().collect();
            errors.extend(n.err());
            errors.extend(m.err().unwrap_or_default());
            return Err(AppError::Invalid(errors));
        }
    };
    if !mission.active {
        return Err(AppError::NotNow(
            "The mission is no longer active; no threat level can be recorded for it.".into(),
        ));
    }
    let id = db::new_id();
    db::write(conn, |conn| {
        operations::insert_threat_level(
            conn,
            &NewThreatLevel {
                id: &id,
                mission_id,
                level: level.code(),
                note: &note,
                classification: classification.code(),
                declassify_on: until,
                recorded_by: &actor.user_id,
                recorded_at: ctx.now,
            },
        )?;
        let reviews = operations::review_now(conn, mission_id, ctx.today())?;
        audit::record(
            conn,
            &Entry {
                event: "threat_level_recorded",
                outcome: "success",
                actor_user_id: Some(actor.user_id.clone()),
                actor_org: Some(actor.role.organisation().to_owned()),
                target_type: Some("threat_level"),
                target_id: Some(id.clone()),
                detail: json!({
                    "mission_id": mission_id,
                    "classification": classification.code(),
                    "reviews_due": reviews,
                }),
                ..Entry::default()
            },
            ctx.now,
        )?;
        let police: Vec<Recipient> = store::recipients(conn, Role::PoliceLiaison.code(), None)?
            .into_iter()
            .map(|(user_id, email)| Recipient {
                user_id,
                email,
                role: Role::PoliceLiaison,
            })
            .collect();
        notify::enqueue_notice_mail(
            conn,
            Notice::ThreatLevelChanged,
            &police,
            &json!({}),
            ctx.now,
        )?;
        Ok(reviews)
    })
}
