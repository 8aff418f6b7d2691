//! Steps the portal takes by itself when time runs out: today, ending the measures of requests
//! whose every approved measure has passed its end date.

use super::Context;
use super::transition::end_by_the_portal;
use crate::app::AppError;
use crate::db::DbConnection;
use crate::db::requests as store;
use crate::domain::ids::RequestId;

/// Ends every request in effect whose measures have all passed their end date, each through the
/// life-cycle pipeline with the portal as the actor. Idempotent: a request is ended once,
/// however many instances run this at once.
pub fn end_expired(conn: &mut DbConnection, ctx: &Context) -> Result<usize, AppError> {
    let mut ended = 0;
    for id in store::due_to_end(conn, ctx.today())? {
        if end_by_the_portal(conn, &RequestId::from(id), ctx)? {
            ended += 1;
        }
    }
    Ok(ended)
}
