//! The Ministry's formal reply as a note verbale: the Ministry's compliments to the mission by
//! name, with reference to the mission's own note verbale when it gave one; the reply text;
//! each measure with the police's decision and its conditions; the Ministry's reference; the
//! closing formula; Oslo and the date of the reply. Built from the request as its reader may
//! see it, once the reply was communicated; it holds no internal note, assessment or routing.

use chrono::{NaiveDate, NaiveDateTime};

use super::{Block, Doc, DocumentError, render};
use crate::app::requests::{MeasureView, RequestView};
use crate::domain::request::Location;
use crate::domain::workflow::Action;
use crate::i18n::{self, Lang, tr, tr_text};

/// The note verbale as a PDF, in `lang`.
pub fn reply(view: &RequestView, lang: Lang, now: NaiveDateTime) -> Result<Vec<u8>, DocumentError> {
    let doc = i18n::render_in(lang, || build(view, now));
    render(&doc)
}

fn build(view: &RequestView, now: NaiveDateTime) -> Doc {
    let reference = view.reference.clone().unwrap_or_default();
    let replied_on = view
        .timeline
        .iter()
        .rev()
        .find(|t| t.action == Action::CommunicateDecision.past())
        .map(|t| crate::domain::time::oslo_date(t.at))
        .unwrap_or_else(|| crate::domain::time::oslo_date(now));
    let mission = &view.mission_name;
    let opening = match &view.note_verbale {
        Some((number, dated)) => tr_text(&format!(
            "The Royal Norwegian Ministry of Foreign Affairs presents its compliments to the {} and, with reference to the mission's note verbale {}, has the honour to reply to its request for protection as follows.",
            mission,
            note_verbale(number, *dated)
        )),
        None => tr_text(&format!(
            "The Royal Norwegian Ministry of Foreign Affairs presents its compliments to the {} and has the honour to reply to its request for protection as follows.",
            mission
        )),
    };
    let mut b = vec![
        Block::Strong(tr("Royal Norwegian Ministry of Foreign Affairs").to_owned()),
        Block::Small(tr("Diplomatic Section · Oslo").to_owned()),
        Block::Rule,
        Block::Fact(tr("Our reference").to_owned(), reference.clone()),
    ];
    if let Some((number, dated)) = &view.note_verbale {
        b.push(Block::Fact(
            tr("Your reference").to_owned(),
            note_verbale(number, *dated),
        ));
    }
    b.push(Block::Fact(tr("Concerning").to_owned(), view.title.clone()));
    b.push(Block::Space(10.0));
    b.push(Block::Title(tr("Note verbale").to_owned()));
    b.push(Block::Paragraph(opening));
    if let Some(text) = &view.reply {
        b.push(Block::Paragraph(text.clone()));
    }
    b.push(Block::Space(6.0));
    b.push(Block::Heading(tr("The measures requested").to_owned()));
    for (i, m) in view.measures.iter().enumerate() {
        b.push(Block::Strong(format!(
            "{} {}: {}",
            tr("Measure "),
            i + 1,
            kind(m)
        )));
        b.push(Block::Fact(tr("Location").to_owned(), location(m)));
        b.push(Block::Fact(tr("When").to_owned(), period(m)));
        if let Some(d) = &m.decision {
            b.push(Block::Fact(
                tr("Decision").to_owned(),
                tr(d.outcome.label()).to_owned(),
            ));
            if let Some(c) = &d.conditions {
                b.push(Block::Fact(tr("Conditions").to_owned(), c.clone()));
            }
            if let Some(r) = &d.decline_reason {
                b.push(Block::Fact(tr("Reason").to_owned(), r.clone()));
            }
        }
        b.push(Block::Space(4.0));
    }
    b.push(Block::Space(6.0));
    b.push(Block::Paragraph(tr_text(&format!(
        "The Royal Norwegian Ministry of Foreign Affairs avails itself of this opportunity to renew to the {} the assurances of its highest consideration.",
        mission
    ))));
    b.push(Block::Space(14.0));
    b.push(Block::Right(format!("Oslo, {}", i18n::date(replied_on))));
    b.push(Block::Space(14.0));
    b.push(Block::Paragraph(format!("{} {}", tr("To the"), mission)));
    Doc {
        title: format!("{} {}", tr("Note verbale"), reference),
        lang: i18n::current().code(),
        footer: format!("{} · {}", tr("Note verbale"), reference),
        page_label: tr("Page {n} of {m}").to_owned(),
        marking: None,
        created: now,
        blocks: b,
    }
}

/// "No. 12/2026 of 20 November 2026", or the number alone.
pub(super) fn note_verbale(number: &str, dated: Option<NaiveDate>) -> String {
    match dated {
        Some(d) => tr_text(&format!("No. {} of {}", number, i18n::date(d))),
        None => tr_text(&format!("No. {}", number)),
    }
}

pub(super) fn kind(m: &MeasureView) -> String {
    m.kind
        .map(|k| tr(k.label()))
        .unwrap_or(tr("Not chosen yet"))
        .to_owned()
}

pub(super) fn location(m: &MeasureView) -> String {
    match m.location {
        Some(Location::Other) => m.address.clone().unwrap_or_default(),
        Some(l) => tr(l.label()).to_owned(),
        None => tr("Not chosen yet").to_owned(),
    }
}

/// "1 December 2026 – until further notice, daily 17:00–22:30".
pub(super) fn period(m: &MeasureView) -> String {
    let from = m
        .starts_on
        .map(i18n::date)
        .unwrap_or_else(|| "–".to_owned());
    let until = m
        .ends_on
        .map(i18n::date)
        .unwrap_or_else(|| tr("until further notice").to_owned());
    let mut text = if m.starts_on.is_some() && m.starts_on == m.ends_on {
        from
    } else {
        format!("{from} \u{2013} {until}")
    };
    match (m.from_time.as_deref(), m.until_time.as_deref()) {
        (None, None) => {}
        (from, until) => text.push_str(&tr_text(&format!(
            ", daily {}\u{2013}{}",
            from.unwrap_or(""),
            until.unwrap_or("")
        ))),
    }
    text
}
