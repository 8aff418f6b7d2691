//! Search (product.md § 14): a list's requests found by their words, within the viewer's scope
//! and the list's filters, ranked by how well each matches on its own words, with the words
//! found marked. The index finds the newest `CANDIDATES` matching requests in the scope (each
//! search reads that many at most, however large the portal grows); they are ranked here.

use std::collections::{HashMap, HashSet};

use crate::app::AppError;
use crate::db::requests::{self as store, ListFilter};
use crate::db::search as index;
use crate::db::{self, DbConnection};
use crate::domain::FieldError;
use crate::domain::access::Actor;
use crate::domain::disclosure::ListScope;
use crate::domain::search::{Fragment, Query, highlight, snippet};

use super::list::{ListPage, PageAt, RequestSummary, seal, unseal};

/// The most requests one search ranks: the newest that match, within the viewer's scope. It is
/// also the most a list counts, so "more than 1,000" reads the same for a search.
pub const CANDIDATES: i64 = super::list::COUNT_CAP;
/// Words shown either side of the first word found in a longer text.
const SNIPPET_WORDS: usize = 12;

crate::codes! {
    /// Where in a request the words were found, besides its title.
    pub enum FoundIn {
        Justification = "justification", "Justification";
        Event = "event", "The event";
        Venue = "venue", "Venue";
        Measure = "measure", "Measure";
    }
    else |s| format!("unknown field {s:?}")
}

/// What a search found in one request: its title with the words found marked, and a passage
/// of the first other text that holds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub title: Vec<Fragment>,
    pub passage: Option<(FoundIn, Vec<Fragment>)>,
}

/// A request's place among the results: its score, then newest first, then id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    score: u32,
    seq: i64,
    id: String,
}

impl Place {
    /// Orders places as the results are shown.
    fn key(&self) -> (std::cmp::Reverse<u32>, std::cmp::Reverse<i64>, &str) {
        (
            std::cmp::Reverse(self.score),
            std::cmp::Reverse(self.seq),
            self.id.as_str(),
        )
    }

    fn cursor(&self) -> String {
        format!("s.{}.{}.{}", self.score, self.seq, self.id)
    }

    fn parse(field: &'static str, cursor: &str) -> Result<Place, AppError> {
        let bad = || AppError::from(FieldError::new(field, "is not a cursor this list gave out"));
        let mut parts = cursor.splitn(4, '.');
        let (Some("s"), Some(score), Some(seq), Some(id)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        Ok(Place {
            score: score.parse().map_err(|_| bad())?,
            seq: seq.parse().map_err(|_| bad())?,
            id: id.to_owned(),
        })
    }
}

/// The requests of the viewer's list that hold every word of `query`, best first.
#[allow(clippy::too_many_arguments)]
pub(super) fn search(
    conn: &mut DbConnection,
    actor: &Actor,
    scope: &ListScope,
    filter: &ListFilter,
    query: &Query,
    at: &PageAt,
    per_page: i64,
    key: &[u8],
) -> Result<ListPage, AppError> {
    let found = index::find(conn, scope, query, CANDIDATES)?;
    let capped = found.len() as i64 == CANDIDATES;
    // The list's own scope and filters, read from the requests themselves: the index narrows,
    // it never decides who may see a request.
    let within = ListFilter {
        query: None,
        ..filter.clone()
    };
    let ids: Vec<String> = found.iter().map(|f| f.request_id.clone()).collect();
    let kept: HashSet<String> = store::ids_within(conn, scope, &within, &ids)?
        .into_iter()
        .collect();
    let mut places: Vec<Place> = found
        .iter()
        .filter(|f| kept.contains(&f.request_id))
        .map(|f| Place {
            score: query.score(&f.heading, &f.body),
            seq: f.seq,
            id: f.request_id.clone(),
        })
        .filter(|p| p.score > 0)
        .collect();
    places.sort_by(|a, b| a.key().cmp(&b.key()));

    let total = places.len();
    let per_page = per_page as usize;
    let (from, page) = match at {
        PageAt::Number(page) => {
            let page = (*page).max(1);
            let from = usize::try_from(page - 1)
                .ok()
                .and_then(|p| p.checked_mul(per_page))
                .unwrap_or(usize::MAX);
            (from.min(total), page)
        }
        PageAt::After { cursor, page } => {
            let place = Place::parse("after", unseal("after", key, actor, filter, cursor)?)?;
            let from = places.partition_point(|p| p.key() <= place.key());
            (from, (*page).max(2))
        }
        PageAt::Before { cursor, page } => {
            let place = Place::parse("before", unseal("before", key, actor, filter, cursor)?)?;
            let end = places.partition_point(|p| p.key() < place.key());
            (end.saturating_sub(per_page), (*page).max(1))
        }
    };
    let to = (from + per_page).min(total);
    let shown = &places[from..to];
    let page = if from == 0 { 1 } else { page.max(2) };
    let next = (to < total)
        .then(|| shown.last())
        .flatten()
        .map(|p| seal(key, actor, filter, p.cursor()));
    let previous = (from > 0)
        .then(|| shown.first())
        .flatten()
        .map(|p| seal(key, actor, filter, p.cursor()));

    let ids: Vec<String> = shown.iter().map(|p| p.id.clone()).collect();
    let mut rows: HashMap<String, store::ListedRow> = store::listed(conn, &ids)?
        .into_iter()
        .map(|r| (r.row.id.to_string(), r))
        .collect();
    let texts = index::texts_of(conn, &ids)?;
    let items = shown
        .iter()
        .filter_map(|p| rows.remove(&p.id))
        .map(|listed| {
            let row = &listed.row;
            let passage = passage(&row.justification, texts.get(row.id.as_str()), query);
            let found = Found {
                title: highlight(&row.title, query),
                passage,
            };
            RequestSummary::listed(actor, listed).with_found(found)
        })
        .collect();
    Ok(ListPage {
        items,
        total: total as i64,
        total_capped: capped,
        page,
        per_page: per_page as i64,
        next,
        previous,
        tab_counts: Vec::new(),
        missions: Vec::new(),
    })
}

/// The first text besides the title that holds a word found, as a passage around it.
fn passage(
    justification: &str,
    texts: Option<&index::Texts>,
    query: &Query,
) -> Option<(FoundIn, Vec<Fragment>)> {
    let mut candidates: Vec<(FoundIn, &str)> = vec![(FoundIn::Justification, justification)];
    if let Some(t) = texts {
        if let Some((name, venue)) = &t.event {
            candidates.push((FoundIn::Event, name));
            candidates.push((FoundIn::Venue, venue));
        }
        candidates.extend(
            t.descriptions
                .iter()
                .map(|d| (FoundIn::Measure, d.as_str())),
        );
    }
    candidates
        .into_iter()
        .find_map(|(field, text)| snippet(text, query, SNIPPET_WORDS).map(|s| (field, s)))
}

/// Requests written before the search index existed, up to `limit`.
pub fn unindexed(conn: &mut DbConnection, limit: i64) -> Result<Vec<String>, AppError> {
    Ok(index::unindexed(conn, limit)?)
}

/// How many requests wait for their document, counted up to `cap`.
pub fn count_unindexed(conn: &mut DbConnection, cap: i64) -> Result<i64, AppError> {
    Ok(index::count_unindexed(conn, cap)?)
}

/// Writes one request's document, in a transaction of its own.
pub fn index_one(conn: &mut DbConnection, id: &str) -> Result<bool, AppError> {
    db::write(conn, |conn| {
        index::refresh(conn, id)?;
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_order_best_first_then_newest_and_read_back_from_their_cursor() {
        let a = Place {
            score: 9,
            seq: 1,
            id: "a".into(),
        };
        let b = Place {
            score: 4,
            seq: 7,
            id: "b".into(),
        };
        let c = Place {
            score: 4,
            seq: 3,
            id: "c".into(),
        };
        let mut places = vec![c.clone(), a.clone(), b.clone()];
        places.sort_by(|x, y| x.key().cmp(&y.key()));
        assert_eq!(places, vec![a.clone(), b.clone(), c.clone()]);
        assert_eq!(Place::parse("after", &b.cursor()).unwrap(), b);
        assert!(Place::parse("after", "q.1.2.x").is_err());
        assert!(Place::parse("after", "s.x.2.x").is_err());
    }
}
