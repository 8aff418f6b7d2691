//! The web interface: actix handlers and maud views, one file per area. Handlers parse input,
//! call one application function and render; they hold no SQL and no rules.

/// Declares routes once: the same table registers each handler and lists every (method, path),
/// so no route can be served without appearing in `ROUTES` — the list the authorisation matrix
/// and the OpenAPI test are checked against. Resources rather than bare routes, so that a wrong
/// method is answered 405, not 404.
///
/// A path that takes uploads names its own body limit, above `server.max_body_bytes`:
/// `"/requests/{id}/attachments" max_body body::UPLOAD => [post => …]` (`UPLOAD`: the file
/// limit of the settings). The limit is given to
/// the route's handlers (`PayloadConfig`) and listed in `BODY_LIMITS`, which the middlewares
/// consult (`body::BodyLimits`) for multipart bodies; urlencoded forms keep the global limit.
macro_rules! route_table {
    ($($path:literal $(max_body $limit:expr)? => [$($method:ident => $handler:path),+ $(,)?]),* $(,)?) => {
        /// Every (method, path) this table registers.
        pub const ROUTES: &[(&str, &str)] = &[$($((stringify!($method), $path),)+)*];

        /// The paths of this table with a body limit of their own, and that limit in bytes.
        pub const BODY_LIMITS: &[(&str, usize)] = &[$($(($path, $limit),)?)*];

        /// Registers every route of this table.
        pub fn register(cfg: &mut ::actix_web::web::ServiceConfig) {
            $(cfg.service(
                ::actix_web::web::resource($path)
                    $(.app_data(::actix_web::web::PayloadConfig::new($limit)))?
                    $(.route(::actix_web::web::$method().to($handler)))+
            );)*
        }
    };
}

pub mod account;
pub mod admin;
pub mod api;
pub mod attachments;
pub mod banner;
pub mod body;
pub mod calendar;
pub mod charts;
pub mod csrf;
pub mod deadline;
pub mod deliveries;
pub mod errors;
pub mod forms;
pub mod frame;
pub mod health;
pub mod home;
pub mod ical;
pub mod invitation;
pub mod language;
pub mod layout;
pub mod missions;
pub mod notifications;
pub mod parameters;
pub mod portal_jobs;
pub mod request_details;
pub mod requests;
pub mod security_log;
pub mod session;
pub mod session_store;
pub mod setup;
pub mod sign_in;
pub mod statement;
pub mod statistics;
pub mod upload;

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
    /// The readiness probe's own connection.
    pub probe: std::sync::Arc<health::Probe>,
}

impl AppState {
    pub fn throttle_policy(&self) -> crate::domain::throttle::ThrottlePolicy {
        self.settings.throttle_policy()
    }
}

/// The Swagger UI's route, registered by `startup` when `api.docs_enabled` is on.
pub const DOCS_ROUTE: (&str, &str) = ("get", "/api/docs/{_:.*}");

/// Every route of the portal: pages, the API and (when enabled) the API's documentation.
pub fn all_routes(docs_enabled: bool) -> Vec<(&'static str, &'static str)> {
    let mut all: Vec<_> = ROUTES.iter().chain(api::ROUTES).copied().collect();
    if docs_enabled {
        all.push(DOCS_ROUTE);
    }
    all
}

/// How large a body each route accepts: `default` (`server.max_body_bytes`), or the limit its
/// route table gives it.
pub fn body_limits(default: usize, upload: u64) -> body::BodyLimits {
    body::BodyLimits::with_uploads(
        default,
        usize::try_from(upload).unwrap_or(usize::MAX),
        BODY_LIMITS.iter().chain(api::BODY_LIMITS).copied(),
    )
}

/// Every route of the portal's pages and API.
pub fn routes(cfg: &mut web::ServiceConfig) {
    api::register(cfg);
    register(cfg);
}

route_table! {
    "/" => [get => home::show],
    "/health/live" => [get => health::live],
    "/health/ready" => [get => health::ready],
    "/static/portal.css" => [get => layout::stylesheet],
    "/static/session.js" => [get => layout::session_script],
    "/session/keep-alive" => [get => layout::keep_alive],
    "/language" => [get => language::switch],
    "/accessibility" => [get => statement::accessibility],
    "/setup" => [get => setup::show, post => setup::create],
    "/invitation" => [get => invitation::show, post => invitation::accept],
    "/sign-in" => [get => sign_in::show, post => sign_in::submit_password],
    "/sign-in/enrol" => [get => sign_in::show_enrolment, post => sign_in::submit_enrolment],
    "/sign-in/code" => [get => sign_in::show_code, post => sign_in::submit_code],
    "/sign-out" => [post => sign_in::sign_out],
    "/requests/new" max_body body::UPLOAD => [get => requests::new_form, post => requests::create],
    "/requests/{id}" => [get => requests::show],
    "/requests/{id}/edit" max_body body::UPLOAD => [get => requests::edit_form, post => requests::update],
    "/requests/{id}/review" => [get => requests::review],
    "/requests/{id}/submitted" => [get => requests::submitted],
    "/requests/{id}/receipt" => [get => requests::receipt],
    "/requests/{id}/receipt.pdf" => [get => attachments::receipt_pdf],
    "/requests/{id}/reply.pdf" => [get => attachments::reply_pdf],
    "/requests/{id}/attachments" max_body body::UPLOAD => [post => attachments::upload],
    "/requests/{id}/attachments/{aid}" => [get => attachments::download],
    "/requests/{id}/attachments/{aid}/remove" => [post => attachments::remove],
    "/requests/{id}/file-again" => [post => requests::file_again],
    "/requests/{id}/discard" => [get => requests::confirm_discard, post => requests::discard],
    "/requests/{id}/transitions" => [post => requests::transition],
    "/requests/{id}/messages" => [post => requests::message],
    "/calendar" => [get => calendar::show],
    "/calendar/feed" => [post => calendar::create_feed],
    "/statistics" => [get => statistics::show],
    "/statistics.csv" => [get => statistics::csv],
    "/missions" => [get => missions::list],
    "/missions/{id}" => [get => missions::show],
    "/missions/{id}/threat-levels" => [post => missions::record],
    "/notifications" => [get => notifications::show],
    "/notifications/read-all" => [post => notifications::mark_all_read],
    "/notifications/{id}/read" => [post => notifications::mark_read],
    "/admin/deliveries" => [get => deliveries::list],
    "/admin/jobs" => [get => portal_jobs::list],
    "/admin/security-log" => [get => security_log::list],
    "/admin/deliveries/{id}/retry" => [post => deliveries::retry],
    "/account/notifications" => [post => account::save_preferences],
    "/account/language" => [post => account::save_language],
    "/account/tokens" => [post => account::create_token],
    "/account/tokens/{id}/revoke" => [post => account::revoke_token],
    "/account" => [get => account::show],
    "/account/password" => [post => account::change_password],
    "/account/recovery-codes" => [post => account::regenerate_codes],
    "/account/sessions/{id}/revoke" => [post => account::revoke_session],
    "/admin/missions" => [get => admin::list_missions, post => admin::create_mission],
    "/admin/missions/{id}" => [get => admin::show_mission],
    "/admin/missions/{id}/rename" => [post => admin::rename_mission],
    "/admin/missions/{id}/deactivate" => [post => admin::deactivate_mission],
    "/admin/missions/{id}/reactivate" => [post => admin::reactivate_mission],
    "/admin/users" => [get => admin::list_users, post => admin::invite_user],
    "/admin/users/new" => [get => admin::new_user],
    "/admin/users/{id}" => [get => admin::show_user],
    "/admin/users/{id}/deactivate" => [post => admin::deactivate_user],
    "/admin/users/{id}/reactivate" => [post => admin::reactivate_user],
    "/admin/users/{id}/second-factor/reset" => [post => admin::reset_second_factor],
    "/admin/users/{id}/invitation" => [post => admin::reinvite_user],
}
