//! The kinds of notification (SPEC § 7) and which of them ask the recipient to act. Those that
//! do are always e-mailed; the others each recipient may switch off on the account page.

use super::Role;
use Role::*;

/// One kind of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub code: &'static str,
    /// The recipient has something to do: the e-mail cannot be switched off.
    pub action_required: bool,
    /// How the account page names it.
    pub label: &'static str,
    /// Who receives it.
    pub roles: &'static [Role],
}

const fn kind(
    code: &'static str,
    action_required: bool,
    label: &'static str,
    roles: &'static [Role],
) -> Kind {
    Kind {
        code,
        action_required,
        label,
        roles,
    }
}

pub const KINDS: &[Kind] = &[
    kind(
        "request_submitted",
        true,
        "A mission submitted a request",
        &[MfaOfficer],
    ),
    kind(
        "submission_receipt",
        false,
        "Receipt for a request you submitted",
        &[MissionStaff],
    ),
    kind(
        "request_assigned",
        true,
        "A request was assigned to you",
        &[MfaOfficer],
    ),
    kind(
        "information_requested",
        true,
        "The Ministry asks for information",
        &[MissionStaff],
    ),
    kind(
        "information_provided",
        true,
        "The mission sent the information asked for",
        &[MfaOfficer],
    ),
    kind(
        "request_rejected",
        false,
        "A request was found not admissible",
        &[MissionStaff],
    ),
    kind(
        "forwarded_to_police",
        true,
        "A request was forwarded to the police",
        &[PoliceLiaison],
    ),
    kind(
        "under_assessment",
        false,
        "Your request is being assessed",
        &[MissionStaff],
    ),
    kind(
        "returned_to_mfa",
        true,
        "The police returned a request to the Ministry",
        &[MfaOfficer],
    ),
    kind(
        "referred_to_pst",
        true,
        "A request was referred to PST",
        &[PstAnalyst],
    ),
    kind(
        "assessment_submitted",
        true,
        "PST submitted a threat assessment",
        &[PoliceLiaison],
    ),
    kind(
        "request_decided",
        true,
        "The police decided on a request",
        &[MfaOfficer],
    ),
    kind(
        "decision_communicated",
        false,
        "The Ministry's formal reply",
        &[MissionStaff],
    ),
    kind(
        "implementation_confirmed",
        false,
        "Measures are in place",
        &[MissionStaff],
    ),
    kind(
        "measures_ended",
        false,
        "Measures have ended",
        &[MissionStaff],
    ),
    kind(
        "request_withdrawn",
        false,
        "A request was withdrawn",
        &[MfaOfficer, PoliceLiaison, PstAnalyst],
    ),
    kind(
        "message_from_mission",
        true,
        "A message from a mission",
        &[MfaOfficer],
    ),
    kind(
        "message_from_mfa",
        true,
        "A message from the Ministry",
        &[MissionStaff],
    ),
    kind(
        "invitation",
        true,
        "Invitation to the portal",
        &[MissionStaff, MfaOfficer, PoliceLiaison, PstAnalyst, Admin],
    ),
    kind(
        "password_changed",
        true,
        "Your password was changed",
        &[MissionStaff, MfaOfficer, PoliceLiaison, PstAnalyst, Admin],
    ),
    kind(
        "second_factor_reset",
        true,
        "Your second factor was reset",
        &[MissionStaff, MfaOfficer, PoliceLiaison, PstAnalyst, Admin],
    ),
];

/// The kinds `role` receives that it may switch off.
pub fn optional_for(role: Role) -> Vec<&'static Kind> {
    KINDS
        .iter()
        .filter(|k| !k.action_required && k.roles.contains(&role))
        .collect()
}

pub fn find(code: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.code == code)
}

/// Whether an e-mail of `code` is sent to someone with these switched-off kinds.
pub fn wants_email(code: &str, switched_off: &[String]) -> bool {
    match find(code) {
        Some(k) if k.action_required => true,
        _ => !switched_off.iter().any(|s| s == code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_required_mail_cannot_be_switched_off() {
        let off = vec!["request_submitted".to_owned(), "measures_ended".to_owned()];
        assert!(wants_email("request_submitted", &off));
        assert!(!wants_email("measures_ended", &off));
        assert!(wants_email("decision_communicated", &off));
        let mut codes: Vec<&str> = KINDS.iter().map(|k| k.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), KINDS.len());
    }
}
