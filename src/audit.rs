//! The security log (product.md § 10): append-only and chained. Each row's hash is an HMAC-SHA-256,
//! under the log key kept outside the database (`crate::auth::keys`), of the previous row's hash
//! and the row's own canonical content, so an edit, a deletion or a reordering breaks the chain
//! at that row, and someone who can write to the database cannot compute a new chain. The head
//! is anchored outside the database by checkpoints written to the operator log (`checkpoint`);
//! `verify_from` proves the log still holds a checkpoint's row, so deleting the newest rows is
//! found too. Never write passwords, codes, tokens, session ids or classified text into it:
//! `detail` holds identifiers and reasons only.
//!
//! A log begun before the chain was keyed (plain SHA-256) keeps its rows: when the operator names
//! its last entry in `keys.log_unkeyed_through`, the first start appends one keyed
//! `security_log_keyed` row vouching for them (`seal_legacy_prefix`); the verifier accepts
//! unkeyed rows only before such a row.

use chrono::{NaiveDateTime, Timelike};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::auth::keys;

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

/// HMAC-SHA-256 under the log key over the previous hash and the row's content in a canonical,
/// unambiguous form.
pub fn chain_hash(row: &SecurityLogRow) -> String {
    keys::current().log_mac(&[row.prev_hash.as_bytes(), b"\n", canonical(row).as_bytes()])
}

/// The hash of the unkeyed chain that came before (plain SHA-256), for rows written before the
/// chain was keyed.
fn legacy_hash(row: &SecurityLogRow) -> String {
    let mut hasher = Sha256::new();
    hasher.update(row.prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical(row).as_bytes());
    hex::encode(hasher.finalize())
}

/// The event of the keyed row that closes an unkeyed prefix.
pub const KEYED_EVENT: &str = "security_log_keyed";

fn canonical(row: &SecurityLogRow) -> String {
    serde_json::json!([
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
    .to_string()
}

/// Upgrading a log begun before the chain was keyed: when the operator names its last entry
/// (`keys.log_unkeyed_through`, read from the old `audit verify`), and the log ends there with
/// no keyed entry after it, appends one keyed `security_log_keyed` entry vouching for the
/// unkeyed ones before it. Nothing in the database alone can make this happen: an attacker who
/// rewrites a whole log without the key gets no such entry. Run at start-up in a write
/// transaction; `Ok(true)` when it appended.
pub fn seal_legacy_prefix(
    conn: &mut DbConnection,
    unkeyed_through: i64,
    now: NaiveDateTime,
) -> Result<Result<bool, String>, DbError> {
    if unkeyed_through <= 0 || !security_log::newest(conn, Some(KEYED_EVENT), 1)?.is_empty() {
        return Ok(Ok(false));
    }
    security_log::lock_for_append(conn)?;
    let head = security_log::newest(conn, None, 1)?.pop();
    match head {
        Some(head) if head.seq == unkeyed_through && chain_hash(&head) != head.hash => {
            let entry = Entry {
                event: KEYED_EVENT,
                outcome: "success",
                actor_org: Some("operator".into()),
                detail: serde_json::json!({ "unkeyed_through": head.seq }),
                ..Entry::default()
            };
            record(conn, &entry, now)?;
            Ok(Ok(true))
        }
        head => Ok(Err(format!(
            "keys.log_unkeyed_through is {unkeyed_through}, but the security log's newest entry is {}, \
             and is {}: name the last entry of the log from before the keyed chain, or set it to 0",
            head.as_ref().map_or(0, |h| h.seq),
            if head.as_ref().is_some_and(|h| chain_hash(h) == h.hash) {
                "keyed"
            } else {
                "not keyed"
            }
        ))),
    }
}

/// The newest entry's sequence number and hash: a checkpoint.
pub fn head(conn: &mut DbConnection) -> Result<Option<(i64, String)>, DbError> {
    security_log::last(conn)
}

/// A checkpoint as `serve` writes it to the operator log (`security log checkpoint`) and typed to `audit verify --from-checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
}

impl std::str::FromStr for Checkpoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let rule = "must be SEQ:HASH as in the operator log's `security log checkpoint` line (e.g. 42:9f86…)";
        let (seq, hash) = s.trim().split_once(':').ok_or(rule)?;
        let seq: i64 = seq.parse().map_err(|_| rule)?;
        let hash = hash.trim().to_lowercase();
        if seq < 1 || hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(rule.to_owned());
        }
        Ok(Checkpoint { seq, hash })
    }
}

/// A page of the log for administrators, newest first, optionally of one event kind and one
/// person; with the number of matching entries.
pub fn page(
    conn: &mut DbConnection,
    filter: &security_log::LogFilter<'_>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<SecurityLogRow>, i64), DbError> {
    let offset = (page.clamp(1, 1_000_000) - 1) * per_page;
    security_log::page(conn, filter, per_page, offset)
}

/// Every event code the portal writes (the security log's filter offers these).
pub const EVENTS: &[&str] = &[
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "second_factor_enrolled",
    "second_factor_failed",
    "second_factor_reset",
    "reauthenticated",
    "reauthentication_failed",
    "password_changed",
    "recovery_codes_regenerated",
    "session_revoked",
    "sessions_ended",
    "token_created",
    "token_revoked",
    "tokens_revoked",
    "access_denied",
    "classified_read",
    "attachment_added",
    "attachment_downloaded",
    "attachment_removed",
    "threat_level_recorded",
    "request_transition",
    "mission_created",
    "mission_renamed",
    "mission_deactivated",
    "mission_reactivated",
    "user_created",
    "first_admin",
    "user_invited",
    "invitation_accepted",
    "user_deactivated",
    "user_reactivated",
    "mail_retried",
    "security_log_checkpoint",
    "security_log_keyed",
    "sealed_from_clear",
];

/// What an event code means, in plain English (pages translate it); `None` for a code this
/// version does not know (shown as it is).
pub fn describe(event: &str) -> Option<&'static str> {
    Some(match event {
        "sign_in" => "Signed in",
        "sign_in_failed" => "Sign-in failed",
        "sign_out" => "Signed out",
        "second_factor_enrolled" => "Authenticator app set up",
        "second_factor_failed" => "Wrong code from the authenticator app",
        "second_factor_reset" => "Authenticator app reset by an administrator",
        "reauthenticated" => "Identity confirmed again",
        "reauthentication_failed" => "Identity not confirmed",
        "password_changed" => "Password changed",
        "recovery_codes_regenerated" => "New recovery codes made",
        "session_revoked" => "Session ended by its owner",
        "sessions_ended" => "Sessions ended",
        "token_created" => "API token created",
        "token_revoked" => "API token revoked",
        "tokens_revoked" => "API tokens revoked",
        "access_denied" => "Access refused",
        "classified_read" => "Classified information read",
        "attachment_added" => "File added to a request",
        "attachment_downloaded" => "Internal file downloaded",
        "attachment_removed" => "File removed from a request",
        "threat_level_recorded" => "Threat level recorded for a mission",
        "request_transition" => "Step in a request's life cycle",
        "request_submitted" => "Request submitted",
        "request_assigned" => "Request assigned",
        "request_information" => "Information requested",
        "request_rejected" => "Request rejected",
        "request_decided" => "Decision recorded",
        "request_withdrawn" => "Request withdrawn",
        "mission_created" => "Mission registered",
        "mission_renamed" => "Mission renamed",
        "mission_deactivated" => "Mission deactivated",
        "mission_reactivated" => "Mission reactivated",
        "user_created" => "Account created",
        "first_admin" => "First administrator created",
        "user_invited" => "Person invited",
        "invitation_accepted" => "Invitation accepted",
        "user_deactivated" => "Account deactivated",
        "user_reactivated" => "Account reactivated",
        "mail_retried" => "E-mail sent again by an administrator",
        "security_log_checkpoint" => "Security log checkpoint",
        "security_log_keyed" => "Security log sealed with its key",
        "sealed_from_clear" => "Stored secrets sealed",
        _ => return None,
    })
}

/// An outcome code in plain English.
pub fn describe_outcome(outcome: &str) -> &'static str {
    match outcome {
        "success" => "Succeeded",
        "failure" => "Failed",
        "denied" => "Refused",
        _ => "Other",
    }
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
    verify_from(conn, None)
}

/// As `verify`, and also proves that the log still holds `checkpoint`'s row with its hash: with
/// the chain intact from it to the head, nothing up to the checkpoint was removed or rewritten.
pub fn verify_from(
    conn: &mut DbConnection,
    checkpoint: Option<&Checkpoint>,
) -> Result<Result<i64, Broken>, DbError> {
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS.to_owned();
    // Rows chained without the key, waiting for the keyed row that vouches for them.
    let mut unkeyed_from: Option<i64> = None;
    let mut keyed_seen = false;
    loop {
        let rows = security_log::page_after(conn, expected_seq - 1, 1000)?;
        if rows.is_empty() {
            if let Some(first) = unkeyed_from {
                return Ok(Err(Broken {
                    seq: first,
                    reason: "not signed with the log key",
                }));
            }
            if let Some(c) = checkpoint
                && c.seq > expected_seq - 1
            {
                return Ok(Err(Broken {
                    seq: c.seq,
                    reason: "the checkpoint's entry is gone: the newest entries were deleted",
                }));
            }
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
            if chain_hash(&row) == row.hash {
                if let Some(first) = unkeyed_from.take() {
                    let vouches = row.event == KEYED_EVENT
                        && serde_json::from_str::<Value>(&row.detail)
                            .ok()
                            .and_then(|d| d["unkeyed_through"].as_i64())
                            == Some(row.seq - 1);
                    if !vouches {
                        return Ok(Err(Broken {
                            seq: first,
                            reason: "not signed with the log key",
                        }));
                    }
                }
                keyed_seen = true;
            } else if !keyed_seen && legacy_hash(&row) == row.hash {
                unkeyed_from.get_or_insert(row.seq);
            } else {
                return Ok(Err(Broken {
                    seq: row.seq,
                    reason: "content was changed, or not signed with the log key",
                }));
            }
            if let Some(c) = checkpoint
                && c.seq == row.seq
                && c.hash != row.hash
            {
                return Ok(Err(Broken {
                    seq: row.seq,
                    reason: "differs from the checkpoint: the log was rewritten from here",
                }));
            }
            prev_hash = row.hash;
            expected_seq += 1;
        }
    }
}
