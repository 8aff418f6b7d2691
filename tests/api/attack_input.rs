//! Attacks on input and disclosure (issue 15, "Input and disclosure", and the administrators'
//! view of the security log): fields a role may not set, bodies that are not objects, forged
//! paging cursors, dates beyond any horizon, names made only of invisible characters, what the
//! timeline tells those who may not read an assessment, whether a mission can tell `decided`
//! apart, and what the administrators' log shows of case routing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Journey, day, request_body, request_fields, spawn_app};

/// The names of the fields a 422 answer names.
fn named_fields(body: &Value) -> Vec<String> {
    body["error"]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[actix_web::test]
async fn fields_a_role_or_action_does_not_take_are_refused_naming_them() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let mfa = app.api(&c.mfa).await;
    let draft = staff
        .create_request(request_body("Guard at the chancery"))
        .await;
    let id = draft["id"].as_str().unwrap().to_owned();

    // The mission submits and slips in the MFA's assignee and the police's outcomes.
    let (status, body) = staff
        .act(
            &id,
            json!({ "action": "submit", "assignee_id": c.mfa.id, "outcomes": [] , "reply": "Approved by us" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let named = named_fields(&body);
    assert!(named.contains(&"assignee_id".to_owned()), "{body}");
    assert!(named.contains(&"reply".to_owned()), "{body}");
    let (_, now) = staff.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(now["status"], "draft", "nothing happened: {now}");

    // Submitted properly; the MFA takes it with a reason that belongs to no `take`.
    assert_eq!(staff.act(&id, json!({ "action": "submit" })).await.0, 200);
    let (status, body) = mfa
        .act(
            &id,
            json!({ "action": "take", "reason": "x", "message": "y" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(named_fields(&body), ["message", "reason"], "{body}");

    // The same through the pages: a withdrawal carrying a classification, and a new draft
    // carrying a classification and an assigned officer.
    let mut a = c.a.clone();
    let browser = app.signed_in(&mut a).await;
    let page = browser
        .act(
            &id,
            "withdraw",
            &[("reason", "Cancelled"), ("note.classification", "secret")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("note.classification"), "{}", page.body);
    let (_, now) = staff.get(&format!("/api/v1/requests/{id}")).await;
    assert_ne!(now["status"], "withdrawn", "{now}");

    let mut fields = request_fields("Guard at the residence", 1);
    fields.push(("classification".into(), "secret".into()));
    fields.push(("assigned_officer_id".into(), c.mfa.id.clone()));
    fields.push(("op".into(), "save".into()));
    let page = browser
        .submit_fields("/requests/new", "/requests/new", &fields)
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("classification"), "{}", page.body);
    assert!(page.body.contains("assigned_officer_id"), "{}", page.body);
}

#[actix_web::test]
async fn json_bodies_that_are_not_objects_are_refused() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let admin = app.add_person("admin", None, None).await;
    let admin = app.api(&admin).await;
    let draft = staff
        .create_request(request_body("Guard at the chancery"))
        .await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let version = draft["version"].as_i64().unwrap();

    // An array read field by field would submit the draft.
    let (status, body) = staff
        .post(
            &format!("/api/v1/requests/{id}/transitions"),
            json!([
                "submit", version, null, null, null, null, null, null, null, null
            ]),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid", "{body}");
    let (status, body) = staff
        .call(
            Method::PATCH,
            &format!("/api/v1/requests/{id}"),
            Some(json!([version])),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (_, now) = staff.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(now["status"], "draft", "{now}");
    assert_eq!(now["version"], version, "{now}");

    // Every JSON endpoint, every kind of non-object.
    let endpoints: [(&crate::helpers::Api, Method, String); 6] = [
        (&staff, Method::POST, "/api/v1/requests".into()),
        (&staff, Method::PATCH, format!("/api/v1/requests/{id}")),
        (
            &staff,
            Method::POST,
            format!("/api/v1/requests/{id}/transitions"),
        ),
        (
            &staff,
            Method::POST,
            format!("/api/v1/requests/{id}/messages"),
        ),
        (&admin, Method::POST, "/api/v1/missions".into()),
        (&admin, Method::POST, "/api/v1/users".into()),
    ];
    for (api, method, path) in &endpoints {
        for bad in [json!([]), json!("x"), json!(1), json!(null), json!([{}])] {
            let (status, body) = api.call(method.clone(), path, Some(bad.clone())).await;
            assert_eq!(status, 422, "{method} {path} {bad}: {body}");
            assert_eq!(
                body["error"]["code"], "invalid",
                "{method} {path} {bad}: {body}"
            );
        }
    }
    let (status, body) = admin
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", c.b.id),
            Some(json!([false])),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    // Nor inside a body: a contact, a measure, an assessment read from arrays.
    let mut contact_as_array = request_body("Guard at the chancery");
    contact_as_array["contact"] = json!(["Guðrún", "+354 555 0100", "gudrun@iceland.example"]);
    let mut measure_as_array = request_body("Guard at the chancery");
    measure_as_array["measures"] = json!([[
        "static_guard",
        "chancery",
        null,
        day(1),
        null,
        "Around the clock"
    ]]);
    for body in [contact_as_array, measure_as_array] {
        let (status, answer) = staff.post("/api/v1/requests", body.clone()).await;
        assert_eq!(status, 422, "{body}: {answer}");
    }
    let (status, answer) = staff
        .act(
            &id,
            json!({ "action": "submit_assessment", "assessment": ["moderate", "x", null, null] }),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
}

#[actix_web::test]
async fn a_modified_paging_cursor_is_refused() {
    let app = spawn_app().await;
    let c = app.cast().await;
    for _ in 0..3 {
        app.request_in(&c, "submitted").await;
    }
    let mfa = app.api(&c.mfa).await;
    let (status, first) = mfa.get("/api/v1/requests?per_page=1").await;
    assert_eq!(status, 200, "{first}");
    let next = first["next"].as_str().expect("a next cursor").to_owned();
    let (status, _) = mfa
        .get(&format!("/api/v1/requests?per_page=1&after={next}"))
        .await;
    assert_eq!(status, 200, "the cursor as given out is good");

    // Moved by a nanosecond, another id, or the flag flipped: each is refused.
    let parts: Vec<&str> = next.splitn(4, '.').collect();
    let nanos: i64 = parts[2].parse().unwrap();
    let forged = [
        format!("{}.{}.{}.{}", parts[0], parts[1], nanos - 1, parts[3]),
        format!("{}.0.{}.{}", parts[0], nanos, parts[3]),
        next.replacen(
            &parts[3][..1],
            if &parts[3][..1] == "a" { "b" } else { "a" },
            1,
        ),
    ];
    for bad in &forged {
        assert_ne!(bad, &next);
        let (status, body) = mfa
            .get(&format!("/api/v1/requests?per_page=1&after={bad}"))
            .await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(named_fields(&body), ["after"], "{bad}: {body}");
    }
    // A cursor is the list's own: with other filters, or in another person's hands, it is not.
    let (status, body) = mfa
        .get(&format!(
            "/api/v1/requests?per_page=1&status=in_effect&after={next}"
        ))
        .await;
    assert_eq!(status, 422, "{body}");
    let police = app.api(&c.police).await;
    let (status, body) = police.get(&format!("/api/v1/requests?after={next}")).await;
    assert_eq!(status, 422, "{body}");

    // The queue page says so clearly.
    let mut officer = c.mfa.clone();
    let browser = app.signed_in(&mut officer).await;
    let bad = &forged[0];
    let page = browser.get(&format!("/?queue=all&after={bad}")).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("cursor"), "{}", page.body);
}

#[actix_web::test]
async fn dates_beyond_a_sane_horizon_are_refused() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    for (field, value) in [
        ("starts_on", day(800)),
        ("ends_on", day(365 * 6)),
        ("starts_on", day(-800)),
        ("starts_on", "9999-12-31".to_owned()),
    ] {
        let mut body = request_body("Guard at the chancery");
        body["measures"][0][field] = json!(value);
        if field == "starts_on" {
            body["measures"][0]["ends_on"] = Value::Null;
        }
        let (status, answer) = staff.post("/api/v1/requests", body).await;
        assert_eq!(status, 422, "{field} {value}: {answer}");
        assert!(
            named_fields(&answer).contains(&format!("measures[0].{field}")),
            "{field} {value}: {answer}"
        );
    }
    // Within two years is fine.
    let mut body = request_body("Guard at the chancery");
    body["measures"][0]["starts_on"] = json!(day(700));
    body["measures"][0]["ends_on"] = json!(day(720));
    let (status, answer) = staff.post("/api/v1/requests", body).await;
    assert_eq!(status, 201, "{answer}");
}

#[actix_web::test]
async fn names_made_only_of_invisible_characters_are_refused() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let invisible = [
        "\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}",
        "\u{202E}\u{202D}\u{2066}\u{2069} \u{200E}\u{200F}",
        "\u{FEFF}\u{2060}\u{200C}\u{200D}\u{061C}",
    ];
    for text in invisible {
        let mut body = request_body("x");
        body["title"] = json!(text);
        let (status, answer) = staff.post("/api/v1/requests", body).await;
        assert_eq!(status, 422, "{text:?}: {answer}");
        assert_eq!(named_fields(&answer), ["title"], "{text:?}: {answer}");

        let mut body = request_body("Guard at the chancery");
        body["contact"]["name"] = json!(text);
        let (status, answer) = staff.post("/api/v1/requests", body).await;
        assert_eq!(status, 422, "{text:?}: {answer}");
        assert_eq!(
            named_fields(&answer),
            ["contact.name"],
            "{text:?}: {answer}"
        );
    }
    let admin = app.add_person("admin", None, None).await;
    let admin = app.api(&admin).await;
    let (status, answer) = admin
        .post(
            "/api/v1/missions",
            json!({ "name": invisible[0], "country": "IS", "kind": "embassy" }),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(named_fields(&answer), ["name"], "{answer}");
    let (status, answer) = admin
        .post(
            "/api/v1/users",
            json!({ "email": "new.person@example.org", "name": invisible[1], "role": "mfa_officer", "clearance": "restricted" }),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(named_fields(&answer), ["name"], "{answer}");
    // A token's name on the account page.
    let mut a = c.a.clone();
    let browser = app.signed_in(&mut a).await;
    let page = browser
        .submit(
            "/account",
            "/account/tokens",
            &[("token_name", invisible[2]), ("expires_in_days", "")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        !page.body.contains("pp_"),
        "no token is shown: {}",
        page.body
    );
    // Visible text with a joiner inside is a name like any other.
    let mut body = request_body("x");
    body["title"] = json!("Guard at the chancery\u{200D}");
    assert_eq!(staff.post("/api/v1/requests", body).await.0, 201);
}

#[actix_web::test]
async fn the_timeline_does_not_tell_who_may_not_read_an_assessment_that_one_was_submitted() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let id = app
        .request_in_with(
            &c,
            "police_review",
            Journey {
                consult_pst: true,
                ..Journey::default()
            },
        )
        .await;
    let pst_name = crate::helpers::text_rows(
        &app,
        &format!("SELECT name AS line FROM users WHERE id = '{}'", c.pst.id),
    )
    .remove(0);
    // A police liaison and an MFA officer without clearance for the (restricted) assessment.
    let police = app.add_person("police_liaison", None, Some("none")).await;
    let mfa = app.add_person("mfa_officer", None, Some("none")).await;
    for (who, person) in [("police without clearance", &police), ("MFA", &mfa)] {
        let api = app.api(person).await;
        let (status, timeline) = api.get(&format!("/api/v1/requests/{id}/timeline")).await;
        assert_eq!(status, 200, "{who}: {timeline}");
        let text = timeline.to_string();
        assert!(
            !text.contains(&pst_name),
            "{who} reads the analyst's name: {text}"
        );
        if who.starts_with("police") {
            assert!(
                !text.contains("Submit the threat"),
                "{who} learns an assessment was submitted: {text}"
            );
        }
        let mut p = person.clone();
        let page = app
            .signed_in(&mut p)
            .await
            .get(&format!("/requests/{id}"))
            .await;
        assert_eq!(page.status, 200, "{who}");
        assert!(!page.body.contains(&pst_name), "{who}: {}", page.body);
        if who.starts_with("police") {
            assert!(
                !page.body.contains("Threat assessment submitted"),
                "{who}: {}",
                page.body
            );
        }
    }
    // The cleared police liaison reads it all.
    let api = app.api(&c.police).await;
    let (_, timeline) = api.get(&format!("/api/v1/requests/{id}/timeline")).await;
    assert!(
        timeline.to_string().contains("Threat assessment submitted"),
        "{timeline}"
    );
    assert!(timeline.to_string().contains(&pst_name), "{timeline}");
}

#[actix_web::test]
async fn a_mission_cannot_tell_decided_from_the_other_assessment_states() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let mut a = c.a.clone();
    let browser = app.signed_in(&mut a).await;
    let mut seen: Vec<(String, Value, Value, String)> = Vec::new();
    for state in ["in_triage", "police_review", "pst_review", "decided"] {
        let id = app.request_in(&c, state).await;
        let (_, r) = staff.get(&format!("/api/v1/requests/{id}")).await;
        let (_, timeline) = staff.get(&format!("/api/v1/requests/{id}/timeline")).await;
        let steps: Vec<Value> = timeline
            .as_array()
            .unwrap()
            .iter()
            .map(|t| json!([t["action"], t["status"], t["by"]]))
            .collect();
        let page = browser.get(&format!("/requests/{id}")).await;
        let forms: Vec<String> = page
            .body
            .split("name=\"action\" value=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_owned())
            .collect();
        seen.push((
            state.to_owned(),
            json!([r["status"], r["version"]]),
            json!(steps),
            forms.join(","),
        ));
        // Withdrawing works the same everywhere.
        let (status, body) = staff
            .act(
                &id,
                json!({ "action": "withdraw", "reason": "The visit was cancelled." }),
            )
            .await;
        assert_eq!(status, 200, "withdraw in {state}: {body}");
        assert_eq!(body["status"], "withdrawn", "{state}: {body}");
    }
    for s in &seen[1..] {
        assert_eq!(
            (&s.1, &s.2, &s.3),
            (&seen[0].1, &seen[0].2, &seen[0].3),
            "{} differs from {}",
            s.0,
            seen[0].0
        );
    }
    assert!(seen[0].3.contains("withdraw"), "{:?}", seen[0]);
}
#[actix_web::test]
async fn the_administrators_log_does_not_show_case_routing() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let id = app.request_in(&c, "pst_review").await;
    // Another request PST has assessed: the analyst's own step is in the log.
    let assessed = app
        .request_in_with(
            &c,
            "police_review",
            Journey {
                consult_pst: true,
                ..Journey::default()
            },
        )
        .await;
    let mut admin = app.add_person("admin", None, None).await;
    let browser = app.signed_in(&mut admin).await;
    let page = browser
        .get("/admin/security-log?event=request_transition")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Step in a request's life cycle</td>"),
        "{}",
        page.body
    );
    for secret in [
        id.as_str(),
        "refer_to_pst",
        "pst_review",
        &c.pst.id,
        &c.police.id,
    ] {
        assert!(
            !page.body.contains(secret),
            "the administrator reads {secret}: {}",
            page.body
        );
    }
    // The organisation is named.
    assert!(page.body.contains("Oslo Police District"), "{}", page.body);
    // Nor does the whole log.
    let all = browser.get("/admin/security-log").await;
    assert!(!all.body.contains(&id), "{}", all.body);
    assert!(!all.body.contains(&assessed), "{}", all.body);
    // Searching by a person does not tell when they did case work: the analyst's steps are not
    // found by the analyst's id (the auditor's search below finds them).
    let by_analyst = format!(
        "/admin/security-log?event=request_transition&actor={}",
        c.pst.id
    );
    let page = browser.get(&by_analyst).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<p>0 entries</p>"), "{}", page.body);
    let everything_of_the_analyst = browser
        .get(&format!("/admin/security-log?actor={}", c.pst.id))
        .await;
    assert!(
        !everything_of_the_analyst
            .body
            .contains("Step in a request's life cycle</td>"),
        "{}",
        everything_of_the_analyst.body
    );

    // The security auditor reads the same entries in full, and administers nothing.
    let mut auditor = app.add_person("auditor", None, None).await;
    let audit = app.signed_in(&mut auditor).await;
    let page = audit
        .get("/admin/security-log?event=request_transition")
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&id), "{}", page.body);
    assert!(page.body.contains("refer_to_pst"), "{}", page.body);
    let page = audit.get(&by_analyst).await;
    assert!(!page.body.contains("<p>0 entries</p>"), "{}", page.body);
    assert!(page.body.contains("submit_assessment"), "{}", page.body);
    assert_eq!(audit.get("/admin/users").await.status, 403);
    assert_eq!(
        audit.get("/").await.location.as_deref(),
        Some("/admin/security-log")
    );
}
