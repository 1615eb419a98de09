//! Freeing large values a piece at a time: a list of 100,000 objects is about a million heap
//! blocks, and freeing them in one go holds whoever drops it for tens of milliseconds. A
//! [`Graveyard`] takes such values and frees at most a budget of them per call, so an event loop
//! can spread the work over its turns.

use super::{take_nested, Value};

/// Lists and objects waiting to be freed.
#[derive(Debug, Default)]
pub struct Graveyard {
    pending: Vec<Value>,
}

impl Graveyard {
    /// Takes `v` to free later when it is a list or an object; anything else is freed now
    /// (one block at most, however long a string).
    pub fn bury(&mut self, v: Value) {
        if matches!(v, Value::List(_) | Value::Object(_)) {
            self.pending.push(v);
        }
    }

    /// Frees at most `budget` values (a list or object counts one, its elements come back as
    /// values of their own); true while some are left.
    pub fn sweep(&mut self, budget: usize) -> bool {
        for _ in 0..budget {
            let Some(mut v) = self.pending.pop() else {
                break;
            };
            take_nested(&mut v, &mut self.pending);
        }
        !self.pending.is_empty()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn big(n: usize) -> Value {
        Value::list(
            (0..n)
                .map(|i| {
                    Value::object(vec![(
                        Rc::from("i"),
                        Value::list(vec![Value::Int(i as i64)]),
                    )])
                })
                .collect(),
        )
    }

    #[test]
    fn a_large_value_is_freed_over_several_sweeps_and_a_shared_one_is_only_released() {
        let mut g = Graveyard::default();
        g.bury(big(10_000));
        let mut sweeps = 0;
        while g.sweep(1_000) {
            sweeps += 1;
        }
        assert!(sweeps >= 10, "{sweeps}");
        assert!(g.is_empty());
        let kept = big(3);
        g.bury(kept.clone());
        assert!(!g.sweep(100));
        assert!(matches!(&kept, Value::List(l) if l.len() == 3 && Rc::strong_count(l) == 1));
        g.bury(Value::str("a string is freed at once"));
        assert!(g.is_empty());
    }
}
