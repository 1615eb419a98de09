//! Own actions (internal → internal): Create, Compute, Validate, Compare, Transform, Update, Merge.

use crate::action::{ActionError, Call, Host, Outcome};
use crate::value::{
    date, date_range, equals, from_json, recurrence, to_description, to_json, Object, Value,
};
use sha2::{Digest, Sha256};
use std::rc::Rc;

/// `Create the <x[: Type]> with <value>` → x = value.
pub(crate) fn create(call: &Call, host: &mut dyn Host) -> Result<Outcome, ActionError> {
    match call.result.spec().map(str::to_ascii_lowercase).as_deref() {
        Some("date-range" | "daterange") => return date_range_of(call),
        Some("recurrence") => {
            let pattern = text(&call.object_value()?);
            let now = date::parse(&host.now())
                .ok_or_else(|| ActionError::new("the clock is outside years 1–9999"))?;
            return recurrence::value(&pattern, &now)
                .map(Outcome::Bind)
                .map_err(ActionError::new);
        }
        _ => {}
    }
    let v = call.object_value().unwrap_or_else(|_| Value::str(""));
    // A typed entity (`<order: Order>`, PascalCase) gets an `id` when it has none.
    let typed = call.result.spec().is_some_and(|t| {
        t.starts_with(|c: char| c.is_ascii_uppercase())
            && !matches!(
                t,
                "String" | "Integer" | "Float" | "Number" | "Boolean" | "List" | "Map" | "Object"
            )
    });
    if let (true, Value::Object(o)) = (typed, &v) {
        if o.get("id").is_none() {
            let mut o = (**o).clone();
            o.insert(
                Rc::from("id"),
                Value::str(&host.new_id().to_ascii_lowercase().replace('-', "")),
            );
            return Ok(Outcome::Bind(Value::Object(Rc::new(o))));
        }
    }
    Ok(Outcome::Bind(v))
}

/// `Create the <r: date-range> from <start> to <end>` (ARO-0041).
fn date_range_of(call: &Call) -> Result<Outcome, ActionError> {
    let start = moment(&call.object_value()?)?;
    let end = call
        .clause(&["to"])
        .ok_or_else(|| ActionError::new("'Create date-range' requires a 'to' clause"))?
        .require()?;
    Ok(Outcome::Bind(date_range::range(&start, &moment(&end)?)))
}

/// Operation names that also work as the result's base name (`Compute the <length> from ...`).
const LEGACY_OPS: &[&str] = &[
    "length",
    "count",
    "uppercase",
    "lowercase",
    "hash",
    "trim",
    "identity",
    "intersect",
    "difference",
    "union",
];

/// Characters as the reference counts them: extended grapheme clusters (`"e\u{301}"` is one).
fn char_count(s: &str) -> i64 {
    use unicode_segmentation::UnicodeSegmentation;
    s.graphemes(true).count() as i64
}

/// `Compute the <name: op> from <value> [with <arg>]`.
pub(crate) fn compute(call: &Call) -> Result<Outcome, ActionError> {
    if let Some(Value::Stream(_)) = call.object().and_then(|o| o.value.as_ref()) {
        let count = matches!(call.result.spec(), Some("count" | "length"));
        return Err(ActionError::new(crate::value::stream::only_iterable(
            if count { "count" } else { "compute with" },
        )));
    }
    let input = call.object_value()?;
    let expr_object = call.object().is_some_and(|o| o.is_expr);
    let op = match call.result.spec() {
        Some(s) if s.starts_with(['+', '-']) => s.to_string(),
        Some(s) => s.to_ascii_lowercase(),
        // An expression object binds its value directly (the reference's short-circuit).
        None if expr_object => "identity".into(),
        None if LEGACY_OPS.contains(&call.result.name.to_ascii_lowercase().as_str()) => {
            call.result.name.to_ascii_lowercase()
        }
        None => "identity".into(),
    };
    let arg = call.with_value();
    let out = match op.as_str() {
        "length" | "count" => match &input {
            Value::Str(s) => Value::Int(char_count(s)),
            Value::List(l) => Value::Int(l.len() as i64),
            Value::Object(o) => Value::Int(o.entries.len() as i64),
            other => other.clone(),
        },
        "uppercase" => Value::str(&text(&input).to_uppercase()),
        "lowercase" => Value::str(&text(&input).to_lowercase()),
        "trim" => Value::str(text(&input).trim()),
        "hash" => {
            let bytes = match &input {
                Value::List(_) | Value::Object(_) => to_json(&input),
                other => text(other),
            };
            let digest = Sha256::digest(bytes.as_bytes());
            Value::str(
                &digest
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
            )
        }
        "clip" | "take" => {
            let n = arg
                .as_ref()
                .and_then(|a| a.as_f64())
                .unwrap_or(if op == "clip" { 80.0 } else { 0.0 })
                .max(0.0) as usize;
            match &input {
                Value::List(l) => Value::list(l.iter().take(n).cloned().collect()),
                other => Value::str(&text(other).chars().take(n).collect::<String>()),
            }
        }
        "intersect" | "difference" | "union" => {
            let b = arg.ok_or_else(|| {
                ActionError::new(format!("'Compute {op}' requires a 'with' clause"))
            })?;
            set_op(&op, &input, &b)?
        }
        "sum" | "min" | "max" | "avg" | "average" => {
            let nums: Vec<f64> = match &input {
                Value::List(l) => l.iter().filter_map(|x| x.as_f64()).collect(),
                other => other.as_f64().into_iter().collect(),
            };
            let all_int =
                matches!(&input, Value::List(l) if l.iter().all(|x| matches!(x, Value::Int(_))));
            let r = match op.as_str() {
                "sum" => nums.iter().fold(0.0, |a, b| a + b), // not `sum`: -0.0 when empty
                "min" => nums.iter().cloned().fold(f64::INFINITY, f64::min),
                "max" => nums.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                _ => {
                    if nums.is_empty() {
                        0.0
                    } else {
                        nums.iter().sum::<f64>() / nums.len() as f64
                    }
                }
            };
            if nums.is_empty() && op != "sum" && op != "avg" && op != "average" {
                Value::Float(0.0)
            } else if all_int && op != "avg" && op != "average" {
                Value::Int(r as i64)
            } else {
                Value::Float(r)
            }
        }
        "abs" => match input {
            Value::Int(i) => Value::Int(i.wrapping_abs()),
            Value::Float(f) => Value::Float(f.abs()),
            other => other,
        },
        "round" | "floor" | "ceil" => match input {
            Value::Float(f) => Value::Int(match op.as_str() {
                "round" => f.round(),
                "floor" => f.floor(),
                _ => f.ceil(),
            } as i64),
            other => other,
        },
        "reverse" => match &input {
            Value::List(l) => Value::list(l.iter().rev().cloned().collect()),
            Value::Str(s) => Value::str(&s.chars().rev().collect::<String>()),
            other => other.clone(),
        },
        "unique" => match &input {
            Value::List(l) => {
                let mut out: Vec<Value> = Vec::new();
                for x in l.iter() {
                    if !out.iter().any(|y| equals(x, y)) {
                        out.push(x.clone());
                    }
                }
                Value::list(out)
            }
            other => other.clone(),
        },
        "first" | "last" => match &input {
            Value::List(l) => (if op == "first" { l.first() } else { l.last() })
                .cloned()
                .unwrap_or(Value::str("")),
            other => other.clone(),
        },
        "date" => Value::str(&moment(&input)?.iso()),
        "format" => {
            let pattern = match &arg {
                Some(Value::Str(p)) => p.to_string(),
                _ => "MMMM d, yyyy".to_string(),
            };
            Value::str(&date::format(&moment(&input)?, &pattern))
        }
        "distance" => {
            let to = call
                .clause(&["to"])
                .ok_or_else(|| ActionError::new("'Compute distance' requires a 'to' clause"))?
                .require()?;
            date_range::distance(&moment(&input)?, &moment(&to)?)
        }
        o if o.starts_with(['+', '-']) => {
            let moved = date::offset(&moment(&input)?, o)
                .ok_or_else(|| ActionError::new(format!("Invalid date offset '{o}'")))?;
            Value::str(&moved.iso())
        }
        _ => input,
    };
    Ok(Outcome::Bind(out))
}

/// A date value (an ISO-8601 string), or the error the reference gives for anything else.
pub(crate) fn moment(v: &Value) -> Result<date::Moment, ActionError> {
    let t = text(v);
    date::parse(&t).ok_or_else(|| ActionError::new(format!("Invalid date: '{t}' is not ISO 8601")))
}

fn text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        other => to_description(other),
    }
}

fn set_op(op: &str, a: &Value, b: &Value) -> Result<Value, ActionError> {
    match (a, b) {
        (Value::List(x), Value::List(y)) => {
            let mut pool: Vec<Value> = y.iter().cloned().collect();
            let out: Vec<Value> = match op {
                "intersect" => x
                    .iter()
                    .filter(|e| match pool.iter().position(|p| equals(p, e)) {
                        Some(i) => {
                            pool.remove(i);
                            true
                        }
                        None => false,
                    })
                    .cloned()
                    .collect(),
                "difference" => x
                    .iter()
                    .filter(|e| match pool.iter().position(|p| equals(p, e)) {
                        Some(i) => {
                            pool.remove(i);
                            false
                        }
                        None => true,
                    })
                    .cloned()
                    .collect(),
                _ => {
                    let mut out: Vec<Value> = x.iter().cloned().collect();
                    for e in y.iter() {
                        if !out.iter().any(|o| equals(o, e)) {
                            out.push(e.clone());
                        }
                    }
                    out
                }
            };
            Ok(Value::list(out))
        }
        (Value::Str(x), Value::Str(y)) => {
            let mut pool: Vec<char> = y.chars().collect();
            let mut take = |c: &char| match pool.iter().position(|p| p == c) {
                Some(i) => {
                    pool.remove(i);
                    true
                }
                None => false,
            };
            let out: String = match op {
                "intersect" => x.chars().filter(|c| take(c)).collect(),
                "difference" => x.chars().filter(|c| !take(c)).collect(),
                _ => {
                    let mut out = x.to_string();
                    for c in y.chars() {
                        if !out.contains(c) {
                            out.push(c);
                        }
                    }
                    out
                }
            };
            Ok(Value::str(&out))
        }
        (Value::Object(x), Value::Object(y)) => {
            let mut out = Object::default();
            match op {
                "intersect" => {
                    for (k, v) in &x.entries {
                        if let Some(w) = y.get(k) {
                            if equals(v, w) {
                                out.insert(k.clone(), v.clone());
                            } else if matches!(
                                (v, w),
                                (Value::Object(_), Value::Object(_))
                                    | (Value::List(_), Value::List(_))
                            ) {
                                let inner = set_op(op, v, w)?;
                                if !inner.is_empty() {
                                    out.insert(k.clone(), inner);
                                }
                            }
                        }
                    }
                }
                "difference" => {
                    for (k, v) in &x.entries {
                        match y.get(k) {
                            Some(w) if equals(v, w) => {}
                            Some(w)
                                if matches!(
                                    (v, w),
                                    (Value::Object(_), Value::Object(_))
                                        | (Value::List(_), Value::List(_))
                                ) =>
                            {
                                let inner = set_op(op, v, w)?;
                                if !inner.is_empty() {
                                    out.insert(k.clone(), inner);
                                }
                            }
                            _ => out.insert(k.clone(), v.clone()),
                        }
                    }
                }
                _ => {
                    for (k, v) in &y.entries {
                        out.insert(k.clone(), v.clone());
                    }
                    for (k, v) in &x.entries {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            Ok(Value::Object(Rc::new(out)))
        }
        _ => Err(ActionError::new(
            "Type mismatch: expected 'Array, String, or Object'",
        )),
    }
}

/// `Validate the <ok: rule> for <value>` → Bool (expression form: the condition's value).
pub(crate) fn validate(call: &Call) -> Result<Outcome, ActionError> {
    let v = call.object_value()?;
    let rule = call
        .result
        .spec()
        .unwrap_or(call.result.name)
        .to_ascii_lowercase();
    let ok = match rule.as_str() {
        "required" | "exists" => !v.is_empty(),
        "nonempty" => !v.is_empty(),
        "email" => {
            let s = text(&v);
            s.contains('@') && s.contains('.')
        }
        "numeric" => v.as_f64().is_some(),
        _ => match v {
            Value::Bool(b) => b,
            other => !other.is_empty(),
        },
    };
    Ok(Outcome::Bind(Value::Bool(ok)))
}

/// `Compare the <a> against the <b>` → {matches, result}.
pub(crate) fn compare(call: &Call) -> Result<Outcome, ActionError> {
    let a =
        call.result.value.clone().ok_or_else(|| {
            ActionError::new(format!("Undefined variable: '{}'", call.result.name))
        })?;
    let b = call.object_value()?;
    let result = match crate::value::compare(&a, &b) {
        Some(std::cmp::Ordering::Equal) => "equal",
        Some(std::cmp::Ordering::Less) => "less",
        Some(std::cmp::Ordering::Greater) => "greater",
        None if equals(&a, &b) => "equal",
        None => "notEqual",
    };
    let out = Value::object(vec![
        (Rc::from("matches"), Value::Bool(result == "equal")),
        (Rc::from("result"), Value::str(result)),
    ]);
    Ok(Outcome::BindAs("comparison".into(), out))
}

/// `Transform the <x: string|int|double|bool|json> from <value>`.
pub(crate) fn transform(call: &Call) -> Result<Outcome, ActionError> {
    if let Some(o) = call
        .object()
        .filter(|o| o.name == "template" && !o.specs.is_empty())
    {
        return Ok(Outcome::Suspend(
            crate::action::IoRequest::Render {
                path: o.specs.join("."),
                with: call.with_value(),
                append: false,
            },
            Value::Null,
        ));
    }
    let v = call.object_value()?;
    let op = call
        .result
        .spec()
        .unwrap_or(call.result.name)
        .to_ascii_lowercase();
    let out = match op.as_str() {
        "string" => Value::str(&text(&v)),
        "int" | "integer" => match &v {
            Value::Int(_) => v.clone(),
            Value::Float(f) => Value::Int(f.trunc() as i64),
            Value::Bool(b) => Value::Int(*b as i64),
            Value::Str(s) => Value::Int(s.trim().parse().map_err(|_| {
                ActionError::new(format!("Type mismatch: cannot convert '{s}' to Integer"))
            })?),
            _ => return Err(ActionError::new("Type mismatch: cannot convert to Integer")),
        },
        "double" | "float" => Value::Float(
            v.as_f64()
                .ok_or_else(|| ActionError::new("Type mismatch: cannot convert to Float"))?,
        ),
        "bool" | "boolean" => Value::Bool(match &v {
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Str(s) => s.eq_ignore_ascii_case("true") || &**s == "1",
            _ => false,
        }),
        "json" => Value::str(&to_json(&v)),
        "uppercase" => Value::str(&text(&v).to_uppercase()),
        "lowercase" => Value::str(&text(&v).to_lowercase()),
        "parse" | "object" => match &v {
            Value::Str(s) => from_json(s).ok_or_else(|| ActionError::new("Invalid JSON"))?,
            other => other.clone(),
        },
        _ => v,
    };
    Ok(Outcome::Bind(out))
}

/// `Update the <x[: field]> with <value>`: rebinding; a field qualifier sets one key.
pub(crate) fn update(call: &Call, host: &mut dyn Host) -> Result<Outcome, ActionError> {
    let new = call.object_value()?;
    if let (true, Some(setting)) = (
        call.result.name.ends_with("-repository"),
        call.result.spec(),
    ) {
        // `Configure the <name-repository: maxSize|ttl> with N`: a limit, not a row.
        host.repos()
            .configure(call.result.name, setting, &new)
            .map_err(ActionError::new)?;
        return Ok(Outcome::Nothing);
    }
    let entity = call.result.value.clone();
    let out = match (entity.as_ref(), call.result.spec()) {
        (Some(Value::Object(o)), Some(field)) => {
            let mut o = (**o).clone();
            o.insert(Rc::from(field), new);
            Value::Object(Rc::new(o))
        }
        (None, Some(field)) => Value::object(vec![(Rc::from(field), new)]),
        (Some(Value::Object(a)), None) => match &new {
            Value::Object(b) => {
                let mut o = (**a).clone();
                for (k, v) in &b.entries {
                    o.insert(k.clone(), v.clone());
                }
                Value::Object(Rc::new(o))
            }
            _ => new,
        },
        _ => new,
    };
    Ok(Outcome::Bind(out))
}

/// `Accept the <transition: from_to_target> on <entity: field>` (ARO-0007 §4, ARO-0022): the
/// entity's `field` (default `status`) must be the text `from`; it becomes `target`, the updated
/// entity is bound (the VM also rebinds the entity's own name) and `StateTransition` is published
/// with `fieldName`, `objectName`, `fromState`, `toState`, `entityId` (when the entity has an id)
/// and `entity`. The object operand arrives without its path applied.
pub(crate) fn accept(call: &Call, host: &mut dyn Host) -> Result<Outcome, ActionError> {
    let written = match call.result.spec() {
        Some(s) if s.contains("_to_") || !call.result.name.contains("_to_") => s,
        _ => call.result.name,
    };
    let Some((from, to)) = written
        .split_once("_to_")
        .filter(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains("_to_"))
    else {
        return Err(ActionError::new(if written.contains("_to_") {
            format!("Invalid value '{written}' for state transition. Valid values: from_to_target")
        } else {
            format!(
                "Invalid value '{}:{written}' for state transition. Valid values: <transition: from_to_target>",
                call.result.name
            )
        }));
    };
    let object = call
        .clause(&["on"])
        .ok_or_else(|| ActionError::new("Accept needs the entity: 'on <entity: field>'"))?;
    let field = object.spec().unwrap_or("status");
    let Some(Value::Object(entity)) = &object.value else {
        return Err(match &object.value {
            None => ActionError::new(format!("Undefined variable: '{}'", object.name)),
            Some(_) => ActionError::new(format!(
                "Property '{field}' not found on type '{}'",
                object.name
            )),
        });
    };
    let current = match entity.get(field) {
        Some(Value::Str(s)) => s.clone(),
        _ => {
            return Err(ActionError::new(format!(
                "Property '{field}' not found on type '{}'",
                object.name
            )))
        }
    };
    if &*current != from {
        return Err(ActionError::new(format!(
            "Cannot accept state {from}->{to} on {}: {field}. Current state is \"{current}\".",
            object.name
        )));
    }
    let mut updated = (**entity).clone();
    updated.insert(Rc::from(field), Value::str(to));
    let updated = Value::Object(Rc::new(updated));
    let mut payload: Vec<(Rc<str>, Value)> = vec![
        (Rc::from("fieldName"), Value::str(field)),
        (Rc::from("objectName"), Value::str(object.name)),
        (Rc::from("fromState"), Value::str(from)),
        (Rc::from("toState"), Value::str(to)),
    ];
    if let Some(id) = entity.get("id") {
        payload.push((
            Rc::from("entityId"),
            Value::str(&crate::value::to_display(id)),
        ));
    }
    payload.push((Rc::from("entity"), updated.clone()));
    host.emit("StateTransition", Value::object(payload));
    Ok(Outcome::Bind(updated))
}

/// `Merge the <new: base> with <source>` / `Merge the <target> with <source>`.
pub(crate) fn merge(call: &Call) -> Result<Outcome, ActionError> {
    let source = call.object_value()?;
    let base = match call.result.spec() {
        Some(_) => call.result.spec_value.clone(),
        None => call.result.value.clone(),
    }
    .ok_or_else(|| ActionError::new("'Merge' requires a base value"))?;
    let out = match (&base, &source) {
        (Value::Object(a), Value::Object(b)) => {
            let mut o = (**a).clone();
            for (k, v) in &b.entries {
                o.insert(k.clone(), v.clone());
            }
            Value::Object(Rc::new(o))
        }
        (Value::List(a), Value::List(b)) => {
            Value::list(a.iter().chain(b.iter()).cloned().collect())
        }
        (Value::Str(a), Value::Str(b)) => Value::str(&format!("{a}{b}")),
        _ => base.clone(),
    };
    Ok(Outcome::Bind(out))
}
