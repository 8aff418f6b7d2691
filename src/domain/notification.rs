//! The notices the portal sends (product.md § 7): for each, whom it goes to (its audience, decided
//! here and checked exhaustively by the compiler), whether it asks the recipient to act — those
//! are always e-mailed; the others each recipient may switch off on the account page — and how
//! the account page names it. The label is that name.

use super::Role;
use Role::*;

crate::codes! {
    pub enum Notice {
        RequestSubmitted = "request_submitted", "A mission submitted a request";
        SubmissionReceipt = "submission_receipt", "Receipt for a request you submitted";
        RequestAssigned = "request_assigned", "A request was assigned to you";
        InformationRequested = "information_requested", "The Ministry asks for information";
        InformationProvided = "information_provided", "The mission sent the information asked for";
        RequestRejected = "request_rejected", "A request was found not admissible";
        ForwardedToPolice = "forwarded_to_police", "A request was forwarded to the police";
        UnderAssessment = "under_assessment", "Your request is being assessed";
        ReturnedToMfa = "returned_to_mfa", "The police returned a request to the Ministry";
        ReferredToPst = "referred_to_pst", "A request was referred to PST";
        AssessmentSubmitted = "assessment_submitted", "PST submitted a threat assessment";
        RequestDecided = "request_decided", "The police decided on a request";
        DecisionCommunicated = "decision_communicated", "The Ministry's formal reply";
        ImplementationConfirmed = "implementation_confirmed", "Measures are in place";
        MeasuresEnded = "measures_ended", "Measures have ended";
        RequestWithdrawn = "request_withdrawn", "A request was withdrawn";
        StageOverdue = "stage_overdue", "A request is past its due date";
        ReviewDue = "review_due", "A review of measures in effect is due";
        ThreatLevelChanged = "threat_level_changed", "PST recorded a changed threat level for a mission";
        MessageFromMission = "message_from_mission", "A message from a mission";
        MessageFromMfa = "message_from_mfa", "A message from the Ministry";
        Invitation = "invitation", "Invitation to the portal";
        PasswordChanged = "password_changed", "Your password was changed";
        SecondFactorReset = "second_factor_reset", "Your second factor was reset";
        SignInFailures = "sign_in_failures", "Repeated failed sign-ins on your account";
    }
    else |s| format!("unknown notice {s:?}")
}

/// Whom a notice goes to, resolved against the request after the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every active person of a role (all MFA officers, all police liaisons, all PST analysts).
    AllOf(Role),
    /// The staff of the request's mission.
    MissionStaff,
    /// The MFA officer assigned to the request.
    AssignedOfficer,
    /// The assigned MFA officer, or every MFA officer while none is assigned.
    AssignedOfficerOrMfa,
    /// The officer a request was just assigned to, unless they took it themselves.
    NewAssignee,
    /// The person who took the step (a receipt).
    Performer,
    /// The police liaison who asked PST for the assessment.
    Referrer,
    /// Everyone who had the request: the assigned officer, the police if it reached them, PST
    /// if it was referred.
    Handlers,
    /// For an overdue stage (product.md § 11): whoever must act on it — the assigned officer, or every
    /// MFA officer while none is assigned; every police liaison for the police's decision;
    /// every PST analyst for an assessment — and, since the Ministry answers to the mission,
    /// every MFA officer.
    Escalation,
    /// The owner of an account (account e-mails, sent by the account's own functions).
    AccountOwner,
}

const EVERYONE: &[Role] = &[
    MissionStaff,
    MfaOfficer,
    PoliceLiaison,
    PstAnalyst,
    Admin,
    Auditor,
];

impl Notice {
    /// Whom it goes to.
    pub fn audience(self) -> Audience {
        match self {
            Self::RequestSubmitted => Audience::AllOf(MfaOfficer),
            Self::SubmissionReceipt => Audience::Performer,
            Self::RequestAssigned => Audience::NewAssignee,
            Self::InformationRequested
            | Self::RequestRejected
            | Self::UnderAssessment
            | Self::DecisionCommunicated
            | Self::ImplementationConfirmed
            | Self::MeasuresEnded
            | Self::MessageFromMfa => Audience::MissionStaff,
            Self::InformationProvided | Self::ReturnedToMfa | Self::RequestDecided => {
                Audience::AssignedOfficer
            }
            Self::ForwardedToPolice | Self::ReviewDue | Self::ThreatLevelChanged => {
                Audience::AllOf(PoliceLiaison)
            }
            Self::ReferredToPst => Audience::AllOf(PstAnalyst),
            Self::AssessmentSubmitted => Audience::Referrer,
            Self::RequestWithdrawn => Audience::Handlers,
            Self::StageOverdue => Audience::Escalation,
            Self::MessageFromMission => Audience::AssignedOfficerOrMfa,
            Self::Invitation
            | Self::PasswordChanged
            | Self::SecondFactorReset
            | Self::SignInFailures => Audience::AccountOwner,
        }
    }

    /// The recipient has something to do: the e-mail cannot be switched off.
    pub fn action_required(self) -> bool {
        match self {
            Self::RequestSubmitted
            | Self::RequestAssigned
            | Self::InformationRequested
            | Self::InformationProvided
            | Self::ForwardedToPolice
            | Self::ReturnedToMfa
            | Self::ReferredToPst
            | Self::AssessmentSubmitted
            | Self::RequestDecided
            | Self::MessageFromMission
            | Self::MessageFromMfa
            | Self::StageOverdue
            | Self::ReviewDue
            | Self::ThreatLevelChanged
            | Self::Invitation
            | Self::PasswordChanged
            | Self::SecondFactorReset
            | Self::SignInFailures => true,
            Self::SubmissionReceipt
            | Self::RequestRejected
            | Self::UnderAssessment
            | Self::DecisionCommunicated
            | Self::ImplementationConfirmed
            | Self::MeasuresEnded
            | Self::RequestWithdrawn => false,
        }
    }

    /// The roles that can receive it (for the account page's choices).
    pub fn roles(self) -> &'static [Role] {
        match self.audience() {
            Audience::AllOf(MfaOfficer)
            | Audience::AssignedOfficer
            | Audience::AssignedOfficerOrMfa
            | Audience::NewAssignee => &[MfaOfficer],
            Audience::AllOf(PoliceLiaison) | Audience::Referrer => &[PoliceLiaison],
            Audience::AllOf(PstAnalyst) => &[PstAnalyst],
            Audience::AllOf(MissionStaff) | Audience::MissionStaff => &[MissionStaff],
            // Receipts go to whoever submits: mission staff.
            Audience::Performer => &[MissionStaff],
            Audience::Handlers | Audience::Escalation => &[MfaOfficer, PoliceLiaison, PstAnalyst],
            Audience::AllOf(Admin | Auditor) | Audience::AccountOwner => EVERYONE,
        }
    }
}

/// The notices `role` receives that it may switch off.
pub fn optional_for(role: Role) -> Vec<Notice> {
    Notice::ALL
        .into_iter()
        .filter(|k| !k.action_required() && k.roles().contains(&role))
        .collect()
}

/// Whether an e-mail of this notice is sent to someone with these switched-off codes.
pub fn wants_email(notice: Notice, switched_off: &[String]) -> bool {
    notice.action_required() || !switched_off.iter().any(|s| s == notice.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_required_mail_cannot_be_switched_off() {
        let off = vec!["request_submitted".to_owned(), "measures_ended".to_owned()];
        assert!(wants_email(Notice::RequestSubmitted, &off));
        assert!(!wants_email(Notice::MeasuresEnded, &off));
        assert!(wants_email(Notice::DecisionCommunicated, &off));
        let mut codes: Vec<&str> = Notice::ALL.iter().map(|k| k.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Notice::ALL.len());
    }

    #[test]
    fn who_receives_what_as_before() {
        // The roles each notice reaches (product.md § 7), written out independently of `audience`.
        let expected: &[(Notice, &[Role])] = &[
            (Notice::RequestSubmitted, &[MfaOfficer]),
            (Notice::SubmissionReceipt, &[MissionStaff]),
            (Notice::RequestAssigned, &[MfaOfficer]),
            (Notice::InformationRequested, &[MissionStaff]),
            (Notice::InformationProvided, &[MfaOfficer]),
            (Notice::RequestRejected, &[MissionStaff]),
            (Notice::ForwardedToPolice, &[PoliceLiaison]),
            (Notice::UnderAssessment, &[MissionStaff]),
            (Notice::ReturnedToMfa, &[MfaOfficer]),
            (Notice::ReferredToPst, &[PstAnalyst]),
            (Notice::AssessmentSubmitted, &[PoliceLiaison]),
            (Notice::RequestDecided, &[MfaOfficer]),
            (Notice::DecisionCommunicated, &[MissionStaff]),
            (Notice::ImplementationConfirmed, &[MissionStaff]),
            (Notice::MeasuresEnded, &[MissionStaff]),
            (
                Notice::RequestWithdrawn,
                &[MfaOfficer, PoliceLiaison, PstAnalyst],
            ),
            (Notice::MessageFromMission, &[MfaOfficer]),
            (Notice::MessageFromMfa, &[MissionStaff]),
            (
                Notice::StageOverdue,
                &[MfaOfficer, PoliceLiaison, PstAnalyst],
            ),
            (Notice::ReviewDue, &[PoliceLiaison]),
            (Notice::ThreatLevelChanged, &[PoliceLiaison]),
        ];
        for (notice, roles) in expected {
            assert_eq!(notice.roles(), *roles, "{notice}");
            assert_ne!(notice.audience(), Audience::AccountOwner);
        }
        // The rest are the four account e-mails.
        assert_eq!(expected.len() + 4, Notice::ALL.len());
        // Who among a role: the one assigned, the one who asked, the one who acted.
        assert_eq!(
            Notice::InformationProvided.audience(),
            Audience::AssignedOfficer
        );
        assert_eq!(Notice::RequestDecided.audience(), Audience::AssignedOfficer);
        assert_eq!(Notice::RequestAssigned.audience(), Audience::NewAssignee);
        assert_eq!(Notice::AssessmentSubmitted.audience(), Audience::Referrer);
        assert_eq!(Notice::SubmissionReceipt.audience(), Audience::Performer);
        assert_eq!(Notice::RequestWithdrawn.audience(), Audience::Handlers);
        assert_eq!(
            Notice::MessageFromMission.audience(),
            Audience::AssignedOfficerOrMfa
        );
        assert_eq!(
            Notice::RequestSubmitted.audience(),
            Audience::AllOf(MfaOfficer)
        );
    }
}
