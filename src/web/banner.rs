//! Success banners: after every action a page says what was done. The action leaves a code in
//! the session (a one-time "flash", never in the address, so that no link can show a banner
//! for something that did not happen); the next page shows it and removes it. Only the codes
//! below exist.

use actix_session::Session;
use maud::{Markup, html};

const FLASH: &str = "flash";

/// Leaves `done` for the next page this session shows.
pub fn set(session: &Session, done: &str) {
    let _ = session.insert(FLASH, done);
}

/// The code the last action left, removed as it is read.
pub fn take(session: &Session) -> Option<String> {
    // Removing marks the session changed (and written back) even when nothing was there: look
    // first, so that a page view without a banner writes nothing.
    session.get::<String>(FLASH).ok().flatten()?;
    session.remove_as::<String>(FLASH).and_then(Result::ok)
}

use crate::domain::workflow::Action;
use crate::i18n::tr;

/// What a `done` code says, in English (pages translate it).
fn text(done: &str) -> Option<&'static str> {
    if let Some(action) = Action::parse(done) {
        return Some(action.done());
    }
    Some(match done {
        "saved" => "Your changes were saved.",
        "discarded" => "The draft was deleted.",
        "filed_again" => {
            "A new draft was made from the earlier request, with every date a year later. Check it before you continue."
        }
        "message" => "Your message was sent.",
        "note" => "The note was added.",
        "attachment" => "The file was added.",
        "threat_level" => {
            "The threat level was recorded. The police were told, and every request of the mission in effect is due for review."
        }
        "attachment_removed" => "The file was removed.",
        "invited" => "The invitation was sent.",
        "preferences" => "Your choices were saved.",
        "language" => "The language was changed.",
        "read_all" => "All notifications were marked as read.",
        _ => return None,
    })
}

/// The banner for `done`, if it names something that was done.
pub fn success(done: Option<&str>) -> Markup {
    html! {
        @if let Some(text) = done.and_then(text) {
            div class="banner success" role="status" {
                p { (tr(text)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_codes_make_a_banner() {
        assert!(text("submit").is_some());
        assert!(text("saved").is_some());
        assert!(text("<script>").is_none());
        assert!(text("").is_none());
    }
}
