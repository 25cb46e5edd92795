//! Kept honest (issue 7): on generated payloads, `trackc validate`'s verdict agrees with
//! the emitted JSON Schema under the jsonschema crate and with the contract's own rules
//! (the mutation's expected verdict), for every event and for identify attributes of the
//! example contract and the type-feature fixture.
//!
//! Payloads come from `trackc_codegen::testing::payloads`: valid ones by proptest, and
//! every single-rule mutation of each (`mutations`), each labelled with trackc's verdict.
//!
//! For the example contract two more engines vote (module `typed`): typed deserialize
//! into the generated Rust type (`trackc-example-events`) + `validate()`, and the schemars
//! schema of that type (`#[derive(trackc::JsonSchema)]`, draft 2020-12) under the
//! jsonschema crate, so the Rust types, their schemars schemas and the emitted JSON
//! Schemas cannot drift apart.
//!
//! Intended differences, not checked for equality:
//! - `validate` says *why* and *how to fix*: an enum alias is invalid everywhere (so the
//!   verdicts agree), but only `validate` reports it as `enum_alias` with the hint
//!   "normalise 'Skin Care' → skincare" (asserted below); the schema says "not in enum".
//! - `1.0` for an integer: JSON Schema accepts it, trackc (and serde into `i64`) refuse
//!   it; the generators never produce integral floats for integers, and the unit tests
//!   pin `validate`'s answer.
//! - The envelope (identifier, timestamps, sizes, event ids) has no schema counterpart:
//!   the schemas describe data; those checks are covered by the unit tests.

use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;
use trackc_codegen::emit::schema;
use trackc_codegen::ir::Ir;
use trackc_codegen::testing::payloads::{Shape, mutations, valid};
use trackc_codegen::validate::{Validator, Violation, codes};

const CONTRACTS: [&str; 2] = ["contract", "tests/fixtures/full"];

fn load(rel: &str) -> Ir {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    let checked = trackc_codegen::check(&dir).expect("contract folder is readable");
    assert!(!checked.has_errors(), "{}", checked.render(false));
    checked.ir.expect("a valid contract resolves")
}

fn compile_schema(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .build(schema)
        .expect("emitted schemas compile")
}

/// What is being judged: one event's data, or identify attributes.
struct Target {
    contract: &'static str,
    label: String,
    event: Option<String>,
    shape: Arc<Shape>,
    schema: jsonschema::Validator,
}

fn targets(contract: &'static str, ir: &Ir) -> Vec<Target> {
    let mut out: Vec<Target> = ir
        .events
        .iter()
        .map(|e| Target {
            contract,
            label: e.name.clone(),
            event: Some(e.name.clone()),
            shape: Shape::event(ir, e),
            schema: compile_schema(&schema::event_schema(ir, e).to_value()),
        })
        .collect();
    out.push(Target {
        contract,
        label: "identify".into(),
        event: None,
        shape: Shape::attributes(ir),
        schema: compile_schema(&schema::attributes_schema(ir).to_value()),
    });
    out
}

fn judge(v: &Validator, t: &Target, payload: &Value) -> Vec<Violation> {
    let text = payload.to_string();
    match &t.event {
        Some(name) => v.validate_event_data(name, &text),
        None => v.validate_attributes(&text),
    }
}

/// One payload through every engine; `expected` is the contract's verdict.
fn agree(
    v: &Validator,
    t: &Target,
    payload: &Value,
    expected: bool,
    what: &str,
) -> Result<(), TestCaseError> {
    let violations = judge(v, t, payload);
    let by_validate = violations.is_empty();
    let by_schema = t.schema.is_valid(payload);
    prop_assert_eq!(
        by_validate,
        expected,
        "{} ({}): validate says {:?} for {}",
        t.label,
        what,
        violations,
        payload
    );
    prop_assert_eq!(
        by_schema,
        expected,
        "{} ({}): the JSON Schema says {} for {}",
        t.label,
        what,
        by_schema,
        payload
    );
    if let Some(by_typed) = typed::verdict(t.contract, t.event.as_deref(), payload) {
        prop_assert_eq!(
            by_typed,
            expected,
            "{} ({}): typed deserialize + validate() says {} for {}",
            t.label,
            what,
            by_typed,
            payload
        );
    }
    if let Some(by_schemars) = typed::schemars_verdict(t.contract, t.event.as_deref(), payload) {
        prop_assert_eq!(
            by_schemars,
            expected,
            "{} ({}): the schemars schema of the generated type says {} for {}",
            t.label,
            what,
            by_schemars,
            payload
        );
    }
    // The intended difference: an alias is reported with its canonical value.
    if !expected && what.contains("alias") {
        let alias = violations.iter().find(|v| v.code == codes::ENUM_ALIAS);
        prop_assert!(
            alias.is_some_and(|a| a
                .hint
                .as_deref()
                .is_some_and(|h| h.starts_with("normalise '"))),
            "{}: {:?}",
            what,
            violations
        );
    }
    Ok(())
}

#[test]
fn validate_agrees_with_the_schema_and_the_contract_on_generated_payloads() {
    for rel in CONTRACTS {
        let ir = load(rel);
        let v = Validator::new(&ir).expect("contract compiles");
        for t in targets(rel, &ir) {
            let mut runner = TestRunner::new(Config {
                cases: 48,
                failure_persistence: None,
                ..Config::default()
            });
            let result = runner.run(&valid(t.shape.clone()), |payload| {
                agree(&v, &t, &payload, true, "generated valid payload")?;
                for m in mutations(&t.shape, &payload) {
                    let what = format!("{} at {}", m.what, m.path);
                    agree(&v, &t, &m.payload, m.valid, &what)?;
                }
                Ok(())
            });
            if let Err(e) = result {
                panic!("{rel}: {}: {e}", t.label);
            }
        }
    }
}

/// The same payloads as whole Track API requests: every shape of line gives the same
/// verdict as the bare data.
#[test]
fn every_request_shape_gives_the_same_verdict() {
    let ir = load("contract");
    let v = Validator::new(&ir).expect("contract compiles");
    let t = targets("contract", &ir);
    let mut runner = TestRunner::new(Config {
        cases: 32,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..t.len()).prop_flat_map(|i| (Just(i), valid(t[i].shape.clone())));
    runner
        .run(&strategy, |(i, payload)| {
            let t = &t[i];
            let mut cases: Vec<(Value, bool)> = vec![(payload.clone(), true)];
            cases.extend(
                mutations(&t.shape, &payload)
                    .into_iter()
                    .map(|m| (m.payload, m.valid)),
            );
            for (data, expected) in cases {
                let lines = wrap(t.event.as_deref(), &data);
                for line in &lines {
                    let (s, viol) = v.validate_line(1, line.as_bytes());
                    prop_assert_eq!(s.records, 1);
                    prop_assert_eq!(s.invalid == 0, expected, "{}: {:?}", line, viol);
                }
                // All in one batch: one record per operation, same verdicts.
                let batch = format!(
                    "{{\"batch\":[{}]}}",
                    lines
                        .iter()
                        .filter(|l| l.starts_with("{\"type\""))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(",")
                );
                let (s, _) = v.validate_line(1, batch.as_bytes());
                prop_assert_eq!(s.records, 2);
                prop_assert_eq!(s.invalid == 0, expected);
            }
            Ok(())
        })
        .unwrap();
}

/// v2 in client order and reversed, v1: the lines that carry `data`.
/// The event id every wrapped event carries (idempotent events need one).
const EVENT_ID: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

fn wrap(event: Option<&str>, data: &Value) -> Vec<String> {
    let id = r#"{"id":"cus_12345678"}"#;
    match event {
        Some(name) => {
            let name = Value::from(name);
            vec![
                format!(
                    r#"{{"type":"person","identifiers":{id},"action":"event","id":"{EVENT_ID}","name":{name},"attributes":{data}}}"#
                ),
                format!(
                    r#"{{"type":"person","attributes":{data},"name":{name},"action":"event","identifiers":{id},"id":"{EVENT_ID}"}}"#
                ),
                format!(
                    r#"{{"method":"POST","path":"/api/v1/customers/cus_12345678/events","body":{{"name":{name},"id":"{EVENT_ID}","data":{data}}}}}"#
                ),
                format!(
                    r#"{{"body":{{"data":{data},"name":{name},"id":"{EVENT_ID}"}},"path":"/api/v1/customers/cus_12345678/events","method":"POST"}}"#
                ),
            ]
        }
        None => vec![
            format!(
                r#"{{"type":"person","identifiers":{id},"action":"identify","attributes":{data}}}"#
            ),
            format!(
                r#"{{"type":"person","attributes":{data},"action":"identify","identifiers":{id}}}"#
            ),
            format!(r#"{{"method":"PUT","path":"/api/v1/customers/cus_12345678","body":{data}}}"#),
        ],
    }
}

/// The typed leg: deserialize into the generated type of `trackc-example-events` (the
/// example contract, generated by build.rs), then `validate()`. The fixture contract has
/// no generated crate, so its payloads are judged by validate and the schema only.
mod typed {
    use std::any::TypeId;
    use std::collections::HashMap;
    use std::sync::{Arc, LazyLock, Mutex};

    use serde_json::Value;
    use trackc::schemars::generate::SchemaSettings;
    use trackc::schemars::{JsonSchema, SchemaGenerator};
    use trackc::serde::de::DeserializeOwned;
    use trackc_example_events as ev;

    fn event<T: DeserializeOwned + trackc::Event>(v: &Value) -> bool {
        serde_json::from_value::<T>(v.clone()).is_ok_and(|t| t.validate().is_ok())
    }

    fn attributes<T: DeserializeOwned + trackc::Attributes>(v: &Value) -> bool {
        serde_json::from_value::<T>(v.clone()).is_ok_and(|t| t.validate().is_ok())
    }

    /// The schemars schema of `T`, compiled once per type.
    fn schemars_valid<T: JsonSchema + 'static>(v: &Value) -> bool {
        static CACHE: LazyLock<Mutex<HashMap<TypeId, Arc<jsonschema::Validator>>>> =
            LazyLock::new(Default::default);
        let validator = CACHE
            .lock()
            .unwrap()
            .entry(TypeId::of::<T>())
            .or_insert_with(|| {
                let schema = SchemaGenerator::new(SchemaSettings::draft2020_12())
                    .into_root_schema_for::<T>();
                Arc::new(super::compile_schema(&schema.to_value()))
            })
            .clone();
        validator.is_valid(v)
    }

    /// Calls `$f::<T>` for the generated type of the target; `None` when there is none.
    macro_rules! dispatch {
        ($contract:expr, $target:expr, $payload:expr, $event:ident, $attributes:ident) => {{
            if $contract != "contract" {
                return None;
            }
            Some(match $target {
                None => $attributes::<ev::PersonAttributes>($payload),
                Some("cart_updated") => $event::<ev::CartUpdated>($payload),
                Some("checkout_started") => $event::<ev::CheckoutStarted>($payload),
                Some("order_completed") => $event::<ev::OrderCompleted>($payload),
                Some("order_refunded") => $event::<ev::OrderRefunded>($payload),
                Some("product_viewed") => $event::<ev::ProductViewed>($payload),
                Some("site_visit") => $event::<ev::SiteVisit>($payload),
                Some("subscription_canceled") => $event::<ev::SubscriptionCanceled>($payload),
                Some("subscription_paused") => $event::<ev::SubscriptionPaused>($payload),
                Some("subscription_started") => $event::<ev::SubscriptionStarted>($payload),
                Some(_) => return None,
            })
        }};
    }

    /// Typed deserialize + `validate()`.
    pub fn verdict(contract: &str, target: Option<&str>, payload: &Value) -> Option<bool> {
        dispatch!(contract, target, payload, event, attributes)
    }

    /// The generated type's schemars schema.
    pub fn schemars_verdict(contract: &str, target: Option<&str>, payload: &Value) -> Option<bool> {
        dispatch!(contract, target, payload, schemars_valid, schemars_valid)
    }
}

/// Every event of the example contract has its typed leg (a new event must be added to
/// [`typed::verdict`], or this fails rather than silently comparing two engines).
#[test]
fn the_typed_leg_covers_every_example_event() {
    let ir = load("contract");
    for e in &ir.events {
        let data = trackc_codegen::emit::example::event_data(&ir, e).to_value();
        assert_eq!(
            typed::verdict("contract", Some(&e.name), &data),
            Some(true),
            "{}",
            e.name
        );
        assert_eq!(
            typed::schemars_verdict("contract", Some(&e.name), &data),
            Some(true),
            "{}: the schemars schema refuses the contract's example",
            e.name
        );
    }
}
