//! The web interface: actix handlers and maud views, one file per area. Handlers parse input,
//! call one application function and render; they hold no SQL and no rules.

pub mod errors;
pub mod frame;
pub mod health;
pub mod home;
pub mod layout;
pub mod setup;

use std::sync::Arc;

use actix_web::web;

use crate::auth::password::HashCost;
use crate::db::Pool;
use crate::settings::Settings;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub hash_cost: HashCost,
}

/// Every route of the portal.
pub fn routes(cfg: &mut web::ServiceConfig) {
    // Resources rather than bare routes, so that a wrong method is answered 405, not 404.
    cfg.service(web::resource("/").get(home::show))
        .service(web::resource("/health/live").get(health::live))
        .service(web::resource("/health/ready").get(health::ready))
        .service(web::resource("/static/portal.css").get(layout::stylesheet))
        .service(web::resource("/setup").get(setup::show).post(setup::create));
}
