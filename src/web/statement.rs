//! The accessibility statement (`/accessibility`), linked from every page's footer: how the
//! portal meets WCAG 2.1 AA, how it was tested, what is known not to conform, and where to report
//! a problem — as the Norwegian regulations on universal design ask of public services.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;

use super::AppState;
use super::layout::{Chrome, page, respond};
use super::session::Viewer;
use crate::i18n::tr;

pub async fn accessibility(viewer: Option<Viewer>, state: web::Data<AppState>) -> HttpResponse {
    let chrome = viewer.map(|v| v.chrome()).unwrap_or_else(Chrome::anonymous);
    let email = state.settings.contact.accessibility_email.clone();
    respond(
        StatusCode::OK,
        page(
            &chrome,
            tr("Accessibility statement"),
            html! {
                h1 { (tr("Accessibility statement for the protection portal")) }
                p class="lead" { (tr("The protection portal is meant to be usable by everyone who needs it, whatever their abilities and whatever device they use.")) }
                h2 { (tr("How accessible the portal is")) }
                p { (tr("The portal aims to meet the Web Content Accessibility Guidelines (WCAG) 2.1 at level AA, as the Norwegian regulations on universal design of ICT require.")) }
                ul {
                    li { (tr("Every page works with the keyboard alone and without JavaScript.")) }
                    li { (tr("Every page works on a phone 390 pixels wide without scrolling sideways, and at 200 % zoom.")) }
                    li { (tr("Errors are listed at the top of the page and beside each field, in plain language.")) }
                    li { (tr("Every page is available in English and in Norwegian Bokmål.")) }
                    li { (tr("Colours of text and status tags keep a contrast of at least 4.5 to 1.")) }
                }
                h2 { (tr("How it was tested")) }
                p { (tr("Every page of every role, in both languages, is checked automatically in a real browser with two independent checkers (axe-core and HTML_CodeSniffer) at every change, and for sideways scrolling at phone width. The request form is tested with the keyboard alone.")) }
                h2 { (tr("What is known not to conform")) }
                ul {
                    li { (tr("Automatic checks find only part of the problems people meet; the portal has not yet been tested by people who use screen readers or other assistive technology.")) }
                    li { (tr("The warning before a session ends, and keeping what was typed into a form when it ends, need JavaScript. Without it, a session ends without warning and the text must be typed again after signing in.")) }
                }
                h2 { (tr("Report a problem")) }
                p { (tr("If something in the portal is hard to use, write to ")) a href={ "mailto:" (email) } { (email) } (tr(". Say which page and what happened; we answer within ten working days.")) }
                p { (tr("If you are not satisfied with the answer, you can complain to the Authority for Universal Design of ICT (Tilsynet for universell utforming av ikt) at uutilsynet.no.")) }
            },
        ),
    )
}
