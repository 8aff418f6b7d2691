//! Pure rules of the portal: no web framework, database, clock or randomness in here.

pub mod access;
pub mod classification;
pub mod mission;
pub mod role;
pub mod text;
pub mod throttle;
pub mod user;

pub use classification::{Classification, Clearance};
pub use mission::{CountryCode, MissionKind, MissionName};
pub use role::Role;
pub use user::{Email, PersonName};

/// A value that did not satisfy a rule, naming the field and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
