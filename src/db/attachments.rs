//! Queries on attachments. A file's bytes are kept in chunks (`attachment_chunks`), written in
//! the same transaction as its row and read back one chunk at a time, so that neither storing
//! nor serving a file needs all of it in memory.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{attachment_chunks, attachments};
use super::{DbConnection, DbError};

type DbResult<T> = Result<T, DbError>;

/// The size of one stored chunk.
pub const CHUNK_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments)]
pub struct AttachmentRow {
    pub id: String,
    pub request_id: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub visibility: String,
    pub classification: String,
    pub declassify_on: Option<NaiveDate>,
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
    pub chunks: i32,
}

impl AttachmentRow {
    pub fn is_internal(&self) -> bool {
        self.visibility == "internal"
    }
}

/// Stores an attachment and its bytes, read from `source` a chunk at a time.
pub fn insert(
    conn: &mut DbConnection,
    row: &AttachmentRow,
    mut source: impl std::io::Read,
) -> DbResult<()> {
    diesel::insert_into(attachments::table)
        .values(row)
        .execute(conn)?;
    let mut buffer = vec![0u8; CHUNK_BYTES];
    for seq in 0..row.chunks {
        let mut filled = 0;
        while filled < CHUNK_BYTES {
            let n = source
                .read(&mut buffer[filled..])
                .map_err(|e| DbError::Unavailable(format!("reading an upload: {e}")))?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        diesel::insert_into(attachment_chunks::table)
            .values((
                attachment_chunks::attachment_id.eq(&row.id),
                attachment_chunks::seq.eq(seq),
                attachment_chunks::bytes.eq(&buffer[..filled]),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// How many chunks a file of `size` bytes takes.
pub fn chunks_for(size: u64) -> i32 {
    size.div_ceil(CHUNK_BYTES as u64).max(1) as i32
}

/// A request's attachments, oldest first.
pub fn of_request(conn: &mut DbConnection, request_id: &str) -> DbResult<Vec<AttachmentRow>> {
    Ok(attachments::table
        .filter(attachments::request_id.eq(request_id))
        .order((attachments::uploaded_at.asc(), attachments::id.asc()))
        .select(AttachmentRow::as_select())
        .load(conn)?)
}

pub fn find(
    conn: &mut DbConnection,
    request_id: &str,
    id: &str,
) -> DbResult<Option<AttachmentRow>> {
    Ok(attachments::table
        .filter(attachments::request_id.eq(request_id))
        .filter(attachments::id.eq(id))
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()?)
}

/// How many attachments of this visibility a request has.
pub fn count(conn: &mut DbConnection, request_id: &str, visibility: &str) -> DbResult<i64> {
    Ok(attachments::table
        .filter(attachments::request_id.eq(request_id))
        .filter(attachments::visibility.eq(visibility))
        .count()
        .get_result(conn)?)
}

/// One chunk of a file's bytes.
pub fn chunk(conn: &mut DbConnection, id: &str, seq: i32) -> DbResult<Option<Vec<u8>>> {
    Ok(attachment_chunks::table
        .find((id, seq))
        .select(attachment_chunks::bytes)
        .first(conn)
        .optional()?)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> DbResult<()> {
    diesel::delete(attachment_chunks::table.filter(attachment_chunks::attachment_id.eq(id)))
        .execute(conn)?;
    diesel::delete(attachments::table.find(id)).execute(conn)?;
    Ok(())
}
