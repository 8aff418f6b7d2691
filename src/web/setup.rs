//! The first-administrator page, reached through the single-use link `serve` prints on an empty
//! database.

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
use crate::app::{self, AppError, setup};
use crate::db;
use crate::domain::FieldError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkQuery {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupForm {
    token: String,
    email: String,
    name: String,
    password: String,
    password_confirmation: String,
}

pub async fn show(
    state: web::Data<AppState>,
    query: web::Query<LinkQuery>,
) -> Result<HttpResponse, WebError> {
    let token = query.into_inner().token;
    let check = token.clone();
    let usable = db::run(&state.pool, move |conn| {
        setup::first_admin_link_is_usable(conn, &check, app::now())
    })
    .await?;
    if !usable {
        return Err(WebError::NotFound);
    }
    Ok(respond(StatusCode::OK, form_page(&token, "", "", &[])))
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let mut errors = Vec::new();
    if form.password != form.password_confirmation {
        errors.push(FieldError::new(
            "password_confirmation",
            "must be the same as the password",
        ));
    }
    let cost = state.hash_cost;
    let (token, email, name) = (form.token.clone(), form.email.clone(), form.name.clone());
    let password = SecretString::from(form.password);
    let addr = client_addr(&req);
    let outcome = db::run(&state.pool, move |conn| {
        // Check the link before spending time on hashing.
        if !setup::first_admin_link_is_usable(conn, &token, app::now())? {
            return Err(AppError::NotFound);
        }
        let prepared = setup::prepare_first_admin(&email, &name, &password, cost);
        match (prepared, errors.is_empty()) {
            (Ok(admin), true) => setup::create_first_admin(conn, &token, &admin, &addr, app::now()),
            (Ok(_), false) => Err(AppError::Invalid(errors)),
            (Err(AppError::Invalid(mut more)), _) => {
                more.extend(errors);
                Err(AppError::Invalid(more))
            }
            (Err(other), _) => Err(other),
        }
    })
    .await;
    match outcome {
        Ok(_) => Ok(respond(
            StatusCode::OK,
            page(
                &Chrome::anonymous(),
                tr("Administrator created"),
                html! {
                    h1 { (tr("Administrator account created")) }
                    p class="lead" { (tr("The portal now has its first administrator. This link no longer works.")) }
                    p { a class="button" href="/sign-in" { (tr("Sign in")) } }
                },
            ),
        )),
        Err(AppError::Invalid(errors)) => Ok(respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&form.token, &form.email, &form.name, &errors),
        )),
        Err(e) => Err(e.into()),
    }
}

fn form_page(token: &str, email: &str, name: &str, errors: &[FieldError]) -> Markup {
    page(
        &Chrome::anonymous(),
        tr("Create the first administrator"),
        html! {
            (error_summary(errors, |f| format!("{}:", label_of(f))))
            h1 { (tr("Create the first administrator")) }
            p class="lead" {
                (tr("Administrators manage missions and user accounts. They do not see any request's content."))
            }
            form method="post" action="/setup" novalidate {
                input type="hidden" name="token" value=(token);
                (Input::new("name", tr("Full name")).value(name).autocomplete("name").render(errors))
                (Input::new("email", tr("E-mail address")).kind("email").value(email).autocomplete("email").render(errors))
                (Input::new("password", tr("Password")).kind("password").autocomplete("new-password")
                    .hint(tr("At least 12 characters. A sentence you remember is a good password.")).render(errors))
                (Input::new("password_confirmation", tr("Repeat the password")).kind("password").autocomplete("new-password").render(errors))
                button type="submit" { (tr("Create administrator")) }
            }
        },
    )
}

fn label_of(field: &str) -> &str {
    match field {
        "name" => "Full name",
        "email" => "E-mail address",
        "password" => "Password",
        "password_confirmation" => "Repeat the password",
        other => other,
    }
}
