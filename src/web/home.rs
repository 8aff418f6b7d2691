//! The start page.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use maud::html;

use super::layout::{page, respond};

pub async fn show() -> HttpResponse {
    respond(
        StatusCode::OK,
        page(
            "Request external protection",
            html! {
                h1 { "Request external protection for a foreign mission in Norway" }
                p class="lead" {
                    "Norway, as receiving State, protects the premises of diplomatic missions. "
                    "Missions formally notify the Ministry of Foreign Affairs, through the Diplomatic Section, "
                    "when they need further external protection, or clearance for their own security measures "
                    "beyond their premises. This portal is that channel."
                }
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
        ),
    )
}
