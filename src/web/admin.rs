//! Administration: missions and accounts. Administrators see no request content.

use crate::i18n::{self, tr};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::AppState;
use super::errors::WebError;
use super::forms::{Input, csrf_field, error_summary, select};
use super::layout::{page, respond, see_other};
use super::session::Viewer;
use crate::app::missions::{self as mission_app, MissionInput};
use crate::app::users::{self as user_app, UserInput};
use crate::app::{self, AppError};
use crate::db::{self, missions::MissionRow, users::UserRow};
use crate::domain::access::Capability;
use crate::domain::{Clearance, FieldError, MissionKind, Role};

const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionForm {
    #[serde(rename = "csrf_token")]
    _csrf: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MissionForm {
    #[serde(rename = "csrf_token", default)]
    _csrf: String,
    name: String,
    country: String,
    kind: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameForm {
    #[serde(rename = "csrf_token")]
    _csrf: String,
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct InviteForm {
    #[serde(rename = "csrf_token", default)]
    _csrf: String,
    email: String,
    name: String,
    role: String,
    #[serde(default)]
    mission: String,
    #[serde(default)]
    clearance: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserListQuery {
    role: Option<String>,
    page: Option<i64>,
}

fn field_label(field: &str) -> String {
    match field {
        "name" => "Name:",
        "country" => "Country code:",
        "kind" => "Kind:",
        "email" => "E-mail address:",
        "role" => "Role:",
        "mission" => "Mission:",
        "clearance" => "Security clearance:",
        _ => "",
    }
    .to_owned()
}

/// A clearance as people read it ("SECRET", "No clearance").
fn clearance_label(code: &str) -> &'static str {
    code.parse::<Clearance>()
        .map(|c| tr(c.label()))
        .unwrap_or("–")
}

fn active_label(active: bool) -> Markup {
    html! {
        @if active { span class="status-active" { (tr("Active")) } } @else { span class="status-inactive" { (tr("Deactivated")) } }
    }
}

fn action_button(viewer: &Viewer, action: &str, text: &str, class: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            (csrf_field(&viewer.csrf))
            button type="submit" class=(class) { (text) }
        }
    }
}

// ---- missions -------------------------------------------------------------------------------

async fn missions_page(
    viewer: &Viewer,
    state: &AppState,
    status: StatusCode,
    form: &MissionForm,
    errors: &[FieldError],
) -> Result<HttpResponse, WebError> {
    let list = db::run(&state.pool, mission_app::list_missions).await?;
    let kinds: Vec<(String, String)> = MissionKind::ALL
        .iter()
        .map(|k| (k.code().to_owned(), tr(k.label()).to_owned()))
        .collect();
    let body = html! {
        (error_summary(errors, field_label))
        h1 { (tr("Missions")) }
        table class="stacking" {
            thead { tr { th scope="col" { (tr("Name")) } th scope="col" { (tr("Country")) } th scope="col" { (tr("Kind")) } th scope="col" { (tr("Status")) } } }
            tbody {
                @for m in &list {
                    tr {
                        td data-label=(tr("Name")) { a href={ "/admin/missions/" (m.id) } { (m.name) } }
                        td data-label=(tr("Country")) { (m.country) }
                        td data-label=(tr("Kind")) { (m.kind.parse::<MissionKind>().map(|k| tr(k.label())).unwrap_or("")) }
                        td data-label=(tr("Status")) { (active_label(m.active)) }
                    }
                }
            }
        }
        @if list.is_empty() { p { (tr("No missions are registered yet.")) } }
        h2 id="new-mission" { (tr("Register a mission")) }
        form method="post" action="/admin/missions" novalidate aria-labelledby="new-mission" {
            (csrf_field(&viewer.csrf))
            (Input::new("name", tr("Name")).value(&form.name).hint(tr("For example: Embassy of Iceland")).render(errors))
            (Input::new("country", tr("Country code")).value(&form.country).hint(tr("ISO 3166-1 alpha-2, for example IS")).render(errors))
            (select(errors, "kind", tr("Kind"), &kinds, if form.kind.is_empty() { "embassy" } else { &form.kind }, None))
            button type="submit" { (tr("Register mission")) }
        }
    };
    Ok(respond(
        status,
        page(&viewer.chrome(), tr("Missions"), body),
    ))
}

pub async fn list_missions(
    viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::AdministerMissions)?;
    missions_page(
        &viewer,
        &state,
        StatusCode::OK,
        &MissionForm::default(),
        &[],
    )
    .await
}

pub async fn create_mission(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: web::Form<MissionForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::AdministerMissions)?;
    let form = form.into_inner();
    let input = MissionInput {
        name: form.name.clone(),
        country: form.country.clone(),
        kind: form.kind.clone(),
    };
    let acting = viewer.acting();
    match db::run(&state.pool, move |conn| {
        mission_app::create_mission(conn, &acting, &input, app::now())
    })
    .await
    {
        Ok(m) => Ok(see_other(&format!("/admin/missions/{}", m.id))),
        Err(AppError::Invalid(errors)) => {
            missions_page(
                &viewer,
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn mission_page(
    viewer: &Viewer,
    state: &AppState,
    id: String,
    status: StatusCode,
    name_value: Option<&str>,
    errors: &[FieldError],
) -> Result<HttpResponse, WebError> {
    let (mission, staff) = db::run(&state.pool, move |conn| {
        let mission = mission_app::find_mission(conn, &id)?;
        let staff = db::users::list_for_mission(conn, &mission.id)?;
        Ok::<(MissionRow, Vec<UserRow>), AppError>((mission, staff))
    })
    .await?;
    let body = html! {
        (error_summary(errors, field_label))
        h1 { (mission.name) }
        dl class="facts" {
            dt { (tr("Country")) } dd { (mission.country) }
            dt { (tr("Kind")) } dd { (mission.kind.parse::<MissionKind>().map(|k| tr(k.label())).unwrap_or("")) }
            dt { (tr("Status")) } dd { (active_label(mission.active)) }
        }
        h2 id="rename" { (tr("Rename")) }
        form method="post" action={ "/admin/missions/" (mission.id) "/rename" } novalidate aria-labelledby="rename" {
            (csrf_field(&viewer.csrf))
            (Input::new("name", tr("Name")).value(name_value.unwrap_or(&mission.name)).render(errors))
            button type="submit" { (tr("Save name")) }
        }
        h2 { (tr("Staff")) }
        @if staff.is_empty() { p { (tr("No accounts belong to this mission yet.")) } }
        ul { @for u in &staff { li { a href={ "/admin/users/" (u.id) } { (u.name) } " (" (u.email) ")" @if !u.active { (tr(" — deactivated")) } } } }
        p { a href={ "/admin/users/new?mission=" (mission.id) } { (tr("Invite staff for this mission")) } }
        div class="actions" {
            @if mission.active {
                (action_button(viewer, &format!("/admin/missions/{}/deactivate", mission.id), "Deactivate mission", "warning"))
                p class="hint" { (tr("Its staff are signed out at once and cannot sign in while it is deactivated.")) }
            } @else {
                (action_button(viewer, &format!("/admin/missions/{}/reactivate", mission.id), "Reactivate mission", "secondary"))
            }
        }
    };
    Ok(respond(status, page(&viewer.chrome(), tr("Mission"), body)))
}

pub async fn show_mission(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::AdministerMissions)?;
    mission_page(
        &viewer,
        &state,
        path.into_inner(),
        StatusCode::OK,
        None,
        &[],
    )
    .await
}

pub async fn rename_mission(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<RenameForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::AdministerMissions)?;
    let id = path.into_inner();
    let name = form.into_inner().name;
    let (acting, id2, name2) = (viewer.acting(), id.clone(), name.clone());
    match db::run(&state.pool, move |conn| {
        mission_app::rename_mission(conn, &acting, &id2, &name2, app::now())
    })
    .await
    {
        Ok(m) => Ok(see_other(&format!("/admin/missions/{}", m.id))),
        Err(AppError::Invalid(errors)) => {
            mission_page(
                &viewer,
                &state,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&name),
                &errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_mission_active(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: String,
    active: bool,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::AdministerMissions)?;
    let acting = viewer.acting();
    let m = db::run(&state.pool, move |conn| {
        mission_app::set_mission_active(conn, &acting, &id, active, app::now())
    })
    .await?;
    Ok(see_other(&format!("/admin/missions/{}", m.id)))
}

pub async fn deactivate_mission(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: web::Form<ActionForm>,
) -> Result<HttpResponse, WebError> {
    set_mission_active(viewer, state, path.into_inner(), false).await
}

pub async fn reactivate_mission(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: web::Form<ActionForm>,
) -> Result<HttpResponse, WebError> {
    set_mission_active(viewer, state, path.into_inner(), true).await
}

// ---- accounts -------------------------------------------------------------------------------

pub async fn list_users(
    viewer: Viewer,
    state: web::Data<AppState>,
    query: web::Query<UserListQuery>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::AdministerUsers)?;
    let query = query.into_inner();
    let role = query.role.filter(|r| r.parse::<Role>().is_ok());
    let page_no = query.page.unwrap_or(1).max(1);
    let role_filter = role.clone();
    let (users, total, missions) = db::run(&state.pool, move |conn| {
        let (users, total) = user_app::list_users(conn, role_filter.as_deref(), page_no, PER_PAGE)?;
        let missions: std::collections::HashMap<String, String> =
            crate::app::requests::mission_names(conn)?;
        Ok::<_, AppError>((users, total, missions))
    })
    .await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let role_q = role
        .as_deref()
        .map(|r| format!("&role={r}"))
        .unwrap_or_default();
    let body = html! {
        h1 { (tr("Accounts")) }
        p { a class="button" href="/admin/users/new" { (tr("Invite a person")) } }
        form method="get" action="/admin/users" {
            div class="field" {
                label for="role" { (tr("Show role")) }
                select id="role" name="role" {
                    option value="" { (tr("All roles")) }
                    @for r in Role::ALL { option value=(r.code()) selected[role.as_deref() == Some(r.code())] { (tr(r.label())) } }
                }
            }
            button type="submit" class="secondary" { (tr("Filter")) }
        }
        p { (total) (tr(" accounts")) }
        table class="stacking" {
            thead { tr { th scope="col" { (tr("Name")) } th scope="col" { (tr("E-mail")) } th scope="col" { (tr("Role")) } th scope="col" { (tr("Mission")) } th scope="col" { (tr("Security clearance")) } th scope="col" { (tr("Second factor")) } th scope="col" { (tr("Status")) } } }
            tbody {
                @for u in &users {
                    tr {
                        td data-label=(tr("Name")) { a href={ "/admin/users/" (u.id) } { (u.name) } }
                        td data-label=(tr("E-mail")) { (u.email) }
                        td data-label=(tr("Role")) { (u.role.parse::<Role>().map(|r| tr(r.label())).unwrap_or("")) }
                        td data-label=(tr("Mission")) { (u.mission_id.as_ref().and_then(|m| missions.get(m)).map(String::as_str).unwrap_or("–")) }
                        td data-label=(tr("Security clearance")) { (clearance_label(&u.clearance)) }
                        td data-label=(tr("Second factor")) { @if u.password_hash.is_none() { (tr("Invitation pending")) } @else if u.totp_confirmed_at.is_some() { (tr("Set up")) } @else { (tr("Not set up yet")) } }
                        td data-label=(tr("Status")) { (active_label(u.active)) }
                    }
                }
            }
        }
        nav class="pager" aria-label=(tr("Pages")) {
            @if page_no > 1 { a href={ "/admin/users?page=" (page_no - 1) (role_q) } { (tr("Previous page")) } }
            span { (tr("Page ")) (page_no) (tr(" of ")) (pages) }
            @if page_no < pages { a href={ "/admin/users?page=" (page_no + 1) (role_q) } { (tr("Next page")) } }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page(&viewer.chrome(), tr("Accounts"), body),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserQuery {
    mission: Option<String>,
}

async fn invite_page(
    viewer: &Viewer,
    state: &AppState,
    status: StatusCode,
    form: &InviteForm,
    errors: &[FieldError],
) -> Result<HttpResponse, WebError> {
    let missions = db::run(&state.pool, mission_app::list_missions).await?;
    let roles: Vec<(String, String)> =
        std::iter::once((String::new(), tr("Choose a role").to_owned()))
            .chain(
                Role::ALL
                    .iter()
                    .map(|r| (r.code().to_owned(), tr(r.label()).to_owned())),
            )
            .collect();
    let mut mission_options = vec![(String::new(), tr("Choose a mission").to_owned())];
    mission_options.extend(
        missions
            .iter()
            .filter(|m| m.active)
            .map(|m| (m.id.clone(), m.name.clone())),
    );
    let clearances: Vec<(String, String)> = Clearance::ALL
        .iter()
        .map(|c| (c.code().to_owned(), tr(c.label()).to_owned()))
        .collect();
    let body = html! {
        (error_summary(errors, field_label))
        h1 { (tr("Invite a person")) }
        p class="lead" { (tr("They receive an e-mail with a link, valid for 72 hours, to set their password. At their first sign-in they set up an authenticator app.")) }
        form method="post" action="/admin/users" novalidate class="invite" {
            (csrf_field(&viewer.csrf))
            (Input::new("name", tr("Full name")).value(&form.name).render(errors))
            (Input::new("email", tr("E-mail address")).kind("email").value(&form.email).render(errors))
            (select(errors, "role", tr("Role"), &roles, &form.role, None))
            // Shown only for the roles they apply to (the stylesheet reads the role chosen).
            div class="if-mission" {
                (select(errors, "mission", tr("Mission"), &mission_options, &form.mission, Some(tr("The mission they work for."))))
            }
            div class="if-clearance" {
                (select(errors, "clearance", tr("Security clearance"), &clearances, if form.clearance.is_empty() { "none" } else { &form.clearance },
                    Some(tr("Their personal clearance under the Security Act."))))
            }
            button type="submit" { (tr("Send invitation")) }
        }
    };
    Ok(respond(
        status,
        page(&viewer.chrome(), tr("Invite a person"), body),
    ))
}

pub async fn new_user(
    viewer: Viewer,
    state: web::Data<AppState>,
    query: web::Query<NewUserQuery>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::AdministerUsers)?;
    // Coming from a mission's page, the person is one of its staff; otherwise the role is
    // chosen, not preselected.
    let mission = query.into_inner().mission.unwrap_or_default();
    let form = InviteForm {
        role: if mission.is_empty() {
            String::new()
        } else {
            "mission_staff".into()
        },
        mission,
        ..InviteForm::default()
    };
    invite_page(&viewer, &state, StatusCode::OK, &form, &[]).await
}

pub async fn invite_user(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: web::Form<InviteForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::AdministerUsers)?;
    let form = form.into_inner();
    // A question hidden for the role chosen was not answered: what it still holds from an
    // earlier choice of role is not sent on.
    let role = form.role.parse::<Role>().ok();
    let input = UserInput {
        email: form.email.clone(),
        name: form.name.clone(),
        role: form.role.clone(),
        mission_id: Some(form.mission.clone())
            .filter(|_| role.is_none_or(|r| r.belongs_to_mission())),
        clearance: Some(form.clearance.clone()).filter(|_| role.is_none_or(|r| r.is_authority())),
    };
    let acting = viewer.acting();
    let base = state.settings.public_base().to_owned();
    match db::run(&state.pool, move |conn| {
        user_app::invite_user(conn, &acting, &input, &base, app::now())
    })
    .await
    {
        Ok(u) => {
            super::banner::set(&viewer.session, "invited");
            Ok(see_other(&format!("/admin/users/{}", u.id)))
        }
        Err(AppError::Invalid(errors)) => {
            invite_page(
                &viewer,
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn show_user(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::AdministerUsers)?;
    let id = path.into_inner();
    let (user, mission) = db::run(&state.pool, move |conn| {
        let user = user_app::find_user(conn, &id)?;
        let mission = match &user.mission_id {
            Some(m) => db::missions::find(conn, m)?,
            None => None,
        };
        Ok::<_, AppError>((user, mission))
    })
    .await?;
    let base = format!("/admin/users/{}", user.id);
    let body = html! {
        a class="back-link" href="/admin/users" { (tr("Back to the accounts")) }
        (super::banner::success(super::banner::take(&viewer.session).as_deref()))
        h1 { (user.name) }
        dl class="facts" {
            dt { (tr("E-mail")) } dd { (user.email) }
            dt { (tr("Role")) } dd { (user.role.parse::<Role>().map(|r| tr(r.label())).unwrap_or("")) }
            @if let Some(m) = &mission { dt { (tr("Mission")) } dd { a href={ "/admin/missions/" (m.id) } { (m.name) } } }
            dt { (tr("Security clearance")) } dd { (clearance_label(&user.clearance)) }
            dt { (tr("Status")) } dd { (active_label(user.active)) }
            dt { (tr("Password")) } dd { @if user.password_hash.is_some() { (tr("Set")) } @else { (tr("Not set yet (invitation pending)")) } }
            dt { (tr("Second factor")) } dd { @if user.totp_confirmed_at.is_some() { (tr("Set up")) } @else { (tr("Not set up yet")) } }
            dt { (tr("Last sign-in")) } dd { (user.last_sign_in_at.map(i18n::oslo).unwrap_or_else(|| tr("Never").into())) }
        }
        div class="actions" {
            @if user.active {
                @if user.id != viewer.user.id {
                    (action_button(&viewer, &format!("{base}/deactivate"), "Deactivate account", "warning"))
                }
            } @else {
                (action_button(&viewer, &format!("{base}/reactivate"), "Reactivate account", "secondary"))
            }
            @if user.totp_confirmed_at.is_some() {
                (action_button(&viewer, &format!("{base}/second-factor/reset"), "Reset second factor", "secondary"))
            }
            @if user.password_hash.is_none() && user.active {
                (action_button(&viewer, &format!("{base}/invitation"), "Send a new invitation", "secondary"))
            }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page(&viewer.chrome(), tr("Account"), body),
    ))
}

async fn user_action(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: String,
    action: fn(&mut db::DbConnection, &app::Acting, &str, &str) -> Result<UserRow, AppError>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::AdministerUsers)?;
    let acting = viewer.acting();
    let base = state.settings.public_base().to_owned();
    let user = db::run(&state.pool, move |conn| action(conn, &acting, &id, &base)).await?;
    Ok(see_other(&format!("/admin/users/{}", user.id)))
}

pub async fn deactivate_user(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: web::Form<ActionForm>,
) -> Result<HttpResponse, WebError> {
    user_action(viewer, state, path.into_inner(), |c, a, id, _| {
        user_app::set_user_active(c, a, id, false, app::now())
    })
    .await
}

pub async fn reactivate_user(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: web::Form<ActionForm>,
) -> Result<HttpResponse, WebError> {
    user_action(viewer, state, path.into_inner(), |c, a, id, _| {
        user_app::set_user_active(c, a, id, true, app::now())
    })
    .await
}

pub async fn reset_second_factor(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: web::Form<ActionForm>,
) -> Result<HttpResponse, WebError> {
    user_action(viewer, state, path.into_inner(), |c, a, id, _| {
        user_app::reset_second_factor(c, a, id, app::now())
    })
    .await
}

pub async fn reinvite_user(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _f: web::Form<ActionForm>,
) -> Result<HttpResponse, WebError> {
    user_action(viewer, state, path.into_inner(), |c, a, id, base| {
        user_app::reinvite_user(c, a, id, base, app::now())
    })
    .await
}
