//! The language switch in the header before sign-in: a cookie keeps the choice (after sign-in
//! the account keeps it, `account::save_language`). The way back must be a path of this portal.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::i18n::Lang;

/// The cookie holding the language chosen before sign-in.
pub const COOKIE: &str = "portal_lang";

#[derive(Deserialize)]
pub struct SwitchQuery {
    to: String,
    back: Option<String>,
}

/// Where to go back to: a path of the portal, never another site (`//host`, `/\host`) or
/// anything with control characters.
pub fn local_path(back: Option<&str>) -> &str {
    match back {
        Some(p)
            if p.starts_with('/')
                && p.is_ascii()
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.chars().any(char::is_control) =>
        {
            p
        }
        _ => "/",
    }
}

/// The cookie that keeps a language for the pages shown before sign-in (and after a session
/// ends): set by the switch, and at sign-in and on saving the account's language, so that a
/// person who chose Bokmål still reads Bokmål once signed out.
pub fn cookie(lang: Lang) -> Cookie<'static> {
    Cookie::build(COOKIE, lang.code())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::days(365))
        .finish()
}

/// A redirect to `location` that also remembers `lang` (if any) in the cookie.
pub fn see_other_remembering(location: &str, lang: Option<Lang>) -> HttpResponse {
    let mut answer = HttpResponse::SeeOther();
    answer.insert_header((header::LOCATION, location.to_owned()));
    if let Some(lang) = lang {
        answer.cookie(cookie(lang));
    }
    answer.finish()
}

pub async fn switch(query: web::Query<SwitchQuery>) -> HttpResponse {
    let back = local_path(query.back.as_deref());
    see_other_remembering(back, Lang::parse(&query.to))
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_of_the_portal_are_ways_back() {
        assert_eq!(
            local_path(Some("/requests/1?queue=all")),
            "/requests/1?queue=all"
        );
        assert_eq!(local_path(Some("//evil.example")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(Some("/a\r\nSet-Cookie: x")), "/");
        assert_eq!(local_path(Some("/r\u{e9}sum\u{e9}")), "/");
        assert_eq!(local_path(None), "/");
    }
}
