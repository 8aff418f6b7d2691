//! `spawn_app()`: the running portal of one test, and the fresh database behind it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::OnceLock;

use actix_web::dev::ServerHandle;
use diesel::prelude::*;
use diesel::sql_query;
use protection_portal::db::Pool;
use protection_portal::settings::Settings;
use protection_portal::startup::{self, Application, StartupNotes};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The test settings (config/default.toml + config/test.toml), before the per-test database.
pub fn test_settings() -> Settings {
    Settings::load_for(&crate_dir().join("config"), Some("test".into()))
        .expect("test settings load")
}

/// A database that exists for one test and is removed afterwards.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    /// A fresh, migrated database of the kind TEST_DATABASE_URL asks for (SQLite without it).
    pub fn fresh() -> TestDb {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.trim().is_empty() => Self::fresh_postgres(&admin_url),
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = dir.path().join("portal.db").to_string_lossy().into_owned();
                TestDb::Sqlite { _dir: dir, url }
            }
        }
    }

    /// An empty database with no tables, for testing migrations themselves.
    pub fn empty() -> TestDb {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.trim().is_empty() => {
                let name = unique_name("pp_test");
                let mut admin =
                    PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
                sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create database");
                let url = database_url(&admin_url, &name);
                TestDb::Postgres {
                    admin_url,
                    name,
                    url,
                }
            }
            _ => Self::fresh(),
        }
    }

    fn fresh_postgres(admin_url: &str) -> TestDb {
        let template = ensure_template(admin_url);
        let name = unique_name("pp_test");
        let mut admin = PgConnection::establish(admin_url).expect(
            "TEST_DATABASE_URL is set but PostgreSQL cannot be reached; start it or unset the variable",
        );
        sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut admin)
            .expect("create test database from template");
        let url = database_url(admin_url, &name);
        TestDb::Postgres {
            admin_url: admin_url.to_owned(),
            name,
            url,
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDb::Postgres { .. })
    }

    /// Removes a PostgreSQL test database at once, closing its connections (SQLite: nothing).
    pub fn drop_now(&self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.drop_now();
    }
}

fn unique_name(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// The URL of database `name` on the server of `admin_url`.
fn database_url(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// A migrated template database, named after the migrations' content so that a change to them
/// makes a new one. Created once, under an advisory lock (tests run in parallel processes too).
fn ensure_template(admin_url: &str) -> String {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let name = format!("pp_template_{}", &migrations_digest()[..16]);
            let mut admin = PgConnection::establish(admin_url).expect(
                "TEST_DATABASE_URL is set but PostgreSQL cannot be reached; start it or unset the variable",
            );
            sql_query("SELECT pg_advisory_lock(727100002)").execute(&mut admin).expect("lock");
            #[derive(QueryableByName)]
            struct Found {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let found: Found = sql_query(format!(
                "SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{name}'"
            ))
            .get_result(&mut admin)
            .expect("look for template");
            if found.n == 0 {
                let building = format!("{name}_building");
                sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                    .execute(&mut admin)
                    .expect("drop stale template");
                sql_query(format!("CREATE DATABASE {building}")).execute(&mut admin).expect("create template");
                {
                    let mut settings = test_settings().database;
                    settings.url = SecretString::from(database_url(admin_url, &building));
                    let pool = protection_portal::db::build_pool(&settings).expect("template pool");
                    protection_portal::db::migrate(&mut pool.get().expect("conn")).expect("migrate template");
                }
                sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
                    .execute(&mut admin)
                    .expect("publish template");
            }
            sql_query("SELECT pg_advisory_unlock(727100002)").execute(&mut admin).expect("unlock");
            name
        })
        .clone()
}

fn migrations_digest() -> String {
    let mut hasher = Sha256::new();
    let dir = crate_dir().join("migrations/postgres");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("migrations/postgres")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for entry in entries {
        hasher.update(entry.file_name().unwrap().to_string_lossy().as_bytes());
        for file in ["up.sql", "down.sql"] {
            hasher.update(std::fs::read(entry.join(file)).unwrap_or_default());
        }
    }
    hex::encode(hasher.finalize())
}

/// The running portal of one test.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: Pool,
    pub settings: Settings,
    pub notes: StartupNotes,
    handle: ServerHandle,
    pub db: TestDb,
}

impl TestApp {
    /// Runs the portal's command line with `args` against this test's database, as an operator
    /// would on the server; fails the test when it fails, and answers what it printed.
    pub fn run_command(&self, args: &[&str]) -> String {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_protection-portal"))
            .arg("--config")
            .arg(crate_dir().join("config"))
            .args(args)
            .env("APP_ENVIRONMENT", "test")
            .env("APP__DATABASE__URL", self.db.url())
            .env_remove("RUST_LOG")
            .output()
            .expect("start protection-portal");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// How many requests the database holds (drafts included).
    pub async fn count_requests(&self) -> i64 {
        let mut conn = self.pool.get().expect("a connection");
        protection_portal::db::requests::count_all(&mut conn).expect("count")
    }

    /// Ends every session, as the idle timeout does (their rows are gone).
    pub async fn end_all_sessions(&self) {
        use diesel::RunQueryDsl;
        let mut conn = self.pool.get().expect("a connection");
        diesel::sql_query("DELETE FROM sessions")
            .execute(&mut *conn)
            .expect("delete sessions");
    }

    /// The name an account carries.
    pub async fn name_of(&self, user_id: &str) -> String {
        let mut conn = self.pool.get().expect("a connection");
        protection_portal::db::users::find(&mut conn, user_id)
            .expect("read")
            .expect("the account exists")
            .name
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting at once; the database goes when `db` drops.
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

pub struct Options {
    pub demo: bool,
    pub configure: Box<dyn FnOnce(&mut Settings)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            demo: false,
            configure: Box::new(|_| {}),
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    super::inspect::capture_logs();
    let db = TestDb::fresh();
    let mut settings = test_settings();
    settings.database.url = SecretString::from(db.url().to_owned());
    settings.database.pool_size = 4;
    settings.server.workers = 1;
    (options.configure)(&mut settings);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a random port");
    let port = listener.local_addr().unwrap().port();
    settings.public_url = format!("http://127.0.0.1:{port}");
    let prepared = startup::prepare(settings.clone()).await.expect("prepare");
    let notes = startup::first_run(&prepared, options.demo)
        .await
        .expect("first run");
    let app = Application::build(&prepared, listener).expect("build");
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client,
        pool: prepared.pool.clone(),
        settings,
        notes,
        handle,
        db,
    }
}

/// The path and query of an absolute link printed by the portal.
pub fn path_of(link: &str) -> String {
    let url = url::Url::parse(link).expect("absolute link");
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

pub fn assert_security_headers(res: &reqwest::Response) {
    let h = res.headers();
    let csp = h
        .get("content-security-policy")
        .expect("CSP header")
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        csp.contains("object-src 'none'")
            && csp.contains("base-uri 'none'")
            && csp.contains("form-action 'self'")
    );
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
    assert!(h.get("x-request-id").is_some());
}

/// A POST announcing a 10 MB body, sent as raw HTTP so that the server's early answer is read
/// deterministically (a client still uploading may see the connection close instead).
pub async fn oversized_post(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    content_type: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: {content_type}\r\nContent-Length: 10000000\r\n\r\nx"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).await.unwrap();
    let head = String::from_utf8_lossy(&buf[..n]).to_lowercase();
    (
        head.split_whitespace().nth(1).unwrap().parse().unwrap(),
        head,
    )
}

/// A port nothing listens on just now (for processes the tests start).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
