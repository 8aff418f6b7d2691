//! Sending one e-mail: over SMTP (production) or as an `.eml` file in a folder (the embedded
//! default). Headers are built only through lettre's typed builders.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use secrecy::ExposeSecret;

use super::templates::Rendered;
use crate::settings::{MailSettings, MailTransport, SmtpTls};

pub enum Mailer {
    File { dir: PathBuf },
    Smtp { transport: Box<SmtpTransport> },
}

/// Why a send failed; the text is safe to store (it never holds the mail's content).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The relay could not take the mail now: unreachable, timed out, or a 4xx answer (or the
    /// folder could not be written). The relay itself is in trouble, not this mail.
    #[error("{0}")]
    Unavailable(String),
    /// The relay refused this mail for good (a 5xx answer).
    #[error("{0}")]
    Refused(String),
}

impl SendError {
    /// Whether the failure says the relay is unavailable rather than that it refused this mail.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, SendError::Unavailable(_))
    }
}

impl Mailer {
    pub fn from_settings(mail: &MailSettings) -> anyhow::Result<Mailer> {
        match mail.transport {
            MailTransport::File => {
                let dir = PathBuf::from(&mail.file_dir);
                std::fs::create_dir_all(&dir).map_err(|e| {
                    anyhow::anyhow!("cannot create mail.file_dir {}: {e}", dir.display())
                })?;
                Ok(Mailer::File { dir })
            }
            MailTransport::Smtp => {
                let s = &mail.smtp;
                let tls = match s.tls {
                    SmtpTls::None => Tls::None,
                    SmtpTls::Starttls => Tls::Required(TlsParameters::new(s.host.clone())?),
                    SmtpTls::Tls => Tls::Wrapper(TlsParameters::new(s.host.clone())?),
                };
                let mut builder = SmtpTransport::builder_dangerous(&s.host)
                    .port(s.port)
                    .tls(tls)
                    .timeout(Some(Duration::from_secs(s.timeout_seconds)))
                    .pool_config(PoolConfig::new().max_size(s.pool_size));
                if !s.username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        s.username.clone(),
                        s.password.expose_secret().to_owned(),
                    ));
                }
                Ok(Mailer::Smtp {
                    transport: Box::new(builder.build()),
                })
            }
        }
    }

    /// Sends one message. For files, writing is atomic (temporary file, then rename) and named
    /// by the outbox row, so a repeated send replaces rather than duplicates.
    pub fn send(&self, message: &Message, outbox_id: &str) -> Result<(), SendError> {
        match self {
            Mailer::File { dir } => {
                let tmp = dir.join(format!(".{outbox_id}.eml.tmp"));
                let path = dir.join(format!("{outbox_id}.eml"));
                std::fs::write(&tmp, message.formatted())
                    .and_then(|_| std::fs::rename(&tmp, &path))
                    .map_err(|e| {
                        SendError::Unavailable(format!("cannot write {}: {e}", path.display()))
                    })
            }
            Mailer::Smtp { transport } => transport.send(message).map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Refused(e.to_string())
                } else {
                    SendError::Unavailable(e.to_string())
                }
            }),
        }
    }

    /// Whether the relay answers (a connection and `NOOP`); `None` for the file transport, which
    /// has no relay to ask.
    pub fn probe(&self) -> Option<bool> {
        match self {
            Mailer::File { .. } => None,
            Mailer::Smtp { transport } => Some(transport.test_connection().unwrap_or(false)),
        }
    }
}

/// Builds the message for one outbox row. `Message-ID` is derived from the row's id, so that a
/// duplicate after a crash is recognisable as the same mail.
pub fn build(
    mail: &MailSettings,
    public_host: &str,
    outbox_id: &str,
    to: &str,
    rendered: &Rendered,
) -> Result<Message, String> {
    let from: Mailbox = mail.from.parse().map_err(|e| format!("mail.from: {e}"))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("recipient address not usable: {e}"))?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(rendered.subject.clone())
        .message_id(Some(format!("<{outbox_id}@{public_host}>")));
    if !mail.reply_to.trim().is_empty() {
        builder = builder.reply_to(
            mail.reply_to
                .parse()
                .map_err(|e| format!("mail.reply_to: {e}"))?,
        );
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            rendered.html.clone(),
        ))
        .map_err(|e| format!("cannot build the message: {e}"))
}
