//! Notifications: who is told of each event, that no case content ever leaves by e-mail, and
//! delivery that survives SMTP outages, crashed workers and competing workers.

use std::collections::{BTreeMap, BTreeSet};

use protection_portal::db::{self, outbox};

use crate::helpers::{
    Options, TestApp, between, drain, queue_mail, request_fields, smtp_settings, spawn_app,
    spawn_app_with, worker,
};
use crate::smtp::SmtpServer;

fn outbox_by_kind(app: &TestApp) -> BTreeMap<String, BTreeSet<String>> {
    let mut conn = app.pool.get().unwrap();
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for status in ["pending", "sent", "dead"] {
        for row in outbox::by_status(&mut conn, status, 10_000, 0).unwrap() {
            map.entry(row.kind).or_default().insert(row.recipient_email);
        }
    }
    map
}

#[actix_web::test]
async fn every_event_reaches_exactly_its_recipients_and_no_mail_carries_case_content() {
    let app = spawn_app().await;
    let server = SmtpServer::start().await;
    let mut c = app.cast().await;
    let mut mfa2 = app
        .add_person("mfa_officer", None, Some("restricted"))
        .await;
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let police = app.signed_in(&mut c.police).await;
    let pst = app.signed_in(&mut c.pst).await;
    let _ = app.signed_in(&mut mfa2).await;

    // A marker in every text field of the request, messages, notes and the assessment.
    let marker = "MARKER-7f3a";
    let mut f = request_fields(&format!("{marker} title"), 2);
    for (k, v) in f.iter_mut() {
        if k == "justification" || k.ends_with(".description") {
            *v = format!("{marker} {v}");
        }
        if k == "contact.name" {
            *v = format!("{marker} Guðrún");
        }
    }
    let id = a.save_draft(&f).await;
    a.submit_draft(&id).await;
    mfa.act(&id, "take", &[]).await;
    mfa.act(
        &id,
        "request_information",
        &[("message", &format!("{marker} question"))],
    )
    .await;
    a.act(
        &id,
        "provide_information",
        &[("message", &format!("{marker} answer"))],
    )
    .await;
    mfa.act(&id, "forward_to_police", &[]).await;
    police.act(&id, "refer_to_pst", &[]).await;
    pst.act(
        &id,
        "submit_assessment",
        &[
            ("assessment.threat_level", "low"),
            ("assessment.summary", &format!("{marker} summary")),
            ("assessment.classification", "restricted"),
        ],
    )
    .await;
    police
        .submit(
            &format!("/requests/{id}"),
            &format!("/requests/{id}/messages"),
            &[
                ("body", &format!("{marker} note")),
                ("visibility", "internal"),
                ("classification", "unclassified"),
            ],
        )
        .await;
    let ids = police.get(&format!("/requests/{id}")).await.measure_ids();
    police
        .act(
            &id,
            "decide",
            &[
                ("outcome_count", "2"),
                ("outcomes[0].measure_id", &ids[0]),
                ("outcomes[0].outcome", "approved_with_conditions"),
                ("outcomes[0].conditions", &format!("{marker} conditions")),
                ("outcomes[1].measure_id", &ids[1]),
                ("outcomes[1].outcome", "declined"),
            ],
        )
        .await;
    mfa.act(
        &id,
        "communicate_decision",
        &[("reply", &format!("{marker} reply"))],
    )
    .await;
    mfa.submit(
        &format!("/requests/{id}"),
        &format!("/requests/{id}/messages"),
        &[
            ("body", &format!("{marker} from mfa")),
            ("visibility", "external"),
        ],
    )
    .await;
    a.submit(
        &format!("/requests/{id}"),
        &format!("/requests/{id}/messages"),
        &[
            ("body", &format!("{marker} from mission")),
            ("visibility", "external"),
        ],
    )
    .await;

    let expected: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        (
            "request_submitted",
            vec![c.mfa.email.as_str(), mfa2.email.as_str()],
        ),
        ("submission_receipt", vec![c.a.email.as_str()]),
        ("information_requested", vec![c.a.email.as_str()]),
        ("information_provided", vec![c.mfa.email.as_str()]),
        ("forwarded_to_police", vec![c.police.email.as_str()]),
        ("under_assessment", vec![c.a.email.as_str()]),
        ("referred_to_pst", vec![c.pst.email.as_str()]),
        ("assessment_submitted", vec![c.police.email.as_str()]),
        ("request_decided", vec![c.mfa.email.as_str()]),
        ("decision_communicated", vec![c.a.email.as_str()]),
        ("message_from_mfa", vec![c.a.email.as_str()]),
        ("message_from_mission", vec![c.mfa.email.as_str()]),
    ]);
    let got = outbox_by_kind(&app);
    let expected: BTreeMap<String, BTreeSet<String>> = expected
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
        .collect();
    assert_eq!(got, expected);
    // Mission B hears of nothing.
    assert!(got.values().all(|r| !r.contains(&c.b.email)));

    let w = drain(worker(&app, smtp_settings(&app, &server))).await;
    let mails = server.messages();
    let total: usize = expected.values().map(BTreeSet::len).sum();
    assert_eq!(mails.len(), total, "one mail per recipient and event");
    for m in &mails {
        assert!(
            !m.data.contains(marker),
            "case content in a mail: {}",
            m.data
        );
        assert!(!m.data.contains("Guðrún"));
        let subject = m.header("subject").unwrap();
        assert!(
            subject.contains("/0000"),
            "the reference is in the subject: {subject}"
        );
    }
    // What the mission received never names the internal route.
    for m in mails.iter().filter(|m| m.recipients == [c.a.email.clone()]) {
        for word in ["PST", "pst_review", "police_review", "Police review"] {
            assert!(
                !m.shows_word(word),
                "{word} in a mission's mail: {}",
                m.data
            );
        }
    }
    // In the portal too.
    let mut conn = app.pool.get().unwrap();
    let portal = db::requests::notifications_for(&mut conn, &c.a.id, 100).unwrap();
    assert_eq!(portal.len(), 5);
    assert!(portal.iter().all(|n| !n.payload.contains(marker)));
    let _ = w;
}

#[actix_web::test]
async fn an_smtp_outage_delays_mail_but_loses_none_and_sends_none_twice() {
    let app = spawn_app().await;
    let mut server = SmtpServer::start().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    a.file_request("Patrols during the national day", 1).await;
    let settings = smtp_settings(&app, &server);

    // The server answers 451: nothing is marked sent, and the mail is due again later.
    server
        .refuse
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let w = drain(worker(&app, settings.clone())).await;
    let mut conn = app.pool.get().unwrap();
    let pending = outbox::by_status(&mut conn, "pending", 100, 0).unwrap();
    assert_eq!(pending.len(), 2);
    assert!(
        pending
            .iter()
            .all(|r| r.attempts == 1 && r.last_error.as_deref().unwrap_or("").contains("451"))
    );
    drop(conn);

    // Then it is down altogether for a while.
    server
        .refuse
        .store(false, std::sync::atomic::Ordering::SeqCst);
    server.stop();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let w = drain(w).await;
    let mut conn = app.pool.get().unwrap();
    assert!(
        outbox::by_status(&mut conn, "pending", 100, 0)
            .unwrap()
            .iter()
            .all(|r| r.attempts == 2)
    );
    drop(conn);

    // It recovers: each mail arrives once.
    server.restart().await;
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let _ = drain(w).await;
    let mails = server.messages();
    assert_eq!(mails.len(), 2, "{mails:?}");
    let ids: BTreeSet<String> = mails
        .iter()
        .map(|m| m.header("message-id").unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    let mut conn = app.pool.get().unwrap();
    assert_eq!(outbox::count_by_status(&mut conn, "sent").unwrap(), 2);
}

#[actix_web::test]
async fn a_worker_killed_between_send_and_mark_causes_at_most_one_duplicate_with_the_same_message_id()
 {
    let app = spawn_app().await;
    let server = SmtpServer::start().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    a.file_request("Guard at the residence", 1).await;
    let settings = smtp_settings(&app, &server);
    let dying = worker(&app, settings.clone());
    let claimed = tokio::task::spawn_blocking(move || {
        let rows = dying.claim().unwrap();
        for row in &rows {
            dying.send(row, protection_portal::i18n::Lang::En).unwrap();
        }
        rows.len()
        // The worker "dies" here: nothing is marked sent.
    })
    .await
    .unwrap();
    assert_eq!(claimed, 2);
    assert_eq!(server.messages().len(), 2);
    // Another worker finds nothing while the lease holds, then takes the mails over.
    let survivor = drain(worker(&app, settings)).await;
    assert_eq!(
        server.messages().len(),
        2,
        "the lease protects against a second send"
    );
    tokio::time::sleep(std::time::Duration::from_secs(
        u64::from(app.settings.worker.lease_seconds) + 1,
    ))
    .await;
    let _ = drain(survivor).await;
    let mails = server.messages();
    assert_eq!(mails.len(), 4, "never zero, at most one duplicate each");
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    for m in &mails {
        *by_id.entry(m.header("message-id").unwrap()).or_default() += 1;
    }
    assert!(by_id.values().all(|n| *n == 2), "{by_id:?}");
    let mut conn = app.pool.get().unwrap();
    assert_eq!(outbox::count_by_status(&mut conn, "sent").unwrap(), 2);
}

#[actix_web::test]
async fn two_workers_deliver_500_mails_exactly_once() {
    let app = spawn_app().await;
    let server = SmtpServer::start().await;
    let mut c = app.cast().await;
    let mut conn = app.pool.get().unwrap();
    for i in 0..500 {
        let email = format!("person{i}@example.org");
        queue_mail(&mut conn, "password_changed", &email, Some(&c.a.id));
    }
    drop(conn);
    let mut settings = smtp_settings(&app, &server);
    settings.worker.batch_size = 20;
    let (w1, w2) = (worker(&app, settings.clone()), worker(&app, settings));
    let (r1, r2) = tokio::join!(drain(w1), drain(w2));
    drop((r1, r2));
    let mails = server.messages();
    assert_eq!(mails.len(), 500);
    let ids: BTreeSet<String> = mails
        .iter()
        .map(|m| m.header("message-id").unwrap())
        .collect();
    assert_eq!(ids.len(), 500, "no mail sent twice");
    let mut conn = app.pool.get().unwrap();
    assert_eq!(outbox::count_by_status(&mut conn, "sent").unwrap(), 500);
    let _ = c.a.last_step;
    let _ = &mut c;
}

#[actix_web::test]
async fn the_file_transport_writes_one_eml_per_mail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_string_lossy().into_owned();
    let app = spawn_app_with(Options {
        configure: Box::new(move |s| s.mail.file_dir = path),
        ..Default::default()
    })
    .await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    a.file_request("Guard at the chancery", 1).await;
    let _ = drain(worker(&app, app.settings.clone())).await;
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("Message-ID: <") && text.contains("multipart/alternative"));
}

#[actix_web::test]
async fn the_portal_shows_unread_notifications_and_they_can_be_marked_read() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let id = a.file_request("Guard during the visit", 1).await;
    let home = mfa.get("/").await;
    assert!(
        home.body.contains("<span class=\"badge\">1</span>"),
        "unread badge in the header"
    );
    let list = mfa.get("/notifications").await;
    assert!(list.body.contains(&format!("href=\"/requests/{id}\"")));
    assert!(list.body.contains("A mission submitted a request"));
    let nid = list
        .body
        .split("action=\"/notifications/")
        .skip(1)
        .find_map(|s| s.split_once("/read\"").map(|(id, _)| id.to_owned()))
        .unwrap();
    assert_eq!(
        mfa.submit("/notifications", &format!("/notifications/{nid}/read"), &[])
            .await
            .status,
        303
    );
    assert!(!mfa.get("/").await.body.contains("class=\"badge\""));
    // Someone else's notification cannot be marked.
    let other = a
        .submit("/notifications", &format!("/notifications/{nid}/read"), &[])
        .await;
    assert_eq!(other.status, 404);
    // Mark all.
    mfa.act(&id, "take", &[]).await;
    mfa.act(&id, "request_information", &[("message", "When exactly?")])
        .await;
    assert!(
        a.get("/")
            .await
            .body
            .contains("<span class=\"badge\">2</span>")
    );
    assert_eq!(
        a.submit("/notifications", "/notifications/read-all", &[])
            .await
            .status,
        303
    );
    assert!(!a.get("/").await.body.contains("class=\"badge\""));
    // Administrators have no notifications page.
    let mut admin = app.add_person("admin", None, None).await;
    assert_eq!(
        app.signed_in(&mut admin)
            .await
            .get("/notifications")
            .await
            .status,
        403
    );
}

#[actix_web::test]
async fn informational_mail_can_be_switched_off_but_mail_that_asks_for_action_cannot() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let account = a.get("/account").await;
    assert!(account.body.contains("email.submission_receipt"));
    assert!(
        !account.body.contains("email.information_requested"),
        "action required: not offered"
    );
    // Switch everything optional off (nothing checked)...
    let res = a.submit("/account", "/account/notifications", &[]).await;
    assert_eq!(res.status, 303);
    assert!(!a.get("/account").await.body.contains("checked"));
    let mfa = app.signed_in(&mut c.mfa).await;
    let id = a.file_request("Guard during the visit", 1).await;
    mfa.act(&id, "take", &[]).await;
    mfa.act(&id, "request_information", &[("message", "When exactly?")])
        .await;
    let kinds: Vec<String> = outbox_by_kind(&app)
        .into_iter()
        .filter(|(_, r)| r.contains(&c.a.email))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        kinds,
        ["information_requested"],
        "the receipt is not e-mailed; the request for information is"
    );
    // ...while the portal still lists both.
    let list = a.get("/notifications").await;
    assert!(
        list.body.contains("Receipt for a request you submitted")
            && list.body.contains("The Ministry asks for information")
    );
    // Switch the receipt on again.
    a.submit(
        "/account",
        "/account/notifications",
        &[("email.submission_receipt", "on")],
    )
    .await;
    assert!(a.get("/account").await.body.contains("checked"));
}

#[actix_web::test]
async fn administrators_see_delivery_without_content_and_retry_failed_mail() {
    let app = spawn_app().await;
    let server = SmtpServer::start().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    a.file_request("MARKER-TITLE guard", 1).await;
    let mut settings = smtp_settings(&app, &server);
    settings.worker.max_attempts = 1;
    server
        .refuse
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = drain(worker(&app, settings.clone())).await;
    let mut admin = app.add_person("admin", None, None).await;
    let b = app.signed_in(&mut admin).await;
    let dead = b.get("/admin/deliveries?status=dead").await;
    assert_eq!(dead.status, 200);
    assert!(dead.body.contains(&c.a.email) && dead.body.contains("451"));
    assert!(!dead.body.contains("MARKER-TITLE"));
    let id = between(&dead.body, "action=\"/admin/deliveries/", "/retry\"").unwrap();
    assert_eq!(
        b.submit(
            "/admin/deliveries?status=dead",
            &format!("/admin/deliveries/{id}/retry"),
            &[]
        )
        .await
        .status,
        303
    );
    server
        .refuse
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let _ = drain(worker(&app, settings)).await;
    assert_eq!(server.messages().len(), 1);
    assert!(
        b.get("/admin/deliveries?status=sent")
            .await
            .body
            .contains(&c.a.email)
    );
    // Nobody else sees this page.
    assert_eq!(a.get("/admin/deliveries").await.status, 403);
}

#[actix_web::test]
async fn an_invitations_link_does_not_stay_in_the_database_once_sent() {
    let app = spawn_app().await;
    let server = SmtpServer::start().await;
    let mut admin = app.add_person("admin", None, None).await;
    let a = app.signed_in(&mut admin).await;
    let res = a
        .submit(
            "/admin/users/new",
            "/admin/users",
            &[
                ("email", "new.officer@mfa.example"),
                ("name", "New Officer"),
                ("role", "mfa_officer"),
                ("mission", ""),
                ("clearance", "restricted"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let _ = drain(worker(&app, smtp_settings(&app, &server))).await;
    let mails = server.messages();
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].data.contains("/invitation?token="),
        "the mail carries the link"
    );
    let mut conn = app.pool.get().unwrap();
    let row = &outbox::for_recipient(&mut conn, "new.officer@mfa.example").unwrap()[0];
    assert_eq!(row.status, "sent");
    assert!(!row.payload.contains("token"), "{}", row.payload);
}
