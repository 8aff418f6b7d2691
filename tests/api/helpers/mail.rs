//! Mail fixtures: settings that send to the fake SMTP server (`crate::smtp`), and a delivery
//! worker run by hand until nothing is due.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

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
