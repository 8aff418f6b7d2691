//! Creating user accounts (operator work).

use chrono::NaiveDateTime;
use secrecy::SecretString;

use crate::app::AppError;
use crate::auth::password::{self, HashCost};
use crate::db::users::{self, NewUser, UserRow};
use crate::db::{self, DbConnection, missions};
use crate::domain::{Clearance, Email, FieldError, PersonName, Role};

/// An account as typed by an administrator, before checking.
#[derive(Debug, Clone)]
pub struct UserInput {
    pub email: String,
    pub name: String,
    pub role: String,
    pub mission_id: Option<String>,
    pub clearance: Option<String>,
}

/// A checked account: every field valid and consistent with the role.
struct ValidUser {
    email: Email,
    name: PersonName,
    role: Role,
    mission_id: Option<String>,
    clearance: Clearance,
}

fn validate(input: &UserInput) -> Result<ValidUser, AppError> {
    let mut errors = Vec::new();
    let email = Email::parse("email", &input.email)
        .map_err(|e| errors.push(e))
        .ok();
    let name = PersonName::parse("name", &input.name)
        .map_err(|e| errors.push(e))
        .ok();
    let role = input
        .role
        .parse::<Role>()
        .map_err(|e| errors.push(FieldError::new("role", e)))
        .ok();
    let clearance = match input.clearance.as_deref().map(str::trim) {
        None | Some("") => Some(Clearance::None),
        Some(c) => c
            .parse::<Clearance>()
            .map_err(|e| errors.push(FieldError::new("clearance", e)))
            .ok(),
    };
    let mission_id = input
        .mission_id
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    if let (Some(role), Some(clearance)) = (role, clearance) {
        match (role.belongs_to_mission(), &mission_id) {
            (true, None) => {
                errors.push(FieldError::new("mission", "is required for mission staff"))
            }
            (false, Some(_)) => errors.push(FieldError::new(
                "mission",
                "only mission staff belong to a mission",
            )),
            _ => {}
        }
        if !role.is_authority() && clearance != Clearance::None {
            errors.push(FieldError::new(
                "clearance",
                "only MFA, police and PST staff hold a security clearance",
            ));
        }
    }
    match (email, name, role, clearance) {
        (Some(email), Some(name), Some(role), Some(clearance)) if errors.is_empty() => {
            Ok(ValidUser {
                email,
                name,
                role,
                mission_id,
                clearance,
            })
        }
        _ => Err(AppError::Invalid(errors)),
    }
}

/// Creates an account with a password (command line, demo, first administrator).
/// The password is checked and hashed here; hashing is CPU-heavy, so callers run this off the
/// async threads (it is called inside `db::run`).
pub fn create_user_with_password(
    conn: &mut DbConnection,
    input: &UserInput,
    password: &SecretString,
    cost: HashCost,
    now: NaiveDateTime,
) -> Result<UserRow, AppError> {
    let prepared = prepare_with_password(input, password, cost)?;
    insert_prepared(conn, &prepared, now)
}

/// An account checked and with its password hashed, ready to store. Hashing happens before any
/// transaction begins, so no write lock is held while Argon2 works.
pub struct PreparedUser {
    user: ValidUser,
    password_hash: Option<String>,
}

impl PreparedUser {
    /// Points a prepared mission staff account at a mission created in the same transaction.
    pub fn for_mission(mut self, mission_id: &str) -> Self {
        if self.user.role.belongs_to_mission() {
            self.user.mission_id = Some(mission_id.to_owned());
        }
        self
    }
}

pub fn prepare_with_password(
    input: &UserInput,
    password: &SecretString,
    cost: HashCost,
) -> Result<PreparedUser, AppError> {
    let user = validate(input);
    let pw = password::check_new_password("password", password, &input.name, &input.email);
    let user = match (user, pw) {
        (Ok(user), Ok(())) => user,
        (Ok(_), Err(e)) => return Err(AppError::Invalid(vec![e])),
        (Err(AppError::Invalid(mut errors)), pw) => {
            errors.extend(pw.err());
            return Err(AppError::Invalid(errors));
        }
        (Err(other), _) => return Err(other),
    };
    let hash = password::hash(password, cost);
    Ok(PreparedUser {
        user,
        password_hash: Some(hash),
    })
}

pub fn insert_prepared(
    conn: &mut DbConnection,
    prepared: &PreparedUser,
    now: NaiveDateTime,
) -> Result<UserRow, AppError> {
    let user = &prepared.user;
    let password_hash = prepared.password_hash.as_deref();
    let id = db::new_id();
    db::write(conn, |conn| {
        if let Some(mission_id) = &user.mission_id {
            match missions::find(conn, mission_id)? {
                Some(m) if m.active => {}
                Some(_) => {
                    return Err(FieldError::new("mission", "this mission is deactivated").into());
                }
                None => return Err(FieldError::new("mission", "no mission has this id").into()),
            }
        }
        if users::find_by_email(conn, user.email.as_str())?.is_some() {
            return Err(FieldError::new(
                "email",
                "an account with this e-mail address already exists",
            )
            .into());
        }
        users::insert(
            conn,
            &NewUser {
                id: &id,
                email: user.email.as_str(),
                name: user.name.as_str(),
                role: user.role.code(),
                mission_id: user.mission_id.as_deref(),
                clearance: user.clearance.code(),
                password_hash,
                password_changed_at: password_hash.map(|_| now),
                active: true,
                created_at: now,
                updated_at: now,
            },
        )?;
        users::find(conn, &id)?.ok_or(AppError::NotFound)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(role: &str, mission: Option<&str>, clearance: Option<&str>) -> UserInput {
        UserInput {
            email: "kari@example.org".into(),
            name: "Kari Nordmann".into(),
            role: role.into(),
            mission_id: mission.map(Into::into),
            clearance: clearance.map(Into::into),
        }
    }

    fn fields(r: Result<ValidUser, AppError>) -> Vec<&'static str> {
        match r {
            Err(AppError::Invalid(e)) => e.iter().map(|e| e.field).collect(),
            Err(other) => panic!("unexpected {other}"),
            Ok(_) => vec![],
        }
    }

    #[test]
    fn mission_staff_need_a_mission_and_no_one_else_has_one() {
        assert_eq!(
            fields(validate(&input("mission_staff", None, None))),
            ["mission"]
        );
        assert!(fields(validate(&input("mission_staff", Some("m1"), None))).is_empty());
        assert_eq!(
            fields(validate(&input("mfa_officer", Some("m1"), Some("secret")))),
            ["mission"]
        );
        assert_eq!(
            fields(validate(&input("admin", Some(" "), None))),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn only_authorities_hold_clearance() {
        assert_eq!(
            fields(validate(&input("mission_staff", Some("m"), Some("secret")))),
            ["clearance"]
        );
        assert_eq!(
            fields(validate(&input("admin", None, Some("restricted")))),
            ["clearance"]
        );
        assert!(fields(validate(&input("pst_analyst", None, Some("top_secret")))).is_empty());
        assert_eq!(
            fields(validate(&input("pst_analyst", None, Some("cosmic")))),
            ["clearance"]
        );
    }
}
