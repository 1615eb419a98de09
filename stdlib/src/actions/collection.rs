//! Collection actions: Sort, Split, Join, Map, Reduce, Filter, Group.

use super::where_clause;
use crate::action::{ActionError, Call, Outcome};
use crate::value::{compare, to_description, to_display, Object, Value};
use std::cmp::Ordering;
use std::rc::Rc;

fn list_of(v: Value) -> Result<Rc<Vec<Value>>, ActionError> {
    match &v {
        Value::List(l) => Ok(l.clone()),
        other => Err(ActionError::new(format!(
            "Type mismatch: expected 'List', got '{}'",
            other.type_name()
        ))),
    }
}

/// `Sort the <x[: descending]> for <list> [by <field>]`.
pub(crate) fn sort(call: &Call) -> Result<Outcome, ActionError> {
    let l = list_of(call.object_value()?)?;
    let desc = call
        .result
        .specs
        .iter()
        .chain(std::iter::once(&call.result.name))
        .any(|s| s.eq_ignore_ascii_case("descending"));
    let field = call.clause(&["by"]).map(|o| match &o.value {
        Some(Value::Str(s)) => s.to_string(),
        _ => o.name.to_string(),
    });
    let mut v: Vec<Value> = l.iter().cloned().collect();
    v.sort_by(|a, b| {
        let (x, y) = match &field {
            Some(f) => (
                a.member(f).unwrap_or_default(),
                b.member(f).unwrap_or_default(),
            ),
            None => (a.clone(), b.clone()),
        };
        compare(&x, &y).unwrap_or(Ordering::Equal)
    });
    if desc {
        v.reverse();
    }
    Ok(Outcome::Bind(Value::list(v)))
}

fn pattern(call: &Call) -> Result<regex::Regex, ActionError> {
    let by = call
        .clause(&["by"])
        .ok_or_else(|| ActionError::new("Split requires a 'by' clause"))?;
    let (pat, flags) = match &by.value {
        Some(Value::Object(o)) if o.get("regex").is_some() => (
            o.get("regex").map(to_display).unwrap_or_default(),
            o.get("flags").map(to_display).unwrap_or_default(),
        ),
        Some(v) => (regex::escape(&to_display(v)), String::new()),
        None => return Err(ActionError::new("Split requires a pattern")),
    };
    build_regex(&pat, &flags)
}

/// Builds a regex from a pattern and `i`/`s`/`m` flags.
pub(crate) fn build_regex(pat: &str, flags: &str) -> Result<regex::Regex, ActionError> {
    let mut b = regex::RegexBuilder::new(pat);
    b.case_insensitive(flags.contains('i'))
        .dot_matches_new_line(flags.contains('s'))
        .multi_line(flags.contains('m'));
    b.build()
        .map_err(|e| ActionError::new(format!("Invalid regex: {e}")))
}

/// `Split the <parts> from <string> by /re/`.
pub(crate) fn split(call: &Call) -> Result<Outcome, ActionError> {
    let v = call.object_value()?;
    let Value::Str(s) = &v else {
        return Err(ActionError::new("Split requires a string"));
    };
    let re = pattern(call)?;
    let parts: Vec<Value> = re.split(s).map(Value::str).collect();
    Ok(Outcome::Bind(Value::list(parts)))
}

/// `Join the <s> from <list> with ", "`.
pub(crate) fn join(call: &Call) -> Result<Outcome, ActionError> {
    let v = call.object_value()?;
    let sep = match call.with_value().as_ref() {
        Some(Value::Str(s)) => s.to_string(),
        _ => String::new(),
    };
    let out = match &v {
        Value::List(l) => l
            .iter()
            .map(|x| match x {
                Value::Str(s) => s.to_string(),
                other => to_description(other),
            })
            .collect::<Vec<_>>()
            .join(&sep),
        other => to_description(other),
    };
    Ok(Outcome::Bind(Value::str(&out)))
}

const TYPE_NAMES: &[&str] = &[
    "List",
    "Array",
    "Set",
    "Integer",
    "Int",
    "Float",
    "Double",
    "Number",
    "String",
    "Boolean",
    "Bool",
    "Object",
    "Dictionary",
    "Map",
];

/// `Map the <names: name> from <list>`: the field of every object.
pub(crate) fn map(call: &Call) -> Result<Outcome, ActionError> {
    let v = call.object_value()?;
    let field = call.result.specs.iter().find(|s| !TYPE_NAMES.contains(s));
    let out = match (&v, field) {
        (Value::List(l), Some(f)) => Value::list(
            l.iter()
                .filter_map(|x| match x {
                    Value::Object(o) => o.get(f).cloned(),
                    _ => None,
                })
                .collect(),
        ),
        (Value::Object(o), Some(f)) => o
            .get(f)
            .cloned()
            .ok_or_else(|| ActionError::new(format!("Property '{f}' not found")))?,
        _ => v.clone(),
    };
    Ok(Outcome::Bind(out))
}

/// `Reduce the <total> from <list> with sum(<field>)`.
pub(crate) fn reduce(call: &Call) -> Result<Outcome, ActionError> {
    let v = call.object_value()?;
    let (func, field) = match call.clause(&["with"]).and_then(|o| o.value.as_ref()) {
        Some(Value::Object(o)) if o.get("aggregate").is_some() => (
            o.get("aggregate").map(to_display).unwrap_or_default(),
            o.get("field").map(to_display).filter(|s| !s.is_empty()),
        ),
        _ => (
            call.result.spec().unwrap_or("count").to_ascii_lowercase(),
            call.result.specs.get(1).map(|s| s.to_string()),
        ),
    };
    let Value::List(l) = &v else {
        return Ok(Outcome::Bind(if func == "count" {
            Value::Int(1)
        } else {
            v
        }));
    };
    let nums: Vec<f64> = l
        .iter()
        .filter_map(|x| match (x, &field) {
            (Value::Object(o), Some(f)) => o.get(f).and_then(|y| y.as_f64()),
            (other, _) => other.as_f64(),
        })
        .collect();
    let out = match func.as_str() {
        // Folded from +0.0: `Iterator::sum` of no floats is -0.0, which prints as `-0.00`.
        "sum" => Value::Float(nums.iter().fold(0.0, |a, b| a + b)),
        "avg" | "average" => Value::Float(if nums.is_empty() {
            0.0
        } else {
            nums.iter().sum::<f64>() / nums.len() as f64
        }),
        "min" => Value::Float(if nums.is_empty() {
            0.0
        } else {
            nums.iter().cloned().fold(f64::INFINITY, f64::min)
        }),
        "max" => Value::Float(if nums.is_empty() {
            0.0
        } else {
            nums.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
        }),
        "first" => l.first().cloned().unwrap_or_default(),
        "last" => l.last().cloned().unwrap_or_default(),
        _ => Value::Int(l.len() as i64),
    };
    Ok(Outcome::Bind(out))
}

/// `Filter the <x> from <list> where <field> op <value>`.
pub(crate) fn filter(call: &Call) -> Result<Outcome, ActionError> {
    let v = call.object_value()?;
    let Some((field, pred)) = where_clause(call) else {
        return Ok(Outcome::Bind(v));
    };
    let Value::List(l) = &v else {
        return Ok(Outcome::Bind(v));
    };
    let out: Vec<Value> = l
        .iter()
        .filter(|x| match x {
            Value::Object(o) => o.get(field).is_some_and(&pred),
            other => field == "_item_" && pred(other),
        })
        .cloned()
        .collect();
    Ok(Outcome::Bind(Value::list(out)))
}

/// `Group the <g> from <list> by "field"` → object of field text → items.
pub(crate) fn group(call: &Call) -> Result<Outcome, ActionError> {
    let l = list_of(call.object_value()?)?;
    let field = match call.clause(&["by"]) {
        Some(o) => match &o.value {
            Some(Value::Str(s)) => s.to_string(),
            _ => o.name.to_string(),
        },
        None => call
            .result
            .spec()
            .map(str::to_string)
            .ok_or_else(|| ActionError::new("Group requires a field ('by')"))?,
    };
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for item in l.iter() {
        let Value::Object(o) = item else { continue };
        let key = o
            .get(&field)
            .map(to_display)
            .unwrap_or_else(|| "(nil)".into());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(item.clone()),
            None => groups.push((key, vec![item.clone()])),
        }
    }
    let mut o = Object::default();
    for (k, v) in groups {
        o.insert(Rc::from(k), Value::list(v));
    }
    Ok(Outcome::Bind(Value::Object(Rc::new(o))))
}
