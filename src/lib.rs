//! The protection portal: foreign missions in Norway ask for external protection, and the MFA,
//! Oslo Police District and PST triage, assess, decide and confirm it.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod db;
pub mod diagram;
pub mod documents;
pub mod domain;
pub mod i18n;
pub mod notify;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod web;
