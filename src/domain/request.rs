//! A request as typed (forms, API) and the rules it must meet: loosely for a draft, fully at
//! submission (product.md § 4). Text is kept exactly as typed; only its rules are checked here.

use chrono::NaiveDate;

use super::FieldError;
use super::event::{self, EventInput, PersonInput, ValidEvent, ValidNoteVerbale, ValidPerson};
use super::text::check_text;
use super::user::Email;

pub const MAX_MEASURES: usize = 20;

crate::codes! {
    pub enum Urgency {
        Routine = "routine", "Routine";
        Urgent = "urgent", "Urgent";
    }
    else |s| "must be routine or urgent".to_owned()
}

/// Who carries a measure out, which decides who decides on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Carried out by Oslo Police District.
    PoliceProtection,
    /// The mission's own measure beyond its premises, which needs clearance.
    OwnMeasureNeedingClearance,
    Other,
}

crate::codes! {
    pub enum MeasureKind {
        IncreasedPatrols = "increased_patrols", "Increased police patrols";
        StaticGuard = "static_guard", "Static police guard";
        PersonalProtection = "personal_protection", "Personal protection";
        EventSecurity = "event_security", "Security for an event";
        TrafficRestriction = "traffic_restriction", "Traffic restriction";
        PhysicalBarriers = "physical_barriers", "Physical barriers (own measure)";
        CctvPublicArea = "cctv_public_area", "CCTV covering public space (own measure)";
        PrivateGuardsOutsidePremises = "private_guards_outside_premises", "Private guards outside the premises (own measure)";
        Other = "other", "Other";
    }
    else |s| "must be one of the listed kinds of measure".to_owned()
}

impl MeasureKind {
    pub fn category(self) -> Category {
        match self {
            Self::IncreasedPatrols
            | Self::StaticGuard
            | Self::PersonalProtection
            | Self::EventSecurity
            | Self::TrafficRestriction => Category::PoliceProtection,
            Self::PhysicalBarriers | Self::CctvPublicArea | Self::PrivateGuardsOutsidePremises => {
                Category::OwnMeasureNeedingClearance
            }
            Self::Other => Category::Other,
        }
    }
}

crate::codes! {
    pub enum Location {
        Chancery = "chancery", "The chancery";
        Residence = "residence", "The residence of the head of mission";
        Other = "other", "Another address";
    }
    else |s| "must be chancery, residence or other".to_owned()
}

crate::codes! {
    /// Per-measure decision by the police.
    pub enum Outcome {
        Approved = "approved", "Approved";
        ApprovedWithConditions = "approved_with_conditions", "Approved with conditions";
        Declined = "declined", "Declined";
    }
    else |s| if s.is_empty() {
        "is required".to_owned()
    } else {
        "must be approved, approved_with_conditions or declined".to_owned()
    }
}

impl Outcome {
    pub fn is_approval(self) -> bool {
        self != Self::Declined
    }
}

/// Whether a decision approves some measures and declines others (the mission then reads
/// "Partly approved").
pub fn partly_approved(outcomes: impl IntoIterator<Item = Option<Outcome>>) -> bool {
    let (mut approved, mut declined) = (false, false);
    for outcome in outcomes.into_iter().flatten() {
        if outcome.is_approval() {
            approved = true;
        } else {
            declined = true;
        }
    }
    approved && declined
}

crate::codes! {
    /// PST's threat levels, 1 (very low) to 5 (very high).
    pub enum ThreatLevel {
        VeryLow = "very_low", "1 – Very low";
        Low = "low", "2 – Low";
        Moderate = "moderate", "3 – Moderate";
        High = "high", "4 – High";
        VeryHigh = "very_high", "5 – Very high";
    }
    else |s| if s.is_empty() {
        "is required".to_owned()
    } else {
        "must be very_low, low, moderate, high or very_high".to_owned()
    }
}

/// One measure as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeasureInput {
    pub kind: String,
    pub location: String,
    pub address: String,
    pub starts_on: String,
    pub ends_on: String,
    /// Daily hours, `HH:MM` (a guard from 17:00 until 22:30); both optional.
    pub from_time: String,
    pub until_time: String,
    pub description: String,
}

impl MeasureInput {
    pub fn is_blank(&self) -> bool {
        self.kind.is_empty()
            && self.address.trim().is_empty()
            && self.starts_on.is_empty()
            && self.ends_on.is_empty()
            && self.from_time.trim().is_empty()
            && self.until_time.trim().is_empty()
            && self.description.trim().is_empty()
    }
}

/// A request as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInput {
    pub title: String,
    pub justification: String,
    pub urgency: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub measures: Vec<MeasureInput>,
    pub event: EventInput,
    pub protected_persons: Vec<PersonInput>,
    pub note_verbale_number: String,
    pub note_verbale_dated_on: String,
}

impl RequestInput {
    /// Whether nothing was typed: no title, justification, phone or measure. The contact's name
    /// and e-mail address do not count (the form fills them in from the account), nor do the
    /// urgency and a measure's location (they have a starting choice).
    pub fn is_blank(&self) -> bool {
        self.title.trim().is_empty()
            && self.justification.trim().is_empty()
            && self.contact_phone.trim().is_empty()
            && self.measures.iter().all(MeasureInput::is_blank)
            && self.event.is_blank()
            && self.protected_persons.iter().all(PersonInput::is_blank)
            && self.note_verbale_number.trim().is_empty()
    }
}

/// A request filed again for the next occurrence of what it was about (a national day, a yearly
/// visit): the same content, every date and time a year later (29 February becomes 28 February).
/// A date that is not a date is kept as it was, for the form to point out. The note verbale is
/// left out: the next one will have a number and a date of its own.
pub fn filed_again(input: &RequestInput) -> RequestInput {
    let a_year_later = |value: &str| -> String {
        let later = |d: NaiveDate| d.checked_add_months(chrono::Months::new(12));
        if let Ok(Some(at)) = event::parse_local(value)
            && let Some(day) = later(at.date())
        {
            return event::format_local(day.and_time(at.time()));
        }
        NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
            .ok()
            .and_then(later)
            .map(|d| d.to_string())
            .unwrap_or_else(|| value.to_owned())
    };
    RequestInput {
        measures: input
            .measures
            .iter()
            .map(|m| MeasureInput {
                starts_on: a_year_later(&m.starts_on),
                ends_on: a_year_later(&m.ends_on),
                ..m.clone()
            })
            .collect(),
        event: EventInput {
            starts_at: a_year_later(&input.event.starts_at),
            ends_at: a_year_later(&input.event.ends_at),
            ..input.event.clone()
        },
        protected_persons: input
            .protected_persons
            .iter()
            .map(|p| PersonInput {
                arrives_at: a_year_later(&p.arrives_at),
                leaves_at: a_year_later(&p.leaves_at),
                ..p.clone()
            })
            .collect(),
        note_verbale_number: String::new(),
        note_verbale_dated_on: String::new(),
        ..input.clone()
    }
}

/// How strictly to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// A draft may be incomplete; what is there must still be well-formed.
    Draft,
    /// Everything required, every rule met.
    Submission,
}

/// One measure, checked: what a draft may leave open is optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidMeasure {
    pub kind: Option<MeasureKind>,
    pub location: Option<Location>,
    pub address: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub from_time: Option<chrono::NaiveTime>,
    pub until_time: Option<chrono::NaiveTime>,
    pub description: String,
}

/// A request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRequest {
    pub title: String,
    pub justification: String,
    pub urgency: Urgency,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub measures: Vec<ValidMeasure>,
    pub event: Option<ValidEvent>,
    pub protected_persons: Vec<ValidPerson>,
    pub note_verbale: ValidNoteVerbale,
}

impl ValidRequest {
    /// When protection is needed: the earliest day a measure or the event starts.
    pub fn needed_by(&self) -> Option<NaiveDate> {
        super::deadlines::needed_by(
            self.measures.iter().map(|m| m.starts_on).chain([self
                .event
                .as_ref()
                .and_then(|e| e.starts_at)
                .map(|t| t.date())]),
        )
    }
}

/// The field name of a measure's field, as forms and the API name it.
pub fn measure_field(index: usize, field: &str) -> String {
    format!("measures[{index}].{field}")
}

/// The fields of a request as forms and the API name them; a request carries nothing else (no
/// classification, no assignee, no state: those are set by the steps of its life cycle).
pub fn is_request_field(name: &str) -> bool {
    const MEASURE: [&str; 8] = [
        "kind",
        "location",
        "address",
        "starts_on",
        "ends_on",
        "from_time",
        "until_time",
        "description",
    ];
    const PERSON: [&str; 4] = ["name", "position", "arrives_at", "leaves_at"];
    let in_list = |prefix: &str, max: usize, fields: &[&str]| {
        name.strip_prefix(prefix)
            .and_then(|rest| rest.split_once("]."))
            .is_some_and(|(i, field)| {
                i.parse::<usize>().is_ok_and(|i| i < max + 1) && fields.contains(&field)
            })
    };
    match name {
        "title"
        | "justification"
        | "urgency"
        | "contact.name"
        | "contact.phone"
        | "contact.email"
        | "event.name"
        | "event.venue"
        | "event.address"
        | "event.starts_at"
        | "event.ends_at"
        | "event.expected_attendance"
        | "note_verbale.number"
        | "note_verbale.dated_on" => true,
        _ => {
            in_list("measures[", MAX_MEASURES, &MEASURE)
                || in_list("protected_persons[", event::MAX_PERSONS, &PERSON)
        }
    }
}

pub use super::time::{END_AHEAD_MONTHS, PAST_MONTHS, START_AHEAD_MONTHS, check_horizon};

fn parse_date(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| "must be a date written YYYY-MM-DD".to_owned())
}

/// An international phone number: `+`, then 7–15 digits, spaces allowed between groups.
fn check_phone(value: &str) -> Result<(), String> {
    let rest = value
        .trim()
        .strip_prefix('+')
        .ok_or("must start with + and the country code, like +47 22 00 00 00")?;
    if !rest.chars().all(|c| c.is_ascii_digit() || c == ' ') {
        return Err("may contain only digits and spaces after the +, like +47 22 00 00 00".into());
    }
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits) {
        return Err("must have between 7 and 15 digits, like +47 22 00 00 00".into());
    }
    Ok(())
}

/// Checks a request. `today` is the calendar date in Oslo; at submission no measure may start
/// before it.
pub fn validate(
    input: &RequestInput,
    strictness: Strictness,
    today: NaiveDate,
) -> Result<ValidRequest, Vec<FieldError>> {
    let full = strictness == Strictness::Submission;
    let mut errors = Vec::new();
    let min = |n: usize| if full { n } else { 0 };
    let mut text = |field: &'static str, value: &str, lo: usize, hi: usize, multiline: bool| {
        if let Err(e) = check_text(field, value, lo, hi, multiline) {
            errors.push(e);
        }
    };
    text("title", &input.title, min(5), 200, false);
    text("justification", &input.justification, min(20), 10_000, true);
    text("contact.name", &input.contact_name, min(1), 200, false);
    text("contact.phone", &input.contact_phone, 0, 40, false);
    text("contact.email", &input.contact_email, 0, 254, false);
    let urgency = match input.urgency.as_str() {
        "" if !full => Urgency::Routine,
        value => value.parse().unwrap_or_else(|e: String| {
            errors.push(FieldError::new("urgency", e));
            Urgency::Routine
        }),
    };
    if full || !input.contact_phone.trim().is_empty() {
        if let Err(e) = check_phone(&input.contact_phone) {
            errors.push(FieldError::new("contact.phone", e));
        }
    }
    if (full || !input.contact_email.trim().is_empty())
        && let Err(e) = Email::parse("contact.email", &input.contact_email)
    {
        errors.push(e);
    }

    let measures: Vec<&MeasureInput> = input
        .measures
        .iter()
        .filter(|m| full || !m.is_blank())
        .collect();
    if measures.len() > MAX_MEASURES {
        errors.push(FieldError::new(
            "measures",
            format!("must be at most {MAX_MEASURES}"),
        ));
    }
    if full && measures.is_empty() {
        errors.push(FieldError::new("measures", "Add at least one measure"));
    }
    let mut valid_measures = Vec::new();
    for (i, m) in measures.iter().enumerate() {
        let field = |name: &str| measure_field(i, name);
        let mut err =
            |name: &str, message: String| errors.push(FieldError::new(field(name), message));
        let kind = match m.kind.as_str() {
            "" if !full => None,
            "" => {
                err("kind", "is required".into());
                None
            }
            k => k.parse::<MeasureKind>().map_err(|e| err("kind", e)).ok(),
        };
        let location = match m.location.as_str() {
            "" if !full => None,
            "" => {
                err("location", "is required".into());
                None
            }
            l => l.parse::<Location>().map_err(|e| err("location", e)).ok(),
        };
        let address = m.address.trim();
        if let Err(e) = check_text("address", &m.address, 0, 500, false) {
            err("address", e.message);
        } else if full && location == Some(Location::Other) && address.is_empty() {
            err(
                "address",
                "Enter the address, since the location is another address".into(),
            );
        }
        let starts_on = match m.starts_on.trim() {
            "" if !full => None,
            "" => {
                err("starts_on", "is required".into());
                None
            }
            d => parse_date(d).map_err(|e| err("starts_on", e)).ok(),
        };
        let ends_on = match m.ends_on.trim() {
            "" => None,
            d => parse_date(d).map_err(|e| err("ends_on", e)).ok(),
        };
        if full
            && let Some(start) = starts_on
            && start < today
        {
            err("starts_on", "The start date must be today or later".into());
        } else if let Some(start) = starts_on
            && let Err(e) = check_horizon(start, today, START_AHEAD_MONTHS)
        {
            err("starts_on", e);
        }
        if let Some(end) = ends_on
            && let Err(e) = check_horizon(end, today, END_AHEAD_MONTHS)
        {
            err("ends_on", e);
        }
        if let (Some(start), Some(end)) = (starts_on, ends_on)
            && end < start
        {
            err(
                "ends_on",
                "The end date must be on or after the start date".into(),
            );
        }
        let mut clock = |name: &str, value: &str| match value.trim() {
            "" => None,
            t => event::parse_clock(t).map_err(|e| err(name, e)).ok(),
        };
        let from_time = clock("from_time", &m.from_time);
        let until_time = clock("until_time", &m.until_time);
        if from_time.is_some() && from_time == until_time {
            err(
                "until_time",
                "The daily end time must differ from the start time".into(),
            );
        }
        match (
            m.from_time.trim().is_empty(),
            m.until_time.trim().is_empty(),
        ) {
            (false, true) if full => err(
                "until_time",
                "Enter the daily end time as well, since a start time is given".into(),
            ),
            (true, false) if full => err(
                "from_time",
                "Enter the daily start time as well, since an end time is given".into(),
            ),
            _ => {}
        }
        let description_min = if full && kind == Some(MeasureKind::Other) {
            1
        } else {
            0
        };
        if let Err(e) = check_text("description", &m.description, description_min, 2_000, true) {
            let message = if e.message == "Enter a description" {
                "Describe the measure: a measure of the kind \u{201c}Other\u{201d} needs a description"
                    .to_owned()
            } else {
                e.message
            };
            err("description", message);
        }
        valid_measures.push(ValidMeasure {
            kind,
            location,
            address: (location == Some(Location::Other) && !address.is_empty())
                .then(|| m.address.clone()),
            starts_on,
            ends_on,
            from_time,
            until_time,
            description: m.description.clone(),
        });
    }
    let event = event::check_event(&input.event, full, today, &mut errors);
    let protected_persons =
        event::check_persons(&input.protected_persons, event.as_ref(), full, &mut errors);
    let note_verbale = event::check_note_verbale(
        &input.note_verbale_number,
        &input.note_verbale_dated_on,
        full,
        today,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ValidRequest {
        title: input.title.clone(),
        justification: input.justification.clone(),
        urgency,
        contact_name: input.contact_name.clone(),
        contact_phone: input.contact_phone.clone(),
        contact_email: input.contact_email.trim().to_owned(),
        measures: valid_measures,
        event,
        protected_persons,
        note_verbale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn measure() -> MeasureInput {
        MeasureInput {
            kind: "static_guard".into(),
            location: "chancery".into(),
            address: String::new(),
            starts_on: "2026-12-01".into(),
            ends_on: "2026-12-31".into(),
            description: "Around the clock during the visit".into(),
            ..MeasureInput::default()
        }
    }

    #[test]
    fn filing_again_moves_every_date_a_year_and_keeps_the_rest() {
        let input = RequestInput {
            title: "Guard during the national day reception".into(),
            measures: vec![
                MeasureInput {
                    starts_on: "2026-05-17".into(),
                    ends_on: "2026-05-18".into(),
                    ..measure()
                },
                MeasureInput {
                    starts_on: "2028-02-29".into(),
                    ends_on: String::new(),
                    ..measure()
                },
            ],
            event: EventInput {
                name: "National day reception".into(),
                starts_at: "2026-05-17T18:00".into(),
                ends_at: "2026-05-17T22:00".into(),
                ..EventInput::default()
            },
            protected_persons: vec![PersonInput {
                name: "Ambassador".into(),
                arrives_at: "2026-05-17T17:45".into(),
                ..PersonInput::default()
            }],
            note_verbale_number: "12/2026".into(),
            note_verbale_dated_on: "2026-04-30".into(),
            ..RequestInput::default()
        };
        let again = filed_again(&input);
        assert_eq!(again.event.starts_at, "2027-05-17T18:00");
        assert_eq!(again.event.ends_at, "2027-05-17T22:00");
        assert_eq!(again.event.name, input.event.name);
        assert_eq!(again.protected_persons[0].arrives_at, "2027-05-17T17:45");
        assert_eq!(again.protected_persons[0].leaves_at, "");
        assert_eq!(
            (
                again.note_verbale_number.as_str(),
                again.note_verbale_dated_on.as_str()
            ),
            ("", ""),
            "the next note verbale has its own number"
        );
        assert_eq!(again.title, input.title);
        assert_eq!(again.measures[0].starts_on, "2027-05-17");
        assert_eq!(again.measures[0].ends_on, "2027-05-18");
        assert_eq!(again.measures[0].description, input.measures[0].description);
        assert_eq!(again.measures[1].starts_on, "2029-02-28");
        assert_eq!(again.measures[1].ends_on, "");
    }

    #[test]
    fn dates_stay_within_a_horizon() {
        let t = today();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(check_horizon(d("2028-11-23"), t, START_AHEAD_MONTHS).is_ok());
        assert!(check_horizon(d("2028-11-24"), t, START_AHEAD_MONTHS).is_err());
        assert!(check_horizon(d("2031-11-23"), t, END_AHEAD_MONTHS).is_ok());
        assert!(check_horizon(d("9999-12-31"), t, END_AHEAD_MONTHS).is_err());
        assert!(check_horizon(d("2025-11-23"), t, 0).is_ok());
        assert!(check_horizon(d("2025-11-22"), t, 0).is_err());
        let mut far = complete();
        far.measures[0].starts_on = "2029-01-01".into();
        far.measures[0].ends_on = String::new();
        let errors = validate(&far, Strictness::Draft, t).unwrap_err();
        assert_eq!(errors[0].field, "measures[0].starts_on");
    }

    fn complete() -> RequestInput {
        RequestInput {
            title: "Guard during the state visit".into(),
            justification: "Threats have been received against the delegation by e-mail.".into(),
            urgency: "urgent".into(),
            contact_name: "Guðrún Jónsdóttir".into(),
            contact_phone: "+47 22 00 00 00".into(),
            contact_email: "gudrun@iceland.example".into(),
            measures: vec![measure()],
            ..RequestInput::default()
        }
    }

    fn fields(r: Result<ValidRequest, Vec<FieldError>>) -> Vec<String> {
        r.err()
            .unwrap_or_default()
            .iter()
            .map(|e| e.field.to_string())
            .collect()
    }

    #[test]
    fn a_complete_request_passes_and_keeps_text_exactly() {
        let mut input = complete();
        input.title = "  Vakt ved residensen – 北京  ".into();
        let valid = validate(&input, Strictness::Submission, today()).unwrap();
        assert_eq!(valid.title, input.title);
        assert_eq!(valid.urgency, Urgency::Urgent);
        assert_eq!(valid.measures[0].kind, Some(MeasureKind::StaticGuard));
    }

    #[test]
    fn every_rule_names_its_field() {
        type Change = Box<dyn Fn(&mut RequestInput)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|r| r.title = "Shrt".into()), "title"),
            (Box::new(|r| r.title = "x".repeat(201)), "title"),
            (Box::new(|r| r.title = "Guard\u{0}please".into()), "title"),
            (
                Box::new(|r| r.justification = "Too short".into()),
                "justification",
            ),
            (
                Box::new(|r| r.justification = "x".repeat(10_001)),
                "justification",
            ),
            (Box::new(|r| r.urgency = "asap".into()), "urgency"),
            (Box::new(|r| r.contact_name = String::new()), "contact.name"),
            (
                Box::new(|r| r.contact_phone = "22 00 00 00".into()),
                "contact.phone",
            ),
            (
                Box::new(|r| r.contact_phone = "+47 22-00".into()),
                "contact.phone",
            ),
            (
                Box::new(|r| r.contact_email = "gudrun".into()),
                "contact.email",
            ),
            (Box::new(|r| r.measures.clear()), "measures"),
            (Box::new(|r| r.measures = vec![measure(); 21]), "measures"),
            (
                Box::new(|r| r.measures[0].kind = "tanks".into()),
                "measures[0].kind",
            ),
            (
                Box::new(|r| r.measures[0].kind = String::new()),
                "measures[0].kind",
            ),
            (
                Box::new(|r| r.measures[0].location = "garden".into()),
                "measures[0].location",
            ),
            (
                Box::new(|r| r.measures[0].location = "other".into()),
                "measures[0].address",
            ),
            (
                Box::new(|r| r.measures[0].starts_on = "1/12/2026".into()),
                "measures[0].starts_on",
            ),
            (
                Box::new(|r| r.measures[0].starts_on = "2026-11-22".into()),
                "measures[0].starts_on",
            ),
            (
                Box::new(|r| r.measures[0].ends_on = "2026-11-30".into()),
                "measures[0].ends_on",
            ),
            (
                Box::new(|r| r.measures[0].description = "x".repeat(2_001)),
                "measures[0].description",
            ),
            (
                Box::new(|r| {
                    r.measures[0].kind = "other".into();
                    r.measures[0].description = String::new();
                }),
                "measures[0].description",
            ),
        ];
        for (change, field) in cases {
            let mut input = complete();
            change(&mut input);
            let got = fields(validate(&input, Strictness::Submission, today()));
            assert!(got.iter().any(|f| f == field), "{field}: {got:?}");
        }
    }

    #[test]
    fn drafts_may_be_incomplete_but_not_malformed() {
        let empty = RequestInput::default();
        let valid = validate(&empty, Strictness::Draft, today()).unwrap();
        assert!(valid.measures.is_empty());
        let mut input = RequestInput {
            title: "x".repeat(201),
            ..RequestInput::default()
        };
        assert_eq!(
            fields(validate(&input, Strictness::Draft, today())),
            ["title"]
        );
        input.title = "ok".into();
        input.measures = vec![MeasureInput {
            starts_on: "soon".into(),
            ..MeasureInput::default()
        }];
        assert_eq!(
            fields(validate(&input, Strictness::Draft, today())),
            ["measures[0].starts_on"]
        );
    }

    #[test]
    fn protection_is_needed_from_the_first_measure_or_the_event_whichever_is_earlier() {
        let mut input = complete();
        input.event = EventInput {
            name: "Reception".into(),
            venue: "Grand Hotel".into(),
            address: "Karl Johans gate 31".into(),
            starts_at: "2026-11-30T18:00".into(),
            ends_at: "2026-11-30T22:00".into(),
            ..EventInput::default()
        };
        let valid = validate(&input, Strictness::Submission, today()).unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(valid.needed_by(), Some(d("2026-11-30")));
        input.event.starts_at = "2026-12-05T18:00".into();
        input.event.ends_at = "2026-12-05T22:00".into();
        let valid = validate(&input, Strictness::Submission, today()).unwrap();
        assert_eq!(
            valid.needed_by(),
            Some(d("2026-12-01")),
            "the measure starts first"
        );
    }

    #[test]
    fn daily_hours_are_times_and_may_run_past_midnight() {
        let mut input = complete();
        input.measures[0].from_time = "17:00".into();
        input.measures[0].until_time = "22:30".into();
        assert!(validate(&input, Strictness::Submission, today()).is_ok());
        input.measures[0].until_time = "06:00".into();
        assert!(validate(&input, Strictness::Submission, today()).is_ok());
        input.measures[0].until_time = "17:00".into();
        assert_eq!(
            fields(validate(&input, Strictness::Submission, today())),
            ["measures[0].until_time"]
        );
        input.measures[0].until_time = "5 pm".into();
        assert_eq!(
            fields(validate(&input, Strictness::Submission, today())),
            ["measures[0].until_time"]
        );
    }

    #[test]
    fn every_kind_has_a_category() {
        use Category::*;
        let police = MeasureKind::ALL
            .iter()
            .filter(|k| k.category() == PoliceProtection)
            .count();
        let own = MeasureKind::ALL
            .iter()
            .filter(|k| k.category() == OwnMeasureNeedingClearance)
            .count();
        assert_eq!((police, own), (5, 3));
        for k in MeasureKind::ALL {
            assert_eq!(k.code().parse::<MeasureKind>(), Ok(k));
        }
    }

    proptest! {
        #[test]
        fn any_text_without_control_characters_round_trips(title in "[^\\p{Cc}]{5,200}") {
            let mut input = complete();
            input.title = title.clone();
            if title.trim().is_empty() { return Ok(()); }
            let valid = validate(&input, Strictness::Submission, today()).unwrap();
            prop_assert_eq!(valid.title, title);
        }
    }
}
