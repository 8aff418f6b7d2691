//! What the portal logs, and raw looks at the test's database.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use diesel::prelude::*;
use diesel::sql_query;

use super::TestApp;

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct SharedLog(Arc<Mutex<Vec<u8>>>);

impl Write for SharedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends everything the portal logs in this test binary (every test's servers, at debug level)
/// to a buffer that `captured_logs` reads, so tests can check what never reaches a log.
pub(super) fn capture_logs() {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = SharedLog(buffer.clone());
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "protection_portal=debug,actix_web=debug,actix_session=debug,info",
            ))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    });
}

/// Everything logged so far by every server of this test binary.
pub fn captured_logs() -> String {
    let logs = LOGS.get().expect("logs are captured once a server started");
    String::from_utf8_lossy(&logs.lock().unwrap()).into_owned()
}

/// Runs SQL that returns one text column named `line` (the same statement on both engines).
pub fn text_rows(app: &TestApp, sql: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }
    use protection_portal::db::DbConnection;
    let mut conn = app.pool.get().unwrap();
    let rows: Vec<Line> = match &mut *conn {
        DbConnection::Sqlite(c) => sql_query(sql).load(c),
        DbConnection::Postgres(c) => sql_query(sql).load(c),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().map(|l| l.line).collect()
}

/// Runs statements against the test's database as its owner would (for injecting faults).
pub fn execute(app: &TestApp, sql: &str) {
    use diesel::connection::SimpleConnection;
    let mut conn = app.pool.get().unwrap();
    conn.batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}
