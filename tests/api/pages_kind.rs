//! Pages people trust: the language switch before and after sign-in, deleting a draft only after
//! asking, success banners, notifications read on opening, the keep-alive the session warning
//! uses, and the accessibility statement every footer links to.

use crate::helpers::{between, spawn_app};

#[actix_web::test]
async fn the_language_switch_works_before_and_after_sign_in_and_only_leads_back_here() {
    let app = spawn_app().await;
    let b = app.browser();
    let page = b.get("/sign-in").await;
    assert!(
        page.body
            .contains("href=\"/language?to=nb&amp;back=%2Fsign-in\""),
        "{}",
        page.body
    );
    let res = b.get("/language?to=nb&back=%2Fsign-in").await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location.as_deref(), Some("/sign-in"));
    let page = b.get("/sign-in").await;
    assert!(page.body.contains("<html lang=\"nb\">"), "{}", page.body);
    assert!(
        page.body.contains(">English</a>"),
        "the way back to English"
    );
    // Never to another site.
    for back in [
        "%2F%2Fevil.example",
        "https%3A%2F%2Fevil.example",
        "%2F%5Cevil.example",
    ] {
        let res = b.get(&format!("/language?to=en&back={back}")).await;
        assert_eq!(res.location.as_deref(), Some("/"), "{back}");
    }

    // Signed in, the account keeps the choice, and the switch comes back to the same page.
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let page = a.get("/notifications").await;
    assert!(page.body.contains("name=\"back\" value=\"/notifications\""));
    let res = a
        .submit(
            "/notifications",
            "/account/language",
            &[("language", "nb"), ("back", "/notifications")],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location.as_deref(), Some("/notifications"));
    assert!(
        a.get("/notifications")
            .await
            .body
            .contains("<html lang=\"nb\">")
    );
}

#[actix_web::test]
async fn a_draft_is_deleted_only_after_asking_and_the_page_says_so() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let res = a
        .submit(
            "/requests/new",
            "/requests/new",
            &[
                ("title", "A draft to delete"),
                ("measure_count", "1"),
                ("op", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.location.unwrap();
    let id = location.trim_start_matches("/requests/").to_owned();
    let page = a.get(&location).await;
    assert!(
        page.body.contains("Your changes were saved."),
        "a banner after saving"
    );
    // Once: the banner is not in the address, and a second look shows none.
    assert!(
        !a.get(&location)
            .await
            .body
            .contains("Your changes were saved.")
    );
    // The request page links to a page that asks; it has no one-click delete.
    assert!(
        page.body
            .contains(&format!("href=\"/requests/{id}/discard\""))
    );
    assert!(
        !page
            .body
            .contains(&format!("action=\"/requests/{id}/discard\""))
    );
    let ask = a.get(&format!("/requests/{id}/discard")).await;
    assert_eq!(ask.status, 200);
    assert!(
        ask.body
            .contains("Are you sure you want to delete this draft?")
    );
    assert!(ask.body.contains("A draft to delete"));
    let version = ask.version().expect("the page states the draft's version");
    let res = a
        .submit(
            &format!("/requests/{id}/discard"),
            &format!("/requests/{id}/discard"),
            &[("version", &version)],
        )
        .await;
    assert_eq!(res.status, 303);
    let home = a.get(res.location.as_deref().unwrap()).await;
    assert!(
        home.body.contains("The draft was deleted."),
        "{}",
        home.body
    );
    assert_eq!(a.get(&format!("/requests/{id}")).await.status, 404);
    // An empty form saves nothing and says what to do.
    let before = app.count_requests().await;
    let res = a
        .submit("/requests/new", "/requests/new", &[("op", "save")])
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Enter a title before saving the draft"));
    assert_eq!(app.count_requests().await, before);
}

#[actix_web::test]
async fn opening_a_request_reads_its_notifications() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let one = a.file_request("Patrols during the visit", 1).await;
    let two = a.file_request("Guard at the residence", 1).await;
    for id in [&one, &two] {
        mfa.act(id, "take", &[]).await;
        mfa.act(id, "request_information", &[("message", "Which gate?")])
            .await;
    }
    let badge = |body: &str| between(body, "<span class=\"badge\">", "</span>");
    let count = |body: &str| -> u32 { badge(body).and_then(|b| b.parse().ok()).unwrap_or(0) };
    let before = count(&a.get("/").await.body);
    assert!(before >= 2, "notifications about both requests");
    // Opening one request reads what was said about it, and only that: the page itself shows
    // the lower count already.
    let page = a.get(&format!("/requests/{one}")).await;
    let after_one = count(&page.body);
    assert!(
        after_one < before && after_one > 0,
        "{before} → {after_one}"
    );
    assert_eq!(count(&a.get("/").await.body), after_one);
    a.get(&format!("/requests/{two}")).await;
    assert_eq!(badge(&a.get("/").await.body), None, "all read");
    // The Ministry's question comes first, before what the mission can do.
    let question = page.body.find("Which gate?").unwrap();
    let actions = page.body.find("What you can do now").unwrap();
    assert!(question < actions, "the question before the forms");
    assert!(
        a.get(&format!("/requests/{one}/edit"))
            .await
            .body
            .contains("Which gate?"),
        "the question on the edit page too"
    );
}

#[actix_web::test]
async fn the_session_warning_keeps_the_session_and_the_statement_is_in_every_footer() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let page = a.get("/").await;
    let idle = app.settings.security.session_idle_minutes * 60;
    assert!(page.body.contains(&format!("data-idle-seconds=\"{idle}\"")));
    assert!(page.body.contains("<dialog id=\"session-warning\""));
    assert!(
        page.body
            .contains("<script src=\"/static/session.js\" defer>")
    );
    assert_eq!(a.get("/session/keep-alive").await.status, 204);
    let anonymous = app.browser().get("/session/keep-alive").await;
    assert!(
        anonymous
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/sign-in")),
        "only a signed-in person is kept signed in"
    );
    let script = app.get("/static/session.js").await;
    assert_eq!(script.status(), 200);
    assert!(script.text().await.unwrap().contains("sessionStorage"));
    for page in [app.browser().get("/sign-in").await, page] {
        assert!(
            page.body
                .contains("<a href=\"/accessibility\">Accessibility statement</a>")
        );
    }
    let statement = app.browser().get("/accessibility").await;
    assert_eq!(statement.status, 200);
    for part in [
        "WCAG",
        "What is known not to conform",
        "Report a problem",
        &app.settings.contact.accessibility_email,
    ] {
        assert!(statement.body.contains(part), "{part}");
    }
}

#[actix_web::test]
async fn a_request_is_filed_again_for_next_year_as_a_new_draft() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let id = a
        .file_request("Guard during the national day reception", 2)
        .await;
    let page = a.get(&format!("/requests/{id}")).await;
    assert!(page.body.contains("File again for next year"));
    let before = app.count_requests().await;
    let res = a
        .submit(
            &format!("/requests/{id}"),
            &format!("/requests/{id}/file-again"),
            &[],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.location.unwrap();
    let new_id = location
        .trim_start_matches("/requests/")
        .trim_end_matches("/edit")
        .to_owned();
    assert_ne!(new_id, id);
    assert_eq!(app.count_requests().await, before + 1);
    let form = a.get(&location).await;
    assert!(
        form.body.contains("with every date a year later"),
        "a banner"
    );
    // The same content; every date a year later; a draft of the same mission.
    let api = app.api(&c.a).await;
    let (_, old) = api.get(&format!("/api/v1/requests/{id}")).await;
    let (_, new) = api.get(&format!("/api/v1/requests/{new_id}")).await;
    assert_eq!(new["status"], "draft");
    assert_eq!(new["title"], old["title"]);
    assert_eq!(new["justification"], old["justification"]);
    let year_later = |d: &serde_json::Value| {
        d.as_str().map(|s| {
            let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
            date.checked_add_months(chrono::Months::new(12))
                .unwrap()
                .to_string()
        })
    };
    for i in 0..2 {
        assert_eq!(
            new["measures"][i]["starts_on"].as_str().map(str::to_owned),
            year_later(&old["measures"][i]["starts_on"]),
        );
        assert_eq!(
            new["measures"][i]["description"],
            old["measures"][i]["description"]
        );
    }
    // Another mission's request does not exist for this one; the authorities file nothing.
    let b = app.signed_in(&mut c.b).await;
    let res = b
        .submit("/", &format!("/requests/{id}/file-again"), &[])
        .await;
    assert_eq!(res.status, 404);
    let mfa = app.signed_in(&mut c.mfa).await;
    let res = mfa
        .submit("/", &format!("/requests/{id}/file-again"), &[])
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(app.count_requests().await, before + 1);
}

#[actix_web::test]
async fn short_notice_is_pointed_out_before_submitting_and_to_the_ministry() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    // Protection needed tomorrow, asked for as routine.
    let mut fields = crate::helpers::request_fields("Patrols tomorrow", 1);
    for (name, value) in fields.iter_mut() {
        if name == "urgency" {
            *value = "routine".into();
        }
    }
    fields.push(("op".into(), "save".into()));
    let res = a
        .submit_fields("/requests/new", "/requests/new", &fields)
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let id = res
        .location
        .unwrap()
        .trim_start_matches("/requests/")
        .to_owned();
    let review = a.get(&format!("/requests/{id}/review")).await;
    assert_eq!(review.status, 200, "{}", review.body);
    assert!(review.body.contains("Short notice."), "{}", review.body);
    assert!(review.body.contains("#urgency\">Change the urgency"));
    a.submit_draft(&id).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let page = mfa.get(&format!("/requests/{id}")).await;
    assert!(page.body.contains(">Late notice</strong>"), "{}", page.body);
    // With three weeks' notice, nothing is said.
    let mut body = crate::helpers::request_body("Guard in three weeks");
    body["urgency"] = "routine".into();
    body["measures"][0]["starts_on"] = crate::helpers::day(21).into();
    body["measures"][0]["ends_on"] = crate::helpers::day(40).into();
    body["measures"][1]["starts_on"] = crate::helpers::day(22).into();
    let (status, later) = app.api(&c.a).await.post("/api/v1/requests", body).await;
    assert_eq!(status, 201, "{later}");
    let later_id = later["id"].as_str().unwrap();
    let review = a.get(&format!("/requests/{later_id}/review")).await;
    assert_eq!(review.status, 200, "{}", review.body);
    assert!(!review.body.contains("Short notice."));
}
