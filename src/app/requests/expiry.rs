//! Steps the portal takes by itself when time runs out: today, ending the measures of requests
//! whose every approved measure has passed its end date. The scheduler (`app::scheduler`) finds
//! them in bounded batches and takes each step in its own transaction.

use super::Context;
use super::portal::end_by_the_portal;
use crate::app::AppError;
use crate::db::DbConnection;
use crate::db::requests as store;
use crate::domain::ids::RequestId;

/// Up to `limit` requests whose measures are due to end (the automatic end), in id order after
/// `after`.
pub fn due_to_end(
    conn: &mut DbConnection,
    ctx: &Context,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<String>, AppError> {
    Ok(store::due_to_end(conn, ctx.today(), after, limit)?)
}

/// How many requests are due to end, counting no further than `cap`.
pub fn count_due_to_end(conn: &mut DbConnection, ctx: &Context, cap: i64) -> Result<i64, AppError> {
    Ok(store::count_due_to_end(conn, ctx.today(), cap)?)
}

/// Ends one request's measures through the life-cycle pipeline, with the portal as the actor, in
/// a transaction of its own. False when there was nothing to do: already ended, no longer due, or
/// being ended by another instance at this moment.
pub fn end_one(conn: &mut DbConnection, id: &str, ctx: &Context) -> Result<bool, AppError> {
    end_by_the_portal(conn, &RequestId::from(id), ctx)
}

/// Ends every request in effect whose measures have all passed their end date at once, each in
/// its own transaction, unpaced: for tests that check the rule itself (`serve` takes these steps
/// through the scheduler, which paces them). Idempotent: a request is ended once, however many
/// callers run this at once.
pub fn end_expired(conn: &mut DbConnection, ctx: &Context) -> Result<usize, AppError> {
    let mut ended = 0;
    loop {
        let due = due_to_end(conn, ctx, None, 500)?;
        let mut progressed = false;
        for id in &due {
            if end_one(conn, id, ctx)? {
                ended += 1;
                progressed = true;
            }
        }
        if due.len() < 500 || !progressed {
            return Ok(ended);
        }
    }
}
