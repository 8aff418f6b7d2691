//! The police calendar (README, "Operations"): approved measures on the right days with the right
//! Oslo times across a month's end and both clock changes, within each role's need-to-know; and
//! the iCalendar feed, read back by an independent parser (Python's `icalendar`, from PyPI,
//! installed when missing), with stable UIDs and nothing but references, kinds and times.

use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{Cast, Journey, TestApp, between, crate_dir, request_body, spawn_app};

/// A request of mission A carried to `state` with `measures` (JSON) and `body`'s other fields.
async fn with_measures(
    app: &TestApp,
    c: &Cast,
    state: &str,
    measures: Value,
    consult_pst: bool,
) -> String {
    let mut body = request_body("Guard through the spring");
    body["measures"] = measures;
    app.request_in_with(
        c,
        state,
        Journey {
            body,
            consult_pst,
            ..Journey::default()
        },
    )
    .await
}

/// The entries of `day` in a calendar answer: (reference, starts_at, ends_at).
fn on_day(calendar: &Value, day: &str) -> Vec<(String, String, String)> {
    calendar["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == day)
        .map(|d| {
            d["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["reference"].as_str().unwrap().to_owned(),
                        e["starts_at"].as_str().unwrap().to_owned(),
                        e["ends_at"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[actix_web::test]
async fn measures_show_on_their_days_with_oslo_times_across_a_month_end_and_both_clock_changes() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    // Night patrols over the last Sunday of March 2027 into April, and a day guard over the last
    // Sunday of October 2027 into November: both approved (the first with conditions).
    let id = with_measures(
        &app,
        &c,
        "approved",
        json!([
            { "kind": "increased_patrols", "location": "chancery", "starts_on": "2027-03-27", "ends_on": "2027-04-02",
              "from_time": "22:00", "until_time": "06:00", "description": "Night patrols" },
            { "kind": "static_guard", "location": "residence", "starts_on": "2027-10-30", "ends_on": "2027-11-01",
              "from_time": "08:00", "until_time": "16:00", "description": "Day guard" }
        ]),
        false,
    )
    .await;
    // `request_in` approves the first measure and declines the rest: approve both.
    let police = app.api(&c.police).await;
    let (_, r) = police.get(&format!("/api/v1/requests/{id}")).await;
    let reference = r["reference"].as_str().unwrap().to_owned();
    assert_eq!(r["measures"][1]["outcome"], "declined");
    let second = with_measures(
        &app,
        &c,
        "decided",
        json!([
            { "kind": "static_guard", "location": "residence", "starts_on": "2027-10-30", "ends_on": "2027-11-01",
              "from_time": "08:00", "until_time": "16:00", "description": "Day guard" }
        ]),
        false,
    )
    .await;
    let mfa = app.api(&c.mfa).await;
    let (_, s) = mfa.get(&format!("/api/v1/requests/{second}")).await;
    let (status, s) = mfa
        .act(&second, json!({ "action": "communicate_decision", "version": s["version"], "reply": "Approved." }))
        .await;
    assert_eq!(status, 200, "{s}");
    let second_ref = s["reference"].as_str().unwrap().to_owned();

    let (status, spring) = police
        .get("/api/v1/calendar?from=2027-03-25&to=2027-04-03")
        .await;
    assert_eq!(status, 200, "{spring}");
    assert!(on_day(&spring, "2027-03-26").is_empty());
    assert_eq!(
        on_day(&spring, "2027-03-27"),
        [(
            reference.clone(),
            "2027-03-27T22:00:00+01:00".into(),
            "2027-03-28T06:00:00+02:00".into()
        )],
        "the night the clocks go forward"
    );
    assert_eq!(
        on_day(&spring, "2027-03-28"),
        [(
            reference.clone(),
            "2027-03-28T22:00:00+02:00".into(),
            "2027-03-29T06:00:00+02:00".into()
        )]
    );
    assert_eq!(on_day(&spring, "2027-04-02").len(), 1, "into April");
    assert!(on_day(&spring, "2027-04-03").is_empty(), "not past its end");
    let entry = &spring["days"][2]["entries"][0];
    assert_eq!(entry["status"], "scheduled");
    assert_eq!(entry["kind"], "increased_patrols");
    assert_eq!(entry["mission_id"], c.mission_a);

    let (_, autumn) = police
        .get("/api/v1/calendar?from=2027-10-29&to=2027-11-02")
        .await;
    assert_eq!(
        on_day(&autumn, "2027-10-30"),
        [(
            second_ref.clone(),
            "2027-10-30T08:00:00+02:00".into(),
            "2027-10-30T16:00:00+02:00".into()
        )]
    );
    assert_eq!(
        on_day(&autumn, "2027-10-31"),
        [(
            second_ref.clone(),
            "2027-10-31T08:00:00+01:00".into(),
            "2027-10-31T16:00:00+01:00".into()
        )],
        "the day the clocks go back"
    );
    assert_eq!(on_day(&autumn, "2027-11-01").len(), 1);
    assert!(on_day(&autumn, "2027-10-29").is_empty() && on_day(&autumn, "2027-11-02").is_empty());
    // Filters: by kind, by mission.
    let (_, guards) = police
        .get("/api/v1/calendar?from=2027-03-25&to=2027-04-03&kind=static_guard")
        .await;
    assert!(on_day(&guards, "2027-03-28").is_empty());
    let (_, other) = police
        .get(&format!(
            "/api/v1/calendar?from=2027-03-25&to=2027-04-03&mission={}",
            c.mission_b
        ))
        .await;
    assert!(on_day(&other, "2027-03-28").is_empty());

    // At most 92 days, in order; each refusal names the field.
    for (query, field) in [
        ("from=2027-01-01&to=2027-04-03", "to"),
        ("from=2027-04-03&to=2027-04-01", "to"),
        ("from=April&to=2027-04-01", "from"),
        ("kind=submarines", "kind"),
    ] {
        let (status, e) = police.get(&format!("/api/v1/calendar?{query}")).await;
        assert_eq!(status, 422, "{query}: {e}");
        assert_eq!(e["error"]["fields"][0]["field"], field, "{query}: {e}");
    }
    let (status, _) = police
        .get("/api/v1/calendar?from=2027-01-01&to=2027-04-02")
        .await;
    assert_eq!(status, 200, "92 days");

    // The page: the month of March, the week of the change, the night's hours.
    let page = app.signed_in(&mut c.police).await;
    let month = page.get("/calendar?view=month&date=2027-03-10").await;
    assert_eq!(month.status, 200);
    assert!(month.body.contains("March 2027"), "{}", month.body);
    assert!(month.body.contains("Saturday 27 March 2027"));
    assert!(month.body.contains("22:00–06:00"));
    assert_eq!(
        month.body.matches(&format!(">{reference}<")).count(),
        5,
        "27 to 31 March"
    );
    let week = page.get("/calendar?view=week&date=2027-03-31").await;
    assert_eq!(
        week.body.matches(&format!(">{reference}<")).count(),
        5,
        "29 March to 2 April"
    );
    assert!(week.body.contains("date=2027-03-22") && week.body.contains("date=2027-04-05"));
    let autumn_week = page.get("/calendar?view=week&date=2027-10-31").await;
    assert!(autumn_week.body.contains(&second_ref));

    // Missions: 404, pages and API. PST: only what was referred to it.
    let staff = app.api(&c.a).await;
    assert_eq!(staff.get("/api/v1/calendar").await.0, 404);
    let mine = app.signed_in(&mut c.a).await;
    assert_eq!(mine.get("/calendar").await.status, 404);
    assert!(!mine.get("/").await.body.contains("href=\"/calendar\""));
    let pst = app.api(&c.pst).await;
    let (status, seen) = pst
        .get("/api/v1/calendar?from=2027-03-25&to=2027-04-03")
        .await;
    assert_eq!(status, 200);
    assert!(
        on_day(&seen, "2027-03-28").is_empty(),
        "not referred to PST"
    );
    let referred = with_measures(
        &app,
        &c,
        "approved",
        json!([{ "kind": "static_guard", "location": "chancery", "starts_on": "2027-03-28", "ends_on": "2027-03-28",
                 "description": "Guard" }]),
        true,
    )
    .await;
    let (_, seen) = pst
        .get("/api/v1/calendar?from=2027-03-25&to=2027-04-03")
        .await;
    let (_, r) = pst.get(&format!("/api/v1/requests/{referred}")).await;
    assert_eq!(
        on_day(&seen, "2027-03-28"),
        [(
            r["reference"].as_str().unwrap().to_owned(),
            "2027-03-28T00:00:00+01:00".into(),
            "2027-03-29T00:00:00+02:00".into()
        )],
        "a whole day: midnight to midnight, 23 hours that day"
    );
}

/// Python's `icalendar`, installed from PyPI into the build folder when missing.
fn python_icalendar() -> std::path::PathBuf {
    static READY: std::sync::OnceLock<Result<std::path::PathBuf, String>> =
        std::sync::OnceLock::new();
    READY
        .get_or_init(|| {
            let dir = crate_dir().join("target").join("pydeps");
            if dir.join("icalendar").exists() {
                return Ok(dir);
            }
            let out = Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--target",
                ])
                .arg(&dir)
                .arg("icalendar==6.1.0")
                .output()
                .map_err(|e| e.to_string())?;
            if out.status.success() {
                Ok(dir)
            } else {
                Err(String::from_utf8_lossy(&out.stderr).into_owned())
            }
        })
        .clone()
        .unwrap_or_else(|e| panic!("the feed test needs Python's icalendar from PyPI: {e}"))
}

/// The events of an iCalendar text as Python's `icalendar` reads them, each start and end in
/// UTC.
fn parse_ics(text: &str) -> Value {
    let dir = python_icalendar();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    let script = r#"
import json, sys, datetime
from icalendar import Calendar
cal = Calendar.from_ical(open(sys.argv[1], 'rb').read())
tzs = [str(c.get('TZID')) for c in cal.walk('VTIMEZONE')]
events = []
for e in cal.walk('VEVENT'):
    start, end = e.decoded('DTSTART'), e.decoded('DTEND')
    def utc(v):
        return v.astimezone(datetime.timezone.utc).isoformat() if isinstance(v, datetime.datetime) else v.isoformat()
    events.append({
        'uid': str(e.get('UID')),
        'summary': str(e.get('SUMMARY')),
        'start': utc(start),
        'end': utc(end),
        'tzid': e.get('DTSTART').params.get('TZID'),
        'rrule': e.get('RRULE').to_ical().decode() if e.get('RRULE') else None,
        'keys': sorted(e.keys()),
    })
print(json.dumps({'timezones': tzs, 'events': events}))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(file.path())
        .env("PYTHONPATH", &dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[actix_web::test]
async fn the_feed_parses_keeps_its_uids_and_carries_only_references_kinds_and_times() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    // A marker in every text field the mission fills in.
    let m = "ZQX";
    let mut body = request_body(&format!("{m}-title"));
    body["justification"] = json!(format!("{m}-justification of the request"));
    body["contact"] = json!({ "name": format!("{m}-contact"), "phone": "+47 22 00 00 00", "email": "zqx@example.org" });
    body["note_verbale"] =
        json!({ "number": format!("{m}-NV 1"), "dated_on": crate::helpers::day(0) });
    body["event"] = json!({
        "name": format!("{m}-event"), "venue": format!("{m}-venue"), "address": format!("{m}-event-address"),
        "starts_at": format!("{}T18:00", crate::helpers::day(3)), "ends_at": format!("{}T22:00", crate::helpers::day(3)),
        "expected_attendance": 100
    });
    body["protected_persons"] =
        json!([{ "name": format!("{m}-person"), "position": format!("{m}-position") }]);
    body["measures"] = json!([
        { "kind": "event_security", "location": "other", "address": format!("{m}-address"),
          "starts_on": crate::helpers::day(3), "ends_on": crate::helpers::day(5),
          "from_time": "17:00", "until_time": "23:30", "description": format!("{m}-description") },
    ]);
    let id = app
        .request_in_with(
            &c,
            "in_effect",
            Journey {
                body,
                ..Journey::default()
            },
        )
        .await;
    let police_api = app.api(&c.police).await;
    let (_, r) = police_api.get(&format!("/api/v1/requests/{id}")).await;
    let reference = r["reference"].as_str().unwrap().to_owned();
    // The page shows the venue (the place is for the police), the feed never.
    let page = app.signed_in(&mut c.police).await;
    let week = page
        .get(&format!("/calendar?date={}", crate::helpers::day(3)))
        .await;
    assert!(week.body.contains(&format!("{m}-venue")), "{}", week.body);

    // A feed address, created with a code from the authenticator app.
    let calendar = page.get("/calendar").await;
    let refused = page
        .post(
            "/calendar/feed",
            &[
                ("csrf_token", &calendar.csrf()),
                ("feed_totp_code", "000000"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("href=\"#feed_totp_code\""),
        "{}",
        refused.body
    );
    let code = c.police.next_code().await;
    let created = page
        .post(
            "/calendar/feed",
            &[("csrf_token", &calendar.csrf()), ("feed_totp_code", &code)],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let address = between(&created.body, "<p class=\"secret\">", "<")
        .unwrap()
        .replace("&amp;", "&");
    let path = address
        .split_once("/api/")
        .map(|(_, p)| format!("/api/{p}"))
        .unwrap();
    let token = address.split_once("token=").unwrap().1.to_owned();

    let fetch = |p: String| {
        let url = app.url(&p);
        async move {
            let res = reqwest::get(url).await.unwrap();
            let status = res.status().as_u16();
            let kind = res
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            (status, kind, res.text().await.unwrap())
        }
    };
    let (status, kind, first) = fetch(path.clone()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(kind, "text/calendar; charset=utf-8");
    let (_, _, second) = fetch(path.clone()).await;
    assert!(
        !first.contains(m),
        "no text of the request leaves in the feed:\n{first}"
    );
    assert!(
        !first.contains("Iceland") && !first.contains("Embassy"),
        "no mission: {first}"
    );

    let parsed = parse_ics(&first);
    assert_eq!(parsed["timezones"], json!(["Europe/Oslo"]));
    let events = parsed["events"].as_array().unwrap();
    let ours: Vec<&Value> = events
        .iter()
        .filter(|e| e["summary"].as_str().unwrap().starts_with(&reference))
        .collect();
    assert_eq!(
        ours.len(),
        1,
        "one event per measure and run of days: {events:?}"
    );
    let e = ours[0];
    assert_eq!(e["summary"], format!("{reference}: Security for an event"));
    assert_eq!(e["tzid"], "Europe/Oslo");
    assert_eq!(e["rrule"], "FREQ=DAILY;COUNT=3");
    let starts = chrono::NaiveDate::parse_from_str(&crate::helpers::day(3), "%Y-%m-%d").unwrap();
    let offset =
        protection_portal::domain::time::oslo_offset_hours(starts.and_hms_opt(17, 0, 0).unwrap());
    let utc_start = starts.and_hms_opt(17, 0, 0).unwrap() - chrono::Duration::hours(offset);
    assert_eq!(
        e["start"],
        format!("{}+00:00", utc_start.format("%Y-%m-%dT%H:%M:%S")),
        "17:00 in Oslo"
    );
    let allowed = [
        "DTEND", "DTSTAMP", "DTSTART", "RRULE", "STATUS", "SUMMARY", "UID",
    ];
    for k in e["keys"].as_array().unwrap() {
        assert!(allowed.contains(&k.as_str().unwrap()), "{k} in the feed");
    }
    let uids = |text: &str| {
        let mut u: Vec<String> = parse_ics(text)["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["uid"].as_str().unwrap().to_owned())
            .collect();
        u.sort();
        u
    };
    assert_eq!(uids(&first), uids(&second), "the same UIDs on every fetch");
    assert_eq!(first, second, "the same feed within a day");

    // The feed's token opens the feed only; an API token is not taken in an address; a mission's
    // API token finds no calendar.
    let as_bearer = app.api_with_token(&token);
    assert_eq!(as_bearer.get("/api/v1/me").await.0, 401);
    assert_eq!(as_bearer.get("/api/v1/calendar.ics").await.0, 401);
    let api_token = app.token_for(&c.police).await;
    assert_eq!(
        fetch(format!("/api/v1/calendar.ics?token={api_token}"))
            .await
            .0,
        401
    );
    assert_eq!(fetch("/api/v1/calendar.ics".into()).await.0, 401);
    let (status, _) = police_api.get("/api/v1/calendar.ics").await;
    assert_eq!(status, 200, "an API token as a header");
    let staff = app.api(&c.a).await;
    assert_eq!(staff.get("/api/v1/calendar.ics").await.0, 404);
    // The feed's token is listed with the person's tokens, where it is revoked.
    let account = page.get("/account").await;
    assert!(
        account.body.contains("Calendar feed"),
        "listed with the tokens"
    );
}
