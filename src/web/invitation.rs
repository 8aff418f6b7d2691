//! Accepting an invitation: set a password through the single-use link from the e-mail.

use crate::i18n::tr;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use secrecy::SecretString;
use serde::Deserialize;

use super::AppState;
use super::errors::WebError;
use super::forms::{Input, error_summary};
use super::layout::{Chrome, page, respond};
use super::session::client_addr;
use crate::app::{self, AppError, invitations};
use crate::db;
use crate::domain::FieldError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkQuery {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordForm {
    token: String,
    password: String,
    password_confirmation: String,
}

fn form_page(token: &str, name: &str, errors: &[FieldError]) -> Markup {
    page(
        &Chrome::anonymous(),
        tr("Set your password"),
        html! {
            (error_summary(errors, |f| match f { "password" => "Password:".into(), _ => "Repeat the password:".into() }))
            h1 { (tr("Welcome, ")) (name) }
            p class="lead" { (tr("Choose a password for the protection portal. At your first sign-in you will also set up an authenticator app.")) }
            form method="post" action="/invitation" novalidate {
                input type="hidden" name="token" value=(token);
                (Input::new("password", tr("Password")).kind("password").autocomplete("new-password")
                    .hint(tr("At least 12 characters, not your name or e-mail address. A sentence you remember is a good password.")).render(errors))
                (Input::new("password_confirmation", tr("Repeat the password")).kind("password").autocomplete("new-password").render(errors))
                button type="submit" { (tr("Set password")) }
            }
        },
    )
}

pub async fn show(
    state: web::Data<AppState>,
    query: web::Query<LinkQuery>,
) -> Result<HttpResponse, WebError> {
    let token = query.into_inner().token;
    let t = token.clone();
    let user = db::run(&state.pool, move |conn| {
        invitations::invitee(conn, &t, app::now())
    })
    .await?
    .ok_or(WebError::NotFound)?;
    Ok(respond(StatusCode::OK, form_page(&token, &user.name, &[])))
}

pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let (token, cost, addr) = (form.token.clone(), state.hash_cost, client_addr(&req));
    let outcome = db::run(&state.pool, move |conn| {
        invitations::accept(
            conn,
            &token,
            &SecretString::from(form.password),
            &SecretString::from(form.password_confirmation),
            cost,
            &addr,
            app::now(),
        )
    })
    .await;
    match outcome {
        Ok(_) => Ok(respond(
            StatusCode::OK,
            page(
                &Chrome::anonymous(),
                tr("Password set"),
                html! {
                    h1 { (tr("Your password is set")) }
                    p class="lead" { (tr("Sign in now; you will be asked to set up your authenticator app.")) }
                    p { a class="button" href="/sign-in" { (tr("Sign in")) } }
                },
            ),
        )),
        Err(AppError::Invalid(errors)) => {
            let t = form.token.clone();
            let name = db::run(&state.pool, move |conn| {
                invitations::invitee(conn, &t, app::now())
            })
            .await?
            .map(|u| u.name)
            .ok_or(WebError::NotFound)?;
            Ok(respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                form_page(&form.token, &name, &errors),
            ))
        }
        Err(e) => Err(e.into()),
    }
}
