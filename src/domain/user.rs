//! A person's identity fields: e-mail address and name, parsed once and valid afterwards.

use super::FieldError;
use super::text::check_text;

/// An e-mail address, lower-cased so that one person has one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        check_text(field, value, 3, 254, false)?;
        let invalid = || FieldError::new(field, "must be an e-mail address like name@example.org");
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || value
                .chars()
                .any(|c| c.is_whitespace() || "<>()[],;:\"\\".contains(c))
        {
            return Err(invalid());
        }
        Ok(Self(value.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as they write it, in any script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        check_text(field, value, 1, 200, false)?;
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            Email::parse("email", " Anne.Hansen@MFA.no ")
                .unwrap()
                .as_str(),
            "anne.hansen@mfa.no"
        );
        for bad in [
            "",
            "anne",
            "anne@",
            "@mfa.no",
            "anne@mfa",
            "an ne@mfa.no",
            "anne@mfa..no",
            "a\r\nBcc: x@y.z@mfa.no",
        ] {
            let err = Email::parse("email", bad).unwrap_err();
            assert_eq!(err.field, "email", "{bad:?}");
        }
    }

    #[test]
    fn names_keep_their_script() {
        assert_eq!(
            PersonName::parse("name", "  Søren Ødegård  ")
                .unwrap()
                .as_str(),
            "Søren Ødegård"
        );
        assert!(PersonName::parse("name", "Ali\nBcc: x").is_err());
    }

    proptest! {
        #[test]
        fn parsed_emails_never_carry_control_characters_or_whitespace(s in "\\PC*") {
            if let Ok(e) = Email::parse("email", &s) {
                prop_assert!(!e.as_str().chars().any(|c| c.is_control() || c.is_whitespace()));
                prop_assert!(e.as_str().contains('@'));
            }
        }
    }
}
