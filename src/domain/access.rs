//! The one authorisation policy: may this person do this? Every handler asks here; whatever is
//! not allowed explicitly is refused (deny by default).

use super::workflow::State;
use super::{Classification, Clearance, Role};

/// The person acting, as the session or token established them. The mission comes from here,
/// never from what a request says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
    pub mission_id: Option<String>,
    pub clearance: Clearance,
}

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
    /// The in-portal notifications about one's own requests.
    ReadNotifications,
    /// Read the security log (who did what; never classified text).
    ReadSecurityLog,
}

impl Capability {
    pub const ALL: [Capability; 9] = [
        Self::ManageOwnAccount,
        Self::ViewOwnHome,
        Self::DraftRequests,
        Self::ListRequests,
        Self::AdministerMissions,
        Self::AdministerUsers,
        Self::AdministerDeliveries,
        Self::ReadNotifications,
        Self::ReadSecurityLog,
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
        | Capability::ReadSecurityLog => actor.role == Role::Admin,
        // Administrators are told nothing about requests.
        Capability::ReadNotifications | Capability::ListRequests => actor.role != Role::Admin,
    };
    if allowed {
        Ok(())
    } else {
        // Administration pages are no secret; being refused them says nothing about any case.
        Err(Refusal::Forbidden)
    }
}

/// What decides who may know a request exists (SPEC § 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestScope<'a> {
    pub mission_id: &'a str,
    pub state: State,
    pub reached_police: bool,
    pub referred_to_pst: bool,
}

/// Whether `actor` may know the request exists. Everything else about a request is asked only
/// after this says yes; a no is answered exactly as for a request that does not exist.
pub fn may_see_request(actor: &Actor, r: &RequestScope<'_>) -> bool {
    match actor.role {
        Role::MissionStaff => actor.mission_id.as_deref() == Some(r.mission_id),
        Role::MfaOfficer => r.state != State::Draft,
        Role::PoliceLiaison => r.reached_police,
        Role::PstAnalyst => r.referred_to_pst,
        Role::Admin => false,
    }
}

/// Whether `actor` may read an internal note of this classification (authorities only, within
/// their clearance).
pub fn may_read_note(actor: &Actor, classification: Classification) -> bool {
    actor.role.is_authority() && actor.clearance.admits(classification)
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

/// How much of a threat assessment `actor` may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssessmentView {
    /// Everything: level, summary, author (police and PST within clearance).
    Full,
    /// That one exists and its threat level (MFA cleared to its level).
    LevelOnly,
    /// That one exists (MFA below its level).
    ExistenceOnly,
    /// Nothing: it is absent.
    Absent,
}

pub fn assessment_view(actor: &Actor, classification: Classification) -> AssessmentView {
    let cleared = actor.clearance.admits(classification);
    match actor.role {
        Role::PoliceLiaison | Role::PstAnalyst if cleared => AssessmentView::Full,
        Role::MfaOfficer if cleared => AssessmentView::LevelOnly,
        Role::MfaOfficer => AssessmentView::ExistenceOnly,
        _ => AssessmentView::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: "u".into(),
            role,
            mission_id: role.belongs_to_mission().then(|| "m".into()),
            clearance: Clearance::None,
        }
    }

    #[test]
    fn who_may_know_a_request_exists() {
        let scope = |state, police, pst| RequestScope {
            mission_id: "m",
            state,
            reached_police: police,
            referred_to_pst: pst,
        };
        let mut other = actor(Role::MissionStaff);
        other.mission_id = Some("other".into());
        for state in State::ALL {
            for police in [false, true] {
                for pst in [false, true] {
                    let r = scope(state, police, pst);
                    assert!(may_see_request(&actor(Role::MissionStaff), &r));
                    assert!(!may_see_request(&other, &r));
                    assert_eq!(
                        may_see_request(&actor(Role::MfaOfficer), &r),
                        state != State::Draft
                    );
                    assert_eq!(may_see_request(&actor(Role::PoliceLiaison), &r), police);
                    assert_eq!(may_see_request(&actor(Role::PstAnalyst), &r), pst);
                    assert!(!may_see_request(&actor(Role::Admin), &r));
                }
            }
        }
    }

    #[test]
    fn notes_assessments_and_markings_follow_clearance() {
        let mut mfa = actor(Role::MfaOfficer);
        mfa.clearance = Clearance::Restricted;
        assert!(may_read_note(&mfa, Classification::Restricted));
        assert!(!may_read_note(&mfa, Classification::Confidential));
        assert!(!may_read_note(
            &actor(Role::MissionStaff),
            Classification::Unclassified
        ));
        assert_eq!(
            assessment_view(&mfa, Classification::Restricted),
            AssessmentView::LevelOnly
        );
        assert_eq!(
            assessment_view(&mfa, Classification::Secret),
            AssessmentView::ExistenceOnly
        );
        let mut police = actor(Role::PoliceLiaison);
        police.clearance = Clearance::Confidential;
        assert_eq!(
            assessment_view(&police, Classification::Restricted),
            AssessmentView::Full
        );
        assert_eq!(
            assessment_view(&police, Classification::Secret),
            AssessmentView::Absent
        );
        assert_eq!(
            assessment_view(&actor(Role::MissionStaff), Classification::Unclassified),
            AssessmentView::Absent
        );
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
                        if role != Role::Admin =>
                    {
                        Ok(())
                    }
                    Capability::ReadNotifications | Capability::ListRequests => {
                        Err(Refusal::Forbidden)
                    }
                    Capability::AdministerMissions
                    | Capability::AdministerUsers
                    | Capability::AdministerDeliveries
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
