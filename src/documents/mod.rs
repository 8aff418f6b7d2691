//! The portal's generated documents: the receipt of a request and the Ministry's formal reply as a
//! note verbale, as PDF/A-2b on A4 with their fonts embedded, in the reader's language.
//!
//! Each document is built from a request view that `domain::disclosure` has already redacted
//! for its reader (`receipt`, `reply`), as a list of blocks; this module lays the blocks out —
//! words measured with the font's own advance widths, lines broken between words, pages broken
//! between lines — and draws them with `krilla`, which writes and checks the PDF/A. The text is
//! drawn in reading order, so it extracts as it reads. Every page carries a footer with the
//! document's reference and "Page n of m", and, were a document ever to carry a classification
//! marking, that marking at the top and bottom of every page (the two documents here never do:
//! classified content never goes into them).
//!
//! The fonts are DejaVu Sans and DejaVu Sans Bold (Bitstream Vera licence, `assets/fonts/`),
//! compiled into the binary and subset into each PDF. A character they lack is drawn as "?",
//! since PDF/A forbids drawing a glyph the font does not have.

pub mod receipt;
pub mod reply;

use std::sync::OnceLock;

use krilla::Document;
use krilla::configure::{Archival, ConfigurationBuilder, Validator};
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

/// DejaVu Sans, which the PDFs embed and the charts measure their labels with.
pub(crate) const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 62.0;
const MARGIN_TOP: f32 = 64.0;
/// Room below the text for the footer (and a marking).
const MARGIN_BOTTOM: f32 = 86.0;
const BODY: f32 = 10.5;
const SMALL: f32 = 8.5;
const HEADING: f32 = 12.5;
const TITLE: f32 = 16.0;
const LEADING: f32 = 1.42;
/// The label column of a fact (label on the left, value on the right).
const LABEL_W: f32 = 150.0;

/// One block of a document, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The document's title, large and bold.
    Title(String),
    Heading(String),
    Paragraph(String),
    /// A paragraph in bold.
    Strong(String),
    /// Smaller text (a note below a table, the sender's address).
    Small(String),
    /// A label and its value, side by side.
    Fact(String, String),
    /// A paragraph set off to the right (the place and date of a note).
    Right(String),
    /// Vertical space, in points.
    Space(f32),
    /// A thin line across the text.
    Rule,
}

/// A document ready to be drawn.
#[derive(Debug, Clone)]
pub struct Doc {
    /// The PDF's title (metadata) and `lang` its language code.
    pub title: String,
    pub lang: &'static str,
    /// Left of the footer on every page (the reference).
    pub footer: String,
    /// "Page {n} of {m}", with `{n}` and `{m}` to fill in.
    pub page_label: String,
    /// A classification marking for the top and bottom of every page; `None` for documents
    /// that hold no classified content (all of today's).
    pub marking: Option<String>,
    pub created: chrono::NaiveDateTime,
    pub blocks: Vec<Block>,
}

/// Why a document could not be made (a fault of the portal, never of the request).
#[derive(Debug, thiserror::Error)]
#[error("the document could not be written: {0}")]
pub struct DocumentError(String);

struct Fonts {
    regular: Font,
    bold: Font,
    regular_ref: skrifa::FontRef<'static>,
    bold_ref: skrifa::FontRef<'static>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts {
        regular: Font::new(REGULAR.to_vec().into(), 0).expect("the bundled regular font reads"),
        bold: Font::new(BOLD.to_vec().into(), 0).expect("the bundled bold font reads"),
        regular_ref: skrifa::FontRef::new(REGULAR).expect("the bundled regular font reads"),
        bold_ref: skrifa::FontRef::new(BOLD).expect("the bundled bold font reads"),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
}

impl Face {
    fn font(self) -> &'static Font {
        match self {
            Face::Regular => &fonts().regular,
            Face::Bold => &fonts().bold,
        }
    }

    fn reader(self) -> &'static skrifa::FontRef<'static> {
        match self {
            Face::Regular => &fonts().regular_ref,
            Face::Bold => &fonts().bold_ref,
        }
    }
}

/// The text with every character the font cannot draw replaced by "?", and controls by spaces.
fn drawable(text: &str, face: Face) -> String {
    let charmap = face.reader().charmap();
    text.chars()
        .map(|c| {
            if c.is_control() {
                ' '
            } else if charmap.map(c).is_some_and(|g| g.to_u32() != 0) {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn width(text: &str, face: Face, size: f32) -> f32 {
    let reader = face.reader();
    let charmap = reader.charmap();
    let metrics = reader.glyph_metrics(Size::new(size), LocationRef::default());
    text.chars()
        .filter_map(|c| charmap.map(c).and_then(|g| metrics.advance_width(g)))
        .sum()
}

/// Breaks `text` into lines no wider than `max`: at line ends it was given, and between words;
/// a word wider than a line is broken between characters.
fn wrap(text: &str, face: Face, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for given in text.split('\n') {
        let mut line = String::new();
        for word in given.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, face, size) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone: broken between characters when it is wider than a line.
            for c in word.chars() {
                line.push(c);
                if width(&line, face, size) > max && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::replace(&mut line, c.to_string()));
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// A line placed on a page.
#[derive(Debug, Clone)]
struct Placed {
    x: f32,
    /// The baseline.
    y: f32,
    face: Face,
    size: f32,
    text: String,
}

#[derive(Debug, Default)]
struct Page {
    lines: Vec<Placed>,
    rules: Vec<f32>,
}

/// Places every block on pages.
fn lay_out(blocks: &[Block]) -> Vec<Page> {
    let text_w = PAGE_W - 2.0 * MARGIN_X;
    let bottom = PAGE_H - MARGIN_BOTTOM;
    let mut pages = vec![Page::default()];
    let mut y = MARGIN_TOP;
    // Starts a new page when `needed` more points would pass the bottom.
    let room = |pages: &mut Vec<Page>, y: &mut f32, needed: f32| {
        if *y + needed > bottom && *y > MARGIN_TOP {
            pages.push(Page::default());
            *y = MARGIN_TOP;
        }
    };
    for block in blocks {
        let (face, size, indent, gap_after, keep_with_next) = match block {
            Block::Title(_) => (Face::Bold, TITLE, 0.0, 10.0, true),
            Block::Heading(_) => (Face::Bold, HEADING, 0.0, 4.0, true),
            Block::Paragraph(_) | Block::Right(_) => (Face::Regular, BODY, 0.0, 7.0, false),
            Block::Strong(_) => (Face::Bold, BODY, 0.0, 7.0, false),
            Block::Small(_) => (Face::Regular, SMALL, 0.0, 5.0, false),
            Block::Fact(..) => (Face::Regular, BODY, LABEL_W, 3.0, false),
            Block::Space(points) => {
                y += points;
                continue;
            }
            Block::Rule => {
                room(&mut pages, &mut y, 8.0);
                pages.last_mut().expect("a page").rules.push(y + 2.0);
                y += 8.0;
                continue;
            }
        };
        let line_h = size * LEADING;
        let text = match block {
            Block::Title(t)
            | Block::Heading(t)
            | Block::Paragraph(t)
            | Block::Strong(t)
            | Block::Small(t)
            | Block::Right(t) => t.as_str(),
            Block::Fact(_, value) => value.as_str(),
            Block::Space(_) | Block::Rule => unreachable!("handled above"),
        };
        let text = drawable(text, face);
        let lines = wrap(&text, face, size, text_w - indent);
        // A heading is not left alone at the foot of a page.
        let first = if keep_with_next { 3.0 } else { 1.0 };
        room(&mut pages, &mut y, line_h * first);
        // A fact's label beside its value, line by line, each line kept on one page: the label
        // is read before the value, and the pair takes as many lines as the longer of the two.
        let labels = match block {
            Block::Fact(label, _) => {
                let label = drawable(label, Face::Bold);
                wrap(&label, Face::Bold, SMALL + 1.0, LABEL_W - 12.0)
            }
            _ => Vec::new(),
        };
        let rows = lines.len().max(labels.len());
        let mut lines = lines.into_iter();
        let mut labels = labels.into_iter();
        for _ in 0..rows {
            room(&mut pages, &mut y, line_h);
            if let Some(label) = labels.next() {
                pages.last_mut().expect("a page").lines.push(Placed {
                    x: MARGIN_X,
                    y: y + size,
                    face: Face::Bold,
                    size: SMALL + 1.0,
                    text: label,
                });
            }
            let Some(line) = lines.next() else {
                y += line_h;
                continue;
            };
            let x = match block {
                Block::Right(_) => PAGE_W - MARGIN_X - width(&line, face, size),
                _ => MARGIN_X + indent,
            };
            pages.last_mut().expect("a page").lines.push(Placed {
                x,
                y: y + size,
                face,
                size,
                text: line,
            });
            y += line_h;
        }
        y += gap_after;
    }
    pages
}

/// Draws a document as PDF/A-2b.
pub fn render(doc: &Doc) -> Result<Vec<u8>, DocumentError> {
    let configuration = ConfigurationBuilder::new()
        .set_validator(Validator::A(Archival::A2_B))
        .finish()
        .map_err(|e| DocumentError(format!("{e:?}")))?;
    let settings = krilla::SerializeSettings {
        configuration,
        ..Default::default()
    };
    let mut document = Document::new_with(settings);
    let pages = lay_out(&doc.blocks);
    let count = pages.len();
    for (n, page) in pages.iter().enumerate() {
        let size = PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a page size");
        let mut sheet = document.start_page_with(size);
        let mut surface = sheet.surface();
        for line in &page.lines {
            surface.draw_text(
                Point::from_xy(line.x, line.y),
                line.face.font().clone(),
                line.size,
                &line.text,
                false,
                TextDirection::Auto,
            );
        }
        for y in &page.rules {
            let mut path = PathBuilder::new();
            path.move_to(MARGIN_X, *y);
            path.line_to(PAGE_W - MARGIN_X, *y);
            if let Some(path) = path.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    width: 0.6,
                    ..Default::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
                surface.set_fill(Some(Default::default()));
            }
        }
        let label = doc
            .page_label
            .replace("{n}", &(n + 1).to_string())
            .replace("{m}", &count.to_string());
        let label = drawable(&label, Face::Regular);
        let footer = drawable(&doc.footer, Face::Regular);
        let foot_y = PAGE_H - MARGIN_BOTTOM + 40.0;
        surface.draw_text(
            Point::from_xy(MARGIN_X, foot_y),
            Face::Regular.font().clone(),
            SMALL,
            &footer,
            false,
            TextDirection::Auto,
        );
        surface.draw_text(
            Point::from_xy(
                PAGE_W - MARGIN_X - width(&label, Face::Regular, SMALL),
                foot_y,
            ),
            Face::Regular.font().clone(),
            SMALL,
            &label,
            false,
            TextDirection::Auto,
        );
        if let Some(marking) = &doc.marking {
            let marking = drawable(marking, Face::Bold);
            let x = (PAGE_W - width(&marking, Face::Bold, BODY)) / 2.0;
            for y in [MARGIN_TOP - 30.0, PAGE_H - 30.0] {
                surface.draw_text(
                    Point::from_xy(x, y),
                    Face::Bold.font().clone(),
                    BODY,
                    &marking,
                    false,
                    TextDirection::Auto,
                );
            }
        }
        surface.finish();
        sheet.finish();
    }
    let created = doc.created;
    use chrono::{Datelike, Timelike};
    document.set_metadata(
        Metadata::new()
            .title(doc.title.clone())
            .language(doc.lang.to_owned())
            .creator("Protection portal".to_owned())
            .producer("Protection portal".to_owned())
            .creation_date(
                DateTime::new(created.year() as u16)
                    .month(created.month() as u8)
                    .day(created.day() as u8)
                    .hour(created.hour() as u8)
                    .minute(created.minute() as u8)
                    .second(created.second() as u8)
                    .utc_offset_hour(0)
                    .utc_offset_minute(0),
            ),
    );
    document
        .finish()
        .map_err(|e| DocumentError(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(blocks: Vec<Block>, marking: Option<&str>) -> Doc {
        Doc {
            title: "Test".into(),
            lang: "en",
            footer: "PP-2026-000001".into(),
            page_label: "Page {n} of {m}".into(),
            marking: marking.map(str::to_owned),
            created: chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap(),
            blocks,
        }
    }

    #[test]
    fn lines_break_between_words_within_the_text_width() {
        let text = "The Ministry of Foreign Affairs presents its compliments ".repeat(8);
        let lines = wrap(&text, Face::Regular, BODY, 300.0);
        assert!(lines.len() > 3);
        for line in &lines {
            assert!(width(line, Face::Regular, BODY) <= 300.0, "{line}");
            assert!(!line.starts_with(' ') && !line.ends_with(' '));
        }
        let rejoined = lines.join(" ");
        assert_eq!(
            rejoined.split_whitespace().count(),
            text.split_whitespace().count()
        );
        // A word longer than a line is broken, not lost.
        let long = "x".repeat(400);
        let lines = wrap(&long, Face::Regular, BODY, 100.0);
        assert_eq!(lines.concat(), long);
    }

    #[test]
    fn characters_the_font_lacks_are_drawn_as_a_question_mark() {
        assert_eq!(
            drawable("Ærlig øl på Åsgårdstrand", Face::Regular),
            "Ærlig øl på Åsgårdstrand"
        );
        assert_eq!(drawable("Посольство", Face::Regular), "Посольство");
        assert_eq!(drawable("大使館\tx", Face::Regular), "??? x");
    }

    #[test]
    fn long_documents_run_onto_more_pages_with_the_marking_on_every_one() {
        let blocks: Vec<Block> = (0..120)
            .map(|i| Block::Paragraph(format!("Paragraph {i} of a long document.")))
            .collect();
        let pages = lay_out(&blocks);
        assert!(pages.len() >= 3);
        for page in &pages {
            assert!(page.lines.iter().all(|l| l.y <= PAGE_H - MARGIN_BOTTOM));
        }
        let pdf = render(&doc(blocks, Some("RESTRICTED"))).expect("a PDF");
        assert!(pdf.starts_with(b"%PDF-1.7"));
        // PDF/A identification in the XMP metadata.
        let text = String::from_utf8_lossy(&pdf);
        assert!(
            text.contains("pdfaid:part") || text.contains("pdfaid"),
            "PDF/A metadata"
        );
    }
}
