//! The portal's two languages: English (the default) and Norwegian Bokmål. Pages, e-mails and
//! error messages are written in English in the code and translated here from one catalogue
//! (`nb.rs`), so that a text and its translation sit side by side.
//!
//! The language of a web request is held in a task-local for the request's duration: the frame
//! sets it from `Accept-Language`, and the signed-in person's own choice replaces it once their
//! session is read. Everything that renders a page calls `tr`; e-mails, rendered by the worker,
//! name the recipient's language explicitly (`tr_in`).

mod nb;

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

/// A language the portal speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Lang {
    #[default]
    En,
    Nb,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Nb];

    /// The BCP 47 code, as stored and as `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nb => "nb",
        }
    }

    /// The language's name in itself (for choosing it).
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Nb => "Norsk (bokmål)",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The best of our languages for an `Accept-Language` header: the highest-weighted tag we
    /// speak; Norwegian in any form (`nb`, `no`, `nn`) is Bokmål. English when none matches.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.trim().split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").map(str::to_owned))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "nb" | "no" | "nn" => Lang::Nb,
                "en" => Lang::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }
}

tokio::task_local! {
    static CURRENT: Rc<Cell<Lang>>;
}

/// Runs `work` with `lang` as the current language; `cell` lets the caller read the language
/// the work ended with (a signed-in person's choice replaces the browser's).
pub async fn scope<F: std::future::Future>(cell: Rc<Cell<Lang>>, work: F) -> F::Output {
    CURRENT.scope(cell, work).await
}

/// Runs `work` (rendering, not awaiting) with `lang` as the current language.
pub fn render_in<T>(lang: Lang, work: impl FnOnce() -> T) -> T {
    CURRENT.sync_scope(Rc::new(Cell::new(lang)), work)
}

/// The language of the request being served (English outside one).
pub fn current() -> Lang {
    CURRENT.try_with(|c| c.get()).unwrap_or_default()
}

/// Sets the language for the rest of the request being served.
pub fn set_current(lang: Lang) {
    let _ = CURRENT.try_with(|c| c.set(lang));
}

fn catalogue() -> &'static HashMap<&'static str, &'static str> {
    static MAP: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| nb::NB.iter().copied().collect())
}

/// Every English text with its Bokmål translation.
pub fn entries() -> &'static [(&'static str, &'static str)] {
    nb::NB
}

/// `en` in the current language.
pub fn tr(en: &'static str) -> &'static str {
    tr_in(current(), en)
}

/// `en` in `lang`; the English text itself when the catalogue has no translation (which a test
/// forbids for every text the code passes here).
pub fn tr_in(lang: Lang, en: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Nb => catalogue().get(en).copied().unwrap_or(en),
    }
}

/// A text made at run time (an error message with numbers in it, a label) in the current
/// language.
pub fn tr_text(en: &str) -> String {
    tr_text_in(current(), en)
}

/// Translates a whole text, or one that matches a catalogue pattern whose `{}` stand for parts
/// that are kept as they are (numbers, names, other texts, which are translated in turn).
pub fn tr_text_in(lang: Lang, en: &str) -> String {
    if lang == Lang::En {
        return en.to_owned();
    }
    if let Some(nb) = catalogue().get(en) {
        return (*nb).to_owned();
    }
    // The most specific pattern that matches wins ("must be at most {} characters (is {})"
    // over "must be at most {}").
    let best = nb::NB
        .iter()
        .filter(|(p, _)| p.contains("{}"))
        .filter_map(|(p, t)| match_pattern(p, en).map(|parts| (p.len(), t, parts)))
        .max_by_key(|(specificity, _, _)| *specificity);
    let Some((_, translation, parts)) = best else {
        return en.to_owned();
    };
    let mut out = String::new();
    let mut pieces = translation.split("{}");
    out.push_str(pieces.next().unwrap_or(""));
    for (part, piece) in parts.iter().zip(pieces) {
        out.push_str(&tr_text_in(lang, part));
        out.push_str(piece);
    }
    out
}

/// The parts of `text` that stand where `pattern` has `{}`, if it matches.
fn match_pattern(pattern: &str, text: &str) -> Option<Vec<String>> {
    let literals: Vec<&str> = pattern.split("{}").collect();
    let mut rest = text.strip_prefix(literals[0])?;
    let mut parts = Vec::new();
    for (i, lit) in literals.iter().enumerate().skip(1) {
        let last = i == literals.len() - 1;
        let at = if last {
            if lit.is_empty() {
                rest.len()
            } else {
                rest.strip_suffix(lit).map(str::len)?
            }
        } else {
            rest.find(lit)?
        };
        if at == 0 {
            return None;
        }
        parts.push(rest[..at].to_owned());
        rest = &rest[at + lit.len()..];
    }
    rest.is_empty().then_some(parts)
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_NB: [&str; 12] = [
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
];

/// A calendar date as people write it: "24 November 2026", or in Norwegian "24. november 2026".
pub fn date(d: NaiveDate) -> String {
    date_in(current(), d)
}

pub fn date_in(lang: Lang, d: NaiveDate) -> String {
    let m = d.month0() as usize;
    match lang {
        Lang::En => format!("{} {} {}", d.day(), MONTHS_EN[m], d.year()),
        Lang::Nb => format!("{}. {} {}", d.day(), MONTHS_NB[m], d.year()),
    }
}

const WEEKDAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const WEEKDAYS_NB: [&str; 7] = [
    "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag",
];

/// A day with its weekday: "Tuesday 1 December 2026", in Norwegian "tirsdag 1. desember 2026".
pub fn weekday_date(d: NaiveDate) -> String {
    let w = d.weekday().num_days_from_monday() as usize;
    match current() {
        Lang::En => format!("{} {}", WEEKDAYS_EN[w], date_in(Lang::En, d)),
        Lang::Nb => format!("{} {}", WEEKDAYS_NB[w], date_in(Lang::Nb, d)),
    }
}

/// A month: "December 2026", in Norwegian "desember 2026".
pub fn month_year(d: NaiveDate) -> String {
    let m = d.month0() as usize;
    match current() {
        Lang::En => format!("{} {}", MONTHS_EN[m], d.year()),
        Lang::Nb => format!("{} {}", MONTHS_NB[m], d.year()),
    }
}

/// A month in few letters, for a chart's axis: "Jan 26", in Norwegian "jan. 26".
pub fn short_month(d: NaiveDate) -> String {
    let m = d.month0() as usize;
    let year = d.year() % 100;
    match current() {
        Lang::En => format!("{} {year:02}", &MONTHS_EN[m][..3]),
        Lang::Nb => format!("{}. {year:02}", &MONTHS_NB[m][..3]),
    }
}

/// A short date: "2026-11-24" in English (ISO, as the forms take it), "24.11.2026" in Norwegian.
pub fn short_date(d: NaiveDate) -> String {
    match current() {
        Lang::En => d.format("%Y-%m-%d").to_string(),
        Lang::Nb => d.format("%d.%m.%Y").to_string(),
    }
}

/// A moment as people read it: "23 Nov 2026 18:16", in Norwegian "23.11.2026 kl. 18.16".
/// A moment stored in UTC, as people in Norway read it: Oslo's local time, in the reader's
/// language. Every time on a page goes through here.
pub fn oslo(t: NaiveDateTime) -> String {
    date_time(crate::domain::time::oslo_local(t))
}

pub fn date_time(t: NaiveDateTime) -> String {
    match current() {
        Lang::En => t.format("%-d %b %Y %H:%M").to_string(),
        Lang::Nb => format!(
            "{} kl. {:02}.{:02}",
            t.format("%d.%m.%Y"),
            t.hour(),
            t.minute()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browsers_languages_choose_by_weight_and_norwegian_means_bokmal() {
        assert_eq!(Lang::from_accept_language(""), Lang::En);
        assert_eq!(
            Lang::from_accept_language("nb-NO,nb;q=0.9,en;q=0.8"),
            Lang::Nb
        );
        assert_eq!(Lang::from_accept_language("no"), Lang::Nb);
        assert_eq!(Lang::from_accept_language("nn-NO"), Lang::Nb);
        assert_eq!(Lang::from_accept_language("en-GB,nb;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept_language("de,nb;q=0.7,en;q=0.3"), Lang::Nb);
        assert_eq!(Lang::from_accept_language("de, fr;q=0.8"), Lang::En);
        assert_eq!(Lang::from_accept_language("nb;q=0, en;q=0.1"), Lang::En);
    }

    #[test]
    fn dates_are_written_as_each_language_writes_them() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 4).unwrap();
        assert_eq!(date_in(Lang::En, d), "4 November 2026");
        assert_eq!(date_in(Lang::Nb, d), "4. november 2026");
    }

    #[test]
    fn patterns_translate_their_parts_and_keep_the_rest() {
        assert_eq!(
            match_pattern(
                "must be at least {} characters (is {})",
                "must be at least 20 characters (is 7)"
            ),
            Some(vec!["20".to_owned(), "7".to_owned()])
        );
        assert_eq!(match_pattern("Measure {}", "Measures"), None);
        assert_eq!(
            tr_text_in(Lang::Nb, "must be at least 20 characters (is 7)"),
            "må ha minst 20 tegn (har 7)"
        );
        assert_eq!(
            tr_text_in(Lang::Nb, "must be at most 200 characters (is 201)"),
            "kan ha høyst 200 tegn (har 201)"
        );
        assert_eq!(
            tr_text_in(Lang::Nb, "must be at most 20"),
            "kan være høyst 20"
        );
        assert_eq!(tr_text_in(Lang::En, "anything"), "anything");
        assert_eq!(
            tr_text_in(Lang::Nb, "not a catalogue text"),
            "not a catalogue text"
        );
    }

    #[test]
    fn every_text_has_one_translation_and_patterns_agree() {
        let mut seen = std::collections::HashSet::new();
        for (en, nb) in entries() {
            assert!(seen.insert(*en), "{en:?} is in the catalogue twice");
            assert!(
                !nb.trim().is_empty() || en.trim().is_empty(),
                "{en:?} has no translation"
            );
            assert_eq!(
                en.matches("{}").count(),
                nb.matches("{}").count(),
                "{en:?} and its translation have different placeholders"
            );
        }
    }

    /// Every text the code asks to translate (`tr("…")`, `tr_in(…, "…")`) is in the catalogue:
    /// a new text without its Bokmål fails here.
    #[test]
    fn every_text_the_code_translates_has_a_bokmal_translation() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        let mut files = vec![root];
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).unwrap() {
                    files.push(entry.unwrap().path());
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("i18n/nb.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for text in translated_literals(&source) {
                if !catalogue().contains_key(text.as_str()) {
                    missing.push(format!("{}: {text:?}", path.display()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "texts without a Bokmål translation:\n{}",
            missing.join("\n")
        );
    }

    /// Texts the code builds rather than writes as literals: the nouns of plain-language error
    /// messages, and each step as a past event and as a banner.
    #[test]
    fn built_texts_have_a_bokmal_translation_too() {
        let mut missing = Vec::new();
        let mut texts = crate::domain::wording::every_noun_phrase();
        for action in crate::domain::workflow::Action::ALL {
            texts.push(action.past().to_owned());
            texts.push(action.done().to_owned());
        }
        for event in crate::audit::EVENTS {
            texts.push(
                crate::audit::describe(event)
                    .expect("every event is described")
                    .to_owned(),
            );
        }
        for outcome in ["success", "failure", "denied", "other"] {
            texts.push(crate::audit::describe_outcome(outcome).to_owned());
        }
        for text in texts {
            if !catalogue().contains_key(text.as_str()) {
                missing.push(text);
            }
        }
        assert!(missing.is_empty(), "without Bokmål: {missing:#?}");
    }

    /// The string literals passed to `tr(` or as the second argument of `tr_in(`/`t(`.
    fn translated_literals(source: &str) -> Vec<String> {
        let mut out = Vec::new();
        for opener in ["tr(\"", "tr_in(lang, \"", "t(\""] {
            let mut rest = source;
            while let Some(at) = rest.find(opener) {
                let before = rest[..at].chars().next_back();
                rest = &rest[at + opener.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let mut text = String::new();
                let mut chars = rest.char_indices();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            let (_, e) = chars.next().unwrap();
                            match e {
                                'n' => text.push('\n'),
                                'u' => {
                                    let hex: String =
                                        rest[i + 3..].chars().take_while(|c| *c != '}').collect();
                                    text.push(
                                        char::from_u32(u32::from_str_radix(&hex, 16).unwrap())
                                            .unwrap(),
                                    );
                                    for _ in 0..hex.len() + 2 {
                                        chars.next();
                                    }
                                }
                                other => text.push(other),
                            }
                        }
                        '"' => {
                            rest = &rest[i + 1..];
                            break;
                        }
                        c => text.push(c),
                    }
                }
                out.push(text);
            }
        }
        out
    }
}
