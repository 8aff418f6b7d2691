//! Request fixtures: what a mission types (as form fields and as JSON), the request page read by
//! a test, filing and acting through the pages, and `TestApp::request_in`, which carries a new
//! request to any state of the life cycle through the JSON API.

use protection_portal::domain::time::oslo_date;
use serde_json::{Value, json};

use super::{Api, Browser, Cast, Page, TestApp, text_rows};

/// The date `offset` days from today in Oslo, as the forms and the API write dates.
pub fn day(offset: i64) -> String {
    (oslo_date(protection_portal::app::now()) + chrono::Duration::days(offset)).to_string()
}

// ---- what a mission types -------------------------------------------------------------------

/// The form fields of measure `i`.
pub fn measure_fields(
    i: usize,
    kind: &str,
    starts: &str,
    ends: &str,
    description: &str,
) -> Vec<(String, String)> {
    vec![
        (format!("measures[{i}].kind"), kind.into()),
        (format!("measures[{i}].location"), "chancery".into()),
        (format!("measures[{i}].address"), String::new()),
        (format!("measures[{i}].starts_on"), starts.into()),
        (format!("measures[{i}].ends_on"), ends.into()),
        (format!("measures[{i}].description"), description.into()),
    ]
}

/// The form fields of a complete request with `measures` measures (tomorrow for 30 days).
pub fn request_fields(title: &str, measures: usize) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = vec![
        ("title".into(), title.into()),
        (
            "justification".into(),
            "Threats against the ambassador were received by e-mail this week.".into(),
        ),
        ("urgency".into(), "urgent".into()),
        ("contact.name".into(), "Guðrún Jónsdóttir".into()),
        ("contact.phone".into(), "+354 555 0100".into()),
        ("contact.email".into(), "gudrun@iceland.example".into()),
        ("measure_count".into(), measures.to_string()),
    ];
    let kinds = ["static_guard", "increased_patrols", "physical_barriers"];
    for i in 0..measures {
        f.extend(measure_fields(
            i,
            kinds[i % 3],
            &day(1),
            &day(30),
            "Around the chancery during the visit",
        ));
    }
    f
}

/// A complete request as JSON, with two measures: a static guard (ending in 20 days) and an
/// escort at another address (without an end date).
pub fn request_body(title: &str) -> Value {
    json!({
        "title": title,
        "justification": "Threats were received against the chancery this week.",
        "urgency": "urgent",
        "contact": { "name": "Guðrún Jónsdóttir", "phone": "+354 555 0100", "email": "gudrun@iceland.example" },
        "measures": [
            { "kind": "static_guard", "location": "chancery", "starts_on": day(1), "ends_on": day(20), "description": "Around the clock" },
            { "kind": "other", "location": "other", "address": "Drammensveien 1", "starts_on": day(2), "description": "Escort" }
        ]
    })
}

// ---- the request page -------------------------------------------------------------------------

impl Page {
    /// The request version stated in the page's first form that carries one.
    pub fn version(&self) -> Option<String> {
        super::between(&self.body, "name=\"version\" value=\"", "\"")
    }

    /// The status code a request page shows its viewer (`data-status`; empty when none).
    pub fn shown_status(&self) -> String {
        super::between(&self.body, "data-status=\"", "\"").unwrap_or_default()
    }

    /// The ids of the measures in the page's decision form, in order.
    pub fn measure_ids(&self) -> Vec<String> {
        self.body
            .split("].measure_id\" value=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_owned())
            .collect()
    }
}

impl Browser {
    /// Posts `fields` to `path` with the CSRF token of the page at `from`.
    pub async fn submit_fields(&self, from: &str, path: &str, fields: &[(String, String)]) -> Page {
        let borrowed: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.submit(from, path, &borrowed).await
    }

    /// Saves a new draft from the form (`fields` without `op`); returns its id.
    pub async fn save_draft(&self, fields: &[(String, String)]) -> String {
        let mut f = fields.to_vec();
        f.push(("op".into(), "save".into()));
        let res = self
            .submit_fields("/requests/new", "/requests/new", &f)
            .await;
        res.location
            .unwrap_or_else(|| panic!("the draft is saved: {}", res.body))
            .trim_start_matches("/requests/")
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// Submits draft `id` with the button on its page, stating the version the page shows.
    pub async fn submit_draft(&self, id: &str) -> Page {
        let page = self.get(&format!("/requests/{id}/edit")).await;
        let version = page.version().expect("the draft's form states its version");
        self.post(
            &format!("/requests/{id}/transitions"),
            &[
                ("csrf_token", &page.csrf()),
                ("action", "submit"),
                ("version", &version),
            ],
        )
        .await
    }

    /// Fills in the form, checks the answers and submits a request (`request_fields`); returns
    /// its id.
    pub async fn file_request(&self, title: &str, measures: usize) -> String {
        let mut f = request_fields(title, measures);
        f.push(("op".into(), "review".into()));
        let res = self
            .submit_fields("/requests/new", "/requests/new", &f)
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        let review = res.location.unwrap();
        let id = review.split('/').nth(2).unwrap().to_owned();
        let page = self.get(&review).await;
        assert!(page.body.contains("Check your answers"), "{}", page.body);
        let version = page.version().unwrap();
        let res = self
            .post(
                &format!("/requests/{id}/transitions"),
                &[
                    ("csrf_token", &page.csrf()),
                    ("action", "submit"),
                    ("version", &version),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        id
    }

    /// Performs an action from the request page, with the version the page shows.
    pub async fn act(&self, id: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(&format!("/requests/{id}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let version = page.version().unwrap_or_else(|| "0".into());
        let csrf = page.csrf();
        let mut form: Vec<(&str, &str)> = vec![
            ("csrf_token", &csrf),
            ("action", action),
            ("version", &version),
        ];
        // What a person does besides filling in the fields: ticks the box that confirms a
        // destructive step, and sends the formal reply from its preview.
        match action {
            "reject" | "withdraw" | "end_measures" => form.push(("confirm", action)),
            "communicate_decision" => form.push(("op", "send")),
            _ => {}
        }
        form.extend_from_slice(fields);
        self.post(&format!("/requests/{id}/transitions"), &form)
            .await
    }
}

// ---- a request in any state -------------------------------------------------------------------

/// The MFA's question when a journey asks the mission for information.
pub const QUESTION: &str = "Which days of the visit exactly?";
/// The mission's answer to it.
pub const ANSWER: &str = "The first three days.";
/// PST's assessment summary when a journey consults PST (threat level moderate, restricted).
pub const ASSESSMENT: &str = "Credible intent, limited capability.";
/// The police's conditions on the first measure when they approve it.
pub const CONDITIONS: &str = "Only between 08:00 and 20:00";
/// The MFA's formal reply to the mission.
pub const REPLY: &str = "The Ministry approves the measures the police approved.";
/// The MFA's reason when it rejects a request.
pub const REJECTION: &str = "Cameras covering public space are not permitted.";
/// The mission's reason when it withdraws a request.
pub const WITHDRAWAL: &str = "The visit was cancelled.";

/// How `TestApp::request_in_with` carries a request to its state.
#[derive(Clone, Debug)]
pub struct Journey {
    /// The request as mission A files it.
    pub body: Value,
    /// In triage the MFA asks the mission for information (`QUESTION`) and the mission answers
    /// (`ANSWER`) before the request goes on.
    pub ask_mission: bool,
    /// In police review the police refer the request to PST, which assesses it (`ASSESSMENT`,
    /// moderate, restricted), before the police decide.
    pub consult_pst: bool,
}

impl Default for Journey {
    /// `request_body`, by the shortest way.
    fn default() -> Self {
        Journey {
            body: request_body("Guard during the national day reception"),
            ask_mission: false,
            consult_pst: false,
        }
    }
}

/// The states `TestApp::request_in` knows the way to: every state of the life cycle.
pub const STATES: [&str; 13] = [
    "draft",
    "submitted",
    "in_triage",
    "awaiting_mission",
    "police_review",
    "pst_review",
    "decided",
    "approved",
    "declined",
    "rejected",
    "withdrawn",
    "in_effect",
    "ended",
];

impl TestApp {
    /// A new request of mission A (`Journey::default()`), carried to `state` through the API.
    pub async fn request_in(&self, c: &Cast, state: &str) -> String {
        self.request_in_with(c, state, Journey::default()).await
    }

    /// A new request of mission A, carried to `state` through the JSON API, each step by the
    /// role whose step it is (one token each): mission A's staff file it, the MFA officer takes
    /// it, the police decide — the first measure approved with `CONDITIONS`, every other one
    /// declined (all of them declined on the way to `declined`) — the MFA replies with `REPLY`,
    /// the police confirm the approved measures in place today and end them. Returns its id.
    pub async fn request_in_with(&self, c: &Cast, state: &str, journey: Journey) -> String {
        assert!(STATES.contains(&state), "no journey leads to {state:?}");
        let staff = self.api(&c.a).await;
        let mfa = self.api(&c.mfa).await;
        let police = self.api(&c.police).await;
        let pst = self.api(&c.pst).await;
        let draft = staff.create_request(journey.body).await;
        let id = draft["id"].as_str().unwrap().to_owned();
        let step = async |api: &Api, body: Value| {
            let (status, r) = api.act(&id, body.clone()).await;
            assert_eq!(status, 200, "on the way to {state}, {body}: {r}");
            r
        };
        let arrived = |at: &str| at == state;

        if !arrived("draft") {
            step(&staff, json!({ "action": "submit" })).await;
        }
        if arrived("withdrawn") {
            step(
                &staff,
                json!({ "action": "withdraw", "reason": WITHDRAWAL }),
            )
            .await;
        }
        if !["draft", "submitted", "withdrawn"].contains(&state) {
            step(&mfa, json!({ "action": "take" })).await;
            if journey.ask_mission || arrived("awaiting_mission") {
                step(
                    &mfa,
                    json!({ "action": "request_information", "message": QUESTION }),
                )
                .await;
            }
            if journey.ask_mission && !arrived("awaiting_mission") {
                step(
                    &staff,
                    json!({ "action": "provide_information", "message": ANSWER }),
                )
                .await;
            }
        }
        if arrived("rejected") {
            step(&mfa, json!({ "action": "reject", "reason": REJECTION })).await;
        }
        let beyond_triage = [
            "police_review",
            "pst_review",
            "decided",
            "approved",
            "declined",
            "in_effect",
            "ended",
        ];
        if beyond_triage.contains(&state) {
            step(&mfa, json!({ "action": "forward_to_police" })).await;
            if journey.consult_pst || arrived("pst_review") {
                step(&police, json!({ "action": "refer_to_pst" })).await;
            }
            if journey.consult_pst && !arrived("pst_review") {
                step(
                    &pst,
                    json!({ "action": "submit_assessment", "assessment": {
                        "threat_level": "moderate", "summary": ASSESSMENT, "classification": "restricted"
                    } }),
                )
                .await;
            }
        }
        if beyond_triage[2..].contains(&state) {
            let (_, full) = police.get(&format!("/api/v1/requests/{id}")).await;
            let outcomes: Vec<Value> = full["measures"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    if i == 0 && !arrived("declined") {
                        json!({ "measure_id": m["id"], "outcome": "approved_with_conditions", "conditions": CONDITIONS })
                    } else {
                        json!({ "measure_id": m["id"], "outcome": "declined" })
                    }
                })
                .collect();
            let decided = step(&police, json!({ "action": "decide", "outcomes": outcomes })).await;
            if !arrived("decided") {
                step(
                    &mfa,
                    json!({ "action": "communicate_decision", "reply": REPLY }),
                )
                .await;
            }
            if arrived("in_effect") || arrived("ended") {
                let implemented: Vec<Value> = decided["measures"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|m| m["outcome"] != "declined")
                    .map(|m| json!({ "measure_id": m["id"], "implemented_on": day(0) }))
                    .collect();
                step(
                    &police,
                    json!({ "action": "confirm_implementation", "implemented": implemented }),
                )
                .await;
            }
            if arrived("ended") {
                step(&police, json!({ "action": "end_measures" })).await;
            }
        }
        let now = text_rows(
            self,
            &format!("SELECT state AS line FROM requests WHERE id = '{id}'"),
        );
        assert_eq!(now, [state], "the journey arrived");
        id
    }
}
