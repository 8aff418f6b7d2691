//! Who sees what (product.md §§ 5–6): every decision about what a viewer may know of a request —
//! whether it exists for them, which lists hold it, the status code and label they read, the
//! outcomes and the reply, whose names, which notes and assessments, which timeline steps, the
//! version they state, and which classifications they may choose. The application layer asks
//! here and hands presenters a view that is already redacted; nothing else decides these.

use super::access::Actor;
use super::deadlines::History;
use super::workflow::{Action, MissionStatus, State};
use super::{Classification, Role};

/// The status as one viewer reads it: the internal state for authorities, the mission-facing
/// status for mission staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub code: &'static str,
    /// In English; pages translate it.
    pub label: &'static str,
}

/// The status of a request in `state` as a person of `role` sees it (pages, the API, e-mails).
/// `partly_approved`: the decision approved some measures and declined others (missions then
/// read "Partly approved" while the request is approved).
pub fn status(role: Role, state: State, partly_approved: bool) -> Status {
    status_on(role, state, partly_approved, false)
}

/// `status`, for a request in effect whose measures are all `scheduled` for a later day (the
/// police confirmed the date they will be in place): missions then read "Measures scheduled".
pub fn status_on(role: Role, state: State, partly_approved: bool, scheduled: bool) -> Status {
    if role == Role::MissionStaff {
        let s = match state.mission_status() {
            MissionStatus::Approved if partly_approved => MissionStatus::PartlyApproved,
            MissionStatus::MeasuresInPlace if scheduled => MissionStatus::MeasuresScheduled,
            other => other,
        };
        Status {
            code: s.code(),
            label: s.label(),
        }
    } else {
        Status {
            code: state.code(),
            label: state.label(),
        }
    }
}

/// The statuses a viewer can filter a list by, in their own terms.
pub fn status_choices(actor: &Actor) -> Vec<Status> {
    if actor.role == Role::MissionStaff {
        MissionStatus::ALL
            .into_iter()
            .map(|s| Status {
                code: s.code(),
                label: s.label(),
            })
            .collect()
    } else {
        State::ALL
            .into_iter()
            .filter(|s| *s != State::Draft)
            .map(|s| status(actor.role, s, false))
            .collect()
    }
}

/// The internal states a status named by the viewer stands for; none for an unknown code.
pub fn states_for_status(actor: &Actor, code: &str) -> Vec<State> {
    if actor.role == Role::MissionStaff {
        MissionStatus::parse(code)
            .map(MissionStatus::states)
            .unwrap_or_default()
    } else {
        State::parse(code).into_iter().collect()
    }
}

/// For a status a mission names: whether it stands for approved requests with some measures
/// declined (`Some(true)`), all approved (`Some(false)`), or either (`None`).
pub fn partly_approved_for_status(actor: &Actor, code: &str) -> Option<bool> {
    if actor.role != Role::MissionStaff {
        return None;
    }
    match MissionStatus::parse(code)? {
        MissionStatus::PartlyApproved => Some(true),
        MissionStatus::Approved => Some(false),
        _ => None,
    }
}

/// For a status a mission names: whether it stands for requests whose measures are in place
/// (`Some(true)`), only scheduled (`Some(false)`), or either (`None`).
pub fn in_place_for_status(actor: &Actor, code: &str) -> Option<bool> {
    if actor.role != Role::MissionStaff {
        return None;
    }
    match MissionStatus::parse(code)? {
        MissionStatus::MeasuresInPlace => Some(true),
        MissionStatus::MeasuresScheduled => Some(false),
        _ => None,
    }
}

/// Whether a request in effect has no measure in place yet on `today`: the earliest day one is
/// (or will be) in place is later.
pub fn scheduled(in_place_from: Option<chrono::NaiveDate>, today: chrono::NaiveDate) -> bool {
    in_place_from.is_some_and(|d| d > today)
}

/// Whether a message is a question the Ministry asked the mission (shown first to the mission
/// while the request waits for it): an external message by anyone but the mission's own staff.
pub fn is_question_to_mission(internal: bool, author_role: Option<Role>) -> bool {
    !internal && author_role != Some(Role::MissionStaff)
}

/// Whether what a person typed into a step's form may be kept in their browser when the session
/// ends (`static/session.js`): only text the mission reads or writes, never a note or an
/// assessment, which may be classified.
pub fn may_keep_typed_text(action: Action) -> bool {
    matches!(
        action,
        Action::RequestInformation
            | Action::ProvideInformation
            | Action::Reject
            | Action::Withdraw
            | Action::Decide
            | Action::CommunicateDecision
    )
}

/// Whether the message form's text may be kept in the browser: only where it cannot be an
/// internal (classified) note.
pub fn may_keep_message_text(rights: &MessageRights) -> bool {
    !rights.internal
}

/// What decides who may know a request exists.
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
        Role::Admin | Role::Auditor => false,
    }
}

/// Which requests a viewer's lists may contain at all: `may_see_request` as a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// One mission's requests, drafts included.
    Mission(String),
    /// Everything but drafts (the MFA).
    Submitted,
    /// Requests that have ever reached police review.
    ReachedPolice,
    /// Requests that have ever been referred to PST.
    ReferredToPst,
    /// Nothing (administrators).
    Nothing,
}

impl ListScope {
    /// Whether a request is in this scope: `may_see_request` as a set. The database applies the
    /// same rule as a query (`db::requests`), and the integration tests check that lists and
    /// single look-ups agree.
    pub fn contains(&self, r: &RequestScope<'_>) -> bool {
        match self {
            ListScope::Mission(id) => id == r.mission_id,
            ListScope::Submitted => r.state != State::Draft,
            ListScope::ReachedPolice => r.reached_police,
            ListScope::ReferredToPst => r.referred_to_pst,
            ListScope::Nothing => false,
        }
    }
}

/// The scope of `actor`'s lists.
pub fn list_scope(actor: &Actor) -> ListScope {
    match (actor.role, &actor.mission_id) {
        (Role::MissionStaff, Some(mission)) => ListScope::Mission(mission.clone()),
        (Role::MissionStaff, None) => ListScope::Nothing,
        (Role::MfaOfficer, _) => ListScope::Submitted,
        (Role::PoliceLiaison, _) => ListScope::ReachedPolice,
        (Role::PstAnalyst, _) => ListScope::ReferredToPst,
        (Role::Admin | Role::Auditor, _) => ListScope::Nothing,
    }
}

/// Which requests `actor`'s statistics count: the Ministry every submitted request, the police
/// those that reached them; nobody else has statistics (`Capability::ViewStatistics`).
pub fn statistics_scope(actor: &Actor) -> Option<super::statistics::Counted> {
    use super::statistics::Counted;
    match actor.role {
        Role::MfaOfficer => Some(Counted::Submitted),
        Role::PoliceLiaison => Some(Counted::ReachedPolice),
        Role::MissionStaff | Role::PstAnalyst | Role::Admin | Role::Auditor => None,
    }
}

/// Whether a viewer's lists can be narrowed to one mission (missions see only their own).
pub fn may_filter_by_mission(actor: &Actor) -> bool {
    actor.role != Role::MissionStaff
}

/// Whether a list shows this request to the viewer as waiting for them ("Action needed").
pub fn needs_action(actor: &Actor, state: State) -> bool {
    actor.role == Role::MissionStaff && state == State::AwaitingMission
}

/// Whether a viewer states the request's own version, or — mission staff — the number of
/// steps they can see, which moves only with changes visible to them.
pub fn counts_visible_steps(actor: &Actor) -> bool {
    actor.role == Role::MissionStaff
}

/// Whether the viewer sees a request's internal deadlines: each stage, its due date, whether it
/// is overdue, and its escalation. The authorities handling requests do; a mission sees only the
/// day it may expect the reply (product.md § 11), never the internal stages.
pub fn deadlines_visible(actor: &Actor) -> bool {
    matches!(
        actor.role,
        Role::MfaOfficer | Role::PoliceLiaison | Role::PstAnalyst
    )
}

/// The history the day a viewer may expect the reply is counted from. A mission's leaves out
/// the police's decision: it would move the day, and so tell a decided request apart from one
/// still being assessed (product.md § 5).
pub fn reply_date_history(actor: &Actor, history: &History) -> History {
    let mut h = history.clone();
    if !deadlines_visible(actor) {
        h.decided_on = None;
    }
    h
}

/// Whether the viewer reads the police's outcome for each measure (and the dates it was put in
/// place and ended). Missions learn them with the formal reply.
pub fn outcomes_visible(actor: &Actor, state: State) -> bool {
    actor.role != Role::MissionStaff
        || matches!(
            state,
            State::Approved | State::Declined | State::InEffect | State::Ended
        )
}

/// Whether the viewer reads the Ministry's formal reply (or the reason for a rejection).
pub fn reply_visible(actor: &Actor, state: State) -> bool {
    actor.role != Role::MissionStaff
        || matches!(
            state,
            State::Approved | State::Declined | State::Rejected | State::InEffect | State::Ended
        )
}

/// Whether the viewer is told about threat assessments at all (missions never are).
pub fn assessments_listed(actor: &Actor) -> bool {
    actor.role != Role::MissionStaff
}

/// Whether `actor` may read an internal note of this classification (authorities only, within
/// their clearance).
pub fn may_read_note(actor: &Actor, classification: Classification) -> bool {
    actor.role.is_authority() && actor.clearance.admits(classification)
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

/// Whether PST analysts are named to the viewer: to PST, and to those who may read an
/// assessment of this request in full (who wrote it is part of it).
pub fn pst_names_visible(actor: &Actor, assessments: &[Classification]) -> bool {
    actor.role == Role::PstAnalyst
        || assessments
            .iter()
            .any(|c| assessment_view(actor, *c) == AssessmentView::Full)
}

/// Someone named in a request's history, messages or assessments.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    pub user_id: &'a str,
    pub role: Role,
}

/// Whether the viewer reads this person's name, or only their organisation's. Missions see the
/// names of their own staff and of the assigned MFA officer only; authorities see each other's,
/// PST analysts' only when `pst_names` (see `pst_names_visible`).
pub fn name_visible(
    actor: &Actor,
    person: Named<'_>,
    assigned_officer: Option<&str>,
    pst_names: bool,
) -> bool {
    if actor.role == Role::MissionStaff {
        person.role == Role::MissionStaff || assigned_officer == Some(person.user_id)
    } else {
        person.role != Role::PstAnalyst || pst_names
    }
}

/// What the portal itself is called where it acted (and where an author is unknown).
pub const PORTAL_LABEL: &str = "The portal";

/// The organisation shown instead of the name of a person of `role` whose name is withheld.
pub fn organisation_label(role: Role) -> &'static str {
    match role {
        Role::MissionStaff => "The mission",
        Role::MfaOfficer => "Ministry of Foreign Affairs",
        Role::PoliceLiaison => "Oslo Police District",
        Role::PstAnalyst => "PST",
        Role::Admin | Role::Auditor => PORTAL_LABEL,
    }
}

/// Whether a step of the history is shown to the viewer (missions see only the steps marked
/// visible to them when they were taken).
pub fn step_visible(actor: &Actor, mission_visible: bool) -> bool {
    actor.role != Role::MissionStaff || mission_visible
}

/// How a step that submitted a threat assessment is shown to the viewer, given the
/// classification of the assessment it submitted (`None` if it cannot be told): not at all to
/// those not told of that assessment (`Absent`) — the step would tell them that one was written;
/// its author named only to those who read the assessment in full (`Full`); to everyone else
/// the step is PST's.
pub fn assessment_step_view(
    actor: &Actor,
    classification: Option<Classification>,
) -> AssessmentView {
    match classification {
        Some(c) if actor.role != Role::MissionStaff => assessment_view(actor, c),
        // PST analysts are told of their own organisation's steps, whoever wrote them.
        _ if actor.role == Role::PstAnalyst => AssessmentView::ExistenceOnly,
        _ => AssessmentView::Absent,
    }
}

/// Whether a step is visible to the mission, decided when it is taken: the mission's own steps,
/// and any step that changes the status the mission sees.
pub fn step_visible_to_mission(action: Action, from: State, to: State) -> bool {
    from.mission_status() != to.mission_status() || action.taken_by_the_mission()
}

/// How much of one security-log entry a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogEntryView {
    /// Every column.
    Full,
    /// The kind of event, its outcome, when, and the organisation that acted — not who, from
    /// where, which request or item, nor the detail (the step, the states it went between).
    KindAndOrganisation,
}

/// Whether a security-log entry is about case work: a step of a request's life cycle, a read
/// of a classified message or assessment, a refusal on a request or on a request's page.
pub fn is_case_event(target_type: Option<&str>, target_id: Option<&str>) -> bool {
    match target_type {
        Some(t) if CASE_TARGET_TYPES.contains(&t) => true,
        Some("route") => target_id.is_some_and(|path| {
            CASE_ROUTE_PREFIXES
                .iter()
                .any(|prefix| path.starts_with(prefix))
        }),
        _ => false,
    }
}

/// The security-log targets that are case work.
pub const CASE_TARGET_TYPES: [&str; 5] = [
    "request",
    "message",
    "assessment",
    "attachment",
    "threat_level",
];
/// The routes whose logged refusals are case work (target type `route`).
pub const CASE_ROUTE_PREFIXES: [&str; 2] = ["/requests/", "/api/v1/requests/"];

/// Whether a search of the security log by person leaves case events out for `actor`. An entry
/// shown as its kind and organisation would still say, when found by a person's id, that this
/// person did case work then; so for those who may not read case events (administrators), a
/// search by person finds everything else that person did, and no case event.
pub fn log_search_by_person_hides_case_events(actor: &Actor) -> bool {
    super::access::authorise(actor, super::access::Capability::ReadCaseEvents).is_err()
}

/// What `actor` reads of a security-log entry: administrators keep accounts and the portal
/// running and must not learn case routing (which request went to PST, who handled it) from
/// the log; only those who may read case events (`Capability::ReadCaseEvents`: auditors) read
/// those entries in full.
pub fn log_entry_view(
    actor: &Actor,
    target_type: Option<&str>,
    target_id: Option<&str>,
) -> LogEntryView {
    let auditor =
        super::access::authorise(actor, super::access::Capability::ReadCaseEvents).is_ok();
    if auditor || !is_case_event(target_type, target_id) {
        LogEntryView::Full
    } else {
        LogEntryView::KindAndOrganisation
    }
}

/// The classifications an author may choose: within their clearance and the installation's
/// ceiling.
pub fn classification_choices(actor: &Actor, ceiling: Classification) -> Vec<Classification> {
    Classification::ALL
        .into_iter()
        .filter(|c| *c <= ceiling && actor.clearance.admits(*c))
        .collect()
}

/// Which messages a viewer may write on a request in `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageRights {
    /// To the mission or the Ministry (mission staff and MFA officers, once submitted).
    pub external: bool,
    /// A note among Norwegian authorities.
    pub internal: bool,
}

pub fn message_rights(actor: &Actor, state: State) -> MessageRights {
    MessageRights {
        external: may_write(actor, false) && state != State::Draft,
        internal: may_write(actor, true),
    }
}

/// Whether `actor`'s role may write an external message (`internal` false) or an internal note.
pub fn may_write(actor: &Actor, internal: bool) -> bool {
    if internal {
        actor.role.is_authority()
    } else {
        matches!(actor.role, Role::MissionStaff | Role::MfaOfficer)
    }
}

/// Whether `actor` may know of an attachment on a request they see: an external one with the
/// request; an internal one only as an authority cleared to its classification. For anyone
/// else an internal attachment does not exist (absent from lists, counts and lookups).
pub fn attachment_visible(actor: &Actor, internal: bool, classification: Classification) -> bool {
    if internal {
        may_read_note(actor, classification)
    } else {
        true
    }
}

/// Which attachments a viewer may add to a request in `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttachmentRights {
    /// For the mission and the authorities: the request's own mission while it drafts the
    /// request or answers the Ministry's question.
    pub external: bool,
    /// For the authorities only, classified within their clearance: at any time once submitted.
    pub internal: bool,
}

pub fn attachment_rights(actor: &Actor, state: State, mission_id: &str) -> AttachmentRights {
    AttachmentRights {
        external: is_own_mission(actor, mission_id)
            && matches!(state, State::Draft | State::AwaitingMission),
        internal: actor.role.is_authority() && state != State::Draft,
    }
}

/// Whether `actor` may remove an attachment: only the one who added it, while the mission may
/// still change the request (an external one) or while the case is open (an internal one).
pub fn may_remove_attachment(
    actor: &Actor,
    uploaded_by: &str,
    internal: bool,
    state: State,
) -> bool {
    actor.user_id == uploaded_by
        && if internal {
            actor.role.is_authority() && !state.is_final()
        } else {
            matches!(state, State::Draft | State::AwaitingMission)
        }
}

/// Whether the viewer sees the periodic review of a request in effect (its next date, the Review
/// due queue, the review step in the history): the authorities handling requests, never the
/// mission, who must not learn that its protection is being reconsidered.
pub fn review_visible(actor: &Actor) -> bool {
    deadlines_visible(actor)
}

/// Whether the viewer may open the authorities' page of a mission (its threat level, its
/// requests): the authorities handling requests.
pub fn may_see_mission_operations(actor: &Actor) -> bool {
    deadlines_visible(actor)
}

/// Whether the viewer may record a changed threat level for a mission: PST.
pub fn may_record_threat_level(actor: &Actor) -> bool {
    actor.role == Role::PstAnalyst
}

/// How much of a mission's threat level of this classification the viewer sees: as much as of a
/// threat assessment (the police and PST within clearance read the note; the MFA, cleared, the
/// level; below it, that one was recorded). Missions never learn of it.
pub fn threat_level_view(actor: &Actor, classification: Classification) -> AssessmentView {
    assessment_view(actor, classification)
}

/// Whether a request has a receipt: once it was submitted (for the mission and the authorities
/// who see it).
pub fn receipt_available(state: State) -> bool {
    state != State::Draft
}

/// Whether a request has the Ministry's formal reply as a note verbale: once the Ministry has
/// communicated its decision on the measures.
pub fn formal_reply_available(state: State) -> bool {
    matches!(
        state,
        State::Approved | State::Declined | State::InEffect | State::Ended
    )
}

/// Whether the viewer edits or discards the request as its own mission.
pub fn is_own_mission(actor: &Actor, mission_id: &str) -> bool {
    actor.role == Role::MissionStaff && actor.mission_id.as_deref() == Some(mission_id)
}

/// Whether the viewer is addressed as the mission (wording of pages: "your contact at the
/// Ministry", "Messages") rather than as an authority.
pub fn addressed_as_mission(actor: &Actor) -> bool {
    actor.role == Role::MissionStaff
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Clearance;
    use proptest::prelude::*;

    fn actor(role: Role, mission: Option<&str>, clearance: Clearance) -> Actor {
        Actor {
            user_id: "u".into(),
            role,
            mission_id: mission.map(Into::into),
            clearance,
        }
    }

    #[test]
    fn administrators_read_case_events_as_kind_and_organisation_only() {
        let admin = actor(Role::Admin, None, Clearance::None);
        let auditor = actor(Role::Auditor, None, Clearance::None);
        for (target_type, target_id) in [
            (Some("request"), Some("r1")),
            (Some("assessment"), Some("a1")),
            (Some("message"), Some("m1")),
            (Some("route"), Some("/requests/r1/transitions")),
            (Some("route"), Some("/api/v1/requests/r1")),
        ] {
            assert_eq!(
                log_entry_view(&admin, target_type, target_id),
                LogEntryView::KindAndOrganisation
            );
            assert_eq!(
                log_entry_view(&auditor, target_type, target_id),
                LogEntryView::Full
            );
        }
        for (target_type, target_id) in [
            (Some("user"), Some("u1")),
            (Some("route"), Some("/admin/users")),
            (None, None),
        ] {
            assert_eq!(
                log_entry_view(&admin, target_type, target_id),
                LogEntryView::Full
            );
        }
    }

    #[test]
    fn an_assessment_step_is_told_only_to_those_told_of_the_assessment() {
        let secret = Some(Classification::Secret);
        let view = |role, clearance| assessment_step_view(&actor(role, None, clearance), secret);
        assert_eq!(
            view(Role::PoliceLiaison, Clearance::Secret),
            AssessmentView::Full
        );
        assert_eq!(
            view(Role::PoliceLiaison, Clearance::Restricted),
            AssessmentView::Absent
        );
        assert_eq!(
            view(Role::MfaOfficer, Clearance::None),
            AssessmentView::ExistenceOnly
        );
        assert_eq!(
            view(Role::PstAnalyst, Clearance::Restricted),
            AssessmentView::Absent
        );
        let staff = actor(Role::MissionStaff, Some("m"), Clearance::None);
        assert_eq!(assessment_step_view(&staff, secret), AssessmentView::Absent);
        assert_eq!(assessment_step_view(&staff, None), AssessmentView::Absent);
    }

    #[test]
    fn who_may_know_a_request_exists() {
        let mut other = actor(Role::MissionStaff, Some("other"), Clearance::None);
        other.mission_id = Some("other".into());
        for state in State::ALL {
            for police in [false, true] {
                for pst in [false, true] {
                    let r = RequestScope {
                        mission_id: "m",
                        state,
                        reached_police: police,
                        referred_to_pst: pst,
                    };
                    let own = actor(Role::MissionStaff, Some("m"), Clearance::None);
                    let of = |role| actor(role, None, Clearance::None);
                    assert!(may_see_request(&own, &r));
                    assert!(!may_see_request(&other, &r));
                    assert_eq!(
                        may_see_request(&of(Role::MfaOfficer), &r),
                        state != State::Draft
                    );
                    assert_eq!(may_see_request(&of(Role::PoliceLiaison), &r), police);
                    assert_eq!(may_see_request(&of(Role::PstAnalyst), &r), pst);
                    assert!(!may_see_request(&of(Role::Admin), &r));
                }
            }
        }
    }

    #[test]
    fn missions_read_outcomes_and_the_reply_only_once_told() {
        let mission = actor(Role::MissionStaff, Some("m"), Clearance::None);
        let police = actor(Role::PoliceLiaison, None, Clearance::Restricted);
        for state in State::ALL {
            assert!(outcomes_visible(&police, state));
            assert!(reply_visible(&police, state));
            assert_eq!(
                outcomes_visible(&mission, state),
                matches!(
                    state,
                    State::Approved | State::Declined | State::InEffect | State::Ended
                ),
                "{state}"
            );
            assert_eq!(
                reply_visible(&mission, state),
                outcomes_visible(&mission, state) || state == State::Rejected,
                "{state}"
            );
            assert_eq!(
                status(Role::MissionStaff, state, false).code,
                state.mission_status().code()
            );
            assert_eq!(status(Role::PoliceLiaison, state, false).code, state.code());
            // Only an approved request reads "partly approved", and only to its mission.
            assert_eq!(
                status(Role::MissionStaff, state, true).code,
                if state == State::Approved {
                    "partly_approved"
                } else {
                    state.mission_status().code()
                }
            );
            assert_eq!(status(Role::MfaOfficer, state, true).code, state.code());
        }
        assert_eq!(
            status(Role::MissionStaff, State::PstReview, false),
            status(Role::MissionStaff, State::PoliceReview, false)
        );
    }

    #[test]
    fn names_notes_assessments_and_choices_follow_role_and_clearance() {
        let mission = actor(Role::MissionStaff, Some("m"), Clearance::None);
        let mfa = actor(Role::MfaOfficer, None, Clearance::Restricted);
        let police = actor(Role::PoliceLiaison, None, Clearance::Confidential);
        let pst_person = Named {
            user_id: "p",
            role: Role::PstAnalyst,
        };
        let officer = Named {
            user_id: "o",
            role: Role::MfaOfficer,
        };
        assert!(name_visible(&mission, officer, Some("o"), true));
        assert!(!name_visible(&mission, officer, Some("x"), true));
        assert!(!name_visible(&mission, pst_person, None, true));
        assert!(!name_visible(&mfa, pst_person, None, false));
        assert!(name_visible(&police, pst_person, None, true));
        assert!(pst_names_visible(&police, &[Classification::Restricted]));
        assert!(!pst_names_visible(&police, &[Classification::Secret]));
        assert!(!pst_names_visible(&mfa, &[Classification::Restricted]));
        assert!(may_read_note(&mfa, Classification::Restricted));
        assert!(!may_read_note(&mfa, Classification::Confidential));
        assert!(!may_read_note(&mission, Classification::Unclassified));
        assert_eq!(
            assessment_view(&mfa, Classification::Restricted),
            AssessmentView::LevelOnly
        );
        assert_eq!(
            assessment_view(&mfa, Classification::Secret),
            AssessmentView::ExistenceOnly
        );
        assert_eq!(
            assessment_view(&police, Classification::Secret),
            AssessmentView::Absent
        );
        assert_eq!(
            assessment_view(&mission, Classification::Unclassified),
            AssessmentView::Absent
        );
        assert_eq!(
            classification_choices(&mfa, Classification::Secret),
            vec![Classification::Unclassified, Classification::Restricted]
        );
        assert_eq!(
            classification_choices(&police, Classification::Restricted),
            vec![Classification::Unclassified, Classification::Restricted]
        );
        assert_eq!(
            message_rights(&mission, State::Draft),
            MessageRights::default()
        );
        assert_eq!(
            message_rights(&mfa, State::InTriage),
            MessageRights {
                external: true,
                internal: true
            }
        );
        assert_eq!(
            message_rights(&police, State::PoliceReview),
            MessageRights {
                external: false,
                internal: true
            }
        );
    }

    fn any_role() -> impl Strategy<Value = Role> {
        (0..Role::ALL.len()).prop_map(|i| Role::ALL[i])
    }

    fn any_state() -> impl Strategy<Value = State> {
        (0..State::ALL.len()).prop_map(|i| State::ALL[i])
    }

    fn any_clearance() -> impl Strategy<Value = Clearance> {
        (0..Clearance::ALL.len()).prop_map(|i| Clearance::ALL[i])
    }

    proptest! {
        /// For random viewers and requests, a request is in a viewer's lists exactly when the
        /// viewer may open it.
        #[test]
        fn the_list_scope_and_the_single_request_policy_agree(
            role in any_role(),
            clearance in any_clearance(),
            viewer_mission in proptest::option::of(0..3u8),
            request_mission in 0..3u8,
            state in any_state(),
            reached_police in any::<bool>(),
            referred_to_pst in any::<bool>(),
        ) {
            let viewer = Actor {
                user_id: "v".into(),
                role,
                mission_id: viewer_mission.map(|m| format!("m{m}")),
                clearance,
            };
            let mission = format!("m{request_mission}");
            let r = RequestScope { mission_id: &mission, state, reached_police, referred_to_pst };
            prop_assert_eq!(list_scope(&viewer).contains(&r), may_see_request(&viewer, &r));
        }
    }

    #[test]
    fn a_mission_reply_date_does_not_move_with_the_police_decision() {
        use crate::domain::deadlines::{History, Rules, Stage, deadlines};
        let d = |day| chrono::NaiveDate::from_ymd_opt(2027, 3, day).unwrap();
        let h = History {
            needed_by: d(22),
            urgent: false,
            submitted_on: d(1),
            triaged_on: Some(d(1)),
            forwarded_on: Some(d(1)),
            referred_on: None,
            pst_due_on: None,
            assessed_on: None,
            decided_on: Some(d(3)),
            replied_on: None,
            waits: Vec::new(),
        };
        let reply = |viewer: &Actor| {
            deadlines(&reply_date_history(viewer, &h), &Rules::default(), d(3))
                .into_iter()
                .find(|x| x.stage == Stage::Reply)
                .unwrap()
                .due_on
        };
        let mission = actor(Role::MissionStaff, Some("m1"), Clearance::None);
        let mfa = actor(Role::MfaOfficer, None, Clearance::Restricted);
        assert_eq!(reply(&mfa), d(4), "the Ministry counts from the decision");
        assert_eq!(
            reply(&mission),
            d(19),
            "the mission's date stays where it was"
        );
    }
}
