//! Scrubbing the client's own credentials out of text it did not write.
//!
//! A server or proxy may echo the request's headers in an error body, and an HTTP stack may
//! quote them in a message. Every such text passes through [`Secrets::scrub`] before it is
//! stored in an [`super::Error`] or logged, so the API key, the Basic token
//! (base64 of `site_id:api_key`) and the whole header value never leave the client.

use std::fmt;

/// What the client must never print, in the forms an echo may take: as sent, JSON-escaped
/// (`/` as `\/`, as some serializers write it) and percent-encoded.
#[derive(Clone)]
pub(crate) struct Secrets {
    /// Longest first, so that a secret containing another is replaced whole.
    patterns: Vec<String>,
}

const REDACTED: &str = "<redacted>";

impl Secrets {
    pub(crate) fn new(api_key: &str, basic_token: &str) -> Self {
        let mut patterns = Vec::new();
        for secret in [basic_token, api_key] {
            let json = serde_json::to_string(secret).expect("a string always serializes");
            let json = json[1..json.len() - 1].to_owned();
            for form in [
                secret.to_owned(),
                json.replace('/', "\\/"),
                json,
                trackc_wire::identifier::encode_segment(secret),
            ] {
                if !form.is_empty() && !patterns.contains(&form) {
                    patterns.push(form);
                }
            }
        }
        patterns.sort_by_key(|p| std::cmp::Reverse(p.len()));
        Secrets { patterns }
    }

    /// `text` with every occurrence of a credential replaced by `<redacted>`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for p in &self.patterns {
            if out.contains(p.as_str()) {
                out = out.replace(p.as_str(), REDACTED);
            }
        }
        out
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_every_credential_is_replaced() {
        // A key with characters that JSON and percent-encoding change.
        let key = "k/e\"y+1";
        let token = "c2l0ZTprL2UieSsx/+=";
        let s = Secrets::new(key, token);
        for echoed in [
            format!("Authorization: Basic {token}"),
            format!(
                "{{\"authorization\":\"Basic {}\"}}",
                token.replace('/', "\\/")
            ),
            format!("key={}", trackc_wire::identifier::encode_segment(key)),
            format!("{{\"key\":{}}}", serde_json::to_string(key).unwrap()),
            format!("raw {key} raw"),
        ] {
            let out = s.scrub(&echoed);
            assert!(out.contains(REDACTED), "{echoed} -> {out}");
            for p in &s.patterns {
                assert!(!out.contains(p.as_str()), "{echoed} -> {out}");
            }
        }
        assert_eq!(s.scrub("nothing here"), "nothing here");
        assert_eq!(format!("{s:?}"), "<redacted>");
    }
}
