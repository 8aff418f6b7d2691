//! Keys kept outside the database (product.md § 10): whoever can read or write the database alone can
//! neither forge the security log's chain nor read a sealed second-factor seed nor forge a form
//! post.
//!
//! - the **log key** keys the security log's HMAC-SHA-256 chain (`crate::audit`);
//! - the **sealing keys** seal secrets at rest with AES-256-GCM: TOTP seeds in `users`, the
//!   pending enrolment secret in a session. Each sealed value names the key that sealed it
//!   (`sealed:v1:ID:…`); settings hold the current key and any previous ones still accepted for
//!   opening, and `protection-portal keys rotate` re-seals everything under the current key;
//! - the **CSRF key** is derived from the current sealing key: the session row keeps only a
//!   random nonce, the page's token is the nonce's HMAC under this key.
//!
//! The keys come from settings (`[keys]`, typed as secrets), else from the key file
//! (`keys.file`), which outside production is generated on first start. Production refuses to
//! start without them (checked by `Settings::load_for`). They are loaded once per process by
//! `startup::prepare` and installed here: one installation per process.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, RwLock};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::Sha256;

use super::secret;
use crate::settings::KeySettings;

type HmacSha256 = Hmac<Sha256>;

/// What a sealed value starts with; anything else is a value from before sealing.
pub const SEALED_PREFIX: &str = "sealed:v1:";

/// One sealing key and the id that names it in sealed values.
pub struct SealKey {
    pub id: String,
    key: SecretBox<[u8; 32]>,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealKey({}, [REDACTED])", self.id)
    }
}

/// The keys of one installation.
pub struct Keys {
    log: SecretBox<[u8; 32]>,
    seal: SealKey,
    previous: Vec<SealKey>,
    csrf: SecretBox<[u8; 32]>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Keys {{ log: [REDACTED], seal: {:?}, previous: {:?} }}",
            self.seal, self.previous
        )
    }
}

/// A key setting that does not follow its rule.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {key}: {message}")]
pub struct KeyError {
    pub key: &'static str,
    pub message: String,
}

fn bad(key: &'static str, message: impl Into<String>) -> KeyError {
    KeyError {
        key,
        message: message.into(),
    }
}

/// Why a sealed value would not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("sealed with key {0:?}, which is not among keys.seal and keys.seal_previous")]
    UnknownKey(String),
    #[error("not a sealed value")]
    NotSealed,
    #[error("does not open: altered, moved to another record, or sealed with another key")]
    Altered,
}

fn key_bytes(key: &'static str, text: &str) -> Result<[u8; 32], KeyError> {
    let bytes = STANDARD.decode(text.trim()).map_err(|_| {
        bad(
            key,
            "must be 32 random bytes in base64 (see `protection-portal keys generate`)",
        )
    })?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        bad(
            key,
            format!("must be 32 bytes in base64, not {} bytes", bytes.len()),
        )
    })
}

fn seal_key(key: &'static str, text: &str) -> Result<SealKey, KeyError> {
    let (id, value) = text.trim().split_once(':').ok_or_else(|| {
        bad(
            key,
            "must be ID:BASE64, e.g. k1:… (an id, a colon, the key)",
        )
    })?;
    if id.is_empty()
        || id.len() > 16
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(bad(
            key,
            "the id before the colon must be 1–16 characters a–z, 0–9, - or _",
        ));
    }
    Ok(SealKey {
        id: id.to_owned(),
        key: SecretBox::new(Box::new(key_bytes(key, value)?)),
    })
}

/// Checks the `[keys]` settings that are given (empty ones are allowed here).
pub fn check_settings(s: &KeySettings) -> Result<(), KeyError> {
    let log = s.log.expose_secret();
    if !log.trim().is_empty() {
        key_bytes("keys.log", log)?;
    }
    let seal = s.seal.expose_secret();
    let current = if seal.trim().is_empty() {
        None
    } else {
        Some(seal_key("keys.seal", seal)?.id)
    };
    let mut ids: Vec<String> = current.into_iter().collect();
    for part in split_list(s.seal_previous.expose_secret()) {
        let k = seal_key("keys.seal_previous", part)?;
        if ids.contains(&k.id) {
            return Err(bad(
                "keys.seal_previous",
                format!("key id {:?} is used twice", k.id),
            ));
        }
        ids.push(k.id);
    }
    Ok(())
}

fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|p| !p.is_empty())
}

/// Whether the settings give both keys themselves (no key file needed).
pub fn given_in_settings(s: &KeySettings) -> bool {
    !s.log.expose_secret().trim().is_empty() && !s.seal.expose_secret().trim().is_empty()
}

/// A fresh set of keys in the key file's format (also what `keys generate` prints).
pub fn generate_file_text() -> String {
    format!(
        "# Keys of the protection portal. Keep this file secret and back it up apart from the\n\
         # database: without it the security log cannot be verified and second factors cannot be read.\n\
         log = {}\nseal = k{}:{}\n",
        STANDARD.encode(secret::random_bytes::<32>()),
        chrono::Utc::now().format("%Y%m%d"),
        STANDARD.encode(secret::random_bytes::<32>()),
    )
}

/// Reads `log = …` and `seal = …` lines of a key file.
fn read_file(path: &Path) -> anyhow::Result<(Option<String>, Option<String>)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read the key file {}: {e}", path.display()))?;
    let (mut log, mut seal) = (None, None);
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        match line.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("log", v)) => log = Some(v.to_owned()),
            Some(("seal", v)) => seal = Some(v.to_owned()),
            _ => {
                return Err(anyhow::anyhow!(
                    "the key file {} has a line that is not `log = …` or `seal = …`",
                    path.display()
                ));
            }
        }
    }
    Ok((log, seal))
}

/// Creates the key file with fresh keys, readable by its owner only. Two processes starting at
/// once both end up with whichever file was linked into place first.
fn create_file(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            anyhow::anyhow!("cannot create the key file's folder {}: {e}", dir.display())
        })?;
    }
    let temp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temp).and_then(|mut f| {
        f.write_all(generate_file_text().as_bytes())
            .and(f.sync_all())
    });
    let linked = written.and_then(|()| match std::fs::hard_link(&temp, path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let _ = std::fs::remove_file(&temp);
    linked.map_err(|e| anyhow::anyhow!("cannot write the key file {}: {e}", path.display()))?;
    tracing::warn!(
        file = %path.display(),
        "generated new keys for the security log and sealed secrets; back this file up"
    );
    Ok(())
}

/// Loads the keys: each from its setting, else from the key file, which is generated first when
/// `may_generate` (outside production) and it does not exist.
pub fn load(s: &KeySettings, may_generate: bool) -> anyhow::Result<Keys> {
    check_settings(s)?;
    let mut log = Some(s.log.expose_secret().trim().to_owned()).filter(|v| !v.is_empty());
    let mut seal = Some(s.seal.expose_secret().trim().to_owned()).filter(|v| !v.is_empty());
    if log.is_none() || seal.is_none() {
        let path = Path::new(&s.file);
        if s.file.trim().is_empty() {
            return Err(bad(
                "keys.log",
                "keys.log and keys.seal must be set, or keys.file must name a key file",
            )
            .into());
        }
        if !path.exists() {
            if !may_generate {
                return Err(missing_in_production().into());
            }
            create_file(path)?;
        }
        let (file_log, file_seal) = read_file(path)?;
        log = log.or(file_log);
        seal = seal.or(file_seal);
    }
    let log = key_bytes(
        "keys.log",
        &log.ok_or_else(|| bad("keys.log", "is missing"))?,
    )?;
    let seal = seal_key(
        "keys.seal",
        &seal.ok_or_else(|| bad("keys.seal", "is missing"))?,
    )?;
    let previous = split_list(s.seal_previous.expose_secret())
        .map(|p| seal_key("keys.seal_previous", p))
        .collect::<Result<Vec<_>, _>>()?;
    if previous.iter().any(|p| p.id == seal.id) {
        return Err(bad(
            "keys.seal_previous",
            format!("key id {:?} is also the current key's", seal.id),
        )
        .into());
    }
    let csrf = derive(
        seal.key.expose_secret(),
        b"protection-portal csrf token key v1",
    );
    Ok(Keys {
        log: SecretBox::new(Box::new(log)),
        seal,
        previous,
        csrf: SecretBox::new(Box::new(csrf)),
    })
}

/// The refusal when production has no keys.
pub fn missing_in_production() -> KeyError {
    bad(
        "keys.log",
        "production needs its keys: set APP__KEYS__LOG and APP__KEYS__SEAL (from \
         `protection-portal keys generate`), or keys.file naming an existing key file; \
         they are never generated in production",
    )
}

fn derive(key: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// What a user's sealed TOTP seed is bound to: it opens for that account only.
pub fn totp_context(user_id: &str) -> String {
    format!("totp:{user_id}")
}

/// What a pending enrolment secret in a session is bound to.
pub fn enrolment_context(user_id: &str) -> String {
    format!("enrol:{user_id}")
}

static INSTALLED: RwLock<Option<Arc<Keys>>> = RwLock::new(None);

/// Makes `keys` this process's keys.
pub fn install(keys: Keys) {
    *INSTALLED.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(keys));
}

/// This process's keys. Panics when none were installed: `startup::prepare` installs them
/// before anything can reach the database.
pub fn current() -> Arc<Keys> {
    INSTALLED
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .expect("keys are loaded by startup::prepare before use")
}

impl Keys {
    /// HMAC-SHA-256 under the log key, hex.
    pub fn log_mac(&self, parts: &[&[u8]]) -> String {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(self.log.expose_secret()).expect("any key length");
        for p in parts {
            mac.update(p);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// The form token for a session's CSRF nonce.
    pub fn csrf_token(&self, nonce: &str) -> String {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(self.csrf.expose_secret()).expect("any key length");
        mac.update(nonce.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The current sealing key's id.
    pub fn current_id(&self) -> &str {
        &self.seal.id
    }

    /// Seals `plain` under the current key, bound to `context` (e.g. `totp:USER_ID`): the sealed
    /// value opens only with the same context.
    pub fn seal(&self, context: &str, plain: &str) -> String {
        let cipher = Aes256Gcm::new(self.seal.key.expose_secret().into());
        let nonce = secret::random_bytes::<12>();
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM seals any short message");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!(
            "{SEALED_PREFIX}{}:{}",
            self.seal.id,
            URL_SAFE_NO_PAD.encode(out)
        )
    }

    /// The id of the key that sealed `value`, if it is a sealed value.
    pub fn sealed_with(value: &str) -> Option<&str> {
        value
            .strip_prefix(SEALED_PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .map(|(id, _)| id)
    }

    /// Opens a value sealed under the current or a previous key with the same `context`.
    pub fn open(&self, context: &str, value: &str) -> Result<SecretString, OpenError> {
        let (id, body) = value
            .strip_prefix(SEALED_PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .ok_or(OpenError::NotSealed)?;
        let key = std::iter::once(&self.seal)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| OpenError::UnknownKey(id.to_owned()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| OpenError::Altered)?;
        if bytes.len() < 12 + 16 {
            return Err(OpenError::Altered);
        }
        let (nonce, sealed) = bytes.split_at(12);
        let cipher = Aes256Gcm::new(key.key.expose_secret().into());
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Altered)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| OpenError::Altered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(seal: &str, previous: &str) -> KeySettings {
        KeySettings {
            log: SecretString::from(STANDARD.encode([1u8; 32])),
            seal: SecretString::from(seal.to_owned()),
            seal_previous: SecretString::from(previous.to_owned()),
            file: String::new(),
            log_unkeyed_through: 0,
        }
    }

    fn key(id: &str, byte: u8) -> String {
        format!("{id}:{}", STANDARD.encode([byte; 32]))
    }

    #[test]
    fn a_sealed_value_opens_only_in_its_context_and_under_a_known_key() {
        let old = load(&settings(&key("a", 2), ""), false).unwrap();
        let sealed = old.seal("totp:u1", "JBSWY3DPEHPK3PXP");
        assert!(sealed.starts_with("sealed:v1:a:"));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            old.open("totp:u1", &sealed).unwrap().expose_secret(),
            "JBSWY3DPEHPK3PXP"
        );
        assert_eq!(old.open("totp:u2", &sealed).err(), Some(OpenError::Altered));
        let new = load(&settings(&key("b", 3), &key("a", 2)), false).unwrap();
        assert!(new.open("totp:u1", &sealed).is_ok());
        assert!(new.seal("totp:u1", "x").starts_with("sealed:v1:b:"));
        let only_new = load(&settings(&key("b", 3), ""), false).unwrap();
        assert_eq!(
            only_new.open("totp:u1", &sealed).err(),
            Some(OpenError::UnknownKey("a".into()))
        );
        assert_eq!(
            only_new.open("totp:u1", "JBSWY3DPEHPK3PXP").err(),
            Some(OpenError::NotSealed)
        );
    }

    #[test]
    fn bad_key_settings_are_named_and_keys_never_print() {
        let e = check_settings(&settings("nocolon", "")).unwrap_err();
        assert_eq!(e.key, "keys.seal");
        let e = check_settings(&settings(&key("a", 1), &key("a", 2))).unwrap_err();
        assert_eq!(e.key, "keys.seal_previous");
        let e = check_settings(&settings("a:c2hvcnQ=", "")).unwrap_err();
        assert!(e.message.contains("32 bytes"), "{e}");
        let keys = load(&settings(&key("a", 2), ""), false).unwrap();
        let printed = format!("{keys:?}");
        assert!(!printed.contains(&STANDARD.encode([2u8; 32])), "{printed}");
    }
}
