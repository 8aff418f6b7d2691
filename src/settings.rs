//! Typed settings: `config/default.toml`, then `config/$APP_ENVIRONMENT.toml`, then `APP__SECTION__KEY`
//! variables. Secrets are `SecretString` and never print.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::domain::Classification;

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The address people use to reach the portal; links in e-mails and printed links start with it.
    pub public_url: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    pub security: SecuritySettings,
    pub mail: MailSettings,
    pub worker: WorkerSettings,
    pub scheduler: SchedulerSettings,
    pub contact: ContactSettings,
    pub deadlines: DeadlineSettings,
    pub attachments: AttachmentSettings,
    pub review: ReviewSettings,
    pub api: ApiSettings,
    pub keys: KeySettings,
    /// The `APP_ENVIRONMENT` these settings were read for (not a setting itself).
    #[serde(skip)]
    pub environment: Option<String>,
}

/// Whom people contact: shown on pages, never used to send anything.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ContactSettings {
    /// The Ministry's telephone for urgent requests (the confirmation page).
    pub urgent_phone: String,
    /// Where accessibility problems are reported (the accessibility statement).
    pub accessibility_email: String,
}

/// How many working days each stage of a request gets (product.md § 11), counted back from the day
/// protection is needed. Every field is a number of Norwegian working days.
#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct DeadlineSettings {
    pub minimum_notice_working_days: u32,
    pub triage_after_submission_working_days: u32,
    pub triage_before_police_decision_working_days: u32,
    pub police_decision_before_needed_working_days: u32,
    pub pst_after_referral_working_days: u32,
    pub pst_before_police_decision_working_days: u32,
    pub reply_after_decision_working_days: u32,
    pub reply_before_needed_working_days: u32,
}

impl DeadlineSettings {
    pub fn rules(&self) -> crate::domain::deadlines::Rules {
        crate::domain::deadlines::Rules {
            minimum_notice: self.minimum_notice_working_days,
            triage_after_submission: self.triage_after_submission_working_days,
            triage_before_police_decision: self.triage_before_police_decision_working_days,
            police_decision_before_needed: self.police_decision_before_needed_working_days,
            pst_after_referral: self.pst_after_referral_working_days,
            pst_before_police_decision: self.pst_before_police_decision_working_days,
            reply_after_decision: self.reply_after_decision_working_days,
            reply_before_needed: self.reply_before_needed_working_days,
            review_interval_days: crate::domain::deadlines::Rules::default().review_interval_days,
        }
    }
}

/// The periodic review of measures in effect (product.md § 13).
#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct ReviewSettings {
    /// Measures without an end date, or running longer than this many days, are reviewed by the
    /// police every this many days.
    pub interval_days: u32,
}

/// Files attached to requests (product.md § 12).
#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct AttachmentSettings {
    /// The largest file taken, in bytes; a larger upload is answered 413 as soon as it passes it.
    pub max_bytes: u64,
    /// How many files of each visibility one request may hold.
    pub max_per_request: u32,
    /// An upload's deadline, instead of `server.request_timeout_seconds` (a large file on a slow
    /// line takes longer than a page).
    pub upload_timeout_seconds: u64,
}

/// Keys kept outside the database (see `crate::auth::keys`). Each is a secret and never prints.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct KeySettings {
    /// The security log's HMAC key: 32 random bytes in base64. Empty: from `file`.
    pub log: SecretString,
    /// The current sealing key, `ID:BASE64` (32 random bytes). Empty: from `file`.
    pub seal: SecretString,
    /// Earlier sealing keys still accepted for opening, `ID:BASE64,ID:BASE64`; empty for none.
    pub seal_previous: SecretString,
    /// The key file used for whichever of `log` and `seal` is empty; generated on first start
    /// outside production.
    pub file: String,
    /// On upgrading a log begun before the chain was keyed: its last entry (0: none). See
    /// SECURITY.md, "The security log".
    pub log_unkeyed_through: i64,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ApiSettings {
    /// Calls one personal access token may make per minute (429 with Retry-After beyond).
    pub requests_per_minute: u32,
    /// Serve the API documentation (Swagger UI, from the binary) at /api/docs.
    pub docs_enabled: bool,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// `file` (write `.eml` files to `file_dir`) or `smtp`.
    pub transport: MailTransport,
    pub file_dir: String,
    /// The sender, e.g. `Protection portal <no-reply@portal.example.no>`.
    pub from: String,
    /// Where replies go (optional; empty for none).
    pub reply_to: String,
    pub smtp: SmtpSettings,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    File,
    Smtp,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub tls: SmtpTls,
    pub username: String,
    pub password: SecretString,
    pub timeout_seconds: u64,
    pub pool_size: u32,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    /// Run the delivery worker inside `serve` (one process); `false` when `worker` runs apart.
    pub embedded: bool,
    pub poll_interval_ms: u64,
    pub batch_size: u32,
    /// How long a claimed mail is reserved for one worker before another may take it over. With
    /// SMTP it must cover a batch (`Settings::validate`, `lease_covers_a_batch`).
    pub lease_seconds: u32,
    /// While mails wait because the relay failed, how often the worker asks the relay whether it
    /// is back (SMTP only).
    pub relay_probe_seconds: u32,
    pub retry_first_delay_seconds: u32,
    pub retry_max_delay_seconds: u32,
    pub max_attempts: u32,
}

/// The portal's own jobs (automatic ends, purges): `app::scheduler`.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSettings {
    /// Run the portal's own jobs in this `serve` process. Several instances may all run them.
    pub enabled: bool,
    /// How often a job that last found nothing to do looks again.
    pub interval_seconds: u64,
    /// How many items one batch takes.
    pub batch_size: u32,
    /// The pause after each item, so that people's requests come first.
    pub pause_ms: u64,
    /// How long each item's transaction waits, at most, while people's requests are served.
    pub yield_ms: u64,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    pub workers: usize,
    pub max_body_bytes: usize,
    pub shutdown_timeout_seconds: u64,
    /// Each request's deadline: past it the answer is 503 with `Retry-After`, and database work
    /// not yet committed is rolled back.
    pub request_timeout_seconds: u64,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://…` selects PostgreSQL; a path or `sqlite://path` selects SQLite.
    pub url: SecretString,
    pub pool_size: u32,
    /// How long opening a connection, or waiting for one from the pool, may take.
    pub connect_timeout_seconds: u64,
    /// How long a SQLite writer waits for the write lock before giving up (503).
    pub sqlite_busy_timeout_ms: u64,
    /// PostgreSQL: the longest one statement may run (`statement_timeout`); 0 = no limit.
    pub statement_timeout_ms: u64,
    /// PostgreSQL: the longest a statement waits for a row or table lock (`lock_timeout`).
    pub lock_timeout_ms: u64,
    /// PostgreSQL: a session idle inside a transaction this long is ended by the server
    /// (`idle_in_transaction_session_timeout`), releasing its locks.
    pub idle_in_transaction_timeout_ms: u64,
    /// PostgreSQL: TCP keepalive probes start after this many idle seconds (then every 10 s,
    /// three at most), so a connection to a vanished server is noticed.
    pub tcp_keepalive_idle_seconds: u64,
    /// PostgreSQL: data sent but not acknowledged this long closes the connection
    /// (`tcp_user_timeout`; Linux).
    pub tcp_user_timeout_ms: u64,
}

impl DatabaseSettings {
    /// The same, without limits on statements, locks and idle transactions: for migrations and
    /// the operator's commands, which may rightly run longer than a person's request. Connects
    /// stay bounded.
    pub fn without_limits(&self) -> DatabaseSettings {
        DatabaseSettings {
            statement_timeout_ms: 0,
            lock_timeout_ms: 0,
            idle_in_transaction_timeout_ms: 0,
            ..self.clone()
        }
    }
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// The filter used when `RUST_LOG` is not set.
    pub level: String,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// The highest classification this installation is approved to hold (Security Act § 13).
    pub max_classification: String,
    /// `false` drops `Secure` and the `__Host-` prefix from the session cookie: plain-HTTP local use only.
    pub cookie_secure: bool,
    pub session_idle_minutes: u32,
    pub session_absolute_hours: u32,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub first_admin_link_hours: u32,
    pub lockout_account_threshold: u32,
    pub lockout_address_threshold: u32,
    pub lockout_base_seconds: u32,
    pub lockout_max_seconds: u32,
    pub lockout_window_minutes: u32,
    /// Addresses of reverse proxies / load balancers whose `X-Forwarded-For` is believed,
    /// comma-separated. Empty: the connection's own address is the client's.
    pub trusted_proxies: String,
}

/// A setting that failed its rule; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {key}: {message}")]
pub struct SettingError {
    pub key: String,
    pub message: String,
}

fn invalid(key: &str, message: impl Into<String>) -> SettingError {
    SettingError {
        key: key.to_owned(),
        message: message.into(),
    }
}

/// With SMTP, a worker's lease must outlast the batch it claims, or another worker takes the
/// batch over while it is still being sent (and sends it again). A batch goes out over
/// `pool_size` connections at once, so each connection sends ceil(batch_size / pool_size) mails
/// one after another, each allowed `timeout_seconds` by the relay; the margin is one timeout more,
/// for opening a connection to the relay (connect, greeting, EHLO, STARTTLS, AUTH) before the
/// first send. The worker still stops starting sends that could outlast the lease (a send waits
/// for several answers, each with its own timeout); this rule makes that the exception.
fn lease_covers_a_batch(w: &WorkerSettings, smtp: &SmtpSettings) -> Result<(), SettingError> {
    let rounds = u64::from(w.batch_size.div_ceil(smtp.pool_size.max(1)));
    let needed = (rounds + 1) * smtp.timeout_seconds;
    let lease = u64::from(w.lease_seconds);
    if lease >= needed {
        return Ok(());
    }
    let fits = (lease / smtp.timeout_seconds.max(1)).saturating_sub(1) * u64::from(smtp.pool_size);
    let smaller_batch = if fits >= 1 {
        format!(", or lower worker.batch_size to at most {fits}")
    } else {
        String::new()
    };
    Err(invalid(
        "worker.lease_seconds",
        format!(
            "is {lease} s, shorter than a batch may take: worker.batch_size {batch} over \
             mail.smtp.pool_size {pool} connections is {rounds} mails one after another on each, \
             each allowed mail.smtp.timeout_seconds {timeout} s, plus one timeout to open a \
             connection: ({rounds} + 1) × {timeout} = {needed} s. Raise worker.lease_seconds to \
             at least {needed}{smaller_batch}",
            batch = w.batch_size,
            pool = smtp.pool_size,
            timeout = smtp.timeout_seconds,
        ),
    ))
}

/// Which database engine a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseBackend {
    Postgres,
    Sqlite,
}

impl DatabaseSettings {
    pub fn backend(&self) -> DatabaseBackend {
        backend_of(self.url.expose_secret())
    }

    /// The SQLite file path, for SQLite URLs.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        sqlite_path_of(self.url.expose_secret())
    }
}

pub fn backend_of(url: &str) -> DatabaseBackend {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        DatabaseBackend::Postgres
    } else {
        DatabaseBackend::Sqlite
    }
}

pub fn sqlite_path_of(url: &str) -> Option<PathBuf> {
    match backend_of(url) {
        DatabaseBackend::Postgres => None,
        DatabaseBackend::Sqlite => {
            Some(PathBuf::from(url.strip_prefix("sqlite://").unwrap_or(url)))
        }
    }
}

impl Settings {
    /// Reads settings from `dir` (normally `./config`), the file named by `APP_ENVIRONMENT` and
    /// the `APP__…` variables, and checks them.
    pub fn load(dir: &Path) -> Result<Settings, anyhow::Error> {
        Self::load_for(dir, std::env::var("APP_ENVIRONMENT").ok())
    }

    /// As `load`, with the environment's name given rather than read from `APP_ENVIRONMENT`.
    pub fn load_for(dir: &Path, environment: Option<String>) -> Result<Settings, anyhow::Error> {
        let default = dir.join("default.toml");
        if !default.exists() {
            return Err(anyhow::anyhow!(
                "cannot read settings: {} does not exist (use --config DIR to name the settings folder)",
                default.display()
            ));
        }
        let mut builder = config::Config::builder()
            .add_source(config::File::from(default).format(config::FileFormat::Toml));
        let mut environment_name = None;
        if let Some(environment) = environment {
            let environment = environment.trim().to_lowercase();
            environment_name = Some(environment.clone());
            if environment.is_empty()
                || !environment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(
                    invalid("APP_ENVIRONMENT", "must be a plain name such as production").into(),
                );
            }
            let file = dir.join(format!("{environment}.toml"));
            if !file.exists() {
                return Err(invalid(
                    "APP_ENVIRONMENT",
                    format!(
                        "no settings file {} for environment {environment:?}",
                        file.display()
                    ),
                )
                .into());
            }
            builder = builder.add_source(config::File::from(file).format(config::FileFormat::Toml));
        }
        let raw = builder
            .add_source(
                config::Environment::with_prefix("APP")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()
            .map_err(|e| anyhow::anyhow!("cannot read settings: {e}"))?;
        let settings: Settings = raw
            .try_deserialize()
            .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
        let mut settings = settings;
        settings.environment = environment_name;
        settings.validate()?;
        if settings.is_production()
            && !crate::auth::keys::given_in_settings(&settings.keys)
            && !Path::new(&settings.keys.file).is_file()
        {
            let e = crate::auth::keys::missing_in_production();
            return Err(invalid(e.key, e.message).into());
        }
        Ok(settings)
    }

    /// Checks each setting against its rule, naming the first key that breaks one.
    pub fn validate(&self) -> Result<(), SettingError> {
        let url = Url::parse(&self.public_url)
            .map_err(|e| invalid("public_url", format!("must be an absolute URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(invalid(
                "public_url",
                "must be an http:// or https:// URL with a host",
            ));
        }
        self.server_bind()?;
        if self.server.max_body_bytes < 1024 {
            return Err(invalid("server.max_body_bytes", "must be at least 1024"));
        }
        let db_url = self.database.url.expose_secret();
        if db_url.trim().is_empty() {
            return Err(invalid("database.url", "must not be empty"));
        }
        if self.database.backend() == DatabaseBackend::Postgres {
            Url::parse(db_url).map_err(|e| {
                invalid(
                    "database.url",
                    format!("is not a valid PostgreSQL URL: {e}"),
                )
            })?;
        }
        if self.database.pool_size == 0 || self.database.pool_size > 200 {
            return Err(invalid("database.pool_size", "must be between 1 and 200"));
        }
        if self.database.connect_timeout_seconds == 0 {
            return Err(invalid(
                "database.connect_timeout_seconds",
                "must be at least 1",
            ));
        }
        self.check_timeouts()?;
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .map_err(|e| invalid("log.level", format!("is not a valid filter: {e}")))?;
        self.max_classification()?;
        let s = &self.security;
        if s.session_idle_minutes == 0 || s.session_idle_minutes > 24 * 60 {
            return Err(invalid(
                "security.session_idle_minutes",
                "must be between 1 and 1440",
            ));
        }
        if s.session_absolute_hours == 0 || s.session_absolute_hours > 24 * 7 {
            return Err(invalid(
                "security.session_absolute_hours",
                "must be between 1 and 168",
            ));
        }
        if s.argon2_memory_kib < 8 * s.argon2_parallelism.max(1) {
            return Err(invalid(
                "security.argon2_memory_kib",
                "must be at least 8 × argon2_parallelism",
            ));
        }
        if s.argon2_iterations == 0 {
            return Err(invalid("security.argon2_iterations", "must be at least 1"));
        }
        if s.argon2_parallelism == 0 || s.argon2_parallelism > 16 {
            return Err(invalid(
                "security.argon2_parallelism",
                "must be between 1 and 16",
            ));
        }
        if s.first_admin_link_hours == 0 || s.first_admin_link_hours > 72 {
            return Err(invalid(
                "security.first_admin_link_hours",
                "must be between 1 and 72",
            ));
        }
        if s.lockout_account_threshold == 0 || s.lockout_account_threshold > 100 {
            return Err(invalid(
                "security.lockout_account_threshold",
                "must be between 1 and 100",
            ));
        }
        if s.lockout_address_threshold < s.lockout_account_threshold
            || s.lockout_address_threshold > 10_000
        {
            return Err(invalid(
                "security.lockout_address_threshold",
                "must be at least lockout_account_threshold and at most 10000",
            ));
        }
        if s.lockout_base_seconds == 0 || s.lockout_max_seconds < s.lockout_base_seconds {
            return Err(invalid(
                "security.lockout_base_seconds",
                "must be at least 1 and at most lockout_max_seconds",
            ));
        }
        if s.lockout_max_seconds > 3600 {
            return Err(invalid(
                "security.lockout_max_seconds",
                "must be at most 3600 (nobody may be kept out for long)",
            ));
        }
        let m = &self.mail;
        if m.transport == MailTransport::File && m.file_dir.trim().is_empty() {
            return Err(invalid(
                "mail.file_dir",
                "must name a folder when mail.transport is file",
            ));
        }
        if m.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "mail.from",
                "must be an address such as Protection portal <no-reply@portal.example.no>",
            ));
        }
        if !m.reply_to.trim().is_empty() && m.reply_to.parse::<lettre::message::Mailbox>().is_err()
        {
            return Err(invalid(
                "mail.reply_to",
                "must be an e-mail address, or empty",
            ));
        }
        if m.transport == MailTransport::Smtp && m.smtp.host.trim().is_empty() {
            return Err(invalid(
                "mail.smtp.host",
                "is required when mail.transport is smtp",
            ));
        }
        if m.smtp.port == 0 {
            return Err(invalid("mail.smtp.port", "must be a port number"));
        }
        if m.smtp.timeout_seconds == 0 {
            return Err(invalid("mail.smtp.timeout_seconds", "must be at least 1"));
        }
        if m.smtp.pool_size == 0 {
            return Err(invalid("mail.smtp.pool_size", "must be at least 1"));
        }
        if self.contact.urgent_phone.trim().is_empty() {
            return Err(invalid(
                "contact.urgent_phone",
                "must be a telephone number missions can call",
            ));
        }
        if !self.contact.accessibility_email.contains('@') {
            return Err(invalid(
                "contact.accessibility_email",
                "must be an e-mail address",
            ));
        }
        let a = &self.attachments;
        if a.max_bytes < 1024 || a.max_bytes > 100 * 1024 * 1024 {
            return Err(invalid(
                "attachments.max_bytes",
                "must be between 1024 and 104857600 (100 MiB)",
            ));
        }
        if a.max_per_request == 0 || a.max_per_request > 200 {
            return Err(invalid(
                "attachments.max_per_request",
                "must be between 1 and 200",
            ));
        }
        if a.upload_timeout_seconds < self.server.request_timeout_seconds
            || a.upload_timeout_seconds > 3600
        {
            return Err(invalid(
                "attachments.upload_timeout_seconds",
                "must be at least server.request_timeout_seconds and at most 3600",
            ));
        }
        if self.review.interval_days == 0
            || self.review.interval_days > crate::domain::review::MAX_INTERVAL_DAYS
        {
            return Err(invalid("review.interval_days", "must be between 1 and 366"));
        }
        let d = &self.deadlines;
        for (field, days) in [
            (
                "deadlines.minimum_notice_working_days",
                d.minimum_notice_working_days,
            ),
            (
                "deadlines.triage_after_submission_working_days",
                d.triage_after_submission_working_days,
            ),
            (
                "deadlines.triage_before_police_decision_working_days",
                d.triage_before_police_decision_working_days,
            ),
            (
                "deadlines.police_decision_before_needed_working_days",
                d.police_decision_before_needed_working_days,
            ),
            (
                "deadlines.pst_after_referral_working_days",
                d.pst_after_referral_working_days,
            ),
            (
                "deadlines.pst_before_police_decision_working_days",
                d.pst_before_police_decision_working_days,
            ),
            (
                "deadlines.reply_after_decision_working_days",
                d.reply_after_decision_working_days,
            ),
            (
                "deadlines.reply_before_needed_working_days",
                d.reply_before_needed_working_days,
            ),
        ] {
            if days > 60 {
                return Err(invalid(field, "must be at most 60 working days"));
            }
        }
        if self.api.requests_per_minute == 0 {
            return Err(invalid("api.requests_per_minute", "must be at least 1"));
        }
        let w = &self.worker;
        if w.batch_size == 0 || w.batch_size > 1000 {
            return Err(invalid("worker.batch_size", "must be between 1 and 1000"));
        }
        if w.poll_interval_ms == 0 {
            return Err(invalid("worker.poll_interval_ms", "must be at least 1"));
        }
        if w.lease_seconds == 0 {
            return Err(invalid("worker.lease_seconds", "must be at least 1"));
        }
        if w.retry_first_delay_seconds == 0
            || w.retry_max_delay_seconds < w.retry_first_delay_seconds
        {
            return Err(invalid(
                "worker.retry_first_delay_seconds",
                "must be at least 1 and at most retry_max_delay_seconds",
            ));
        }
        if w.max_attempts == 0 {
            return Err(invalid("worker.max_attempts", "must be at least 1"));
        }
        if w.relay_probe_seconds == 0 {
            return Err(invalid("worker.relay_probe_seconds", "must be at least 1"));
        }
        if m.transport == MailTransport::Smtp {
            lease_covers_a_batch(w, &m.smtp)?;
        }
        let j = &self.scheduler;
        if j.interval_seconds == 0 || j.interval_seconds > 3600 {
            return Err(invalid(
                "scheduler.interval_seconds",
                "must be between 1 and 3600",
            ));
        }
        if j.batch_size == 0 || j.batch_size > 10_000 {
            return Err(invalid(
                "scheduler.batch_size",
                "must be between 1 and 10000",
            ));
        }
        if j.pause_ms > 10_000 {
            return Err(invalid("scheduler.pause_ms", "must be at most 10000"));
        }
        // A step must not give way for longer than a person's request may take.
        if j.yield_ms >= self.server.request_timeout_seconds.saturating_mul(1000) {
            return Err(invalid(
                "scheduler.yield_ms",
                "must be shorter than server.request_timeout_seconds",
            ));
        }
        for part in s
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            if part.parse::<std::net::IpAddr>().is_err() {
                return Err(invalid(
                    "security.trusted_proxies",
                    format!("{part:?} is not an IP address"),
                ));
            }
        }
        crate::auth::keys::check_settings(&self.keys).map_err(|e| invalid(e.key, e.message))?;
        if s.lockout_window_minutes == 0 {
            return Err(invalid(
                "security.lockout_window_minutes",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// The waits must nest: a lock wait ends before the statement's limit, and both before the
    /// request's deadline, so that the database's own, precise error is what ends a request.
    fn check_timeouts(&self) -> Result<(), SettingError> {
        let d = &self.database;
        let deadline_ms = self.server.request_timeout_seconds.saturating_mul(1000);
        if self.server.request_timeout_seconds == 0 || self.server.request_timeout_seconds > 600 {
            return Err(invalid(
                "server.request_timeout_seconds",
                "must be between 1 and 600",
            ));
        }
        if d.lock_timeout_ms == 0 || d.lock_timeout_ms >= deadline_ms {
            return Err(invalid(
                "database.lock_timeout_ms",
                format!(
                    "must be at least 1 and shorter than the request deadline ({deadline_ms} ms, server.request_timeout_seconds)"
                ),
            ));
        }
        if d.statement_timeout_ms != 0
            && (d.statement_timeout_ms < d.lock_timeout_ms || d.statement_timeout_ms >= deadline_ms)
        {
            return Err(invalid(
                "database.statement_timeout_ms",
                format!(
                    "must be 0 (no limit), or at least database.lock_timeout_ms and shorter than the request deadline ({deadline_ms} ms)"
                ),
            ));
        }
        // A writer may wait twice: for this process's writer queue, then for SQLite's lock.
        if d.sqlite_busy_timeout_ms == 0
            || d.sqlite_busy_timeout_ms.saturating_mul(2) >= deadline_ms
        {
            return Err(invalid(
                "database.sqlite_busy_timeout_ms",
                format!(
                    "must be at least 1 and shorter than half the request deadline ({deadline_ms} ms, server.request_timeout_seconds)"
                ),
            ));
        }
        // PostgreSQL takes these as 32-bit milliseconds.
        for (key, value) in [
            (
                "database.idle_in_transaction_timeout_ms",
                d.idle_in_transaction_timeout_ms,
            ),
            ("database.tcp_user_timeout_ms", d.tcp_user_timeout_ms),
            (
                "database.tcp_keepalive_idle_seconds",
                d.tcp_keepalive_idle_seconds,
            ),
        ] {
            if value > i32::MAX as u64 {
                return Err(invalid(key, format!("must be at most {}", i32::MAX)));
            }
        }
        if d.idle_in_transaction_timeout_ms == 0 {
            return Err(invalid(
                "database.idle_in_transaction_timeout_ms",
                "must be at least 1",
            ));
        }
        if d.tcp_keepalive_idle_seconds == 0 || d.tcp_user_timeout_ms == 0 {
            return Err(invalid(
                if d.tcp_keepalive_idle_seconds == 0 {
                    "database.tcp_keepalive_idle_seconds"
                } else {
                    "database.tcp_user_timeout_ms"
                },
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// The same settings for an operator's command: no statement, lock or idle-in-transaction
    /// limit (a command may rightly run longer than a request); connects stay bounded.
    pub fn for_maintenance(mut self) -> Settings {
        self.database = self.database.without_limits();
        self
    }

    /// The classification ceiling as the running portal uses it (the setting is checked at
    /// start-up; `restricted`, the lowest, should it ever not parse).
    pub fn ceiling(&self) -> Classification {
        self.max_classification()
            .unwrap_or(Classification::Restricted)
    }

    /// The request deadline.
    pub fn request_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.server.request_timeout_seconds)
    }

    /// Whether these settings were read for `APP_ENVIRONMENT=production`.
    pub fn is_production(&self) -> bool {
        self.environment.as_deref() == Some("production")
    }

    /// The trusted proxies' addresses.
    pub fn trusted_proxies(&self) -> Vec<std::net::IpAddr> {
        self.security
            .trusted_proxies
            .split(',')
            .filter_map(|p| p.trim().parse().ok())
            .collect()
    }

    /// The sign-in throttling rules these settings make.
    pub fn throttle_policy(&self) -> crate::domain::throttle::ThrottlePolicy {
        let s = &self.security;
        crate::domain::throttle::ThrottlePolicy {
            account_threshold: s.lockout_account_threshold as i32,
            address_threshold: s.lockout_address_threshold as i32,
            base_lock: chrono::Duration::seconds(i64::from(s.lockout_base_seconds)),
            max_lock: chrono::Duration::seconds(i64::from(s.lockout_max_seconds)),
            window: chrono::Duration::minutes(i64::from(s.lockout_window_minutes)),
        }
    }

    pub fn server_bind(&self) -> Result<SocketAddr, SettingError> {
        self.server.bind.parse().map_err(|_| {
            invalid(
                "server.bind",
                "must be an address and port such as 127.0.0.1:8080",
            )
        })
    }

    pub fn max_classification(&self) -> Result<Classification, SettingError> {
        self.security
            .max_classification
            .parse()
            .map_err(|e| invalid("security.max_classification", e))
    }

    /// `public_url` without a trailing slash, for building links.
    pub fn public_base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// Whether `public_url` is plain HTTP on this machine (127.0.0.1, ::1 or localhost).
    pub fn is_plain_http_loopback(&self) -> bool {
        Url::parse(&self.public_url).is_ok_and(|u| {
            u.scheme() == "http"
                && matches!(
                    u.host_str(),
                    Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
                )
        })
    }

    pub fn public_url_is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_by_url() {
        assert_eq!(backend_of("postgres://u@h/db"), DatabaseBackend::Postgres);
        assert_eq!(backend_of("postgresql://u@h/db"), DatabaseBackend::Postgres);
        assert_eq!(backend_of("data/portal.db"), DatabaseBackend::Sqlite);
        assert_eq!(
            sqlite_path_of("sqlite://data/portal.db"),
            Some(PathBuf::from("data/portal.db"))
        );
        assert_eq!(sqlite_path_of("postgres://h/db"), None);
    }

    #[test]
    fn waits_that_do_not_nest_are_refused_naming_the_key() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let mut s = Settings::load_for(&dir, Some("test".into())).unwrap();
        assert!(s.validate().is_ok(), "the shipped settings nest");
        s.database.lock_timeout_ms = 10_000;
        assert_eq!(s.validate().unwrap_err().key, "database.lock_timeout_ms");
        s.database.lock_timeout_ms = 2000;
        s.database.statement_timeout_ms = 1000;
        assert_eq!(
            s.validate().unwrap_err().key,
            "database.statement_timeout_ms"
        );
        s.database.statement_timeout_ms = 0;
        assert!(s.validate().is_ok(), "0 is no statement limit");
        s.database.sqlite_busy_timeout_ms = 10_000;
        assert_eq!(
            s.validate().unwrap_err().key,
            "database.sqlite_busy_timeout_ms"
        );
        s.database.sqlite_busy_timeout_ms = 4000;
        s.server.request_timeout_seconds = 0;
        assert_eq!(
            s.validate().unwrap_err().key,
            "server.request_timeout_seconds"
        );
    }

    #[test]
    fn database_url_never_prints() {
        let s = DatabaseSettings {
            url: SecretString::from("postgres://portal:hunter2hunter2@db/portal"),
            pool_size: 1,
            connect_timeout_seconds: 1,
            sqlite_busy_timeout_ms: 1,
            statement_timeout_ms: 1,
            lock_timeout_ms: 1,
            idle_in_transaction_timeout_ms: 1,
            tcp_keepalive_idle_seconds: 1,
            tcp_user_timeout_ms: 1,
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    fn worker(batch_size: u32, lease_seconds: u32) -> WorkerSettings {
        WorkerSettings {
            embedded: false,
            poll_interval_ms: 1000,
            batch_size,
            lease_seconds,
            relay_probe_seconds: 30,
            retry_first_delay_seconds: 30,
            retry_max_delay_seconds: 3600,
            max_attempts: 10,
        }
    }

    fn smtp(pool_size: u32, timeout_seconds: u64) -> SmtpSettings {
        SmtpSettings {
            host: "relay.example".into(),
            port: 25,
            tls: SmtpTls::None,
            username: String::new(),
            password: SecretString::from(""),
            timeout_seconds,
            pool_size,
        }
    }

    #[test]
    fn a_lease_must_cover_a_batch_over_the_relay() {
        // 200 over 16 connections: 13 mails each, 10 s apiece, plus 10 s to connect.
        let e = lease_covers_a_batch(&worker(200, 60), &smtp(16, 10)).unwrap_err();
        assert_eq!(e.key, "worker.lease_seconds");
        assert!(e.message.contains("is 60 s"), "{}", e.message);
        assert!(e.message.contains("(13 + 1) × 10 = 140 s"), "{}", e.message);
        assert!(e.message.contains("at least 140"), "{}", e.message);
        assert!(
            e.message.contains("batch_size to at most 80"),
            "{}",
            e.message
        );
        assert!(lease_covers_a_batch(&worker(200, 140), &smtp(16, 10)).is_ok());
        assert!(lease_covers_a_batch(&worker(80, 60), &smtp(16, 10)).is_ok());
        assert!(lease_covers_a_batch(&worker(81, 60), &smtp(16, 10)).is_err());
        // A lease shorter than two timeouts fits no batch at all: only the lease is named.
        let e = lease_covers_a_batch(&worker(1, 15), &smtp(16, 10)).unwrap_err();
        assert!(e.message.contains("at least 20"), "{}", e.message);
        assert!(!e.message.contains("batch_size to"), "{}", e.message);
    }
}
