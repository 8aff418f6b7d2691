//! The `Idempotency-Key` of an API call (IETF httpapi draft "The Idempotency-Key HTTP Header
//! Field"): what a valid key is, and what counts as "the same call" — the same caller, method
//! and path, and the same body once parsed, whatever its spacing or the order of its members.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::FieldError;

/// The header's name, which is also the field an error about it names.
pub const HEADER: &str = "Idempotency-Key";

/// The header that marks an answer replayed from an earlier call with the same key.
pub const REPLAYED_HEADER: &str = "Idempotency-Replayed";

/// How long a key is remembered.
pub const LIFETIME_HOURS: i64 = 24;

/// The longest key accepted.
pub const MAX_LEN: usize = 255;

/// A valid key: 1–255 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    /// The header's value as sent. The draft writes the key as a structured-field string
    /// (`"8e03978e-40d5"`); a bare value (`8e03978e-40d5`) is accepted too, as most clients send
    /// it, and means the same key.
    pub fn parse(raw: &[u8]) -> Result<Key, FieldError> {
        let invalid = || {
            FieldError::new(
                HEADER,
                format!("must be 1 to {MAX_LEN} printable ASCII characters"),
            )
        };
        let text = std::str::from_utf8(raw).map_err(|_| invalid())?.trim();
        let key = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(quoted) => unquote(quoted).ok_or_else(invalid)?,
            None => text.to_owned(),
        };
        let printable = key.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if key.is_empty() || key.len() > MAX_LEN || !printable {
            return Err(invalid());
        }
        Ok(Key(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The inside of a structured-field string: `\"` and `\\` are the only escapes, and a bare `"`
/// may not occur.
fn unquote(quoted: &str) -> Option<String> {
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('"' | '\\')) => out.push(e),
                _ => return None,
            },
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// The error for a key already used, within its lifetime, for a different call.
pub fn reused() -> FieldError {
    FieldError::new(HEADER, "was already used for a different call")
}

/// The fingerprint of a call: SHA-256 (hex) over its method, its path and its parsed body in a
/// canonical form (members sorted by name, no spacing), each part preceded by its length so that
/// no two calls share one input.
pub fn fingerprint(method: &str, path: &str, body: &Value) -> String {
    let mut canonical = String::new();
    write_canonical(body, &mut canonical);
    let mut hasher = Sha256::new();
    for part in [method, path, canonical.as_str()] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (name, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_one_to_255_printable_ascii_characters() {
        assert_eq!(Key::parse(b"abc-123").unwrap().as_str(), "abc-123");
        assert_eq!(Key::parse(b"\"abc-123\"").unwrap().as_str(), "abc-123");
        assert_eq!(Key::parse(b"\"a\\\"b\"").unwrap().as_str(), "a\"b");
        assert_eq!(Key::parse(&[b'k'; 255]).unwrap().as_str().len(), 255);
        for bad in [
            &b""[..],
            b"\"\"",
            &[b'k'; 256],
            "nøkkel".as_bytes(),
            b"a\tb",
            b"\"a\"b\"",
        ] {
            assert!(Key::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_same_body_in_another_order_or_spacing_is_the_same_call() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2], "x": null}}"#).unwrap();
        let b = json!({"a": {"x": null, "y": [1, 2]}, "b": 1});
        let p = "/api/v1/requests";
        assert_eq!(fingerprint("POST", p, &a), fingerprint("POST", p, &b));
        assert_ne!(
            fingerprint("POST", p, &a),
            fingerprint("POST", p, &json!({"b": 2, "a": {"x": null, "y": [1, 2]}}))
        );
        assert_ne!(
            fingerprint("POST", p, &a),
            fingerprint("POST", "/api/v1/requestsx", &a)
        );
    }
}
