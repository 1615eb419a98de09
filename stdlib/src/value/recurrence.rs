//! Recurrences (ARO-0041): `every day`, `every 2 weeks`, `every 3rd day`, `every monday`,
//! `every weekday`, `every weekend`, `every first monday`, `every last friday`, each optionally
//! followed by `at HH:MM`. A recurrence value is an object `{pattern, next, previous,
//! occurrences}` computed when it is created: the next and previous occurrence around that moment
//! and the next ten. Weekday rules fall at midnight (or the `at` time) of their day; an interval
//! without `at` counts from the moment itself.

use super::date::{shift, Moment, Unit};
use super::{Object, Value};
use jiff::civil::{DateTime, Weekday};
use jiff::ToSpan;
use std::rc::Rc;

/// How many occurrences the `occurrences` property lists.
pub const LISTED_OCCURRENCES: usize = 10;

/// A parsed recurrence pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recurrence {
    rule: Rule,
    at: Option<(i8, i8)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// Every `count` units.
    Interval { count: i64, unit: Unit },
    /// On these weekdays (bit 0 = Monday … bit 6 = Sunday).
    Days(u8),
    /// The `nth` (1–5, or -1 for the last) weekday of every month.
    Nth { nth: i8, day: Weekday },
}

fn weekday(word: &str) -> Option<Weekday> {
    Some(match word {
        "monday" | "mon" => Weekday::Monday,
        "tuesday" | "tue" | "tues" => Weekday::Tuesday,
        "wednesday" | "wed" => Weekday::Wednesday,
        "thursday" | "thu" | "thur" | "thurs" => Weekday::Thursday,
        "friday" | "fri" => Weekday::Friday,
        "saturday" | "sat" => Weekday::Saturday,
        "sunday" | "sun" => Weekday::Sunday,
        _ => return None,
    })
}

fn bit(w: Weekday) -> u8 {
    1 << (w.to_monday_zero_offset() as u8)
}

/// `first`…`fifth`, `1st`…`5th` (as ordinals of a weekday in a month) and `last`.
fn ordinal(word: &str) -> Option<i8> {
    Some(match word {
        "first" | "1st" => 1,
        "second" | "2nd" => 2,
        "third" | "3rd" => 3,
        "fourth" | "4th" => 4,
        "fifth" | "5th" => 5,
        "last" => -1,
        _ => return None,
    })
}

/// `2`, or `2nd`/`3rd`/`4th`: how many units an interval spans (1 to 10,000).
fn count(word: &str) -> Option<i64> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") {
        return None;
    }
    digits.parse().ok().filter(|n| (1..=10_000).contains(n))
}

fn clock(text: &str) -> Option<(i8, i8)> {
    let (h, m) = text.split_once(':')?;
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some((h, m))
}

/// Parses a pattern; the error says what the pattern should look like.
pub fn parse(pattern: &str) -> Result<Recurrence, String> {
    let bad = || {
        format!(
            "Invalid recurrence pattern '{pattern}': expected 'every <unit>', 'every <N> <units>', \
             'every <weekday>', 'every weekday', 'every weekend' or 'every <first…fifth|last> \
             <weekday>', optionally followed by 'at HH:MM'"
        )
    };
    let lower = pattern.trim().to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let (words, at) = match words.iter().position(|w| *w == "at") {
        Some(i) if i + 2 == words.len() => {
            (&words[..i], Some(clock(words[i + 1]).ok_or_else(bad)?))
        }
        Some(_) => return Err(bad()),
        None => (&words[..], None),
    };
    let rule = match words {
        ["every", "weekday"] | ["every", "weekdays"] => Rule::Days(0b001_1111),
        ["every", "weekend"] | ["every", "weekends"] => Rule::Days(0b110_0000),
        ["every", w] if weekday(w).is_some() => {
            Rule::Days(bit(weekday(w).unwrap_or(Weekday::Monday)))
        }
        ["every", u] => Rule::Interval {
            count: 1,
            unit: Unit::parse(u).ok_or_else(bad)?,
        },
        ["every", o, w] if ordinal(o).is_some() && weekday(w).is_some() => Rule::Nth {
            nth: ordinal(o).unwrap_or(1),
            day: weekday(w).unwrap_or(Weekday::Monday),
        },
        ["every", n, u] => Rule::Interval {
            count: count(n).ok_or_else(bad)?,
            unit: Unit::parse(u).ok_or_else(bad)?,
        },
        _ => return Err(bad()),
    };
    if let (Rule::Interval { unit, .. }, Some(_)) = (rule, at) {
        if matches!(unit, Unit::Second | Unit::Minute | Unit::Hour) {
            return Err(format!(
                "Invalid recurrence pattern '{pattern}': 'at HH:MM' needs a unit of a day or longer"
            ));
        }
    }
    Ok(Recurrence { rule, at })
}

impl Recurrence {
    /// `day` at the rule's time of day (midnight without `at`), in `like`'s offset.
    fn on(&self, like: &Moment, day: jiff::civil::Date) -> Option<Moment> {
        let (h, m) = self.at.unwrap_or((0, 0));
        like.with_local(DateTime::from_parts(day, jiff::civil::time(h, m, 0, 0)))
    }

    /// The first occurrence after `t` (`forward`) or before it.
    fn step(&self, t: &Moment, forward: bool) -> Option<Moment> {
        let dir: i64 = if forward { 1 } else { -1 };
        let beyond = |c: &Moment| if forward { c.ts > t.ts } else { c.ts < t.ts };
        let today = t.local().date();
        match self.rule {
            Rule::Interval { count, unit } => match self.at {
                None => shift(t, dir * count, unit),
                Some(_) => {
                    let c = self.on(t, today)?;
                    if beyond(&c) {
                        Some(c)
                    } else {
                        shift(&c, dir * count, unit)
                    }
                }
            },
            Rule::Days(mask) => (0..=7).find_map(|k: i64| {
                let day = today.checked_add((dir * k).days()).ok()?;
                let c = self.on(t, day)?;
                (mask & bit(day.weekday()) != 0 && beyond(&c)).then_some(c)
            }),
            Rule::Nth { nth, day } => (0..=13).find_map(|k: i64| {
                let month = today
                    .first_of_month()
                    .checked_add((dir * k).months())
                    .ok()?;
                let c = self.on(t, month.nth_weekday_of_month(nth, day).ok()?)?;
                beyond(&c).then_some(c)
            }),
        }
    }

    /// The next occurrence strictly after `t` (`None` beyond year 9999).
    pub fn next(&self, t: &Moment) -> Option<Moment> {
        self.step(t, true)
    }

    /// The last occurrence strictly before `t`.
    pub fn previous(&self, t: &Moment) -> Option<Moment> {
        self.step(t, false)
    }
}

/// The recurrence value of `pattern` as seen at `now`: `{pattern, next, previous, occurrences}`.
pub fn value(pattern: &str, now: &Moment) -> Result<Value, String> {
    let r = parse(pattern)?;
    let iso = |m: Option<Moment>| m.map_or(Value::Null, |m| Value::str(&m.iso()));
    let mut upcoming = Vec::with_capacity(LISTED_OCCURRENCES);
    let mut t = *now;
    while upcoming.len() < LISTED_OCCURRENCES {
        let Some(n) = r.next(&t) else { break };
        upcoming.push(Value::str(&n.iso()));
        t = n;
    }
    let mut o = Object::with_capacity(4);
    o.insert(Rc::from("pattern"), Value::str(pattern.trim()));
    o.insert(Rc::from("next"), iso(r.next(now)));
    o.insert(Rc::from("previous"), iso(r.previous(now)));
    o.insert(Rc::from("occurrences"), Value::list(upcoming));
    Ok(Value::Object(Rc::new(o)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::date::parse as date;

    fn next(p: &str, at: &str) -> String {
        parse(p).unwrap().next(&date(at).unwrap()).unwrap().iso()
    }

    fn prev(p: &str, at: &str) -> String {
        parse(p)
            .unwrap()
            .previous(&date(at).unwrap())
            .unwrap()
            .iso()
    }

    #[test]
    fn occurrences() {
        // 2025-06-11 is a Wednesday.
        let wed = "2025-06-11T10:00:00Z";
        assert_eq!(next("every monday", wed), "2025-06-16T00:00:00Z");
        assert_eq!(prev("every monday", wed), "2025-06-09T00:00:00Z");
        assert_eq!(
            next("every wednesday at 12:30", wed),
            "2025-06-11T12:30:00Z"
        );
        assert_eq!(
            next("every wednesday at 09:00", wed),
            "2025-06-18T09:00:00Z"
        );
        assert_eq!(
            next("every weekday", "2025-06-13T10:00:00Z"),
            "2025-06-16T00:00:00Z"
        );
        assert_eq!(next("every weekend", wed), "2025-06-14T00:00:00Z");
        assert_eq!(next("every last friday", wed), "2025-06-27T00:00:00Z");
        assert_eq!(
            next("every last friday", "2025-06-28T00:00:00Z"),
            "2025-07-25T00:00:00Z"
        );
        assert_eq!(prev("every first monday", wed), "2025-06-02T00:00:00Z");
        assert_eq!(next("every 2 weeks", wed), "2025-06-25T10:00:00Z");
        assert_eq!(next("every 3rd day", wed), "2025-06-14T10:00:00Z");
        assert_eq!(next("every day at 03:00", wed), "2025-06-12T03:00:00Z");
        assert_eq!(
            next("every month", "2025-01-31T00:00:00Z"),
            "2025-02-28T00:00:00Z"
        );
        // A fifth Friday is skipped in months that have none.
        assert_eq!(
            next("every fifth friday", "2025-06-01T00:00:00Z"),
            "2025-08-29T00:00:00Z"
        );
    }

    #[test]
    fn bad_patterns_say_what_is_expected() {
        for p in [
            "daily",
            "every",
            "every blursday",
            "every 0 days",
            "every sixth monday",
            "every day at 25:00",
            "every hour at 10:00",
            "every 2 fortnights",
        ] {
            let e = parse(p).unwrap_err();
            assert!(e.contains(p), "{e}");
        }
    }
}
