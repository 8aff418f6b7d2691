//! Who a notice reaches: each `Audience` of `domain::notification`, resolved against the request
//! as it stands after the step, into the people to tell.

use chrono::NaiveDateTime;

use crate::app::AppError;
use crate::db::requests::{self as store, RequestRow};
use crate::db::{DbConnection, users};
use crate::domain::Role;
use crate::domain::actor::Performer;
use crate::domain::deadlines::Stage;
use crate::domain::notification::{Audience, Notice};
use crate::domain::workflow::State;
use crate::notify::{self, Recipient};

fn of_role(
    conn: &mut DbConnection,
    role: Role,
    mission_id: Option<&str>,
) -> Result<Vec<Recipient>, AppError> {
    Ok(store::recipients(conn, role.code(), mission_id)?
        .into_iter()
        .map(|(user_id, email)| Recipient {
            user_id,
            email,
            role,
        })
        .collect())
}

fn person(conn: &mut DbConnection, user_id: Option<&str>) -> Result<Vec<Recipient>, AppError> {
    let Some(id) = user_id else {
        return Ok(Vec::new());
    };
    Ok(users::find(conn, id)?
        .filter(|u| u.active)
        .and_then(|u| {
            Some(Recipient {
                role: u.role.parse().ok()?,
                user_id: u.id,
                email: u.email,
            })
        })
        .into_iter()
        .collect())
}

/// The people `audience` stands for on `request` (as it is after the step `by` took).
fn resolve(
    conn: &mut DbConnection,
    audience: Audience,
    request: &RequestRow,
    by: Performer<'_>,
) -> Result<Vec<Recipient>, AppError> {
    let assigned = request.assigned_officer_id.as_deref();
    match audience {
        Audience::AllOf(role) => of_role(conn, role, None),
        Audience::MissionStaff => of_role(conn, Role::MissionStaff, Some(&request.mission_id)),
        Audience::AssignedOfficer => person(conn, assigned),
        Audience::AssignedOfficerOrMfa => {
            let officer = person(conn, assigned)?;
            if officer.is_empty() {
                of_role(conn, Role::MfaOfficer, None)
            } else {
                Ok(officer)
            }
        }
        Audience::NewAssignee if assigned == by.user_id() => Ok(Vec::new()),
        Audience::NewAssignee => person(conn, assigned),
        Audience::Performer => person(conn, by.user_id()),
        Audience::Referrer => person(conn, request.referred_by.as_deref()),
        Audience::Handlers => {
            let mut told = person(conn, assigned)?;
            if request.reached_police {
                told.extend(of_role(conn, Role::PoliceLiaison, None)?);
            }
            if request.referred_to_pst {
                told.extend(of_role(conn, Role::PstAnalyst, None)?);
            }
            Ok(told)
        }
        Audience::Escalation => {
            // Whoever acts on the stage; every MFA officer is told in any case (which includes the
            // assigned officer and the Ministry's own stages).
            let mut told = of_role(conn, Role::MfaOfficer, None)?;
            match request.due().map(|(stage, _)| stage) {
                Some(Stage::PoliceDecision) if request.state == State::PoliceReview => {
                    told.extend(of_role(conn, Role::PoliceLiaison, None)?)
                }
                Some(Stage::PstAssessment) => told.extend(of_role(conn, Role::PstAnalyst, None)?),
                _ => {}
            }
            Ok(told)
        }
        // Account e-mails are sent by the account functions themselves.
        Audience::AccountOwner => Ok(Vec::new()),
    }
}

/// Tells each notice's audience about `request`, now in `state`, inside the caller's
/// transaction.
pub(super) fn tell(
    conn: &mut DbConnection,
    notices: &[Notice],
    request: &RequestRow,
    state: State,
    by: Performer<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    for notice in notices {
        let people = resolve(conn, notice.audience(), request, by)?;
        notify::request_event(
            conn,
            *notice,
            &people,
            request.id.as_str(),
            request.reference.as_deref(),
            (
                state,
                request.partly_approved,
                crate::domain::disclosure::scheduled(
                    request.in_place_from,
                    crate::domain::time::oslo_date(now),
                ),
            ),
            now,
        )?;
    }
    Ok(())
}
