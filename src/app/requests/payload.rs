//! What each action carries: the flat fields of a form or an API body are parsed into one
//! variant per action, so that an action can only be given what it takes.

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
}

#[derive(Debug, Clone, Default)]
pub struct ImplementedInput {
    pub measure_id: String,
    pub implemented_on: String,
}

/// Every field any action may carry, as a form or the API gives them (SPEC § 8, transitions).
#[derive(Debug, Clone, Default)]
pub struct TransitionFields {
    pub assignee_id: Option<String>,
    pub message: Option<String>,
    pub reason: Option<String>,
    pub note: Option<NoteInput>,
    pub assessment: Option<AssessmentInput>,
    pub outcomes: Vec<OutcomeInput>,
    pub reply: Option<String>,
    pub implemented: Vec<ImplementedInput>,
}

/// An action with what it carries, one variant per action of the table.
#[derive(Debug, Clone)]
pub enum Payload {
    Submit,
    Take { assignee_id: Option<String> },
    RequestInformation { message: Option<String> },
    ProvideInformation { message: Option<String> },
    Reject { reason: Option<String> },
    ForwardToPolice,
    ReturnToMfa { note: NoteInput },
    ReferToPst,
    SubmitAssessment { assessment: AssessmentInput },
    Decide { outcomes: Vec<OutcomeInput> },
    CommunicateDecision { reply: Option<String> },
    ConfirmImplementation { implemented: Vec<ImplementedInput> },
    EndMeasures { reason: Option<String> },
    Withdraw { reason: Option<String> },
}

impl Payload {
    /// Takes from `fields` what `action` carries; the rest is ignored.
    pub fn of(action: Action, fields: TransitionFields) -> Self {
        match action {
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
            Action::ReturnToMfa => Payload::ReturnToMfa {
                note: fields.note.unwrap_or_default(),
            },
            Action::ReferToPst => Payload::ReferToPst,
            Action::SubmitAssessment => Payload::SubmitAssessment {
                assessment: fields.assessment.unwrap_or_default(),
            },
            Action::Decide => Payload::Decide {
                outcomes: fields.outcomes,
            },
            Action::CommunicateDecision => Payload::CommunicateDecision {
                reply: fields.reply,
            },
            Action::ConfirmImplementation => Payload::ConfirmImplementation {
                implemented: fields.implemented,
            },
            Action::EndMeasures => Payload::EndMeasures {
                reason: fields.reason,
            },
            Action::Withdraw => Payload::Withdraw {
                reason: fields.reason,
            },
        }
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
            Payload::ReferToPst => Action::ReferToPst,
            Payload::SubmitAssessment { .. } => Action::SubmitAssessment,
            Payload::Decide { .. } => Action::Decide,
            Payload::CommunicateDecision { .. } => Action::CommunicateDecision,
            Payload::ConfirmImplementation { .. } => Action::ConfirmImplementation,
            Payload::EndMeasures { .. } => Action::EndMeasures,
            Payload::Withdraw { .. } => Action::Withdraw,
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
    pub fn new(action: Action, version: i32, fields: TransitionFields) -> Self {
        TransitionInput {
            version,
            payload: Payload::of(action, fields),
        }
    }

    pub fn action(&self) -> Action {
        self.payload.action()
    }
}
