//! Bounded waits on the database: a frozen server, a lock held from outside, a stuck pool. Each
//! call answers within the request's deadline whatever the database does, says honestly what
//! became of it, and the portal recovers by itself once the database does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use protection_portal::app::now;
use protection_portal::db::deadline::{self, Deadline};
use protection_portal::db::{self, DbError};
use protection_portal::settings::Settings;
use serde_json::{Value, json};

use crate::helpers::{Api, Options, TestApp, request_body, spawn_app_with};

/// The deadline the tests give each request, and how long past it an answer may come (the
/// answer is written and sent after the deadline fires; this machine has two cores).
const DEADLINE: Duration = Duration::from_secs(2);
const SLACK: Duration = Duration::from_millis(1500);

fn short_waits(s: &mut Settings) {
    s.server.request_timeout_seconds = 2;
    s.database.lock_timeout_ms = 700;
    s.database.statement_timeout_ms = 1500;
    s.database.sqlite_busy_timeout_ms = 700;
    s.database.connect_timeout_seconds = 1;
}

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

// ---- a PostgreSQL server of the test's own ---------------------------------------------------

/// A PostgreSQL cluster that this test alone runs (initdb, pg_ctl), so that it can be frozen
/// with SIGSTOP without touching the machine's shared server.
struct PrivatePostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

/// Runs a PostgreSQL program as the `postgres` account when this process is root (initdb and
/// the server refuse to run as root).
fn as_postgres(program: &Path) -> Command {
    let root = std::env::var("USER").as_deref() == Ok("root")
        || Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

impl PrivatePostgres {
    fn start() -> Option<PrivatePostgres> {
        let Some(bin) = postgres_bin() else {
            assert!(!in_ci(), "CI: PostgreSQL's programs (initdb) are missing");
            return None;
        };
        let dir = std::env::temp_dir().join(format!("pp-frozen-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = Command::new("chown")
            .arg("postgres:postgres")
            .arg(&dir)
            .status();
        let data = dir.join("data");
        let ok = as_postgres(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let port = crate::helpers::free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            dir.display()
        );
        let ok = as_postgres(&bin.join("pg_ctl"))
            .args(["-w", "-s", "-l"])
            .arg(dir.join("log"))
            .args(["-D"])
            .arg(&data)
            .args(["-o", &options, "start"])
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let server = PrivatePostgres { dir, bin, port };
        let mut admin = PgConnection::establish(&server.url("postgres")).unwrap();
        admin.batch_execute("CREATE DATABASE portal").unwrap();
        Some(server)
    }

    fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// The server's processes: the postmaster and its children.
    fn processes(&self) -> Vec<String> {
        let pid_file = std::fs::read_to_string(self.dir.join("data/postmaster.pid")).unwrap();
        let main = pid_file.lines().next().unwrap().trim().to_owned();
        let mut all = vec![main.clone()];
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid …: the parent is the second field after the command.
            let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
            if after.split_whitespace().nth(1) == Some(main.as_str()) {
                all.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        all
    }

    fn signal(&self, signal: &str) {
        let pids = self.processes();
        let ok = Command::new("kill")
            .arg(format!("-{signal}"))
            .args(&pids)
            .status()
            .unwrap();
        assert!(ok.success(), "kill -{signal} {pids:?}");
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| self.signal("CONT"));
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .args(["-s", "-m", "immediate", "-D"])
            .arg(self.dir.join("data"))
            .arg("stop")
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---- what the callers see -----------------------------------------------------------------------

#[derive(Debug)]
struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: Value,
    took: Duration,
}

async fn timed(api: &Api, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
    let started = Instant::now();
    // A connection of its own: a kept-alive one may be closed by the server's idle limit
    // just as it is reused, which would look like a dropped answer.
    let mut call = reqwest::Client::new()
        .request(method, format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .timeout(Duration::from_secs(60));
    if let Some(b) = body {
        call = call.json(&b);
    }
    let res = call
        .send()
        .await
        .expect("an answer, not a dropped connection");
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = res.text().await.unwrap();
    Answer {
        status,
        retry_after,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        took: started.elapsed(),
    }
}

fn message(a: &Answer) -> String {
    a.body["error"]["message"].as_str().unwrap_or("").to_owned()
}

async fn submit(api: &Api, title: &str) -> (Option<String>, Answer) {
    let created = timed(
        api,
        reqwest::Method::POST,
        "/api/v1/requests",
        Some(request_body(title)),
    )
    .await;
    if created.status != 201 {
        return (None, created);
    }
    let id = created.body["id"].as_str().unwrap().to_owned();
    let version = created.body["version"].clone();
    let path = format!("/api/v1/requests/{id}/transitions");
    let body = json!({ "action": "submit", "version": version });
    (
        Some(id),
        timed(api, reqwest::Method::POST, &path, Some(body)).await,
    )
}

async fn stored_titles(api: &Api) -> Vec<String> {
    let (status, list) = api.get("/api/v1/requests?per_page=100").await;
    assert_eq!(status, 200, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_owned())
        .collect()
}

/// Asserts the answer came within the deadline and, when it is a refusal, that it is the
/// honest 503 with Retry-After.
fn within_deadline(what: &str, a: &Answer) {
    assert!(
        a.took <= DEADLINE + SLACK,
        "{what} took {:?}, past the {DEADLINE:?} deadline: {a:?}",
        a.took
    );
    if a.status >= 500 {
        assert_eq!(a.status, 503, "{what}: {a:?}");
        assert!(a.retry_after.is_some(), "{what} says when to retry: {a:?}");
    }
}

// ---- the tests ------------------------------------------------------------------------------

/// PostgreSQL frozen (SIGSTOP of the server and every backend) for 30 s: every call answers
/// within the deadline, the readiness probe within 2 s, a change answered "nothing was changed"
/// is not stored after the thaw, and after the thaw the same portal serves again.
#[actix_web::test]
async fn a_frozen_postgres_answers_every_call_within_the_deadline_and_recovers() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!(
            "skipped on SQLite: runs with TEST_DATABASE_URL (it starts a PostgreSQL of its own)"
        );
        return;
    }
    let Some(server) = PrivatePostgres::start() else {
        eprintln!("skipped: PostgreSQL's programs are not installed");
        return;
    };
    let url = server.url("portal");
    let app = spawn_app_with(Options {
        configure: Box::new(move |s| {
            short_waits(s);
            s.database.url = url.into();
        }),
        ..Options::default()
    })
    .await;
    let cast = app.cast().await;
    let mission = app.api(&cast.a).await;
    let mfa = app.api(&cast.mfa).await;
    let (_, before) = submit(&mission, "Before the freeze").await;
    assert_eq!(before.status, 200, "{before:?}");

    server.signal("STOP");
    let frozen_at = Instant::now();
    let mut refused_titles = Vec::new();
    let mut round = 0;
    while frozen_at.elapsed() < Duration::from_secs(30) {
        round += 1;
        let title = format!("During the freeze {round}");
        let (ready, list, page, change) = tokio::join!(
            app.client
                .get(app.url("/health/ready"))
                .timeout(Duration::from_secs(60))
                .send(),
            timed(&mfa, reqwest::Method::GET, "/api/v1/requests", None),
            app.client
                .get(app.url("/sign-in"))
                .timeout(Duration::from_secs(60))
                .send(),
            timed(
                &mission,
                reqwest::Method::POST,
                "/api/v1/requests",
                Some(request_body(&title))
            ),
        );
        let ready = ready.expect("the probe answers");
        assert_eq!(ready.status(), 503, "a frozen database is not ready");
        within_deadline("GET /api/v1/requests", &list);
        within_deadline("POST /api/v1/requests", &change);
        let page = page.expect("the page answers");
        assert!(
            page.status() == 200 || page.status() == 503,
            "{}",
            page.status()
        );
        if change.status == 503 && message(&change).contains("Nothing was changed") {
            refused_titles.push(title);
        }
        assert_eq!(
            app.get("/health/live").await.status(),
            200,
            "liveness needs no database"
        );
    }
    let probe_started = Instant::now();
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), 503);
    assert!(
        probe_started.elapsed() < Duration::from_millis(2500),
        "the readiness probe answers within 2 s: {:?}",
        probe_started.elapsed()
    );
    assert!(
        round >= 5,
        "calls kept being answered during the freeze ({round} rounds)"
    );
    assert!(
        !refused_titles.is_empty(),
        "some changes were refused with 'nothing was changed' during the freeze"
    );

    server.signal("CONT");
    // The portal recovers without a restart: within a few seconds it is ready and serves.
    let thawed = Instant::now();
    loop {
        if app.get("/health/ready").await.status() == 200 {
            break;
        }
        assert!(
            thawed.elapsed() < Duration::from_secs(20),
            "ready again after the thaw"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, after) = submit(&mission, "After the freeze").await;
    assert_eq!(after.status, 200, "{after:?}");
    // Work abandoned at the deadline was rolled back when the server woke: what the caller was
    // told was not stored is not stored.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let titles = stored_titles(&mfa).await;
    let mission_titles = stored_titles(&mission).await;
    for t in &refused_titles {
        assert!(
            !titles.contains(t) && !mission_titles.contains(t),
            "{t} was answered 'nothing was changed' but is stored"
        );
    }
    drop(app);
    drop(server);
}

/// A row lock held from outside on the reference counter (PostgreSQL), or SQLite's write lock
/// held by another process: submissions are refused with 503 within the deadline, reads go on
/// being served (the pool is not used up), and once the lock goes, submissions go through.
#[actix_web::test]
async fn a_lock_held_from_outside_refuses_writes_quickly_and_reads_go_on() {
    let app: TestApp = spawn_app_with(Options {
        configure: Box::new(|s| {
            short_waits(s);
            // Room for the reads beside the three writers that wait on the lock.
            s.database.pool_size = 6;
            s.database.connect_timeout_seconds = 2;
        }),
        ..Options::default()
    })
    .await;
    let cast = app.cast().await;
    let mission = app.api(&cast.a).await;
    let mfa = app.api(&cast.mfa).await;
    let (_, first) = submit(&mission, "First of the year").await;
    assert_eq!(first.status, 200, "{first:?}");
    // A portal that has been running: its lists have been read before (the first read of all
    // creates the paging key).
    assert_eq!(stored_titles(&mfa).await, ["First of the year"]);

    // The outside session holds its lock on a thread of its own until the rounds are over.
    let url = app.db.url().to_owned();
    let postgres = app.db.is_postgres();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let hold = |c: &mut dyn FnMut(&str)| {
            locked_tx.send(()).unwrap();
            let _ = release_rx.recv_timeout(Duration::from_secs(60));
            c("ROLLBACK");
        };
        if postgres {
            let mut c = PgConnection::establish(&url).unwrap();
            c.batch_execute("BEGIN; SELECT * FROM reference_counters FOR UPDATE;")
                .unwrap();
            hold(&mut |sql| c.batch_execute(sql).unwrap());
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(&url).to_owned();
            let mut c = SqliteConnection::establish(&path).unwrap();
            c.batch_execute("BEGIN IMMEDIATE; UPDATE reference_counters SET last_seq = last_seq;")
                .unwrap();
            hold(&mut |sql| c.batch_execute(sql).unwrap());
        }
    });
    locked_rx.recv().unwrap();
    let started = Instant::now();
    let mut refused = 0;
    for round in 0..3 {
        let title = format!("While locked {round}");
        let reads = futures_util::future::join_all(
            (0..8).map(|_| timed(&mfa, reqwest::Method::GET, "/api/v1/requests", None)),
        );
        let (writes, reads) = tokio::join!(
            futures_util::future::join_all((0..3).map(|i| {
                let (mission, title) = (mission.clone(), format!("{title}.{i}"));
                async move { submit(&mission, &title).await }
            })),
            reads
        );
        for read in &reads {
            assert_eq!(
                read.status, 200,
                "reads go on while a writer waits: {read:?}"
            );
            within_deadline("a read while the lock is held", read);
        }
        for (_, w) in &writes {
            within_deadline("a submission while the lock is held", w);
            assert_eq!(
                w.status, 503,
                "the submission is refused, not queued: {w:?}"
            );
            assert!(message(w).contains("Nothing was changed"), "{w:?}");
            refused += 1;
        }
    }
    assert_eq!(refused, 9);
    let held = started.elapsed();
    release_tx.send(()).unwrap();
    holder.join().unwrap();
    // Three rounds, each answered within its deadline: the writes were refused, not queued
    // until the lock went.
    assert!(held < (DEADLINE + SLACK) * 3, "{held:?}");
    let (_, after) = submit(&mission, "After the lock").await;
    assert_eq!(
        after.status, 200,
        "submissions go through once the lock is released: {after:?}"
    );
    let titles = stored_titles(&mfa).await;
    assert!(
        !titles.iter().any(|t| t.starts_with("While locked")),
        "{titles:?}"
    );
}

/// Work still running when its request's deadline passes is rolled back when it ends, never
/// committed behind the caller's back: the caller was told "nothing was changed".
#[actix_web::test]
async fn work_still_running_at_the_deadline_is_rolled_back_not_committed_later() {
    let app = crate::helpers::spawn_app().await;
    let pool = app.pool.clone();
    let ticket = Deadline::new(Duration::from_millis(300), true);
    let started = Instant::now();
    let outcome = deadline::scope(
        ticket,
        db::query(&pool, |conn| {
            db::write(conn, |conn| {
                db::secrets::get_or_create(conn, "deadline-probe", || "late".into(), now())?;
                std::thread::sleep(Duration::from_millis(900));
                Ok::<_, DbError>(())
            })
        }),
    )
    .await;
    assert!(matches!(outcome, Err(DbError::Busy(_))), "{outcome:?}");
    assert!(
        started.elapsed() < Duration::from_millis(800),
        "answered at the deadline"
    );
    // Once the work has ended, what it wrote is not there.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let stored = db::query(&pool, |conn| {
        db::secrets::get_or_create(conn, "deadline-probe", || "fresh".into(), now())
    })
    .await
    .unwrap();
    assert_eq!(stored, "fresh", "the abandoned work was rolled back");
}

/// A request refused at its deadline after an earlier write of its own was committed is not
/// told "nothing was changed".
#[actix_web::test]
async fn a_refusal_after_a_commit_of_the_same_request_says_it_may_have_been_saved() {
    let app = crate::helpers::spawn_app().await;
    let pool = app.pool.clone();
    let ticket = Deadline::new(Duration::from_millis(400), true);
    let outcome = deadline::scope(ticket, async move {
        db::query(&pool, |conn| {
            db::write(conn, |conn| {
                db::secrets::get_or_create(conn, "first-write", || "kept".into(), now())
            })
        })
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        db::query(&pool, |conn| db::write(conn, |_| Ok::<_, DbError>(()))).await
    })
    .await;
    assert!(matches!(outcome, Err(DbError::Uncertain(_))), "{outcome:?}");
}
