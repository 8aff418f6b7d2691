//! The work queues of each role: which lists its start page offers, and the filter each stands
//! for (always within the viewer's scope, which `list` adds).

use chrono::NaiveDate;

use crate::db::requests::ListFilter;
use crate::domain::Role;
use crate::domain::access::Actor;
use crate::domain::disclosure;
use crate::domain::workflow::State;

/// One of a role's work queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queue {
    pub key: &'static str,
    pub label: &'static str,
}

const fn q(key: &'static str, label: &'static str) -> Queue {
    Queue { key, label }
}

const MISSION_QUEUES: &[Queue] = &[q("all", "Your mission's requests")];
const MFA_QUEUES: &[Queue] = &[
    q("new", "New"),
    q("mine", "Assigned to you"),
    q("awaiting", "Awaiting the mission"),
    q("decided", "Decided: reply to send"),
    q("overdue", "Overdue"),
    q("all", "All requests"),
];
const POLICE_QUEUES: &[Queue] = &[
    q("new", "New for police"),
    q("pst", "Referred to PST"),
    q("approved", "Approved: awaiting implementation"),
    q("in_effect", "In effect"),
    q("review", "Review due"),
    q("overdue", "Overdue"),
    q("all", "All requests"),
];
const PST_QUEUES: &[Queue] = &[
    q("awaiting", "Awaiting assessment"),
    q("done", "Assessed"),
    q("all", "All requests"),
];

/// The queues each role works from, the first being its start page.
pub fn queues(role: Role) -> &'static [Queue] {
    match role {
        Role::MissionStaff => MISSION_QUEUES,
        Role::MfaOfficer => MFA_QUEUES,
        Role::PoliceLiaison => POLICE_QUEUES,
        Role::PstAnalyst => PST_QUEUES,
        Role::Admin | Role::Auditor => &[],
    }
}

fn states(list: &[State]) -> Option<Vec<String>> {
    Some(list.iter().map(|s| s.code().to_owned()).collect())
}

/// The filter a queue stands for (within the viewer's scope, which `list` adds), on `today`
/// (the Overdue queue holds what was due before it).
pub fn queue_filter(actor: &Actor, key: &str, today: NaiveDate) -> ListFilter {
    use State::*;
    let mut f = ListFilter::default();
    match (actor.role, key) {
        (Role::MfaOfficer, "new") => {
            f.states = states(&[Submitted]);
            f.unassigned = true;
        }
        (Role::MfaOfficer, "mine") => {
            f.states = states(&[InTriage, AwaitingMission, PoliceReview, PstReview, Decided]);
            f.assigned_to = Some(actor.user_id.clone());
        }
        (Role::MfaOfficer, "awaiting") => f.states = states(&[AwaitingMission]),
        (Role::MfaOfficer, "decided") => f.states = states(&[Decided]),
        (Role::PoliceLiaison, "new") => f.states = states(&[PoliceReview]),
        (Role::PoliceLiaison, "pst") => f.states = states(&[PstReview]),
        (Role::PoliceLiaison, "approved") => f.states = states(&[Approved]),
        (Role::PoliceLiaison, "in_effect") => f.states = states(&[InEffect]),
        // Review due: measures in effect whose periodic review day has come (product.md § 13).
        (Role::PoliceLiaison, "review") => {
            f.states = states(&[InEffect]);
            f.review_due_by = Some(today);
        }
        // Overdue: the stage each is in has passed its due date — the Ministry's own stages and
        // every other, for the Ministry answers to the mission; the police's for the police.
        (Role::MfaOfficer, "overdue") => f.due_before = Some(today),
        (Role::PoliceLiaison, "overdue") => {
            f.states = states(&[PoliceReview, PstReview]);
            f.due_before = Some(today);
        }
        (Role::PstAnalyst, "awaiting") => f.states = states(&[PstReview]),
        (Role::PstAnalyst, "done") => {
            f.states = Some(
                State::ALL
                    .iter()
                    .filter(|s| **s != PstReview)
                    .map(|s| s.code().to_owned())
                    .collect(),
            )
        }
        _ => {}
    }
    f
}

/// Narrows a filter to a status as the viewer names it (mission-facing codes for missions);
/// an unknown status matches nothing rather than everything.
pub fn with_status(actor: &Actor, mut filter: ListFilter, status: &str) -> ListFilter {
    let wanted: Vec<String> = disclosure::states_for_status(actor, status)
        .into_iter()
        .map(|s| s.code().to_owned())
        .collect();
    filter.partly_approved = disclosure::partly_approved_for_status(actor, status);
    filter.in_place = disclosure::in_place_for_status(actor, status)
        .map(|in_place| (in_place, crate::domain::time::oslo_date(crate::app::now())));
    filter.states = Some(match filter.states {
        Some(existing) => existing
            .into_iter()
            .filter(|s| wanted.contains(s))
            .collect(),
        None => wanted,
    });
    filter
}
