//! The request life cycle through the web pages, need to know, and the rules of the form.

use protection_portal::db::{self, outbox, requests as store};
use protection_portal::domain::time::oslo_date;

use serde_json::json;

use crate::helpers::{
    Cast, Journey, TestApp, between, day, request_body, request_fields, spawn_app,
};

#[actix_web::test]
async fn a_request_goes_from_draft_to_ended_through_the_pages_and_each_role_sees_its_part() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let police = app.signed_in(&mut c.police).await;
    let pst = app.signed_in(&mut c.pst).await;
    let b = app.signed_in(&mut c.b).await;

    // The form grows and shrinks without JavaScript, keeping what was typed.
    let mut f = request_fields("Guard during the national day", 1);
    f.push(("op".into(), "add_measure".into()));
    let grown = a.submit_fields("/requests/new", "/requests/new", &f).await;
    assert_eq!(grown.status, 200);
    assert!(
        grown.body.contains("Measure 2")
            && grown
                .body
                .contains("value=\"Guard during the national day\"")
    );

    // Mistakes are shown next to their fields, with everything typed kept.
    let mut bad = request_fields("Shrt", 1);
    bad.retain(|(k, _)| k != "measures[0].starts_on");
    bad.push(("measures[0].starts_on".into(), "tomorrow".into()));
    bad.push(("op".into(), "review".into()));
    let refused = a
        .submit_fields("/requests/new", "/requests/new", &bad)
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("id=\"measures[0].starts_on-error\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"tomorrow\""));

    let id = a.file_request("Guard during the national day", 3).await;
    let page = a.get(&format!("/requests/{id}")).await;
    assert_eq!(page.shown_status(), "received");
    let year = oslo_date(protection_portal::app::now())
        .format("%Y")
        .to_string();
    assert!(
        page.body.contains(&format!("{year}/0000")),
        "a reference is assigned"
    );
    // Every MFA officer is told, by e-mail and in the portal.
    let mut conn = app.pool.get().unwrap();
    assert_eq!(
        outbox::for_recipient(&mut conn, &c.mfa.email).unwrap()[0].kind,
        "request_submitted"
    );
    assert_eq!(
        outbox::for_recipient(&mut conn, &c.a.email).unwrap()[0].kind,
        "submission_receipt"
    );
    drop(conn);

    // Nobody else can know it exists yet.
    for outsider in [&b, &police, &pst] {
        assert_eq!(outsider.get(&format!("/requests/{id}")).await.status, 404);
        assert!(!outsider.get("/?queue=all").await.body.contains(&id));
    }

    // MFA: new queue, take, ask the mission for information.
    assert!(
        mfa.get("/").await.body.contains(&id),
        "the new queue lists it"
    );
    assert_eq!(mfa.act(&id, "take", &[]).await.status, 303);
    let res = mfa
        .act(
            &id,
            "request_information",
            &[("message", "Please describe the threats received.")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let seen = a.get(&format!("/requests/{id}")).await;
    assert_eq!(seen.shown_status(), "information_requested");
    assert!(seen.body.contains("Please describe the threats received."));
    let res = a
        .act(
            &id,
            "provide_information",
            &[("message", "Three e-mails, attached to our note verbale.")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);

    // Forward, refer to PST, assess.
    assert_eq!(mfa.act(&id, "forward_to_police", &[]).await.status, 303);
    assert!(police.get("/").await.body.contains(&id));
    assert_eq!(police.act(&id, "refer_to_pst", &[]).await.status, 303);
    let mission_view_during_pst = a.get(&format!("/requests/{id}")).await;
    assert_eq!(pst.get(&format!("/requests/{id}")).await.status, 200);
    let res = pst
        .act(
            &id,
            "submit_assessment",
            &[
                ("assessment.threat_level", "high"),
                (
                    "assessment.summary",
                    "MARKER-ASSESSMENT Credible intent, limited capability.",
                ),
                ("assessment.classification", "restricted"),
                ("assessment.declassify_on", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);

    // Police: an internal note, then the decision on every measure.
    let note = police
        .submit(
            &format!("/requests/{id}"),
            &format!("/requests/{id}/messages"),
            &[
                ("body", "MARKER-NOTE Patrol capacity is limited that week."),
                ("visibility", "internal"),
                ("classification", "restricted"),
            ],
        )
        .await;
    assert_eq!(note.status, 303, "{}", note.body);
    let page = police.get(&format!("/requests/{id}")).await;
    assert!(page.body.contains("MARKER-ASSESSMENT") && page.body.contains("MARKER-NOTE"));
    assert!(
        page.body.contains("class=\"marking "),
        "a classified page is marked"
    );
    assert_eq!(
        page.body.matches("RESTRICTED · declassify on").count(),
        2,
        "marked at top and bottom"
    );
    let ids = page.measure_ids();
    assert_eq!(ids.len(), 3);
    let res = police
        .act(
            &id,
            "decide",
            &[
                ("outcome_count", "3"),
                ("outcomes[0].measure_id", &ids[0]),
                ("outcomes[0].outcome", "approved"),
                ("outcomes[0].conditions", ""),
                ("outcomes[1].measure_id", &ids[1]),
                ("outcomes[1].outcome", "approved_with_conditions"),
                ("outcomes[1].conditions", ""),
                ("outcomes[2].measure_id", &ids[2]),
                ("outcomes[2].outcome", "declined"),
                ("outcomes[2].conditions", ""),
            ],
        )
        .await;
    assert_eq!(
        res.status, 422,
        "conditions are required when approving with conditions"
    );
    assert!(res.body.contains("outcomes[1].conditions-error"));
    let res = police
        .act(
            &id,
            "decide",
            &[
                ("outcome_count", "3"),
                ("outcomes[0].measure_id", &ids[0]),
                ("outcomes[0].outcome", "approved"),
                ("outcomes[0].conditions", ""),
                ("outcomes[1].measure_id", &ids[1]),
                ("outcomes[1].outcome", "approved_with_conditions"),
                ("outcomes[1].conditions", "Only between 08:00 and 20:00"),
                ("outcomes[2].measure_id", &ids[2]),
                ("outcomes[2].outcome", "declined"),
                ("outcomes[2].conditions", ""),
                (
                    "outcomes[2].reason",
                    "The street is closed for works that week.",
                ),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    // Decided, but the mission sees nothing of it before the formal reply.
    let before_reply = a.get(&format!("/requests/{id}")).await;
    assert_eq!(before_reply.shown_status(), "under_assessment");
    assert!(!before_reply.body.contains("Only between 08:00"));

    // The MFA sees the assessment exists and its level, not its content.
    let mfa_page = mfa.get(&format!("/requests/{id}")).await;
    assert!(mfa_page.body.contains("4 – High") && !mfa_page.body.contains("MARKER-ASSESSMENT"));
    let res = mfa
        .act(
            &id,
            "communicate_decision",
            &[("reply", "The Ministry approves two of the three measures.")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    // One of three declined: the mission reads "Partly approved", and the reason for the
    // decline under its own label, apart from the conditions.
    let replied = a.get(&format!("/requests/{id}")).await;
    assert_eq!(replied.shown_status(), "partly_approved");
    assert!(
        replied
            .body
            .contains("The Ministry approves two of the three measures.")
            && replied.body.contains("Conditions: Only between 08:00")
            && replied
                .body
                .contains("Reason: The street is closed for works that week."),
        "{}",
        replied.body
    );
    let reference = between(&replied.body, "<p class=\"caption\">", " ·").unwrap();
    assert!(
        a.get("/?status=partly_approved")
            .await
            .body
            .contains(&reference)
    );
    assert!(!a.get("/?status=approved").await.body.contains(&reference));
    let (_, json) = app
        .api(&c.a)
        .await
        .get(&format!("/api/v1/requests/{id}"))
        .await;
    assert_eq!(json["status"], "partly_approved", "{json}");
    assert_eq!(
        json["measures"][2]["reason"],
        "The street is closed for works that week."
    );

    // Police confirm the approved measures in place, then end them.
    let page = police.get(&format!("/requests/{id}")).await;
    let approved: Vec<String> = page
        .body
        .split("name=\"implemented[")
        .skip(1)
        .filter(|s| s.contains("measure_id"))
        .map(|s| between(s, "value=\"", "\"").unwrap())
        .collect();
    assert_eq!(approved.len(), 2);
    let today = day(0);
    let res = police
        .act(
            &id,
            "confirm_implementation",
            &[
                ("implemented_count", "2"),
                ("implemented[0].measure_id", &approved[0]),
                ("implemented[0].implemented_on", &today),
                ("implemented[1].measure_id", &approved[1]),
                ("implemented[1].implemented_on", &today),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        a.get(&format!("/requests/{id}")).await.shown_status(),
        "measures_in_place"
    );
    assert_eq!(
        police
            .act(&id, "end_measures", &[("reason", "")])
            .await
            .status,
        303
    );
    let ended = a.get(&format!("/requests/{id}")).await;
    assert_eq!(ended.shown_status(), "ended");

    // What the mission never sees: internal states, PST, notes, assessments, other officers.
    for page in [&mission_view_during_pst, &ended] {
        for secret in [
            "MARKER-NOTE",
            "MARKER-ASSESSMENT",
            "PST review",
            "Ask PST",
            "hreat assessment",
            "pst_review",
            "Police review",
            "police_review",
            "class=\"marking ",
            &c.police.email,
        ] {
            assert!(!page.body.contains(secret), "{secret} shown to the mission");
        }
    }
    // Reading classified items is in the security log.
    let mut conn = app.pool.get().unwrap();
    assert!(
        !db::security_log::newest(&mut conn, Some("classified_read"), 100)
            .unwrap()
            .is_empty()
    );
    let _ = c.mission_a;
}

#[actix_web::test]
async fn a_mission_sees_the_same_pages_whether_or_not_pst_was_consulted() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let police = app.signed_in(&mut c.police).await;
    let pst = app.signed_in(&mut c.pst).await;
    let with_pst = a.file_request("Barriers at the residence", 1).await;
    let without = a.file_request("Barriers at the residence", 1).await;
    for id in [&with_pst, &without] {
        mfa.act(id, "take", &[]).await;
        mfa.act(id, "forward_to_police", &[]).await;
    }
    police.act(&with_pst, "refer_to_pst", &[]).await;
    // Opening a request reads its notifications (the header's count goes down): open both
    // once, so that the pages compared show the same count.
    for id in [&with_pst, &without] {
        a.get(&format!("/requests/{id}")).await;
    }
    let one = a.get(&format!("/requests/{with_pst}")).await.body;
    let two = a.get(&format!("/requests/{without}")).await.body;
    let normalise = |body: &str, id: &str| {
        body.replace(id, "ID")
            .split("name=\"csrf_token\" value=\"")
            .map(|s| s.split_once('"').map(|(_, rest)| rest).unwrap_or(s))
            .collect::<Vec<_>>()
            .join("")
            .replace("/00001", "/NNNNN")
            .replace("/00002", "/NNNNN")
    };
    let strip_times = |s: String| {
        s.split("<span class=\"hint\">")
            .map(|p| p.split_once("</span>").map(|(_, r)| r).unwrap_or(p))
            .collect::<Vec<_>>()
            .join("")
    };
    assert_eq!(
        strip_times(normalise(&one, &with_pst)),
        strip_times(normalise(&two, &without))
    );
    pst.act(
        &with_pst,
        "submit_assessment",
        &[
            ("assessment.threat_level", "low"),
            ("assessment.summary", "Nothing specific."),
            ("assessment.classification", "unclassified"),
        ],
    )
    .await;
    let one = a.get(&format!("/requests/{with_pst}")).await.body;
    let two = a.get(&format!("/requests/{without}")).await.body;
    assert!(!one.contains("Nothing specific.") && !one.contains("hreat assessment"));
    assert_eq!(
        strip_times(normalise(&one, &with_pst)),
        strip_times(normalise(&two, &without)),
        "after the assessment too"
    );
    // The lists look alike as well.
    let list = a.get("/").await.body;
    assert_eq!(
        list.matches("data-status=\"under_assessment\">Under assessment</strong>")
            .count(),
        2
    );
}

#[actix_web::test]
async fn refused_actions_change_nothing() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let police = app.signed_in(&mut c.police).await;
    let id = a.file_request("Patrols during the demonstration", 1).await;
    let version_of = || {
        let mut conn = app.pool.get().unwrap();
        let r = store::find(&mut conn, &id).unwrap().unwrap();
        (r.state, r.version)
    };
    let before = version_of();
    // Wrong state: forwarding before taking.
    assert_eq!(mfa.act(&id, "forward_to_police", &[]).await.status, 422);
    // Wrong role: the mission cannot take its own request.
    assert_eq!(a.act(&id, "take", &[]).await.status, 403);
    // Not visible: police before forwarding.
    let page = mfa.get(&format!("/requests/{id}")).await;
    let res = police
        .post(
            &format!("/requests/{id}/transitions"),
            &[
                ("csrf_token", &police.get("/account").await.csrf()),
                ("action", "decide"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(res.status, 404);
    // Stale version: a form opened before someone else acted.
    let csrf = page.csrf();
    let stale_version = page.version().unwrap();
    assert_eq!(mfa.act(&id, "take", &[]).await.status, 303);
    let after_take = version_of();
    let res = mfa
        .post(
            &format!("/requests/{id}/transitions"),
            &[
                ("csrf_token", &csrf),
                ("action", "reject"),
                ("version", &stale_version),
                ("reason", "Late"),
                ("confirm", "reject"),
            ],
        )
        .await;
    assert_eq!(res.status, 409);
    // A required message missing.
    assert_eq!(
        mfa.act(&id, "request_information", &[("message", "")])
            .await
            .status,
        422
    );
    assert_eq!(version_of(), after_take);
    assert_eq!(before.0.code(), "submitted");
    assert_eq!(after_take.0.code(), "in_triage");
    // Withdrawn: nothing more can happen.
    assert_eq!(
        a.act(&id, "withdraw", &[("reason", "No longer needed")])
            .await
            .status,
        303
    );
    let page = mfa.get(&format!("/requests/{id}")).await;
    assert!(
        !page.body.contains("name=\"action\""),
        "no actions are offered on a withdrawn request"
    );
    let version = between(&page.body, "data-status=\"", "\"").unwrap();
    assert_eq!(version, "withdrawn");
    let mut conn = app.pool.get().unwrap();
    let withdrawn = store::find(&mut conn, &id).unwrap().unwrap();
    drop(conn);
    let res = mfa
        .post(
            &format!("/requests/{id}/transitions"),
            &[
                ("csrf_token", &page.csrf()),
                ("action", "reject"),
                ("version", &withdrawn.version.to_string()),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    let mut conn = app.pool.get().unwrap();
    assert_eq!(
        store::find(&mut conn, &id).unwrap().unwrap().version,
        withdrawn.version
    );
}

#[actix_web::test]
async fn two_officers_taking_at_once_exactly_one_succeeds_and_references_are_unique() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let mut other = app.add_person("mfa_officer", None, None).await;
    let m1 = app.signed_in(&mut c.mfa).await;
    let m2 = app.signed_in(&mut other).await;
    let id = a.file_request("Escort for the minister's visit", 1).await;
    let p1 = m1.get(&format!("/requests/{id}")).await;
    let p2 = m2.get(&format!("/requests/{id}")).await;
    let v = p1.version().unwrap();
    let (c1, c2) = (p1.csrf(), p2.csrf());
    let path = format!("/requests/{id}/transitions");
    let f1 = [
        ("csrf_token", c1.as_str()),
        ("action", "take"),
        ("version", v.as_str()),
    ];
    let f2 = [
        ("csrf_token", c2.as_str()),
        ("action", "take"),
        ("version", v.as_str()),
    ];
    let (r1, r2) = tokio::join!(m1.post(&path, &f1), m2.post(&path, &f2));
    let mut statuses = [r1.status, r2.status];
    statuses.sort();
    assert_eq!(statuses, [303, 409]);

    // Concurrent submissions get distinct references.
    let drafts: Vec<String> = {
        let mut ids = Vec::new();
        for i in 0..6 {
            let mut f = request_fields(&format!("Concurrent request {i}"), 1);
            f.push(("op".into(), "save".into()));
            let res = a.submit_fields("/requests/new", "/requests/new", &f).await;
            ids.push(
                res.location
                    .unwrap()
                    .trim_start_matches("/requests/")
                    .split(['?', '#'])
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        ids
    };
    let csrf = a.get("/account").await.csrf();
    let mut tasks = tokio::task::JoinSet::new();
    for d in &drafts {
        let (client, url, csrf) = (
            a.client.clone(),
            a.url(&format!("/requests/{d}/transitions")),
            csrf.clone(),
        );
        tasks.spawn(async move {
            let form = [
                ("csrf_token", csrf.as_str()),
                ("action", "submit"),
                ("version", "1"),
            ];
            client
                .post(url)
                .form(&form)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let results = tasks.join_all().await;
    assert!(results.iter().all(|s| *s == 303), "{results:?}");
    let mut conn = app.pool.get().unwrap();
    let mut refs: Vec<String> = drafts
        .iter()
        .chain([&id])
        .map(|d| {
            store::find(&mut conn, d)
                .unwrap()
                .unwrap()
                .reference
                .unwrap()
        })
        .collect();
    refs.sort();
    let n = refs.len();
    refs.dedup();
    assert_eq!(refs.len(), n, "references are unique: {refs:?}");
}

#[actix_web::test]
async fn drafts_are_saved_incomplete_edited_and_discarded_and_text_round_trips() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let title = "Sikkerhet ved residensen – 北京 – القاهرة – <script>alert(1)</script> ' OR 1=1 --";
    let res = a
        .submit(
            "/requests/new",
            "/requests/new",
            &[("title", title), ("measure_count", "1"), ("op", "save")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let id = res
        .location
        .unwrap()
        .trim_start_matches("/requests/")
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_owned();
    let page = a.get(&format!("/requests/{id}")).await;
    assert!(page.body.contains("Sikkerhet ved residensen – 北京 – القاهرة – &lt;script&gt;alert(1)&lt;/script&gt; ' OR 1=1 --"));
    let mut conn = app.pool.get().unwrap();
    assert_eq!(
        store::find(&mut conn, &id).unwrap().unwrap().title,
        title,
        "stored exactly as typed"
    );
    drop(conn);
    // Drafts do not exist for the MFA.
    assert_eq!(mfa.get(&format!("/requests/{id}")).await.status, 404);
    // An incomplete draft is not reviewed: it goes back to its form, with what submission still
    // needs beside each field.
    let review = a.get(&format!("/requests/{id}/review")).await;
    assert_eq!(review.status, 303);
    let form = a.get(review.location.as_deref().unwrap()).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("There is a problem"), "{}", form.body);
    assert!(
        form.body.contains("id=\"justification-error\""),
        "{}",
        form.body
    );
    assert!(!form.body.contains("value=\"submit\""));
    // Discard.
    let res = a
        .submit(
            &format!("/requests/{id}"),
            &format!("/requests/{id}/discard"),
            &[("version", "1")],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(a.get(&format!("/requests/{id}")).await.status, 404);
}

#[actix_web::test]
async fn lists_counts_and_search_never_include_what_the_viewer_may_not_see() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let b = app.signed_in(&mut c.b).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let police = app.signed_in(&mut c.police).await;
    a.file_request("Patrols near the chancery", 1).await;
    let other = b.file_request("Patrols near the chancery", 1).await;
    mfa.act(&other, "take", &[]).await;
    mfa.act(&other, "forward_to_police", &[]).await;
    let a_list = a.get("/?q=patrols").await;
    assert!(a_list.body.contains("<p>1 request</p>"), "{}", a_list.body);
    assert!(!a_list.body.contains(&other));
    let p_list = police.get("/?queue=all&q=Patrols").await;
    assert!(p_list.body.contains("<p>1 request</p>") && p_list.body.contains(&other));
    let m_list = mfa.get("/?queue=all&q=PATROLS").await;
    assert!(
        m_list.body.contains("<p>2 requests</p>"),
        "search is case-insensitive"
    );
    let by_ref = mfa
        .get(&format!(
            "/?queue=all&q={}",
            between(
                &mfa.get(&format!("/requests/{other}")).await.body,
                "<p class=\"caption\">",
                " ·"
            )
            .unwrap()
        ))
        .await;
    assert!(by_ref.body.contains("<p>1 request</p>"));
}

/// A new request of mission A's in effect, with one measure, which ends on `ends`.
async fn in_effect_until(app: &TestApp, c: &Cast, ends: &str) -> String {
    let mut body = request_body("Guard for the reception");
    body["measures"] = json!([{
        "kind": "static_guard", "location": "chancery", "starts_on": day(1), "ends_on": ends,
        "description": "Around the chancery during the visit"
    }]);
    let journey = Journey {
        body,
        ..Journey::default()
    };
    app.request_in_with(c, "in_effect", journey).await
}

#[actix_web::test]
async fn measures_end_by_themselves_once_their_end_dates_have_passed() {
    use protection_portal::app::requests::{Context, end_expired};
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let id = in_effect_until(&app, &c, &day(3)).await;
    let ctx = |days: i64| Context {
        now: protection_portal::app::now() + chrono::Duration::days(days),
        ceiling: protection_portal::domain::Classification::Restricted,
        rules: Default::default(),
    };
    let mut conn = app.pool.get().unwrap();
    assert_eq!(
        end_expired(&mut conn, &ctx(0)).unwrap(),
        0,
        "not before the end date"
    );
    assert_eq!(
        end_expired(&mut conn, &ctx(3)).unwrap(),
        0,
        "the end date itself still counts"
    );
    assert_eq!(end_expired(&mut conn, &ctx(4)).unwrap(), 1);
    assert_eq!(end_expired(&mut conn, &ctx(5)).unwrap(), 0, "idempotent");
    assert_eq!(
        store::find(&mut conn, &id).unwrap().unwrap().state.code(),
        "ended"
    );
    let kinds: Vec<String> = outbox::for_recipient(&mut conn, &c.a.email)
        .unwrap()
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert!(kinds.contains(&"measures_ended".to_owned()), "{kinds:?}");
    drop(conn);
    let a = app.signed_in(&mut c.a).await;
    assert_eq!(
        a.get(&format!("/requests/{id}")).await.shown_status(),
        "ended"
    );
}

#[actix_web::test]
async fn a_request_can_be_rejected_and_withdrawn_in_every_allowed_state() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let police = app.signed_in(&mut c.police).await;
    let rejected = a.file_request("Cameras on the public square", 1).await;
    mfa.act(&rejected, "take", &[]).await;
    assert_eq!(
        mfa.act(&rejected, "reject", &[("reason", "")]).await.status,
        422,
        "a reason is required"
    );
    assert_eq!(
        mfa.act(
            &rejected,
            "reject",
            &[("reason", "Cameras covering public space are not permitted.")]
        )
        .await
        .status,
        303
    );
    let page = a.get(&format!("/requests/{rejected}")).await;
    assert_eq!(page.shown_status(), "not_admissible");
    assert!(
        page.body
            .contains("Cameras covering public space are not permitted.")
    );

    // Withdraw from each state before the decision.
    let steps: [&[&str]; 5] = [
        &[],
        &["take"],
        &["take", "request_information"],
        &["take", "forward_to_police"],
        &["take", "forward_to_police", "refer_to_pst"],
    ];
    for steps in steps {
        let id = a.file_request("Patrols during the visit", 1).await;
        for step in steps {
            let b = if *step == "refer_to_pst" {
                &police
            } else {
                &mfa
            };
            // Only a question to the mission carries a message; other steps refuse one.
            let fields: &[(&str, &str)] = if *step == "request_information" {
                &[("message", "Please tell us more.")]
            } else {
                &[]
            };
            let res = b.act(&id, step, fields).await;
            assert_eq!(res.status, 303, "{step}: {}", res.body);
        }
        let res = a.act(&id, "withdraw", &[("reason", "")]).await;
        assert_eq!(res.status, 303, "withdraw after {steps:?}");
        assert_eq!(
            a.get(&format!("/requests/{id}")).await.shown_status(),
            "withdrawn"
        );
    }
    let mut conn = app.pool.get().unwrap();
    let police_mail: Vec<String> = outbox::for_recipient(&mut conn, &c.police.email)
        .unwrap()
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(
        police_mail
            .iter()
            .filter(|k| *k == "request_withdrawn")
            .count(),
        2,
        "police hear of withdrawals that reached them"
    );
}

#[actix_web::test]
async fn the_mission_changes_its_request_when_asked_for_information() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let id = a.file_request("Guard at the residence", 1).await;
    mfa.act(&id, "take", &[]).await;
    mfa.act(
        &id,
        "request_information",
        &[("message", "Which dates exactly?")],
    )
    .await;
    let form = a.get(&format!("/requests/{id}/edit")).await;
    assert_eq!(form.status, 200);
    let version = form.version().unwrap();
    let mut f = request_fields("Guard at the residence, 1–3 December", 1);
    f.push(("version".into(), version.clone()));
    f.push(("op".into(), "save".into()));
    // Once submitted, a change must be complete: an empty title is refused.
    let mut incomplete = f.clone();
    incomplete.retain(|(k, _)| k != "title");
    incomplete.push(("title".into(), String::new()));
    assert_eq!(
        a.submit_fields(
            &format!("/requests/{id}/edit"),
            &format!("/requests/{id}/edit"),
            &incomplete
        )
        .await
        .status,
        422
    );
    let res = a
        .submit_fields(
            &format!("/requests/{id}/edit"),
            &format!("/requests/{id}/edit"),
            &f,
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    // The old version is stale now.
    let res = a
        .submit_fields(
            &format!("/requests/{id}/edit"),
            &format!("/requests/{id}/edit"),
            &f,
        )
        .await;
    assert_eq!(res.status, 409);
    assert_eq!(
        a.act(
            &id,
            "provide_information",
            &[("message", "1 to 3 December.")]
        )
        .await
        .status,
        303
    );
    let page = mfa.get(&format!("/requests/{id}")).await;
    assert!(page.body.contains("Guard at the residence, 1–3 December"));
    assert_eq!(page.shown_status(), "in_triage");
    // Not editable any more.
    assert_eq!(a.get(&format!("/requests/{id}/edit")).await.status, 422);
    // Queues filter by status.
    assert!(
        mfa.get("/?queue=all&status=in_triage")
            .await
            .body
            .contains(&id)
    );
    assert!(
        !mfa.get("/?queue=all&status=approved")
            .await
            .body
            .contains(&id)
    );
    assert!(a.get("/?status=under_assessment").await.body.contains(&id));
}

#[actix_web::test]
async fn notes_above_the_ceiling_or_the_authors_clearance_are_refused_and_never_stored() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let id = a.file_request("Guard at the chancery", 1).await;
    mfa.act(&id, "take", &[]).await;
    let path = format!("/requests/{id}");
    let above = mfa
        .submit(
            &path,
            &format!("{path}/messages"),
            &[
                ("body", "MARKER-SECRET"),
                ("visibility", "internal"),
                ("classification", "secret"),
            ],
        )
        .await;
    assert_eq!(above.status, 422);
    assert!(above.body.contains("approved channels"), "{}", above.body);
    // Restricted is the ceiling, and the officer is cleared for it.
    let ok = mfa
        .submit(
            &path,
            &format!("{path}/messages"),
            &[
                ("body", "MARKER-RESTRICTED"),
                ("visibility", "internal"),
                ("classification", "restricted"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);
    // A mission cannot post internal notes, nor classify its messages.
    let res = a
        .submit(
            &path,
            &format!("{path}/messages"),
            &[
                ("body", "x"),
                ("visibility", "internal"),
                ("classification", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 403);
    let mut conn = app.pool.get().unwrap();
    let bodies: Vec<String> = store::messages_of(&mut conn, &id)
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert!(!bodies.iter().any(|b| b.contains("MARKER-SECRET")));
    assert!(bodies.iter().any(|b| b.contains("MARKER-RESTRICTED")));
    drop(conn);
    assert!(!a.get(&path).await.body.contains("MARKER-RESTRICTED"));
}

#[actix_web::test]
async fn a_refusal_never_names_an_internal_state_to_the_mission_and_pst_names_stay_with_pst() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let police = app.signed_in(&mut c.police).await;
    let pst = app.signed_in(&mut c.pst).await;
    let id = a.file_request("Guard during the visit", 1).await;
    mfa.act(&id, "take", &[]).await;
    mfa.act(&id, "forward_to_police", &[]).await;
    police.act(&id, "refer_to_pst", &[]).await;
    let res = a
        .act(&id, "provide_information", &[("message", "More details.")])
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("while the request is under assessment"),
        "{}",
        res.body
    );
    for word in ["PST", "pst", "police review"] {
        assert!(!res.body.contains(&format!("request is {word}")), "{word}");
    }
    pst.act(
        &id,
        "submit_assessment",
        &[
            ("assessment.threat_level", "low"),
            ("assessment.summary", "Nothing specific."),
            ("assessment.classification", "restricted"),
        ],
    )
    .await;
    let analyst_name = {
        let mut conn = app.pool.get().unwrap();
        db::users::find(&mut conn, &c.pst.id).unwrap().unwrap().name
    };
    assert!(
        !mfa.get(&format!("/requests/{id}"))
            .await
            .body
            .contains(&analyst_name),
        "the MFA does not learn who assessed"
    );
    assert!(
        police
            .get(&format!("/requests/{id}"))
            .await
            .body
            .contains(&analyst_name)
    );
}

#[actix_web::test]
async fn automatically_ended_measures_end_on_their_own_dates() {
    use protection_portal::app::requests::{Context, end_expired};
    let app = spawn_app().await;
    let c = app.cast().await;
    let id = in_effect_until(&app, &c, &day(2)).await;
    let ctx = Context {
        now: protection_portal::app::now() + chrono::Duration::days(10),
        ceiling: protection_portal::domain::Classification::Restricted,
        rules: Default::default(),
    };
    let mut conn = app.pool.get().unwrap();
    assert_eq!(end_expired(&mut conn, &ctx).unwrap(), 1);
    let m = &store::measures_of(&mut conn, &id).unwrap()[0];
    assert_eq!(m.ended_on, m.ends_on);
}

#[actix_web::test]
async fn an_officer_takes_a_request_for_a_colleague_who_is_told() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let colleague = app
        .add_person("mfa_officer", None, Some("restricted"))
        .await;
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let id = a.file_request("Patrols during the visit", 1).await;
    let page = mfa.get(&format!("/requests/{id}")).await;
    assert!(
        page.body.contains(&format!("value=\"{}\"", colleague.id)),
        "colleagues are offered"
    );
    assert_eq!(
        mfa.act(&id, "take", &[("assignee_id", &colleague.id)])
            .await
            .status,
        303
    );
    let mut conn = app.pool.get().unwrap();
    assert_eq!(
        store::find(&mut conn, &id)
            .unwrap()
            .unwrap()
            .assigned_officer_id
            .as_deref(),
        Some(colleague.id.as_str())
    );
    let kinds: Vec<String> = outbox::for_recipient(&mut conn, &colleague.email)
        .unwrap()
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert!(kinds.contains(&"request_assigned".to_owned()), "{kinds:?}");
}
