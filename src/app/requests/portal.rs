//! The portal's own steps on a request — ending measures whose end dates have passed,
//! escalating an overdue stage, announcing a review that has fallen due — each through the same
//! table and pipeline as a person's step (`transition::run`), with the portal as the actor, in a
//! transaction of its own that first takes the request unless another instance holds it.

use super::Context;
use super::transition::{Effect, run};
use crate::app::AppError;
use crate::db::requests as store;
use crate::db::{self, DbConnection, escalations};
use crate::domain::actor::Performer;
use crate::domain::ids::RequestId;
use crate::domain::workflow::Action;

/// The portal ends the measures of a request in effect, each on its own end date, through the
/// same table and pipeline as a person's step. `Ok(false)` when the table does not allow it now
/// (another instance ended it first, or it is no longer in effect).
pub(super) fn end_by_the_portal(
    conn: &mut DbConnection,
    id: &RequestId,
    ctx: &Context,
) -> Result<bool, AppError> {
    nothing_to_do_is_no_failure(db::write(conn, |conn| {
        // Another instance taking this step now holds the request: it is theirs.
        if !store::lock_unless_taken(conn, id.as_str())? {
            return Ok(false);
        }
        run(
            conn,
            Performer::Portal,
            id,
            Action::EndMeasures,
            None,
            |_, _, _| Ok(Effect::EndOnTheirDates),
            ctx,
        )
        .map(|_| true)
    }))
}

/// A step of the portal's that the table no longer allows, or that another instance took
/// meanwhile, is `Ok(false)`: nothing to do, not a failure.
fn nothing_to_do_is_no_failure(outcome: Result<bool, AppError>) -> Result<bool, AppError> {
    match outcome {
        Err(AppError::NotNow(_) | AppError::NotFound | AppError::Conflict(_)) => Ok(false),
        other => other,
    }
}

/// The portal escalates a request's current stage, once it is overdue, through the same table
/// and pipeline as a person's step (product.md § 11): an internal history entry and notices to those
/// who must act. `Ok(false)` when there is nothing to do: the stage is not overdue when counted
/// again now, it was escalated already, or another instance holds the request.
pub(super) fn escalate_by_the_portal(
    conn: &mut DbConnection,
    id: &RequestId,
    ctx: &Context,
) -> Result<bool, AppError> {
    let outcome = db::write(conn, |conn| {
        if !store::lock_unless_taken(conn, id.as_str())? {
            return Ok(false);
        }
        // Counted again inside the lock: a step taken since the list was read may have met it.
        let row = super::due::refresh_by_id(conn, id.as_str(), ctx)?;
        let Some((stage, due_on)) = row.due().filter(|(stage, due)| {
            *due < ctx.today() && crate::domain::deadlines::escalates(*stage, row.state)
        }) else {
            return Ok(false);
        };
        if escalations::was_escalated(conn, id.as_str(), stage.code())? {
            return Ok(false);
        }
        run(
            conn,
            Performer::Portal,
            id,
            Action::Escalate,
            None,
            |_, _, _| Ok(Effect::Escalate { stage, due_on }),
            ctx,
        )
        .map(|_| true)
    });
    nothing_to_do_is_no_failure(outcome)
}

/// The portal tells the police that a request's review falls due today (or fell due, if the
/// portal was not running then), once for each review day, through the same table and pipeline
/// as a person's step. `Ok(false)` when there is nothing to do: no review is due when read again
/// inside the lock, it was announced already, or another instance holds the request.
pub(super) fn announce_review_by_the_portal(
    conn: &mut DbConnection,
    id: &RequestId,
    ctx: &Context,
) -> Result<bool, AppError> {
    let outcome = db::write(conn, |conn| {
        if !store::lock_unless_taken(conn, id.as_str())? {
            return Ok(false);
        }
        let row = store::find(conn, id.as_str())?.ok_or(AppError::NotFound)?;
        let Some(on) = row
            .next_review_on
            .filter(|on| *on <= ctx.today() && row.review_announced_for != Some(*on))
        else {
            return Ok(false);
        };
        run(
            conn,
            Performer::Portal,
            id,
            Action::ReviewDue,
            None,
            |_, _, _| Ok(Effect::ReviewDue(on)),
            ctx,
        )
        .map(|_| true)
    });
    nothing_to_do_is_no_failure(outcome)
}
