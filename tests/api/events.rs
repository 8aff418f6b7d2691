//! What a request is about (its event, people, note verbale, daily hours) and its deadlines
//! (product.md §§ 4, 11): through the API and the pages, for each role, with the rules that keep bad
//! input out and the stages' due dates the queues sort by.

use serde_json::{Value, json};

use crate::helpers::{Cast, TestApp, day, execute, spawn_app, text_rows};
use protection_portal::domain::time::oslo_date;

/// A request about a reception: a guard with daily hours, the event, two people and a note.
fn reception(title: &str, event_in_days: i64) -> Value {
    let on = day(event_in_days);
    json!({
        "title": title,
        "justification": "The national day reception gathers ministers and 300 guests.",
        "urgency": "routine",
        "contact": { "name": "Guðrún Jónsdóttir", "phone": "+354 555 0100", "email": "gudrun@iceland.example" },
        "measures": [
            { "kind": "static_guard", "location": "other", "address": "Karl Johans gate 31",
              "starts_on": on, "ends_on": on, "from_time": "17:00", "until_time": "22:30",
              "description": "At the hotel entrance" }
        ],
        "event": { "name": "National day reception", "venue": "Grand Hotel",
                   "address": "Karl Johans gate 31, 0159 Oslo",
                   "starts_at": format!("{on}T18:00"), "ends_at": format!("{on}T22:30"),
                   "expected_attendance": 300 },
        "protected_persons": [
            { "name": "Þórdís Kolbrún Reykfjörð Gylfadóttir", "position": "Minister for Foreign Affairs of Iceland",
              "arrives_at": format!("{on}T18:15"), "leaves_at": format!("{on}T21:00") },
            { "name": "Ambassador", "position": "Head of mission" }
        ],
        "note_verbale": { "number": "12/2026", "dated_on": day(0) }
    })
}

fn fields(r: &Value) -> Vec<String> {
    r["error"]["fields"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|f| f["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[actix_web::test]
async fn the_event_people_and_note_travel_with_the_request_and_only_authorities_see_the_stages() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let staff = app.api(&c.a).await;
    let mfa = app.api(&c.mfa).await;
    let draft = staff
        .create_request(reception("Guard at the reception", 20))
        .await;
    let id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(draft["event"]["venue"], "Grand Hotel");
    assert_eq!(draft["event"]["starts_at"], format!("{}T18:00", day(20)));
    assert_eq!(draft["event"]["expected_attendance"], 300);
    assert_eq!(draft["protected_persons"].as_array().unwrap().len(), 2);
    assert_eq!(
        draft["protected_persons"][0]["name"],
        "Þórdís Kolbrún Reykfjörð Gylfadóttir"
    );
    assert_eq!(draft["protected_persons"][1]["arrives_at"], Value::Null);
    assert_eq!(draft["note_verbale"]["number"], "12/2026");
    assert_eq!(draft["measures"][0]["from_time"], "17:00");
    assert_eq!(draft["measures"][0]["until_time"], "22:30");
    assert_eq!(draft["needed_by"], day(20));

    let (status, submitted) = staff.act(&id, json!({ "action": "submit" })).await;
    assert_eq!(status, 200, "{submitted}");
    // The mission learns when to expect the reply, never the stages.
    assert!(submitted["reply_expected_by"].is_string(), "{submitted}");
    assert!(submitted.get("deadlines").is_none(), "{submitted}");
    assert_eq!(submitted["late_notice"], false, "{submitted}");
    let (_, seen) = mfa.get(&format!("/api/v1/requests/{id}")).await;
    let stages: Vec<&str> = seen["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["triage", "police_decision", "reply"]);
    assert_eq!(seen["late_notice"], false, "twenty days is enough notice");
    let reply = &seen["deadlines"][2];
    assert_eq!(reply["due_on"], submitted["reply_expected_by"]);
    assert_eq!(seen["deadlines"][0]["overdue"], false);

    // The pages: the Ministry reads the event, the people and the due dates at the top.
    let page = app.signed_in(&mut c.mfa).await;
    let body = page.get(&format!("/requests/{id}")).await.body;
    for shown in [
        "Grand Hotel",
        "Þórdís Kolbrún Reykfjörð Gylfadóttir",
        "12/2026",
        "17:00\u{2013}22:30",
        "Due dates of every stage",
    ] {
        assert!(body.contains(shown), "{shown} on the Ministry's page");
    }
    let mission_page = app.signed_in(&mut c.a).await;
    let body = mission_page.get(&format!("/requests/{id}")).await.body;
    assert!(body.contains("Grand Hotel"));
    assert!(body.contains("Reply expected by"));
    assert!(
        !body.contains("Due dates of every stage") && !body.contains("Police decision"),
        "no internal stage for the mission"
    );

    // Nothing of the event or the people goes into e-mail.
    for payload in text_rows(&app, "SELECT payload AS line FROM outbox") {
        for secret in ["Grand Hotel", "Þórdís", "National day", "12/2026"] {
            assert!(!payload.contains(secret), "{secret} in {payload}");
        }
    }
}

#[actix_web::test]
async fn an_event_people_and_hours_that_break_a_rule_are_refused_naming_each_field() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let on = day(20);
    let mut body = reception("Guard at the reception", 20);
    body["event"]["ends_at"] = json!(format!("{on}T17:00"));
    body["protected_persons"][0]["arrives_at"] = json!(format!("{}T12:00", day(19)));
    body["measures"][0]["until_time"] = json!("25:00");
    body["event"]["expected_attendance"] = json!(0);
    let (status, r) = staff.post("/api/v1/requests", body).await;
    assert_eq!(status, 422, "{r}");
    let mut got = fields(&r);
    got.sort();
    assert_eq!(
        got,
        [
            "event.ends_at",
            "event.expected_attendance",
            "measures[0].until_time",
            "protected_persons[0].arrives_at",
        ],
        "{r}"
    );
    let message = r["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "event.ends_at")
        .unwrap()["message"]
        .clone();
    assert_eq!(message, "The event must end after it starts");

    let mut many = reception("Guard at the reception", 20);
    many["protected_persons"] = json!(vec![json!({ "name": "Guest", "position": "Minister" }); 21]);
    let (status, r) = staff.post("/api/v1/requests", many).await;
    assert_eq!(status, 422, "{r}");
    assert_eq!(fields(&r), ["protected_persons"], "{r}");
    assert_eq!(app.count_requests().await, 0, "nothing stored");
}

/// Moves a submitted request's history back by `days`, as if it had been submitted then, and
/// lets its due date be counted again.
fn submitted_days_ago(app: &TestApp, id: &str, days: i64) {
    let at = (protection_portal::app::now() - chrono::Duration::days(days))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    execute(
        app,
        &format!(
            "UPDATE requests SET submitted_at = '{at}', due_rules = NULL WHERE id = '{id}'; \
             UPDATE timeline_events SET at = '{at}' WHERE request_id = '{id}'"
        ),
    );
}

async fn recount(app: &TestApp) {
    use protection_portal::app::requests::{Context, recount_one, to_recount};
    let ctx = Context::now_under(&app.settings);
    protection_portal::db::run(&app.pool, move |conn| {
        for id in to_recount(conn, &ctx, 1_000)? {
            recount_one(conn, &id, &ctx)?;
        }
        Ok::<_, protection_portal::app::AppError>(())
    })
    .await
    .unwrap();
}

fn file(title: &str, urgency: &str, starts_in: i64) -> Value {
    json!({
        "title": title,
        "justification": "Threats were received against the chancery this week.",
        "urgency": urgency,
        "contact": { "name": "Guðrún Jónsdóttir", "phone": "+354 555 0100", "email": "gudrun@iceland.example" },
        "measures": [
            { "kind": "static_guard", "location": "chancery", "starts_on": day(starts_in), "description": "Around the clock" }
        ]
    })
}

async fn submitted(app: &TestApp, c: &Cast, body: Value) -> String {
    let staff = app.api(&c.a).await;
    let r = staff.create_request(body).await;
    let id = r["id"].as_str().unwrap().to_owned();
    let (status, r) = staff.act(&id, json!({ "action": "submit" })).await;
    assert_eq!(status, 200, "{r}");
    id
}

#[actix_web::test]
async fn queues_put_urgent_first_then_the_earliest_due_and_the_overdue_have_a_tab() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    // Filed first, needed last; filed second, needed in three days (its triage is due at once,
    // three working days before the police's decision); filed last, urgent.
    let later = submitted(&app, &c, file("Patrols in the spring", "routine", 60)).await;
    let sooner = submitted(&app, &c, file("Guard for the visit", "routine", 3)).await;
    let urgent = submitted(&app, &c, file("Guard after the threats", "urgent", 90)).await;
    let mfa = app.api(&c.mfa).await;
    let mut due = std::collections::HashMap::new();
    for id in [&later, &sooner, &urgent] {
        let (_, r) = mfa.get(&format!("/api/v1/requests/{id}")).await;
        due.insert(
            id.clone(),
            r["deadlines"][0]["due_on"].as_str().unwrap().to_owned(),
        );
    }
    assert!(
        due[&sooner] <= due[&later],
        "needed sooner, due no later: {due:?}"
    );
    let page = app.signed_in(&mut c.mfa).await;
    let body = page.get("/?queue=new").await.body;
    let at = |id: &str| body.find(&format!("/requests/{id}\"")).unwrap();
    assert!(at(&urgent) < at(&sooner), "urgent first");
    if due[&sooner] < due[&later] {
        assert!(at(&sooner) < at(&later), "then the earliest due date");
    } else {
        // On a day when both are due at once, the one filed first comes first.
        assert!(at(&later) < at(&sooner), "then the oldest");
    }
    assert!(!body.contains("tag-red\">Overdue"), "nothing overdue yet");
    assert!(body.contains(">Due<"), "the queue shows the due dates");

    // Filed three weeks ago and never taken: its triage is overdue.
    submitted_days_ago(&app, &later, 21);
    recount(&app).await;
    let body = page.get("/?queue=new").await.body;
    assert!(
        at_of(&body, &later) < at_of(&body, &sooner),
        "overdue comes first"
    );
    let overdue = page.get("/?queue=overdue").await.body;
    assert!(
        overdue.contains(&format!("/requests/{later}\"")),
        "{overdue}"
    );
    assert!(!overdue.contains(&format!("/requests/{sooner}\"")));
    assert!(overdue.contains("Overdue</strong>"));
    let (_, seen) = app
        .api(&c.mfa)
        .await
        .get(&format!("/api/v1/requests/{later}"))
        .await;
    assert_eq!(seen["deadlines"][0]["stage"], "triage");
    assert_eq!(seen["deadlines"][0]["overdue"], true, "{seen}");
    // The mission's list has no due dates.
    let mission = app.signed_in(&mut c.a).await.get("/").await.body;
    assert!(!mission.contains("Overdue") && !mission.contains(">Due<"));
}

fn at_of(body: &str, id: &str) -> usize {
    body.find(&format!("/requests/{id}\"")).unwrap()
}

#[actix_web::test]
async fn measures_confirmed_for_a_later_day_are_scheduled_until_that_day() {
    use protection_portal::app::requests::{Context, view};
    let app = spawn_app().await;
    let c = app.cast().await;
    let id = app.request_in(&c, "approved").await;
    let police = app.api(&c.police).await;
    let (_, r) = police.get(&format!("/api/v1/requests/{id}")).await;
    let approved = r["measures"][0]["id"].clone();
    let confirm = |on: String| {
        json!({ "action": "confirm_implementation",
                "implemented": [{ "measure_id": approved, "implemented_on": on }] })
    };
    let (status, r) = police.act(&id, confirm(day(-400))).await;
    assert_eq!(status, 422, "not before the decision: {r}");
    let (status, r) = police.act(&id, confirm(day(3))).await;
    assert_eq!(status, 200, "{r}");
    let staff = app.api(&c.a).await;
    let (_, seen) = staff.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(seen["status"], "measures_scheduled");
    let (_, list) = staff
        .get("/api/v1/requests?status=measures_scheduled")
        .await;
    assert_eq!(list["total"], 1, "{list}");
    let (_, list) = staff.get("/api/v1/requests?status=measures_in_place").await;
    assert_eq!(list["total"], 0, "{list}");
    // From that day on, the measures are in place.
    let actor = protection_portal::domain::access::Actor {
        user_id: c.a.id.clone(),
        role: protection_portal::domain::Role::MissionStaff,
        mission_id: Some(c.mission_a.clone()),
        clearance: protection_portal::domain::Clearance::None,
    };
    let on_the_day = Context {
        now: protection_portal::app::now() + chrono::Duration::days(3),
        ..Context::now_under(&app.settings)
    };
    let rid = protection_portal::domain::ids::RequestId::from(id.clone());
    let later =
        protection_portal::db::run(&app.pool, move |conn| view(conn, &actor, &rid, &on_the_day))
            .await
            .unwrap();
    assert_eq!(later.status.code, "measures_in_place");
    assert_eq!(
        oslo_date(protection_portal::app::now()) + chrono::Duration::days(3),
        later.measures[0].implemented_on.unwrap()
    );
}

#[actix_web::test]
async fn a_yearly_request_is_filed_again_through_the_api_a_year_later() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let draft = staff
        .create_request(reception("Guard at the reception", 20))
        .await;
    let id = draft["id"].as_str().unwrap();
    let (status, again) = staff
        .post(&format!("/api/v1/requests/{id}/file-again"), json!({}))
        .await;
    assert_eq!(status, 201, "{again}");
    assert_ne!(again["id"], draft["id"]);
    assert_eq!(again["status"], "draft");
    let next_year = |d: &str| {
        let d = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        d.checked_add_months(chrono::Months::new(12))
            .unwrap()
            .to_string()
    };
    assert_eq!(
        again["event"]["starts_at"],
        format!("{}T18:00", next_year(&day(20)))
    );
    assert_eq!(again["measures"][0]["starts_on"], next_year(&day(20)));
    assert_eq!(again["protected_persons"].as_array().unwrap().len(), 2);
    assert!(
        again.get("note_verbale").is_none(),
        "a new note, a new number"
    );
    let (status, _) = app
        .api(&c.b)
        .await
        .post(&format!("/api/v1/requests/{id}/file-again"), json!({}))
        .await;
    assert_eq!(
        status, 404,
        "another mission's request does not exist for them"
    );
    let (status, _) = app
        .api(&c.mfa)
        .await
        .post(&format!("/api/v1/requests/{id}/file-again"), json!({}))
        .await;
    assert_eq!(status, 403);
}

#[actix_web::test]
async fn the_police_may_give_pst_a_due_date_when_referring() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let id = app.request_in(&c, "police_review").await;
    let police = app.api(&c.police).await;
    let (_, r) = police.get(&format!("/api/v1/requests/{id}")).await;
    let version = r["version"].clone();
    let (status, r) = police
        .post(
            &format!("/api/v1/requests/{id}/transitions"),
            json!({ "action": "refer_to_pst", "version": version, "pst_due_on": day(-1) }),
        )
        .await;
    assert_eq!(status, 422, "{r}");
    assert_eq!(fields(&r), ["pst_due_on"]);
    let (status, r) = police
        .post(
            &format!("/api/v1/requests/{id}/transitions"),
            json!({ "action": "refer_to_pst", "version": version, "pst_due_on": day(9) }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let pst = r["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["stage"] == "pst_assessment")
        .cloned()
        .unwrap();
    assert_eq!(pst["due_on"], day(9), "{r}");
    // Only the referral takes it.
    let (status, r) = police
        .post(
            &format!("/api/v1/requests/{id}/transitions"),
            json!({ "action": "decide", "version": r["version"], "pst_due_on": day(9) }),
        )
        .await;
    assert_eq!(status, 422, "{r}");
    // The analyst's queue reads it as the due date.
    let (_, list) = app.api(&c.pst).await.get("/api/v1/requests").await;
    assert_eq!(list["items"][0]["due_on"], day(9), "{list}");
}
