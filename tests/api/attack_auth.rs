//! Attacks on sign-in and the account (issue 15, second round): throttling that an attacker
//! cannot turn against the account's owner, re-authentication for what a stolen session could
//! otherwise do, tokens that outlive a deactivation, and weak passwords.

use protection_portal::db::{outbox, security_log};

use crate::helpers::{Options, TestApp, spawn_app, spawn_app_with};

fn events(app: &TestApp, event: &str) -> Vec<security_log::SecurityLogRow> {
    let mut conn = app.pool.get().unwrap();
    security_log::newest(&mut conn, Some(event), 1000).unwrap()
}

#[actix_web::test]
async fn a_deactivated_accounts_api_tokens_stay_dead_after_reactivation() {
    let app = spawn_app().await;
    let mut admin = app.add_person("admin", None, None).await;
    let person = app.add_person("police_liaison", None, Some("secret")).await;
    let api = app.api(&person).await;
    assert_eq!(api.get("/api/v1/me").await.0, 200, "the token works");

    let a = app.signed_in(&mut admin).await;
    let user_path = format!("/admin/users/{}", person.id);
    let off = a
        .submit(&user_path, &format!("{user_path}/deactivate"), &[])
        .await;
    assert_eq!(off.status, 303, "{}", off.body);
    assert_eq!(api.get("/api/v1/me").await.0, 401, "deactivated");
    let on = a
        .submit(&user_path, &format!("{user_path}/reactivate"), &[])
        .await;
    assert_eq!(on.status, 303, "{}", on.body);
    assert_eq!(
        api.get("/api/v1/me").await.0,
        401,
        "a token issued before the deactivation stays revoked"
    );
    // A new token works again.
    assert_eq!(app.api(&person).await.get("/api/v1/me").await.0, 200);
}

#[actix_web::test]
async fn passwords_that_are_long_but_easy_to_guess_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let mut person = app
        .add_person("mfa_officer", None, Some("restricted"))
        .await;
    let b = app.signed_in(&mut person).await;
    for weak in ["aaaaaaaaaaaa", "123456789012", "qwertyuiopasdfgh"] {
        let page = b
            .submit(
                "/account",
                "/account/password",
                &[
                    ("current_password", &person.password),
                    ("new_password", weak),
                    ("new_password_confirmation", weak),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{weak} was accepted");
        assert!(page.body.contains("new_password-error"), "{weak}");
        assert!(page.body.contains("too easy to guess"), "{weak}");
    }
    // Still signed in with the old password: nothing was changed.
    assert_eq!(b.get("/account").await.status, 200);
}

/// An app that believes `X-Forwarded-For` from the test client, so that each test browser can
/// come from an address of its own.
async fn behind_a_proxy(address_threshold: Option<u32>) -> TestApp {
    spawn_app_with(Options {
        configure: Box::new(move |s| {
            s.security.trusted_proxies = "127.0.0.1".into();
            if let Some(t) = address_threshold {
                s.security.lockout_address_threshold = t;
            }
        }),
        ..Default::default()
    })
    .await
}

async fn password_step(
    b: &crate::helpers::Browser,
    email: &str,
    password: &str,
) -> (u16, Option<String>) {
    let page = b
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", email), ("password", password)],
        )
        .await;
    (page.status, page.location)
}

#[actix_web::test]
async fn good_sign_ins_never_lock_out_the_address_they_come_from() {
    let app = behind_a_proxy(Some(5)).await;
    // An embassy behind one NAT: more good sign-ins than the address threshold.
    for _ in 0..8 {
        let mut person = app
            .add_person("mfa_officer", None, Some("restricted"))
            .await;
        app.browser_from("192.0.2.10").sign_in(&mut person).await;
    }
    assert!(events(&app, "address_locked").is_empty());
    // Failures do count, and the address lock is written to the security log.
    let b = app.browser_from("192.0.2.10");
    for i in 0..5 {
        let email = format!("nobody{i}@example.org");
        assert_eq!(password_step(&b, &email, "a wrong guess").await.0, 401);
    }
    let locked = events(&app, "address_locked");
    assert_eq!(locked.len(), 1);
    assert_eq!(locked[0].client_addr.as_deref(), Some("192.0.2.10"));
    let mut person = app
        .add_person("mfa_officer", None, Some("restricted"))
        .await;
    assert_eq!(
        password_step(&b, &person.email, &person.password).await.0,
        401,
        "the failing address is locked"
    );
    app.browser_from("192.0.2.11").sign_in(&mut person).await;
}

#[actix_web::test]
async fn someone_who_knows_an_address_cannot_keep_its_owner_out() {
    let app = behind_a_proxy(None).await;
    let threshold = app.settings.security.lockout_account_threshold;
    let mut owner = app.add_person("pst_analyst", None, Some("secret")).await;
    app.browser_from("198.51.100.7").sign_in(&mut owner).await;
    // Guesses from three addresses, each staying under the per-source threshold...
    for a in 1..=3 {
        let b = app.browser_from(&format!("203.0.113.{a}"));
        for _ in 1..threshold {
            let step = password_step(&b, &owner.email, "guess number one two").await;
            assert_eq!(step.0, 401);
        }
    }
    // ...and from one until it is locked: then even the right password is refused there.
    let attacker = app.browser_from("203.0.113.1");
    for _ in 0..3 {
        password_step(&attacker, &owner.email, "guess number one two").await;
    }
    assert_eq!(
        password_step(&attacker, &owner.email, &owner.password)
            .await
            .0,
        401
    );
    assert!(!events(&app, "account_locked").is_empty());
    // The owner, from their own address, gets in with password and code all the same.
    app.browser_from("198.51.100.7").sign_in(&mut owner).await;
    // ...and was told once, by e-mail, without the guesses.
    let mut conn = app.pool.get().unwrap();
    let mails: Vec<_> = outbox::for_recipient(&mut conn, &owner.email)
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == "sign_in_failures")
        .collect();
    assert_eq!(mails.len(), 1, "once per episode, not per failure");
    assert!(!mails[0].payload.contains("guess"), "{}", mails[0].payload);
}

#[actix_web::test]
async fn after_a_hundred_failures_a_password_alone_tells_nothing_but_the_owner_still_gets_in() {
    let app = behind_a_proxy(None).await;
    let mut owner = app.add_person("police_liaison", None, Some("secret")).await;
    let signed_in = app.browser_from("198.51.100.7");
    signed_in.sign_in(&mut owner).await;
    // A botnet: 25 addresses, four guesses each, none of them ever locked.
    for a in 1..=25 {
        let b = app.browser_from(&format!("203.0.113.{a}"));
        for _ in 0..4 {
            assert_eq!(
                password_step(&b, &owner.email, "one more guess here")
                    .await
                    .0,
                401
            );
        }
    }
    // From a fresh address the right password now gets the same answer as a wrong one.
    let wrong = password_step(
        &app.browser_from("203.0.113.200"),
        &owner.email,
        "one more guess here",
    )
    .await;
    let right = password_step(
        &app.browser_from("203.0.113.201"),
        &owner.email,
        &owner.password,
    )
    .await;
    assert_eq!(right, (303, Some("/sign-in/code".into())));
    assert_eq!(wrong, right);
    // Nor does any page the session can reach next tell them apart.
    let (after_wrong, after_right) = (
        app.browser_from("203.0.113.204"),
        app.browser_from("203.0.113.205"),
    );
    password_step(&after_wrong, &owner.email, "one more guess here").await;
    password_step(&after_right, &owner.email, &owner.password).await;
    for path in [
        "/sign-in/enrol",
        "/sign-in/code",
        "/sign-in",
        "/account",
        "/",
    ] {
        let (w, r) = (after_wrong.get(path).await, after_right.get(path).await);
        assert_eq!(
            (w.status, w.location),
            (r.status, r.location),
            "{path} tells a right password from a wrong one"
        );
    }
    // A wrong password and the right code do not get in.
    let b = app.browser_from("203.0.113.202");
    password_step(&b, &owner.email, "one more guess here").await;
    let code = owner.next_code().await;
    let refused = b
        .submit("/sign-in/code", "/sign-in/code", &[("code", &code)])
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(b.get("/account").await.status, 302, "not signed in");
    // A session stolen before the attack cannot go on guessing the current password either:
    // past the ceiling a password alone is refused, right or wrong, naming the field.
    let new_pw = "a fresh and unguessable sentence 2031";
    for guess in ["one more guess here", owner.password.as_str()] {
        let page = signed_in
            .submit(
                "/account",
                "/account/password",
                &[
                    ("current_password", guess),
                    ("new_password", new_pw),
                    ("new_password_confirmation", new_pw),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "the password was changed");
        assert!(page.body.contains("id=\"current_password-error\""));
        assert!(page.body.contains("sign in again"), "{}", page.body);
    }
    // The owner, with password and code, does; and with that the count starts again.
    app.browser_from("198.51.100.7").sign_in(&mut owner).await;
    let after = password_step(
        &app.browser_from("203.0.113.203"),
        &owner.email,
        "one more guess here",
    )
    .await;
    assert_eq!(after.0, 401);
}

#[actix_web::test]
async fn a_stolen_session_cannot_guess_the_current_password_at_full_speed() {
    let app = spawn_app().await;
    let threshold = app.settings.security.lockout_account_threshold;
    let mut person = app
        .add_person("mfa_officer", None, Some("restricted"))
        .await;
    let b = app.signed_in(&mut person).await;
    let new_pw = "a fresh and unguessable sentence 2031";
    for _ in 0..threshold {
        let page = b
            .submit(
                "/account",
                "/account/password",
                &[
                    ("current_password", "is it this one maybe"),
                    ("new_password", new_pw),
                    ("new_password_confirmation", new_pw),
                ],
            )
            .await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("is not your current password"));
    }
    assert_eq!(
        events(&app, "reauthentication_failed").len(),
        threshold as usize
    );
    // Locked now: the right password is refused too, with the field named.
    let page = b
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
    assert_eq!(page.status, 422, "the password was changed");
    assert!(page.body.contains("id=\"current_password-error\""));
    assert!(
        page.body.contains("Too many failed attempts"),
        "{}",
        page.body
    );
    let code = person.next_code().await;
    let codes = b
        .submit(
            "/account",
            "/account/recovery-codes",
            &[
                ("codes_current_password", &person.password),
                ("codes_totp_code", &code),
            ],
        )
        .await;
    assert_eq!(codes.status, 422, "new recovery codes were made");
    // One throttle: sign-in from the same place is refused as well.
    assert_eq!(
        password_step(&app.browser(), &person.email, &person.password)
            .await
            .0,
        401
    );
}

#[actix_web::test]
async fn new_recovery_codes_and_a_new_token_need_a_fresh_code_from_the_authenticator() {
    let app = spawn_app().await;
    let mut person = app.add_person("police_liaison", None, Some("secret")).await;
    let b = app.signed_in(&mut person).await;
    let codes = |fields: Vec<(&'static str, String)>| {
        let b = &b;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.submit("/account", "/account/recovery-codes", &fields)
                .await
        }
    };
    let pw = person.password.clone();
    let page = codes(vec![("codes_current_password", pw.clone())]).await;
    assert_eq!(page.status, 422, "the password alone made new codes");
    assert!(page.body.contains("codes_totp_code-error"));
    let page = codes(vec![
        ("codes_current_password", pw.clone()),
        ("codes_totp_code", "000000".into()),
    ])
    .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("codes_totp_code-error"));
    let code = person.next_code().await;
    let page = codes(vec![
        ("codes_current_password", pw.clone()),
        ("codes_totp_code", code.clone()),
    ])
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Save your recovery codes"));
    let again = codes(vec![
        ("codes_current_password", pw.clone()),
        ("codes_totp_code", code),
    ])
    .await;
    assert_eq!(again.status, 422, "a code is accepted once");

    let token = |code: Option<String>| {
        let b = &b;
        async move {
            let mut fields = vec![("token_name", "case system"), ("expires_in_days", "")];
            if let Some(c) = &code {
                fields.push(("token_totp_code", c.as_str()));
            }
            b.submit("/account", "/account/tokens", &fields).await
        }
    };
    let page = token(None).await;
    assert_eq!(page.status, 422, "a token without a code");
    assert!(page.body.contains("token_totp_code-error"));
    assert!(!page.body.contains("pp_"));
    let page = token(Some(person.next_code().await)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<p class=\"secret\">pp_"),
        "{}",
        page.body
    );
    assert_eq!(events(&app, "reauthenticated").len(), 2);
    assert!(events(&app, "reauthentication_failed").len() >= 3);
}
