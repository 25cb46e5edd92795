//! Random contracts with hostile names (keywords, prelude names, digits, spaces, unicode,
//! punctuation, near-collisions), for the tests that check what the emitters make of them
//! (`tests/hostile_names.rs`: the Rust compiles; `tests/rust_text.rs`: the text emitter
//! writes what prettyplease would).
//!
//! [`contract`] is the plain generator. [`rich_contract`] adds what stresses the layout
//! of the generated Rust: long names, long descriptions with quotes, backslashes, code
//! fences and comment markers, long enums with aliases, constraints with escapes, pii,
//! deprecations and open objects. Both are deterministic in the [`Rng`]; the plain one
//! draws the same sequence as before the rich one existed, so fixed seeds keep their
//! contracts.

use serde_json::{Map, Value, json};

pub const NAMES: &[&str] = &[
    // keywords, raw or not
    "type",
    "match",
    "self",
    "Self",
    "crate",
    "super",
    "async",
    "gen",
    "fn",
    "r#type",
    "_",
    // prelude and std names
    "String",
    "Option",
    "Vec",
    "Result",
    "Box",
    "Serialize",
    "Deserialize",
    "Event",
    "Some",
    "None",
    "Ok",
    "Err",
    "Default",
    "Clone",
    "Debug",
    "str",
    "i64",
    "bool",
    "core",
    "std",
    "trackc",
    "serde",
    "Validate",
    "Attributes",
    "Path",
    "Timestamp",
    "Date",
    // digits, spaces, punctuation
    "1st",
    "42",
    "order id",
    "a+b",
    "100%",
    "x.y",
    "a-b",
    "a/b",
    "#tag",
    "$",
    "",
    " ",
    "__",
    "a__b",
    "<html>",
    "\"quoted\"",
    "back\\slash",
    "new\nline",
    "`tick`",
    "*/",
    "/*",
    // unicode
    "über",
    "日本",
    "naïve",
    "Ελληνικά",
    "emoji🎉",
    "ß",
    // near-collisions
    "cartValue",
    "cart_value",
    "CartValue",
    "cart-value",
    "CART_VALUE",
    "value",
    "Value",
];

/// xorshift64: tiny, seedable, the same sequence on every platform.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn name(&mut self) -> String {
        let a = NAMES[self.below(NAMES.len())];
        match self.below(4) {
            0 => {
                let b = NAMES[self.below(NAMES.len())];
                format!("{a}_{b}")
            }
            1 => format!("{a}{}", self.below(3)),
            _ => a.to_owned(),
        }
    }

    fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
        from[self.below(from.len())]
    }
}

/// The seed of a randomized test: the variable `var` when set, else `ci` under `CI` (so a
/// red build is always reproducible), else one from the clock (each run explores a new
/// one; tests print it on failure). Never zero, which xorshift cannot leave.
pub fn seed(var: &str, ci: u64) -> u64 {
    let seed = std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            if std::env::var_os("CI").is_some() {
                return ci;
            }
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    seed | 1
}

/// Check contract `i` of a generator, as the file `hostile-{i}.yaml`.
pub fn check(text: &str, i: usize) -> crate::Checked {
    let name = format!("hostile-{i}.yaml");
    let mut sources = crate::source::SourceMap::default();
    sources.add(crate::source::SourceFile::new(
        name.clone(),
        name.into(),
        text.to_owned(),
    ));
    crate::check_sources(sources)
}

/// Descriptions that rustdoc and prettyplease must take as they are.
const TEXTS: &[&str] = &[
    "Say \"hi\" to C:\\path\\to\\file; a trailing backslash \\",
    "Line one.\n\n    indented line that must lose its indentation\n\nThird paragraph.",
    "Example:\n```json\n{\"a\": 1,\n  \"b\": \"x\\\\y\"}\n```\nAfter the fence.",
    "An unterminated fence:\n```\n  kept   \n   ",
    "*/ closes a comment, /* opens one",
    "trailing spaces   \n   and a\ttab",
    "Unicode: über naïve 日本 emoji🎉 ß Ελληνικά — e\u{301} zero\u{200b}width",
    "<html> & entities &amp; `code` with `backticks` and 'single' quotes",
    "/// looks like a doc comment\n//! and an inner one",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor \
     incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud \
     exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.",
];

/// Patterns and notes with characters a string literal escapes.
const ESCAPED: &[&str] = &[
    "^[a-z]+\\d{2}$",
    "^\"[^\"]*\"$",
    "^(?:[A-Z]{3}-[0-9]{4}|[a-z_]+\\.[a-z_]+|\\p{L}+)(?:/[a-z0-9]+)*$",
    "^é+$",
    "use `x` instead \"now\"",
    "tab\there and a newline\nthere",
];

fn scalar(rng: &mut Rng, rich: bool) -> Value {
    if rich && rng.below(3) == 0 {
        return match rng.below(5) {
            0 => {
                json!({"type": "string", "pattern": rng.pick(ESCAPED), "max_length": 1 + rng.below(5000)})
            }
            1 => {
                json!({"type": "string", "format": rng.pick(&["email", "uri", "uuid", "e164", "currency"])})
            }
            2 => json!({"type": "number", "minimum": -0.25, "maximum": 1e20}),
            3 => {
                json!({"type": "integer", "minimum": -9_007_199_254_740_000_i64, "maximum": 123_456_789_012_i64})
            }
            _ => json!({"type": "string", "min_length": 1, "max_length": 2}),
        };
    }
    match rng.below(7) {
        0 => json!("string"),
        1 => json!({"type": "integer", "minimum": -5, "maximum": 5}),
        2 => json!({"type": "number", "minimum": 0.5}),
        3 => json!("boolean"),
        4 => json!("timestamp"),
        5 => json!("date"),
        _ => json!({"type": "string", "pattern": "[a-z]+", "min_length": 1}),
    }
}

/// A name; rich names are sometimes several names long.
fn name(rng: &mut Rng, rich: bool) -> String {
    let mut n = rng.name();
    if rich && rng.below(3) == 0 {
        for _ in 0..1 + rng.below(4) {
            n.push(if rng.below(2) == 0 { '_' } else { ' ' });
            n.push_str(&rng.name());
        }
    }
    n
}

fn description(rng: &mut Rng, rich: bool) -> String {
    if !rich {
        return rng.name();
    }
    let mut d = String::new();
    for _ in 0..1 + rng.below(3) {
        if !d.is_empty() {
            d.push_str(if rng.below(2) == 0 { " " } else { "\n\n" });
        }
        if rng.below(3) == 0 {
            d.push_str(&name(rng, true));
        } else {
            d.push_str(rng.pick(TEXTS));
        }
    }
    d
}

fn enumeration(rng: &mut Rng, rich: bool) -> Value {
    if !rich {
        let mut values: Vec<String> = (0..1 + rng.below(4)).map(|_| rng.name()).collect();
        values.sort();
        values.dedup();
        return json!({"type": "enum", "values": values});
    }
    // Spellings drawn twice would be refused (`duplicate-definition`), values that differ
    // only in case or punctuation too (`identifier-collision`): skip them, so that most
    // rich contracts check clean.
    let key = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let mut spellings = std::collections::HashSet::new();
    let mut variants = std::collections::HashSet::new();
    let mut values = Map::new();
    for _ in 0..1 + rng.below(14) {
        let value = name(rng, true);
        if !variants.insert(key(&value)) || !spellings.insert(value.clone()) {
            continue;
        }
        let mut v = Map::new();
        if rng.below(2) == 0 {
            v.insert("description".into(), json!(description(rng, true)));
        }
        if rng.below(2) == 0 {
            let aliases: Vec<String> = (0..1 + rng.below(5))
                .map(|_| name(rng, true))
                .filter(|a| spellings.insert(a.clone()))
                .collect();
            v.insert("aliases".into(), json!(aliases));
        }
        values.insert(value, Value::Object(v));
    }
    json!({"type": "enum", "values": values})
}

fn ty(rng: &mut Rng, types: &[String], depth: usize, rich: bool) -> Value {
    match rng.below(if depth > 1 { 3 } else { 6 }) {
        0 | 1 => scalar(rng, rich),
        2 if !types.is_empty() => json!(types[rng.below(types.len())]),
        2 => scalar(rng, rich),
        3 => {
            let mut a = json!({"type": "array", "items": ty(rng, types, depth + 1, rich)});
            if rich && rng.below(2) == 0 {
                a["min_items"] = json!(rng.below(3));
                a["max_items"] = json!(3 + rng.below(100));
            }
            a
        }
        4 => enumeration(rng, rich),
        _ => {
            let mut o = json!({"type": "object", "properties": props(rng, types, depth + 1, rich)});
            if rich && rng.below(3) == 0 {
                o["additional_properties"] = json!(true);
            }
            o
        }
    }
}

fn props(rng: &mut Rng, types: &[String], depth: usize, rich: bool) -> Value {
    let mut m = Map::new();
    for _ in 0..1 + rng.below(if rich { 8 } else { 4 }) {
        let mut p = match ty(rng, types, depth, rich) {
            Value::String(s) => json!({"type": s}),
            v => v,
        };
        if rng.below(3) == 0 {
            p["optional"] = json!(true);
        }
        if rng.below(5) == 0 {
            p["description"] = json!(description(rng, rich));
        }
        if rich {
            if rng.below(3) == 0 {
                p["pii"] = json!(true);
            }
            if rng.below(6) == 0 {
                p["deprecated"] = json!(rng.pick(ESCAPED));
            }
        }
        m.insert(name(rng, rich), p);
    }
    Value::Object(m)
}

/// A contract of the plain generator.
pub fn contract(rng: &mut Rng, i: usize) -> String {
    generate(rng, i, false)
}

/// A contract of the rich generator.
pub fn rich_contract(rng: &mut Rng, i: usize) -> String {
    generate(rng, i, true)
}

fn generate(rng: &mut Rng, i: usize, rich: bool) -> String {
    let mut type_names: Vec<String> = (0..rng.below(4)).map(|_| name(rng, rich)).collect();
    // A name drawn twice would be one map key: the later definition, which may refer to
    // the earlier one, would then refer to itself.
    let mut seen = std::collections::HashSet::new();
    type_names.retain(|n| seen.insert(n.clone()));
    let mut types = Map::new();
    for (k, n) in type_names.iter().enumerate() {
        // Only earlier types may be referenced: no cycles.
        let mut v = match ty(rng, &type_names[..k], 0, rich) {
            Value::String(s) => json!({"type": s}),
            v => v,
        };
        if rich && rng.below(4) == 0 {
            v["description"] = json!(description(rng, true));
        }
        if rich && rng.below(6) == 0 {
            v["deprecated"] = json!(rng.pick(ESCAPED));
        }
        types.insert(n.clone(), v);
    }
    let mut events = Map::new();
    for _ in 0..1 + rng.below(4) {
        // The key first: the plain generator's draws keep their order.
        let key = name(rng, rich);
        let mut e = json!({"description": description(rng, rich), "properties": props(rng, &type_names, 0, rich)});
        if rich {
            if rng.below(2) == 0 {
                e["owner"] = json!(name(rng, true));
            }
            if rng.below(5) == 0 {
                e["deprecated"] = json!(rng.pick(ESCAPED));
            }
            if rng.below(3) == 0 {
                e["backfill"] = json!("allowed");
            }
        }
        events.insert(key, e);
    }
    let mut attributes = Map::new();
    for _ in 0..rng.below(if rich { 6 } else { 3 }) {
        let key = name(rng, rich);
        let mut a = scalar(rng, rich);
        if rich {
            if !a.is_object() {
                a = json!({"type": a});
            }
            if rng.below(2) == 0 {
                a["pii"] = json!(true);
            }
            if rng.below(3) == 0 {
                a["description"] = json!(description(rng, true));
            }
        }
        attributes.insert(key, a);
    }
    let doc = json!({
        "contract": format!("hostile-{i}"),
        "version": "1.0.0",
        "identity": {"id": "customer_id"},
        "lints": {"naming-convention": "allow"},
        "types": types,
        "attributes": attributes,
        "events": events,
    });
    serde_json::to_string_pretty(&doc).unwrap()
}
