//! The roles a person can hold in the portal (product.md § 2).

crate::codes! {
    pub enum Role {
        MissionStaff = "mission_staff", "Mission staff";
        MfaOfficer = "mfa_officer", "MFA Diplomatic Section officer";
        PoliceLiaison = "police_liaison", "Oslo Police District liaison";
        PstAnalyst = "pst_analyst", "PST analyst";
        Admin = "admin", "Portal administrator";
        Auditor = "auditor", "Security auditor";
    }
    else |s| format!(
        "must be one of mission_staff, mfa_officer, police_liaison, pst_analyst, admin, auditor (got {s:?})"
    )
}

impl Role {
    /// The organisation a person in this role works for, as written in the security log.
    pub fn organisation(self) -> &'static str {
        match self {
            Self::MissionStaff => "mission",
            Self::MfaOfficer => "mfa",
            Self::PoliceLiaison => "oslo_police",
            Self::PstAnalyst => "pst",
            Self::Admin | Self::Auditor => "operator",
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
        assert!(!Role::Auditor.is_authority());
        assert!(!Role::MissionStaff.is_authority());
        assert!("Admin".parse::<Role>().is_err());
    }
}
