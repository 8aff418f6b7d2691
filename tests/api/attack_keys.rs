//! Attacks by someone who can read or write the database (issue 15): the security log must not
//! be rewritable or shortened unnoticed, and nothing stored may be usable alone — second-factor
//! seeds, a pending enrolment secret, a session's CSRF token.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::{TestDb, crate_dir, test_settings};

fn portal(db: &TestDb) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_protection-portal"));
    cmd.arg("--config")
        .arg(crate_dir().join("config"))
        .env("APP_ENVIRONMENT", "test")
        .env("APP__DATABASE__URL", db.url())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    cmd
}

fn run(mut cmd: Command) -> Output {
    cmd.output().expect("run protection-portal")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn add_missions(db: &TestDb, n: usize) {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    for _ in 0..n {
        let i = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut cmd = portal(db);
        cmd.args([
            "mission",
            "create",
            "--name",
            &format!("Embassy number {i}"),
            "--country",
            "IS",
        ]);
        let out = run(cmd);
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

fn verify(db: &TestDb, checkpoint: Option<&str>) -> Output {
    let mut cmd = portal(db);
    cmd.args(["audit", "verify"]);
    if let Some(c) = checkpoint {
        cmd.args(["--from-checkpoint", c]);
    }
    run(cmd)
}

fn pool(db: &TestDb) -> protection_portal::db::Pool {
    let mut settings = test_settings().database;
    settings.url = secrecy::SecretString::from(db.url().to_owned());
    protection_portal::db::build_pool(&settings).unwrap()
}

/// What an attacker with the database owner's rights does first: drop the triggers that keep
/// the security log append-only.
const DROP_TRIGGERS_SQLITE: &str = "DROP TRIGGER IF EXISTS security_log_no_update; \
     DROP TRIGGER IF EXISTS security_log_no_delete;";
const DROP_TRIGGERS_POSTGRES: &str = "DROP TRIGGER IF EXISTS security_log_append_only ON security_log; \
     DROP TRIGGER IF EXISTS security_log_no_truncate ON security_log;";

fn as_owner(db: &TestDb, sql: &str) {
    let pool = pool(db);
    let mut conn = pool.get().unwrap();
    let drop = if db.is_postgres() {
        DROP_TRIGGERS_POSTGRES
    } else {
        DROP_TRIGGERS_SQLITE
    };
    conn.batch_execute(&format!("{drop} {sql}"))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The rows as stored, oldest first.
fn rows(db: &TestDb) -> Vec<protection_portal::db::security_log::SecurityLogRow> {
    let pool = pool(db);
    let mut conn = pool.get().unwrap();
    protection_portal::db::security_log::page_after(&mut conn, 0, 1000).unwrap()
}

/// The chain as anyone reading the source can compute it without a key: SHA-256 over the
/// previous hash and the row's canonical content.
fn unkeyed_hash(row: &protection_portal::db::security_log::SecurityLogRow) -> String {
    let canonical = json!([
        row.seq,
        row.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        row.event,
        row.outcome,
        row.actor_user_id,
        row.actor_org,
        row.client_addr,
        row.target_type,
        row.target_id,
        row.detail,
    ])
    .to_string();
    let mut hasher = Sha256::new();
    hasher.update(row.prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

/// Rewrites every row's links and hashes from `from_seq` on as the attacker can (without the key).
fn recompute_chain(db: &TestDb, from_seq: i64) {
    recompute_chain_with(db, from_seq, unkeyed_hash);
}

/// As an attacker who also holds the log key (leaked with a backup of the settings) would:
/// a chain `audit verify` alone accepts.
fn recompute_keyed_chain(db: &TestDb, from_seq: i64) {
    let settings = test_settings();
    protection_portal::auth::keys::install(
        protection_portal::auth::keys::load(&settings.keys, false).expect("the test keys"),
    );
    recompute_chain_with(db, from_seq, protection_portal::audit::chain_hash);
}

fn recompute_chain_with(
    db: &TestDb,
    from_seq: i64,
    hash: fn(&protection_portal::db::security_log::SecurityLogRow) -> String,
) {
    let mut prev = rows(db)
        .iter()
        .find(|r| r.seq == from_seq - 1)
        .map(|r| r.hash.clone())
        .unwrap_or_else(|| "0".repeat(64));
    for mut row in rows(db).into_iter().filter(|r| r.seq >= from_seq) {
        row.prev_hash = prev.clone();
        row.hash = hash(&row);
        as_owner(
            db,
            &format!(
                "UPDATE security_log SET prev_hash = '{}', hash = '{}' WHERE seq = {}",
                row.prev_hash, row.hash, row.seq
            ),
        );
        prev = row.hash;
    }
}

#[test]
fn deleting_an_entry_and_recomputing_the_chain_fails_audit_verify() {
    let db = TestDb::fresh();
    add_missions(&db, 4);
    let out = verify(&db, None);
    assert!(out.status.success(), "{}", stderr(&out));

    // The attacker removes entry 2, closes the gap, and recomputes the chain from there.
    as_owner(
        &db,
        "DELETE FROM security_log WHERE seq = 2; \
         UPDATE security_log SET seq = seq - 1 WHERE seq > 2;",
    );
    recompute_chain(&db, 2);

    let out = verify(&db, None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("entry 2"), "{}", stderr(&out));
}

#[test]
fn deleting_the_newest_entries_fails_verification_against_a_later_checkpoint() {
    let db = TestDb::fresh();
    add_missions(&db, 4);
    let head = rows(&db).pop().unwrap();
    let checkpoint = format!("{}:{}", head.seq, head.hash);
    let out = verify(&db, Some(&checkpoint));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Checkpoint 4 found"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The newest two entries go; what is left is still a perfect chain.
    as_owner(&db, "DELETE FROM security_log WHERE seq > 2;");
    assert!(verify(&db, None).status.success());
    let out = verify(&db, Some(&checkpoint));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("entry 4") && stderr(&out).contains("deleted"),
        "{}",
        stderr(&out)
    );

    // A malformed checkpoint is refused with the rule.
    let out = verify(&db, Some("4:nothex"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("SEQ:HASH"), "{}", stderr(&out));
}

#[test]
fn rewriting_the_log_up_to_a_checkpoint_fails_against_it() {
    let db = TestDb::fresh();
    add_missions(&db, 3);
    let third = rows(&db).pop().unwrap();
    let checkpoint = format!("{}:{}", third.seq, third.hash);
    // The attacker, holding the log key as well, rewrites entry 2 and forges the chain; later
    // entries follow the new chain, which the key alone cannot tell from the real one.
    as_owner(
        &db,
        "UPDATE security_log SET detail = '{\"name\":\"forged\"}' WHERE seq = 2;",
    );
    recompute_keyed_chain(&db, 2);
    let out = verify(&db, None);
    assert!(out.status.success(), "{}", stderr(&out));
    // The checkpoint, kept outside the database, still tells.
    let out = verify(&db, Some(&checkpoint));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("entry 3") && stderr(&out).contains("differs from the checkpoint"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn serve_writes_security_log_checkpoints_to_the_operator_log() {
    let db = TestDb::fresh();
    add_missions(&db, 2);
    let port = crate::helpers::free_port();
    let mut cmd = portal(&db);
    cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        // The quietest level an operator might choose: the checkpoints are written even so.
        .env("APP__LOG__LEVEL", "error")
        .env_remove("RUST_LOG")
        .env("APP__LOG__FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start serve");
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut found = None;
    while found.is_none() && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_secs(1))
            && line.contains("security log checkpoint")
        {
            found = Some(line);
        }
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let _ = child.wait();
    let line = found.expect("a checkpoint line at start-up");
    let logged: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
    let fields = &logged;
    assert_eq!(fields["seq"], 2, "{line}");
    let checkpoint = format!("{}:{}", fields["seq"], fields["hash"].as_str().unwrap());
    let out = verify(&db, Some(&checkpoint));
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_security_log_refuses_update_and_delete() {
    let db = TestDb::fresh();
    add_missions(&db, 2);
    let before = rows(&db);
    let pool = pool(&db);
    let mut conn = pool.get().unwrap();
    for sql in [
        "UPDATE security_log SET detail = '{}' WHERE seq = 1",
        "DELETE FROM security_log WHERE seq = 2",
        "DELETE FROM security_log",
    ] {
        let refused = conn.batch_execute(sql).expect_err(sql).to_string();
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    if db.is_postgres() {
        let refused = conn
            .batch_execute("TRUNCATE security_log")
            .expect_err("truncate")
            .to_string();
        assert!(refused.contains("append-only"), "{refused}");
    }
    drop(conn);
    let after = rows(&db);
    assert_eq!(after.len(), before.len());
    assert_eq!(after[0].detail, before[0].detail);
    assert!(verify(&db, None).status.success());
}

/// A settings folder holding only `default.toml` (and `production.toml` from the example).
fn config_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate_dir().join("config/default.toml"),
        dir.path().join("default.toml"),
    )
    .unwrap();
    std::fs::copy(
        crate_dir().join("config/production.example.toml"),
        dir.path().join("production.toml"),
    )
    .unwrap();
    dir
}

fn bare_portal(config: &std::path::Path, db_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_protection-portal"));
    cmd.arg("--config")
        .arg(config)
        .env_remove("APP_ENVIRONMENT")
        .env_remove("RUST_LOG")
        .env("APP__DATABASE__URL", db_url)
        .env("APP__LOG__LEVEL", "warn")
        .stdin(Stdio::null());
    cmd
}

#[test]
fn production_refuses_to_start_without_keys_and_development_generates_them_once() {
    let config = config_dir();
    let data = tempfile::tempdir().unwrap();
    let db_url = data.path().join("portal.db").to_string_lossy().into_owned();
    let key_file = data.path().join("portal.keys");

    // Production: no keys, no key file → refused, naming the setting; nothing generated.
    let mut cmd = bare_portal(config.path(), &db_url);
    cmd.env("APP_ENVIRONMENT", "production")
        .env("APP__KEYS__FILE", &key_file)
        .args(["migrate"]);
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("keys.log"), "{}", stderr(&out));
    assert!(stderr(&out).contains("APP__KEYS__SEAL"), "{}", stderr(&out));
    assert!(!key_file.exists());

    // A malformed key is refused by name.
    let mut cmd = bare_portal(config.path(), &db_url);
    cmd.env("APP_ENVIRONMENT", "production")
        .env("APP__KEYS__LOG", "c2hvcnQ=")
        .env("APP__KEYS__SEAL", "k1:c2hvcnQ=")
        .args(["migrate"]);
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("keys.log"), "{}", stderr(&out));

    // `keys generate` needs no settings and prints keys production accepts.
    let out = run({
        let mut c = Command::new(env!("CARGO_BIN_EXE_protection-portal"));
        c.args(["keys", "generate"]);
        c
    });
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} = ")))
            .unwrap()
            .to_owned()
    };
    let mut cmd = bare_portal(config.path(), &db_url);
    cmd.env("APP_ENVIRONMENT", "production")
        .env("APP__KEYS__LOG", value("log"))
        .env("APP__KEYS__SEAL", value("seal"))
        .args(["migrate"]);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));

    // Development: the key file is generated on first use, owner-readable only, and kept, so
    // a later process verifies what an earlier one wrote.
    let dev_db = data.path().join("dev.db").to_string_lossy().into_owned();
    let dev = |args: &[&str]| {
        let mut cmd = bare_portal(config.path(), &dev_db);
        cmd.env("APP__KEYS__FILE", &key_file).args(args);
        run(cmd)
    };
    let out = dev(&[
        "mission",
        "create",
        "--name",
        "Embassy of Chile",
        "--country",
        "CL",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(key_file.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "key file mode {mode:o}");
    }
    let first = std::fs::read_to_string(&key_file).unwrap();
    let out = dev(&["audit", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), first);
    // The keys are not in the database.
    let log_key = first
        .lines()
        .find_map(|l| l.strip_prefix("log = "))
        .unwrap();
    let bytes = std::fs::read(&dev_db).unwrap();
    assert!(
        !String::from_utf8_lossy(&bytes).contains(log_key),
        "log key in the database file"
    );
}

#[test]
fn a_log_begun_before_the_chain_was_keyed_is_closed_by_a_keyed_entry() {
    let db = TestDb::fresh();
    add_missions(&db, 3);
    // Make it look like a log from before the keyed chain: every row chained with plain SHA-256.
    recompute_chain(&db, 1);
    let out = verify(&db, None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    // A start alone vouches for nothing: an attacker who rewrote the whole log without the key
    // must not get it adopted.
    let migrate = |unkeyed_through: &str| {
        let mut c = portal(&db);
        c.arg("migrate")
            .env("APP__KEYS__LOG_UNKEYED_THROUGH", unkeyed_through);
        run(c)
    };
    assert!(migrate("0").status.success());
    assert_eq!(rows(&db).len(), 3);
    assert_eq!(verify(&db, None).status.code(), Some(1));
    // A wrong count is refused, naming the setting.
    let out = migrate("2");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("keys.log_unkeyed_through"),
        "{}",
        stderr(&out)
    );

    // The operator names the last unkeyed entry: the start closes the prefix with a keyed entry,
    // and the log verifies.
    let out = migrate("3");
    assert!(out.status.success(), "{}", stderr(&out));
    let stored = rows(&db);
    assert_eq!(stored.len(), 4);
    assert_eq!(stored[3].event, "security_log_keyed");
    assert_eq!(stored[3].detail, r#"{"unkeyed_through":3}"#);
    add_missions(&db, 1);
    let out = verify(&db, None);
    assert!(out.status.success(), "{}", stderr(&out));

    // The prefix is still protected: rewriting it breaks the link to the keyed entry.
    as_owner(
        &db,
        "UPDATE security_log SET detail = '{\"name\":\"forged\"}' WHERE seq = 2;",
    );
    recompute_chain(&db, 2);
    let out = verify(&db, None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

// ---- secrets at rest -------------------------------------------------------------------------

fn stored_seed(app: &crate::helpers::TestApp, user_id: &str) -> String {
    crate::helpers::text_rows(
        app,
        &format!("SELECT totp_secret AS line FROM users WHERE id = '{user_id}'"),
    )
    .pop()
    .expect("a stored seed")
}

fn keys_rotate(db: &TestDb, seal: &str, previous: &str) -> Output {
    let mut cmd = portal(db);
    cmd.args(["keys", "rotate"])
        .env("APP__KEYS__SEAL", seal)
        .env("APP__KEYS__SEAL_PREVIOUS", previous);
    run(cmd)
}

/// The test settings' sealing key (config/test.toml).
const TEST_SEAL: &str = "t1:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";

#[actix_web::test]
async fn totp_seeds_are_sealed_bound_to_their_account_and_rotate_to_a_new_key() {
    use base64::Engine;
    let app = crate::helpers::spawn_app().await;
    let mission = app.add_mission("Embassy of Iceland").await;
    let mut a = app.add_person("mission_staff", Some(&mission), None).await;
    let mut b = app.add_person("mission_staff", Some(&mission), None).await;
    app.browser().sign_in(&mut a).await;
    app.browser().sign_in(&mut b).await;
    let seed_a = a.totp_secret.clone().unwrap();

    // A copy of the database does not hold the seed.
    let stored_a = stored_seed(&app, &a.id);
    assert!(stored_a.starts_with("sealed:v1:t1:"), "{stored_a}");
    assert!(!stored_a.contains(&seed_a), "seed in clear: {stored_a}");
    assert!(!stored_a.to_lowercase().contains(&seed_a.to_lowercase()));

    // Someone who can write the database moves A's sealed seed into B's account: B's password
    // and A's codes do not sign in as B.
    crate::helpers::execute(
        &app,
        &format!(
            "UPDATE users SET totp_secret = '{stored_a}' WHERE id = '{}'",
            b.id
        ),
    );
    let browser = app.browser();
    let res = browser
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", &b.email), ("password", &b.password)],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/sign-in/code"));
    let code = a.next_code().await;
    let res = browser
        .submit("/sign-in/code", "/sign-in/code", &[("code", &code)])
        .await;
    assert_ne!(res.status, 303, "signed in as B with A's seed");
    assert_eq!(
        browser
            .get("/account")
            .await
            .location
            .as_deref()
            .map(|l| l.starts_with("/sign-in")),
        Some(true)
    );

    // Rotation refuses while a seed does not open, naming the account, and changes nothing.
    let new_key = format!(
        "t2:{}",
        base64::engine::general_purpose::STANDARD.encode([7u8; 32])
    );
    let out = keys_rotate(&app.db, &new_key, TEST_SEAL);
    assert!(!out.status.success());
    assert!(stderr(&out).contains(&b.id), "{}", stderr(&out));
    assert_eq!(stored_seed(&app, &a.id), stored_a);
    crate::helpers::execute(
        &app,
        &format!(
            "UPDATE users SET totp_secret = NULL, totp_confirmed_at = NULL WHERE id = '{}'",
            b.id
        ),
    );

    // A seed left in clear from before sealing is sealed at the next start, and still works.
    crate::helpers::execute(
        &app,
        &format!(
            "UPDATE users SET totp_secret = '{seed_a}' WHERE id = '{}'",
            a.id
        ),
    );
    let out = run({
        let mut c = portal(&app.db);
        c.arg("migrate");
        c
    });
    assert!(out.status.success(), "{}", stderr(&out));
    let resealed = stored_seed(&app, &a.id);
    assert!(resealed.starts_with("sealed:v1:t1:"), "{resealed}");
    app.browser().sign_in(&mut a).await;

    // Rotation: the new key current, the old one still accepted; every seed moves to the new key.
    let out = keys_rotate(&app.db, &new_key, TEST_SEAL);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("1 re-sealed"), "{stdout}");
    let rotated = stored_seed(&app, &a.id);
    assert!(rotated.starts_with("sealed:v1:t2:"), "{rotated}");
    // The old key can now be dropped: with the new key alone every seed opens...
    let out = keys_rotate(&app.db, &new_key, "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("0 re-sealed, 0 sealed from clear, 1 already current"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // ...and the old key alone no longer opens them.
    let out = keys_rotate(&app.db, TEST_SEAL, "");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("\"t2\""), "{}", stderr(&out));
}

#[actix_web::test]
async fn the_session_row_holds_neither_the_pending_secret_nor_a_usable_csrf_token() {
    use crate::helpers::between;
    let app = crate::helpers::spawn_app().await;
    let mission = app.add_mission("Embassy of Iceland").await;
    let mut person = app.add_person("mission_staff", Some(&mission), None).await;
    let browser = app.browser();
    let res = browser
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", &person.email), ("password", &person.password)],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/sign-in/enrol"));
    let page = browser.get("/sign-in/enrol").await;
    let secret = between(&page.body, "<span class=\"secret\">", "</span>").expect("key shown");
    let token = page.csrf();

    // Someone reading the sessions table during enrolment.
    let states = crate::helpers::text_rows(&app, "SELECT state AS line FROM sessions");
    assert!(!states.is_empty());
    for state in &states {
        assert!(
            !state.contains(&secret),
            "pending secret in the session row: {state}"
        );
        assert!(
            !state.to_lowercase().contains(&secret.to_lowercase()),
            "pending secret in the session row"
        );
        assert!(
            !state.contains(&token),
            "CSRF token in the session row: {state}"
        );
    }
    // What the row does hold for CSRF does not pass as the token.
    let stored: std::collections::HashMap<String, String> = states
        .iter()
        .filter_map(|s| serde_json::from_str(s).ok())
        .find(|m: &std::collections::HashMap<String, String>| m.contains_key("csrf"))
        .expect("a session with a CSRF nonce");
    let nonce: String = serde_json::from_str(&stored["csrf"]).unwrap();
    person.totp_secret = Some(secret.clone());
    let code = person.next_code().await;
    let forged = browser
        .post("/sign-in/enrol", &[("csrf_token", &nonce), ("code", &code)])
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);

    // The page's own token still works, and the enrolment completes with the key shown.
    let done = browser
        .post("/sign-in/enrol", &[("csrf_token", &token), ("code", &code)])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Save your recovery codes"));
    for state in crate::helpers::text_rows(&app, "SELECT state AS line FROM sessions") {
        assert!(!state.contains(&secret));
    }
}
