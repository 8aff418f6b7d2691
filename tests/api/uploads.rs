//! Forms with files (`multipart/form-data`) against the running server: the CSRF check and the
//! repeated-parameter check hold for them as for urlencoded forms (`web::body` has the rules),
//! and their bodies are bounded. The existing form routes expect urlencoded bodies, so a
//! multipart post that passes both checks is then refused by the handler (415) — never 403.

use crate::helpers::{Browser, Person, TestApp, spawn_app, text_rows};

const BOUNDARY: &str = "portal-test-boundary-7MA4YWxkTrZu0gW";
/// A form route with a visible effect: it creates an API token named by `token_name`.
const ROUTE: &str = "/account/tokens";

/// A multipart body of (name, file name, value) parts, in order.
fn multipart(parts: &[(&str, Option<&str>, &str)]) -> String {
    let mut body = String::new();
    for (name, file, value) in parts {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\""
        ));
        if let Some(file) = file {
            body.push_str(&format!(
                "; filename=\"{file}\"\r\nContent-Type: application/pdf"
            ));
        }
        body.push_str(&format!("\r\n\r\n{value}\r\n"));
    }
    body + &format!("--{BOUNDARY}--\r\n")
}

/// Posts a multipart body with the browser's cookies; returns the status and the page.
async fn post(b: &Browser, body: String, headers: &[(&'static str, &str)]) -> (u16, String) {
    let mut req = b
        .client
        .post(b.url(ROUTE))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// A signed-in mission member, their browser and their session's CSRF token.
async fn signed_in(app: &TestApp) -> (Browser, String) {
    let mission = app.add_mission("Embassy of Iceland").await;
    let mut person: Person = app.add_person("mission_staff", Some(&mission), None).await;
    let b = app.signed_in(&mut person).await;
    let csrf = b.get("/account").await.csrf();
    (b, csrf)
}

fn nothing_created(app: &TestApp) {
    assert!(
        text_rows(app, "SELECT name AS line FROM api_tokens").is_empty(),
        "a refused post created a token"
    );
}

/// Whether the handler, not a middleware, refused the form: it takes urlencoded bodies only
/// (415), and the middlewares' own refusals say why.
fn handler_refused(status: u16, page: &str) -> bool {
    [400, 415, 422].contains(&status)
        && !page.contains("more than once")
        && !page.contains("could not be read")
}

#[actix_web::test]
async fn a_multipart_form_needs_the_session_token_in_its_field_before_the_files_or_in_the_header() {
    let app = spawn_app().await;
    let (b, csrf) = signed_in(&app).await;
    let wrong = "a".repeat(csrf.len());
    let fields = |token: Option<&str>| {
        let mut parts = Vec::new();
        if let Some(token) = token {
            parts.push(("csrf_token", None, token));
        }
        parts.extend([
            ("token_name", None, "planted through a multipart form"),
            ("expires_in_days", None, ""),
            ("attachment", Some("letter.pdf"), "%PDF-1.7 not really"),
        ]);
        multipart(&parts)
    };

    // Refused: no token, a wrong one (in the field or the header), a right one in the field
    // but after the file, a wrong header beside a right field (the header decides), and a
    // right header from another site.
    assert_eq!(post(&b, fields(None), &[]).await.0, 403, "no token");
    assert_eq!(
        post(&b, fields(Some(&wrong)), &[]).await.0,
        403,
        "wrong field"
    );
    assert_eq!(
        post(&b, fields(None), &[("x-csrf-token", &wrong)]).await.0,
        403,
        "wrong header"
    );
    let after_the_file = multipart(&[
        ("token_name", None, "planted through a multipart form"),
        ("attachment", Some("letter.pdf"), "%PDF-1.7"),
        ("csrf_token", None, &csrf),
    ]);
    assert_eq!(
        post(&b, after_the_file, &[]).await.0,
        403,
        "token after the file"
    );
    assert_eq!(
        post(&b, fields(Some(&csrf)), &[("x-csrf-token", &wrong)])
            .await
            .0,
        403,
        "a wrong header is not saved by a right field"
    );
    assert_eq!(
        post(
            &b,
            fields(None),
            &[("x-csrf-token", &csrf), ("origin", "https://evil.example")]
        )
        .await
        .0,
        403,
        "cross-site, whatever the token"
    );
    assert_eq!(
        post(&b, "not multipart at all".into(), &[]).await.0,
        403,
        "a body that cannot be read carries no token"
    );
    nothing_created(&app);

    // Let through the CSRF check: the right token in the field (before the file) or in the
    // header. The handler reads urlencoded forms only, so it refuses the body itself.
    for (what, body, headers) in [
        ("field", fields(Some(&csrf)), vec![]),
        (
            "header",
            fields(None),
            vec![("x-csrf-token", csrf.as_str())],
        ),
    ] {
        let (status, page) = post(&b, body, &headers).await;
        assert_ne!(status, 403, "the right token in the {what}: {page}");
        assert!(handler_refused(status, &page), "{what}: {status} {page}");
    }
    nothing_created(&app);
}

#[actix_web::test]
async fn a_field_repeated_in_a_multipart_form_is_refused_as_in_an_urlencoded_one() {
    let app = spawn_app().await;
    let (b, csrf) = signed_in(&app).await;
    for (token_in_header, body) in [
        (
            false,
            multipart(&[
                ("csrf_token", None, &csrf),
                ("token_name", None, "first"),
                ("attachment", Some("letter.pdf"), "%PDF-1.7"),
                ("token_name", None, "second"),
                ("expires_in_days", None, ""),
            ]),
        ),
        (
            true,
            multipart(&[
                ("token_name", None, "first"),
                ("token_name", None, "second"),
                ("expires_in_days", None, ""),
            ]),
        ),
    ] {
        let headers = if token_in_header {
            vec![("x-csrf-token", csrf.as_str())]
        } else {
            vec![]
        };
        let (status, page) = post(&b, body, &headers).await;
        assert_eq!(status, 400, "{page}");
        assert!(page.contains("token_name"), "{page}");
        assert!(page.contains("more than once"), "{page}");
    }
    // The token itself twice: the first lets the post past the CSRF check, the repeat is
    // refused like any other.
    let (status, page) = post(
        &b,
        multipart(&[
            ("csrf_token", None, &csrf),
            ("csrf_token", None, "another"),
            ("token_name", None, "twice"),
        ]),
        &[],
    )
    .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("csrf_token") && page.contains("more than once"));
    // Several files under one name are no repeat.
    let (status, page) = post(
        &b,
        multipart(&[
            ("csrf_token", None, &csrf),
            ("attachment", Some("a.pdf"), "1"),
            ("attachment", Some("b.pdf"), "2"),
        ]),
        &[],
    )
    .await;
    assert!(handler_refused(status, &page), "{status} {page}");
    nothing_created(&app);
}

/// Sends the head of a POST announcing `announced` bytes and the body's first bytes, as raw
/// HTTP (so that the server's early answer is read before the rest would be sent), and returns
/// the status.
async fn announce(app: &TestApp, cookie: &str, extra: &str, announced: usize, start: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {ROUTE} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n{extra}\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {announced}\r\n\r\n{start}"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
        .await
        .expect("the server answers before the body is sent")
        .unwrap();
    let head = String::from_utf8_lossy(&buf[..n]).to_string();
    head.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[actix_web::test]
async fn a_multipart_body_over_its_routes_limit_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    let (b, csrf) = signed_in(&app).await;
    let cookie = b.cookie().unwrap();
    // This route has no limit of its own: `server.max_body_bytes` (256 KiB) holds for
    // multipart bodies too. The token in the header or in the field before the file: the CSRF
    // check passes on the body's start, and the announced size is refused.
    let file_starts = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachment\"; \
         filename=\"big.pdf\"\r\n\r\n%PDF"
    );
    let with_header = format!("X-CSRF-Token: {csrf}\r\n");
    assert_eq!(
        announce(&app, &cookie, &with_header, 10_000_000, &file_starts).await,
        413
    );
    let token_then_file = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         {file_starts}"
    );
    assert_eq!(
        announce(&app, &cookie, "", 10_000_000, &token_then_file).await,
        413
    );
    // Without the token, a file first is refused on what was sent so far.
    assert_eq!(
        announce(&app, &cookie, "", 10_000_000, &file_starts).await,
        403
    );
    nothing_created(&app);
}
