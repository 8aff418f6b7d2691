//! The `Idempotency-Key` header on creating and stepping a request through the API, and honest
//! answers when the database connection dies around a commit: a call whose change was stored is
//! never answered "nothing was changed", and a retry with the same key never does it twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_query;
use serde_json::{Value, json};

use crate::helpers::{
    Api, Options, TestApp, execute, request_body, spawn_app, spawn_app_with, text_rows,
};

/// One answer: its status, its body as sent and parsed, and whether it was replayed.
struct Reply {
    status: u16,
    raw: String,
    json: Value,
    replayed: bool,
}

impl Reply {
    fn message(&self) -> String {
        self.json["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn field(&self) -> String {
        self.json["error"]["fields"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// POSTs `body` to `path` as `api`'s caller, with `key` as the Idempotency-Key when given.
async fn post(api: &Api, path: &str, key: Option<&[u8]>, body: &Value) -> Reply {
    let mut r = api
        .client
        .post(format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .json(body);
    if let Some(k) = key {
        r = r.header(
            "Idempotency-Key",
            reqwest::header::HeaderValue::from_bytes(k).unwrap(),
        );
    }
    let res = r.send().await.unwrap();
    let status = res.status().as_u16();
    let replayed = res
        .headers()
        .get("idempotency-replayed")
        .is_some_and(|v| v == "true");
    let raw = res.text().await.unwrap();
    Reply {
        status,
        json: serde_json::from_str(&raw).unwrap_or(Value::Null),
        raw,
        replayed,
    }
}

fn count(app: &TestApp, sql: &str) -> usize {
    text_rows(app, sql)[0].parse().unwrap()
}

fn requests_titled(app: &TestApp, title: &str) -> usize {
    count(
        app,
        &format!("SELECT CAST(COUNT(*) AS TEXT) AS line FROM requests WHERE title = '{title}'"),
    )
}

#[actix_web::test]
async fn the_same_key_twice_creates_one_request_and_replays_the_first_answer() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let (a, b) = (app.api(&c.a).await, app.api(&c.b).await);
    let title = "Guard during the state visit";
    let body = request_body(title);

    let first = post(&a, "/api/v1/requests", Some(b"visit-0001"), &body).await;
    assert_eq!(first.status, 201, "{}", first.raw);
    assert!(!first.replayed);
    let again = post(&a, "/api/v1/requests", Some(b"visit-0001"), &body).await;
    assert_eq!(again.status, 201, "{}", again.raw);
    assert!(again.replayed, "a replayed answer says so");
    assert_eq!(
        again.raw, first.raw,
        "the replay is the first answer, byte for byte"
    );
    // The key written as the draft's structured-field string is the same key.
    let quoted = post(&a, "/api/v1/requests", Some(b"\"visit-0001\""), &body).await;
    assert_eq!((quoted.status, quoted.replayed), (201, true));
    assert_eq!(requests_titled(&app, title), 1, "one request for one key");

    // The same key with a different call is refused, and changes nothing.
    let other = post(
        &a,
        "/api/v1/requests",
        Some(b"visit-0001"),
        &request_body("Guard during another visit"),
    )
    .await;
    assert_eq!(other.status, 422, "{}", other.raw);
    assert_eq!(other.field(), "Idempotency-Key");
    assert!(other.message().contains("different call") || other.raw.contains("different call"));
    assert_eq!(requests_titled(&app, "Guard during another visit"), 0);

    // Another caller's same key is theirs alone.
    let theirs = post(&b, "/api/v1/requests", Some(b"visit-0001"), &body).await;
    assert_eq!(theirs.status, 201, "{}", theirs.raw);
    assert!(!theirs.replayed);
    assert_ne!(theirs.json["id"], first.json["id"]);
    assert_eq!(requests_titled(&app, title), 2);

    // Without a key, every call is a call of its own.
    assert_eq!(post(&a, "/api/v1/requests", None, &body).await.status, 201);
    assert_eq!(requests_titled(&app, title), 3);

    // The stored answer is sealed: the title it holds is not in the table in clear.
    let stored = text_rows(&app, "SELECT body AS line FROM idempotency_keys");
    assert_eq!(stored.len(), 2);
    assert!(
        stored
            .iter()
            .all(|s| !s.contains(title) && s.starts_with("sealed")),
        "{stored:?}"
    );
}

#[actix_web::test]
async fn an_invalid_key_is_refused_naming_the_header_and_nothing_is_created() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let a = app.api(&c.a).await;
    let title = "Guard with a bad key";
    let long = vec![b'k'; 256];
    for key in [&b""[..], b"\"\"", &long, "nøkkel".as_bytes(), b"tab\there"] {
        let r = post(&a, "/api/v1/requests", Some(key), &request_body(title)).await;
        assert_eq!(r.status, 422, "{key:?}: {}", r.raw);
        assert_eq!(r.field(), "Idempotency-Key", "{}", r.raw);
    }
    assert_eq!(requests_titled(&app, title), 0);
    // 255 printable characters are a valid key.
    let r = post(
        &a,
        "/api/v1/requests",
        Some(&long[..255]),
        &request_body(title),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.raw);
}

#[actix_web::test]
async fn submitting_twice_with_one_key_takes_the_step_once_and_replays_the_answer() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let a = app.api(&c.a).await;
    let draft = a
        .create_request(request_body("Guard for the delegation"))
        .await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/requests/{id}/transitions");

    // A failed call is not kept: the same key runs afresh once the call is right.
    let stale = post(
        &a,
        &path,
        Some(b"submit-1"),
        &json!({ "action": "submit", "version": 99 }),
    )
    .await;
    assert_eq!(stale.status, 409, "{}", stale.raw);

    let submit = json!({ "action": "submit", "version": draft["version"] });
    let first = post(&a, &path, Some(b"submit-1"), &submit).await;
    assert_eq!(first.status, 200, "{}", first.raw);
    assert_eq!(first.json["status"], "received");
    let mails = count(
        &app,
        &format!("SELECT CAST(COUNT(*) AS TEXT) AS line FROM outbox WHERE request_id = '{id}'"),
    );
    assert!(mails > 0, "the submission tells the MFA");

    let again = post(&a, &path, Some(b"submit-1"), &submit).await;
    assert_eq!(again.status, 200, "not a stale version: {}", again.raw);
    assert!(again.replayed);
    assert_eq!(again.raw, first.raw);
    let events = count(
        &app,
        &format!(
            "SELECT CAST(COUNT(*) AS TEXT) AS line FROM timeline_events \
             WHERE request_id = '{id}' AND action = 'submit'"
        ),
    );
    assert_eq!(events, 1, "one submission");
    assert_eq!(
        count(
            &app,
            &format!("SELECT CAST(COUNT(*) AS TEXT) AS line FROM outbox WHERE request_id = '{id}'"),
        ),
        mails,
        "one set of mails"
    );

    // The key is bound to its path: the same key on another request's step is another call.
    let other = a
        .create_request(request_body("Guard for the minister"))
        .await;
    let other_path = format!(
        "/api/v1/requests/{}/transitions",
        other["id"].as_str().unwrap()
    );
    let r = post(
        &a,
        &other_path,
        Some(b"submit-1"),
        &json!({ "action": "submit", "version": other["version"] }),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.raw);
    assert_eq!(r.field(), "Idempotency-Key");
}

#[actix_web::test]
async fn concurrent_calls_with_one_key_do_it_once_and_all_get_the_first_answer() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let a = app.api(&c.a).await;
    let title = "Guard sent four times at once";
    let body = request_body(title);
    let calls = (0..4).map(|_| post(&a, "/api/v1/requests", Some(b"at-once"), &body));
    let replies = futures_util::future::join_all(calls).await;
    for r in &replies {
        assert_eq!(r.status, 201, "{}", r.raw);
        assert_eq!(r.raw, replies[0].raw, "every caller hears the one answer");
    }
    assert_eq!(replies.iter().filter(|r| !r.replayed).count(), 1);
    assert_eq!(requests_titled(&app, title), 1);

    let id = replies[0].json["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/requests/{id}/transitions");
    let submit = json!({ "action": "submit", "version": replies[0].json["version"] });
    let calls = (0..4).map(|_| post(&a, &path, Some(b"submit-at-once"), &submit));
    let replies = futures_util::future::join_all(calls).await;
    for r in &replies {
        assert_eq!(r.status, 200, "not a stale version: {}", r.raw);
        assert_eq!(r.raw, replies[0].raw);
    }
    assert_eq!(replies.iter().filter(|r| !r.replayed).count(), 1);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT CAST(COUNT(*) AS TEXT) AS line FROM timeline_events \
                 WHERE request_id = '{id}' AND action = 'submit'"
            ),
        ),
        1
    );
}

#[actix_web::test]
async fn a_key_is_forgotten_after_24_hours_and_the_portal_purges_it() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let a = app.api(&c.a).await;
    let title = "Guard for the yearly visit";
    let body = request_body(title);
    let first = post(&a, "/api/v1/requests", Some(b"yearly"), &body).await;
    assert_eq!(first.status, 201, "{}", first.raw);
    let kept = text_rows(
        &app,
        "SELECT CAST(expires_at AS TEXT) || ' ' || CAST(created_at AS TEXT) AS line \
         FROM idempotency_keys",
    );
    assert_eq!(kept.len(), 1);

    // A day later the key is spent: the same call runs afresh.
    let a_day_ago = (protection_portal::app::now() - chrono::Duration::hours(24))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let age_keys = |app: &TestApp| {
        execute(
            app,
            &format!(
                "UPDATE idempotency_keys SET created_at = '{a_day_ago}', expires_at = '{a_day_ago}'"
            ),
        )
    };
    age_keys(&app);
    let later = post(&a, "/api/v1/requests", Some(b"yearly"), &body).await;
    assert_eq!(later.status, 201, "{}", later.raw);
    assert!(!later.replayed);
    assert_ne!(later.json["id"], first.json["id"]);
    assert_eq!(requests_titled(&app, title), 2);

    age_keys(&app);
    use protection_portal::app::scheduler::{Job, Pace, run_batch};
    let pace = Pace {
        batch_size: 100,
        pause: std::time::Duration::ZERO,
        yield_for: std::time::Duration::ZERO,
    };
    let batch = run_batch(
        &app.pool,
        Job::PurgeIdempotencyKeys,
        pace,
        protection_portal::app::requests::Context::now_under(&app.settings),
        None,
    )
    .await;
    assert_eq!(
        (batch.done, batch.failed, batch.full),
        (1, 0, false),
        "{batch:?}"
    );
    assert!(text_rows(&app, "SELECT idem_key AS line FROM idempotency_keys").is_empty());
}

#[actix_web::test]
async fn the_openapi_document_describes_the_header_and_the_replay() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    for (path, ok) in [
        ("/api/v1/requests", "201"),
        ("/api/v1/requests/{id}/transitions", "200"),
    ] {
        let op = &doc["paths"][path]["post"];
        let params = op["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{op}"));
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
            "{path}: {params:?}"
        );
        assert!(
            op["responses"][ok]["headers"]["Idempotency-Replayed"].is_object(),
            "{path}"
        );
    }
}

// ---- connections dying around commits (PostgreSQL) ------------------------------------------

/// Kills every other connection to the test's database, every few milliseconds, from a
/// connection of its own, until paused or stopped.
struct Terminator {
    paused: Arc<AtomicBool>,
    idle: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl Terminator {
    fn start(url: &str) -> Terminator {
        let (paused, idle, stop) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let (p, i, s, url) = (paused.clone(), idle.clone(), stop.clone(), url.to_owned());
        let thread = std::thread::spawn(move || {
            let mut conn = PgConnection::establish(&url).expect("terminator connects");
            let mut kills = 0;
            let mut n: u64 = 0;
            while !s.load(Ordering::SeqCst) {
                if p.load(Ordering::SeqCst) {
                    i.store(true, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
                i.store(false, Ordering::SeqCst);
                #[derive(QueryableByName)]
                struct Killed {
                    #[diesel(sql_type = diesel::sql_types::Bool)]
                    #[allow(dead_code)]
                    killed: bool,
                }
                let killed: Vec<Killed> = sql_query(
                    "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity \
                     WHERE datname = current_database() AND pid <> pg_backend_pid()",
                )
                .load(&mut conn)
                .unwrap_or_default();
                kills += killed.len();
                // Every few milliseconds, unevenly (5 to 68 ms apart, about as long as one to
                // three calls take), so that deaths fall at every point of a call while a call
                // still gets through now and then.
                n = n
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                std::thread::sleep(Duration::from_millis(5 + (n >> 58)));
            }
            kills
        });
        Terminator {
            paused,
            idle,
            stop,
            thread: Some(thread),
        }
    }

    /// Pauses the killing, returning once no kill is under way.
    fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
        self.idle.store(false, Ordering::SeqCst);
        while !self.idle.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }

    fn finish(mut self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap()
    }
}

/// What was stored, read on a connection of the test's own.
fn stored_rows(url: &str, sql: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }
    let mut conn = PgConnection::establish(url).expect("connect to check");
    conn.batch_execute("SET statement_timeout = 5000").unwrap();
    sql_query(sql)
        .load::<Line>(&mut conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|l| l.line)
        .collect()
}

/// Whether an error answer claims that nothing was changed.
fn claims_nothing_changed(r: &Reply) -> bool {
    let m = r.message().to_lowercase();
    m.contains("nothing was changed") || m.contains("no change")
}

#[actix_web::test]
async fn connections_killed_around_commits_never_hide_a_stored_change_and_retries_do_it_once() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!(
            "skipped on SQLite: this test kills the database's connections with \
             pg_terminate_backend, which has no SQLite equivalent; set TEST_DATABASE_URL to run it"
        );
        return;
    }
    let app = spawn_app_with(Options {
        configure: Box::new(|s| s.api.requests_per_minute = 100_000),
        ..Options::default()
    })
    .await;
    let c = app.cast().await;
    let a = app.api(&c.a).await;
    let url = app.db.url().to_owned();
    const CALLS: usize = 60;
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let keys: Vec<String> = (0..CALLS).map(|i| format!("chaos-{run}-{i:03}")).collect();

    let terminator = Terminator::start(&url);
    let started = Instant::now();
    let mut lies: Vec<String> = Vec::new();
    // Retries of a call that failed with 5xx, refused (a second submission found stale, say).
    let mut refused: Vec<String> = Vec::new();
    let mut errors: std::collections::BTreeMap<String, usize> = Default::default();
    let mut replays = 0;
    let mut retry = |what: &str, key: &str, r: &Reply, stored: bool| {
        let kind = format!(
            "{what} {} {} ({})",
            r.status,
            r.json["error"]["code"].as_str().unwrap_or("?"),
            if stored { "stored" } else { "not stored" }
        );
        *errors.entry(kind).or_default() += 1;
        if stored && claims_nothing_changed(r) {
            lies.push(format!("{what} {key}: {} {}", r.status, r.raw));
        }
    };
    for key in &keys {
        let title = format!("Guard {key}");
        // Create, with the same key until it succeeds.
        let draft = loop {
            let r = post(
                &a,
                "/api/v1/requests",
                Some(key.as_bytes()),
                &request_body(&title),
            )
            .await;
            if r.status == 201 {
                replays += usize::from(r.replayed);
                break Some(r.json);
            }
            if r.status < 500 {
                refused.push(format!("create {key}: {} {}", r.status, r.raw));
                break None;
            }
            terminator.pause();
            let stored = !stored_rows(
                &url,
                &format!("SELECT id AS line FROM requests WHERE title = '{title}'"),
            )
            .is_empty();
            terminator.resume();
            retry("create", key, &r, stored);
            assert!(started.elapsed() < Duration::from_secs(480), "no progress");
        };
        let Some(draft) = draft else { continue };
        let id = draft["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/requests/{id}/transitions");
        let submit = json!({ "action": "submit", "version": draft["version"] });
        let submit_key = format!("{key}-submit");
        loop {
            let r = post(&a, &path, Some(submit_key.as_bytes()), &submit).await;
            if r.status == 200 {
                replays += usize::from(r.replayed);
                assert_eq!(r.json["status"], "received", "{}", r.raw);
                break;
            }
            if r.status < 500 {
                refused.push(format!("submit {key}: {} {}", r.status, r.raw));
                break;
            }
            terminator.pause();
            let stored = !stored_rows(
                &url,
                &format!(
                    "SELECT id AS line FROM timeline_events \
                     WHERE request_id = '{id}' AND action = 'submit'"
                ),
            )
            .is_empty();
            terminator.resume();
            retry("submit", &submit_key, &r, stored);
            assert!(started.elapsed() < Duration::from_secs(480), "no progress");
        }
    }
    let kills = terminator.finish();
    eprintln!(
        "{CALLS} requests created and submitted in {:?}; {kills} connections killed; \
         {replays} answers replayed; error answers: {errors:#?}",
        started.elapsed()
    );
    assert!(
        kills > 0 && !errors.is_empty(),
        "the connections did die along the way"
    );
    assert!(
        lies.is_empty() && refused.is_empty(),
        "answered 'nothing was changed' for a change that was stored:\n{}\n\
         retries refused:\n{}",
        lies.join("\n"),
        refused.join("\n")
    );
    // Exactly one request per key, submitted once, with one reference each.
    for key in &keys {
        let rows = stored_rows(
            &url,
            &format!(
                "SELECT r.id || ' ' || COALESCE(r.reference, '-') || ' ' || \
                 CAST((SELECT COUNT(*) FROM timeline_events e \
                       WHERE e.request_id = r.id AND e.action = 'submit') AS TEXT) AS line \
                 FROM requests r WHERE r.title = 'Guard {key}'"
            ),
        );
        assert_eq!(rows.len(), 1, "one request for key {key}: {rows:?}");
        let parts: Vec<&str> = rows[0].split(' ').collect();
        assert_ne!(parts[1], "-", "submitted, with a reference: {rows:?}");
        assert_eq!(parts[2], "1", "submitted once: {rows:?}");
    }
    let references = stored_rows(
        &url,
        &format!(
            "SELECT DISTINCT reference AS line FROM requests \
             WHERE title LIKE 'Guard chaos-{run}-%' AND reference IS NOT NULL"
        ),
    );
    assert_eq!(references.len(), CALLS, "one reference per request");
}
