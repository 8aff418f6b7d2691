//! Statistics (README, "Statistics"): the figures of requests carried through the life cycle as
//! each authority may know them — the Ministry every submitted request, the police those that
//! reached them — counted by the database from what every step records; the page's charts,
//! tables and CSV files carry the same numbers and nothing of any request's content; missions
//! are answered 404, PST 403; a wrong period names its field; and requests stored before the
//! stage records are recorded by the portal's own job with the same result.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, day, execute, request_body, spawn_app, text_rows};
use protection_portal::domain::time::oslo_date;

fn this_month() -> String {
    oslo_date(protection_portal::app::now())
        .format("%Y-%m")
        .to_string()
}

/// The month of yesterday, so that a stage made past due yesterday lies inside the period.
fn period_from_yesterday() -> String {
    let yesterday = oslo_date(protection_portal::app::now()) - chrono::Duration::days(1);
    format!(
        "/api/v1/statistics?from={}&to={}",
        yesterday.format("%Y-%m"),
        this_month()
    )
}

fn stage<'a>(figures: &'a Value, code: &str) -> &'a Value {
    figures["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == code)
        .unwrap_or_else(|| panic!("no stage {code} in {figures}"))
}

fn month<'a>(figures: &'a Value, code: &str) -> &'a Value {
    figures["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == code)
        .unwrap_or_else(|| panic!("no month {code} in {figures}"))
}

fn kind<'a>(figures: &'a Value, code: &str) -> &'a Value {
    figures["measure_kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == code)
        .unwrap()
}

/// Requests in six states (mission A's, of Iceland) and one submitted by mission B (made Chile's);
/// then two stages made to miss their due dates: the rejected request's triage ended a day
/// after it was due, the request in triage is a day past its due date. Answers the ids
/// (approved, rejected, in triage).
async fn six_requests_and_one_more(app: &TestApp, c: &crate::helpers::Cast) -> [String; 3] {
    execute(
        app,
        &format!(
            "UPDATE missions SET country = 'CL' WHERE id = '{}'",
            c.mission_b
        ),
    );
    let approved = app.request_in(c, "approved").await;
    app.request_in(c, "declined").await;
    let rejected = app.request_in(c, "rejected").await;
    app.request_in(c, "withdrawn").await;
    let in_triage = app.request_in(c, "in_triage").await;
    app.request_in(c, "draft").await;
    let b = app.api(&c.b).await;
    let draft = b
        .create_request(request_body("Guard for the Chilean residence"))
        .await;
    let (status, _) = b
        .act(draft["id"].as_str().unwrap(), json!({ "action": "submit" }))
        .await;
    assert_eq!(status, 200);
    // The sums each step moved are those a recount makes from the requests themselves.
    same_after_a_recount(app, c).await;
    // A due date changed by hand is counted once the operator has the sums made again.
    let yesterday = day(-1);
    execute(
        app,
        &format!(
            "UPDATE request_stages SET due_on = '{yesterday}' WHERE stage = 'triage' \
             AND request_id IN ('{rejected}', '{in_triage}')"
        ),
    );
    assert!(
        app.run_command(&["statistics", "recount"])
            .contains("counted again")
    );
    [approved, rejected, in_triage]
}

/// Makes the statistics' sums again from the requests, as after a bulk load.
fn recount(app: &TestApp) {
    use protection_portal::db;
    let mut conn = app.pool.get().unwrap();
    db::write(&mut conn, db::statistics::recount).unwrap();
}

/// The figures the Ministry and the police read are the same after a recount.
async fn same_after_a_recount(app: &TestApp, c: &crate::helpers::Cast) {
    let mut before = Vec::new();
    for who in [&c.mfa, &c.police] {
        before.push(app.api(who).await.get(&period_from_yesterday()).await);
    }
    recount(app);
    for (who, before) in [&c.mfa, &c.police].into_iter().zip(before) {
        let after = app.api(who).await.get(&period_from_yesterday()).await;
        assert_eq!(before.0, 200, "{}", before.1);
        assert_eq!(after, before);
    }
}

#[actix_web::test]
async fn each_authority_counts_what_it_may_know_and_the_page_and_csv_carry_the_same_numbers() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let [approved, ..] = six_requests_and_one_more(&app, &c).await;
    let mfa = app.api(&c.mfa).await;
    let (status, figures) = mfa.get(&period_from_yesterday()).await;
    if status != 200 {
        let logs = crate::helpers::captured_logs();
        panic!("{figures}: {}", &logs[logs.len().saturating_sub(3000)..]);
    }
    assert_eq!(figures["counted"], "submitted");
    // Six submitted (the draft is not), in this month.
    assert_eq!(figures["requests"], 6, "{figures}");
    let now = month(&figures, &this_month());
    assert_eq!(now["total"], 6);
    assert_eq!(
        now["by_outcome"],
        json!({ "approved": 0, "partly_approved": 1, "declined": 1, "rejected": 1,
                "withdrawn": 1, "pending": 2 })
    );
    // Each request asks for a static guard and an escort (kind "other"): the approved request's
    // guard approved and escort declined, both of the declined one's declined.
    assert_eq!(
        kind(&figures, "static_guard")["by_outcome"],
        json!({ "approved": 1, "declined": 1, "undecided": 4 })
    );
    assert_eq!(
        kind(&figures, "other")["by_outcome"],
        json!({ "approved": 0, "declined": 2, "undecided": 4 })
    );
    assert_eq!(kind(&figures, "event_security")["total"], 0);
    let countries: Vec<(String, u64)> = figures["countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["country"].as_str().unwrap().to_owned(),
                c["total"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(countries, [("IS".to_owned(), 5), ("CL".to_owned(), 1)]);
    // Triage ended for the approved, declined and rejected requests, the rejected one late; the
    // request in triage is past its due date. The police decided and the Ministry replied twice,
    // each in time. The withdrawn request's triage is not counted: it was no longer asked for.
    let triage = stage(&figures, "triage");
    assert_eq!(
        (
            &triage["ended"],
            &triage["met"],
            &triage["late"],
            &triage["overdue"]
        ),
        (&json!(3), &json!(2), &json!(1), &json!(1)),
        "{triage}"
    );
    assert_eq!(triage["met_share_percent"], 50.0);
    assert_eq!(triage["median_working_days"], 0);
    for code in ["police_decision", "reply"] {
        let s = stage(&figures, code);
        assert_eq!(
            (&s["ended"], &s["met"], &s["overdue"]),
            (&json!(2), &json!(2), &json!(0)),
            "{s}"
        );
        assert_eq!(s["met_share_percent"], 100.0);
    }
    assert_eq!(stage(&figures, "pst_assessment")["ended"], 0);
    assert!(
        stage(&figures, "pst_assessment")
            .get("median_working_days")
            .is_none()
    );

    // The police count only the two requests that reached them.
    let police = app.api(&c.police).await;
    let (status, theirs) = police.get(&period_from_yesterday()).await;
    assert_eq!(status, 200);
    assert_eq!(theirs["counted"], "reached_police");
    assert_eq!(theirs["requests"], 2);
    assert_eq!(
        month(&theirs, &this_month())["by_outcome"],
        json!({ "approved": 0, "partly_approved": 1, "declined": 1, "rejected": 0,
                "withdrawn": 0, "pending": 0 })
    );
    let triage = stage(&theirs, "triage");
    assert_eq!(
        (&triage["ended"], &triage["late"], &triage["overdue"]),
        (&json!(2), &json!(0), &json!(0))
    );

    // Nothing of any request leaves with the figures: no title, reference, name or id.
    let (_, r) = mfa.get(&format!("/api/v1/requests/{approved}")).await;
    let reference = r["reference"].as_str().unwrap().to_owned();
    let page = app.signed_in(&mut c.mfa).await;
    let shown = page.get("/statistics").await;
    assert_eq!(shown.status, 200);
    for secret in [
        reference.as_str(),
        approved.as_str(),
        "Guard during the national day reception",
        "Guðrún",
        "Embassy of Iceland",
    ] {
        assert!(
            !figures.to_string().contains(secret),
            "{secret} in the API's figures"
        );
        assert!(!shown.body.contains(secret), "{secret} on the page");
    }
    // Five charts, each an SVG named for assistive technology (drawn for a wide page and for a
    // phone), with a table and a CSV link.
    assert_eq!(shown.body.matches("<svg").count(), 10);
    assert_eq!(shown.body.matches("class=\"chart chart-wide\"").count(), 5);
    assert_eq!(
        shown.body.matches("role=\"img\" aria-labelledby=").count(),
        10
    );
    assert_eq!(shown.body.matches("<table").count(), 5);
    assert!(shown.body.contains("Requests per month, by outcome"));
    for svg in shown.body.split("<svg").skip(1) {
        let svg = &svg[..svg.find("</svg>").expect("each chart is closed")];
        assert!(
            !svg.contains("<script") && !svg.contains(" onload"),
            "{svg}"
        );
    }
    // A period of one month draws its one bar with a width (plotters draws nothing on an axis
    // of one point).
    let one = page
        .get(&format!("/statistics?from={m}&to={m}", m = this_month()))
        .await;
    assert_eq!(one.status, 200);
    let chart = chart_of(&one.body, "months-chart");
    assert!(
        bars(chart, "width", 1.0) > 0,
        "no bar of any width in {chart}"
    );
    // Likewise a chart of rows with one category: the police's requests all came from Iceland,
    // and their one row is a bar a reader sees (not a line), with one label.
    let theirs_shown = app.signed_in(&mut c.police).await.get("/statistics").await;
    let chart = chart_of(&theirs_shown.body, "countries-chart");
    assert!(
        bars(chart, "height", 10.0) > 0,
        "no bar of a visible height in {chart}"
    );
    let labels: Vec<&str> = chart
        .split("<text")
        .skip(1)
        .filter_map(|t| Some(t.split_once('>')?.1.split("</text>").next()?.trim()))
        .filter(|t| *t == "IS")
        .collect();
    assert_eq!(labels.len(), 1, "{chart}");
    // The CSV of the months holds the API's numbers for this month.
    let res = page
        .client
        .get(page.url(&format!(
            "/statistics.csv?table=months&from={m}&to={m}",
            m = this_month()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("statistics-months-{}", this_month()))
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Month,Approved,Partly approved,Declined,Rejected by the Ministry,Withdrawn,Still being handled,Total"
    );
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].ends_with(",0,1,1,1,1,2,6"), "{csv}");
    let res = page
        .client
        .get(page.url("/statistics.csv?table=stages"))
        .send()
        .await
        .unwrap();
    let csv = res.text().await.unwrap();
    assert!(csv.lines().any(|l| l == "Formal reply,2,0,0"), "{csv}");
}

#[actix_web::test]
async fn missions_pst_and_wrong_periods_are_refused() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    for (who, expected) in [(&c.a, 404), (&c.pst, 403)] {
        let api = app.api(who).await;
        let (status, _) = api.get("/api/v1/statistics").await;
        assert_eq!(status, expected);
    }
    let staff = app.signed_in(&mut c.a).await;
    assert_eq!(staff.get("/statistics").await.status, 404);
    assert_eq!(staff.get("/statistics.csv?table=months").await.status, 404);
    assert!(!staff.get("/").await.body.contains("href=\"/statistics\""));
    let pst = app.signed_in(&mut c.pst).await;
    assert_eq!(pst.get("/statistics").await.status, 403);

    let mfa = app.api(&c.mfa).await;
    let next_year = (oslo_date(protection_portal::app::now()) + chrono::Duration::days(400))
        .format("%Y-%m")
        .to_string();
    for (query, field) in [
        ("from=March", "from"),
        ("from=2026-13", "from"),
        (&*format!("to={next_year}"), "to"),
        ("from=2024-01&to=2026-01", "to"),
        ("from=2025-06&to=2025-05", "to"),
    ] {
        let (status, body) = mfa.get(&format!("/api/v1/statistics?{query}")).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(
            body["error"]["fields"][0]["field"], field,
            "{query}: {body}"
        );
    }
    // The page names the field too, and the CSV an unknown table.
    let page = app.signed_in(&mut c.mfa).await;
    let shown = page.get("/statistics?from=2025-06&to=2025-05").await;
    assert_eq!(shown.status, 422);
    assert!(shown.body.contains("To month") && shown.body.contains("must not be before"));
    let shown = page.get("/statistics.csv?table=everything").await;
    assert_eq!(shown.status, 422);
    assert!(shown.body.contains("must be one of months"));
}

#[actix_web::test]
async fn requests_stored_before_stage_records_are_recorded_by_the_portals_job() {
    use protection_portal::app::requests::Context;
    use protection_portal::app::scheduler::{Job, Pace, run_batch};
    let app = spawn_app().await;
    let c = app.cast().await;
    six_requests_and_one_more(&app, &c).await;
    let mfa = app.api(&c.mfa).await;
    let (_, before) = mfa.get(&period_from_yesterday()).await;
    // As an upgrade finds them: no stage records, every submitted request in the backlog, and
    // the sums made again when the portal starts (once, whichever instance starts first).
    execute(
        &app,
        "DELETE FROM request_stages; INSERT INTO statistics_backlog (request_id) \
         SELECT id FROM requests WHERE state <> 'draft'; \
         INSERT INTO statistics_recount (asked) VALUES (TRUE)",
    );
    {
        let mut conn = app.pool.get().unwrap();
        let once = protection_portal::db::statistics::recount_if_asked(&mut conn).unwrap();
        let twice = protection_portal::db::statistics::recount_if_asked(&mut conn).unwrap();
        assert_eq!((once, twice), (true, false));
    }
    let (_, empty) = mfa.get(&period_from_yesterday()).await;
    assert_eq!(stage(&empty, "triage")["ended"], 0);
    let pace = Pace {
        batch_size: 3,
        pause: Duration::ZERO,
        yield_for: Duration::ZERO,
    };
    let ctx = || Context {
        now: protection_portal::app::now(),
        ceiling: protection_portal::domain::Classification::Restricted,
        rules: Default::default(),
    };
    let mut done = 0;
    loop {
        let batch = run_batch(&app.pool, Job::RecordStages, pace, ctx(), None).await;
        assert_eq!(batch.failed, 0, "{:?}", batch.error);
        done += batch.done;
        if !batch.full {
            break;
        }
    }
    assert_eq!(done, 6);
    assert!(text_rows(&app, "SELECT request_id AS line FROM statistics_backlog").is_empty());
    // The recount restores every figure but the two due dates the test moved by hand.
    let (_, after) = mfa.get(&period_from_yesterday()).await;
    assert_eq!(after["months"], before["months"]);
    let triage = stage(&after, "triage");
    assert_eq!(
        (&triage["ended"], &triage["met"], &triage["late"]),
        (&json!(3), &json!(3), &json!(0))
    );
    for code in ["police_decision", "reply"] {
        assert_eq!(stage(&after, code), stage(&before, code));
    }
}

#[actix_web::test]
async fn measures_changed_by_the_mission_when_asked_move_the_figures_with_them() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let id = app.request_in(&c, "awaiting_mission").await;
    let a = app.api(&c.a).await;
    let (_, r) = a.get(&format!("/api/v1/requests/{id}")).await;
    let mut edit = request_body("Guard during the national day reception");
    edit["version"] = r["version"].clone();
    edit["measures"][1]["kind"] = json!("increased_patrols");
    let (status, body) = a
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/requests/{id}"),
            Some(edit),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mfa = app.api(&c.mfa).await;
    let (_, figures) = mfa.get(&period_from_yesterday()).await;
    assert_eq!(kind(&figures, "increased_patrols")["total"], 1, "{figures}");
    assert_eq!(kind(&figures, "other")["total"], 0, "{figures}");
    assert_eq!(kind(&figures, "static_guard")["total"], 1, "{figures}");
    same_after_a_recount(&app, &c).await;
}

/// The SVG of the chart `id` drawn for a wide page.
fn chart_of<'a>(page: &'a str, id: &str) -> &'a str {
    let chart = page
        .split(&format!("id=\"{id}-title\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no chart {id}"));
    &chart[..chart.find("</svg>").unwrap()]
}

/// How many coloured bars of `chart` measure more than `least` pixels across `dimension`
/// ("width" of a column, "height" of a row): plotters draws nothing of a bar on an axis of one
/// point.
fn bars(chart: &str, dimension: &str, least: f64) -> usize {
    chart
        .split("<rect")
        .skip(1)
        .filter(|r| !r.contains("#FFFFFF") && r.contains("fill=\"#"))
        .filter(|r| {
            r.split(&format!(" {dimension}=\""))
                .nth(1)
                .and_then(|w| w.split('"').next())
                .and_then(|w| w.parse::<f64>().ok())
                .is_some_and(|w| w > least)
        })
        .count()
}
