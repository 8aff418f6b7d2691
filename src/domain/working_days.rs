//! The Norwegian working-day calendar that deadlines are counted in: Monday to Friday, except
//! the public holidays (lov om helligdager og helgedagsfred, and 1 and 17 May by their own
//! acts): 1 January, Maundy Thursday, Good Friday, Easter Monday, 1 May, Ascension Day,
//! 17 May, Whit Monday, 25 and 26 December. Easter Sunday and the dates that move with it
//! are computed (the anonymous Gregorian computus of Meeus, Jones and Butcher), never listed by
//! hand, so the calendar holds for any year.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Names the calendar below: a change to its holidays changes this, and due dates counted with
/// the old calendar are counted again.
pub const CALENDAR_VERSION: u32 = 1;

/// Easter Sunday of `year` in the Gregorian calendar.
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("the computus gives a date")
}

/// The public holidays of `year`, in date order (Whit Monday can fall on 17 May, as in 2027:
/// then the list holds that day once).
pub fn public_holidays(year: i32) -> Vec<NaiveDate> {
    let fixed = |month, day| NaiveDate::from_ymd_opt(year, month, day).expect("a fixed holiday");
    let easter = easter_sunday(year);
    let mut days = vec![
        fixed(1, 1),
        easter - Duration::days(3),
        easter - Duration::days(2),
        easter + Duration::days(1),
        fixed(5, 1),
        easter + Duration::days(39),
        fixed(5, 17),
        easter + Duration::days(50),
        fixed(12, 25),
        fixed(12, 26),
    ];
    days.sort();
    days.dedup();
    days
}

/// Whether `date` is a public holiday.
pub fn is_public_holiday(date: NaiveDate) -> bool {
    let easter = easter_sunday(date.year());
    let from_easter = (date - easter).num_days();
    matches!(
        (date.month(), date.day()),
        (1, 1) | (5, 1) | (5, 17) | (12, 25) | (12, 26)
    ) || matches!(from_easter, -3 | -2 | 1 | 39 | 50)
}

/// Whether `date` is a working day: Monday to Friday and not a public holiday.
pub fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_public_holiday(date)
}

/// The working day `n` working days after `date` (`n` = 0: `date` itself if it is a working
/// day, else the next one).
pub fn add_working_days(date: NaiveDate, n: u32) -> NaiveDate {
    let mut day = date;
    while !is_working_day(day) {
        day += Duration::days(1);
    }
    for _ in 0..n {
        day += Duration::days(1);
        while !is_working_day(day) {
            day += Duration::days(1);
        }
    }
    day
}

/// The working day `n` working days before `date` (`n` = 0: `date` itself if it is a working
/// day, else the one before).
pub fn subtract_working_days(date: NaiveDate, n: u32) -> NaiveDate {
    let mut day = date;
    while !is_working_day(day) {
        day -= Duration::days(1);
    }
    for _ in 0..n {
        day -= Duration::days(1);
        while !is_working_day(day) {
            day -= Duration::days(1);
        }
    }
    day
}

/// The working days after `from` up to and including `to` (0 when `to` is not after `from`):
/// how much notice a request submitted on `from` gives for `to`.
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut count = 0;
    let mut day = from;
    while day < to {
        day += Duration::days(1);
        if is_working_day(day) {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The movable holidays as published in Norwegian almanacs, 2024–2035: Maundy Thursday,
    /// Good Friday, Easter Monday, Ascension Day, Whit Monday.
    const PUBLISHED: [(i32, [(u32, u32); 5]); 12] = [
        (2024, [(3, 28), (3, 29), (4, 1), (5, 9), (5, 20)]),
        (2025, [(4, 17), (4, 18), (4, 21), (5, 29), (6, 9)]),
        (2026, [(4, 2), (4, 3), (4, 6), (5, 14), (5, 25)]),
        (2027, [(3, 25), (3, 26), (3, 29), (5, 6), (5, 17)]),
        (2028, [(4, 13), (4, 14), (4, 17), (5, 25), (6, 5)]),
        (2029, [(3, 29), (3, 30), (4, 2), (5, 10), (5, 21)]),
        (2030, [(4, 18), (4, 19), (4, 22), (5, 30), (6, 10)]),
        (2031, [(4, 10), (4, 11), (4, 14), (5, 22), (6, 2)]),
        (2032, [(3, 25), (3, 26), (3, 29), (5, 6), (5, 17)]),
        (2033, [(4, 14), (4, 15), (4, 18), (5, 26), (6, 6)]),
        (2034, [(4, 6), (4, 7), (4, 10), (5, 18), (5, 29)]),
        (2035, [(3, 22), (3, 23), (3, 26), (5, 3), (5, 14)]),
    ];

    #[test]
    fn movable_holidays_match_the_published_dates_2024_to_2035() {
        for (year, dates) in PUBLISHED {
            let mut expected: Vec<NaiveDate> =
                dates.iter().map(|&(m, day)| d(year, m, day)).collect();
            expected.extend([
                d(year, 1, 1),
                d(year, 5, 1),
                d(year, 5, 17),
                d(year, 12, 25),
                d(year, 12, 26),
            ]);
            expected.sort();
            expected.dedup();
            assert_eq!(public_holidays(year), expected, "{year}");
            for day in &expected {
                assert!(is_public_holiday(*day), "{day}");
            }
        }
    }

    #[test]
    fn only_the_holidays_are_holidays() {
        for year in 2024..=2035 {
            let holidays = public_holidays(year);
            let mut day = d(year, 1, 1);
            while day.year() == year {
                assert_eq!(is_public_holiday(day), holidays.contains(&day), "{day}");
                day += Duration::days(1);
            }
        }
    }

    #[test]
    fn easter_sunday_is_a_sunday_in_march_or_april() {
        for year in 1900..=2200 {
            let e = easter_sunday(year);
            assert_eq!(e.weekday(), Weekday::Sun, "{e}");
            assert!(e >= d(year, 3, 22) && e <= d(year, 4, 25), "{e}");
        }
    }

    #[test]
    fn counting_skips_weekends_and_holidays() {
        // Easter 2026: Thursday 2 April to Monday 6 April are not working days.
        assert_eq!(add_working_days(d(2026, 4, 1), 1), d(2026, 4, 7));
        assert_eq!(subtract_working_days(d(2026, 4, 7), 1), d(2026, 4, 1));
        assert_eq!(working_days_between(d(2026, 4, 1), d(2026, 4, 7)), 1);
        // A weekend: Friday 27 November 2026 + 1 = Monday 30 November.
        assert_eq!(add_working_days(d(2026, 11, 27), 1), d(2026, 11, 30));
        assert_eq!(subtract_working_days(d(2026, 11, 30), 1), d(2026, 11, 27));
        // Christmas 2026: Friday 25 and Saturday 26 December.
        assert_eq!(add_working_days(d(2026, 12, 24), 1), d(2026, 12, 28));
        // Zero steps: the day itself, or the nearest working day in the counting direction.
        assert_eq!(add_working_days(d(2026, 11, 28), 0), d(2026, 11, 30));
        assert_eq!(subtract_working_days(d(2026, 11, 28), 0), d(2026, 11, 27));
        assert_eq!(working_days_between(d(2026, 12, 1), d(2026, 11, 30)), 0);
        // A full ordinary week has five.
        assert_eq!(working_days_between(d(2026, 11, 27), d(2026, 12, 4)), 5);
    }

    #[test]
    fn adding_and_subtracting_are_inverse_on_working_days() {
        let mut day = d(2026, 1, 1);
        while day.year() == 2026 {
            if is_working_day(day) {
                for n in 0..12 {
                    let later = add_working_days(day, n);
                    assert_eq!(subtract_working_days(later, n), day, "{day} + {n}");
                    assert_eq!(working_days_between(day, later), n, "{day} + {n}");
                }
            }
            day += Duration::days(1);
        }
    }
}
