//! Argon2id password hashing and the password rules of product.md § 10 (NIST SP 800-63B).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::FieldError;
use crate::settings::SecuritySettings;

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;
/// The least zxcvbn score a new password must reach: 3 is "safely unguessable: moderate
/// protection from an offline slow-hash scenario" (an estimated 10^8 guesses or more), the
/// threshold zxcvbn's authors recommend. Our hashes are Argon2id and online guessing is throttled,
/// so 3 is ample; 4 would refuse many good passphrases.
pub const MIN_STRENGTH_SCORE: u8 = 3;

/// The Argon2id cost this installation hashes with.
#[derive(Debug, Clone, Copy)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashCost {
    pub fn from_settings(s: &SecuritySettings) -> Self {
        Self {
            memory_kib: s.argon2_memory_kib,
            iterations: s.argon2_iterations,
            parallelism: s.argon2_parallelism,
        }
    }

    fn hasher(self) -> Argon2<'static> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .expect("argon2 parameters are checked when settings load");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

/// Checks a new password: 12–128 characters of any kind, not on the common-password list, not
/// containing the person's name or e-mail, and estimated by zxcvbn (with the name and address as
/// words it knows) to need at least 10^8 guesses (`MIN_STRENGTH_SCORE`). (No composition rules and
/// no expiry, per NIST SP 800-63B.)
pub fn check_new_password(
    field: &'static str,
    password: &SecretString,
    name: &str,
    email: &str,
) -> Result<(), FieldError> {
    let pw = password.expose_secret();
    let len = pw.chars().count();
    if len < MIN_LENGTH {
        return Err(FieldError::new(
            field,
            format!("must be at least {MIN_LENGTH} characters"),
        ));
    }
    if len > MAX_LENGTH {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_LENGTH} characters"),
        ));
    }
    let lowered = pw.to_lowercase();
    if is_common(&lowered) {
        return Err(FieldError::new(
            field,
            "is too common: it is on a list of passwords attackers try first; choose another",
        ));
    }
    let email = email.to_lowercase();
    let local_part = email.split('@').next().unwrap_or_default();
    let mut personal: Vec<String> = vec![email.clone()];
    if local_part.chars().count() >= 3 {
        personal.push(local_part.to_owned());
    }
    personal.extend(
        name.to_lowercase()
            .split_whitespace()
            .filter(|part| part.chars().count() >= 3)
            .map(str::to_owned),
    );
    if personal
        .iter()
        .any(|p| !p.is_empty() && lowered.contains(p.as_str()))
    {
        return Err(FieldError::new(
            field,
            "must not contain your name or e-mail address",
        ));
    }
    let inputs: Vec<&str> = personal.iter().map(String::as_str).collect();
    if u8::from(zxcvbn::zxcvbn(pw, &inputs).score()) < MIN_STRENGTH_SCORE {
        return Err(FieldError::new(
            field,
            "is too easy to guess: it is built from repeats, sequences, keyboard patterns, dates or common words; choose a longer passphrase of unrelated words",
        ));
    }
    Ok(())
}

/// Hashes a password into a PHC string. CPU-heavy: call it off the async threads.
pub fn hash(password: &SecretString, cost: HashCost) -> String {
    let salt = SaltString::encode_b64(&super::secret::random_bytes::<16>())
        .expect("16 bytes make a valid salt");
    cost.hasher()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .expect("hashing with valid parameters cannot fail")
        .to_string()
}

/// Passwords attackers try first (shipped with the project, see assets/README.md).
const COMMON_PASSWORDS: &str = include_str!("../../assets/common-passwords.txt");

fn is_common(lowered: &str) -> bool {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().collect())
        .contains(lowered)
}

/// The result of checking a password against a stored hash.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, but the stored hash is cheaper than the configured cost: store a new one.
    YesRehash,
}

/// Verifies a password against a PHC string. CPU-heavy: call it off the async threads.
pub fn verify(password: &SecretString, phc: &str, cost: HashCost) -> Verified {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return Verified::No;
    };
    if Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_err()
    {
        return Verified::No;
    }
    let weaker = parsed.algorithm.as_str() != "argon2id"
        || Params::try_from(&parsed)
            .map(|p| {
                p.m_cost() < cost.memory_kib
                    || p.t_cost() < cost.iterations
                    || p.p_cost() < cost.parallelism
            })
            .unwrap_or(true);
    if weaker {
        Verified::YesRehash
    } else {
        Verified::Yes
    }
}

/// Verifies a password against a stored PHC string, or — when there is none to use (unknown,
/// inactive or password-less account) — against a dummy hash of the same cost, so that the
/// answer's timing does not tell which; then the answer is always `No`.
pub fn verify_or_dummy(password: &SecretString, stored: Option<&str>, cost: HashCost) -> Verified {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match stored {
        Some(phc) => verify(password, phc, cost),
        None => {
            let dummy = DUMMY.get_or_init(|| {
                hash(
                    &SecretString::from("no account has this password".to_owned()),
                    cost,
                )
            });
            let _ = verify(password, dummy, cost);
            Verified::No
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: HashCost = HashCost {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    fn pw(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert!(check_new_password("password", &pw("vq8#Lø2@zr7K"), "A B", "a@b.no").is_ok());
        assert!(check_new_password("password", &pw("vq8#Lø2@zr7"), "A B", "a@b.no").is_err());
        let long = |n| "ørn-Blåbær-7q!".chars().cycle().take(n).collect::<String>();
        assert!(check_new_password("password", &pw(&long(128)), "A B", "a@b.no").is_ok());
        assert!(check_new_password("password", &pw(&long(129)), "A B", "a@b.no").is_err());
    }

    #[test]
    fn refuses_passwords_that_are_easy_to_guess_however_long() {
        for weak in [
            "aaaaaaaaaaaa",
            "123456789012",
            "abcdefghijklmnop",
            "qwertyuiopasdfgh",
            "1111111111111111",
            "qazwsxedcrfvtgb",
        ] {
            let e = check_new_password("new_password", &pw(weak), "A B", "a@b.no").expect_err(weak);
            assert_eq!(e.field, "new_password", "{weak}");
        }
        // Long passphrases of unrelated words pass.
        assert!(
            check_new_password(
                "password",
                &pw("quite long passphrase 3fa9c1"),
                "A B",
                "a@b.no"
            )
            .is_ok()
        );
        assert!(
            check_new_password(
                "password",
                &pw("correct horse battery staple"),
                "A B",
                "a@b.no"
            )
            .is_ok()
        );
    }

    #[test]
    fn refuses_common_passwords_whatever_their_case() {
        assert!(COMMON_PASSWORDS.lines().count() >= 10_000);
        let e = check_new_password("password", &pw("Password1234"), "A B", "a@b.no").unwrap_err();
        assert!(e.message.contains("too common"));
        assert!(check_new_password("password", &pw("QwertyQwerty"), "A B", "a@b.no").is_err());
    }

    #[test]
    fn refuses_own_name_and_email() {
        let e = check_new_password(
            "password",
            &pw("Ingrid-is-great-2026"),
            "Ingrid Berg",
            "ib@mfa.no",
        )
        .unwrap_err();
        assert_eq!(e.field, "password");
        assert!(
            check_new_password(
                "password",
                &pw("xx-ib@mfa.no-yy"),
                "Ingrid Berg",
                "ib@mfa.no"
            )
            .is_err()
        );
        assert!(
            check_new_password(
                "password",
                &pw("hansen.anne1234"),
                "X Y",
                "hansen.anne@mfa.no"
            )
            .is_err()
        );
    }

    #[test]
    fn hashes_verify_and_weaker_hashes_ask_for_rehash() {
        let h = hash(&pw("correct horse battery"), CHEAP);
        assert!(h.starts_with("$argon2id$"));
        assert_eq!(
            verify(&pw("correct horse battery"), &h, CHEAP),
            Verified::Yes
        );
        assert_eq!(verify(&pw("wrong horse battery"), &h, CHEAP), Verified::No);
        let stronger = HashCost {
            memory_kib: 128,
            ..CHEAP
        };
        assert_eq!(
            verify(&pw("correct horse battery"), &h, stronger),
            Verified::YesRehash
        );
        assert_eq!(verify(&pw("x"), "not a hash", CHEAP), Verified::No);
    }
}
