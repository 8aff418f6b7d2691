//! What the police decide on each measure and confirm in place: the payloads of `decide` and
//! `confirm_implementation` checked against the request's measures, every problem named at once.

use chrono::NaiveDate;

use super::is_approved;
use super::payload::{ImplementedInput, OutcomeInput};
use crate::db::requests::MeasureRow;
use crate::domain::FieldError;
use crate::domain::ids::MeasureId;
use crate::domain::request::Outcome;
use crate::domain::text::check_text;

/// The one entry of `given` for a measure, or the message for a missing or repeated one.
fn entry_for<'g, G>(
    given: &'g [G],
    measure_id: &MeasureId,
    id_of: impl Fn(&G) -> &str,
    missing: &str,
) -> Result<&'g G, String> {
    let mut found = given.iter().filter(|g| measure_id == id_of(g));
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err(missing.to_owned()),
        (Some(_), Some(_)) => Err("was given more than once".to_owned()),
    }
}

/// Whether `given` names a measure outside `measures`.
fn names_other<G>(given: &[G], measures: &[&MeasureRow], id_of: impl Fn(&G) -> &str) -> bool {
    given
        .iter()
        .any(|g| !measures.iter().any(|m| m.id == *id_of(g)))
}

/// The police's decision on one measure: its outcome, its conditions (approved with
/// conditions) and its reason (declined).
pub(super) type Decided = (MeasureId, Outcome, Option<String>, Option<String>);

/// Text given for a field of one decision: trimmed, `None` when empty, checked as free text.
fn decision_text(
    value: Option<&str>,
    field: String,
    name: &'static str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let text = value.map(str::trim).filter(|c| !c.is_empty())?;
    if let Err(e) = check_text(name, text, 1, 2_000, true) {
        errors.push(FieldError::new(field, e.message));
    }
    Some(text.to_owned())
}

pub(super) fn outcomes(
    given: &[OutcomeInput],
    measures: &[MeasureRow],
) -> Result<Vec<Decided>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut decided = Vec::new();
    let all: Vec<&MeasureRow> = measures.iter().collect();
    for (i, m) in all.iter().enumerate() {
        let field = |name: &str| format!("outcomes[{i}].{name}");
        let one = match entry_for(
            given,
            &m.id,
            |o| &o.measure_id,
            "Choose a decision for every measure",
        ) {
            Ok(one) => one,
            Err(message) => {
                errors.push(FieldError::new(field("outcome"), message));
                continue;
            }
        };
        match one.outcome.parse::<Outcome>() {
            Ok(outcome) => {
                let conditions = decision_text(
                    one.conditions.as_deref(),
                    field("conditions"),
                    "conditions",
                    &mut errors,
                );
                let mut reason = decision_text(
                    one.reason.as_deref(),
                    field("reason"),
                    "decline_reason",
                    &mut errors,
                );
                // Before declines had a reason of their own, it was given as `conditions`: a
                // client still doing so is understood (deprecated in the API document).
                let conditions = match (outcome, conditions, reason.is_none()) {
                    (Outcome::Declined, Some(text), true) => {
                        reason = Some(text);
                        None
                    }
                    (_, conditions, _) => conditions,
                };
                // Conditions belong to an approval with conditions, a reason to a decline:
                // what would be ignored is refused.
                match outcome {
                    Outcome::ApprovedWithConditions if conditions.is_none() => {
                        errors.push(FieldError::new(
                            field("conditions"),
                            "Enter the conditions, since the decision is approved with conditions",
                        ))
                    }
                    Outcome::Approved | Outcome::Declined if conditions.is_some() => {
                        errors.push(FieldError::new(
                            field("conditions"),
                            "Conditions apply only to a measure approved with conditions",
                        ))
                    }
                    _ => {}
                }
                if outcome != Outcome::Declined && reason.is_some() {
                    errors.push(FieldError::new(
                        field("reason"),
                        "A reason for declining applies only to a declined measure",
                    ));
                }
                decided.push((m.id.clone(), outcome, conditions, reason));
            }
            Err(e) => errors.push(FieldError::new(field("outcome"), e)),
        }
    }
    if names_other(given, &all, |o| &o.measure_id) {
        errors.push(FieldError::new(
            "outcomes",
            "names a measure that is not part of this request",
        ));
    }
    if errors.is_empty() {
        Ok(decided)
    } else {
        Err(errors)
    }
}

/// The day PST's assessment is due, as the police give it when referring: empty for the rule's
/// date, otherwise a date from today up to two years ahead.
pub(super) fn pst_due_on(
    given: Option<&str>,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, FieldError> {
    let field = "pst_due_on";
    match given.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) if d < today => Err(FieldError::new(
                field,
                "The due date for PST must be today or later",
            )),
            Ok(d) => crate::domain::request::check_horizon(
                d,
                today,
                crate::domain::request::START_AHEAD_MONTHS,
            )
            .map(|()| Some(d))
            .map_err(|e| FieldError::new(field, e)),
            Err(_) => Err(FieldError::new(field, "must be a date written YYYY-MM-DD")),
        },
    }
}

pub(super) fn implemented(
    given: &[ImplementedInput],
    measures: &[MeasureRow],
    decided_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Vec<(MeasureId, NaiveDate)>, Vec<FieldError>> {
    let earliest = decided_on.unwrap_or(today).min(today);
    let approved: Vec<&MeasureRow> = measures.iter().filter(|m| is_approved(m)).collect();
    let mut errors = Vec::new();
    let mut dates = Vec::new();
    for (i, m) in approved.iter().enumerate() {
        let field = format!("implemented[{i}].implemented_on");
        let one = match entry_for(
            given,
            &m.id,
            |x| &x.measure_id,
            "Enter the date each approved measure is in place",
        ) {
            Ok(one) => one,
            Err(message) => {
                errors.push(FieldError::new(field, message));
                continue;
            }
        };
        // From the day of the decision up to the measure's end: a date ahead schedules it.
        match NaiveDate::parse_from_str(one.implemented_on.trim(), "%Y-%m-%d") {
            Ok(d) if d < earliest => errors.push(FieldError::new(
                field,
                format!("The date must be on or after the day of the decision, {earliest}"),
            )),
            Ok(d) if m.ends_on.is_some_and(|end| d > end) => errors.push(FieldError::new(
                field,
                format!(
                    "The date must be on or before the measure's end date, {}",
                    m.ends_on.unwrap_or(d)
                ),
            )),
            Ok(d) => match crate::domain::request::check_horizon(
                d,
                today,
                crate::domain::request::START_AHEAD_MONTHS,
            ) {
                Ok(()) => dates.push((m.id.clone(), d)),
                Err(e) => errors.push(FieldError::new(field, e)),
            },
            Err(_) => errors.push(FieldError::new(field, "must be a date written YYYY-MM-DD")),
        }
    }
    if names_other(given, &approved, |x| &x.measure_id) {
        errors.push(FieldError::new(
            "implemented",
            "names a measure that was not approved for this request",
        ));
    }
    if errors.is_empty() {
        Ok(dates)
    } else {
        Err(errors)
    }
}
