//! The police calendar (product.md § 13): approved measures by day, for a week or a
//! month. Which days a measure shows on, its status, and its daily hours in Oslo time (a measure
//! whose end time is before its start runs past midnight).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::FieldError;
use super::workflow::State;

/// The most days one call of the API may ask for.
pub const MAX_DAYS: i64 = 92;

/// How far from today, in years, a calendar may be asked for.
pub const HORIZON_YEARS: u32 = 10;

/// Whether `day` lies within `HORIZON_YEARS` of `today`.
pub fn within_horizon(day: NaiveDate, today: NaiveDate) -> bool {
    let months = chrono::Months::new(HORIZON_YEARS * 12);
    let earliest = today.checked_sub_months(months).unwrap_or(NaiveDate::MIN);
    let latest = today.checked_add_months(months).unwrap_or(NaiveDate::MAX);
    (earliest..=latest).contains(&day)
}

/// The days a calendar shows, first and last included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let (from, to) = (self.from, self.to);
        from.iter_days().take_while(move |d| *d <= to)
    }

    pub fn len(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    pub fn is_empty(&self) -> bool {
        self.to < self.from
    }
}

crate::codes! {
    /// How much the page shows at once.
    pub enum Span {
        Week = "week", "Week";
        Month = "month", "Month";
    }
    else |s| format!("must be week or month (got {s:?})")
}

impl Span {
    /// The week (Monday to Sunday) or the month around `day`.
    pub fn around(self, day: NaiveDate) -> Period {
        match self {
            Span::Week => {
                let from = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                Period {
                    from,
                    to: from + Duration::days(6),
                }
            }
            Span::Month => {
                let from = day.with_day(1).expect("the first of a month");
                let next = from
                    .checked_add_months(chrono::Months::new(1))
                    .expect("a next month");
                Period {
                    from,
                    to: next - Duration::days(1),
                }
            }
        }
    }

    /// A day in the period before and the period after the one around `day`.
    pub fn neighbours(self, day: NaiveDate) -> (NaiveDate, NaiveDate) {
        let here = self.around(day);
        match self {
            Span::Week => (here.from - Duration::days(7), here.from + Duration::days(7)),
            Span::Month => (here.from - Duration::days(1), here.to + Duration::days(1)),
        }
    }
}

/// The period an API call asks for: `from` and `to` as `YYYY-MM-DD` (by default the week from
/// today), `to` not before `from`, at most `MAX_DAYS` days in all.
pub fn period(
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<Period, Vec<FieldError>> {
    let parse = |field: &'static str, text: Option<&str>| match text
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => Ok(None),
        Some(t) => match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            Ok(d) if within_horizon(d, today) => Ok(Some(d)),
            Ok(_) => Err(FieldError::new(
                field,
                format!("must be within {HORIZON_YEARS} years of today"),
            )),
            Err(_) => Err(FieldError::new(field, "must be a date written YYYY-MM-DD")),
        },
    };
    let (from, to) = match (parse("from", from), parse("to", to)) {
        (Ok(f), Ok(t)) => (f, t),
        (f, t) => return Err(f.err().into_iter().chain(t.err()).collect()),
    };
    let from = from.unwrap_or(today);
    let to = to.unwrap_or(from + Duration::days(6));
    if to < from {
        return Err(vec![FieldError::new(
            "to",
            "must not be before the first day",
        )]);
    }
    let p = Period { from, to };
    if p.len() > MAX_DAYS {
        return Err(vec![FieldError::new(
            "to",
            format!("must be at most {MAX_DAYS} days after the first day, counting both"),
        )]);
    }
    Ok(p)
}

crate::codes! {
    /// Where an approved measure stands, as the calendar shows it.
    pub enum Status {
        Scheduled = "scheduled", "Scheduled";
        InPlace = "in_place", "In place";
        Ended = "ended", "Ended";
    }
    else |s| format!("unknown calendar status {s:?}")
}

/// The status of an approved measure of a request in `state` on `today`: ended once the request
/// or the measure ended; in place from the day the police confirmed; scheduled before.
pub fn status(
    state: State,
    implemented_on: Option<NaiveDate>,
    ended_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Status {
    if state == State::Ended || ended_on.is_some_and(|e| e < today) {
        Status::Ended
    } else if state == State::InEffect && implemented_on.is_some_and(|i| i <= today) {
        Status::InPlace
    } else {
        Status::Scheduled
    }
}

/// The days of `period` a measure running from `starts_on` to `until` (the last day it runs;
/// `None`: until further notice) shows on.
pub fn days_within(
    starts_on: NaiveDate,
    until: Option<NaiveDate>,
    period: Period,
) -> impl Iterator<Item = NaiveDate> {
    let first = starts_on.max(period.from);
    let last = until.map_or(period.to, |u| u.min(period.to));
    first.iter_days().take_while(move |d| *d <= last)
}

/// A measure's hours on `day`, as local date-times in Oslo: from its daily start to its daily
/// end (the next day when the end is not after the start); the whole day without hours.
pub fn hours_on(
    day: NaiveDate,
    from_time: Option<&str>,
    until_time: Option<&str>,
) -> (NaiveDateTime, NaiveDateTime) {
    let parse = |t: Option<&str>| t.and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok());
    match (parse(from_time), parse(until_time)) {
        (Some(f), Some(u)) => {
            let end_day = if u <= f { day + Duration::days(1) } else { day };
            (day.and_time(f), end_day.and_time(u))
        }
        _ => (
            day.and_time(NaiveTime::MIN),
            (day + Duration::days(1)).and_time(NaiveTime::MIN),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn weeks_run_monday_to_sunday_and_months_whole() {
        let w = Span::Week.around(d("2027-03-31"));
        assert_eq!((w.from, w.to), (d("2027-03-29"), d("2027-04-04")));
        let m = Span::Month.around(d("2028-02-10"));
        assert_eq!((m.from, m.to), (d("2028-02-01"), d("2028-02-29")));
        assert_eq!(
            Span::Month.neighbours(d("2027-01-31")),
            (d("2026-12-31"), d("2027-02-01"))
        );
        assert_eq!(
            Span::Week.neighbours(d("2027-03-31")),
            (d("2027-03-22"), d("2027-04-05"))
        );
    }

    #[test]
    fn an_api_period_is_at_most_92_days_and_in_order() {
        let today = d("2026-12-01");
        assert_eq!(
            period(None, None, today),
            Ok(Period {
                from: today,
                to: d("2026-12-07")
            })
        );
        assert_eq!(
            period(Some("2026-12-01"), Some("2027-03-02"), today).map(|p| p.len()),
            Ok(92)
        );
        let e = period(Some("2026-12-01"), Some("2027-03-03"), today).unwrap_err();
        assert_eq!(e[0].field, "to");
        let e = period(Some("2026-12-02"), Some("2026-12-01"), today).unwrap_err();
        assert_eq!(e[0].field, "to");
        let e = period(Some("1 Dec"), Some("x"), today).unwrap_err();
        assert_eq!(e.len(), 2);
        let e = period(Some("0000-01-01"), None, today).unwrap_err();
        assert_eq!(e[0].field, "from");
        assert!(e[0].message.contains("10 years"), "{}", e[0].message);
    }

    #[test]
    fn a_measure_shows_on_its_days_within_the_period() {
        let p = Period {
            from: d("2027-03-01"),
            to: d("2027-03-31"),
        };
        let days: Vec<_> = days_within(d("2027-02-27"), Some(d("2027-03-02")), p).collect();
        assert_eq!(days, [d("2027-03-01"), d("2027-03-02")]);
        assert_eq!(days_within(d("2027-03-30"), None, p).count(), 2);
        assert_eq!(
            days_within(d("2027-03-10"), Some(d("2027-03-05")), p).count(),
            0
        );
    }

    #[test]
    fn hours_past_midnight_end_the_next_day() {
        let (s, e) = hours_on(d("2027-03-27"), Some("22:00"), Some("06:00"));
        assert_eq!(s.to_string(), "2027-03-27 22:00:00");
        assert_eq!(e.to_string(), "2027-03-28 06:00:00");
        let (s, e) = hours_on(d("2027-03-27"), None, None);
        assert_eq!(
            (s.to_string(), e.to_string()),
            ("2027-03-27 00:00:00".into(), "2027-03-28 00:00:00".into())
        );
    }

    #[test]
    fn status_follows_the_request_and_the_confirmed_dates() {
        let today = d("2026-12-01");
        assert_eq!(
            status(State::Approved, None, None, today),
            Status::Scheduled
        );
        assert_eq!(
            status(State::InEffect, Some(d("2026-12-03")), None, today),
            Status::Scheduled
        );
        assert_eq!(
            status(State::InEffect, Some(today), None, today),
            Status::InPlace
        );
        assert_eq!(
            status(State::Ended, Some(today), Some(today), today),
            Status::Ended
        );
    }
}
