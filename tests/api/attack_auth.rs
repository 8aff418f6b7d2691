//! Attacks on sign-in and the account (issue 15, second round): throttling that an attacker
//! cannot turn against the account's owner, re-authentication for what a stolen session could
//! otherwise do, tokens that outlive a deactivation, and weak passwords.

use crate::helpers::spawn_app;

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
