use protection_portal::app::missions::{MissionInput, create_mission};
use protection_portal::{app, db};

use crate::helpers::spawn_app;

/// Many writers at once: on SQLite each write transaction takes the lock up front (BEGIN
/// IMMEDIATE) and waits its turn, so none fails with "database is locked".
#[actix_web::test]
async fn concurrent_writers_all_succeed() {
    let app = spawn_app().await;
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let pool = app.pool.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                for i in 0..15 {
                    let input = MissionInput {
                        name: format!("Embassy number {t}-{i}"),
                        country: "IS".into(),
                        kind: "embassy".into(),
                    };
                    create_mission(&mut conn, &app::Acting::command_line(), &input, app::now())
                        .expect("write succeeds");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut conn = app.pool.get().unwrap();
    assert_eq!(db::missions::count(&mut conn).unwrap(), 60);
}

/// A failure inside a write transaction keeps nothing of it.
#[actix_web::test]
async fn a_failed_transaction_leaves_nothing_behind() {
    let app = spawn_app().await;
    let mut conn = app.pool.get().unwrap();
    let input = MissionInput {
        name: "Embassy of Chile".into(),
        country: "CL".into(),
        kind: "embassy".into(),
    };
    let outcome: Result<(), app::AppError> = db::write(&mut conn, |conn| {
        create_mission(conn, &app::Acting::command_line(), &input, app::now())?;
        Err(app::AppError::Conflict("stop after the insert".into()))
    });
    assert!(outcome.is_err());
    assert_eq!(db::missions::count(&mut conn).unwrap(), 0);
    assert!(
        db::missions::find_by_name(&mut conn, "Embassy of Chile")
            .unwrap()
            .is_none()
    );
}
