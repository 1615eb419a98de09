//! Dates as the reference shows them: ISO-8601 text (`2025-06-15T14:00:00Z`, or with an offset
//! such as `2025-06-15T10:00:00-04:00` after a zone conversion). A date value is a string in that
//! form; this module parses it strictly (no `2025-02-31`), reads its properties, applies offsets
//! (`+7d`, `-3h`, `+1M`), formats it with patterns (`yyyy-MM-dd`, `MMMM dd, yyyy`) and converts it
//! to an IANA zone. The calendar and the zone database are jiff's (the database is compiled in).

use jiff::civil::{DateTime, Weekday};
use jiff::tz::{Offset, TimeZone};
use jiff::{Span, Timestamp};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A point in time and the UTC offset it is shown with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    /// The instant.
    pub ts: Timestamp,
    /// The offset of its wall-clock fields (zero for UTC).
    pub offset: Offset,
}

impl Moment {
    /// A UTC moment at `secs` since the epoch (`None` outside years 0..=9999).
    pub fn utc(secs: i64) -> Option<Moment> {
        Moment {
            ts: Timestamp::from_second(secs).ok()?,
            offset: Offset::UTC,
        }
        .in_range()
    }

    /// `self` if its wall clock is in years 0..=9999, the dates ISO text shows as `YYYY`.
    fn in_range(self) -> Option<Moment> {
        (0..=9999).contains(&self.local().year()).then_some(self)
    }

    /// Seconds since the epoch.
    pub fn secs(&self) -> i64 {
        self.ts.as_second()
    }

    /// The wall-clock date and time.
    pub fn local(&self) -> DateTime {
        self.offset.to_datetime(self.ts)
    }

    /// The wall-clock time `dt` at this moment's offset.
    pub fn with_local(&self, dt: DateTime) -> Option<Moment> {
        Moment {
            ts: self.offset.to_timestamp(dt).ok()?,
            offset: self.offset,
        }
        .in_range()
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, or `…±HH:MM` when the offset is not zero.
    pub fn iso(&self) -> String {
        let dt = self.local();
        let mut out = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        );
        push_offset(&mut out, self.offset);
        out
    }
}

fn push_offset(out: &mut String, offset: Offset) {
    let s = offset.seconds();
    if s == 0 {
        out.push('Z');
    } else {
        let a = s.unsigned_abs();
        let sign = if s < 0 { '-' } else { '+' };
        out.push_str(&format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60));
    }
}

/// Seconds since the epoch → `YYYY-MM-DDTHH:MM:SSZ` (the epoch itself outside jiff's range).
pub fn format_iso(secs: i64) -> String {
    Moment::utc(secs)
        .or_else(|| Moment::utc(0))
        .map(|m| m.iso())
        .unwrap_or_default()
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses `YYYY-MM-DD` or `YYYY-MM-DD[T ]HH:MM[:SS[.fff]]` with `Z`, `±HH:MM`, `±HHMM` or no
/// zone (UTC). Strict: a day the month does not have, hour 24 or minute 60 is not a date.
pub fn parse(s: &str) -> Option<Moment> {
    let s = s.trim();
    let (date, time) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if date.len() != 10 {
        return None;
    }
    let mut parts = date.split('-');
    let (y, m, d) = (
        num(parts.next()?)?,
        num(parts.next()?)?,
        num(parts.next()?)?,
    );
    if parts.next().is_some() || m > 12 || d > 31 {
        return None;
    }
    let (mut h, mut mi, mut se, mut offset) = (0, 0, 0, Offset::UTC);
    if let Some(t) = time {
        let (clock, off) = if let Some(c) = t.strip_suffix('Z') {
            (c, 0)
        } else if let Some(i) = t.rfind(['+', '-']).filter(|&i| i >= 5) {
            let (c, o) = t.split_at(i);
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let digits = &o[1..];
            let (oh, om) = match digits.split_once(':') {
                Some((a, b)) => (num(a)?, num(b)?),
                None if digits.len() == 4 => (num(digits.get(..2)?)?, num(digits.get(2..)?)?),
                None => (num(digits)?, 0),
            };
            if oh > 23 || om > 59 {
                return None;
            }
            (c, sign * (oh * 3600 + om * 60))
        } else {
            (t, 0)
        };
        offset = Offset::from_seconds(off as i32).ok()?;
        let mut frac = clock.splitn(2, '.');
        let clock = frac.next()?;
        if frac
            .next()
            .is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let mut hms = clock.split(':');
        h = num(hms.next()?)?;
        mi = num(hms.next()?)?;
        se = hms.next().map_or(Some(0), num)?;
        if hms.next().is_some() {
            return None;
        }
        // A leap second reads as the second before it (jiff's rule).
        se = if se == 60 { 59 } else { se };
    }
    let dt = DateTime::new(y as i16, m as i8, d as i8, h as i8, mi as i8, se as i8, 0).ok()?;
    Moment {
        ts: offset.to_timestamp(dt).ok()?,
        offset,
    }
    .in_range()
}

/// Seconds since the epoch of an ISO-8601 date (see [`parse`]).
pub fn parse_iso(s: &str) -> Option<i64> {
    parse(s).map(|m| m.secs())
}

/// Whether a string has the shape of a date (`YYYY-MM-…`): a cheap test before [`parse`].
pub fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10 && b[4] == b'-' && b[7] == b'-' && b[..4].iter().all(u8::is_ascii_digit)
}

/// The English name of a weekday.
pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// A date property (`year`, `month`, `day`, `hour`, `minute`, `second`, `dayofweek`,
/// `dayofyear`, `weekofyear`, `timestamp`, `iso`, `timezone`) of the wall-clock fields.
pub fn property(m: &Moment, name: &str) -> Option<super::Value> {
    use super::Value;
    let dt = m.local();
    Some(match name.to_ascii_lowercase().as_str() {
        "year" => Value::Int(dt.year().into()),
        "month" => Value::Int(dt.month().into()),
        "day" => Value::Int(dt.day().into()),
        "hour" => Value::Int(dt.hour().into()),
        "minute" => Value::Int(dt.minute().into()),
        "second" => Value::Int(dt.second().into()),
        "dayofweek" | "weekday" => Value::str(weekday_name(dt.weekday())),
        "dayofyear" => Value::Int(dt.day_of_year().into()),
        "weekofyear" => Value::Int(dt.date().iso_week_date().week().into()),
        "timestamp" => Value::Int(m.secs()),
        "iso" => Value::str(&m.iso()),
        "timezone" if m.offset == Offset::UTC => Value::str("UTC"),
        "timezone" => {
            let mut s = String::new();
            push_offset(&mut s, m.offset);
            Value::Str(s.into())
        }
        _ => return None,
    })
}

/// Applies an offset like `+7d`, `-3h`, `+1M`, `+2y`, `+30m`, `+1w`, `+10s` (or `+1 days`).
/// Months and years keep the wall clock and clamp the day (`Jan 31 + 1M` = `Feb 28`); `None` for
/// an unknown unit or a result outside years 0..=9999.
pub fn offset(m: &Moment, spec: &str) -> Option<Moment> {
    let spec = spec.trim();
    let sign = match spec.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = spec[1..].trim();
    let split = rest.find(|c: char| !c.is_ascii_digit())?;
    let n: i64 = rest[..split].parse().ok()?;
    let n = sign * n;
    shift(m, n, Unit::parse(rest[split..].trim())?)
}

/// A calendar unit of offsets, ranges and recurrences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Seconds.
    Second,
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days (86,400 seconds).
    Day,
    /// Weeks.
    Week,
    /// Calendar months (the day clamped to the month's length).
    Month,
    /// Calendar years.
    Year,
}

impl Unit {
    /// `s`/`second(s)`, `m`/`min`/`minute(s)`, `h`/`hour(s)`, `d`/`day(s)`, `w`/`week(s)`,
    /// `M`/`month(s)`, `y`/`year(s)`.
    pub fn parse(word: &str) -> Option<Unit> {
        Some(match word {
            "s" | "sec" | "second" | "seconds" => Unit::Second,
            "m" | "min" | "minute" | "minutes" => Unit::Minute,
            "h" | "hour" | "hours" => Unit::Hour,
            "d" | "day" | "days" => Unit::Day,
            "w" | "week" | "weeks" => Unit::Week,
            "M" | "month" | "months" => Unit::Month,
            "y" | "year" | "years" => Unit::Year,
            _ => return None,
        })
    }
}

/// `m` moved by `n` units (see [`offset`]).
pub fn shift(m: &Moment, n: i64, unit: Unit) -> Option<Moment> {
    let secs = match unit {
        Unit::Second => 1,
        Unit::Minute => 60,
        Unit::Hour => 3600,
        Unit::Day => 86_400,
        Unit::Week => 604_800,
        Unit::Month | Unit::Year => {
            let months = if unit == Unit::Year {
                n.checked_mul(12)?
            } else {
                n
            };
            let span = Span::new().try_months(months).ok()?;
            return m.with_local(m.local().checked_add(span).ok()?);
        }
    };
    let ts =
        m.ts.checked_add(Span::new().try_seconds(n.checked_mul(secs)?).ok()?);
    Moment {
        ts: ts.ok()?,
        offset: m.offset,
    }
    .in_range()
}

/// The same instant in the IANA zone `name` (`America/New_York`, `UTC`): shown with that zone's
/// offset at that instant. An unknown zone is an error naming it.
pub fn in_zone(m: &Moment, name: &str) -> Result<Moment, String> {
    let tz = match name.trim() {
        n if n.eq_ignore_ascii_case("utc") || n.eq_ignore_ascii_case("gmt") => TimeZone::UTC,
        n => TimeZone::get(n).map_err(|_| format!("Unknown time zone '{n}'"))?,
    };
    Moment {
        ts: m.ts,
        offset: tz.to_offset(m.ts),
    }
    .in_range()
    .ok_or_else(|| format!("{} in {name} is outside years 0–9999", m.iso()))
}

/// Formats with a pattern: `yyyy`, `yy`, `MMMM`, `MMM`, `MM`, `M`, `dd`, `d`, `EEEE`, `EEE`,
/// `HH` (00–23), `hh`/`h` (1–12), `a` (AM/PM), `mm`, `ss`; other characters are copied (text in
/// single quotes is literal).
pub fn format(m: &Moment, pattern: &str) -> String {
    let dt = m.local();
    let (y, mo, d) = (dt.year(), dt.month() as usize, dt.day());
    let (h, mi, s) = (dt.hour(), dt.minute(), dt.second());
    let dow = weekday_name(dt.weekday());
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                out.push(chars[i]);
                i += 1;
            }
            i += 1;
            continue;
        }
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        let twelve = if h % 12 == 0 { 12 } else { h % 12 };
        match (c, n) {
            ('y', 2) => out.push_str(&format!("{:02}", y.rem_euclid(100))),
            ('y', _) => out.push_str(&format!("{y:04}")),
            ('M', 1) => out.push_str(&mo.to_string()),
            ('M', 2) => out.push_str(&format!("{mo:02}")),
            ('M', 3) => out.push_str(&MONTHS[mo - 1][..3]),
            ('M', _) => out.push_str(MONTHS[mo - 1]),
            ('d', 1) => out.push_str(&d.to_string()),
            ('d', _) => out.push_str(&format!("{d:02}")),
            ('E', 1..=3) => out.push_str(&dow[..3]),
            ('E', _) => out.push_str(dow),
            ('H', _) => out.push_str(&format!("{h:02}")),
            ('h', 1) => out.push_str(&twelve.to_string()),
            ('h', _) => out.push_str(&format!("{twelve:02}")),
            ('a', _) => out.push_str(if h < 12 { "AM" } else { "PM" }),
            ('m', _) => out.push_str(&format!("{mi:02}")),
            ('s', _) => out.push_str(&format!("{s:02}")),
            _ => {
                for _ in 0..n {
                    out.push(c);
                }
            }
        }
        i += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> Moment {
        parse(s).unwrap()
    }

    #[test]
    fn round_trip_and_offsets() {
        let t = iso("2025-06-15T14:00:00Z");
        assert_eq!(t.iso(), "2025-06-15T14:00:00Z");
        assert_eq!(offset(&t, "+7d").unwrap().iso(), "2025-06-22T14:00:00Z");
        assert_eq!(offset(&t, "-1h").unwrap().iso(), "2025-06-15T13:00:00Z");
        let jan31 = iso("2025-01-31");
        assert_eq!(offset(&jan31, "+1M").unwrap().iso(), "2025-02-28T00:00:00Z");
        assert_eq!(format(&t, "MMMM dd, yyyy"), "June 15, 2025");
        assert_eq!(format(&t, "hh:mm a"), "02:00 PM");
        assert_eq!(property(&t, "dayofweek").unwrap().as_str(), Some("Sunday"));
        assert_eq!(parse_iso("2025-06-15T16:00:00+02:00"), Some(t.secs()));
        assert_eq!(parse_iso("not a date"), None);
        assert_eq!(format_iso(t.secs()), "2025-06-15T14:00:00Z");
    }

    #[test]
    fn strict_calendar() {
        for bad in [
            "2025-02-31",
            "2025-02-29",
            "2025-13-01",
            "2025-00-10",
            "2025-06-15T24:00:00Z",
            "2025-06-15T12:60:00Z",
            "2025-06-15T12:00:00+25:00",
            "2025-06-15T12:00:00.Z",
            "20250-01-01",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert!(parse("2024-02-29").is_some());
        assert!(parse("2025-06-15 14:00").is_some());
    }

    #[test]
    fn zones_keep_the_instant_and_move_the_clock() {
        let t = iso("2024-01-15T10:00:00Z");
        let la = in_zone(&t, "America/Los_Angeles").unwrap();
        assert_eq!(la.iso(), "2024-01-15T02:00:00-08:00");
        assert_eq!(la.secs(), t.secs());
        assert_eq!(property(&la, "hour").unwrap().as_i64(), Some(2));
        assert_eq!(parse(&la.iso()), Some(la));
        assert!(in_zone(&t, "Mars/Olympus").is_err());
    }

    #[test]
    fn huge_offsets_are_refused_not_wrapped() {
        let t = iso("2025-06-15T14:00:00Z");
        assert_eq!(offset(&t, "+9999999999999y"), None);
        assert_eq!(offset(&t, "+99999999999999999d"), None);
        assert_eq!(offset(&t, "+1 fortnight"), None);
    }
}
