//! When a schedule fires: a cron expression (croner) in an IANA time zone (chrono-tz), or once.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use crate::error::AppError;

/// A parsed timing.
#[derive(Debug, Clone)]
pub enum When {
    /// Repeats.
    Cron {
        /// The expression.
        cron: Box<Cron>,
        /// Its zone.
        tz: Tz,
    },
    /// Once.
    Once(DateTime<Utc>),
}

/// Parses a cron expression: 5 fields, or 6 with seconds first (names, Sunday 0 or 7, ranges,
/// steps; `@daily` and friends too). Errors name the field `cron` and say why.
pub fn parse_cron(expr: &str) -> Result<Cron, AppError> {
    let fields = expr.split_whitespace().count();
    if !expr.trim_start().starts_with('@') && !(5..=6).contains(&fields) {
        return Err(AppError::validation(
            "cron",
            format!(
                "a cron expression has 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first; `{expr}` has {fields}"
            ),
        ));
    }
    CronParser::builder()
        .seconds(Seconds::Optional)
        .year(Year::Disallowed)
        .build()
        .parse(expr)
        .map_err(|e| {
            AppError::validation(
                "cron",
                format!("`{expr}` is not a valid cron expression: {e}"),
            )
        })
}

/// The IANA zone `name`, or the server's own when none is given. Errors name the field `timezone`.
pub fn parse_zone(name: Option<&str>) -> Result<(String, Tz), AppError> {
    let name = name.map_or_else(server_zone, str::to_owned);
    let tz: Tz = name.parse().map_err(|_| {
        AppError::validation(
            "timezone",
            format!("`{name}` is not an IANA time zone (e.g. `Europe/Amsterdam`, `UTC`)"),
        )
    })?;
    Ok((name, tz))
}

/// The server's IANA zone (`TZ`, else the system's), `UTC` when it cannot be told.
pub fn server_zone() -> String {
    std::env::var("TZ")
        .ok()
        .map(|z| z.trim_start_matches(':').to_owned())
        .filter(|z| z.parse::<Tz>().is_ok())
        .or_else(|| iana_time_zone::get_timezone().ok())
        .filter(|z| z.parse::<Tz>().is_ok())
        .unwrap_or_else(|| "UTC".to_owned())
}

impl When {
    /// The first firing strictly after `t`; `None` when there is none.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Once(at) => (*at > t).then_some(*at),
            Self::Cron { cron, tz } => cron
                .find_next_occurrence(&t.with_timezone(tz), false)
                .ok()
                .map(|d| d.with_timezone(&Utc)),
        }
    }

    /// Up to `n` firings after `t`.
    pub fn upcoming(&self, t: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::with_capacity(n);
        let mut at = t;
        while out.len() < n {
            match self.next_after(at) {
                Some(next) => {
                    out.push(next);
                    at = next;
                }
                None => break,
            }
        }
        out
    }
}

/// Unix milliseconds.
pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// From unix milliseconds.
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn next(expr: &str, tz: &str, from: &str) -> DateTime<Utc> {
        let when = When::Cron {
            cron: Box::new(parse_cron(expr).unwrap()),
            tz: parse_zone(Some(tz)).unwrap().1,
        };
        when.next_after(at(from)).unwrap()
    }

    #[test]
    fn five_fields_names_and_both_sundays() {
        // 2026-11-23 is a Monday.
        assert_eq!(
            next("30 3 * * *", "UTC", "2026-11-23T04:00:00Z"),
            at("2026-11-24T03:30:00Z")
        );
        assert_eq!(
            next("0 9 * * MON-FRI", "UTC", "2026-11-27T10:00:00Z"),
            at("2026-11-30T09:00:00Z")
        );
        assert_eq!(
            next("0 0 * * 0", "UTC", "2026-11-23T00:00:00Z"),
            next("0 0 * * 7", "UTC", "2026-11-23T00:00:00Z")
        );
        assert_eq!(
            next("0 0 1 JAN *", "UTC", "2026-11-23T00:00:00Z"),
            at("2027-01-01T00:00:00Z")
        );
        assert_eq!(
            next("*/15 8-10 * * *", "UTC", "2026-11-23T08:50:00Z"),
            at("2026-11-23T09:00:00Z")
        );
    }

    #[test]
    fn an_optional_seconds_field_and_a_zone() {
        assert_eq!(
            next("*/5 * * * * *", "UTC", "2026-11-23T00:00:01Z"),
            at("2026-11-23T00:00:05Z")
        );
        // 03:30 in Amsterdam is 02:30 UTC in winter.
        assert_eq!(
            next("30 3 * * *", "Europe/Amsterdam", "2026-11-23T00:00:00Z"),
            at("2026-11-23T02:30:00Z")
        );
    }

    #[test]
    fn bad_input_names_the_field_and_says_why() {
        let e = parse_cron("61 * * * *").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("cron"));
        let e = parse_cron("* * *").unwrap_err();
        assert!(e.message.contains("5 fields"), "{}", e.message);
        let e = parse_zone(Some("Mars/Olympus")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("timezone"));
        assert!(parse_zone(None).is_ok());
    }

    #[test]
    fn a_one_time_schedule_fires_once() {
        let when = When::Once(at("2026-12-01T03:30:00Z"));
        assert_eq!(when.upcoming(at("2026-11-01T00:00:00Z"), 5).len(), 1);
        assert!(when.next_after(at("2026-12-02T00:00:00Z")).is_none());
    }
}
