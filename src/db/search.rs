//! The search index (product.md § 14): one document per request, made of its words folded by
//! `domain::search` and written in the same transaction as whatever changed them, and the query
//! that finds requests by it within a list's need-to-know scope. SQLite keeps the words in an
//! FTS5 table (external content: `requests_search`, kept in step by triggers), PostgreSQL in a
//! `tsvector` with a GIN index (`simple` configuration and `unaccent`).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use sha2::{Digest, Sha256};

use super::schema::{measures, missions, request_events, requests};
use super::{DbConnection, DbError};
use crate::domain::disclosure::ListScope;
use crate::domain::search::{Query, indexed};

type DbResult<T> = Result<T, DbError>;

/// A request's document, as the index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub mission_id: String,
    /// The reference, title and mission's name, folded.
    pub heading: String,
    /// The justification, the event's name and venue, the measures' descriptions, folded.
    pub body: String,
    /// The need-to-know marks (`mission_mark`, `submitted`, `police`, `pst`), space-separated.
    pub scope: String,
}

/// The mark of a mission's requests: a digest of its id, so that the mark is a plain word
/// whatever the id holds.
pub fn mission_mark(mission_id: &str) -> String {
    let digest = Sha256::digest(mission_id.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("m{hex}")
}

/// The mark a list's scope searches within; `None` for a scope that holds nothing.
fn scope_mark(scope: &ListScope) -> Option<String> {
    match scope {
        ListScope::Mission(id) => Some(mission_mark(id)),
        ListScope::Submitted => Some("submitted".into()),
        ListScope::ReachedPolice => Some("police".into()),
        ListScope::ReferredToPst => Some("pst".into()),
        ListScope::Nothing => None,
    }
}

/// The facts a document is made of.
pub struct Source<'a> {
    pub reference: Option<&'a str>,
    pub title: &'a str,
    pub mission_name: &'a str,
    pub mission_id: &'a str,
    pub justification: &'a str,
    pub event: Option<(&'a str, &'a str)>,
    pub descriptions: &'a [String],
    pub submitted: bool,
    pub reached_police: bool,
    pub referred_to_pst: bool,
}

impl Document {
    pub fn of(s: &Source<'_>) -> Self {
        let heading = indexed(&format!(
            "{} {} {}",
            s.reference.unwrap_or(""),
            s.title,
            s.mission_name
        ));
        let mut body = vec![indexed(s.justification)];
        if let Some((name, venue)) = s.event {
            body.push(indexed(name));
            body.push(indexed(venue));
        }
        body.extend(s.descriptions.iter().map(|d| indexed(d)));
        body.retain(|b| !b.is_empty());
        let mut scope = vec![mission_mark(s.mission_id)];
        for (mark, holds) in [
            ("submitted", s.submitted),
            ("police", s.reached_police),
            ("pst", s.referred_to_pst),
        ] {
            if holds {
                scope.push(mark.into());
            }
        }
        Document {
            mission_id: s.mission_id.to_owned(),
            heading,
            body: body.join(" "),
            scope: scope.join(" "),
        }
    }
}

/// Makes the request's document again from what is stored now, in the caller's transaction.
/// Every write that changes a word or a mark of it calls this before it commits.
pub fn refresh(conn: &mut DbConnection, request_id: &str) -> DbResult<()> {
    type Facts = (
        Option<String>,
        String,
        String,
        String,
        String,
        bool,
        bool,
        String,
    );
    let facts: Option<Facts> = requests::table
        .inner_join(missions::table)
        .filter(requests::id.eq(request_id))
        .select((
            requests::reference,
            requests::title,
            requests::justification,
            requests::mission_id,
            requests::state,
            requests::reached_police,
            requests::referred_to_pst,
            missions::name,
        ))
        .first(conn)
        .optional()?;
    let Some((reference, title, justification, mission_id, state, police, pst, mission_name)) =
        facts
    else {
        return Ok(());
    };
    let event: Option<(String, String)> = request_events::table
        .find(request_id)
        .select((request_events::name, request_events::venue))
        .first(conn)
        .optional()?;
    let descriptions: Vec<String> = measures::table
        .filter(measures::request_id.eq(request_id))
        .order(measures::position.asc())
        .select(measures::description)
        .load(conn)?;
    let document = Document::of(&Source {
        reference: reference.as_deref(),
        title: &title,
        mission_name: &mission_name,
        mission_id: &mission_id,
        justification: &justification,
        event: event.as_ref().map(|(n, v)| (n.as_str(), v.as_str())),
        descriptions: &descriptions,
        submitted: state != "draft",
        reached_police: police,
        referred_to_pst: pst,
    });
    store(conn, request_id, &document)
}

/// Makes the documents of every request of a mission again (after it was renamed).
pub fn refresh_mission(conn: &mut DbConnection, mission_id: &str) -> DbResult<()> {
    let ids: Vec<String> = requests::table
        .filter(requests::mission_id.eq(mission_id))
        .select(requests::id)
        .load(conn)?;
    for id in ids {
        refresh(conn, &id)?;
    }
    Ok(())
}

diesel::table! {
    /// The columns of `requests_search` that both engines share (PostgreSQL's `document` is
    /// made from them by a trigger; SQLite's FTS5 index follows them by triggers). Declared
    /// here rather than in the generated `schema.rs`, whose generator does not know FTS5.
    requests_search (seq) {
        seq -> BigInt,
        request_id -> Text,
        mission_id -> Text,
        heading -> Text,
        body -> Text,
        scope -> Text,
    }
}

/// A document to insert, for seeding many at once.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = requests_search)]
pub struct NewDocument {
    pub request_id: String,
    pub mission_id: String,
    pub heading: String,
    pub body: String,
    pub scope: String,
}

/// Writes a request's document (new or replacing its last).
pub fn store(conn: &mut DbConnection, request_id: &str, d: &Document) -> DbResult<()> {
    let sql = "INSERT INTO requests_search (request_id, mission_id, heading, body, scope) \
               VALUES ($1, $5, $2, $3, $4) \
               ON CONFLICT (request_id) DO UPDATE SET heading = excluded.heading, \
               body = excluded.body, scope = excluded.scope \
               WHERE requests_search.heading <> excluded.heading \
               OR requests_search.body <> excluded.body OR requests_search.scope <> excluded.scope";
    match conn {
        DbConnection::Sqlite(lite) => diesel::sql_query(
            // SQLite numbers `?` in the order they appear.
            sql.replace("$1, $5, $2, $3, $4", "?, ?, ?, ?, ?"),
        )
        .bind::<Text, _>(request_id)
        .bind::<Text, _>(&d.mission_id)
        .bind::<Text, _>(&d.heading)
        .bind::<Text, _>(&d.body)
        .bind::<Text, _>(&d.scope)
        .execute(lite)?,
        DbConnection::Postgres(pg) => diesel::sql_query(sql)
            .bind::<Text, _>(request_id)
            .bind::<Text, _>(&d.heading)
            .bind::<Text, _>(&d.body)
            .bind::<Text, _>(&d.scope)
            .bind::<Text, _>(&d.mission_id)
            .execute(pg)?,
    };
    Ok(())
}

/// A request the index found, with its folded words for ranking.
#[derive(Debug, Clone, QueryableByName)]
pub struct Found {
    #[diesel(sql_type = Text)]
    pub request_id: String,
    /// The order in which documents were first written: newer requests have larger ones.
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Text)]
    pub heading: String,
    #[diesel(sql_type = Text)]
    pub body: String,
}

/// The FTS5 query: every term in the heading or body, and the scope's mark in the scope.
fn fts5_match(query: &Query, mark: &str) -> String {
    format!("scope : \"{mark}\" AND {}", fts5_words(query))
}

/// The FTS5 query of the words alone, without the scope.
fn fts5_words(query: &Query) -> String {
    query
        .terms
        .iter()
        .map(|t| format!("{{heading body}} : \"{}\"", t.word))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The tsquery's text: every term in the heading or body (weights A and B).
fn tsquery_terms(query: &Query) -> String {
    query
        .terms
        .iter()
        .map(|t| format!("'{}':AB", t.word))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// The newest `cap` requests within `scope` whose documents hold every term (each read once, in
/// the index's order, however many match): what a search ranks.
pub fn find(
    conn: &mut DbConnection,
    scope: &ListScope,
    query: &Query,
    cap: i64,
) -> DbResult<Vec<Found>> {
    let Some(mark) = scope_mark(scope) else {
        return Ok(Vec::new());
    };
    let found = match conn {
        DbConnection::Sqlite(lite) => find_on_sqlite(lite, query, &mark, cap)?,
        DbConnection::Postgres(pg) => {
            let mission = match scope {
                ListScope::Mission(id) => Some(id.as_str()),
                _ => None,
            };
            find_on_postgres(pg, query, &mark, mission, cap)?
        }
    };
    Ok(found)
}

/// FTS5 finds the newest documents holding the words quickly, also for common words, when it
/// has a single list per word to read backwards; joining each word with the scope's mark costs
/// a walk along the mark's list, which for the authorities' marks holds nearly every document.
/// So the words alone are looked for first, at most `COMMON_FROM` + 1 documents: fewer are all
/// of them, and those in the scope are kept (by their stored marks). Only for common words is
/// the mark joined in, and then FTS5 stops at the newest `cap` in the scope. Either way the
/// answer is the same: the newest `cap` documents in the scope that hold every word.
fn find_on_sqlite(
    lite: &mut diesel::SqliteConnection,
    query: &Query,
    mark: &str,
    cap: i64,
) -> DbResult<Vec<Found>> {
    let words = fts5_words(query);
    let matching = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM \
         (SELECT 1 FROM requests_fts WHERE requests_fts MATCH ? LIMIT ?)",
    )
    .bind::<Text, _>(&words)
    .bind::<BigInt, _>(COMMON_FROM + 1)
    .get_result::<Count>(lite)?
    .n;
    if matching <= COMMON_FROM {
        // `scope` holds whole marks separated by spaces.
        // Written as a join: SQLite then reads the index's few rows and looks each document up,
        // where `seq IN (subquery)` would walk every document.
        return Ok(diesel::sql_query(
            "SELECT s.request_id, s.seq, s.heading, s.body \
             FROM requests_fts f JOIN requests_search s ON s.seq = f.rowid \
             WHERE requests_fts MATCH ? AND (' ' || s.scope || ' ') LIKE ? \
             ORDER BY s.seq DESC LIMIT ?",
        )
        .bind::<Text, _>(&words)
        .bind::<Text, _>(format!("% {mark} %"))
        .bind::<BigInt, _>(cap)
        .load(lite)?);
    }
    Ok(diesel::sql_query(
        "SELECT s.request_id, s.seq, s.heading, s.body \
         FROM requests_fts f JOIN requests_search s ON s.seq = f.rowid \
         WHERE requests_fts MATCH ? ORDER BY f.rowid DESC LIMIT ?",
    )
    .bind::<Text, _>(fts5_match(query, mark))
    .bind::<BigInt, _>(cap)
    .load(lite)?)
}

/// A count, as the counting queries here answer it.
#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Words found in more documents than this are common words (see `find_on_sqlite` and
/// `find_on_postgres`).
const COMMON_FROM: i64 = 5_000;
/// How many of the newest documents are read one by one for a common word.
const NEWEST_READ: i64 = 25_000;

/// PostgreSQL's GIN index answers which documents hold the words, not which are the newest: for
/// a word most documents hold, keeping the newest `cap` would mean fetching and re-checking
/// nearly every row. So the path is chosen by how many documents hold the rarest of the words
/// and the scope's mark, as the column's statistics estimate it (`ANALYZE`; without them, the
/// index is asked for up to `COMMON_FROM` + 1 documents). A rare word is asked of the index. A
/// common one is looked for in the newest `NEWEST_READ` documents of the scope, read in order
/// and checked one by one (`ts_match_vq`, the `@@` operator as a function, which the index does
/// not answer), so that the work is bounded however large the table; it then finds its matches
/// among those newest documents only.
fn find_on_postgres(
    pg: &mut diesel::PgConnection,
    query: &Query,
    mark: &str,
    mission: Option<&str>,
    cap: i64,
) -> DbResult<Vec<Found>> {
    let terms = &tsquery_terms(query);
    let scope = format!("'{mark}':D");
    let lexemes: Vec<&str> = query
        .terms
        .iter()
        .map(|t| t.word.as_str())
        .chain(std::iter::once(mark))
        .collect();
    let common = match estimated_matches(pg, &lexemes)? {
        Some(n) => n > COMMON_FROM as f64,
        None => probe(pg, terms, &scope)?,
    };
    if !common {
        return Ok(diesel::sql_query(
            "SELECT request_id, seq, heading, body FROM requests_search \
             WHERE document @@ (to_tsquery('simple', unaccent($1)) && to_tsquery('simple', $2)) \
             ORDER BY seq DESC LIMIT $3",
        )
        .bind::<Text, _>(terms)
        .bind::<Text, _>(&scope)
        .bind::<BigInt, _>(cap)
        .load(pg)?);
    }
    newest_read_whole(pg, terms, &scope, mission, cap)
}

/// How many documents hold every one of `lexemes`, as PostgreSQL's statistics of the column
/// estimate it (the rarest one's share of the table's rows; a lexeme outside the most common
/// ones is rarer than the least common of those); `None` before the table was analysed.
fn estimated_matches(pg: &mut diesel::PgConnection, lexemes: &[&str]) -> DbResult<Option<f64>> {
    #[derive(QueryableByName)]
    struct Stats {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Array<Text>>)]
        elems: Option<Vec<String>>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Array<diesel::sql_types::Float>>)]
        freqs: Option<Vec<f32>>,
        #[diesel(sql_type = diesel::sql_types::Double)]
        rows: f64,
    }
    let stats: Option<Stats> = diesel::sql_query(
        "SELECT s.most_common_elems::text::text[] AS elems, \
                s.most_common_elem_freqs AS freqs, c.reltuples::float8 AS rows \
         FROM pg_class c JOIN pg_stats s ON s.tablename = c.relname \
         WHERE c.oid = 'requests_search'::regclass AND s.schemaname = current_schema() \
           AND s.attname = 'document'",
    )
    .get_result(pg)
    .optional()?;
    let Some(Stats {
        elems: Some(elems),
        freqs: Some(freqs),
        rows,
    }) = stats
    else {
        return Ok(None);
    };
    if rows <= 0.0 || elems.is_empty() {
        return Ok(None);
    }
    let least = freqs[..elems.len().min(freqs.len())]
        .iter()
        .copied()
        .fold(f32::MAX, f32::min);
    let rarest = lexemes
        .iter()
        .map(|l| {
            elems
                .iter()
                .position(|e| e == l)
                .and_then(|i| freqs.get(i).copied())
                .unwrap_or(least / 2.0)
        })
        .fold(f32::MAX, f32::min);
    Ok(Some(f64::from(rarest) * rows))
}

/// Without statistics: whether the index finds more than `COMMON_FROM` documents (it builds the
/// whole intersection of the words' lists to say so, which for common words is costly).
fn probe(pg: &mut diesel::PgConnection, terms: &str, scope: &str) -> DbResult<bool> {
    let matching: Count = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM requests_search \
         WHERE document @@ (to_tsquery('simple', unaccent($1)) && to_tsquery('simple', $2)) \
         LIMIT $3) AS found",
    )
    .bind::<Text, _>(terms)
    .bind::<Text, _>(scope)
    .bind::<BigInt, _>(COMMON_FROM + 1)
    .get_result(pg)?;
    Ok(matching.n > COMMON_FROM)
}

/// A common word: the newest `NEWEST_READ` documents of the scope, read in order and checked
/// one by one.
fn newest_read_whole(
    pg: &mut diesel::PgConnection,
    terms: &str,
    scope: &str,
    mission: Option<&str>,
    cap: i64,
) -> DbResult<Vec<Found>> {
    // A mission's newest are its own (read by `requests_search_mission_idx`), so that another
    // mission's requests never take their place; the authorities' are everybody's.
    let newest = if mission.is_some() {
        "SELECT request_id, seq, heading, body, document FROM requests_search \
         WHERE mission_id = $5 ORDER BY seq DESC LIMIT $1"
    } else {
        "SELECT request_id, seq, heading, body, document FROM requests_search \
         WHERE $5 = '' ORDER BY seq DESC LIMIT $1"
    };
    Ok(diesel::sql_query(format!(
        "SELECT request_id, seq, heading, body FROM ({newest}) AS newest \
         WHERE ts_match_vq(document, \
                           to_tsquery('simple', unaccent($2)) && to_tsquery('simple', $3)) \
         ORDER BY seq DESC LIMIT $4"
    ))
    .bind::<BigInt, _>(NEWEST_READ)
    .bind::<Text, _>(terms)
    .bind::<Text, _>(scope)
    .bind::<BigInt, _>(cap)
    .bind::<Text, _>(mission.unwrap_or(""))
    .load(pg)?)
}

/// A request's texts besides its title and justification, as typed: where a search looks
/// for a passage to show.
#[derive(Debug, Clone, Default)]
pub struct Texts {
    /// The event's name and venue.
    pub event: Option<(String, String)>,
    /// The measures' descriptions, in their order.
    pub descriptions: Vec<String>,
}

/// The texts of these requests, by id.
pub fn texts_of(
    conn: &mut DbConnection,
    ids: &[String],
) -> DbResult<std::collections::HashMap<String, Texts>> {
    let mut out: std::collections::HashMap<String, Texts> = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let events: Vec<(String, String, String)> = request_events::table
        .filter(request_events::request_id.eq_any(ids.to_vec()))
        .select((
            request_events::request_id,
            request_events::name,
            request_events::venue,
        ))
        .load(conn)?;
    for (id, name, venue) in events {
        out.entry(id).or_default().event = Some((name, venue));
    }
    let descriptions: Vec<(String, String)> = measures::table
        .filter(measures::request_id.eq_any(ids.to_vec()))
        .order((measures::request_id.asc(), measures::position.asc()))
        .select((measures::request_id, measures::description))
        .load(conn)?;
    for (id, description) in descriptions {
        out.entry(id).or_default().descriptions.push(description);
    }
    Ok(out)
}

/// Has PostgreSQL gather the statistics a search chooses its path by (after loading many
/// documents at once; autovacuum does it in time otherwise). SQLite needs none.
pub fn analyze(conn: &mut DbConnection) -> DbResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("ANALYZE requests_search").execute(pg)?;
    }
    Ok(())
}

/// Requests without a document (written before the index existed), up to `limit`, oldest first.
pub fn unindexed(conn: &mut DbConnection, limit: i64) -> DbResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = Text)]
        id: String,
    }
    let sql = "SELECT r.id FROM requests r WHERE NOT EXISTS \
               (SELECT 1 FROM requests_search s WHERE s.request_id = r.id) \
               ORDER BY r.created_at, r.id LIMIT ";
    let rows: Vec<Id> = match conn {
        DbConnection::Sqlite(lite) => diesel::sql_query(format!("{sql}?"))
            .bind::<BigInt, _>(limit)
            .load(lite)?,
        DbConnection::Postgres(pg) => diesel::sql_query(format!("{sql}$1"))
            .bind::<BigInt, _>(limit)
            .load(pg)?,
    };
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// How many requests have no document, counted up to `cap`.
pub fn count_unindexed(conn: &mut DbConnection, cap: i64) -> DbResult<i64> {
    Ok(unindexed(conn, cap)?.len() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_holds_the_folded_words_and_the_scope_marks() {
        let descriptions = vec!["Patrols around Þingholt".to_owned()];
        let d = Document::of(&Source {
            reference: Some("2026/00042"),
            title: "Reception for Guðrún",
            mission_name: "Embassy of Iceland",
            mission_id: "m-1",
            justification: "Threats received.",
            event: Some(("National day", "Hótel Borg")),
            descriptions: &descriptions,
            submitted: true,
            reached_police: true,
            referred_to_pst: false,
        });
        assert_eq!(
            d.heading,
            "2026 00042 reception for gudrun embassy of iceland"
        );
        assert_eq!(
            d.body,
            "threats received national day hotel borg patrols around thingholt"
        );
        assert_eq!(d.scope, format!("{} submitted police", mission_mark("m-1")));
    }

    #[test]
    fn the_engines_queries_look_for_every_term_within_the_scope() {
        let q = Query::parse("Sigurðardóttir iceland").unwrap();
        assert_eq!(
            fts5_match(&q, "police"),
            "scope : \"police\" AND {heading body} : \"sigurdardottir\" AND {heading body} : \"iceland\""
        );
        assert_eq!(tsquery_terms(&q), "'sigurdardottir':AB & 'iceland':AB");
        assert_ne!(mission_mark("a"), mission_mark("b"));
        assert!(mission_mark("a").chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
