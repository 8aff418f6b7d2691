//! Security classification of information and personal security clearance (Security Act §§ 11–13, 19–23).

crate::codes! {
    /// How sensitive a piece of information is, lowest to highest. The label is the marking
    /// printed on pages and documents.
    pub enum Classification {
        Unclassified = "unclassified", "UNCLASSIFIED";
        Restricted = "restricted", "RESTRICTED";
        Confidential = "confidential", "CONFIDENTIAL";
        Secret = "secret", "SECRET";
        TopSecret = "top_secret", "TOP SECRET";
    }
    else |s| format!(
        "must be one of unclassified, restricted, confidential, secret, top_secret (got {s:?})"
    )
}

impl Classification {
    /// The marking printed on pages and documents.
    pub fn marking(self) -> &'static str {
        self.label()
    }

    fn rank(self) -> u8 {
        self as u8
    }
}

crate::codes! {
    /// A person's security clearance. Mission staff, being foreign nationals, hold `None`.
    pub enum Clearance {
        None = "none", "No clearance";
        Restricted = "restricted", "RESTRICTED";
        Confidential = "confidential", "CONFIDENTIAL";
        Secret = "secret", "SECRET";
        TopSecret = "top_secret", "TOP SECRET";
    }
    else |s| format!(
        "must be one of none, restricted, confidential, secret, top_secret (got {s:?})"
    )
}

impl Clearance {
    /// Whether this clearance admits information of the given classification.
    /// Unclassified information needs no clearance.
    pub fn admits(self, classification: Classification) -> bool {
        self as u8 >= classification.rank()
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
