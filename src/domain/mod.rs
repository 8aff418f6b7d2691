//! Pure rules of the portal: no web framework, database, clock or randomness in here.

pub mod access;
pub mod actor;
pub mod attachment;
pub mod calendar;
pub mod classification;
pub mod codes;
pub mod deadlines;
pub mod disclosure;
pub mod event;
pub mod idempotency;
pub mod ids;
pub mod mission;
pub mod notification;
pub mod request;
pub mod review;
pub mod role;
pub mod search;
pub mod statistics;
pub mod text;
pub mod throttle;
pub mod time;
pub mod user;
pub mod wording;
pub mod workflow;
pub mod working_days;

pub use classification::{Classification, Clearance};
pub use mission::{CountryCode, MissionKind, MissionName};
pub use role::Role;
pub use user::{Email, PersonName};

/// A value that did not satisfy a rule, naming the field and the rule it broke.
/// The field is named as in forms and the API (`title`, `contact.phone`, `measures[2].kind`);
/// the message is a sentence in plain language saying what to do (`wording`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: std::borrow::Cow<'static, str>,
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<std::borrow::Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        let field = field.into();
        let message = wording::sentence(&field, &message.into());
        Self { field, message }
    }
}
