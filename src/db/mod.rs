//! The data layer, and the only module that speaks diesel: one connection type over SQLite and
//! PostgreSQL, the pool, the helper that runs database work off the async threads, migrations,
//! and the queries, one file per area. It knows neither the web framework nor the application
//! layer: its functions answer `DbResult`, and the layers above convert `DbError` into their own
//! errors (`From<DbError>`).

pub mod accounts;
pub mod missions;
pub mod outbox;
pub mod preferences;
pub mod recovery_codes;
pub mod requests;
pub mod schema;
pub mod secrets;
pub mod security_log;
pub mod seed;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::ExposeSecret;

use crate::settings::{DatabaseBackend, DatabaseSettings, backend_of, sqlite_path_of};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection to whichever database the URL chose.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

impl DbConnection {
    pub fn backend(&self) -> DatabaseBackend {
        match self {
            DbConnection::Postgres(_) => DatabaseBackend::Postgres,
            DbConnection::Sqlite(_) => DatabaseBackend::Sqlite,
        }
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Everything that can go wrong talking to the database, as the rest of the program sees it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(diesel::result::Error),
    /// A stored value the program does not understand (a code no longer known, a column that
    /// does not read back as its type).
    #[error("stored data not understood: {0}")]
    Corrupt(String),
}

/// What this module's functions answer.
pub type DbResult<T> = Result<T, DbError>;

impl From<diesel::result::Error> for DbError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::DeserializationError(inner) => {
                DbError::Corrupt(inner.to_string())
            }
            other => DbError::Query(other),
        }
    }
}

impl DbError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

/// Opens connections for the pool: picks the engine by URL and prepares each SQLite connection.
#[derive(Debug)]
pub struct ConnectionManager {
    url: String,
    backend: DatabaseBackend,
    busy_timeout_ms: u64,
}

impl ConnectionManager {
    pub fn new(url: &str, busy_timeout_ms: u64) -> Self {
        Self {
            url: url.to_owned(),
            backend: backend_of(url),
            busy_timeout_ms,
        }
    }

    fn open(&self) -> Result<DbConnection, ConnectionError> {
        match self.backend {
            DatabaseBackend::Postgres => {
                diesel::PgConnection::establish(&self.url).map(DbConnection::Postgres)
            }
            DatabaseBackend::Sqlite => {
                let path = sqlite_path_of(&self.url).unwrap_or_default();
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
                // Per-connection settings: SQLite forgets these when a connection closes.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                    self.busy_timeout_ms
                ))
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.open().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// Builds the pool. The first connection is opened here, so a wrong URL, an unreachable server
/// or an unwritable file is reported at start-up with the database's own words.
pub fn build_pool(settings: &DatabaseSettings) -> anyhow::Result<Pool> {
    let url = settings.url.expose_secret();
    if let Some(path) = sqlite_path_of(url)
        && let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            anyhow::anyhow!("cannot create the database folder {}: {e}", dir.display())
        })?;
    }
    let manager = ConnectionManager::new(url, settings.sqlite_busy_timeout_ms);
    // Open one connection directly first: r2d2 would only say "timed out" on failure.
    let mut first = manager.open().map_err(|e| {
        anyhow::anyhow!(
            "cannot connect to the {} database: {e}",
            backend_name(manager.backend)
        )
    })?;
    if let DbConnection::Sqlite(conn) = &mut first {
        // Write-ahead logging is a property of the database file: set once, kept by SQLite.
        conn.batch_execute("PRAGMA journal_mode = WAL;")
            .map_err(|e| anyhow::anyhow!("cannot switch the SQLite database to WAL: {e}"))?;
    }
    drop(first);
    let pool = r2d2::Pool::builder()
        .max_size(settings.pool_size)
        .connection_timeout(Duration::from_secs(settings.connect_timeout_seconds))
        .test_on_check_out(true)
        .build(manager)?;
    Ok(pool)
}

fn backend_name(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "PostgreSQL",
        DatabaseBackend::Sqlite => "SQLite",
    }
}

/// Serialises this process's SQLite write transactions (see `write`).
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs database work on the blocking thread pool, never on the async threads. Needs a Tokio
/// runtime (every server, command and test runs inside one).
pub async fn run<T, E, F>(pool: &Pool, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let pool = pool.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut conn = pool
            .get()
            .map_err(|e| E::from(DbError::Unavailable(e.to_string())))?;
        work(&mut conn)
    })
    .await;
    match outcome {
        Ok(result) => result,
        Err(e) => Err(E::from(DbError::Unavailable(format!(
            "database task failed: {e}"
        )))),
    }
}

/// `run` for work that answers this module's own error (one or a few query functions).
pub async fn query<T, F>(pool: &Pool, work: F) -> DbResult<T>
where
    F: FnOnce(&mut DbConnection) -> DbResult<T> + Send + 'static,
    T: Send + 'static,
{
    run(pool, work).await
}

/// Runs `work` in one write transaction: all of it is kept, or none. On SQLite the transaction
/// begins IMMEDIATE, taking the write lock at once, so two writers never deadlock on upgrade.
pub fn write<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<DbError>,
{
    let fail = |e: diesel::result::Error| E::from(DbError::from(e));
    let outermost =
        <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth()
            .map_err(fail)?
            .is_none();
    // SQLite has one writer at a time. Writers of this process queue here and each starts the
    // moment the one before commits; left to SQLite's busy handler, they would sleep and poll
    // (1 ms, 2 ms, 5 ms, … 100 ms), which under load costs more than the writes themselves.
    // Other processes on the same file (the worker) still wait in the busy handler. Work never
    // takes a second connection, so holding this while it runs cannot deadlock.
    let _one_writer = match conn {
        DbConnection::Sqlite(_) if outermost => Some(
            SQLITE_WRITER
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        ),
        _ => None,
    };
    match conn {
        DbConnection::Sqlite(c) if outermost => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE").map_err(fail)?
        }
        _ => <DbConnection as Connection>::TransactionManager::begin_transaction(conn)
            .map_err(fail)?,
    }
    match work(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)
                .map_err(fail)?;
            Ok(value)
        }
        Err(error) => {
            // The work's own error is what the caller needs; a failed rollback leaves the
            // connection broken, and the pool discards broken connections.
            let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
            Err(error)
        }
    }
}

/// Applies pending migrations. On PostgreSQL an advisory lock keeps several instances starting at
/// once from migrating concurrently. Returns the versions applied.
pub fn migrate(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Postgres(c) => {
            c.batch_execute("SELECT pg_advisory_lock(727100001)")?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>());
            c.batch_execute("SELECT pg_advisory_unlock(727100001)")?;
            result
        }
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>()),
    };
    applied.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

/// Reverts every migration, newest first (used by the migration round-trip test and by operators
/// rebuilding a scratch database). Returns the versions reverted.
pub fn revert_all(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let reverted = match conn {
        DbConnection::Postgres(c) => c
            .revert_all_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>()),
        DbConnection::Sqlite(c) => c
            .revert_all_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>()),
    };
    reverted.map_err(|e| anyhow::anyhow!("reverting migrations failed: {e}"))
}

/// Checks that the database answers (the readiness probe).
pub fn ping(conn: &mut DbConnection) -> DbResult<()> {
    conn.batch_execute("SELECT 1").map_err(DbError::from)
}

/// A fresh random id (UUIDv7: unique, and sorts by creation time).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
