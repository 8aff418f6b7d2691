//! Application logging: tracing to standard error, as text or JSON, filtered by `RUST_LOG` or the
//! `log.level` setting.

use tracing_subscriber::EnvFilter;

use crate::settings::{LogFormat, LogSettings};

/// The target of the security log's checkpoint lines, which no log level turns off.
pub const CHECKPOINT_TARGET: &str = "security_log_checkpoint";

/// Installs the global subscriber. Calling it twice is harmless (the second call does nothing).
pub fn init(settings: &LogSettings) {
    // The security log's checkpoints are its anchor outside the database: written whatever
    // level the operator chose.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(&settings.level))
        .add_directive(
            format!("{CHECKPOINT_TARGET}=info")
                .parse()
                .expect("a fixed, valid directive"),
        );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
