//! The JSON API: tokens, every endpoint's success and errors, the life cycle driven by tokens
//! only, need to know, and the OpenAPI document.

use protection_portal::app;
use protection_portal::web::api::ROUTES;

use serde_json::{Value, json};

use crate::helpers::{Options, STATES, day, request_body, spawn_app, spawn_app_with};

#[actix_web::test]
async fn the_whole_life_cycle_through_the_api_with_one_token_per_role() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let (a, mfa, police, pst) = (
        app.api(&c.a).await,
        app.api(&c.mfa).await,
        app.api(&c.police).await,
        app.api(&c.pst).await,
    );
    let (status, me) = a.get("/api/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["role"], "mission_staff");
    assert_eq!(me["mission_id"], c.mission_a.as_str());

    let (status, draft) = a
        .post(
            "/api/v1/requests",
            request_body("Guard during the national day"),
        )
        .await;
    assert_eq!(status, 201, "{draft}");
    let id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(draft["status"], "draft");
    assert!(draft["reference"].is_null());
    // Edit, then submit.
    let mut patch = request_body("Guard during the national day reception");
    patch["version"] = draft["version"].clone();
    let (status, edited) = a
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/requests/{id}"),
            Some(patch),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    let (status, submitted) = a.act(&id, json!({ "action": "submit" })).await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(submitted["status"], "received");
    assert!(submitted["reference"].as_str().unwrap().contains('/'));

    assert_eq!(mfa.act(&id, json!({ "action": "take" })).await.0, 200);
    assert_eq!(
        mfa.act(
            &id,
            json!({ "action": "request_information", "message": "Which dates?" })
        )
        .await
        .0,
        200
    );
    assert_eq!(
        a.act(
            &id,
            json!({ "action": "provide_information", "message": "Both." })
        )
        .await
        .0,
        200
    );
    assert_eq!(
        mfa.act(&id, json!({ "action": "forward_to_police" }))
            .await
            .0,
        200
    );
    assert_eq!(
        police
            .act(
                &id,
                json!({ "action": "return_to_mfa", "note": "Ask about the escort route." })
            )
            .await
            .0,
        200
    );
    assert_eq!(
        mfa.act(&id, json!({ "action": "forward_to_police" }))
            .await
            .0,
        200
    );
    assert_eq!(
        police.act(&id, json!({ "action": "refer_to_pst" })).await.0,
        200
    );
    let (status, r) = pst.act(&id, json!({ "action": "submit_assessment", "assessment": { "threat_level": "moderate", "summary": "MARKER-A", "classification": "restricted" } })).await;
    assert_eq!(status, 200, "{r}");
    let (_, full) = police.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(full["assessments"][0]["summary"], "MARKER-A");
    let m0 = full["measures"][0]["id"].as_str().unwrap().to_owned();
    let m1 = full["measures"][1]["id"].as_str().unwrap().to_owned();
    let (status, r) = police
        .act(
            &id,
            json!({ "action": "decide", "outcomes": [
        { "measure_id": m0, "outcome": "approved" },
        { "measure_id": m1, "outcome": "declined" }
    ] }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let (_, mfa_view) = mfa.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(mfa_view["assessments"][0]["threat_level"], "moderate");
    assert!(
        mfa_view["assessments"][0]["summary"].is_null(),
        "the MFA sees the level, not the content"
    );
    assert_eq!(
        mfa.act(
            &id,
            json!({ "action": "communicate_decision", "reply": "Approved in part." })
        )
        .await
        .0,
        200
    );
    let (status, r) = police.act(&id, json!({ "action": "confirm_implementation", "implemented": [{ "measure_id": m0, "implemented_on": day(0) }] })).await;
    assert_eq!(status, 200, "{r}");
    let (status, r) = police.act(&id, json!({ "action": "end_measures" })).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["status"], "ended");

    // The mission's view: mission-facing status, no internal states, notes, assessments, or
    // authority staff other than the assigned MFA officer.
    let (_, mine) = a.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(mine["status"], "ended");
    assert!(mine.get("assessments").is_none());
    assert_eq!(mine["assigned_to"], c.mfa.id.as_str());
    assert_eq!(mine["reply"], "Approved in part.");
    let (_, messages) = a.get(&format!("/api/v1/requests/{id}/messages")).await;
    let (_, timeline) = a.get(&format!("/api/v1/requests/{id}/timeline")).await;
    for doc in [&mine, &messages, &timeline] {
        let text = doc.to_string();
        for secret in [
            "MARKER-A",
            "escort route",
            "pst_review",
            "police_review",
            "in_triage",
            "PST",
            &c.police.id,
            &c.pst.id,
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    let (_, authority_messages) = police.get(&format!("/api/v1/requests/{id}/messages")).await;
    assert!(authority_messages.to_string().contains("escort route"));

    // Notifications arrived for the mission.
    let (status, notes) = a.get("/api/v1/notifications").await;
    assert_eq!(status, 200);
    assert!(notes["total"].as_i64().unwrap() >= 4);
    let nid = notes["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        a.call(
            reqwest::Method::POST,
            &format!("/api/v1/notifications/{nid}/read"),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        mfa.call(
            reqwest::Method::POST,
            &format!("/api/v1/notifications/{nid}/read"),
            None
        )
        .await
        .0,
        404
    );
}

#[actix_web::test]
async fn every_state_is_reached_through_the_api_and_missions_see_only_their_status() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let (a, mfa) = (app.api(&c.a).await, app.api(&c.mfa).await);
    let mission_status = [
        ("draft", "draft"),
        ("submitted", "received"),
        ("in_triage", "under_assessment"),
        ("awaiting_mission", "information_requested"),
        ("police_review", "under_assessment"),
        ("pst_review", "under_assessment"),
        ("decided", "under_assessment"),
        // The journey approves the first measure and declines the others.
        ("approved", "partly_approved"),
        ("declined", "declined"),
        ("rejected", "not_admissible"),
        ("withdrawn", "withdrawn"),
        ("in_effect", "measures_in_place"),
        ("ended", "ended"),
    ];
    assert_eq!(
        mission_status.map(|(state, _)| state),
        STATES,
        "every state, once"
    );
    for (state, shown) in mission_status {
        let id = app.request_in(&c, state).await;
        let (status, mine) = a.get(&format!("/api/v1/requests/{id}")).await;
        assert_eq!(status, 200, "{mine}");
        assert_eq!(mine["status"], shown, "{state} as the mission sees it");
        let (status, theirs) = mfa.get(&format!("/api/v1/requests/{id}")).await;
        if state == "draft" {
            assert_eq!(status, 404, "a draft is the mission's own");
        } else {
            assert_eq!(status, 200, "{theirs}");
            assert_eq!(theirs["status"], state, "the MFA sees the state itself");
        }
    }
}

#[actix_web::test]
async fn errors_have_their_codes() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let (a, mfa) = (app.api(&c.a).await, app.api(&c.mfa).await);
    // 401: none, wrong, and a cookie instead of a token.
    let res = reqwest::get(app.url("/api/v1/me")).await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let bad = app.api_with_token("pp_nothing_here");
    assert_eq!(bad.get("/api/v1/me").await.0, 401);
    let mut person = c.b.clone();
    let browser = app.signed_in(&mut person).await;
    let with_cookie = browser
        .client
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        with_cookie.status(),
        401,
        "cookies are not accepted under /api"
    );
    // 400, 415, 413, 422 for bodies.
    let raw = |body: &'static str, ct: &'static str| {
        let client = reqwest::Client::new();
        let (url, token) = (app.url("/api/v1/requests"), a.token.clone());
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(raw("{\"title\": ", "application/json").await, 400);
    assert_eq!(
        raw("title=x", "application/x-www-form-urlencoded").await,
        415
    );
    assert_eq!(
        raw(
            "{\"title\": \"x\", \"colour\": \"red\"}",
            "application/json"
        )
        .await,
        422,
        "unknown field"
    );
    assert_eq!(
        raw("{\"title\": \"a\", \"title\": \"b\"}", "application/json").await,
        422,
        "duplicate key"
    );
    // Too large: announced by Content-Length, refused before the body is read.
    let (status, head) = crate::helpers::oversized_post(
        &app,
        "/api/v1/requests",
        Some(&a.token),
        "application/json",
    )
    .await;
    assert_eq!(status, 413);
    assert!(head.contains("\"payload_too_large\""), "{head}");
    let (status, err) = a
        .post("/api/v1/requests", json!({ "title": "x".repeat(201) }))
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["fields"][0]["field"], "title");
    // 403: role may not.
    assert_eq!(
        mfa.post("/api/v1/requests", request_body("MFA drafting"))
            .await
            .0,
        403
    );
    assert_eq!(a.get("/api/v1/users").await.0, 403);
    // 404, 409, 422 on transitions.
    let (_, draft) = a.post("/api/v1/requests", request_body("A request")).await;
    let id = draft["id"].as_str().unwrap();
    assert_eq!(
        a.post(
            &format!("/api/v1/requests/{id}/transitions"),
            json!({ "action": "submit", "version": 99 })
        )
        .await
        .0,
        409
    );
    assert_eq!(a.act(id, json!({ "action": "withdraw" })).await.0, 422);
    assert_eq!(a.act(id, json!({ "action": "fly" })).await.0, 422);
    assert_eq!(
        mfa.get(&format!("/api/v1/requests/{id}")).await.0,
        404,
        "drafts do not exist for the MFA"
    );
    assert_eq!(
        a.get("/api/v1/requests/00000000-0000-0000-0000-000000000000")
            .await
            .0,
        404
    );
    assert_eq!(a.get("/api/v1/requests?per_page=500").await.0, 422);
    // DELETE discards a draft.
    let v = draft["version"].as_i64().unwrap();
    assert_eq!(
        a.call(
            reqwest::Method::DELETE,
            &format!("/api/v1/requests/{id}?version={v}"),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(a.get(&format!("/api/v1/requests/{id}")).await.0, 404);
}

#[actix_web::test]
async fn other_missions_police_before_forwarding_and_pst_before_referral_get_404_everywhere() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let (a, b, mfa, police, pst) = (
        app.api(&c.a).await,
        app.api(&c.b).await,
        app.api(&c.mfa).await,
        app.api(&c.police).await,
        app.api(&c.pst).await,
    );
    let (_, draft) = a
        .post("/api/v1/requests", request_body("Guard at the chancery"))
        .await;
    let id = draft["id"].as_str().unwrap().to_owned();
    a.act(&id, json!({ "action": "submit" })).await;
    mfa.act(&id, json!({ "action": "take" })).await;
    for (who, api) in [("mission B", &b), ("police", &police), ("PST", &pst)] {
        for (method, path) in [
            (reqwest::Method::GET, format!("/api/v1/requests/{id}")),
            (
                reqwest::Method::GET,
                format!("/api/v1/requests/{id}/messages"),
            ),
            (
                reqwest::Method::GET,
                format!("/api/v1/requests/{id}/timeline"),
            ),
        ] {
            assert_eq!(api.call(method, &path, None).await.0, 404, "{who} {path}");
        }
        assert_eq!(
            api.post(
                &format!("/api/v1/requests/{id}/transitions"),
                json!({ "action": "withdraw", "version": 1 })
            )
            .await
            .0,
            404,
            "{who}"
        );
        assert_eq!(
            api.post(
                &format!("/api/v1/requests/{id}/messages"),
                json!({ "body": "x", "visibility": "external" })
            )
            .await
            .0,
            404,
            "{who}"
        );
        assert_eq!(
            api.call(
                reqwest::Method::PATCH,
                &format!("/api/v1/requests/{id}"),
                Some(json!({ "version": 1 }))
            )
            .await
            .0,
            404,
            "{who}"
        );
        let (_, list) = api.get("/api/v1/requests").await;
        assert_eq!(list["total"], 0, "{who}");
        assert!(!list.to_string().contains(&id));
    }
    mfa.act(&id, json!({ "action": "forward_to_police" })).await;
    assert_eq!(police.get(&format!("/api/v1/requests/{id}")).await.0, 200);
    assert_eq!(pst.get(&format!("/api/v1/requests/{id}")).await.0, 404);
    let (_, list) = mfa
        .get(&format!(
            "/api/v1/requests?mission_id={}&status=police_review",
            c.mission_a
        ))
        .await;
    assert_eq!(list["total"], 1);
}

#[actix_web::test]
async fn tokens_are_revocable_expire_with_their_owner_and_are_rate_limited() {
    let app = spawn_app_with(Options {
        configure: Box::new(|s| s.api.requests_per_minute = 3),
        ..Default::default()
    })
    .await;
    let c = app.cast().await;
    let a = app.api(&c.a).await;
    for _ in 0..3 {
        assert_eq!(a.get("/api/v1/me").await.0, 200);
    }
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(
        res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
            >= 1
    );
    // Deactivating the owner ends the token.
    let mfa = app.api(&c.mfa).await;
    let mut conn = app.pool.get().unwrap();
    protection_portal::db::users::set_active(&mut conn, &c.mfa.id, false, app::now()).unwrap();
    drop(conn);
    assert_eq!(mfa.get("/api/v1/me").await.0, 401);
    // Revoking from the account page.
    let mut police = c.police.clone();
    let b = app.signed_in(&mut police).await;
    let code = police.next_code().await;
    let page = b
        .submit(
            "/account",
            "/account/tokens",
            &[
                ("token_name", "Case system"),
                ("expires_in_days", "30"),
                ("token_totp_code", &code),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    let token = crate::helpers::between(&page.body, "<p class=\"secret\">", "</p>").unwrap();
    let api = app.api_with_token(&token);
    assert_eq!(api.get("/api/v1/me").await.0, 200);
    let account = b.get("/account").await;
    assert!(!account.body.contains(&api.token), "shown once only");
    let tid =
        crate::helpers::between(&account.body, "action=\"/account/tokens/", "/revoke\"").unwrap();
    assert_eq!(
        b.submit("/account", &format!("/account/tokens/{tid}/revoke"), &[])
            .await
            .status,
        303
    );
    assert_eq!(api.get("/api/v1/me").await.0, 401);
}

#[actix_web::test]
async fn administrators_manage_missions_and_users_through_the_api() {
    let app = spawn_app().await;
    let admin = app.add_person("admin", None, None).await;
    let api = app.api(&admin).await;
    let (status, m) = api
        .post(
            "/api/v1/missions",
            json!({ "name": "Embassy of Chile", "country": "cl" }),
        )
        .await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(m["country"], "CL");
    assert_eq!(
        api.post(
            "/api/v1/missions",
            json!({ "name": "Embassy of Chile", "country": "CL" })
        )
        .await
        .0,
        422
    );
    let (status, u) = api
        .post(
            "/api/v1/users",
            json!({ "email": "x@chile.example", "name": "Ximena", "role": "mission_staff" }),
        )
        .await;
    assert_eq!(status, 422, "{u}");
    assert_eq!(u["error"]["fields"][0]["field"], "mission");
    let (status, u) = api.post("/api/v1/users", json!({ "email": "x@chile.example", "name": "Ximena", "role": "mission_staff", "mission_id": m["id"] })).await;
    assert_eq!(status, 201, "{u}");
    let uid = u["id"].as_str().unwrap();
    let (status, u) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{uid}"),
            Some(json!({ "active": false })),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(u["active"], false);
    let (_, list) = api.get("/api/v1/users").await;
    assert_eq!(list["total"], 2);
    // Administrators take no part in case work: the request list is refused, not empty.
    let (status, body) = api.get("/api/v1/requests").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
}

/// Follows `$ref`s: every one must name a schema that exists.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push(x.as_str().unwrap().to_owned());
                }
                refs(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[actix_web::test]
async fn the_openapi_document_describes_every_registered_route_and_nothing_else() {
    let app = spawn_app().await;
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    documented.sort();
    let mut registered: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    registered.sort();
    assert_eq!(documented, registered);
    // Every registered route answers (not 404 from the router): anything but "no such route".
    for (method, path) in ROUTES {
        let path = path.replace("{id}", "00000000-0000-0000-0000-000000000000");
        let res = reqwest::Client::new()
            .request(method.to_uppercase().parse().unwrap(), app.url(&path))
            .send()
            .await
            .unwrap();
        assert_ne!(res.status(), 405, "{method} {path}");
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for r in all {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(schemas.contains_key(name), "dangling $ref {r}");
    }
    let docs = reqwest::get(app.url("/api/docs/")).await.unwrap();
    assert_eq!(docs.status(), 200);
    let csp = docs.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        !csp.contains("script-src") && csp.contains("default-src 'self'"),
        "scripts stay same-origin: {csp}"
    );
    assert!(csp.contains("img-src 'self' data:"));
    assert!(
        docs.text()
            .await
            .unwrap()
            .contains("swagger-initializer.js"),
        "served from the binary"
    );
}
