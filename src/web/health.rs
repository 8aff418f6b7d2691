//! Liveness and readiness probes for load balancers and orchestrators.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::AppState;
use crate::db::{self, Pool};

/// How long the readiness probe may take, whatever the database does.
pub const READY_WITHIN: Duration = Duration::from_secs(2);

/// The readiness probe's own connection (a pool of one, so it never queues behind requests
/// holding the main pool's connections), and whether a check is still waiting on it.
pub struct Probe {
    pool: Pool,
    waiting: AtomicBool,
}

impl Probe {
    pub fn new(pool: Pool) -> Self {
        Probe {
            pool,
            waiting: AtomicBool::new(false),
        }
    }
}

/// The process is up and answering.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "live" }))
}

/// The process can serve requests: its database answers within two seconds. The answer comes
/// within those two seconds even when the database hangs; while an earlier check is still
/// waiting on a hung database, the next ones answer at once instead of piling up behind it.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let probe = state.probe.clone();
    if probe.waiting.swap(true, Ordering::SeqCst) {
        return unavailable("not answering");
    }
    let check = tokio::task::spawn_blocking(move || {
        // Cleared however the check ends, a panic included.
        struct Done<'a>(&'a AtomicBool);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::SeqCst);
            }
        }
        let _done = Done(&probe.waiting);
        probe
            .pool
            .get_timeout(READY_WITHIN)
            .map_err(|e| db::DbError::Unavailable(e.to_string()))
            .and_then(|mut conn| db::ping(&mut conn))
    });
    match tokio::time::timeout(READY_WITHIN, check).await {
        Ok(Ok(Ok(()))) => HttpResponse::Ok().json(json!({ "status": "ready", "database": "ok" })),
        Ok(Ok(Err(e))) => {
            tracing::warn!(error = %e, "readiness check failed");
            unavailable("unreachable")
        }
        Ok(Err(_)) => unavailable("unreachable"),
        Err(_) => {
            tracing::warn!("readiness check: the database did not answer within 2 s");
            unavailable("not answering")
        }
    }
}

fn unavailable(database: &str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((actix_web::http::header::RETRY_AFTER, "5"))
        .json(json!({ "status": "unavailable", "database": database }))
}
