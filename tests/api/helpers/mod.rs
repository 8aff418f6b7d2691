//! The shared fixtures of the integration tests, by subject:
//!
//! - `app`: `spawn_app()` — the real server on a random port against a fresh database — and
//!   `TestApp`, `TestDb`, `Options`;
//! - `inspect`: what the portal logged, and raw looks at the test's database;
//! - `people`: missions, accounts and the usual `Cast` of a journey;
//! - `page_client`: a person's browser without a browser engine (`Browser`, `Page`);
//! - `api`: a client of the JSON API with one person's bearer token (`Api`);
//! - `requests`: what a mission types, filing and acting through the pages, and
//!   `TestApp::request_in`, which carries a request to any state;
//! - `mail`: SMTP settings for the fake server and a delivery worker run by hand.
//!
//! Everything is re-exported here: tests write `use crate::helpers::{spawn_app, Browser, …}`.

mod api;
mod app;
mod inspect;
mod mail;
mod page_client;
mod people;
mod requests;

pub use api::*;
pub use app::*;
pub use inspect::*;
pub use mail::*;
pub use page_client::*;
pub use people::*;
pub use requests::*;
