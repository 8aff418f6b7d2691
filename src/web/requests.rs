//! Request pages: the form (new and edit, measures added and removed without JavaScript), check
//! your answers, the request page with the actions the viewer may take now, messages and notes,
//! and the queues.

use crate::i18n::{self, tr, tr_text};
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDateTime;
use maud::{Markup, html};
use serde::Deserialize;

use super::AppState;
use super::errors::WebError;
use super::forms::{csrf_field, error_summary};
use super::layout::{page, respond, see_other};
use super::session::Viewer;
use crate::app::requests::{
    self as req, Context, ListPage, MeasureView, MessageInput, Name, PageAt, RequestView,
    TransitionFields, TransitionInput,
};
use crate::app::{self, AppError};
use crate::db;
use crate::db::requests::ListFilter;
use crate::domain::FieldError;
use crate::domain::access::Capability;
use crate::domain::disclosure::{self, AssessmentView};
use crate::domain::ids::RequestId;
use crate::domain::request::{
    Location, MAX_MEASURES, MeasureInput, MeasureKind, Outcome, RequestInput, ThreatLevel, Urgency,
    is_request_field, measure_field,
};
use crate::domain::workflow::Action;

const PER_PAGE: i64 = 25;

fn context(state: &AppState) -> Context {
    Context {
        now: app::now(),
        ceiling: state.settings.ceiling(),
    }
}

/// A form body as name → value. A name given twice is refused: nothing in these forms repeats.
fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, WebError> {
    let mut fields = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if fields
            .insert(k.clone().into_owned(), v.into_owned())
            .is_some()
        {
            return Err(WebError::BadRequest(format!(
                "The field {k} was sent more than once."
            )));
        }
    }
    Ok(fields)
}

fn get(f: &HashMap<String, String>, key: &str) -> String {
    f.get(key).cloned().unwrap_or_default()
}

fn opt(f: &HashMap<String, String>, key: &str) -> Option<String> {
    f.get(key).cloned()
}

fn version(f: &HashMap<String, String>) -> Result<i32, WebError> {
    get(f, "version")
        .parse()
        .map_err(|_| WebError::BadRequest("The form is missing the request's version.".into()))
}

/// Refuses every field the request form does not have (a classification, an assignee…),
/// naming each: what would be ignored is refused, so nobody believes they set it.
fn refuse_foreign_request_fields(
    f: &HashMap<String, String>,
    editing: bool,
) -> Result<(), WebError> {
    let mut foreign: Vec<FieldError> = f
        .keys()
        .filter(|name| {
            !(is_request_field(name)
                || matches!(name.as_str(), "csrf_token" | "op" | "measure_count")
                || (editing && name.as_str() == "version"))
        })
        .map(|name| FieldError::new(name.clone(), "is not a field of this form"))
        .collect();
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort_by(|a, b| a.field.cmp(&b.field));
    Err(AppError::Invalid(foreign).into())
}

/// The request form's fields, measures named `measures[i].kind` and so on.
fn request_input(f: &HashMap<String, String>) -> RequestInput {
    let count: usize = get(f, "measure_count")
        .parse()
        .unwrap_or(0)
        .min(MAX_MEASURES + 1);
    RequestInput {
        title: get(f, "title"),
        justification: get(f, "justification"),
        urgency: get(f, "urgency"),
        contact_name: get(f, "contact.name"),
        contact_phone: get(f, "contact.phone"),
        contact_email: get(f, "contact.email"),
        measures: (0..count)
            .map(|i| MeasureInput {
                kind: get(f, &measure_field(i, "kind")),
                location: get(f, &measure_field(i, "location")),
                address: get(f, &measure_field(i, "address")),
                starts_on: get(f, &measure_field(i, "starts_on")),
                ends_on: get(f, &measure_field(i, "ends_on")),
                description: get(f, &measure_field(i, "description")),
            })
            .collect(),
    }
}

/// A field's label in English; `error_summary` shows it in the reader's language.
fn label_for(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("measures[") {
        let (n, name) = rest.split_once("].").unwrap_or(("0", rest));
        let n: usize = n.parse().unwrap_or(0);
        return format!("Measure {}, {}:", n + 1, name.replace('_', " "));
    }
    match field {
        "title" => "Title:",
        "justification" => "Justification:",
        "urgency" => "Urgency:",
        "contact.name" => "Contact name:",
        "contact.phone" => "Contact phone:",
        "contact.email" => "Contact e-mail:",
        "measures" => "Measures:",
        "message" => "Message:",
        "reason" => "Reason:",
        "reply" => "Formal reply:",
        "body" => "Message:",
        _ => return format!("{}:", field.replace(['.', '_'], " ")),
    }
    .to_owned()
}

fn error_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a FieldError> {
    errors.iter().find(|e| e.field == field)
}

/// A labelled control with its error; `control` draws the input itself.
fn field(
    errors: &[FieldError],
    id: &str,
    label: &str,
    hint: Option<&str>,
    control: impl FnOnce(Option<String>) -> Markup,
) -> Markup {
    let error = error_for(errors, id);
    let mut described = Vec::new();
    if hint.is_some() {
        described.push(format!("{id}-hint"));
    }
    if error.is_some() {
        described.push(format!("{id}-error"));
    }
    let described = (!described.is_empty()).then(|| described.join(" "));
    html! {
        div class={ "field" @if error.is_some() { " has-error" } } {
            label for=(id) { (label) }
            @if let Some(h) = hint { span class="hint" id={ (id) "-hint" } { (h) } }
            @if let Some(e) = error { span class="field-error" id={ (id) "-error" } { (tr("Error: ")) (tr_text(&e.message)) } }
            (control(described))
        }
    }
}

fn text_input(
    errors: &[FieldError],
    id: &str,
    label: &str,
    value: &str,
    kind: &str,
    hint: Option<&str>,
) -> Markup {
    let invalid = error_for(errors, id).is_some();
    field(errors, id, label, hint, |d| {
        html! {
            input type=(kind) id=(id) name=(id) value=(value) aria-describedby=[d] aria-invalid=[invalid.then_some("true")];
        }
    })
}

fn textarea(
    errors: &[FieldError],
    id: &str,
    label: &str,
    value: &str,
    hint: Option<&str>,
) -> Markup {
    let invalid = error_for(errors, id).is_some();
    field(errors, id, label, hint, |d| {
        html! {
            textarea id=(id) name=(id) aria-describedby=[d] aria-invalid=[invalid.then_some("true")] { (value) }
        }
    })
}

fn select(
    errors: &[FieldError],
    id: &str,
    label: &str,
    options: &[(&str, &str)],
    selected: &str,
    hint: Option<&str>,
) -> Markup {
    let invalid = error_for(errors, id).is_some();
    field(errors, id, label, hint, |d| {
        html! {
            select id=(id) name=(id) aria-describedby=[d] aria-invalid=[invalid.then_some("true")] {
                @for (value, text) in options { option value=(value) selected[*value == selected] { (text) } }
            }
        }
    })
}

// ---- the form --------------------------------------------------------------------------------

fn request_form(
    viewer: &Viewer,
    action: &str,
    input: &RequestInput,
    version: Option<i32>,
    errors: &[FieldError],
    submitted: bool,
) -> Markup {
    let kinds: Vec<(&str, &str)> = std::iter::once(("", tr("Choose a kind of measure")))
        .chain(MeasureKind::ALL.iter().map(|k| (k.code(), tr(k.label()))))
        .collect();
    let locations: Vec<(&str, &str)> = Location::ALL
        .iter()
        .map(|l| (l.code(), tr(l.label())))
        .collect();
    let urgencies = [
        (Urgency::Routine.code(), tr(Urgency::Routine.label())),
        (Urgency::Urgent.code(), tr(Urgency::Urgent.label())),
    ];
    let measures: Vec<MeasureInput> = if input.measures.is_empty() {
        vec![MeasureInput::default()]
    } else {
        input.measures.clone()
    };
    html! {
        (error_summary(errors, label_for))
        form method="post" action=(action) novalidate {
            (csrf_field(&viewer.csrf))
            @if let Some(v) = version { input type="hidden" name="version" value=(v); }
            input type="hidden" name="measure_count" value=(measures.len());
            (text_input(errors, "title", tr("Title"), &input.title, "text", Some(tr("5 to 200 characters, e.g. \u{201c}Guard during the national day reception\u{201d}."))))
            (textarea(errors, "justification", tr("Justification"), &input.justification,
                Some(tr("What prompts the request: threats received, incidents, planned demonstrations, an event. At least 20 characters."))))
            (select(errors, "urgency", tr("Urgency"), &urgencies, if input.urgency.is_empty() { "routine" } else { &input.urgency }, None))
            fieldset {
                legend { (tr("Contact person at the mission")) }
                (text_input(errors, "contact.name", tr("Name"), &input.contact_name, "text", None))
                (text_input(errors, "contact.phone", tr("Phone"), &input.contact_phone, "tel", Some(tr("International format, e.g. +47 22 00 00 00."))))
                (text_input(errors, "contact.email", tr("E-mail"), &input.contact_email, "email", None))
            }
            h2 { (tr("Measures requested")) }
            @if let Some(e) = error_for(errors, "measures") { p class="field-error" id="measures" { (tr("Error: ")) (tr_text(&e.message)) } }
            @for (i, m) in measures.iter().enumerate() {
                fieldset class="measure" {
                    legend { (tr("Measure ")) (i + 1) }
                    (select(errors, &measure_field(i, "kind"), tr("Kind"), &kinds, &m.kind,
                        Some(tr("Police protection is carried out by Oslo Police District; own measures beyond the premises need clearance."))))
                    (select(errors, &measure_field(i, "location"), tr("Location"), &locations, if m.location.is_empty() { "chancery" } else { &m.location }, None))
                    (text_input(errors, &measure_field(i, "address"), tr("Address (when another address)"), &m.address, "text", None))
                    (text_input(errors, &measure_field(i, "starts_on"), tr("Starts on"), &m.starts_on, "date", Some(tr("YYYY-MM-DD"))))
                    (text_input(errors, &measure_field(i, "ends_on"), tr("Ends on (optional)"), &m.ends_on, "date", Some(tr("Leave empty for until further notice."))))
                    (textarea(errors, &measure_field(i, "description"), tr("Description"), &m.description, Some(tr("Up to 2,000 characters; required for other measures."))))
                    @if measures.len() > 1 {
                        button type="submit" name="op" value={ "remove_measure:" (i) } class="secondary" { (tr("Remove measure ")) (i + 1) }
                    }
                }
            }
            @if measures.len() < MAX_MEASURES {
                p { button type="submit" name="op" value="add_measure" class="secondary" { (tr("Add another measure")) } }
            }
            div class="actions" {
                @if submitted {
                    button type="submit" name="op" value="save" { (tr("Save changes")) }
                } @else {
                    button type="submit" name="op" value="review" { (tr("Continue to check your answers")) }
                    " "
                    button type="submit" name="op" value="save" class="secondary" { (tr("Save as draft")) }
                }
            }
        }
    }
}

/// Which form page: its title, where it posts, the version it edits, and whether the request
/// was submitted already (then only "save" is offered).
struct FormTarget<'a> {
    title: &'a str,
    action: &'a str,
    version: Option<i32>,
    submitted: bool,
}

fn form_page(
    viewer: &Viewer,
    status: StatusCode,
    target: FormTarget<'_>,
    input: &RequestInput,
    errors: &[FieldError],
) -> HttpResponse {
    let FormTarget {
        title,
        action,
        version,
        submitted,
    } = target;
    respond(
        status,
        page(
            &viewer.chrome(),
            title,
            html! {
                h1 { (title) }
                (request_form(viewer, action, input, version, errors, submitted))
            },
        ),
    )
}

/// Applies "add" and "remove" buttons to the typed input; `None` when the button was another.
fn rearrange(op: &str, input: &mut RequestInput) -> bool {
    if op == "add_measure" {
        if input.measures.is_empty() {
            input.measures.push(MeasureInput::default());
        }
        if input.measures.len() < MAX_MEASURES {
            input.measures.push(MeasureInput::default());
        }
        return true;
    }
    if let Some(i) = op
        .strip_prefix("remove_measure:")
        .and_then(|n| n.parse::<usize>().ok())
    {
        if i < input.measures.len() && input.measures.len() > 1 {
            input.measures.remove(i);
        }
        return true;
    }
    false
}

pub async fn new_form(viewer: Viewer) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::DraftRequests)?;
    Ok(form_page(
        &viewer,
        StatusCode::OK,
        FormTarget {
            title: tr("New request"),
            action: "/requests/new",
            version: None,
            submitted: false,
        },
        &RequestInput::default(),
        &[],
    ))
}

pub async fn create(
    viewer: Viewer,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::DraftRequests)?;
    let f = parse_form(&body)?;
    refuse_foreign_request_fields(&f, false)?;
    let mut input = request_input(&f);
    let op = get(&f, "op");
    if rearrange(&op, &mut input) {
        return Ok(form_page(
            &viewer,
            StatusCode::OK,
            FormTarget {
                title: tr("New request"),
                action: "/requests/new",
                version: None,
                submitted: false,
            },
            &input,
            &[],
        ));
    }
    let (actor, ctx, typed) = (viewer.actor.clone(), context(&state), input.clone());
    match db::run(&state.pool, move |conn| {
        req::create_draft(conn, &actor, &typed, &ctx)
    })
    .await
    {
        Ok(row) if op == "review" => Ok(see_other(&format!("/requests/{}/review", row.id))),
        Ok(row) => Ok(see_other(&format!("/requests/{}", row.id))),
        Err(AppError::Invalid(errors)) => Ok(form_page(
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            FormTarget {
                title: tr("New request"),
                action: "/requests/new",
                version: None,
                submitted: false,
            },
            &input,
            &errors,
        )),
        Err(e) => Err(e.into()),
    }
}

async fn load(viewer: &Viewer, state: &AppState, id: &str) -> Result<RequestView, WebError> {
    let (actor, id, ctx) = (viewer.actor.clone(), RequestId::from(id), context(state));
    Ok(db::run(&state.pool, move |conn| req::view(conn, &actor, &id, &ctx)).await?)
}

#[derive(Deserialize)]
pub struct EditQuery {
    /// Set when the form opens to finish a draft: what submission still needs is shown beside
    /// each field.
    check: Option<String>,
}

pub async fn edit_form(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<EditQuery>,
) -> Result<HttpResponse, WebError> {
    let view = load(&viewer, &state, &path).await?;
    if !view.editable {
        return Err(WebError::NotNow(
            "This request cannot be changed now.".into(),
        ));
    }
    let input = view.as_input();
    let submitted = !view.is_draft;
    let errors = if query.check.is_some() {
        view.missing_for_submission.clone()
    } else {
        Vec::new()
    };
    Ok(form_page(
        &viewer,
        StatusCode::OK,
        FormTarget {
            title: tr("Change the request"),
            action: &format!("/requests/{}/edit", view.id),
            version: Some(view.version),
            submitted,
        },
        &input,
        &errors,
    ))
}

pub async fn update(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let f = parse_form(&body)?;
    let seen = version(&f)?;
    refuse_foreign_request_fields(&f, true)?;
    let mut input = request_input(&f);
    let op = get(&f, "op");
    let action = format!("/requests/{id}/edit");
    let view = load(&viewer, &state, &id).await?;
    let submitted = !view.is_draft;
    if rearrange(&op, &mut input) {
        return Ok(form_page(
            &viewer,
            StatusCode::OK,
            FormTarget {
                title: tr("Change the request"),
                action: &action,
                version: Some(seen),
                submitted,
            },
            &input,
            &[],
        ));
    }
    let (actor, ctx, typed, rid) = (
        viewer.actor.clone(),
        context(&state),
        input.clone(),
        RequestId::from(id.as_str()),
    );
    match db::run(&state.pool, move |conn| {
        req::update(conn, &actor, &rid, seen, &typed, &ctx)
    })
    .await
    {
        Ok(_) if op == "review" => Ok(see_other(&format!("/requests/{id}/review"))),
        Ok(_) => Ok(see_other(&format!("/requests/{id}"))),
        Err(AppError::Invalid(errors)) => Ok(form_page(
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            FormTarget {
                title: tr("Change the request"),
                action: &action,
                version: Some(seen),
                submitted,
            },
            &input,
            &errors,
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn discard(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let f = parse_form(&body)?;
    let seen = version(&f)?;
    let (actor, ctx, id) = (
        viewer.actor.clone(),
        context(&state),
        RequestId::from(path.into_inner()),
    );
    db::run(&state.pool, move |conn| {
        req::discard(conn, &actor, &id, seen, &ctx)
    })
    .await?;
    Ok(see_other("/"))
}

// ---- check your answers ----------------------------------------------------------------------

fn kind_label(kind: Option<MeasureKind>) -> &'static str {
    kind.map(|k| tr(k.label())).unwrap_or(tr("Not chosen yet"))
}

fn location_label(m: &MeasureView) -> String {
    match m.location {
        Some(Location::Other) => format!(
            "{}{}",
            tr("Another address: "),
            m.address.as_deref().unwrap_or("")
        ),
        Some(l) => tr(l.label()).to_owned(),
        None => tr("Not chosen yet").to_owned(),
    }
}

fn date(d: Option<chrono::NaiveDate>, none: &str) -> String {
    d.map(i18n::date).unwrap_or_else(|| none.to_owned())
}

fn when(t: NaiveDateTime) -> String {
    i18n::date_time(crate::domain::time::oslo_local(t))
}

pub async fn review(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let view = load(&viewer, &state, &path).await?;
    if !view.is_draft || !view.actions.contains(&Action::Submit) {
        return Ok(see_other(&format!("/requests/{}", view.id)));
    }
    // A draft that is not complete goes back to its form, with each problem beside its field.
    if !view.missing_for_submission.is_empty() {
        return Ok(see_other(&format!("/requests/{}/edit?check=1", view.id)));
    }
    Ok(review_page(&viewer, &view, StatusCode::OK))
}

fn review_page(viewer: &Viewer, view: &RequestView, status: StatusCode) -> HttpResponse {
    let r = view;
    let edit = format!("/requests/{}/edit", r.id);
    respond(
        status,
        page(
            &viewer.chrome(),
            tr("Check your answers"),
            html! {
                h1 { (tr("Check your answers before submitting")) }
                dl class="facts" {
                    dt { (tr("Title")) } dd { (r.title) }
                    dt { (tr("Justification")) } dd class="multiline" { (r.justification) }
                    dt { (tr("Urgency")) } dd { (tr(r.urgency.label())) }
                    dt { (tr("Contact")) } dd { (r.contact.name) ", " (r.contact.phone) ", " (r.contact.email) }
                }
                (measures_table(view, false))
                p { a href=(edit) { (tr("Change your answers")) } }
                form method="post" action={ "/requests/" (r.id) "/transitions" } {
                    (csrf_field(&viewer.csrf))
                    input type="hidden" name="action" value="submit";
                    input type="hidden" name="version" value=(view.version);
                    p { (tr("By submitting, your mission formally notifies the Ministry of Foreign Affairs of this request.")) }
                    button type="submit" { (tr("Submit the request")) }
                }
            },
        ),
    )
}

// ---- the request page ------------------------------------------------------------------------

fn measures_table(view: &RequestView, show_outcomes: bool) -> Markup {
    html! {
        table {
            caption { (tr("Measures")) }
            thead { tr {
                th scope="col" { (tr("Measure")) } th scope="col" { (tr("Location")) } th scope="col" { (tr("From")) } th scope="col" { (tr("Until")) } th scope="col" { (tr("Description")) }
                @if show_outcomes { th scope="col" { (tr("Decision")) } th scope="col" { (tr("In place")) } }
            } }
            tbody {
                @for m in &view.measures {
                    tr {
                        td { (kind_label(m.kind)) }
                        td { (location_label(m)) }
                        td { (date(m.starts_on, "–")) }
                        td { (date(m.ends_on, tr("Until further notice"))) }
                        td class="multiline" { (m.description) }
                        @if show_outcomes {
                            td {
                                @if let Some(d) = &m.decision {
                                    (tr(d.outcome.label()))
                                    @if let Some(c) = &d.conditions { br; (tr("Conditions: ")) (c) }
                                } @else { "–" }
                            }
                            td {
                                (date(m.implemented_on, "–"))
                                @if let Some(e) = m.ended_on { br; (tr("Ended ")) (date(Some(e), "")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn marking_banner(view: &RequestView) -> Markup {
    html! {
        @if let Some((level, until)) = view.marking {
            // The level's class names the printed page style that repeats the marking at the
            // top and bottom of every printed page (portal.css, @page).
            div class={ "marking marking-" (level.code()) } role="note" {
                (tr(level.marking()))
                @if let Some(u) = until { (tr(" · declassify on ")) (i18n::short_date(u)) }
            }
        }
    }
}

fn classification_options(view: &RequestView) -> Vec<(&'static str, &'static str)> {
    view.classification_choices
        .iter()
        .map(|c| (c.code(), tr(c.marking())))
        .collect()
}

fn action_form(
    viewer: &Viewer,
    view: &RequestView,
    action: Action,
    errors: &[FieldError],
) -> Markup {
    let id = &view.id;
    let classes = classification_options(view);
    let approved: Vec<&MeasureView> = view.measures.iter().filter(|m| m.is_approved()).collect();
    let today = crate::domain::time::oslo_date(app::now()).to_string();
    let mut assign_options: Vec<(&str, &str)> = vec![("", tr("Me"))];
    assign_options.extend(
        view.assignable
            .iter()
            .filter(|(id, _)| *id != viewer.actor.user_id)
            .map(|(id, name)| (id.as_str(), name.as_str())),
    );
    html! {
        form method="post" action={ "/requests/" (id) "/transitions" } class="action-form" {
            (csrf_field(&viewer.csrf))
            input type="hidden" name="action" value=(action.code());
            input type="hidden" name="version" value=(view.version);
            h3 { (tr(action.label())) }
            @match action {
                Action::Take => {
                    (select(errors, "assignee_id", tr("Assign to"), &assign_options, "", Some(tr("Take the request to start the triage, yourself or for a colleague."))))
                }
                Action::RequestInformation | Action::ProvideInformation => {
                    (textarea(errors, "message", tr("Message to send"), "", None))
                }
                Action::Reject => {
                    (textarea(errors, "reason", tr("Reason, sent to the mission"), "", None))
                }
                Action::Withdraw => {
                    (textarea(errors, "reason", tr("Reason (optional)"), "", None))
                }
                Action::EndMeasures => {
                    (textarea(errors, "reason", tr("Reason (optional, internal)"), "", None))
                }
                Action::ReturnToMfa => {
                    (textarea(errors, "note.body", tr("Internal note for the MFA"), "", Some(tr("For example: what the police need from the mission."))))
                    (select(errors, "note.classification", tr("Classification"), &classes, "unclassified", None))
                }
                Action::SubmitAssessment => {
                    @let levels: Vec<(&str, &str)> = ThreatLevel::ALL.iter().map(|l| (l.code(), tr(l.label()))).collect();
                    (select(errors, "assessment.threat_level", tr("Threat level"), &levels, "moderate", None))
                    (textarea(errors, "assessment.summary", tr("Summary"), "", None))
                    (select(errors, "assessment.classification", tr("Classification"), &classes, "restricted", None))
                    (text_input(errors, "assessment.declassify_on", tr("Declassify on (optional)"), "", "date", Some(tr("At most 30 years from today; 30 years if left empty."))))
                }
                Action::Decide => {
                    @let outcomes: Vec<(&str, &str)> = Outcome::ALL.iter().map(|o| (o.code(), tr(o.label()))).collect();
                    @for (i, m) in view.measures.iter().enumerate() {
                        fieldset {
                            legend { (tr("Measure ")) (i + 1) ": " (kind_label(m.kind)) }
                            input type="hidden" name={ "outcomes[" (i) "].measure_id" } value=(m.id);
                            (select(errors, &format!("outcomes[{i}].outcome"), tr("Decision"), &outcomes, "approved", None))
                            (textarea(errors, &format!("outcomes[{i}].conditions"), tr("Conditions (when approving with conditions)"), "", None))
                        }
                    }
                    input type="hidden" name="outcome_count" value=(view.measures.len());
                }
                Action::CommunicateDecision => {
                    (textarea(errors, "reply", tr("Formal reply to the mission"), "", None))
                }
                Action::ConfirmImplementation => {
                    @for (i, m) in approved.iter().enumerate() {
                        input type="hidden" name={ "implemented[" (i) "].measure_id" } value=(m.id);
                        (text_input(errors, &format!("implemented[{i}].implemented_on"), &tr_text(&format!("Measure {}: {} — in place since", i + 1, kind_label(m.kind))), &today, "date", None))
                    }
                    input type="hidden" name="implemented_count" value=(approved.len());
                }
                Action::Submit | Action::ForwardToPolice | Action::ReferToPst => {}
            }
            button type="submit" class=(if matches!(action, Action::Reject | Action::Withdraw) { "warning" } else { "" }) { (tr(action.label())) }
        }
    }
}

/// The field of `TransitionFields` (SPEC § 8's name) a transition form's field belongs to; `""`
/// for the fields every action form has; `None` for a name no action form has.
fn transition_group(name: &str) -> Option<&'static str> {
    let under = |prefix: &str, fields: &[&str]| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| fields.contains(&rest))
    };
    let indexed = |prefix: &str, fields: &[&str]| {
        name.strip_prefix(prefix)
            .and_then(|rest| rest.split_once("]."))
            .is_some_and(|(i, field)| i.parse::<usize>().is_ok() && fields.contains(&field))
    };
    match name {
        "csrf_token" | "action" | "version" => Some(""),
        "assignee_id" => Some("assignee_id"),
        "message" => Some("message"),
        "reason" => Some("reason"),
        "reply" => Some("reply"),
        "outcome_count" => Some("outcomes"),
        "implemented_count" => Some("implemented"),
        _ if under("note.", &["body", "classification", "declassify_on"]) => Some("note"),
        _ if under(
            "assessment.",
            &["threat_level", "summary", "classification", "declassify_on"],
        ) =>
        {
            Some("assessment")
        }
        _ if indexed("outcomes[", &["measure_id", "outcome", "conditions"]) => Some("outcomes"),
        _ if indexed("implemented[", &["measure_id", "implemented_on"]) => Some("implemented"),
        _ => None,
    }
}

fn transition_input(f: &HashMap<String, String>) -> Result<TransitionInput, WebError> {
    let action = Action::parse(&get(f, "action"))
        .ok_or_else(|| WebError::BadRequest("Unknown action.".into()))?;
    let version = version(f)?;
    // A field the action does not take is refused, named as the form names it.
    let carried = req::carries(action);
    let mut foreign: Vec<FieldError> = f
        .keys()
        .filter_map(|name| match transition_group(name) {
            Some("") => None,
            Some(group) if carried.contains(&group) => None,
            Some(_) => Some(FieldError::new(
                name.clone(),
                format!("is not taken by the action {}", action.code()),
            )),
            None => Some(FieldError::new(name.clone(), "is not a field of this form")),
        })
        .collect();
    if !foreign.is_empty() {
        foreign.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(AppError::Invalid(foreign).into());
    }
    let given = |group: &str| f.keys().any(|k| transition_group(k) == Some(group));
    let mut input = TransitionFields {
        assignee_id: opt(f, "assignee_id"),
        message: opt(f, "message"),
        reason: opt(f, "reason"),
        reply: opt(f, "reply"),
        ..TransitionFields::default()
    };
    if given("note") {
        input.note = Some(req::NoteInput {
            body: get(f, "note.body"),
            classification: get(f, "note.classification"),
            declassify_on: opt(f, "note.declassify_on"),
        });
    }
    if given("assessment") {
        input.assessment = Some(req::AssessmentInput {
            threat_level: get(f, "assessment.threat_level"),
            summary: get(f, "assessment.summary"),
            classification: get(f, "assessment.classification"),
            declassify_on: opt(f, "assessment.declassify_on"),
        });
    }
    let count: usize = get(f, "outcome_count")
        .parse()
        .unwrap_or(0)
        .min(MAX_MEASURES);
    input.outcomes = given("outcomes").then(|| {
        (0..count)
            .map(|i| req::OutcomeInput {
                measure_id: get(f, &format!("outcomes[{i}].measure_id")),
                outcome: get(f, &format!("outcomes[{i}].outcome")),
                conditions: opt(f, &format!("outcomes[{i}].conditions")),
            })
            .collect()
    });
    let count: usize = get(f, "implemented_count")
        .parse()
        .unwrap_or(0)
        .min(MAX_MEASURES);
    input.implemented = given("implemented").then(|| {
        (0..count)
            .map(|i| req::ImplementedInput {
                measure_id: get(f, &format!("implemented[{i}].measure_id")),
                implemented_on: get(f, &format!("implemented[{i}].implemented_on")),
            })
            .collect()
    });
    TransitionInput::new(action, version, input).map_err(|e| AppError::Invalid(e).into())
}

fn request_page(
    viewer: &Viewer,
    view: &RequestView,
    errors: &[FieldError],
    status: StatusCode,
) -> HttpResponse {
    let r = view;
    let is_mission = view.addressed_as_mission;
    let title = r
        .reference
        .clone()
        .unwrap_or_else(|| "Draft request".to_owned());
    let external_allowed = view.message_rights.external;
    let internal_allowed = view.message_rights.internal;
    respond(
        status,
        page(
            &viewer.chrome(),
            &title,
            html! {
                (marking_banner(view))
                (error_summary(errors, label_for))
                p class="caption" { (r.reference.as_deref().unwrap_or(tr("Draft"))) " · " (view.mission_name) }
                h1 { (r.title) }
                dl class="facts" {
                    dt { (tr("Status")) } dd { strong class="status" data-status=(view.status.code) { (tr_text(view.status.label)) } }
                    dt { (tr("Urgency")) } dd { (tr(r.urgency.label())) }
                    @if let Some(t) = r.submitted_at { dt { (tr("Submitted")) } dd { (when(t)) } }
                    @if let Some((_, name)) = &view.assigned_officer {
                        dt { @if is_mission { (tr("Your contact at the Ministry")) } @else { (tr("Assigned MFA officer")) } } dd { (name) }
                    }
                    dt { (tr("Contact at the mission")) } dd { (r.contact.name) ", " (r.contact.phone) ", " (r.contact.email) }
                }
                @if let Some(reply) = &r.reply {
                    section class="panel" aria-labelledby="reply-heading" {
                        h2 id="reply-heading" { (tr("Formal reply from the Ministry of Foreign Affairs")) }
                        p class="multiline" { (reply) }
                    }
                }
                h2 { (tr("Justification")) }
                p class="multiline" { (r.justification) }
                (measures_table(view, view.outcomes_visible))

                @if view.editable || view.discardable {
                    div class="actions" {
                        @if view.editable { a class="button secondary" href={ "/requests/" (r.id) "/edit" } { (tr("Change the request")) } }
                        @if view.is_draft && view.actions.contains(&Action::Submit) {
                            " " a class="button" href={ "/requests/" (r.id) "/review" } { (tr("Check and submit")) }
                        }
                        @if view.discardable {
                            form method="post" action={ "/requests/" (r.id) "/discard" } {
                                (csrf_field(&viewer.csrf))
                                input type="hidden" name="version" value=(view.version);
                                button type="submit" class="warning" { (tr("Discard the draft")) }
                            }
                        }
                    }
                }
                @let actions: Vec<Action> = view.actions.iter().copied().filter(|a| *a != Action::Submit).collect();
                @if !actions.is_empty() {
                    section aria-labelledby="actions-heading" {
                        h2 id="actions-heading" { (tr("What you can do now")) }
                        @for a in &actions { (action_form(viewer, view, *a, errors)) }
                    }
                }

                @if let Some(assessments) = view.assessments.as_ref().filter(|a| !a.is_empty()) {
                    section aria-labelledby="assessments-heading" {
                        h2 id="assessments-heading" { (tr("Threat assessments")) }
                        @for a in assessments {
                            div class="panel" {
                                p { strong { (tr("Threat assessment")) } " · " (when(a.at))
                                    @if let Some(c) = a.classification { " · " (tr(c.marking())) } }
                                @match a.view {
                                    AssessmentView::ExistenceOnly => p { (tr("An assessment exists; its content is above your clearance.")) },
                                    _ => {
                                        @if let Some(level) = a.threat_level { p { (tr("Threat level: ")) strong { (tr(level.label())) } } }
                                        @if let Some(s) = &a.summary { p class="multiline" { (s) } }
                                        @if let Some(by) = &a.by { p class="hint" { (tr("By ")) (who(by)) } }
                                        @if a.view == AssessmentView::LevelOnly { p class="hint" { (tr("The assessment's content is for the police.")) } }
                                    }
                                }
                            }
                        }
                    }
                }

                section aria-labelledby="messages-heading" {
                    h2 id="messages-heading" { @if is_mission { (tr("Messages")) } @else { (tr("Messages and internal notes")) } }
                    @if view.messages.is_empty() { p { (tr("No messages yet.")) } }
                    @for m in &view.messages {
                        div class={ "panel" @if m.internal { " internal" } } {
                            p { strong { (who(&m.by)) } " · " (when(m.at))
                                @if m.internal { (tr(" · Internal note · ")) (tr(m.classification.marking()))
                                    @if let Some(d) = m.declassify_on { (tr(" until ")) (i18n::short_date(d)) } } }
                            p class="multiline" { (m.body) }
                        }
                    }
                    @if external_allowed || internal_allowed {
                        form method="post" action={ "/requests/" (r.id) "/messages" } {
                            (csrf_field(&viewer.csrf))
                            h3 { @if external_allowed && !internal_allowed { (tr("Write to the Ministry")) } @else { (tr("Add a message or note")) } }
                            (textarea(errors, "body", tr("Text"), "", None))
                            @if external_allowed && internal_allowed {
                                (select(errors, "visibility", tr("Who sees it"), &[("external", tr("The mission (external message)")), ("internal", tr("Norwegian authorities only (internal note)"))], "internal", None))
                            } @else if internal_allowed {
                                input type="hidden" name="visibility" value="internal";
                            } @else {
                                input type="hidden" name="visibility" value="external";
                            }
                            @if internal_allowed {
                                (select(errors, "classification", tr("Classification (internal notes)"), &classification_options(view), "unclassified", None))
                            }
                            button type="submit" class="secondary" { (tr("Send")) }
                        }
                    }
                }

                section aria-labelledby="timeline-heading" {
                    h2 id="timeline-heading" { (tr("History")) }
                    ol class="timeline" {
                        @for t in &view.timeline {
                            li { span class="hint" { (when(t.at)) } " " strong { (tr_text(&t.action)) } (tr(" by ")) (who(&t.by)) " — " (tr_text(t.status)) }
                        }
                    }
                }
                (marking_banner(view))
            },
        ),
    )
}

pub async fn show(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let view = load(&viewer, &state, &path).await?;
    Ok(request_page(&viewer, &view, &[], StatusCode::OK))
}

pub async fn transition(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let f = parse_form(&body)?;
    let input = transition_input(&f)?;
    let (actor, ctx, rid, typed) = (
        viewer.actor.clone(),
        context(&state),
        RequestId::from(id.as_str()),
        input.clone(),
    );
    match db::run(&state.pool, move |conn| {
        req::perform(conn, &actor, &rid, &typed, &ctx)
    })
    .await
    {
        Ok(_) if input.action() == Action::Submit => {
            Ok(see_other(&format!("/requests/{id}?submitted=1")))
        }
        Ok(_) => Ok(see_other(&format!("/requests/{id}"))),
        Err(AppError::Invalid(errors)) => {
            let view = load(&viewer, &state, &id).await?;
            if input.action() == Action::Submit {
                // Something changed since the review (a start date passed): back to the form,
                // with each problem beside its field.
                Ok(form_page(
                    &viewer,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    FormTarget {
                        title: tr("Change the request"),
                        action: &format!("/requests/{id}/edit"),
                        version: Some(view.version),
                        submitted: false,
                    },
                    &view.as_input(),
                    &errors,
                ))
            } else {
                Ok(request_page(
                    &viewer,
                    &view,
                    &errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                ))
            }
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn message(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let f = parse_form(&body)?;
    let input = MessageInput {
        body: get(&f, "body"),
        visibility: get(&f, "visibility"),
        classification: get(&f, "classification"),
        declassify_on: opt(&f, "declassify_on"),
    };
    let (actor, ctx, rid) = (
        viewer.actor.clone(),
        context(&state),
        RequestId::from(id.as_str()),
    );
    match db::run(&state.pool, move |conn| {
        req::add_message(conn, &actor, &rid, &input, &ctx)
    })
    .await
    {
        Ok(()) => Ok(see_other(&format!("/requests/{id}#messages-heading"))),
        Err(AppError::Invalid(errors)) => {
            let view = load(&viewer, &state, &id).await?;
            Ok(request_page(
                &viewer,
                &view,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

// ---- queues ----------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    queue: Option<String>,
    status: Option<String>,
    mission: Option<String>,
    q: Option<String>,
    page: Option<i64>,
    /// Cursors of the pager's links (keyset paging).
    after: Option<String>,
    before: Option<String>,
}

/// Who did something: a person's name as it is, or an organisation's name in the reader's
/// language (names are never translated).
fn who(by: &Name) -> String {
    match by {
        Name::Organisation(org) => tr_text(org),
        Name::Person(name) => name.clone(),
    }
}

fn age(from: NaiveDateTime) -> String {
    let d = app::now() - from;
    if d.num_days() >= 1 {
        format!("{} {}", d.num_days(), tr("d"))
    } else if d.num_hours() >= 1 {
        format!("{} {}", d.num_hours(), tr("h"))
    } else {
        format!("{} {}", d.num_minutes().max(0), tr("min"))
    }
}

/// The role's start page: its queues, with filters, search and paging.
pub async fn queues(
    viewer: &Viewer,
    state: &AppState,
    query: QueueQuery,
) -> Result<HttpResponse, WebError> {
    let role = viewer.actor.role;
    let queues = req::queues(role);
    let current = queues
        .iter()
        .find(|q| Some(q.key) == query.queue.as_deref())
        .or(queues.first())
        .copied()
        .ok_or(WebError::Forbidden)?;
    let mut filter: ListFilter = req::queue_filter(&viewer.actor, current.key);
    let status = query.status.clone().filter(|s| !s.is_empty());
    if let Some(s) = &status {
        filter = req::with_status(&viewer.actor, filter, s);
    }
    filter.mission_id = query
        .mission
        .clone()
        .filter(|m| !m.is_empty() && disclosure::may_filter_by_mission(&viewer.actor));
    filter.query = query.q.clone().filter(|q| !q.trim().is_empty());
    let page_no = query.page.unwrap_or(1).max(1);
    let at = match (
        query.after.clone().filter(|c| !c.is_empty()),
        query.before.clone().filter(|c| !c.is_empty()),
    ) {
        (Some(cursor), _) => PageAt::After {
            cursor,
            page: page_no,
        },
        (None, Some(cursor)) => PageAt::Before {
            cursor,
            page: page_no,
        },
        (None, None) => PageAt::Number(page_no),
    };
    let actor = viewer.actor.clone();
    let with_ends = current.key == "in_effect";
    let (list, missions, ends) = db::run(&state.pool, move |conn| {
        let list: ListPage = req::list(conn, &actor, &filter, &at, PER_PAGE)?;
        let names: HashMap<String, String> = req::mission_names(conn)?;
        let ids: Vec<String> = list.items.iter().map(|r| r.id.to_string()).collect();
        let ends = if with_ends {
            req::end_dates(conn, &ids)?
        } else {
            HashMap::new()
        };
        Ok::<_, AppError>((list, names, ends))
    })
    .await?;
    let is_mission = disclosure::addressed_as_mission(&viewer.actor);
    // Missions see only their own requests: no other mission is named to them.
    let lists_missions = disclosure::may_filter_by_mission(&viewer.actor);
    let mut sorted_missions: Vec<(&String, &String)> = missions.iter().collect();
    sorted_missions.sort_by(|a, b| a.1.cmp(b.1));
    let statuses: Vec<(String, String)> = disclosure::status_choices(&viewer.actor)
        .into_iter()
        .map(|s| (s.code.to_owned(), tr(s.label).to_owned()))
        .collect();
    let page_no = list.page;
    // "Page 3 of 7" while the count is exact; "Page 3" once it stopped at the cap.
    let pages = (!list.total_capped).then(|| ((list.total + PER_PAGE - 1) / PER_PAGE).max(1));
    let keep = |page: i64, cursor: Option<(&str, &str)>| {
        let mut params = vec![("queue", current.key.to_owned())];
        if page > 1 {
            params.push(("page", page.to_string()));
            if let Some((name, value)) = cursor {
                params.push((name, value.to_owned()));
            }
        }
        if let Some(s) = &status {
            params.push(("status", s.clone()));
        }
        if let Some(m) = query.mission.as_ref().filter(|m| !m.is_empty()) {
            params.push(("mission", m.clone()));
        }
        if let Some(q) = query.q.as_ref().filter(|q| !q.is_empty()) {
            params.push(("q", q.clone()));
        }
        format!(
            "/?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish()
        )
    };
    let previous_link = list
        .previous
        .as_deref()
        .map(|c| keep(page_no - 1, Some(("before", c))));
    let next_link = list
        .next
        .as_deref()
        .map(|c| keep(page_no + 1, Some(("after", c))));
    let title = if is_mission {
        format!(
            "{}{}",
            tr("Requests from "),
            viewer
                .actor
                .mission_id
                .as_ref()
                .and_then(|m| missions.get(m))
                .cloned()
                .unwrap_or_default()
        )
    } else {
        tr(current.label).to_owned()
    };
    let body = html! {
        h1 { (title) }
        @if is_mission {
            p { a class="button" href="/requests/new" { (tr("Start a new request")) } }
        } @else {
            nav aria-label=(tr("Queues")) class="tabs" {
                ul { @for q in queues {
                    li { a href={ "/?queue=" (q.key) } aria-current=[(q.key == current.key).then_some("page")] { (tr(q.label)) } }
                } }
            }
        }
        form method="get" action="/" class="filters" {
            input type="hidden" name="queue" value=(current.key);
            div class="field" {
                label for="q" { (tr("Search by reference or title")) }
                input type="search" id="q" name="q" value=(query.q.clone().unwrap_or_default());
            }
            div class="field" {
                label for="status" { (tr("Status")) }
                select id="status" name="status" {
                    option value="" { (tr("Any status")) }
                    @for (code, label) in &statuses { option value=(code) selected[status.as_deref() == Some(code.as_str())] { (label) } }
                }
            }
            @if lists_missions {
                div class="field" {
                    label for="mission" { (tr("Mission")) }
                    select id="mission" name="mission" {
                        option value="" { (tr("All missions")) }
                        @for (id, name) in &sorted_missions { option value=(id) selected[query.mission.as_deref() == Some(id.as_str())] { (name) } }
                    }
                }
            }
            button type="submit" class="secondary" { (tr("Filter")) }
        }
        p {
            @if list.total_capped { (tr("More than ")) (list.total) (tr(" requests: narrow the list with search or the filters")) }
            @else { (list.total) @if list.total == 1 { (tr(" request")) } @else { (tr(" requests")) } }
        }
        @if list.items.is_empty() {
            p class="notice" { @if is_mission { (tr("Your mission has no requests here.")) } @else { (tr("No requests.")) } }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (tr("Reference")) } th scope="col" { (tr("Title")) }
                    @if lists_missions { th scope="col" { (tr("Mission")) } }
                    th scope="col" { (tr("Urgency")) } th scope="col" { (tr("Status")) } th scope="col" { (tr("Age")) }
                    @if with_ends { th scope="col" { (tr("Ends")) } }
                } }
                tbody {
                    @for r in &list.items {
                        tr {
                            td { a href={ "/requests/" (r.id) } { (r.reference.as_deref().unwrap_or(tr("Draft"))) } }
                            td { (r.title) }
                            @if lists_missions { td { (missions.get(&r.mission_id).cloned().unwrap_or_default()) } }
                            td { (tr(r.urgency.label())) }
                            td {
                                @if r.needs_action { strong { (tr("Action needed: ")) } }
                                (tr_text(r.status.label))
                            }
                            td { (age(r.submitted_at.unwrap_or(r.created_at))) }
                            @if with_ends {
                                td { @match ends.get(r.id.as_str()) {
                                    Some(Some(d)) => (date(Some(*d), "")),
                                    _ => (tr("Until further notice")),
                                } }
                            }
                        }
                    }
                }
            }
            nav class="pager" aria-label=(tr("Pages")) {
                @if let Some(href) = &previous_link { a href=(href) rel="prev" { (tr("Previous page")) } }
                span { (tr("Page ")) (page_no) @if let Some(pages) = pages { (tr(" of ")) (pages) } }
                @if let Some(href) = &next_link { a href=(href) rel="next" { (tr("Next page")) } }
            }
        }
    };
    Ok(respond(
        StatusCode::OK,
        page(&viewer.chrome(), &title, body),
    ))
}
