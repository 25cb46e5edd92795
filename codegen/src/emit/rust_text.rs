//! The Rust module for a contract, written as text: the same bytes as formatting the
//! token stream of [`super::rust`] with prettyplease, without building tokens, parsing
//! them with syn or running a general pretty printer (that path spent most of its time in
//! the parse and the printer). What the module contains is documented in [`super::rust`].
//!
//! The output has a handful of fixed shapes, so prettyplease's line breaking is written
//! out for each of them rather than computed by a layout engine. The rules of prettyplease
//! 0.3 that they reproduce:
//! - a line is full at 89 bytes (`MARGIN`; bytes, not characters), indentation is 4;
//! - a group (an attribute's argument list, generic arguments, call arguments, an array)
//!   stays on one line when it fits together with the text that follows it up to the next
//!   place a line could break; otherwise every element goes on its own line;
//! - a match arm's `|` patterns break one by one where the next one does not fit, and an
//!   arm body that does not fit after `=>` goes in a block (`{ ... }`, with `;` after a
//!   `return`);
//! - `#[doc = "x"]` is printed `///x` (trailing spaces dropped), or as a block comment or
//!   left an attribute when `x` has a line break.
//!
//! The token path is kept as the test oracle (`tests/rust_text.rs` compares the two on
//! the example contract, the fixtures and random hostile contracts).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::ir::{
    BackfillPolicy, EnumDef, Event, EventId, Ir, Property, Ty, TypeDef, TypeId, TypeKind,
    TypeOrigin,
};

/// prettyplease's line width (it keeps rustfmt's 100 for what it cannot break).
const MARGIN: usize = 89;
const INDENT: usize = 4;

/// The Rust module for the contract, formatted.
pub fn generate(ir: &Ir) -> String {
    let mut w = Writer {
        ir,
        out: String::with_capacity(8192 + 4096 * (ir.events.len() + ir.types.len())),
        boxed: boxed_properties(ir),
    };
    let _ = write!(
        w.out,
        "// {}\n// contract: {} {}\n\n",
        super::HEADER,
        ir.name,
        ir.version
    );
    w.file();
    w.out
}

/// The loose key of `normalize` (must equal `trackc::__private::fold`).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, ' ' | '-' | '_' | '.') {
            continue;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The lines of a description as doc comments, safe for rustdoc: code fences are marked
/// `text` (descriptions hold examples of data, never doctests) and indentation outside
/// them is dropped (four spaces would start an executable code block).
pub fn doc_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in text.trim().lines() {
        let t = line.trim();
        if t.starts_with("```") {
            out.push(if in_fence { "```" } else { "```text" }.to_owned());
            in_fence = !in_fence;
            continue;
        }
        out.push(if in_fence { line } else { t }.to_owned());
    }
    if in_fence {
        out.push("```".to_owned());
    }
    out
}

/// A string literal as proc-macro2 spells it (`Literal::string`): `escape_debug` per
/// character, except that `'` is kept and NUL is `\0` (`\x00` before an octal digit).
fn push_lit(out: &mut String, s: &str) {
    out.push('"');
    let mut chars = s.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\0' if chars
                .as_str()
                .starts_with(|c: char| ('0'..='7').contains(&c)) =>
            {
                out.push_str("\\x00")
            }
            '\0' => out.push_str("\\0"),
            '\'' => out.push('\''),
            _ => out.extend(ch.escape_debug()),
        }
    }
    out.push('"');
}

fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_lit(&mut out, s);
    out
}

/// A number as an attribute argument: integral values as integers, others as
/// proc-macro2's unsuffixed `f64` (always with a `.`).
fn number(v: f64) -> String {
    let mut out = String::new();
    if v.is_sign_negative() && v != 0.0 {
        out.push('-');
    }
    let a = v.abs();
    if v.fract() == 0.0 && a < 9.0e15 {
        let _ = write!(out, "{}", a as i64);
    } else {
        let s = a.to_string();
        out.push_str(&s);
        if !s.contains('.') {
            out.push_str(".0");
        }
    }
    out
}

fn unraw(s: &str) -> &str {
    s.strip_prefix("r#").unwrap_or(s)
}

/// (object type, property index) pairs held in a `Box`: an object that contains itself
/// through them.
fn boxed_properties(ir: &Ir) -> BTreeSet<(u32, usize)> {
    let direct_object = |ty: &Ty| match ir.underlying(ty) {
        Ty::Ref(id) if matches!(ir.ty(*id).kind, TypeKind::Object(_)) => Some(*id),
        _ => None,
    };
    let n = ir.types.len();
    let mut edges: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, t) in ir.types.iter().enumerate() {
        if let TypeKind::Object(o) = &t.kind {
            edges[i].extend(
                o.properties
                    .iter()
                    .filter_map(|p| direct_object(&p.ty))
                    .map(|id| id.0),
            );
        }
    }
    let reaches = |from: u32, to: u32| -> bool {
        let mut stack = vec![from];
        let mut seen = vec![false; n];
        while let Some(x) = stack.pop() {
            if x == to {
                return true;
            }
            if std::mem::replace(&mut seen[x as usize], true) {
                continue;
            }
            stack.extend(&edges[x as usize]);
        }
        false
    };
    let mut boxed = BTreeSet::new();
    for (i, t) in ir.types.iter().enumerate() {
        if let TypeKind::Object(o) = &t.kind {
            for (pi, p) in o.properties.iter().enumerate() {
                if direct_object(&p.ty).is_some_and(|id: TypeId| reaches(id.0, i as u32)) {
                    boxed.insert((i as u32, pi));
                }
            }
        }
    }
    boxed
}

/// The wrappers (`Vec`, `Option`, ...) around a type, outermost first, and its leaf.
fn ty_parts<'b>(ir: &'b Ir, ty: &'b Ty, wrappers: &mut Vec<&'static str>) -> &'b str {
    match ty {
        Ty::String(_) => "::std::string::String",
        Ty::Integer(_) => "i64",
        Ty::Number(_) => "f64",
        Ty::Boolean => "bool",
        Ty::Timestamp => "::trackc::Timestamp",
        Ty::Date => "::trackc::Date",
        Ty::Array(a) => {
            wrappers.push("::std::vec::Vec");
            ty_parts(ir, &a.items, wrappers)
        }
        Ty::Ref(id) => &ir.ty(*id).rust_name,
    }
}

/// One argument of an attribute: `a = "b"`, a path, or a nested list `name(...)`.
enum Arg {
    Text(Cow<'static, str>),
    List(&'static str, Vec<Arg>),
}

impl Arg {
    fn text(s: impl Into<Cow<'static, str>>) -> Arg {
        Arg::Text(s.into())
    }

    fn flat_len(&self) -> usize {
        match self {
            Arg::Text(t) => t.len(),
            Arg::List(name, args) => name.len() + 2 + flat_len(args),
        }
    }
}

fn flat_len(args: &[Arg]) -> usize {
    args.iter().map(Arg::flat_len).sum::<usize>() + 2 * args.len().saturating_sub(1)
}

/// A match arm body.
enum Body<'a> {
    /// A literal (already spelled).
    Lit(&'a str),
    /// `prefix(arg)`; `prefix` ends with `(`. `semi`: a `return`, which gets a `;` in a
    /// block.
    Call {
        prefix: &'static str,
        arg: &'a str,
        semi: bool,
    },
}

/// The second argument of a `.field(...)` in a hand-written `Debug`.
enum DebugArg<'a> {
    /// `&self.f`
    Field(&'a str),
    /// `&self.f.as_ref().map(|_| Redacted)`
    RedactedOpt(&'a str),
    /// `&Redacted`
    Redacted,
}

const EXTRA_TY: &str =
    "::trackc::serde_json::Map<::std::string::String, ::trackc::serde_json::Value>";
const EXTRA_TY_BROKEN: &str = "::trackc::serde_json::Map<
        ::std::string::String,
        ::trackc::serde_json::Value,
    >";
const REDACTED: &str = "::trackc::__private::Redacted";
const REDACTED_MAP: &str = ".map(|_| ::trackc::__private::Redacted)";

impl DebugArg<'_> {
    /// The method-chain segments after `self` (none for `Redacted`).
    fn segments(&self) -> [&str; 3] {
        match self {
            DebugArg::Field(f) => [f, "", ""],
            DebugArg::RedactedOpt(f) => [f, ".as_ref()", REDACTED_MAP],
            DebugArg::Redacted => ["", "", ""],
        }
    }

    fn flat_len(&self) -> usize {
        match self {
            DebugArg::Redacted => 1 + REDACTED.len(),
            _ => "&self.".len() + self.segments().iter().map(|s| s.len()).sum::<usize>(),
        }
    }
}

struct Writer<'a> {
    ir: &'a Ir,
    out: String,
    boxed: BTreeSet<(u32, usize)>,
}

impl<'a> Writer<'a> {
    fn col(&self) -> usize {
        match memchr::memrchr(b'\n', self.out.as_bytes()) {
            Some(i) => self.out.len() - i - 1,
            None => self.out.len(),
        }
    }

    /// Whether `width` more bytes fit on the current line.
    fn fits(&self, width: usize) -> bool {
        self.col() + width <= MARGIN
    }

    fn pad(&mut self, indent: usize) {
        self.out.extend(std::iter::repeat_n(' ', indent));
    }

    fn newline(&mut self, indent: usize) {
        self.out.push('\n');
        self.pad(indent);
    }

    fn line(&mut self, indent: usize, text: &str) {
        self.pad(indent);
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn docs(&mut self, indent: usize, text: Option<&str>) {
        if let Some(text) = text {
            for l in doc_lines(text) {
                self.doc_line(indent, &l);
            }
        }
    }

    /// `#[doc = " line"]` (or `""` for an empty line): the line never has a break.
    fn doc_line(&mut self, indent: usize, l: &str) {
        self.pad(indent);
        self.out.push_str("///");
        let t = l.trim_end_matches(' ');
        if !t.is_empty() {
            self.out.push(' ');
            self.out.push_str(t);
        }
        self.out.push('\n');
    }

    /// `#[doc = v]` for any `v`, as prettyplease prints it.
    fn doc_value(&mut self, indent: usize, v: &str) {
        self.pad(indent);
        if !v.contains('\n') && !v.starts_with('/') {
            self.out.push_str("///");
            self.out.push_str(v.trim_end_matches(' '));
        } else if can_be_block_comment(v) && !v.starts_with(['*', '/']) {
            self.out.push_str("/**");
            if v.contains(" \n") {
                let mut lines = v.split('\n').peekable();
                while let Some(line) = lines.next() {
                    if lines.peek().is_some() {
                        self.out.push_str(line.trim_end_matches(' '));
                        self.out.push('\n');
                    } else {
                        self.out.push_str(line);
                    }
                }
            } else {
                self.out.push_str(v);
            }
            self.out.push_str("*/");
        } else {
            self.out.push_str("#[doc = ");
            push_lit(&mut self.out, v);
            self.out.push(']');
        }
        self.out.push('\n');
    }

    /// `#[name(args)]` on its own line.
    fn attr(&mut self, indent: usize, name: &str, args: &[Arg]) {
        self.pad(indent);
        self.out.push_str("#[");
        self.out.push_str(name);
        // `]` follows the list before the next break.
        self.list(args, indent, 1);
        self.out.push_str("]\n");
    }

    /// `(a, b, c)` when it fits with `trail` more bytes, else one argument per line.
    fn list(&mut self, args: &[Arg], indent: usize, trail: usize) {
        self.out.push('(');
        if self.fits(flat_len(args) + 1 + trail) {
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                self.flat_arg(a);
            }
        } else {
            for (i, a) in args.iter().enumerate() {
                let last = i + 1 == args.len();
                self.newline(indent + INDENT);
                match a {
                    Arg::Text(t) => self.out.push_str(t),
                    // A nested list is followed by its `,` unless it is last.
                    Arg::List(name, inner) => {
                        self.out.push_str(name);
                        self.list(inner, indent + INDENT, usize::from(!last));
                    }
                }
                if !last {
                    self.out.push(',');
                }
            }
            self.newline(indent);
        }
        self.out.push(')');
    }

    fn flat_arg(&mut self, a: &Arg) {
        match a {
            Arg::Text(t) => self.out.push_str(t),
            Arg::List(name, inner) => {
                self.out.push_str(name);
                self.out.push('(');
                for (i, a) in inner.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.flat_arg(a);
                }
                self.out.push(')');
            }
        }
    }

    /// A type, its generic arguments broken over lines when they do not fit with `trail`
    /// more bytes.
    fn write_ty(&mut self, wrappers: &[&str], leaf: &str, indent: usize, trail: usize) {
        let Some((first, rest)) = wrappers.split_first() else {
            self.out.push_str(leaf);
            return;
        };
        self.out.push_str(first);
        self.out.push('<');
        let inner = rest.iter().map(|w| w.len() + 2).sum::<usize>() + leaf.len();
        if self.fits(inner + 1 + trail) {
            for w in rest {
                self.out.push_str(w);
                self.out.push('<');
            }
            self.out.push_str(leaf);
            self.out.extend(std::iter::repeat_n('>', rest.len()));
        } else {
            self.newline(indent + INDENT);
            self.write_ty(rest, leaf, indent + INDENT, 0);
            self.out.push(',');
            self.newline(indent);
        }
        self.out.push('>');
    }

    fn file(&mut self) {
        self.line(0, "/// The contract's name (`contract:`).");
        self.out.push_str("pub const CONTRACT_NAME: &str = ");
        push_lit(&mut self.out, &self.ir.name);
        self.out
            .push_str(";\n/// The contract's version.\npub const CONTRACT_VERSION: &str = ");
        let version = self.ir.version.to_string();
        push_lit(&mut self.out, &version);
        self.out.push_str(";\n");
        let ir = self.ir;
        self.attributes();
        for (i, e) in ir.events.iter().enumerate() {
            self.event(EventId(i as u32), e);
        }
        for (i, t) in ir.types.iter().enumerate() {
            self.typedef(i as u32, t);
        }
    }

    /// `#[trackc(...)]` arguments for the constraints of a value of type `ty`.
    fn constraints(&self, ty: &Ty) -> Vec<Arg> {
        let mut out = Vec::new();
        match self.ir.underlying(ty) {
            Ty::String(s) => {
                if let Some(n) = s.min_length {
                    out.push(Arg::text(format!("min_length = {n}")));
                }
                if let Some(n) = s.max_length {
                    out.push(Arg::text(format!("max_length = {n}")));
                }
                if let Some(p) = &s.pattern {
                    out.push(Arg::text(format!("pattern = {}", lit(p))));
                }
                if let Some(f) = s.format {
                    out.push(Arg::text(format!("format = {}", lit(f.as_str()))));
                }
            }
            Ty::Integer(b) | Ty::Number(b) => {
                if let Some(m) = b.minimum {
                    out.push(Arg::text(format!("minimum = {}", number(m))));
                }
                if let Some(m) = b.maximum {
                    out.push(Arg::text(format!("maximum = {}", number(m))));
                }
            }
            Ty::Array(a) => {
                if let Some(n) = a.min_items {
                    out.push(Arg::text(format!("min_items = {n}")));
                }
                if let Some(n) = a.max_items {
                    out.push(Arg::text(format!("max_items = {n}")));
                }
                let items = self.constraints(&a.items);
                if !items.is_empty() {
                    out.push(Arg::List("items", items));
                }
            }
            _ => {}
        }
        out
    }

    fn deprecated(&mut self, indent: usize, note: Option<&String>) {
        if let Some(d) = note {
            self.attr(
                indent,
                "deprecated",
                &[Arg::text(format!("note = {}", lit(d)))],
            );
        }
    }

    fn field(&mut self, p: &Property, all_optional: bool, boxed: bool) {
        self.docs(INDENT, p.description.as_deref());
        let mut notes: Vec<Cow<str>> = Vec::new();
        if p.pii {
            notes.push("Personal data (`pii`): redacted in `Debug`.".into());
        }
        if let Some(c) = p.consent {
            notes.push(format!("Consent flag for the `{}` channel.", c.as_str()).into());
        }
        if p.derived {
            notes.push("Derived: computed by the backend.".into());
        }
        for (i, n) in notes.iter().enumerate() {
            if i == 0 && p.description.is_some() {
                self.doc_line(INDENT, "");
            }
            self.doc_line(INDENT, n);
        }
        self.deprecated(INDENT, p.deprecated.as_ref());
        let optional = p.optional || all_optional;
        let mut serde = Vec::new();
        if unraw(&p.rust_name) != p.name {
            serde.push(Arg::text(format!("rename = {}", lit(&p.name))));
        }
        if optional {
            serde.push(Arg::text("default"));
            serde.push(Arg::text(
                "skip_serializing_if = \"::core::option::Option::is_none\"",
            ));
        }
        if !serde.is_empty() {
            self.attr(INDENT, "serde", &serde);
        }
        let c = self.constraints(&p.ty);
        if !c.is_empty() {
            self.attr(INDENT, "trackc", &c);
        }
        let mut wrappers = Vec::new();
        if optional {
            wrappers.push("::core::option::Option");
        }
        if boxed {
            wrappers.push("::std::boxed::Box");
        }
        let leaf = ty_parts(self.ir, &p.ty, &mut wrappers);
        self.pad(INDENT);
        self.out.push_str("pub ");
        self.out.push_str(&p.rust_name);
        self.out.push_str(": ");
        // `,` follows the type.
        self.write_ty(&wrappers, leaf, INDENT, 1);
        self.out.push_str(",\n");
    }

    /// `impl Trait for Name {`: prettyplease moves `for Name {` to the next line when the
    /// header is too long.
    fn impl_header(&mut self, trait_: &str, name: &str) {
        self.out.push_str("#[allow(deprecated)]\nimpl ");
        self.out.push_str(trait_);
        let flat = "impl ".len() + trait_.len() + " for ".len() + name.len() + " {".len();
        self.out
            .push_str(if flat <= MARGIN { " for " } else { "\nfor " });
        self.out.push_str(name);
        self.out.push_str(" {\n");
    }

    /// The hand-written `Debug` for a struct with pii fields.
    fn debug_impl(
        &mut self,
        name: &str,
        props: &[Property],
        all_optional: bool,
        extra: Option<&str>,
    ) {
        self.impl_header("::core::fmt::Debug", name);
        self.line(
            INDENT,
            "fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {",
        );
        let fields: Vec<(String, DebugArg)> = props
            .iter()
            .map(|p| {
                let f = p.rust_name.as_str();
                let arg = if !p.pii {
                    DebugArg::Field(f)
                } else if p.optional || all_optional {
                    DebugArg::RedactedOpt(f)
                } else {
                    DebugArg::Redacted
                };
                (lit(unraw(f)), arg)
            })
            .chain(extra.map(|e| (lit(unraw(e)), DebugArg::Field(e))))
            .collect();
        let label = lit(unraw(name));
        let flat = "f.debug_struct()".len()
            + label.len()
            + fields
                .iter()
                .map(|(l, a)| ".field(, )".len() + l.len() + a.flat_len())
                .sum::<usize>()
            + ".finish()".len();
        let indent = 2 * INDENT;
        self.pad(indent);
        if indent + flat <= MARGIN {
            self.out.push_str("f.debug_struct(");
            self.out.push_str(&label);
            self.out.push(')');
            for (l, a) in &fields {
                self.out.push_str(".field(");
                self.out.push_str(l);
                self.out.push_str(", ");
                self.flat_debug_arg(a);
                self.out.push(')');
            }
            self.out.push_str(".finish()");
        } else {
            // One call per line, a line further in.
            let indent = indent + INDENT;
            self.out.push_str("f.debug_struct");
            self.debug_args(&label, None, indent);
            for (l, a) in &fields {
                self.newline(indent);
                self.out.push_str(".field");
                self.debug_args(l, Some(a), indent);
            }
            self.newline(indent);
            self.out.push_str(".finish()");
        }
        self.out.push('\n');
        self.line(INDENT, "}");
        self.line(0, "}");
    }

    fn flat_debug_arg(&mut self, a: &DebugArg) {
        match a {
            DebugArg::Redacted => {
                self.out.push('&');
                self.out.push_str(REDACTED);
            }
            _ => {
                self.out.push_str("&self.");
                for s in a.segments() {
                    self.out.push_str(s);
                }
            }
        }
    }

    /// The arguments of `.field(label, arg)` (or `.debug_struct(label)`), one per line
    /// when they do not fit.
    fn debug_args(&mut self, label: &str, arg: Option<&DebugArg>, indent: usize) {
        self.out.push('(');
        let flat = label.len() + arg.map_or(0, |a| 2 + a.flat_len()) + 1;
        if self.fits(flat) {
            self.out.push_str(label);
            if let Some(a) = arg {
                self.out.push_str(", ");
                self.flat_debug_arg(a);
            }
        } else {
            let inner = indent + INDENT;
            self.newline(inner);
            self.out.push_str(label);
            self.out.push(',');
            if let Some(a) = arg {
                self.newline(inner);
                // The last argument: nothing follows it before the break.
                if matches!(a, DebugArg::Redacted) || self.fits(a.flat_len()) {
                    self.flat_debug_arg(a);
                } else {
                    // `&self` then each `.segment` on its own line.
                    self.out.push_str("&self");
                    for s in a.segments().iter().filter(|s| !s.is_empty()) {
                        self.newline(inner + INDENT);
                        if !s.starts_with('.') {
                            self.out.push('.');
                        }
                        self.out.push_str(s);
                    }
                }
                self.out.push(',');
            }
            self.newline(indent);
        }
        self.out.push(')');
    }

    #[allow(clippy::too_many_arguments)]
    fn object(
        &mut self,
        name: &str,
        doc: Option<&str>,
        deprecated: Option<&String>,
        derive: &[&'static str],
        trackc: Option<Vec<Arg>>,
        props: &[Property],
        all_optional: bool,
        open: bool,
        type_index: Option<u32>,
    ) {
        self.docs(0, doc);
        self.deprecated(0, deprecated);
        let pii = props.iter().any(|p| p.pii);
        let mut derives: Vec<Arg> = vec![
            Arg::text("::core::clone::Clone"),
            Arg::text("::core::cmp::PartialEq"),
        ];
        if !pii {
            derives.push(Arg::text("::core::fmt::Debug"));
        }
        derives.extend(
            [
                "::trackc::serde::Serialize",
                "::trackc::Deserialize",
                "::trackc::JsonSchema",
            ]
            .into_iter()
            .chain(derive.iter().copied())
            .map(Arg::text),
        );
        self.attr(0, "derive", &derives);
        let mut serde = vec![Arg::text("crate = \"::trackc::serde\"")];
        if !open {
            serde.push(Arg::text("deny_unknown_fields"));
        }
        self.attr(0, "serde", &serde);
        if let Some(args) = trackc {
            self.attr(0, "trackc", &args);
        }
        // An open object keeps the keys the contract does not name.
        let extra = open.then(|| {
            let mut n = "additional_properties".to_owned();
            while props.iter().any(|p| p.rust_name == n) {
                n.push('_');
            }
            n
        });
        self.out.push_str("pub struct ");
        self.out.push_str(name);
        if props.is_empty() && extra.is_none() {
            self.out.push_str(" {}\n");
        } else {
            self.out.push_str(" {\n");
            for (i, p) in props.iter().enumerate() {
                let boxed = type_index.is_some_and(|t| self.boxed.contains(&(t, i)));
                self.field(p, all_optional, boxed);
            }
            if let Some(e) = &extra {
                self.line(
                    INDENT,
                    "/// Properties the contract does not name (the object is open).",
                );
                self.line(INDENT, "#[serde(flatten)]");
                self.line(INDENT, "#[trackc(skip)]");
                self.pad(INDENT);
                self.out.push_str("pub ");
                self.out.push_str(e);
                self.out.push_str(": ");
                // `,` follows the type.
                if self.fits(EXTRA_TY.len() + 1) {
                    self.out.push_str(EXTRA_TY);
                } else {
                    self.out.push_str(EXTRA_TY_BROKEN);
                }
                self.out.push_str(",\n");
            }
            self.out.push_str("}\n");
        }
        if pii {
            self.debug_impl(name, props, all_optional, extra.as_deref());
        }
    }

    fn attributes(&mut self) {
        let doc = format!(
            "Person attributes of the `{}` contract, sent with identify.\n\n\
             Identify is a partial update: every attribute is optional, and only the ones set \
             are sent.",
            self.ir.name
        );
        let ir = self.ir;
        self.object(
            crate::resolve::ATTRIBUTES_STRUCT,
            Some(&doc),
            None,
            &["::core::default::Default", "::trackc::Attributes"],
            None,
            &ir.attributes,
            true,
            false,
            None,
        );
    }

    fn event(&mut self, id: EventId, e: &Event) {
        let mut text = e.description.clone().unwrap_or_default();
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        let _ = write!(text, "Track event `{}`", e.name);
        if let Some(o) = &e.owner {
            let _ = write!(text, ", emitted by `{o}`");
        }
        text.push('.');
        let mut args = vec![
            Arg::text(format!("event = {}", lit(&e.name))),
            Arg::text(format!("contract_name = {}", lit(&self.ir.name))),
        ];
        if let Some(p) = e.idempotency_property() {
            args.push(Arg::text(format!("idempotency_key = {}", lit(&p.name))));
        }
        args.push(Arg::text(match e.backfill {
            BackfillPolicy::Allowed => "backfill = \"allowed\"",
            BackfillPolicy::Forbidden => "backfill = \"forbidden\"",
        }));
        let triggers: Vec<Arg> = self
            .ir
            .triggered_by(id)
            .iter()
            .map(|w| Arg::text(lit(&w.name)))
            .collect();
        if !triggers.is_empty() {
            args.push(Arg::List("triggers", triggers));
        }
        self.object(
            &e.rust_name,
            Some(&text),
            e.deprecated.as_ref(),
            &["::trackc::Event"],
            Some(args),
            &e.properties,
            false,
            false,
            None,
        );
    }

    fn typedef(&mut self, index: u32, t: &TypeDef) {
        let mut text = t.description.clone().unwrap_or_default();
        if matches!(t.origin, TypeOrigin::Inline { .. }) {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            let _ = write!(text, "The inline type at `{}`.", t.name);
        }
        let doc = (!text.is_empty()).then_some(text.as_str());
        match &t.kind {
            TypeKind::Alias(ty) => {
                self.docs(0, doc);
                self.deprecated(0, t.deprecated.as_ref());
                self.out.push_str("pub type ");
                self.out.push_str(&t.rust_name);
                self.out.push_str(" = ");
                let mut wrappers = Vec::new();
                let leaf = ty_parts(self.ir, ty, &mut wrappers);
                // `;` follows the type.
                self.write_ty(&wrappers, leaf, 0, 1);
                self.out.push_str(";\n");
            }
            TypeKind::Object(o) => self.object(
                &t.rust_name,
                doc,
                t.deprecated.as_ref(),
                &["::trackc::Validate"],
                Some(vec![Arg::text(format!("type = {}", lit(&t.name)))]),
                &o.properties,
                false,
                o.additional_properties,
                Some(index),
            ),
            TypeKind::Enum(en) => self.enumeration(t, doc, en),
        }
    }

    /// `pub const NAME: TYPE = &[a, b];`, the elements one per line when they do not fit.
    fn const_array(&mut self, head: &str, elems: &[String]) {
        self.pad(INDENT);
        self.out.push_str(head);
        if elems.is_empty() {
            self.out.push_str("[];\n");
            return;
        }
        self.out.push('[');
        let flat = elems.iter().map(|e| e.len() + 2).sum::<usize>();
        // `];` follows the last element.
        if self.fits(flat) {
            for (i, e) in elems.iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                self.out.push_str(e);
            }
        } else {
            for e in elems {
                self.newline(2 * INDENT);
                self.out.push_str(e);
                self.out.push(',');
            }
            self.newline(INDENT);
        }
        self.out.push_str("];\n");
    }

    /// `pats => body,` at `indent`.
    fn arm(&mut self, indent: usize, pats: &[&str], body: &Body) {
        self.pad(indent);
        for (i, p) in pats.iter().enumerate() {
            if i > 0 {
                // The break before `| p` is taken when `| p` (and ` => ` after the last
                // one) does not fit.
                let tail = if i + 1 == pats.len() { " => ".len() } else { 0 };
                if self.fits(1 + "| ".len() + p.len() + tail) {
                    self.out.push(' ');
                } else {
                    self.newline(indent);
                }
                self.out.push_str("| ");
            }
            self.out.push_str(p);
        }
        self.out.push_str(" => ");
        let flat = match body {
            Body::Lit(l) => l.len(),
            Body::Call { prefix, arg, .. } => prefix.len() + arg.len() + 1,
        };
        if self.fits(flat) {
            match body {
                Body::Lit(l) => self.out.push_str(l),
                Body::Call { prefix, arg, .. } => {
                    self.out.push_str(prefix);
                    self.out.push_str(arg);
                    self.out.push(')');
                }
            }
            self.out.push_str(",\n");
            return;
        }
        self.out.push('{');
        let inner = indent + INDENT;
        self.newline(inner);
        match body {
            Body::Lit(l) => self.out.push_str(l),
            Body::Call { prefix, arg, semi } => {
                self.out.push_str(prefix);
                if self.fits(arg.len() + 1) {
                    self.out.push_str(arg);
                } else {
                    self.newline(inner + INDENT);
                    self.out.push_str(arg);
                    self.out.push(',');
                    self.newline(inner);
                }
                self.out.push(')');
                if *semi {
                    self.out.push(';');
                }
            }
        }
        self.newline(indent);
        self.out.push_str("}\n");
    }

    fn enumeration(&mut self, t: &TypeDef, doc: Option<&str>, en: &EnumDef) {
        let name = t.rust_name.as_str();
        self.docs(0, doc);
        self.deprecated(0, t.deprecated.as_ref());
        let derives: Vec<Arg> = [
            "::core::clone::Clone",
            "::core::marker::Copy",
            "::core::cmp::PartialEq",
            "::core::cmp::Eq",
            "::core::hash::Hash",
            "::core::cmp::PartialOrd",
            "::core::cmp::Ord",
            "::core::fmt::Debug",
            "::trackc::serde::Serialize",
            "::trackc::Deserialize",
            "::trackc::JsonSchema",
            "::trackc::Validate",
        ]
        .into_iter()
        .map(Arg::text)
        .collect();
        self.attr(0, "derive", &derives);
        self.attr(0, "serde", &[Arg::text("crate = \"::trackc::serde\"")]);
        self.attr(
            0,
            "trackc",
            &[Arg::text(format!("type = {}", lit(&t.name)))],
        );
        self.out.push_str("pub enum ");
        self.out.push_str(name);
        self.out.push_str(" {\n");
        for v in &en.values {
            self.docs(INDENT, v.description.as_deref());
            if !v.aliases.is_empty() {
                let list = v
                    .aliases
                    .iter()
                    .map(|a| format!("{a:?}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut line = format!(
                    " `{}`; also sent as {}.",
                    v.value.replace('`', "'"),
                    list.replace('`', "'")
                );
                if v.description.is_some() {
                    self.doc_line(INDENT, "");
                } else {
                    line = line.trim_start().to_owned();
                    line.insert(0, ' ');
                }
                self.doc_value(INDENT, &line);
            }
            if unraw(&v.rust_name) != v.value {
                self.attr(
                    INDENT,
                    "serde",
                    &[Arg::text(format!("rename = {}", lit(&v.value)))],
                );
            }
            self.pad(INDENT);
            self.out.push_str(&v.rust_name);
            self.out.push_str(",\n");
        }
        self.out.push_str("}\n");

        let variants: Vec<String> = en
            .values
            .iter()
            .map(|v| format!("Self::{}", v.rust_name))
            .collect();
        let values: Vec<String> = en.values.iter().map(|v| lit(&v.value)).collect();
        self.out.push_str("#[allow(deprecated)]\nimpl ");
        self.out.push_str(name);
        self.out.push_str(" {\n");
        self.line(INDENT, "/// Every value, in contract order.");
        self.const_array("pub const ALL: &'static [Self] = &", &variants);
        self.line(INDENT, "/// Every canonical value, in contract order.");
        self.const_array("pub const VALUES: &'static [&'static str] = &", &values);
        self.out.push_str(
            "    /// The canonical value (what is sent).\n    \
             pub const fn as_str(&self) -> &'static str {\n        match self {\n",
        );
        for (variant, value) in variants.iter().zip(&values) {
            self.arm(3 * INDENT, &[variant], &Body::Lit(value));
        }
        self.out.push_str(NORMALIZE_HEAD);
        // normalize: exact canonical, then exact alias, then loose keys (unambiguous ones).
        let mut exact: Vec<(&str, usize)> = Vec::new();
        let mut exact_seen = BTreeSet::new();
        for (i, v) in en.values.iter().enumerate() {
            if exact_seen.insert(v.value.as_str()) {
                exact.push((&v.value, i));
            }
        }
        for (i, v) in en.values.iter().enumerate() {
            for a in &v.aliases {
                if exact_seen.insert(a.as_str()) {
                    exact.push((a, i));
                }
            }
        }
        let mut loose: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        for (i, v) in en.values.iter().enumerate() {
            for s in std::iter::once(&v.value).chain(&v.aliases) {
                loose.entry(fold(s)).or_default().insert(i);
            }
        }
        for (i, pats) in group_arms(exact.iter().map(|(s, i)| (*s, *i))) {
            let pats: Vec<String> = pats.iter().map(|s| lit(s)).collect();
            let pats: Vec<&str> = pats.iter().map(String::as_str).collect();
            let body = Body::Call {
                prefix: "return ::core::option::Option::Some(",
                arg: &variants[i],
                semi: true,
            };
            self.arm(3 * INDENT, &pats, &body);
        }
        self.out.push_str(
            "            _ => {}\n        }\n        \
             match ::trackc::__private::fold(s).as_str() {\n",
        );
        let loose_pairs = loose
            .iter()
            .filter(|(_, set)| set.len() == 1)
            .filter_map(|(k, set)| Some((k.as_str(), *set.first()?)));
        for (i, pats) in group_arms(loose_pairs) {
            let pats: Vec<String> = pats.iter().map(|s| lit(s)).collect();
            let pats: Vec<&str> = pats.iter().map(String::as_str).collect();
            let body = Body::Call {
                prefix: "::core::option::Option::Some(",
                arg: &variants[i],
                semi: false,
            };
            self.arm(3 * INDENT, &pats, &body);
        }
        self.out
            .push_str("            _ => ::core::option::Option::None,\n        }\n    }\n}\n");

        self.impl_header("::core::fmt::Display", name);
        self.out.push_str(
            "    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {\n        \
             f.write_str(self.as_str())\n    }\n}\n",
        );
        self.impl_header("::core::str::FromStr", name);
        self.out.push_str(FROM_STR_HEAD);
        for (variant, value) in variants.iter().zip(&values) {
            let body = Body::Call {
                prefix: "::core::result::Result::Ok(",
                arg: variant,
                semi: false,
            };
            self.arm(3 * INDENT, &[value], &body);
        }
        self.out.push_str(
            "            _ => {\n                \
             ::core::result::Result::Err(::trackc::ParseEnumError {\n                    \
             type_name: ",
        );
        push_lit(&mut self.out, unraw(name));
        self.out.push_str(
            ",\n                    \
             value: ::std::string::ToString::to_string(s),\n                    \
             expected: Self::VALUES,\n                })\n            }\n        }\n    }\n}\n",
        );
    }
}

const NORMALIZE_HEAD: &str = "        }
    }
    /// The value for a spelling another system sends: the exact canonical value,
    /// else an exact alias, else a match ignoring case, spaces, `-`, `_` and `.`
    /// against the values and aliases (a loose spelling two values share matches
    /// neither).
    pub fn normalize(s: &str) -> ::core::option::Option<Self> {
        match s {
";

const FROM_STR_HEAD: &str = "    type Err = ::trackc::ParseEnumError;
    /// Canonical values only; see [`Self::normalize`] for aliases.
    fn from_str(s: &str) -> ::core::result::Result<Self, ::trackc::ParseEnumError> {
        match s {
";

/// Spellings grouped by variant, variants in first-seen order.
fn group_arms<'s>(pairs: impl Iterator<Item = (&'s str, usize)>) -> Vec<(usize, Vec<&'s str>)> {
    let mut order: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut slot: BTreeMap<usize, usize> = BTreeMap::new();
    for (s, i) in pairs {
        let k = *slot.entry(i).or_insert_with(|| {
            order.push((i, Vec::new()));
            order.len() - 1
        });
        order[k].1.push(s);
    }
    order
}

/// Whether prettyplease may print a doc string as `/** ... */` (balanced `/*`, no `*/`
/// closing early, no trailing `/`).
fn can_be_block_comment(value: &str) -> bool {
    let mut depth = 0usize;
    let bytes = value.as_bytes();
    let mut i = 0usize;
    let upper = bytes.len().saturating_sub(1);
    while i < upper {
        if bytes[i] == b'/' && bytes[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
            if depth == 0 {
                return false;
            }
            depth -= 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    depth == 0 && !value.ends_with('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_are_safe() {
        assert_eq!(
            doc_lines("a\n    indented\n```\nfn main() {}\n```"),
            ["a", "indented", "```text", "fn main() {}", "```"]
        );
        assert_eq!(doc_lines("```rust\nx"), ["```text", "x", "```"]);
    }

    #[test]
    fn numbers_and_literals() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(-500.0), "-500");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(1e20), "100000000000000000000.0");
        assert_eq!(fold("Skin Care"), "skincare");
        assert_eq!(lit("a\"b\\c'\n\0\x01é"), r#""a\"b\\c'\n\0\u{1}é""#);
        assert_eq!(lit("\u{0}7"), r#""\x007""#);
    }
}
