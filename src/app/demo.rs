//! Demonstration data for `serve --demo`: two missions, one account per role and three requests
//! (`demo_requests`), on an empty database only, with generated passwords that are shown once.

use secrecy::SecretString;

use crate::app::missions::{MissionInput, create_mission};
use crate::app::requests::Context;
use crate::app::users::{UserInput, insert_prepared, prepare_with_password};
use crate::app::{Acting, AppError};
use crate::auth::password::HashCost;
use crate::auth::secret;
use crate::db::{self, DbConnection, missions, users};

/// One demo sign-in, to print.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub email: String,
    pub password: String,
    pub role: String,
    pub mission: Option<String>,
}

/// (e-mail, name, role, index of the mission, clearance)
type DemoPerson = (
    &'static str,
    &'static str,
    &'static str,
    Option<usize>,
    Option<&'static str>,
);

/// Seeds the demo when the database holds no missions and no accounts; otherwise returns `None`
/// and changes nothing.
pub fn seed(
    conn: &mut DbConnection,
    cost: HashCost,
    ctx: &Context,
) -> Result<Option<Vec<DemoAccount>>, AppError> {
    let now = ctx.now;
    if missions::count(conn)? > 0 || users::count(conn)? > 0 {
        return Ok(None);
    }
    let people: [DemoPerson; 7] = [
        ("admin@portal.example", "Per Operatør", "admin", None, None),
        (
            "auditor@portal.example",
            "Kari Revisor",
            "auditor",
            None,
            None,
        ),
        (
            "staff@iceland-embassy.example",
            "Guðrún Jónsdóttir",
            "mission_staff",
            Some(0),
            None,
        ),
        (
            "staff@brazil-consulate.example",
            "João Silva",
            "mission_staff",
            Some(1),
            None,
        ),
        (
            "officer@mfa.example",
            "Ingrid Berg",
            "mfa_officer",
            None,
            Some("confidential"),
        ),
        (
            "liaison@police.example",
            "Ola Haugen",
            "police_liaison",
            None,
            Some("secret"),
        ),
        (
            "analyst@pst.example",
            "Nina Lund",
            "pst_analyst",
            None,
            Some("secret"),
        ),
    ];
    // Hash every password before the transaction, so no write lock is held while Argon2 works.
    let mut prepared = Vec::new();
    for (email, name, role, mission, clearance) in people {
        // A random password could happen to contain a piece of the name: draw again then.
        let password = loop {
            let candidate = secret::generate_password();
            let secret = SecretString::from(candidate.clone());
            if crate::auth::password::check_new_password("password", &secret, name, email).is_ok() {
                break candidate;
            }
        };
        let input = UserInput {
            email: email.into(),
            name: name.into(),
            role: role.into(),
            // Placeholder until the missions exist; replaced below.
            mission_id: mission.map(|i| i.to_string()),
            clearance: clearance.map(Into::into),
        };
        let user = prepare_with_password(&input, &SecretString::from(password.clone()), cost)?;
        prepared.push((user, email, role, password, mission));
    }
    let seeded = db::write(conn, |conn| {
        let created = [
            MissionInput {
                name: "Embassy of Iceland".into(),
                country: "IS".into(),
                kind: "embassy".into(),
            },
            MissionInput {
                name: "Consulate General of Brazil".into(),
                country: "BR".into(),
                kind: "consulate".into(),
            },
        ]
        .iter()
        .map(|m| create_mission(conn, &Acting::command_line(), m, now))
        .collect::<Result<Vec<_>, _>>()?;
        let mut accounts = Vec::new();
        let mut rows = Vec::new();
        for (user, email, role, password, mission) in prepared {
            let user = match mission {
                Some(i) => user.for_mission(&created[i].id),
                None => user,
            };
            rows.push(insert_prepared(conn, &Acting::command_line(), &user, now)?);
            accounts.push(DemoAccount {
                email: email.to_owned(),
                password,
                role: role.to_owned(),
                mission: mission.map(|i| created[i].name.clone()),
            });
        }
        Ok::<_, AppError>((accounts, rows))
    })?;
    let (accounts, rows) = seeded;
    crate::app::demo_requests::file_all(conn, &rows, ctx)?;
    Ok(Some(accounts))
}
