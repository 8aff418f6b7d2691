//! Rules every piece of free text obeys: any script, no control characters, bounded length,
//! and something visible when anything is there at all.

use super::FieldError;

/// Characters that take no room on screen: zero-width spaces and joiners, the word joiner, the
/// byte-order mark, and the bidirectional marks, embeddings, overrides and isolates. Text may
/// carry them (a joiner inside a name in an Indic script, a mark between scripts), but text made
/// only of them and of spaces looks empty while it is not.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{034F}'
            | '\u{00AD}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{3164}'
            | '\u{FFA0}'
    )
}

/// Whether `value` shows anything: a character that is neither white space nor invisible.
pub fn has_visible(value: &str) -> bool {
    value
        .chars()
        .any(|c| !c.is_whitespace() && !c.is_control() && !is_invisible(c))
}

/// Checks free text typed by a person. Newline and tab are allowed only when `multiline`;
/// every other control character is refused. Lengths count characters, not bytes.
pub fn check_text(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> Result<(), FieldError> {
    if let Some(c) = value
        .chars()
        .find(|&c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
    {
        return Err(FieldError::new(
            field,
            format!(
                "must not contain control characters (found U+{:04X})",
                c as u32
            ),
        ));
    }
    let len = value.chars().count();
    if value.trim().is_empty() && min > 0 {
        return Err(FieldError::new(field, "is required"));
    }
    // Text that is there but shows nothing (zero-width or direction characters and spaces) is
    // refused: it would pass for a name while reading as empty.
    if !value.trim().is_empty() && !has_visible(value) {
        return Err(FieldError::new(
            field,
            "must contain visible characters, not only invisible or direction-control characters",
        ));
    }
    if len < min {
        return Err(FieldError::new(
            field,
            format!("must be at least {min} characters (is {len})"),
        ));
    }
    if len > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters (is {len})"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_any_script_and_counts_characters() {
        assert!(check_text("name", "Ærøskøbing ÆØÅ 北京 القاهرة", 1, 30, false).is_ok());
        // 5 characters, 15 bytes
        assert!(check_text("name", "東京大使館", 5, 5, false).is_ok());
    }

    #[test]
    fn refuses_control_characters_and_newlines_in_single_line_text() {
        let e = check_text("name", "a\u{7}b", 1, 10, true).unwrap_err();
        assert_eq!(e.field, "name");
        assert!(e.message.contains("U+0007"));
        assert!(check_text("name", "a\nb", 1, 10, false).is_err());
        assert!(check_text("body", "a\nb\tc", 1, 10, true).is_ok());
    }

    #[test]
    fn refuses_text_made_only_of_invisible_characters() {
        for text in [
            "\u{200B}\u{200B}\u{200B}\u{200B}\u{200B}",
            "\u{202E}\u{202D}\u{2066}\u{2069} \u{200E}\u{200F}",
            "\u{FEFF}\u{2060}\u{200C}\u{200D}\u{061C}",
        ] {
            let e = check_text("title", text, 0, 100, false).unwrap_err();
            assert_eq!(e.field, "title");
            assert!(e.message.contains("visible"), "{}", e.message);
        }
        // Joiners and marks inside visible text are part of writing.
        assert!(check_text("name", "क्\u{200D}ष", 1, 10, false).is_ok());
        assert!(check_text("name", "\u{200F}שלום", 1, 10, false).is_ok());
        // Empty text where it may be empty stays allowed.
        assert!(check_text("phone", "", 0, 10, false).is_ok());
    }

    #[test]
    fn enforces_lengths_and_presence() {
        assert_eq!(
            check_text("title", "   ", 1, 10, false)
                .unwrap_err()
                .message,
            "Enter a title"
        );
        assert!(check_text("title", "abcd", 5, 10, false).is_err());
        assert!(check_text("title", "abcdefghijk", 5, 10, false).is_err());
    }
}
