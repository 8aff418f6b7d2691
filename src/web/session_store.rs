//! Sessions kept in the database (actix-session `SessionStore`), so that every instance sees the
//! same sessions and ending one takes effect everywhere at once. The cookie carries a random
//! key; the database keeps only its SHA-256.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use chrono::{Duration, NaiveDateTime};

use crate::auth::secret;
use crate::db::sessions::{self, NewSession};
use crate::db::{self, DbError, Pool};

/// Session state keys the store reads to fill its columns.
pub const USER_ID: &str = "uid";
pub const ABSOLUTE_UNTIL: &str = "absolute_until";
pub const CLIENT_ADDR: &str = "addr";
pub const USER_AGENT: &str = "agent";

#[derive(Clone)]
pub struct DbSessionStore {
    pool: Pool,
}

impl DbSessionStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
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
        let row = db::query(&self.pool, move |conn| {
            sessions::find_live(conn, &hash, now())
        })
        .await
        .map_err(|e| LoadError::Other(e.into()))?;
        let Some(row) = row else { return Ok(None) };
        let state: State =
            serde_json::from_str(&row.state).map_err(|e| LoadError::Deserialization(e.into()))?;
        if absolute_until(&state).is_some_and(|until| until <= now().and_utc().timestamp()) {
            let hash = row.id_hash;
            db::query(&self.pool, move |conn| sessions::delete(conn, &hash))
                .await
                .map_err(|e| LoadError::Other(e.into()))?;
            return Ok(None);
        }
        Ok(Some(state))
    }

    async fn save(&self, state: State, ttl_: &CookieDuration) -> Result<SessionKey, SaveError> {
        insert_new(&self.pool, state, ttl(ttl_))
            .await
            .map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: State,
        ttl_: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
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
        session_key: &SessionKey,
        ttl_: &CookieDuration,
    ) -> Result<(), anyhow::Error> {
        let hash = key_hash(session_key);
        let ttl = ttl(ttl_);
        let renewed = db::query(&self.pool, move |conn| {
            let now = now();
            // A read first: on SQLite even an UPDATE that changes nothing takes the write
            // lock, and this runs on every signed-in request.
            let granularity = Duration::seconds(30);
            if sessions::seen_since(conn, &hash, now - granularity)? {
                return Ok(());
            }
            db::bookkeeping(conn, |conn| {
                sessions::touch(conn, &hash, now, now + ttl, granularity)
            })
        })
        .await;
        match renewed {
            // A renewal is bookkeeping: when another writer holds the database it waits for a
            // later request (the idle limit is minutes, the renewal's step 30 s), rather than
            // turn a page that only reads into a failure.
            Err(db::DbError::Busy(why)) => {
                tracing::debug!(error = %why, "session renewal left for a later request");
                Ok(())
            }
            other => other.map_err(|e| e.into()),
        }
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let hash = key_hash(session_key);
        db::query(&self.pool, move |conn| sessions::delete(conn, &hash))
            .await
            .map_err(|e| e.into())
    }
}
