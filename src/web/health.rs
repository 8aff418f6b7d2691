//! Liveness and readiness probes for load balancers and orchestrators.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::AppState;
use crate::db;

/// The process is up and answering.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "live" }))
}

/// The process can serve requests: its database answers within two seconds.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let outcome = web::block(move || {
        let mut conn = pool
            .get_timeout(Duration::from_secs(2))
            .map_err(|e| db::DbError::Unavailable(e.to_string()))?;
        db::ping(&mut conn)
    })
    .await;
    match outcome {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({ "status": "ready", "database": "ok" })),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "database": "unreachable" }))
        }
        Err(_) => HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "unavailable", "database": "unreachable" })),
    }
}
