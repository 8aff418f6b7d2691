//! The parts of the request form and pages about what a request is about besides its measures:
//! the event, the people to protect, the note verbale, and a measure's daily hours. A date and
//! time is asked as a date field and a time field (`name.date`, `name.time`), put together as
//! `YYYY-MM-DDTHH:MM` for the rules in `domain::event`.

use std::collections::HashMap;

use maud::{Markup, html};

use super::requests::{error_for, field, text_input};
use crate::app::requests::{MeasureView, RequestView};
use crate::domain::FieldError;
use crate::domain::event::{EventInput, MAX_PERSONS, PersonInput, person_field};
use crate::domain::request::RequestInput;
use crate::i18n::{self, tr};

fn get(f: &HashMap<String, String>, key: &str) -> String {
    f.get(key).cloned().unwrap_or_default()
}

/// A date and a time from their two fields, as one `YYYY-MM-DDTHH:MM` (empty when both are).
fn date_time(f: &HashMap<String, String>, name: &str) -> String {
    let date = get(f, &format!("{name}.date"));
    let time = get(f, &format!("{name}.time"));
    if date.trim().is_empty() && time.trim().is_empty() {
        String::new()
    } else {
        format!("{}T{}", date.trim(), time.trim())
    }
}

/// The form fields a request form may carry besides the measures' own: each name as the form
/// writes it.
pub fn is_form_field(name: &str) -> bool {
    const PAIRS: [&str; 2] = [".date", ".time"];
    let base = PAIRS
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name);
    let paired = base != name;
    match base {
        "event.starts_at" | "event.ends_at" => paired,
        "event.name"
        | "event.venue"
        | "event.address"
        | "event.expected_attendance"
        | "note_verbale.number"
        | "note_verbale.dated_on"
        | "person_count" => !paired,
        _ => base
            .strip_prefix("protected_persons[")
            .and_then(|rest| rest.split_once("]."))
            .is_some_and(|(i, field)| {
                i.parse::<usize>().is_ok_and(|i| i <= MAX_PERSONS)
                    && match field {
                        "name" | "position" => !paired,
                        "arrives_at" | "leaves_at" => paired,
                        _ => false,
                    }
            }),
    }
}

/// Reads the event, the people and the note verbale from the form into `input`.
pub fn read_form(f: &HashMap<String, String>, input: &mut RequestInput) {
    input.event = EventInput {
        name: get(f, "event.name"),
        venue: get(f, "event.venue"),
        address: get(f, "event.address"),
        starts_at: date_time(f, "event.starts_at"),
        ends_at: date_time(f, "event.ends_at"),
        expected_attendance: get(f, "event.expected_attendance"),
    };
    let count: usize = get(f, "person_count")
        .parse()
        .unwrap_or(0)
        .min(MAX_PERSONS + 1);
    input.protected_persons = (0..count)
        .map(|i| PersonInput {
            name: get(f, &person_field(i, "name")),
            position: get(f, &person_field(i, "position")),
            arrives_at: date_time(f, &person_field(i, "arrives_at")),
            leaves_at: date_time(f, &person_field(i, "leaves_at")),
        })
        .collect();
    input.note_verbale_number = get(f, "note_verbale.number");
    input.note_verbale_dated_on = get(f, "note_verbale.dated_on");
}

/// A date field and a time field under one legend; an error on `name` is shown once, beside
/// both, and the summary's link leads to the date.
fn date_time_fields(errors: &[FieldError], name: &str, legend: &str, value: &str) -> Markup {
    let (date, time) = value.split_once('T').unwrap_or((value, ""));
    let error = error_for(errors, name);
    let invalid = error.is_some().then_some("true");
    let described = error.map(|_| format!("{name}-error"));
    let time_id = format!("{name}.time");
    html! {
        fieldset class="date-time" {
            legend { (legend) }
            @if let Some(e) = error {
                p class="field-error" id={ (name) "-error" } { (tr("Error: ")) (i18n::tr_text(&e.message)) }
            }
            div class="field inline" {
                label for=(name) { (tr("Date")) }
                input type="date" id=(name) name={ (name) ".date" } value=(date) aria-describedby=[described.clone()] aria-invalid=[invalid];
            }
            div class="field inline" {
                label for=(time_id) { (tr("Time")) }
                input type="text" class="time" inputmode="numeric" autocomplete="off" id=(time_id) name=(time_id) value=(time) placeholder="18:15" aria-describedby=[described] aria-invalid=[invalid];
            }
        }
    }
}

/// Where the form opens after a person was added or removed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PersonFocus {
    /// The name of the person just added.
    Person(usize),
    /// The list, after one was removed.
    List,
}

/// The event, the people to protect and the note verbale, as form fields.
pub fn form_fields(
    errors: &[FieldError],
    input: &RequestInput,
    focus: Option<PersonFocus>,
) -> Markup {
    let e = &input.event;
    let persons = &input.protected_persons;
    html! {
        h2 id="event-heading" { (tr("The event")) }
        p class="hint" { (tr("If the request is about an event (a reception, a visit, a demonstration), describe it. Leave these fields empty otherwise.")) }
        fieldset class="event" {
            legend class="visually-hidden" { (tr("The event")) }
            (text_input(errors, "event.name", tr("Name of the event"), &e.name, "text", Some(tr("For example \u{201c}National day reception\u{201d}."))))
            (text_input(errors, "event.venue", tr("Venue"), &e.venue, "text", Some(tr("For example \u{201c}Grand Hotel\u{201d}."))))
            (text_input(errors, "event.address", tr("Address of the venue"), &e.address, "text", None))
            (date_time_fields(errors, "event.starts_at", tr("Starts (Oslo time)"), &e.starts_at))
            (date_time_fields(errors, "event.ends_at", tr("Ends (Oslo time)"), &e.ends_at))
            (text_input(errors, "event.expected_attendance", tr("Expected attendance (optional)"), &e.expected_attendance, "text", Some(tr("The number of guests, as a whole number."))))
        }
        h2 id="persons-heading" tabindex="-1" autofocus[focus == Some(PersonFocus::List)] { (tr("People to protect")) }
        p class="hint" { (tr("Ministers, heads of mission or other guests the measures are for, at most 20. Their names are read only by those handling the request, never sent by e-mail.")) }
        @if let Some(err) = error_for(errors, "protected_persons") { p class="field-error" id="protected_persons" { (tr("Error: ")) (i18n::tr_text(&err.message)) } }
        input type="hidden" name="person_count" value=(persons.len());
        @for (i, p) in persons.iter().enumerate() {
            fieldset class="person" id={ "person-" (i + 1) } {
                legend { (tr("Person ")) (i + 1) }
                @let name_id = person_field(i, "name");
                @let invalid = error_for(errors, &name_id).is_some();
                (field(errors, &name_id, tr("Name"), None, |d| html! {
                    input type="text" id=(name_id) name=(name_id) value=(p.name) aria-describedby=[d] aria-invalid=[invalid.then_some("true")] autofocus[focus == Some(PersonFocus::Person(i))];
                }))
                (text_input(errors, &person_field(i, "position"), tr("Position"), &p.position, "text", Some(tr("For example \u{201c}Minister for Foreign Affairs\u{201d}."))))
                (date_time_fields(errors, &person_field(i, "arrives_at"), tr("Arrives (optional, Oslo time)"), &p.arrives_at))
                (date_time_fields(errors, &person_field(i, "leaves_at"), tr("Leaves (optional, Oslo time)"), &p.leaves_at))
                button type="submit" name="op" value={ "remove_person:" (i) } class="secondary" { (tr("Remove person ")) (i + 1) }
            }
        }
        @if persons.len() < MAX_PERSONS {
            p { button type="submit" name="op" value="add_person" class="secondary" { (tr("Add a person to protect")) } }
        }
        h2 { (tr("Note verbale")) }
        fieldset {
            legend class="visually-hidden" { (tr("Note verbale")) }
            p class="hint" { (tr("If a note verbale accompanies the request, give its number and date, so that both archives can refer to it.")) }
            (text_input(errors, "note_verbale.number", tr("Number (optional)"), &input.note_verbale_number, "text", None))
            (text_input(errors, "note_verbale.dated_on", tr("Dated (optional)"), &input.note_verbale_dated_on, "date", None))
        }
    }
}

/// Applies "add a person" and "remove person n"; `None` when the button was another.
pub fn rearrange(op: &str, input: &mut RequestInput) -> Option<PersonFocus> {
    if op == "add_person" {
        if input.protected_persons.len() < MAX_PERSONS {
            input.protected_persons.push(PersonInput::default());
        }
        return Some(PersonFocus::Person(input.protected_persons.len() - 1));
    }
    let i = op.strip_prefix("remove_person:")?.parse::<usize>().ok()?;
    if i < input.protected_persons.len() {
        input.protected_persons.remove(i);
    }
    Some(PersonFocus::List)
}

/// A measure's daily hours as form fields.
pub fn hours_fields(errors: &[FieldError], i: usize, from: &str, until: &str) -> Markup {
    let name = |f: &str| crate::domain::request::measure_field(i, f);
    html! {
        div class="hours" {
            (text_input(errors, &name("from_time"), tr("Daily from (optional)"), from, "text", Some(tr("HH:MM on the 24-hour clock, for example 17:00."))))
            (text_input(errors, &name("until_time"), tr("Daily until (optional)"), until, "text", Some(tr("For example 22:30. A time before the start means the next morning."))))
        }
    }
}

/// A measure's daily hours as read: "17:00–22:30".
pub fn hours(m: &MeasureView) -> Option<String> {
    match (m.from_time.as_deref(), m.until_time.as_deref()) {
        (None, None) => None,
        (from, until) => Some(format!(
            "{}\u{2013}{}",
            from.unwrap_or(""),
            until.unwrap_or("")
        )),
    }
}

fn local(at: Option<chrono::NaiveDateTime>) -> String {
    at.map(i18n::date_time)
        .unwrap_or_else(|| "\u{2013}".to_owned())
}

/// The event, the people and the note verbale as a summary (the top of the request page and the
/// check-your-answers page); nothing when the request has none of them.
pub fn summary(view: &RequestView, change: Option<&str>) -> Markup {
    let change_link = |anchor: &str, what: &str| -> Markup {
        html! {
            @if let Some(edit) = change {
                dd class="change" { a href={ (edit) "#" (anchor) } { (tr("Change")) span class="visually-hidden" { " " (what) } } }
            }
        }
    };
    html! {
        @if let Some(e) = &view.event {
            section class="event-summary" aria-labelledby="event-summary-heading" {
                h2 id="event-summary-heading" { (tr("The event")) }
                dl class="summary-list" {
                    div { dt { (tr("Name")) } dd { (e.name) } (change_link("event.name", tr("The event"))) }
                    div { dt { (tr("Venue")) } dd { (e.venue) @if !e.address.is_empty() { br; (e.address) } } (change_link("event.venue", tr("Venue"))) }
                    div { dt { (tr("Starts")) } dd { (local(e.starts_at)) } (change_link("event.starts_at", tr("Starts"))) }
                    div { dt { (tr("Ends")) } dd { (local(e.ends_at)) } (change_link("event.ends_at", tr("Ends"))) }
                    @if let Some(n) = e.expected_attendance {
                        div { dt { (tr("Expected attendance")) } dd { (n) } (change_link("event.expected_attendance", tr("Expected attendance"))) }
                    }
                }
            }
        }
        @if !view.protected_persons.is_empty() {
            table class="stacking persons" {
                caption { (tr("People to protect")) }
                thead { tr { th scope="col" { (tr("Name")) } th scope="col" { (tr("Position")) } th scope="col" { (tr("Arrives")) } th scope="col" { (tr("Leaves")) } } }
                tbody {
                    @for p in &view.protected_persons {
                        tr {
                            td data-label=(tr("Name")) { (p.name) }
                            td data-label=(tr("Position")) { (p.position) }
                            td data-label=(tr("Arrives")) { (local(p.arrives_at)) }
                            td data-label=(tr("Leaves")) { (local(p.leaves_at)) }
                        }
                    }
                }
            }
            @if let Some(edit) = change { p { a href={ (edit) "#persons-heading" } { (tr("Change the people to protect")) } } }
        }
        @if let Some((number, dated)) = &view.note_verbale {
            dl class="summary-list" {
                div {
                    dt { (tr("Note verbale")) }
                    dd { (number) @if let Some(d) = dated { ", " (tr("dated ")) (i18n::date(*d)) } }
                    (change_link("note_verbale.number", tr("Note verbale")))
                }
            }
        }
    }
}

/// How the error summary names a field of these parts; `None` for another field.
pub fn label_for(field: &str) -> Option<String> {
    if let Some(rest) = field.strip_prefix("protected_persons[") {
        let (n, name) = rest.split_once("].")?;
        let n: usize = n.parse().ok()?;
        return Some(format!("Person {}, {}:", n + 1, name.replace('_', " ")));
    }
    Some(
        match field {
            "event.name" => "Name of the event:",
            "event.venue" => "Venue:",
            "event.address" => "Address of the venue:",
            "event.starts_at" => "Event starts:",
            "event.ends_at" => "Event ends:",
            "event.expected_attendance" => "Expected attendance:",
            "protected_persons" => "People to protect:",
            "note_verbale.number" => "Note verbale number:",
            "note_verbale.dated_on" => "Note verbale date:",
            _ => return None,
        }
        .to_owned(),
    )
}
