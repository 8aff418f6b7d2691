//! The security log (SPEC § 10): append-only and hash-chained. Each row's hash covers the
//! previous row's hash and the row's own canonical content, so an edit, a deletion or a
//! reordering breaks the chain at that row. Never write passwords, codes, tokens, session ids or
//! classified text into it: `detail` holds identifiers and reasons only.

use chrono::{NaiveDateTime, Timelike};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::security_log::{self, SecurityLogRow};
use crate::db::{DbConnection, DbError};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One thing worth recording.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// What happened, e.g. `sign_in`, `sign_in_failed`, `mission_created`.
    pub event: &'static str,
    /// `success`, `failure` or `denied`.
    pub outcome: &'static str,
    pub actor_user_id: Option<String>,
    /// The actor's organisation (`mfa`, `oslo_police`, `pst`, `mission`, `operator`).
    pub actor_org: Option<String>,
    pub client_addr: Option<String>,
    pub target_type: Option<&'static str>,
    pub target_id: Option<String>,
    /// Identifiers and reasons; never secrets or classified text.
    pub detail: Value,
}

/// Appends `entry` inside the caller's write transaction.
pub fn record(conn: &mut DbConnection, entry: &Entry, now: NaiveDateTime) -> Result<(), DbError> {
    security_log::lock_for_append(conn)?;
    let (last_seq, prev_hash) = security_log::last(conn)?.unwrap_or((0, GENESIS.to_owned()));
    // Microseconds: what both databases keep, so the canonical form reads back the same.
    let at = now
        .with_nanosecond(now.nanosecond() / 1000 * 1000)
        .unwrap_or(now);
    let mut row = SecurityLogRow {
        seq: last_seq + 1,
        at,
        event: entry.event.to_owned(),
        outcome: entry.outcome.to_owned(),
        actor_user_id: entry.actor_user_id.clone(),
        actor_org: entry.actor_org.clone(),
        client_addr: entry.client_addr.clone(),
        target_type: entry.target_type.map(str::to_owned),
        target_id: entry.target_id.clone(),
        detail: entry.detail.to_string(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = chain_hash(&row);
    security_log::insert(conn, &row)?;
    Ok(())
}

/// SHA-256 over the previous hash and the row's content in a canonical, unambiguous form.
pub fn chain_hash(row: &SecurityLogRow) -> String {
    let canonical = serde_json::json!([
        row.seq,
        row.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        row.event,
        row.outcome,
        row.actor_user_id,
        row.actor_org,
        row.client_addr,
        row.target_type,
        row.target_id,
        row.detail,
    ])
    .to_string();
    let mut hasher = Sha256::new();
    hasher.update(row.prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

/// A page of the log for administrators, newest first, optionally of one event kind and one
/// person; with the number of matching entries.
pub fn page(
    conn: &mut DbConnection,
    event: Option<&str>,
    actor: Option<&str>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<SecurityLogRow>, i64), DbError> {
    let offset = (page.clamp(1, 1_000_000) - 1) * per_page;
    security_log::page(conn, event, actor, per_page, offset)
}

/// Where the chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("security log broken at entry {seq}: {reason}")]
pub struct Broken {
    pub seq: i64,
    pub reason: &'static str,
}

/// Walks the whole chain; returns the number of intact rows, or the first broken one.
pub fn verify(conn: &mut DbConnection) -> Result<Result<i64, Broken>, DbError> {
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS.to_owned();
    loop {
        let rows = security_log::page_after(conn, expected_seq - 1, 1000)?;
        if rows.is_empty() {
            return Ok(Ok(expected_seq - 1));
        }
        for row in rows {
            if row.seq != expected_seq {
                return Ok(Err(Broken {
                    seq: expected_seq,
                    reason: "entry missing or out of order",
                }));
            }
            if row.prev_hash != prev_hash {
                return Ok(Err(Broken {
                    seq: row.seq,
                    reason: "does not follow the previous entry",
                }));
            }
            if chain_hash(&row) != row.hash {
                return Ok(Err(Broken {
                    seq: row.seq,
                    reason: "content was changed",
                }));
            }
            prev_hash = row.hash;
            expected_seq += 1;
        }
    }
}
