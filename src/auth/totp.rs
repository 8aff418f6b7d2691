//! The second factor: TOTP (RFC 6238, SHA-1, 6 digits, 30-second steps, one step of drift
//! either way) and single-use recovery codes.

use totp_rs::{Builder, Secret, Totp};

use super::secret;

const ISSUER: &str = "Protection portal";

/// A new TOTP secret (160 bits), base32 as authenticator apps expect it.
pub fn new_secret() -> String {
    Secret::from(secret::random_bytes::<20>()).to_base32()
}

fn totp(secret_b32: &str, account: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_b32).ok()?;
    Builder::new()
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .ok()
}

/// The `otpauth://` URL an authenticator app scans.
pub fn otpauth_url(secret_b32: &str, account: &str) -> Option<String> {
    totp(secret_b32, account)?.to_url().ok()
}

/// The `otpauth://` URL as an SVG QR code, drawn on the server (no script, no external asset).
pub fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

/// The time step whose code `code` is, if it is valid at `unix_time` (±1 step).
/// The caller must refuse a step that was used already.
pub fn check(secret_b32: &str, code: &str, unix_time: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let step = totp(secret_b32, "x")?.check(&code, unix_time)?;
    i64::try_from(step).ok()
}

/// The code for `unix_time` (tests and diagnostics).
pub fn code_at(secret_b32: &str, unix_time: u64) -> Option<String> {
    Some(totp(secret_b32, "x")?.generate(unix_time).to_string())
}

/// Ten new recovery codes (80 bits each), as shown once to their owner.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    (0..10)
        .map(|_| {
            let bytes = secret::random_bytes::<16>();
            let chars: String = bytes
                .iter()
                .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
                .collect();
            format!(
                "{}-{}-{}-{}",
                &chars[0..4],
                &chars[4..8],
                &chars[8..12],
                &chars[12..16]
            )
        })
        .collect()
}

/// What is stored for a recovery code: the hash of its normalised form.
pub fn recovery_code_hash(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    secret::digest(&normalised)
}

/// Whether typed text looks like a recovery code rather than a six-digit TOTP code.
pub fn looks_like_recovery_code(code: &str) -> bool {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).count() == 16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_check_within_one_step_and_report_their_step() {
        let s = new_secret();
        let t = 1_800_000_000;
        let code = code_at(&s, t).unwrap();
        assert_eq!(check(&s, &code, t), Some((t / 30) as i64));
        assert_eq!(check(&s, &code, t + 30), Some((t / 30) as i64));
        assert_eq!(check(&s, &code, t + 90), None);
        assert_eq!(check(&s, "12345", t), None);
        assert_eq!(check(&s, "abcdef", t), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(check(&s, &spaced, t).is_some());
    }

    #[test]
    fn the_qr_code_is_svg_of_the_otpauth_url() {
        let url = otpauth_url(&new_secret(), "ingrid@mfa.example").unwrap();
        assert!(url.starts_with("otpauth://totp/"));
        let svg = qr_svg(&url).unwrap();
        assert!(svg.contains("<svg") && !svg.contains("<script"));
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_the_same_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        let c = &codes[0];
        assert!(looks_like_recovery_code(c));
        assert_eq!(
            recovery_code_hash(c),
            recovery_code_hash(&c.to_uppercase().replace('-', " "))
        );
    }
}
