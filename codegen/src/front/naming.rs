//! Contract names → Rust identifiers, assigned once in the IR.
//!
//! Every emitted identifier is valid: keywords become raw identifiers (`r#type`), the
//! four keywords that cannot be raw (`self`, `Self`, `super`, `crate`) get a trailing
//! `_`, a leading digit gets a prefix, and punctuation or non-ASCII letters are spelt out
//! or transliterated. Two names that end up the same identifier are not merged or
//! numbered: the resolver reports the collision with both locations.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust's strict and reserved keywords (2024 edition), which need `r#` as identifiers.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "union", "unsafe", "unsized",
    "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Words for the punctuation that carries meaning in enum values ("100%", "a+b").
fn spell(c: char) -> Option<&'static str> {
    Some(match c {
        '%' => " percent ",
        '+' => " plus ",
        '&' => " and ",
        '@' => " at ",
        '#' => " number ",
        '$' => " dollar ",
        '€' => " euro ",
        '£' => " pound ",
        '<' => " lt ",
        '>' => " gt ",
        '=' => " eq ",
        _ => return None,
    })
}

/// Latin letters with diacritics → ASCII (ü → u, ß → ss). Others are hex-escaped.
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'æ' => "ae",
        'Æ' => "AE",
        'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => "c",
        'Ç' | 'Ć' | 'Č' | 'Ĉ' | 'Ċ' => "C",
        'ď' | 'đ' | 'ð' => "d",
        'Ď' | 'Đ' | 'Ð' => "D",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'ł' | 'ľ' | 'ĺ' | 'ļ' => "l",
        'Ł' | 'Ľ' | 'Ĺ' | 'Ļ' => "L",
        'ñ' | 'ń' | 'ň' | 'ņ' => "n",
        'Ñ' | 'Ń' | 'Ň' | 'Ņ' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'œ' => "oe",
        'Œ' => "OE",
        'ŕ' | 'ř' | 'ŗ' => "r",
        'Ŕ' | 'Ř' | 'Ŗ' => "R",
        'ś' | 'š' | 'ş' | 'ŝ' | 'ș' => "s",
        'Ś' | 'Š' | 'Ş' | 'Ŝ' | 'Ș' => "S",
        'ß' => "ss",
        'ť' | 'ţ' | 'ț' | 'þ' => "t",
        'Ť' | 'Ţ' | 'Ț' | 'Þ' => "T",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ź' | 'ž' | 'ż' => "z",
        'Ź' | 'Ž' | 'Ż' => "Z",
        _ => return None,
    })
}

/// The name as ASCII words separated by spaces, ready for case conversion.
fn ascii_words(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if let Some(w) = spell(c) {
            out.push_str(w);
        } else if let Some(t) = transliterate(c) {
            out.push_str(t);
        } else if c.is_alphanumeric() {
            // Keep distinct non-Latin names distinct: `u` + code point, as its own word.
            out.push_str(&format!(" u{:04x} ", c as u32));
        } else {
            out.push(' ');
        }
    }
    out
}

/// `snake_case` field or function name.
pub fn field_ident(name: &str) -> String {
    let mut s = ascii_words(name).to_snake_case();
    if s.is_empty() {
        s = "empty".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    finish(s)
}

/// `PascalCase` type name; `prefix` is used when the name starts with a digit.
fn pascal_ident(name: &str, prefix: &str) -> String {
    let mut s = ascii_words(name).to_upper_camel_case();
    if s.is_empty() {
        s = "Empty".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert_str(0, prefix);
    }
    finish(s)
}

/// A struct or enum name.
pub fn type_ident(name: &str) -> String {
    pascal_ident(name, "T")
}

/// An enum variant.
pub fn variant_ident(name: &str) -> String {
    pascal_ident(name, "V")
}

fn finish(s: String) -> String {
    if NOT_RAW.contains(&s.as_str()) {
        format!("{s}_")
    } else if KEYWORDS.contains(&s.as_str()) {
        format!("r#{s}")
    } else {
        s
    }
}

/// The identifier without a raw prefix, for building longer names from it.
pub fn unraw(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// Is the name written in snake_case already (`order_completed`, `v2_signup`)?
pub fn is_snake_case(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.contains("__")
        && !name.ends_with('_')
}

/// Is the name written in PascalCase already (`Item`, `CancelReason`)?
pub fn is_pascal_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && name.to_upper_camel_case() == name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_hostile_names() {
        assert_eq!(field_ident("type"), "r#type");
        assert_eq!(field_ident("match"), "r#match");
        assert_eq!(field_ident("gen"), "r#gen");
        assert_eq!(field_ident("self"), "self_");
        assert_eq!(field_ident("crate"), "crate_");
        assert_eq!(field_ident("super"), "super_");
        assert_eq!(variant_ident("self"), "Self_");
        assert_eq!(variant_ident("Self"), "Self_");
        assert_eq!(variant_ident("1st"), "V1st");
        assert_eq!(variant_ident("100%"), "V100Percent");
        assert_eq!(variant_ident("a b"), "AB");
        assert_eq!(variant_ident("über"), "Uber");
        assert_eq!(variant_ident("Skin Care"), "SkinCare");
        assert_eq!(variant_ident("日本"), "U65e5U672c");
        assert_eq!(variant_ident(""), "Empty");
        assert_eq!(field_ident("cartValue"), "cart_value");
        assert_eq!(field_ident("1st_order"), "_1st_order");
        assert_eq!(type_ident("option"), "Option");
    }

    #[test]
    fn case_checks() {
        assert!(is_snake_case("order_completed"));
        assert!(is_snake_case("v2_signup"));
        assert!(!is_snake_case("OrderCompleted"));
        assert!(!is_snake_case("order-completed"));
        assert!(is_pascal_case("CancelReason"));
        assert!(!is_pascal_case("cancel_reason"));
    }
}
