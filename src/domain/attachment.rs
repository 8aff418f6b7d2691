//! Attachments on a request (site plans, the scanned note verbale, a threatening letter): which
//! files the portal takes, recognised by their bytes and never by their name or declared type;
//! how a file's name is cleaned before anyone sees it again; and the name a download carries.
//! Who may add, see and remove them is decided in `disclosure`.

use std::io::{self, Read, Seek, SeekFrom};

use super::FieldError;

/// The longest file name kept, in characters (of any script).
pub const MAX_NAME_CHARS: usize = 200;

/// The kinds of file the portal takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
}

impl FileKind {
    pub const ALL: [FileKind; 3] = [FileKind::Pdf, FileKind::Png, FileKind::Jpeg];

    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
        }
    }

    pub fn from_content_type(value: &str) -> Option<FileKind> {
        Self::ALL.into_iter().find(|k| k.content_type() == value)
    }

    /// The extension a saved copy gets, and the ones it may already have.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Pdf => &["pdf"],
            FileKind::Png => &["png"],
            FileKind::Jpeg => &["jpg", "jpeg"],
        }
    }

    /// "PDF", "PNG", "JPEG": how people name the kind.
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Pdf => "PDF",
            FileKind::Png => "PNG",
            FileKind::Jpeg => "JPEG",
        }
    }
}

/// Who an attachment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// The mission and the authorities.
    External,
    /// The Norwegian authorities only, classified like a note.
    Internal,
}

impl Visibility {
    pub fn code(self) -> &'static str {
        match self {
            Visibility::External => "external",
            Visibility::Internal => "internal",
        }
    }

    pub fn parse(value: &str) -> Result<Visibility, FieldError> {
        match value {
            "external" => Ok(Visibility::External),
            "internal" => Ok(Visibility::Internal),
            _ => Err(FieldError::new(
                "visibility",
                "Choose who may see the file: external (the mission and the authorities) or internal (the authorities only)",
            )),
        }
    }
}

/// Why a file was refused, in words for the person who sent it.
pub const NOT_ACCEPTED: &str = "The selected file must be a PDF, PNG or JPEG";
pub const EMPTY: &str = "The selected file is empty";
pub const DAMAGED: &str = "The selected file is not a complete PDF, PNG or JPEG file: it may be damaged, or be another kind of file under that name";

/// The kind of file these first bytes begin, if it is one the portal takes (the magic numbers
/// of `infer`; a name or a declared type is never asked).
pub fn recognise(head: &[u8]) -> Option<FileKind> {
    let found = infer::get(head)?;
    FileKind::from_content_type(found.mime_type())
}

/// Checks that the whole file is what its first bytes say, so that a file that merely starts
/// like an image or a PDF (a polyglot: a JPEG header followed by a web page) is refused. The
/// walk reads the file's own structure: a PNG's chunks from the header to `IEND`, a JPEG's
/// segments from the start to the end of image, a PDF's trailer; nothing may follow the end.
pub fn check_whole<R: Read + Seek>(
    kind: FileKind,
    file: &mut R,
    len: u64,
) -> Result<(), FieldError> {
    if len == 0 {
        return Err(FieldError::new("file", EMPTY));
    }
    let well_formed = match kind {
        FileKind::Png => png_is_whole(file, len),
        FileKind::Jpeg => jpeg_is_whole(file, len),
        FileKind::Pdf => pdf_is_whole(file, len),
    };
    match well_formed {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) => Err(FieldError::new("file", DAMAGED)),
    }
}

fn read_array<const N: usize, R: Read>(r: &mut R) -> io::Result<[u8; N]> {
    let mut buf = [0u8; N];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

fn png_is_whole<R: Read + Seek>(file: &mut R, len: u64) -> io::Result<bool> {
    const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    file.seek(SeekFrom::Start(0))?;
    if read_array::<8, _>(file)? != SIGNATURE {
        return Ok(false);
    }
    let mut at = 8u64;
    let mut first = true;
    loop {
        if at + 12 > len {
            return Ok(false);
        }
        let length = u64::from(u32::from_be_bytes(read_array::<4, _>(file)?));
        let kind = read_array::<4, _>(file)?;
        if !kind.iter().all(u8::is_ascii_alphabetic) || length > (1 << 31) {
            return Ok(false);
        }
        if first && (&kind != b"IHDR" || length != 13) {
            return Ok(false);
        }
        first = false;
        at += 12 + length;
        if at > len {
            return Ok(false);
        }
        if &kind == b"IEND" {
            return Ok(length == 0 && at == len);
        }
        file.seek(SeekFrom::Start(at))?;
    }
}

fn jpeg_is_whole<R: Read + Seek>(file: &mut R, len: u64) -> io::Result<bool> {
    let mut r = io::BufReader::with_capacity(16 * 1024, file);
    r.seek(SeekFrom::Start(0))?;
    if read_array::<2, _>(&mut r)? != [0xff, 0xd8] {
        return Ok(false);
    }
    let mut at = 2u64;
    let mut frame = false;
    // The marker to read next, once entropy-coded data has been scanned past it.
    let mut pending: Option<u8> = None;
    loop {
        let marker = match pending.take() {
            Some(m) => m,
            None => {
                if read_array::<1, _>(&mut r)? != [0xff] {
                    return Ok(false);
                }
                at += 1;
                let mut m = 0xff;
                while m == 0xff {
                    m = read_array::<1, _>(&mut r)?[0];
                    at += 1;
                }
                m
            }
        };
        match marker {
            // End of image: nothing may follow it.
            0xd9 => return Ok(frame && at == len),
            // Markers without a length.
            0x01 | 0xd0..=0xd7 => continue,
            0x00 | 0xd8 => return Ok(false),
            _ => {}
        }
        let length = u64::from(u16::from_be_bytes(read_array::<2, _>(&mut r)?));
        if length < 2 || at + length > len {
            return Ok(false);
        }
        if matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc) {
            frame = true;
        }
        r.seek_relative(length as i64 - 2)?;
        at += length;
        if marker == 0xda {
            if !frame {
                return Ok(false);
            }
            // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor
            // a restart.
            let mut previous_ff = false;
            loop {
                let byte = read_array::<1, _>(&mut r)?[0];
                at += 1;
                if previous_ff {
                    match byte {
                        0x00 | 0xd0..=0xd7 => previous_ff = false,
                        0xff => {}
                        m => {
                            pending = Some(m);
                            break;
                        }
                    }
                } else {
                    previous_ff = byte == 0xff;
                }
            }
        }
    }
}

fn pdf_is_whole<R: Read + Seek>(file: &mut R, len: u64) -> io::Result<bool> {
    file.seek(SeekFrom::Start(0))?;
    let head = read_array::<8, _>(file)?;
    let version_ok = head.starts_with(b"%PDF-")
        && head[5].is_ascii_digit()
        && head[6] == b'.'
        && head[7].is_ascii_digit();
    if !version_ok || len < 32 {
        return Ok(false);
    }
    // The trailer: `startxref`, then `%%EOF` with at most line ends and spaces after it.
    let tail_len = len.min(2048);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail)?;
    let Some(eof) = find_last(&tail, b"%%EOF") else {
        return Ok(false);
    };
    let after_eof = &tail[eof + 5..];
    Ok(find_last(&tail[..eof], b"startxref").is_some()
        && after_eof.iter().all(|b| b.is_ascii_whitespace() || *b == 0))
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// A file name as people may see it again: no folders, no control or direction-changing
/// characters, no characters file systems refuse, at most `MAX_NAME_CHARS` characters of any
/// script, ending in the extension of what the file is.
pub fn clean_name(raw: &str, kind: FileKind) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .map(|c| if "<>:\"|?*".contains(c) { '_' } else { c })
        .collect();
    let kept = kept
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' ']);
    let (stem, has_extension) = match kept.rsplit_once('.') {
        Some((stem, ext))
            if kind
                .extensions()
                .iter()
                .any(|e| e.eq_ignore_ascii_case(ext)) =>
        {
            (stem.trim_end(), Some(ext.to_owned()))
        }
        _ => (kept, None),
    };
    let extension = has_extension.unwrap_or_else(|| kind.extensions()[0].to_owned());
    let stem = if stem.is_empty() { "attachment" } else { stem };
    let room = MAX_NAME_CHARS - extension.chars().count() - 1;
    let stem: String = stem.chars().take(room).collect();
    format!("{}.{extension}", stem.trim_end())
}

/// Characters that change how text around them is shown without showing themselves: direction
/// marks and overrides (which can make `gpj.exe` read as `exe.jpg`), zero-width characters,
/// the byte-order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{061c}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}')
}

/// The `Content-Disposition` value of a download (RFC 6266): always `attachment`, with the name
/// in plain ASCII for old clients and in full, percent-encoded UTF-8 (RFC 5987) for the rest.
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' && c != '%' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.as_bytes() {
        let c = *byte as char;
        if c.is_ascii_alphanumeric() || "!#$&+-.^_`|~".contains(c) {
            encoded.push(c);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn png() -> Vec<u8> {
        let mut f = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        f.extend_from_slice(&13u32.to_be_bytes());
        f.extend_from_slice(b"IHDR");
        f.extend_from_slice(&[0; 13]);
        f.extend_from_slice(&[0; 4]);
        f.extend_from_slice(&0u32.to_be_bytes());
        f.extend_from_slice(b"IEND");
        f.extend_from_slice(&[0xae, 0x42, 0x60, 0x82]);
        f
    }

    fn jpeg() -> Vec<u8> {
        let mut f = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10];
        f.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        f.extend_from_slice(&[0xff, 0xc0, 0x00, 0x0b, 8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
        f.extend_from_slice(&[0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 0x3f, 0]);
        f.extend_from_slice(&[0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56]);
        f.extend_from_slice(&[0xff, 0xd9]);
        f
    }

    fn check(bytes: &[u8]) -> Result<FileKind, ()> {
        let kind = recognise(bytes).ok_or(())?;
        check_whole(kind, &mut Cursor::new(bytes), bytes.len() as u64).map_err(|_| ())?;
        Ok(kind)
    }

    #[test]
    fn files_are_known_by_their_whole_bytes() {
        assert_eq!(check(&png()), Ok(FileKind::Png));
        assert_eq!(check(&jpeg()), Ok(FileKind::Jpeg));
        let pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\nxref\n0 1\ntrailer<<>>\nstartxref\n9\n%%EOF\n";
        assert_eq!(check(pdf), Ok(FileKind::Pdf));
        // A polyglot: a JPEG's start, then a web page.
        let mut polyglot = jpeg()[..20].to_vec();
        polyglot.extend_from_slice(b"<html><script>alert(1)</script></html>");
        assert_eq!(check(&polyglot), Err(()));
        // Something after the end of an image.
        let mut trailing = png();
        trailing.extend_from_slice(b"<html>");
        assert_eq!(check(&trailing), Err(()));
        let mut trailing = jpeg();
        trailing.extend_from_slice(b"<svg onload=alert(1)>");
        assert_eq!(check(&trailing), Err(()));
        // Cut short.
        assert_eq!(check(&png()[..30]), Err(()));
        assert_eq!(check(&pdf[..40]), Err(()));
        // Only their start.
        assert_eq!(check(b"%PDF-1.4 <html>not a pdf</html>"), Err(()));
        assert_eq!(
            check(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Err(())
        );
        assert_eq!(check(b"<!DOCTYPE html><html></html>"), Err(()));
        assert_eq!(check(b"GIF89a......"), Err(()));
        assert!(
            check_whole(FileKind::Pdf, &mut Cursor::new(Vec::new()), 0)
                .is_err_and(|e| e.message == EMPTY)
        );
    }

    #[test]
    fn names_lose_folders_controls_and_direction_marks_but_keep_their_script() {
        assert_eq!(clean_name("../../etc/passwd", FileKind::Pdf), "passwd.pdf");
        assert_eq!(
            clean_name("C:\\Users\\x\\plan.PDF", FileKind::Pdf),
            "plan.PDF"
        );
        assert_eq!(
            clean_name("site\r\nplan.png", FileKind::Png),
            "siteplan.png"
        );
        // An override that would show "exe.jpg" as a picture's name.
        assert_eq!(
            clean_name("photo\u{202e}gpj.exe", FileKind::Jpeg),
            "photogpj.exe.jpg"
        );
        assert_eq!(clean_name("\u{200f}خريطة.pdf", FileKind::Pdf), "خريطة.pdf");
        assert_eq!(
            clean_name("会場の地図.jpeg", FileKind::Jpeg),
            "会場の地図.jpeg"
        );
        assert_eq!(clean_name("..", FileKind::Png), "attachment.png");
        assert_eq!(clean_name("a\"b<c>.pdf", FileKind::Pdf), "a_b_c_.pdf");
        let long = clean_name(&"ø".repeat(500), FileKind::Pdf);
        assert_eq!(long.chars().count(), MAX_NAME_CHARS);
        assert!(long.ends_with(".pdf"));
    }

    #[test]
    fn downloads_name_the_file_for_old_and_new_clients() {
        assert_eq!(
            content_disposition("plan.pdf"),
            "attachment; filename=\"plan.pdf\"; filename*=UTF-8''plan.pdf"
        );
        assert_eq!(
            content_disposition("地図 1.png"),
            "attachment; filename=\"__ 1.png\"; filename*=UTF-8''%E5%9C%B0%E5%9B%B3%201.png"
        );
    }
}
