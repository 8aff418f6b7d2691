//! Signing in and out: password, then the second factor (enrolment at the first sign-in).

use crate::i18n::tr;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, PreEscaped, html};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::AppState;
use super::csrf;
use super::errors::WebError;
use super::forms::{Input, csrf_field, error_summary};
use super::layout::{Chrome, page, respond, see_other};
use super::session::{SESSION_LABEL, STAGE, STAGE_PASSWORD, STAGE_SIGNED_IN, client_addr};
use super::session_store::{ABSOLUTE_UNTIL, CLIENT_ADDR, USER_AGENT, USER_ID};
use crate::app::{self, sign_in};
use crate::auth::{keys, secret, totp};
use crate::db::{self, users};
use crate::domain::FieldError;

const ENROL_SECRET: &str = "enrol_secret";
/// The stage after a veiled password step (`sign_in::PasswordOutcome::Veiled`): the code page is
/// shown, and no code is accepted.
const STAGE_VEILED: &str = "veiled";
/// The e-mail address typed at a veiled password step (to count the code attempt against).
const VEILED_EMAIL: &str = "veiled_email";
const REFUSED: &str = "The e-mail address or password is not right, or sign-in is paused after too many attempts. Check them and try again in a few minutes.";
const CODE_REFUSED: &str = "The code is not right, has been used already, or sign-in is paused after too many attempts. Wait for a new code and try again.";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordForm {
    /// Checked by the CSRF middleware before the handler runs.
    #[serde(rename = "csrf_token")]
    _csrf: String,
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeForm {
    /// Checked by the CSRF middleware before the handler runs.
    #[serde(rename = "csrf_token")]
    _csrf: String,
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignOutForm {
    /// Checked by the CSRF middleware before the handler runs.
    #[serde(rename = "csrf_token")]
    _csrf: String,
}

fn unix_now() -> u64 {
    chrono::Utc::now().timestamp().max(0) as u64
}

fn stage(session: &Session) -> Option<String> {
    session.get::<String>(STAGE).ok().flatten()
}

/// The authenticator key being set up, kept in the session sealed (bound to the account), so the
/// sessions table does not hold it. A value that does not open counts as none: a new key is made.
fn pending_secret(session: &Session, user_id: &str) -> Option<String> {
    let sealed = session.get::<String>(ENROL_SECRET).ok().flatten()?;
    keys::current()
        .open(&keys::enrolment_context(user_id), &sealed)
        .ok()
        .map(|s| s.expose_secret().to_owned())
}

fn pending_user(session: &Session) -> Option<String> {
    (stage(session).as_deref() == Some(STAGE_PASSWORD))
        .then(|| session.get::<String>(USER_ID).ok().flatten())
        .flatten()
}

fn password_page(csrf: &str, email: &str, refused: bool) -> Markup {
    page(
        &Chrome::anonymous(),
        tr("Sign in"),
        html! {
            @if refused {
                div class="error-summary" role="alert" tabindex="-1" {
                    h2 { (tr("Sign-in failed")) }
                    p { (REFUSED) }
                }
            }
            h1 { (tr("Sign in")) }
            form method="post" action="/sign-in" novalidate {
                (csrf_field(csrf))
                (Input::new("email", tr("E-mail address")).kind("email").value(email).autocomplete("email").render(&[]))
                (Input::new("password", tr("Password")).kind("password").autocomplete("current-password").render(&[]))
                button type="submit" { (tr("Continue")) }
            }
            p { (tr("You will then be asked for a code from your authenticator app.")) }
        },
    )
}

pub async fn show(session: Session) -> HttpResponse {
    if stage(&session).as_deref() == Some(STAGE_SIGNED_IN) {
        return see_other("/");
    }
    respond(
        StatusCode::OK,
        password_page(&csrf::token(&session), "", false),
    )
}

pub async fn submit_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    let PasswordForm {
        email, password, ..
    } = form.into_inner();
    let addr = client_addr(&req);
    let policy = state.throttle_policy();
    let cost = state.hash_cost;
    let password = SecretString::from(password);
    let (email_for_check, addr_for_check) = (email.clone(), addr.clone());
    let outcome = db::run(&state.pool, move |conn| {
        sign_in::check_password(
            conn,
            &email_for_check,
            &password,
            &addr_for_check,
            &policy,
            cost,
            app::now(),
        )
    })
    .await?;
    let (user, next) = match outcome {
        sign_in::PasswordOutcome::Refused => {
            return Ok(respond(
                StatusCode::UNAUTHORIZED,
                password_page(&csrf::token(&session), &email, true),
            ));
        }
        sign_in::PasswordOutcome::Veiled { email } => {
            // The same steps as for a right password, so that nothing tells them apart.
            session.renew();
            session.remove(ENROL_SECRET);
            insert(&session, STAGE, STAGE_VEILED)?;
            insert(&session, VEILED_EMAIL, &email)?;
            csrf::rotate(&session);
            return Ok(see_other("/sign-in/code"));
        }
        sign_in::PasswordOutcome::Enrol(user) => (user, "/sign-in/enrol"),
        sign_in::PasswordOutcome::Code(user) => (user, "/sign-in/code"),
    };
    // A new session id from here on: whatever id existed before sign-in is worthless.
    session.renew();
    session.remove(ENROL_SECRET);
    let absolute = chrono::Utc::now().timestamp()
        + i64::from(state.settings.security.session_absolute_hours) * 3600;
    let agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(|a| a.chars().take(200).collect::<String>())
        .unwrap_or_default();
    insert(&session, USER_ID, &user.id)?;
    insert(&session, STAGE, STAGE_PASSWORD)?;
    insert(&session, ABSOLUTE_UNTIL, absolute)?;
    insert(&session, CLIENT_ADDR, &addr)?;
    insert(&session, USER_AGENT, &agent)?;
    insert(&session, SESSION_LABEL, secret::generate())?;
    csrf::rotate(&session);
    Ok(see_other(next))
}

fn insert(session: &Session, key: &str, value: impl serde::Serialize) -> Result<(), WebError> {
    session
        .insert(key, value)
        .map_err(|e| WebError::Internal(format!("session: {e}")))
}

fn enrol_page(csrf: &str, secret_b32: &str, account: &str, errors: &[FieldError]) -> Markup {
    let url = totp::otpauth_url(secret_b32, account).unwrap_or_default();
    let svg = totp::qr_svg(&url).unwrap_or_default();
    page(
        &Chrome::anonymous(),
        tr("Set up your authenticator"),
        html! {
            (error_summary(errors, |_| "Code:".into()))
            h1 { (tr("Set up your authenticator app")) }
            p class="lead" {
                (tr("Every sign-in needs a code from an authenticator app on your phone as well as your password."))
            }
            ol {
                li { (tr("Open your authenticator app and add an account.")) }
                li {
                    (tr("Scan this code, or type in the key below."))
                    // The SVG is drawn by the qrcode crate from our own otpauth URL: trusted markup.
                    div class="qr" role="img" aria-label=(tr("QR code for your authenticator app")) { (PreEscaped(svg)) }
                    p { (tr("Key: ")) span class="secret" { (secret_b32) } }
                }
                li { (tr("Enter the six-digit code the app shows.")) }
            }
            form method="post" action="/sign-in/enrol" novalidate {
                (csrf_field(csrf))
                (Input::new("code", tr("Six-digit code")).autocomplete("one-time-code").hint(tr("For example 123456")).render(errors))
                button type="submit" { (tr("Confirm")) }
            }
        },
    )
}

pub async fn show_enrolment(
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, WebError> {
    // A veiled password step answers here as a right password of an enrolled account does, so
    // that no page tells a right password from a wrong one past the ceiling.
    if veiled_email(&session).is_some() {
        return Ok(see_other("/sign-in/code"));
    }
    let user_id = pending_user(&session).ok_or(WebError::SignInRequired)?;
    let user = db::query(&state.pool, move |conn| users::find(conn, &user_id))
        .await?
        .ok_or(WebError::SignInRequired)?;
    if user.totp_confirmed_at.is_some() {
        return Ok(see_other("/sign-in/code"));
    }
    let secret_b32 = match pending_secret(&session, &user.id) {
        Some(s) => s,
        None => {
            let s = totp::new_secret();
            let sealed = keys::current().seal(&keys::enrolment_context(&user.id), &s);
            insert(&session, ENROL_SECRET, &sealed)?;
            s
        }
    };
    Ok(respond(
        StatusCode::OK,
        enrol_page(&csrf::token(&session), &secret_b32, &user.email, &[]),
    ))
}

pub async fn submit_enrolment(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, WebError> {
    let user_id = pending_user(&session).ok_or(WebError::SignInRequired)?;
    let secret_b32 = pending_secret(&session, &user_id).ok_or(WebError::SignInRequired)?;
    let addr = client_addr(&req);
    let policy = state.throttle_policy();
    let code = form.into_inner().code;
    let (s, a) = (secret_b32.clone(), addr.clone());
    let outcome = db::run(&state.pool, move |conn| {
        let attempt = sign_in::Attempt {
            client_addr: &a,
            policy: &policy,
            unix_time: unix_now(),
            now: app::now(),
        };
        sign_in::confirm_enrolment(conn, &user_id, &s, &code, &attempt)
    })
    .await?;
    match outcome {
        Some((user, codes)) => {
            session.renew();
            session.remove(ENROL_SECRET);
            insert(&session, STAGE, STAGE_SIGNED_IN)?;
            let csrf = csrf::rotate(&session);
            let chrome = Chrome {
                signed_in: Some(super::layout::SignedIn {
                    name: user.name.clone(),
                    role: user.role.parse().map_err(|e: String| {
                        WebError::from(crate::db::DbError::Corrupt(format!(
                            "user {}: {e}",
                            user.id
                        )))
                    })?,
                    csrf,
                    unread: 0,
                    idle_seconds: state.settings.security.session_idle_minutes * 60,
                    person: super::layout::person_digest(&user.id),
                }),
            };
            Ok(respond(
                StatusCode::OK,
                recovery_codes_page(&chrome, &codes),
            ))
        }
        None => {
            let email = db::query(&state.pool, {
                let id = session
                    .get::<String>(USER_ID)
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                move |conn| users::find(conn, &id)
            })
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
            let errors = [FieldError::new("code", CODE_REFUSED)];
            Ok(respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                enrol_page(&csrf::token(&session), &secret_b32, &email, &errors),
            ))
        }
    }
}

/// The recovery codes, shown once (after enrolment, and when regenerated).
pub fn recovery_codes_page(chrome: &Chrome, codes: &[String]) -> Markup {
    page(
        chrome,
        "Your recovery codes",
        html! {
            h1 { (tr("Save your recovery codes")) }
            p class="lead" {
                (tr("If you lose your phone, each of these codes lets you sign in once instead of a code from the app. "))
                (tr("Keep them somewhere safe, away from your phone. They are shown only now."))
            }
            ul class="codes" { @for c in codes { li { (c) } } }
            p { a class="button" href="/" { (tr("I have saved them — continue")) } }
        },
    )
}

fn code_page(csrf: &str, errors: &[FieldError]) -> Markup {
    page(
        &Chrome::anonymous(),
        tr("Enter your code"),
        html! {
            (error_summary(errors, |_| "Code:".into()))
            h1 { (tr("Enter the code from your authenticator app")) }
            form method="post" action="/sign-in/code" novalidate {
                (csrf_field(csrf))
                (Input::new("code", tr("Code")).autocomplete("one-time-code")
                    .hint(tr("The six-digit code from your app, or one of your recovery codes.")).render(errors))
                button type="submit" { (tr("Sign in")) }
            }
            p { (tr("Lost your phone and your recovery codes? Ask the portal's administrators to reset your second factor.")) }
        },
    )
}

fn veiled_email(session: &Session) -> Option<String> {
    (stage(session).as_deref() == Some(STAGE_VEILED))
        .then(|| session.get::<String>(VEILED_EMAIL).ok().flatten())
        .flatten()
}

pub async fn show_code(session: Session) -> Result<HttpResponse, WebError> {
    if veiled_email(&session).is_none() {
        pending_user(&session).ok_or(WebError::SignInRequired)?;
    }
    Ok(respond(
        StatusCode::OK,
        code_page(&csrf::token(&session), &[]),
    ))
}

pub async fn submit_code(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, WebError> {
    let addr = client_addr(&req);
    let policy = state.throttle_policy();
    if let Some(email) = veiled_email(&session) {
        db::run(&state.pool, move |conn| {
            let attempt = sign_in::Attempt {
                client_addr: &addr,
                policy: &policy,
                unix_time: unix_now(),
                now: app::now(),
            };
            sign_in::refuse_veiled_code(conn, &email, &attempt)
        })
        .await?;
        let errors = [FieldError::new("code", CODE_REFUSED)];
        return Ok(respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            code_page(&csrf::token(&session), &errors),
        ));
    }
    let user_id = pending_user(&session).ok_or(WebError::SignInRequired)?;
    let code = form.into_inner().code;
    let outcome = db::run(&state.pool, move |conn| {
        let attempt = sign_in::Attempt {
            client_addr: &addr,
            policy: &policy,
            unix_time: unix_now(),
            now: app::now(),
        };
        sign_in::check_code(conn, &user_id, &code, &attempt)
    })
    .await?;
    if let Some(user) = outcome {
        session.renew();
        insert(&session, STAGE, STAGE_SIGNED_IN)?;
        csrf::rotate(&session);
        // Pages shown once the session has ended speak the person's language too.
        Ok(super::language::see_other_remembering(
            "/",
            crate::i18n::Lang::parse(&user.locale),
        ))
    } else {
        let errors = [FieldError::new("code", CODE_REFUSED)];
        Ok(respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            code_page(&csrf::token(&session), &errors),
        ))
    }
}

pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    _form: web::Form<SignOutForm>,
) -> Result<HttpResponse, WebError> {
    if let Some(user_id) = session.get::<String>(USER_ID).ok().flatten() {
        let addr = client_addr(&req);
        db::run(&state.pool, move |conn| {
            match users::find(conn, &user_id)? {
                Some(user) => sign_in::record_sign_out(conn, &user, &addr, app::now()),
                None => Ok(()),
            }
        })
        .await?;
    }
    session.purge();
    Ok(see_other("/sign-in"))
}
