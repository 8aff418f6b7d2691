//! Documents (product.md § 12): attachments recognised by their bytes, streamed in and
//! out, kept from those who may not know them; the receipt and the note verbale as PDF/A, read
//! back with poppler's `pdftotext` and `pdfinfo` (installed when missing, as for the browser
//! tests; under CI a missing tool is a failure).

use std::process::Command;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Api, Cast, Journey, TestApp, day, request_body, spawn_app, text_rows};

/// A small PNG: the signature, a header and the end, nothing else.
pub fn png() -> Vec<u8> {
    let mut f = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    f.extend_from_slice(&13u32.to_be_bytes());
    f.extend_from_slice(b"IHDR");
    f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
    f.extend_from_slice(&[0x90, 0x77, 0x53, 0xde]);
    f.extend_from_slice(&0u32.to_be_bytes());
    f.extend_from_slice(b"IEND");
    f.extend_from_slice(&[0xae, 0x42, 0x60, 0x82]);
    f
}

/// A real PDF: one the portal's own typesetting makes.
pub fn pdf(text: &str) -> Vec<u8> {
    use protection_portal::documents::{Block, Doc, render};
    render(&Doc {
        title: "Site plan".into(),
        lang: "en",
        footer: "Site plan".into(),
        page_label: "Page {n} of {m}".into(),
        marking: None,
        created: chrono::Utc::now().naive_utc(),
        blocks: vec![Block::Paragraph(text.into())],
    })
    .expect("a PDF")
}

fn jpeg_start() -> Vec<u8> {
    let mut f = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10];
    f.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    f
}

/// Uploads `bytes` as `name` with these extra fields; the status and the answer.
pub async fn upload(
    api: &Api,
    id: &str,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    // The declared type is a lie on purpose: the portal reads the bytes.
    let part = Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("application/octet-stream")
        .unwrap();
    let res = api
        .client
        .post(format!("{}/api/v1/requests/{id}/attachments", api.base))
        .bearer_auth(&api.token)
        .multipart(form.part("file", part))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn field_errors(r: &Value) -> Vec<String> {
    r["error"]["fields"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|f| f["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn draft(app: &TestApp, c: &Cast) -> (Api, String) {
    let staff = app.api(&c.a).await;
    let d = staff
        .create_request(request_body("Guard at the residence"))
        .await;
    let id = d["id"].as_str().unwrap().to_owned();
    (staff, id)
}

#[actix_web::test]
async fn files_are_taken_by_their_bytes_and_named_cleanly() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let (staff, id) = draft(&app, &c).await;

    let plan = pdf("Site plan of the residence");
    // A browser writes a line break in a file name as %0D%0A.
    let (status, added) = upload(
        &staff,
        &id,
        "../../etc/\u{200f}会場の地図%0D%0Aplan.pdf",
        plan.clone(),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(
        added["filename"], "会場の地図plan.pdf",
        "no folders, CR/LF or direction marks"
    );
    assert_eq!(added["content_type"], "application/pdf");
    assert_eq!(added["size"], plan.len());
    assert_eq!(added["sha256"], hex::encode(Sha256::digest(&plan)));
    assert_eq!(added["visibility"], "external");
    assert_eq!(added["classification"], "unclassified");

    // A picture named as something else is kept as what it is.
    let (status, added_png) = upload(&staff, &id, "map.html", png(), &[]).await;
    assert_eq!(status, 201, "{added_png}");
    assert_eq!(added_png["filename"], "map.html.png");
    assert_eq!(added_png["content_type"], "image/png");

    let mut polyglot = jpeg_start();
    polyglot.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>");
    let refused: Vec<(&str, Vec<u8>)> = vec![
        ("letter.pdf", b"Dear Sir, this is only text.".to_vec()),
        (
            "plan.png",
            b"<!DOCTYPE html><html><body>x</body></html>".to_vec(),
        ),
        (
            "map.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec(),
        ),
        ("empty.pdf", Vec::new()),
        ("photo.jpg", polyglot),
        ("cut.pdf", plan[..plan.len() / 2].to_vec()),
    ];
    for (name, bytes) in refused {
        let (status, r) = upload(&staff, &id, name, bytes, &[]).await;
        assert_eq!(status, 422, "{name}: {r}");
        assert_eq!(field_errors(&r), vec!["file"], "{name}: {r}");
    }
    let (_, listed) = staff
        .get(&format!("/api/v1/requests/{id}/attachments"))
        .await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "nothing refused was kept"
    );

    // The download: the same bytes, as an attachment, never to be run.
    let aid = added["id"].as_str().unwrap();
    let res = staff
        .client
        .get(format!(
            "{}/api/v1/requests/{id}/attachments/{aid}",
            staff.base
        ))
        .bearer_auth(&staff.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(
        disposition
            .contains("filename*=UTF-8''%E4%BC%9A%E5%A0%B4%E3%81%AE%E5%9C%B0%E5%9B%B3plan.pdf"),
        "{disposition}"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), plan.as_slice());
}

#[actix_web::test]
async fn a_file_too_large_is_refused_before_it_is_read_and_a_request_holds_twenty() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let (staff, id) = draft(&app, &c).await;

    // Announced too large: answered 413 while the body is still unsent.
    let addr = staff.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/requests/{id}/attachments HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {}\r\n\r\n",
        staff.token,
        50 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
        .write_all(b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.7")
        .await
        .unwrap();
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("answered without waiting for the 50 MiB")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Sent too large without saying so: refused once it passes the limit.
    let mut big = pdf("x");
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let (status, r) = upload(&staff, &id, "big.pdf", big, &[]).await;
    assert_eq!(status, 413, "{r}");

    // Twenty files, then no more.
    for i in 0..20 {
        let (status, r) = upload(&staff, &id, &format!("plan-{i}.png"), png(), &[]).await;
        assert_eq!(status, 201, "file {i}: {r}");
    }
    let (status, r) = upload(&staff, &id, "one-too-many.png", png(), &[]).await;
    assert_eq!(status, 422, "{r}");
    assert_eq!(field_errors(&r), vec!["file"]);
    let (_, listed) = staff
        .get(&format!("/api/v1/requests/{id}/attachments"))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 20);
}

#[actix_web::test]
async fn files_are_seen_only_by_those_who_may_know_them() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let other_mission = app.api(&c.b).await;
    let mfa = app.api(&c.mfa).await;
    let police = app.api(&c.police).await;
    let uncleared_person = app.add_person("mfa_officer", None, Some("none")).await;
    let uncleared = app.api(&uncleared_person).await;
    let id = app.request_in(&c, "police_review").await;

    // The mission adds nothing once the Ministry has the request; the authorities add internal
    // files, classified within their clearance.
    let (status, r) = upload(&staff, &id, "late.png", png(), &[]).await;
    assert_eq!(status, 422, "{r}");
    let (status, r) = upload(
        &police,
        &id,
        "route.pdf",
        pdf("Patrol route"),
        &[("visibility", "external")],
    )
    .await;
    assert_eq!(status, 422, "the authorities' files are internal: {r}");
    assert_eq!(field_errors(&r), vec!["visibility"]);
    let (status, r) = upload(
        &mfa,
        &id,
        "secret.pdf",
        pdf("x"),
        &[("classification", "secret")],
    )
    .await;
    assert_eq!(status, 422, "above the ceiling: {r}");
    assert_eq!(field_errors(&r), vec!["classification"]);
    let (status, internal) = upload(
        &police,
        &id,
        "route.pdf",
        pdf("Patrol route"),
        &[("classification", "restricted")],
    )
    .await;
    assert_eq!(status, 201, "{internal}");
    assert_eq!(internal["visibility"], "internal");
    assert_eq!(internal["classification"], "restricted");
    let aid = internal["id"].as_str().unwrap();
    let file = format!("/api/v1/requests/{id}/attachments/{aid}");
    let list = format!("/api/v1/requests/{id}/attachments");

    // Absent for the mission, another mission and the uncleared officer: 404, not counted.
    for (who, api) in [("mission", &staff), ("uncleared officer", &uncleared)] {
        let (status, listed) = api.get(&list).await;
        assert_eq!(status, 200, "{who}");
        assert!(listed.as_array().unwrap().is_empty(), "{who}: {listed}");
        assert_eq!(api.get(&file).await.0, 404, "{who}");
        let (_, page) = api.get(&format!("/api/v1/requests/{id}")).await;
        assert!(!page.to_string().contains("route.pdf"), "{who}");
    }
    assert_eq!(other_mission.get(&list).await.0, 404);
    assert_eq!(other_mission.get(&file).await.0, 404);
    assert_eq!(mfa.get(&file).await.0, 200);

    // Reading it is in the security log; so is each refusal.
    let logged = text_rows(
        &app,
        &format!(
            "SELECT event || ' ' || outcome || ' ' || actor_user_id AS line FROM security_log \
             WHERE target_type = 'attachment' AND target_id = '{aid}' ORDER BY seq"
        ),
    );
    assert_eq!(
        logged,
        vec![
            format!("attachment_added success {}", c.police.id),
            format!("access_denied denied {}", c.a.id),
            format!("access_denied denied {}", uncleared_person.id),
            format!("attachment_downloaded success {}", c.mfa.id),
        ]
    );

    // Only the one who added a file removes it.
    let removed = police
        .client
        .delete(format!("{}{file}", police.base))
        .bearer_auth(&mfa.token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 403, "not the MFA's file");
    let removed = police
        .client
        .delete(format!("{}{file}", police.base))
        .bearer_auth(&police.token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(police.get(&file).await.0, 404);
}

/// poppler's tools, installed from Debian's packages when missing (as root, as the browser
/// tests install theirs). A machine that cannot install them fails the test.
fn poppler() {
    static READY: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let ready = READY.get_or_init(|| {
        if std::path::Path::new("/usr/bin/pdftotext").exists()
            && std::path::Path::new("/usr/bin/pdfinfo").exists()
        {
            return Ok(());
        }
        let apt = |args: &[&str]| {
            Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status()
                .map_err(|e| e.to_string())
                .and_then(|s| {
                    s.success()
                        .then_some(())
                        .ok_or(format!("apt-get {args:?}: {s}"))
                })
        };
        apt(&["update", "-q"])?;
        apt(&[
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            "poppler-utils",
        ])
    });
    if let Err(e) = ready {
        panic!("the PDF tests need poppler-utils (pdftotext, pdfinfo): {e}");
    }
}

/// A PDF's text as `pdftotext` reads it, and what `pdfinfo` says of it (with its metadata).
fn read_pdf(pdf: &[u8]) -> (String, String) {
    poppler();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let text = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(text.status.success(), "pdftotext reads it");
    // Lines broken by the layout are read as one text.
    let text = String::from_utf8(text.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let info = Command::new("pdfinfo")
        .arg("-meta")
        .arg(&path)
        .output()
        .unwrap();
    assert!(info.status.success(), "pdfinfo reads it");
    let info2 = Command::new("pdfinfo").arg(&path).output().unwrap();
    (
        text,
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&info2.stdout),
            String::from_utf8_lossy(&info.stdout)
        ),
    )
}

/// A PDF's text as `pdftotext` reads it, in one line.
pub fn pdf_text(pdf: &[u8]) -> String {
    read_pdf(pdf).0
}

async fn fetch_pdf(api: &Api, path: &str) -> (u16, Vec<u8>) {
    let res = api
        .client
        .get(format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    if status == 200 {
        assert_eq!(res.headers()["content-type"], "application/pdf");
    }
    (status, res.bytes().await.unwrap().to_vec())
}

fn assert_archival_a4(info: &str) {
    assert!(
        info.contains("Page size:") && info.contains("595.28 x 841.89 pts (A4)"),
        "{info}"
    );
    assert!(
        info.contains("pdfaid:part>2<") || info.contains("pdfaid:part=\"2\""),
        "PDF/A-2: {info}"
    );
    assert!(
        info.contains("pdfaid:conformance>B<") || info.contains("pdfaid:conformance=\"B\""),
        "PDF/A-2b: {info}"
    );
}

/// A request with a note verbale, two measures and markers in every text the mission writes.
fn marked_body() -> Value {
    let on = day(20);
    json!({
        "title": "Guard at the reception MARK-TITLE",
        "justification": "Ministers attend MARK-JUSTIFICATION.",
        "urgency": "routine",
        "contact": { "name": "Guðrún Jónsdóttir", "phone": "+354 555 0100", "email": "gudrun@iceland.example" },
        "measures": [
            { "kind": "static_guard", "location": "residence", "starts_on": on, "ends_on": on,
              "from_time": "17:00", "until_time": "22:30", "description": "At the gate MARK-MEASURE-1" },
            { "kind": "traffic_restriction", "location": "other", "address": "Karl Johans gate 31",
              "starts_on": on, "ends_on": on, "description": "Along the street MARK-MEASURE-2" }
        ],
        "event": { "name": "National day reception MARK-EVENT", "venue": "Grand Hotel",
                   "address": "Karl Johans gate 31, 0159 Oslo",
                   "starts_at": format!("{on}T18:00"), "ends_at": format!("{on}T22:30") },
        "protected_persons": [
            { "name": "Þórdís Kolbrún Reykfjörð Gylfadóttir MARK-PERSON", "position": "Minister for Foreign Affairs" }
        ],
        "note_verbale": { "number": "12/2026", "dated_on": day(0) }
    })
}

#[actix_web::test]
async fn the_receipt_and_the_note_verbale_are_archival_pdfs_in_the_readers_language() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let mfa = app.api(&c.mfa).await;
    let journey = Journey {
        body: marked_body(),
        consult_pst: true,
        ..Journey::default()
    };
    let id = app.request_in_with(&c, "approved", journey).await;
    let (_, r) = staff.get(&format!("/api/v1/requests/{id}")).await;
    let reference = r["reference"].as_str().unwrap().to_owned();

    // The receipt, as the mission reads it: what it submitted, nothing of PST.
    let (status, receipt) = fetch_pdf(&staff, &format!("/api/v1/requests/{id}/receipt.pdf")).await;
    assert_eq!(status, 200);
    let (text, info) = read_pdf(&receipt);
    if let Ok(dir) = std::env::var("KEEP_PDFS") {
        std::fs::write(format!("{dir}/receipt.pdf"), &receipt).unwrap();
    }
    assert_archival_a4(&info);
    for expected in [
        reference.as_str(),
        "Embassy of Iceland",
        "Receipt for a request for protection",
        "MARK-TITLE",
        "MARK-EVENT",
        "MARK-PERSON",
        "MARK-MEASURE-1",
        "MARK-MEASURE-2",
        "No. 12/2026",
        "What happens next",
        "Page 1 of",
    ] {
        assert!(
            text.contains(expected),
            "the receipt holds {expected:?}:\n{text}"
        );
    }
    let first = text.find("MARK-MEASURE-1").unwrap();
    assert!(
        first < text.find("MARK-MEASURE-2").unwrap(),
        "in reading order"
    );
    for absent in ["PST", "Credible intent", "assessment", "Decided"] {
        assert!(
            !text.contains(absent),
            "the mission's receipt says nothing of {absent:?}"
        );
    }

    // The note verbale: compliments by name, the mission's note, each measure's outcome in
    // order, the reference, Oslo and the date; in English and in Bokmål.
    let (status, reply) = fetch_pdf(&staff, &format!("/api/v1/requests/{id}/reply.pdf")).await;
    assert_eq!(status, 200);
    let (text, info) = read_pdf(&reply);
    if let Ok(dir) = std::env::var("KEEP_PDFS") {
        std::fs::write(format!("{dir}/reply.pdf"), &reply).unwrap();
    }
    assert_archival_a4(&info);
    for expected in [
        "presents its compliments to the Embassy of Iceland",
        "the mission's note verbale No. 12/2026",
        crate::helpers::REPLY,
        crate::helpers::CONDITIONS,
        reference.as_str(),
        "Oslo, ",
        "highest consideration",
    ] {
        assert!(
            text.contains(expected),
            "the note holds {expected:?}:\n{text}"
        );
    }
    let approved = text
        .find("Approved with conditions")
        .expect("the first measure's outcome");
    let declined = text.find("Declined").expect("the second measure's outcome");
    assert!(
        approved < declined,
        "outcomes in the measures' order:\n{text}"
    );
    assert!(!text.contains("PST") && !text.contains("Credible intent"));

    let (status, norsk) =
        fetch_pdf(&staff, &format!("/api/v1/requests/{id}/reply.pdf?lang=nb")).await;
    assert_eq!(status, 200);
    let (text, _) = read_pdf(&norsk);
    if let Ok(dir) = std::env::var("KEEP_PDFS") {
        std::fs::write(format!("{dir}/reply-nb.pdf"), &norsk).unwrap();
    }
    for expected in [
        "Det kongelige utenriksdepartement presenterer sine komplimenter til Embassy of Iceland",
        "Innvilget med vilkår",
        "Avslått",
        "Side 1 av",
    ] {
        assert!(text.contains(expected), "Bokmål: {expected:?}:\n{text}");
    }
    assert!(
        text.find("Innvilget med vilkår").unwrap() < text.find("Avslått").unwrap(),
        "{text}"
    );
    assert_eq!(
        fetch_pdf(&staff, &format!("/api/v1/requests/{id}/reply.pdf?lang=xx"))
            .await
            .0,
        422
    );

    // The authorities read the same documents; another mission does not know them.
    assert_eq!(
        fetch_pdf(&mfa, &format!("/api/v1/requests/{id}/receipt.pdf"))
            .await
            .0,
        200
    );
    let other = app.api(&c.b).await;
    assert_eq!(
        fetch_pdf(&other, &format!("/api/v1/requests/{id}/receipt.pdf"))
            .await
            .0,
        404
    );
    assert_eq!(
        fetch_pdf(&other, &format!("/api/v1/requests/{id}/reply.pdf"))
            .await
            .0,
        404
    );

    // Before submission there is no receipt; before the reply there is no note verbale.
    let draft = app.request_in(&c, "draft").await;
    assert_eq!(
        fetch_pdf(&staff, &format!("/api/v1/requests/{draft}/receipt.pdf"))
            .await
            .0,
        404
    );
    let decided = app.request_in(&c, "decided").await;
    assert_eq!(
        fetch_pdf(&staff, &format!("/api/v1/requests/{decided}/receipt.pdf"))
            .await
            .0,
        200
    );
    assert_eq!(
        fetch_pdf(&staff, &format!("/api/v1/requests/{decided}/reply.pdf"))
            .await
            .0,
        404
    );
}

#[actix_web::test]
async fn no_file_or_marker_reaches_an_email() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let d = staff.create_request(marked_body()).await;
    let id = d["id"].as_str().unwrap().to_owned();
    let (status, _) = upload(
        &staff,
        &id,
        "MARK-FILENAME plan.pdf",
        pdf("MARK-FILE-TEXT"),
        &[],
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = staff.act(&id, json!({ "action": "submit" })).await;
    assert_eq!(status, 200);
    let mfa = app.api(&c.mfa).await;
    assert_eq!(mfa.act(&id, json!({ "action": "take" })).await.0, 200);
    let (status, _) = upload(
        &mfa,
        &id,
        "MARK-INTERNAL.png",
        png(),
        &[("classification", "restricted")],
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = mfa
        .act(
            &id,
            json!({ "action": "request_information", "message": "Which gate?" }),
        )
        .await;
    assert_eq!(status, 200);
    let mails = text_rows(&app, "SELECT payload AS line FROM outbox");
    assert!(!mails.is_empty(), "the steps sent e-mail");
    for mail in &mails {
        assert!(
            !mail.contains("MARK-"),
            "no request content or file in an e-mail: {mail}"
        );
        assert!(!mail.contains("%PDF"), "no file in an e-mail");
    }
}
