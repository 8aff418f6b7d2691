use crate::helpers::{assert_security_headers, spawn_app};

#[actix_web::test]
async fn live_and_ready_answer_200_with_security_headers() {
    let app = spawn_app().await;
    let res = app.get("/health/live").await;
    assert_eq!(res.status(), 200);
    assert_security_headers(&res);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["status"],
        "live"
    );
    let res = app.get("/health/ready").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["status"],
        "ready"
    );
}

/// A database server can go away under a running portal; an embedded SQLite file cannot (the
/// process holds it open), so this runs on PostgreSQL — as `.ci/run` does on every change.
#[actix_web::test]
async fn ready_is_503_when_the_database_server_is_gone() {
    let app = spawn_app().await;
    if !app.db.is_postgres() {
        eprintln!("skipped on SQLite: runs with TEST_DATABASE_URL");
        return;
    }
    assert_eq!(app.get("/health/ready").await.status(), 200);
    app.db.drop_now();
    let res = app.get("/health/ready").await;
    assert_eq!(res.status(), 503);
    assert_security_headers(&res);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert!(
        !body.to_string().contains("pp_test"),
        "no internals: {body}"
    );
    // Liveness does not depend on the database.
    assert_eq!(app.get("/health/live").await.status(), 200);
}
