//! The authorities' pages of missions (product.md § 13): the list of missions, and a
//! mission's page with its threat level and the history of levels within the viewer's
//! clearance; PST records a changed level there. Missions are answered 404.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::AppState;
use super::errors::WebError;
use super::forms::{csrf_field, error_summary};
use super::layout::{page, respond, see_other};
use super::requests::{context, select, text_input, textarea, when};
use super::session::Viewer;
use crate::app::AppError;
use crate::app::operations::{self, MissionOperations, ThreatLevelInput};
use crate::db;
use crate::domain::access::Capability;
use crate::domain::disclosure::AssessmentView;
use crate::domain::request::ThreatLevel;
use crate::domain::{FieldError, MissionKind};
use crate::i18n::{self, tr};

pub async fn list(viewer: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ViewMissionOperations)?;
    let actor = viewer.actor.clone();
    let missions = db::run(&state.pool, move |conn| {
        operations::missions_for(conn, &actor)
    })
    .await?;
    let body = html! {
        h1 { (tr("Missions")) }
        p { (tr("Each mission's page shows its threat level as PST last recorded it, within your clearance.")) }
        table class="stacking" {
            thead { tr { th scope="col" { (tr("Mission")) } th scope="col" { (tr("Country")) } th scope="col" { (tr("Kind")) } } }
            tbody {
                @for m in &missions {
                    tr {
                        td data-label=(tr("Mission")) { a href={ "/missions/" (m.id) } { (m.name) } }
                        td data-label=(tr("Country")) { (m.country) }
                        td data-label=(tr("Kind")) { (m.kind.parse::<MissionKind>().map(|k| tr(k.label())).unwrap_or("")) }
                    }
                }
            }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page(&viewer.chrome(), tr("Missions"), body),
    ))
}

pub async fn show(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ViewMissionOperations)?;
    let ops = load(&viewer, &state, &path).await?;
    let done = super::banner::take(&viewer.session);
    Ok(mission_page(
        &viewer,
        &ops,
        &[],
        &ThreatLevelInput::default(),
        StatusCode::OK,
        done.as_deref(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreatLevelForm {
    #[serde(rename = "csrf_token")]
    _csrf: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    classification: String,
    declassify_on: Option<String>,
}

pub async fn record(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<ThreatLevelForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ViewMissionOperations)?;
    let f = form.into_inner();
    let input = ThreatLevelInput {
        level: f.level,
        note: f.note,
        classification: f.classification,
        declassify_on: f.declassify_on,
    };
    let (actor, ctx, id, given) = (
        viewer.actor.clone(),
        context(&state),
        path.clone(),
        input.clone(),
    );
    let outcome = db::run(&state.pool, move |conn| {
        operations::record_threat_level(conn, &actor, &id, &given, &ctx)
    })
    .await;
    match outcome {
        Ok(_) => {
            super::banner::set(&viewer.session, "threat_level");
            Ok(see_other(&format!("/missions/{}", path.as_str())))
        }
        Err(AppError::Invalid(errors)) => {
            let ops = load(&viewer, &state, &path).await?;
            Ok(mission_page(
                &viewer,
                &ops,
                &errors,
                &input,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn load(
    viewer: &Viewer,
    state: &web::Data<AppState>,
    id: &str,
) -> Result<MissionOperations, WebError> {
    let (actor, ctx, id) = (viewer.actor.clone(), context(state), id.to_owned());
    Ok(db::run(&state.pool, move |conn| {
        operations::mission_operations(conn, &actor, &id, &ctx)
    })
    .await?)
}

fn label_for(field: &str) -> String {
    match field {
        "level" => tr("Threat level"),
        "note" => tr("Note"),
        "classification" => tr("Classification"),
        "declassify_on" => tr("Declassify on"),
        other => other,
    }
    .to_owned()
}

fn level_text(ops: &MissionOperations) -> Markup {
    html! {
        @match ops.current() {
            Some(current) => {
                @match current.level {
                    Some(level) => { strong class="tag tag-blue" data-threat-level=(level.code()) { (tr(level.label())) } }
                    None => { (tr("Recorded; its level is above your clearance")) }
                }
                " · " (tr("recorded ")) (when(current.recorded_at))
            }
            None if ops.current_hidden => { (tr("The latest level is above your clearance")) }
            None => { (tr("No threat level recorded")) }
        }
    }
}

fn mission_page(
    viewer: &Viewer,
    ops: &MissionOperations,
    errors: &[FieldError],
    typed: &ThreatLevelInput,
    status: StatusCode,
    done: Option<&str>,
) -> HttpResponse {
    let m = &ops.mission;
    let levels: Vec<(&str, &str)> = std::iter::once(("", tr("Choose a threat level")))
        .chain(ThreatLevel::ALL.iter().map(|l| (l.code(), tr(l.label()))))
        .collect();
    let classes: Vec<(&str, &str)> = ops
        .classification_choices
        .iter()
        .map(|c| (c.code(), tr(c.marking())))
        .collect();
    let body = html! {
        a class="back-link" href="/missions" { (tr("Back to the missions")) }
        (super::banner::success(done))
        (error_summary(errors, label_for))
        p class="caption" { (m.country) " · " (m.kind.parse::<MissionKind>().map(|k| tr(k.label())).unwrap_or("")) }
        h1 { (m.name) }
        dl class="facts" {
            dt { (tr("Threat level")) } dd { (level_text(ops)) }
        }
        p class="hint" { (tr("The mission is never told of its threat level, nor that it changed.")) }
        section aria-labelledby="history-heading" {
            h2 id="history-heading" { (tr("Threat levels recorded")) }
            @if ops.threat_levels.is_empty() {
                p { (tr("None within your clearance.")) }
            } @else {
                table class="stacking" {
                    thead { tr {
                        th scope="col" { (tr("Recorded")) } th scope="col" { (tr("Threat level")) }
                        th scope="col" { (tr("Note")) } th scope="col" { (tr("Classification")) }
                    } }
                    tbody {
                        @for t in &ops.threat_levels {
                            tr {
                                td data-label=(tr("Recorded")) { (when(t.recorded_at)) @if let Some(by) = &t.recorded_by { br; (by) } }
                                td data-label=(tr("Threat level")) { @match t.level { Some(l) => (tr(l.label())), None => (tr("Above your clearance")) } }
                                td data-label=(tr("Note")) class="multiline" {
                                    @match (&t.note, t.view) {
                                        (Some(n), _) => (n),
                                        (None, AssessmentView::LevelOnly) => (tr("Read by PST and the police")),
                                        (None, _) => "–",
                                    }
                                }
                                td data-label=(tr("Classification")) {
                                    @if let Some(c) = t.classification { (tr(c.marking())) }
                                    @if let Some(d) = t.declassify_on { br; (tr("declassify on ")) (i18n::short_date(d)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if ops.may_record {
            section class="panel" aria-labelledby="record-heading" {
                h2 id="record-heading" { (tr("Record a changed threat level")) }
                p class="hint" { (tr("Every request of this mission in effect is then due for review at once, and the police are told. The mission is not.")) }
                form method="post" action={ "/missions/" (m.id) "/threat-levels" } {
                    (csrf_field(&viewer.csrf))
                    (select(errors, "level", tr("Threat level"), &levels, &typed.level, None))
                    (textarea(errors, "note", tr("Note"), &typed.note, Some(tr("What changed, for the police and PST within their clearance; never for the mission."))))
                    (select(errors, "classification", tr("Classification"), &classes, if typed.classification.is_empty() { "restricted" } else { &typed.classification }, None))
                    (text_input(errors, "declassify_on", tr("Declassify on (optional)"), typed.declassify_on.as_deref().unwrap_or(""), "date", Some(tr("At most 30 years from today; 30 years if left empty."))))
                    button type="submit" { (tr("Record the threat level")) }
                }
            }
        }
    };
    respond(status, page(&viewer.chrome(), &m.name, body))
}
