//! The delivery worker: claims due mails with a lease, sends each, and marks it sent only after
//! the transport accepted it; failures are retried with exponential back-off and jitter, then
//! marked dead. A worker that dies mid-send loses nothing: its lease runs out and another worker
//! sends the mail again (with the same Message-ID).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDateTime;

use super::mailer::{self, Mailer};
use super::templates;
use crate::db::outbox::{self, OutboxRow};
use crate::db::{self, DbConnection, DbError, Pool};
use crate::i18n::Lang;
use crate::settings::Settings;

pub struct Worker {
    pool: Pool,
    mailer: Arc<Mailer>,
    settings: Arc<Settings>,
    id: String,
    public_host: String,
}

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
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
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Delivers until `stop` is set; a send under way is finished first.
    pub fn run(&self, stop: &AtomicBool) {
        tracing::info!(worker = %self.id, "notification worker started");
        let idle = Duration::from_millis(self.settings.worker.poll_interval_ms);
        while !stop.load(Ordering::SeqCst) {
            match self.run_once(stop) {
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
    /// a second. The outcomes are recorded together, in one transaction, when the batch is
    /// through; a worker that dies before that sends the batch's mails again after the lease
    /// (same Message-IDs), as it would a single one.
    pub fn run_once(&self, stop: &AtomicBool) -> Result<usize, DbError> {
        let claimed = self.claim()?;
        let n = claimed.len();
        if n == 0 {
            return Ok(0);
        }
        let languages = self.languages(&claimed)?;
        let parallel = (self.settings.mail.smtp.pool_size as usize).clamp(1, n);
        let queue = Mutex::new(claimed.into_iter());
        let next = || queue.lock().unwrap_or_else(|e| e.into_inner()).next();
        let outcomes = Mutex::new(Vec::with_capacity(n));
        std::thread::scope(|scope| {
            for _ in 0..parallel {
                scope.spawn(|| {
                    while let Some(row) = next() {
                        if stop.load(Ordering::SeqCst) {
                            // Not started: the lease runs out and this mail is taken up again.
                            break;
                        }
                        let lang = row
                            .recipient_user_id
                            .as_ref()
                            .and_then(|id| languages.get(id))
                            .copied()
                            .unwrap_or_default();
                        let outcome = self.send(&row, lang);
                        outcomes
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((row, outcome));
                    }
                });
            }
        });
        let outcomes = outcomes.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut conn = self.conn()?;
        db::write(&mut conn, |conn| {
            for (row, outcome) in outcomes {
                self.record(conn, &row, outcome)?;
            }
            Ok::<(), DbError>(())
        })?;
        Ok(n)
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
        let payload: serde_json::Value = serde_json::from_str(&row.payload).unwrap_or_default();
        let rendered = templates::render(
            lang,
            &row.kind,
            &payload,
            row.request_id.as_deref(),
            self.settings.public_base(),
        )
        .ok_or_else(|| format!("no template for kind {}", row.kind))?;
        let message = mailer::build(
            &self.settings.mail,
            &self.public_host,
            &row.id,
            &row.recipient_email,
            &rendered,
        )?;
        self.mailer
            .send(&message, &row.id)
            .map_err(|e| e.to_string())
    }

    /// Records what became of one sent mail: sent, or failed and due again later (or dead).
    fn record(
        &self,
        conn: &mut DbConnection,
        row: &OutboxRow,
        outcome: Result<(), String>,
    ) -> Result<(), DbError> {
        match outcome {
            Ok(()) => {
                if !outbox::mark_sent(conn, &row.id, &self.id, now())? {
                    tracing::warn!(outbox_id = %row.id, "mail sent after its lease passed to another worker");
                } else if row.kind == "invitation" {
                    outbox::forget_payload(conn, &row.id)?;
                }
            }
            Err(error) => {
                let w = &self.settings.worker;
                let attempts = row.attempts + 1;
                let dead = attempts >= w.max_attempts as i32;
                let next = now()
                    + backoff(
                        attempts,
                        w.retry_first_delay_seconds,
                        w.retry_max_delay_seconds,
                    );
                let error: String = error.chars().take(500).collect();
                tracing::warn!(outbox_id = %row.id, kind = %row.kind, attempts, dead, error = %error, "mail not delivered");
                outbox::mark_failed(conn, &row.id, &self.id, &error, next, dead)?;
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
