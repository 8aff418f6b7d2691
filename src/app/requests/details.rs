//! What a request is about besides its measures, as the application hands it out and takes it
//! in: the event and the people as views (read by everyone who sees the request), as typed input
//! again (for the edit form and the checks at submission), and stored with a checked request.

use chrono::{NaiveDate, NaiveDateTime};

use crate::app::AppError;
use crate::db::details::{Details, PersonRow, RequestEventRow};
use crate::db::requests::{MeasureRow, RequestRow};
use crate::db::{self, DbConnection};
use crate::domain::event::{EventInput, PersonInput, ValidEvent, ValidPerson, format_local};
use crate::domain::request::{Location, MeasureInput, MeasureKind};
use crate::domain::request::{RequestInput, ValidRequest};

/// The event a request is about, as it was checked when stored (times are wall-clock times in
/// Oslo). Everyone who sees the request sees it whole.
pub type EventView = ValidEvent;

/// A person to protect, as checked when stored.
pub type PersonView = ValidPerson;

pub(super) fn event_view(e: &RequestEventRow) -> EventView {
    EventView {
        name: e.name.clone(),
        venue: e.venue.clone(),
        address: e.address.clone(),
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        expected_attendance: e.expected_attendance,
    }
}

pub(super) fn person_view(p: &PersonRow) -> PersonView {
    PersonView {
        name: p.name.clone(),
        position: p.position.clone(),
        arrives_at: p.arrives_at,
        leaves_at: p.leaves_at,
    }
}

/// The event, the people and the note verbale as typed input again.
pub(super) fn details_input(
    event: Option<&EventView>,
    persons: &[PersonView],
    (number, dated_on): (Option<&str>, Option<NaiveDate>),
) -> RequestInput {
    let at = |t: Option<NaiveDateTime>| t.map(format_local).unwrap_or_default();
    RequestInput {
        event: event
            .map(|e| EventInput {
                name: e.name.clone(),
                venue: e.venue.clone(),
                address: e.address.clone(),
                starts_at: at(e.starts_at),
                ends_at: at(e.ends_at),
                expected_attendance: e
                    .expected_attendance
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            })
            .unwrap_or_default(),
        protected_persons: persons
            .iter()
            .map(|p| PersonInput {
                name: p.name.clone(),
                position: p.position.clone(),
                arrives_at: at(p.arrives_at),
                leaves_at: at(p.leaves_at),
            })
            .collect(),
        note_verbale_number: number.unwrap_or_default().to_owned(),
        note_verbale_dated_on: dated_on.map(|d| d.to_string()).unwrap_or_default(),
        ..RequestInput::default()
    }
}

/// Stores the event and the people of a checked request, replacing what was there.
pub(super) fn store_details(
    conn: &mut DbConnection,
    (request_id, fresh): (&str, bool),
    valid: &ValidRequest,
) -> Result<(), AppError> {
    let event = valid.event.as_ref().map(|e| RequestEventRow {
        request_id: request_id.to_owned(),
        name: e.name.clone(),
        venue: e.venue.clone(),
        address: e.address.clone(),
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        expected_attendance: e.expected_attendance,
    });
    let persons: Vec<PersonRow> = valid
        .protected_persons
        .iter()
        .enumerate()
        .map(|(i, p)| PersonRow {
            id: db::new_id(),
            request_id: request_id.to_owned(),
            ordinal: i as i32,
            name: p.name.clone(),
            position: p.position.clone(),
            arrives_at: p.arrives_at,
            leaves_at: p.leaves_at,
        })
        .collect();
    db::details::replace(conn, request_id, fresh, event.as_ref(), &persons)?;
    Ok(())
}

/// A stored measure as typed input again: what it is and where, from when until when, and its
/// description.
pub(super) fn measure_input(
    (kind, location, address): (Option<MeasureKind>, Option<Location>, Option<&str>),
    (starts_on, ends_on): (Option<NaiveDate>, Option<NaiveDate>),
    (from_time, until_time): (Option<&str>, Option<&str>),
    description: &str,
) -> MeasureInput {
    MeasureInput {
        from_time: from_time.unwrap_or_default().to_owned(),
        until_time: until_time.unwrap_or_default().to_owned(),
        kind: kind.map(|k| k.code().to_owned()).unwrap_or_default(),
        location: location.map(|l| l.code().to_owned()).unwrap_or_default(),
        address: address.unwrap_or_default().to_owned(),
        starts_on: starts_on.map(|d| d.to_string()).unwrap_or_default(),
        ends_on: ends_on.map(|d| d.to_string()).unwrap_or_default(),
        description: description.to_owned(),
    }
}

/// The stored content of a request as input again (for the check at submission).
pub(super) fn stored_input(
    row: &RequestRow,
    measures: &[MeasureRow],
    details: &Details,
) -> RequestInput {
    RequestInput {
        title: row.title.clone(),
        justification: row.justification.clone(),
        urgency: row.urgency.code().to_owned(),
        contact_name: row.contact_name.clone(),
        contact_phone: row.contact_phone.clone(),
        contact_email: row.contact_email.clone(),
        measures: measures
            .iter()
            .map(|m| {
                measure_input(
                    (m.kind, m.location, m.address.as_deref()),
                    (m.starts_on, m.ends_on),
                    (m.from_time.as_deref(), m.until_time.as_deref()),
                    &m.description,
                )
            })
            .collect(),
        ..details_input(
            details.event.as_ref().map(event_view).as_ref(),
            &details.persons.iter().map(person_view).collect::<Vec<_>>(),
            (
                row.note_verbale_number.as_deref(),
                row.note_verbale_dated_on,
            ),
        )
    }
}
