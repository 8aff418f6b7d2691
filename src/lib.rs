//! The protection portal: foreign missions in Norway ask for external protection, and the MFA,
//! Oslo Police District and PST triage, assess, decide and confirm it.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod db;
pub mod domain;
pub mod i18n;
// `notify::worker::Worker::claim` wraps `db::outbox::claim` in `Ok(…?)`, which was a conversion
// while `db` answered diesel's error and is none now that it answers `DbError`. Removed with
// that `Ok(…?)`, in the notify refactoring.
#[allow(clippy::needless_question_mark)]
pub mod notify;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod web;
