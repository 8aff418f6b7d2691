//! The portal's own work (README, "The portal's own work"): the scheduler in real `serve`
//! processes on the test's database takes every due step exactly once — shared by two instances,
//! and across a `kill -9` mid-batch and a restart — and queues each step's mail once.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use protection_portal::app::requests::{Context, count_due_to_end};
use protection_portal::auth::password::HashCost;
use protection_portal::domain::Classification;
use protection_portal::domain::workflow::State;

use crate::helpers::{TestApp, crate_dir, free_port, spawn_app, text_rows};

/// A `serve` process, stopped (SIGKILL) when dropped.
struct Serve {
    child: Child,
    log: std::path::PathBuf,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// Starts `serve` on the test's database with the scheduler paced by `env`; returns once it
    /// answers.
    async fn start(app: &TestApp, dir: &Path, name: &str, env: &[(&str, &str)]) -> Serve {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let log = dir.join(format!("{name}.log"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_protection-portal"));
        cmd.arg("--config")
            .arg(crate_dir().join("config"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("APP_ENVIRONMENT", "test")
            .env("APP__DATABASE__URL", app.db.url())
            .env("APP__PUBLIC_URL", &base)
            .env("APP__WORKER__EMBEDDED", "false")
            .env("APP__LOG__FORMAT", "json")
            .env(
                "APP__LOG__LEVEL",
                "warn,protection_portal::app::scheduler=info",
            )
            .env("APP__SCHEDULER__INTERVAL_SECONDS", "1")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("protection-portal starts");
        let serve = Serve { child, log, base };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(res) = reqwest::get(format!("{}/health/ready", serve.base)).await
                && res.status() == 200
            {
                return serve;
            }
            assert!(Instant::now() < deadline, "serve became ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The steps this process's scheduler reports having taken (its operator log).
    fn steps_done(&self) -> u64 {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            // Each batch's line: the usual one, or the warning when some of its steps failed.
            .filter(|l| {
                l["job"] == "end_measures"
                    && (l["message"] == "portal job batch"
                        || l["message"]
                            .as_str()
                            .is_some_and(|m| m.starts_with("portal job: some steps failed")))
            })
            .map(|l| l["done"].as_u64().unwrap_or(0))
            .sum()
    }
}

fn ctx() -> Context {
    Context {
        now: protection_portal::app::now(),
        ceiling: Classification::Restricted,
        rules: Default::default(),
    }
}

/// Seeds `n` requests in effect (most with their measures' end dates passed); returns how many
/// are due to end.
async fn seed_in_effect(app: &TestApp, n: u64) -> i64 {
    protection_portal::db::run(&app.pool, move |conn| {
        protection_portal::app::seed::seed(
            conn,
            &protection_portal::app::seed::Plan {
                requests: n,
                missions: 20,
                batch: 1_000,
                only: Some(State::InEffect),
            },
            HashCost::from_settings(&crate::helpers::test_settings().security),
            protection_portal::app::now(),
            &mut |_| {},
        )?;
        count_due_to_end(conn, &ctx(), i64::MAX)
    })
    .await
    .unwrap()
}

async fn still_due(app: &TestApp) -> i64 {
    protection_portal::db::run(&app.pool, |conn| count_due_to_end(conn, &ctx(), i64::MAX))
        .await
        .unwrap()
}

async fn wait_until_none_due(app: &TestApp, within: Duration) {
    let deadline = Instant::now() + within;
    while still_due(app).await > 0 {
        assert!(
            Instant::now() < deadline,
            "{} requests still due after {within:?}",
            still_due(app).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn count(app: &TestApp, sql: &str) -> i64 {
    text_rows(app, sql)[0].parse().unwrap()
}

/// Every due request was ended exactly once by the portal, and its mission told exactly once.
fn assert_each_ended_once(app: &TestApp, due: i64) {
    let twice = text_rows(
        app,
        "SELECT request_id AS line FROM timeline_events WHERE action = 'end_measures' \
         GROUP BY request_id HAVING COUNT(*) > 1",
    );
    assert!(twice.is_empty(), "ended twice: {twice:?}");
    assert_eq!(
        count(
            app,
            "SELECT CAST(COUNT(*) AS TEXT) AS line FROM timeline_events \
             WHERE action = 'end_measures' AND actor_id IS NULL"
        ),
        due,
        "one automatic end per due request"
    );
    assert_eq!(
        count(
            app,
            "SELECT CAST(COUNT(*) AS TEXT) AS line FROM requests WHERE state = 'ended'"
        ),
        due
    );
    let mailed_twice = text_rows(
        app,
        "SELECT request_id || ' ' || recipient_email AS line FROM outbox \
         WHERE kind = 'measures_ended' GROUP BY request_id, recipient_email HAVING COUNT(*) > 1",
    );
    assert!(mailed_twice.is_empty(), "mailed twice: {mailed_twice:?}");
    assert_eq!(
        count(
            app,
            "SELECT CAST(COUNT(DISTINCT request_id) AS TEXT) AS line FROM outbox \
             WHERE kind = 'measures_ended'"
        ),
        due,
        "each ended request's mission is told"
    );
    // The audit trail agrees: one automatic step per request.
    assert_eq!(
        count(
            app,
            "SELECT CAST(COUNT(*) AS TEXT) AS line FROM security_log \
             WHERE event = 'request_transition' AND actor_user_id IS NULL \
             AND detail LIKE '%end_measures%'"
        ),
        due
    );
}

#[actix_web::test]
async fn two_instances_share_a_burst_of_automatic_ends_and_take_each_step_once() {
    let app = spawn_app().await;
    let due = seed_in_effect(&app, 2_200).await;
    assert!(due >= 2_000, "a burst of at least 2,000 ({due})");
    let dir = tempfile::tempdir().unwrap();
    let pace = [
        ("APP__SCHEDULER__BATCH_SIZE", "100"),
        ("APP__SCHEDULER__PAUSE_MS", "0"),
    ];
    let a = Serve::start(&app, dir.path(), "a", &pace).await;
    let b = Serve::start(&app, dir.path(), "b", &pace).await;
    wait_until_none_due(&app, Duration::from_secs(240)).await;
    // Let the last batches' log lines be written.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_each_ended_once(&app, due);
    let (by_a, by_b) = (a.steps_done(), b.steps_done());
    eprintln!("steps taken: {by_a} by one instance, {by_b} by the other");
    assert_eq!(
        by_a + by_b,
        due as u64,
        "each step counted once, by whoever took it"
    );
    if app.db.is_postgres() {
        // On PostgreSQL the instances skip what the other holds and both take part.
        assert!(by_a > 0 && by_b > 0, "shared: {by_a} + {by_b}");
    }
    // Requests not yet due stay in effect.
    assert!(
        count(
            &app,
            "SELECT CAST(COUNT(*) AS TEXT) AS line FROM requests WHERE state = 'in_effect'"
        ) > 0
    );

    // Administrators see each job's backlog and last run; others are refused.
    let c = app.cast().await;
    let mut admin = app.add_person("admin", None, None).await;
    let browser = app.signed_in(&mut admin).await;
    let page = browser.get("/admin/jobs").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("Ending measures whose end dates have passed"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Deleting expired sign-in sessions"));
    let row = crate::helpers::between(
        &page.body,
        "Ending measures whose end dates have passed",
        "</tr>",
    )
    .unwrap();
    // Cells: waiting now, last run, steps in the last run, steps in all, last failure.
    let cells: Vec<&str> = row
        .split("<td data-label=\"")
        .skip(1)
        .map(|cell| cell.split_once("\">").map(|(_, rest)| rest).unwrap_or(cell))
        .collect();
    assert!(cells[0].starts_with("0</td>"), "nothing waiting: {row}");
    assert!(
        cells[3].starts_with(&format!("{due}</td>")),
        "total steps: {row}"
    );
    assert!(cells[4].starts_with("–</td>"), "no failure: {row}");
    let mut staff = c.a;
    let as_staff = app.browser().at(&app.address);
    as_staff.sign_in(&mut staff).await;
    assert_ne!(as_staff.get("/admin/jobs").await.status, 200);
}

#[actix_web::test]
async fn a_crash_mid_batch_loses_nothing_and_repeats_nothing() {
    let app = spawn_app().await;
    let due = seed_in_effect(&app, 800).await;
    let dir = tempfile::tempdir().unwrap();
    // Slow enough to be caught in the middle.
    let first = Serve::start(
        &app,
        dir.path(),
        "first",
        &[
            ("APP__SCHEDULER__BATCH_SIZE", "200"),
            ("APP__SCHEDULER__PAUSE_MS", "20"),
        ],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while due - still_due(&app).await < 50 {
        assert!(
            Instant::now() < deadline,
            "the first instance made progress"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(first); // SIGKILL, mid-batch
    let left = still_due(&app).await;
    assert!(
        left > 0 && left < due,
        "killed mid-burst ({left} of {due} left)"
    );

    let _second = Serve::start(
        &app,
        dir.path(),
        "second",
        &[("APP__SCHEDULER__PAUSE_MS", "0")],
    )
    .await;
    wait_until_none_due(&app, Duration::from_secs(120)).await;
    assert_each_ended_once(&app, due);
}

#[actix_web::test]
async fn expired_sessions_are_purged_in_bounded_batches_and_live_ones_kept() {
    use protection_portal::app::scheduler::{Job, Pace, run_batch};
    let app = spawn_app().await;
    let c = app.cast().await;
    let live = app.browser();
    let mut staff = c.a;
    live.sign_in(&mut staff).await;
    let ids = |app: &TestApp| text_rows(app, "SELECT id_hash AS line FROM sessions");
    let kept = ids(&app);
    assert!(!kept.is_empty());
    for n in 0..5 {
        crate::helpers::execute(
            &app,
            &format!(
                "INSERT INTO sessions (id_hash, user_id, state, created_at, last_seen_at, \
                 expires_at) VALUES ('expired-{n}', NULL, '{{}}', '2026-01-01 00:00:00', \
                 '2026-01-01 00:00:00', '2026-01-01 00:30:00')"
            ),
        );
    }
    let pace = Pace {
        batch_size: 2,
        pause: Duration::ZERO,
        yield_for: Duration::ZERO,
    };
    let mut batches = Vec::new();
    loop {
        let batch = run_batch(&app.pool, Job::PurgeSessions, pace, ctx(), None).await;
        batches.push((batch.done, batch.full));
        if !batch.full {
            break;
        }
    }
    assert_eq!(batches, vec![(2, true), (2, true), (1, false)]);
    // The live session is untouched, and its owner still signed in.
    assert_eq!(ids(&app), kept);
    assert_eq!(live.get("/account").await.status, 200);
}

/// A request submitted `days` ago and never taken: its triage is long overdue. Its history is
/// moved back as if it had been filed then, and its due date is left to be counted again.
async fn overdue_request(app: &TestApp, c: &crate::helpers::Cast, days: i64) -> String {
    let id = app.request_in(c, "submitted").await;
    let at = (protection_portal::app::now() - chrono::Duration::days(days))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    crate::helpers::execute(
        app,
        &format!(
            "UPDATE requests SET submitted_at = '{at}', due_rules = NULL WHERE id = '{id}'; \
             UPDATE timeline_events SET at = '{at}' WHERE request_id = '{id}'"
        ),
    );
    id
}

#[actix_web::test]
async fn an_overdue_stage_is_escalated_once_by_two_instances_and_the_ministry_is_mailed() {
    let app = spawn_app().await;
    let smtp = crate::smtp::SmtpServer::start().await;
    let mut c = app.cast().await;
    let colleague = app
        .add_person("mfa_officer", None, Some("restricted"))
        .await;
    let id = overdue_request(&app, &c, 14).await;
    let on_time = app.request_in(&c, "submitted").await;
    let dir = tempfile::tempdir().unwrap();
    let pace = [("APP__SCHEDULER__PAUSE_MS", "0")];
    let _a = Serve::start(&app, dir.path(), "a", &pace).await;
    let _b = Serve::start(&app, dir.path(), "b", &pace).await;
    let escalations = |app: &TestApp| {
        count(
            app,
            "SELECT CAST(COUNT(*) AS TEXT) AS line FROM escalations",
        )
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while escalations(&app) == 0 {
        assert!(Instant::now() < deadline, "the overdue triage is escalated");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Several more turns of both schedulers: nothing is escalated again.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(escalations(&app), 1, "exactly one escalation");
    assert_eq!(
        text_rows(
            &app,
            "SELECT escalations.request_id || ' ' || stage || ' ' || COALESCE(detail, '') AS line \
             FROM escalations JOIN timeline_events ON timeline_events.request_id = escalations.request_id \
             AND timeline_events.action = 'escalate'"
        ),
        [format!("{id} triage triage")],
        "one history entry, for the triage, by the portal"
    );
    assert_eq!(
        count(
            &app,
            "SELECT CAST(COUNT(*) AS TEXT) AS line FROM timeline_events \
             WHERE action = 'escalate' AND (actor_id IS NOT NULL OR mission_visible)"
        ),
        0,
        "the portal's own step, internal"
    );
    // Every MFA officer is told (the stage is the Ministry's); nobody else.
    let mut told = text_rows(
        &app,
        "SELECT recipient_email AS line FROM outbox WHERE kind = 'stage_overdue'",
    );
    told.sort();
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(
        told.contains(&c.mfa.email) && told.contains(&colleague.email),
        "{told:?}"
    );
    // The e-mails arrive over SMTP, naming the reference and nothing of the request.
    let w = crate::helpers::worker(&app, crate::helpers::smtp_settings(&app, &smtp));
    crate::helpers::drain(w).await;
    let reference = text_rows(
        &app,
        &format!("SELECT reference AS line FROM requests WHERE id = '{id}'"),
    )[0]
    .clone();
    let overdue_mail: Vec<_> = smtp
        .messages()
        .into_iter()
        .filter(|m| {
            m.header("Subject")
                .is_some_and(|s| s.contains("past its due date"))
        })
        .collect();
    assert_eq!(overdue_mail.len(), 2, "one e-mail to each officer");
    let title = text_rows(
        &app,
        &format!("SELECT title AS line FROM requests WHERE id = '{id}'"),
    )[0]
    .clone();
    for m in &overdue_mail {
        assert!(m.data.contains(&reference), "{}", m.data);
        assert!(!m.data.contains(&title), "no title in the e-mail");
    }
    // The officers see it in the Overdue queue; the request on time is not there.
    let page = app.signed_in(&mut c.mfa).await;
    let overdue = page.get("/?queue=overdue").await.body;
    assert!(overdue.contains(&format!("/requests/{id}\"")));
    assert!(!overdue.contains(&format!("/requests/{on_time}\"")));
    let history = page.get(&format!("/requests/{id}")).await.body;
    assert!(history.contains("Triage overdue: escalated"), "{history}");
}

#[actix_web::test]
async fn a_review_falling_due_is_announced_once_by_two_instances_to_the_police() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let colleague = app
        .add_person("police_liaison", None, Some("restricted"))
        .await;
    let mut body = crate::helpers::request_body("Guard until further notice");
    body["measures"] = serde_json::json!([{
        "kind": "static_guard", "location": "chancery", "starts_on": crate::helpers::day(1),
        "description": "Around the chancery until the threat has passed"
    }]);
    let journey = crate::helpers::Journey {
        body,
        ..Default::default()
    };
    let id = app.request_in_with(&c, "in_effect", journey).await;
    crate::helpers::execute(
        &app,
        &format!(
            "UPDATE requests SET next_review_on = '{}' WHERE id = '{id}'",
            crate::helpers::day(0)
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let pace = [("APP__SCHEDULER__PAUSE_MS", "0")];
    let _a = Serve::start(&app, dir.path(), "a", &pace).await;
    let _b = Serve::start(&app, dir.path(), "b", &pace).await;
    let announced = |app: &TestApp| {
        count(
            app,
            "SELECT CAST(COUNT(*) AS TEXT) AS line FROM timeline_events WHERE action = 'review_due'",
        )
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while announced(&app) == 0 {
        assert!(
            Instant::now() < deadline,
            "the review falling due is announced"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Several more turns of both schedulers: it is not announced again.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(announced(&app), 1, "exactly one announcement");
    let mut told = text_rows(
        &app,
        "SELECT recipient_email AS line FROM outbox WHERE kind = 'review_due'",
    );
    told.sort();
    let mut police = vec![c.police.email.clone(), colleague.email.clone()];
    police.sort();
    assert_eq!(told, police, "every police liaison, once");
}
