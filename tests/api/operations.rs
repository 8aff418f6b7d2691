//! The police's operations (README, "Operations"): the periodic review of measures in effect and
//! a mission's threat level, through the pages and the API, on the test's database.

use protection_portal::app::requests::{Context, announce_review_one, reviews_to_announce};
use protection_portal::domain::Classification;
use serde_json::{Value, json};

use crate::helpers::{Cast, Journey, TestApp, day, execute, request_body, spawn_app, text_rows};

/// A new request of mission A's in effect with one static guard from tomorrow and no end date.
async fn open_ended(app: &TestApp, c: &Cast) -> String {
    let mut body = request_body("Guard until further notice");
    body["measures"] = json!([{
        "kind": "static_guard", "location": "chancery", "starts_on": day(1),
        "description": "Around the chancery until the threat has passed"
    }]);
    app.request_in_with(
        c,
        "in_effect",
        Journey {
            body,
            ..Journey::default()
        },
    )
    .await
}

fn ctx() -> Context {
    Context {
        now: protection_portal::app::now(),
        ceiling: Classification::Restricted,
        rules: Default::default(),
    }
}

/// What the portal's daily look does: announces every review that has fallen due.
fn announce(app: &TestApp) -> usize {
    let mut conn = app.pool.get().unwrap();
    let due = reviews_to_announce(&mut conn, &ctx(), None, 1000).unwrap();
    due.iter()
        .filter(|id| announce_review_one(&mut conn, id, &ctx()).unwrap())
        .count()
}

fn count(app: &TestApp, sql: &str) -> usize {
    text_rows(app, sql)[0].parse().unwrap()
}

#[actix_web::test]
async fn measures_without_an_end_are_reviewed_every_interval_and_the_police_keep_or_end_them() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let id = open_ended(&app, &c).await;
    // The default journey's approved measure runs 20 days: no review.
    let short = app.request_in(&c, "in_effect").await;
    let police = app.api(&c.police).await;
    let staff = app.api(&c.a).await;

    let (_, r) = police.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(
        r["review"],
        json!({ "next_review_on": day(90), "status": "scheduled" }),
        "the first review one interval after the confirmation"
    );
    let (_, r) = police.get(&format!("/api/v1/requests/{short}")).await;
    assert!(
        r.get("review").is_none(),
        "a 20-day measure is not reviewed"
    );
    let (_, mine) = staff.get(&format!("/api/v1/requests/{id}")).await;
    assert!(mine.get("review").is_none(), "the mission never sees it");
    assert_eq!(announce(&app), 0, "nothing due yet");

    // Ninety days later (the review day moved to yesterday): announced once, to the police.
    execute(
        &app,
        &format!(
            "UPDATE requests SET next_review_on = '{}' WHERE id = '{id}'",
            day(-1)
        ),
    );
    assert_eq!(announce(&app), 1);
    assert_eq!(announce(&app), 0, "once for each review day");
    assert_eq!(
        text_rows(
            &app,
            &format!(
                "SELECT action || ' ' || CASE WHEN mission_visible THEN 'mission' ELSE 'internal' END \
                 || ' ' || COALESCE(actor_id, 'portal') AS line FROM timeline_events \
                 WHERE request_id = '{id}' AND action = 'review_due'"
            )
        ),
        ["review_due internal portal"]
    );
    let told = text_rows(
        &app,
        "SELECT recipient_email AS line FROM outbox WHERE kind = 'review_due'",
    );
    assert_eq!(
        told,
        std::slice::from_ref(&c.police.email),
        "the police liaisons only"
    );

    // The police see it in the Review due queue, tagged, and on the request.
    let mut cc = c;
    let page = app.signed_in(&mut cc.police).await;
    let queue = page.get("/?queue=review").await;
    assert!(
        queue.body.contains(&format!("/requests/{id}\"")),
        "{}",
        queue.body
    );
    assert!(!queue.body.contains(&format!("/requests/{short}\"")));
    assert!(queue.body.contains("Review overdue"), "{}", queue.body);
    let shown = page.get(&format!("/requests/{id}")).await;
    assert!(shown.body.contains("Next review"), "{}", shown.body);
    assert!(shown.body.contains("Record the review"));

    // Each rule of the review step, named.
    let (today, too_far) = (day(0), day(91));
    for (note, next, field, rule) in [
        ("Kept.", today.as_str(), "next_review_on", "after today"),
        (
            "Kept.",
            too_far.as_str(),
            "next_review_on",
            "at most 90 days",
        ),
        ("", "", "note.body", "Enter the note"),
    ] {
        let form = [
            ("note.classification", "unclassified"),
            ("note.body", note),
            ("next_review_on", next),
        ];
        let refused = page.act(&id, "review", &form).await;
        assert_eq!(refused.status, 422, "{field}: {}", refused.body);
        assert!(
            refused.body.contains(&format!("href=\"#{field}\"")),
            "{}",
            refused.body
        );
        assert!(refused.body.contains(rule), "{rule}: {}", refused.body);
    }
    let kept = page
        .act(
            &id,
            "review",
            &[
                ("note.body", "Situation unchanged; the guard stays."),
                ("note.classification", "unclassified"),
                ("next_review_on", &day(30)),
            ],
        )
        .await;
    assert_eq!(kept.status, 303, "{}", kept.body);
    let (_, r) = police.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(r["review"]["next_review_on"], day(30));
    assert_eq!(r["status"], "in_effect");
    assert!(
        !page
            .get("/?queue=review")
            .await
            .body
            .contains(&format!("/requests/{id}\"")),
        "reviewed: out of the queue"
    );
    // A mission cannot take the step, and sees nothing of it.
    let (status, _) = staff
        .act(
            &id,
            json!({ "action": "review", "version": mine["version"], "note": "x" }),
        )
        .await;
    assert_eq!(status, 403);
    let (_, timeline) = staff.get(&format!("/api/v1/requests/{id}/timeline")).await;
    assert!(!timeline.to_string().contains("review"), "{timeline}");

    // Through the API: the default next date, then the end from the review.
    let version = r["version"].clone();
    let (status, r) = police
        .act(
            &id,
            json!({ "action": "review", "version": version, "note": "Kept again." }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["review"]["next_review_on"], day(90));
    let (status, r) = police
        .act(
            &id,
            json!({ "action": "end_measures", "version": r["version"] }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert!(r.get("review").is_none(), "ended: no more reviews");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT CAST(COUNT(*) AS TEXT) AS line FROM requests WHERE id = '{id}' AND next_review_on IS NULL"
            )
        ),
        1
    );
}

/// Everything mission A's staff can read about their request, pages and API, with what changes
/// by itself (the time, the page's one-time tokens) left out.
async fn mission_view(app: &TestApp, c: &mut Cast, id: &str) -> Vec<String> {
    let api = app.api(&c.a).await;
    let mut seen = Vec::new();
    for path in [
        format!("/api/v1/requests/{id}"),
        format!("/api/v1/requests/{id}/timeline"),
        format!("/api/v1/requests/{id}/messages"),
        "/api/v1/requests".to_owned(),
        "/api/v1/notifications".to_owned(),
    ] {
        let (status, mut body) = api.get(&path).await;
        assert_eq!(status, 200, "{path}: {body}");
        strip_times(&mut body);
        seen.push(format!("{path}: {body}"));
    }
    let page = app.signed_in(&mut c.a).await;
    for path in [
        format!("/requests/{id}"),
        "/".to_owned(),
        "/notifications".to_owned(),
    ] {
        let shown = page.get(&path).await;
        let csrf = shown.csrf();
        seen.push(format!("{path}: {}", shown.body.replace(&csrf, "")));
    }
    seen
}

fn strip_times(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if k.ends_with("_at") {
                    *val = Value::Null;
                } else {
                    strip_times(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_times),
        _ => {}
    }
}

#[actix_web::test]
async fn a_changed_threat_level_puts_reviews_due_and_tells_the_police_but_never_the_mission() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let id = open_ended(&app, &c).await;
    let ended = app.request_in(&c, "ended").await;
    let mission = c.mission_a.clone();
    // A first look reads the mission's notifications; the second is the one compared.
    mission_view(&app, &mut c, &id).await;
    let before = mission_view(&app, &mut c, &id).await;
    let outbox_before = count(&app, "SELECT CAST(COUNT(*) AS TEXT) AS line FROM outbox");

    let pst = app.api(&c.pst).await;
    let police = app.api(&c.police).await;
    let mfa = app.api(&c.mfa).await;
    let staff = app.api(&c.a).await;
    let path = format!("/api/v1/missions/{mission}/threat-levels");
    let marker = "MARKER-7Q: a named group surveils the chancery";

    // A mission's staff are told nothing exists; the police and the MFA may not record.
    assert_eq!(staff.get(&path).await.0, 404);
    assert_eq!(
        staff
            .post(&path, json!({ "level": "high", "note": "x" }))
            .await
            .0,
        404
    );
    for who in [&police, &mfa] {
        assert_eq!(
            who.post(&path, json!({ "level": "high", "note": "x" }))
                .await
                .0,
            403
        );
    }
    // Each rule named.
    let (status, e) = pst
        .post(
            &path,
            json!({ "level": "severe", "note": "", "classification": "top_secret" }),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    let fields: Vec<&str> = e["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["level", "note", "classification"], "{e}");
    assert_eq!(
        count(
            &app,
            "SELECT CAST(COUNT(*) AS TEXT) AS line FROM mission_threat_levels"
        ),
        0
    );

    let (status, r) = pst
        .post(
            &path,
            json!({ "level": "high", "note": marker, "classification": "restricted" }),
        )
        .await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(
        r["reviews_due"], 1,
        "the request in effect; not the ended one"
    );
    assert_eq!(r["threat_levels"]["current"]["level"], "high");

    // The police read level and note; the MFA, cleared to it, the level only.
    let (_, seen) = police.get(&path).await;
    assert_eq!(seen["current"]["level"], "high");
    assert_eq!(seen["current"]["note"], marker);
    let (_, seen) = mfa.get(&path).await;
    assert_eq!(seen["current"]["level"], "high");
    assert!(seen["current"].get("note").is_none(), "{seen}");

    // The review is due today; the police are e-mailed without the mission or the level.
    let (_, r) = police.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(
        r["review"],
        json!({ "next_review_on": day(0), "status": "due" })
    );
    let (_, r) = police.get(&format!("/api/v1/requests/{ended}")).await;
    assert!(r.get("review").is_none());
    let mails = text_rows(
        &app,
        "SELECT recipient_email || ' ' || payload AS line FROM outbox WHERE kind = 'threat_level_changed'",
    );
    assert_eq!(mails, [format!("{} {{}}", c.police.email)]);
    assert_eq!(announce(&app), 1, "the portal announces the review");
    let kinds = text_rows(
        &app,
        &format!(
            "SELECT DISTINCT kind AS line FROM outbox WHERE recipient_email = '{}' \
             ORDER BY kind",
            c.a.email
        ),
    );
    let after_mails = count(&app, "SELECT CAST(COUNT(*) AS TEXT) AS line FROM outbox");
    assert_eq!(
        after_mails,
        outbox_before + 2,
        "one threat-level mail and one review mail"
    );
    assert!(
        !kinds
            .iter()
            .any(|k| k.contains("threat") || k.contains("review")),
        "{kinds:?}"
    );
    // Nothing classified in any e-mail.
    assert_eq!(
        count(
            &app,
            "SELECT CAST(COUNT(*) AS TEXT) AS line FROM outbox WHERE payload LIKE '%MARKER-7Q%'"
        ),
        0
    );

    // The mission's every view is as it was, byte for byte.
    let after = mission_view(&app, &mut c, &id).await;
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a);
    }

    // The authorities' page of the mission: the level, the history, the note within clearance.
    let page = app.signed_in(&mut c.police).await;
    let shown = page.get(&format!("/missions/{mission}")).await;
    assert_eq!(shown.status, 200);
    assert!(
        shown.body.contains("data-threat-level=\"high\""),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("MARKER-7Q"));
    assert!(
        !shown.body.contains("Record a changed threat level"),
        "PST records, not the police"
    );
    let pst_browser = app.signed_in(&mut c.pst).await;
    let form_page = pst_browser.get(&format!("/missions/{mission}")).await;
    assert!(form_page.body.contains("Record a changed threat level"));
    let refused = pst_browser
        .post(
            &format!("/missions/{mission}/threat-levels"),
            &[
                ("csrf_token", &form_page.csrf()),
                ("level", ""),
                ("note", "Lower now."),
                ("classification", "restricted"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("href=\"#level\""), "{}", refused.body);
    assert!(
        refused.body.contains("Lower now."),
        "what was typed is kept"
    );
    let recorded = pst_browser
        .post(
            &format!("/missions/{mission}/threat-levels"),
            &[
                ("csrf_token", &form_page.csrf()),
                ("level", "moderate"),
                ("note", "Lower now."),
                ("classification", "unclassified"),
            ],
        )
        .await;
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let history = pst_browser.get(&format!("/missions/{mission}")).await.body;
    assert!(
        history.contains("The threat level was recorded"),
        "{history}"
    );
    assert!(history.contains("data-threat-level=\"moderate\""));
    assert!(
        history.contains("MARKER-7Q"),
        "the earlier level in the history"
    );
    // Missions: 404 on the pages.
    let mine = app.signed_in(&mut c.a).await;
    assert_eq!(mine.get("/missions").await.status, 404);
    assert_eq!(mine.get(&format!("/missions/{mission}")).await.status, 404);
    assert!(!mine.get("/").await.body.contains("href=\"/missions\""));
}
