//! Calendar dates in Europe/Oslo (product.md § 4): Central European Time, UTC+1, and summer time,
//! UTC+2, from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October
//! (the EU rule Norway follows).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let next_month = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("valid month");
    let last = next_month - Duration::days(1);
    let back = last.weekday().num_days_from_sunday();
    last - Duration::days(i64::from(back))
}

/// Whether summer time is in force at the UTC instant `utc`.
fn summer_time(utc: NaiveDateTime) -> bool {
    let year = utc.year();
    let starts = last_sunday(year, 3).and_hms_opt(1, 0, 0).expect("01:00");
    let ends = last_sunday(year, 10).and_hms_opt(1, 0, 0).expect("01:00");
    utc >= starts && utc < ends
}

/// The local time in Oslo at the UTC instant `utc`.
pub fn oslo_local(utc: NaiveDateTime) -> NaiveDateTime {
    utc + Duration::hours(if summer_time(utc) { 2 } else { 1 })
}

/// The calendar date in Oslo at the UTC instant `utc`.
pub fn oslo_date(utc: NaiveDateTime) -> NaiveDate {
    oslo_local(utc).date()
}

/// The offset from UTC, in hours, of the local time `local` in Oslo: 2 in summer time, else 1.
/// A local time that does not exist (the hour skipped in March) counts as winter time; one that
/// happens twice (the hour repeated in October), as its first, summer, time.
pub fn oslo_offset_hours(local: NaiveDateTime) -> i64 {
    let as_summer = local - Duration::hours(2);
    if summer_time(as_summer) && oslo_local(as_summer) == local {
        2
    } else {
        1
    }
}

/// The UTC instant at which `day` begins in Oslo (midnight local time; no change of summer
/// time happens at midnight).
pub fn oslo_midnight_utc(day: NaiveDate) -> NaiveDateTime {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight");
    // The offset in force at local midnight is the one in force an hour or two before, in UTC.
    let guess = midnight - Duration::hours(1);
    midnight - Duration::hours(if summer_time(guess) { 2 } else { 1 })
}

/// How far ahead a measure may start: protection is asked for what is being planned; a start
/// years away is a typing error (or a request parked in the queues).
pub const START_AHEAD_MONTHS: u32 = 24;
/// How far ahead a measure may end. Longer than a start: a measure may last a long time, and
/// one without end is written with an empty end date.
pub const END_AHEAD_MONTHS: u32 = 60;
/// How far back any date of a request may lie (a draft may keep a start that has passed until
/// it is submitted, but not one from another era).
pub const PAST_MONTHS: u32 = 12;

/// Whether `date` lies within `PAST_MONTHS` before `today` and `ahead_months` after it.
pub fn check_horizon(date: NaiveDate, today: NaiveDate, ahead_months: u32) -> Result<(), String> {
    let latest = today
        .checked_add_months(chrono::Months::new(ahead_months))
        .unwrap_or(NaiveDate::MAX);
    let earliest = today
        .checked_sub_months(chrono::Months::new(PAST_MONTHS))
        .unwrap_or(NaiveDate::MIN);
    if date > latest {
        Err(format!(
            "must be at most {} years from today",
            ahead_months / 12
        ))
    } else if date < earliest {
        Err(format!(
            "must be at most {} months before today",
            PAST_MONTHS
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn local_times_have_their_offset_either_side_of_the_changes() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(oslo_offset_hours(at("2027-03-28 01:59")), 1);
        assert_eq!(oslo_offset_hours(at("2027-03-28 03:00")), 2);
        assert_eq!(oslo_offset_hours(at("2027-10-31 01:00")), 2);
        assert_eq!(oslo_offset_hours(at("2027-10-31 04:00")), 1);
        assert_eq!(oslo_offset_hours(at("2027-07-01 12:00")), 2);
    }

    use super::*;

    #[test]
    fn an_oslo_day_begins_at_23_or_22_utc_the_day_before() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            oslo_midnight_utc(d(2026, 1, 15)),
            d(2026, 1, 14).and_hms_opt(23, 0, 0).unwrap()
        );
        assert_eq!(
            oslo_midnight_utc(d(2026, 7, 15)),
            d(2026, 7, 14).and_hms_opt(22, 0, 0).unwrap()
        );
        assert_eq!(oslo_date(oslo_midnight_utc(d(2026, 3, 30))), d(2026, 3, 30));
        assert_eq!(
            oslo_date(oslo_midnight_utc(d(2026, 10, 26))),
            d(2026, 10, 26)
        );
    }

    fn utc(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn summer_time_begins_and_ends_on_the_last_sundays_at_one_utc() {
        assert_eq!(
            last_sunday(2026, 3),
            NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()
        );
        assert_eq!(
            last_sunday(2026, 10),
            NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()
        );
        assert_eq!(oslo_local(utc("2026-03-29 00:59")), utc("2026-03-29 01:59"));
        assert_eq!(oslo_local(utc("2026-03-29 01:00")), utc("2026-03-29 03:00"));
        assert_eq!(oslo_local(utc("2026-10-25 00:59")), utc("2026-10-25 02:59"));
        assert_eq!(oslo_local(utc("2026-10-25 01:00")), utc("2026-10-25 02:00"));
    }

    #[test]
    fn the_oslo_date_changes_before_the_utc_date() {
        assert_eq!(
            oslo_date(utc("2026-12-31 23:30")),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        assert_eq!(
            oslo_date(utc("2026-07-01 21:59")),
            NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()
        );
        assert_eq!(
            oslo_date(utc("2026-07-01 22:00")),
            NaiveDate::from_ymd_opt(2026, 7, 2).unwrap()
        );
    }
}
