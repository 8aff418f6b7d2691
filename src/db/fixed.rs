//! SQL text the portal writes itself — constant conditions, subqueries and codes, never text a
//! person typed — as an expression diesel may prepare once per connection and reuse.
//!
//! `diesel::dsl::sql` marks every statement it is part of as not to be cached, so a queue page
//! built with it had its three statements parsed and planned anew at each request. A `Fixed` is
//! cached by its text, as any statement whose shape the compiler does not know is.
//!
//! The bundled SQLite is built with the query planner's stability guarantee (`.cargo/config.toml`):
//! it plans a statement once, never from the values bound to it. A condition that a partial
//! index's condition must match (a request's scope, a state) is therefore written as a literal
//! here (`code`, or a boolean column by itself), not bound. The profile behind both is in
//! BENCHMARKS.md.

use std::borrow::Cow;
use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::expression::{
    AppearsOnTable, Expression, SelectableExpression, TypedExpressionType, ValidGrouping,
    is_aggregate,
};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::sql_types::{SqlType, Text};

/// SQL text of type `ST`, written by the portal.
#[derive(Debug, Clone)]
pub struct Fixed<ST> {
    text: Cow<'static, str>,
    of: PhantomData<ST>,
}

/// `text` as an expression of type `ST` that leaves its statement cacheable. Only for text made
/// of the portal's own constants and codes.
pub fn fixed<ST>(text: impl Into<Cow<'static, str>>) -> Fixed<ST> {
    Fixed {
        text: text.into(),
        of: PhantomData,
    }
}

/// A code of the portal's own (a state, a role: lowercase letters and underscores) as an SQL
/// string literal, so that the planner may match it against a partial index's condition.
pub fn code_literal(code: &str) -> String {
    assert!(
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "not a code: {code:?}"
    );
    format!("'{code}'")
}

/// A code of the portal's own as a text literal (`requests::state.eq(code("in_effect"))`).
pub fn code(code: &'static str) -> Fixed<Text> {
    fixed(code_literal(code))
}

impl<ST: SqlType + TypedExpressionType> Expression for Fixed<ST> {
    type SqlType = ST;
}

impl<ST, QS> AppearsOnTable<QS> for Fixed<ST> where Self: Expression {}

impl<ST, QS> SelectableExpression<QS> for Fixed<ST> where Self: AppearsOnTable<QS> {}

impl<ST, GB> ValidGrouping<GB> for Fixed<ST> {
    type IsAggregate = is_aggregate::Never;
}

/// Not known to the compiler: the statement is cached by its text.
impl<ST> QueryId for Fixed<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST, DB: Backend> QueryFragment<DB> for Fixed<ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(&self.text);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_only() {
        assert_eq!(code_literal("in_effect"), "'in_effect'");
        for bad in ["", "x' OR '1", "In", "a b"] {
            assert!(
                std::panic::catch_unwind(|| code_literal(bad)).is_err(),
                "{bad}"
            );
        }
    }
}
