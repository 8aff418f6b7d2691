//! Full-text search (product.md § 14): how text is folded into words for the index and for a
//! query, which words of a request match, how a match ranks, and which words to highlight.
//!
//! Folding is the portal's own and the same on both engines: lower case, accents removed (`é`
//! → `e`, `ó` → `o`) and the letters without a decomposition spelled out (`ð` → `d`, `þ` →
//! `th`, `æ` → `ae`, `ø` → `o`, `ß` → `ss`), so that "Sigurdardottir" finds "Sigurðardóttir".
//! Ranking looks at the request alone — how often and where the words occur — never at other
//! requests, so that no other mission's words can move a mission's results.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The most words a query is made of; further words are left out.
pub const TERMS_MAX: usize = 8;
/// The longest word looked for (longer ones are cut).
const TERM_CHARS_MAX: usize = 40;

/// Letters that have no canonical decomposition, as they are spelled without their mark.
fn spelled(c: char) -> Option<&'static str> {
    Some(match c {
        'ð' | 'đ' => "d",
        'þ' => "th",
        'æ' => "ae",
        'ø' => "o",
        'œ' => "oe",
        'ß' => "ss",
        'ł' => "l",
        'ı' => "i",
        'ħ' => "h",
        'ŧ' => "t",
        'ŋ' => "n",
        _ => return None,
    })
}

/// `text` as the index holds it: lower case, without accents.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkd().flat_map(char::to_lowercase) {
        if is_combining_mark(c) {
            continue;
        }
        match spelled(c) {
            Some(s) => out.push_str(s),
            None => out.push(c),
        }
    }
    out
}

/// The words of `text`: runs of letters and digits, each with its byte range in `text`.
pub fn words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let start = loop {
            let (i, c) = chars.next()?;
            if c.is_alphanumeric() {
                break i;
            }
        };
        let mut end = text.len();
        while let Some(&(i, c)) = chars.peek() {
            if !(c.is_alphanumeric() || is_combining_mark(c)) {
                end = i;
                break;
            }
            chars.next();
        }
        Some((start, end))
    })
}

/// The words of `text`, folded: what the index is given.
pub fn indexed(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for (s, e) in words(text) {
        let folded = fold(&text[s..e]);
        out.extend(words(&folded).map(|(fs, fe)| folded[fs..fe].to_owned()));
    }
    out.join(" ")
}

/// One word looked for: whole words only (a word's beginning would make the index merge every
/// word that begins so, which for a short beginning is most of the index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Folded, letters and digits only.
    pub word: String,
}

impl Term {
    /// Whether a folded word of the text is this term.
    pub fn finds(&self, folded: &str) -> bool {
        folded == self.word
    }
}

/// What a person searched for, as terms that must all be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<Term>,
}

impl Query {
    /// The terms of a search text; `None` when it holds no word.
    pub fn parse(text: &str) -> Option<Self> {
        let mut terms: Vec<Term> = Vec::new();
        for (s, e) in words(text) {
            // A folded word may itself fall apart into words (a compatibility form such as
            // "½" becomes "1⁄2"); each counts.
            let folded = fold(&text[s..e]);
            for (fs, fe) in words(&folded) {
                let word: String = folded[fs..fe].chars().take(TERM_CHARS_MAX).collect();
                if !terms.iter().any(|t| t.word == word) {
                    terms.push(Term { word });
                }
            }
        }
        terms.truncate(TERMS_MAX);
        (!terms.is_empty()).then_some(Self { terms })
    }

    /// Whether the folded word is one of the terms.
    pub fn finds(&self, folded: &str) -> bool {
        self.terms.iter().any(|t| t.finds(folded))
    }

    /// How well a request matches, from its own words only: each term found in its heading (the
    /// reference, title and mission) counts three times each time, in its body once; a request
    /// missing a term scores nothing.
    pub fn score(&self, heading: &str, body: &str) -> u32 {
        let mut total = 0u32;
        for term in &self.terms {
            let count =
                |text: &str| text.split(' ').filter(|w| term.finds(w)).count().min(50) as u32;
            let found = 3 * count(heading) + count(body);
            if found == 0 {
                return 0;
            }
            total += found;
        }
        total
    }
}

/// A piece of shown text, found by the search or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub text: String,
    pub found: bool,
}

/// `text` cut into fragments, the words the query finds marked.
pub fn highlight(text: &str, query: &Query) -> Vec<Fragment> {
    let mut out: Vec<Fragment> = Vec::new();
    let mut push = |piece: &str, found: bool| {
        if piece.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.found == found => last.text.push_str(piece),
            _ => out.push(Fragment {
                text: piece.to_owned(),
                found,
            }),
        }
    };
    let mut at = 0;
    for (s, e) in words(text) {
        if query.finds(&fold(&text[s..e])) {
            push(&text[at..s], false);
            push(&text[s..e], true);
            at = e;
        }
    }
    push(&text[at..], false);
    out
}

/// Whether the query finds a word of `text`.
pub fn found_in(text: &str, query: &Query) -> bool {
    words(text).any(|(s, e)| query.finds(&fold(&text[s..e])))
}

/// About `around` words either side of the first word found in `text`, with "…" where the text
/// was cut; `None` when nothing is found in it.
pub fn snippet(text: &str, query: &Query, around: usize) -> Option<Vec<Fragment>> {
    let spans: Vec<(usize, usize)> = words(text).collect();
    let first = spans
        .iter()
        .position(|&(s, e)| query.finds(&fold(&text[s..e])))?;
    let from = first.saturating_sub(around);
    let to = (first + around).min(spans.len() - 1);
    let start = if from == 0 { 0 } else { spans[from].0 };
    let end = if to == spans.len() - 1 {
        text.len()
    } else {
        spans[to].1
    };
    let mut fragments = highlight(&text[start..end], query);
    if start > 0 {
        fragments.insert(
            0,
            Fragment {
                text: "… ".into(),
                found: false,
            },
        );
    }
    if end < text.len() {
        fragments.push(Fragment {
            text: " …".into(),
            found: false,
        });
    }
    Some(fragments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Query {
        Query::parse(text).expect("a query")
    }

    #[test]
    fn folding_removes_accents_and_spells_out_letters_without_them() {
        assert_eq!(fold("Sigurðardóttir"), "sigurdardottir");
        assert_eq!(fold("Þórshöfn"), "thorshofn");
        assert_eq!(fold("Ærø Straße"), "aero strasse");
        assert_eq!(fold("Łódź"), "lodz");
        assert_eq!(fold("ÉCOLE"), "ecole");
        // Other scripts keep their letters.
        assert_eq!(fold("Москва"), "москва");
        assert_eq!(fold("東京"), "東京");
    }

    #[test]
    fn a_query_is_its_folded_words_the_last_one_also_a_beginning() {
        let query = q("  Sigurdardottir, ICELAND  iceland ");
        assert_eq!(
            query.terms,
            vec![
                Term {
                    word: "sigurdardottir".into(),
                },
                Term {
                    word: "iceland".into(),
                },
            ]
        );
        assert!(Query::parse(" ,;- ").is_none());
        assert_eq!(q("a b c d e f g h i j").terms.len(), TERMS_MAX);
        assert_eq!(
            q("2026/00042")
                .terms
                .iter()
                .map(|t| t.word.as_str())
                .collect::<Vec<_>>(),
            ["2026", "00042"]
        );
    }

    #[test]
    fn the_index_holds_folded_words() {
        assert_eq!(
            indexed("Guðrún Jónsdóttir — Embassy of Iceland (2026/00042)"),
            "gudrun jonsdottir embassy of iceland 2026 00042"
        );
    }

    #[test]
    fn ranking_counts_each_term_and_prefers_the_heading() {
        let query = q("guard iceland");
        let in_heading = query.score("2026 00001 guard at the reception embassy of iceland", "");
        let in_body = query.score("2026 00002 reception", "a guard for the embassy of iceland");
        assert!(in_heading > in_body, "{in_heading} {in_body}");
        assert_eq!(
            query.score("guard", "nothing else"),
            0,
            "every term must be found"
        );
        assert_eq!(
            q("iceland").score("", "icelandic delegation"),
            0,
            "whole words only"
        );
    }

    #[test]
    fn highlighting_marks_the_words_found_as_typed() {
        let query = q("sigurdardottir reception");
        let fragments = highlight("Reception for Guðrún Sigurðardóttir.", &query);
        assert_eq!(
            fragments,
            vec![
                Fragment {
                    text: "Reception".into(),
                    found: true
                },
                Fragment {
                    text: " for Guðrún ".into(),
                    found: false
                },
                Fragment {
                    text: "Sigurðardóttir".into(),
                    found: true
                },
                Fragment {
                    text: ".".into(),
                    found: false
                },
            ]
        );
        let joined: String = fragments.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(joined, "Reception for Guðrún Sigurðardóttir.");
    }

    #[test]
    fn a_snippet_shows_the_words_around_the_first_found() {
        let text = "one two three four five six seven eight nine ten";
        let fragments = snippet(text, &q("six"), 2).unwrap();
        let joined: String = fragments.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(joined, "… four five six seven eight …");
        assert!(snippet(text, &q("eleven"), 2).is_none());
        let whole: String = snippet("six", &q("six"), 2)
            .unwrap()
            .iter()
            .map(|f| f.text.as_str())
            .collect();
        assert_eq!(whole, "six");
    }
}
