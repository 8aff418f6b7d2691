//! The one authorisation policy: may this person do this? Every handler asks here; whatever is
//! not allowed explicitly is refused (deny by default).

pub use super::actor::Actor;
use super::{Classification, Role};

/// Things a person can ask to do that do not concern one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Their own account: password, recovery codes, sessions.
    ManageOwnAccount,
    /// Their role's start page (queues).
    ViewOwnHome,
    /// Start a new request for their own mission.
    DraftRequests,
    /// List and search the requests they may see (queues, the API's list). Administrators take
    /// no part in case work and are refused rather than shown an empty list.
    ListRequests,
    /// Register, rename, deactivate missions.
    AdministerMissions,
    /// Invite, deactivate, reactivate accounts; reset a second factor.
    AdministerUsers,
    /// See e-mail delivery (recipients, kinds, errors; no content) and retry dead mails.
    AdministerDeliveries,
    /// See the portal's own jobs (automatic ends, purges): each one's backlog and last run, as
    /// counts and times, never request content.
    OverseePortalJobs,
    /// The in-portal notifications about one's own requests.
    ReadNotifications,
    /// Read the security log (who did what; never classified text). Entries about case work
    /// show only their kind and the organisation (`disclosure::log_entry_view`).
    ReadSecurityLog,
    /// Read the security log's entries about case work in full: which request, which step, who
    /// (security auditors; SECURITY.md, "The security log's two readers").
    ReadCaseEvents,
    /// The police calendar of approved measures (its JSON and iCalendar feed), within the
    /// viewer's need-to-know scope: the MFA, the police and PST. A mission is answered 404.
    ViewCalendar,
    /// The authorities' pages of missions: each one's threat level (within clearance). A mission
    /// is answered 404.
    ViewMissionOperations,
    /// Statistics of requests (counts, times, deadlines met; never content): the Ministry and
    /// the police. A mission is answered 404; PST and the administrators 403.
    ViewStatistics,
}

impl Capability {
    pub const ALL: [Capability; 14] = [
        Self::ManageOwnAccount,
        Self::ViewOwnHome,
        Self::DraftRequests,
        Self::ListRequests,
        Self::AdministerMissions,
        Self::AdministerUsers,
        Self::AdministerDeliveries,
        Self::OverseePortalJobs,
        Self::ReadNotifications,
        Self::ReadSecurityLog,
        Self::ReadCaseEvents,
        Self::ViewCalendar,
        Self::ViewMissionOperations,
        Self::ViewStatistics,
    ];
}

/// Why something was refused, which decides what the person is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The thing exists and they may know it, but may not do this: 403.
    Forbidden,
    /// They may not know the thing exists: answered exactly as for something that does not: 404.
    NotFound,
}

/// Decides whether `actor` may use `capability`.
pub fn authorise(actor: &Actor, capability: Capability) -> Result<(), Refusal> {
    let allowed = match capability {
        Capability::ManageOwnAccount | Capability::ViewOwnHome => true,
        Capability::DraftRequests => actor.role == Role::MissionStaff,
        Capability::AdministerMissions
        | Capability::AdministerUsers
        | Capability::AdministerDeliveries
        | Capability::OverseePortalJobs => actor.role == Role::Admin,
        Capability::ReadSecurityLog => matches!(actor.role, Role::Admin | Role::Auditor),
        Capability::ReadCaseEvents => actor.role == Role::Auditor,
        // Administrators and auditors take no part in case work.
        Capability::ReadNotifications | Capability::ListRequests => {
            !matches!(actor.role, Role::Admin | Role::Auditor)
        }
        Capability::ViewCalendar | Capability::ViewMissionOperations => actor.role.is_authority(),
        Capability::ViewStatistics => matches!(actor.role, Role::MfaOfficer | Role::PoliceLiaison),
    };
    if allowed {
        Ok(())
    } else if matches!(
        capability,
        Capability::ViewCalendar | Capability::ViewMissionOperations
    ) || (capability == Capability::ViewStatistics && actor.role == Role::MissionStaff)
    {
        // Operations concern protection in place: who is not part of it is not told they exist.
        Err(Refusal::NotFound)
    } else {
        // Administration pages are no secret; being refused them says nothing about any case.
        Err(Refusal::Forbidden)
    }
}

/// Whether the pages of `capability` are offered to a role (the header's links): what
/// `authorise` allows any person of the role, whoever they are.
pub fn offered(role: Role, capability: Capability) -> bool {
    let anyone = Actor {
        user_id: String::new(),
        role,
        mission_id: None,
        clearance: crate::domain::Clearance::None,
    };
    authorise(&anyone, capability).is_ok()
}

/// May `actor` write an item of this classification? Not above their own clearance, nor above
/// what the installation is approved for.
pub fn may_mark(
    actor: &Actor,
    classification: Classification,
    ceiling: Classification,
) -> Result<(), MarkingRefusal> {
    if classification > ceiling {
        return Err(MarkingRefusal::AboveCeiling);
    }
    if !actor.clearance.admits(classification) {
        return Err(MarkingRefusal::AboveClearance);
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkingRefusal {
    /// This portal is not approved for information so classified (Security Act § 13).
    AboveCeiling,
    /// The author may not hold information so classified.
    AboveClearance,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Clearance;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: "u".into(),
            role,
            mission_id: role.belongs_to_mission().then(|| "m".into()),
            clearance: Clearance::None,
        }
    }

    #[test]
    fn markings_follow_clearance_and_the_ceiling() {
        let mut police = actor(Role::PoliceLiaison);
        police.clearance = Clearance::Confidential;
        assert_eq!(
            may_mark(
                &police,
                Classification::Confidential,
                Classification::Restricted
            ),
            Err(MarkingRefusal::AboveCeiling)
        );
        assert_eq!(
            may_mark(&police, Classification::Secret, Classification::TopSecret),
            Err(MarkingRefusal::AboveClearance)
        );
        assert_eq!(
            may_mark(
                &police,
                Classification::Restricted,
                Classification::Restricted
            ),
            Ok(())
        );
    }

    #[test]
    fn every_role_against_every_capability() {
        for role in Role::ALL {
            for cap in Capability::ALL {
                let expected = match cap {
                    Capability::ManageOwnAccount | Capability::ViewOwnHome => Ok(()),
                    Capability::DraftRequests if role == Role::MissionStaff => Ok(()),
                    Capability::DraftRequests => Err(Refusal::Forbidden),
                    Capability::ReadNotifications | Capability::ListRequests
                        if !matches!(role, Role::Admin | Role::Auditor) =>
                    {
                        Ok(())
                    }
                    Capability::ReadNotifications | Capability::ListRequests => {
                        Err(Refusal::Forbidden)
                    }
                    Capability::ReadSecurityLog if matches!(role, Role::Admin | Role::Auditor) => {
                        Ok(())
                    }
                    Capability::ReadCaseEvents if role == Role::Auditor => Ok(()),
                    Capability::ReadCaseEvents => Err(Refusal::Forbidden),
                    Capability::ViewCalendar | Capability::ViewMissionOperations
                        if matches!(
                            role,
                            Role::MfaOfficer | Role::PoliceLiaison | Role::PstAnalyst
                        ) =>
                    {
                        Ok(())
                    }
                    Capability::ViewCalendar | Capability::ViewMissionOperations => {
                        Err(Refusal::NotFound)
                    }
                    Capability::ViewStatistics
                        if matches!(role, Role::MfaOfficer | Role::PoliceLiaison) =>
                    {
                        Ok(())
                    }
                    Capability::ViewStatistics if role == Role::MissionStaff => {
                        Err(Refusal::NotFound)
                    }
                    Capability::ViewStatistics => Err(Refusal::Forbidden),
                    Capability::AdministerMissions
                    | Capability::AdministerUsers
                    | Capability::AdministerDeliveries
                    | Capability::OverseePortalJobs
                    | Capability::ReadSecurityLog => {
                        if role == Role::Admin {
                            Ok(())
                        } else {
                            Err(Refusal::Forbidden)
                        }
                    }
                };
                assert_eq!(authorise(&actor(role), cap), expected, "{role} {cap:?}");
            }
        }
    }
}
