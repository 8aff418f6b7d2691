//! The JSON shapes of the API (product.md § 8), with their OpenAPI schemas.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An error: `code` is stable, `message` is for people, `fields` names each field that broke a
/// rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    #[schema(example = "invalid")]
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldErrorJson>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorJson {
    #[schema(example = "measures[0].starts_on")]
    pub field: String,
    pub message: String,
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub email: String,
    pub name: String,
    #[schema(example = "mission_staff")]
    pub role: String,
    pub mission_id: Option<String>,
    #[schema(example = "none")]
    pub clearance: String,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ContactBody {
    #[schema(max_length = 200)]
    pub name: String,
    /// International format: + and 7–15 digits, spaces allowed.
    #[schema(max_length = 40, example = "+47 22 00 00 00")]
    pub phone: String,
    #[schema(max_length = 254)]
    pub email: String,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MeasureBody {
    #[schema(example = "static_guard")]
    pub kind: String,
    #[schema(example = "chancery")]
    pub location: String,
    /// Required when location is `other`.
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[schema(example = "2026-12-01")]
    pub starts_on: String,
    /// Empty or absent: until further notice.
    pub ends_on: Option<String>,
    /// Daily hours in Oslo, `HH:MM` (optional; a time before `from_time` means the next morning).
    #[schema(example = "17:00")]
    pub from_time: Option<String>,
    #[schema(example = "22:30")]
    pub until_time: Option<String>,
    #[schema(max_length = 2000)]
    pub description: String,
}

/// The event a request is about. Times are local date-times in Oslo, `YYYY-MM-DDTHH:MM`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EventBody {
    #[schema(max_length = 200, example = "National day reception")]
    pub name: String,
    #[schema(max_length = 200, example = "Grand Hotel")]
    pub venue: String,
    #[schema(max_length = 500)]
    pub address: String,
    #[schema(example = "2026-12-01T18:00")]
    pub starts_at: String,
    #[schema(example = "2026-12-01T22:30")]
    pub ends_at: String,
    /// 1 to 1,000,000.
    #[schema(example = 300)]
    pub expected_attendance: Option<i64>,
}

/// A person to protect. Times are local date-times in Oslo, on the event's days.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PersonBody {
    #[schema(max_length = 200)]
    pub name: String,
    #[schema(max_length = 200, example = "Minister for Foreign Affairs of Iceland")]
    pub position: String,
    #[schema(example = "2026-12-01T18:15")]
    pub arrives_at: Option<String>,
    pub leaves_at: Option<String>,
}

/// The note verbale that accompanies a request: the mission's number and its date.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NoteVerbaleBody {
    #[schema(max_length = 50, example = "12/2026")]
    pub number: String,
    #[schema(example = "2026-11-20")]
    pub dated_on: String,
}

/// A request's content. For a draft every field may be missing; submission requires all of
/// them: title 5–200 characters, justification 20–10,000, 1–20 measures.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RequestBody {
    #[schema(max_length = 200)]
    pub title: String,
    #[schema(max_length = 10000)]
    pub justification: String,
    /// `routine` or `urgent`.
    #[schema(example = "routine")]
    pub urgency: String,
    #[serde(deserialize_with = "super::object")]
    pub contact: ContactBody,
    #[serde(deserialize_with = "super::objects")]
    #[schema(max_items = 20)]
    pub measures: Vec<MeasureBody>,
    /// The event, if the request is about one.
    pub event: Option<EventBody>,
    #[serde(deserialize_with = "super::objects")]
    #[schema(max_items = 20)]
    pub protected_persons: Vec<PersonBody>,
    pub note_verbale: Option<NoteVerbaleBody>,
}

impl RequestPatch {
    /// The version it was read at, and the content as a new request's body.
    pub fn into_parts(self) -> (i32, RequestBody) {
        (
            self.version,
            RequestBody {
                title: self.title,
                justification: self.justification,
                urgency: self.urgency,
                contact: self.contact,
                measures: self.measures,
                event: self.event,
                protected_persons: self.protected_persons,
                note_verbale: self.note_verbale,
            },
        )
    }
}

/// An edit: the content and the version it was read at.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestPatch {
    pub version: i32,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub justification: String,
    #[serde(default)]
    pub urgency: String,
    #[serde(default, deserialize_with = "super::object")]
    pub contact: ContactBody,
    #[serde(default, deserialize_with = "super::objects")]
    #[schema(max_items = 20)]
    pub measures: Vec<MeasureBody>,
    #[serde(default)]
    pub event: Option<EventBody>,
    #[serde(default, deserialize_with = "super::objects")]
    #[schema(max_items = 20)]
    pub protected_persons: Vec<PersonBody>,
    #[serde(default)]
    pub note_verbale: Option<NoteVerbaleBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactJson {
    pub name: String,
    pub phone: String,
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureJson {
    pub id: String,
    pub kind: Option<String>,
    pub location: Option<String>,
    pub address: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub from_time: Option<String>,
    pub until_time: Option<String>,
    pub description: String,
    /// `approved`, `approved_with_conditions` or `declined`; for missions only after the reply.
    pub outcome: Option<String>,
    /// For `approved_with_conditions`: the conditions.
    pub conditions: Option<String>,
    /// For `declined`: why, when the police gave a reason (the mission reads it).
    pub reason: Option<String>,
    pub implemented_on: Option<String>,
    pub ended_on: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentJson {
    pub id: String,
    pub created_at: String,
    /// Present when the caller may see the level.
    pub threat_level: Option<String>,
    /// Present when the caller may read the assessment in full.
    pub summary: Option<String>,
    pub classification: Option<String>,
    pub declassify_on: Option<String>,
}

/// A request as the caller may see it: `status` is the internal state for authorities and the
/// mission-facing code for mission staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestJson {
    pub id: String,
    pub reference: Option<String>,
    pub mission_id: String,
    #[schema(example = "under_assessment")]
    pub status: String,
    /// State this in every change (optimistic concurrency).
    pub version: i32,
    pub title: String,
    pub justification: String,
    pub urgency: String,
    pub contact: ContactJson,
    pub measures: Vec<MeasureJson>,
    pub created_at: String,
    pub submitted_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessments: Option<Vec<AssessmentJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<EventJson>,
    pub protected_persons: Vec<PersonJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note_verbale: Option<NoteVerbaleBody>,
    /// When protection is needed: the earliest start of a measure or of the event.
    pub needed_by: Option<String>,
    /// While the reply is pending: the day the mission may expect it.
    pub reply_expected_by: Option<String>,
    /// Submitted (or, for a draft, to be submitted today) with fewer working days of notice
    /// than the Ministry asks for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_notice: Option<bool>,
    /// Authorities only: each stage's due date (product.md § 11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadlines: Option<Vec<DeadlineJson>>,
    /// Authorities only, while in effect: the periodic review (product.md § 13).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewJson>,
}

/// The next periodic review of a request in effect.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewJson {
    /// The day of the next review.
    pub next_review_on: String,
    /// `scheduled`, `due` (today) or `overdue`.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventJson {
    pub name: String,
    pub venue: String,
    pub address: String,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub expected_attendance: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonJson {
    pub name: String,
    pub position: String,
    pub arrives_at: Option<String>,
    pub leaves_at: Option<String>,
}

/// One stage's due date.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineJson {
    /// `triage`, `police_decision`, `pst_assessment` or `reply`.
    #[schema(example = "triage")]
    pub stage: String,
    pub due_on: String,
    /// The day the stage ended (Oslo date), if it has.
    pub met_at: Option<String>,
    pub overdue: bool,
}

/// A request in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestSummary {
    pub id: String,
    pub reference: Option<String>,
    pub mission_id: String,
    pub status: String,
    pub title: String,
    pub urgency: String,
    pub created_at: String,
    pub submitted_at: Option<String>,
    /// Authorities only: the due date of the stage the request is in, and whether it passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue: Option<bool>,
    /// In the results of a search (`q`): the words found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<FoundJson>,
}

/// What a search found in a request: its title cut into fragments, those holding a word found
/// marked, and a passage around the first word found in another of its texts.
#[derive(Debug, Serialize, ToSchema)]
pub struct FoundJson {
    pub title: Vec<FragmentJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passage: Option<PassageJson>,
}

/// A passage of a request's text around a word found.
#[derive(Debug, Serialize, ToSchema)]
pub struct PassageJson {
    /// `justification`, `event` (its name), `venue` or `measure` (a description).
    #[schema(example = "justification")]
    pub field: String,
    pub fragments: Vec<FragmentJson>,
}

/// A piece of text, and whether it is a word the search found. The fragments of a text, joined,
/// are the text (a passage starts or ends with "… " where it was cut).
#[derive(Debug, Serialize, ToSchema)]
pub struct FragmentJson {
    pub text: String,
    pub found: bool,
}

impl FoundJson {
    pub fn of(found: &crate::app::requests::Found) -> Self {
        let fragments = |f: &[crate::domain::search::Fragment]| {
            f.iter()
                .map(|f| FragmentJson {
                    text: f.text.clone(),
                    found: f.found,
                })
                .collect()
        };
        FoundJson {
            title: fragments(&found.title),
            passage: found.passage.as_ref().map(|(field, f)| PassageJson {
                field: field.code().to_owned(),
                fragments: fragments(f),
            }),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestList {
    pub items: Vec<RequestSummary>,
    /// How many requests the list holds, counted up to 1,000.
    pub total: i64,
    /// True when the list holds more than `total` (the count stops at 1,000).
    pub total_capped: bool,
    /// The page's number; pages read from a cursor count on from 2.
    pub page: i64,
    pub per_page: i64,
    /// Pass as `after` to read the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    pub measure_id: String,
    #[schema(example = "approved")]
    pub outcome: String,
    /// Required for `approved_with_conditions`, refused for `approved`. On `declined` without a
    /// `reason` it is read as the reason (deprecated: give `reason`).
    pub conditions: Option<String>,
    /// For `declined` only (optional): why; the mission reads it.
    pub reason: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImplementedBody {
    pub measure_id: String,
    #[schema(example = "2026-12-01")]
    pub implemented_on: String,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentBody {
    /// `very_low`, `low`, `moderate`, `high` or `very_high`.
    pub threat_level: String,
    #[schema(max_length = 10000)]
    pub summary: String,
    /// Default `restricted`; at most the installation's ceiling and the author's clearance.
    pub classification: Option<String>,
    pub declassify_on: Option<String>,
}

/// One action of the life cycle with what it needs (product.md § 8).
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    #[schema(example = "take")]
    pub action: String,
    pub version: i32,
    /// `take`: another MFA officer to assign (default: the caller).
    pub assignee_id: Option<String>,
    /// `request_information`, `provide_information`.
    pub message: Option<String>,
    /// `reject` (required), `withdraw`, `end_measures`.
    pub reason: Option<String>,
    /// `return_to_mfa`, `review`: the internal note (unclassified; a classified one is written
    /// as an internal message).
    pub note: Option<String>,
    #[serde(default, deserialize_with = "super::optional_object")]
    pub assessment: Option<AssessmentBody>,
    #[serde(default, deserialize_with = "super::optional_objects")]
    pub outcomes: Option<Vec<OutcomeBody>>,
    /// `communicate_decision`: the formal reply.
    pub reply: Option<String>,
    #[serde(default, deserialize_with = "super::optional_objects")]
    pub implemented: Option<Vec<ImplementedBody>>,
    /// `refer_to_pst`: the day PST's assessment is due (optional; by default three working days
    /// after the referral and a working day before the police's own due date).
    pub pst_due_on: Option<String>,
    /// `review`: the day of the next periodic review, after today and at most `review.interval_days`
    /// ahead (default: that many days from today).
    #[schema(example = "2027-03-01")]
    pub next_review_on: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    #[schema(max_length = 10000)]
    pub body: String,
    /// `external` (mission ↔ MFA) or `internal` (a note among authorities).
    pub visibility: String,
    /// Internal notes only; default `unclassified`.
    pub classification: Option<String>,
    pub declassify_on: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageJson {
    pub id: String,
    pub created_at: String,
    pub author: String,
    pub visibility: String,
    pub classification: String,
    pub declassify_on: Option<String>,
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineJson {
    pub at: String,
    pub action: String,
    pub by: String,
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationJson {
    pub id: String,
    pub kind: String,
    pub request_id: Option<String>,
    pub reference: Option<String>,
    pub status: Option<String>,
    pub created_at: String,
    pub read: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationJson>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MissionBody {
    #[schema(min_length = 3, max_length = 200)]
    pub name: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "IS")]
    pub country: String,
    /// `embassy` (default), `consulate` or `international_organisation`.
    pub kind: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MissionJson {
    pub id: String,
    pub name: String,
    pub country: String,
    pub kind: String,
    pub active: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    pub email: String,
    pub name: String,
    #[schema(example = "mfa_officer")]
    pub role: String,
    pub mission_id: Option<String>,
    pub clearance: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// false deactivates (ending every session), true reactivates.
    pub active: Option<bool>,
    /// true removes the second factor; the person enrols again.
    pub reset_second_factor: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserJson {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub mission_id: Option<String>,
    pub clearance: String,
    pub active: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MissionList {
    pub items: Vec<MissionJson>,
    pub total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserJson>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}
