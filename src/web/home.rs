//! The start page: for visitors, what the portal is and how to sign in; for people signed in,
//! their role's start page.

use crate::i18n::tr;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};

use super::requests::{QueueQuery, queues};

use super::AppState;
use super::errors::WebError;
use super::layout::{Chrome, page, respond, see_other};
use super::session::Viewer;
use crate::domain::Role;
use crate::domain::access::Capability;

pub async fn show(
    viewer: Option<Viewer>,
    state: web::Data<AppState>,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, WebError> {
    let Some(viewer) = viewer else {
        return Ok(respond(StatusCode::OK, landing()));
    };
    viewer.require(Capability::ViewOwnHome)?;
    if viewer.actor.role == Role::Admin {
        return Ok(see_other("/admin/users"));
    }
    if viewer.actor.role == Role::Auditor {
        return Ok(see_other("/admin/security-log"));
    }
    viewer.require(Capability::ListRequests)?;
    queues(&viewer, &state, query.into_inner()).await
}

fn landing() -> Markup {
    page(
        &Chrome::anonymous(),
        tr("Request external protection"),
        html! {
            h1 { (tr("Request external protection for a foreign mission in Norway")) }
            p class="lead" {
                (tr("Norway, as receiving State, protects the premises of diplomatic missions. "))
                (tr("Missions formally notify the Ministry of Foreign Affairs, through the Diplomatic Section, "))
                (tr("when they need further external protection, or clearance for their own security measures "))
                (tr("beyond their premises. This portal is that channel."))
            }
            p { a class="button" href="/sign-in" { (tr("Sign in")) } }
            h2 { (tr("Who uses the portal")) }
            ul class="cards" {
                li { strong { (tr("Mission staff")) } br; (tr("file and follow their mission's requests, and answer the Ministry.")) }
                li { strong { (tr("The MFA Diplomatic Section")) } br; (tr("triages requests and sends the formal reply.")) }
                li { strong { (tr("Oslo Police District")) } br; (tr("assesses, decides and carries out police measures.")) }
                li { strong { (tr("PST")) } br; (tr("writes threat assessments when the police ask for one.")) }
            }
            p class="notice" {
                (tr("Accounts are created by the portal's administrators. "))
                (tr("Missions that need an account should contact the Diplomatic Section."))
            }
        },
    )
}
