//! Reading a form that carries one file, as a stream: the file goes to a temporary file as it
//! arrives, hashed on the way, and reading stops the moment it passes the limit (413), so that
//! however many uploads run at once, each holds only a few small buffers in memory. Small
//! fields around the file are kept as text. The rules of `super::body` hold: a field name
//! appears once, and a body that is not well-formed multipart is refused.

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::body::{self, ENVELOPE, Kind};
use crate::app::requests::Upload;

/// How many first bytes of a file are kept to recognise its kind.
const HEAD_BYTES: usize = 8 * 1024;

/// A form with at most one file.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub fields: Vec<(String, String)>,
    pub file: Option<Upload>,
}

impl UploadForm {
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum UploadError {
    /// The file passed the limit, or the form around it its room: 413.
    TooLarge,
    /// Not a multipart form, or not a well-formed one.
    Malformed,
    /// A field's name came twice, or a second file came.
    Repeated(String),
    /// The temporary file could not be written.
    Spool(String),
}

/// Reads a `multipart/form-data` body whose file (under `file_field`) may have at most
/// `max_file` bytes, and its other fields `max_fields` bytes together.
pub async fn read(
    req: &HttpRequest,
    mut payload: web::Payload,
    file_field: &str,
    max_file: u64,
    max_fields: usize,
) -> Result<UploadForm, UploadError> {
    let Kind::Multipart(boundary) = body::kind(req.headers()) else {
        return Err(UploadError::Malformed);
    };
    let room = max_file
        .saturating_add(max_fields as u64)
        .saturating_add(ENVELOPE as u64);
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > room) {
        return Err(UploadError::TooLarge);
    }
    // The parser wants a stream it may send between threads; the request's body may not be.
    // A small channel carries it, so a slow disk slows the sender rather than filling memory.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    let overflowed = Arc::new(AtomicBool::new(false));
    let over = overflowed.clone();
    actix_web::rt::spawn(async move {
        let mut read = 0u64;
        while let Some(chunk) = payload.next().await {
            let item = match chunk {
                Ok(bytes) => {
                    read += bytes.len() as u64;
                    if read > room {
                        over.store(true, Ordering::Relaxed);
                        let _ = tx.send(Err(std::io::Error::other("too large"))).await;
                        return;
                    }
                    Ok(bytes)
                }
                Err(e) => Err(std::io::Error::other(e.to_string())),
            };
            if tx.send(item).await.is_err() {
                return;
            }
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut form = multer::Multipart::new(stream, boundary);
    let too_large = || overflowed.load(Ordering::Relaxed);
    let failed = |_| {
        if too_large() {
            UploadError::TooLarge
        } else {
            UploadError::Malformed
        }
    };
    let mut names = HashSet::new();
    let mut out = UploadForm::default();
    let mut fields_left = max_fields;
    while let Some(mut field) = form.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if !names.insert(name.clone()) {
            return Err(UploadError::Repeated(name));
        }
        // Browsers write a file name's line breaks and quotes as %0D, %0A and %22 (the HTML
        // standard's multipart encoding); they are read back, for the name to be cleaned of them.
        let file_name = field.file_name().map(|n| {
            n.replace("%0D", "\r")
                .replace("%0A", "\n")
                .replace("%22", "\"")
        });
        match file_name {
            Some(file_name) if name == file_field => {
                let upload = spool(&mut field, file_name, max_file, failed).await?;
                // A file field left empty in a browser sends a part without name or bytes.
                if !(upload.len == 0 && upload.name.is_empty()) {
                    out.file = Some(upload);
                }
            }
            _ => {
                let mut value = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(failed)? {
                    fields_left = fields_left
                        .checked_sub(chunk.len())
                        .ok_or(UploadError::TooLarge)?;
                    value.extend_from_slice(&chunk);
                }
                let value = String::from_utf8(value).map_err(|_| UploadError::Malformed)?;
                out.fields.push((name, value));
            }
        }
    }
    Ok(out)
}

async fn spool(
    field: &mut multer::Field<'_>,
    name: String,
    max_file: u64,
    failed: impl Fn(multer::Error) -> UploadError + Copy,
) -> Result<Upload, UploadError> {
    let spool_error = |e: std::io::Error| UploadError::Spool(e.to_string());
    let mut file = tempfile::tempfile().map_err(spool_error)?;
    let mut hash = Sha256::new();
    let mut head = Vec::with_capacity(HEAD_BYTES);
    let mut len = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(failed)? {
        len += chunk.len() as u64;
        if len > max_file {
            return Err(UploadError::TooLarge);
        }
        if head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        hash.update(&chunk);
        // Into the page cache: a write of a chunk returns in microseconds.
        file.write_all(&chunk).map_err(spool_error)?;
    }
    Ok(Upload {
        file,
        name,
        len,
        sha256: hex::encode(hash.finalize()),
        head,
    })
}

/// A page form that may carry a file: urlencoded (read whole, within `max_fields` bytes) or
/// multipart (read as a stream by `read`). Its fields in order, and the file if one was chosen.
pub async fn read_form(
    req: &HttpRequest,
    mut payload: web::Payload,
    file_field: &str,
    max_file: u64,
    max_fields: usize,
) -> Result<UploadForm, UploadError> {
    match body::kind(req.headers()) {
        Kind::Multipart(_) => read(req, payload, file_field, max_file, max_fields).await,
        Kind::BrokenMultipart => Err(UploadError::Malformed),
        Kind::Other => {
            let mut raw = actix_web::web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| UploadError::Malformed)?;
                if raw.len() + chunk.len() > max_fields {
                    return Err(UploadError::TooLarge);
                }
                raw.extend_from_slice(&chunk);
            }
            let mut names = HashSet::new();
            let mut out = UploadForm::default();
            for (k, v) in url::form_urlencoded::parse(&raw) {
                if !names.insert(k.clone().into_owned()) {
                    return Err(UploadError::Repeated(k.into_owned()));
                }
                out.fields.push((k.into_owned(), v.into_owned()));
            }
            Ok(out)
        }
    }
}
