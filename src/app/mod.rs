//! Application functions: each one carries out one thing a person or the operator asks for, in
//! one database transaction, over the rules of `domain` and the queries of `db`. The web pages,
//! the API and the command line all call these; none of them holds a rule of its own.

pub mod demo;
pub mod missions;
pub mod setup;
pub mod users;

use crate::db::DbError;
use crate::domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input broke one or more rules; each error names its field.
    #[error("{}", join_fields(.0))]
    Invalid(Vec<FieldError>),
    /// The thing does not exist, or the caller may not know that it does.
    #[error("not found")]
    NotFound,
    /// The change conflicts with what is stored (a duplicate, a stale version).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Db(DbError::Query(e))
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(vec![e])
    }
}

fn join_fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The current instant in UTC, as stored.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
