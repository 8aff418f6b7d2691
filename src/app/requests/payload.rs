//! What each action carries: the flat fields of a form or an API body are parsed into one
//! variant per action, so that an action can only be given what it takes.

use crate::domain::FieldError;
use crate::domain::workflow::Action;

#[derive(Debug, Clone, Default)]
pub struct NoteInput {
    pub body: String,
    pub classification: String,
    pub declassify_on: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AssessmentInput {
    pub threat_level: String,
    pub summary: String,
    pub classification: String,
    pub declassify_on: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OutcomeInput {
    pub measure_id: String,
    pub outcome: String,
    pub conditions: Option<String>,
    /// Why the measure is declined (declined only).
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ImplementedInput {
    pub measure_id: String,
    pub implemented_on: String,
}

/// Every field any action may carry, as a form or the API gives them (product.md § 8, transitions).
#[derive(Debug, Clone, Default)]
pub struct TransitionFields {
    pub assignee_id: Option<String>,
    pub message: Option<String>,
    pub reason: Option<String>,
    pub note: Option<NoteInput>,
    pub assessment: Option<AssessmentInput>,
    pub outcomes: Option<Vec<OutcomeInput>>,
    pub reply: Option<String>,
    pub implemented: Option<Vec<ImplementedInput>>,
    /// `refer_to_pst`: the day PST's assessment is due, when the police set one.
    pub pst_due_on: Option<String>,
    /// `review`: the day of the next review (empty: one interval from today).
    pub next_review_on: Option<String>,
}

impl TransitionFields {
    /// The names of the fields given (present, even if empty), in the order of product.md § 8.
    pub fn present(&self) -> Vec<&'static str> {
        let given = [
            ("assignee_id", self.assignee_id.is_some()),
            ("message", self.message.is_some()),
            ("reason", self.reason.is_some()),
            ("note", self.note.is_some()),
            ("assessment", self.assessment.is_some()),
            ("outcomes", self.outcomes.is_some()),
            ("reply", self.reply.is_some()),
            ("implemented", self.implemented.is_some()),
            ("pst_due_on", self.pst_due_on.is_some()),
            ("next_review_on", self.next_review_on.is_some()),
        ];
        given
            .into_iter()
            .filter(|(_, there)| *there)
            .map(|(name, _)| name)
            .collect()
    }
}

/// The fields `action` carries (product.md § 8); every other field is refused with it.
pub fn carries(action: Action) -> &'static [&'static str] {
    match action {
        Action::Submit | Action::ForwardToPolice | Action::Escalate | Action::ReviewDue => &[],
        Action::ReferToPst => &["pst_due_on"],
        Action::Take => &["assignee_id"],
        Action::RequestInformation | Action::ProvideInformation => &["message"],
        Action::Reject | Action::EndMeasures | Action::Withdraw => &["reason"],
        Action::ReturnToMfa => &["note"],
        Action::Review => &["note", "next_review_on"],
        Action::SubmitAssessment => &["assessment"],
        Action::Decide => &["outcomes"],
        Action::CommunicateDecision => &["reply"],
        Action::ConfirmImplementation => &["implemented"],
    }
}

/// Refuses every field given with `action` that the action does not carry, naming each: a
/// field that would be ignored is refused, so that nobody believes they set what they may not
/// (a mission's "reply", a police outcome on a withdrawal).
pub fn refuse_foreign<'a>(
    action: Action,
    given: impl IntoIterator<Item = &'a str>,
) -> Result<(), Vec<FieldError>> {
    let allowed = carries(action);
    let errors: Vec<FieldError> = given
        .into_iter()
        .filter(|name| !allowed.contains(name))
        .map(|name| {
            FieldError::new(
                name.to_owned(),
                format!("is not taken by the action {}", action.code()),
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// An action with what it carries, one variant per action of the table.
#[derive(Debug, Clone)]
pub enum Payload {
    Submit,
    Take {
        assignee_id: Option<String>,
    },
    RequestInformation {
        message: Option<String>,
    },
    ProvideInformation {
        message: Option<String>,
    },
    Reject {
        reason: Option<String>,
    },
    ForwardToPolice,
    ReturnToMfa {
        note: NoteInput,
    },
    ReferToPst {
        pst_due_on: Option<String>,
    },
    SubmitAssessment {
        assessment: AssessmentInput,
    },
    Decide {
        outcomes: Vec<OutcomeInput>,
    },
    CommunicateDecision {
        reply: Option<String>,
    },
    ConfirmImplementation {
        implemented: Vec<ImplementedInput>,
    },
    EndMeasures {
        reason: Option<String>,
    },
    Withdraw {
        reason: Option<String>,
    },
    /// Keeps the measures in effect after a periodic review, with an internal note.
    Review {
        note: NoteInput,
        next_review_on: Option<String>,
    },
    /// Only the portal escalates; a person asking is refused by the table.
    Escalate,
    /// Only the portal announces a review as due; a person asking is refused by the table.
    ReviewDue,
}

impl Payload {
    /// Takes from `fields` what `action` carries; a field it does not carry is refused.
    pub fn of(action: Action, fields: TransitionFields) -> Result<Self, Vec<FieldError>> {
        refuse_foreign(action, fields.present())?;
        Ok(match action {
            Action::Submit => Payload::Submit,
            Action::Take => Payload::Take {
                assignee_id: fields.assignee_id,
            },
            Action::RequestInformation => Payload::RequestInformation {
                message: fields.message,
            },
            Action::ProvideInformation => Payload::ProvideInformation {
                message: fields.message,
            },
            Action::Reject => Payload::Reject {
                reason: fields.reason,
            },
            Action::ForwardToPolice => Payload::ForwardToPolice,
            Action::Escalate => Payload::Escalate,
            Action::ReviewDue => Payload::ReviewDue,
            Action::Review => Payload::Review {
                note: fields.note.unwrap_or_default(),
                next_review_on: fields.next_review_on,
            },
            Action::ReturnToMfa => Payload::ReturnToMfa {
                note: fields.note.unwrap_or_default(),
            },
            Action::ReferToPst => Payload::ReferToPst {
                pst_due_on: fields.pst_due_on,
            },
            Action::SubmitAssessment => Payload::SubmitAssessment {
                assessment: fields.assessment.unwrap_or_default(),
            },
            Action::Decide => Payload::Decide {
                outcomes: fields.outcomes.unwrap_or_default(),
            },
            Action::CommunicateDecision => Payload::CommunicateDecision {
                reply: fields.reply,
            },
            Action::ConfirmImplementation => Payload::ConfirmImplementation {
                implemented: fields.implemented.unwrap_or_default(),
            },
            Action::EndMeasures => Payload::EndMeasures {
                reason: fields.reason,
            },
            Action::Withdraw => Payload::Withdraw {
                reason: fields.reason,
            },
        })
    }

    /// The action this payload is for.
    pub fn action(&self) -> Action {
        match self {
            Payload::Submit => Action::Submit,
            Payload::Take { .. } => Action::Take,
            Payload::RequestInformation { .. } => Action::RequestInformation,
            Payload::ProvideInformation { .. } => Action::ProvideInformation,
            Payload::Reject { .. } => Action::Reject,
            Payload::ForwardToPolice => Action::ForwardToPolice,
            Payload::ReturnToMfa { .. } => Action::ReturnToMfa,
            Payload::ReferToPst { .. } => Action::ReferToPst,
            Payload::SubmitAssessment { .. } => Action::SubmitAssessment,
            Payload::Decide { .. } => Action::Decide,
            Payload::CommunicateDecision { .. } => Action::CommunicateDecision,
            Payload::ConfirmImplementation { .. } => Action::ConfirmImplementation,
            Payload::EndMeasures { .. } => Action::EndMeasures,
            Payload::Withdraw { .. } => Action::Withdraw,
            Payload::Escalate => Action::Escalate,
            Payload::Review { .. } => Action::Review,
            Payload::ReviewDue => Action::ReviewDue,
        }
    }
}

/// An action, the version its author saw, and what it carries.
#[derive(Debug, Clone)]
pub struct TransitionInput {
    pub version: i32,
    pub payload: Payload,
}

impl TransitionInput {
    /// The input, or the fields given that `action` does not carry.
    pub fn new(
        action: Action,
        version: i32,
        fields: TransitionFields,
    ) -> Result<Self, Vec<FieldError>> {
        Ok(TransitionInput {
            version,
            payload: Payload::of(action, fields)?,
        })
    }

    pub fn action(&self) -> Action {
        self.payload.action()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_an_action_does_not_carry_is_named() {
        let fields = TransitionFields {
            assignee_id: Some("u".into()),
            reply: Some(String::new()),
            outcomes: Some(Vec::new()),
            ..TransitionFields::default()
        };
        let errors = Payload::of(Action::Submit, fields.clone()).unwrap_err();
        let named: Vec<&str> = errors.iter().map(|e| e.field.as_ref()).collect();
        assert_eq!(named, ["assignee_id", "outcomes", "reply"]);
        assert!(errors[0].message.contains("submit"));
        let only_reply = TransitionFields {
            reply: Some("Approved".into()),
            ..TransitionFields::default()
        };
        assert!(Payload::of(Action::CommunicateDecision, only_reply).is_ok());
        for action in Action::ALL {
            assert!(Payload::of(action, TransitionFields::default()).is_ok());
        }
    }
}
