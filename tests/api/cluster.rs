//! Several instances on one database (product.md § 9): two `serve` processes and one `worker`
//! process, started from the built binary, share the test's database. Work is driven through
//! both at once; nothing a second instance needs may live in one process's memory.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{TestApp, crate_dir, free_port, request_body, spawn_app, text_rows};
use crate::smtp::SmtpServer;

/// A `protection-portal` process, stopped when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn portal(app: &TestApp, args: &[&str], env: &[(&str, String)]) -> Process {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_protection-portal"));
    cmd.arg("--config")
        .arg(crate_dir().join("config"))
        .args(args)
        .env("APP_ENVIRONMENT", "test")
        .env("APP__DATABASE__URL", app.db.url())
        .env("APP__WORKER__EMBEDDED", "false")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Process(cmd.spawn().expect("protection-portal starts"))
}

/// A `serve` process on a port of its own; returns it with its address once it is ready.
async fn serve(app: &TestApp) -> (Process, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let process = portal(
        app,
        &["serve", "--bind", &format!("127.0.0.1:{port}")],
        &[("APP__PUBLIC_URL", base.clone())],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(res) = reqwest::get(format!("{base}/health/ready")).await
            && res.status() == 200
        {
            return (process, base);
        }
        assert!(Instant::now() < deadline, "serve on {base} became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn two_serve_instances_and_a_worker_share_one_database_safely() {
    let app = spawn_app().await;
    let smtp = SmtpServer::start().await;
    let mut c = app.cast().await;
    let mfa2 = app
        .add_person("mfa_officer", None, Some("restricted"))
        .await;
    let (a_proc, a) = serve(&app).await;
    let (b_proc, b) = serve(&app).await;
    let _worker = portal(
        &app,
        &["worker"],
        &[
            ("APP__MAIL__TRANSPORT", "smtp".into()),
            ("APP__MAIL__SMTP__HOST", "127.0.0.1".into()),
            ("APP__MAIL__SMTP__PORT", smtp.addr.port().to_string()),
            ("APP__MAIL__SMTP__TLS", "none".into()),
        ],
    );
    let staff = app.api(&c.a).await;
    let officer = app.api(&c.mfa).await;
    let colleague = app.api(&mfa2).await;

    // Twenty drafts submitted at once, alternately through each instance: every reference is
    // given once.
    let mut ids = Vec::new();
    for i in 0..20 {
        let (status, r) = staff
            .at(&a)
            .post(
                "/api/v1/requests",
                request_body(&format!("Request number {i}")),
            )
            .await;
        assert_eq!(status, 201, "{r}");
        ids.push((r["id"].as_str().unwrap().to_owned(), r["version"].clone()));
    }
    let mut submissions = Vec::new();
    for (i, (id, version)) in ids.iter().enumerate() {
        let base = if i % 2 == 0 { &a } else { &b };
        let (staff, id, version) = (staff.at(base), id.clone(), version.clone());
        submissions.push(actix_web::rt::spawn(async move {
            staff
                .post(
                    &format!("/api/v1/requests/{id}/transitions"),
                    json!({ "action": "submit", "version": version }),
                )
                .await
        }));
    }
    let mut references = HashSet::new();
    for s in submissions {
        let (status, r) = s.await.unwrap();
        assert_eq!(status, 200, "{r}");
        assert!(
            references.insert(r["reference"].as_str().unwrap().to_owned()),
            "{r}"
        );
    }
    assert_eq!(references.len(), 20);

    // Two officers take each request at the same moment, one through each instance, from the
    // same version: exactly one succeeds, the other is told it is stale — no lost update.
    for (id, _) in &ids {
        let (_, r) = officer.at(&a).get(&format!("/api/v1/requests/{id}")).await;
        let version = r["version"].clone();
        let path = format!("/api/v1/requests/{id}/transitions");
        let body = json!({ "action": "take", "version": version });
        let (officer_on_a, colleague_on_b) = (officer.at(&a), colleague.at(&b));
        let (first, second) = tokio::join!(
            officer_on_a.post(&path, body.clone()),
            colleague_on_b.post(&path, body.clone()),
        );
        let mut statuses = [first.0, second.0];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{first:?} {second:?}");
        let (_, after) = officer.at(&b).get(&format!("/api/v1/requests/{id}")).await;
        let winner = if first.0 == 200 { &c.mfa.id } else { &mfa2.id };
        assert_eq!(
            after["assigned_to"]["id"]
                .as_str()
                .or(after["assigned_to"].as_str()),
            Some(winner.as_str()),
            "{after}"
        );
        let (_, timeline) = officer
            .at(&b)
            .get(&format!("/api/v1/requests/{id}/timeline"))
            .await;
        let takes = timeline.to_string().matches("\"Assigned\"").count();
        assert_eq!(takes, 1, "one take in the timeline: {timeline}");
    }

    // A session made on one instance is good on the other.
    let browser_a = app.browser().at(&a);
    browser_a.sign_in(&mut c.police).await;
    let browser_b = browser_a.at(&b);
    let page = browser_b.get("/account").await;
    assert_eq!(page.status, 200, "the session of A is valid on B");
    // Signing out on B ends it on A.
    let token = browser_b.get("/account").await.csrf();
    assert_eq!(
        browser_b
            .post("/sign-out", &[("csrf_token", &token)])
            .await
            .status,
        303
    );
    assert_eq!(browser_a.get("/account").await.status, 302);

    // Sign-in failures through both instances count together, and lock the account on both.
    let threshold = app.settings.security.lockout_account_threshold;
    for i in 0..threshold {
        let base = if i % 2 == 0 { &a } else { &b };
        let guess = app.browser().at(base);
        let page = guess
            .submit(
                "/sign-in",
                "/sign-in",
                &[
                    ("email", &c.pst.email),
                    ("password", "a wrong guess entirely"),
                ],
            )
            .await;
        assert_ne!(page.status, 303);
    }
    let right = app.browser().at(&b);
    let page = right
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", &c.pst.email), ("password", &c.pst.password)],
        )
        .await;
    assert_ne!(page.status, 303, "locked on B by failures on A and B");
    let locks = text_rows(
        &app,
        &format!(
            "SELECT event AS line FROM security_log WHERE event = 'account_locked' AND actor_user_id = '{}'",
            c.pst.id
        ),
    );
    assert!(!locks.is_empty(), "the lockout is logged once reached");

    // Every mail queued by both instances is delivered by the worker exactly once.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pending = text_rows(
            &app,
            "SELECT CAST(COUNT(*) AS TEXT) AS line FROM outbox WHERE status <> 'sent'",
        );
        if pending == ["0"] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker delivers everything: {pending:?} left"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sent = text_rows(&app, "SELECT id AS line FROM outbox");
    assert!(
        sent.len() >= 40,
        "mail for submissions and takes: {}",
        sent.len()
    );
    let messages = smtp.messages();
    let ids_delivered: Vec<String> = messages
        .iter()
        .map(|m| {
            let id = m.header("message-id").expect("a Message-ID");
            id.trim_matches(['<', '>'])
                .split('@')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    let unique: HashSet<&String> = ids_delivered.iter().collect();
    assert_eq!(unique.len(), ids_delivered.len(), "no mail delivered twice");
    let queued: HashSet<&String> = sent.iter().collect();
    assert_eq!(unique, queued, "every queued mail delivered");
    drop(a_proc);
    drop(b_proc);
}
