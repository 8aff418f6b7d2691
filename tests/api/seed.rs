//! The development seeder: requests in every state whose flags, timelines and references agree
//! with the life cycle, so that the pages and queues work on them as on real ones.

use std::process::Command;

use serde_json::json;

use crate::helpers::{crate_dir, request_body, spawn_app, text_rows};

#[actix_web::test]
async fn seeded_requests_cover_every_state_and_behave_like_real_ones() {
    let app = spawn_app().await;
    let c = app.cast().await;
    // A database with real requests is refused.
    let staff = app.api(&c.a).await;
    let (_, real) = staff
        .post("/api/v1/requests", request_body("Real one"))
        .await;
    let seed = |n: &str| {
        Command::new(env!("CARGO_BIN_EXE_protection-portal"))
            .arg("--config")
            .arg(crate_dir().join("config"))
            .args(["seed", "--requests", n, "--missions", "4", "--batch", "50"])
            .env("APP_ENVIRONMENT", "test")
            .env("APP__DATABASE__URL", app.db.url())
            .output()
            .unwrap()
    };
    let refused = seed("26");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not seeded"));
    staff
        .call(
            reqwest::Method::DELETE,
            &format!(
                "/api/v1/requests/{}?version={}",
                real["id"].as_str().unwrap(),
                real["version"]
            ),
            None,
        )
        .await;

    let out = seed("130");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Seeded people sign in with "password" and a code from the published seeded key.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let email = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("mfa_officer: "))
        .expect("a seeded MFA officer is printed")
        .to_owned();
    let mut seeded_officer = crate::helpers::Person {
        id: String::new(),
        email,
        password: "password".into(),
        totp_secret: Some(protection_portal::app::seed::SEEDED_TOTP_SECRET.into()),
        last_step: 0,
    };
    let browser = app.signed_in(&mut seeded_officer).await;
    assert_eq!(browser.get("/").await.status, 200);
    let by_state = text_rows(
        &app,
        "SELECT state || ' ' || CAST(COUNT(*) AS TEXT) AS line FROM requests GROUP BY state ORDER BY state",
    );
    assert_eq!(by_state.len(), 13, "{by_state:?}");
    assert!(by_state.iter().all(|l| l.ends_with(" 10")), "{by_state:?}");
    let references = text_rows(
        &app,
        "SELECT reference AS line FROM requests WHERE reference IS NOT NULL",
    );
    let unique: std::collections::HashSet<_> = references.iter().collect();
    assert_eq!(references.len(), 120);
    assert_eq!(unique.len(), 120, "references are unique");
    // Flags agree with the states: only what reached the police is visible to them.
    let police_rows = text_rows(
        &app,
        "SELECT state AS line FROM requests WHERE reached_police = TRUE",
    );
    assert!(
        police_rows.iter().all(|s| ![
            "draft",
            "submitted",
            "in_triage",
            "awaiting_mission",
            "rejected",
            "withdrawn"
        ]
        .contains(&s.as_str())),
        "{police_rows:?}"
    );
    assert_eq!(police_rows.len(), 70);

    // The MFA sees every submitted request; a real submission continues the references.
    let mfa = app.api(&c.mfa).await;
    let (_, list) = mfa.get("/api/v1/requests").await;
    assert_eq!(list["total"], 120);
    let seeded = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, one) = mfa.get(&format!("/api/v1/requests/{seeded}")).await;
    assert_eq!(status, 200, "{one}");
    let (_, fresh) = staff
        .post("/api/v1/requests", request_body("After seeding"))
        .await;
    let (status, fresh) = staff
        .act(fresh["id"].as_str().unwrap(), json!({ "action": "submit" }))
        .await;
    assert_eq!(status, 200, "{fresh}");
    assert!(!references.contains(&fresh["reference"].as_str().unwrap().to_owned()));

    // A database seeded before takes more, here all in one state (the benchmarks' burst of
    // requests due to end); a state that does not exist is refused by name.
    let more = |state: &str| {
        Command::new(env!("CARGO_BIN_EXE_protection-portal"))
            .arg("--config")
            .arg(crate_dir().join("config"))
            .args([
                "seed",
                "--requests",
                "26",
                "--missions",
                "2",
                "--state",
                state,
            ])
            .env("APP_ENVIRONMENT", "test")
            .env("APP__DATABASE__URL", app.db.url())
            .output()
            .unwrap()
    };
    let wrong = more("finished");
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("state: must be one of"));
    let in_effect_before = text_rows(
        &app,
        "SELECT id AS line FROM requests WHERE state = 'in_effect'",
    )
    .len();
    let added = more("in_effect");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let in_effect_after = text_rows(
        &app,
        "SELECT id AS line FROM requests WHERE state = 'in_effect'",
    )
    .len();
    assert_eq!(in_effect_after, in_effect_before + 26);

    let mut conn = app.pool.get().unwrap();
    assert!(protection_portal::audit::verify(&mut conn).unwrap().is_ok());
}
