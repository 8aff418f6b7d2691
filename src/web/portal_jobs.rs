//! The portal's own work for administrators: each job, how many items wait for it now, and its
//! last run (when, which instance, how many steps, the first failure). Counts and times only,
//! never request content.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;

use super::AppState;
use super::errors::WebError;
use super::layout::{page, respond};
use super::session::Viewer;
use crate::app::requests::Context;
use crate::app::scheduler::{self, BACKLOG_CAP};

use crate::db;
use crate::domain::access::Capability;
use crate::i18n::{self, tr, tr_text};

pub async fn list(viewer: Viewer, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    viewer.require(Capability::OverseePortalJobs)?;
    let ctx = Context::now_under(&state.settings);
    let jobs = db::run(&state.pool, move |conn| scheduler::status(conn, &ctx)).await?;
    let running = state.settings.scheduler.enabled;
    let body = html! {
        h1 { (tr("The portal's own work")) }
        p { (tr("Steps the portal takes by itself, in small batches that give way to people's requests. Every instance that runs them shares the work; no step is taken twice.")) }
        @if !running {
            p class="notice" { (tr("This instance does not run these jobs (scheduler.enabled is false); another instance may.")) }
        }
        table class="stacking" {
            thead { tr {
                th scope="col" { (tr("Job")) }
                th scope="col" { (tr("Waiting now")) }
                th scope="col" { (tr("Last run")) }
                th scope="col" { (tr("Steps in the last run")) }
                th scope="col" { (tr("Steps in all")) }
                th scope="col" { (tr("Last failure")) }
            } }
            tbody {
                @for j in &jobs {
                    tr {
                        th scope="row" { (tr(j.job.label())) }
                        td data-label=(tr("Waiting now")) { @if j.backlog > BACKLOG_CAP { (tr_text(&format!("more than {BACKLOG_CAP}"))) } @else { (j.backlog) } }
                        @match &j.last {
                            Some(last) => {
                                td data-label=(tr("Last run")) { (i18n::oslo(last.last_finished_at)) br; span class="hint" { (last.last_instance) } }
                                td data-label=(tr("Steps in the last run")) { (last.last_done) @if last.last_failed > 0 { " · " (tr_text(&format!("{} failed", last.last_failed))) } }
                                td data-label=(tr("Steps in all")) { (last.total_done) }
                                td data-label=(tr("Last failure")) { @match (last.last_failed_at, &last.last_error) {
                                    (Some(at), error) => { (i18n::oslo(at)) ": " (error.as_deref().unwrap_or("–")) }
                                    _ => { "–" }
                                } }
                            }
                            None => {
                                td data-label=(tr("Last run")) { (tr("Not yet")) } td data-label=(tr("Steps in the last run")) { "–" } td data-label=(tr("Steps in all")) { "0" } td data-label=(tr("Last failure")) { "–" }
                            }
                        }
                    }
                }
            }
        }
        p class="hint" { (tr("Times are Oslo time. A job that found a full batch goes on at once; otherwise it looks again after the interval set in scheduler.interval_seconds.")) }
    };
    Ok(respond(
        StatusCode::OK,
        page(&viewer.chrome(), tr("The portal's own work"), body),
    ))
}
