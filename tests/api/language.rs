//! English and Norwegian Bokmål: the browser's language before sign-in, each person's own
//! choice after it, on every page of every role, in error messages and in e-mails — with
//! nothing left in English on a Norwegian page.

use protection_portal::i18n::{self, Lang};
use serde_json::json;

use crate::helpers::{Browser, spawn_app};

/// The text a person reads on a page: its title and every text between tags, unescaped —
/// less what is shown as code (event names, identifiers), which is the same in every language.
fn visible_text(html: &str) -> String {
    let mut without_code = String::new();
    let mut rest = html;
    while let Some(open) = rest.find("<code>") {
        without_code.push_str(&rest[..open]);
        rest = rest[open..]
            .find("</code>")
            .map_or("", |close| &rest[open + close..]);
    }
    without_code.push_str(rest);
    let mut out = String::new();
    let mut rest = without_code.as_str();
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        rest = match rest[open..].find('>') {
            Some(close) => &rest[open + close + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Whether `needle` stands in `text` as whole words.
fn has_words(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The English texts of the catalogue that must not appear on a Norwegian page: those that
/// differ in Bokmål and are more than a code or a name.
fn english_only() -> Vec<&'static str> {
    i18n::entries()
        .iter()
        .filter(|(en, nb)| en != nb && !en.contains("{}"))
        .map(|(en, _)| en.trim())
        .filter(|en| en.chars().filter(|c| c.is_alphabetic()).count() >= 4)
        .collect()
}

/// A complete request written in Norwegian (what people type is not translated).
fn request_body(title: &str) -> serde_json::Value {
    let mut body = crate::helpers::request_body(title);
    body["justification"] = json!("Trusler mot ambassadøren er mottatt per e-post denne uken.");
    body["contact"]["name"] = json!("Guðrún Jónsdóttir");
    for m in body["measures"].as_array_mut().unwrap() {
        m["description"] = json!("Døgnkontinuerlig vakthold");
        if m.get("address").is_some() {
            m["address"] = json!("Drammensveien 1");
        }
    }
    body
}

/// Checks a page that must be in Bokmål; returns what was left in English.
fn untranslated(path: &str, status: u16, html: &str) -> Vec<String> {
    let mut found = Vec::new();
    if !html.contains("<html lang=\"nb\">") {
        found.push(format!("{path} ({status}): not marked lang=\"nb\""));
    }
    let text = visible_text(html);
    for en in english_only() {
        if has_words(&text, en) {
            found.push(format!("{path} ({status}): {en:?}"));
        }
    }
    // Texts missing from the catalogue altogether show as English words no Norwegian text
    // has (the test's own data is written in Norwegian).
    let lower = text.to_lowercase();
    for word in ["the", "your", "and", "of", "with", "this", "please", "you"] {
        if has_words(&lower, word) {
            let at = lower.match_indices(word).find(|(i, _)| {
                !lower[..*i]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
                    && !lower[i + word.len()..]
                        .chars()
                        .next()
                        .is_some_and(char::is_alphanumeric)
            });
            let context: String = at
                .map(|(i, _)| lower[i.saturating_sub(40)..].chars().take(90).collect())
                .unwrap_or_default();
            found.push(format!(
                "{path} ({status}): English word {word:?} in …{context}…"
            ));
        }
    }
    found
}

async fn norwegian_get(b: &Browser, path: &str) -> (u16, String) {
    let res = b
        .client
        .get(b.url(path))
        .header("accept-language", "nb-NO,nb;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[actix_web::test]
async fn before_sign_in_the_browsers_language_decides() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let page = |lang: &'static str, path: &'static str| {
        let req = client
            .get(app.url(path))
            .header("accept-language", lang)
            .send();
        async move {
            let res = req.await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let (_, en) = page("en-GB,en;q=0.9", "/sign-in").await;
    assert!(en.contains("<html lang=\"en\">") && en.contains("Sign in"));
    let (_, nb) = page("nb-NO,nb;q=0.9,en;q=0.5", "/sign-in").await;
    assert!(
        nb.contains("<html lang=\"nb\">") && nb.contains("Logg inn"),
        "{nb}"
    );
    let (_, nb) = page("no", "/").await;
    assert!(nb.contains("Anmod om ytre beskyttelse"), "{nb}");
    // Error pages too, with the same reference to quote.
    let (status, nb) = page("nb", "/no-such-page").await;
    assert_eq!(status, 404);
    assert!(nb.contains("Fant ikke siden"), "{nb}");
    let mut found = Vec::new();
    for path in [
        "/",
        "/sign-in",
        "/no-such-page",
        "/invitation?token=unknown",
    ] {
        let (status, html) = page("nb", path).await;
        found.extend(untranslated(path, status, &html));
    }
    // The first-administrator page, and the second-factor steps of a first sign-in.
    let b = app.browser();
    let link = crate::helpers::path_of(app.notes.first_admin_link.as_deref().unwrap());
    let (status, html) = norwegian_get(&b, &link).await;
    found.extend(untranslated("first administrator", status, &html));
    let person = app
        .add_person("mfa_officer", None, Some("restricted"))
        .await;
    let res = b
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", &person.email), ("password", &person.password)],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/sign-in/enrol"));
    let (status, html) = norwegian_get(&b, "/sign-in/enrol").await;
    assert!(html.contains("Sett opp autentiseringsappen"), "{html}");
    found.extend(untranslated("enrolment", status, &html));
    assert!(found.is_empty(), "left in English:\n{}", found.join("\n"));
    // A language the portal does not speak falls back to English.
    let (_, de) = page("de-DE,de;q=0.9", "/sign-in").await;
    assert!(de.contains("<html lang=\"en\">"));
}

#[actix_web::test]
async fn every_page_of_every_role_is_in_bokmal_for_those_who_chose_it() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let mut admin = app.add_person("admin", None, None).await;
    // Missions' names are what their administrators typed: Norwegian ones here, so that the
    // search for English below finds only the portal's own words.
    protection_portal::db::run(&app.pool, |conn| {
        use protection_portal::app::{self, Acting, missions};
        for (i, m) in missions::list_missions(conn)?.into_iter().enumerate() {
            missions::rename_mission(
                conn,
                &Acting::command_line(),
                &m.id,
                &format!("Ambassade nummer {}", i + 1),
                app::now(),
            )?;
        }
        Ok::<_, app::AppError>(())
    })
    .await
    .unwrap();

    // Requests in the states each role has pages for.
    let (staff_api, mfa_api, police_api, pst_api) = (
        app.api(&c.a).await,
        app.api(&c.mfa).await,
        app.api(&c.police).await,
        app.api(&c.pst).await,
    );
    let (_, draft) = staff_api
        .post(
            "/api/v1/requests",
            json!({ "title": "Utkast til vakthold" }),
        )
        .await;
    let draft = draft["id"].as_str().unwrap().to_owned();
    let (_, complete) = staff_api
        .post("/api/v1/requests", request_body("Vakthold ved residensen"))
        .await;
    let complete = complete["id"].as_str().unwrap().to_owned();
    let (_, r) = staff_api
        .post("/api/v1/requests", request_body("Patruljer under besøket"))
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    for (api, body) in [
        (&staff_api, json!({ "action": "submit" })),
        (&mfa_api, json!({ "action": "take" })),
        (&mfa_api, json!({ "action": "forward_to_police" })),
        (&police_api, json!({ "action": "refer_to_pst" })),
        (
            &pst_api,
            json!({ "action": "submit_assessment", "assessment": { "threat_level": "high", "summary": "Trusler mot kanselliet.", "classification": "restricted" } }),
        ),
    ] {
        let (status, body) = api.act(&id, body).await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, full) = police_api.get(&format!("/api/v1/requests/{id}")).await;
    let outcomes: Vec<_> = full["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| json!({ "measure_id": m["id"], "outcome": "approved_with_conditions", "conditions": "Kun om kvelden." }))
        .collect();
    assert_eq!(
        police_api
            .act(&id, json!({ "action": "decide", "outcomes": outcomes }))
            .await
            .0,
        200
    );
    assert_eq!(
        mfa_api
            .act(&id, json!({ "action": "communicate_decision", "reply": "Departementet bekrefter tiltakene." }))
            .await
            .0,
        200
    );

    // One person chooses Bokmål on the account page; the others have it set.
    let a = app.signed_in(&mut c.a).await;
    let page = a
        .submit("/account", "/account/language", &[("language", "nb")])
        .await;
    assert_eq!(page.status, 303);
    let refused = a
        .submit("/account", "/account/language", &[("language", "sv")])
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("må være en av: en, nb"),
        "{}",
        refused.body
    );
    for person in [&c.mfa, &c.police, &c.pst, &admin] {
        app.set_language(person, Lang::Nb).await;
    }
    let mfa = app.signed_in(&mut c.mfa).await;
    let police = app.signed_in(&mut c.police).await;
    let pst = app.signed_in(&mut c.pst).await;
    let admin_b = app.signed_in(&mut admin).await;

    let pages: Vec<(&Browser, Vec<String>)> = vec![
        (
            &a,
            vec![
                "/".into(),
                "/requests/new".into(),
                format!("/requests/{draft}/edit?check=1"),
                format!("/requests/{complete}/review"),
                format!("/requests/{draft}/discard"),
                format!("/requests/{id}"),
                format!("/requests/{id}/submitted"),
                format!("/requests/{id}/receipt"),
                "/notifications".into(),
                "/account".into(),
                "/accessibility".into(),
                "/admin/users".into(),
            ],
        ),
        (
            &mfa,
            vec![
                "/".into(),
                "/?queue=all".into(),
                format!("/requests/{id}"),
                "/notifications".into(),
                "/account".into(),
            ],
        ),
        (&police, vec!["/".into(), format!("/requests/{id}")]),
        (&pst, vec!["/".into(), format!("/requests/{id}")]),
        (
            &admin_b,
            vec![
                "/admin/users".into(),
                "/admin/users/new".into(),
                format!("/admin/users/{}", c.a.id),
                "/admin/missions".into(),
                format!("/admin/missions/{}", c.mission_a),
                "/admin/security-log".into(),
                "/admin/deliveries".into(),
                "/admin/jobs".into(),
                "/account".into(),
                "/requests/no-such-request".into(),
            ],
        ),
    ];
    let mut found = Vec::new();
    for (b, paths) in &pages {
        for path in paths {
            // The person's choice wins over the browser's.
            let (status, html) = norwegian_get(b, path).await;
            assert!(status < 500, "{path}: {status}");
            found.extend(untranslated(path, status, &html));
        }
    }
    // Forms refused with errors beside their fields.
    // "Continue" on an empty form: every rule at once, nothing stored.
    let page = a
        .submit("/requests/new", "/requests/new", &[("op", "review")])
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    found.extend(untranslated("incomplete request", page.status, &page.body));
    assert!(page.body.contains("Det er et problem"), "{}", page.body);
    let page = a
        .submit(
            "/account",
            "/account/password",
            &[
                ("current_password", "feil passord her"),
                ("new_password", "et nytt og langt passord"),
                ("new_password_confirmation", "et annet og langt passord"),
            ],
        )
        .await;
    found.extend(untranslated("password refused", page.status, &page.body));
    assert!(
        page.body.contains("er ikke det nåværende passordet ditt")
            || page.body.contains("må være likt det nye passordet"),
        "{}",
        page.body
    );
    assert!(found.is_empty(), "left in English:\n{}", found.join("\n"));

    // Dates as Norwegians write them.
    let request = a.get(&format!("/requests/{id}")).await.body;
    let months = [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ];
    assert!(
        months
            .iter()
            .any(|m| request.contains(&format!(". {m} 20"))),
        "a date like 24. november 2026"
    );
    assert!(
        request.contains(" kl. "),
        "a time like 23.11.2026 kl. 18.16"
    );
    // An English speaker sees the same request in English.
    app.set_language(&c.a, Lang::En).await;
    let english = a.get(&format!("/requests/{id}")).await.body;
    assert!(english.contains("<html lang=\"en\">") && english.contains("Approved with conditions"));

    // The API answers in the caller's language too.
    app.set_language(&c.a, Lang::Nb).await;
    let (status, body) = staff_api
        .post("/api/v1/requests", json!({ "title": "x".repeat(201) }))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid");
    assert_eq!(
        body["error"]["message"],
        "Noen felt oppfyller ikke kravene."
    );
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Kort ned tittelen til høyst 200 tegn"),
        "{body}"
    );
}

#[actix_web::test]
async fn e_mails_go_out_in_the_recipients_language() {
    let app = spawn_app().await;
    let server = crate::smtp::SmtpServer::start().await;
    let c = app.cast().await;
    app.set_language(&c.a, Lang::Nb).await;
    let staff = app.api(&c.a).await;
    let (_, r) = staff
        .post("/api/v1/requests", request_body("Vakthold"))
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    assert_eq!(staff.act(&id, json!({ "action": "submit" })).await.0, 200);
    let settings = crate::helpers::smtp_settings(&app, &server);
    crate::helpers::drain(crate::helpers::worker(&app, settings)).await;
    let messages: Vec<_> = server
        .messages()
        .into_iter()
        .map(|mut m| {
            m.data = quoted_printable(&m.data);
            m
        })
        .collect();
    let receipt = messages
        .iter()
        .find(|m| m.recipients.contains(&c.a.email))
        .expect("the submitter's receipt");
    let officer = messages
        .iter()
        .find(|m| m.recipients.contains(&c.mfa.email))
        .expect("the MFA officer's notice");
    assert!(
        receipt.data.contains("Vi har mottatt anmodningen deres"),
        "{}",
        receipt.data
    );
    assert!(receipt.data.contains("Status: Mottatt"), "{}", receipt.data);
    assert!(
        officer.data.contains("A mission has submitted a request"),
        "{}",
        officer.data
    );
}

/// A mail's text with quoted-printable soft breaks and escapes undone (lettre encodes bodies
/// with non-ASCII letters that way).
fn quoted_printable(data: &str) -> String {
    let joined = data.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
