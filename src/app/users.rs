//! Creating user accounts (operator work).

use chrono::NaiveDateTime;
use secrecy::SecretString;

use chrono::Duration;
use serde_json::json;

use crate::app::{Acting, AppError};
use crate::audit;
use crate::auth::password::{self, HashCost};
use crate::auth::secret;
use crate::db::accounts::{self, NewAccountToken};
use crate::db::users::{self, NewUser, UserRow};
use crate::db::{self, DbConnection, missions};
use crate::domain::{Clearance, Email, FieldError, PersonName, Role};
use crate::notify::{self, AccountMail};

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
            (true, None) => errors.push(FieldError::new(
                "mission",
                "Choose the mission the person works for",
            )),
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
    acting: &Acting,
    input: &UserInput,
    password: &SecretString,
    cost: HashCost,
    now: NaiveDateTime,
) -> Result<UserRow, AppError> {
    let prepared = prepare_with_password(input, password, cost)?;
    insert_prepared(conn, acting, &prepared, now)
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
    acting: &Acting,
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
        audit::record(
            conn,
            &acting.entry(
                "user_created",
                "user",
                &id,
                json!({
                    "role": user.role.code(),
                    "mission_id": user.mission_id,
                    "clearance": user.clearance.code(),
                    "with_password": password_hash.is_some(),
                }),
            ),
            now,
        )?;
        users::find(conn, &id)?.ok_or(AppError::NotFound)
    })
}

/// How long an invitation link works.
pub const INVITATION_VALID_HOURS: i64 = 72;

/// Creates an account without a password and e-mails its owner a single-use link, valid 72
/// hours, to set one. The mail is queued in the same transaction.
pub fn invite_user(
    conn: &mut DbConnection,
    acting: &Acting,
    input: &UserInput,
    public_base: &str,
    now: NaiveDateTime,
) -> Result<UserRow, AppError> {
    let user = validate(input)?;
    let prepared = PreparedUser {
        user,
        password_hash: None,
    };
    db::write(conn, |conn| {
        let created = insert_prepared(conn, acting, &prepared, now)?;
        send_invitation(conn, acting, &created, public_base, now)?;
        Ok(created)
    })
}

/// Sends a fresh invitation to someone who has not set a password yet (the old link stops
/// working).
pub fn reinvite_user(
    conn: &mut DbConnection,
    acting: &Acting,
    user_id: &str,
    public_base: &str,
    now: NaiveDateTime,
) -> Result<UserRow, AppError> {
    db::write(conn, |conn| {
        let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
        if user.password_hash.is_some() {
            return Err(AppError::Conflict(
                "This person has set a password already; reset their second factor or ask them to change the password instead.".into(),
            ));
        }
        if !user.active {
            return Err(AppError::Conflict(
                "Reactivate the account before inviting again.".into(),
            ));
        }
        send_invitation(conn, acting, &user, public_base, now)?;
        Ok(user)
    })
}

fn send_invitation(
    conn: &mut DbConnection,
    acting: &Acting,
    user: &UserRow,
    public_base: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let token = secret::generate();
    accounts::delete_unused_for_user(conn, &user.id, "invitation")?;
    accounts::insert(
        conn,
        &NewAccountToken {
            id: &db::new_id(),
            purpose: "invitation",
            user_id: Some(&user.id),
            token_hash: &secret::digest(&token),
            expires_at: now + Duration::hours(INVITATION_VALID_HOURS),
            created_at: now,
        },
    )?;
    let link = format!("{public_base}/invitation?token={token}");
    notify::enqueue_account_mail(
        conn,
        AccountMail::Invitation,
        &user.id,
        &user.email,
        &json!({ "link": link, "valid_hours": INVITATION_VALID_HOURS }),
        now,
    )?;
    audit::record(
        conn,
        &acting.entry("user_invited", "user", &user.id, json!({})),
        now,
    )?;
    Ok(())
}

/// Deactivates (ending every session at once) or reactivates an account. Nobody deactivates
/// themselves, and the last active administrator stays.
pub fn set_user_active(
    conn: &mut DbConnection,
    acting: &Acting,
    user_id: &str,
    active: bool,
    now: NaiveDateTime,
) -> Result<UserRow, AppError> {
    db::write(conn, |conn| {
        let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
        if user.active == active {
            return Ok(user);
        }
        if !active && acting.user_id.as_deref() == Some(user_id) {
            return Err(AppError::Conflict(
                "You cannot deactivate your own account.".into(),
            ));
        }
        if !active && user.role == "admin" && users::count_other_active_admins(conn, user_id)? == 0
        {
            return Err(AppError::Conflict(
                "The last active administrator cannot be deactivated.".into(),
            ));
        }
        users::set_active(conn, user_id, active, now)?;
        // Deactivation ends the person's sessions and API tokens for good: reactivation gives
        // back the account, not what was issued under it.
        let detail = if active {
            json!({})
        } else {
            db::sessions::delete_for_user(conn, user_id)?;
            let revoked = db::tokens::revoke_all_for_user(conn, user_id, now)?;
            json!({ "tokens_revoked": revoked })
        };
        let event = if active {
            "user_reactivated"
        } else {
            "user_deactivated"
        };
        audit::record(conn, &acting.entry(event, "user", user_id, detail), now)?;
        users::find(conn, user_id)?.ok_or(AppError::NotFound)
    })
}

/// Removes a person's second factor and recovery codes (a lost phone): they enrol again at
/// their next sign-in. Their sessions end, and they are told by e-mail.
pub fn reset_second_factor(
    conn: &mut DbConnection,
    acting: &Acting,
    user_id: &str,
    now: NaiveDateTime,
) -> Result<UserRow, AppError> {
    db::write(conn, |conn| {
        let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
        users::reset_totp(conn, user_id, now)?;
        crate::app::throttling::forget_account_failures(conn, &user.email)?;
        db::recovery_codes::delete_for_user(conn, user_id)?;
        db::sessions::delete_for_user(conn, user_id)?;
        notify::enqueue_account_mail(
            conn,
            AccountMail::SecondFactorReset,
            user_id,
            &user.email,
            &json!({}),
            now,
        )?;
        audit::record(
            conn,
            &acting.entry("second_factor_reset", "user", user_id, json!({})),
            now,
        )?;
        users::find(conn, user_id)?.ok_or(AppError::NotFound)
    })
}

pub fn find_user(conn: &mut DbConnection, id: &str) -> Result<UserRow, AppError> {
    users::find(conn, id)?.ok_or(AppError::NotFound)
}

/// One page of accounts for the administrators' list, and the total.
/// The names of the accounts `ids`, as (id, name).
pub fn names_of(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<Vec<(String, String)>, AppError> {
    Ok(db::users::names_of(conn, ids)?)
}

/// The id of the account with this e-mail address, if any.
pub fn id_for_email(conn: &mut DbConnection, email: &str) -> Result<Option<String>, AppError> {
    Ok(db::users::find_by_email(conn, email.trim())?.map(|u| u.id))
}

pub fn list_users(
    conn: &mut DbConnection,
    role: Option<&str>,
    page: i64,
    per_page: i64,
) -> Result<(Vec<UserRow>, i64), AppError> {
    let rows = users::list(
        conn,
        role,
        per_page,
        (page.clamp(1, 1_000_000) - 1) * per_page,
    )?;
    Ok((rows, users::count_by_role(conn, role)?))
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

    fn fields(r: Result<ValidUser, AppError>) -> Vec<String> {
        match r {
            Err(AppError::Invalid(e)) => e.iter().map(|e| e.field.to_string()).collect(),
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
