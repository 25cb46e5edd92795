//! Deterministic synthetic contracts and traffic, by seed.
//!
//! [`contract`] writes N events × M properties as a team would: several YAML files
//! (`contract.yaml`, `people.yaml`, `types/*.yaml`, `events/*.yaml`, `segments/*.yaml`,
//! `workflows/*.yaml`), with named enums with aliases, named objects with nested inline
//! objects and enums, arrays of objects and of strings, named scalar (alias) types,
//! string formats, attributes (consent flags, derived values), segments (event, attribute
//! and segment conditions, `where` paths into arrays of objects and nested objects, counts)
//! and workflows (segment and event triggers, audiences with consent, exit conditions).
//! The output is clean under every checker rule: no error and no warning.
//!
//! [`traffic`] writes matching NDJSON (Track v2 operations, v2 batches and v1 requests)
//! for any checked contract's IR, optionally with a share of invalid records.
//!
//! Same inputs, same bytes: the generator uses its own PRNG ([`Rng`], SplitMix64), never
//! the platform's or a crate's whose stream could change.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use trackc_codegen::ir::{Ir, Property, StringFormat, StringTy, Ty, TypeKind};

/// SplitMix64: small, fast, and stable forever.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < per_mille as u64
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    pub events: usize,
    /// Properties per event (at least 2: the id and one more).
    pub properties: usize,
    pub seed: u64,
}

impl Spec {
    pub fn new(events: usize, properties: usize, seed: u64) -> Self {
        Spec {
            events: events.max(1),
            properties: properties.max(2),
            seed,
        }
    }
}

/// A generated contract: files relative to the contract folder, in path order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    pub files: Vec<(PathBuf, String)>,
}

impl Contract {
    /// Write every file under `dir` (created as needed).
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        for (rel, text) in &self.files {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, text)?;
        }
        Ok(())
    }

    pub fn bytes(&self) -> usize {
        self.files.iter().map(|(_, t)| t.len()).sum()
    }

    /// The file holding `event`'s definition and the event's block in it (for edit tests).
    pub fn find_event(&self, event: &str) -> Option<(usize, usize)> {
        let needle = format!("\n  {event}:\n");
        self.files
            .iter()
            .enumerate()
            .find_map(|(i, (_, t))| t.find(&needle).map(|at| (i, at + 1)))
    }
}

const NOUNS: &[&str] = &[
    "invoice",
    "parcel",
    "coupon",
    "review",
    "ticket",
    "wishlist",
    "gift_card",
    "shipment",
    "loyalty_tier",
    "survey",
    "referral",
    "return_request",
    "store_credit",
    "quiz",
    "appointment",
    "sample_box",
];
const VERBS: &[&str] = &[
    "created",
    "updated",
    "viewed",
    "shared",
    "sent",
    "opened",
    "claimed",
    "expired",
    "completed",
    "failed",
    "scheduled",
    "canceled",
];
const WORDS: &[&str] = &[
    "bronze",
    "silver",
    "gold",
    "platinum",
    "basic",
    "premium",
    "trial",
    "legacy",
    "partner",
    "internal",
    "seasonal",
    "clearance",
];
const OWNERS: &[&str] = &[
    "web-storefront",
    "checkout-service",
    "subscription-service",
    "support-desk",
    "mobile-app",
    "warehouse",
];

/// The shapes a pooled property can take. A property name always has one shape, so the
/// contract is free of `inconsistent-property`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Count,
    Amount,
    Flag,
    At,
    OnDate,
    /// A named enum `Category{k}`.
    NamedEnum(usize),
    /// An inline enum with aliases.
    InlineEnum,
    /// An array of the named object `Line{k}`.
    Lines(usize),
    /// An inline object with a nested inline object and enum.
    Detail,
    Tags,
    Format(u8),
    /// The named string type `Sku{k}`.
    Sku(usize),
}

#[derive(Clone, Debug)]
struct PropDef {
    name: String,
    kind: Kind,
    optional: bool,
}

struct Model {
    spec: Spec,
    enums: usize,
    lines: usize,
    skus: usize,
    pool: Vec<PropDef>,
    events: Vec<EventModel>,
    /// Extra attributes, by kind index.
    attrs: Vec<(String, usize)>,
}

struct EventModel {
    name: String,
    props: Vec<usize>,
    idempotent: bool,
    revenue: bool,
    backfill: bool,
    deprecated: bool,
    owner: &'static str,
}

fn enum_values(k: usize) -> Vec<&'static str> {
    let n = 3 + k % 5;
    (0..n).map(|i| WORDS[(k + i) % WORDS.len()]).collect()
}

const INLINE_ENUM: &[(&str, &[&str])] = &[
    ("pending", &["Pending", "PENDING", "waiting"]),
    ("active", &["Active", "ACTIVE"]),
    ("on_hold", &["On hold", "on-hold", "paused"]),
    ("closed", &["Closed", "CLOSED", "done"]),
];

fn title(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn model(spec: Spec) -> Model {
    let mut rng = Rng::new(spec.seed);
    let n = spec.events;
    let m = spec.properties;
    let enums = (n / 10).max(4);
    let lines = (n / 25).max(2);
    let skus = (n / 50).max(2);
    let pool_len = (m * 4).max(48);
    let pool = (0..pool_len)
        .map(|j| {
            let kind = match j % 13 {
                0 => Kind::Text,
                1 => Kind::Count,
                2 => Kind::Amount,
                3 => Kind::Flag,
                4 => Kind::At,
                5 => Kind::OnDate,
                6 => Kind::NamedEnum(rng.below(enums as u64) as usize),
                7 => Kind::InlineEnum,
                8 => Kind::Lines(rng.below(lines as u64) as usize),
                9 => Kind::Detail,
                10 => Kind::Tags,
                11 => Kind::Format((j / 13 % 6) as u8),
                _ => Kind::Sku(rng.below(skus as u64) as usize),
            };
            let stem = match kind {
                Kind::Text => "note",
                Kind::Count => "count",
                Kind::Amount => "amount",
                Kind::Flag => "flag",
                Kind::At => "seen_at",
                Kind::OnDate => "due_on",
                Kind::NamedEnum(_) => "category",
                Kind::InlineEnum => "status",
                Kind::Lines(_) => "lines",
                Kind::Detail => "detail",
                Kind::Tags => "tags",
                Kind::Format(0) => "email",
                Kind::Format(1) => "link",
                Kind::Format(2) => "token",
                Kind::Format(3) => "currency",
                Kind::Format(4) => "country",
                Kind::Format(_) => "phone",
                Kind::Sku(_) => "sku",
            };
            PropDef {
                name: format!("{stem}_{j}"),
                kind,
                optional: j % 4 == 3,
            }
        })
        .collect::<Vec<_>>();
    let events = (0..n)
        .map(|i| {
            let name = format!(
                "{}_{}_{i}",
                NOUNS[i % NOUNS.len()],
                VERBS[(i / NOUNS.len()) % VERBS.len()]
            );
            // M - 1 distinct pool entries (the id is the first property); a partial
            // Fisher–Yates over the pool's indices.
            let want = (m - 1).min(pool_len);
            let mut idx: Vec<usize> = (0..pool_len).collect();
            for k in 0..want {
                let r = k + rng.below((pool_len - k) as u64) as usize;
                idx.swap(k, r);
            }
            idx.truncate(want);
            let revenue = i % 10 == 0;
            EventModel {
                name,
                props: idx,
                idempotent: i % 2 == 0,
                revenue,
                backfill: i % 7 == 3,
                deprecated: i % 13 == 5,
                owner: OWNERS[i % OWNERS.len()],
            }
        })
        .collect();
    let attrs = (0..(n / 20).clamp(7, 250))
        .map(|k| {
            let stem = [
                "pref_text",
                "score",
                "balance",
                "has_feature",
                "last_seen_at",
                "renewal_on",
                "plan",
                "tier",
            ];
            (format!("{}_{k}", stem[k % stem.len()]), k % stem.len())
        })
        .collect();
    Model {
        spec,
        enums,
        lines,
        skus,
        pool,
        events,
        attrs,
    }
}

fn q(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

/// The synthetic contract for `spec`.
pub fn contract(spec: &Spec) -> Contract {
    let m = model(*spec);
    let mut files = Vec::new();
    files.push((PathBuf::from("contract.yaml"), head(&m)));
    files.push((PathBuf::from("people.yaml"), people(&m)));
    files.extend(types(&m));
    files.extend(events(&m));
    files.extend(segments_and_workflows(&m));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Contract { files }
}

fn head(m: &Model) -> String {
    format!(
        "# Synthetic contract: {} events x {} properties, seed {}.\n\
         contract: synthetic-{}-{}\n\
         version: \"1.{}.0\"\n\n\
         identity:\n  id: customer_id\n  id_type: {{ type: string, pattern: \"^cus_[0-9a-z]{{8,}}$\" }}\n  anonymous_id: anonymous_id\n\n\
         # Inline enums repeat on purpose (the shape the benchmarks compare with typify's).\n\
         lints:\n  duplicate-inline-enum: allow\n",
        m.spec.events,
        m.spec.properties,
        m.spec.seed,
        m.spec.events,
        m.spec.properties,
        m.spec.seed % 1000
    )
}

fn people(m: &Model) -> String {
    let mut s = String::from(
        "# Person attributes (identify).\nattributes:\n  \
         email: { type: string, format: email, pii: true, description: Where email is sent., examples: [\"jane@example.com\"] }\n  \
         phone: { type: string, format: e164, pii: true, description: Mobile number for SMS. }\n  \
         first_name: { type: string, max_length: 100, pii: true }\n  \
         email_opt_in: { type: boolean, consent: email, description: Agreed to marketing email. }\n  \
         sms_opt_in: { type: boolean, consent: sms, description: Agreed to marketing SMS. }\n  \
         lifetime_orders: { type: integer, minimum: 0, derived: true }\n  \
         is_vip: { type: boolean, derived: true }\n",
    );
    for (name, kind) in &m.attrs {
        let body = match kind {
            0 => "{ type: string, max_length: 200, description: A free-text preference. }".into(),
            1 => {
                "{ type: integer, minimum: 0, maximum: 100, description: Engagement score. }".into()
            }
            2 => "{ type: number, minimum: 0, description: Store credit balance. }".into(),
            3 => "{ type: boolean, description: Uses the feature. }".into(),
            4 => "{ type: timestamp, description: Last seen (Unix seconds). }".into(),
            5 => "{ type: date }".into(),
            6 => "{ type: enum, values: [free, pro, team], description: Plan. }".into(),
            _ => format!(
                "{{ type: Category{}, description: Preferred category. }}",
                name.len() % m.enums
            ),
        };
        let _ = writeln!(s, "  {name}: {body}");
    }
    s
}

fn chunked<T>(items: &[T], per: usize) -> impl Iterator<Item = (usize, &[T])> {
    items.chunks(per.max(1)).enumerate()
}

fn types(m: &Model) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let enums: Vec<usize> = (0..m.enums).collect();
    for (f, chunk) in chunked(&enums, 50) {
        let mut s = String::from("# Shared enums. Older systems send the aliases.\ntypes:\n");
        for &k in chunk {
            let _ = writeln!(
                s,
                "  Category{k}:\n    type: enum\n    description: Category family {k}.\n    values:"
            );
            for v in enum_values(k) {
                let _ = writeln!(
                    s,
                    "      {v}:\n        description: The {v} kind.\n        aliases: [{}, {}]",
                    q(&title(v)),
                    q(&v.to_ascii_uppercase())
                );
            }
        }
        out.push((PathBuf::from(format!("types/enums_{f:03}.yaml")), s));
    }
    let lines: Vec<usize> = (0..m.lines).collect();
    for (f, chunk) in chunked(&lines, 50) {
        let mut s = String::from("# Line items and their SKUs.\ntypes:\n");
        for &k in chunk {
            let _ = write!(
                s,
                "  Line{k}:\n    type: object\n    description: One line of kind {k}.\n    properties:\n      \
                 sku: {{ type: Sku{}, description: Stock keeping unit. }}\n      \
                 quantity: {{ type: integer, minimum: 1, maximum: 999 }}\n      \
                 unit_price: {{ type: number, minimum: 0, examples: [19.5] }}\n      \
                 category: Category{}\n      \
                 dimensions:\n        type: object\n        optional: true\n        properties:\n          \
                 width: {{ type: number, minimum: 0 }}\n          \
                 height: {{ type: number, minimum: 0 }}\n          \
                 unit: {{ type: enum, values: [cm, in] }}\n      \
                 note: {{ type: string, max_length: 200, optional: true }}\n",
                k % m.skus,
                k % m.enums
            );
        }
        if f == 0 {
            for k in 0..m.skus {
                let _ = writeln!(
                    s,
                    "  Sku{k}:\n    type: string\n    pattern: \"^[A-Z]{{3}}-[0-9]{{2,6}}$\"\n    description: SKU family {k}."
                );
            }
        }
        out.push((PathBuf::from(format!("types/lines_{f:03}.yaml")), s));
    }
    out
}

fn prop_yaml(m: &Model, p: &PropDef, ind: &str) -> String {
    let opt = if p.optional { ", optional: true" } else { "" };
    let name = &p.name;
    match p.kind {
        Kind::Text => format!(
            "{ind}{name}: {{ type: string, min_length: 1, max_length: 120, description: A short note.{opt}, examples: [\"gift wrap\"] }}\n"
        ),
        Kind::Count => {
            format!("{ind}{name}: {{ type: integer, minimum: 0, maximum: 10000{opt} }}\n")
        }
        Kind::Amount => format!(
            "{ind}{name}: {{ type: number, minimum: 0, description: An amount in the event's currency.{opt}, examples: [12.5] }}\n"
        ),
        Kind::Flag => format!("{ind}{name}: {{ type: boolean{opt} }}\n"),
        Kind::At => format!("{ind}{name}: {{ type: timestamp{opt} }}\n"),
        Kind::OnDate => format!("{ind}{name}: {{ type: date{opt}, examples: [\"2025-03-01\"] }}\n"),
        Kind::NamedEnum(k) => format!(
            "{ind}{name}: {{ type: Category{}{opt}, description: Category of the thing. }}\n",
            k % m.enums
        ),
        Kind::InlineEnum => {
            let mut s = format!("{ind}{name}:\n{ind}  type: enum\n");
            if p.optional {
                let _ = writeln!(s, "{ind}  optional: true");
            }
            let _ = writeln!(s, "{ind}  values:");
            for (v, aliases) in INLINE_ENUM {
                let aliases: Vec<String> = aliases.iter().map(|a| q(a)).collect();
                let _ = writeln!(s, "{ind}    {v}: {{ aliases: [{}] }}", aliases.join(", "));
            }
            s
        }
        Kind::Lines(k) => format!(
            "{ind}{name}: {{ type: array, items: Line{}, min_items: 1, max_items: 50{opt}, description: The lines. }}\n",
            k % m.lines
        ),
        Kind::Detail => {
            let mut s = format!("{ind}{name}:\n{ind}  type: object\n");
            if p.optional {
                let _ = writeln!(s, "{ind}  optional: true");
            }
            let _ = write!(
                s,
                "{ind}  description: Nested details.\n{ind}  properties:\n\
                 {ind}    code: {{ type: string, min_length: 2, max_length: 16 }}\n\
                 {ind}    level: {{ type: integer, minimum: 0, maximum: 10 }}\n\
                 {ind}    source: {{ type: enum, values: [web, ios, android] }}\n\
                 {ind}    address:\n{ind}      type: object\n{ind}      optional: true\n{ind}      properties:\n\
                 {ind}        city: string\n\
                 {ind}        country: {{ type: string, format: country }}\n\
                 {ind}        postal_code: {{ type: string, max_length: 12, optional: true }}\n"
            );
            s
        }
        Kind::Tags => format!(
            "{ind}{name}: {{ type: array, items: {{ type: string, min_length: 1, max_length: 40 }}, max_items: 20{opt} }}\n"
        ),
        Kind::Format(f) => {
            let (fmt, pii) = match f {
                0 => ("email", ", pii: true"),
                1 => ("uri", ""),
                2 => ("uuid", ""),
                3 => ("currency", ""),
                4 => ("country", ""),
                _ => ("e164", ", pii: true"),
            };
            format!("{ind}{name}: {{ type: string, format: {fmt}{pii}{opt} }}\n")
        }
        Kind::Sku(k) => format!("{ind}{name}: {{ type: Sku{}{opt} }}\n", k % m.skus),
    }
}

fn events(m: &Model) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for (f, chunk) in chunked(&m.events, 50) {
        let mut s =
            format!("# Events of domain {f}, owned by the services that emit them.\nevents:\n");
        for e in chunk {
            let _ = write!(
                s,
                "  {}:\n    description: >-\n      Synthetic event {}, sent once per occurrence by {}; \
                 retries keep the same ref_id.\n    owner: {}\n",
                e.name, e.name, e.owner, e.owner
            );
            if e.idempotent || e.revenue {
                s.push_str("    idempotency_key: ref_id\n");
            }
            if e.backfill {
                s.push_str("    backfill: allowed\n");
            }
            if e.deprecated {
                s.push_str("    deprecated: use the next version of this event\n");
            }
            s.push_str(
                "    properties:\n      ref_id: { type: string, min_length: 1, description: Id of the occurrence. }\n",
            );
            if e.revenue {
                s.push_str("      revenue: { type: number, minimum: 0 }\n");
            }
            for &p in &e.props {
                s.push_str(&prop_yaml(m, &m.pool[p], "      "));
            }
        }
        out.push((PathBuf::from(format!("events/domain_{f:03}.yaml")), s));
    }
    out
}

/// A `where` filter for the event, on its first filterable property.
fn filter(m: &Model, e: &EventModel) -> Option<String> {
    e.props.iter().find_map(|&p| {
        let p = &m.pool[p];
        let n = &p.name;
        Some(match p.kind {
            Kind::NamedEnum(k) => format!("{n}: {{ equals: {} }}", enum_values(k % m.enums)[0]),
            Kind::InlineEnum => format!("{n}: {{ in: [pending, active] }}"),
            Kind::Amount => format!("{n}: {{ gte: 10 }}"),
            Kind::Count => format!("{n}: {{ lte: 100 }}"),
            Kind::Flag => format!("{n}: {{ equals: true }}"),
            Kind::Lines(k) => format!(
                "{n}.category: {{ equals: {} }}",
                enum_values((k % m.lines) % m.enums)[0]
            ),
            Kind::Detail => format!("{n}.level: {{ gte: 3 }}"),
            _ => return None,
        })
    })
}

fn segments_and_workflows(m: &Model) -> Vec<(PathBuf, String)> {
    let n = m.events.len();
    let readable: Vec<&EventModel> = m.events.iter().filter(|e| !e.deprecated).collect();
    let triggers: Vec<&EventModel> = readable.iter().copied().filter(|e| !e.backfill).collect();
    let mut rng = Rng::new(m.spec.seed.wrapping_add(1));
    let count = ((n / 10).max(4) + 1) & !1;
    let attr_of = |kind: usize, k: usize| -> Option<&str> {
        let of_kind: Vec<&(String, usize)> = m.attrs.iter().filter(|a| a.1 == kind).collect();
        (!of_kind.is_empty()).then(|| of_kind[k % of_kind.len()].0.as_str())
    };

    let mut segs = vec![
        "  email_subscribers:\n    description: Opted in to email, with an address.\n    all:\n      \
         - attribute: email_opt_in\n        equals: true\n      - attribute: email\n        exists: true\n"
            .to_string(),
        "  sms_subscribers:\n    description: Opted in to SMS, with a number.\n    all:\n      \
         - attribute: sms_opt_in\n        equals: true\n      - attribute: phone\n        exists: true\n"
            .to_string(),
    ];
    for k in 0..count {
        let mut s = format!("  audience_{k}:\n    description: Behavioural audience {k}.\n");
        if k % 2 == 0 {
            let a = *rng.pick(&readable);
            let b = *rng.pick(&readable);
            let _ = write!(
                s,
                "    all:\n      - event: {}\n        within: {}d\n",
                a.name,
                7 + k % 20
            );
            if let Some(f) = filter(m, a) {
                let _ = writeln!(s, "        where:\n          {f}");
            }
            if k % 4 == 0 {
                s.push_str("        count: { gte: 2 }\n");
            }
            if let Some(score) = attr_of(1, k).filter(|_| k % 3 == 0) {
                let _ = writeln!(s, "      - attribute: {score}\n        gte: 10");
            }
            let _ = writeln!(
                s,
                "    none:\n      - event: {}\n        within: 30d",
                b.name
            );
        } else {
            let c = *rng.pick(&readable);
            let _ = writeln!(s, "    all:\n      - segment: audience_{}", k - 1);
            if let Some(flag) = attr_of(3, k) {
                let _ = writeln!(s, "      - attribute: {flag}\n        equals: true");
            }
            let _ = writeln!(s, "    any:\n      - event: {}\n        within: 2w", c.name);
            if let Some(plan) = attr_of(6, k) {
                let _ = writeln!(s, "      - attribute: {plan}\n        in: [pro, team]");
            }
            s.push_str("      - attribute: lifetime_orders\n        gte: 1\n");
        }
        segs.push(s);
    }

    let goals = ["revenue", "retention", "engagement"];
    let mut flows = Vec::new();
    for k in (1..count).step_by(2) {
        let exit = *rng.pick(&readable);
        flows.push(format!(
            "  nurture_{k}:\n    description: Nurture audience {k}.\n    goal: {}\n    trigger:\n      segment: audience_{k}\n    \
             audience: [email_subscribers]\n    wait: 1d\n    exit_when:\n      - event: {}\n    channels: [email]\n",
            goals[k / 2 % 3],
            exit.name
        ));
    }
    for (i, e) in triggers.iter().enumerate().step_by(20) {
        let exit = *rng.pick(&readable);
        let mut s = format!(
            "  follow_up_{i}:\n    description: Follow up on {}.\n    goal: transactional\n    trigger:\n      event: {}\n",
            e.name, e.name
        );
        if let Some(f) = filter(m, e) {
            let _ = writeln!(s, "      where:\n        {f}");
        }
        let _ = write!(
            s,
            "    audience: [email_subscribers, sms_subscribers]\n    wait: 30m\n    exit_when:\n      - event: {}\n      \
             - attribute: is_vip\n        equals: true\n    channels: [email, sms]\n",
            exit.name
        );
        flows.push(s);
    }

    let mut out = Vec::new();
    for (f, chunk) in chunked(&segs, 100) {
        out.push((
            PathBuf::from(format!("segments/part_{f:03}.yaml")),
            format!("segments:\n{}", chunk.concat()),
        ));
    }
    for (f, chunk) in chunked(&flows, 100) {
        out.push((
            PathBuf::from(format!("workflows/part_{f:03}.yaml")),
            format!("workflows:\n{}", chunk.concat()),
        ));
    }
    out
}

/// Options for [`traffic`].
#[derive(Clone, Copy, Debug)]
pub struct TrafficSpec {
    /// Lines to write.
    pub lines: usize,
    pub seed: u64,
    /// Share of lines made invalid, per mille.
    pub invalid_per_mille: u32,
    /// Share of lines that are v2 batches (2–5 operations), per mille.
    pub batch_per_mille: u32,
    /// Share of lines that are v1 requests, per mille.
    pub v1_per_mille: u32,
    /// Share of operations that are identify calls, per mille.
    pub identify_per_mille: u32,
    /// People the operations are spread over (`cus_` ids); 0: a fresh random id each.
    pub people: u64,
}

impl TrafficSpec {
    /// Mostly v2 track operations, some identify calls, batches and v1 requests; all valid.
    pub fn valid(lines: usize, seed: u64) -> Self {
        TrafficSpec {
            lines,
            seed,
            invalid_per_mille: 0,
            batch_per_mille: 50,
            v1_per_mille: 50,
            identify_per_mille: 100,
            people: 0,
        }
    }
}

/// NDJSON Track API traffic for the contract: one request a line, key order as clients
/// write it (`type`, `identifiers`, `action`, `name`, `attributes`).
pub fn traffic(ir: &Ir, spec: &TrafficSpec) -> String {
    let mut g = Traffic {
        ir,
        rng: Rng::new(spec.seed),
        events: ir
            .events
            .iter()
            .filter(|e| e.deprecated.is_none())
            .collect(),
        people: spec.people,
    };
    if g.events.is_empty() {
        g.events = ir.events.iter().collect();
    }
    let mut out = String::with_capacity(spec.lines * 400);
    for _ in 0..spec.lines {
        let invalid = g.rng.chance(spec.invalid_per_mille);
        if g.rng.chance(spec.batch_per_mille) {
            let n = g.rng.range(2, 5) as usize;
            let bad = g.rng.below(n as u64) as usize;
            out.push_str("{\"batch\":[");
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                g.v2_op(&mut out, spec, invalid && i == bad);
            }
            out.push_str("]}");
        } else if g.rng.chance(spec.v1_per_mille) {
            g.v1(&mut out, spec, invalid);
        } else {
            g.v2_op(&mut out, spec, invalid);
        }
        out.push('\n');
    }
    out
}

struct Traffic<'a> {
    ir: &'a Ir,
    rng: Rng,
    events: Vec<&'a trackc_codegen::ir::Event>,
    people: u64,
}

/// How a record is broken.
#[derive(Clone, Copy)]
enum Break {
    None,
    /// One property (somewhere in the data) gets a value of the wrong type.
    WrongType,
    /// An enum value is sent as one of its aliases (or an unknown value).
    Alias,
    MissingRequired,
    UnknownEvent,
    MillisTimestamp,
}

impl<'a> Traffic<'a> {
    fn pick_break(&mut self, invalid: bool) -> Break {
        if !invalid {
            return Break::None;
        }
        match self.rng.below(5) {
            0 => Break::WrongType,
            1 => Break::Alias,
            2 => Break::MissingRequired,
            3 => Break::UnknownEvent,
            _ => Break::MillisTimestamp,
        }
    }

    fn id(&mut self, out: &mut String) {
        let ir = self.ir;
        match ir.underlying(&ir.identity.id_type) {
            Ty::Integer(b) => {
                let lo = b.minimum.unwrap_or(1.0) as i64;
                let hi = b.maximum.unwrap_or(1e9) as i64;
                let _ = write!(out, "{}", self.rng.range(lo, hi));
            }
            Ty::String(s)
                if s.pattern.as_deref() == Some("^cus_[0-9a-z]{8,}$") && self.people > 0 =>
            {
                let _ = write!(out, "\"cus_{:010}\"", self.rng.below(self.people));
            }
            Ty::String(s) if s.pattern.as_deref() == Some("^cus_[0-9a-z]{8,}$") => {
                out.push_str("\"cus_");
                for _ in 0..10 {
                    out.push(
                        b"0123456789abcdefghijklmnopqrstuvwxyz"[self.rng.below(36) as usize]
                            as char,
                    );
                }
                out.push('"');
            }
            Ty::String(s) => self.string(out, s),
            _ => out.push_str("\"42\""),
        }
    }

    fn timestamp(&mut self, out: &mut String, millis: bool) {
        let t = 1_700_000_000 + self.rng.below(60_000_000) as i64;
        let _ = write!(out, "{}", if millis { t * 1000 } else { t });
    }

    fn v2_op(&mut self, out: &mut String, spec: &TrafficSpec, invalid: bool) {
        let brk = self.pick_break(invalid);
        out.push_str("{\"type\":\"person\",\"identifiers\":{\"id\":");
        self.id(out);
        out.push_str("},");
        if self.rng.chance(spec.identify_per_mille)
            && !matches!(brk, Break::UnknownEvent | Break::MissingRequired)
        {
            out.push_str("\"action\":\"identify\",\"timestamp\":");
            self.timestamp(out, matches!(brk, Break::MillisTimestamp));
            out.push_str(",\"attributes\":");
            self.attributes(out, brk);
        } else {
            out.push_str("\"action\":\"event\",");
            self.track_call(out, brk, "attributes");
        }
        out.push('}');
    }

    fn v1(&mut self, out: &mut String, spec: &TrafficSpec, invalid: bool) {
        let brk = self.pick_break(invalid);
        let mut id = String::new();
        self.id(&mut id);
        let id = id.trim_matches('"').to_owned();
        if self.rng.chance(spec.identify_per_mille)
            && !matches!(brk, Break::UnknownEvent | Break::MissingRequired)
        {
            let _ = write!(
                out,
                "{{\"method\":\"PUT\",\"path\":\"/api/v1/customers/{id}\",\"body\":"
            );
            let mut attrs = String::new();
            self.attributes(&mut attrs, brk);
            // v1 identify: attributes at the top of the body, with the timestamp.
            out.push_str(&attrs[..attrs.len() - 1]);
            if attrs.len() > 2 {
                out.push(',');
            }
            out.push_str("\"created_at\":");
            self.timestamp(out, false);
            out.push_str("}}");
        } else {
            let _ = write!(
                out,
                "{{\"method\":\"POST\",\"path\":\"/api/v1/customers/{id}/events\",\"body\":{{"
            );
            self.track_call(out, brk, "data");
            out.push_str("}}");
        }
    }

    /// A track call from its name on (v2 operation, v1 body):
    /// `"name":…,"id":…,"timestamp":…,"<data_key>":{…}`.
    fn track_call(&mut self, out: &mut String, brk: Break, data_key: &str) {
        let e = *self.rng.pick(&self.events);
        out.push_str("\"name\":");
        if matches!(brk, Break::UnknownEvent) {
            let _ = write!(out, "\"{}_typo\"", e.name);
        } else {
            out.push_str(&q(&e.name));
        }
        let (data, id) = self.event_data(e, brk);
        let _ = write!(out, ",\"id\":\"{id}\",\"timestamp\":");
        self.timestamp(out, matches!(brk, Break::MillisTimestamp));
        let _ = write!(out, ",\"{data_key}\":{data}");
    }

    /// An event's data and its event id (a ULID): derived from the idempotency key's value
    /// when the event has one, as trackc's client does (a resend is the same event, so
    /// a repeated key is no duplicate), else random.
    fn event_data(&mut self, e: &trackc_codegen::ir::Event, brk: Break) -> (String, String) {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let mut data = String::new();
        self.object(&mut data, &e.properties, brk, 0);
        let key = e.idempotency_property().and_then(|p| {
            let v: serde_json::Value = serde_json::from_str(&data).ok()?;
            v.get(&p.name).map(|k| format!("{}:{k}", e.name))
        });
        let bits = match key {
            Some(k) => {
                let h = BuildHasherDefault::<DefaultHasher>::default();
                (u128::from(h.hash_one((1u8, &k))) << 64) | u128::from(h.hash_one((2u8, &k)))
            }
            None => {
                (u128::from(self.rng.below(u64::MAX)) << 64) | u128::from(self.rng.below(u64::MAX))
            }
        };
        const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        // 26 characters of 5 bits from the top: the first carries 3 bits (0-7).
        let id = (0..26)
            .map(|i| CROCKFORD[((bits >> (125 - 5 * i)) & 31) as usize] as char)
            .collect();
        (data, id)
    }

    fn attributes(&mut self, out: &mut String, brk: Break) {
        let ir = self.ir;
        let attrs: Vec<&Property> = ir.attributes.iter().filter(|a| !a.derived).collect();
        out.push('{');
        let mut first = true;
        let mut broke = false;
        for (i, a) in attrs.iter().enumerate() {
            let last = i + 1 == attrs.len();
            if !(self.rng.chance(400) || (last && first)) {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(&q(&a.name));
            out.push(':');
            if !broke && matches!(brk, Break::WrongType | Break::Alias) {
                broke = self.broken_value(out, &a.ty, brk);
                if broke {
                    continue;
                }
            }
            self.value(out, &a.ty, Break::None, 1);
        }
        if !broke && !matches!(brk, Break::None | Break::MillisTimestamp) {
            // Nothing to break in what was picked: an attribute of the wrong type.
            if let Some(a) = attrs.first() {
                if !first {
                    out.push(',');
                }
                out.push_str(&q(&a.name));
                out.push_str(":[1]");
            }
        }
        out.push('}');
    }

    /// Write a value breaking `brk` if the type allows; false (nothing written) if not.
    fn broken_value(&mut self, out: &mut String, ty: &Ty, brk: Break) -> bool {
        let ir = self.ir;
        match (brk, ir.underlying(ty)) {
            (Break::WrongType, Ty::Integer(_) | Ty::Number(_) | Ty::Boolean | Ty::Timestamp) => {
                out.push_str("\"12.5\"");
                true
            }
            (Break::WrongType, Ty::String(_) | Ty::Date) => {
                out.push_str("12");
                true
            }
            (Break::Alias, Ty::Ref(id)) => match &ir.ty(*id).kind {
                TypeKind::Enum(e) => {
                    match e.values.iter().find_map(|v| v.aliases.first()) {
                        Some(a) => out.push_str(&q(a)),
                        None => out.push_str("\"not_a_value\""),
                    }
                    true
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Write an object; returns what is left of `brk` (a break is used once).
    fn object(
        &mut self,
        out: &mut String,
        props: &[Property],
        mut brk: Break,
        depth: usize,
    ) -> Break {
        out.push('{');
        let mut first = true;
        let droppable = props.iter().position(|p| !p.optional);
        for (i, p) in props.iter().enumerate() {
            if matches!(brk, Break::MissingRequired) && droppable == Some(i) {
                brk = Break::None;
                continue;
            }
            if p.optional && !self.rng.chance(700) {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(&q(&p.name));
            out.push(':');
            if matches!(brk, Break::WrongType | Break::Alias) && self.broken_value(out, &p.ty, brk)
            {
                brk = Break::None;
                continue;
            }
            brk = self.value(out, &p.ty, brk, depth + 1);
        }
        if !matches!(brk, Break::None | Break::MillisTimestamp) && depth == 0 {
            // Nothing breakable on this path: a property the contract does not have.
            if !first {
                out.push(',');
            }
            out.push_str("\"not_in_contract\":1");
            brk = Break::None;
        }
        out.push('}');
        brk
    }

    /// Write a valid value (or break it, returning what is left to break).
    fn value(&mut self, out: &mut String, ty: &Ty, brk: Break, depth: usize) -> Break {
        let ir = self.ir;
        match ty {
            Ty::String(s) => self.string(out, s),
            Ty::Integer(b) => {
                let lo = b.minimum.map_or(0, |v| v.ceil() as i64);
                let hi = b.maximum.map_or(lo + 1000, |v| v.floor() as i64);
                let _ = write!(out, "{}", self.rng.range(lo, hi));
            }
            Ty::Number(b) => {
                let lo = b.minimum.unwrap_or(0.0);
                let hi = b.maximum.unwrap_or(lo + 1000.0);
                let v = lo + (hi - lo) * (self.rng.below(10_000) as f64 / 10_000.0);
                let v = (v * 100.0).floor() / 100.0;
                let v = if v < lo { lo } else { v };
                let _ = write!(out, "{v}");
            }
            Ty::Boolean => out.push_str(if self.rng.chance(500) {
                "true"
            } else {
                "false"
            }),
            Ty::Timestamp => self.timestamp(out, false),
            Ty::Date => {
                let _ = write!(
                    out,
                    "\"20{:02}-{:02}-{:02}\"",
                    self.rng.range(20, 29),
                    self.rng.range(1, 12),
                    self.rng.range(1, 28)
                );
            }
            Ty::Array(a) => {
                let lo = a.min_items.unwrap_or(0) as i64;
                let hi = a.max_items.map_or(lo + 3, |m| (m as i64).min(lo + 3));
                let n = self.rng.range(lo, hi);
                out.push('[');
                let mut brk = brk;
                for i in 0..n {
                    if i > 0 {
                        out.push(',');
                    }
                    brk = self.value(out, &a.items, brk, depth + 1);
                }
                out.push(']');
                return brk;
            }
            Ty::Ref(id) => match &ir.ty(*id).kind {
                TypeKind::Enum(e) => {
                    let v = self.rng.pick(&e.values);
                    out.push_str(&q(&v.value));
                }
                TypeKind::Object(o) => {
                    if depth > 16 {
                        out.push_str("{}");
                    } else {
                        return self.object(out, &o.properties, brk, depth);
                    }
                }
                TypeKind::Alias(inner) => return self.value(out, inner, brk, depth + 1),
            },
        }
        brk
    }

    fn string(&mut self, out: &mut String, s: &StringTy) {
        let v: String = match (s.format, &s.pattern) {
            (Some(StringFormat::Email), _) => {
                format!("user{}@example.com", self.rng.below(100_000))
            }
            (Some(StringFormat::E164), _) => format!("+1415555{:04}", self.rng.below(10_000)),
            (Some(StringFormat::Uri), _) => {
                format!("https://example.com/p/{}", self.rng.below(100_000))
            }
            (Some(StringFormat::Uuid), _) => {
                let a = self.rng.next_u64();
                let b = self.rng.next_u64();
                format!(
                    "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xfff,
                    b >> 52,
                    b & 0xffff_ffff_ffff
                )
            }
            (Some(StringFormat::Currency), _) => {
                (*self.rng.pick(&["USD", "EUR", "GBP", "JPY", "CAD"])).into()
            }
            (Some(StringFormat::Country), _) => {
                (*self.rng.pick(&["US", "GB", "DE", "FR", "JP", "CA"])).into()
            }
            (None, Some(p)) if p == "^[A-Z]{3}-[0-9]{2,6}$" => {
                let mut v = String::new();
                for _ in 0..3 {
                    v.push((b'A' + self.rng.below(26) as u8) as char);
                }
                let _ = write!(v, "-{}", self.rng.range(10, 999_999));
                v
            }
            (None, Some(_)) => trackc_codegen::emit::example::string(s).unwrap_or_default(),
            (None, None) => {
                let lo = s.min_length.unwrap_or(0).max(3) as i64;
                let hi = s.max_length.map_or(lo + 12, |m| (m as i64).min(lo + 12));
                let lo = lo.min(hi);
                let n = self.rng.range(lo, hi);
                (0..n)
                    .map(|_| {
                        b"abcdefghijklmnopqrstuvwxyz0123456789 "[self.rng.below(37) as usize]
                            as char
                    })
                    .collect()
            }
        };
        out.push_str(&q(&v));
    }
}

#[cfg(test)]
mod tests;
