//! The interpreter's fast operator paths (`fast_binary`, used by the fused instructions and by
//! `Bin`) give exactly what the general `binary` gives, for random operands of every kind.

use arovm::runtime::ops::{binary, fast_binary};
use arovm_compiler::bytecode::BinCode;
use arovm_stdlib::value::{to_json, Value};
use proptest::prelude::*;

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        prop_oneof![
            Just(0i64),
            Just(-1),
            Just(1),
            Just(i64::MIN),
            Just(i64::MAX)
        ]
        .prop_map(Value::Int),
        (-1e6f64..1e6).prop_map(Value::Float),
        "[a-z0-9 ]{0,6}".prop_map(|s| Value::str(&s)),
        prop::collection::vec(any::<i16>().prop_map(|i| Value::Int(i as i64)), 0..3)
            .prop_map(Value::list),
    ]
}

fn same(a: &Value, b: &Value) -> bool {
    a.type_name() == b.type_name() && to_json(a) == to_json(b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn fast_path_agrees_with_binary(op in prop::sample::select(BinCode::ALL.to_vec()), l in value(), r in value()) {
        let mut scratch = String::from("left over");
        if let Some(fast) = fast_binary(op, &l, &r, &mut scratch) {
            let general = binary(op, &l, &r);
            prop_assert!(general.is_ok(), "{op:?} {l:?} {r:?}: fast {fast:?}, general failed");
            let general = general.ok().unwrap_or_default();
            prop_assert!(same(&fast, &general), "{op:?} {l:?} {r:?}: fast {fast:?} general {general:?}");
        }
    }
}

#[test]
fn fast_path_leaves_errors_and_overflow_to_binary() {
    let mut s = String::new();
    for op in [BinCode::Div, BinCode::Rem] {
        assert!(fast_binary(op, &Value::Int(1), &Value::Int(0), &mut s).is_none());
    }
    assert!(fast_binary(BinCode::Add, &Value::Int(i64::MAX), &Value::Int(1), &mut s).is_none());
    assert!(fast_binary(BinCode::Mul, &Value::Int(i64::MIN), &Value::Int(-1), &mut s).is_none());
    assert!(fast_binary(BinCode::Add, &Value::Float(1.0), &Value::Int(1), &mut s).is_none());
    let v = fast_binary(
        BinCode::Concat,
        &Value::str("item-"),
        &Value::Int(-4),
        &mut s,
    );
    assert_eq!(
        v.and_then(|v| v.as_str().map(str::to_string)).as_deref(),
        Some("item--4")
    );
}
