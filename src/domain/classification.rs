//! Security classification of information and personal security clearance (Security Act §§ 11–13, 19–23).

use std::fmt;
use std::str::FromStr;

/// How sensitive a piece of information is, lowest to highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Classification {
    Unclassified,
    Restricted,
    Confidential,
    Secret,
    TopSecret,
}

impl Classification {
    pub const ALL: [Classification; 5] = [
        Self::Unclassified,
        Self::Restricted,
        Self::Confidential,
        Self::Secret,
        Self::TopSecret,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Unclassified => "unclassified",
            Self::Restricted => "restricted",
            Self::Confidential => "confidential",
            Self::Secret => "secret",
            Self::TopSecret => "top_secret",
        }
    }

    /// The marking printed on pages and documents.
    pub fn marking(self) -> &'static str {
        match self {
            Self::Unclassified => "UNCLASSIFIED",
            Self::Restricted => "RESTRICTED",
            Self::Confidential => "CONFIDENTIAL",
            Self::Secret => "SECRET",
            Self::TopSecret => "TOP SECRET",
        }
    }

    fn rank(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Classification {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| {
                format!(
                    "must be one of unclassified, restricted, confidential, secret, top_secret (got {s:?})"
                )
            })
    }
}

/// A person's security clearance. Mission staff, being foreign nationals, hold `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Clearance {
    None,
    Restricted,
    Confidential,
    Secret,
    TopSecret,
}

impl Clearance {
    pub const ALL: [Clearance; 5] = [
        Self::None,
        Self::Restricted,
        Self::Confidential,
        Self::Secret,
        Self::TopSecret,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Restricted => "restricted",
            Self::Confidential => "confidential",
            Self::Secret => "secret",
            Self::TopSecret => "top_secret",
        }
    }

    /// Whether this clearance admits information of the given classification.
    /// Unclassified information needs no clearance.
    pub fn admits(self, classification: Classification) -> bool {
        self as u8 >= classification.rank()
    }
}

impl fmt::Display for Clearance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Clearance {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| {
                format!(
                    "must be one of none, restricted, confidential, secret, top_secret (got {s:?})"
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in Classification::ALL {
            assert_eq!(c.code().parse::<Classification>(), Ok(c));
        }
        for c in Clearance::ALL {
            assert_eq!(c.code().parse::<Clearance>(), Ok(c));
        }
        assert!("TOP_SECRET".parse::<Classification>().is_err());
        assert!("unclassified".parse::<Clearance>().is_err());
    }

    #[test]
    fn clearance_admits_its_level_and_below_only() {
        for (ci, clearance) in Clearance::ALL.into_iter().enumerate() {
            for (li, level) in Classification::ALL.into_iter().enumerate() {
                assert_eq!(clearance.admits(level), ci >= li, "{clearance} vs {level}");
            }
        }
        assert!(Clearance::None.admits(Classification::Unclassified));
        assert!(!Clearance::None.admits(Classification::Restricted));
    }
}
