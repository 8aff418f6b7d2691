//! When protection is needed, and the due date of every stage of a request, counted **back**
//! from that day in Norwegian working days (`working_days`), as product.md § 11 sets them: triage,
//! the police's decision, PST's assessment when one is asked for, and the formal reply. A due
//! date never falls before the day its stage began, and working days the request spent waiting
//! for the mission move the later ones.

use chrono::NaiveDate;

use super::workflow::State;
use super::working_days::{add_working_days, subtract_working_days, working_days_between};

/// When protection is needed: the earliest day any measure starts; `None` while no measure has
/// a start date.
pub fn needed_by(starts: impl IntoIterator<Item = Option<NaiveDate>>) -> Option<NaiveDate> {
    starts.into_iter().flatten().min()
}

/// Whether a request in `state` still waits for the Ministry's reply (submitted, and neither
/// answered, rejected nor withdrawn).
pub fn reply_pending(state: State) -> bool {
    matches!(
        state,
        State::Submitted
            | State::InTriage
            | State::AwaitingMission
            | State::PoliceReview
            | State::PstReview
            | State::Decided
    )
}

crate::codes! {
    /// The stages of a request that have a due date.
    pub enum Stage {
        Triage = "triage", "Triage";
        PoliceDecision = "police_decision", "Police decision";
        PstAssessment = "pst_assessment", "PST assessment";
        Reply = "reply", "Formal reply";
    }
    else |s| format!("unknown stage {s:?}")
}

impl Stage {
    /// The history's words for the stage's escalation.
    pub fn overdue_label(self) -> &'static str {
        match self {
            Stage::Triage => "Triage overdue: escalated",
            Stage::PoliceDecision => "Police decision overdue: escalated",
            Stage::PstAssessment => "PST assessment overdue: escalated",
            Stage::Reply => "Formal reply overdue: escalated",
        }
    }
}

/// How many working days each stage gets (the `[deadlines]` settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Fewer working days of notice than this is late notice.
    pub minimum_notice: u32,
    /// Triage is due this many working days after submission (urgent requests: the same day)…
    pub triage_after_submission: u32,
    /// …and no later than this many before the police's decision is due.
    pub triage_before_police_decision: u32,
    /// The police decide this many working days before protection is needed.
    pub police_decision_before_needed: u32,
    /// PST's assessment is due this many working days after the referral…
    pub pst_after_referral: u32,
    /// …and no later than this many before the police's decision is due.
    pub pst_before_police_decision: u32,
    /// The formal reply is due this many working days after the decision…
    pub reply_after_decision: u32,
    /// …and no later than this many before protection is needed.
    pub reply_before_needed: u32,
    /// Measures in effect are reviewed every this many days (calendar days, the `[review]`
    /// settings; not part of the fingerprint, for no due date of a stage depends on it).
    pub review_interval_days: u32,
}

impl Default for Rules {
    /// The defaults of product.md § 11.
    fn default() -> Self {
        Rules {
            minimum_notice: 5,
            triage_after_submission: 1,
            triage_before_police_decision: 3,
            police_decision_before_needed: 2,
            pst_after_referral: 3,
            pst_before_police_decision: 1,
            reply_after_decision: 1,
            reply_before_needed: 1,
            review_interval_days: 90,
        }
    }
}

impl Rules {
    /// Names these rules and the calendar they count with: a due date stored with another
    /// fingerprint was counted differently and is counted again.
    pub fn fingerprint(&self) -> String {
        format!(
            "calendar-{}:{}-{}-{}-{}-{}-{}-{}-{}",
            super::working_days::CALENDAR_VERSION,
            self.minimum_notice,
            self.triage_after_submission,
            self.triage_before_police_decision,
            self.police_decision_before_needed,
            self.pst_after_referral,
            self.pst_before_police_decision,
            self.reply_after_decision,
            self.reply_before_needed
        )
    }
}

/// Whether an overdue `stage` is escalated while the request is in `state`: the police's
/// decision only while the police hold the request (late while the Ministry still has it, it is
/// escalated once it reaches them, to the police and the Ministry alike); every other stage in
/// any state it is due in.
pub fn escalates(stage: Stage, state: State) -> bool {
    stage != Stage::PoliceDecision || state == State::PoliceReview
}

/// The deadline of the stage a request in `state` is in: triage until the Ministry first acts,
/// then the police's decision (also while the Ministry holds a request the police returned),
/// PST's assessment while PST has it, and the formal reply once the police have decided. None
/// while the request waits for its mission, and once it is answered, closed or a draft.
pub fn current(state: State, deadlines: &[Deadline]) -> Option<Deadline> {
    let of = |stage: Stage| deadlines.iter().find(|d| d.stage == stage).copied();
    match state {
        State::Submitted | State::InTriage => of(Stage::Triage)
            .filter(|d| d.met_on.is_none())
            .or_else(|| of(Stage::PoliceDecision)),
        State::PoliceReview => of(Stage::PoliceDecision),
        State::PstReview => of(Stage::PstAssessment),
        State::Decided => of(Stage::Reply),
        _ => None,
    }
}

/// What a request's deadlines are computed from: when protection is needed and the days (in
/// Oslo) its stages began and ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub needed_by: NaiveDate,
    pub urgent: bool,
    pub submitted_on: NaiveDate,
    /// The MFA forwarded, asked the mission or rejected (the end of triage).
    pub triaged_on: Option<NaiveDate>,
    /// The MFA first forwarded it to the police (the police's stage began).
    pub forwarded_on: Option<NaiveDate>,
    /// Referred to PST (the latest referral), and when PST submitted its assessment.
    pub referred_on: Option<NaiveDate>,
    /// The due date the police set for PST's assessment when referring, if they did.
    pub pst_due_on: Option<NaiveDate>,
    pub assessed_on: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    pub replied_on: Option<NaiveDate>,
    /// The periods spent waiting for the mission: the day each began and the day it ended
    /// (`None` while it goes on, counted up to today).
    pub waits: Vec<(NaiveDate, Option<NaiveDate>)>,
}

/// One stage's due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub stage: Stage,
    pub due_on: NaiveDate,
    /// The day the stage ended, if it has.
    pub met_on: Option<NaiveDate>,
    /// Not met, and its day has passed.
    pub overdue: bool,
}

/// Whether a request submitted on `submitted_on` gives too little notice for `needed_by`.
pub fn late_notice(submitted_on: NaiveDate, needed_by: NaiveDate, rules: &Rules) -> bool {
    working_days_between(submitted_on, needed_by) < rules.minimum_notice
}

/// `due`, but never before the working day on or after `began`.
fn not_before(due: NaiveDate, began: NaiveDate) -> NaiveDate {
    due.max(add_working_days(began, 0))
}

/// The deadlines of a request with this history, as they stand `today`: triage, the police's
/// decision, PST's assessment (only once referred) and the formal reply.
pub fn deadlines(h: &History, rules: &Rules, today: NaiveDate) -> Vec<Deadline> {
    // Working days spent waiting for the mission move every stage after triage.
    let waited: u32 = h
        .waits
        .iter()
        .map(|(from, to)| working_days_between(*from, to.unwrap_or(today)))
        .sum();
    let shift = |d: NaiveDate| {
        if waited == 0 {
            d
        } else {
            add_working_days(d, waited)
        }
    };
    let police_unshifted = not_before(
        subtract_working_days(h.needed_by, rules.police_decision_before_needed),
        h.forwarded_on.or(h.triaged_on).unwrap_or(h.submitted_on),
    );
    let police = shift(police_unshifted);
    let triage_after = if h.urgent {
        0
    } else {
        rules.triage_after_submission
    };
    let triage = not_before(
        add_working_days(h.submitted_on, triage_after).min(subtract_working_days(
            police_unshifted,
            rules.triage_before_police_decision,
        )),
        h.submitted_on,
    );
    let reply_began = h.decided_on.unwrap_or(h.submitted_on);
    let reply_latest = subtract_working_days(h.needed_by, rules.reply_before_needed);
    let reply_unshifted = match h.decided_on {
        Some(decided) => add_working_days(decided, rules.reply_after_decision).min(reply_latest),
        None => reply_latest,
    };
    let reply = shift(not_before(reply_unshifted, reply_began));
    let mut out = vec![
        (Stage::Triage, triage, h.triaged_on),
        (Stage::PoliceDecision, police, h.decided_on),
    ];
    if let Some(referred) = h.referred_on {
        let by_rule = add_working_days(referred, rules.pst_after_referral).min(
            subtract_working_days(police, rules.pst_before_police_decision),
        );
        let pst = not_before(h.pst_due_on.unwrap_or(by_rule), referred);
        out.push((Stage::PstAssessment, pst, h.assessed_on));
    }
    out.push((Stage::Reply, reply, h.replied_on));
    out.into_iter()
        .map(|(stage, due_on, met_on)| Deadline {
            stage,
            due_on,
            met_on,
            overdue: met_on.is_none() && today > due_on,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn history(submitted: NaiveDate, needed: NaiveDate) -> History {
        History {
            needed_by: needed,
            urgent: false,
            submitted_on: submitted,
            triaged_on: None,
            forwarded_on: None,
            referred_on: None,
            pst_due_on: None,
            assessed_on: None,
            decided_on: None,
            replied_on: None,
            waits: Vec::new(),
        }
    }

    fn due(list: &[Deadline], stage: Stage) -> NaiveDate {
        list.iter().find(|d| d.stage == stage).unwrap().due_on
    }

    #[test]
    fn every_stage_is_due_counted_back_from_when_protection_is_needed() {
        // Submitted Monday 1 March 2027 for Monday 15 March: police two working days before
        // (Thursday 11), triage the next working day (Tuesday 2), reply a working day before
        // protection is needed (Friday 12).
        let h = history(d(2027, 3, 1), d(2027, 3, 15));
        let list = deadlines(&h, &Rules::default(), d(2027, 3, 1));
        assert_eq!(due(&list, Stage::Triage), d(2027, 3, 2));
        assert_eq!(due(&list, Stage::PoliceDecision), d(2027, 3, 11));
        assert_eq!(due(&list, Stage::Reply), d(2027, 3, 12));
        assert!(list.iter().all(|d| d.stage != Stage::PstAssessment));
        assert!(list.iter().all(|d| !d.overdue));
        // Urgent: triage the same day.
        let urgent = History {
            urgent: true,
            ..h.clone()
        };
        let list = deadlines(&urgent, &Rules::default(), d(2027, 3, 1));
        assert_eq!(due(&list, Stage::Triage), d(2027, 3, 1));
    }

    #[test]
    fn triage_comes_three_working_days_before_the_police_at_the_latest() {
        // Needed Monday 8 March: police due Thursday 4, triage no later than Monday 1 — the day
        // it was submitted, not earlier.
        let h = history(d(2027, 3, 1), d(2027, 3, 8));
        let list = deadlines(&h, &Rules::default(), d(2027, 3, 1));
        assert_eq!(due(&list, Stage::PoliceDecision), d(2027, 3, 4));
        assert_eq!(due(&list, Stage::Triage), d(2027, 3, 1));
    }

    #[test]
    fn a_late_request_is_due_at_once_never_in_the_past() {
        // Submitted Thursday 11 March for Friday 12 March.
        let h = history(d(2027, 3, 11), d(2027, 3, 12));
        let list = deadlines(&h, &Rules::default(), d(2027, 3, 11));
        for deadline in &list {
            assert!(deadline.due_on >= d(2027, 3, 11), "{deadline:?}");
        }
        assert!(late_notice(
            d(2027, 3, 11),
            d(2027, 3, 12),
            &Rules::default()
        ));
    }

    #[test]
    fn late_notice_is_fewer_than_five_working_days() {
        let rules = Rules::default();
        // From Monday 1 March: Monday 8 March is five working days ahead.
        assert!(!late_notice(d(2027, 3, 1), d(2027, 3, 8), &rules));
        assert!(late_notice(d(2027, 3, 1), d(2027, 3, 5), &rules));
        assert!(!late_notice(d(2027, 3, 1), d(2027, 3, 9), &rules));
    }

    #[test]
    fn pst_is_due_three_working_days_after_referral_and_before_the_police() {
        let mut h = history(d(2027, 3, 1), d(2027, 3, 22));
        h.triaged_on = Some(d(2027, 3, 2));
        h.referred_on = Some(d(2027, 3, 3));
        let list = deadlines(&h, &Rules::default(), d(2027, 3, 3));
        assert_eq!(due(&list, Stage::PstAssessment), d(2027, 3, 8));
        // Referred close to the police's own due date: a working day before it.
        h.referred_on = Some(d(2027, 3, 16));
        let list = deadlines(&h, &Rules::default(), d(2027, 3, 16));
        assert_eq!(due(&list, Stage::PoliceDecision), d(2027, 3, 18));
        assert_eq!(due(&list, Stage::PstAssessment), d(2027, 3, 17));
        // The police may set PST's due date when referring: it is kept, never in the past.
        h.pst_due_on = Some(d(2027, 3, 19));
        let list = deadlines(&h, &Rules::default(), d(2027, 3, 16));
        assert_eq!(due(&list, Stage::PstAssessment), d(2027, 3, 19));
        h.pst_due_on = Some(d(2027, 3, 1));
        let list = deadlines(&h, &Rules::default(), d(2027, 3, 16));
        assert_eq!(due(&list, Stage::PstAssessment), d(2027, 3, 16));
    }

    #[test]
    fn the_reply_follows_the_decision_and_waiting_for_the_mission_moves_what_comes_after() {
        let mut h = history(d(2027, 3, 1), d(2027, 3, 22));
        h.triaged_on = Some(d(2027, 3, 1));
        h.decided_on = Some(d(2027, 3, 10));
        let list = deadlines(&h, &Rules::default(), d(2027, 3, 10));
        assert_eq!(due(&list, Stage::Reply), d(2027, 3, 11));
        // Three working days waiting for the mission (Tuesday 2 to Friday 5): the police and
        // the reply move by three working days; triage does not.
        let mut waited = history(d(2027, 3, 1), d(2027, 3, 22));
        waited.triaged_on = Some(d(2027, 3, 2));
        waited.waits = vec![(d(2027, 3, 2), Some(d(2027, 3, 5)))];
        let list = deadlines(&waited, &Rules::default(), d(2027, 3, 5));
        assert_eq!(due(&list, Stage::Triage), d(2027, 3, 2));
        assert_eq!(due(&list, Stage::PoliceDecision), d(2027, 3, 23));
        assert_eq!(due(&list, Stage::Reply), d(2027, 3, 24));
    }

    #[test]
    fn a_stage_is_overdue_once_its_day_has_passed_unless_it_was_met() {
        let mut h = history(d(2027, 3, 1), d(2027, 3, 15));
        let list = deadlines(&h, &Rules::default(), d(2027, 3, 3));
        let triage = list.iter().find(|d| d.stage == Stage::Triage).unwrap();
        assert!(triage.overdue);
        h.triaged_on = Some(d(2027, 3, 3));
        let list = deadlines(&h, &Rules::default(), d(2027, 3, 3));
        let triage = list.iter().find(|d| d.stage == Stage::Triage).unwrap();
        assert!(!triage.overdue && triage.met_on == Some(d(2027, 3, 3)));
    }

    #[test]
    fn the_current_stage_follows_the_state() {
        let mut h = history(d(2027, 3, 1), d(2027, 3, 15));
        let today = d(2027, 3, 1);
        let now = |state, h: &History| current(state, &deadlines(h, &Rules::default(), today));
        assert_eq!(now(State::Submitted, &h).unwrap().stage, Stage::Triage);
        assert_eq!(now(State::AwaitingMission, &h), None);
        h.triaged_on = Some(today);
        // Returned by the police: the Ministry works towards the police's due date.
        assert_eq!(
            now(State::InTriage, &h).unwrap().stage,
            Stage::PoliceDecision
        );
        assert_eq!(
            now(State::PoliceReview, &h).unwrap().stage,
            Stage::PoliceDecision
        );
        h.referred_on = Some(today);
        assert_eq!(
            now(State::PstReview, &h).unwrap().stage,
            Stage::PstAssessment
        );
        h.decided_on = Some(today);
        let reply = now(State::Decided, &h).unwrap();
        assert_eq!((reply.stage, reply.due_on), (Stage::Reply, d(2027, 3, 2)));
        for closed in [
            State::Draft,
            State::Approved,
            State::Declined,
            State::Rejected,
            State::Withdrawn,
            State::InEffect,
            State::Ended,
        ] {
            assert_eq!(now(closed, &h), None, "{closed:?}");
        }
        // The police's decision is escalated only while the police hold the request.
        assert!(escalates(Stage::PoliceDecision, State::PoliceReview));
        assert!(!escalates(Stage::PoliceDecision, State::InTriage));
        assert!(escalates(Stage::Triage, State::Submitted));
        assert!(escalates(Stage::Reply, State::Decided));
        assert_ne!(
            Rules::default().fingerprint(),
            Rules {
                minimum_notice: 4,
                ..Rules::default()
            }
            .fingerprint()
        );
    }

    #[test]
    fn needed_by_is_the_earliest_start() {
        assert_eq!(
            needed_by([Some(d(2027, 5, 20)), None, Some(d(2027, 5, 18))]),
            Some(d(2027, 5, 18))
        );
        assert_eq!(needed_by([None, None]), None);
    }

    #[test]
    fn the_reply_is_due_a_working_day_before_protection_is_needed() {
        let reply = |submitted| {
            let list = deadlines(
                &history(submitted, d(2027, 5, 18)),
                &Rules::default(),
                submitted,
            );
            due(&list, Stage::Reply)
        };
        // Needed Tuesday 18 May 2027: Monday 17 May is Constitution Day, so Friday 14 May.
        assert_eq!(reply(d(2027, 5, 3)), d(2027, 5, 14));
        // Submitted too late for that (on Constitution Day, a holiday): the reply is due at
        // once, on the next working day.
        assert_eq!(reply(d(2027, 5, 17)), d(2027, 5, 18));
    }
}
