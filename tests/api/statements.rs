//! What a page view costs the database: every request's line in the operator log says how many
//! statements it sent (`statements=`), the check of its session included; a queue page — the
//! page people look at most — is held to a fixed number, whatever the portal holds.

use crate::helpers::{Browser, TestApp, captured_logs, spawn_app};

/// The statements the request for `path` sent, read from its line in the operator log.
async fn statements_of(browser: &Browser, path: &str) -> u32 {
    let res = browser.client.get(browser.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let _ = res.text().await;
    for _ in 0..50 {
        let logs = captured_logs();
        if let Some(line) = logs
            .lines()
            .find(|l| l.contains(&format!("request_id={id}")) && l.contains("statements="))
        {
            let n = line.split("statements=").nth(1).unwrap();
            let n: String = n.chars().take_while(char::is_ascii_digit).collect();
            return n.parse().unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no log line for {path} ({id})");
}

async fn with_requests(app: &TestApp) -> crate::helpers::Cast {
    let c = app.cast().await;
    for state in ["submitted", "in_triage", "police_review", "approved"] {
        app.request_in(&c, state).await;
    }
    c
}

#[actix_web::test]
async fn a_queue_page_view_costs_three_statements() {
    let app = spawn_app().await;
    let mut c = with_requests(&app).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let police = app.signed_in(&mut c.police).await;
    let staff = app.signed_in(&mut c.a).await;
    let mission = format!("/?queue=all&mission={}", c.mission_a);
    for (who, browser, path) in [
        ("the Ministry's queue", &mfa, "/?queue=all"),
        ("the Ministry's start page", &mfa, "/"),
        (
            "the Ministry's queue of one mission",
            &mfa,
            mission.as_str(),
        ),
        ("the requests in effect", &mfa, "/?queue=in_effect"),
        ("the police's review queue", &police, "/?queue=review"),
        ("a mission's requests", &staff, "/"),
    ] {
        // The first view after signing in makes the session's form token and, once per
        // process, reads the key that seals list cursors: the page is counted as seen again.
        statements_of(browser, path).await;
        let n = statements_of(browser, path).await;
        // At least one: a count of nothing would mean the counting itself stopped.
        assert!((1..=3).contains(&n), "{who} ({path}) sent {n} statements");
    }
}
