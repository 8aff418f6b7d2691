//! Request pages: the form (new and edit, measures added and removed without JavaScript), check
//! your answers, the request page with the actions the viewer may take now, messages and notes,
//! and the queues.

use crate::i18n::{self, tr, tr_text};
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use maud::{Markup, html};
use serde::Deserialize;

use super::AppState;
use super::attachments::Back;
use super::errors::WebError;
use super::forms::{csrf_field, error_summary};
use super::layout::{page, respond, see_other};
use super::request_details;
use super::session::Viewer;
use super::upload::{self, UploadError};
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

pub(super) fn context(state: &AppState) -> Context {
    Context::now_under(&state.settings)
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
            !((is_request_field(name)
                && !name.starts_with("event.starts_at")
                && !name.starts_with("event.ends_at")
                && !name.ends_with("arrives_at")
                && !name.ends_with("leaves_at"))
                || request_details::is_form_field(name)
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
    let mut input = RequestInput {
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
                from_time: get(f, &measure_field(i, "from_time")),
                until_time: get(f, &measure_field(i, "until_time")),
                description: get(f, &measure_field(i, "description")),
            })
            .collect(),
        ..RequestInput::default()
    };
    request_details::read_form(f, &mut input);
    input
}

/// A field's label in English; `error_summary` shows it in the reader's language.
fn label_for(field: &str) -> String {
    if let Some(label) = request_details::label_for(field) {
        return label;
    }
    if let Some((_, rest)) = field.split_once('[') {
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
        "pst_due_on" => "Due date for PST:",
        "body" => "Message:",
        "file" => "File:",
        _ => return format!("{}:", field.replace(['.', '_'], " ")),
    }
    .to_owned()
}

pub(super) fn error_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a FieldError> {
    errors.iter().find(|e| e.field == field)
}

/// A labelled control with its error; `control` draws the input itself.
pub(super) fn field(
    errors: &[FieldError],
    id: &str,
    label: &str,
    hint: Option<&str>,
    control: impl FnOnce(Option<String>) -> Markup,
) -> Markup {
    field_with_class(errors, id, label, hint, "", control)
}

/// A labelled control in a `div` with the extra class `class` (for example `if-other`: shown
/// only when the choice before it is "another address", by the stylesheet alone).
fn field_with_class(
    errors: &[FieldError],
    id: &str,
    label: &str,
    hint: Option<&str>,
    class: &str,
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
        div class={ "field" @if error.is_some() { " has-error" } @if !class.is_empty() { " " (class) } } {
            label for=(id) { (label) }
            @if let Some(h) = hint { span class="hint" id={ (id) "-hint" } { (h) } }
            @if let Some(e) = error { span class="field-error" id={ (id) "-error" } { (tr("Error: ")) (tr_text(&e.message)) } }
            (control(described))
        }
    }
}

pub(super) fn text_input(
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

pub(super) fn textarea(
    errors: &[FieldError],
    id: &str,
    label: &str,
    value: &str,
    hint: Option<&str>,
) -> Markup {
    conditional_textarea(errors, id, label, value, hint, "")
}

/// A text area in a field with the extra class `class` (a question asked only for one answer).
fn conditional_textarea(
    errors: &[FieldError],
    id: &str,
    label: &str,
    value: &str,
    hint: Option<&str>,
    class: &str,
) -> Markup {
    let invalid = error_for(errors, id).is_some();
    field_with_class(errors, id, label, hint, class, |d| {
        html! {
            textarea id=(id) name=(id) aria-describedby=[d] aria-invalid=[invalid.then_some("true")] { (value) }
        }
    })
}

pub(super) fn select(
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

/// A drop-down list that takes the focus when the page opens (`focused`).
fn select_focused(
    errors: &[FieldError],
    id: &str,
    label: &str,
    options: &[(&str, &str)],
    selected: &str,
    hint: Option<&str>,
    focused: bool,
) -> Markup {
    let invalid = error_for(errors, id).is_some();
    field(errors, id, label, hint, |d| {
        html! {
            select id=(id) name=(id) aria-describedby=[d] aria-invalid=[invalid.then_some("true")] autofocus[focused] {
                @for (value, text) in options { option value=(value) selected[*value == selected] { (text) } }
            }
        }
    })
}

// ---- the form --------------------------------------------------------------------------------

fn request_form(
    viewer: &Viewer,
    target: &FormTarget<'_>,
    input: &RequestInput,
    errors: &[FieldError],
    max_file_bytes: u64,
) -> Markup {
    let FormTarget {
        action,
        version,
        submitted,
        focus,
        ..
    } = *target;
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
        form method="post" action=(action) enctype="multipart/form-data" novalidate data-keep="request" data-keep-rebuild {
            (csrf_field(&viewer.csrf))
            @if let Some(v) = version { input type="hidden" name="version" value=(v); }
            input type="hidden" name="measure_count" value=(measures.len());
            (text_input(errors, "title", tr("Title"), &input.title, "text", Some(tr("5 to 200 characters, e.g. \u{201c}Guard during the national day reception\u{201d}."))))
            (textarea(errors, "justification", tr("Justification"), &input.justification,
                Some(tr("What prompts the request: threats received, incidents, planned demonstrations, an event. At least 20 characters."))))
            (select(errors, "urgency", tr("Urgency"), &urgencies, if input.urgency.is_empty() { "routine" } else { &input.urgency }, Some(tr("Urgent when protection is needed within days; the Ministry may then call the contact person."))))
            fieldset {
                legend { (tr("Contact person at the mission")) }
                p class="hint" { (tr("The Ministry and the police contact this person about the request.")) }
                (text_input(errors, "contact.name", tr("Name"), &input.contact_name, "text", None))
                (text_input(errors, "contact.phone", tr("Phone"), &input.contact_phone, "tel", Some(tr("International format, e.g. +47 22 00 00 00."))))
                (text_input(errors, "contact.email", tr("E-mail"), &input.contact_email, "email", None))
            }
            h2 id="measures-heading" tabindex="-1" autofocus[focus == Some(Focus::Measures)] { (tr("Measures requested")) }
            @if let Some(e) = error_for(errors, "measures") { p class="field-error" id="measures" { (tr("Error: ")) (tr_text(&e.message)) } }
            @for (i, m) in measures.iter().enumerate() {
                fieldset class="measure" id={ "measure-" (i + 1) } {
                    legend { (tr("Measure ")) (i + 1) }
                    (select_focused(errors, &measure_field(i, "kind"), tr("Kind"), &kinds, &m.kind,
                        Some(tr("Police protection is carried out by Oslo Police District; own measures beyond the premises need clearance.")), focus == Some(Focus::Measure(i))))
                    (select(errors, &measure_field(i, "location"), tr("Location"), &locations, if m.location.is_empty() { "chancery" } else { &m.location }, None))
                    (field_with_class(errors, &measure_field(i, "address"), tr("Address"), Some(tr("Street, number and postcode.")), "if-other", |d| {
                        let id = measure_field(i, "address");
                        let invalid = error_for(errors, &id).is_some();
                        html! { input type="text" id=(id) name=(id) value=(m.address) aria-describedby=[d] aria-invalid=[invalid.then_some("true")]; }
                    }))
                    (text_input(errors, &measure_field(i, "starts_on"), tr("From date"), &m.starts_on, "date", Some(tr("The first day the measure is needed."))))
                    (text_input(errors, &measure_field(i, "ends_on"), tr("Until date (optional)"), &m.ends_on, "date", Some(tr("Leave empty for until further notice."))))
                    (request_details::hours_fields(errors, i, &m.from_time, &m.until_time))
                    (textarea(errors, &measure_field(i, "description"), tr("Description"), &m.description, Some(tr("Up to 2,000 characters; required for other measures."))))
                    @if measures.len() > 1 {
                        button type="submit" name="op" value={ "remove_measure:" (i) } class="secondary" { (tr("Remove measure ")) (i + 1) }
                    }
                }
            }
            @if measures.len() < MAX_MEASURES {
                p { button type="submit" name="op" value="add_measure" class="secondary" { (tr("Add another measure")) } }
            }
            (request_details::form_fields(errors, input, match focus { Some(Focus::Person(p)) => Some(p), _ => None }))
            fieldset id="files" {
                legend { (tr("A file (optional)")) }
                (super::attachments::file_field(errors, &tr_text(&format!(
                    "A site plan, the note verbale or a letter the mission received: a PDF, PNG or JPEG file of up to {} MB. It is added when you save or continue; add more from the request's page.",
                    max_file_bytes / (1024 * 1024)
                ))))
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

/// Which form page: its title, where it posts, the version it edits, whether the request was
/// submitted already (then only "save" is offered), and where the page opens after a measure
/// was added or removed (a person goes on where they were, not at the top of the page).
#[derive(Clone, Copy)]
struct FormTarget<'a> {
    title: &'a str,
    action: &'a str,
    version: Option<i32>,
    submitted: bool,
    focus: Option<Focus>,
    /// What was just done (a success banner above the form).
    done: Option<&'a str>,
    /// The draft's files with their own upload form, below the request's form (a form cannot
    /// hold another).
    files: Option<&'a Markup>,
}

impl<'a> FormTarget<'a> {
    fn new_request() -> Self {
        FormTarget {
            title: tr("New request"),
            action: "/requests/new",
            version: None,
            submitted: false,
            focus: None,
            done: None,
            files: None,
        }
    }

    fn edit(action: &'a str, version: i32, submitted: bool) -> Self {
        FormTarget {
            title: tr("Change the request"),
            action,
            version: Some(version),
            submitted,
            focus: None,
            done: None,
            files: None,
        }
    }
}

/// Where a form page opens.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Focus {
    /// At the top (the form drawn again with what was typed before a session ended).
    Top,
    /// The kind of the measure just added.
    Measure(usize),
    /// The list of measures, after one was removed.
    Measures,
    /// A person to protect just added, or the list after one was removed.
    Person(request_details::PersonFocus),
}

fn form_page(
    viewer: &Viewer,
    status: StatusCode,
    target: FormTarget<'_>,
    input: &RequestInput,
    errors: &[FieldError],
    question: Option<&str>,
    max_file_bytes: u64,
) -> HttpResponse {
    respond(
        status,
        page(
            &viewer.chrome(),
            target.title,
            html! {
                @if target.version.is_none() || target.submitted { } @else {
                    a class="back-link" href=(target.action.trim_end_matches("/edit")) { (tr("Back to the request")) }
                }
                (super::banner::success(target.done))
                h1 { (target.title) }
                @if let Some(q) = question { (ministry_question(q)) }
                (request_form(viewer, &target, input, errors, max_file_bytes))
                @if let Some(files) = target.files { (files) }
            },
        ),
    )
}

/// The Ministry's question while it waits for the mission, shown before anything the mission
/// is asked to do.
fn ministry_question(question: &str) -> Markup {
    html! {
        section class="panel question" aria-labelledby="question-heading" {
            h2 id="question-heading" { (tr("The Ministry asks")) }
            p class="multiline" { (question) }
        }
    }
}

/// Applies "add" and "remove" buttons to the typed input, answering where the page opens
/// again; `None` when the button was another.
fn rearrange(op: &str, input: &mut RequestInput) -> Option<Focus> {
    if op == "restore" {
        return Some(Focus::Top);
    }
    if let Some(person) = request_details::rearrange(op, input) {
        return Some(Focus::Person(person));
    }
    if op == "add_measure" {
        if input.measures.is_empty() {
            input.measures.push(MeasureInput::default());
        }
        if input.measures.len() < MAX_MEASURES {
            input.measures.push(MeasureInput::default());
        }
        return Some(Focus::Measure(input.measures.len() - 1));
    }
    if let Some(i) = op
        .strip_prefix("remove_measure:")
        .and_then(|n| n.parse::<usize>().ok())
    {
        if i < input.measures.len() && input.measures.len() > 1 {
            input.measures.remove(i);
        }
        return Some(Focus::Measures);
    }
    None
}

pub async fn new_form(
    viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::DraftRequests)?;
    // What the portal knows is filled in: the contact person is, most often, the one filing.
    let input = RequestInput {
        contact_name: viewer.user.name.clone(),
        contact_email: viewer.user.email.clone(),
        ..RequestInput::default()
    };
    Ok(form_page(
        &viewer,
        StatusCode::OK,
        FormTarget::new_request(),
        &input,
        &[],
        None,
        state.settings.attachments.max_bytes,
    ))
}

/// On "Continue": every rule submission checks, at once. `Err` with all of them when what was
/// typed cannot even be kept as a draft (the form comes back and nothing is stored); `Ok` with
/// what is still missing otherwise (the draft is kept, and its form shows each problem).
fn continue_check(
    state: &AppState,
    op: &str,
    input: &RequestInput,
) -> Result<Vec<FieldError>, Vec<FieldError>> {
    if op != "review" {
        return Ok(Vec::new());
    }
    let ctx = context(state);
    let missing = req::missing_for_submission(input, &ctx);
    if !missing.is_empty() && !req::storable_as_draft(input, &ctx) {
        Err(missing)
    } else {
        Ok(missing)
    }
}

pub async fn create(
    viewer: Viewer,
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::DraftRequests)?;
    let (f, file) = read_request_form(&request, payload, &state).await?;
    refuse_foreign_request_fields(&f, false)?;
    let mut input = request_input(&f);
    let op = get(&f, "op");
    if let Some(focus) = rearrange(&op, &mut input) {
        let target = FormTarget {
            focus: Some(focus),
            ..FormTarget::new_request()
        };
        return Ok(form_page(
            &viewer,
            StatusCode::OK,
            target,
            &input,
            &[],
            None,
            state.settings.attachments.max_bytes,
        ));
    }
    // Nothing is stored without intent: an empty form creates no draft.
    if input.is_blank() {
        let errors = if op == "review" {
            req::missing_for_submission(&input, &context(&state))
        } else {
            vec![FieldError::new(
                "title",
                "Enter a title before saving the draft",
            )]
        };
        return Ok(form_page(
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            FormTarget::new_request(),
            &input,
            &errors,
            None,
            state.settings.attachments.max_bytes,
        ));
    }
    let missing = match continue_check(&state, &op, &input) {
        Ok(missing) => missing,
        Err(all) => {
            return Ok(form_page(
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                FormTarget::new_request(),
                &input,
                &all,
                None,
                state.settings.attachments.max_bytes,
            ));
        }
    };
    let (actor, ctx, typed) = (viewer.actor.clone(), context(&state), input.clone());
    match db::run(&state.pool, move |conn| {
        req::create_draft(conn, &actor, &typed, &ctx)
    })
    .await
    {
        // What was typed is kept as a draft, and its form shows every problem at once (after
        // a redirect, so that reloading the page cannot make a second draft).
        Ok(row) => {
            if let Some(refused) = attach_sent_file(&viewer, &state, row.id.as_str(), file).await? {
                return Ok(refused);
            }
            if !missing.is_empty() {
                Ok(see_other(&format!("/requests/{}/edit?check=1", row.id)))
            } else if op == "review" {
                Ok(see_other(&format!("/requests/{}/review", row.id)))
            } else {
                super::banner::set(&viewer.session, "saved");
                Ok(see_other(&format!("/requests/{}", row.id)))
            }
        }
        Err(AppError::Invalid(errors)) => Ok(form_page(
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            FormTarget::new_request(),
            &input,
            &errors,
            None,
            state.settings.attachments.max_bytes,
        )),
        Err(e) => Err(e.into()),
    }
}

/// The request form's fields, and the file chosen in it: urlencoded, or multipart when the
/// form carries a file field (the route reads it as a stream: `upload`).
async fn read_request_form(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<(HashMap<String, String>, Option<req::Upload>), WebError> {
    let max_bytes = state.settings.attachments.max_bytes;
    let form = upload::read_form(
        request,
        payload,
        "file",
        max_bytes,
        state.settings.server.max_body_bytes,
    )
    .await
    .map_err(|e| match e {
        UploadError::Repeated(name) => {
            WebError::BadRequest(format!("The field {name} was sent more than once."))
        }
        e => super::attachments::upload_refused(e, max_bytes),
    })?;
    Ok((form.fields.into_iter().collect(), form.file))
}

/// Adds the file chosen in the request's form, once the request is saved. A file the portal
/// does not take leaves the saved request as it is: its form opens again, saying so.
async fn attach_sent_file(
    viewer: &Viewer,
    state: &AppState,
    id: &str,
    file: Option<req::Upload>,
) -> Result<Option<HttpResponse>, WebError> {
    let Some(file) = file else {
        return Ok(None);
    };
    let rid = RequestId::from(id);
    let limits = super::attachments::limits(state);
    match super::attachments::add(
        state,
        viewer,
        &rid,
        file,
        req::UploadChoices::default(),
        limits,
    )
    .await
    {
        Ok(_) => Ok(None),
        Err(AppError::Invalid(errors)) => {
            let view = load(viewer, state, id).await?;
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|e| FieldError {
                    message: format!(
                        "{} {}",
                        tr("The request was saved, but not the file:"),
                        tr_text(&e.message)
                    ),
                    ..e
                })
                .collect();
            Ok(Some(edit_page_with(
                viewer,
                &view,
                &errors,
                limits.max_bytes,
            )))
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn load(
    viewer: &Viewer,
    state: &AppState,
    id: &str,
) -> Result<RequestView, WebError> {
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
    let action = format!("/requests/{}/edit", view.id);
    let done = super::banner::take(&viewer.session);
    let max_bytes = state.settings.attachments.max_bytes;
    let files = super::attachments::section(&viewer, &view, &[], Back::Edit, max_bytes);
    Ok(form_page(
        &viewer,
        StatusCode::OK,
        FormTarget {
            done: done.as_deref(),
            files: Some(&files),
            ..FormTarget::edit(&action, view.version, submitted)
        },
        &input,
        &errors,
        view.question.as_deref(),
        state.settings.attachments.max_bytes,
    ))
}

/// The form that changes the request, drawn again with a problem of its files (`errors`).
pub(super) fn edit_page_with(
    viewer: &Viewer,
    view: &RequestView,
    errors: &[FieldError],
    max_bytes: u64,
) -> HttpResponse {
    let action = format!("/requests/{}/edit", view.id);
    let files = super::attachments::section(viewer, view, errors, Back::Edit, max_bytes);
    form_page(
        viewer,
        StatusCode::UNPROCESSABLE_ENTITY,
        FormTarget {
            files: Some(&files),
            ..FormTarget::edit(&action, view.version, !view.is_draft)
        },
        &view.as_input(),
        errors,
        view.question.as_deref(),
        max_bytes,
    )
}

pub async fn update(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let (f, file) = read_request_form(&request, payload, &state).await?;
    let seen = version(&f)?;
    refuse_foreign_request_fields(&f, true)?;
    let mut input = request_input(&f);
    let op = get(&f, "op");
    let action = format!("/requests/{id}/edit");
    let view = load(&viewer, &state, &id).await?;
    let submitted = !view.is_draft;
    let question = view.question.as_deref();
    if let Some(focus) = rearrange(&op, &mut input) {
        let target = FormTarget {
            focus: Some(focus),
            ..FormTarget::edit(&action, seen, submitted)
        };
        return Ok(form_page(
            &viewer,
            StatusCode::OK,
            target,
            &input,
            &[],
            question,
            state.settings.attachments.max_bytes,
        ));
    }
    let missing = match continue_check(&state, &op, &input) {
        Ok(missing) => missing,
        Err(all) => {
            return Ok(form_page(
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                FormTarget::edit(&action, seen, submitted),
                &input,
                &all,
                question,
                state.settings.attachments.max_bytes,
            ));
        }
    };
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
        Ok(_) => {
            if let Some(refused) = attach_sent_file(&viewer, &state, &id, file).await? {
                return Ok(refused);
            }
            if !missing.is_empty() {
                Ok(see_other(&format!("/requests/{id}/edit?check=1")))
            } else if op == "review" {
                Ok(see_other(&format!("/requests/{id}/review")))
            } else {
                super::banner::set(&viewer.session, "saved");
                Ok(see_other(&format!("/requests/{id}")))
            }
        }
        Err(AppError::Invalid(errors)) => Ok(form_page(
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            FormTarget::edit(&action, seen, submitted),
            &input,
            &errors,
            question,
            state.settings.attachments.max_bytes,
        )),
        Err(e) => Err(e.into()),
    }
}

/// "File again": a new draft from this request, every date a year later; its form opens.
pub async fn file_again(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::DraftRequests)?;
    // The form carries nothing but its token.
    let _ = parse_form(&body)?;
    let (actor, ctx, id) = (
        viewer.actor.clone(),
        context(&state),
        RequestId::from(path.into_inner()),
    );
    let draft = db::run(&state.pool, move |conn| {
        req::file_again(conn, &actor, &id, &ctx)
    })
    .await?;
    super::banner::set(&viewer.session, "filed_again");
    Ok(see_other(&format!("/requests/{}/edit", draft.id)))
}

/// Asks before a draft is deleted, on its own page.
pub async fn confirm_discard(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let view = load(&viewer, &state, &path).await?;
    if !view.discardable {
        return Ok(see_other(&format!("/requests/{}", view.id)));
    }
    Ok(respond(
        StatusCode::OK,
        page(
            &viewer.chrome(),
            tr("Delete the draft"),
            html! {
                a class="back-link" href={ "/requests/" (view.id) } { (tr("Back to the draft")) }
                h1 { (tr("Are you sure you want to delete this draft?")) }
                p { strong { (view.title) } }
                p { (tr("The draft and everything typed into it are deleted. This cannot be undone.")) }
                form method="post" action={ "/requests/" (view.id) "/discard" } class="actions" {
                    (csrf_field(&viewer.csrf))
                    input type="hidden" name="version" value=(view.version);
                    button type="submit" class="warning" { (tr("Yes, delete the draft")) }
                    " "
                    a class="button secondary" href={ "/requests/" (view.id) } { (tr("No, keep it")) }
                }
            },
        ),
    ))
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
    super::banner::set(&viewer.session, "discarded");
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

pub(super) fn when(t: NaiveDateTime) -> String {
    i18n::oslo(t)
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
                a class="back-link" href=(edit) { (tr("Back to the form")) }
                h1 { (tr("Check your answers before submitting")) }
                dl class="summary-list" {
                    div { dt { (tr("Title")) } dd { (r.title) } dd class="change" { a href={ (edit) "#title" } { (tr("Change")) span class="visually-hidden" { " " (tr("Title")) } } } }
                    div { dt { (tr("Justification")) } dd class="multiline" { (r.justification) } dd class="change" { a href={ (edit) "#justification" } { (tr("Change")) span class="visually-hidden" { " " (tr("Justification")) } } } }
                    div { dt { (tr("Urgency")) } dd { (tr(r.urgency.label())) } dd class="change" { a href={ (edit) "#urgency" } { (tr("Change")) span class="visually-hidden" { " " (tr("Urgency")) } } } }
                    div { dt { (tr("Contact")) } dd { (r.contact.name) ", " (r.contact.phone) ", " (r.contact.email) } dd class="change" { a href={ (edit) "#contact.name" } { (tr("Change")) span class="visually-hidden" { " " (tr("Contact")) } } } }
                    @if let Some(d) = view.needed_by {
                        div { dt { (tr("Protection needed from")) } dd { (i18n::date(d)) } dd class="change" {} }
                    }
                }
                (request_details::summary(view, Some(&edit)))
                (measures_table(view, false))
                p { a href={ (edit) "#measures-heading" } { (tr("Change the measures")) } }
                @if !view.attachments.is_empty() {
                    h2 { (tr("Files")) }
                    ul class="files" {
                        @for a in &view.attachments { li { (a.filename) } }
                    }
                    p { a href={ (edit) "#attachments-heading" } { (tr("Change the files")) } }
                }
                @if view.late_notice && r.urgency == Urgency::Routine {
                    div class="warning-text" role="note" {
                        strong { (tr("Short notice. ")) }
                        (tr("Protection is needed in fewer working days than the Ministry usually needs to arrange it. If it is urgent, mark the request urgent, so that the Ministry can call your contact person."))
                        " " a href={ (edit) "#urgency" } { (tr("Change the urgency")) }
                    }
                }
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
        table class="stacking" {
            caption { (tr("Measures")) }
            thead { tr {
                th scope="col" { (tr("Measure")) } th scope="col" { (tr("Location")) } th scope="col" { (tr("From")) } th scope="col" { (tr("Until")) } th scope="col" { (tr("Daily hours")) } th scope="col" { (tr("Description")) }
                @if show_outcomes { th scope="col" { (tr("Decision")) } th scope="col" { (tr("In place")) } }
            } }
            tbody {
                @for m in &view.measures {
                    tr {
                        td data-label=(tr("Measure")) { (kind_label(m.kind)) }
                        td data-label=(tr("Location")) { (location_label(m)) }
                        td data-label=(tr("From")) { (date(m.starts_on, "–")) }
                        td data-label=(tr("Until")) { (date(m.ends_on, tr("Until further notice"))) }
                        td data-label=(tr("Daily hours")) { (request_details::hours(m).unwrap_or_else(|| tr("All day").to_owned())) }
                        td data-label=(tr("Description")) class="multiline" { (m.description) }
                        @if show_outcomes {
                            td data-label=(tr("Decision")) {
                                @if let Some(d) = &m.decision {
                                    (tr(d.outcome.label()))
                                    @if let Some(c) = &d.conditions { br; (tr("Conditions: ")) (c) }
                                    @if let Some(r) = &d.decline_reason { br; (tr("Reason: ")) (r) }
                                } @else { "–" }
                            }
                            td data-label=(tr("In place")) {
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

pub(super) fn classification_options(view: &RequestView) -> Vec<(&'static str, &'static str)> {
    view.classification_choices
        .iter()
        .map(|c| (c.code(), tr(c.marking())))
        .collect()
}

/// The starting text of the formal reply, in the reader's language, for the MFA officer to edit
/// before sending. The courtesy formulas of a note verbale and the decision on each measure are
/// not in it: the mission reads both beside the reply, on its page and in the note verbale
/// (`documents::reply`).
fn reply_starting_text(view: &RequestView) -> String {
    let approved = view.measures.iter().filter(|m| m.is_approved()).count();
    if view.measures.len() == 1 {
        return tr_text(&format!(
            "The Norwegian authorities have considered the request {}. The decision on the measure requested, with any conditions, is set out below.",
            view.reference.as_deref().unwrap_or("")
        ));
    }
    tr_text(&format!(
        "The Norwegian authorities have considered the request {}. Of the {} measures requested, {} are approved. The decision on each measure, with any conditions, is set out below.",
        view.reference.as_deref().unwrap_or(""),
        view.measures.len(),
        approved
    ))
}

/// What the person typed into the action forms, kept when the page comes back with errors.
pub(super) type Typed = HashMap<String, String>;

fn typed_value<'a>(typed: &'a Typed, name: &str) -> &'a str {
    typed.get(name).map(String::as_str).unwrap_or("")
}

fn action_form(
    viewer: &Viewer,
    view: &RequestView,
    action: Action,
    errors: &[FieldError],
    typed: &Typed,
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
    let v = |name: &str| typed_value(typed, name).to_owned();
    let mission_reads = tr("The mission will read this.");
    let authorities_only = tr("Only the Norwegian authorities read this.");
    let destructive = is_destructive(action);
    html! {
        form method="post" action={ "/requests/" (id) "/transitions" } class={ "action-form" @if destructive { " destructive" } }
            data-keep=[disclosure::may_keep_typed_text(action).then(|| format!("action:{}", action.code()))] {
            (csrf_field(&viewer.csrf))
            input type="hidden" name="action" value=(action.code());
            input type="hidden" name="version" value=(view.version);
            h3 { (tr(action.label())) }
            @match action {
                Action::Take => {
                    (select(errors, "assignee_id", tr("Assign to"), &assign_options, &v("assignee_id"), Some(tr("Take the request to start the triage, yourself or for a colleague."))))
                }
                Action::RequestInformation => {
                    (textarea(errors, "message", tr("Question to the mission"), &v("message"), Some(mission_reads)))
                }
                Action::ProvideInformation => {
                    (textarea(errors, "message", tr("Your answer to the Ministry"), &v("message"), Some(tr("The Ministry reads this. To change the request itself, use \u{201c}Change the request to answer\u{201d}."))))
                }
                Action::Reject => {
                    (textarea(errors, "reason", tr("Reason for rejecting"), &v("reason"), Some(mission_reads)))
                }
                Action::Withdraw => {
                    (textarea(errors, "reason", tr("Reason (optional)"), &v("reason"), Some(tr("The Ministry reads this."))))
                }
                Action::EndMeasures => {
                    (textarea(errors, "reason", tr("Reason (optional)"), &v("reason"), Some(authorities_only)))
                }
                Action::ReturnToMfa => {
                    (textarea(errors, "note.body", tr("Internal note for the MFA"), &v("note.body"), Some(tr("Only the Norwegian authorities read this. For example: what the police need from the mission."))))
                    (select(errors, "note.classification", tr("Classification"), &classes, typed.get("note.classification").map(String::as_str).unwrap_or("unclassified"), None))
                }
                Action::SubmitAssessment => {
                    @let levels: Vec<(&str, &str)> = std::iter::once(("", tr("Choose a threat level"))).chain(ThreatLevel::ALL.iter().map(|l| (l.code(), tr(l.label())))).collect();
                    (select(errors, "assessment.threat_level", tr("Threat level"), &levels, &v("assessment.threat_level"), Some(tr("The police read the level; the mission never does."))))
                    (textarea(errors, "assessment.summary", tr("Summary"), &v("assessment.summary"), Some(tr("Read by PST and, within their clearance, the police and the MFA; never by the mission."))))
                    (select(errors, "assessment.classification", tr("Classification"), &classes, typed.get("assessment.classification").map(String::as_str).unwrap_or("restricted"), None))
                    (text_input(errors, "assessment.declassify_on", tr("Declassify on (optional)"), &v("assessment.declassify_on"), "date", Some(tr("At most 30 years from today; 30 years if left empty."))))
                }
                Action::Decide => {
                    @let outcomes: Vec<(&str, &str)> = std::iter::once(("", tr("Choose a decision"))).chain(Outcome::ALL.iter().map(|o| (o.code(), tr(o.label())))).collect();
                    p class="hint" { (tr("The mission reads each decision and its conditions once the Ministry sends its formal reply.")) }
                    @for (i, m) in view.measures.iter().enumerate() {
                        fieldset class="decision" {
                            legend { (tr("Measure ")) (i + 1) ": " (kind_label(m.kind)) }
                            input type="hidden" name={ "outcomes[" (i) "].measure_id" } value=(m.id);
                            (select(errors, &format!("outcomes[{i}].outcome"), tr("Decision"), &outcomes, &v(&format!("outcomes[{i}].outcome")), None))
                            @let conditions = format!("outcomes[{i}].conditions");
                            (conditional_textarea(errors, &conditions, tr("Conditions"), &v(&conditions), Some(mission_reads), "if-conditions"))
                            @let reason = format!("outcomes[{i}].reason");
                            (conditional_textarea(errors, &reason, tr("Reason for declining (optional)"), &v(&reason), Some(mission_reads), "if-declined"))
                        }
                    }
                    input type="hidden" name="outcome_count" value=(view.measures.len());
                }
                Action::CommunicateDecision => {
                    @let reply = typed.get("reply").cloned().unwrap_or_else(|| reply_starting_text(view));
                    (textarea(errors, "reply", tr("Formal reply to the mission"), &reply, Some(tr("The mission will read this. A starting text is filled in from the decisions; change it as needed, then preview it."))))
                }
                Action::ConfirmImplementation => {
                    @for (i, m) in approved.iter().enumerate() {
                        input type="hidden" name={ "implemented[" (i) "].measure_id" } value=(m.id);
                        @let name = format!("implemented[{i}].implemented_on");
                        @let value = typed.get(&name).cloned().unwrap_or_else(|| today.clone());
                        (text_input(errors, &name, &tr_text(&format!("Measure {}: {} — in place from", i + 1, kind_label(m.kind))), &value, "date", Some(tr("Today, or a later date if the measure is scheduled ahead: the mission reads \u{201c}Measures scheduled\u{201d} until then."))))
                    }
                    input type="hidden" name="implemented_count" value=(approved.len());
                }
                Action::ReferToPst => {
                    (text_input(errors, "pst_due_on", tr("Due date for PST (optional)"), &v("pst_due_on"), "date", Some(tr("Leave empty for three working days from today, and no later than a working day before the police's own due date."))))
                }
                Action::Review => {
                    p class="hint" { (tr("Keep the measures in place after considering the mission's situation. To stop them, use \u{201c}End the measures\u{201d} below.")) }
                    (textarea(errors, "note.body", tr("Internal note on the review"), &v("note.body"), Some(tr("Only the Norwegian authorities read this. For example: what was considered and why the measures stay."))))
                    (select(errors, "note.classification", tr("Classification"), &classes, typed.get("note.classification").map(String::as_str).unwrap_or("unclassified"), None))
                    (text_input(errors, "next_review_on", tr("Next review (optional)"), &v("next_review_on"), "date", Some(&tr_text(&format!("Leave empty for {} days from today, the longest interval.", view.review_interval_days)))))
                }
                Action::Submit | Action::ForwardToPolice | Action::Escalate | Action::ReviewDue => {}
            }
            @if destructive {
                div class="field checkbox" {
                    input type="checkbox" id={ "confirm-" (action.code()) } name="confirm" value=(action.code());
                    label for={ "confirm-" (action.code()) } { (tr(confirmation_text(action))) }
                }
            }
            @if action == Action::CommunicateDecision {
                button type="submit" name="op" value="preview" { (tr("Preview the reply")) }
            } @else {
                button type="submit" class=(if destructive { "warning" } else { "" }) { (tr(action.label())) }
            }
        }
    }
}

/// What a person ticks before a destructive step.
fn confirmation_text(action: Action) -> &'static str {
    match action {
        Action::Reject => "I am sure: reject the request as not admissible",
        Action::Withdraw => "I am sure: withdraw the request",
        _ => "I am sure: end the measures now",
    }
}

/// The field of `TransitionFields` (the API's name) a transition form's field belongs to; `""`
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
        "csrf_token" | "action" | "version" | "op" | "confirm" => Some(""),
        "assignee_id" => Some("assignee_id"),
        "message" => Some("message"),
        "reason" => Some("reason"),
        "reply" => Some("reply"),
        "pst_due_on" => Some("pst_due_on"),
        "next_review_on" => Some("next_review_on"),
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
        _ if indexed(
            "outcomes[",
            &["measure_id", "outcome", "conditions", "reason"],
        ) =>
        {
            Some("outcomes")
        }
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
        pst_due_on: opt(f, "pst_due_on"),
        next_review_on: opt(f, "next_review_on"),
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
                // A question hidden for the decision chosen was not answered: what it still
                // holds from an earlier choice is not sent on.
                conditions: opt(f, &format!("outcomes[{i}].conditions")).filter(|_| {
                    get(f, &format!("outcomes[{i}].outcome")) == "approved_with_conditions"
                }),
                reason: opt(f, &format!("outcomes[{i}].reason"))
                    .filter(|_| get(f, &format!("outcomes[{i}].outcome")) == "declined"),
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

/// Destructive steps come last on the page and ask for a tick before they are taken.
fn is_destructive(action: Action) -> bool {
    matches!(
        action,
        Action::Reject | Action::Withdraw | Action::EndMeasures
    )
}

/// A periodic review's tag once its day has come: due today, or overdue after.
pub(super) fn review_tag(on: chrono::NaiveDate, today: chrono::NaiveDate) -> Markup {
    use crate::domain::review::{self, ReviewStatus};
    let status = review::status(on, today);
    html! {
        @match status {
            ReviewStatus::Scheduled => {},
            ReviewStatus::Due => { " " strong class="tag tag-orange" { (tr(status.label())) } },
            ReviewStatus::Overdue => { " " strong class="tag tag-red" { (tr(status.label())) } },
        }
    }
}

/// A status as a coloured tag: the colour follows what the status means for the reader.
pub fn status_tag(code: &str, label: &str) -> Markup {
    let tone = match code {
        "draft" => "grey",
        "approved" | "measures_in_place" | "in_effect" => "green",
        "partly_approved" => "turquoise",
        "declined" | "rejected" | "not_admissible" => "red",
        "withdrawn" | "ended" => "grey",
        "information_requested" | "awaiting_mission" => "orange",
        _ => "blue",
    };
    html! { strong class={ "tag tag-" (tone) } data-status=(code) { (tr_text(label)) } }
}

pub(super) fn request_page(
    viewer: &Viewer,
    view: &RequestView,
    errors: &[FieldError],
    status: StatusCode,
    done: Option<&str>,
    typed: &Typed,
    max_bytes: u64,
) -> HttpResponse {
    let r = view;
    let is_mission = view.addressed_as_mission;
    let title = r
        .reference
        .clone()
        .unwrap_or_else(|| "Draft request".to_owned());
    let external_allowed = view.message_rights.external;
    let internal_allowed = view.message_rights.internal;
    let mut actions: Vec<Action> = view
        .actions
        .iter()
        .copied()
        .filter(|a| *a != Action::Submit)
        .collect();
    // The most common first, destructive ones last (the table's order otherwise).
    actions.sort_by_key(|a| is_destructive(*a));
    respond(
        status,
        page(
            &viewer.chrome(),
            &title,
            html! {
                a class="back-link" href="/" { @if is_mission { (tr("Back to your requests")) } @else { (tr("Back to the queue")) } }
                (marking_banner(view))
                (super::banner::success(done))
                (error_summary(errors, label_for))
                p class="caption" {
                    (r.reference.as_deref().unwrap_or(tr("Draft"))) " · "
                    @if view.mission_page_linked { a href={ "/missions/" (view.mission_id) } { (view.mission_name) } } @else { (view.mission_name) }
                }
                h1 { (r.title) }
                @if let Some(q) = &view.question {
                    @if is_mission { (ministry_question(q)) }
                }
                dl class="facts" {
                    dt { (tr("Status")) } dd { (status_tag(view.status.code, view.status.label)) }
                    dt { (tr("Urgency")) } dd { (tr(r.urgency.label())) }
                    @if let Some(d) = view.needed_by {
                        dt { (tr("Protection needed from")) }
                        dd { (i18n::date(d)) @if view.late_notice && !view.is_draft { " " strong class="tag tag-orange" { (tr("Late notice")) } } }
                    }
                    @if let Some(t) = r.submitted_at { dt { (tr("Submitted")) } dd { (when(t)) } }
                    @if let Some(d) = view.reply_expected_by {
                        dt { (tr("Reply expected by")) }
                        dd { @if d < crate::domain::time::oslo_date(app::now()) { (tr("As soon as possible")) } @else { (i18n::date(d)) } }
                    }
                    @if let Some((_, name)) = &view.assigned_officer {
                        dt { @if is_mission { (tr("Your contact at the Ministry")) } @else { (tr("Assigned MFA officer")) } } dd { (name) }
                    }
                    @if let Some(due) = &view.due {
                        dt { (tr("Due now")) }
                        dd {
                            (tr(due.stage.label())) ": " (i18n::date(due.due_on))
                            @if due.overdue { " " strong class="tag tag-red" { (tr("Overdue")) } }
                        }
                    }
                    @if let Some((on, _)) = view.review {
                        dt { (tr("Next review")) }
                        dd { (i18n::date(on)) (review_tag(on, crate::domain::time::oslo_date(app::now()))) }
                    }
                    dt { (tr("Contact at the mission")) } dd { (r.contact.name) ", " (r.contact.phone) ", " (r.contact.email) }
                }
                (request_details::summary(view, None))
                @if !view.deadlines.is_empty() {
                    details class="deadlines" {
                        summary { (tr("Due dates of every stage")) }
                        table class="stacking" {
                            thead { tr { th scope="col" { (tr("Stage")) } th scope="col" { (tr("Due")) } th scope="col" { (tr("Done")) } } }
                            tbody {
                                @for d in &view.deadlines {
                                    tr {
                                        td data-label=(tr("Stage")) { (tr(d.stage.label())) }
                                        td data-label=(tr("Due")) {
                                            (i18n::date(d.due_on))
                                            @if d.overdue { " " strong class="tag tag-red" { (tr("Overdue")) } }
                                        }
                                        td data-label=(tr("Done")) { (date(d.met_on, "–")) }
                                    }
                                }
                            }
                        }
                    }
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
                (super::attachments::document_links(view))
                (super::attachments::section(viewer, view, errors, Back::Request, max_bytes))

                @if view.editable || view.discardable {
                    div class="actions" {
                        @if view.is_draft && view.actions.contains(&Action::Submit) {
                            a class="button" href={ "/requests/" (r.id) "/review" } { (tr("Check and submit")) } " "
                        }
                        @if view.editable {
                            a class="button secondary" href={ "/requests/" (r.id) "/edit" } {
                                @if view.question.is_some() { (tr("Change the request to answer")) } @else { (tr("Change the request")) }
                            } " "
                        }
                        @if view.discardable {
                            a class="button warning" href={ "/requests/" (r.id) "/discard" } { (tr("Delete the draft")) }
                        }
                    }
                }
                @if !actions.is_empty() {
                    section aria-labelledby="actions-heading" {
                        h2 id="actions-heading" { (tr("What you can do now")) }
                        @for a in &actions { (action_form(viewer, view, *a, errors, typed)) }
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
                    h2 id="messages-heading" tabindex="-1" { @if is_mission { (tr("Messages")) } @else { (tr("Messages and internal notes")) } }
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
                        form method="post" action={ "/requests/" (r.id) "/messages" } class="action-form"
                            data-keep=[disclosure::may_keep_message_text(&view.message_rights).then_some("message")] {
                            (csrf_field(&viewer.csrf))
                            h3 { @if external_allowed && !internal_allowed { (tr("Write to the Ministry")) } @else { (tr("Add a message or note")) } }
                            @let hint = if external_allowed && internal_allowed {
                                tr("Who reads it depends on the choice below: the mission reads an external message.")
                            } else if internal_allowed {
                                tr("Only the Norwegian authorities read this.")
                            } else {
                                tr("The Ministry reads this.")
                            };
                            (textarea(errors, "body", tr("Text"), "", Some(hint)))
                            @if external_allowed && internal_allowed {
                                (select(errors, "visibility", tr("Who sees it"), &[("internal", tr("Norwegian authorities only (internal note)")), ("external", tr("The mission too (external message)"))], "internal", None))
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

                @if is_mission && !view.is_draft {
                    section aria-labelledby="again-heading" {
                        h2 id="again-heading" { (tr("The same again next year")) }
                        form method="post" action={ "/requests/" (r.id) "/file-again" } {
                            (csrf_field(&viewer.csrf))
                            p class="hint" { (tr("For a yearly event: a new draft with the same content and every date a year later, to check and submit.")) }
                            button type="submit" class="secondary" { (tr("File again for next year")) }
                        }
                    }
                }
                section aria-labelledby="timeline-heading" {
                    h2 id="timeline-heading" { (tr("History")) }
                    ol class="timeline" {
                        @for t in &view.timeline {
                            li {
                                span class="hint" { (when(t.at)) } " "
                                strong { (tr_text(&t.action)) @if let Some(to) = &t.to { (tr(" to ")) (who(to)) } }
                                @if t.to.as_ref() != Some(&t.by) { (tr(" by ")) (who(&t.by)) }
                                " · " (status_tag(t.status_code, t.status))
                            }
                        }
                    }
                }
                (marking_banner(view))
            },
        ),
    )
}

pub async fn show(
    mut viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let view = load(&viewer, &state, &path).await?;
    // Opening a request reads what the person was told about it. Best effort: a busy database
    // delays the badge, never the page.
    if viewer.unread > 0 {
        let (actor, id) = (viewer.actor.clone(), view.id.clone());
        match db::run(&state.pool, move |conn| {
            app::notifications::read_about(conn, &actor, id.as_str(), app::now())
        })
        .await
        {
            Ok(read) => viewer.unread = (viewer.unread - read as i64).max(0),
            Err(e) => tracing::warn!(error = %e, "notifications not marked read"),
        }
    }
    let done = super::banner::take(&viewer.session);
    Ok(request_page(
        &viewer,
        &view,
        &[],
        StatusCode::OK,
        done.as_deref(),
        &Typed::new(),
        state.settings.attachments.max_bytes,
    ))
}

/// The receipt of a submitted request: its reference, when and by whom it was submitted, and the
/// request as it stands, laid out to print (or save as PDF from the browser's print dialog).
pub async fn receipt(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let view = load(&viewer, &state, &path).await?;
    let (Some(reference), Some(at)) = (view.reference.clone(), view.submitted_at) else {
        return Ok(see_other(&format!("/requests/{}", view.id)));
    };
    let by = view
        .timeline
        .iter()
        .find(|t| t.action == Action::Submit.past())
        .map(|t| who(&t.by));
    let r = &view;
    Ok(respond(
        StatusCode::OK,
        page(
            &viewer.chrome(),
            tr("Receipt"),
            html! {
                a class="back-link" href={ "/requests/" (r.id) } { (tr("Back to the request")) }
                h1 { (tr("Receipt for a request for protection")) }
                dl class="facts" {
                    dt { (tr("Reference")) } dd { strong { (reference) } }
                    dt { (tr("Mission")) } dd { (r.mission_name) }
                    dt { (tr("Submitted")) } dd { (when(at)) @if let Some(by) = &by { (tr(" by ")) (by) } }
                    dt { (tr("Received by")) } dd { (tr("Ministry of Foreign Affairs · Diplomatic Section")) }
                }
                h2 { (tr("The request")) }
                dl class="facts" {
                    dt { (tr("Title")) } dd { (r.title) }
                    dt { (tr("Justification")) } dd class="multiline" { (r.justification) }
                    dt { (tr("Urgency")) } dd { (tr(r.urgency.label())) }
                    dt { (tr("Contact")) } dd { (r.contact.name) ", " (r.contact.phone) ", " (r.contact.email) }
                    @if let Some(d) = r.needed_by { dt { (tr("Protection needed from")) } dd { (i18n::date(d)) } }
                }
                (measures_table(r, false))
                p { (tr("The Ministry of Foreign Affairs will send its formal reply through the portal, with the decision on each measure.")) }
                p class="hint" { (tr("Print this page, or save it as PDF from the browser's print dialog, to keep the receipt.")) }
            },
        ),
    ))
}

/// After submitting: the reference, what happens next, by when, and whom to call.
pub async fn submitted(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let view = load(&viewer, &state, &path).await?;
    let Some(reference) = view.reference.clone().filter(|_| view.addressed_as_mission) else {
        return Ok(see_other(&format!("/requests/{}", view.id)));
    };
    let phone = state.settings.contact.urgent_phone.clone();
    Ok(respond(
        StatusCode::OK,
        page(
            &viewer.chrome(),
            tr("Request submitted"),
            html! {
                div class="confirmation-panel" {
                    h1 { (tr("Request submitted")) }
                    p { (tr("Your reference")) br; strong class="reference" { (reference) } }
                }
                p { (tr("The Ministry of Foreign Affairs has received your request and sent you a confirmation by e-mail.")) }
                h2 { (tr("What happens next")) }
                ol class="steps" {
                    li { (tr("The Diplomatic Section checks the request and forwards it to Oslo Police District.")) }
                    li { (tr("The Ministry may ask you for more information. You will get an e-mail; answer on the request's page.")) }
                    li { (tr("The Ministry sends you its formal reply, with the decision on each measure.")) }
                }
                @if let Some(d) = view.reply_expected_by {
                    p { (tr("You can expect the reply by ")) strong { (i18n::date(d)) } "." }
                }
                h2 { (tr("If it is urgent")) }
                p { (tr("Call the Ministry's Diplomatic Section on ")) strong { (phone) } (tr(" and give your reference. In an emergency, call the police on 112.")) }
                p { a href={ "/requests/" (view.id) "/receipt.pdf" } { (tr("Your receipt as a PDF, to keep")) } " " (tr("or")) " " a href={ "/requests/" (view.id) "/receipt" } { (tr("see it as a page to print")) } }
                p { a href={ "/requests/" (view.id) } { (tr("See the request you submitted")) } }
                p { a href="/" { (tr("Back to your requests")) } }
            },
        ),
    ))
}

/// The formal reply as the mission will read it, with the decisions, before it is sent.
fn reply_preview(viewer: &Viewer, view: &RequestView, reply: &str) -> HttpResponse {
    let action = format!("/requests/{}/transitions", view.id);
    respond(
        StatusCode::OK,
        page(
            &viewer.chrome(),
            tr("Check the formal reply"),
            html! {
                p class="caption" { (view.reference.as_deref().unwrap_or("")) " · " (view.mission_name) }
                h1 { (tr("Check the formal reply before sending it")) }
                p { (tr("This is what the mission will read, with the decision on each measure. It cannot be changed once sent.")) }
                section class="panel preview" aria-labelledby="reply-heading" {
                    h2 id="reply-heading" { (tr("Formal reply from the Ministry of Foreign Affairs")) }
                    p class="multiline" { (reply) }
                }
                (measures_table(view, true))
                form method="post" action=(action) class="actions" {
                    (csrf_field(&viewer.csrf))
                    input type="hidden" name="action" value=(Action::CommunicateDecision.code());
                    input type="hidden" name="version" value=(view.version);
                    input type="hidden" name="reply" value=(reply);
                    button type="submit" name="op" value="send" { (tr("Send the formal reply")) }
                    " "
                    button type="submit" name="op" value="change" class="secondary" { (tr("Change the reply")) }
                }
            },
        ),
    )
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
    let action = input.action();
    // A destructive step is taken only when its box is ticked; nothing typed is lost meanwhile.
    if is_destructive(action) && get(&f, "confirm") != action.code() {
        let view = load(&viewer, &state, &id).await?;
        let errors = [FieldError::new(
            format!("confirm-{}", action.code()),
            match action {
                Action::Reject => "Tick the box to confirm that the request is to be rejected",
                Action::Withdraw => "Tick the box to confirm that the request is to be withdrawn",
                _ => "Tick the box to confirm that the measures are to end now",
            },
        )];
        return Ok(request_page(
            &viewer,
            &view,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            &f,
            state.settings.attachments.max_bytes,
        ));
    }
    // The formal reply is read as the mission will read it before it is sent.
    if action == Action::CommunicateDecision && get(&f, "op") != "send" {
        let view = load(&viewer, &state, &id).await?;
        let reply = get(&f, "reply");
        if get(&f, "op") == "preview"
            && let Err(e) = crate::domain::text::check_text("reply", &reply, 1, 10_000, true)
        {
            return Ok(request_page(
                &viewer,
                &view,
                &[e],
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &f,
                state.settings.attachments.max_bytes,
            ));
        }
        if get(&f, "op") == "preview" {
            return Ok(reply_preview(&viewer, &view, &reply));
        }
        // "Change the reply": back to the request page with the text as it was.
        return Ok(request_page(
            &viewer,
            &view,
            &[],
            StatusCode::OK,
            None,
            &f,
            state.settings.attachments.max_bytes,
        ));
    }
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
        Ok(_) if action == Action::Submit => Ok(see_other(&format!("/requests/{id}/submitted"))),
        Ok(_) => {
            super::banner::set(&viewer.session, action.code());
            Ok(see_other(&format!("/requests/{id}")))
        }
        Err(AppError::Invalid(errors)) => {
            let view = load(&viewer, &state, &id).await?;
            if input.action() == Action::Submit {
                // Something changed since the review (a start date passed): back to the form,
                // with each problem beside its field.
                Ok(form_page(
                    &viewer,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    FormTarget::edit(&format!("/requests/{id}/edit"), view.version, false),
                    &view.as_input(),
                    &errors,
                    None,
                    state.settings.attachments.max_bytes,
                ))
            } else {
                Ok(request_page(
                    &viewer,
                    &view,
                    &errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    &f,
                    state.settings.attachments.max_bytes,
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
    let internal = get(&f, "visibility") == "internal";
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
        Ok(()) => {
            super::banner::set(&viewer.session, if internal { "note" } else { "message" });
            Ok(see_other(&format!("/requests/{id}#messages-heading")))
        }
        Err(AppError::Invalid(errors)) => {
            let view = load(&viewer, &state, &id).await?;
            Ok(request_page(
                &viewer,
                &view,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &f,
                state.settings.attachments.max_bytes,
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
pub(super) fn who(by: &Name) -> String {
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
    let today = crate::domain::time::oslo_date(app::now());
    let mut filter: ListFilter = req::queue_filter(&viewer.actor, current.key, today);
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
    // Missions see only their own requests: no other mission is named to them.
    let lists_missions = disclosure::may_filter_by_mission(&viewer.actor);
    let besides = req::Besides {
        tabs: if queues.len() > 1 {
            req::queue_filters(&viewer.actor)
        } else {
            Vec::new()
        },
        missions: lists_missions,
    };
    let list: ListPage = db::run(&state.pool, move |conn| {
        req::list_with(conn, &actor, &filter, &at, PER_PAGE, &besides)
    })
    .await?;
    let counts: HashMap<&str, i64> = queues
        .iter()
        .map(|q| q.key)
        .zip(list.tab_counts.iter().copied())
        .collect();
    let is_mission = disclosure::addressed_as_mission(&viewer.actor);
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
            viewer.mission_name.clone().unwrap_or_default()
        )
    } else {
        tr(current.label).to_owned()
    };
    let body = html! {
        (super::banner::success(super::banner::take(&viewer.session).as_deref()))
        h1 { (title) }
        @if is_mission {
            p { a class="button" href="/requests/new" { (tr("Start a new request")) } }
        } @else {
            nav aria-label=(tr("Queues")) class="tabs" {
                ul { @for q in queues {
                    li { a href={ "/?queue=" (q.key) } aria-current=[(q.key == current.key).then_some("page")] {
                        (tr(q.label))
                        @if let Some(n) = counts.get(q.key) {
                            " " span class="count" {
                                @if *n > req::TAB_COUNT_CAP { (req::TAB_COUNT_CAP) "+" } @else { (n) }
                            }
                        }
                    } }
                } }
            }
        }
        form method="get" action="/" class="filters" {
            input type="hidden" name="queue" value=(current.key);
            div class="field" {
                label for="q" { (tr("Search")) }
                div id="q-hint" class="hint" { (tr("Words of a request, its reference or its mission")) }
                input type="search" id="q" name="q" aria-describedby="q-hint" value=(query.q.clone().unwrap_or_default());
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
                        @for (id, name) in &list.missions { option value=(id) selected[query.mission.as_deref() == Some(id.as_str())] { (name) } }
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
            table class="stacking" {
                thead { tr {
                    th scope="col" { (tr("Reference")) } th scope="col" { (tr("Title")) }
                    @if lists_missions { th scope="col" { (tr("Mission")) } }
                    th scope="col" { (tr("Urgency")) } th scope="col" { (tr("Needed from")) }
                    @if !is_mission { th scope="col" { (tr("Due")) } }
                    th scope="col" { (tr("Status")) } th scope="col" { (tr("Age")) }
                    @if with_ends { th scope="col" { (tr("Ends")) } }
                } }
                tbody {
                    @for r in &list.items {
                        tr {
                            td data-label=(tr("Reference")) { a href={ "/requests/" (r.id) } { (r.reference.as_deref().unwrap_or(tr("Draft"))) } }
                            td data-label=(tr("Title")) {
                                @if let Some(found) = &r.found {
                                    (fragments(&found.title))
                                    @if let Some((field, passage)) = &found.passage {
                                        p class="found-in" { span class="found-field" { (tr(field.label())) ": " } (fragments(passage)) }
                                    }
                                } @else { (r.title) }
                            }
                            @if lists_missions { td data-label=(tr("Mission")) { (r.mission_name) } }
                            td data-label=(tr("Urgency")) { @if r.urgency == Urgency::Urgent { strong class="tag tag-red" { (tr(r.urgency.label())) } } @else { (tr(r.urgency.label())) } }
                            td data-label=(tr("Needed from")) { (date(r.needed_by, "–")) }
                            @if !is_mission {
                                td data-label=(tr("Due")) {
                                    @if let Some(review_on) = r.next_review_on {
                                        (tr("Review ")) (date(Some(review_on), ""))
                                        (review_tag(review_on, today))
                                    } @else {
                                        (date(r.due_on, "–"))
                                        @if r.overdue(today) { " " strong class="tag tag-red" { (tr("Overdue")) } }
                                    }
                                }
                            }
                            td data-label=(tr("Status")) {
                                (status_tag(r.status.code, r.status.label))
                                @if r.needs_action { " " strong class="tag tag-yellow" { (tr("Action needed")) } }
                            }
                            td data-label=(tr("Age")) { (age(r.submitted_at.unwrap_or(r.created_at))) }
                            @if with_ends {
                                td data-label=(tr("Ends")) { @match r.approved_until {
                                    Some(Some(d)) => (date(Some(d), "")),
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

/// Text as a search found it: the words found marked.
fn fragments(pieces: &[crate::domain::search::Fragment]) -> Markup {
    html! {
        @for piece in pieces {
            @if piece.found { mark { (piece.text) } } @else { (piece.text) }
        }
    }
}
