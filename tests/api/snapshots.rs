//! Snapshots (insta) of what each role is shown: a request through the JSON API as mission
//! staff, the MFA officer, the police liaison and the PST analyst at several states, the lists
//! of a mission and of the MFA, the timeline and messages as the mission and the police read
//! them, and the main content of the request page for the mission and the police.
//!
//! Ids, references, dates, times and tokens vary from run to run and are replaced by labels
//! (`[request]`, `[MFA officer]`, `[today+1]`, `[timestamp]`, …), so that the snapshots in
//! `tests/api/snapshots/` are the same on every run and on SQLite and PostgreSQL alike. A change
//! to what someone is shown appears as a diff there, to be read and accepted on purpose
//! (`INSTA_UPDATE=always cargo test --test api snapshots`, or `cargo insta review`); under
//! `CI=true` a difference fails the test and nothing is written.

use insta::internals::{Content, ContentPath};
use serde_json::{Value, json};

use protection_portal::i18n::{Lang, date_in};

use crate::helpers::{Api, Cast, Journey, REPLY, TestApp, between, day, request_body, spawn_app};

// ---- making snapshots stable ------------------------------------------------------------------

/// What varies between runs, each with the label that stands for it in the snapshots.
struct Labels(Vec<(String, String)>);

impl Labels {
    /// The cast's missions and people: ids, names and e-mail addresses.
    async fn of(app: &TestApp, c: &Cast) -> Labels {
        let mut labels = Labels(Vec::new());
        labels.add(&c.mission_a, "[mission A]");
        labels.add(&c.mission_b, "[mission B]");
        for (person, who) in [
            (&c.a, "staff A"),
            (&c.b, "staff B"),
            (&c.mfa, "MFA officer"),
            (&c.police, "police liaison"),
            (&c.pst, "PST analyst"),
        ] {
            let name = {
                let mut conn = app.pool.get().unwrap();
                protection_portal::db::users::find(&mut conn, &person.id)
                    .unwrap()
                    .expect("the person exists")
                    .name
            };
            labels.add(&person.id, &format!("[{who} id]"));
            labels.add(&name, &format!("[{who}]"));
            labels.add(&person.email, &format!("[{who} e-mail]"));
        }
        labels
    }

    fn add(&mut self, literal: &str, label: &str) {
        self.0.push((literal.to_owned(), label.to_owned()));
    }

    /// Labels the measures of request `id` as `[measure 1]`, `[measure 2]`, … in their order.
    async fn measures(&mut self, api: &Api, id: &str) {
        let (status, r) = api.get(&format!("/api/v1/requests/{id}")).await;
        assert_eq!(status, 200, "{r}");
        for (i, m) in r["measures"].as_array().unwrap().iter().enumerate() {
            self.add(m["id"].as_str().unwrap(), &format!("[measure {}]", i + 1));
        }
    }

    /// The settings every snapshot here is taken with: the labels first, then what is left of
    /// ids, references, dates and times by their patterns.
    fn settings(&self, description: &str) -> insta::Settings {
        let mut s = insta::Settings::clone_current();
        s.set_description(description);
        s.set_omit_expression(true);
        // JSON: the moments things happened, checked to be RFC 3339 first.
        for selector in [".**.created_at", ".**.submitted_at", ".**.at"] {
            s.add_dynamic_redaction(selector, timestamp);
        }
        for (literal, label) in &self.0 {
            s.add_filter(&escape(literal), label.as_str());
        }
        // Dates relative to today (measures, implementation, declassification), in ISO and as
        // pages write them.
        let today = protection_portal::domain::time::oslo_date(protection_portal::app::now());
        let in_30_years = years_later(today, 30);
        let mut dates: Vec<(chrono::NaiveDate, String)> = (-2..=40)
            .map(|n| (today + chrono::Duration::days(n), relative(n)))
            .collect();
        dates.push((in_30_years, "[today+30y]".into()));
        for (date, label) in dates {
            s.add_filter(&format!(r"\b{date}\b"), label.as_str());
            s.add_filter(&format!(r"\b{}\b", date_in(Lang::En, date)), label.as_str());
        }
        // References: the year is today's, the number is the order of submission.
        s.add_filter(r"\b\d{4}/(\d{5})\b", "[year]/$1");
        // Moments on pages ("30 Nov 2026 14:05"), and ids nobody labelled.
        s.add_filter(r"\b\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}\b", "[time]");
        s.add_filter(
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            "[id]",
        );
        s.add_filter(
            r#"name="csrf_token" value="[^"]*""#,
            r#"name="csrf_token" value="[csrf]""#,
        );
        s
    }

    /// Snapshot `name` of a JSON answer.
    fn assert_json(&self, name: &str, description: &str, value: &Value) {
        self.settings(description)
            .bind(|| insta::assert_json_snapshot!(name, value));
    }

    /// Snapshot `name` of a page's main content, one element a line (`outline`).
    fn assert_page(&self, name: &str, description: &str, html: &str) {
        let main = between(html, "<main id=\"main\" tabindex=\"-1\">", "</main>")
            .expect("the page has its main content");
        let text = outline(&main);
        self.settings(description)
            .bind(|| insta::assert_snapshot!(name, text));
    }
}

/// The same day `years` later, as the portal counts the 30-year declassification limit.
fn years_later(date: chrono::NaiveDate, years: i32) -> chrono::NaiveDate {
    use chrono::Datelike;
    date.with_year(date.year() + years)
        .unwrap_or(date + chrono::Duration::days(365 * i64::from(years)))
}

fn relative(days: i64) -> String {
    match days {
        0 => "[today]".into(),
        n if n > 0 => format!("[today+{n}]"),
        n => format!("[today{n}]"),
    }
}

/// A dynamic redaction: an RFC 3339 moment becomes `[timestamp]`; null stays null.
fn timestamp(value: Content, path: ContentPath<'_>) -> Content {
    match value.as_str() {
        Some(s) => {
            assert!(
                chrono::DateTime::parse_from_rfc3339(s).is_ok(),
                "{path} is not an RFC 3339 moment: {s}"
            );
            Content::from("[timestamp]")
        }
        None => value,
    }
}

/// `literal` as a regular expression that matches exactly it.
fn escape(literal: &str) -> String {
    let mut out = String::with_capacity(literal.len() * 2);
    for ch in literal.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(ch) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Elements whose content is shown on lines of their own; the others stay within a line.
const BLOCKS: [&str; 42] = [
    "article",
    "aside",
    "blockquote",
    "br",
    "button",
    "caption",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "input",
    "label",
    "legend",
    "li",
    "nav",
    "ol",
    "option",
    "p",
    "section",
    "select",
    "summary",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "tr",
];
const VOID: [&str; 6] = ["br", "hr", "img", "input", "link", "meta"];

/// A page's markup as an outline: every block element on a line of its own, indented by its
/// depth, with its attributes; text and inline elements (links, emphasis, …) within the line of
/// the element they stand in. Closing tags of blocks are left out: the indentation shows them.
fn outline(html: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut depth = 0usize;
    let flush = |line: &mut String, lines: &mut Vec<String>, depth: usize| {
        let text = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() {
            lines.push(format!("{}{text}", "  ".repeat(depth)));
        }
        line.clear();
    };
    let mut rest = html;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            line.push_str(rest);
            break;
        };
        line.push_str(&rest[..open]);
        let close = rest[open..].find('>').expect("a tag ends") + open;
        let tag = &rest[open..=close];
        rest = &rest[close + 1..];
        let closing = tag.starts_with("</");
        let name: String = tag
            .trim_start_matches("</")
            .trim_start_matches('<')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        if !BLOCKS.contains(&name.as_str()) {
            line.push_str(tag);
            continue;
        }
        flush(&mut line, &mut lines, depth);
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            lines.push(format!("{}{tag}", "  ".repeat(depth)));
            if !VOID.contains(&name.as_str()) {
                depth += 1;
            }
        }
    }
    flush(&mut line, &mut lines, depth);
    lines.join("\n") + "\n"
}

// ---- the journeys -----------------------------------------------------------------------------

/// The four who may see a request of mission A once PST is consulted, with their API clients.
struct Viewers {
    staff: Api,
    mfa: Api,
    police: Api,
    pst: Api,
}

impl Viewers {
    async fn of(app: &TestApp, c: &Cast) -> Viewers {
        Viewers {
            staff: app.api(&c.a).await,
            mfa: app.api(&c.mfa).await,
            police: app.api(&c.police).await,
            pst: app.api(&c.pst).await,
        }
    }

    fn each(&self) -> [(&'static str, &Api); 4] {
        [
            ("mission_staff", &self.staff),
            ("mfa_officer", &self.mfa),
            ("police_liaison", &self.police),
            ("pst_analyst", &self.pst),
        ]
    }
}

async fn get_ok(api: &Api, path: &str) -> Value {
    let (status, body) = api.get(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn post_created(api: &Api, path: &str, body: Value) {
    let (status, answer) = api.post(path, body).await;
    assert_eq!(status, 201, "{path}: {answer}");
}

/// A request that went the long way: the MFA asked the mission for information, the police
/// referred it to PST, which assessed it; on the way the police wrote a restricted internal note
/// and the MFA an unclassified one, and the MFA and the mission wrote to each other.
fn long_way(title: &str) -> Journey {
    Journey {
        body: request_body(title),
        ask_mission: true,
        consult_pst: true,
    }
}

async fn write_notes_and_messages(v: &Viewers, id: &str) {
    let path = format!("/api/v1/requests/{id}/messages");
    post_created(
        &v.police,
        &path,
        json!({ "body": "Patrol capacity is limited that week.", "visibility": "internal", "classification": "restricted" }),
    )
    .await;
    post_created(
        &v.mfa,
        &path,
        json!({ "body": "The mission called to ask about timing.", "visibility": "internal" }),
    )
    .await;
    post_created(
        &v.mfa,
        &path,
        json!({ "body": "Your request is being assessed.", "visibility": "external" }),
    )
    .await;
    post_created(
        &v.staff,
        &path,
        json!({ "body": "Thank you; the visit is confirmed.", "visibility": "external" }),
    )
    .await;
}

#[actix_web::test]
async fn a_request_in_police_review_after_pst_as_each_role_sees_it() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let id = app
        .request_in_with(
            &c,
            "police_review",
            long_way("Guard during the national day reception"),
        )
        .await;
    let v = Viewers::of(&app, &c).await;
    write_notes_and_messages(&v, &id).await;
    let mut labels = Labels::of(&app, &c).await;
    labels.add(&id, "[request]");
    labels.measures(&v.police, &id).await;

    for (role, api) in v.each() {
        let r = get_ok(api, &format!("/api/v1/requests/{id}")).await;
        labels.assert_json(
            &format!("police_review_after_pst__request__{role}"),
            &format!("GET /api/v1/requests/{{id}} as {role}: in police review after PST's assessment, with notes and messages"),
            &r,
        );
    }
    for (role, api) in [("mission_staff", &v.staff), ("police_liaison", &v.police)] {
        for what in ["timeline", "messages"] {
            let body = get_ok(api, &format!("/api/v1/requests/{id}/{what}")).await;
            labels.assert_json(
                &format!("police_review_after_pst__{what}__{role}"),
                &format!("GET /api/v1/requests/{{id}}/{what} as {role}: in police review after PST's assessment"),
                &body,
            );
        }
    }

    // The request page, as the mission and as the police read it.
    let staff = app.signed_in(&mut c.a).await;
    let police = app.signed_in(&mut c.police).await;
    for (role, browser) in [("mission_staff", &staff), ("police_liaison", &police)] {
        let page = browser.get(&format!("/requests/{id}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        labels.assert_page(
            &format!("police_review_after_pst__page__{role}"),
            &format!(
                "/requests/{{id}} (main content) as {role}: in police review after PST's assessment"
            ),
            &page.body,
        );
    }
}

#[actix_web::test]
async fn a_request_decided_approved_and_in_effect_as_each_role_sees_it() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let id = app
        .request_in_with(
            &c,
            "decided",
            long_way("Guard at the residence during the visit"),
        )
        .await;
    let v = Viewers::of(&app, &c).await;
    write_notes_and_messages(&v, &id).await;
    let mut labels = Labels::of(&app, &c).await;
    labels.add(&id, "[request]");
    labels.measures(&v.police, &id).await;

    // Decided: the mission learns the outcome only with the MFA's reply.
    for (role, api) in [("mission_staff", &v.staff), ("mfa_officer", &v.mfa)] {
        let r = get_ok(api, &format!("/api/v1/requests/{id}")).await;
        labels.assert_json(
            &format!("decided__request__{role}"),
            &format!("GET /api/v1/requests/{{id}} as {role}: decided by the police, before the MFA's reply"),
            &r,
        );
    }

    let (status, r) = v
        .mfa
        .act(
            &id,
            json!({ "action": "communicate_decision", "reply": REPLY }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    for (role, api) in v.each() {
        let r = get_ok(api, &format!("/api/v1/requests/{id}")).await;
        labels.assert_json(
            &format!("approved__request__{role}"),
            &format!("GET /api/v1/requests/{{id}} as {role}: approved in part, the reply sent"),
            &r,
        );
    }

    let first =
        get_ok(&v.police, &format!("/api/v1/requests/{id}")).await["measures"][0]["id"].clone();
    let (status, r) = v
        .police
        .act(
            &id,
            json!({ "action": "confirm_implementation", "implemented": [{ "measure_id": first, "implemented_on": day(0) }] }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    for (role, api) in v.each() {
        let r = get_ok(api, &format!("/api/v1/requests/{id}")).await;
        labels.assert_json(
            &format!("in_effect__request__{role}"),
            &format!("GET /api/v1/requests/{{id}} as {role}: the approved measure in place"),
            &r,
        );
    }
    for (role, api) in [("mission_staff", &v.staff), ("police_liaison", &v.police)] {
        for what in ["timeline", "messages"] {
            let body = get_ok(api, &format!("/api/v1/requests/{id}/{what}")).await;
            labels.assert_json(
                &format!("in_effect__{what}__{role}"),
                &format!("GET /api/v1/requests/{{id}}/{what} as {role}: the whole way to measures in place"),
                &body,
            );
        }
    }
}

#[actix_web::test]
async fn the_lists_of_a_mission_and_of_the_mfa() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let mut labels = Labels::of(&app, &c).await;
    // Mission A's requests in several states, filed one after the other.
    for (state, title) in [
        ("draft", "A draft not yet submitted"),
        ("submitted", "Patrols during the demonstration"),
        ("awaiting_mission", "Barriers at the residence"),
        ("pst_review", "Guard during the national day reception"),
        ("approved", "Escort for the minister's visit"),
        ("rejected", "Cameras on the public square"),
    ] {
        let journey = Journey {
            body: request_body(title),
            ..Journey::default()
        };
        let id = app.request_in_with(&c, state, journey).await;
        labels.add(&id, &format!("[request {state}]"));
    }
    // One of mission B's, submitted.
    let other = app.api(&c.b).await;
    let draft = other
        .create_request(request_body("Guard at the Chilean residence"))
        .await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let (status, r) = other.act(&id, json!({ "action": "submit" })).await;
    assert_eq!(status, 200, "{r}");
    labels.add(&id, "[request of mission B]");

    let staff = app.api(&c.a).await;
    let mfa = app.api(&c.mfa).await;
    for (role, api) in [("mission_staff", &staff), ("mfa_officer", &mfa)] {
        let list = get_ok(api, "/api/v1/requests").await;
        labels.assert_json(
            &format!("list__{role}"),
            &format!("GET /api/v1/requests as {role} of mission A's requests in six states and one of mission B's"),
            &list,
        );
    }
}
