//! Mail fixtures: settings that send to the fake SMTP server (`crate::smtp`), and a delivery
//! worker run by hand until nothing is due.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use protection_portal::db::{self, DbConnection, outbox};
use protection_portal::notify::mailer::Mailer;
use protection_portal::notify::worker::Worker;
use protection_portal::settings::{MailTransport, Settings, SmtpTls};

use super::TestApp;
use crate::smtp::SmtpServer;

/// The app's settings, sending mail by SMTP to `server`.
pub fn smtp_settings(app: &TestApp, server: &SmtpServer) -> Settings {
    let mut s = app.settings.clone();
    s.mail.transport = MailTransport::Smtp;
    s.mail.smtp.host = "127.0.0.1".into();
    s.mail.smtp.port = server.addr.port();
    s.mail.smtp.tls = SmtpTls::None;
    s.mail.smtp.timeout_seconds = 2;
    s
}

/// A delivery worker on the app's database with `settings`.
pub fn worker(app: &TestApp, settings: Settings) -> Worker {
    let mailer = Mailer::from_settings(&settings.mail).unwrap();
    Worker::new(app.pool.clone(), Arc::new(mailer), Arc::new(settings))
}

/// Runs `w` until nothing is due.
pub async fn drain(w: Worker) -> Worker {
    tokio::task::spawn_blocking(move || {
        let stop = AtomicBool::new(false);
        while w.run_once(&stop).unwrap() > 0 {}
        w
    })
    .await
    .unwrap()
}

/// Queues one mail of `kind` to `email` (for the account `recipient`, if any), due now, as a
/// state change would; returns its outbox id.
pub fn queue_mail(
    conn: &mut DbConnection,
    kind: &str,
    email: &str,
    recipient: Option<&str>,
) -> String {
    let now = protection_portal::app::now();
    let id = db::new_id();
    outbox::insert(
        conn,
        &outbox::NewOutboxRow {
            id: &id,
            kind,
            recipient_user_id: recipient,
            recipient_email: email,
            request_id: None,
            payload: "{}",
            status: "pending",
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        },
    )
    .unwrap();
    id
}
