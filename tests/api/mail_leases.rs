//! Mail leases that cannot livelock (issue 16): behind a relay slower than the lease, workers
//! still record every mail they sent; a worker killed mid-batch sends again only the mails it
//! had in flight; after an outage the waiting mails go out within seconds of the relay's return;
//! and a lease that cannot cover a batch is refused at start.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use protection_portal::db::outbox;
use protection_portal::notify::worker::Worker;
use protection_portal::settings::Settings;

use crate::helpers::{
    TestApp, TestDb, captured_logs, crate_dir, queue_mail, smtp_settings, spawn_app, text_rows,
    worker,
};
use crate::smtp::SmtpServer;

/// Queues `n` mails, due now; returns their ids.
fn queue(app: &TestApp, n: usize) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    (0..n)
        .map(|i| {
            queue_mail(
                &mut conn,
                "password_changed",
                &format!("person{i}@example.org"),
                None,
            )
        })
        .collect()
}

/// How many times the relay received each outbox id (from the Message-ID `<id@host>`).
fn received(server: &SmtpServer) -> BTreeMap<String, usize> {
    let mut by_id = BTreeMap::new();
    for m in server.messages() {
        let id = m.header("message-id").expect("a Message-ID");
        let id = id.trim_matches(['<', '>']).split('@').next().unwrap();
        *by_id.entry(id.to_owned()).or_default() += 1;
    }
    by_id
}

fn duplicates(by_id: &BTreeMap<String, usize>) -> usize {
    by_id.values().map(|n| n - 1).sum()
}

fn count(app: &TestApp, status: &str) -> i64 {
    let mut conn = app.pool.get().unwrap();
    outbox::count_by_status(&mut conn, status).unwrap()
}

/// Waits until `done`, at most `limit`; whether it came.
async fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    true
}

/// Workers running `Worker::run` on threads of their own, as `protection-portal worker` does.
struct Running {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Running {
    fn start(workers: Vec<Worker>) -> Running {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = workers
            .into_iter()
            .map(|w| {
                let stop = stop.clone();
                std::thread::spawn(move || w.run(&stop))
            })
            .collect();
        Running { stop, threads }
    }

    async fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        tokio::task::spawn_blocking(move || {
            for t in self.threads {
                t.join().unwrap();
            }
        })
        .await
        .unwrap();
    }
}

/// SMTP settings for a relay taking 300 ms a mail: 40 mails over 4 connections take 3 s.
fn slow_relay_settings(app: &TestApp, server: &SmtpServer, lease_seconds: u32) -> Settings {
    server.delay_ms.store(300, Ordering::SeqCst);
    let mut s = smtp_settings(app, server);
    s.mail.smtp.pool_size = 4;
    s.mail.smtp.timeout_seconds = 1;
    s.worker.batch_size = 40;
    s.worker.lease_seconds = lease_seconds;
    s
}

#[actix_web::test]
async fn two_workers_behind_a_relay_slower_than_the_lease_deliver_and_record_every_mail() {
    let app = spawn_app().await;
    let server = SmtpServer::start().await;
    let ids = queue(&app, 40);
    // A batch takes 3 s and the lease is 2 s: once the lease passes, the other worker takes the
    // batch over. Before issue 16 neither could then record what it had sent, and the same
    // mails went out again and again.
    let settings = slow_relay_settings(&app, &server, 2);
    let running = Running::start(vec![worker(&app, settings.clone()), worker(&app, settings)]);
    let all_sent = wait_for(Duration::from_secs(30), || count(&app, "sent") == 40).await;
    running.stop().await;
    let by_id = received(&server);
    assert!(
        all_sent,
        "every mail recorded sent: {} sent, {} deliveries to the relay",
        count(&app, "sent"),
        server.messages().len()
    );
    assert!(ids.iter().all(|id| by_id.contains_key(id)), "all delivered");
    assert!(
        duplicates(&by_id) <= 4,
        "at most the mails in flight go out twice: {} duplicates",
        duplicates(&by_id)
    );
    let attempts = text_rows(
        &app,
        "SELECT CAST(MAX(attempts) AS TEXT) AS line FROM outbox",
    );
    assert_eq!(
        attempts,
        ["1"],
        "each recorded as sent at its first attempt"
    );
}

/// A `protection-portal` process, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[actix_web::test]
async fn a_worker_killed_mid_batch_sends_again_only_the_mails_it_had_in_flight() {
    let app = spawn_app().await;
    let server = SmtpServer::start().await;
    let ids = queue(&app, 40);
    // The lease covers the batch: (40 / 4 + 1) × 1 s.
    let settings = slow_relay_settings(&app, &server, 11);
    let mut process = Process(
        Command::new(env!("CARGO_BIN_EXE_protection-portal"))
            .arg("--config")
            .arg(crate_dir().join("config"))
            .arg("worker")
            .env("APP_ENVIRONMENT", "test")
            .env("APP__DATABASE__URL", app.db.url())
            .env("APP__MAIL__TRANSPORT", "smtp")
            .env("APP__MAIL__SMTP__HOST", "127.0.0.1")
            .env("APP__MAIL__SMTP__PORT", server.addr.port().to_string())
            .env("APP__MAIL__SMTP__TLS", "none")
            .env("APP__MAIL__SMTP__POOL_SIZE", "4")
            .env("APP__MAIL__SMTP__TIMEOUT_SECONDS", "1")
            .env("APP__WORKER__BATCH_SIZE", "40")
            .env("APP__WORKER__LEASE_SECONDS", "11")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("protection-portal worker starts"),
    );
    // Mid-batch: four rounds of the ten delivered.
    assert!(
        wait_for(Duration::from_secs(60), || server.messages().len() >= 16).await,
        "the worker delivers"
    );
    process.0.kill().unwrap(); // SIGKILL
    process.0.wait().unwrap();
    let before_the_crash = server.messages().len();
    assert!(before_the_crash < 40, "killed mid-batch");
    assert!(
        count(&app, "sent") >= 12,
        "what the relay had accepted is recorded: {} of {before_the_crash}",
        count(&app, "sent")
    );

    // Another worker takes the rest over once the dead worker's lease has run out.
    let running = Running::start(vec![worker(&app, settings)]);
    let all_sent = wait_for(Duration::from_secs(40), || count(&app, "sent") == 40).await;
    running.stop().await;
    assert!(all_sent, "{} of 40 recorded sent", count(&app, "sent"));
    let by_id = received(&server);
    assert!(ids.iter().all(|id| by_id.contains_key(id)), "all delivered");
    assert!(
        duplicates(&by_id) <= 4,
        "at most the mails in flight (pool_size 4) went out twice: {} duplicates",
        duplicates(&by_id)
    );
}

#[derive(Clone, Copy, Debug)]
enum Outage {
    /// The relay answers, but 451 to every mail.
    Refusing,
    /// Nothing listens.
    Stopped,
}

async fn waiting_mails_go_out_within_seconds_of_the_relay_coming_back(outage: Outage) {
    let app = spawn_app().await;
    let mut server = SmtpServer::start().await;
    let ids = queue(&app, 6);
    match outage {
        Outage::Refusing => server.refuse.store(true, Ordering::SeqCst),
        Outage::Stopped => server.stop(),
    }
    let mut settings = smtp_settings(&app, &server);
    settings.mail.smtp.timeout_seconds = 1;
    // After a failure a mail waits an hour, as it would after several.
    settings.worker.retry_first_delay_seconds = 3600;
    settings.worker.retry_max_delay_seconds = 7200;
    settings.worker.relay_probe_seconds = 1;
    let w = worker(&app, settings);
    let worker_id = w.id().to_owned();
    let running = Running::start(vec![w]);
    let failed = wait_for(Duration::from_secs(20), || {
        text_rows(
            &app,
            "SELECT CAST(COUNT(*) AS TEXT) AS line FROM outbox WHERE status = 'pending' AND attempts > 0",
        ) == ["6"]
    })
    .await;
    assert!(failed, "every mail failed once and waits");
    // The relay stays away a little longer (the worker probes it meanwhile).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(count(&app, "sent"), 0);

    match outage {
        Outage::Refusing => server.refuse.store(false, Ordering::SeqCst),
        Outage::Stopped => server.restart().await,
    }
    let back = Instant::now();
    let all_sent = wait_for(Duration::from_secs(10), || count(&app, "sent") == 6).await;
    let took = back.elapsed();
    running.stop().await;
    assert!(
        all_sent,
        "{outage:?}: all delivered within seconds of the relay's return, not an hour later"
    );
    assert!(took < Duration::from_secs(6), "{outage:?}: took {took:?}");
    let by_id = received(&server);
    assert_eq!(by_id.len(), 6, "{by_id:?}");
    assert!(ids.iter().all(|id| by_id.get(id) == Some(&1)), "{by_id:?}");
    // The operator reads one line: the relay is back, and how many mails were brought forward
    // (all but the one the worker tried first).
    let logs = captured_logs();
    let recovered: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains(&worker_id) && l.contains("mail relay takes mail again"))
        .collect();
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert!(recovered[0].contains("brought_forward=5"), "{recovered:?}");
}

#[actix_web::test]
async fn mails_held_back_by_a_refusing_relay_go_out_within_seconds_of_its_recovery() {
    waiting_mails_go_out_within_seconds_of_the_relay_coming_back(Outage::Refusing).await;
}

#[actix_web::test]
async fn mails_held_back_by_a_stopped_relay_go_out_within_seconds_of_its_return() {
    waiting_mails_go_out_within_seconds_of_the_relay_coming_back(Outage::Stopped).await;
}

#[test]
fn a_lease_that_cannot_cover_a_batch_is_refused_at_start_naming_the_setting() {
    let db = TestDb::fresh();
    let start = |extra: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_protection-portal"));
        cmd.arg("--config")
            .arg(crate_dir().join("config"))
            .arg("migrate")
            .env_remove("APP_ENVIRONMENT")
            .env_remove("RUST_LOG")
            .env("APP__DATABASE__URL", db.url())
            .env("APP__LOG__LEVEL", "warn")
            .env(
                "APP__KEYS__LOG",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            )
            .env(
                "APP__KEYS__SEAL",
                "t1:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=",
            )
            .env("APP__MAIL__TRANSPORT", "smtp")
            .env("APP__MAIL__SMTP__HOST", "relay.example.org")
            .stdin(Stdio::null());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.output().expect("run protection-portal")
    };
    // The defaults pass with SMTP.
    let out = start(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The batch of before issue 16: 200 mails over 16 connections at 10 s each need 140 s.
    let out = start(&[("APP__WORKER__BATCH_SIZE", "200")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("worker.lease_seconds"), "{stderr}");
    assert!(stderr.contains("is 60 s"), "{stderr}");
    assert!(stderr.contains("at least 140"), "{stderr}");
    assert!(
        stderr.contains("worker.batch_size to at most 80"),
        "{stderr}"
    );
    // A longer lease makes the same batch acceptable.
    let out = start(&[
        ("APP__WORKER__BATCH_SIZE", "200"),
        ("APP__WORKER__LEASE_SECONDS", "140"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
