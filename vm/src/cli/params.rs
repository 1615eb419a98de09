//! Application parameters (ARO-0047): the flags after `arovm run DIR` / `arovm app.arob` that
//! are not arovm's own become `<parameter>` (`--url x`, `--count=5`, `--verbose`, `-vf`);
//! arovm's own flags are consumed by arovm and visible to the app too.

use arovm_stdlib::value::Value;
use std::rc::Rc;

/// Run flags arovm itself takes without a value.
const RUN_SWITCHES: &[&str] = &[
    "keep-alive",
    "profile-actions",
    "debug-errors",
    "debug",
    "no-access-log",
    "deny-warnings",
    "help",
];

/// Run flags arovm itself takes with a value.
const RUN_OPTIONS: &[&str] = &[
    "port",
    "bind",
    "log-format",
    "admin",
    "trusted-proxy",
    "tls-cert",
    "tls-key",
    "record",
    "replay",
];

/// Splits the arguments of a run (after `run`, or starting at the `.arob` path) into the ones
/// arovm's flag parser reads and the app's parameters, in order.
pub(super) fn split(args: &[&str]) -> (Vec<String>, Vec<(Rc<str>, Value)>) {
    let mut ours = Vec::new();
    let mut params = Vec::new();
    read(args, true, &mut ours, &mut params);
    (ours, params)
}

/// Reads `args` into `ours` (arovm's flags and positionals, when `known`) and `params`. After
/// `--`, and in what follows it, no flag is arovm's.
fn read(args: &[&str], known: bool, ours: &mut Vec<String>, params: &mut Vec<(Rc<str>, Value)>) {
    let mut set = |key: &str, v: Value| match params.iter_mut().find(|(k, _)| &**k == key) {
        Some(entry) => entry.1 = v, // the last occurrence wins
        None => params.push((Rc::from(key), v)),
    };
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        i += 1;
        if a == "--" && known {
            let mut rest = Vec::new();
            read(&args[i..], false, ours, &mut rest);
            for (k, v) in rest {
                set(&k, v);
            }
            return;
        }
        if let Some(long) = a.strip_prefix("--").filter(|l| !l.is_empty()) {
            let (key, inline) = match long.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (long, None),
            };
            let switch = known && RUN_SWITCHES.contains(&key);
            let takes_value = known && RUN_OPTIONS.contains(&key);
            if switch || takes_value {
                ours.push(a.to_string());
            }
            let value = match inline {
                Some(v) => Some(v.to_string()),
                None if takes_value
                    || (!switch && args.get(i).is_some_and(|n| !n.starts_with('-'))) =>
                {
                    let v = args.get(i).map(|s| s.to_string());
                    if v.is_some() {
                        if takes_value {
                            ours.push(args[i].to_string());
                        }
                        i += 1;
                    }
                    v
                }
                None => None,
            };
            set(key, value.as_deref().map_or(Value::Bool(true), coerce));
        } else if let Some(short) = a.strip_prefix('-').filter(|s| !s.is_empty()) {
            // Short options are flags only: `-abc` is a, b and c.
            for c in short.chars() {
                set(&c.to_string(), Value::Bool(true));
            }
        } else if known {
            ours.push(a.to_string());
        }
    }
}

/// ARO-0047's coercion: digits → Int, digits.digits → Float, `true`/`false` → Bool, else text.
fn coerce(v: &str) -> Value {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(v) {
        if let Ok(n) = v.parse::<i64>() {
            return Value::Int(n);
        }
    }
    if let Some((a, b)) = v.split_once('.') {
        if digits(a) && digits(b) {
            if let Ok(f) = v.parse::<f64>() {
                return Value::Float(f);
            }
        }
    }
    match v {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::str(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(args: &[&str]) -> (Vec<String>, String) {
        let (ours, params) = split(args);
        let text = params
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect::<Vec<_>>()
            .join(" ");
        (ours, text)
    }

    #[test]
    fn the_proposals_forms_become_typed_parameters() {
        let (ours, p) = show(&[
            "app",
            "--url",
            "http://x",
            "--count=5",
            "--rate",
            "1.5",
            "--verbose",
        ]);
        assert_eq!(ours, ["app"]);
        assert_eq!(
            p,
            r#"url=Str("http://x") count=Int(5) rate=Float(1.5) verbose=Bool(true)"#
        );
        let (_, p) = show(&["app", "-vf", "--on", "false"]);
        assert_eq!(p, "v=Bool(true) f=Bool(true) on=Bool(false)");
    }

    #[test]
    fn arovms_own_flags_stay_arovms_and_are_visible_to_the_app() {
        let (ours, p) = show(&["app", "--port", "8081", "--keep-alive", "--name", "Ada"]);
        assert_eq!(ours, ["app", "--port", "8081", "--keep-alive"]);
        assert_eq!(p, r#"port=Int(8081) keep-alive=Bool(true) name=Str("Ada")"#);
        let (ours, p) = show(&["app", "--", "--port", "9", "-x"]);
        assert_eq!(ours, ["app"]);
        assert_eq!(p, "port=Int(9) x=Bool(true)");
    }
}
