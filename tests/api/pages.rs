use crate::helpers::{assert_security_headers, spawn_app};

#[actix_web::test]
async fn start_page_uses_the_layout_and_the_bundled_stylesheet() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert_security_headers(&res);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\">"));
    assert!(html.contains("<title>Request external protection – Protection portal</title>"));
    assert!(html.contains("<main id=\"main\""));
    assert!(html.contains("<header") && html.contains("<footer"));
    // No external assets: every src/href is local.
    for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(!html.contains(attr), "external asset via {attr}");
    }
    let css = app.get("/static/portal.css").await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.text().await.unwrap().contains(":focus-visible"));
}

#[actix_web::test]
async fn unknown_pages_get_the_error_page_with_headers_and_nothing_internal() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page?x=<script>").await;
    assert_eq!(res.status(), 404);
    assert_security_headers(&res);
    let html = res.text().await.unwrap();
    assert!(html.contains("<h1>Page not found</h1>"));
    assert!(!html.contains("<script>"));

    // A wrong method is 405 with the same frame.
    let res = app.get("/sign-out").await;
    assert_eq!(res.status(), 405);
    assert_security_headers(&res);
    assert!(res.text().await.unwrap().contains("Not allowed"));
}

#[actix_web::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = spawn_app().await;
    let (status, head) =
        crate::helpers::oversized_post(&app, "/setup", None, "application/x-www-form-urlencoded")
            .await;
    assert_eq!(status, 413);
    assert!(
        head.contains("content-security-policy: default-src 'self'"),
        "{head}"
    );
}
