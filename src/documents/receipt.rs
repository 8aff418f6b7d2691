//! The receipt of a request: what the mission submitted, when and by whom, and what happens
//! next. Built from the request as its reader may see it; it holds no status, no routing and no
//! classified content, so a mission's receipt of a request the police referred to PST reads
//! exactly as one that never was.

use chrono::NaiveDateTime;

use super::{Block, Doc, DocumentError, render};
use crate::app::requests::RequestView;
use crate::domain::workflow::Action;
use crate::i18n::{self, Lang, tr, tr_text};

/// The receipt as a PDF, in `lang`.
pub fn receipt(
    view: &RequestView,
    lang: Lang,
    now: NaiveDateTime,
) -> Result<Vec<u8>, DocumentError> {
    let doc = i18n::render_in(lang, || build(view, now));
    render(&doc)
}

fn build(view: &RequestView, now: NaiveDateTime) -> Doc {
    let reference = view.reference.clone().unwrap_or_default();
    let submitted_by = view
        .timeline
        .iter()
        .find(|t| t.action == Action::Submit.past())
        .map(|t| tr_text(t.by.text()));
    let mut b = vec![
        Block::Small(tr("Ministry of Foreign Affairs · Diplomatic Section").to_owned()),
        Block::Rule,
        Block::Title(tr("Receipt for a request for protection").to_owned()),
        Block::Fact(tr("Reference").to_owned(), reference.clone()),
        Block::Fact(tr("Mission").to_owned(), view.mission_name.clone()),
    ];
    if let Some(at) = view.submitted_at {
        let mut when = i18n::oslo(at);
        if let Some(by) = &submitted_by {
            when.push_str(tr(" by "));
            when.push_str(by);
        }
        b.push(Block::Fact(tr("Submitted").to_owned(), when));
    }
    b.push(Block::Fact(
        tr("Received by").to_owned(),
        tr("Ministry of Foreign Affairs · Diplomatic Section").to_owned(),
    ));
    b.push(Block::Space(8.0));
    b.push(Block::Heading(tr("The request").to_owned()));
    b.push(Block::Fact(tr("Title").to_owned(), view.title.clone()));
    b.push(Block::Fact(
        tr("Justification").to_owned(),
        view.justification.clone(),
    ));
    b.push(Block::Fact(
        tr("Urgency").to_owned(),
        tr(view.urgency.label()).to_owned(),
    ));
    b.push(Block::Fact(
        tr("Contact").to_owned(),
        format!(
            "{}, {}, {}",
            view.contact.name, view.contact.phone, view.contact.email
        ),
    ));
    if let Some(d) = view.needed_by {
        b.push(Block::Fact(
            tr("Protection needed from").to_owned(),
            i18n::date(d),
        ));
    }
    if let Some((number, dated)) = &view.note_verbale {
        b.push(Block::Fact(
            tr("Note verbale").to_owned(),
            super::reply::note_verbale(number, *dated),
        ));
    }
    if let Some(e) = &view.event {
        b.push(Block::Space(8.0));
        b.push(Block::Heading(tr("The event").to_owned()));
        b.push(Block::Fact(tr("Name").to_owned(), e.name.clone()));
        b.push(Block::Fact(tr("Venue").to_owned(), e.venue.clone()));
        b.push(Block::Fact(
            tr("Address of the venue").to_owned(),
            e.address.clone(),
        ));
        b.push(Block::Fact(
            tr("Starts").to_owned(),
            e.starts_at.map(i18n::date_time).unwrap_or_default(),
        ));
        b.push(Block::Fact(
            tr("Ends").to_owned(),
            e.ends_at.map(i18n::date_time).unwrap_or_default(),
        ));
        if let Some(n) = e.expected_attendance {
            b.push(Block::Fact(
                tr("Expected attendance").to_owned(),
                n.to_string(),
            ));
        }
    }
    if !view.protected_persons.is_empty() {
        b.push(Block::Space(8.0));
        b.push(Block::Heading(tr("People to protect").to_owned()));
        for p in &view.protected_persons {
            let mut about = p.position.clone();
            let stay = [p.arrives_at, p.leaves_at]
                .iter()
                .map(|t| t.map(i18n::date_time).unwrap_or_default())
                .collect::<Vec<_>>();
            if p.arrives_at.is_some() || p.leaves_at.is_some() {
                about.push_str(&format!(" · {}\u{2013}{}", stay[0], stay[1]));
            }
            b.push(Block::Fact(p.name.clone(), about));
        }
    }
    b.push(Block::Space(8.0));
    b.push(Block::Heading(tr("Measures").to_owned()));
    for (i, m) in view.measures.iter().enumerate() {
        b.push(Block::Strong(format!(
            "{} {}: {}",
            tr("Measure "),
            i + 1,
            super::reply::kind(m)
        )));
        b.push(Block::Fact(
            tr("Location").to_owned(),
            super::reply::location(m),
        ));
        b.push(Block::Fact(tr("When").to_owned(), super::reply::period(m)));
        b.push(Block::Fact(
            tr("Description").to_owned(),
            m.description.clone(),
        ));
        b.push(Block::Space(4.0));
    }
    b.push(Block::Space(8.0));
    b.push(Block::Heading(tr("What happens next").to_owned()));
    b.push(Block::Paragraph(
        tr("The Ministry of Foreign Affairs will send its formal reply through the portal, with the decision on each measure.").to_owned(),
    ));
    if let Some(d) = view.reply_expected_by {
        b.push(Block::Paragraph(tr_text(&format!(
            "The Ministry expects to reply by {}.",
            i18n::date(d)
        ))));
    }
    Doc {
        title: format!("{} {}", tr("Receipt"), reference),
        lang: i18n::current().code(),
        footer: format!("{} · {}", tr("Receipt"), reference),
        page_label: tr("Page {n} of {m}").to_owned(),
        marking: None,
        created: now,
        blocks: b,
    }
}
