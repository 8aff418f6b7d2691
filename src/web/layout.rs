//! The page layout every page shares: header, main, footer; and the stylesheet.

use actix_web::HttpResponse;
use actix_web::http::header;
use maud::{DOCTYPE, Markup, html};

const STYLESHEET: &str = include_str!("../../static/portal.css");

/// A full page: `title` becomes the document title and the page's only `h1` is the caller's.
pub fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – Protection portal" }
                link rel="stylesheet" href="/static/portal.css";
            }
            body {
                a class="skip-link" href="#main" { "Skip to main content" }
                header class="site-header" {
                    div class="inner" {
                        a class="brand" href="/" { "Protection portal" }
                        span class="who" { "Ministry of Foreign Affairs · Diplomatic Section" }
                    }
                }
                main id="main" tabindex="-1" { (body) }
                footer class="site-footer" {
                    div class="inner" {
                        p {
                            "The channel for foreign missions in Norway to request external protection, "
                            "operated for the Ministry of Foreign Affairs, Oslo Police District and PST."
                        }
                    }
                }
            }
        }
    }
}

/// Renders a page as an HTML response with the given status.
pub fn respond(status: actix_web::http::StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(header::ContentType::html())
        .body(markup.into_string())
}

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}
