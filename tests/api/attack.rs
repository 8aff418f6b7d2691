//! The attack suite: the running server attacked the way an outsider, another mission or an
//! over-curious official would — the authorisation matrix over every registered route, tenant
//! and need-to-know isolation, workflow abuse, injection, sessions and CSRF, parameter
//! pollution, a database failure in the middle of an action, and what reaches the logs.

use reqwest::Method;
use serde_json::{Value, json};

use protection_portal::web::all_routes;

use crate::helpers::{
    Api, Browser, Person, TestApp, between, execute, request_body, spawn_app, text_rows,
};

// ---- the authorisation matrix -----------------------------------------------------------------

/// Who is calling. Staff of the request's own mission come last: what they are allowed to do
/// may change the things the others are checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    OtherMission,
    Mfa,
    Police,
    Pst,
    Admin,
    Auditor,
    Staff,
}

const EVERYONE: [Who; 8] = [
    Who::Anonymous,
    Who::OtherMission,
    Who::Mfa,
    Who::Police,
    Who::Pst,
    Who::Admin,
    Who::Auditor,
    Who::Staff,
];

/// What the caller must get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// A public page: anything but a refusal or a server error.
    Public,
    /// Reached the handler's own work: any answer but 401, 403, 404, a sign-in redirect or 5xx
    /// (a 409 or 422 about the data sent still means the caller was let in).
    Allowed,
    /// A page for the signed-in only: redirected to the sign-in page.
    SignIn,
    /// The API without a valid token: 401.
    Unauthorized,
    /// The role may not: 403.
    Forbidden,
    /// The caller may not know the thing exists: 404, exactly as for an unknown id.
    Hidden,
}

/// The expected outcome of every route × method × caller. A route without an entry here fails
/// the test: adding a route means deciding who may use it.
fn expected(method: &str, path: &str, who: Who) -> Option<Expect> {
    use Expect::*;
    use Who::*;
    const PUBLIC: [&str; 14] = [
        "/",
        "/static/session.js",
        "/language",
        "/accessibility",
        "/health/live",
        "/health/ready",
        "/static/portal.css",
        "/setup",
        "/invitation",
        "/sign-in",
        "/sign-in/enrol",
        "/sign-in/code",
        "/api/v1/openapi.json",
        "/api/docs/{_:.*}",
    ];
    if PUBLIC.contains(&path) {
        return Some(Public);
    }
    let api = path.starts_with("/api/");
    if who == Anonymous {
        return Some(if api { Unauthorized } else { SignIn });
    }
    let mission_staff = matches!(who, Staff | OtherMission);
    // The request under assessment (referred to PST): its mission and every authority.
    let on_request = match who {
        Staff | Mfa | Police | Pst => Allowed,
        _ => Hidden,
    };
    // Things that belong to the staff member (a draft, a notification, a token, a session).
    let own = if who == Staff { Allowed } else { Hidden };
    let admin_only = if who == Admin { Allowed } else { Forbidden };
    // Administrators and auditors take no part in case work.
    let not_admin = if matches!(who, Admin | Auditor) {
        Forbidden
    } else {
        Allowed
    };
    Some(match (method, path) {
        // Signing out ends at the sign-in page, whoever asks.
        ("post", "/sign-out") => SignIn,
        ("get", "/account")
        | (
            "post",
            "/account/notifications"
            | "/account/language"
            | "/account/tokens"
            | "/account/password"
            | "/account/recovery-codes",
        )
        | ("get", "/api/v1/me" | "/session/keep-alive") => Allowed,
        (_, "/requests/new") | ("post", "/api/v1/requests") => {
            if mission_staff {
                Allowed
            } else {
                Forbidden
            }
        }
        ("get", "/api/v1/requests")
        | (_, "/notifications" | "/notifications/read-all" | "/api/v1/notifications") => not_admin,
        (
            _,
            "/requests/{id}"
            | "/requests/{id}/transitions"
            | "/requests/{id}/messages"
            | "/requests/{id}/submitted"
            | "/requests/{id}/receipt",
        )
        | ("get", "/api/v1/requests/{id}")
        | (
            _,
            "/api/v1/requests/{id}/transitions"
            | "/api/v1/requests/{id}/messages"
            | "/api/v1/requests/{id}/timeline",
        ) => on_request,
        // Filing again: the request's own mission only; the authorities file nothing.
        ("post", "/requests/{id}/file-again" | "/api/v1/requests/{id}/file-again") => match who {
            Staff => Allowed,
            OtherMission => Hidden,
            _ => Forbidden,
        },
        (_, "/requests/{id}/edit" | "/requests/{id}/review" | "/requests/{id}/discard")
        | ("patch" | "delete", "/api/v1/requests/{id}") => own,
        // Files, on the mission's draft (`Objects::path`): its own mission's staff only.
        (
            _,
            "/requests/{id}/attachments"
            | "/requests/{id}/attachments/{aid}"
            | "/requests/{id}/attachments/{aid}/remove"
            | "/api/v1/requests/{id}/attachments"
            | "/api/v1/requests/{id}/attachments/{aid}",
        ) => own,
        // The receipt of the request under assessment: everyone who sees it.
        ("get", "/requests/{id}/receipt.pdf" | "/api/v1/requests/{id}/receipt.pdf") => on_request,
        // Its formal reply was not sent yet: it exists for nobody.
        ("get", "/requests/{id}/reply.pdf" | "/api/v1/requests/{id}/reply.pdf") => Hidden,
        (_, "/notifications/{id}/read" | "/api/v1/notifications/{id}/read") => {
            if matches!(who, Admin | Auditor) {
                Forbidden
            } else {
                own
            }
        }
        (_, "/account/tokens/{id}/revoke" | "/account/sessions/{id}/revoke") => own,
        // Operations: the authorities; nobody else is told they exist. PST records threat levels.
        (
            "get",
            "/calendar"
            | "/api/v1/calendar"
            | "/api/v1/calendar.ics"
            | "/missions"
            | "/missions/{id}"
            | "/api/v1/missions/{id}/threat-levels",
        )
        | ("post", "/calendar/feed") => match who {
            Mfa | Police | Pst => Allowed,
            _ => Hidden,
        },
        // Statistics: the Ministry and the police; a mission is not told they exist.
        ("get", "/statistics" | "/statistics.csv" | "/api/v1/statistics") => match who {
            Mfa | Police => Allowed,
            Staff | OtherMission => Hidden,
            _ => Forbidden,
        },
        ("post", "/missions/{id}/threat-levels" | "/api/v1/missions/{id}/threat-levels") => {
            match who {
                Pst => Allowed,
                Mfa | Police => Forbidden,
                _ => Hidden,
            }
        }
        // Auditors read the security log (in full) and administer nothing.
        ("get", "/admin/security-log") if who == Auditor => Allowed,
        (_, p)
            if p.starts_with("/admin/")
                || p.starts_with("/api/v1/missions")
                || p.starts_with("/api/v1/users") =>
        {
            admin_only
        }
        _ => return None,
    })
}

/// The things the matrix acts on.
struct Objects {
    /// A request referred to PST (seen by its mission and every authority).
    request: String,
    /// A draft of the same mission.
    draft: String,
    /// A notification of the staff member.
    notification: String,
    token: String,
    session: String,
    mission: String,
    user: String,
    mail: String,
    /// Files on the draft: one to read, one to remove by the page, one by the API.
    attachment: String,
    removed_by_page: String,
    removed_by_api: String,
}

impl Objects {
    fn path(&self, method: &str, path: &str) -> String {
        let attachment = if path.ends_with("/remove") {
            &self.removed_by_page
        } else if method == "delete" {
            &self.removed_by_api
        } else {
            &self.attachment
        };
        let id = if path.contains("/edit")
            || path.contains("/review")
            || path.contains("/discard")
            || path.contains("/attachments")
            || (path == "/api/v1/requests/{id}" && method != "get")
        {
            &self.draft
        } else if path.starts_with("/requests/") || path.starts_with("/api/v1/requests/") {
            &self.request
        } else if path.contains("notifications/") {
            &self.notification
        } else if path.contains("/tokens/") {
            &self.token
        } else if path.contains("/sessions/") {
            &self.session
        } else if path.contains("/missions/") {
            &self.mission
        } else if path.contains("/users/") {
            &self.user
        } else {
            &self.mail
        };
        path.replace("{id}", id)
            .replace("{aid}", attachment)
            .replace("{_:.*}", "index.html")
    }
}

fn visibility(who: Who) -> &'static str {
    match who {
        Who::Police | Who::Pst => "internal",
        _ => "external",
    }
}

/// A form body that reaches the handler's own work (never one that an extractor refuses first),
/// and changes nothing that the rest of the matrix relies on.
fn form_for(path: &str, who: Who) -> Vec<(&'static str, String)> {
    let stale = "999999".to_owned();
    let action = match who {
        Who::Mfa | Who::Admin => "take",
        Who::Police => "decide",
        Who::Pst => "submit_assessment",
        _ => "withdraw",
    };
    match path {
        "/requests/new" => vec![("op", "save".into())],
        "/requests/{id}/edit" => vec![("op", "save".into()), ("version", stale)],
        "/requests/{id}/discard" => vec![("version", stale)],
        "/requests/{id}/transitions" => vec![("action", action.into()), ("version", stale)],
        // Missions write to the MFA; the police and PST only internal notes.
        "/requests/{id}/messages" => vec![
            ("body", String::new()),
            ("visibility", visibility(who).into()),
        ],
        "/account/language" => vec![("language", "en".into())],
        "/account/tokens" => vec![
            ("token_name", "matrix".into()),
            ("expires_in_days", String::new()),
        ],
        "/account/password" => vec![
            ("current_password", "not the current password".into()),
            ("new_password", "another long passphrase 123".into()),
            (
                "new_password_confirmation",
                "another long passphrase 123".into(),
            ),
        ],
        "/account/recovery-codes" => {
            vec![("codes_current_password", "not the current password".into())]
        }
        "/admin/missions" => vec![
            ("name", "Embassy of Matrixland".into()),
            ("country", "FR".into()),
            ("kind", "embassy".into()),
        ],
        "/admin/missions/{id}/rename" => vec![("name", "Embassy renamed".into())],
        "/admin/users" => vec![
            ("email", "matrix.invitee@example.org".into()),
            ("name", "Matrix Invitee".into()),
            ("role", "mfa_officer".into()),
            ("mission", String::new()),
            ("clearance", "restricted".into()),
        ],
        _ => Vec::new(),
    }
}

fn json_for(method: &str, path: &str, who: Who) -> Option<Value> {
    let action = match who {
        Who::Mfa | Who::Admin => "take",
        Who::Police => "decide",
        Who::Pst => "submit_assessment",
        _ => "withdraw",
    };
    match (method, path) {
        ("post", "/api/v1/requests") => Some(request_body("Drafted by the matrix")),
        ("patch", "/api/v1/requests/{id}") => {
            let mut b = request_body("Changed by the matrix");
            b["version"] = json!(999999);
            Some(b)
        }
        ("post", "/api/v1/requests/{id}/transitions") => {
            Some(json!({ "action": action, "version": 999999 }))
        }
        ("post", "/api/v1/requests/{id}/messages") => {
            Some(json!({ "body": "", "visibility": visibility(who) }))
        }
        ("post", "/api/v1/requests/{id}/file-again") => Some(json!({})),
        // Nothing recorded: an empty level and note are refused after the caller is let in.
        ("post", "/api/v1/missions/{id}/threat-levels") => Some(json!({ "level": "", "note": "" })),
        ("post", "/api/v1/missions") => {
            Some(json!({ "name": "Embassy of Apiland", "country": "DE", "kind": "embassy" }))
        }
        ("post", "/api/v1/users") => Some(json!({
            "email": "matrix.api@example.org", "name": "Matrix Api",
            "role": "police_liaison", "clearance": "restricted"
        })),
        ("patch", "/api/v1/users/{id}") => Some(json!({ "active": true })),
        _ => None,
    }
}

struct Caller {
    who: Who,
    browser: Browser,
    csrf: String,
    token: Option<String>,
}

/// A caller with a browser (signed in unless anonymous) and, when signed in, an API token.
async fn caller(app: &TestApp, who: Who, browser: Browser, person: Option<&Person>) -> Caller {
    let token = match person {
        Some(p) => Some(app.token_for(p).await),
        None => None,
    };
    // A form token of the caller's session (before sign-in, the sign-in page's).
    let from = if token.is_some() {
        "/account"
    } else {
        "/sign-in"
    };
    let csrf = browser.get(from).await.csrf();
    Caller {
        who,
        browser,
        csrf,
        token,
    }
}

fn verdict(expect: Expect, status: u16, location: Option<&str>) -> bool {
    let to_sign_in = matches!(status, 302 | 303) && location == Some("/sign-in");
    match expect {
        Expect::Public => status < 500 && status != 401 && status != 403,
        Expect::Allowed => status < 500 && ![401, 403, 404].contains(&status) && !to_sign_in,
        Expect::SignIn => to_sign_in,
        Expect::Unauthorized => status == 401,
        Expect::Forbidden => status == 403,
        Expect::Hidden => status == 404,
    }
}

#[actix_web::test]
async fn every_route_answers_every_caller_as_the_authorisation_matrix_says() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let mut admin = app.add_person("admin", None, None).await;
    let spare_user = app
        .add_person("mfa_officer", None, Some("restricted"))
        .await;
    let spare_mission = app.add_mission("Embassy of Spareland").await;

    // A request referred to PST, a draft, and a notification for the mission's staff.
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let police = app.signed_in(&mut c.police).await;
    let request = a.file_request("Guard for the national day", 1).await;
    assert_eq!(mfa.act(&request, "take", &[]).await.status, 303);
    assert_eq!(
        mfa.act(&request, "forward_to_police", &[]).await.status,
        303
    );
    assert_eq!(police.act(&request, "refer_to_pst", &[]).await.status, 303);
    let staff_api = app.api(&c.a).await;
    let (status, draft) = staff_api
        .post("/api/v1/requests", request_body("A draft of the mission"))
        .await;
    assert_eq!(status, 201);
    let (_, notes) = staff_api.get("/api/v1/notifications").await;
    let notification = notes["items"][0]["id"].as_str().unwrap().to_owned();
    // A second session of the staff member, to sign out from the first.
    let second = app.browser();
    second.sign_in(&mut c.a).await;
    let account = a.get("/account").await.body;
    let session = account
        .split("/account/sessions/")
        .skip(1)
        .map(|s| s.split('/').next().unwrap().to_owned())
        .next()
        .expect("the other session is listed with a sign-out button");
    let token = protection_portal::db::run(&app.pool, {
        let id = c.a.id.clone();
        move |conn| protection_portal::app::tokens::list(conn, &id)
    })
    .await
    .unwrap()
    .remove(0)
    .id;
    let mail = {
        let mut conn = app.pool.get().unwrap();
        protection_portal::db::outbox::by_status(&mut conn, "pending", 1, 0)
            .unwrap()
            .into_iter()
            .chain(protection_portal::db::outbox::by_status(&mut conn, "sent", 1, 0).unwrap())
            .next()
            .expect("some mail was queued")
            .id
    };
    let draft_id = draft["id"].as_str().unwrap().to_owned();
    let mut files = Vec::new();
    for name in ["plan.png", "remove-by-page.png", "remove-by-api.png"] {
        let (status, added) =
            crate::documents::upload(&staff_api, &draft_id, name, crate::documents::png(), &[])
                .await;
        assert_eq!(status, 201, "{added}");
        files.push(added["id"].as_str().unwrap().to_owned());
    }
    let objects = Objects {
        request,
        attachment: files[0].clone(),
        removed_by_page: files[1].clone(),
        removed_by_api: files[2].clone(),
        draft: draft_id,
        notification,
        token,
        session,
        mission: spare_mission,
        user: spare_user.id.clone(),
        mail,
    };

    let b = app.signed_in(&mut c.b).await;
    let pst = app.signed_in(&mut c.pst).await;
    let admin_browser = app.signed_in(&mut admin).await;
    let mut auditor = app.add_person("auditor", None, None).await;
    let auditor_browser = app.signed_in(&mut auditor).await;
    let callers = vec![
        caller(&app, Who::Anonymous, app.browser(), None).await,
        caller(&app, Who::OtherMission, b, Some(&c.b)).await,
        caller(&app, Who::Mfa, mfa, Some(&c.mfa)).await,
        caller(&app, Who::Police, police, Some(&c.police)).await,
        caller(&app, Who::Pst, pst, Some(&c.pst)).await,
        caller(&app, Who::Admin, admin_browser, Some(&admin)).await,
        caller(&app, Who::Auditor, auditor_browser, Some(&auditor)).await,
        caller(&app, Who::Staff, a, Some(&c.a)).await,
    ];
    assert_eq!(
        callers.iter().map(|c| c.who).collect::<Vec<_>>(),
        EVERYONE.to_vec()
    );

    // Every registered route, sign-out last (it ends the callers' sessions).
    let mut routes = all_routes(true);
    routes.sort_by_key(|(_, path)| *path == "/sign-out");
    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (method, route) in &routes {
        for caller in &callers {
            let Some(expect) = expected(method, route, caller.who) else {
                missing.push(format!("{method} {route} as {:?}", caller.who));
                continue;
            };
            let path = objects.path(method, route);
            let http_method: Method = method.to_uppercase().parse().unwrap();
            let (status, location) = if route.starts_with("/api/") {
                let mut req = reqwest::Client::new().request(http_method, app.url(&path));
                if let Some(t) = &caller.token {
                    req = req.bearer_auth(t);
                }
                if *method == "delete" {
                    req = req.query(&[("version", "999999")]);
                }
                if let Some(body) = json_for(method, route, caller.who) {
                    req = req.json(&body);
                }
                let res = req.send().await.unwrap();
                (res.status().as_u16(), None)
            } else if *method == "get" {
                let page = caller.browser.get(&path).await;
                (page.status, page.location)
            } else {
                let mut form = vec![("csrf_token", caller.csrf.clone())];
                form.extend(form_for(route, caller.who));
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let page = caller.browser.post(&path, &form).await;
                (page.status, page.location)
            };
            checked += 1;
            if !verdict(expect, status, location.as_deref()) {
                wrong.push(format!(
                    "{method} {route} as {:?}: expected {expect:?}, got {status} {location:?}",
                    caller.who
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes without an entry in the authorisation matrix:\n{}",
        missing.join("\n")
    );
    assert!(wrong.is_empty(), "matrix violations:\n{}", wrong.join("\n"));
    assert_eq!(checked, routes.len() * EVERYONE.len());

    // Refusals are in the security log: a 403 with who was refused, and the 404 of a request
    // that exists, and the chain still holds.
    let denied = text_rows(
        &app,
        "SELECT COALESCE(actor_user_id, '-') || ' ' || COALESCE(target_id, '-') || ' ' || detail AS line \
         FROM security_log WHERE event = 'access_denied'",
    );
    assert!(
        denied
            .iter()
            .any(|l| l.starts_with(&c.mfa.id) && l.contains("/admin/users") && l.contains("403")),
        "{denied:#?}"
    );
    assert!(
        denied
            .iter()
            .any(|l| l.starts_with(&c.b.id) && l.contains(&objects.request) && l.contains("404")),
        "{denied:#?}"
    );
    let mut conn = app.pool.get().unwrap();
    assert!(protection_portal::audit::verify(&mut conn).unwrap().is_ok());
}

// ---- fail closed --------------------------------------------------------------------------------

/// Makes every insert into the e-mail outbox fail inside the database, as a full disk or a lost
/// connection would in the last step of an action (after the state change, its timeline event,
/// its security-log entry and its in-portal notifications were written).
fn break_the_outbox(app: &TestApp) {
    if app.db.is_postgres() {
        execute(
            app,
            "CREATE FUNCTION injected_failure() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER injected_failure BEFORE INSERT ON outbox \
             FOR EACH ROW EXECUTE FUNCTION injected_failure();",
        );
    } else {
        execute(
            app,
            "CREATE TRIGGER injected_failure BEFORE INSERT ON outbox \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        );
    }
}

fn repair_the_outbox(app: &TestApp) {
    if app.db.is_postgres() {
        execute(
            app,
            "DROP TRIGGER injected_failure ON outbox; DROP FUNCTION injected_failure();",
        );
    } else {
        execute(app, "DROP TRIGGER injected_failure;");
    }
}

/// Counts of everything an action writes.
fn footprint(app: &TestApp, request: &str) -> Vec<String> {
    let mut all = text_rows(
        app,
        &format!(
            "SELECT state || ' v' || CAST(version AS TEXT) AS line FROM requests WHERE id = '{request}'"
        ),
    );
    for table in [
        "timeline_events",
        "security_log",
        "notifications",
        "outbox",
        "messages",
    ] {
        all.extend(text_rows(
            app,
            &format!("SELECT '{table} ' || CAST(COUNT(*) AS TEXT) AS line FROM {table}"),
        ));
    }
    all
}

#[actix_web::test]
async fn a_database_failure_mid_action_leaves_nothing_half_written_and_shows_a_reference() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let mfa = app.signed_in(&mut c.mfa).await;
    let request = a.file_request("Barriers on the public street", 1).await;
    assert_eq!(mfa.act(&request, "take", &[]).await.status, 303);
    let before = footprint(&app, &request);

    break_the_outbox(&app);
    // Through a page: a generic error page with the reference to quote, nothing internal.
    let page = mfa.act(&request, "forward_to_police", &[]).await;
    assert_eq!(page.status, 500, "{}", page.body);
    assert!(page.body.contains("Nothing was changed"), "{}", page.body);
    let reference = between(&page.body, "class=\"correlation\">", "<").expect("a reference");
    assert_eq!(reference.len(), 32);
    for internal in [
        "injected", "outbox", "INSERT", "trigger", "sqlite", "postgres",
    ] {
        assert!(
            !page.body.to_lowercase().contains(&internal.to_lowercase()),
            "{internal} in {}",
            page.body
        );
    }
    assert_eq!(
        footprint(&app, &request),
        before,
        "nothing of the action stays"
    );
    // The operator's log has the cause under the same reference.
    let logs = crate::helpers::captured_logs();
    assert!(
        logs.lines()
            .any(|l| l.contains(&reference) && l.contains("injected failure")),
        "the log ties the failure to the reference"
    );

    // Through the API: the same, as JSON.
    let api = app.api(&c.mfa).await;
    let before = footprint(&app, &request);
    let (status, body) = api
        .act(&request, json!({ "action": "forward_to_police" }))
        .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["code"], "internal");
    assert!(!body.to_string().to_lowercase().contains("injected"));
    assert_eq!(footprint(&app, &request), before);

    // Once the database is sound again the same action goes through, from the same version.
    repair_the_outbox(&app);
    let page = mfa.act(&request, "forward_to_police", &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let after = footprint(&app, &request);
    assert_ne!(after, before);
    assert!(after[0].starts_with("police_review"), "{after:?}");
    let mut conn = app.pool.get().unwrap();
    assert!(protection_portal::audit::verify(&mut conn).unwrap().is_ok());
}

// ---- the security log under concurrent writers -------------------------------------------------

#[actix_web::test]
async fn the_security_log_never_forks_under_concurrent_writers() {
    let app = spawn_app().await;
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let pool = app.pool.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                for i in 0..25 {
                    let entry = protection_portal::app::Acting::command_line().entry(
                        "concurrency_probe",
                        "probe",
                        &format!("{t}-{i}"),
                        json!({}),
                    );
                    protection_portal::db::write(&mut conn, |conn| {
                        protection_portal::audit::record(
                            conn,
                            &entry,
                            protection_portal::app::now(),
                        )
                    })
                    .expect("append succeeds");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut conn = app.pool.get().unwrap();
    let intact = protection_portal::audit::verify(&mut conn)
        .unwrap()
        .expect("one unbroken chain");
    let probes = text_rows(
        &app,
        "SELECT target_id AS line FROM security_log WHERE event = 'concurrency_probe'",
    );
    assert_eq!(probes.len(), 100);
    assert!(intact >= 100);
}

// ---- workflow abuse ---------------------------------------------------------------------------

/// What a viewer sees of a request: status, version and timeline.
async fn snapshot(api: &Api, id: &str) -> (Value, Value, Value) {
    let (_, r) = api.get(&format!("/api/v1/requests/{id}")).await;
    let (_, t) = api.get(&format!("/api/v1/requests/{id}/timeline")).await;
    (r["status"].clone(), r["version"].clone(), t)
}

async fn transition(api: &Api, id: &str, body: Value) -> u16 {
    api.post(&format!("/api/v1/requests/{id}/transitions"), body)
        .await
        .0
}

#[actix_web::test]
async fn skipped_steps_replays_stale_versions_and_closed_requests_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let mfa = app.api(&c.mfa).await;
    let police = app.api(&c.police).await;
    let (_, r) = staff
        .post("/api/v1/requests", request_body("Patrols"))
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    // A draft does not exist for the MFA; the mission cannot act for the MFA.
    assert_eq!(
        transition(&mfa, &id, json!({ "action": "take", "version": 1 })).await,
        404
    );
    let v = r["version"].as_i64().unwrap();
    assert_eq!(
        transition(
            &staff,
            &id,
            json!({ "action": "forward_to_police", "version": v })
        )
        .await,
        403
    );
    // Fields a mission may not set are refused, not ignored.
    let mut forged = request_body("Forged");
    forged["mission_id"] = json!("someone-else");
    assert_eq!(staff.post("/api/v1/requests", forged).await.0, 422);
    let mut forged = request_body("Forged");
    forged["status"] = json!("approved");
    assert_eq!(staff.post("/api/v1/requests", forged).await.0, 422);

    assert_eq!(
        transition(&staff, &id, json!({ "action": "submit", "version": v })).await,
        200
    );
    // Replaying the submission: with the old version it is stale, with the new one it is no
    // longer possible.
    let after_submit = snapshot(&mfa, &id).await;
    assert_eq!(
        transition(&staff, &id, json!({ "action": "submit", "version": v })).await,
        409
    );
    let (_, r) = staff.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(
        transition(
            &staff,
            &id,
            json!({ "action": "submit", "version": r["version"] })
        )
        .await,
        422
    );
    // Skipping triage: forwarding before taking, deciding before the police have it.
    let v = after_submit.1.clone();
    assert_eq!(
        transition(
            &mfa,
            &id,
            json!({ "action": "forward_to_police", "version": v })
        )
        .await,
        422
    );
    assert_eq!(
        transition(
            &mfa,
            &id,
            json!({ "action": "communicate_decision", "version": v, "reply": "Yes." })
        )
        .await,
        422
    );
    assert_eq!(
        transition(&police, &id, json!({ "action": "decide", "version": v })).await,
        404,
        "the police do not know of it before it is forwarded"
    );
    assert_eq!(snapshot(&mfa, &id).await, after_submit);

    // Two officers acting on the same version: the second is stale.
    assert_eq!(
        transition(&mfa, &id, json!({ "action": "take", "version": v })).await,
        200
    );
    assert_eq!(
        transition(&mfa, &id, json!({ "action": "take", "version": v })).await,
        409
    );
    let (_, r) = mfa.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(
        transition(
            &mfa,
            &id,
            json!({ "action": "forward_to_police", "version": r["version"] })
        )
        .await,
        200
    );
    let (_, r) = police.get(&format!("/api/v1/requests/{id}")).await;
    let before = snapshot(&police, &id).await;
    assert_eq!(
        transition(&police, &id, json!({ "action": "confirm_implementation", "version": r["version"], "implemented": [] })).await,
        422,
        "nothing to confirm before a decision"
    );
    assert_eq!(snapshot(&police, &id).await, before);

    // Withdrawn: nothing more happens to it.
    let (_, r) = staff.get(&format!("/api/v1/requests/{id}")).await;
    assert_eq!(
        transition(
            &staff,
            &id,
            json!({ "action": "withdraw", "version": r["version"] })
        )
        .await,
        200
    );
    let closed = snapshot(&police, &id).await;
    assert_eq!(closed.0, "withdrawn");
    let (_, r) = staff.get(&format!("/api/v1/requests/{id}")).await;
    let (_, p) = police.get(&format!("/api/v1/requests/{id}")).await;
    for (api, body) in [
        (
            &staff,
            json!({ "action": "withdraw", "version": r["version"] }),
        ),
        (
            &staff,
            json!({ "action": "provide_information", "version": r["version"], "message": "More." }),
        ),
        (
            &police,
            json!({ "action": "refer_to_pst", "version": p["version"] }),
        ),
        (
            &police,
            json!({ "action": "end_measures", "version": p["version"] }),
        ),
    ] {
        assert_eq!(transition(api, &id, body.clone()).await, 422, "{body}");
    }
    let mut edit = request_body("Changed after withdrawal");
    edit["version"] = r["version"].clone();
    assert_eq!(
        staff
            .call(Method::PATCH, &format!("/api/v1/requests/{id}"), Some(edit))
            .await
            .0,
        422
    );
    assert_eq!(
        staff
            .call(
                Method::DELETE,
                &format!("/api/v1/requests/{id}?version={}", r["version"]),
                None
            )
            .await
            .0,
        422,
        "only drafts can be discarded"
    );
    assert_eq!(snapshot(&police, &id).await, closed);
}

// ---- sessions and cross-site requests ----------------------------------------------------------

#[actix_web::test]
async fn sessions_cannot_be_fixed_replayed_after_sign_out_or_ridden_from_another_site() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let mut person = c.mfa.clone();

    // Fixation: the cookie an attacker planted before sign-in is worth nothing after it.
    let victim = app.browser();
    let pre = victim.get("/sign-in").await;
    assert_eq!(pre.status, 200);
    let planted = victim.cookie().expect("a session before sign-in");
    victim.sign_in(&mut person).await;
    let signed_in = victim.cookie().unwrap();
    assert_ne!(planted, signed_in, "the session id is renewed at sign-in");
    let with_cookie = |cookie: String, path: &'static str| {
        let url = app.url(path);
        async move {
            let res = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            (
                res.status().as_u16(),
                res.headers()
                    .get("location")
                    .map(|v| v.to_str().unwrap().to_owned()),
            )
        }
    };
    assert_eq!(
        with_cookie(planted.clone(), "/account").await,
        (302, Some("/sign-in".into()))
    );
    // A made-up cookie is no session either.
    assert_eq!(
        with_cookie("portal_session=made-up-value".into(), "/account").await,
        (302, Some("/sign-in".into()))
    );
    assert_eq!(with_cookie(signed_in.clone(), "/account").await.0, 200);

    // Cross-site form posts are refused even with the right cookie and token.
    let csrf = victim.get("/account").await.csrf();
    let post = |headers: Vec<(&'static str, &'static str)>, token: String| {
        let url = app.url("/account/tokens");
        let cookie = signed_in.clone();
        async move {
            let mut req = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .post(url)
                .header("cookie", cookie)
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("token_name", "planted by another site"),
                    ("expires_in_days", ""),
                ]);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            req.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(
        post(vec![("origin", "https://evil.example")], csrf.clone()).await,
        403
    );
    assert_eq!(
        post(vec![("sec-fetch-site", "cross-site")], csrf.clone()).await,
        403
    );
    // `Origin: null` (a sandboxed frame, a data: page) is only accepted when the browser says
    // the post is same-origin — as real browsers do for the portal's own forms, whose
    // no-referrer policy makes them send `Origin: null`.
    assert_eq!(post(vec![("origin", "null")], csrf.clone()).await, 403);
    assert_eq!(
        post(
            vec![("origin", "null"), ("sec-fetch-site", "cross-site")],
            csrf.clone()
        )
        .await,
        403
    );
    assert_eq!(post(vec![], String::new()).await, 403, "no token");
    assert_eq!(
        post(vec![], "a".repeat(csrf.len())).await,
        403,
        "a guessed token"
    );
    assert_eq!(
        post(vec![], pre.csrf()).await,
        403,
        "the token from before sign-in was replaced"
    );
    assert!(
        !victim
            .get("/account")
            .await
            .body
            .contains("planted by another site"),
        "no refused post created anything"
    );

    // Replay after sign-out: the old cookie and token are dead everywhere.
    assert_eq!(victim.sign_out().await.status, 303);
    assert_eq!(
        with_cookie(signed_in.clone(), "/account").await,
        (302, Some("/sign-in".into()))
    );
    let replayed = post(vec![], csrf).await;
    assert!(
        replayed == 403 || replayed == 302,
        "a replayed form after sign-out is refused ({replayed})"
    );
    assert!(
        text_rows(
            &app,
            "SELECT name AS line FROM api_tokens WHERE name = 'planted by another site'"
        )
        .is_empty()
    );
}

// ---- parameter pollution -------------------------------------------------------------------------

#[actix_web::test]
async fn a_parameter_sent_twice_or_search_text_out_of_bounds_is_refused() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.signed_in(&mut c.a).await;
    let csrf = a.get("/account").await.csrf();

    // A form field twice: refused before anything is stored.
    let page = a
        .post(
            "/account/tokens",
            &[
                ("csrf_token", csrf.as_str()),
                ("token_name", "first"),
                ("token_name", "second"),
                ("expires_in_days", ""),
            ],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("token_name"), "{}", page.body);
    assert!(page.body.contains("more than once"));
    assert!(text_rows(&app, "SELECT name AS line FROM api_tokens").is_empty());
    // A query parameter twice, on a page and in the API.
    let page = a.get("/?status=under_assessment&status=withdrawn").await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("status"));
    let api = app.api(&c.a).await;
    let (status, body) = api.get("/api/v1/requests?page=1&page=2").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
    // A JSON member twice.
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/requests"))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body(
            request_body("Twice")
                .to_string()
                .replacen('{', "{\"title\":\"Once more\",", 1),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate field `title`"),
        "{body}"
    );
    assert_eq!(api.get("/api/v1/requests").await.1["total"], 0);

    // Search text has a maximum and no control characters, like every other text field.
    for q in ["x".repeat(201), "line%0Abreak".into(), "bell%07".into()] {
        let (status, body) = api.get(&format!("/api/v1/requests?q={q}")).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["fields"][0]["field"], "q", "{body}");
        let page = a.get(&format!("/?q={q}")).await;
        assert_eq!(page.status, 422);
    }
    assert_eq!(
        api.get(&format!("/api/v1/requests?q={}", "x".repeat(200)))
            .await
            .0,
        200
    );
}

// ---- injection -----------------------------------------------------------------------------------

const MARKUP: &str = "<script>alert('pwned')</script>\"><img src=x onerror=alert(1)>";
const SQL_META: &str = "'; DROP TABLE requests; -- %_\\";

fn hostile(label: &str) -> String {
    format!("{label} {MARKUP} {SQL_META}")
}

/// A page must never carry the payload as markup; returns whether it shows it (escaped).
fn shows_escaped(path: &str, body: &str) -> bool {
    for raw in ["<script>alert", "<img src=x", "onerror=alert(1)>"] {
        assert!(!body.contains(raw), "{path} carries {raw} unescaped");
    }
    body.contains("&lt;script&gt;alert(")
}

#[actix_web::test]
async fn markup_and_sql_in_every_text_field_are_stored_exactly_and_shown_only_escaped() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let mut admin = app.add_person("admin", None, None).await;
    let (staff, mfa, police, pst, admin_api) = (
        app.api(&c.a).await,
        app.api(&c.mfa).await,
        app.api(&c.police).await,
        app.api(&c.pst).await,
        app.api(&admin).await,
    );

    // Every free-text field of a request, its messages, notes, assessment, decision and reply.
    let body = json!({
        "title": hostile("Title"),
        "justification": hostile("Justification with enough words"),
        "urgency": "urgent",
        "contact": { "name": hostile("Contact"), "phone": "+354 555 0100", "email": "gudrun@iceland.example" },
        "measures": [
            { "kind": "other", "location": "other", "address": hostile("Address"),
              "starts_on": crate::helpers::day(1), "ends_on": crate::helpers::day(9),
              "description": hostile("Description") }
        ]
    });
    let (status, r) = staff.post("/api/v1/requests", body).await;
    assert_eq!(status, 201, "{r}");
    let id = r["id"].as_str().unwrap().to_owned();
    assert_eq!(r["title"], hostile("Title"), "stored exactly as typed");
    assert_eq!(staff.act(&id, json!({ "action": "submit" })).await.0, 200);
    assert_eq!(mfa.act(&id, json!({ "action": "take" })).await.0, 200);
    let note = json!({ "body": hostile("Note"), "visibility": "internal", "classification": "unclassified" });
    assert_eq!(
        mfa.post(&format!("/api/v1/requests/{id}/messages"), note)
            .await
            .0,
        201
    );
    for (api, body) in [
        (
            &mfa,
            json!({ "action": "request_information", "message": hostile("Question") }),
        ),
        (
            &staff,
            json!({ "action": "provide_information", "message": hostile("Answer") }),
        ),
        (&mfa, json!({ "action": "forward_to_police" })),
        (&police, json!({ "action": "refer_to_pst" })),
        (
            &pst,
            json!({ "action": "submit_assessment", "assessment": { "threat_level": "high", "summary": hostile("Assessment"), "classification": "restricted" } }),
        ),
    ] {
        let (status, r) = api.act(&id, body.clone()).await;
        assert_eq!(status, 200, "{body}: {r}");
    }
    let (_, full) = police.get(&format!("/api/v1/requests/{id}")).await;
    let measure = full["measures"][0]["id"].clone();
    let (status, r) = police
        .act(&id, json!({ "action": "decide", "outcomes": [{ "measure_id": measure, "outcome": "approved_with_conditions", "conditions": hostile("Conditions") }] }))
        .await;
    assert_eq!(status, 200, "{r}");
    let (status, r) = mfa
        .act(
            &id,
            json!({ "action": "communicate_decision", "reply": hostile("Reply") }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    // Names an administrator types, and a token's name.
    let (status, mission) = admin_api
        .post(
            "/api/v1/missions",
            json!({ "name": hostile("Mission"), "country": "FR", "kind": "embassy" }),
        )
        .await;
    assert_eq!(status, 201, "{mission}");
    let (status, user) = admin_api
        .post("/api/v1/users", json!({ "email": "hostile@example.org", "name": hostile("Person"), "role": "mfa_officer", "clearance": "restricted" }))
        .await;
    assert_eq!(status, 201, "{user}");
    let a = app.signed_in(&mut c.a).await;
    let csrf = a.get("/account").await.csrf();
    let code = c.a.next_code().await;
    assert_eq!(
        a.post(
            "/account/tokens",
            &[
                ("csrf_token", csrf.as_str()),
                ("token_name", MARKUP),
                ("expires_in_days", ""),
                ("token_totp_code", &code),
            ]
        )
        .await
        .status,
        200
    );

    // Every page of every role: never markup, and the text shown escaped where it belongs.
    let request_page = format!("/requests/{id}");
    let mut seen = Vec::new();
    let pages: Vec<(Browser, Vec<String>)> = vec![
        (
            a,
            vec![
                "/".into(),
                request_page.clone(),
                "/notifications".into(),
                "/account".into(),
                "/?q=DROP".into(),
            ],
        ),
        (
            app.signed_in(&mut c.mfa).await,
            vec!["/".into(), request_page.clone(), "/?q=%25_".into()],
        ),
        (
            app.signed_in(&mut c.police).await,
            vec!["/".into(), request_page.clone(), "/notifications".into()],
        ),
        (
            app.signed_in(&mut c.pst).await,
            vec!["/".into(), request_page.clone()],
        ),
        (
            app.signed_in(&mut admin).await,
            vec![
                "/admin/users".into(),
                "/admin/missions".into(),
                format!("/admin/users/{}", user["id"].as_str().unwrap()),
                format!("/admin/missions/{}", mission["id"].as_str().unwrap()),
                "/admin/security-log".into(),
                "/admin/deliveries".into(),
                "/admin/jobs".into(),
            ],
        ),
    ];
    for (browser, paths) in &pages {
        for path in paths {
            let page = browser.get(path).await;
            assert_eq!(page.status, 200, "{path}");
            seen.push((path.clone(), shows_escaped(path, &page.body), page.body));
        }
    }
    let shown = |path: &str| seen.iter().filter(|(p, s, _)| p == path && *s).count();
    assert_eq!(shown(&request_page), 4, "each role sees the text escaped");
    assert_eq!(shown("/admin/users"), 1);
    assert_eq!(shown("/admin/missions"), 1);
    assert_eq!(shown("/account"), 1);
    // The mission's page shows the reply and the conditions exactly as typed.
    let mission_page = &seen[1].2;
    assert!(mission_page.contains("Reply &lt;script&gt;"));
    assert!(mission_page.contains("Conditions &lt;script&gt;"));
    assert!(mission_page.contains("DROP TABLE requests; --"));

    // SQL and full-text syntax are data: the words around them find the request, and no
    // character stands for "anything" (a search without a word finds nothing).
    let (status, plain) = staff
        .post(
            "/api/v1/requests",
            request_body("Plain title without wildcards"),
        )
        .await;
    assert_eq!(status, 201, "{plain}");
    for q in [
        "DROP%20TABLE",
        "%27%3B%20DROP%20TABLE%20requests%3B%20--",
        "drop*",
        "%22drop%22",
    ] {
        let (status, list) = staff.get(&format!("/api/v1/requests?q={q}")).await;
        assert_eq!(status, 200, "{q}: {list}");
        assert_eq!(
            list["total"], 1,
            "q={q} finds only the request that contains it"
        );
        assert_eq!(list["items"][0]["id"], id.as_str());
    }
    for q in ["%25_", "%25", "_", "%5C", "*", "%22%22", "NEAR(", ":"] {
        let (status, list) = staff.get(&format!("/api/v1/requests?q={q}")).await;
        assert_eq!(status, 200, "{q}: {list}");
        assert_eq!(list["total"], 0, "q={q} finds nothing: {list}");
    }
    assert_eq!(staff.get("/api/v1/requests").await.1["total"], 2);
}

#[actix_web::test]
async fn line_breaks_in_names_never_add_mail_headers() {
    let app = spawn_app().await;
    let server = crate::smtp::SmtpServer::start().await;
    let admin = app.add_person("admin", None, None).await;
    let api = app.api(&admin).await;
    for name in [
        "Eve\r\nBcc: spy@evil.example",
        "Eve\nBcc: spy@evil.example",
        "Eve\rBcc: spy@evil.example",
    ] {
        let (status, body) = api
            .post("/api/v1/users", json!({ "email": "eve@example.org", "name": name, "role": "mfa_officer", "clearance": "none" }))
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["fields"][0]["field"], "name", "{body}");
    }
    let (status, body) = api
        .post("/api/v1/users", json!({ "email": "eve\r\nBcc: spy@evil.example", "name": "Eve", "role": "mfa_officer", "clearance": "none" }))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "email", "{body}");
    // A header-like name on one line is only a name: one recipient, no extra header.
    let (status, body) = api
        .post("/api/v1/users", json!({ "email": "eve@example.org", "name": "Eve Bcc: spy@evil.example", "role": "mfa_officer", "clearance": "none" }))
        .await;
    assert_eq!(status, 201, "{body}");
    let settings = crate::helpers::smtp_settings(&app, &server);
    crate::helpers::drain(crate::helpers::worker(&app, settings)).await;
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].recipients, vec!["eve@example.org".to_owned()]);
    let head = messages[0]
        .data
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .to_lowercase();
    assert!(!head.lines().any(|l| l.starts_with("bcc:")), "{head}");
    assert!(!head.contains("spy@evil.example"), "{head}");
}

// ---- tenant and need-to-know isolation ------------------------------------------------------------

#[actix_web::test]
async fn another_mission_and_unreferred_authorities_find_nothing_by_search_count_or_page() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let (staff, other, mfa, police, pst) = (
        app.api(&c.a).await,
        app.api(&c.b).await,
        app.api(&c.mfa).await,
        app.api(&c.police).await,
        app.api(&c.pst).await,
    );
    let mut ids = Vec::new();
    for i in 0..3 {
        let (_, r) = staff
            .post(
                "/api/v1/requests",
                request_body(&format!("Isolated request {i}")),
            )
            .await;
        let id = r["id"].as_str().unwrap().to_owned();
        assert_eq!(staff.act(&id, json!({ "action": "submit" })).await.0, 200);
        ids.push(id);
    }
    let (_, own) = other
        .post("/api/v1/requests", request_body("The other mission's own"))
        .await;

    // The other mission: its own draft only, whatever it asks for.
    for q in [
        "".to_owned(),
        "?q=Isolated".into(),
        format!("?mission_id={}", c.mission_a),
        "?status=received".into(),
        "?page=2&per_page=1".into(),
    ] {
        let (status, list) = other.get(&format!("/api/v1/requests{q}")).await;
        assert_eq!(status, 200, "{q}");
        // Only its own draft ever counts.
        let expected = if q.is_empty() || q.starts_with("?page") {
            1
        } else {
            0
        };
        assert_eq!(list["total"], expected, "{q}: {list}");
        assert!(!list.to_string().contains("Isolated"), "{q}");
    }
    assert_eq!(
        other.get("/api/v1/requests").await.1["items"][0]["id"],
        own["id"]
    );
    // The police and PST before anything was forwarded or referred.
    for api in [&police, &pst] {
        let (_, list) = api.get("/api/v1/requests?q=Isolated").await;
        assert_eq!(list["total"], 0);
        for id in &ids {
            for path in ["", "/messages", "/timeline"] {
                assert_eq!(
                    api.get(&format!("/api/v1/requests/{id}{path}")).await.0,
                    404
                );
            }
        }
    }
    // The MFA sees the three submitted requests, and never the other mission's draft, also
    // when paging one at a time.
    let mut paged = Vec::new();
    for page in 1..=4 {
        let (_, list) = mfa
            .get(&format!("/api/v1/requests?per_page=1&page={page}"))
            .await;
        assert_eq!(list["total"], 3);
        paged.extend(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned()),
        );
    }
    paged.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(paged, expected);
    // Once one is forwarded, the police see exactly that one.
    assert_eq!(mfa.act(&ids[0], json!({ "action": "take" })).await.0, 200);
    assert_eq!(
        mfa.act(&ids[0], json!({ "action": "forward_to_police" }))
            .await
            .0,
        200
    );
    let (_, list) = police.get("/api/v1/requests").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], ids[0].as_str());
    assert_eq!(pst.get("/api/v1/requests").await.1["total"], 0);

    // The same through the pages: the other mission's list and search show none of it.
    let b = app.signed_in(&mut c.b).await;
    for path in ["/", "/?q=Isolated", "/?status=received", "/notifications"] {
        let page = b.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        // (The search box shows what was searched for; no title may appear.)
        assert!(!page.body.contains("Isolated request"), "{path}");
        for id in &ids {
            assert!(!page.body.contains(id.as_str()), "{path}");
        }
    }
    for id in &ids {
        assert_eq!(b.get(&format!("/requests/{id}")).await.status, 404);
    }
}

// ---- log hygiene ------------------------------------------------------------------------------------

/// Whether `needle` stands in `haystack` on its own (not inside a longer word, a hex id or the
/// fraction of a timestamp).
fn stands_in(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '.')
            && !after.is_some_and(|c| c.is_alphanumeric())
    })
}

#[actix_web::test]
async fn no_password_code_token_session_id_or_classified_text_reaches_a_log_or_an_open_table() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let mut secrets: Vec<(String, String)> = Vec::new();

    // Sign-ins (with one wrong password and one wrong code first), pages, tokens.
    let stranger = app.browser();
    let wrong_password = "wrong-passphrase-9c41e0d2";
    let page = stranger
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", &c.mfa.email), ("password", wrong_password)],
        )
        .await;
    assert_ne!(page.status, 303, "the wrong password is refused");
    secrets.push(("a wrong password".into(), wrong_password.into()));
    let mut browsers = Vec::new();
    for person in [&mut c.a, &mut c.mfa, &mut c.police, &mut c.pst] {
        let b = app.signed_in(person).await;
        secrets.push(("a password".into(), person.password.clone()));
        let code = protection_portal::auth::totp::code_at(
            person.totp_secret.as_ref().unwrap(),
            (person.last_step * 30) as u64,
        )
        .unwrap();
        secrets.push(("a TOTP code".into(), code));
        secrets.push(("a TOTP secret".into(), person.totp_secret.clone().unwrap()));
        let cookie = b.cookie().unwrap();
        secrets.push((
            "a session cookie".into(),
            cookie.split_once('=').unwrap().1.to_owned(),
        ));
        secrets.push(("a CSRF token".into(), b.get("/account").await.csrf()));
        browsers.push(b);
    }
    let (staff, mfa, police, pst) = (
        app.api(&c.a).await,
        app.api(&c.mfa).await,
        app.api(&c.police).await,
        app.api(&c.pst).await,
    );
    for api in [&staff, &mfa, &police, &pst] {
        secrets.push(("an API token".into(), api.token.clone()));
    }
    // A wrong TOTP code at a second sign-in.
    let again = app.browser();
    let res = again
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", &c.police.email), ("password", &c.police.password)],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/sign-in/code"));
    let wrong_code = "918273";
    assert_ne!(
        again
            .submit("/sign-in/code", "/sign-in/code", &[("code", wrong_code)])
            .await
            .status,
        303,
        "the wrong code is refused"
    );
    secrets.push(("a wrong code".into(), wrong_code.into()));

    // Classified text: a restricted note and a restricted assessment, read by everyone cleared.
    let (_, r) = staff
        .post("/api/v1/requests", request_body("Hygiene"))
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    assert_eq!(staff.act(&id, json!({ "action": "submit" })).await.0, 200);
    assert_eq!(mfa.act(&id, json!({ "action": "take" })).await.0, 200);
    assert_eq!(
        mfa.act(&id, json!({ "action": "forward_to_police" }))
            .await
            .0,
        200
    );
    let note = "CLASSIFIED-NOTE-5e1f the informant's name";
    let (status, _) = police
        .post(
            &format!("/api/v1/requests/{id}/messages"),
            json!({ "body": note, "visibility": "internal", "classification": "restricted" }),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        police.act(&id, json!({ "action": "refer_to_pst" })).await.0,
        200
    );
    let assessment = "CLASSIFIED-ASSESSMENT-77b0 group X plans a protest";
    let (status, _) = pst
        .act(&id, json!({ "action": "submit_assessment", "assessment": { "threat_level": "high", "summary": assessment, "classification": "restricted" } }))
        .await;
    assert_eq!(status, 200);
    let above = "ABOVE-CEILING-31c9 secret material";
    let (status, _) = police
        .post(
            &format!("/api/v1/requests/{id}/messages"),
            json!({ "body": above, "visibility": "internal", "classification": "secret" }),
        )
        .await;
    assert_eq!(status, 422);
    for b in &browsers {
        assert_eq!(b.get(&format!("/requests/{id}")).await.status, 200);
    }
    for (what, text) in [
        ("classified note", note),
        ("classified assessment", assessment),
        ("refused text", above),
    ] {
        secrets.push((what.into(), text.into()));
    }

    // Where none of it may be: the log of every server in this run, and the tables anyone
    // operating the portal reads.
    let logs = crate::helpers::captured_logs();
    // Positive controls: the search below finds what does stand in the log and the tables.
    assert!(stands_in(&logs, &id), "the log holds this test's requests");
    let open_tables = [
        "SELECT event || ' ' || outcome || ' ' || COALESCE(actor_user_id, '') || ' ' || COALESCE(client_addr, '') || ' ' || COALESCE(target_id, '') || ' ' || detail AS line FROM security_log",
        "SELECT kind || ' ' || payload AS line FROM notifications",
        "SELECT kind || ' ' || recipient_email || ' ' || payload || ' ' || COALESCE(last_error, '') AS line FROM outbox",
        "SELECT action || ' ' || to_state AS line FROM timeline_events",
        "SELECT name || ' ' || prefix AS line FROM api_tokens",
    ];
    let mut stored = Vec::new();
    for sql in open_tables {
        stored.extend(text_rows(&app, sql));
    }
    assert!(stored.iter().any(|row| stands_in(row, &c.police.id)));
    // Session state may hold the session's own CSRF token, and nothing else secret.
    let session_state = text_rows(&app, "SELECT state AS line FROM sessions");
    for (what, secret) in &secrets {
        assert!(
            !stands_in(&logs, secret),
            "{what} is in the application log"
        );
        for row in &stored {
            assert!(!stands_in(row, secret), "{what} is stored in {row}");
        }
        if what != "a CSRF token" {
            for row in &session_state {
                assert!(!stands_in(row, secret), "{what} is in a session's state");
            }
        }
    }
    // The classified reads were logged, without their text.
    let reads = text_rows(
        &app,
        "SELECT event AS line FROM security_log WHERE event LIKE 'classified%'",
    );
    assert!(!reads.is_empty());
}
