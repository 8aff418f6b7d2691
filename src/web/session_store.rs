//! Sessions kept in the database (actix-session `SessionStore`), so that every instance sees the
//! same sessions and ending one takes effect everywhere at once. The cookie carries a random
//! key; the database keeps only its SHA-256.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use chrono::{Duration, NaiveDateTime};

use crate::auth::secret;
use crate::db::sessions::{self, NewSession};
use crate::db::users::UserRow;
use crate::db::{self, DbError, Pool};

/// Session state keys the store reads to fill its columns.
pub const USER_ID: &str = "uid";
pub const ABSOLUTE_UNTIL: &str = "absolute_until";
pub const CLIENT_ADDR: &str = "addr";
pub const USER_AGENT: &str = "agent";
/// The signed-in person as read with the session (`Person`): never stored, taken out of the
/// state before it is written.
pub const PERSON: &str = "__person";

/// The person of a session, read in the same statement as the session itself, so that a page
/// view needs no second look-up (`web::session::Viewer`). It lives for the one request: the
/// next request reads it again, so a deactivation or sign-out elsewhere takes effect at once.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Person {
    /// The account, without its password hash and second-factor seed.
    pub user: UserRow,
    /// Whether the person's mission is active (`None`: the person has no mission).
    pub mission_active: Option<bool>,
    /// The name of the person's mission.
    pub mission_name: Option<String>,
    /// Their unread notifications about requests they may still see (the header's badge),
    /// counted up to `notifications::UNREAD_CAP` + 1.
    pub unread: i64,
}

/// A session's expiry is extended at most this often (on SQLite even an UPDATE that changes
/// nothing takes the write lock, and every signed-in request would otherwise write).
const RENEWAL_STEP: Duration = Duration::seconds(30);

#[derive(Clone)]
pub struct DbSessionStore {
    pool: Pool,
    /// How long a session lasts without a request.
    idle: Duration,
}

impl DbSessionStore {
    pub fn new(pool: Pool, idle: Duration) -> Self {
        Self { pool, idle }
    }
}

type State = HashMap<String, String>;

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn ttl(ttl: &CookieDuration) -> Duration {
    Duration::seconds(ttl.whole_seconds())
}

/// A string value of the state (values are JSON-encoded by actix-session).
fn text(state: &State, key: &str) -> Option<String> {
    state
        .get(key)
        .and_then(|v| serde_json::from_str::<String>(v).ok())
}

fn absolute_until(state: &State) -> Option<i64> {
    state
        .get(ABSOLUTE_UNTIL)
        .and_then(|v| serde_json::from_str::<i64>(v).ok())
}

/// Hashing the key means a copy of the database does not hand out live sessions.
fn key_hash(key: &SessionKey) -> String {
    secret::digest(key.as_ref())
}

async fn insert_new(pool: &Pool, state: State, ttl: Duration) -> Result<SessionKey, DbError> {
    let key = secret::generate();
    let hash = secret::digest(&key);
    let json = serde_json::to_string(&state).unwrap_or_else(|_| "{}".into());
    db::run(pool, move |conn| {
        let now = now();
        sessions::insert(
            conn,
            &NewSession {
                id_hash: &hash,
                user_id: text(&state, USER_ID).as_deref(),
                state: &json,
                created_at: now,
                last_seen_at: now,
                expires_at: now + ttl,
                client_addr: text(&state, CLIENT_ADDR).as_deref(),
                user_agent: text(&state, USER_AGENT).as_deref(),
            },
        )?;
        Ok::<_, DbError>(())
    })
    .await?;
    Ok(SessionKey::try_from(key).expect("43 characters make a valid session key"))
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let hash = key_hash(session_key);
        let idle = self.idle;
        // The session, its person and their mission in one statement; the expiry is extended
        // here too (at most every `RENEWAL_STEP`), so that `update_ttl` has nothing to do.
        let found = db::query(&self.pool, move |conn| {
            let now = now();
            let found = sessions::find_live(
                conn,
                &hash,
                now,
                crate::app::notifications::badge_scope,
                crate::app::notifications::UNREAD_CAP,
            )?;
            if let Some(live) = &found
                && live.session.last_seen_at < now - RENEWAL_STEP
            {
                let renewed = db::bookkeeping(conn, |conn| {
                    sessions::touch(conn, &hash, now, now + idle, RENEWAL_STEP)
                });
                match renewed {
                    // A renewal is bookkeeping: when another writer holds the database it
                    // waits for a later request (the idle limit is minutes, the step 30 s),
                    // rather than turn a page that only reads into a failure.
                    Err(DbError::Busy(why)) => {
                        tracing::debug!(error = %why, "session renewal left for a later request");
                    }
                    other => other?,
                }
            }
            Ok(found)
        })
        .await
        .map_err(|e| LoadError::Other(e.into()))?;
        let Some(sessions::LiveSession {
            session: row,
            user,
            mission_active,
            mission_name,
            unread,
        }) = found
        else {
            return Ok(None);
        };
        let mut state: State =
            serde_json::from_str(&row.state).map_err(|e| LoadError::Deserialization(e.into()))?;
        if absolute_until(&state).is_some_and(|until| until <= now().and_utc().timestamp()) {
            let hash = row.id_hash;
            db::query(&self.pool, move |conn| sessions::delete(conn, &hash))
                .await
                .map_err(|e| LoadError::Other(e.into()))?;
            return Ok(None);
        }
        state.remove(PERSON);
        if let Some(mut user) = user {
            // Secrets stay in the database: nothing that reads the session needs them.
            user.password_hash = None;
            user.totp_secret = None;
            let person = Person {
                user,
                mission_active,
                mission_name,
                unread,
            };
            let json =
                serde_json::to_string(&person).map_err(|e| LoadError::Deserialization(e.into()))?;
            state.insert(PERSON.to_owned(), json);
        }
        Ok(Some(state))
    }

    async fn save(&self, mut state: State, ttl_: &CookieDuration) -> Result<SessionKey, SaveError> {
        state.remove(PERSON);
        insert_new(&self.pool, state, ttl(ttl_))
            .await
            .map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        mut state: State,
        ttl_: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        state.remove(PERSON);
        let hash = key_hash(&session_key);
        let json =
            serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let user_id = text(&state, USER_ID);
        let ttl = ttl(ttl_);
        let updated = db::query(&self.pool, move |conn| {
            let now = now();
            sessions::update_state(conn, &hash, user_id.as_deref(), &json, now, now + ttl)
        })
        .await
        .map_err(|e| UpdateError::Other(e.into()))?;
        if updated {
            Ok(session_key)
        } else {
            // The session was ended meanwhile (sign-out elsewhere, deactivation): never bring it
            // back. Start an empty one instead; the person is signed out.
            insert_new(&self.pool, State::new(), ttl)
                .await
                .map_err(|e| UpdateError::Other(e.into()))
        }
    }

    async fn update_ttl(
        &self,
        _session_key: &SessionKey,
        _ttl: &CookieDuration,
    ) -> Result<(), anyhow::Error> {
        // `load` extended the expiry already, in the statement's round trip's wake.
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let hash = key_hash(session_key);
        db::query(&self.pool, move |conn| sessions::delete(conn, &hash))
            .await
            .map_err(|e| e.into())
    }
}
