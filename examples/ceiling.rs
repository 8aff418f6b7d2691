//! The machine's ceiling for the benchmarks (`bench/run`): a minimal actix-web server whose one
//! handler runs one indexed diesel query — a request by its primary key, through the portal's
//! own pool and `db::run` — and renders one maud row. Every portal figure is reported as a
//! ratio to this one, measured in the same run.
//!
//! `cargo run --release --example ceiling -- ADDR REQUEST_ID`, with the portal's settings
//! (`APP__DATABASE__URL`, …) in the environment.

use actix_web::{App, HttpResponse, HttpServer, web};
use maud::html;
use protection_portal::db::{self, Pool};
use protection_portal::settings::Settings;

async fn row(pool: web::Data<Pool>, id: web::Data<String>) -> HttpResponse {
    let id = id.get_ref().clone();
    let found = db::run(pool.get_ref(), move |conn| db::requests::find(conn, &id)).await;
    match found {
        Ok(Some(r)) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(
                html! { tr { td { (r.reference.unwrap_or_default()) } td { (r.title) } td { (r.state) } } }
                    .into_string(),
            ),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:8090".into());
    let id = args.next().expect("the id of a request to read");
    let settings = Settings::load(std::path::Path::new("config"))?;
    let pool = db::build_pool(&settings.database)?;
    let workers = settings.server.workers;
    let (pool, id) = (web::Data::new(pool), web::Data::new(id));
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(pool.clone())
            .app_data(id.clone())
            .route("/ceiling", web::get().to(row))
    })
    .bind(bind)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    server.run().await?;
    Ok(())
}
