//! The life cycle of a request (product.md § 5) as one table — who may take which step from which
//! state, and whom it tells — and `decide`: given a request, who acts and the action, the change
//! to make or why not. Adding a step is a row here, a payload variant in
//! `app::requests::payload`, an effect in `app::requests::transition`, and its notices in
//! `notification`.

use super::Role;
use super::actor::{Actor, Performer};
use super::notification::Notice;

crate::codes! {
    /// Internal states of a request. The label is how authorities see the state named.
    pub enum State {
        Draft = "draft", "Draft";
        Submitted = "submitted", "Submitted";
        InTriage = "in_triage", "In triage";
        AwaitingMission = "awaiting_mission", "Awaiting the mission";
        PoliceReview = "police_review", "Police review";
        PstReview = "pst_review", "PST review";
        Decided = "decided", "Decided";
        Approved = "approved", "Approved";
        Declined = "declined", "Declined";
        Rejected = "rejected", "Rejected";
        Withdrawn = "withdrawn", "Withdrawn";
        InEffect = "in_effect", "In effect";
        Ended = "ended", "Ended";
    }
    else |s| format!("unknown state {s:?}")
}

impl State {
    /// No further action is possible.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Declined | Self::Rejected | Self::Withdrawn | Self::Ended
        )
    }

    /// The status a mission sees for this state (product.md § 5).
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

crate::codes! {
    /// The coarse status missions see: never the internal routing.
    pub enum MissionStatus {
        Draft = "draft", "Draft";
        Received = "received", "Received";
        UnderAssessment = "under_assessment", "Under assessment";
        InformationRequested = "information_requested", "Information requested";
        Approved = "approved", "Approved";
        PartlyApproved = "partly_approved", "Partly approved";
        Declined = "declined", "Declined";
        NotAdmissible = "not_admissible", "Not admissible";
        Withdrawn = "withdrawn", "Withdrawn";
        MeasuresScheduled = "measures_scheduled", "Measures scheduled";
        MeasuresInPlace = "measures_in_place", "Measures in place";
        Ended = "ended", "Ended";
    }
    else |s| format!("unknown status {s:?}")
}

impl MissionStatus {
    /// The internal states a mission-facing status stands for (for filtering missions' lists);
    /// "partly approved" is the approved state with some measures declined.
    pub fn states(self) -> Vec<State> {
        if self == Self::PartlyApproved {
            return vec![State::Approved];
        }
        if self == Self::MeasuresScheduled {
            return vec![State::InEffect];
        }
        State::ALL
            .into_iter()
            .filter(|s| s.mission_status() == self)
            .collect()
    }
}

crate::codes! {
    /// Every action of product.md § 5 that moves a request from one state to another. The label
    /// names the action on buttons and in the timeline.
    pub enum Action {
        Submit = "submit", "Submit the request";
        Take = "take", "Take the request";
        RequestInformation = "request_information", "Ask the mission for information";
        ProvideInformation = "provide_information", "Send the information";
        Reject = "reject", "Reject as not admissible";
        ForwardToPolice = "forward_to_police", "Forward to Oslo Police District";
        ReturnToMfa = "return_to_mfa", "Return to the MFA";
        ReferToPst = "refer_to_pst", "Ask PST for a threat assessment";
        SubmitAssessment = "submit_assessment", "Submit the threat assessment";
        Decide = "decide", "Record the decision";
        CommunicateDecision = "communicate_decision", "Send the formal reply";
        ConfirmImplementation = "confirm_implementation", "Confirm measures in place";
        EndMeasures = "end_measures", "End the measures";
        Review = "review", "Record the review";
        Withdraw = "withdraw", "Withdraw the request";
        Escalate = "escalate", "Escalate an overdue stage";
        ReviewDue = "review_due", "Announce a review as due";
    }
    else |s| format!("unknown action {s:?}")
}

impl Action {
    /// The rows of the table for this action (one per kind of performer).
    pub fn rules(self) -> impl Iterator<Item = &'static Rule> {
        RULES.iter().filter(move |r| r.action == self)
    }

    /// The step as a past event, for the history: "Submitted", "Assigned".
    pub fn past(self) -> &'static str {
        match self {
            Self::Submit => "Submitted",
            Self::Take => "Assigned",
            Self::RequestInformation => "Information requested from the mission",
            Self::ProvideInformation => "Information sent by the mission",
            Self::Reject => "Rejected as not admissible",
            Self::ForwardToPolice => "Forwarded to Oslo Police District",
            Self::ReturnToMfa => "Returned to the MFA",
            Self::ReferToPst => "Threat assessment requested from PST",
            Self::SubmitAssessment => "Threat assessment submitted",
            Self::Decide => "Decision recorded",
            Self::CommunicateDecision => "Formal reply sent",
            Self::ConfirmImplementation => "Measures confirmed in place",
            Self::EndMeasures => "Measures ended",
            Self::Withdraw => "Withdrawn",
            Self::Escalate => "Overdue: escalated",
            Self::Review => "Reviewed: measures kept",
            Self::ReviewDue => "Review due",
        }
    }

    /// What the person who took the step reads in the banner afterwards.
    pub fn done(self) -> &'static str {
        match self {
            Self::Submit => "The request was submitted.",
            Self::Take => "The request was assigned.",
            Self::RequestInformation => "Your question was sent to the mission.",
            Self::ProvideInformation => "Your answer was sent to the Ministry.",
            Self::Reject => "The request was rejected as not admissible.",
            Self::ForwardToPolice => "The request was forwarded to Oslo Police District.",
            Self::ReturnToMfa => "The request was returned to the MFA.",
            Self::ReferToPst => "PST was asked for a threat assessment.",
            Self::SubmitAssessment => "The threat assessment was submitted.",
            Self::Decide => "The decision was recorded.",
            Self::CommunicateDecision => "The formal reply was sent to the mission.",
            Self::ConfirmImplementation => "The measures were confirmed in place.",
            Self::EndMeasures => "The measures were ended.",
            Self::Withdraw => "The request was withdrawn.",
            Self::Escalate => "The overdue stage was escalated.",
            Self::Review => "The review was recorded and the measures kept.",
            Self::ReviewDue => "The review was announced as due.",
        }
    }

    /// Whether the mission's own staff take this step (their steps are always theirs to see).
    pub fn taken_by_the_mission(self) -> bool {
        self.rules().any(|r| r.by == By::Role(Role::MissionStaff))
    }
}

/// Where an action leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    To(State),
    /// `communicate_decision`: approved if any measure is approved, else declined.
    ApprovedOrDeclined,
    /// The state the request is in (`escalate`).
    Same,
}

/// Who may take a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Role(Role),
    /// The portal itself, on time running out.
    Portal,
}

impl By {
    fn admits(self, performer: Performer<'_>) -> bool {
        match (self, performer) {
            (By::Role(role), Performer::Person(actor)) => actor.role == role,
            (By::Portal, Performer::Portal) => true,
            _ => false,
        }
    }
}

/// One row of the life-cycle table.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    pub action: Action,
    pub from: &'static [State],
    pub to: Target,
    pub by: By,
    /// Whom the step tells (product.md § 7), each notice with its own audience.
    pub notices: &'static [Notice],
}

use State::*;

const fn row(
    action: Action,
    from: &'static [State],
    to: Target,
    by: By,
    notices: &'static [Notice],
) -> Rule {
    Rule {
        action,
        from,
        to,
        by,
        notices,
    }
}

const MISSION: By = By::Role(Role::MissionStaff);
const MFA: By = By::Role(Role::MfaOfficer);
const POLICE: By = By::Role(Role::PoliceLiaison);
const PST: By = By::Role(Role::PstAnalyst);

/// The life cycle (product.md § 5). Anything not in this table is refused.
#[rustfmt::skip]
pub const RULES: [Rule; 18] = [
    row(Action::Submit, &[Draft], Target::To(Submitted), MISSION,
        &[Notice::RequestSubmitted, Notice::SubmissionReceipt]),
    row(Action::Take, &[Submitted], Target::To(InTriage), MFA,
        &[Notice::RequestAssigned]),
    row(Action::RequestInformation, &[InTriage], Target::To(AwaitingMission), MFA,
        &[Notice::InformationRequested]),
    row(Action::ProvideInformation, &[AwaitingMission], Target::To(InTriage), MISSION,
        &[Notice::InformationProvided]),
    row(Action::Reject, &[InTriage], Target::To(Rejected), MFA,
        &[Notice::RequestRejected]),
    row(Action::ForwardToPolice, &[InTriage], Target::To(PoliceReview), MFA,
        &[Notice::ForwardedToPolice, Notice::UnderAssessment]),
    row(Action::ReturnToMfa, &[PoliceReview], Target::To(InTriage), POLICE,
        &[Notice::ReturnedToMfa]),
    row(Action::ReferToPst, &[PoliceReview], Target::To(PstReview), POLICE,
        &[Notice::ReferredToPst]),
    row(Action::SubmitAssessment, &[PstReview], Target::To(PoliceReview), PST,
        &[Notice::AssessmentSubmitted]),
    row(Action::Decide, &[PoliceReview], Target::To(Decided), POLICE,
        &[Notice::RequestDecided]),
    row(Action::CommunicateDecision, &[Decided], Target::ApprovedOrDeclined, MFA,
        &[Notice::DecisionCommunicated]),
    row(Action::ConfirmImplementation, &[Approved], Target::To(InEffect), POLICE,
        &[Notice::ImplementationConfirmed]),
    row(Action::EndMeasures, &[InEffect], Target::To(Ended), POLICE,
        &[Notice::MeasuresEnded]),
    // The periodic review (product.md § 13): the police keep the measures, with an internal note, and
    // set the next review. Nobody else needs to know of it.
    row(Action::Review, &[InEffect], Target::Same, POLICE, &[]),
    // The portal tells the police the day a review falls due, once for each review day.
    row(Action::ReviewDue, &[InEffect], Target::Same, By::Portal,
        &[Notice::ReviewDue]),
    // The portal ends the measures once every end date has passed.
    row(Action::EndMeasures, &[InEffect], Target::To(Ended), By::Portal,
        &[Notice::MeasuresEnded]),
    // Until the reply is sent (product.md § 5): a mission cannot tell `decided` from the states before.
    row(Action::Withdraw, &[Submitted, InTriage, AwaitingMission, PoliceReview, PstReview, Decided],
        Target::To(Withdrawn), MISSION,
        &[Notice::RequestWithdrawn]),
    // The portal escalates a stage the first time it is overdue (product.md § 11); the states are
    // those in which a stage may be due.
    row(Action::Escalate, &[Submitted, InTriage, PoliceReview, PstReview, Decided],
        Target::Same, By::Portal,
        &[Notice::StageOverdue]),
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

/// The change an allowed action makes, with the row of the table that allowed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub action: Action,
    pub from: State,
    pub to: State,
    pub new_version: i32,
    pub rule: &'static Rule,
}

/// Decides an action: a person acting for a mission must be of the request's mission, the
/// performer the rule's, `seen_version` the version they may see (`Facts::version`), and the
/// request in one of the rule's states.
pub fn decide<'a>(
    facts: &Facts,
    by: impl Into<Performer<'a>>,
    action: Action,
    seen_version: i32,
) -> Result<Change, Refusal> {
    let by = by.into();
    if let Performer::Person(actor) = by
        && actor.role == Role::MissionStaff
        && actor.mission_id.as_deref() != Some(facts.mission_id.as_str())
    {
        return Err(Refusal::NotVisible);
    }
    let rule = action
        .rules()
        .find(|r| r.by.admits(by))
        .ok_or(Refusal::WrongRole)?;
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
        Target::Same => facts.state,
    };
    Ok(Change {
        action,
        from: facts.state,
        to,
        new_version: facts.version + 1,
        rule,
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

    /// product.md § 5, written out independently of RULES: (action, from states, to, role).
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
                Action::Review,
                vec![InEffect],
                InEffect,
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
                    Decided,
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
                    let Some((_, from, to, who)) = spec.iter().find(|(x, ..)| *x == action) else {
                        // Only the portal escalates and announces reviews; no person may.
                        assert!(matches!(action, Action::Escalate | Action::ReviewDue));
                        assert_eq!(got.map(|c| c.to), Err(Refusal::WrongRole), "{role}");
                        continue;
                    };
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
    fn the_portal_only_ends_measures_in_effect_escalates_stages_that_can_be_due_and_announces_reviews()
     {
        for state in State::ALL {
            for action in Action::ALL {
                let got = decide(&facts(state), Performer::Portal, action, 3).map(|c| c.to);
                let expected = match (action, state) {
                    (Action::EndMeasures, InEffect) => Ok(Ended),
                    (Action::EndMeasures, _) => Err(Refusal::WrongState),
                    // An escalation changes no state, in the states a stage may be due in.
                    (
                        Action::Escalate,
                        Submitted | InTriage | PoliceReview | PstReview | Decided,
                    ) => Ok(state),
                    (Action::Escalate, _) => Err(Refusal::WrongState),
                    (Action::ReviewDue, InEffect) => Ok(InEffect),
                    (Action::ReviewDue, _) => Err(Refusal::WrongState),
                    _ => Err(Refusal::WrongRole),
                };
                assert_eq!(got, expected, "{state} {action:?}");
            }
        }
        // Every row tells someone but the review, which changes nothing anyone else must know.
        for rule in &RULES {
            assert_eq!(
                rule.notices.is_empty(),
                rule.action == Action::Review,
                "{:?}",
                rule.action
            );
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

    #[test]
    fn a_mission_has_the_same_actions_in_every_state_it_reads_as_under_assessment() {
        let staff = actor(Role::MissionStaff, Some("m1"));
        for state in MissionStatus::UnderAssessment.states() {
            assert_eq!(
                available(&facts(state), &staff),
                vec![Action::Withdraw],
                "{state}"
            );
        }
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
                        let rule = change.rule;
                        prop_assert!(!stale);
                        prop_assert!(rule.from.contains(&f.state));
                        prop_assert_eq!(rule.by, By::Role(role));
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
