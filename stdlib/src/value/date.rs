//! Dates as the reference shows them: ISO-8601 UTC text (`2025-06-15T14:00:00Z`). A date value is a
//! string in that form; this module parses it, reads its properties, applies offsets (`+7d`,
//! `-3h`, `+1M`) and formats it with patterns (`yyyy-MM-dd`, `MMMM dd, yyyy`).

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
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Days since 1970-01-01 for a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date (year, month, day) for days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Seconds since the epoch → `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_iso(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let r = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        r / 3600,
        r / 60 % 60,
        r % 60
    )
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or `±HH:MM` → epoch seconds.
pub fn parse_iso(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut parts = date.split('-');
    let (y, m, d) = (
        num(parts.next()?)?,
        num(parts.next()?)?,
        num(parts.next()?)?,
    );
    if parts.next().is_some()
        || date.len() != 10
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
    {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) * 86_400;
    if let Some(t) = time {
        let (clock, offset) = if let Some(c) = t.strip_suffix('Z') {
            (c, 0)
        } else if let Some(i) = t.rfind(['+', '-']).filter(|&i| i >= 5) {
            let (c, o) = t.split_at(i);
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let mut hm = o[1..].split(':');
            let oh = num(hm.next()?)?;
            let om = hm.next().map_or(Some(0), num)?;
            (c, sign * (oh * 3600 + om * 60))
        } else {
            (t, 0)
        };
        let clock = clock.split('.').next()?;
        let mut hms = clock.split(':');
        let h = num(hms.next()?)?;
        let mi = num(hms.next()?)?;
        let se = hms.next().map_or(Some(0), num)?;
        if h > 23 || mi > 59 || se > 60 {
            return None;
        }
        secs += h * 3600 + mi * 60 + se - offset;
    }
    Some(secs)
}

/// A date property (`year`, `month`, `day`, `hour`, `minute`, `second`, `dayofweek`,
/// `dayofyear`, `timestamp`, `iso`), as a string or integer value.
pub fn property(secs: i64, name: &str) -> Option<super::Value> {
    use super::Value;
    let days = secs.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let r = secs.rem_euclid(86_400);
    Some(match name.to_ascii_lowercase().as_str() {
        "year" => Value::Int(y),
        "month" => Value::Int(m),
        "day" => Value::Int(d),
        "hour" => Value::Int(r / 3600),
        "minute" => Value::Int(r / 60 % 60),
        "second" => Value::Int(r % 60),
        "dayofweek" | "weekday" => Value::str(DAYS[(days + 3).rem_euclid(7) as usize]),
        "dayofyear" => Value::Int(days - days_from_civil(y, 1, 1) + 1),
        "timestamp" => Value::Int(secs),
        "iso" => Value::str(&format_iso(secs)),
        "timezone" => Value::str("UTC"),
        _ => return None,
    })
}

/// Applies an offset like `+7d`, `-3h`, `+1M`, `+2y`, `+30m`, `+1w`, `+10s` (or `+1 days`).
pub fn offset(secs: i64, spec: &str) -> Option<i64> {
    let spec = spec.trim();
    let sign = match spec.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = spec[1..].trim();
    let split = rest.find(|c: char| !c.is_ascii_digit())?;
    let n: i64 = rest[..split].parse().ok()?;
    let unit = rest[split..].trim();
    let n = sign * n;
    let simple = match unit {
        "s" | "sec" | "second" | "seconds" => 1,
        "m" | "min" | "minute" | "minutes" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 604_800,
        _ => 0,
    };
    if simple != 0 {
        return Some(secs + n * simple);
    }
    let months = match unit {
        "M" | "month" | "months" => n,
        "y" | "year" | "years" => n * 12,
        _ => return None,
    };
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let total = y * 12 + (m - 1) + months;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let last = days_from_civil(
        ny + i64::from(nm == 12),
        if nm == 12 { 1 } else { nm + 1 },
        1,
    ) - days_from_civil(ny, nm, 1);
    let day = d.min(last);
    Some(days_from_civil(ny, nm, day) * 86_400 + secs.rem_euclid(86_400))
}

/// Formats with a pattern: `yyyy`, `yy`, `MMMM`, `MMM`, `MM`, `M`, `dd`, `d`, `EEEE`, `EEE`,
/// `HH`, `mm`, `ss`; other characters are copied (text in single quotes is literal).
pub fn format(secs: i64, pattern: &str) -> String {
    let days = secs.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let r = secs.rem_euclid(86_400);
    let dow = DAYS[(days + 3).rem_euclid(7) as usize];
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
        match (c, n) {
            ('y', 2) => out.push_str(&format!("{:02}", y % 100)),
            ('y', _) => out.push_str(&format!("{y:04}")),
            ('M', 1) => out.push_str(&m.to_string()),
            ('M', 2) => out.push_str(&format!("{m:02}")),
            ('M', 3) => out.push_str(&MONTHS[(m - 1) as usize][..3]),
            ('M', _) => out.push_str(MONTHS[(m - 1) as usize]),
            ('d', 1) => out.push_str(&d.to_string()),
            ('d', _) => out.push_str(&format!("{d:02}")),
            ('E', 1..=3) => out.push_str(&dow[..3]),
            ('E', _) => out.push_str(dow),
            ('H', _) => out.push_str(&format!("{:02}", r / 3600)),
            ('m', _) => out.push_str(&format!("{:02}", r / 60 % 60)),
            ('s', _) => out.push_str(&format!("{:02}", r % 60)),
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

    #[test]
    fn round_trip_and_offsets() {
        let t = parse_iso("2025-06-15T14:00:00Z").unwrap();
        assert_eq!(format_iso(t), "2025-06-15T14:00:00Z");
        assert_eq!(
            format_iso(offset(t, "+7d").unwrap()),
            "2025-06-22T14:00:00Z"
        );
        assert_eq!(
            format_iso(offset(t, "-1h").unwrap()),
            "2025-06-15T13:00:00Z"
        );
        let jan31 = parse_iso("2025-01-31").unwrap();
        assert_eq!(
            format_iso(offset(jan31, "+1M").unwrap()),
            "2025-02-28T00:00:00Z"
        );
        assert_eq!(format(t, "MMMM dd, yyyy"), "June 15, 2025");
        assert_eq!(property(t, "dayofweek").unwrap().as_str(), Some("Sunday"));
        assert_eq!(parse_iso("2025-06-15T16:00:00+02:00"), Some(t));
        assert_eq!(parse_iso("not a date"), None);
    }
}
