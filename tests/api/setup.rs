use protection_portal::db::{self, users};
use protection_portal::startup;

use crate::helpers::{Options, path_of, spawn_app, spawn_app_with};

fn form(
    token: &str,
    email: &str,
    name: &str,
    pw: &str,
    confirm: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("token", token.to_owned()),
        ("email", email.to_owned()),
        ("name", name.to_owned()),
        ("password", pw.to_owned()),
        ("password_confirmation", confirm.to_owned()),
    ]
}

#[actix_web::test]
async fn the_first_administrator_link_creates_one_administrator_once() {
    let app = spawn_app().await;
    let link = app
        .notes
        .first_admin_link
        .clone()
        .expect("empty database prints a link");
    assert!(link.starts_with(&app.settings.public_url));
    let path = path_of(&link);
    let token = path.split("token=").nth(1).unwrap().to_owned();

    let page = app.get(&path).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Create the first administrator"));
    assert!(html.contains("<label for=\"password\">"));

    // Mistakes are shown next to their fields, keeping what was typed (but never the password).
    let res = app
        .client
        .post(app.url("/setup"))
        .form(&form(
            &token,
            "not-an-email",
            "Åse Ødegård",
            "short",
            "different",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("There is a problem"));
    assert!(html.contains("id=\"email-error\""), "{html}");
    assert!(html.contains("id=\"password-error\""));
    assert!(html.contains("id=\"password_confirmation-error\""));
    assert!(html.contains("value=\"Åse Ødegård\""));
    assert!(!html.contains("value=\"short\""));

    // The password may not contain the person's name.
    let res = app
        .client
        .post(app.url("/setup"))
        .form(&form(
            &token,
            "ase@mfa.example",
            "Åse Ødegård",
            "ødegård-is-my-name",
            "ødegård-is-my-name",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("must not contain your name")
    );

    let pw = "lang og trygg setning 2026";
    let res = app
        .client
        .post(app.url("/setup"))
        .form(&form(&token, "Ase@MFA.example", "Åse Ødegård", pw, pw))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Administrator account created")
    );

    let mut conn = app.pool.get().unwrap();
    let admin = users::find_by_email(&mut conn, "ase@mfa.example")
        .unwrap()
        .expect("admin stored");
    assert_eq!(admin.role, "admin");
    assert_eq!(admin.name, "Åse Ødegård");
    assert!(
        admin
            .password_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$")
    );
    assert!(!admin.password_hash.as_deref().unwrap().contains(pw));
    drop(conn);

    // The link is spent: the page and the form both answer 404, and no second account appears.
    assert_eq!(app.get(&path).await.status(), 404);
    let res = app
        .client
        .post(app.url("/setup"))
        .form(&form(&token, "evil@example.org", "Mallory", pw, pw))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let mut conn = app.pool.get().unwrap();
    assert_eq!(users::count(&mut conn).unwrap(), 1);
    drop(conn);

    // A restart on a database with accounts prints no link.
    let prepared = startup::prepare(app.settings.clone()).await.unwrap();
    assert!(
        startup::first_run(&prepared, false)
            .await
            .unwrap()
            .first_admin_link
            .is_none()
    );
}

#[actix_web::test]
async fn a_new_link_replaces_the_old_and_unknown_links_are_404() {
    let app = spawn_app().await;
    let old = path_of(app.notes.first_admin_link.as_ref().unwrap());
    let prepared = startup::prepare(app.settings.clone()).await.unwrap();
    let new = path_of(
        &startup::first_run(&prepared, false)
            .await
            .unwrap()
            .first_admin_link
            .unwrap(),
    );
    assert_ne!(old, new);
    assert_eq!(app.get(&old).await.status(), 404);
    assert_eq!(app.get(&new).await.status(), 200);
    assert_eq!(app.get("/setup?token=guessed").await.status(), 404);
    assert_eq!(app.get("/setup").await.status(), 400);
}

#[actix_web::test]
async fn the_demo_seeds_two_missions_and_one_account_per_role() {
    let app = spawn_app_with(Options {
        demo: true,
        ..Default::default()
    })
    .await;
    let accounts = app
        .notes
        .demo_accounts
        .clone()
        .expect("demo accounts printed");
    let mut roles: Vec<&str> = accounts.iter().map(|a| a.role.as_str()).collect();
    roles.sort();
    roles.dedup();
    assert_eq!(
        roles,
        [
            "admin",
            "auditor",
            "mfa_officer",
            "mission_staff",
            "police_liaison",
            "pst_analyst"
        ]
    );
    assert!(
        app.notes.first_admin_link.is_none(),
        "the demo has an administrator already"
    );
    let mut conn = app.pool.get().unwrap();
    assert_eq!(db::missions::count(&mut conn).unwrap(), 2);
    for a in &accounts {
        assert!(a.password.chars().count() >= 12);
        let user = users::find_by_email(&mut conn, &a.email).unwrap().unwrap();
        assert_eq!(user.role, a.role);
        assert_eq!(user.mission_id.is_some(), a.role == "mission_staff");
        let hash = user.password_hash.unwrap();
        assert!(!hash.contains(&a.password));
    }
    drop(conn);
    // Seeding again changes nothing.
    let prepared = startup::prepare(app.settings.clone()).await.unwrap();
    assert!(
        startup::first_run(&prepared, true)
            .await
            .unwrap()
            .demo_accounts
            .is_none()
    );
    let mut conn = app.pool.get().unwrap();
    assert_eq!(db::missions::count(&mut conn).unwrap(), 2);
}
