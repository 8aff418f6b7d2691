//! The data layer, and the only module that speaks diesel: one connection type over SQLite and
//! PostgreSQL, the pool, the helper that runs database work off the async threads, migrations,
//! and the queries, one file per area. It knows neither the web framework nor the application
//! layer: its functions answer `DbResult`, and the layers above convert `DbError` into their own
//! errors (`From<DbError>`).

pub mod accounts;
pub mod attachments;
pub mod calendar;
pub mod deadline;
pub mod details;
pub mod escalations;
pub mod fixed;
pub mod idempotency;
pub mod missions;
pub mod operations;
pub mod outbox;
pub mod portal_jobs;
pub mod preferences;
pub mod priority;
pub mod recovery_codes;
pub mod requests;
pub mod schema;
pub mod search;
pub mod secrets;
pub mod security_log;
pub mod seed;
pub mod sessions;
pub mod statistics;
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
/// Each variant says what became of the work, so that nobody is told "nothing was changed"
/// unless that is certain.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection, or the connection was lost before a commit was sent: nothing of the work
    /// was kept (the server rolls back an unfinished transaction).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database did not answer in time (a statement or lock timeout, SQLite's busy wait,
    /// or the request's deadline): the transaction was rolled back; trying again may succeed.
    #[error("database busy: {0}")]
    Busy(String),
    /// The connection was lost while the commit was under way: the work may or may not have
    /// been kept, and only reading it back can tell.
    #[error("commit outcome unknown: {0}")]
    Uncertain(String),
    /// Any other failure of a statement: the transaction was rolled back.
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
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::DeserializationError(inner) => DbError::Corrupt(inner.to_string()),
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => DbError::Unavailable(info.message().to_owned()),
            // Rolled back by the server, and likely to succeed when tried again.
            Error::DatabaseError(kind @ DatabaseErrorKind::SerializationFailure, info) => {
                DbError::Busy(format!("{kind:?}: {}", info.message()))
            }
            Error::DatabaseError(kind, info) if is_timeout(info.message()) => {
                DbError::Busy(format!("{kind:?}: {}", info.message()))
            }
            other => DbError::Query(other),
        }
    }
}

/// Whether a database's error message says it gave up waiting: PostgreSQL's statement, lock
/// and idle-in-transaction timeouts and a deadlock broken (SQLSTATE 57014, 55P03, 25P03,
/// 40P01, which diesel does not pass on, so their messages are matched: the server's messages
/// must be in English, which `build_pool` checks), and SQLite's busy wait running out.
fn is_timeout(message: &str) -> bool {
    const SIGNS: [&str; 5] = [
        "canceling statement due to statement timeout",
        "canceling statement due to lock timeout",
        "idle-in-transaction timeout",
        "deadlock detected",
        "database is locked",
    ];
    SIGNS.iter().any(|sign| message.contains(sign))
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

/// A PostgreSQL URL with the connection's TCP safeguards added, each unless the URL already
/// sets it (an operator's own choice wins): a bounded connect, keepalive probes, and
/// `tcp_user_timeout`.
fn postgres_url(url: &str, waits: &DatabaseSettings) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let given: Vec<String> = parsed.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let wanted = [
        ("connect_timeout", waits.connect_timeout_seconds.to_string()),
        ("keepalives", "1".to_owned()),
        (
            "keepalives_idle",
            waits.tcp_keepalive_idle_seconds.to_string(),
        ),
        ("keepalives_interval", "10".to_owned()),
        ("keepalives_count", "3".to_owned()),
        ("tcp_user_timeout", waits.tcp_user_timeout_ms.to_string()),
    ];
    {
        let mut pairs = parsed.query_pairs_mut();
        for (key, value) in wanted {
            if !given.iter().any(|g| g == key) {
                pairs.append_pair(key, &value);
            }
        }
    }
    parsed.to_string()
}

/// Opens connections for the pool: picks the engine by URL and prepares each connection.
#[derive(Debug)]
pub struct ConnectionManager {
    url: String,
    backend: DatabaseBackend,
    /// The `database.*` settings: how long each kind of wait may last.
    waits: DatabaseSettings,
}

impl ConnectionManager {
    pub fn new(url: &str, waits: DatabaseSettings) -> Self {
        let backend = backend_of(url);
        Self {
            url: match backend {
                DatabaseBackend::Postgres => postgres_url(url, &waits),
                DatabaseBackend::Sqlite => url.to_owned(),
            },
            backend,
            waits,
        }
    }

    fn open(&self) -> Result<DbConnection, ConnectionError> {
        match self.backend {
            DatabaseBackend::Postgres => {
                let mut conn = diesel::PgConnection::establish(&self.url)?;
                // The server ends what runs or waits too long, and a session idle inside a
                // transaction (its client hung or gone), releasing the locks it held.
                let w = &self.waits;
                conn.batch_execute(&format!(
                    "SET statement_timeout = {}; SET lock_timeout = {}; \
                     SET idle_in_transaction_session_timeout = {};",
                    w.statement_timeout_ms, w.lock_timeout_ms, w.idle_in_transaction_timeout_ms
                ))
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                conn.set_instrumentation(CountStatements);
                Ok(DbConnection::Postgres(conn))
            }
            DatabaseBackend::Sqlite => {
                let path = sqlite_path_of(&self.url).unwrap_or_default();
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
                // Per-connection settings: SQLite forgets these when a connection closes.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                    self.waits.sqlite_busy_timeout_ms
                ))
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                conn.set_instrumentation(CountStatements);
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// Counts each statement a connection sends towards the request whose work it does (the
/// operator log's `statements` on each request line; `deadline::count_statement`).
struct CountStatements;

impl diesel::connection::Instrumentation for CountStatements {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
            deadline::count_statement();
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

/// A pool of one connection of its own for the readiness probe, so that the probe never waits
/// behind requests that hold every connection of the main pool.
pub fn build_probe_pool(settings: &DatabaseSettings) -> anyhow::Result<Pool> {
    let waits = DatabaseSettings {
        connect_timeout_seconds: 2,
        statement_timeout_ms: 2000,
        lock_timeout_ms: 1000,
        ..settings.clone()
    };
    let manager = ConnectionManager::new(settings.url.expose_secret(), waits);
    Ok(r2d2::Pool::builder()
        .max_size(1)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(2))
        .test_on_check_out(true)
        .build_unchecked(manager))
}

/// One connection without limits on statements and locks, for migrations.
pub fn open_unbounded(settings: &DatabaseSettings) -> anyhow::Result<DbConnection> {
    let manager = ConnectionManager::new(settings.url.expose_secret(), settings.without_limits());
    manager.open().map_err(|e| {
        anyhow::anyhow!(
            "cannot connect to the {} database: {e}",
            backend_name(manager.backend)
        )
    })
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
    let _ = SQLITE_WRITER_WAIT.set(Duration::from_millis(settings.sqlite_busy_timeout_ms));
    let manager = ConnectionManager::new(url, settings.clone());
    // Open one connection directly first: r2d2 would only say "timed out" on failure.
    let mut first = manager.open().map_err(|e| {
        anyhow::anyhow!(
            "cannot connect to the {} database: {e}",
            backend_name(manager.backend)
        )
    })?;
    if let DbConnection::Postgres(conn) = &mut first {
        warn_unless_english_messages(conn);
    }
    if let DbConnection::Sqlite(conn) = &mut first {
        // Write-ahead logging is a property of the database file: set once, kept by SQLite.
        conn.batch_execute("PRAGMA journal_mode = WAL;")
            .map_err(|e| anyhow::anyhow!("cannot switch the SQLite database to WAL: {e}"))?;
    }
    drop(first);
    // Each connection is checked as it is taken out: one killed by the server (a restart, a
    // failover, an idle timeout) is replaced before work is given to it, not found out by a
    // person's request failing.
    let pool = r2d2::Pool::builder()
        .max_size(settings.pool_size)
        .connection_timeout(Duration::from_secs(settings.connect_timeout_seconds))
        .test_on_check_out(true)
        .build(manager)?;
    Ok(pool)
}

/// The portal recognises PostgreSQL's timeout and deadlock errors by their English messages
/// (diesel does not pass SQLSTATE codes on). A server answering in another language still works,
/// but such a refusal is then answered 500 instead of 503 "busy": the operator is told how to
/// fix it.
fn warn_unless_english_messages(conn: &mut diesel::PgConnection) {
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        lc_messages: String,
    }
    if let Ok(Setting { lc_messages }) =
        diesel::sql_query("SHOW lc_messages").get_result::<Setting>(conn)
    {
        let english = lc_messages.is_empty() || lc_messages == "C" || lc_messages.starts_with("en");
        if !english {
            tracing::warn!(
                %lc_messages,
                "PostgreSQL answers in another language: timeouts will be reported as internal errors; set lc_messages = 'C' for the portal's role (ALTER ROLE … SET lc_messages = 'C', by a superuser)"
            );
        }
    }
}

fn backend_name(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "PostgreSQL",
        DatabaseBackend::Sqlite => "SQLite",
    }
}

/// Serialises this process's SQLite write transactions (see `write`).
static SQLITE_WRITER: parking_lot::Mutex<()> = parking_lot::const_mutex(());

/// How long a writer waits for `SQLITE_WRITER`: `database.sqlite_busy_timeout_ms`, set when the
/// pool is built.
static SQLITE_WRITER_WAIT: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();

/// Takes a connection out of `pool` within what `deadline` leaves, then does `work` on it (on a
/// blocking thread, with the request's deadline as the one `db::write` consults).
fn checked_out_and_run<T, E, F>(
    pool: &Pool,
    deadline: Option<std::sync::Arc<deadline::Deadline>>,
    work: F,
) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<DbError>,
{
    let wait = match &deadline {
        None => pool.connection_timeout(),
        Some(d) => match d.remaining() {
            Some(left) => left.min(pool.connection_timeout()),
            None => return Err(E::from(d.refusal("the request's deadline passed"))),
        },
    };
    let mut conn = pool.get_timeout(wait).map_err(|e| {
        E::from(match &deadline {
            Some(d) if d.remaining().is_none() => d.refusal(&e.to_string()),
            _ => DbError::Unavailable(e.to_string()),
        })
    })?;
    // Checking a connection out can itself wait on a hung server (r2d2 tests it first):
    // work whose request has been answered in the meantime does not start at all.
    if let Some(d) = &deadline
        && d.remaining().is_none()
    {
        return Err(E::from(d.refusal("the request's deadline passed")));
    }
    deadline::with_work(deadline, || work(&mut conn))
}

/// Runs database work on the blocking thread pool, never on the async threads. Needs a Tokio
/// runtime (every server, command and test runs inside one).
pub async fn run<T, E, F>(pool: &Pool, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let pool = pool.clone();
    let request_deadline = deadline::of_request();
    let deadline = request_deadline.clone();
    let task = tokio::task::spawn_blocking(move || checked_out_and_run(&pool, deadline, work));
    // The request's deadline ends the wait, whatever the database does; the work left running
    // finds the request abandoned and rolls back instead of committing (`write`).
    let outcome = match &request_deadline {
        None => task.await,
        Some(d) => match tokio::time::timeout_at(d.at().into(), task).await {
            Ok(done) => done,
            Err(_) => {
                tracing::warn!(
                    "request deadline passed while waiting on the database; answered 503"
                );
                return Err(E::from(match d.abandon() {
                    deadline::Abandoned::NothingKept => {
                        DbError::Busy("the request's deadline passed".into())
                    }
                    deadline::Abandoned::MaybeKept => DbError::Uncertain(
                        "the request's deadline passed while a commit was under way".into(),
                    ),
                }));
            }
        },
    };
    match outcome {
        Ok(result) => result,
        Err(e) => Err(E::from(DbError::Unavailable(format!(
            "database task failed: {e}"
        )))),
    }
}

/// `run` for the portal's own work (the scheduler's jobs): gives way to people's requests for up
/// to `yield_for` first (`priority`); `work` is one short step.
pub async fn run_background<T, E, F>(pool: &Pool, yield_for: Duration, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    // Waited for before a connection is taken, so that no waiting step holds one.
    priority::give_way(yield_for).await;
    run(pool, work).await
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
    // The request this work serves may already be past its deadline: then it does not start.
    let deadline = deadline::of_work().filter(|_| outermost);
    let busy_wait = match &deadline {
        Some(d) => match d.remaining() {
            Some(left) => Some(left),
            None => return Err(E::from(d.refusal("the request's deadline passed"))),
        },
        None => None,
    };
    // Waiting here is bounded like SQLite's own busy wait, and by the request's deadline.
    let _one_writer = match conn {
        DbConnection::Sqlite(_) if outermost => {
            let limit = SQLITE_WRITER_WAIT
                .get()
                .copied()
                .unwrap_or(Duration::from_secs(5));
            let limit = busy_wait.map_or(limit, |left| left.min(limit));
            match SQLITE_WRITER.try_lock_for(limit) {
                Some(guard) => Some(guard),
                None => {
                    return Err(E::from(DbError::Busy(format!(
                        "another writer held the database for {} ms",
                        limit.as_millis()
                    ))));
                }
            }
        }
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
            if let Some(d) = &deadline
                && !d.begin_commit()
            {
                // The caller has been (or is about to be) told that nothing was changed.
                let _ =
                    <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
                return Err(E::from(
                    d.refusal("the request's deadline passed before the commit"),
                ));
            }
            let committed =
                <DbConnection as Connection>::TransactionManager::commit_transaction(conn);
            if let Some(d) = &deadline {
                d.end_commit(committed.is_ok());
            }
            committed.map_err(|e| match DbError::from(e) {
                // The commit was sent and no answer came back: it may have been applied.
                DbError::Unavailable(detail) if outermost => E::from(DbError::Uncertain(detail)),
                other => E::from(other),
            })?;
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

/// Runs bookkeeping that a read may do on the way (a session's renewal, a token's last use, the
/// API call count): on SQLite it waits at most 50 ms for another writer's lock instead of the
/// full busy wait, so that a read is not held up behind a writer for bookkeeping it can leave
/// to a later request (its callers treat `Busy` as "not now").
pub fn bookkeeping<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> DbResult<T>,
) -> DbResult<T> {
    #[derive(QueryableByName)]
    struct BusyTimeout {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        timeout: i32,
    }
    let DbConnection::Sqlite(lite) = conn else {
        return work(conn);
    };
    let usual = diesel::sql_query("PRAGMA busy_timeout")
        .get_result::<BusyTimeout>(lite)?
        .timeout;
    lite.batch_execute("PRAGMA busy_timeout = 50")?;
    let outcome = work(conn);
    // Restored whatever the work did. A connection left at 50 ms would fail its later writes,
    // so one that cannot be restored is reported as lost.
    match conn.batch_execute(&format!("PRAGMA busy_timeout = {usual}")) {
        Ok(()) => outcome,
        Err(e) => Err(DbError::Unavailable(format!(
            "cannot restore the busy wait after bookkeeping: {e}"
        ))),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn waits() -> DatabaseSettings {
        DatabaseSettings {
            url: "postgres://db/portal".to_owned().into(),
            pool_size: 8,
            connect_timeout_seconds: 5,
            sqlite_busy_timeout_ms: 5000,
            statement_timeout_ms: 5000,
            lock_timeout_ms: 2000,
            idle_in_transaction_timeout_ms: 10000,
            tcp_keepalive_idle_seconds: 30,
            tcp_user_timeout_ms: 10000,
        }
    }

    #[test]
    fn postgres_connections_get_bounded_tcp_waits_unless_the_url_sets_its_own() {
        let url = postgres_url("postgres://portal:secret@db:5432/portal", &waits());
        for part in [
            "connect_timeout=5",
            "keepalives=1",
            "keepalives_idle=30",
            "tcp_user_timeout=10000",
        ] {
            assert!(url.contains(part), "{part} in {url}");
        }
        let own = postgres_url(
            "postgres://db/portal?connect_timeout=20&sslmode=require",
            &waits(),
        );
        assert!(own.contains("connect_timeout=20"), "{own}");
        assert!(!own.contains("connect_timeout=5"), "{own}");
        assert!(
            own.contains("sslmode=require") && own.contains("keepalives=1"),
            "{own}"
        );
    }

    #[test]
    fn maintenance_connections_have_no_statement_or_lock_limit() {
        let w = waits().without_limits();
        assert_eq!(
            (
                w.statement_timeout_ms,
                w.lock_timeout_ms,
                w.idle_in_transaction_timeout_ms
            ),
            (0, 0, 0)
        );
        assert_eq!(w.connect_timeout_seconds, 5, "still a bounded connect");
    }

    #[test]
    fn the_bundled_sqlite_plans_each_statement_once() {
        // `.cargo/config.toml` builds it with the planner's stability guarantee (`db::fixed`).
        #[derive(QueryableByName)]
        struct Option_ {
            #[diesel(sql_type = diesel::sql_types::Text)]
            compile_options: String,
        }
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        let options: Vec<Option_> = diesel::sql_query("PRAGMA compile_options")
            .load(&mut conn)
            .unwrap();
        let options: Vec<String> = options.into_iter().map(|o| o.compile_options).collect();
        assert!(options.iter().any(|o| o == "ENABLE_QPSG"), "{options:?}");
        assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");
    }
}
