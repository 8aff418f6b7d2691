//! The account page: who you are, change password, recovery codes, your sessions.

use crate::i18n::{self, tr};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;

use super::AppState;
use super::errors::WebError;
use super::forms::{Input, csrf_field, error_summary};
use super::layout::{page, respond, see_other};
use super::session::{SESSION_LABEL, Viewer};
use super::sign_in::recovery_codes_page;
use crate::app::{self, AppError, account};
use crate::db::{self, missions};
use crate::domain::FieldError;
use crate::domain::access::Capability;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordForm {
    #[serde(rename = "csrf_token")]
    _csrf: String,
    current_password: String,
    new_password: String,
    new_password_confirmation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodesForm {
    #[serde(rename = "csrf_token")]
    _csrf: String,
    /// Its own name, so that its error shows beside this form's field, not the password form's.
    codes_current_password: String,
    /// Missing is refused like empty: by the re-authentication, naming the field.
    #[serde(default)]
    codes_totp_code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeForm {
    #[serde(rename = "csrf_token")]
    _csrf: String,
}

/// A re-authentication attempt from this request, now.
pub(super) fn attempt<'a>(
    client_addr: &'a str,
    policy: &'a crate::domain::throttle::ThrottlePolicy,
) -> app::sign_in::Attempt<'a> {
    app::sign_in::Attempt {
        client_addr,
        policy,
        unix_time: chrono::Utc::now().timestamp().max(0) as u64,
        now: app::now(),
    }
}

fn label(field: &str) -> String {
    match field {
        "current_password" | "codes_current_password" => "Current password:",
        "new_password" => "New password:",
        "new_password_confirmation" => "Repeat the new password:",
        "codes_totp_code" | "token_totp_code" => "Code from your authenticator app:",
        _ => "",
    }
    .to_owned()
}

async fn render(
    viewer: &Viewer,
    state: &AppState,
    status: StatusCode,
    errors: &[FieldError],
) -> Result<HttpResponse, WebError> {
    render_with(viewer, state, status, errors, None).await
}

/// The account page; `new_token` is a token just created, shown this once.
async fn render_with(
    viewer: &Viewer,
    state: &AppState,
    status: StatusCode,
    errors: &[FieldError],
    new_token: Option<String>,
) -> Result<HttpResponse, WebError> {
    let user_id = viewer.user.id.clone();
    let mission_id = viewer.user.mission_id.clone();
    let actor = viewer.actor.clone();
    let (overview, mission, prefs, tokens) = db::run(&state.pool, move |conn| {
        let overview = account::overview(conn, &user_id, app::now())?;
        let mission = match mission_id {
            Some(id) => missions::find(conn, &id)?,
            None => None,
        };
        let prefs = app::notifications::preferences(conn, &actor)?;
        let tokens = app::tokens::list(conn, &actor.user_id)?;
        Ok::<_, AppError>((overview, mission, prefs, tokens))
    })
    .await?;
    let this_session = viewer.session.get::<String>(SESSION_LABEL).ok().flatten();
    let user = &overview.user;
    let done = super::banner::take(&viewer.session);
    let body: Markup = html! {
        (super::banner::success(done.as_deref()))
        (error_summary(errors, label))
        h1 { (tr("Your account")) }
        dl class="facts" {
            dt { (tr("Name")) } dd { (user.name) }
            dt { (tr("E-mail")) } dd { (user.email) }
            dt { (tr("Role")) } dd { (tr(viewer.actor.role.label())) }
            @if let Some(m) = &mission { dt { (tr("Mission")) } dd { (m.name) } }
            @if viewer.actor.role.is_authority() { dt { (tr("Security clearance")) } dd { (user.clearance.parse::<crate::domain::Clearance>().map(|c| tr(c.label())).unwrap_or("–")) } }
        }

        h2 id="language-heading" { (tr("Language")) }
        form method="post" action="/account/language" novalidate aria-labelledby="language-heading" {
            (csrf_field(&viewer.csrf))
            (crate::web::forms::select(
                errors,
                "language",
                tr("Language of pages and e-mails"),
                &i18n::Lang::ALL.iter().map(|l| (l.code().to_owned(), l.name().to_owned())).collect::<Vec<_>>(),
                &viewer.user.locale,
                None,
            ))
            button type="submit" class="secondary" { (tr("Save language")) }
        }

        h2 id="password-heading" { (tr("Change your password")) }
        p { (tr("At least 12 characters. All your sessions end when it is changed, this one too: you then sign in with the new password.")) }
        form method="post" action="/account/password" novalidate aria-labelledby="password-heading" {
            (csrf_field(&viewer.csrf))
            (Input::new("current_password", tr("Current password")).kind("password").autocomplete("current-password").render(errors))
            (Input::new("new_password", tr("New password")).kind("password").autocomplete("new-password").render(errors))
            (Input::new("new_password_confirmation", tr("Repeat the new password")).kind("password").autocomplete("new-password").render(errors))
            button type="submit" { (tr("Change password")) }
        }

        @if !prefs.is_empty() {
            h2 id="mail-heading" { (tr("E-mail notifications")) }
            p { (tr("You are always told by e-mail when something needs you to act. These you can choose:")) }
            form method="post" action="/account/notifications" aria-labelledby="mail-heading" {
                (csrf_field(&viewer.csrf))
                fieldset {
                    legend { (tr("Send me an e-mail when")) }
                    @for (kind, on) in &prefs {
                        div class="checkbox" {
                            input type="checkbox" id={ "email." (kind.code()) } name={ "email." (kind.code()) } value="on" checked[*on];
                            label for={ "email." (kind.code()) } { (tr(kind.label())) }
                        }
                    }
                }
                button type="submit" class="secondary" { (tr("Save e-mail choices")) }
            }
        }

        h2 id="tokens-heading" { (tr("Personal access tokens (API)")) }
        p { (tr("A token lets a case system use the portal's API as you, with your role and access. See ")) a href="/api/docs/" { (tr("the API documentation")) } "." }
        @if let Some(token) = new_token {
            div class="notice" role="status" {
                p { strong { (tr("Your new token — copy it now; it is shown only once:")) } }
                p class="secret" { (token) }
            }
        }
        @if !tokens.is_empty() {
            table class="stacking" {
                thead { tr { th scope="col" { (tr("Name")) } th scope="col" { (tr("Prefix")) } th scope="col" { (tr("Created")) } th scope="col" { (tr("Expires")) } th scope="col" { (tr("Last used")) } th scope="col" { span class="visually-hidden" { (tr("Action")) } } } }
                tbody {
                    @for t in &tokens {
                        tr {
                            td data-label=(tr("Name")) { (t.name) }
                            td data-label=(tr("Prefix")) { code { (t.prefix) } }
                            td data-label=(tr("Created")) { (i18n::oslo(t.created_at)) }
                            td data-label=(tr("Expires")) { (t.expires_at.map(|e| i18n::short_date(e.date())).unwrap_or_else(|| tr("Never").into())) }
                            td data-label=(tr("Last used")) { (t.last_used_at.map(i18n::oslo).unwrap_or_else(|| "–".into())) }
                            td {
                                @if t.revoked_at.is_some() { (tr("Revoked")) } @else {
                                    form method="post" action={ "/account/tokens/" (t.id) "/revoke" } {
                                        (csrf_field(&viewer.csrf))
                                        button type="submit" class="secondary" { (tr("Revoke")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        form method="post" action="/account/tokens" novalidate aria-labelledby="tokens-heading" {
            (csrf_field(&viewer.csrf))
            (Input::new("token_name", tr("Name")).hint(tr("What the token is for, e.g. the case system's name.")).render(errors))
            (Input::new("expires_in_days", tr("Valid for (days)")).optional().hint(tr("1 to 366; empty for until revoked.")).render(errors))
            (Input::new("token_totp_code", tr("Code from your authenticator app")).autocomplete("one-time-code").hint(tr("The six-digit code the app shows now.")).render(errors))
            button type="submit" class="secondary" { (tr("Create token")) }
        }

        h2 id="codes-heading" { (tr("Recovery codes")) }
        p { (tr("You have ")) (overview.unused_recovery_codes) (tr(" unused recovery codes. New codes replace all the old ones.")) }
        form method="post" action="/account/recovery-codes" novalidate aria-labelledby="codes-heading" {
            (csrf_field(&viewer.csrf))
            (Input::new("codes_current_password", tr("Current password")).kind("password").autocomplete("current-password").render(errors))
            (Input::new("codes_totp_code", tr("Code from your authenticator app")).autocomplete("one-time-code").hint(tr("The six-digit code the app shows now.")).render(errors))
            button type="submit" class="secondary" { (tr("Make new recovery codes")) }
        }

        h2 { (tr("Where you are signed in")) }
        table class="stacking" {
            thead { tr { th scope="col" { (tr("Signed in")) } th scope="col" { (tr("Last active")) } th scope="col" { (tr("From")) } th scope="col" { (tr("Browser")) } th scope="col" { span class="visually-hidden" { (tr("Action")) } } } }
            tbody {
                @for s in &overview.sessions {
                    @let current = this_session.is_some() && session_label(&s.state) == this_session;
                    tr {
                        td data-label=(tr("Signed in")) { (i18n::oslo(s.created_at)) @if current { (tr(" (this session)")) } }
                        td data-label=(tr("Last active")) { (i18n::oslo(s.last_seen_at)) }
                        td data-label=(tr("From")) { (s.client_addr.as_deref().unwrap_or("–")) }
                        td data-label=(tr("Browser")) { (s.user_agent.as_deref().unwrap_or("–")) }
                        td {
                            @if !current {
                                form method="post" action={ "/account/sessions/" (s.id_hash) "/revoke" } {
                                    (csrf_field(&viewer.csrf))
                                    button type="submit" class="secondary" { (tr("Sign out this session")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(respond(
        status,
        page(&viewer.chrome(), tr("Your account"), body),
    ))
}

fn session_label(state_json: &str) -> Option<String> {
    serde_json::from_str::<std::collections::HashMap<String, String>>(state_json)
        .ok()?
        .get(SESSION_LABEL)
        .and_then(|v| serde_json::from_str::<String>(v).ok())
}

pub async fn show(viewer: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ManageOwnAccount)?;
    render(&viewer, &state, StatusCode::OK, &[]).await
}

pub async fn change_password(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ManageOwnAccount)?;
    let form = form.into_inner();
    let (acting, user_id, cost) = (viewer.acting(), viewer.user.id.clone(), state.hash_cost);
    let (policy, addr) = (state.throttle_policy(), viewer.client_addr.clone());
    let outcome = db::run(&state.pool, move |conn| {
        account::change_password(
            conn,
            &acting,
            &user_id,
            &account::PasswordChange {
                current: SecretString::from(form.current_password),
                new_password: SecretString::from(form.new_password),
                confirmation: SecretString::from(form.new_password_confirmation),
            },
            &attempt(&addr, &policy),
            cost,
        )
    })
    .await;
    match outcome {
        Ok(()) => {
            viewer.session.purge();
            Ok(see_other("/sign-in"))
        }
        Err(AppError::Invalid(errors)) => {
            render(&viewer, &state, StatusCode::UNPROCESSABLE_ENTITY, &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn regenerate_codes(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: web::Form<CodesForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ManageOwnAccount)?;
    let (acting, user_id, cost) = (viewer.acting(), viewer.user.id.clone(), state.hash_cost);
    let (policy, addr) = (state.throttle_policy(), viewer.client_addr.clone());
    let form = form.into_inner();
    let (current, code) = (
        SecretString::from(form.codes_current_password),
        form.codes_totp_code,
    );
    let outcome = db::run(&state.pool, move |conn| {
        account::regenerate_recovery_codes(
            conn,
            &acting,
            &user_id,
            &current,
            &code,
            &attempt(&addr, &policy),
            cost,
        )
    })
    .await;
    match outcome {
        Ok(codes) => Ok(respond(
            StatusCode::OK,
            recovery_codes_page(&viewer.chrome(), &codes),
        )),
        Err(AppError::Invalid(errors)) => {
            render(&viewer, &state, StatusCode::UNPROCESSABLE_ENTITY, &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageForm {
    #[serde(rename = "csrf_token")]
    _csrf: String,
    language: String,
    /// The page the header's switch was used on, to go back to.
    back: Option<String>,
}

/// The person's language for pages and e-mails.
pub async fn save_language(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: web::Form<LanguageForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ManageOwnAccount)?;
    let user_id = viewer.user.id.clone();
    let form = form.into_inner();
    let code = form.language;
    let chosen = crate::i18n::Lang::parse(&code);
    let back = match form.back.as_deref() {
        Some(_) => super::language::local_path(form.back.as_deref()).to_owned(),
        None => {
            super::banner::set(&viewer.session, "language");
            "/account".to_owned()
        }
    };
    match db::run(&state.pool, move |conn| {
        account::set_language(conn, &user_id, &code, app::now())
    })
    .await
    {
        Ok(_) => Ok(super::language::see_other_remembering(&back, chosen)),
        Err(AppError::Invalid(errors)) => {
            render(&viewer, &state, StatusCode::UNPROCESSABLE_ENTITY, &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn save_preferences(
    viewer: Viewer,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ManageOwnAccount)?;
    let on: Vec<String> = url::form_urlencoded::parse(&body)
        .filter_map(|(k, v)| {
            (v == "on")
                .then(|| k.strip_prefix("email.").map(str::to_owned))
                .flatten()
        })
        .collect();
    let actor = viewer.actor.clone();
    db::run(&state.pool, move |conn| {
        app::notifications::set_preferences(conn, &actor, &on)
    })
    .await?;
    Ok(see_other("/account"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenForm {
    #[serde(rename = "csrf_token")]
    _csrf: String,
    token_name: String,
    expires_in_days: String,
    /// Missing is refused like empty: by the re-authentication, naming the field.
    #[serde(default)]
    token_totp_code: String,
}

pub async fn create_token(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ManageOwnAccount)?;
    let form = form.into_inner();
    let days = match form.expires_in_days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let errors = [FieldError::new(
                    "expires_in_days",
                    "must be a whole number of days",
                )];
                return render(&viewer, &state, StatusCode::UNPROCESSABLE_ENTITY, &errors).await;
            }
        },
    };
    let (acting, user_id, cost) = (viewer.acting(), viewer.user.id.clone(), state.hash_cost);
    let (policy, addr) = (state.throttle_policy(), viewer.client_addr.clone());
    match db::run(&state.pool, move |conn| {
        let token = account::NewOwnToken {
            name: &form.token_name,
            expires_in_days: days,
            code: &form.token_totp_code,
        };
        account::create_token(
            conn,
            &acting,
            &user_id,
            &token,
            &attempt(&addr, &policy),
            cost,
        )
    })
    .await
    {
        Ok(created) => render_with(&viewer, &state, StatusCode::OK, &[], Some(created.token)).await,
        Err(AppError::Invalid(errors)) => {
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|e| {
                    if e.field == "name" {
                        FieldError::new("token_name", e.message)
                    } else {
                        e
                    }
                })
                .collect();
            render(&viewer, &state, StatusCode::UNPROCESSABLE_ENTITY, &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _form: web::Form<RevokeForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ManageOwnAccount)?;
    let (acting, user_id, id) = (viewer.acting(), viewer.user.id.clone(), path.into_inner());
    db::run(&state.pool, move |conn| {
        app::tokens::revoke(conn, &acting, &user_id, &id, app::now())
    })
    .await?;
    Ok(see_other("/account"))
}

pub async fn revoke_session(
    viewer: Viewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    _form: web::Form<RevokeForm>,
) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::ManageOwnAccount)?;
    let (acting, user_id, hash) = (viewer.acting(), viewer.user.id.clone(), path.into_inner());
    db::run(&state.pool, move |conn| {
        account::revoke_session(conn, &acting, &user_id, &hash, app::now())
    })
    .await?;
    Ok(see_other("/account"))
}
