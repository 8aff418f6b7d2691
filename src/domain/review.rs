//! The periodic review of measures in effect (product.md § 13): the circular note's
//! "regular consideration" of a mission's security. Measures without an end date, or running for
//! longer than one review interval, are reviewed by the police every interval; a changed threat
//! level for the mission makes the review due at once.

use chrono::{Duration, NaiveDate};

use super::FieldError;

/// The longest interval the settings allow between two reviews, in days.
pub const MAX_INTERVAL_DAYS: u32 = 366;

/// Whether measures running over these (start, end) dates need a periodic review: one without an
/// end date, or one lasting longer than `interval_days`.
pub fn needs_review(
    periods: impl IntoIterator<Item = (Option<NaiveDate>, Option<NaiveDate>)>,
    interval_days: u32,
) -> bool {
    periods
        .into_iter()
        .any(|(starts, ends)| match (starts, ends) {
            (_, None) => true,
            (Some(s), Some(e)) => (e - s).num_days() > i64::from(interval_days),
            (None, Some(_)) => false,
        })
}

/// The first review of measures confirmed in place on `confirmed_on`: one interval later.
pub fn first_review(confirmed_on: NaiveDate, interval_days: u32) -> NaiveDate {
    confirmed_on + Duration::days(i64::from(interval_days))
}

/// The next review the police set when they keep the measures: the day they chose (empty: one
/// interval from today), after today and no further than one interval ahead.
pub fn next_review(
    given: Option<&str>,
    today: NaiveDate,
    interval_days: u32,
) -> Result<NaiveDate, FieldError> {
    let latest = first_review(today, interval_days);
    let Some(text) = given.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(latest);
    };
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| FieldError::new("next_review_on", "must be a date (YYYY-MM-DD)"))?;
    if day <= today {
        return Err(FieldError::new("next_review_on", "must be after today"));
    }
    if day > latest {
        return Err(FieldError::new(
            "next_review_on",
            format!("must be at most {interval_days} days from today"),
        ));
    }
    Ok(day)
}

crate::codes! {
    /// Where a request stands with its review, as the police see it.
    pub enum ReviewStatus {
        Scheduled = "scheduled", "Review scheduled";
        Due = "due", "Review due";
        Overdue = "overdue", "Review overdue";
    }
    else |s| format!("unknown review status {s:?}")
}

/// The status of a review set for `next` on `today`: due on its day, overdue after it.
pub fn status(next: NaiveDate, today: NaiveDate) -> ReviewStatus {
    if next > today {
        ReviewStatus::Scheduled
    } else if next == today {
        ReviewStatus::Due
    } else {
        ReviewStatus::Overdue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn open_ended_or_long_measures_need_a_review_short_ones_do_not() {
        assert!(needs_review([(Some(d("2026-12-01")), None)], 90));
        assert!(needs_review(
            [(Some(d("2026-12-01")), Some(d("2027-03-02")))],
            90
        ));
        assert!(!needs_review(
            [(Some(d("2026-12-01")), Some(d("2027-03-01")))],
            90
        ));
        assert!(!needs_review([], 90));
        assert!(needs_review(
            [
                (Some(d("2026-12-01")), Some(d("2026-12-02"))),
                (Some(d("2026-12-01")), None)
            ],
            90
        ));
    }

    #[test]
    fn the_next_review_is_after_today_and_within_one_interval() {
        let today = d("2026-12-01");
        assert_eq!(next_review(None, today, 90), Ok(d("2027-03-01")));
        assert_eq!(next_review(Some(" "), today, 90), Ok(d("2027-03-01")));
        assert_eq!(
            next_review(Some("2026-12-02"), today, 90),
            Ok(d("2026-12-02"))
        );
        for (given, rule) in [
            ("2026-12-01", "after today"),
            ("2027-03-02", "at most 90 days"),
            ("1 March", "a date"),
        ] {
            let e = next_review(Some(given), today, 90).unwrap_err();
            assert_eq!(e.field, "next_review_on");
            assert!(e.message.contains(rule), "{given}: {}", e.message);
        }
    }

    #[test]
    fn a_review_is_due_on_its_day_and_overdue_after() {
        let today = d("2026-12-01");
        assert_eq!(status(d("2026-12-02"), today), ReviewStatus::Scheduled);
        assert_eq!(status(today, today), ReviewStatus::Due);
        assert_eq!(status(d("2026-11-30"), today), ReviewStatus::Overdue);
    }
}
