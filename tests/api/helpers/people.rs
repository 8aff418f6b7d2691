//! The people of a test: missions and accounts made directly in the database, the usual cast of
//! a request's journey, and what each person carries (second factor, API token, language).

use protection_portal::app::missions::{MissionInput, create_mission};
use protection_portal::app::users::{UserInput, create_user_with_password};
use protection_portal::app::{self, Acting, tokens};
use protection_portal::auth::password::HashCost;
use protection_portal::auth::totp;
use secrecy::SecretString;

use super::TestApp;

/// Someone with an account, as a test knows them.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub password: String,
    pub totp_secret: Option<String>,
    pub last_step: i64,
}

impl Person {
    /// A code for a time step not used before (waiting for the next step when needed).
    pub async fn next_code(&mut self) -> String {
        let secret = self.totp_secret.clone().expect("enrolled");
        loop {
            let now_step = chrono::Utc::now().timestamp() / 30;
            let step = (self.last_step + 1).max(now_step);
            if step <= now_step + 1 {
                self.last_step = step;
                return totp::code_at(&secret, (step * 30) as u64).unwrap();
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
}

/// The people of a journey: staff of two missions, and one officer of each authority.
pub struct Cast {
    pub mission_a: String,
    pub mission_b: String,
    /// Staff of mission A, whose requests the journeys are.
    pub a: Person,
    /// Staff of mission B, who must never see mission A's requests.
    pub b: Person,
    /// An MFA officer cleared for restricted.
    pub mfa: Person,
    /// A police liaison cleared for secret.
    pub police: Person,
    /// A PST analyst cleared for secret.
    pub pst: Person,
}

impl TestApp {
    pub async fn add_mission(&self, name: &str) -> String {
        let input = MissionInput {
            name: name.into(),
            country: "IS".into(),
            kind: "embassy".into(),
        };
        protection_portal::db::run(&self.pool, move |conn| {
            create_mission(conn, &Acting::command_line(), &input, app::now())
        })
        .await
        .expect("mission created")
        .id
    }

    pub async fn add_person(
        &self,
        role: &str,
        mission: Option<&str>,
        clearance: Option<&str>,
    ) -> Person {
        let n = uuid::Uuid::new_v4().simple().to_string();
        let email = format!("{role}.{}@example.org", &n[..8]);
        let password = format!("quite long passphrase {}", &n[..6]);
        let input = UserInput {
            email: email.clone(),
            // "n" + hex never occurs in the password (its hex follows a space), so the rule
            // against a password holding the person's name cannot refuse it by chance.
            name: format!("Test {role} n{}", &n[20..24]),
            role: role.into(),
            mission_id: mission.map(Into::into),
            clearance: clearance.map(Into::into),
        };
        let cost = HashCost::from_settings(&self.settings.security);
        let pw = SecretString::from(password.clone());
        let user = protection_portal::db::run(&self.pool, move |conn| {
            create_user_with_password(conn, &Acting::command_line(), &input, &pw, cost, app::now())
        })
        .await
        .expect("user created");
        Person {
            id: user.id,
            email,
            password,
            totp_secret: None,
            last_step: 0,
        }
    }

    /// Two missions (Iceland: A, Chile: B), staff of each, and one officer of each authority.
    pub async fn cast(&self) -> Cast {
        let mission_a = self.add_mission("Embassy of Iceland").await;
        let mission_b = self.add_mission("Embassy of Chile").await;
        Cast {
            a: self
                .add_person("mission_staff", Some(&mission_a), None)
                .await,
            b: self
                .add_person("mission_staff", Some(&mission_b), None)
                .await,
            mfa: self
                .add_person("mfa_officer", None, Some("restricted"))
                .await,
            police: self
                .add_person("police_liaison", None, Some("secret"))
                .await,
            pst: self.add_person("pst_analyst", None, Some("secret")).await,
            mission_a,
            mission_b,
        }
    }

    /// A new API token of `person`'s (as `protection-portal token create` makes one).
    pub async fn token_for(&self, person: &Person) -> String {
        let id = person.id.clone();
        protection_portal::db::run(&self.pool, move |conn| {
            tokens::create(conn, &Acting::command_line(), &id, "test", None, app::now())
        })
        .await
        .unwrap()
        .token
    }

    /// Sets the language `person` reads the portal and its e-mails in.
    pub async fn set_language(&self, person: &Person, lang: protection_portal::i18n::Lang) {
        let id = person.id.clone();
        protection_portal::db::run(&self.pool, move |conn| {
            protection_portal::app::account::set_language(
                conn,
                &id,
                lang.code(),
                protection_portal::app::now(),
            )
        })
        .await
        .expect("language set");
    }
}
