//! When protection is needed and when the mission may expect the Ministry's reply, counted back
//! in Norwegian working days (`working_days`).

use chrono::NaiveDate;

use super::workflow::State;
use super::working_days::{add_working_days, subtract_working_days};

/// The Ministry replies no later than this many working days before protection is needed.
pub const REPLY_BEFORE_NEEDED_WORKING_DAYS: u32 = 1;

/// When protection is needed: the earliest day any measure starts; `None` while no measure has
/// a start date.
pub fn needed_by(starts: impl IntoIterator<Item = Option<NaiveDate>>) -> Option<NaiveDate> {
    starts.into_iter().flatten().min()
}

/// The day by which a mission may expect the Ministry's reply to a request submitted on
/// `submitted_on` for protection needed on `needed_by`: one working day before it is needed,
/// and never before the day it was submitted (a late request is answered at once, on a working
/// day).
pub fn reply_expected_by(needed_by: NaiveDate, submitted_on: NaiveDate) -> NaiveDate {
    subtract_working_days(needed_by, REPLY_BEFORE_NEEDED_WORKING_DAYS)
        .max(add_working_days(submitted_on, 0))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
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
        // Needed Tuesday 18 May 2027: Monday 17 May is Constitution Day, so Friday 14 May.
        assert_eq!(
            reply_expected_by(d(2027, 5, 18), d(2027, 5, 3)),
            d(2027, 5, 14)
        );
        // Submitted too late for that (on Constitution Day, a holiday): the reply is expected
        // at once, on the next working day.
        assert_eq!(
            reply_expected_by(d(2027, 5, 18), d(2027, 5, 17)),
            d(2027, 5, 18)
        );
    }
}
