//! Who is looking: the signed-in person, established from the server-side session on every
//! request, and the client address.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};

use super::AppState;
use super::csrf;
use super::errors::WebError;
use super::layout::{Chrome, SignedIn};
use crate::app;
use crate::db::users::UserRow;
use crate::db::{self};
use crate::domain::access::{self, Actor, Capability, Refusal};
use crate::domain::{Clearance, Role};

/// Session keys for the sign-in stage.
pub const STAGE: &str = "stage";
pub const STAGE_PASSWORD: &str = "password";
pub const STAGE_SIGNED_IN: &str = "signed_in";
/// A random label for this session, to recognise it in the list of one's sessions.
pub const SESSION_LABEL: &str = "sid";

/// The signed-in person (both factors given), active, with the session they came with.
pub struct Viewer {
    pub actor: Actor,
    pub user: UserRow,
    pub csrf: String,
    pub session: Session,
    pub client_addr: String,
    /// Unread notifications about requests they may still see (the header's badge).
    pub unread: i64,
    /// The name of their mission (mission staff), as read with the session.
    pub mission_name: Option<String>,
    /// How long the session lasts without a request (`security.session_idle_minutes`).
    pub idle_minutes: u32,
}

impl Viewer {
    pub fn chrome(&self) -> Chrome {
        Chrome {
            signed_in: Some(SignedIn {
                name: self.user.name.clone(),
                role: self.actor.role,
                csrf: self.csrf.clone(),
                unread: self.unread,
                idle_seconds: self.idle_minutes * 60,
                person: super::layout::person_digest(&self.user.id),
            }),
        }
    }

    /// Asks the policy; a refusal becomes 403 or 404 as the policy decides.
    pub fn require(&self, capability: Capability) -> Result<(), WebError> {
        access::authorise(&self.actor, capability).map_err(|refusal| match refusal {
            Refusal::Forbidden => WebError::Forbidden,
            Refusal::NotFound => WebError::NotFound,
        })
    }

    pub fn acting(&self) -> app::Acting {
        app::Acting::person(&self.actor, &self.client_addr)
    }
}

/// The client's address: the connection's, or — when the connection comes from a configured
/// trusted proxy — the nearest untrusted address in `X-Forwarded-For`. Headers from anyone else
/// are ignored, so a client cannot choose the address it is throttled and logged under.
pub fn client_addr(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".to_owned();
    };
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.trusted_proxies.clone())
        .unwrap_or_default();
    if trusted.contains(&peer)
        && let Some(forwarded) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
    {
        for hop in forwarded.rsplit(',') {
            match hop.trim().parse::<std::net::IpAddr>() {
                Ok(ip) if trusted.contains(&ip) => continue,
                Ok(ip) => return ip.to_string(),
                Err(_) => break,
            }
        }
    }
    peer.to_string()
}

impl FromRequest for Viewer {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Viewer, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let client_addr = client_addr(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or(WebError::Internal("application state missing".into()))?;
            let stage = session.get::<String>(STAGE).ok().flatten();
            let user_id = session
                .get::<String>(super::session_store::USER_ID)
                .ok()
                .flatten();
            let (Some(user_id), Some(STAGE_SIGNED_IN)) = (user_id, stage.as_deref()) else {
                return Err(WebError::SignInRequired);
            };
            // The person was read with the session (`session_store::Person`); only a session
            // made in this very request has to look them up.
            let read_with_session = session
                .get::<super::session_store::Person>(super::session_store::PERSON)
                .ok()
                .flatten()
                .filter(|p| p.user.id == user_id);
            let (user, unread, mission_name) = match read_with_session {
                Some(p) => (
                    app::sign_in::may_stay_signed_in(&p.user, p.mission_active).then_some(p.user),
                    Some(p.unread),
                    p.mission_name,
                ),
                None => {
                    let (user, mission_name) = db::run(&state.pool, move |conn| {
                        app::sign_in::signed_in_person(conn, &user_id)
                    })
                    .await
                    .map_err(WebError::from)?;
                    (user, None, mission_name)
                }
            };
            let Some(user) = user else {
                session.purge();
                return Err(WebError::SignInRequired);
            };
            let (Ok(role), Ok(clearance)) = (
                user.role.parse::<Role>(),
                user.clearance.parse::<Clearance>(),
            ) else {
                return Err(WebError::from(db::DbError::Corrupt(format!(
                    "user {}: role or clearance not recognised",
                    user.id
                ))));
            };
            let actor = Actor {
                user_id: user.id.clone(),
                role,
                mission_id: user.mission_id.clone(),
                clearance,
            };
            // From here on the page speaks the person's own language.
            crate::i18n::set_current(crate::i18n::Lang::parse(&user.locale).unwrap_or_default());
            // Whoever is refused later in this request is named in the security log.
            req.extensions_mut()
                .insert(app::Acting::person(&actor, &client_addr));
            let unread = match unread {
                Some(n) => n,
                None => {
                    let for_count = actor.clone();
                    db::run(&state.pool, move |conn| {
                        app::notifications::unread_count(conn, &for_count)
                    })
                    .await
                    .map_err(WebError::from)?
                }
            };
            let csrf = csrf::token(&session);
            Ok(Viewer {
                actor,
                user,
                csrf,
                session,
                client_addr,
                unread,
                mission_name,
                idle_minutes: state.settings.security.session_idle_minutes,
            })
        })
    }
}
