//! Attachments on a request: adding one (the file already received into a temporary file, here
//! recognised by its bytes, checked whole, and copied into the database in chunks), listing
//! them as a viewer may know them, opening one for download, and removing one. Who may do what
//! is asked of `disclosure`; an attachment a viewer may not know of answers `NotFound`, exactly
//! like an id never used.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Seek, SeekFrom};

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;

use super::messages::marking;
use super::view::Name;
use super::{Context, refused, visible};
use crate::app::AppError;
use crate::audit::{self, Entry};
use crate::db::attachments::{self as files, AttachmentRow};
use crate::db::requests::{self as store, RequestRow};
use crate::db::{self, DbConnection};
use crate::domain::access::Actor;
use crate::domain::attachment::{self, FileKind, Visibility};
use crate::domain::disclosure::{self, AttachmentRights, Named};
use crate::domain::ids::RequestId;
use crate::domain::{Classification, FieldError, Role};

/// A file as the web layer received it: spooled into a temporary file as it arrived, with what
/// was learnt on the way.
#[derive(Debug)]
pub struct Upload {
    pub file: File,
    /// The name the sender's system gave it (cleaned here before it is kept).
    pub name: String,
    pub len: u64,
    /// SHA-256 of the bytes, in lower-case hex.
    pub sha256: String,
    /// The first bytes (enough to recognise the kind).
    pub head: Vec<u8>,
}

/// The choices sent with a file.
#[derive(Debug, Clone, Default)]
pub struct UploadChoices {
    /// `external` or `internal`; empty: the only one the sender may add.
    pub visibility: String,
    pub classification: String,
    pub declassify_on: Option<String>,
}

/// An attachment as one viewer may know it.
#[derive(Debug, Clone)]
pub struct AttachmentView {
    pub id: String,
    pub filename: String,
    pub content_type: &'static str,
    pub size: u64,
    pub sha256: String,
    pub internal: bool,
    pub classification: Classification,
    pub declassify_on: Option<NaiveDate>,
    pub uploaded_by: Name,
    pub uploaded_at: NaiveDateTime,
    /// Whether the viewer may remove it now.
    pub removable: bool,
}

/// The limits an upload is checked against (`[attachments]`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_per_request: u32,
}

/// Which files `actor` may add to the request now; refused before a file is read when none.
pub fn may_attach(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    now: NaiveDateTime,
) -> Result<AttachmentRights, AppError> {
    let found = store::find(conn, id.as_str())?;
    let row = visible(conn, actor, found, now)?;
    rights_now(actor, &row)
}

fn rights_now(actor: &Actor, row: &RequestRow) -> Result<AttachmentRights, AppError> {
    let rights = disclosure::attachment_rights(actor, row.state, &row.mission_id);
    if rights.external || rights.internal {
        return Ok(rights);
    }
    if disclosure::is_own_mission(actor, &row.mission_id) {
        return Err(AppError::NotNow(
            "Files can be added while the request is a draft, or while the Ministry waits for your answer.".into(),
        ));
    }
    Err(AppError::Forbidden)
}

/// Adds a file to a request: checked by its content and against the limits, named cleanly, and
/// stored with its row in one transaction.
pub fn add_attachment(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    mut upload: Upload,
    choices: &UploadChoices,
    limits: Limits,
    ctx: &Context,
) -> Result<AttachmentView, AppError> {
    let found = store::find(conn, id.as_str())?;
    let row = visible(conn, actor, found, ctx.now)?;
    let rights = rights_now(actor, &row)?;
    let visibility = match choices.visibility.trim() {
        "" if rights.external => Visibility::External,
        "" => Visibility::Internal,
        chosen => Visibility::parse(chosen)?,
    };
    let internal = visibility == Visibility::Internal;
    if (internal && !rights.internal) || (!internal && !rights.external) {
        return Err(AppError::Invalid(vec![FieldError::new(
            "visibility",
            if internal {
                "Only the Norwegian authorities can add internal files"
            } else {
                "Files for the mission are added by the mission itself"
            },
        )]));
    }
    let mut errors = Vec::new();
    let (classification, declassify_on) = if internal {
        match marking(
            actor,
            "attachment",
            &choices.classification,
            choices.declassify_on.as_deref(),
            Classification::Unclassified,
            ctx,
        ) {
            Ok((level, until)) => (
                level,
                Some(until).filter(|_| level > Classification::Unclassified),
            ),
            Err(found) => {
                errors.extend(found.into_iter().map(|mut e| {
                    e.field = e.field.replace("attachment.", "").into();
                    e
                }));
                (Classification::Unclassified, None)
            }
        }
    } else {
        if !matches!(choices.classification.trim(), "" | "unclassified") {
            errors.push(FieldError::new(
                "classification",
                "Files the mission sees cannot be classified",
            ));
        }
        (Classification::Unclassified, None)
    };
    let held = files::count(conn, id.as_str(), visibility.code())?;
    if held >= i64::from(limits.max_per_request) {
        errors.push(FieldError::new(
            "file",
            format!(
                "A request can hold at most {} files; remove one before adding another",
                limits.max_per_request
            ),
        ));
    }
    let kind = check_file(&mut upload, limits)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(kind), true) = (kind, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    upload.file.seek(SeekFrom::Start(0)).map_err(|e| {
        AppError::Db(db::DbError::Unavailable(format!(
            "rereading an upload: {e}"
        )))
    })?;
    let stored = AttachmentRow {
        id: db::new_id(),
        request_id: id.as_str().to_owned(),
        filename: attachment::clean_name(&upload.name, kind),
        content_type: kind.content_type().to_owned(),
        size_bytes: upload.len as i64,
        sha256: upload.sha256.clone(),
        visibility: visibility.code().to_owned(),
        classification: classification.code().to_owned(),
        declassify_on,
        uploaded_by: actor.user_id.clone(),
        uploaded_at: ctx.now,
        chunks: files::chunks_for(upload.len),
    };
    db::write(conn, |conn| {
        files::insert(conn, &stored, &mut upload.file)?;
        record(conn, actor, "attachment_added", &stored, ctx.now)
    })?;
    let by = names(conn, actor, &row, std::slice::from_ref(&stored))?
        .remove(&stored.uploaded_by)
        .unwrap_or(Name::Organisation(disclosure::PORTAL_LABEL));
    Ok(view_of(actor, &row, stored, by))
}

/// The kind of an uploaded file, if the portal takes it: recognised by its first bytes, then
/// walked whole.
fn check_file(upload: &mut Upload, limits: Limits) -> Result<FileKind, FieldError> {
    if upload.len == 0 {
        return Err(FieldError::new("file", attachment::EMPTY));
    }
    if upload.len > limits.max_bytes {
        return Err(FieldError::new(
            "file",
            format!(
                "The selected file must be smaller than {} MB",
                limits.max_bytes / (1024 * 1024)
            ),
        ));
    }
    let kind = attachment::recognise(&upload.head)
        .ok_or_else(|| FieldError::new("file", attachment::NOT_ACCEPTED))?;
    attachment::check_whole(kind, &mut upload.file, upload.len)?;
    Ok(kind)
}

/// The attachments (`rows`) of a request `actor` sees, as they may know them (`name_for` names
/// the uploader as the rest of the request's view does).
pub(super) fn seen(
    actor: &Actor,
    row: &RequestRow,
    rows: Vec<AttachmentRow>,
    name_for: impl Fn(Option<&str>) -> Name,
) -> Vec<AttachmentView> {
    rows.into_iter()
        .filter(|a| disclosure::attachment_visible(actor, a.is_internal(), level(a)))
        .map(|a| {
            let by = name_for(Some(&a.uploaded_by));
            view_of(actor, row, a, by)
        })
        .collect()
}

/// The attachments of a request, for the API's list.
pub fn attachments(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    now: NaiveDateTime,
) -> Result<Vec<AttachmentView>, AppError> {
    let found = store::find(conn, id.as_str())?;
    let row = visible(conn, actor, found, now)?;
    let rows: Vec<AttachmentRow> = files::of_request(conn, id.as_str())?
        .into_iter()
        .filter(|a| disclosure::attachment_visible(actor, a.is_internal(), level(a)))
        .collect();
    let mut named = names(conn, actor, &row, &rows)?;
    Ok(rows
        .into_iter()
        .map(|a| {
            let by = named
                .remove(&a.uploaded_by)
                .unwrap_or(Name::Organisation(disclosure::PORTAL_LABEL));
            view_of(actor, &row, a, by)
        })
        .collect())
}

/// The uploaders of `rows`, named as `actor` may know them (as in the rest of the request's
/// view: `disclosure::name_visible`).
fn names(
    conn: &mut DbConnection,
    actor: &Actor,
    row: &RequestRow,
    rows: &[AttachmentRow],
) -> Result<HashMap<String, Name>, AppError> {
    let mut ids: Vec<String> = rows.iter().map(|a| a.uploaded_by.clone()).collect();
    ids.sort();
    ids.dedup();
    let levels: Vec<Classification> = store::assessments_of(conn, row.id.as_str())?
        .iter()
        .map(|a| a.classification)
        .collect();
    let pst_names = disclosure::pst_names_visible(actor, &levels);
    let assigned = row.assigned_officer_id.as_deref();
    Ok(store::names(conn, &ids)?
        .into_iter()
        .map(|(id, name, role)| {
            let role = role.parse().unwrap_or(Role::Admin);
            let person = Named { user_id: &id, role };
            let shown = if disclosure::name_visible(actor, person, assigned, pst_names) {
                Name::Person(name)
            } else {
                Name::Organisation(disclosure::organisation_label(role))
            };
            (id, shown)
        })
        .collect())
}

/// An attachment opened for download: its description and where its bytes are.
#[derive(Debug, Clone)]
pub struct Download {
    pub id: String,
    pub filename: String,
    pub content_type: &'static str,
    pub size: u64,
    pub chunks: i32,
}

/// Opens an attachment for download. Every download of an internal one is written to the
/// security log.
pub fn open_attachment(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    attachment_id: &str,
    now: NaiveDateTime,
) -> Result<Download, AppError> {
    let (_, found) = find_seen(conn, actor, id, attachment_id, now)?;
    if found.is_internal() {
        db::write(conn, |conn| {
            record(conn, actor, "attachment_downloaded", &found, now)
        })?;
    }
    Ok(Download {
        content_type: content_type(&found),
        size: found.size_bytes as u64,
        chunks: found.chunks,
        filename: found.filename,
        id: found.id,
    })
}

/// One chunk of an opened download's bytes (`seq` from 0 to `chunks - 1`).
pub fn attachment_chunk(
    conn: &mut DbConnection,
    download: &Download,
    seq: i32,
) -> Result<Vec<u8>, AppError> {
    files::chunk(conn, &download.id, seq)?.ok_or(AppError::NotFound)
}

/// Removes an attachment: only the one who added it, while `disclosure` allows.
pub fn remove_attachment(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    attachment_id: &str,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let (row, found) = find_seen(conn, actor, id, attachment_id, now)?;
    if !disclosure::may_remove_attachment(actor, &found.uploaded_by, found.is_internal(), row.state)
    {
        return Err(AppError::Forbidden);
    }
    db::write(conn, |conn| {
        files::delete(conn, &found.id)?;
        record(conn, actor, "attachment_removed", &found, now)
    })?;
    Ok(found.filename)
}

/// The request and one of its attachments, if `actor` may know both; a refusal of an existing
/// attachment is logged, and answered like an unused id.
fn find_seen(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &RequestId,
    attachment_id: &str,
    now: NaiveDateTime,
) -> Result<(RequestRow, AttachmentRow), AppError> {
    let found = store::find(conn, id.as_str())?;
    let row = visible(conn, actor, found, now)?;
    let found = files::find(conn, id.as_str(), attachment_id)?.ok_or(AppError::NotFound)?;
    if disclosure::attachment_visible(actor, found.is_internal(), level(&found)) {
        return Ok((row, found));
    }
    refused(
        conn,
        actor,
        ("attachment", found.id.clone()),
        json!({ "request_id": id.as_str(), "answered": 404 }),
        now,
    )
}

fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    event: &'static str,
    a: &AttachmentRow,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &Entry {
            event,
            outcome: "success",
            actor_user_id: Some(actor.user_id.clone()),
            actor_org: Some(actor.role.organisation().to_owned()),
            target_type: Some("attachment"),
            target_id: Some(a.id.clone()),
            detail: json!({
                "request_id": a.request_id,
                "visibility": a.visibility,
                "classification": a.classification,
                "content_type": a.content_type,
                "size": a.size_bytes,
                "sha256": a.sha256,
            }),
            ..Entry::default()
        },
        now,
    )?;
    Ok(())
}

fn level(a: &AttachmentRow) -> Classification {
    // A stored code this version does not know is treated as the highest.
    a.classification
        .parse()
        .unwrap_or(Classification::TopSecret)
}

fn content_type(a: &AttachmentRow) -> &'static str {
    FileKind::from_content_type(&a.content_type)
        .map(FileKind::content_type)
        .unwrap_or("application/octet-stream")
}

fn view_of(actor: &Actor, row: &RequestRow, a: AttachmentRow, by: Name) -> AttachmentView {
    AttachmentView {
        removable: disclosure::may_remove_attachment(
            actor,
            &a.uploaded_by,
            a.is_internal(),
            row.state,
        ),
        content_type: content_type(&a),
        classification: level(&a),
        internal: a.is_internal(),
        size: a.size_bytes as u64,
        id: a.id,
        filename: a.filename,
        sha256: a.sha256,
        declassify_on: a.declassify_on,
        uploaded_by: by,
        uploaded_at: a.uploaded_at,
    }
}
