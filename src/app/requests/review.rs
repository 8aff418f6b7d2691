//! The periodic review as the portal keeps it (product.md § 13): the reviews falling due, and the
//! portal's own step that tells the police the day one does.

use super::Context;
use super::portal::announce_review_by_the_portal;
use crate::app::AppError;
use crate::db::{DbConnection, operations};
use crate::domain::ids::RequestId;

/// Up to `limit` requests whose review has fallen due and was not yet announced, in id order
/// after `after`.
pub fn reviews_to_announce(
    conn: &mut DbConnection,
    ctx: &Context,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<String>, AppError> {
    Ok(operations::reviews_to_announce(
        conn,
        ctx.today(),
        after,
        limit,
    )?)
}

/// How many reviews wait to be announced, counting no further than `cap`.
pub fn count_reviews_to_announce(
    conn: &mut DbConnection,
    ctx: &Context,
    cap: i64,
) -> Result<i64, AppError> {
    Ok(reviews_to_announce(conn, ctx, None, cap)?.len() as i64)
}

/// Announces one request's review as due through the life-cycle pipeline, with the portal as the
/// actor, in a transaction of its own. False when there was nothing to do.
pub fn announce_review_one(
    conn: &mut DbConnection,
    id: &str,
    ctx: &Context,
) -> Result<bool, AppError> {
    announce_review_by_the_portal(conn, &RequestId::from(id), ctx)
}
