//! Rules every piece of free text obeys: any script, no control characters, bounded length.

use super::FieldError;

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
    fn enforces_lengths_and_presence() {
        assert_eq!(
            check_text("title", "   ", 1, 10, false)
                .unwrap_err()
                .message,
            "is required"
        );
        assert!(check_text("title", "abcd", 5, 10, false).is_err());
        assert!(check_text("title", "abcdefghijk", 5, 10, false).is_err());
    }
}
