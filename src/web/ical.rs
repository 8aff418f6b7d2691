//! The calendar feed as iCalendar (RFC 5545): one event per approved measure and run of days —
//! a daily recurrence at its hours in Oslo time, or whole days — with a UID that stays the same
//! from one fetch to the next, so that a calendar program updates the event rather than adding
//! it again. Only the reference, the measure's kind and its times are in it: the feed leaves the
//! portal for phones.

use chrono::{Duration, NaiveDate, NaiveTime};
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus};

use crate::app::calendar::FeedItem;
use crate::domain::calendar::Status;
use crate::i18n::{Lang, tr_in};

/// Europe/Oslo as the EU's rule has it since 1996: summer time from 02:00 on the last Sunday of
/// March to 03:00 on the last Sunday of October.
const OSLO: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Oslo\r\n\
BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n\
DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n\
DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
END:VTIMEZONE\r\n";

const TZID: &str = "Europe/Oslo";

fn oslo(at: chrono::NaiveDateTime) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time: at,
        tzid: TZID.to_owned(),
    }
}

fn event(item: &FeedItem, lang: Lang, host: &str, stamp: chrono::DateTime<chrono::Utc>) -> Event {
    let kind = item
        .kind
        .map(|k| tr_in(lang, k.label()))
        .unwrap_or_else(|| tr_in(lang, "Measure"));
    let mut e = Event::new();
    e.uid(&format!("{}@{host}", item.measure_id))
        .timestamp(stamp)
        .summary(&format!("{}: {kind}", item.reference))
        .status(match item.status {
            Status::Scheduled => EventStatus::Tentative,
            Status::InPlace | Status::Ended => EventStatus::Confirmed,
        });
    let parse = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
    };
    match (parse(&item.from_time), parse(&item.until_time)) {
        (Some(from), Some(until)) => {
            let end_day = if until <= from {
                item.first_day + Duration::days(1)
            } else {
                item.first_day
            };
            let days = (item.last_day - item.first_day).num_days() + 1;
            e.starts(oslo(item.first_day.and_time(from)))
                .ends(oslo(end_day.and_time(until)));
            if days > 1 {
                e.add_property("RRULE", format!("FREQ=DAILY;COUNT={days}"));
            }
        }
        _ => {
            let after: NaiveDate = item.last_day + Duration::days(1);
            e.starts(item.first_day).ends(after);
        }
    }
    e.done()
}

/// The feed of `items` in `lang`, as of `now`; `host` makes the UIDs unique to this portal.
pub fn render(items: &[FeedItem], lang: Lang, host: &str, now: chrono::NaiveDateTime) -> String {
    // The time stamp moves once a day, not on every fetch.
    let stamp = now.date().and_time(NaiveTime::MIN).and_utc();
    let mut cal = Calendar::empty();
    cal.append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//Protection portal//Calendar of measures//EN"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", "PUBLISH"))
        .name(tr_in(lang, "Protection portal: approved measures"));
    let mut out = cal.to_string();
    let end = "END:VCALENDAR\r\n";
    out.truncate(out.len() - end.len());
    out.push_str(OSLO);
    for item in items {
        out.push_str(&event(item, lang, host, stamp).to_string());
    }
    out.push_str(end);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::MeasureKind;

    fn item(from: Option<&str>, until: Option<&str>) -> FeedItem {
        FeedItem {
            measure_id: "m1".into(),
            reference: "2027/00001".into(),
            kind: Some(MeasureKind::StaticGuard),
            first_day: "2027-03-27".parse().unwrap(),
            last_day: "2027-03-29".parse().unwrap(),
            from_time: from.map(Into::into),
            until_time: until.map(Into::into),
            status: Status::Scheduled,
        }
    }

    #[test]
    fn hours_recur_daily_in_oslo_time_and_whole_days_are_dates() {
        let now = "2027-03-01T10:00:00".parse().unwrap();
        let text = render(
            &[item(Some("22:00"), Some("06:00")), item(None, None)],
            Lang::En,
            "portal.example",
            now,
        );
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert_eq!(text.matches("BEGIN:VTIMEZONE").count(), 1);
        assert!(
            text.contains("DTSTART;TZID=Europe/Oslo:20270327T220000\r\n"),
            "{text}"
        );
        assert!(text.contains("DTEND;TZID=Europe/Oslo:20270328T060000\r\n"));
        assert!(text.contains("RRULE:FREQ=DAILY;COUNT=3\r\n"));
        assert!(text.contains("DTSTART;VALUE=DATE:20270327\r\n"));
        assert!(text.contains("DTEND;VALUE=DATE:20270330\r\n"));
        assert!(text.contains("SUMMARY:2027/00001: Static police guard\r\n"));
        assert!(text.contains("UID:m1@portal.example\r\n"));
        assert!(text.contains("STATUS:TENTATIVE\r\n"));
        assert!(text.contains("DTSTAMP:20270301T000000Z\r\n"));
        assert_eq!(text.matches("PRODID").count(), 1);
    }
}
