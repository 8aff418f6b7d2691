//! The one place where the portal is wired together: settings, pool, migrations, routes,
//! middleware and the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::app::{self, demo, setup};
use crate::auth::password::HashCost;
use crate::auth::secret;
use crate::db::{self, Pool};
use crate::settings::Settings;
use crate::web::session_store::DbSessionStore;
use crate::web::{AppState, csrf, frame, routes};

/// A database ready to serve: connected and migrated, with the installation's shared secrets.
pub struct Prepared {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    /// Signs session cookies; shared by every instance through the database.
    pub cookie_key: Key,
}

/// Connects to the database and applies pending migrations.
pub async fn prepare(settings: Settings) -> anyhow::Result<Prepared> {
    let database = settings.database.clone();
    let ceiling = settings.max_classification()?;
    crate::auth::keys::install(crate::auth::keys::load(
        &settings.keys,
        !settings.is_production(),
    )?);
    let unkeyed_through = settings.keys.log_unkeyed_through;
    let (pool, key) = tokio::task::spawn_blocking(move || -> anyhow::Result<(Pool, String)> {
        let pool = db::build_pool(&database)?;
        // Migrations and the start-up checks may rightly take longer than a person's request:
        // they run on a connection of their own, without the statement and lock limits.
        let mut conn = db::open_unbounded(&database)?;
        let applied = db::migrate(&mut conn)?;
        for version in applied {
            tracing::info!(%version, "migration applied");
        }
        check_ceiling(&mut conn, &ceiling)?;
        if db::statistics::recount_if_asked(&mut conn)? {
            tracing::info!("statistics: the sums were made from the requests");
        }
        let closed = db::write(&mut conn, |conn| {
            crate::audit::seal_legacy_prefix(conn, unkeyed_through, app::now())
        })?;
        match closed {
            Ok(true) => tracing::warn!(
                unkeyed_through,
                "security log: the entries from before the keyed chain are now closed by a keyed entry"
            ),
            Ok(false) => {}
            Err(why) => return Err(anyhow::anyhow!(why)),
        }
        let sealed = app::keys::seal_clear_seeds(&mut conn, app::now())?;
        if sealed > 0 {
            tracing::warn!(sealed, "second-factor seeds stored in clear are now sealed");
        }
        let key = db::secrets::get_or_create(
            &mut conn,
            "session_cookie_key",
            || STANDARD.encode(secret::random_bytes::<64>()),
            app::now(),
        )?;
        Ok((pool, key))
    })
    .await??;
    let key_bytes = STANDARD
        .decode(key)
        .map_err(|e| anyhow::anyhow!("stored session cookie key is not base64: {e}"))?;
    let cookie_key = Key::try_from(key_bytes.as_slice())
        .map_err(|e| anyhow::anyhow!("stored session cookie key is unusable: {e}"))?;
    Ok(Prepared {
        pool,
        settings: Arc::new(settings),
        cookie_key,
    })
}

/// Refuses to start when the database holds anything classified above what this installation is
/// approved for (Security Act § 13): lowering the ceiling must not leave such items in reach.
fn check_ceiling(
    conn: &mut db::DbConnection,
    ceiling: &crate::domain::Classification,
) -> anyhow::Result<()> {
    let above: Vec<String> = db::requests::classifications_in_use(conn)?
        .into_iter()
        .filter(|c| {
            c.parse::<crate::domain::Classification>()
                .is_ok_and(|level| level > *ceiling)
        })
        .collect();
    if above.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "the database holds information classified {} but security.max_classification is {}: \
             move that information to an approved system, or correct the setting",
            above.join(", "),
            ceiling
        ))
    }
}

/// What `serve` prints once at start-up.
#[derive(Debug, Default)]
pub struct StartupNotes {
    pub first_admin_link: Option<String>,
    pub demo_accounts: Option<Vec<demo::DemoAccount>>,
}

/// First-run work: seeds the demo when asked, and on a database without accounts issues the
/// first-administrator link.
pub async fn first_run(prepared: &Prepared, seed_demo: bool) -> anyhow::Result<StartupNotes> {
    let settings = prepared.settings.clone();
    let cost = HashCost::from_settings(&settings.security);
    let notes = db::run(&prepared.pool, move |conn| {
        let demo_accounts = if seed_demo {
            demo::seed(conn, cost, &app::requests::Context::now_under(&settings))?
        } else {
            None
        };
        let first_admin_link = setup::issue_first_admin_link(
            conn,
            settings.public_base(),
            chrono::Duration::hours(i64::from(settings.security.first_admin_link_hours)),
            app::now(),
        )?;
        Ok::<_, app::AppError>(StartupNotes {
            first_admin_link,
            demo_accounts,
        })
    })
    .await?;
    Ok(notes)
}

/// The security log's head, written to the operator log once a minute when it moved (and at
/// start-up), so that a copy lives outside the database (SECURITY.md, "The security log").
pub async fn log_checkpoints(pool: Pool) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    let mut last_checkpoint: Option<i64> = None;
    loop {
        tick.tick().await;
        match db::query(&pool, crate::audit::head).await {
            Ok(Some((seq, hash))) if last_checkpoint != Some(seq) => {
                tracing::info!(target: crate::telemetry::CHECKPOINT_TARGET, seq, hash = %hash, "security log checkpoint");
                last_checkpoint = Some(seq);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reading the security log's head failed"),
        }
    }
}

/// The notification worker on a thread of its own, stopped (after the send under way) by
/// `stop_and_join`.
pub struct BackgroundWorker {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl BackgroundWorker {
    pub fn start(prepared: &Prepared) -> anyhow::Result<BackgroundWorker> {
        let mailer = Arc::new(crate::notify::mailer::Mailer::from_settings(
            &prepared.settings.mail,
        )?);
        let worker = crate::notify::worker::Worker::new(
            prepared.pool.clone(),
            mailer,
            prepared.settings.clone(),
        );
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("notification-worker".into())
            .spawn(move || worker.run(&flag))?;
        Ok(BackgroundWorker { stop, thread })
    }

    pub fn stop_and_join(self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = self.thread.join();
    }
}

/// The HTTP server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub fn build(prepared: &Prepared, listener: TcpListener) -> anyhow::Result<Application> {
        let port = listener.local_addr()?.port();
        let settings = prepared.settings.clone();
        let state = web::Data::new(AppState {
            pool: prepared.pool.clone(),
            hash_cost: HashCost::from_settings(&settings.security),
            trusted_proxies: settings.trusted_proxies(),
            probe: std::sync::Arc::new(crate::web::health::Probe::new(db::build_probe_pool(
                &settings.database,
            )?)),
            settings: settings.clone(),
        });
        let max_body = settings.server.max_body_bytes;
        let body_limits = crate::web::body_limits(max_body, settings.attachments.max_bytes);
        let store = DbSessionStore::new(
            prepared.pool.clone(),
            chrono::Duration::minutes(i64::from(settings.security.session_idle_minutes)),
        );
        let key = prepared.cookie_key.clone();
        let secure = settings.security.cookie_secure;
        // `__Host-` needs Secure; plain-HTTP local use (cookie_secure = false) drops both.
        let cookie_name = if secure {
            "__Host-portal_session"
        } else {
            "portal_session"
        };
        let docs = settings.api.docs_enabled;
        let idle = actix_web::cookie::time::Duration::minutes(i64::from(
            settings.security.session_idle_minutes,
        ));
        let mut server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(store.clone(), key.clone())
                .cookie_name(cookie_name.to_owned())
                .cookie_secure(secure)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Strict)
                .cookie_path("/".to_owned())
                .cookie_domain(None)
                .cookie_content_security(CookieContentSecurity::Signed)
                .session_lifecycle(
                    BrowserSession::default()
                        .state_ttl(idle)
                        .state_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
                )
                .build();
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(max_body))
                .app_data(body_limits.clone())
                .app_data(web::FormConfig::default().limit(max_body))
                .app_data(
                    web::JsonConfig::default()
                        .limit(max_body)
                        .error_handler(crate::web::api::json_error),
                )
                .app_data(web::QueryConfig::default().error_handler(crate::web::api::query_error))
                .configure(routes)
                .configure(|cfg| {
                    if docs {
                        cfg.service(
                            utoipa_swagger_ui::SwaggerUi::new(crate::web::DOCS_ROUTE.1)
                                .config(utoipa_swagger_ui::Config::from("/api/v1/openapi.json")),
                        );
                    }
                })
                .wrap(from_fn(crate::web::parameters::refuse_repeated))
                .wrap(from_fn(csrf::protect))
                .wrap(sessions)
                .wrap(from_fn(crate::web::deadline::limit))
                .wrap(from_fn(frame::frame))
        })
        .listen(listener)?
        .shutdown_timeout(settings.server.shutdown_timeout_seconds)
        .client_request_timeout(Duration::from_secs(10));
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        Ok(Application {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (gracefully, or at once with `graceful = false`).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (actix finishes in-flight requests first) or `handle().stop()`.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
