//! Log lines: levels (`ARO_LOG_LEVEL`, ARO-0059), text or JSON (`--log-format`), the access log
//! switch, and the one function that formats a line. In JSON mode every line is one object built
//! by serde_json, so no text can forge or break a line; in text mode control characters in
//! values are escaped and values with spaces or quotes are quoted.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// How important a line is (the reference's levels, ARO-0059).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Very fine detail.
    Trace = 0,
    /// Detail for debugging.
    Debug = 1,
    /// Normal operation (the default threshold; access lines are `info`).
    Info = 2,
    /// Something unexpected that the runtime handled.
    Warning = 3,
    /// A failure (a handler failed, a listener could not start).
    Error = 4,
    /// The process cannot go on.
    Fatal = 5,
}

impl Level {
    /// Parses a level name (`trace`, `debug`, `info`, `warning`/`warn`, `error`, `fatal`).
    pub fn parse(text: &str) -> Option<Level> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "trace" => Level::Trace,
            "debug" => Level::Debug,
            "info" => Level::Info,
            "warning" | "warn" => Level::Warning,
            "error" => Level::Error,
            "fatal" | "critical" => Level::Fatal,
            _ => return None,
        })
    }

    /// The level's name as it appears in lines.
    pub fn name(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }
}

/// Line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `2026-01-02T03:04:05.678Z info request key=value …` (app `Log` lines keep the reference's
    /// `[FeatureSet] text`).
    Text,
    /// One JSON object per line.
    Json,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);
static JSON: AtomicBool = AtomicBool::new(false);
static ACCESS: AtomicBool = AtomicBool::new(true);

/// Sets the process's logging configuration (once, at start-up).
pub fn configure(level: Level, format: Format, access_log: bool) {
    LEVEL.store(level as u8, Ordering::Relaxed);
    JSON.store(format == Format::Json, Ordering::Relaxed);
    ACCESS.store(access_log, Ordering::Relaxed);
}

/// True when lines of `level` are written.
pub fn enabled(level: Level) -> bool {
    level as u8 >= LEVEL.load(Ordering::Relaxed)
}

/// The configured format.
pub fn format() -> Format {
    if JSON.load(Ordering::Relaxed) {
        Format::Json
    } else {
        Format::Text
    }
}

/// True when access lines (one per request, one per closed WebSocket/TCP connection) are on.
pub fn access_enabled() -> bool {
    ACCESS.load(Ordering::Relaxed) && enabled(Level::Info)
}

/// A value in a line.
#[derive(Clone, Copy, Debug)]
pub enum Field<'a> {
    /// Text (escaped or quoted as needed).
    Str(&'a str),
    /// A whole number.
    Int(i64),
    /// A number with three decimals (durations in milliseconds).
    Ms(f64),
    /// An address (written without an allocation).
    Ip(std::net::IpAddr),
}

thread_local! {
    /// The last second's `2026-01-02T03:04:05` (formatted once a second, not once a line).
    static SECOND: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((u64::MAX, String::new())) };
}

/// Appends the current time as `2026-01-02T03:04:05.678Z`.
fn push_timestamp(out: &mut String) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    SECOND.with(|s| {
        let mut s = s.borrow_mut();
        if s.0 != d.as_secs() {
            let iso = arovm_stdlib::value::date::format_iso(d.as_secs() as i64);
            *s = (d.as_secs(), iso.trim_end_matches('Z').to_string());
        }
        out.push_str(&s.1);
    });
    let ms = d.subsec_millis();
    out.push('.');
    for digit in [ms / 100, ms / 10 % 10, ms % 10] {
        out.push((b'0' + digit as u8) as char);
    }
    out.push('Z');
}

/// The current time as `2026-01-02T03:04:05.678Z`.
pub fn timestamp() -> String {
    let mut s = String::with_capacity(24);
    push_timestamp(&mut s);
    s
}

/// Formats one line (without the newline) in the configured format.
pub fn line(level: Level, msg: &str, fields: &[(&str, Field)]) -> String {
    render(format(), &timestamp(), level, msg, fields)
}

/// Formats one line in `format` with the given timestamp (the testable core of [`line`]).
pub fn render(
    format: Format,
    ts: &str,
    level: Level,
    msg: &str,
    fields: &[(&str, Field)],
) -> String {
    match format {
        Format::Json => {
            let mut o = serde_json::Map::new();
            o.insert("ts".into(), ts.into());
            o.insert("level".into(), level.name().into());
            o.insert("msg".into(), msg.into());
            for (k, v) in fields {
                let v = match *v {
                    Field::Str(s) => serde_json::Value::from(s),
                    Field::Int(n) => serde_json::Value::from(n),
                    Field::Ms(x) => serde_json::Number::from_f64((x * 1000.0).round() / 1000.0)
                        .map_or(serde_json::Value::Null, serde_json::Value::Number),
                    Field::Ip(ip) => serde_json::Value::from(ip.to_string()),
                };
                o.insert((*k).to_string(), v);
            }
            serde_json::Value::Object(o).to_string()
        }
        Format::Text => {
            let mut s = String::with_capacity(128);
            s.push_str(ts);
            render_text_rest(&mut s, level, msg, fields);
            s
        }
    }
}

/// A text line after its timestamp.
fn render_text_rest(s: &mut String, level: Level, msg: &str, fields: &[(&str, Field)]) {
    s.push(' ');
    s.push_str(level.name());
    s.push(' ');
    push_text(s, msg, false);
    for (k, v) in fields {
        s.push(' ');
        s.push_str(k);
        s.push('=');
        match *v {
            Field::Str(x) => push_text(s, x, true),
            Field::Int(n) => push_int(s, n),
            Field::Ms(x) => push_ms(s, x),
            Field::Ip(std::net::IpAddr::V4(ip)) => {
                for (i, octet) in ip.octets().into_iter().enumerate() {
                    if i > 0 {
                        s.push('.');
                    }
                    push_int(s, i64::from(octet));
                }
            }
            Field::Ip(ip) => {
                let _ = write!(s, "{ip}");
            }
        }
    }
}

/// Appends `n` in decimal (without the formatting machinery: an access line has five numbers).
fn push_int(out: &mut String, n: i64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Appends milliseconds with three decimals, as `{x:.3}` does (rounded to the nearest
/// microsecond; ties, which a measured duration never hits exactly, may differ in the last digit).
fn push_ms(out: &mut String, x: f64) {
    if !(0.0..1e15).contains(&x) {
        let _ = write!(out, "{x:.3}");
        return;
    }
    let micros = (x * 1000.0).round() as u64;
    push_int(out, (micros / 1000) as i64);
    out.push('.');
    let frac = micros % 1000;
    for d in [frac / 100, frac / 10 % 10, frac % 10] {
        out.push((b'0' + d as u8) as char);
    }
}

/// Appends `text` with control characters escaped; as a value (`quote_if_needed`) it is quoted
/// when empty or when it holds spaces, quotes, `=` or escapes.
fn push_text(out: &mut String, text: &str, quote_if_needed: bool) {
    // Most values (paths, ids, methods) are printable ASCII with nothing to quote: one copy.
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && !(quote_if_needed && matches!(b, b'"' | b'=' | b'\\')))
    {
        out.push_str(text);
        return;
    }
    let needs_quotes = quote_if_needed
        && (text.is_empty()
            || text
                .chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '=' || c == '\\' || c.is_control()));
    if needs_quotes {
        out.push('"');
    }
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' if needs_quotes => out.push_str("\\\""),
            '\\' if needs_quotes => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    if needs_quotes {
        out.push('"');
    }
}

/// Escapes control characters other than newline and tab (text-mode app `Log` lines: a logged
/// value cannot move the cursor, clear the screen or hide text). Its line breaks stay, as in the
/// reference (a logged object prints one line per field), so a value can still start a line of
/// its own; `--log-format json` keeps every `Log` in one line.
pub fn escape_app_text(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

thread_local! {
    /// Access lines of this loop turn, written together by [`flush`].
    static PENDING: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Pending access lines are written once they reach this size, or at the end of the turn.
const PENDING_MAX: usize = 64 * 1024;

/// Writes a runtime line to stderr when `level` is enabled (after any pending access lines, so
/// the order holds).
pub fn emit(level: Level, msg: &str, fields: &[(&str, Field)]) {
    if enabled(level) {
        flush();
        let mut l = line(level, msg, fields);
        l.push('\n');
        let _ = std::io::stderr().lock().write_all(l.as_bytes());
    }
}

/// Queues an access line (info); the lines of one loop turn leave in one `write` (see
/// [`flush`]), so a busy server pays one syscall per turn for its access log, not one per
/// request.
pub fn emit_access(msg: &str, fields: &[(&str, Field)]) {
    if !access_enabled() {
        return;
    }
    let full = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        match format() {
            // Text lines are written straight into the turn's buffer: no line is allocated.
            Format::Text => {
                p.reserve(256); // one capacity check for the line, not one per piece
                push_timestamp(&mut p);
                render_text_rest(&mut p, Level::Info, msg, fields);
            }
            Format::Json => {
                let l = line(Level::Info, msg, fields);
                p.push_str(&l);
            }
        }
        p.push('\n');
        p.len() >= PENDING_MAX
    });
    if full {
        flush();
    }
}

/// Writes the queued access lines (the reactor calls this before it waits, and at exit).
pub fn flush() {
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        if !p.is_empty() {
            let _ = std::io::stderr().lock().write_all(p.as_bytes());
            p.clear();
            if p.capacity() > PENDING_MAX * 2 {
                p.shrink_to(PENDING_MAX);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const TS: &str = "2026-01-02T03:04:05.678Z";

    #[test]
    fn text_lines_quote_and_escape_values() {
        let l = render(
            Format::Text,
            TS,
            Level::Info,
            "request",
            &[
                ("path", Field::Str("/a b\n2026 info forged")),
                ("status", Field::Int(200)),
                ("duration_ms", Field::Ms(0.41234)),
                ("empty", Field::Str("")),
            ],
        );
        assert_eq!(
            l,
            "2026-01-02T03:04:05.678Z info request path=\"/a b\\n2026 info forged\" status=200 duration_ms=0.412 empty=\"\""
        );
        assert!(!l.contains('\n'));
    }

    #[test]
    fn numbers_and_addresses_are_written_as_format_writes_them() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for n in [0, 7, -7, 10, 99, 100, i64::MAX, i64::MIN] {
            let mut s = String::new();
            push_int(&mut s, n);
            assert_eq!(s, n.to_string());
        }
        for _ in 0..20_000 {
            let n = next() as i64 >> (next() % 64);
            let mut s = String::new();
            push_int(&mut s, n);
            assert_eq!(s, n.to_string());
            // Durations as the reactor measures them: whole nanoseconds, in milliseconds.
            let ms = (next() % 10_000_000_000) as f64 / 1e6;
            let mut s = String::new();
            push_ms(&mut s, ms);
            let micros = (ms * 1000.0).round();
            let exact_tie = (ms * 1000.0 - (ms * 1000.0).floor() - 0.5).abs() < 1e-9;
            if !exact_tie {
                assert_eq!(s, format!("{ms:.3}"), "{ms} ({micros} us)");
            }
            let ip = std::net::IpAddr::from((next() as u32).to_be_bytes());
            let l = render(Format::Text, TS, Level::Info, "m", &[("ip", Field::Ip(ip))]);
            assert!(l.ends_with(&format!(" ip={ip}")), "{l}");
        }
    }

    #[test]
    fn json_lines_are_one_object_whatever_the_text() {
        let evil = "x\"}\n{\"level\":\"error\",\u{1b}[2J";
        let l = render(
            Format::Json,
            TS,
            Level::Warning,
            evil,
            &[("path", Field::Str(evil)), ("n", Field::Int(-1))],
        );
        assert!(!l.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["msg"], evil);
        assert_eq!(v["path"], evil);
        assert_eq!(v["level"], "warning");
        assert_eq!(v["n"], -1);
    }

    #[test]
    fn app_text_keeps_line_breaks_but_not_terminal_controls() {
        assert_eq!(escape_app_text("plain"), "plain");
        assert_eq!(escape_app_text("a\nb\tc"), "a\nb\tc");
        assert_eq!(escape_app_text("a\u{1b}[2Jb\r"), "a\\u{1b}[2Jb\\r");
    }

    #[test]
    fn levels_parse_like_the_reference() {
        assert_eq!(Level::parse("WARN"), Some(Level::Warning));
        assert_eq!(Level::parse("debug"), Some(Level::Debug));
        assert_eq!(Level::parse("loud"), None);
        assert!(Level::Error > Level::Info);
    }
}
