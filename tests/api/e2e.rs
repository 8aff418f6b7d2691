//! Journeys in a real browser: each role signs in with its second factor; a mission files a
//! request with three measures, fixes the errors shown next to the fields, checks its answers
//! and submits; the MFA, the police and PST carry it to "measures in place"; the mission sees
//! the outcome and its notification badge. Also: axe-core on every page of every role, the
//! request form completed with the keyboard alone, and the printed request page.

use anyhow::{Context, ensure};
use fantoccini::Locator;
use fantoccini::actions::InputSource;
use serde_json::json;

use protection_portal::i18n::{Lang, tr_in};

use crate::browser::{Chrome, artifacts_dir, check};
use crate::helpers::{Journey, Person, TestApp, crate_dir, day, request_body, spawn_app};

/// Unwraps a step's result, keeping a screenshot and the page source when it failed.
async fn must<T>(chrome: &Chrome, result: anyhow::Result<T>) -> T {
    match result {
        Ok(v) => v,
        Err(e) => {
            let evidence = chrome.keep_evidence(&format!("{e:#}")).await;
            for l in crate::helpers::captured_logs()
                .lines()
                .filter(|l| l.contains("refused"))
            {
                eprintln!("LOG {l}");
            }
            panic!("{evidence}")
        }
    }
}

/// Saves a screenshot of a key page (`target/e2e-artifacts/screens/`); with
/// `UPDATE_SCREENSHOTS=1` also into `docs/screenshots/`, where the README shows them.
async fn keep_screenshot(chrome: &Chrome, name: &str) -> anyhow::Result<()> {
    let dir = artifacts_dir().join("screens");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!("{name}.png"));
    chrome.screenshot(&file).await?;
    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let docs = crate_dir().join("docs/screenshots");
        std::fs::create_dir_all(&docs)?;
        std::fs::copy(&file, docs.join(format!("{name}.png")))?;
    }
    Ok(())
}

const TITLE: &str = "Guard during the national day reception";

/// The error summary's links, by the field each leads to.
async fn summary_fields(c: &Chrome) -> anyhow::Result<Vec<String>> {
    let mut fields = Vec::new();
    for link in c.client.find_all(Locator::Css(".error-summary a")).await? {
        let href = link.attr("href").await?.unwrap_or_default();
        fields.push(href.trim_start_matches('#').to_owned());
    }
    Ok(fields)
}

async fn shown(c: &Chrome, css: &str) -> anyhow::Result<bool> {
    Ok(c.client
        .find(Locator::Css(css))
        .await?
        .is_displayed()
        .await?)
}

async fn file_the_request(
    app: &TestApp,
    c: &Chrome,
    person: &mut Person,
) -> anyhow::Result<String> {
    c.sign_in(person).await?;
    c.press("Start a new request").await?;
    check(c.path().await? == "/requests/new", "the form opens")?;
    // The contact person is filled in from the account.
    let prefilled = c
        .client
        .find(Locator::Css("[name=\"contact.name\"]"))
        .await?
        .prop("value")
        .await?;
    let name = app.name_of(&person.id).await;
    ensure!(
        prefilled.as_deref() == Some(name.as_str()),
        "the contact is prefilled with {name}: {prefilled:?}"
    );
    // "Continue" on the empty form: every rule at once, and nothing stored.
    c.press("Continue to check your answers").await?;
    ensure!(
        c.title().await?.starts_with("Error: "),
        "the title says there is an error"
    );
    let fields = summary_fields(c).await?;
    for field in [
        "title",
        "justification",
        "contact.phone",
        "measures[0].kind",
        "measures[0].starts_on",
    ] {
        ensure!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
    let focused = c
        .client
        .execute("return document.activeElement.className;", vec![])
        .await?;
    ensure!(
        focused.as_str() == Some("error-summary"),
        "the summary has the focus: {focused:?}"
    );
    let text = c.text().await?;
    for code_words in ["is required", "(is ", "measures[0]"] {
        ensure!(
            !text.contains(code_words),
            "messages in plain language, not {code_words:?}"
        );
    }
    ensure!(text.contains("Enter a title"), "a message says what to do");
    ensure!(
        app.count_requests().await == 0,
        "an empty form creates no draft"
    );
    // The address is asked only for "another address".
    ensure!(
        !shown(c, "[name=\"measures[0].address\"]").await?,
        "no address question for the chancery"
    );

    c.fill("title", TITLE).await?;
    c.fill("justification", "Threats").await?;
    c.choose("urgency", "urgent").await?;
    c.fill("contact.name", "Guðrún Jónsdóttir").await?;
    c.fill("contact.phone", "+354 555 0100").await?;
    c.fill("contact.email", "gudrun@iceland.example").await?;
    c.choose("measures[0].kind", "static_guard").await?;
    c.fill_date("measures[0].starts_on", &day(1)).await?;
    c.fill_date("measures[0].ends_on", &day(10)).await?;
    c.fill(
        "measures[0].description",
        "Around the clock at the chancery gate",
    )
    .await?;
    c.press("Add another measure").await?;
    // The page opens at the new measure, not at the top.
    let focused = c
        .client
        .execute("return document.activeElement.name;", vec![])
        .await?;
    ensure!(
        focused.as_str() == Some("measures[1].kind"),
        "the new measure has the focus: {focused:?}"
    );
    c.choose("measures[1].kind", "increased_patrols").await?;
    c.choose("measures[1].location", "residence").await?;
    c.fill_date("measures[1].starts_on", &day(1)).await?;
    c.fill("measures[1].description", "Evening patrols").await?;
    c.press("Add another measure").await?;
    c.choose("measures[2].kind", "other").await?;
    c.choose("measures[2].location", "other").await?;
    ensure!(
        shown(c, "[name=\"measures[2].address\"]").await?,
        "the address is asked once another address is chosen"
    );
    c.fill_date("measures[2].starts_on", &day(2)).await?;
    c.fill("measures[2].description", "Escort of the ambassador's car")
        .await?;
    keep_screenshot(c, "request-form").await?;
    c.press("Continue to check your answers").await?;

    // One pass: what is still wrong, all of it, in one summary linking to each field, each
    // message beside its field; what was typed is kept as a draft.
    let fields = summary_fields(c).await?;
    ensure!(
        fields == ["justification", "measures[2].address"],
        "exactly the two remaining problems: {fields:?}"
    );
    for field in ["justification", "measures[2].address"] {
        let message = c
            .client
            .find(Locator::XPath(&format!("//*[@id='{field}-error']")))
            .await
            .with_context(|| format!("the message beside {field}"))?
            .text()
            .await?;
        ensure!(message.starts_with("Error:"), "{field}: {message}");
        let input = c
            .client
            .find(Locator::XPath(&format!("//*[@id='{field}']")))
            .await?;
        ensure!(input.attr("aria-invalid").await?.as_deref() == Some("true"));
        let described = input.attr("aria-describedby").await?.unwrap_or_default();
        ensure!(described.contains(&format!("{field}-error")), "{described}");
    }
    let kept = c
        .client
        .find(Locator::Css("[name=\"measures[1].description\"]"))
        .await?
        .prop("value")
        .await?;
    ensure!(kept.as_deref() == Some("Evening patrols"), "{kept:?}");
    ensure!(app.count_requests().await == 1, "what was typed is a draft");
    keep_screenshot(c, "request-form-errors").await?;
    c.fill(
        "justification",
        "Threats against the ambassador were received by e-mail this week.",
    )
    .await?;
    c.fill("measures[2].address", "Drammensveien 1, Oslo")
        .await?;
    // The event, daily hours for the guard, and two people to protect, in Oslo time.
    c.fill("measures[0].from_time", "17:00").await?;
    c.fill("measures[0].until_time", "22:30").await?;
    c.fill("event.name", "National day reception").await?;
    c.fill("event.venue", "Grand Hotel").await?;
    c.fill("event.address", "Karl Johans gate 31, 0159 Oslo")
        .await?;
    c.fill_date("event.starts_at.date", &day(2)).await?;
    c.fill("event.starts_at.time", "18:00").await?;
    c.fill_date("event.ends_at.date", &day(2)).await?;
    c.fill("event.ends_at.time", "22:30").await?;
    c.fill("event.expected_attendance", "300").await?;
    c.press("Add a person to protect").await?;
    let focused = c
        .client
        .execute("return document.activeElement.name;", vec![])
        .await?;
    ensure!(
        focused.as_str() == Some("protected_persons[0].name"),
        "the new person's name has the focus: {focused:?}"
    );
    c.fill(
        "protected_persons[0].name",
        "Þórdís Kolbrún Reykfjörð Gylfadóttir",
    )
    .await?;
    c.fill(
        "protected_persons[0].position",
        "Minister for Foreign Affairs of Iceland",
    )
    .await?;
    c.fill_date("protected_persons[0].arrives_at.date", &day(2))
        .await?;
    c.fill("protected_persons[0].arrives_at.time", "18:15")
        .await?;
    c.press("Add a person to protect").await?;
    c.fill("protected_persons[1].name", "Ambassador of Iceland")
        .await?;
    c.fill("protected_persons[1].position", "Head of mission")
        .await?;
    // A site plan, chosen in the form's own file field (no script needed).
    let plan = artifacts_dir().join("site-plan.pdf");
    std::fs::write(&plan, crate::documents::pdf("Site plan of the residence"))?;
    c.client
        .find(Locator::Css("input[type=file][name=file]"))
        .await
        .context("the form's file field")?
        .send_keys(plan.to_str().unwrap())
        .await?;
    c.press("Continue to check your answers").await?;

    let text = c.text().await?;
    ensure!(text.contains("Check your answers"), "the review page");
    for expected in [
        "Static police guard",
        "Increased police patrols",
        "Drammensveien 1, Oslo",
        "17:00\u{2013}22:30",
        "National day reception",
        "Grand Hotel",
        "Þórdís Kolbrún Reykfjörð Gylfadóttir",
        "Ambassador of Iceland",
        "site-plan.pdf",
    ] {
        ensure!(text.contains(expected), "the review shows {expected}");
    }
    keep_screenshot(c, "check-your-answers").await?;
    c.press("Submit the request").await?;

    // The confirmation: the reference in a panel, what happens next, by when, whom to call.
    let path = c.path().await?;
    let id = path
        .strip_prefix("/requests/")
        .and_then(|p| p.strip_suffix("/submitted"))
        .context("the confirmation page after submitting")?
        .to_owned();
    let panel = c
        .client
        .find(Locator::Css(".confirmation-panel"))
        .await?
        .text()
        .await?;
    ensure!(panel.contains("Request submitted"), "{panel}");
    ensure!(
        panel.contains(&format!("{}/0000", &day(0)[..4])),
        "the reference in the panel: {panel}"
    );
    let text = c.text().await?;
    for expected in [
        "What happens next",
        "You can expect the reply by",
        "If it is urgent",
        "112",
        "Your receipt as a PDF, to keep",
    ] {
        ensure!(
            text.contains(expected),
            "the confirmation says {expected:?}"
        );
    }
    // The receipt opens as a PDF holding the reference, read with the browser's session.
    let link = c
        .client
        .find(Locator::LinkText("Your receipt as a PDF, to keep"))
        .await?
        .attr("href")
        .await?
        .context("the receipt's link")?;
    let cookies = c
        .client
        .get_all_cookies()
        .await?
        .iter()
        .map(|k| format!("{}={}", k.name(), k.value()))
        .collect::<Vec<_>>()
        .join("; ");
    let receipt = reqwest::Client::new()
        .get(format!("{}{link}", app.address))
        .header("cookie", cookies)
        .send()
        .await?;
    ensure!(receipt.status() == 200, "the receipt: {}", receipt.status());
    let receipt = receipt.bytes().await?;
    let receipt_text = crate::documents::pdf_text(&receipt);
    ensure!(
        receipt_text.contains(
            panel
                .split_whitespace()
                .find(|w| w.contains('/'))
                .unwrap_or("?")
        ) && receipt_text.contains("Grand Hotel"),
        "the receipt holds the reference and the event: {receipt_text}"
    );
    keep_screenshot(c, "request-submitted").await?;
    c.press_link("See the request you submitted").await?;
    status_is(c, "Received").await?;
    Ok(id)
}

async fn open_from_queue(c: &Chrome) -> anyhow::Result<()> {
    c.goto("/").await?;
    // The queue's row for the request links its reference.
    let link = c
        .client
        .find(Locator::XPath(&format!(
            "//tr[td[normalize-space()='{TITLE}']]//a"
        )))
        .await
        .context("the request's row in the queue")?;
    c.activate(link).await?;
    check(
        c.path().await?.starts_with("/requests/"),
        "the queue links to the request",
    )
}

async fn status_is(c: &Chrome, label: &str) -> anyhow::Result<()> {
    let status = c
        .client
        .find(Locator::Css("[data-status]"))
        .await?
        .text()
        .await?;
    ensure!(
        status.contains(label),
        "status {status:?}, expected {label:?}"
    );
    Ok(())
}

#[actix_web::test]
async fn a_request_is_filed_corrected_and_carried_to_measures_in_place_in_a_real_browser() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let mission = Chrome::start(&app, "journey-mission").await;
    let mfa = Chrome::start(&app, "journey-mfa").await;
    let police = Chrome::start(&app, "journey-police").await;
    let pst = Chrome::start(&app, "journey-pst").await;

    let id = file_the_request(&app, &mission, &mut c.a).await;
    let id = must(&mission, id).await;
    must(&mission, mission.sign_out().await).await;
    let again = mission.sign_in(&mut c.a).await;
    must(&mission, again).await;

    let step = async {
        mfa.sign_in(&mut c.mfa).await?;
        keep_screenshot(&mfa, "mfa-queue").await?;
        // The queue's tabs say how many requests each holds.
        let tab = mfa
            .client
            .find(Locator::Css(".tabs a[aria-current=page] .count"))
            .await
            .context("a count on the current tab")?
            .text()
            .await?;
        ensure!(tab.trim() == "1", "one new request: {tab:?}");
        open_from_queue(&mfa).await?;
        mfa.press("Take the request").await?;
        ensure!(
            mfa.text().await?.contains("The request was assigned."),
            "a banner confirms the step"
        );
        mfa.press("Forward to Oslo Police District").await?;
        status_is(&mfa, "Police review").await?;
        let history = mfa
            .client
            .find(Locator::Css(".timeline"))
            .await?
            .text()
            .await?;
        ensure!(
            history.contains("Assigned to")
                && history.contains("Forwarded to Oslo Police District by"),
            "the history reads as past events: {history}"
        );
        Ok(())
    };
    must(&mfa, step.await).await;
    let step = async {
        police.sign_in(&mut c.police).await?;
        open_from_queue(&police).await?;
        police.press("Ask PST for a threat assessment").await?;
        status_is(&police, "PST review").await
    };
    must(&police, step.await).await;
    let step = async {
        pst.sign_in(&mut c.pst).await?;
        open_from_queue(&pst).await?;
        let level = pst
            .client
            .find(Locator::Css("[name=\"assessment.threat_level\"]"))
            .await?
            .prop("value")
            .await?;
        ensure!(
            level.as_deref() == Some(""),
            "no threat level preselected: {level:?}"
        );
        pst.choose("assessment.threat_level", "high").await?;
        pst.fill(
            "assessment.summary",
            "Credible threats against the chancery.",
        )
        .await?;
        pst.press("Submit the threat assessment").await?;
        status_is(&pst, "Police review").await
    };
    must(&pst, step.await).await;
    let step = async {
        police.goto(&format!("/requests/{id}")).await?;
        // No decision is preselected, and conditions are asked only for "with conditions".
        for i in 0..3 {
            let chosen = police
                .client
                .find(Locator::Css(&format!("[name=\"outcomes[{i}].outcome\"]")))
                .await?
                .prop("value")
                .await?;
            ensure!(chosen.as_deref() == Some(""), "measure {i}: {chosen:?}");
        }
        ensure!(
            !shown(&police, "[name=\"outcomes[1].conditions\"]").await?,
            "no conditions asked before the decision"
        );
        police.choose("outcomes[0].outcome", "approved").await?;
        police
            .choose("outcomes[1].outcome", "approved_with_conditions")
            .await?;
        ensure!(
            police.text().await?.contains("The mission will read this."),
            "the conditions say who reads them"
        );
        police
            .fill("outcomes[1].conditions", "Only between 18:00 and 06:00")
            .await?;
        police.choose("outcomes[2].outcome", "declined").await?;
        keep_screenshot(&police, "police-decision").await?;
        police.press("Record the decision").await?;
        status_is(&police, "Decided").await
    };
    must(&police, step.await).await;
    let step = async {
        mfa.goto(&format!("/requests/{id}")).await?;
        // A starting text, from the decisions, to edit; then a preview before sending.
        let start = mfa
            .client
            .find(Locator::Css("[name=reply]"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        ensure!(
            start.contains("Of the 3 measures requested, 2 are approved"),
            "a starting text: {start}"
        );
        mfa.fill(
            "reply",
            "The Ministry confirms the measures below, as decided by Oslo Police District.",
        )
        .await?;
        mfa.press("Preview the reply").await?;
        let preview = mfa.text().await?;
        ensure!(
            preview.contains("Check the formal reply before sending it")
                && preview.contains("The Ministry confirms the measures below"),
            "the preview shows the reply as the mission will read it"
        );
        keep_screenshot(&mfa, "reply-preview").await?;
        mfa.press("Send the formal reply").await?;
        status_is(&mfa, "Approved").await
    };
    must(&mfa, step.await).await;
    let step = async {
        police.goto(&format!("/requests/{id}")).await?;
        police.press("Confirm measures in place").await?;
        status_is(&police, "In effect").await?;
        // The week the measures begin, in the police calendar.
        police.goto(&format!("/calendar?date={}", day(1))).await?;
        let text = police.text().await?;
        ensure!(
            text.contains("In place"),
            "the calendar shows the measures in place"
        );
        keep_screenshot(&police, "calendar").await
    };
    must(&police, step.await).await;

    // The mission: a badge with its unread notifications, the outcome per measure, nothing of
    // the internal routing.
    let step = async {
        mission.goto("/").await?;
        let badge = mission
            .client
            .find(Locator::Css(".site-header .badge"))
            .await
            .context("the notification badge")?
            .text()
            .await?;
        let unread: u32 = badge.trim().parse().context("a number on the badge")?;
        ensure!(unread >= 3, "{unread} unread");
        open_from_queue(&mission).await?;
        status_is(&mission, "Measures in place").await?;
        // Opening the request read what the mission was told about it.
        let badge = mission
            .client
            .find_all(Locator::Css(".site-header .badge"))
            .await?;
        ensure!(
            badge.is_empty(),
            "no unread notifications once the request is opened"
        );
        let text = mission.text().await?;
        for expected in [
            "Approved with conditions",
            "Only between 18:00 and 06:00",
            "Declined",
            "The Ministry confirms the measures below",
        ] {
            ensure!(text.contains(expected), "the mission sees {expected:?}");
        }
        // (The footer names PST as one of the portal's operators; the request says nothing of it.)
        let main = mission
            .client
            .find(Locator::Css("main"))
            .await?
            .text()
            .await?;
        for hidden in [
            "PST",
            "threat assessment",
            "Threat level",
            "Credible threats",
        ] {
            ensure!(
                !main.contains(hidden),
                "the mission must not see {hidden:?}"
            );
        }
        keep_screenshot(&mission, "request-mission-view").await?;
        mission.press("Notifications").await.ok();
        mission.goto("/notifications").await?;
        keep_screenshot(&mission, "notifications").await?;
        ensure!(mission.text().await?.contains("Measures in place"));
        Ok::<_, anyhow::Error>(())
    };
    must(&mission, step.await).await;
    for chrome in [mission, mfa, police, pst] {
        chrome.close().await;
    }
}

// ---- accessibility --------------------------------------------------------------------------------

/// Runs axe-core on the page shown and adds what it finds to `found`.
async fn audit(c: &Chrome, what: &str, found: &mut Vec<String>) -> anyhow::Result<()> {
    let title = c.title().await?;
    ensure!(
        title.ends_with(tr_in(c.lang, "Protection portal")),
        "{what}: title {title:?}"
    );
    let lang = c
        .client
        .execute("return document.documentElement.lang;", vec![])
        .await?;
    ensure!(lang.as_str().is_some_and(|l| !l.is_empty()), "{what}: lang");
    let path = c.path().await?;
    for v in c.axe().await? {
        found.push(format!("{what} ({path}): axe: {v}"));
    }
    for v in c.htmlcs().await? {
        found.push(format!("{what} ({path}): HTML_CodeSniffer: {v}"));
    }
    let sideways = c.sideways_at_phone_width().await?;
    if sideways > 0 {
        found.push(format!(
            "{what} ({path}): scrolls {sideways} px sideways at {} px",
            crate::browser::PHONE_WIDTH
        ));
    }
    Ok(())
}

async fn every_page(app: &TestApp, lang: Lang) -> anyhow::Result<Vec<String>> {
    let t = |en: &'static str| tr_in(lang, en);
    let accept = match lang {
        Lang::En => "en-GB",
        Lang::Nb => "nb-NO",
    };
    let mut found = Vec::new();
    // Before anyone exists: the first-administrator page.
    let anon = Chrome::start_with(app, &format!("axe-anonymous-{}", lang.code()), accept).await;
    let link = app
        .notes
        .first_admin_link
        .clone()
        .context("a first-administrator link")?;
    anon.goto(&crate::helpers::path_of(&link)).await?;
    audit(&anon, "first administrator", &mut found).await?;
    anon.press(t("Create administrator")).await?;
    audit(&anon, "first administrator, with errors", &mut found).await?;

    // A control: axe does find a violation where there is one (an unlabelled field).
    anon.goto("/sign-in").await?;
    anon.client
        .execute(
            "document.querySelector('label[for=email]').remove();",
            vec![],
        )
        .await?;
    let control = anon.axe().await?;
    ensure!(
        control.iter().any(|v| v.starts_with("label ")),
        "axe reports an unlabelled field: {control:?}"
    );
    // The second checker finds what axe-core missed before (a duplicate id), and the phone
    // check finds an element wider than the phone.
    anon.goto("/sign-in").await?;
    anon.client
        .execute(
            "var p = document.createElement('p'); p.id = 'email'; p.textContent = 'twin'; \
             document.querySelector('main').appendChild(p); \
             var w = document.createElement('div'); w.style.width = '900px'; w.textContent = 'wide'; \
             document.querySelector('main').appendChild(w);",
            vec![],
        )
        .await?;
    let control = anon.htmlcs().await?;
    ensure!(
        control.iter().any(|v| v.contains("F77")),
        "HTML_CodeSniffer reports a duplicate id: {control:?}"
    );
    ensure!(
        anon.sideways_at_phone_width().await? > 0,
        "a page wider than a phone is found"
    );

    let mut c = app.cast().await;
    let mut admin = app.add_person("admin", None, None).await;
    for person in [&c.a, &c.b, &c.mfa, &c.police, &c.pst, &admin] {
        app.set_language(person, lang).await;
    }
    for (path, what) in [
        ("/", "start page"),
        ("/sign-in", "sign-in"),
        ("/no-such-page", "page not found"),
        ("/invitation?token=unknown", "unknown invitation link"),
        ("/accessibility", "accessibility statement"),
    ] {
        anon.goto(path).await?;
        audit(&anon, what, &mut found).await?;
    }
    anon.goto("/sign-in").await?;
    anon.fill("email", &c.b.email).await?;
    anon.fill("password", "not the right password").await?;
    anon.press(t("Continue")).await?;
    audit(&anon, "sign-in, refused", &mut found).await?;
    anon.fill("email", &c.b.email).await?;
    anon.fill("password", &c.b.password).await?;
    anon.press(t("Continue")).await?;
    audit(&anon, "second-factor enrolment", &mut found).await?;
    anon.fill("code", "000000").await?;
    anon.press(t("Confirm")).await?;
    audit(&anon, "second-factor enrolment, refused code", &mut found).await?;
    anon.close().await;

    // Requests in the states each role has pages for, driven through the API.
    let (staff_api, police_api) = (app.api(&c.a).await, app.api(&c.police).await);
    let (_, draft) = staff_api
        .post("/api/v1/requests", request_body("A draft"))
        .await;
    let draft = draft["id"].as_str().unwrap().to_owned();
    let mut at = Vec::new();
    for (title, state) in [
        ("In triage", "in_triage"),
        ("Police review", "police_review"),
        ("PST review", "pst_review"),
        ("Decided", "decided"),
    ] {
        let journey = Journey {
            body: request_body(title),
            ..Journey::default()
        };
        at.push(app.request_in_with(&c, state, journey).await);
    }
    police_api
        .post(
            &format!("/api/v1/requests/{}/messages", at[1]),
            json!({ "body": "Patrol route agreed.", "visibility": "internal", "classification": "restricted" }),
        )
        .await;

    let staff = Chrome::start_with(app, &format!("axe-mission-{}", lang.code()), accept).await;
    staff.sign_in(&mut c.a).await?;
    for (path, what) in [
        ("/".to_owned(), "mission's requests"),
        ("/requests/new".into(), "new request"),
        (format!("/requests/{draft}/edit"), "draft"),
        (format!("/requests/{draft}/review"), "check your answers"),
        (format!("/requests/{draft}/discard"), "delete the draft"),
        (
            format!("/requests/{}/submitted", at[0]),
            "request submitted",
        ),
        (format!("/requests/{}/receipt", at[0]), "receipt"),
        (format!("/requests/{}", at[0]), "request under assessment"),
        ("/notifications".into(), "notifications"),
        ("/account".into(), "account"),
    ] {
        staff.goto(&path).await?;
        audit(&staff, what, &mut found).await?;
    }
    staff.goto("/requests/new").await?;
    staff.press(t("Continue to check your answers")).await?;
    audit(&staff, "new request, with errors", &mut found).await?;
    staff.goto("/account").await?;
    staff.press(t("Change password")).await?;
    audit(&staff, "account, password refused", &mut found).await?;
    staff.close().await;

    let mission_page = format!("/missions/{}", c.mission_a);
    for (person, name, pages) in [
        (
            &mut c.mfa,
            "mfa",
            vec![
                "/".to_owned(),
                format!("/requests/{}", at[0]),
                format!("/requests/{}", at[1]),
                format!("/requests/{}", at[3]),
                "/notifications".into(),
                "/calendar".into(),
                mission_page.clone(),
                // Search results, the words found marked.
                "/?queue=all&q=guard".into(),
                "/statistics".into(),
                "/statistics?from=2026-13".into(),
            ],
        ),
        (
            &mut c.police,
            "police",
            vec![
                "/".to_owned(),
                format!("/requests/{}", at[1]),
                "/?queue=review".into(),
                "/calendar".into(),
                "/calendar?view=month".into(),
                "/statistics".into(),
                "/missions".into(),
                mission_page.clone(),
            ],
        ),
        (
            &mut c.pst,
            "pst",
            vec![
                "/".to_owned(),
                format!("/requests/{}", at[2]),
                mission_page.clone(),
            ],
        ),
    ] {
        let b = Chrome::start_with(app, &format!("axe-{name}-{}", lang.code()), accept).await;
        b.sign_in(person).await?;
        for path in pages {
            b.goto(&path).await?;
            audit(&b, name, &mut found).await?;
        }
        // An action refused for a missing field: the errors on the request page.
        let refused = match name {
            "police" => Some((&at[1], "Record the decision")),
            "pst" => Some((&at[2], "Submit the threat assessment")),
            _ => None,
        };
        if name == "mfa" {
            // The formal reply's preview.
            b.goto(&format!("/requests/{}", at[3])).await?;
            b.press(t("Preview the reply")).await?;
            audit(&b, "mfa, reply preview", &mut found).await?;
        }
        if let Some((id, label)) = refused {
            b.goto(&format!("/requests/{id}")).await?;
            if name == "police" {
                // Conditions are required when approving with conditions.
                b.choose("outcomes[0].outcome", "approved_with_conditions")
                    .await?;
            }
            b.press(t(label)).await?;
            audit(&b, &format!("{name}, action refused"), &mut found).await?;
        }
        b.close().await;
    }

    let b = Chrome::start_with(app, &format!("axe-admin-{}", lang.code()), accept).await;
    b.sign_in(&mut admin).await?;
    let mission_id = c.mission_a.clone();
    for (path, what) in [
        ("/admin/users".to_owned(), "accounts"),
        ("/admin/users/new".into(), "invite"),
        (format!("/admin/users/{}", c.a.id), "an account"),
        ("/admin/missions".into(), "missions"),
        (format!("/admin/missions/{mission_id}"), "a mission"),
        ("/admin/security-log".into(), "security log"),
        ("/admin/deliveries".into(), "e-mail delivery"),
        ("/admin/jobs".into(), "the portal's own work"),
        ("/account".into(), "administrator's account"),
    ] {
        b.goto(&path).await?;
        audit(&b, what, &mut found).await?;
    }
    b.goto("/admin/users/new").await?;
    b.press(t("Send invitation")).await?;
    audit(&b, "invite, with errors", &mut found).await?;
    b.close().await;
    Ok(found)
}

#[actix_web::test]
async fn every_page_of_every_role_passes_two_accessibility_checkers_and_fits_a_phone() {
    let app = spawn_app().await;
    let found = every_page(&app, Lang::En).await;
    let found = found.unwrap_or_else(|e| panic!("{e:#}"));
    assert!(
        found.is_empty(),
        "accessibility violations (WCAG 2.1 AA):\n{}",
        found.join("\n")
    );
}

#[actix_web::test]
async fn every_page_of_every_role_passes_both_checkers_in_bokmal_too() {
    let app = spawn_app().await;
    let found = every_page(&app, Lang::Nb).await;
    let found = found.unwrap_or_else(|e| panic!("{e:#}"));
    assert!(
        found.is_empty(),
        "accessibility violations (WCAG 2.1 AA, Bokmål):\n{}",
        found.join("\n")
    );
}

// ---- the keyboard alone ---------------------------------------------------------------------------

/// Tabs forward until an element matching `is_target` (on its name or text) has focus.
async fn tab_to(c: &Chrome, is_target: impl Fn(&str) -> bool) -> anyhow::Result<()> {
    for _ in 0..80 {
        let focused = c.client.active_element().await?;
        let name = focused.attr("name").await?.unwrap_or_default();
        let text = focused.text().await.unwrap_or_default();
        if is_target(&name) || is_target(&text) {
            // What has focus is visibly marked.
            let outline = c
                .client
                .execute(
                    "return getComputedStyle(document.activeElement).outlineStyle;",
                    vec![],
                )
                .await?;
            ensure!(
                outline != json!("none"),
                "{name}{text} has no visible focus"
            );
            return Ok(());
        }
        // The Tab key pressed on the keyboard (sending it to a file field would choose a file).
        let tab = fantoccini::actions::KeyActions::new("keyboard".into())
            .then(fantoccini::actions::KeyAction::Down { value: '\u{e004}' })
            .then(fantoccini::actions::KeyAction::Up { value: '\u{e004}' });
        c.client.perform_actions(tab).await?;
    }
    anyhow::bail!("nothing matching was reached with the Tab key")
}

/// Presses Enter on what has focus, and waits for the page that leads to.
async fn press_enter(c: &Chrome) -> anyhow::Result<()> {
    let old = c.client.find(Locator::Css("html")).await?;
    c.client
        .active_element()
        .await?
        .send_keys("\u{e007}")
        .await?;
    c.wait_for_new_page(old).await
}

async fn type_into(c: &Chrome, name: &str, keys: &str) -> anyhow::Result<()> {
    tab_to(c, |n| n == name).await?;
    c.client.active_element().await?.send_keys(keys).await?;
    Ok(())
}

#[actix_web::test]
async fn the_request_form_can_be_completed_with_the_keyboard_alone() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let b = Chrome::start(&app, "keyboard").await;
    let journey = async {
        b.sign_in(&mut c.a).await?;
        b.goto("/requests/new").await?;
        let date = b.date_keys(&day(3)).await?;
        type_into(&b, "title", "Patrols during the demonstration").await?;
        type_into(
            &b,
            "justification",
            "A demonstration is announced outside the chancery on Saturday.",
        )
        .await?;
        type_into(&b, "urgency", "Urgent").await?;
        type_into(&b, "contact.name", "Ana Pérez").await?;
        type_into(&b, "contact.phone", "+56 2 2345 6789").await?;
        type_into(&b, "contact.email", "ana@chile.example").await?;
        type_into(&b, "measures[0].kind", "Increased").await?;
        type_into(&b, "measures[0].starts_on", &date).await?;
        type_into(&b, "measures[0].description", "Patrols on Saturday").await?;
        tab_to(&b, |t| t == "Continue to check your answers").await?;
        press_enter(&b).await?;
        let text = b.text().await?;
        ensure!(text.contains("Check your answers"), "the review page");
        ensure!(
            text.contains("Increased police patrols"),
            "the kind chosen by typing"
        );
        tab_to(&b, |t| t == "Submit the request").await?;
        press_enter(&b).await?;
        ensure!(
            b.text().await?.contains("Request submitted"),
            "the confirmation page"
        );
        tab_to(&b, |t| t == "See the request you submitted").await?;
        press_enter(&b).await?;
        status_is(&b, "Received").await
    };
    let result = journey.await;
    must(&b, result).await;
    b.close().await;
}

// ---- a session that ends ---------------------------------------------------------------------------

#[actix_web::test]
async fn text_typed_when_the_session_ends_is_offered_back_after_signing_in() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let b = Chrome::start(&app, "kept").await;
    let journey = async {
        b.sign_in(&mut c.a).await?;
        b.goto("/requests/new").await?;
        b.fill("title", "Guard during the visit of the minister")
            .await?;
        b.fill("justification", "A minister visits; threats were received.")
            .await?;
        b.press("Add another measure").await?;
        b.fill("measures[1].description", "Escort from the airport")
            .await?;
        // The session ends while the person types (the idle timeout).
        app.end_all_sessions().await;
        b.press("Continue to check your answers").await?;
        ensure!(app.count_requests().await == 0, "nothing was stored");
        b.sign_in(&mut c.a).await?;
        ensure!(
            b.text()
                .await?
                .contains("You were signed out while filling in a form"),
            "the start page offers the form back"
        );
        b.press_link("Return to the form").await?;
        // The page draws the form again with what was typed (two measures), storing nothing.
        let mut restored = false;
        for _ in 0..100 {
            if b.text()
                .await
                .unwrap_or_default()
                .contains("has been filled in again")
            {
                restored = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        ensure!(restored, "the restored form says so");
        for (name, value) in [
            ("title", "Guard during the visit of the minister"),
            ("measures[1].description", "Escort from the airport"),
        ] {
            let shown = b
                .client
                .find(Locator::Css(&format!("[name=\"{name}\"]")))
                .await?
                .prop("value")
                .await?;
            ensure!(shown.as_deref() == Some(value), "{name}: {shown:?}");
        }
        ensure!(app.count_requests().await == 0, "still nothing stored");
        Ok::<_, anyhow::Error>(())
    };
    let result = journey.await;
    must(&b, result).await;
    b.close().await;
}

#[actix_web::test]
async fn before_the_idle_timeout_a_dialog_offers_to_stay_signed_in() {
    // The shortest idle timeout the settings allow (one minute): the dialog comes 48 s in.
    let app = crate::helpers::spawn_app_with(crate::helpers::Options {
        configure: Box::new(|s| s.security.session_idle_minutes = 1),
        ..Default::default()
    })
    .await;
    let mut c = app.cast().await;
    let b = Chrome::start(&app, "idle").await;
    let journey = async {
        b.sign_in(&mut c.a).await?;
        let open = "return document.getElementById('session-warning').open;";
        ensure!(
            b.client.execute(open, vec![]).await? == json!(false),
            "no dialog at first"
        );
        let mut shown = false;
        for _ in 0..70 {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            if b.client.execute(open, vec![]).await? == json!(true) {
                shown = true;
                break;
            }
        }
        ensure!(shown, "the warning is shown before the session ends");
        ensure!(b.text().await?.contains("You will soon be signed out"));
        let stay = b
            .client
            .find(Locator::Css("#session-warning [data-stay]"))
            .await?;
        stay.click().await?;
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        ensure!(
            b.client.execute(open, vec![]).await? == json!(false),
            "the dialog closes once the session is kept"
        );
        // Past the minute the page was opened at, the person is still signed in.
        tokio::time::sleep(std::time::Duration::from_secs(15)).await;
        b.goto("/notifications").await?;
        ensure!(
            b.path().await? == "/notifications",
            "still signed in: {}",
            b.path().await?
        );
        Ok::<_, anyhow::Error>(())
    };
    let result = journey.await;
    must(&b, result).await;
    b.close().await;
}

// ---- print ------------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_printed_request_page_carries_its_classification_marking_on_every_page() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let mfa = app.api(&c.mfa).await;
    let mut body = request_body("A long request");
    body["justification"] = json!("Incidents were reported at the gate. ".repeat(250));
    let journey = Journey {
        body,
        ..Journey::default()
    };
    let id = app.request_in_with(&c, "in_triage", journey).await;
    let (status, _) = mfa
        .post(
            &format!("/api/v1/requests/{id}/messages"),
            json!({ "body": "Handle with care.", "visibility": "internal", "classification": "restricted" }),
        )
        .await;
    assert_eq!(status, 201);
    // A long history: four rounds of questions and answers take it past ten steps.
    let staff = app.api(&c.a).await;
    for round in 0..4 {
        let (status, r) = mfa
            .act(
                &id,
                json!({ "action": "request_information", "message": format!("Question {round}") }),
            )
            .await;
        assert_eq!(status, 200, "{r}");
        let (status, r) = staff
            .act(
                &id,
                json!({ "action": "provide_information", "message": format!("Answer {round}") }),
            )
            .await;
        assert_eq!(status, 200, "{r}");
    }
    let b = Chrome::start(&app, "print").await;
    let journey = async {
        b.sign_in(&mut c.mfa).await?;
        b.goto(&format!("/requests/{id}")).await?;
        let pages = b.print_pages().await?;
        ensure!(pages.len() >= 2, "a long request prints on several pages");
        for (i, page) in pages.iter().enumerate() {
            let marks = page.matches("RESTRICTED").count();
            ensure!(
                marks >= 2,
                "printed page {} carries the marking at top and bottom ({marks} found)",
                i + 1
            );
        }
        // Forms and navigation are for the screen only; the history's numbers from 10 up are
        // printed whole.
        let all = pages.concat();
        for n in ["10.", "11."] {
            ensure!(
                all.lines().any(|l| l.trim_start().starts_with(n)),
                "the history's step {n} is printed whole"
            );
        }
        ensure!(!all.contains("Sign out"), "no navigation in print");
        ensure!(
            !all.contains("Forward to Oslo Police District"),
            "no action forms in print"
        );
        // In Bokmål the marking is the Norwegian one.
        b.goto("/account").await?;
        b.choose("language", "nb").await?;
        b.press("Save language").await?;
        b.goto(&format!("/requests/{id}")).await?;
        for (i, page) in b.print_pages().await?.iter().enumerate() {
            ensure!(
                page.matches("BEGRENSET").count() >= 2,
                "printed page {} in Bokmål carries BEGRENSET at top and bottom",
                i + 1
            );
        }
        Ok::<_, anyhow::Error>(())
    };
    let result = journey.await;
    must(&b, result).await;
    b.close().await;
}

// ---- statistics ------------------------------------------------------------------------------------

/// The statistics page of a year of requests from missions of six countries: five charts drawn,
/// each with bars, the page no wider than a phone; its screenshot is the README's.
#[actix_web::test]
async fn the_statistics_page_draws_its_charts_in_a_real_browser() {
    use protection_portal::app::seed::{Plan, seed};
    use protection_portal::auth::password::HashCost;
    let app = spawn_app().await;
    let cost = HashCost::from_settings(&app.settings.security);
    let plan = Plan {
        requests: 2_400,
        missions: 12,
        batch: 600,
        only: None,
    };
    protection_portal::db::run(&app.pool, move |conn| {
        seed(
            conn,
            &plan,
            cost,
            protection_portal::app::now(),
            &mut |_| {},
        )
    })
    .await
    .expect("seeded");
    let missions = crate::helpers::text_rows(&app, "SELECT id AS line FROM missions ORDER BY id");
    for (n, id) in missions.iter().enumerate() {
        let country = ["IS", "CL", "BR", "JP", "KE", "DE"][n % 6];
        crate::helpers::execute(
            &app,
            &format!("UPDATE missions SET country = '{country}' WHERE id = '{id}'"),
        );
    }
    let mut c = app.cast().await;
    let mfa = Chrome::start(&app, "statistics").await;
    let step = async {
        mfa.sign_in(&mut c.mfa).await?;
        mfa.goto("/statistics").await?;
        let drawn = mfa
            .client
            .execute(
                "return Array.from(document.querySelectorAll('svg.chart-wide')).map(s => \
                 [s.getBoundingClientRect().width, Array.from(s.querySelectorAll('rect')).filter(r => \
                 r.getAttribute('fill') !== '#FFFFFF' && r.getBBox().width > 1 && r.getBBox().height > 1).length]);",
                vec![],
            )
            .await?;
        let drawn = drawn.as_array().context("a list of charts")?;
        ensure!(drawn.len() == 5, "five charts: {drawn:?}");
        for chart in drawn {
            ensure!(
                chart[0].as_f64().unwrap_or(0.0) > 300.0 && chart[1].as_i64().unwrap_or(0) > 0,
                "each chart drawn with bars of some width and height: {drawn:?}"
            );
        }
        let text = mfa.text().await?;
        ensure!(text.contains("Requests per month, by outcome") && text.contains("CL"));
        keep_screenshot(&mfa, "statistics").await?;
        let sideways = mfa.sideways_at_phone_width().await?;
        ensure!(
            sideways == 0,
            "the page scrolls sideways by {sideways} px on a phone"
        );
        Ok::<_, anyhow::Error>(())
    };
    must(&mfa, step.await).await;
    mfa.close().await;
}
