//! The start page: for visitors, what the portal is and how to sign in; for people signed in,
//! their role's start page.

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
    viewer.require(Capability::ListRequests)?;
    queues(&viewer, &state, query.into_inner()).await
}

fn landing() -> Markup {
    page(
        &Chrome::anonymous(),
        "Request external protection",
        html! {
            h1 { "Request external protection for a foreign mission in Norway" }
            p class="lead" {
                "Norway, as receiving State, protects the premises of diplomatic missions. "
                "Missions formally notify the Ministry of Foreign Affairs, through the Diplomatic Section, "
                "when they need further external protection, or clearance for their own security measures "
                "beyond their premises. This portal is that channel."
            }
            p { a class="button" href="/sign-in" { "Sign in" } }
            h2 { "Who uses the portal" }
            ul class="cards" {
                li { strong { "Mission staff" } br; "file and follow their mission's requests, and answer the Ministry." }
                li { strong { "The MFA Diplomatic Section" } br; "triages requests and sends the formal reply." }
                li { strong { "Oslo Police District" } br; "assesses, decides and carries out police measures." }
                li { strong { "PST" } br; "writes threat assessments when the police ask for one." }
            }
            p class="notice" {
                "Accounts are created by the portal's administrators. "
                "Missions that need an account should contact the Diplomatic Section."
            }
        },
    )
}
