//! Authentication: passwords, second factor, sessions, CSRF, random secrets.

pub mod csrf;
pub mod password;
pub mod secret;
pub mod session_store;
pub mod totp;
