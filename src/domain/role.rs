//! The roles a person can hold in the portal (SPEC § 2).

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    MissionStaff,
    MfaOfficer,
    PoliceLiaison,
    PstAnalyst,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Self::MissionStaff,
        Self::MfaOfficer,
        Self::PoliceLiaison,
        Self::PstAnalyst,
        Self::Admin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::MissionStaff => "mission_staff",
            Self::MfaOfficer => "mfa_officer",
            Self::PoliceLiaison => "police_liaison",
            Self::PstAnalyst => "pst_analyst",
            Self::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::MissionStaff => "Mission staff",
            Self::MfaOfficer => "MFA Diplomatic Section officer",
            Self::PoliceLiaison => "Oslo Police District liaison",
            Self::PstAnalyst => "PST analyst",
            Self::Admin => "Portal administrator",
        }
    }

    /// The organisation a person in this role works for, as written in the security log.
    pub fn organisation(self) -> &'static str {
        match self {
            Self::MissionStaff => "mission",
            Self::MfaOfficer => "mfa",
            Self::PoliceLiaison => "oslo_police",
            Self::PstAnalyst => "pst",
            Self::Admin => "operator",
        }
    }

    /// Mission staff belong to exactly one mission; nobody else belongs to any.
    pub fn belongs_to_mission(self) -> bool {
        self == Self::MissionStaff
    }

    /// Norwegian authority staff carry a personal security clearance.
    pub fn is_authority(self) -> bool {
        matches!(
            self,
            Self::MfaOfficer | Self::PoliceLiaison | Self::PstAnalyst
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|r| r.code() == s).ok_or_else(|| {
            format!(
                "must be one of mission_staff, mfa_officer, police_liaison, pst_analyst, admin (got {s:?})"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_only_mission_staff_belong_to_a_mission() {
        for r in Role::ALL {
            assert_eq!(r.code().parse::<Role>(), Ok(r));
            assert_eq!(r.belongs_to_mission(), r == Role::MissionStaff);
        }
        assert!(!Role::Admin.is_authority());
        assert!(!Role::MissionStaff.is_authority());
        assert!("Admin".parse::<Role>().is_err());
    }
}
