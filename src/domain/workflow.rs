//! The life cycle of a request (SPEC § 5) as one table, the status missions see, and `decide`:
//! given a request, the person acting and the action, the change to make or why not.

use std::fmt;
use std::str::FromStr;

use super::Role;
use super::access::Actor;

/// Internal states of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    Draft,
    Submitted,
    InTriage,
    AwaitingMission,
    PoliceReview,
    PstReview,
    Decided,
    Approved,
    Declined,
    Rejected,
    Withdrawn,
    InEffect,
    Ended,
}

impl State {
    pub const ALL: [State; 13] = [
        Self::Draft,
        Self::Submitted,
        Self::InTriage,
        Self::AwaitingMission,
        Self::PoliceReview,
        Self::PstReview,
        Self::Decided,
        Self::Approved,
        Self::Declined,
        Self::Rejected,
        Self::Withdrawn,
        Self::InEffect,
        Self::Ended,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::InTriage => "in_triage",
            Self::AwaitingMission => "awaiting_mission",
            Self::PoliceReview => "police_review",
            Self::PstReview => "pst_review",
            Self::Decided => "decided",
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::InEffect => "in_effect",
            Self::Ended => "ended",
        }
    }

    /// How authorities see the state named.
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Submitted => "Submitted",
            Self::InTriage => "In triage",
            Self::AwaitingMission => "Awaiting the mission",
            Self::PoliceReview => "Police review",
            Self::PstReview => "PST review",
            Self::Decided => "Decided",
            Self::Approved => "Approved",
            Self::Declined => "Declined",
            Self::Rejected => "Rejected",
            Self::Withdrawn => "Withdrawn",
            Self::InEffect => "In effect",
            Self::Ended => "Ended",
        }
    }

    /// No further action is possible.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Declined | Self::Rejected | Self::Withdrawn | Self::Ended
        )
    }

    /// The status a mission sees for this state (SPEC § 5).
    pub fn mission_status(self) -> MissionStatus {
        match self {
            Self::Draft => MissionStatus::Draft,
            Self::Submitted => MissionStatus::Received,
            Self::InTriage | Self::PoliceReview | Self::PstReview | Self::Decided => {
                MissionStatus::UnderAssessment
            }
            Self::AwaitingMission => MissionStatus::InformationRequested,
            Self::Approved => MissionStatus::Approved,
            Self::Declined => MissionStatus::Declined,
            Self::Rejected => MissionStatus::NotAdmissible,
            Self::Withdrawn => MissionStatus::Withdrawn,
            Self::InEffect => MissionStatus::MeasuresInPlace,
            Self::Ended => MissionStatus::Ended,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for State {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|x| x.code() == s)
            .ok_or_else(|| format!("unknown state {s:?}"))
    }
}

/// The coarse status missions see: never the internal routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MissionStatus {
    Draft,
    Received,
    UnderAssessment,
    InformationRequested,
    Approved,
    Declined,
    NotAdmissible,
    Withdrawn,
    MeasuresInPlace,
    Ended,
}

impl MissionStatus {
    pub const ALL: [MissionStatus; 10] = [
        Self::Draft,
        Self::Received,
        Self::UnderAssessment,
        Self::InformationRequested,
        Self::Approved,
        Self::Declined,
        Self::NotAdmissible,
        Self::Withdrawn,
        Self::MeasuresInPlace,
        Self::Ended,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Received => "received",
            Self::UnderAssessment => "under_assessment",
            Self::InformationRequested => "information_requested",
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::NotAdmissible => "not_admissible",
            Self::Withdrawn => "withdrawn",
            Self::MeasuresInPlace => "measures_in_place",
            Self::Ended => "ended",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Received => "Received",
            Self::UnderAssessment => "Under assessment",
            Self::InformationRequested => "Information requested",
            Self::Approved => "Approved",
            Self::Declined => "Declined",
            Self::NotAdmissible => "Not admissible",
            Self::Withdrawn => "Withdrawn",
            Self::MeasuresInPlace => "Measures in place",
            Self::Ended => "Ended",
        }
    }

    /// The internal states a mission-facing status stands for (for filtering missions' lists).
    pub fn states(self) -> Vec<State> {
        State::ALL
            .into_iter()
            .filter(|s| s.mission_status() == self)
            .collect()
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Every action of SPEC § 5 that moves a request from one state to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Submit,
    Take,
    RequestInformation,
    ProvideInformation,
    Reject,
    ForwardToPolice,
    ReturnToMfa,
    ReferToPst,
    SubmitAssessment,
    Decide,
    CommunicateDecision,
    ConfirmImplementation,
    EndMeasures,
    Withdraw,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Self::Submit,
        Self::Take,
        Self::RequestInformation,
        Self::ProvideInformation,
        Self::Reject,
        Self::ForwardToPolice,
        Self::ReturnToMfa,
        Self::ReferToPst,
        Self::SubmitAssessment,
        Self::Decide,
        Self::CommunicateDecision,
        Self::ConfirmImplementation,
        Self::EndMeasures,
        Self::Withdraw,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Take => "take",
            Self::RequestInformation => "request_information",
            Self::ProvideInformation => "provide_information",
            Self::Reject => "reject",
            Self::ForwardToPolice => "forward_to_police",
            Self::ReturnToMfa => "return_to_mfa",
            Self::ReferToPst => "refer_to_pst",
            Self::SubmitAssessment => "submit_assessment",
            Self::Decide => "decide",
            Self::CommunicateDecision => "communicate_decision",
            Self::ConfirmImplementation => "confirm_implementation",
            Self::EndMeasures => "end_measures",
            Self::Withdraw => "withdraw",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Submit => "Submit the request",
            Self::Take => "Take the request",
            Self::RequestInformation => "Ask the mission for information",
            Self::ProvideInformation => "Send the information",
            Self::Reject => "Reject as not admissible",
            Self::ForwardToPolice => "Forward to Oslo Police District",
            Self::ReturnToMfa => "Return to the MFA",
            Self::ReferToPst => "Ask PST for a threat assessment",
            Self::SubmitAssessment => "Submit the threat assessment",
            Self::Decide => "Record the decision",
            Self::CommunicateDecision => "Send the formal reply",
            Self::ConfirmImplementation => "Confirm measures in place",
            Self::EndMeasures => "End the measures",
            Self::Withdraw => "Withdraw the request",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    /// This action's row of the table.
    pub fn rule(self) -> &'static Rule {
        RULES
            .iter()
            .find(|r| r.action == self)
            .expect("every action has a rule")
    }
}

/// What an action needs besides the request's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    None,
    /// `take`: optionally another officer to assign.
    Assignee,
    /// A message to the mission or from it.
    Message,
    /// A reason (required for `reject`).
    Reason,
    /// A reason that may be left out (`withdraw`, `end_measures`).
    OptionalReason,
    /// An internal note (`return_to_mfa`).
    Note,
    /// The threat assessment.
    Assessment,
    /// An outcome for every measure.
    Outcomes,
    /// The formal reply text.
    Reply,
    /// `implemented_on` for each approved measure.
    Implemented,
}

/// Where an action leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    To(State),
    /// `communicate_decision`: approved if any measure is approved, else declined.
    ApprovedOrDeclined,
}

/// One row of the life-cycle table.
#[derive(Debug)]
pub struct Rule {
    pub action: Action,
    pub from: &'static [State],
    pub to: Target,
    pub role: Role,
    pub payload: Payload,
}

use State::*;

/// The life cycle (SPEC § 5). Anything not in this table is refused.
pub const RULES: [Rule; 14] = [
    Rule {
        action: Action::Submit,
        from: &[Draft],
        to: Target::To(Submitted),
        role: Role::MissionStaff,
        payload: Payload::None,
    },
    Rule {
        action: Action::Take,
        from: &[Submitted],
        to: Target::To(InTriage),
        role: Role::MfaOfficer,
        payload: Payload::Assignee,
    },
    Rule {
        action: Action::RequestInformation,
        from: &[InTriage],
        to: Target::To(AwaitingMission),
        role: Role::MfaOfficer,
        payload: Payload::Message,
    },
    Rule {
        action: Action::ProvideInformation,
        from: &[AwaitingMission],
        to: Target::To(InTriage),
        role: Role::MissionStaff,
        payload: Payload::Message,
    },
    Rule {
        action: Action::Reject,
        from: &[InTriage],
        to: Target::To(Rejected),
        role: Role::MfaOfficer,
        payload: Payload::Reason,
    },
    Rule {
        action: Action::ForwardToPolice,
        from: &[InTriage],
        to: Target::To(PoliceReview),
        role: Role::MfaOfficer,
        payload: Payload::None,
    },
    Rule {
        action: Action::ReturnToMfa,
        from: &[PoliceReview],
        to: Target::To(InTriage),
        role: Role::PoliceLiaison,
        payload: Payload::Note,
    },
    Rule {
        action: Action::ReferToPst,
        from: &[PoliceReview],
        to: Target::To(PstReview),
        role: Role::PoliceLiaison,
        payload: Payload::None,
    },
    Rule {
        action: Action::SubmitAssessment,
        from: &[PstReview],
        to: Target::To(PoliceReview),
        role: Role::PstAnalyst,
        payload: Payload::Assessment,
    },
    Rule {
        action: Action::Decide,
        from: &[PoliceReview],
        to: Target::To(Decided),
        role: Role::PoliceLiaison,
        payload: Payload::Outcomes,
    },
    Rule {
        action: Action::CommunicateDecision,
        from: &[Decided],
        to: Target::ApprovedOrDeclined,
        role: Role::MfaOfficer,
        payload: Payload::Reply,
    },
    Rule {
        action: Action::ConfirmImplementation,
        from: &[Approved],
        to: Target::To(InEffect),
        role: Role::PoliceLiaison,
        payload: Payload::Implemented,
    },
    Rule {
        action: Action::EndMeasures,
        from: &[InEffect],
        to: Target::To(Ended),
        role: Role::PoliceLiaison,
        payload: Payload::OptionalReason,
    },
    Rule {
        action: Action::Withdraw,
        from: &[
            Submitted,
            InTriage,
            AwaitingMission,
            PoliceReview,
            PstReview,
        ],
        to: Target::To(Withdrawn),
        role: Role::MissionStaff,
        payload: Payload::OptionalReason,
    },
];

/// The facts about a request that the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub state: State,
    /// The version as the actor sees it: missions see a version that counts only the changes
    /// visible to them, so that it reveals no internal step (such as a referral to PST).
    pub version: i32,
    pub mission_id: String,
    /// For `communicate_decision`: whether any measure was approved (with or without conditions).
    pub any_measure_approved: bool,
}

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The person may not know the request exists (answered as 404).
    NotVisible,
    /// Their role may not take this action (403).
    WrongRole,
    /// The action is not possible in the request's current state (422).
    WrongState,
    /// The request changed since they looked at it (409).
    StaleVersion,
}

/// The change an allowed action makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub action: Action,
    pub from: State,
    pub to: State,
    pub new_version: i32,
}

/// Decides an action: the actor must be of the request's mission when acting for a mission,
/// their role the rule's, `seen_version` the version they may see (`Facts::version`), and the
/// request in one of the rule's states.
pub fn decide(
    facts: &Facts,
    actor: &Actor,
    action: Action,
    seen_version: i32,
) -> Result<Change, Refusal> {
    let rule = action.rule();
    if actor.role == Role::MissionStaff
        && actor.mission_id.as_deref() != Some(facts.mission_id.as_str())
    {
        return Err(Refusal::NotVisible);
    }
    if actor.role != rule.role {
        return Err(Refusal::WrongRole);
    }
    // A stale version first: whoever acted in between is the reason the state moved.
    if seen_version != facts.version {
        return Err(Refusal::StaleVersion);
    }
    if !rule.from.contains(&facts.state) {
        return Err(Refusal::WrongState);
    }
    let to = match rule.to {
        Target::To(state) => state,
        Target::ApprovedOrDeclined if facts.any_measure_approved => Approved,
        Target::ApprovedOrDeclined => Declined,
    };
    Ok(Change {
        action,
        from: facts.state,
        to,
        new_version: facts.version + 1,
    })
}

/// The actions `actor` could take now (for showing only those forms).
pub fn available(facts: &Facts, actor: &Actor) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| decide(facts, actor, *a, facts.version).is_ok())
        .collect()
}

/// Mission staff may change a request's content in these states.
pub fn editable(state: State) -> bool {
    matches!(state, Draft | AwaitingMission)
}

/// Only drafts can be discarded (deleted).
pub fn discardable(state: State) -> bool {
    state == Draft
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Clearance;
    use proptest::prelude::*;

    fn actor(role: Role, mission: Option<&str>) -> Actor {
        Actor {
            user_id: "u".into(),
            role,
            mission_id: mission.map(Into::into),
            clearance: Clearance::Secret,
        }
    }

    fn facts(state: State) -> Facts {
        Facts {
            state,
            version: 3,
            mission_id: "m1".into(),
            any_measure_approved: true,
        }
    }

    /// SPEC § 5, written out independently of RULES: (action, from states, to, role).
    fn spec() -> Vec<(Action, Vec<State>, State, Role)> {
        vec![
            (Action::Submit, vec![Draft], Submitted, Role::MissionStaff),
            (Action::Take, vec![Submitted], InTriage, Role::MfaOfficer),
            (
                Action::RequestInformation,
                vec![InTriage],
                AwaitingMission,
                Role::MfaOfficer,
            ),
            (
                Action::ProvideInformation,
                vec![AwaitingMission],
                InTriage,
                Role::MissionStaff,
            ),
            (Action::Reject, vec![InTriage], Rejected, Role::MfaOfficer),
            (
                Action::ForwardToPolice,
                vec![InTriage],
                PoliceReview,
                Role::MfaOfficer,
            ),
            (
                Action::ReturnToMfa,
                vec![PoliceReview],
                InTriage,
                Role::PoliceLiaison,
            ),
            (
                Action::ReferToPst,
                vec![PoliceReview],
                PstReview,
                Role::PoliceLiaison,
            ),
            (
                Action::SubmitAssessment,
                vec![PstReview],
                PoliceReview,
                Role::PstAnalyst,
            ),
            (
                Action::Decide,
                vec![PoliceReview],
                Decided,
                Role::PoliceLiaison,
            ),
            (
                Action::CommunicateDecision,
                vec![Decided],
                Approved,
                Role::MfaOfficer,
            ),
            (
                Action::ConfirmImplementation,
                vec![Approved],
                InEffect,
                Role::PoliceLiaison,
            ),
            (
                Action::EndMeasures,
                vec![InEffect],
                Ended,
                Role::PoliceLiaison,
            ),
            (
                Action::Withdraw,
                vec![
                    Submitted,
                    InTriage,
                    AwaitingMission,
                    PoliceReview,
                    PstReview,
                ],
                Withdrawn,
                Role::MissionStaff,
            ),
        ]
    }

    #[test]
    fn every_state_action_and_role_against_the_spec() {
        let spec = spec();
        for state in State::ALL {
            for action in Action::ALL {
                for role in Role::ALL {
                    let a = actor(role, (role == Role::MissionStaff).then_some("m1"));
                    let got = decide(&facts(state), &a, action, 3);
                    let (_, from, to, who) = spec.iter().find(|(x, ..)| *x == action).unwrap();
                    let expected = if role != *who {
                        Err(Refusal::WrongRole)
                    } else if !from.contains(&state) {
                        Err(Refusal::WrongState)
                    } else {
                        Ok(*to)
                    };
                    assert_eq!(got.map(|c| c.to), expected, "{state} {action:?} {role}");
                }
            }
        }
    }

    #[test]
    fn another_missions_staff_cannot_see_the_request_and_stale_versions_are_refused() {
        let other = actor(Role::MissionStaff, Some("m2"));
        assert_eq!(
            decide(&facts(Draft), &other, Action::Submit, 3),
            Err(Refusal::NotVisible)
        );
        let own = actor(Role::MissionStaff, Some("m1"));
        assert_eq!(
            decide(&facts(Draft), &own, Action::Submit, 2),
            Err(Refusal::StaleVersion)
        );
        let change = decide(&facts(Draft), &own, Action::Submit, 3).unwrap();
        assert_eq!(change.new_version, 4);
    }

    #[test]
    fn the_reply_approves_only_when_a_measure_was_approved() {
        let mfa = actor(Role::MfaOfficer, None);
        let mut f = facts(Decided);
        assert_eq!(
            decide(&f, &mfa, Action::CommunicateDecision, 3).unwrap().to,
            Approved
        );
        f.any_measure_approved = false;
        assert_eq!(
            decide(&f, &mfa, Action::CommunicateDecision, 3).unwrap().to,
            Declined
        );
    }

    #[test]
    fn missions_see_the_coarse_status_only() {
        let expected = [
            (Draft, "draft"),
            (Submitted, "received"),
            (InTriage, "under_assessment"),
            (PoliceReview, "under_assessment"),
            (PstReview, "under_assessment"),
            (Decided, "under_assessment"),
            (AwaitingMission, "information_requested"),
            (Approved, "approved"),
            (Declined, "declined"),
            (Rejected, "not_admissible"),
            (Withdrawn, "withdrawn"),
            (InEffect, "measures_in_place"),
            (Ended, "ended"),
        ];
        for (state, code) in expected {
            assert_eq!(state.mission_status().code(), code, "{state}");
        }
        // PST review looks exactly like police review to a mission.
        assert_eq!(PstReview.mission_status(), PoliceReview.mission_status());
        for s in State::ALL {
            assert_eq!(s.code().parse::<State>(), Ok(s));
        }
        assert_eq!(
            MissionStatus::UnderAssessment.states(),
            vec![InTriage, PoliceReview, PstReview, Decided]
        );
    }

    fn any_action() -> impl Strategy<Value = Action> {
        (0..Action::ALL.len()).prop_map(|i| Action::ALL[i])
    }

    fn any_role() -> impl Strategy<Value = Role> {
        (0..Role::ALL.len()).prop_map(|i| Role::ALL[i])
    }

    proptest! {
        /// Random sequences of actions by random people: every step taken is a row of the table,
        /// and the version goes up by exactly one with each.
        #[test]
        fn random_sequences_only_follow_the_table(steps in proptest::collection::vec((any_action(), any_role(), any::<bool>()), 1..60)) {
            let mut f = facts(Draft);
            for (action, role, stale) in steps {
                let a = actor(role, (role == Role::MissionStaff).then_some("m1"));
                let seen = if stale { f.version - 1 } else { f.version };
                if let Ok(change) = decide(&f, &a, action, seen) {
                    {
                        let rule = action.rule();
                        prop_assert!(!stale);
                        prop_assert!(rule.from.contains(&f.state));
                        prop_assert_eq!(rule.role, role);
                        prop_assert_eq!(change.new_version, f.version + 1);
                        prop_assert!(!f.state.is_final());
                        f.state = change.to;
                        f.version = change.new_version;
                    }
                }
            }
        }
    }
}
