use std::collections::BTreeSet;

use protection_portal::db;
use protection_portal::settings::DatabaseSettings;
use secrecy::SecretString;

use crate::helpers::{TestDb, crate_dir, test_settings};

fn folder_names(backend: &str) -> BTreeSet<String> {
    std::fs::read_dir(crate_dir().join("migrations").join(backend))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn sqlite_and_postgres_migrations_have_the_same_versions() {
    let sqlite = folder_names("sqlite");
    let postgres = folder_names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres differ"
    );
    for name in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let path = crate_dir()
                    .join("migrations")
                    .join(backend)
                    .join(name)
                    .join(file);
                assert!(path.is_file(), "{} is missing", path.display());
            }
        }
    }
}

fn settings_for(db: &TestDb) -> DatabaseSettings {
    let mut s = test_settings().database;
    s.url = SecretString::from(db.url().to_owned());
    s
}

#[test]
fn every_migration_reverts_and_reapplies() {
    let test_db = TestDb::empty();
    let pool = db::build_pool(&settings_for(&test_db)).unwrap();
    let mut conn = pool.get().unwrap();
    let applied = db::migrate(&mut conn).unwrap();
    assert_eq!(applied.len(), folder_names("sqlite").len());
    assert!(
        db::migrate(&mut conn).unwrap().is_empty(),
        "a second run applies nothing"
    );
    let reverted = db::revert_all(&mut conn).unwrap();
    assert_eq!(reverted.len(), applied.len());
    let reapplied = db::migrate(&mut conn).unwrap();
    assert_eq!(reapplied, applied);
    db::ping(&mut conn).unwrap();
}

#[test]
fn a_wrong_database_url_is_reported_in_the_databases_own_words() {
    let mut s = test_settings().database;
    s.url = SecretString::from("postgres://nobody@127.0.0.1:1/none".to_owned());
    let err = db::build_pool(&s).unwrap_err().to_string();
    assert!(
        err.contains("cannot connect to the PostgreSQL database"),
        "{err}"
    );
    assert!(
        !err.to_lowercase().contains("invalid connection url"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("occupied");
    std::fs::write(&file, "").unwrap();
    s.url = SecretString::from(file.join("portal.db").to_string_lossy().into_owned());
    let err = db::build_pool(&s).unwrap_err().to_string();
    assert!(err.contains("cannot create the database folder"), "{err}");
}
