//! A person's own account: password, recovery codes, sessions.

use chrono::NaiveDateTime;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::app::reauthenticate::{Reauthentication, reauthenticate};
use crate::app::sign_in::Attempt;
use crate::app::{Acting, AppError, tokens};
use crate::audit;
use crate::auth::password::{self, HashCost};
use crate::auth::totp;
use crate::db::sessions::SessionRow;
use crate::db::users::{self, UserRow};
use crate::db::{self, DbConnection, recovery_codes, sessions};
use crate::domain::FieldError;
use crate::notify::{self, AccountMail};

/// A password change as typed: the current password and the new one twice.
pub struct PasswordChange {
    pub current: SecretString,
    pub new_password: SecretString,
    pub confirmation: SecretString,
}

/// Changes the password (the current one is required, checked through the sign-in throttle)
/// and ends every session of the person, this one included: they sign in again with the new
/// password. They are told by e-mail.
pub fn change_password(
    conn: &mut DbConnection,
    acting: &Acting,
    user_id: &str,
    change: &PasswordChange,
    attempt: &Attempt<'_>,
    cost: HashCost,
) -> Result<(), AppError> {
    let PasswordChange {
        current,
        new_password,
        confirmation,
    } = change;
    let now = attempt.now;
    let reauth = Reauthentication {
        password: Some(("current_password", current)),
        code: None,
        purpose: "change_password",
    };
    let mut errors = match reauthenticate(conn, user_id, &reauth, attempt, cost) {
        Ok(_) => Vec::new(),
        Err(AppError::Invalid(errors)) => errors,
        Err(e) => return Err(e),
    };
    let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
    if let Err(e) =
        password::check_new_password("new_password", new_password, &user.name, &user.email)
    {
        errors.push(e);
    }
    if new_password.expose_secret() != confirmation.expose_secret() {
        errors.push(FieldError::new(
            "new_password_confirmation",
            "must be the same as the new password",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let hash = password::hash(new_password, cost);
    db::write(conn, |conn| {
        users::set_password(conn, user_id, &hash, now)?;
        let ended = sessions::delete_for_user(conn, user_id)?;
        notify::enqueue_account_mail(
            conn,
            AccountMail::PasswordChanged,
            user_id,
            &user.email,
            &json!({}),
            now,
        )?;
        audit::record(
            conn,
            &acting.entry(
                "password_changed",
                "user",
                user_id,
                json!({ "sessions_ended": ended }),
            ),
            now,
        )?;
        Ok(())
    })
}

/// Replaces the recovery codes (the current password and a fresh code from the authenticator
/// app are required, checked through the sign-in throttle); returns the new ones to show once.
pub fn regenerate_recovery_codes(
    conn: &mut DbConnection,
    acting: &Acting,
    user_id: &str,
    current: &SecretString,
    code: &str,
    attempt: &Attempt<'_>,
    cost: HashCost,
) -> Result<Vec<String>, AppError> {
    let now = attempt.now;
    let reauth = Reauthentication {
        password: Some(("codes_current_password", current)),
        code: Some(("codes_totp_code", code)),
        purpose: "new_recovery_codes",
    };
    reauthenticate(conn, user_id, &reauth, attempt, cost)?;
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    db::write(conn, |conn| {
        recovery_codes::replace(conn, user_id, &hashes, now)?;
        audit::record(
            conn,
            &acting.entry("recovery_codes_regenerated", "user", user_id, json!({})),
            now,
        )?;
        Ok::<_, AppError>(())
    })?;
    Ok(codes)
}

/// Creates a personal access token for the person themself: a fresh code from their
/// authenticator app is required (checked through the sign-in throttle), so that a stolen
/// session cannot turn itself into a lasting credential. (`token create` on the command line is
/// the operator's, who needs none.)
pub fn create_token(
    conn: &mut DbConnection,
    acting: &Acting,
    user_id: &str,
    token: &NewOwnToken<'_>,
    attempt: &Attempt<'_>,
    cost: HashCost,
) -> Result<tokens::Created, AppError> {
    tokens::check_input(token.name, token.expires_in_days)?;
    let reauth = Reauthentication {
        password: None,
        code: Some(("token_totp_code", token.code)),
        purpose: "new_api_token",
    };
    reauthenticate(conn, user_id, &reauth, attempt, cost)?;
    tokens::create(
        conn,
        acting,
        user_id,
        token.name,
        token.expires_in_days,
        attempt.now,
    )
}

/// Creates the address of a calendar feed for `actor` (a token that reads the calendar feed and
/// nothing else), once they confirm it is them with a code from their authenticator app.
pub fn create_calendar_feed(
    conn: &mut DbConnection,
    acting: &Acting,
    actor: &crate::domain::access::Actor,
    code: &str,
    attempt: &Attempt<'_>,
    cost: HashCost,
) -> Result<tokens::Created, AppError> {
    crate::domain::access::authorise(actor, crate::domain::access::Capability::ViewCalendar)
        .map_err(|_| AppError::NotFound)?;
    let reauth = Reauthentication {
        password: None,
        code: Some(("feed_totp_code", code)),
        purpose: "new_calendar_feed",
    };
    reauthenticate(conn, &actor.user_id, &reauth, attempt, cost)?;
    tokens::create_calendar_feed(conn, acting, actor, attempt.now)
}

/// A token as the person asks for it on their account page.
pub struct NewOwnToken<'a> {
    pub name: &'a str,
    pub expires_in_days: Option<i64>,
    /// The code from their authenticator app.
    pub code: &'a str,
}

/// What the account page shows.
pub struct AccountOverview {
    pub user: UserRow,
    pub sessions: Vec<SessionRow>,
    pub unused_recovery_codes: i64,
}

pub fn overview(
    conn: &mut DbConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> Result<AccountOverview, AppError> {
    let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
    Ok(AccountOverview {
        sessions: sessions::list_live_for_user(conn, user_id, now)?,
        unused_recovery_codes: recovery_codes::count_unused(conn, user_id)?,
        user,
    })
}

/// Ends one of the person's own sessions (e.g. a browser left signed in elsewhere). Someone
/// else's session, or one already ended, is `NotFound`.
pub fn revoke_session(
    conn: &mut DbConnection,
    acting: &Acting,
    user_id: &str,
    session_hash: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::write(conn, |conn| {
        if !sessions::delete_for_user_by_hash(conn, user_id, session_hash)? {
            return Err(AppError::NotFound);
        }
        audit::record(
            conn,
            &acting.entry("session_revoked", "user", user_id, json!({})),
            now,
        )?;
        Ok(())
    })
}

/// Sets the language the person reads the portal and its e-mails in.
pub fn set_language(
    conn: &mut DbConnection,
    user_id: &str,
    code: &str,
    now: NaiveDateTime,
) -> Result<crate::i18n::Lang, AppError> {
    let lang = crate::i18n::Lang::parse(code)
        .ok_or_else(|| FieldError::new("language", "must be one of: en, nb"))?;
    db::write(conn, |conn| {
        if !users::set_locale(conn, user_id, lang.code(), now)? {
            return Err(AppError::NotFound);
        }
        Ok(lang)
    })
}
