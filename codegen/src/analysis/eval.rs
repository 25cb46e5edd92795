//! What a condition's parts mean on values, defined once (docs/semantics.md, "Conditions"):
//! an operator on a value of the property's type, a `where` filter on event data (a path
//! into an array of objects holds when some element satisfies every operator), a `count`
//! on a number of events, and how `all` / `any` / `none` combine. `trackc simulate` is the
//! one reader today; a checker rule that needs to evaluate a condition asks here too.

use serde_json::Value;

use crate::ir::{Filter, Ir, Op, Ty, TypeKind};

/// A value as compared: an enum spelling by its canonical value.
fn canonical<'v>(ir: &Ir, ty: &Ty, v: &'v Value) -> std::borrow::Cow<'v, Value> {
    if let (Ty::Ref(id), Value::String(s)) = (ir.underlying(ty), v)
        && let TypeKind::Enum(e) = &ir.ty(*id).kind
        && let Some(c) = e.canonical(s)
        && c.value != *s
    {
        return std::borrow::Cow::Owned(Value::String(c.value.clone()));
    }
    std::borrow::Cow::Borrowed(v)
}

/// JSON equality, numbers by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        // Dates and date-times as written (ISO 8601 sorts as text).
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Does `op` hold on `value` (of type `ty`; `None`: missing)? `exists: false` holds on a
/// missing value; every other operator is false on one.
pub(crate) fn op_holds(ir: &Ir, ty: &Ty, op: &Op, value: Option<&Value>) -> bool {
    use std::cmp::Ordering::*;
    let value = value.filter(|v| !v.is_null());
    if let Op::Exists(b) = op {
        return value.is_some() == *b;
    }
    let Some(v) = value else { return false };
    let v = canonical(ir, ty, v);
    let v = v.as_ref();
    match op {
        Op::Equals(x) => same(v, x),
        Op::NotEquals(x) => !same(v, x),
        Op::In(xs) => xs.iter().any(|x| same(v, x)),
        Op::Gt(x) => order(v, x) == Some(Greater),
        Op::Gte(x) => matches!(order(v, x), Some(Greater | Equal)),
        Op::Lt(x) => order(v, x) == Some(Less),
        Op::Lte(x) => matches!(order(v, x), Some(Less | Equal)),
        Op::Contains(x) => match (v, x) {
            (Value::String(s), Value::String(sub)) => s.contains(sub.as_str()),
            (Value::Array(items), x) => items.iter().any(|i| same(i, x)),
            _ => false,
        },
        Op::Exists(_) => unreachable!("handled above"),
    }
}

/// Does a count of events satisfy `count` (without operators: at least one)?
pub(crate) fn count_holds(ops: &[Op], n: u64) -> bool {
    if ops.is_empty() {
        return n >= 1;
    }
    let n = Value::from(n);
    ops.iter().all(|op| {
        use std::cmp::Ordering::*;
        match op {
            Op::Equals(x) => same(&n, x),
            Op::NotEquals(x) => !same(&n, x),
            Op::In(xs) => xs.iter().any(|x| same(&n, x)),
            Op::Gt(x) => order(&n, x) == Some(Greater),
            Op::Gte(x) => matches!(order(&n, x), Some(Greater | Equal)),
            Op::Lt(x) => order(&n, x) == Some(Less),
            Op::Lte(x) => matches!(order(&n, x), Some(Less | Equal)),
            Op::Exists(b) => *b,
            Op::Contains(_) => false,
        }
    })
}

/// What one more event can do to a `count` (its verdict at `n` against `n + 1`): make it
/// hold (`rise`), make it fail (`fall`). Without operators (at least one) it can only rise;
/// `count: { lt: 1 }` can only fall. The verdict changes only next to an operand, so
/// those counts (and 0) are the ones asked.
pub(crate) fn count_moves(ops: &[Op]) -> (bool, bool) {
    let mut at: Vec<u64> = vec![0];
    for op in ops {
        let xs: Vec<&Value> = match op {
            Op::In(xs) => xs.iter().collect(),
            Op::Equals(x) | Op::NotEquals(x) | Op::Gt(x) | Op::Gte(x) | Op::Lt(x) | Op::Lte(x) => {
                vec![x]
            }
            Op::Exists(_) | Op::Contains(_) => Vec::new(),
        };
        for x in xs.into_iter().filter_map(Value::as_f64) {
            if x.is_finite() && x >= 0.0 {
                let k = x.floor() as u64;
                at.extend([k.saturating_sub(1), k, k.saturating_add(1)]);
            }
        }
    }
    let (mut rise, mut fall) = (false, false);
    for n in at {
        let (now, next) = (count_holds(ops, n), count_holds(ops, n.saturating_add(1)));
        rise |= !now && next;
        fall |= now && !next;
    }
    (rise, fall)
}

/// A count `k ≥ 1` from which on [`count_holds`] gives the same answer (one past the
/// largest operand): counting more than `k` events never changes the verdict, so a history of
/// the latest `k` events decides the condition.
pub(crate) fn count_enough(ops: &[Op]) -> u64 {
    let operand = |x: &Value| x.as_f64().filter(|f| f.is_finite() && *f >= 0.0);
    ops.iter()
        .flat_map(|op| match op {
            Op::In(xs) => xs.iter().filter_map(operand).collect(),
            Op::Equals(x) | Op::NotEquals(x) | Op::Gt(x) | Op::Gte(x) | Op::Lt(x) | Op::Lte(x) => {
                operand(x).into_iter().collect()
            }
            Op::Exists(_) | Op::Contains(_) => Vec::new(),
        })
        // Past the largest operand every comparison is settled.
        .map(|x| (x.floor() as u64).saturating_add(1))
        .max()
        .unwrap_or(1)
        .max(1)
}

/// What a path reaches where the value has no such member: a missing value.
static MISSING: Value = Value::Null;

/// The values a path reaches, stepping through arrays (of objects on the way, and of
/// scalars at the end when the filter's type is not itself an array). An element without
/// the member reaches a missing value ([`MISSING`]), so that `exists: false` holds for it
/// as for an element whose member is `null`.
fn reach<'v>(ir: &Ir, v: &'v Value, path: &[String], ty: &Ty, out: &mut Vec<&'v Value>) {
    match (v, path.split_first()) {
        (Value::Array(items), _)
            if !path.is_empty() || !matches!(ir.underlying(ty), Ty::Array(_)) =>
        {
            for i in items {
                reach(ir, i, path, ty, out);
            }
        }
        (_, None) => out.push(v),
        (Value::Object(m), Some((key, rest))) => match m.get(key) {
            Some(next) => reach(ir, next, rest, ty, out),
            None => out.push(&MISSING),
        },
        _ => out.push(&MISSING),
    }
}

/// Does event data satisfy one `where` filter: some value the path reaches satisfies every
/// operator (a path that reaches nothing is a missing value).
pub(crate) fn filter_holds(ir: &Ir, f: &Filter, data: &Value) -> bool {
    let mut found = Vec::new();
    reach(ir, data, &f.path, &f.ty, &mut found);
    if found.is_empty() {
        return f.ops.iter().all(|op| op_holds(ir, &f.ty, op, None));
    }
    found
        .iter()
        .any(|v| f.ops.iter().all(|op| op_holds(ir, &f.ty, op, Some(v))))
}

/// Does event data satisfy every filter of a `where`?
pub(crate) fn filters_hold(ir: &Ir, filters: &[Filter], data: &Value) -> bool {
    filters.iter().all(|f| filter_holds(ir, f, data))
}

/// A segment's combination of its conditions: every `all` holds, one `any` holds (when
/// there are some), no `none` holds. Conditions are asked in that order and only as far as
/// needed.
pub(crate) fn member<C>(
    all: &[C],
    any: &[C],
    none: &[C],
    mut holds: impl FnMut(&C) -> bool,
) -> bool {
    all.iter().all(&mut holds)
        && (any.is_empty() || any.iter().any(&mut holds))
        && !none.iter().any(&mut holds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn example() -> Ir {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../contract");
        crate::check(&dir).unwrap().ir.unwrap()
    }

    /// Past `count_enough` the verdict never changes (so a history of that many events
    /// decides the condition), and it stays small: one past the largest operand.
    #[test]
    fn count_enough_is_where_the_verdict_settles() {
        let cases: Vec<(Vec<Op>, u64)> = vec![
            (vec![], 1),
            (vec![Op::Gte(json!(2))], 3),
            (vec![Op::Gt(json!(2))], 3),
            (vec![Op::Lt(json!(3))], 4),
            (vec![Op::Equals(json!(2.5))], 3),
            (vec![Op::In(vec![json!(1), json!(4)])], 5),
            (vec![Op::Gte(json!(1)), Op::Lte(json!(6))], 7),
            (vec![Op::Gte(json!(-3))], 1),
        ];
        for (ops, k) in cases {
            assert_eq!(count_enough(&ops), k, "{ops:?}");
            for n in k..k + 20 {
                assert_eq!(count_holds(&ops, n), count_holds(&ops, k), "{ops:?} at {n}");
            }
        }
    }

    #[test]
    fn what_one_more_event_does_to_a_count() {
        assert_eq!(count_moves(&[]), (true, false));
        assert_eq!(count_moves(&[Op::Lt(json!(1))]), (false, true));
        assert_eq!(count_moves(&[Op::Lte(json!(3))]), (false, true));
        assert_eq!(count_moves(&[Op::Gte(json!(2))]), (true, false));
        assert_eq!(count_moves(&[Op::Equals(json!(2))]), (true, true));
        assert_eq!(count_moves(&[Op::Equals(json!(0))]), (false, true));
        assert_eq!(
            count_moves(&[Op::Gte(json!(2)), Op::Lte(json!(4))]),
            (true, true)
        );
        assert_eq!(
            count_moves(&[Op::In(vec![json!(0), json!(1)])]),
            (false, true)
        );
        assert_eq!(count_moves(&[Op::Gt(json!(5))]), (true, false));
        // Never holds at any number of events.
        assert_eq!(count_moves(&[Op::Gt(json!(1e300))]), (false, false));
    }

    #[test]
    fn filters_step_through_arrays_and_missing_values() {
        let ir = example();
        let seg = ir
            .segments
            .iter()
            .find(|s| s.name == "skincare_replenishment_due")
            .unwrap();
        let crate::ir::Condition::Event { filter, .. } = &seg.all[0] else {
            panic!()
        };
        let yes = json!({"items": [{"category": "supplements"}, {"category": "skincare"}]});
        let no = json!({"items": [{"category": "supplements"}]});
        assert!(filters_hold(&ir, filter, &yes));
        assert!(!filters_hold(&ir, filter, &no));
        assert!(!filters_hold(&ir, filter, &json!({})));
        // `exists: false` through an array of objects: some element lacks the member,
        // whether it is absent or null.
        let lacks = Filter {
            ops: vec![Op::Exists(false)],
            ..filter[0].clone()
        };
        let has = |items: Value| {
            filters_hold(
                &ir,
                std::slice::from_ref(&lacks),
                &json!({ "items": items }),
            )
        };
        assert!(has(json!([{"category": "a"}, {}])));
        assert!(has(json!([{"category": "a"}, {"category": null}])));
        assert!(!has(json!([{"category": "a"}])));
        assert!(has(json!([])), "no element: the path reaches nothing");
        let s = Ty::String(Default::default());
        assert!(op_holds(&ir, &s, &Op::Exists(false), None));
        assert!(!op_holds(&ir, &s, &Op::NotEquals(json!("a")), None));
        assert!(op_holds(
            &ir,
            &s,
            &Op::Contains(json!("b")),
            Some(&json!("abc"))
        ));
        assert!(count_holds(&[Op::Gte(json!(3))], 3));
        assert!(!count_holds(&[], 0));
        let id = |b: &bool| *b;
        assert!(member(&[true], &[], &[false], id));
        assert!(!member(&[true], &[false, false], &[], id));
        assert!(!member(&[true], &[], &[true], id));
    }
}
