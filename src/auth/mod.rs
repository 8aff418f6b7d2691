//! Authentication rules and primitives: passwords, the second factor, random secrets. Nothing
//! here knows the web framework; the session store and the CSRF middleware, which are HTTP
//! machinery, live in `web`. (The sign-in throttling rules are in `domain::throttle`.)

pub mod keys;
pub mod password;
pub mod secret;
pub mod totp;
