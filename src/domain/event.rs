//! What a request is about besides its measures (product.md § 4): the event, the people to protect and
//! the note verbale that accompanies it, as typed and as checked. Times are wall-clock times in
//! Oslo, written `YYYY-MM-DDTHH:MM` (a date and a 24-hour time); a daily time is `HH:MM`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::FieldError;
use super::text::check_text;

/// At most this many people to protect in one request.
pub const MAX_PERSONS: usize = 20;
/// The largest expected attendance.
pub const ATTENDANCE_MAX: i32 = 1_000_000;

/// The event as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventInput {
    pub name: String,
    pub venue: String,
    pub address: String,
    pub starts_at: String,
    pub ends_at: String,
    pub expected_attendance: String,
}

impl EventInput {
    /// Whether nothing of the event was typed (the request is about no event).
    pub fn is_blank(&self) -> bool {
        [
            &self.name,
            &self.venue,
            &self.address,
            &self.starts_at,
            &self.ends_at,
            &self.expected_attendance,
        ]
        .iter()
        .all(|v| v.trim().is_empty() || v.trim() == "T")
    }
}

/// A person to protect, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonInput {
    pub name: String,
    pub position: String,
    pub arrives_at: String,
    pub leaves_at: String,
}

impl PersonInput {
    pub fn is_blank(&self) -> bool {
        [
            &self.name,
            &self.position,
            &self.arrives_at,
            &self.leaves_at,
        ]
        .iter()
        .all(|v| v.trim().is_empty() || v.trim() == "T")
    }
}

/// The event, checked; a draft may leave parts open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidEvent {
    pub name: String,
    pub venue: String,
    pub address: String,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    pub expected_attendance: Option<i32>,
}

/// A person to protect, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPerson {
    pub name: String,
    pub position: String,
    pub arrives_at: Option<NaiveDateTime>,
    pub leaves_at: Option<NaiveDateTime>,
}

/// The note verbale, checked: the mission's number and the date it bears.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidNoteVerbale {
    pub number: Option<String>,
    pub dated_on: Option<NaiveDate>,
}

/// A person's field name, as forms and the API name it.
pub fn person_field(index: usize, field: &str) -> String {
    format!("protected_persons[{index}].{field}")
}

/// A wall-clock time in Oslo as forms and the API write it.
pub fn format_local(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M").to_string()
}

/// A daily time as forms and the API write it.
pub fn format_clock(at: NaiveTime) -> String {
    at.format("%H:%M").to_string()
}

/// `HH:MM`, 24-hour.
pub fn parse_clock(value: &str) -> Result<NaiveTime, String> {
    let value = value.trim();
    let well_formed = value.len() == 5
        && value.as_bytes()[2] == b':'
        && value
            .bytes()
            .enumerate()
            .all(|(i, b)| i == 2 || b.is_ascii_digit());
    well_formed
        .then(|| NaiveTime::parse_from_str(value, "%H:%M").ok())
        .flatten()
        .ok_or_else(|| "must be a time written HH:MM on the 24-hour clock, like 18:15".to_owned())
}

/// A date and a time, `YYYY-MM-DDTHH:MM` (a space instead of the `T` is read too). `None` when
/// nothing was typed; a date without a time, or a time without a date, is pointed out.
pub fn parse_local(value: &str) -> Result<Option<NaiveDateTime>, String> {
    let value = value.trim();
    let (date, time) = value
        .split_once(['T', ' '])
        .map(|(d, t)| (d.trim(), t.trim()))
        .unwrap_or((value, ""));
    match (date.is_empty(), time.is_empty()) {
        (true, true) => Ok(None),
        (false, true) => Err("Enter the time as well as the date, like 18:15".to_owned()),
        (true, false) => Err("Enter the date as well as the time".to_owned()),
        (false, false) => {
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| "must be a date written YYYY-MM-DD".to_owned())?;
            Ok(Some(date.and_time(parse_clock(time)?)))
        }
    }
}

/// Checks the event. At submission an event that was begun needs its name, venue, start and
/// end; it must end after it starts, and start no earlier than `today`.
pub(super) fn check_event(
    input: &EventInput,
    full: bool,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) -> Option<ValidEvent> {
    if input.is_blank() {
        return None;
    }
    let min = |n: usize| if full { n } else { 0 };
    for (field, value, lo, hi) in [
        ("event.name", &input.name, min(1), 200),
        ("event.venue", &input.venue, min(1), 200),
        ("event.address", &input.address, min(1), 500),
    ] {
        if let Err(e) = check_text(field, value, lo, hi, false) {
            errors.push(e);
        }
    }
    let mut at = |field: &'static str, value: &str| match parse_local(value) {
        Ok(None) if full => {
            errors.push(FieldError::new(field, "is required"));
            None
        }
        Ok(found) => found,
        Err(e) => {
            errors.push(FieldError::new(field, e));
            None
        }
    };
    let starts_at = at("event.starts_at", &input.starts_at);
    let ends_at = at("event.ends_at", &input.ends_at);
    if let Some(start) = starts_at {
        if full && start.date() < today {
            errors.push(FieldError::new(
                "event.starts_at",
                "The event must start today or later",
            ));
        } else if let Err(e) =
            super::time::check_horizon(start.date(), today, super::time::START_AHEAD_MONTHS)
        {
            errors.push(FieldError::new("event.starts_at", e));
        }
    }
    if let (Some(start), Some(end)) = (starts_at, ends_at)
        && end <= start
    {
        errors.push(FieldError::new(
            "event.ends_at",
            "The event must end after it starts",
        ));
    }
    let expected_attendance = match input.expected_attendance.trim() {
        "" => None,
        n => match n.parse::<i32>() {
            Ok(n) if (1..=ATTENDANCE_MAX).contains(&n) => Some(n),
            _ => {
                errors.push(FieldError::new(
                    "event.expected_attendance",
                    "Enter the expected attendance as a whole number from 1 to 1,000,000",
                ));
                None
            }
        },
    };
    Some(ValidEvent {
        name: input.name.clone(),
        venue: input.venue.clone(),
        address: input.address.clone(),
        starts_at,
        ends_at,
        expected_attendance,
    })
}

/// Checks the people to protect: a name and a position each (at submission); arrival before
/// departure; and, when the request is about an event, both on the event's days.
pub(super) fn check_persons(
    persons: &[PersonInput],
    event: Option<&ValidEvent>,
    full: bool,
    errors: &mut Vec<FieldError>,
) -> Vec<ValidPerson> {
    // Each keeps its place in the list as typed, so that a message stands beside its own row.
    let persons: Vec<(usize, &PersonInput)> = persons
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.is_blank())
        .collect();
    if persons.len() > MAX_PERSONS {
        errors.push(FieldError::new(
            "protected_persons",
            format!("List at most {MAX_PERSONS} people to protect"),
        ));
    }
    let event_days = event.and_then(|e| Some((e.starts_at?.date(), e.ends_at?.date())));
    let min = |n: usize| if full { n } else { 0 };
    let mut valid = Vec::new();
    for &(i, p) in &persons {
        let field = |name: &str| person_field(i, name);
        for (name, value) in [("name", &p.name), ("position", &p.position)] {
            if let Err(e) = check_text(name, value, min(1), 200, false) {
                errors.push(FieldError::new(field(name), e.message));
            }
        }
        let mut at = |name: &str, value: &str| {
            parse_local(value)
                .map_err(|e| errors.push(FieldError::new(field(name), e)))
                .ok()
                .flatten()
        };
        let arrives_at = at("arrives_at", &p.arrives_at);
        let leaves_at = at("leaves_at", &p.leaves_at);
        if let (Some(a), Some(l)) = (arrives_at, leaves_at)
            && l <= a
        {
            errors.push(FieldError::new(
                field("leaves_at"),
                "The departure must be after the arrival",
            ));
        }
        if let Some((first, last)) = event_days {
            for (name, time, what) in [
                ("arrives_at", arrives_at, "arrival"),
                ("leaves_at", leaves_at, "departure"),
            ] {
                if let Some(t) = time
                    && !(first..=last).contains(&t.date())
                {
                    errors.push(FieldError::new(
                        field(name),
                        format!("The {what} must be on the days of the event, {first} to {last}"),
                    ));
                }
            }
        }
        valid.push(ValidPerson {
            name: p.name.clone(),
            position: p.position.clone(),
            arrives_at,
            leaves_at,
        });
    }
    valid
}

/// Checks the note verbale: a number of at most 50 characters and a date, both or neither, the
/// date not after `today` at submission.
pub(super) fn check_note_verbale(
    number: &str,
    dated_on: &str,
    full: bool,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) -> ValidNoteVerbale {
    if let Err(e) = check_text("note_verbale.number", number, 0, 50, false) {
        errors.push(e);
    }
    let dated_on = match dated_on.trim() {
        "" => None,
        d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| {
                errors.push(FieldError::new(
                    "note_verbale.dated_on",
                    "must be a date written YYYY-MM-DD",
                ))
            })
            .ok(),
    };
    let number = (!number.trim().is_empty()).then(|| number.to_owned());
    if full {
        match (&number, dated_on) {
            (Some(_), None) => errors.push(FieldError::new(
                "note_verbale.dated_on",
                "Enter the date of the note verbale, since its number is given",
            )),
            (None, Some(_)) => errors.push(FieldError::new(
                "note_verbale.number",
                "Enter the number of the note verbale, since its date is given",
            )),
            _ => {}
        }
        if let Some(d) = dated_on
            && d > today
        {
            errors.push(FieldError::new(
                "note_verbale.dated_on",
                "The note verbale's date must be today or earlier",
            ));
        }
    }
    if let Some(d) = dated_on
        && !(full && d > today)
        && let Err(e) = super::time::check_horizon(d, today, super::time::START_AHEAD_MONTHS)
    {
        errors.push(FieldError::new("note_verbale.dated_on", e));
    }
    ValidNoteVerbale { number, dated_on }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn event() -> EventInput {
        EventInput {
            name: "National Day reception".into(),
            venue: "Grand Hotel".into(),
            address: "Karl Johans gate 31, Oslo".into(),
            starts_at: "2026-12-01T18:00".into(),
            ends_at: "2026-12-01T22:30".into(),
            expected_attendance: "300".into(),
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_ref()).collect()
    }

    #[test]
    fn times_are_read_as_a_date_and_a_24_hour_time() {
        let at = |s| parse_local(s);
        assert_eq!(
            at("2026-12-01T18:15").unwrap().map(format_local).as_deref(),
            Some("2026-12-01T18:15")
        );
        assert_eq!(
            at("2026-12-01 18:15").unwrap(),
            at("2026-12-01T18:15").unwrap()
        );
        assert_eq!(at("").unwrap(), None);
        assert_eq!(at("T").unwrap(), None);
        assert!(at("2026-12-01T").unwrap_err().contains("time as well"));
        assert!(at("T18:15").unwrap_err().contains("date as well"));
        for bad in [
            "2026-12-01T24:00",
            "2026-12-01T6:15",
            "2026-12-01T18.15",
            "01.12.2026T18:15",
        ] {
            assert!(at(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_clock("07:05").map(format_clock).as_deref(),
            Ok("07:05")
        );
        assert!(parse_clock("7:05").is_err());
    }

    #[test]
    fn an_event_must_end_after_it_starts_and_be_complete_at_submission() {
        let mut errors = Vec::new();
        let valid = check_event(&event(), true, today(), &mut errors).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(valid.expected_attendance, Some(300));

        let ends_first = EventInput {
            ends_at: "2026-12-01T18:00".into(),
            ..event()
        };
        check_event(&ends_first, true, today(), &mut errors);
        assert_eq!(fields(&errors), ["event.ends_at"]);

        errors.clear();
        let begun = EventInput {
            name: "Reception".into(),
            ..EventInput::default()
        };
        assert!(check_event(&begun, false, today(), &mut errors).is_some());
        assert!(errors.is_empty(), "a draft may hold part of an event");
        check_event(&begun, true, today(), &mut errors);
        assert_eq!(
            fields(&errors),
            [
                "event.venue",
                "event.address",
                "event.starts_at",
                "event.ends_at"
            ]
        );

        errors.clear();
        assert!(check_event(&EventInput::default(), true, today(), &mut errors).is_none());
        assert!(errors.is_empty(), "no event is not an error");

        for (attendance, ok) in [
            ("1", true),
            ("1000000", true),
            ("0", false),
            ("1000001", false),
            ("many", false),
        ] {
            errors.clear();
            let e = EventInput {
                expected_attendance: attendance.into(),
                ..event()
            };
            check_event(&e, true, today(), &mut errors);
            assert_eq!(errors.is_empty(), ok, "{attendance}");
        }
        errors.clear();
        let past = EventInput {
            starts_at: "2026-11-22T18:00".into(),
            ..event()
        };
        check_event(&past, true, today(), &mut errors);
        assert_eq!(fields(&errors), ["event.starts_at"]);
    }

    #[test]
    fn people_arrive_before_they_leave_on_the_days_of_the_event() {
        let mut errors = Vec::new();
        let e = check_event(&event(), true, today(), &mut errors).unwrap();
        let person = |arrives: &str, leaves: &str| PersonInput {
            name: "Þórdís Kolbrún Reykfjörð Gylfadóttir".into(),
            position: "Minister for Foreign Affairs of Iceland".into(),
            arrives_at: arrives.into(),
            leaves_at: leaves.into(),
        };
        let ok = check_persons(
            &[
                person("2026-12-01T18:15", "2026-12-01T21:00"),
                person("", ""),
            ],
            Some(&e),
            true,
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(ok.len(), 2);

        check_persons(
            &[person("2026-12-01T21:00", "2026-12-01T18:15")],
            Some(&e),
            true,
            &mut errors,
        );
        assert_eq!(fields(&errors), ["protected_persons[0].leaves_at"]);

        errors.clear();
        check_persons(
            &[person("2026-11-30T12:00", "2026-12-02T09:00")],
            Some(&e),
            true,
            &mut errors,
        );
        assert_eq!(
            fields(&errors),
            [
                "protected_persons[0].arrives_at",
                "protected_persons[0].leaves_at"
            ]
        );
        // Without an event, any days do.
        errors.clear();
        check_persons(
            &[person("2026-11-30T12:00", "2026-12-02T09:00")],
            None,
            true,
            &mut errors,
        );
        assert!(errors.is_empty());

        let many = vec![person("", ""); MAX_PERSONS + 1];
        check_persons(&many, None, true, &mut errors);
        assert_eq!(fields(&errors), ["protected_persons"]);

        errors.clear();
        let unnamed = PersonInput {
            arrives_at: "2026-12-01T18:15".into(),
            ..PersonInput::default()
        };
        check_persons(std::slice::from_ref(&unnamed), None, false, &mut errors);
        assert!(errors.is_empty(), "a draft may hold part of a person");
        check_persons(&[unnamed], None, true, &mut errors);
        assert_eq!(
            fields(&errors),
            ["protected_persons[0].name", "protected_persons[0].position"]
        );
    }

    #[test]
    fn a_note_verbale_has_a_number_and_a_date_or_neither() {
        let check = |number: &str, dated: &str| {
            let mut errors = Vec::new();
            let v = check_note_verbale(number, dated, true, today(), &mut errors);
            (v, errors)
        };
        let (v, errors) = check("12/2026", "2026-11-20");
        assert!(errors.is_empty());
        assert_eq!(v.number.as_deref(), Some("12/2026"));
        assert_eq!(fields(&check("12/2026", "").1), ["note_verbale.dated_on"]);
        assert_eq!(fields(&check("", "2026-11-20").1), ["note_verbale.number"]);
        assert_eq!(
            fields(&check("12/2026", "2026-11-24").1),
            ["note_verbale.dated_on"]
        );
        let (v, errors) = check("", "");
        assert!(errors.is_empty());
        assert_eq!(v, ValidNoteVerbale::default());
    }
}
