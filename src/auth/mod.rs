//! Authentication: passwords and single-use secrets.

pub mod password;
pub mod secret;
