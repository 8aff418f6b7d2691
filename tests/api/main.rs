//! Integration tests: each test starts the real server on a random port against a fresh
//! database — a new SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL is set.

mod architecture;
mod attack;
mod attack_auth;
mod attack_input;
mod attack_keys;
mod browser;
mod calendar;
mod cli;
mod cluster;
mod db;
mod db_waits;
mod documents;
mod e2e;
mod events;
mod health;
mod helpers;
mod idempotency;
mod identity;
mod json_api;
mod language;
mod life_cycle;
mod mail_leases;
mod migrations;
mod notifications;
mod operations;
mod pages;
mod pages_kind;
mod paging;
mod requests;
mod scheduler;
mod seed;
mod setup;
mod smtp;
mod snapshots;
mod uploads;
