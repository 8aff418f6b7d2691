//! Statistics (product.md § 14): the rules behind the figures the Ministry and the police are
//! asked for. Which months a period holds; what a request's outcome is; how long each stage of a
//! request took in working days and whether it met its due date (recorded with every step, so
//! that the figures are sums the database makes, never rows loaded); and the median and 90th
//! percentile of a distribution of whole days.

use chrono::{Datelike, Duration, Months, NaiveDate};

use super::FieldError;
use super::deadlines::{Deadline, History, Stage};
use super::workflow::State;
use super::working_days::working_days_between;

/// Which requests a reader's figures count (`disclosure::statistics_scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Every submitted request (the Ministry).
    Submitted,
    /// The requests that reached the police (the police).
    ReachedPolice,
}

/// The most months one period holds: a chart of more monthly bars is not read any more, and a
/// longer comparison is a question for more than one page.
pub const MAX_MONTHS: u32 = 24;

/// The first month a period may begin (before the portal, nothing was recorded).
pub const EARLIEST: (i32, u32) = (2000, 1);

/// Whole calendar months, from the first day of `first` for `months` months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub first: NaiveDate,
    pub months: u32,
}

fn month_start(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).expect("a month's first day")
}

/// The first day of the month `n` months after the one `day` begins.
fn months_after(day: NaiveDate, n: u32) -> NaiveDate {
    month_start(day.year(), day.month())
        .checked_add_months(Months::new(n))
        .expect("a month within the calendar")
}

impl Period {
    /// The twelve months up to and including the one `today` is in.
    pub fn last_twelve_months(today: NaiveDate) -> Period {
        Period {
            first: month_start(today.year(), today.month())
                .checked_sub_months(Months::new(11))
                .expect("a month within the calendar"),
            months: 12,
        }
    }

    /// The first day of each month, in order.
    pub fn month_starts(&self) -> Vec<NaiveDate> {
        (0..self.months)
            .map(|n| months_after(self.first, n))
            .collect()
    }

    /// The first day after the period.
    pub fn end(&self) -> NaiveDate {
        months_after(self.first, self.months)
    }

    /// The last day of the period.
    pub fn last_day(&self) -> NaiveDate {
        self.end() - Duration::days(1)
    }

    /// The month (0-based) `day` falls in, if within the period.
    pub fn month_of(&self, day: NaiveDate) -> Option<usize> {
        if day < self.first || day >= self.end() {
            return None;
        }
        let n = (day.year() - self.first.year()) * 12 + day.month0() as i32
            - self.first.month0() as i32;
        Some(n as usize)
    }

    /// `from` and `to` as the API and the page's form write them (`YYYY-MM`).
    pub fn from_text(&self) -> String {
        self.first.format("%Y-%m").to_string()
    }

    pub fn to_text(&self) -> String {
        self.last_day().format("%Y-%m").to_string()
    }
}

/// Reads a month written `YYYY-MM` (or a date `YYYY-MM-DD`, taken as its month).
fn parse_month(field: &'static str, text: &str) -> Result<NaiveDate, FieldError> {
    let t = text.trim();
    let month = NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y-%m-%d"))
        .map_err(|_| FieldError::new(field, "must be a month written YYYY-MM, such as 2026-01"))?;
    let month = month_start(month.year(), month.month());
    if month < month_start(EARLIEST.0, EARLIEST.1) {
        return Err(FieldError::new(
            field,
            format!("must not be before {}-{:02}", EARLIEST.0, EARLIEST.1),
        ));
    }
    Ok(month)
}

/// The period `from` to `to` (months, both included), as asked on `today`: by default the last
/// twelve months; `to` alone ends twelve months there; `from` alone runs to this month (at most
/// `MAX_MONTHS`). Neither may lie after this month, and `to` not before `from`.
pub fn period(
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<Period, Vec<FieldError>> {
    let read = |field: &'static str, text: Option<&str>| {
        let this_month = month_start(today.year(), today.month());
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => match parse_month(field, t) {
                Ok(m) if m > this_month => Err(FieldError::new(
                    field,
                    "must not be after this month: nothing has happened there yet",
                )),
                Ok(m) => Ok(Some(m)),
                Err(e) => Err(e),
            },
        }
    };
    let (from, to) = match (read("from", from), read("to", to)) {
        (Ok(f), Ok(t)) => (f, t),
        (f, t) => return Err(f.err().into_iter().chain(t.err()).collect()),
    };
    let default = Period::last_twelve_months(today);
    let (first, last) = match (from, to) {
        (None, None) => return Ok(default),
        (Some(f), None) => {
            let last = default
                .last_day()
                .min(months_after(f, MAX_MONTHS) - Duration::days(1));
            (f, month_start(last.year(), last.month()))
        }
        (None, Some(t)) => (Period::last_twelve_months(t).first, t),
        (Some(f), Some(t)) => (f, t),
    };
    if last < first {
        return Err(vec![FieldError::new(
            "to",
            "must not be before the first month (from)",
        )]);
    }
    let months = ((last.year() - first.year()) * 12 + last.month0() as i32 - first.month0() as i32
        + 1) as u32;
    if months > MAX_MONTHS {
        return Err(vec![FieldError::new(
            "to",
            format!("must be at most {MAX_MONTHS} months after the first month, counting both"),
        )]);
    }
    Ok(Period { first, months })
}

crate::codes! {
    /// How a request submitted in a period ended, or that it is still being handled.
    pub enum Outcome {
        Approved = "approved", "Approved";
        PartlyApproved = "partly_approved", "Partly approved";
        Declined = "declined", "Declined";
        Rejected = "rejected", "Rejected by the Ministry";
        Withdrawn = "withdrawn", "Withdrawn";
        Pending = "pending", "Still being handled";
    }
    else |s| format!("unknown outcome {s:?}")
}

/// The outcome of a submitted request in `state` (`None` for a draft). A decision is an outcome
/// once it is communicated: until then the request is still being handled.
pub fn outcome(state: State, partly_approved: bool) -> Option<Outcome> {
    Some(match state {
        State::Draft => return None,
        State::Approved | State::InEffect | State::Ended if partly_approved => {
            Outcome::PartlyApproved
        }
        State::Approved | State::InEffect | State::Ended => Outcome::Approved,
        State::Declined => Outcome::Declined,
        State::Rejected => Outcome::Rejected,
        State::Withdrawn => Outcome::Withdrawn,
        State::Submitted
        | State::InTriage
        | State::AwaitingMission
        | State::PoliceReview
        | State::PstReview
        | State::Decided => Outcome::Pending,
    })
}

crate::codes! {
    /// What became of a measure asked for in a period.
    pub enum MeasureOutcome {
        Approved = "approved", "Approved";
        Declined = "declined", "Declined";
        Undecided = "undecided", "Not decided";
    }
    else |s| format!("unknown measure outcome {s:?}")
}

impl MeasureOutcome {
    /// The outcome of a measure whose stored decision is `code` (none: not decided); approved
    /// with conditions is approved.
    pub fn of(code: Option<&str>) -> MeasureOutcome {
        match code.and_then(super::request::Outcome::parse) {
            Some(o) if o.is_approval() => MeasureOutcome::Approved,
            Some(_) => MeasureOutcome::Declined,
            None => MeasureOutcome::Undecided,
        }
    }
}

/// One stage of one request as the statistics count it: when it began, when it was due, and,
/// once it ended, when and after how many working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageRecord {
    pub stage: Stage,
    pub began_on: NaiveDate,
    pub due_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    /// Working days from the day it began to the day it ended, the working days spent waiting
    /// for the mission in between not counted.
    pub working_days: Option<u32>,
}

impl StageRecord {
    /// It ended on or before its due date.
    pub fn met(&self) -> Option<bool> {
        self.ended_on.map(|e| e <= self.due_on)
    }
}

/// The stages of a request in `state` with this history and these deadlines that count: each
/// one that began; one left unfinished only while the request is open and not waiting for its
/// mission (a stage of a withdrawn or rejected request that never ended did not miss its date:
/// it was no longer asked for; and while the mission is asked, every later due date moves with
/// the wait, so none is yet missed — the step that ends the wait records the stage again).
pub fn stage_records(h: &History, deadlines: &[Deadline], state: State) -> Vec<StageRecord> {
    deadlines
        .iter()
        .filter_map(|d| {
            let began_on = match d.stage {
                Stage::Triage => Some(h.submitted_on),
                Stage::PoliceDecision => h.forwarded_on,
                Stage::PstAssessment => h.referred_on,
                Stage::Reply => h.decided_on,
            }?;
            let ended_on = d.met_on.filter(|e| *e >= began_on);
            if ended_on.is_none() && (state.is_final() || state == State::AwaitingMission) {
                return None;
            }
            let working_days = ended_on.map(|end| {
                let waited: u32 = h
                    .waits
                    .iter()
                    .map(|(from, to)| {
                        let (lo, hi) = ((*from).max(began_on), to.unwrap_or(end).min(end));
                        if hi > lo {
                            working_days_between(lo, hi)
                        } else {
                            0
                        }
                    })
                    .sum();
                working_days_between(began_on, end).saturating_sub(waited)
            });
            Some(StageRecord {
                stage: d.stage,
                began_on,
                due_on: d.due_on,
                ended_on,
                working_days,
            })
        })
        .collect()
}

/// The median and 90th percentile of a distribution of whole days given as (days, how many),
/// each the smallest value at or below which that share of the counts lies (nearest rank);
/// `None` when there is nothing.
pub fn median_and_p90(distribution: &[(u32, u64)]) -> Option<(u32, u32)> {
    let mut sorted: Vec<(u32, u64)> = distribution.iter().copied().filter(|d| d.1 > 0).collect();
    sorted.sort_unstable();
    let total: u64 = sorted.iter().map(|d| d.1).sum();
    if total == 0 {
        return None;
    }
    let at = |share_percent: u64| {
        // The nearest rank: ceil(share × total), at least 1.
        let rank = (share_percent * total).div_ceil(100).max(1);
        let mut seen = 0;
        for (days, n) in &sorted {
            seen += n;
            if seen >= rank {
                return *days;
            }
        }
        sorted.last().map(|d| d.0).unwrap_or(0)
    };
    Some((at(50), at(90)))
}

/// The share (percent, one decimal) `part` is of `whole`; `None` of nothing.
pub fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// One sum the statistics are read from, and what a request adds to it: the database keeps, for
/// each, how many requests (measures, ended stages) fall under it, so that a period's figures
/// are read from a few thousand sums rather than counted over every request. Each step moves a
/// request's share from the sums it fell under to the ones it falls under now (`changes`); a
/// recount makes them again from the requests themselves.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tally {
    /// A submitted request, by the (Oslo) month it was submitted, its state and partial
    /// approval, and whether it reached the police.
    Request {
        month: NaiveDate,
        state: State,
        partly_approved: bool,
        reached_police: bool,
    },
    /// The same, by its mission too (for the figures by country).
    Mission {
        month: NaiveDate,
        mission_id: String,
        state: State,
        partly_approved: bool,
        reached_police: bool,
    },
    /// A measure of a submitted request, by the request's month, its kind and decision (the
    /// stored code, `None` while undecided).
    Measure {
        month: NaiveDate,
        kind: &'static str,
        outcome: Option<&'static str>,
        reached_police: bool,
    },
    /// A stage not ended, by its due date (past due once that day has passed).
    Open {
        due_on: NaiveDate,
        stage: Stage,
        reached_police: bool,
    },
    /// An ended stage, by the month it ended, its working days and whether it met its due date.
    Stage {
        month: NaiveDate,
        stage: Stage,
        working_days: u32,
        met: bool,
        reached_police: bool,
    },
}

/// The first day of the month `day` is in.
pub fn first_of_month(day: NaiveDate) -> NaiveDate {
    month_start(day.year(), day.month())
}

/// What a request adds to the sums of requests and measures: nothing while it is a draft;
/// once submitted, itself and each of its measures (by kind and decision), under the Oslo
/// month it was submitted.
pub fn request_tallies(
    facts: &TallyFacts<'_>,
    measures: impl IntoIterator<Item = (Option<&'static str>, Option<&'static str>)>,
) -> Vec<Tally> {
    let Some(submitted_on) = facts.submitted_on.filter(|_| facts.state != State::Draft) else {
        return Vec::new();
    };
    let month = first_of_month(submitted_on);
    let mut tallies = vec![
        Tally::Request {
            month,
            state: facts.state,
            partly_approved: facts.partly_approved,
            reached_police: facts.reached_police,
        },
        Tally::Mission {
            month,
            mission_id: facts.mission_id.to_owned(),
            state: facts.state,
            partly_approved: facts.partly_approved,
            reached_police: facts.reached_police,
        },
    ];
    tallies.extend(measures.into_iter().filter_map(|(kind, outcome)| {
        Some(Tally::Measure {
            month,
            kind: kind?,
            outcome,
            reached_police: facts.reached_police,
        })
    }));
    tallies
}

/// What the statistics know of a request itself.
#[derive(Debug, Clone, Copy)]
pub struct TallyFacts<'a> {
    pub mission_id: &'a str,
    pub state: State,
    /// The Oslo day it was submitted.
    pub submitted_on: Option<NaiveDate>,
    pub partly_approved: bool,
    pub reached_police: bool,
}

/// What a recorded stage adds to the sums: while it is not ended, to the stages due on its due
/// date; once ended, to the stages ended that month.
pub fn stage_tally(
    stage: Stage,
    due_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    working_days: Option<u32>,
    reached_police: bool,
) -> Option<Tally> {
    let Some(ended_on) = ended_on else {
        return Some(Tally::Open {
            due_on,
            stage,
            reached_police,
        });
    };
    Some(Tally::Stage {
        month: first_of_month(ended_on),
        stage,
        working_days: working_days?,
        met: ended_on <= due_on,
        reached_police,
    })
}

/// How the sums move when a request's share changes from `before` to `after`: each sum with
/// its change (never zero), in one order, so that two steps at once take the sums' locks in
/// the same order.
pub fn changes(before: Vec<Tally>, after: Vec<Tally>) -> Vec<(Tally, i64)> {
    let mut moved: std::collections::BTreeMap<Tally, i64> = std::collections::BTreeMap::new();
    for t in before {
        *moved.entry(t).or_default() -= 1;
    }
    for t in after {
        *moved.entry(t).or_default() += 1;
    }
    moved.into_iter().filter(|(_, n)| *n != 0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_default_period_is_the_last_twelve_months_with_this_one() {
        let p = period(None, None, d(2026, 12, 2)).unwrap();
        assert_eq!(p.first, d(2026, 1, 1));
        assert_eq!(p.months, 12);
        assert_eq!(p.last_day(), d(2026, 12, 31));
        let p = period(None, None, d(2027, 3, 15)).unwrap();
        assert_eq!((p.first, p.end()), (d(2026, 4, 1), d(2027, 4, 1)));
        assert_eq!(p.month_starts()[9], d(2027, 1, 1));
        assert_eq!(p.month_of(d(2027, 1, 31)), Some(9));
        assert_eq!(p.month_of(d(2027, 4, 1)), None);
    }

    #[test]
    fn a_period_is_read_from_months_or_dates_and_checked() {
        let today = d(2026, 12, 2);
        let p = period(Some("2025-11"), Some("2026-02-14"), today).unwrap();
        assert_eq!((p.first, p.months), (d(2025, 11, 1), 4));
        assert_eq!(
            (p.from_text(), p.to_text()),
            ("2025-11".into(), "2026-02".into())
        );
        // From alone runs to this month, at most 24 months.
        let p = period(Some("2026-06"), None, today).unwrap();
        assert_eq!((p.first, p.months), (d(2026, 6, 1), 7));
        let p = period(Some("2020-01"), None, today).unwrap();
        assert_eq!(p.months, MAX_MONTHS);
        // To alone ends twelve months there.
        let p = period(None, Some("2026-03"), today).unwrap();
        assert_eq!((p.first, p.months), (d(2025, 4, 1), 12));
        let field = |r: Result<Period, Vec<FieldError>>| {
            r.unwrap_err()
                .into_iter()
                .map(|e| e.field.into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            field(period(Some("march"), Some("2026-13"), today)),
            ["from", "to"]
        );
        assert_eq!(field(period(Some("2027-01"), None, today)), ["from"]);
        assert_eq!(
            field(period(Some("2026-05"), Some("2026-04"), today)),
            ["to"]
        );
        assert_eq!(
            field(period(Some("2024-01"), Some("2026-01"), today)),
            ["to"]
        );
        assert_eq!(
            field(period(Some("1999-12"), Some("2000-01"), today)),
            ["from"]
        );
        assert!(period(Some("2024-02"), Some("2026-01"), today).is_ok());
    }

    #[test]
    fn outcomes_follow_the_state_and_a_partial_approval() {
        assert_eq!(outcome(State::Draft, false), None);
        assert_eq!(
            outcome(State::InEffect, true),
            Some(Outcome::PartlyApproved)
        );
        assert_eq!(outcome(State::Ended, false), Some(Outcome::Approved));
        assert_eq!(outcome(State::Decided, false), Some(Outcome::Pending));
        assert_eq!(outcome(State::Rejected, false), Some(Outcome::Rejected));
        for state in State::ALL {
            assert_eq!(outcome(state, false).is_none(), state == State::Draft);
        }
    }

    fn history() -> History {
        History {
            needed_by: d(2027, 3, 22),
            urgent: false,
            submitted_on: d(2027, 3, 1),
            triaged_on: Some(d(2027, 3, 3)),
            forwarded_on: Some(d(2027, 3, 3)),
            referred_on: None,
            pst_due_on: None,
            assessed_on: None,
            decided_on: None,
            replied_on: None,
            waits: Vec::new(),
        }
    }

    fn deadline(stage: Stage, due_on: NaiveDate, met_on: Option<NaiveDate>) -> Deadline {
        Deadline {
            stage,
            due_on,
            met_on,
            overdue: false,
        }
    }

    #[test]
    fn a_stage_counts_from_the_day_it_began_to_the_day_it_ended() {
        let h = history();
        let list = [
            deadline(Stage::Triage, d(2027, 3, 2), Some(d(2027, 3, 3))),
            deadline(Stage::PoliceDecision, d(2027, 3, 18), None),
            deadline(Stage::Reply, d(2027, 3, 19), None),
        ];
        let records = stage_records(&h, &list, State::PoliceReview);
        // Triage: Monday to Wednesday is two working days, a day late. The police's stage began
        // and is open; the reply's has not begun.
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].stage, Stage::Triage);
        assert_eq!(records[0].working_days, Some(2));
        assert_eq!(records[0].met(), Some(false));
        assert_eq!(records[1].stage, Stage::PoliceDecision);
        assert_eq!((records[1].ended_on, records[1].met()), (None, None));
        // Withdrawn: the open stage is no longer asked for; waiting for the mission, it is not
        // yet missed.
        let records = stage_records(&h, &list, State::Withdrawn);
        assert_eq!(records.len(), 1);
        let records = stage_records(&h, &list, State::AwaitingMission);
        assert_eq!(records.len(), 1);
    }

    #[test]
    fn days_waiting_for_the_mission_do_not_count() {
        let mut h = history();
        h.decided_on = Some(d(2027, 3, 12));
        // The police returned the request, the Ministry asked the mission on Friday 5 and heard
        // back on Wednesday 10: three working days (Monday 8 to Wednesday 10) of waiting inside
        // the police's stage.
        h.waits = vec![(d(2027, 3, 5), Some(d(2027, 3, 10)))];
        let list = [
            deadline(Stage::Triage, d(2027, 3, 2), Some(d(2027, 3, 3))),
            deadline(Stage::PoliceDecision, d(2027, 3, 18), Some(d(2027, 3, 12))),
        ];
        let records = stage_records(&h, &list, State::Decided);
        // Wednesday 3 to Friday 12: seven working days, three of them waiting.
        assert_eq!(records[1].working_days, Some(4));
        assert_eq!(records[1].met(), Some(true));
    }

    #[test]
    fn median_and_ninetieth_percentile_by_nearest_rank() {
        assert_eq!(median_and_p90(&[]), None);
        assert_eq!(median_and_p90(&[(3, 0)]), None);
        assert_eq!(median_and_p90(&[(4, 1)]), Some((4, 4)));
        // 1..=10 once each: median 5, 90th percentile 9.
        let each: Vec<(u32, u64)> = (1..=10).map(|n| (n, 1)).collect();
        assert_eq!(median_and_p90(&each), Some((5, 9)));
        // Out of order, with weights: 0 ×5, 2 ×4, 9 ×1 → median 0, p90 2.
        assert_eq!(median_and_p90(&[(9, 1), (0, 5), (2, 4)]), Some((0, 2)));
        assert_eq!(share(1, 3), Some(33.3));
        assert_eq!(share(0, 0), None);
    }

    #[test]
    fn a_step_moves_a_requests_share_between_sums_and_leaves_the_rest() {
        let on = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let facts = |state, reached_police| TallyFacts {
            mission_id: "m",
            state,
            submitted_on: Some(on(31)),
            partly_approved: false,
            reached_police,
        };
        // A draft adds nothing.
        assert!(request_tallies(&facts(State::Draft, false), [(Some("escort"), None)]).is_empty());
        let before = request_tallies(
            &facts(State::InTriage, false),
            [(Some("escort"), None), (Some("escort"), None), (None, None)],
        );
        // The request (by itself and by its mission) and its two measures of a kind (a measure
        // of no kind is not counted).
        assert_eq!(before.len(), 4);
        let after = request_tallies(
            &facts(State::PoliceReview, true),
            [(Some("escort"), None), (Some("escort"), Some("declined"))],
        );
        let moved = changes(before.clone(), after);
        let month = on(1);
        let request = |state, reached_police| Tally::Request {
            month,
            state,
            partly_approved: false,
            reached_police,
        };
        let mission = |state, reached_police| Tally::Mission {
            month,
            mission_id: "m".into(),
            state,
            partly_approved: false,
            reached_police,
        };
        let measure = |outcome, reached_police| Tally::Measure {
            month,
            kind: "escort",
            outcome,
            reached_police,
        };
        assert_eq!(
            moved,
            [
                (request(State::InTriage, false), -1),
                (request(State::PoliceReview, true), 1),
                (mission(State::InTriage, false), -1),
                (mission(State::PoliceReview, true), 1),
                (measure(None, false), -2),
                (measure(None, true), 1),
                (measure(Some("declined"), true), 1),
            ]
        );
        // Nothing changed, nothing moves.
        assert!(changes(before.clone(), before).is_empty());
        // A stage adds to the sums of its due date while open, and of the month it ended once
        // ended.
        assert_eq!(
            stage_tally(Stage::Triage, on(2), None, None, false),
            Some(Tally::Open {
                due_on: on(2),
                stage: Stage::Triage,
                reached_police: false,
            })
        );
        assert_eq!(
            stage_tally(Stage::Triage, on(2), Some(on(3)), Some(1), false),
            Some(Tally::Stage {
                month,
                stage: Stage::Triage,
                working_days: 1,
                met: false,
                reached_police: false,
            })
        );
    }
}
