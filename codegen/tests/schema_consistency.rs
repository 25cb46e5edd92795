//! The emitted JSON Schemas: valid against the 2020-12 meta-schema, accept the catalog's
//! example payloads, and agree with trackc's rules on generated payloads (valid ones and
//! every mutation of them, from `trackc_codegen::testing::payloads`).

use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use trackc_codegen::emit::{example, schema};
use trackc_codegen::ir::Ir;
use trackc_codegen::testing::payloads::{Shape, mutations, valid};

const CONTRACTS: [&str; 2] = ["contract", "tests/fixtures/full"];

fn load(rel: &str) -> Ir {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    let checked = trackc_codegen::check(&dir).expect("contract folder is readable");
    assert!(!checked.has_errors(), "{}", checked.render(false));
    checked.ir.expect("a valid contract resolves")
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("emitted schemas are JSON")
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .build(schema)
        .expect("emitted schemas compile")
}

#[test]
fn every_schema_passes_the_2020_12_meta_schema() {
    for rel in CONTRACTS {
        let ir = load(rel);
        for f in schema::generate(&ir) {
            let v = parse(&f.contents);
            if let Err(e) = jsonschema::draft202012::meta::validate(&v) {
                panic!("{rel}: {} fails the meta-schema: {e}", f.path.display());
            }
            assert_eq!(v["$schema"], schema::DRAFT);
            assert!(
                v["$id"]
                    .as_str()
                    .unwrap()
                    .ends_with(&*f.path.to_string_lossy())
            );
        }
    }
}

#[test]
fn catalog_examples_are_valid() {
    for rel in CONTRACTS {
        let ir = load(rel);
        let bundle = validator(&schema::bundle_schema(&ir).to_value());
        for e in &ir.events {
            let data = example::event_data(&ir, e).to_value();
            let v = validator(&schema::event_schema(&ir, e).to_value());
            let errors: Vec<String> = v.iter_errors(&data).map(|e| e.to_string()).collect();
            assert!(
                errors.is_empty(),
                "{rel}: example of {}: {errors:?}\n{data:#}",
                e.name
            );
            let body = serde_json::json!({"name": e.name, "data": data});
            assert!(bundle.is_valid(&body), "{rel}: bundle refuses {}", e.name);
            let wrong = serde_json::json!({"name": e.name, "data": {"__nope__": 1}});
            assert!(
                !bundle.is_valid(&wrong),
                "{rel}: bundle accepts junk for {}",
                e.name
            );
        }
        let op = example::identify_operation(&ir).to_value();
        let v = validator(&schema::attributes_schema(&ir).to_value());
        assert!(v.is_valid(&op["attributes"]), "{rel}: identify example");
        assert!(
            v.is_valid(&serde_json::json!({})),
            "{rel}: identify is a partial update"
        );
    }
}

/// Every generated valid payload is accepted; every mutation gets the verdict trackc's
/// rules give it.
fn agree(rel: &str, name: &str, shape: Arc<Shape>, schema: &Value, cases: u32) {
    let v = validator(schema);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&valid(shape.clone()), |payload| {
        let errors: Vec<String> = v.iter_errors(&payload).map(|e| e.to_string()).collect();
        prop_assert!(
            errors.is_empty(),
            "valid payload refused: {errors:?}\n{payload:#}"
        );
        let ms = mutations(&shape, &payload);
        prop_assert!(
            ms.iter().any(|m| !m.valid),
            "no invalid mutation of {payload:#}"
        );
        for m in ms {
            prop_assert_eq!(
                v.is_valid(&m.payload),
                m.valid,
                "{} at {}: {:#}",
                m.what,
                m.path,
                m.payload
            );
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{rel}: {name}: {e}");
    }
}

#[test]
fn schemas_agree_with_trackc_on_generated_payloads() {
    for rel in CONTRACTS {
        let ir = load(rel);
        for e in &ir.events {
            agree(
                rel,
                &e.name,
                Shape::event(&ir, e),
                &schema::event_schema(&ir, e).to_value(),
                48,
            );
        }
        agree(
            rel,
            "attributes",
            Shape::attributes(&ir),
            &schema::attributes_schema(&ir).to_value(),
            48,
        );
    }
}

#[test]
fn bundle_dispatches_on_the_event_name() {
    let ir = load("tests/fixtures/full");
    let v = validator(&schema::bundle_schema(&ir).to_value());
    assert!(!v.is_valid(&serde_json::json!({"name": "no_such_event", "data": {}})));
    assert!(!v.is_valid(&serde_json::json!({"name": "page_viewed"})));
    assert!(v.is_valid(&serde_json::json!({"name": "page_viewed", "data": {"path": "/"}})));
    assert!(!v.is_valid(&serde_json::json!({"name": "page_viewed", "data": {"path": ""}})));
}

#[test]
fn timestamps_refuse_milliseconds_and_dates_refuse_impossible_days() {
    let ir = load("tests/fixtures/full");
    let e = ir.event_by_name("points_redeemed").unwrap();
    let v = validator(&schema::event_schema(&ir, e).to_value());
    let mut data = example::event_data(&ir, e).to_value();
    assert!(v.is_valid(&data));
    data["redeemed_at"] = 1_717_430_400_000i64.into();
    assert!(!v.is_valid(&data));
    data["redeemed_at"] = 1_717_430_400.into();
    data["expires_on"] = "2025-02-29".into();
    assert!(!v.is_valid(&data));
    data["expires_on"] = "2024-02-29".into();
    assert!(v.is_valid(&data));
}
