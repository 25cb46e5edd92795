//! A minor contract change cannot break a Rust producer (issue 17.4), proven by compiling.
//!
//! For every diff rule's fixture pair (`tests/fixtures/diff/RULE/{old,new}`, which
//! `tests/diff.rs` proves report that rule) and for the variants below (more places a
//! minor change can happen: a nested object, an event with no optional property yet, an
//! inline enum, deprecations of other items, reordered properties), a producer is written
//! against the OLD contract's generated types the documented way (docs/rust.md: `new` with
//! the required properties in wire-name order, a `with_*` setter per optional one, every
//! field read, every named type named, a `_` arm in every match on a generated enum, the
//! types in a crate of their own) and compiled against the NEW contract's types.
//!
//! What must happen is what `trackc diff` says about the pair: the strongest
//! [`RustEffect`] of the changes it reports. `None`: the producer compiles without a
//! deprecation warning; `Warns`: it compiles with one; `Breaks` ("breaks Rust producers"
//! in diff's report): it does not compile. Every minor and patch rule must be `None` or
//! `Warns`, so no minor change breaks a producer.
//!
//! One `cargo check` builds it all, in one target folder under Cargo's test temporary
//! folder (kept between runs, shared with trackc-codegen's `hostile_names` test): an `events` crate with a module per distinct generated
//! text, an `ok` crate with a producer module per pair that must compile, and a crate per
//! pair that must not (`breaks_*`), so each failure is attributed to its pair.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use trackc_codegen::ir::{Ir, Property, Ty, TypeKind};
use trackc_codegen::rules::{Bump, DiffRule, RustEffect};
use trackc_codegen::source::{SourceFile, SourceMap};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const FIXTURES: &str = "tests/fixtures/diff";

/// More minor (and no-change) edits than the one fixture pair per rule: edits to the
/// fixtures' base contract, and the rules `trackc diff` must report for them.
struct Variant {
    name: &'static str,
    /// (find, replace), each found exactly once.
    edits: &'static [(&'static str, &'static str)],
    rules: &'static [&'static str],
}

const VARIANTS: &[Variant] = &[
    // The issue's case: an optional property on an event that had none.
    Variant {
        name: "optional-property-on-an-all-required-event",
        edits: &[(
            "      revenue: { type: number, minimum: 0 }\n",
            "      revenue: { type: number, minimum: 0 }\n      gift_note: { type: string, optional: true }\n",
        )],
        rules: &["property-added"],
    },
    Variant {
        name: "optional-property-on-a-nested-object",
        edits: &[(
            "      category: Category\n",
            "      category: Category\n      gift_wrap: { type: boolean, optional: true }\n",
        )],
        rules: &["property-added"],
    },
    Variant {
        name: "inline-enum-value-added",
        edits: &[(
            "plan: { type: enum, values: [free, pro] }",
            "plan: { type: enum, values: [free, pro, team] }",
        )],
        rules: &["enum-value-added"],
    },
    Variant {
        name: "property-deprecated",
        edits: &[(
            "coupon: { type: string, optional: true }",
            "coupon: { type: string, optional: true, deprecated: use promo_code }",
        )],
        rules: &["deprecation-changed"],
    },
    Variant {
        name: "type-deprecated",
        edits: &[(
            "    description: Product category.\n",
            "    description: Product category.\n    deprecated: use tags\n",
        )],
        rules: &["deprecation-changed"],
    },
    // Not a change at all: `new`'s arguments are in wire-name order, not contract
    // order, so reordering swaps no argument.
    Variant {
        name: "properties-reordered",
        edits: &[
            (
                "      checkout_id: { type: string, min_length: 1 }\n      cart_value: { type: number, minimum: 0, examples: [20.5] }\n",
                "      cart_value: { type: number, minimum: 0, examples: [20.5] }\n      checkout_id: { type: string, min_length: 1 }\n",
            ),
            (
                "      sku: Sku\n      quantity: { type: integer, minimum: 1 }\n",
                "      quantity: { type: integer, minimum: 1 }\n      sku: Sku\n",
            ),
        ],
        rules: &[],
    },
];

/// One pair to compile: its name, both contracts' texts and the rules diff reports.
struct Pair {
    name: String,
    old: String,
    new: String,
}

fn check(name: &str, side: &str, text: &str) -> Ir {
    let file = format!("{name}/{side}/contract.yaml");
    let mut sources = SourceMap::default();
    sources.add(SourceFile::new(file.clone(), file.into(), text.to_owned()));
    let c = trackc_codegen::check_sources(sources);
    assert!(!c.has_errors(), "{name}/{side}:\n{}", c.render(false));
    c.ir.unwrap()
}

fn pairs() -> Vec<Pair> {
    let dir = root().join(FIXTURES);
    let read = |rule: &str, side: &str| {
        std::fs::read_to_string(dir.join(rule).join(side).join("contract.yaml"))
            .unwrap_or_else(|e| panic!("{rule}/{side}: {e}"))
    };
    let mut out: Vec<Pair> = DiffRule::ALL
        .iter()
        .map(|r| Pair {
            name: r.id().to_owned(),
            old: read(r.id(), "old"),
            new: read(r.id(), "new"),
        })
        .collect();
    // The base every rule's pair edits (event-added's old side is it unchanged).
    let base = read("event-added", "old");
    for Variant { name, edits, .. } in VARIANTS {
        let mut new = base.clone();
        for (find, replace) in *edits {
            assert_eq!(new.matches(find).count(), 1, "{name}: {find:?}");
            new = new.replace(find, replace);
        }
        out.push(Pair {
            name: (*name).to_owned(),
            old: base.clone(),
            new,
        });
    }
    out
}

fn unraw(s: &str) -> &str {
    s.strip_prefix("r#").unwrap_or(s)
}

/// Writes a producer against the generated module at path `m`, from the contract it was
/// written for.
struct Producer<'a> {
    ir: &'a Ir,
    m: String,
}

impl Producer<'_> {
    /// An expression of type `ty`, or `None` where it would recurse (a type that contains
    /// itself does so through optional properties, which are then left unset).
    fn value(&self, ty: &Ty, stack: &mut Vec<u32>) -> Option<String> {
        let m = &self.m;
        Some(match ty {
            Ty::String(_) => "::std::string::String::from(\"x\")".into(),
            Ty::Integer(_) => "1i64".into(),
            Ty::Number(_) => "1.0f64".into(),
            Ty::Boolean => "true".into(),
            Ty::Timestamp => "::trackc::Timestamp::from_unix_seconds(1)".into(),
            Ty::Date => "\"2026-01-31\".parse::<::trackc::Date>().unwrap()".into(),
            Ty::Array(a) => format!("::std::vec![{}]", self.value(&a.items, stack)?),
            Ty::Ref(id) => {
                let t = self.ir.ty(*id);
                match &t.kind {
                    TypeKind::Alias(inner) => self.value(inner, stack)?,
                    TypeKind::Enum(_) => format!("{m}::{}::ALL[0]", t.rust_name),
                    TypeKind::Object(o) => {
                        if stack.contains(&id.0) {
                            return None;
                        }
                        stack.push(id.0);
                        let v = self.construct(&t.rust_name, &o.properties, false, stack);
                        stack.pop();
                        v?
                    }
                }
            }
        })
    }

    /// `Name::new(required, by wire name).with_x(..)...` (docs/rust.md).
    fn construct(
        &self,
        name: &str,
        props: &[Property],
        all_optional: bool,
        stack: &mut Vec<u32>,
    ) -> Option<String> {
        let optional = |p: &Property| p.optional || all_optional;
        let mut required: Vec<&Property> = props.iter().filter(|p| !optional(p)).collect();
        required.sort_by(|a, b| a.name.cmp(&b.name));
        let args = required
            .iter()
            .map(|p| self.value(&p.ty, stack))
            .collect::<Option<Vec<_>>>()?;
        let mut s = format!("{}::{name}::new({})", self.m, args.join(", "));
        for p in props.iter().filter(|p| optional(p)) {
            if let Some(v) = self.value(&p.ty, stack) {
                let setter = unraw(&p.rust_name).trim_start_matches('_');
                let _ = write!(s, "\n        .with_{setter}({v})");
            }
        }
        Some(s)
    }

    fn reads(name: &str, props: &[Property]) -> String {
        props
            .iter()
            .map(|p| format!("    let _ = &{name}.{};\n", p.rust_name))
            .collect()
    }

    fn module(&self) -> String {
        let (ir, m) = (self.ir, &self.m);
        let mut s = String::from("pub fn run() {\n");
        let a = self.construct("PersonAttributes", &ir.attributes, true, &mut Vec::new());
        let _ = writeln!(s, "    let a = {};", a.unwrap());
        s.push_str("    let _ = ::trackc::Attributes::validate(&a);\n");
        s.push_str(&Self::reads("a", &ir.attributes));
        for e in &ir.events {
            let v = self.construct(&e.rust_name, &e.properties, false, &mut Vec::new());
            let _ = writeln!(s, "    {{\n    let e = {};", v.unwrap());
            s.push_str("    let _ = ::trackc::Event::validate(&e);\n");
            s.push_str("    let _ = ::trackc::serde_json::to_value(&e);\n");
            s.push_str(&Self::reads("e", &e.properties));
            s.push_str("    }\n");
        }
        for (i, t) in ir.types.iter().enumerate() {
            let n = &t.rust_name;
            let _ = writeln!(s, "    let _: ::core::option::Option<{m}::{n}> = None;");
            match &t.kind {
                TypeKind::Object(o) => {
                    let v = self.construct(n, &o.properties, false, &mut vec![i as u32]);
                    if let Some(v) = v {
                        let _ = writeln!(s, "    {{\n    let o = {v};");
                        s.push_str(&Self::reads("o", &o.properties));
                        s.push_str("    }\n");
                    }
                }
                TypeKind::Enum(en) => {
                    let _ = writeln!(s, "    match {m}::{n}::ALL[0] {{");
                    for v in &en.values {
                        let _ = writeln!(s, "        {m}::{n}::{} => {{}}", v.rust_name);
                    }
                    s.push_str("        _ => {}\n    }\n");
                    let _ = writeln!(s, "    let _ = {m}::{n}::normalize(\"x\");");
                }
                TypeKind::Alias(_) => {}
            }
        }
        s.push_str("}\n");
        s
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Unchanged files keep their mtime, so a second run rebuilds nothing.
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}

fn manifest(name: &str, deps: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [lib]\npath = \"lib.rs\"\n\n[dependencies]\n{deps}"
    )
}

/// What compiling one pair's producer against its new types must do.
struct Expect {
    pair: String,
    effect: RustEffect,
    /// The producer's file (`ok/pN.rs`) or crate (`breaks_N`).
    at: String,
}

#[test]
fn minor_changes_keep_rust_producers_compiling() {
    // Every minor and patch rule keeps producers compiling.
    for r in DiffRule::ALL {
        let c = r.class();
        if c.bump <= Bump::Minor {
            assert_ne!(
                c.rust,
                RustEffect::Breaks,
                "{r} is minor or patch but breaks Rust"
            );
        }
    }

    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rust-minor-changes");
    let crates = work.join("crates");
    let trackc = root().join("runtime");
    let trackc_dep = format!("trackc = {{ path = {:?} }}\n", trackc.display().to_string());
    let events_dep = format!("{trackc_dep}events = {{ path = \"../events\" }}\n");

    // Generated texts, deduplicated: most pairs share the base as their old side.
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    let mut module_of = |text: String| -> String {
        let n = modules.len();
        modules
            .entry(text)
            .or_insert_with(|| format!("v{n}"))
            .clone()
    };
    let mut producers: BTreeMap<(String, String, bool), String> = BTreeMap::new();
    let mut broken_crates: BTreeSet<String> = BTreeSet::new();
    let mut expects: Vec<Expect> = Vec::new();
    let variants: BTreeMap<&str, &[&str]> = VARIANTS.iter().map(|v| (v.name, v.rules)).collect();
    let mut ok_lib = String::new();

    for pair in pairs() {
        let old = check(&pair.name, "old", &pair.old);
        let new = check(&pair.name, "new", &pair.new);
        let report = trackc_codegen::diff::diff(&old, &new);
        let rules: BTreeSet<DiffRule> = report.changes.iter().map(|c| c.rule).collect();
        match variants.get(pair.name.as_str()) {
            Some(want) => {
                let got: Vec<&str> = rules.iter().map(|r| r.id()).collect();
                assert_eq!(&got, want, "{}: the rules diff reports", pair.name);
            }
            None => assert!(
                rules.iter().any(|r| r.id() == pair.name),
                "{}: its fixture pair does not report it",
                pair.name
            ),
        }
        let effect = rules
            .iter()
            .map(|r| r.class().rust)
            .max()
            .unwrap_or(RustEffect::None);
        let old_m = module_of(trackc_codegen::emit::rust::generate(&old));
        let new_m = module_of(trackc_codegen::emit::rust::generate(&new));
        // The producer against the old types must compile (it is written correctly), and
        // against the new ones as diff says.
        let sides = [
            (&old_m, false, format!("{} (old against old)", pair.name)),
            (&new_m, effect == RustEffect::Breaks, pair.name.clone()),
        ];
        for (i, (target, must_break, what)) in sides.into_iter().enumerate() {
            if i == 0 && old_m == new_m {
                continue; // the same compile as the new side's
            }
            let key = (old_m.clone(), target.clone(), must_break);
            let fresh = !producers.contains_key(&key);
            let name = producers
                .entry(key)
                .or_insert_with(|| format!("p_{old_m}_{target}"))
                .clone();
            let text = || {
                let p = Producer {
                    ir: &old,
                    m: format!("::events::{target}"),
                };
                format!("#![allow(unused)]\n{}", p.module())
            };
            let at = if must_break {
                let krate = format!("breaks_{name}");
                if fresh {
                    write(&crates.join(&krate).join("lib.rs"), &text());
                    write(
                        &crates.join(&krate).join("Cargo.toml"),
                        &manifest(&krate, &events_dep),
                    );
                }
                broken_crates.insert(krate.clone());
                krate
            } else {
                if fresh {
                    write(&crates.join("ok").join(format!("{name}.rs")), &text());
                    let _ = writeln!(ok_lib, "pub mod {name};");
                }
                format!("ok/{name}.rs")
            };
            expects.push(Expect {
                pair: what,
                effect: if i == 0 { RustEffect::None } else { effect },
                at,
            });
        }
    }
    assert!(
        expects.iter().any(|e| e.effect == RustEffect::Breaks)
            && expects.iter().any(|e| e.effect == RustEffect::Warns),
        "every effect is exercised"
    );

    let mut events_lib = String::new();
    for (text, m) in &modules {
        write(&crates.join("events").join(format!("{m}.rs")), text);
        let _ = writeln!(events_lib, "pub mod {m} {{\n    include!(\"{m}.rs\");\n}}");
    }
    write(&crates.join("events/lib.rs"), &events_lib);
    write(
        &crates.join("events/Cargo.toml"),
        &manifest("events", &trackc_dep),
    );
    write(&crates.join("ok/lib.rs"), &ok_lib);
    write(&crates.join("ok/Cargo.toml"), &manifest("ok", &events_dep));
    let members: Vec<String> = ["events", "ok"]
        .iter()
        .map(|s| s.to_string())
        .chain(broken_crates.iter().cloned())
        .map(|m| format!("{m:?}"))
        .collect();
    write(
        &crates.join("Cargo.toml"),
        &format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    );
    // The workspace's lock file: the same dependency versions, resolved offline.
    write(
        &crates.join("Cargo.lock"),
        &std::fs::read_to_string(root().join("Cargo.lock")).unwrap(),
    );

    let out = Command::new(env!("CARGO"))
        .args([
            "check",
            "--workspace",
            "--keep-going",
            "--offline",
            "--message-format=short",
        ])
        .current_dir(&crates)
        // Shared with trackc-codegen's `hostile_names` test: the runtime and its
        // dependencies are checked once for both.
        .env(
            "CARGO_TARGET_DIR",
            work.with_file_name("generated-crates-target"),
        )
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // `error: could not compile `NAME` (lib) ...`
    let failed: BTreeSet<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error: could not compile `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    // `ok/p_v0_v1.rs:12:5: warning: use of deprecated ...`
    let deprecated: BTreeSet<&str> = stderr
        .lines()
        .filter(|l| l.contains(": warning: use of deprecated"))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert!(
        !failed.contains("events") && !failed.contains("ok"),
        "a producer stopped compiling after a change diff does not say breaks Rust \
         producers (or the generated code does not compile):\n{stderr}"
    );
    for e in &expects {
        match e.effect {
            RustEffect::Breaks => assert!(
                failed.contains(e.at.as_str()),
                "{}: diff says it breaks Rust producers, but {} compiles:\n{stderr}",
                e.pair,
                e.at
            ),
            RustEffect::Warns => assert!(
                deprecated.contains(e.at.as_str()),
                "{}: diff says it warns Rust producers, but {} has no deprecation warning:\n{stderr}",
                e.pair,
                e.at
            ),
            RustEffect::None => assert!(
                !deprecated.contains(e.at.as_str()),
                "{}: {} warns, but diff does not say so:\n{stderr}",
                e.pair,
                e.at
            ),
        }
    }
}
