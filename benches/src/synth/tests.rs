use super::*;

fn checked(spec: &Spec) -> (tempfile::TempDir, trackc_codegen::Checked) {
    let dir = tempfile::tempdir().unwrap();
    contract(spec).write(dir.path()).unwrap();
    let checked = trackc_codegen::check(dir.path()).unwrap();
    (dir, checked)
}

#[test]
fn same_seed_same_bytes() {
    let a = contract(&Spec::new(40, 8, 7));
    assert_eq!(a, contract(&Spec::new(40, 8, 7)));
    assert_ne!(a, contract(&Spec::new(40, 8, 8)));
    assert!(a.files.len() >= 7, "several files per contract");
}

#[test]
fn contracts_are_clean_under_every_rule() {
    for spec in [
        Spec::new(1, 2, 1),
        Spec::new(60, 10, 2),
        Spec::new(130, 6, 3),
    ] {
        let (_dir, c) = checked(&spec);
        assert!(c.diagnostics.is_empty(), "{spec:?}:\n{}", c.render(false));
        let ir = c.ir.as_ref().unwrap();
        assert_eq!(ir.events.len(), spec.events);
        assert!(
            ir.events
                .iter()
                .all(|e| e.properties.len() >= spec.properties)
        );
    }
}

#[test]
fn contracts_cover_the_format() {
    use trackc_codegen::ir::{TypeKind, TypeOrigin};
    let (_dir, c) = checked(&Spec::new(60, 12, 4));
    let ir = c.valid_ir().unwrap();
    let enums_with_aliases = ir.types.iter().filter(
        |t| matches!(&t.kind, TypeKind::Enum(e) if e.values.iter().any(|v| !v.aliases.is_empty())),
    );
    assert!(enums_with_aliases.count() > 4);
    let inline_objects = ir.types.iter().filter(|t| {
        matches!(t.origin, TypeOrigin::Inline { .. }) && matches!(t.kind, TypeKind::Object(_))
    });
    assert!(inline_objects.count() > 2);
    assert!(
        ir.types
            .iter()
            .any(|t| matches!(t.kind, TypeKind::Alias(_)))
    );
    assert!(
        ir.events
            .iter()
            .any(|e| e.properties.iter().any(|p| matches!(p.ty, Ty::Array(_))))
    );
    assert!(ir.attributes.iter().any(|a| a.consent.is_some()));
    assert!(ir.segments.len() >= 6 && ir.workflows.len() >= 3);
    assert!(ir.segments.iter().any(|s| {
        s.conditions()
            .any(|c| matches!(c, trackc_codegen::ir::Condition::Segment { .. }))
    }));
}

#[test]
fn traffic_is_deterministic_and_valid() {
    let (_dir, c) = checked(&Spec::new(60, 10, 5));
    let ir = c.valid_ir().unwrap();
    let t = traffic(ir, &TrafficSpec::valid(2_000, 9));
    assert_eq!(t, traffic(ir, &TrafficSpec::valid(2_000, 9)));
    assert_eq!(t.lines().count(), 2_000);
    let v = trackc_codegen::validate::Validator::new(ir).unwrap();
    let (summary, violations) = v.validate_str(&t);
    assert!(summary.records > 2_000, "batches hold several records");
    assert!(
        violations.is_empty(),
        "{:#?}",
        &violations[..violations.len().min(5)]
    );
    assert_eq!(summary.invalid, 0);
}

#[test]
fn invalid_share_is_reported() {
    let (_dir, c) = checked(&Spec::new(60, 10, 6));
    let ir = c.valid_ir().unwrap();
    let spec = TrafficSpec {
        invalid_per_mille: 100,
        batch_per_mille: 0,
        ..TrafficSpec::valid(2_000, 10)
    };
    let t = traffic(ir, &spec);
    let v = trackc_codegen::validate::Validator::new(ir).unwrap();
    let (summary, _) = v.validate_str(&t);
    // Every broken line is one invalid record (no batches here).
    assert!((150..=250).contains(&summary.invalid), "{summary:?}");
}

#[test]
fn example_contract_traffic_is_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contract");
    let c = trackc_codegen::check(&root).unwrap();
    let ir = c.valid_ir().unwrap();
    let t = traffic(ir, &TrafficSpec::valid(1_000, 3));
    let v = trackc_codegen::validate::Validator::new(ir).unwrap();
    let (_, violations) = v.validate_str(&t);
    assert!(
        violations.is_empty(),
        "{:#?}",
        &violations[..violations.len().min(5)]
    );
}

/// The Rust emitter's layout on the synthetic contracts (every feature the generator
/// writes, several files, up to 120 events): prettyplease's layout of itself.
#[test]
fn generated_rust_is_prettypleases_layout() {
    for (events, properties, seed) in [(1, 2, 1), (10, 8, 1), (120, 8, 7), (60, 12, 3)] {
        let (_dir, c) = checked(&Spec::new(events, properties, seed));
        let ir = c.valid_ir().expect("the synthetic contract checks clean");
        let text = trackc_codegen::emit::rust::generate(ir);
        if let Err(e) = trackc_codegen::testing::rust_text::fixpoint(&text) {
            panic!("synth {events}x{properties} seed {seed}: {e}");
        }
    }
}
