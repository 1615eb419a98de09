//! Dates and recurrences (ARO-0041) against the calendar: every valid civil date and time, shown
//! with any offset, prints and parses back to the same moment; a day the month does not have is
//! refused; offsets in days move by whole days and months clamp the day; recurrences land on the
//! weekday they name, strictly after (before) their reference; nothing panics on any text.

use arovm_stdlib::value::date::{self, Moment};
use arovm_stdlib::value::recurrence;
use proptest::prelude::*;

fn days_in(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn text(y: i64, m: i64, d: i64, h: i64, mi: i64, s: i64, off: i64) -> String {
    let zone = if off == 0 {
        "Z".to_string()
    } else {
        let a = off.abs();
        format!(
            "{}{:02}:{:02}",
            if off < 0 { '-' } else { '+' },
            a / 60,
            a % 60
        )
    };
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}{zone}")
}

proptest! {
    #[test]
    fn valid_dates_round_trip(y in 1i64..9999, m in 1i64..=12, d in 1i64..=31,
                              h in 0i64..24, mi in 0i64..60, s in 0i64..60,
                              off in prop::sample::select(vec![0i64, 60, -300, 330, -570, 840])) {
        let t = text(y, m, d, h, mi, s, off);
        let parsed = date::parse(&t);
        if d > days_in(y, m) {
            prop_assert_eq!(parsed, None, "{} was accepted", t);
        } else if let Some(p) = parsed {
            prop_assert_eq!(p.iso(), t.clone());
            prop_assert_eq!(date::property(&p, "hour").and_then(|v| v.as_i64()), Some(h));
            prop_assert_eq!(date::property(&p, "day").and_then(|v| v.as_i64()), Some(d));
        } else {
            // Only the ends of the range (years 0..=9999) may refuse an offset moment.
            prop_assert!(y <= 1 || y >= 9998, "{} was refused", t);
        }
    }

    #[test]
    fn day_offsets_move_whole_days(secs in 0i64..250_000_000_000, n in -100_000i64..100_000) {
        let m = Moment::utc(secs).unwrap();
        if let Some(moved) = date::offset(&m, &format!("{}{}d", if n < 0 { '-' } else { '+' }, n.abs())) {
            prop_assert_eq!(moved.secs() - m.secs(), n * 86_400);
        }
    }

    #[test]
    fn month_offsets_clamp_the_day(y in 1900i64..2100, m in 1i64..=12, d in 1i64..=31, n in 1i64..40) {
        prop_assume!(d <= days_in(y, m));
        let start = date::parse(&format!("{y:04}-{m:02}-{d:02}")).unwrap();
        let moved = date::offset(&start, &format!("+{n}M")).unwrap();
        let total = y * 12 + (m - 1) + n;
        let (ny, nm) = (total / 12, total % 12 + 1);
        prop_assert_eq!(moved.iso(), format!("{ny:04}-{nm:02}-{:02}T00:00:00Z", d.min(days_in(ny, nm))));
    }

    #[test]
    fn weekday_recurrences_land_on_their_day(secs in 0i64..4_000_000_000,
            day in prop::sample::select(vec!["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]),
            ord in prop::sample::select(vec!["", "first ", "second ", "last "])) {
        let m = Moment::utc(secs).unwrap();
        let r = recurrence::parse(&format!("every {ord}{day}")).unwrap();
        let next = r.next(&m).unwrap();
        let prev = r.previous(&m).unwrap();
        prop_assert!(prev.ts < m.ts && m.ts < next.ts);
        for o in [next, prev] {
            let name = date::property(&o, "dayofweek").unwrap();
            prop_assert_eq!(name.as_str().map(str::to_ascii_lowercase), Some(day.to_string()));
            prop_assert_eq!(date::property(&o, "hour").and_then(|v| v.as_i64()), Some(0));
        }
        if ord.is_empty() {
            prop_assert!(next.secs() - m.secs() <= 7 * 86_400);
        }
    }

    #[test]
    fn any_text_is_refused_or_parsed_without_panicking(s in "\\PC{0,40}") {
        if let Some(m) = date::parse(&s) {
            prop_assert_eq!(date::parse(&m.iso()), Some(m));
        }
        let _ = recurrence::parse(&s);
        let _ = date::offset(&Moment::utc(0).unwrap(), &s);
    }
}

/// Inputs the `dates` fuzz target once crashed on (`fuzz/regressions/dates/`), checked as it
/// checks them: a date prints as a date that parses back, and so does a moved one.
#[test]
fn fuzz_regressions_hold() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/regressions/dates");
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let (head, tail) = text.split_once('|').unwrap_or((&text, "+1d"));
        if let Some(m) = date::parse(head) {
            assert_eq!(date::parse(&m.iso()), Some(m));
            if let Some(moved) = date::offset(&m, tail) {
                assert_eq!(date::parse(&moved.iso()), Some(moved), "{tail}");
            }
        }
    }
}
