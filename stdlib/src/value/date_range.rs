//! Date ranges and distances (ARO-0041): a range is an object `{start, end, seconds, minutes,
//! hours, days, weeks}` (spans whole and non-negative, as the reference counts them); a distance
//! is `{seconds, minutes, hours, days, weeks}`, signed (negative when `to` is before `from`).

use super::date::{self, Moment};
use super::{Object, Value};
use std::rc::Rc;

fn spans(o: &mut Object, secs: i64) {
    for (name, unit) in [
        ("seconds", 1),
        ("minutes", 60),
        ("hours", 3600),
        ("days", 86_400),
        ("weeks", 604_800),
    ] {
        o.insert(Rc::from(name), Value::Int(secs / unit));
    }
}

/// The range from `start` to `end` (either order; spans count the time between them).
pub fn range(start: &Moment, end: &Moment) -> Value {
    let mut o = Object::with_capacity(7);
    o.insert(Rc::from("start"), Value::str(&start.iso()));
    o.insert(Rc::from("end"), Value::str(&end.iso()));
    spans(&mut o, (end.secs() - start.secs()).abs());
    Value::Object(Rc::new(o))
}

/// The signed distance from `from` to `to`.
pub fn distance(from: &Moment, to: &Moment) -> Value {
    let mut o = Object::with_capacity(5);
    spans(&mut o, to.secs() - from.secs());
    Value::Object(Rc::new(o))
}

/// The bounds (earlier, later) in epoch seconds of an object that is a date range: its `start`
/// and `end` are dates.
pub fn bounds(o: &Object) -> Option<(i64, i64)> {
    let a = date::parse_iso(o.get("start")?.as_str()?)?;
    let b = date::parse_iso(o.get("end")?.as_str()?)?;
    Some((a.min(b), a.max(b)))
}

/// `date in range`: whether a date string lies in a date range, both ends included (`None` when
/// `range` is not a date range or `date` not a date).
pub fn contains(range: &Object, date: &str) -> Option<bool> {
    let (lo, hi) = bounds(range)?;
    let t = date::parse_iso(date)?;
    Some(lo <= t && t <= hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_membership() {
        let a = date::parse("2024-01-01").unwrap();
        let b = date::parse("2024-01-15").unwrap();
        let r = range(&a, &b);
        let Value::Object(r) = &r else { panic!() };
        assert_eq!(r.get("days").and_then(Value::as_i64), Some(14));
        assert_eq!(r.get("hours").and_then(Value::as_i64), Some(336));
        assert_eq!(r.get("weeks").and_then(Value::as_i64), Some(2));
        assert_eq!(contains(r, "2024-01-15T00:00:00Z"), Some(true));
        assert_eq!(contains(r, "2024-01-15T00:00:01Z"), Some(false));
        assert_eq!(contains(r, "soon"), None);
        let d = distance(&b, &a);
        let Value::Object(d) = &d else { panic!() };
        assert_eq!(d.get("days").and_then(Value::as_i64), Some(-14));
    }
}
