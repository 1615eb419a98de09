//! Field guards of event handlers (ARO-0022): `(Audit: Paid Handler<status:paid,settled;region:eu>)`
//! runs only for events whose payload matches. `;` joins conditions (all must hold), `,` lists the
//! values one condition accepts, a field may be a dotted path into the payload, and values compare
//! as text without regard to case.

use arovm_stdlib::value::{to_display, Value};

/// The conditions of one handler's guard.
#[derive(Debug, Clone, PartialEq)]
pub struct Guard {
    /// (field path, accepted values in lower case).
    conditions: Vec<(Vec<String>, Vec<String>)>,
}

/// Splits an activity into its plain form and its guard text: `Paid Handler<status:paid>` →
/// (`Paid Handler`, `Some("status:paid")`).
pub fn split_activity(activity: &str) -> (&str, Option<&str>) {
    match (activity.find('<'), activity.rfind('>')) {
        (Some(lo), Some(hi)) if lo < hi => (activity[..lo].trim_end(), Some(&activity[lo + 1..hi])),
        _ => (activity, None),
    }
}

impl Guard {
    /// Parses guard text (`status:paid,settled;amount:3`); `None` when it holds no condition.
    pub fn parse(text: &str) -> Option<Guard> {
        let conditions: Vec<(Vec<String>, Vec<String>)> = text
            .split(';')
            .filter_map(|part| {
                let (field, values) = part.split_once(':')?;
                let path: Vec<String> = field
                    .trim()
                    .split('.')
                    .map(|s| s.trim().to_string())
                    .collect();
                let values: Vec<String> = values
                    .split(',')
                    .map(|v| v.trim().to_lowercase())
                    .filter(|v| !v.is_empty())
                    .collect();
                (!path.iter().any(String::is_empty) && !values.is_empty()).then_some((path, values))
            })
            .collect();
        (!conditions.is_empty()).then_some(Guard { conditions })
    }

    /// True when every condition holds for `payload`.
    pub fn admits(&self, payload: &Value) -> bool {
        self.conditions.iter().all(|(path, values)| {
            let mut v = payload;
            for key in path {
                match v {
                    Value::Object(o) => match o.get(key) {
                        Some(x) => v = x,
                        None => return false,
                    },
                    _ => return false,
                }
            }
            let text = to_display(v).to_lowercase();
            values.contains(&text)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        Value::object(pairs.into_iter().map(|(k, v)| (Rc::from(k), v)).collect())
    }

    #[test]
    fn conditions_and_alternatives() {
        let g = Guard::parse("status:Paid,settled;amount:3").unwrap();
        let paid = obj(vec![
            ("status", Value::str("PAID")),
            ("amount", Value::Int(3)),
        ]);
        let settled = obj(vec![
            ("status", Value::str("settled")),
            ("amount", Value::Int(3)),
        ]);
        let small = obj(vec![
            ("status", Value::str("paid")),
            ("amount", Value::Int(2)),
        ]);
        assert!(g.admits(&paid) && g.admits(&settled));
        assert!(!g.admits(&small), "both conditions must hold");
        assert!(
            !g.admits(&obj(vec![("amount", Value::Int(3))])),
            "a missing field never matches"
        );
    }

    #[test]
    fn dotted_paths_reach_nested_payloads() {
        let g = Guard::parse("order.status:shipped").unwrap();
        let ev = obj(vec![(
            "order",
            obj(vec![("status", Value::str("shipped"))]),
        )]);
        assert!(g.admits(&ev));
        assert!(!g.admits(&obj(vec![("order", Value::str("shipped"))])));
    }

    #[test]
    fn activities_split_and_empty_guards_are_none() {
        assert_eq!(
            split_activity("StateTransition Handler<toState:closed>"),
            ("StateTransition Handler", Some("toState:closed"))
        );
        assert_eq!(split_activity("Paid Handler"), ("Paid Handler", None));
        assert_eq!(Guard::parse("nothing"), None);
        assert_eq!(Guard::parse("a:"), None);
    }
}
