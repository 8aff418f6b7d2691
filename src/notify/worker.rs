//! The delivery worker: claims due mails with a lease, sends each, and records each outcome as
//! soon as the relay has answered, in a short transaction of its own: sent, or failed and retried
//! with exponential back-off and jitter, then marked dead. A worker that dies mid-batch has
//! recorded every mail it finished; only those in flight (at most `mail.smtp.pool_size`) are sent
//! again by another worker once the lease runs out, with the same Message-ID.
//!
//! After a relay outage the waiting mails are brought forward as soon as a send succeeds again;
//! while mails wait because the relay failed, the worker probes it every
//! `worker.relay_probe_seconds` and, when it answers, sends the waiting mail due soonest to find
//! out whether it takes mail again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use super::mailer::{self, Mailer};
use super::templates;
use crate::db::outbox::{self, MarkedSent, OutboxRow};
use crate::db::{self, DbConnection, DbError, Pool};
use crate::i18n::Lang;
use crate::settings::Settings;

pub struct Worker {
    pool: Pool,
    mailer: Arc<Mailer>,
    settings: Arc<Settings>,
    id: String,
    public_host: String,
    /// Set when a send failed because the relay was unavailable (or, at start, when mails are
    /// already waiting for a retry); cleared by the next successful send.
    relay_failing: AtomicBool,
    /// When the relay last failed or was last probed: the next probe is due
    /// `worker.relay_probe_seconds` later.
    last_probe: Mutex<Option<Instant>>,
}

/// Why one attempt failed: the text to store, and whether the relay itself was unavailable.
struct Failure {
    error: String,
    relay_unavailable: bool,
}

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The language a mail goes out in: its recipient's, as looked up for the batch (`languages`);
/// the default for an address without an account.
fn language_of(languages: &HashMap<String, Lang>, row: &OutboxRow) -> Lang {
    row.recipient_user_id
        .as_ref()
        .and_then(|id| languages.get(id))
        .copied()
        .unwrap_or_default()
}

/// The delay before attempt `attempts + 1`: first × 2^(attempts − 1), at most max, ±20 %.
pub fn backoff(attempts: i32, first: u32, max: u32) -> chrono::Duration {
    let exp = (attempts.max(1) - 1).min(30) as u32;
    let base = u64::from(first)
        .saturating_mul(1u64 << exp)
        .min(u64::from(max)) as f64;
    let jitter = 0.8 + rand::random::<f64>() * 0.4;
    chrono::Duration::milliseconds((base * jitter * 1000.0) as i64)
}

impl Worker {
    pub fn new(pool: Pool, mailer: Arc<Mailer>, settings: Arc<Settings>) -> Self {
        let public_host = url::Url::parse(&settings.public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "protection-portal.invalid".into());
        Worker {
            pool,
            mailer,
            settings,
            id: format!("worker-{}", uuid::Uuid::new_v4().simple()),
            public_host,
            relay_failing: AtomicBool::new(false),
            last_probe: Mutex::new(None),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Delivers until `stop` is set; a send under way is finished first.
    pub fn run(&self, stop: &AtomicBool) {
        tracing::info!(worker = %self.id, "notification worker started");
        // Mails already waiting for a retry may be waiting for a relay that is back by now (a
        // restart is often how an operator ends an outage): probe it at once.
        if self
            .conn()
            .and_then(|mut conn| outbox::any_waiting(&mut conn, now()))
            .unwrap_or(false)
        {
            self.relay_failing.store(true, Ordering::SeqCst);
        }
        let idle = Duration::from_millis(self.settings.worker.poll_interval_ms);
        while !stop.load(Ordering::SeqCst) {
            let probed = self.probe_if_due();
            match probed.and_then(|()| self.run_once(stop)) {
                Ok(0) => std::thread::sleep(idle),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "notification worker cannot reach the database; retrying");
                    std::thread::sleep(idle.max(Duration::from_secs(1)));
                }
            }
        }
        tracing::info!(worker = %self.id, "notification worker stopped");
    }

    /// Claims one batch and delivers it; returns how many mails were claimed. Up to
    /// `mail.smtp.pool_size` mails are sent at once, one per relay connection: each send waits
    /// for the relay's answer, and one connection at a time caps a worker at a few dozen mails
    /// a second. Each outcome is recorded as soon as the relay has answered, from the sending
    /// thread, so a worker that dies mid-batch sends again only the mails in flight. A mail is
    /// not started when its lease could pass before the relay must have answered (now + the
    /// SMTP timeout ≥ the lease's end); such mails, and those not started because `stop` was
    /// set, are given back at the end of the batch so that they are claimed again at once.
    pub fn run_once(&self, stop: &AtomicBool) -> Result<usize, DbError> {
        let claimed = self.claim()?;
        let n = claimed.len();
        if n == 0 {
            return Ok(0);
        }
        let languages = self.languages(&claimed)?;
        let bound = self.send_bound();
        let parallel = (self.settings.mail.smtp.pool_size as usize).clamp(1, n);
        let queue = Mutex::new(claimed.into_iter());
        let next = || lock(&queue).next();
        let unstarted = Mutex::new(Vec::new());
        let past_lease = std::sync::atomic::AtomicUsize::new(0);
        let halt = AtomicBool::new(false);
        let failed: Mutex<Option<DbError>> = Mutex::new(None);
        std::thread::scope(|scope| {
            for _ in 0..parallel {
                scope.spawn(|| {
                    while let Some(row) = next() {
                        let lease_could_pass = row.lease_until.is_none_or(|u| now() + bound >= u);
                        if lease_could_pass {
                            past_lease.fetch_add(1, Ordering::Relaxed);
                        }
                        if lease_could_pass
                            || stop.load(Ordering::SeqCst)
                            || halt.load(Ordering::SeqCst)
                        {
                            lock(&unstarted).push(row.id);
                            continue;
                        }
                        if let Err(e) = self.deliver(&row, language_of(&languages, &row)) {
                            // An outcome that cannot be recorded would be sent again: send no
                            // more until the database answers.
                            tracing::warn!(outbox_id = %row.id, error = %e, "cannot record a mail's outcome; the rest of the batch waits");
                            halt.store(true, Ordering::SeqCst);
                            lock(&failed).get_or_insert(e);
                        }
                    }
                });
            }
        });
        let unstarted = unstarted.into_inner().unwrap_or_else(|e| e.into_inner());
        let past_lease = past_lease.into_inner();
        if past_lease > 0 {
            tracing::info!(worker = %self.id, mails = past_lease, "relay slower than the lease allows: mails left for the next batch");
        }
        if !unstarted.is_empty()
            && let Err(e) = self
                .conn()
                .and_then(|mut conn| outbox::release(&mut conn, &unstarted, &self.id))
        {
            tracing::warn!(error = %e, mails = unstarted.len(), "cannot give back claimed mails; they are claimed again when the lease runs out");
        }
        match failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(e) => Err(e),
            None => Ok(n),
        }
    }

    /// How long before the lease's end a send may still start: the SMTP timeout (the time the
    /// relay is allowed to answer); nothing for the file transport, which waits for no relay.
    fn send_bound(&self) -> chrono::Duration {
        match *self.mailer {
            Mailer::Smtp { .. } => chrono::Duration::seconds(
                i64::try_from(self.settings.mail.smtp.timeout_seconds).unwrap_or(i64::MAX / 1000),
            ),
            Mailer::File { .. } => chrono::Duration::zero(),
        }
    }

    /// Sends one claimed mail and records its outcome at once, in a transaction of its own. A
    /// success after the relay failed brings the waiting mails forward.
    fn deliver(&self, row: &OutboxRow, lang: Lang) -> Result<(), DbError> {
        let outcome = self.attempt(row, lang);
        let succeeded = outcome.is_ok();
        let relay_unavailable = outcome.as_ref().is_err_and(|f| f.relay_unavailable);
        let recorded = self
            .conn()
            .and_then(|mut conn| db::write(&mut conn, |conn| self.record(conn, row, outcome)));
        // Marked after the failure is recorded, so that a success on another connection either
        // brings this mail forward too or leaves the mark for the next probe.
        if relay_unavailable {
            *lock(&self.last_probe) = Some(Instant::now());
            self.relay_failing.store(true, Ordering::SeqCst);
        }
        recorded?;
        if succeeded && self.relay_failing.swap(false, Ordering::SeqCst) {
            let mut conn = self.conn()?;
            let brought = outbox::bring_forward(&mut conn, now())?;
            tracing::info!(worker = %self.id, brought_forward = brought, "mail relay takes mail again: waiting mails brought forward");
        }
        Ok(())
    }

    /// While mails wait because the relay failed: every `worker.relay_probe_seconds`, asks the
    /// relay whether it answers and, if it does, sends the waiting mail due soonest; when that
    /// goes out, `deliver` brings the others forward. One mail rather than all, so that a relay
    /// that answers but still refuses mail costs one attempt, not one for each waiting mail.
    fn probe_if_due(&self) -> Result<(), DbError> {
        if !self.relay_failing.load(Ordering::SeqCst) {
            return Ok(());
        }
        {
            let every = Duration::from_secs(u64::from(self.settings.worker.relay_probe_seconds));
            let mut last = lock(&self.last_probe);
            if last.is_some_and(|t| t.elapsed() < every) {
                return Ok(());
            }
            *last = Some(Instant::now());
        }
        match self.mailer.probe() {
            None => return Ok(()),
            Some(false) => {
                tracing::debug!(worker = %self.id, "mail relay still unavailable");
                return Ok(());
            }
            Some(true) => {}
        }
        let now = now();
        let lease = now + chrono::Duration::seconds(i64::from(self.settings.worker.lease_seconds));
        let row = outbox::claim_waiting(&mut *self.conn()?, &self.id, now, lease)?;
        let Some(row) = row else {
            // Nothing waits any more (another worker sent it).
            self.relay_failing.store(false, Ordering::SeqCst);
            return Ok(());
        };
        let languages = self.languages(std::slice::from_ref(&row))?;
        self.deliver(&row, language_of(&languages, &row))
    }

    /// The language each recipient reads the portal in, as it is when the mail goes out.
    fn languages(&self, rows: &[OutboxRow]) -> Result<HashMap<String, Lang>, DbError> {
        let ids: Vec<String> = rows
            .iter()
            .filter_map(|r| r.recipient_user_id.clone())
            .collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut conn = self.conn()?;
        Ok(crate::db::users::locales(&mut conn, &ids)?
            .into_iter()
            .map(|(id, locale)| (id, Lang::parse(&locale).unwrap_or_default()))
            .collect())
    }

    pub fn claim(&self) -> Result<Vec<OutboxRow>, DbError> {
        let mut conn = self.conn()?;
        let now = now();
        let lease = now + chrono::Duration::seconds(i64::from(self.settings.worker.lease_seconds));
        outbox::claim(
            &mut conn,
            &self.id,
            now,
            lease,
            i64::from(self.settings.worker.batch_size),
        )
    }

    fn conn(&self) -> Result<db::PooledConnection, DbError> {
        self.pool
            .get()
            .map_err(|e| DbError::Unavailable(e.to_string()))
    }

    /// Sends one claimed mail, in the recipient's language, without recording the outcome.
    pub fn send(&self, row: &OutboxRow, lang: Lang) -> Result<(), String> {
        self.attempt(row, lang).map_err(|f| f.error)
    }

    fn attempt(&self, row: &OutboxRow, lang: Lang) -> Result<(), Failure> {
        let not_sendable = |error: String| Failure {
            error,
            relay_unavailable: false,
        };
        let payload: serde_json::Value = serde_json::from_str(&row.payload).unwrap_or_default();
        let rendered = templates::render(
            lang,
            &row.kind,
            &payload,
            row.request_id.as_deref(),
            self.settings.public_base(),
        )
        .ok_or_else(|| not_sendable(format!("no template for kind {}", row.kind)))?;
        let message = mailer::build(
            &self.settings.mail,
            &self.public_host,
            &row.id,
            &row.recipient_email,
            &rendered,
        )
        .map_err(not_sendable)?;
        self.mailer.send(&message, &row.id).map_err(|e| Failure {
            relay_unavailable: e.is_unavailable(),
            error: e.to_string(),
        })
    }

    /// Records what became of one mail: sent, or failed and due again later (or dead).
    fn record(
        &self,
        conn: &mut DbConnection,
        row: &OutboxRow,
        outcome: Result<(), Failure>,
    ) -> Result<(), DbError> {
        match outcome {
            Ok(()) => match outbox::mark_sent(conn, &row.id, &self.id, now())? {
                MarkedSent::Sent => {
                    if row.kind == "invitation" {
                        outbox::forget_payload(conn, &row.id)?;
                    }
                }
                MarkedSent::AlreadySent => {
                    tracing::warn!(outbox_id = %row.id, kind = %row.kind, "mail delivered twice (same Message-ID): another worker had already sent it");
                }
                MarkedSent::Other(status) => {
                    tracing::warn!(outbox_id = %row.id, kind = %row.kind, status = ?status, "mail delivered but no longer pending; left as it is");
                }
            },
            Err(failure) => {
                let w = &self.settings.worker;
                let attempts = row.attempts + 1;
                let dead = attempts >= w.max_attempts as i32;
                let next = now()
                    + backoff(
                        attempts,
                        w.retry_first_delay_seconds,
                        w.retry_max_delay_seconds,
                    );
                let error: String = failure.error.chars().take(500).collect();
                tracing::warn!(outbox_id = %row.id, kind = %row.kind, attempts, dead, error = %error, "mail not delivered");
                if !outbox::mark_failed(conn, &row.id, &self.id, &error, next, dead)? {
                    tracing::info!(outbox_id = %row.id, "failed attempt not recorded: the mail's lease passed to another worker");
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_maximum() {
        for _ in 0..50 {
            let one = backoff(1, 30, 3600).num_milliseconds();
            assert!((24_000..=36_000).contains(&one), "{one}");
            let three = backoff(3, 30, 3600).num_milliseconds();
            assert!((96_000..=144_000).contains(&three), "{three}");
            let many = backoff(40, 30, 3600).num_milliseconds();
            assert!(many <= 4_320_000, "{many}");
        }
    }
}
