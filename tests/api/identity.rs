//! Identity and access: sign-in with a second factor, sessions, throttling, CSRF, administration.

use protection_portal::auth::totp;
use protection_portal::db::{self, outbox, security_log, users};

use crate::helpers::{Options, between, path_of, spawn_app, spawn_app_with};

fn events(app: &crate::helpers::TestApp, event: &str) -> usize {
    let mut conn = app.pool.get().unwrap();
    security_log::newest(&mut conn, Some(event), 1000)
        .unwrap()
        .len()
}

#[actix_web::test]
async fn first_sign_in_enrols_the_second_factor_and_renews_the_session() {
    let app = spawn_app().await;
    let mission = app.add_mission("Embassy of Iceland").await;
    let mut staff = app.add_person("mission_staff", Some(&mission), None).await;
    let b = app.browser();

    // Unauthenticated pages send people to sign in.
    let home = b.get("/account").await;
    assert_eq!(home.status, 302);
    assert_eq!(home.location.as_deref(), Some("/sign-in"));

    let form = b.get("/sign-in").await;
    let before = b
        .cookie()
        .expect("a session for the sign-in form's CSRF token");
    let res = b
        .post(
            "/sign-in",
            &[
                ("csrf_token", &form.csrf()),
                ("email", &staff.email),
                ("password", &staff.password),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location.as_deref(), Some("/sign-in/enrol"));
    let after_password = b.cookie().unwrap();
    assert_ne!(before, after_password, "session id renewed at sign-in");

    // Still not signed in: the home page is the visitor's.
    assert_eq!(b.get("/account").await.status, 302);

    let enrol = b.get("/sign-in/enrol").await;
    assert!(enrol.body.contains("<svg"), "QR code drawn on the server");
    let secret = between(&enrol.body, "<span class=\"secret\">", "</span>").unwrap();
    staff.totp_secret = Some(secret.clone());

    // A wrong code is refused and keeps the page.
    let wrong = b
        .submit("/sign-in/enrol", "/sign-in/enrol", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("id=\"code-error\""));

    let code = staff.next_code().await;
    let done = b
        .submit("/sign-in/enrol", "/sign-in/enrol", &[("code", &code)])
        .await;
    assert_eq!(done.status, 200);
    let codes: Vec<String> = done
        .body
        .split("<ul class=\"codes\">")
        .nth(1)
        .unwrap()
        .split("</ul>")
        .next()
        .unwrap()
        .split("<li>")
        .skip(1)
        .map(|c| c.trim_end_matches("</li>").to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    assert_ne!(
        b.cookie().unwrap(),
        after_password,
        "session id renewed after the second factor"
    );

    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(
        home.body.contains("Requests from Embassy of Iceland"),
        "{}",
        home.body
    );
    assert!(home.body.contains("Sign out"));

    // Recovery codes are stored hashed only.
    let mut conn = app.pool.get().unwrap();
    let stored = users::find(&mut conn, &staff.id).unwrap().unwrap();
    // The seed is sealed (tests/api/attack_keys.rs): it opens, for this account only.
    let sealed = stored.totp_secret.as_deref().unwrap();
    assert!(!sealed.contains(secret.as_str()));
    let keys = protection_portal::auth::keys::current();
    let opened = keys
        .open(
            &protection_portal::auth::keys::totp_context(&staff.id),
            sealed,
        )
        .unwrap();
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&opened),
        secret.as_str()
    );
    assert_eq!(
        db::recovery_codes::count_unused(&mut conn, &staff.id).unwrap(),
        10
    );
    drop(conn);
    assert!(events(&app, "second_factor_enrolled") == 1 && events(&app, "sign_in") == 1);

    // Sign out: the old cookie is dead everywhere.
    let cookie = b.cookie().unwrap();
    assert_eq!(b.sign_out().await.status, 303);
    let replay = app
        .client
        .get(app.url("/account"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.status(),
        302,
        "the signed-out session cannot be replayed"
    );

    // Next time: the code step, and a recovery code works once.
    let b2 = app.browser();
    let res = b2
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", &staff.email), ("password", &staff.password)],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/sign-in/code"));
    let ok = b2
        .submit("/sign-in/code", "/sign-in/code", &[("code", &codes[0])])
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    b2.sign_out().await;
    let b3 = app.browser();
    b3.submit(
        "/sign-in",
        "/sign-in",
        &[("email", &staff.email), ("password", &staff.password)],
    )
    .await;
    let again = b3
        .submit("/sign-in/code", "/sign-in/code", &[("code", &codes[0])])
        .await;
    assert_eq!(again.status, 422, "a recovery code works once");
}

#[actix_web::test]
async fn a_totp_code_is_accepted_only_once() {
    let app = spawn_app().await;
    let mut officer = app
        .add_person("mfa_officer", None, Some("restricted"))
        .await;
    let b = app.signed_in(&mut officer).await;
    b.sign_out().await;

    let code = officer.next_code().await;
    let b1 = app.browser();
    b1.submit(
        "/sign-in",
        "/sign-in",
        &[("email", &officer.email), ("password", &officer.password)],
    )
    .await;
    assert_eq!(
        b1.submit("/sign-in/code", "/sign-in/code", &[("code", &code)])
            .await
            .status,
        303
    );

    let b2 = app.browser();
    b2.submit(
        "/sign-in",
        "/sign-in",
        &[("email", &officer.email), ("password", &officer.password)],
    )
    .await;
    let replay = b2
        .submit("/sign-in/code", "/sign-in/code", &[("code", &code)])
        .await;
    assert_eq!(replay.status, 422);
    assert!(replay.body.contains("has been used already"));
    // An earlier code is as dead as a used one.
    let secret = officer.totp_secret.clone().unwrap();
    let old = totp::code_at(&secret, ((officer.last_step - 1) * 30) as u64).unwrap();
    assert_eq!(
        b2.submit("/sign-in/code", "/sign-in/code", &[("code", &old)])
            .await
            .status,
        422
    );
}

#[actix_web::test]
async fn wrong_password_unknown_account_and_inactive_account_get_the_same_answer() {
    let app = spawn_app().await;
    let person = app.add_person("police_liaison", None, Some("secret")).await;
    let attempt = |email: String, password: String| {
        let b = app.browser();
        async move {
            let page = b
                .submit(
                    "/sign-in",
                    "/sign-in",
                    &[("email", &email), ("password", &password)],
                )
                .await;
            (
                page.status,
                page.body
                    .replace(&page.csrf(), "TOKEN")
                    .replace(&email, "EMAIL"),
            )
        }
    };
    let wrong = attempt(person.email.clone(), "not the right password".into()).await;
    let unknown = attempt("nobody@example.org".into(), "not the right password".into()).await;
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong, unknown);
    let mut conn = app.pool.get().unwrap();
    users::set_active(&mut conn, &person.id, false, protection_portal::app::now()).unwrap();
    drop(conn);
    let inactive = attempt(person.email.clone(), person.password.clone()).await;
    assert_eq!(inactive.0, 401);
    assert_eq!(inactive, unknown);
    assert_eq!(events(&app, "sign_in_failed"), 3);
}

#[actix_web::test]
async fn repeated_failures_lock_the_account_until_the_delay_has_passed() {
    let app = spawn_app().await;
    let mut person = app.add_person("pst_analyst", None, Some("secret")).await;
    let threshold = app.settings.security.lockout_account_threshold;
    for _ in 0..threshold {
        let b = app.browser();
        let p = b
            .submit(
                "/sign-in",
                "/sign-in",
                &[("email", &person.email), ("password", "wrong wrong wrong")],
            )
            .await;
        assert_eq!(p.status, 401);
    }
    assert_eq!(events(&app, "account_locked"), 1);
    // Locked from here: even the right password gets the same refusal. (From another address
    // the owner still gets in: `attack_auth::someone_who_knows_an_address_cannot_keep_its_owner_out`.)
    let b = app.browser();
    let locked = b
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", &person.email), ("password", &person.password)],
        )
        .await;
    assert_eq!(locked.status, 401);
    assert!(locked.body.contains("Sign-in failed"));
    // The lock survives a restart: it is in the database, not in the process.
    let prepared = protection_portal::startup::prepare(app.settings.clone())
        .await
        .unwrap();
    let mut conn = prepared.pool.get().unwrap();
    // The lock is on the account as seen from this address (the test client's).
    let key = format!(
        "source:{}@127.0.0.1",
        protection_portal::auth::secret::digest(&person.email)
    );
    assert!(
        db::throttle::find(&mut conn, &key)
            .unwrap()
            .unwrap()
            .locked_until
            .is_some()
    );
    drop(conn);

    tokio::time::sleep(std::time::Duration::from_secs(
        u64::from(app.settings.security.lockout_base_seconds) + 1,
    ))
    .await;
    let b = app.browser();
    b.sign_in(&mut person).await;
    assert_eq!(b.get("/").await.status, 200);
}

#[actix_web::test]
async fn state_changes_need_the_sessions_csrf_token_and_a_same_site_origin() {
    let app = spawn_app().await;
    let mut person = app.add_person("mfa_officer", None, None).await;
    let b = app.signed_in(&mut person).await;
    let token = b.get("/account").await.csrf();

    let missing = b.post("/sign-out", &[]).await;
    assert_eq!(missing.status, 403);
    assert!(missing.body.contains("did not come from this site"));
    let wrong = b.post("/sign-out", &[("csrf_token", "forged")]).await;
    assert_eq!(wrong.status, 403);
    let twice = b
        .post(
            "/sign-out",
            &[("csrf_token", &token), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(twice.status, 403);
    let cross = b
        .client
        .post(b.url("/sign-out"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let foreign = b
        .client
        .post(b.url("/sign-out"))
        .header("origin", "https://evil.example")
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    // Still signed in after all that; the real form works.
    assert_eq!(b.get("/account").await.status, 200);
    let ok = b
        .client
        .post(b.url("/sign-out"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", app.address.clone())
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    assert_eq!(b.get("/account").await.status, 302);
}

#[actix_web::test]
async fn security_headers_are_on_200_302_and_404_and_the_cookie_is_strict() {
    let app = spawn_app_with(Options {
        configure: Box::new(|s| s.security.cookie_secure = true),
        ..Default::default()
    })
    .await;
    for (path, status) in [("/sign-in", 200), ("/account", 302), ("/nowhere", 404)] {
        let res = app.get(path).await;
        assert_eq!(res.status(), status, "{path}");
        crate::helpers::assert_security_headers(&res);
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    // A browser without cookies yet gets one.
    let res = reqwest::get(app.url("/sign-in")).await.unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-portal_session="), "{cookie}");
    for flag in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Domain="));
}

#[actix_web::test]
async fn administration_is_for_administrators_only() {
    let app = spawn_app().await;
    let mission = app.add_mission("Embassy of Iceland").await;
    let admin_pages = [
        "/admin/users",
        "/admin/users/new",
        "/admin/missions",
        &format!("/admin/missions/{mission}"),
    ];
    for path in admin_pages {
        let res = app.get(path).await;
        assert_eq!(res.status(), 302, "anonymous {path}");
    }
    for (role, m, c) in [
        ("mission_staff", Some(mission.as_str()), None),
        ("mfa_officer", None, Some("secret")),
        ("police_liaison", None, Some("secret")),
        ("pst_analyst", None, Some("top_secret")),
    ] {
        let mut p = app.add_person(role, m, c).await;
        let b = app.signed_in(&mut p).await;
        for path in admin_pages {
            assert_eq!(b.get(path).await.status, 403, "{role} {path}");
        }
        let token = b.get("/account").await.csrf();
        let post = b
            .post(
                "/admin/missions",
                &[
                    ("csrf_token", &token),
                    ("name", "Embassy of Chile"),
                    ("country", "CL"),
                    ("kind", "embassy"),
                ],
            )
            .await;
        assert_eq!(post.status, 403, "{role} may not register missions");
    }
    let mut conn = app.pool.get().unwrap();
    assert_eq!(db::missions::count(&mut conn).unwrap(), 1);
}

#[actix_web::test]
async fn an_administrator_invites_deactivates_and_resets_and_every_change_is_logged() {
    let app = spawn_app().await;
    let mission = app.add_mission("Embassy of Iceland").await;
    let mut admin = app.add_person("admin", None, None).await;
    let a = app.signed_in(&mut admin).await;
    assert_eq!(a.get("/").await.location.as_deref(), Some("/admin/users"));

    // Mission staff without a mission is refused, naming the field.
    let bad = a
        .submit(
            "/admin/users/new",
            "/admin/users",
            &[
                ("email", "x@iceland.example"),
                ("name", "X Y"),
                ("role", "mission_staff"),
                ("mission", ""),
                ("clearance", "none"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"mission-error\""));
    assert!(bad.body.contains("Choose the mission the person works for"));
    assert!(
        bad.body.contains("value=\"x@iceland.example\""),
        "what was typed is kept"
    );

    let invited = a
        .submit(
            "/admin/users/new",
            "/admin/users",
            &[
                ("email", "Sigrun@Iceland.example"),
                ("name", "Sigrún Ásgeirsdóttir"),
                ("role", "mission_staff"),
                ("mission", &mission),
                ("clearance", "none"),
            ],
        )
        .await;
    assert_eq!(invited.status, 303, "{}", invited.body);
    let user_path = invited
        .location
        .unwrap()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();

    // The invitation is queued as an e-mail with a single-use link.
    let mut conn = app.pool.get().unwrap();
    let mail = outbox::for_recipient(&mut conn, "sigrun@iceland.example").unwrap();
    drop(conn);
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].kind, "invitation");
    let payload: serde_json::Value = serde_json::from_str(&mail[0].payload).unwrap();
    let link = payload["link"].as_str().unwrap();
    let link_path = path_of(link);
    let visitor = app.browser();
    let form = visitor.get(&link_path).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Welcome, Sigrún Ásgeirsdóttir"));
    let token = link_path.split("token=").nth(1).unwrap();
    let pw = "a very private sentence 42";
    let set = visitor
        .post(
            "/invitation",
            &[
                ("token", token),
                ("password", pw),
                ("password_confirmation", pw),
            ],
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(
        visitor.get(&link_path).await.status,
        404,
        "the link is spent"
    );

    let mut sigrun = crate::helpers::Person {
        id: user_path.rsplit('/').next().unwrap().to_owned(),
        email: "sigrun@iceland.example".into(),
        password: pw.into(),
        totp_secret: None,
        last_step: 0,
    };
    let s = app.signed_in(&mut sigrun).await;
    assert_eq!(s.get("/").await.status, 200);

    // Deactivation ends her session at once.
    let res = a
        .submit(&user_path, &format!("{user_path}/deactivate"), &[])
        .await;
    assert_eq!(res.status, 303);
    assert!(
        s.get("/").await.body.contains("Sign in"),
        "back to the visitor's start page"
    );
    assert_eq!(s.get("/account").await.status, 302);
    // ...and she cannot sign in again until reactivated.
    let again = app.browser();
    assert_eq!(
        again
            .submit(
                "/sign-in",
                "/sign-in",
                &[("email", &sigrun.email), ("password", pw)]
            )
            .await
            .status,
        401
    );
    a.submit(&user_path, &format!("{user_path}/reactivate"), &[])
        .await;

    // A second-factor reset makes her enrol again.
    a.submit(&user_path, &format!("{user_path}/second-factor/reset"), &[])
        .await;
    let fresh = app.browser();
    let step = fresh
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", &sigrun.email), ("password", pw)],
        )
        .await;
    assert_eq!(step.location.as_deref(), Some("/sign-in/enrol"));

    // The administrator cannot deactivate themselves.
    let own = format!("/admin/users/{}", admin.id);
    let token = a.get(&own).await.csrf();
    assert_eq!(
        a.post(&format!("{own}/deactivate"), &[("csrf_token", &token)])
            .await
            .status,
        409
    );

    for event in [
        "user_created",
        "user_invited",
        "invitation_accepted",
        "user_deactivated",
        "user_reactivated",
        "second_factor_reset",
        "mission_created",
    ] {
        assert!(events(&app, event) >= 1, "{event} logged");
    }
}

#[actix_web::test]
async fn missions_are_registered_renamed_and_deactivated_by_administrators() {
    let app = spawn_app().await;
    let mut admin = app.add_person("admin", None, None).await;
    let a = app.signed_in(&mut admin).await;
    let bad = a
        .submit(
            "/admin/missions",
            "/admin/missions",
            &[
                ("name", "Embassy of Chile"),
                ("country", "XX"),
                ("kind", "embassy"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"country-error\""));
    let created = a
        .submit(
            "/admin/missions",
            "/admin/missions",
            &[
                ("name", "Embassy of Chile"),
                ("country", "cl"),
                ("kind", "embassy"),
            ],
        )
        .await;
    assert_eq!(created.status, 303);
    let path = created.location.unwrap();
    let renamed = a
        .submit(
            &path,
            &format!("{path}/rename"),
            &[("name", "Embassy of the Republic of Chile")],
        )
        .await;
    assert_eq!(renamed.status, 303);
    assert!(
        a.get(&path)
            .await
            .body
            .contains("<h1>Embassy of the Republic of Chile</h1>")
    );

    let id = path.rsplit('/').next().unwrap().to_owned();
    let mut staff = app.add_person("mission_staff", Some(&id), None).await;
    let s = app.signed_in(&mut staff).await;
    a.submit(&path, &format!("{path}/deactivate"), &[]).await;
    assert_eq!(
        s.get("/account").await.status,
        302,
        "staff of a deactivated mission are signed out"
    );
    assert!(a.get("/admin/missions").await.body.contains("Deactivated"));
    assert_eq!(
        a.get("/admin/missions/00000000-0000-0000-0000-000000000000")
            .await
            .status,
        404
    );
}

#[actix_web::test]
async fn changing_the_password_ends_every_session_and_lists_are_revocable() {
    let app = spawn_app().await;
    let mut person = app.add_person("police_liaison", None, Some("secret")).await;
    let first = app.signed_in(&mut person).await;
    let second = app.signed_in(&mut person).await;

    // The account page lists both sessions; the first ends the second.
    let account = first.get("/account").await;
    assert!(account.body.contains("(this session)"));
    let revoke = between(&account.body, "action=\"/account/sessions/", "/revoke\"").unwrap();
    let res = first
        .submit(
            "/account",
            &format!("/account/sessions/{revoke}/revoke"),
            &[],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(second.get("/account").await.status, 302);
    assert_eq!(first.get("/account").await.status, 200);

    let third = app.signed_in(&mut person).await;
    let wrong = first
        .submit(
            "/account",
            "/account/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "password1234"),
                ("new_password_confirmation", "x"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    for field in [
        "current_password-error",
        "new_password-error",
        "new_password_confirmation-error",
    ] {
        assert!(wrong.body.contains(field), "{field}");
    }
    let new_pw = "a brand new sentence for 2027";
    let ok = first
        .submit(
            "/account",
            "/account/password",
            &[
                ("current_password", &person.password),
                ("new_password", new_pw),
                ("new_password_confirmation", new_pw),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);
    assert_eq!(first.get("/account").await.status, 302);
    assert_eq!(third.get("/account").await.status, 302);
    person.password = new_pw.into();
    let again = app.signed_in(&mut person).await;
    assert_eq!(again.get("/account").await.status, 200);
    let mut conn = app.pool.get().unwrap();
    assert_eq!(
        outbox::for_recipient(&mut conn, &person.email).unwrap()[0].kind,
        "password_changed"
    );
}

#[actix_web::test]
async fn an_expired_session_is_signed_out() {
    let app = spawn_app().await;
    let mut person = app.add_person("pst_analyst", None, Some("secret")).await;
    let b = app.signed_in(&mut person).await;
    assert_eq!(b.get("/account").await.status, 200);
    // Let the idle deadline pass (as if 30 minutes went by).
    let mut conn = app.pool.get().unwrap();
    let past = protection_portal::app::now() - chrono::Duration::minutes(1);
    for s in db::sessions::list_live_for_user(&mut conn, &person.id, protection_portal::app::now())
        .unwrap()
    {
        db::sessions::update_state(
            &mut conn,
            &s.id_hash,
            s.user_id.as_deref(),
            &s.state,
            past,
            past,
        )
        .unwrap();
    }
    drop(conn);
    assert_eq!(b.get("/account").await.status, 302);
}

#[actix_web::test]
async fn every_demo_account_signs_in_sees_its_home_and_signs_out() {
    let app = spawn_app_with(Options {
        demo: true,
        ..Default::default()
    })
    .await;
    for account in app.notes.demo_accounts.clone().unwrap() {
        let mut conn = app.pool.get().unwrap();
        let id = users::find_by_email(&mut conn, &account.email)
            .unwrap()
            .unwrap()
            .id;
        drop(conn);
        let mut person = crate::helpers::Person {
            id,
            email: account.email.clone(),
            password: account.password.clone(),
            totp_secret: None,
            last_step: 0,
        };
        let b = app.signed_in(&mut person).await;
        let home = b.get("/").await;
        let expected = match account.role.as_str() {
            "admin" => "Accounts",
            "auditor" => "Security log",
            "mission_staff" => "Requests from",
            "mfa_officer" => "Decided: reply to send",
            "police_liaison" => "Approved: awaiting implementation",
            _ => "Awaiting assessment",
        };
        let page = if home.status == 303 {
            b.get(home.location.as_deref().unwrap()).await
        } else {
            home
        };
        assert!(
            page.body.contains(expected),
            "{}: {}",
            account.role,
            page.body
        );
        assert_eq!(b.sign_out().await.status, 303);
        assert_eq!(b.get("/account").await.status, 302);
    }
}

#[actix_web::test]
async fn recovery_codes_can_be_replaced_with_the_current_password_and_a_code() {
    let app = spawn_app().await;
    let mut person = app
        .add_person("mfa_officer", None, Some("restricted"))
        .await;
    let b = app.signed_in(&mut person).await;
    let wrong = b
        .submit(
            "/account",
            "/account/recovery-codes",
            &[("codes_current_password", "not my password")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("is not your current password"));
    // Beside the recovery codes' own field, not the password form's.
    assert!(wrong.body.contains("id=\"codes_current_password-error\""));
    assert!(!wrong.body.contains("id=\"current_password-error\""));
    let code = person.next_code().await;
    let page = b
        .submit(
            "/account",
            "/account/recovery-codes",
            &[
                ("codes_current_password", &person.password),
                ("codes_totp_code", &code),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    let first = between(&page.body, "<ul class=\"codes\"><li>", "</li>").unwrap();
    let code = person.next_code().await;
    let again = b
        .submit(
            "/account",
            "/account/recovery-codes",
            &[
                ("codes_current_password", &person.password),
                ("codes_totp_code", &code),
            ],
        )
        .await;
    assert_ne!(
        between(&again.body, "<ul class=\"codes\"><li>", "</li>").unwrap(),
        first
    );
    // The replaced code no longer works.
    b.sign_out().await;
    let c = app.browser();
    c.submit(
        "/sign-in",
        "/sign-in",
        &[("email", &person.email), ("password", &person.password)],
    )
    .await;
    assert_eq!(
        c.submit("/sign-in/code", "/sign-in/code", &[("code", &first)])
            .await
            .status,
        422
    );
}

#[actix_web::test]
async fn a_weaker_password_hash_is_replaced_at_sign_in() {
    let app = spawn_app_with(Options {
        configure: Box::new(|s| s.security.argon2_memory_kib = 128),
        ..Default::default()
    })
    .await;
    let mut person = app.add_person("police_liaison", None, Some("secret")).await;
    let cheap = protection_portal::auth::password::hash(
        &secrecy::SecretString::from(person.password.clone()),
        protection_portal::auth::password::HashCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
    );
    let mut conn = app.pool.get().unwrap();
    users::upgrade_password_hash(&mut conn, &person.id, &cheap).unwrap();
    drop(conn);
    app.signed_in(&mut person).await;
    let mut conn = app.pool.get().unwrap();
    let stored = users::find(&mut conn, &person.id)
        .unwrap()
        .unwrap()
        .password_hash
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$") && stored.contains("m=128"),
        "{stored}"
    );
}

#[actix_web::test]
async fn a_session_ends_at_its_absolute_deadline_however_active() {
    let app = spawn_app().await;
    let mut person = app.add_person("pst_analyst", None, Some("secret")).await;
    let b = app.signed_in(&mut person).await;
    let mut conn = app.pool.get().unwrap();
    let now = protection_portal::app::now();
    for s in db::sessions::list_live_for_user(&mut conn, &person.id, now).unwrap() {
        let mut state: std::collections::HashMap<String, String> =
            serde_json::from_str(&s.state).unwrap();
        state.insert(
            "absolute_until".into(),
            (chrono::Utc::now().timestamp() - 1).to_string(),
        );
        let json = serde_json::to_string(&state).unwrap();
        db::sessions::update_state(
            &mut conn,
            &s.id_hash,
            s.user_id.as_deref(),
            &json,
            now,
            s.expires_at,
        )
        .unwrap();
    }
    drop(conn);
    assert_eq!(b.get("/account").await.status, 302);
}

#[actix_web::test]
async fn a_right_password_does_not_reset_what_wrong_codes_counted() {
    let app = spawn_app().await;
    let mut person = app
        .add_person("mfa_officer", None, Some("restricted"))
        .await;
    app.signed_in(&mut person).await;
    let threshold = app.settings.security.lockout_account_threshold as usize;
    for i in 0..threshold {
        let b = app.browser();
        let step = b
            .submit(
                "/sign-in",
                "/sign-in",
                &[("email", &person.email), ("password", &person.password)],
            )
            .await;
        assert_eq!(
            step.status, 303,
            "attempt {i}: the password step still works"
        );
        assert_eq!(
            b.submit("/sign-in/code", "/sign-in/code", &[("code", "000000")])
                .await
                .status,
            422
        );
    }
    assert!(
        events(&app, "account_locked") >= 1,
        "wrong codes across sign-ins lock the account"
    );
}

#[actix_web::test]
async fn parallel_guesses_are_all_counted() {
    let app = spawn_app().await;
    let person = app.add_person("police_liaison", None, Some("secret")).await;
    let csrf_and_clients: Vec<(crate::helpers::Browser, String)> = {
        let mut v = Vec::new();
        for _ in 0..10 {
            let b = app.browser();
            let token = b.get("/sign-in").await.csrf();
            v.push((b, token));
        }
        v
    };
    let mut tasks = tokio::task::JoinSet::new();
    for (b, token) in csrf_and_clients {
        let (email, url) = (person.email.clone(), b.url("/sign-in"));
        tasks.spawn(async move {
            let form = [
                ("csrf_token", token.as_str()),
                ("email", email.as_str()),
                ("password", "a wrong guess here"),
            ];
            b.client
                .post(url)
                .form(&form)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    assert!(tasks.join_all().await.iter().all(|s| *s == 401));
    let mut conn = app.pool.get().unwrap();
    // The lock is on the account as seen from this address (the test client's).
    let key = format!(
        "source:{}@127.0.0.1",
        protection_portal::auth::secret::digest(&person.email)
    );
    let record = db::throttle::find(&mut conn, &key).unwrap().unwrap();
    assert!(
        record.failures >= app.settings.security.lockout_account_threshold as i32,
        "{record:?}"
    );
    assert!(record.locked_until.is_some());
}

#[actix_web::test]
async fn the_client_address_comes_from_a_trusted_proxy_only() {
    let app = spawn_app_with(Options {
        configure: Box::new(|s| s.security.trusted_proxies = "127.0.0.1".into()),
        ..Default::default()
    })
    .await;
    let b = app.browser();
    let token = b.get("/sign-in").await.csrf();
    b.client
        .post(b.url("/sign-in"))
        .header("x-forwarded-for", "198.51.100.7, 203.0.113.9")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "nobody@example.org"),
            ("password", "whatever it is"),
        ])
        .send()
        .await
        .unwrap();
    let plain = spawn_app().await;
    let b2 = plain.browser();
    let token = b2.get("/sign-in").await.csrf();
    b2.client
        .post(b2.url("/sign-in"))
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "nobody@example.org"),
            ("password", "whatever it is"),
        ])
        .send()
        .await
        .unwrap();
    let addr = |app: &crate::helpers::TestApp| {
        let mut conn = app.pool.get().unwrap();
        security_log::newest(&mut conn, Some("sign_in_failed"), 1).unwrap()[0]
            .client_addr
            .clone()
            .unwrap()
    };
    assert_eq!(addr(&app), "203.0.113.9", "the proxy's view of the client");
    assert_eq!(
        addr(&plain),
        "127.0.0.1",
        "a header from an untrusted peer is ignored"
    );
}

#[actix_web::test]
async fn administrators_read_the_security_log_and_nobody_else_does() {
    let app = spawn_app().await;
    let mut admin = app.add_person("admin", None, None).await;
    let a = app.signed_in(&mut admin).await;
    let page = a.get("/admin/security-log?event=sign_in").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("data-label=\"What happened\">Signed in</td>")
    );
    assert!(
        !page
            .body
            .contains("data-label=\"What happened\">Account created</td>"),
        "filtered by event"
    );
    let mut officer = app.add_person("mfa_officer", None, Some("secret")).await;
    let o = app.signed_in(&mut officer).await;
    assert_eq!(o.get("/admin/security-log").await.status, 403);
}
