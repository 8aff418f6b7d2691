//! The web interface: actix handlers and maud views, one file per area. Handlers parse input,
//! call one application function and render; they hold no SQL and no rules.

pub mod account;
pub mod admin;
pub mod api;
pub mod deliveries;
pub mod errors;
pub mod forms;
pub mod frame;
pub mod health;
pub mod home;
pub mod invitation;
pub mod layout;
pub mod notifications;
pub mod requests;
pub mod security_log;
pub mod session;
pub mod setup;
pub mod sign_in;

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
    /// From `security.trusted_proxies`, parsed once.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl AppState {
    pub fn throttle_policy(&self) -> crate::domain::throttle::ThrottlePolicy {
        self.settings.throttle_policy()
    }
}

/// Every route of the portal.
pub fn routes(cfg: &mut web::ServiceConfig) {
    api::routes(cfg);
    // Resources rather than bare routes, so that a wrong method is answered 405, not 404.
    cfg.service(web::resource("/").get(home::show))
        .service(web::resource("/health/live").get(health::live))
        .service(web::resource("/health/ready").get(health::ready))
        .service(web::resource("/static/portal.css").get(layout::stylesheet))
        .service(web::resource("/setup").get(setup::show).post(setup::create))
        .service(
            web::resource("/invitation")
                .get(invitation::show)
                .post(invitation::accept),
        )
        .service(
            web::resource("/sign-in")
                .get(sign_in::show)
                .post(sign_in::submit_password),
        )
        .service(
            web::resource("/sign-in/enrol")
                .get(sign_in::show_enrolment)
                .post(sign_in::submit_enrolment),
        )
        .service(
            web::resource("/sign-in/code")
                .get(sign_in::show_code)
                .post(sign_in::submit_code),
        )
        .service(web::resource("/sign-out").post(sign_in::sign_out))
        .service(
            web::resource("/requests/new")
                .get(requests::new_form)
                .post(requests::create),
        )
        .service(web::resource("/requests/{id}").get(requests::show))
        .service(
            web::resource("/requests/{id}/edit")
                .get(requests::edit_form)
                .post(requests::update),
        )
        .service(web::resource("/requests/{id}/review").get(requests::review))
        .service(web::resource("/requests/{id}/discard").post(requests::discard))
        .service(web::resource("/requests/{id}/transitions").post(requests::transition))
        .service(web::resource("/requests/{id}/messages").post(requests::message))
        .service(web::resource("/notifications").get(notifications::show))
        .service(web::resource("/notifications/read-all").post(notifications::mark_all_read))
        .service(web::resource("/notifications/{id}/read").post(notifications::mark_read))
        .service(web::resource("/admin/deliveries").get(deliveries::list))
        .service(web::resource("/admin/security-log").get(security_log::list))
        .service(web::resource("/admin/deliveries/{id}/retry").post(deliveries::retry))
        .service(web::resource("/account/notifications").post(account::save_preferences))
        .service(web::resource("/account/tokens").post(account::create_token))
        .service(web::resource("/account/tokens/{id}/revoke").post(account::revoke_token))
        .service(web::resource("/account").get(account::show))
        .service(web::resource("/account/password").post(account::change_password))
        .service(web::resource("/account/recovery-codes").post(account::regenerate_codes))
        .service(web::resource("/account/sessions/{id}/revoke").post(account::revoke_session))
        .service(
            web::resource("/admin/missions")
                .get(admin::list_missions)
                .post(admin::create_mission),
        )
        .service(web::resource("/admin/missions/{id}").get(admin::show_mission))
        .service(web::resource("/admin/missions/{id}/rename").post(admin::rename_mission))
        .service(web::resource("/admin/missions/{id}/deactivate").post(admin::deactivate_mission))
        .service(web::resource("/admin/missions/{id}/reactivate").post(admin::reactivate_mission))
        .service(
            web::resource("/admin/users")
                .get(admin::list_users)
                .post(admin::invite_user),
        )
        .service(web::resource("/admin/users/new").get(admin::new_user))
        .service(web::resource("/admin/users/{id}").get(admin::show_user))
        .service(web::resource("/admin/users/{id}/deactivate").post(admin::deactivate_user))
        .service(web::resource("/admin/users/{id}/reactivate").post(admin::reactivate_user))
        .service(
            web::resource("/admin/users/{id}/second-factor/reset").post(admin::reset_second_factor),
        )
        .service(web::resource("/admin/users/{id}/invitation").post(admin::reinvite_user));
}
