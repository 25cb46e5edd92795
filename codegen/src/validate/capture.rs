//! Captures from common tools, read as the NDJSON lines [`run`](super::run) judges.
//!
//! A HAR file (browser devtools, Charles, Proxyman, mitmproxy's `savehar`) and a
//! mitmproxy flow dump (one JSON flow a line, as the `jsondump` addon writes it) hold the
//! same requests as trackc's own line shape, wrapped differently: the body is a string
//! (JSON text, base64 or a Python bytes literal), the path sits inside a full URL, the
//! time is the tool's. Each request becomes one v1-shaped line
//! `{"method","path","body","received_at"}` that the engine judges like any other, so a
//! capture gives the same verdicts whatever tool recorded it.
//!
//! Line numbers stay the capture's own: a HAR's entry N is "line N", a dump's line N is
//! line N. Requests that are not Track API calls (a browser's page loads, other APIs
//! behind the same proxy) become blank lines, which are not records, and are counted in
//! [`Skipped`].

use std::io::{self, BufRead, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::limits;

/// What a capture file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// trackc's own lines: a v2 operation, a v2 batch or a v1 `{"method","path","body"}`.
    Ndjson,
    /// An HTTP Archive (HAR 1.2) document.
    Har,
    /// One mitmproxy flow a line (`{"request": {"method", "path", "content", ..}, ..}`).
    Mitmproxy,
}

impl InputKind {
    /// The kind a file's name says: `*.har` and `*.har.gz` are HAR, everything else is
    /// sniffed from its first line ([`sniff`]).
    pub fn from_name(path: &Path) -> Option<InputKind> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        name.ends_with(".har").then_some(InputKind::Har)
    }
}

/// The largest HAR document read: a HAR is one JSON value, held whole while it is read.
pub const MAX_HAR_BYTES: u64 = 256 << 20;

/// Requests of a capture that were not Track API calls, left out of the judgement.
#[derive(Clone, Debug, Default)]
pub struct Skipped(Arc<AtomicU64>);

impl Skipped {
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Open `input` as `kind` (or, for `None`, as its name or first line says), giving the
/// lines the engine reads and the counter of skipped requests.
pub fn read(
    path: &Path,
    kind: Option<InputKind>,
    mut input: Box<dyn BufRead + Send>,
) -> io::Result<(Box<dyn BufRead + Send>, Skipped)> {
    let skipped = Skipped::default();
    let kind = match kind.or_else(|| InputKind::from_name(path)) {
        Some(k) => k,
        None => sniff(&mut input)?,
    };
    let lines: Box<dyn BufRead + Send> = match kind {
        InputKind::Ndjson => input,
        InputKind::Har => Box::new(io::Cursor::new(har_lines(input, &skipped)?)),
        InputKind::Mitmproxy => Box::new(FlowLines {
            inner: input,
            out: Vec::new(),
            pos: 0,
            skipped: skipped.clone(),
        }),
    };
    Ok((lines, skipped))
}

/// A mitmproxy dump or trackc's own lines, told apart by the first non-blank line: a flow
/// is an object whose `request` is an object with a `method`. The bytes looked at stay in
/// the buffer (`fill_buf`), so nothing is consumed.
fn sniff(input: &mut Box<dyn BufRead + Send>) -> io::Result<InputKind> {
    let buf = input.fill_buf()?;
    let start = buf
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(buf.len());
    let line = &buf[start..];
    let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
    #[derive(Deserialize)]
    struct Probe {
        request: Option<ProbeRequest>,
    }
    #[derive(Deserialize)]
    struct ProbeRequest {
        #[allow(dead_code)]
        method: serde::de::IgnoredAny,
    }
    Ok(match serde_json::from_slice::<Probe>(line) {
        Ok(Probe { request: Some(_) }) => InputKind::Mitmproxy,
        _ => InputKind::Ndjson,
    })
}

/// One request as trackc's v1 line shape; `None` when it is not a Track API call.
fn track_line(
    method: &str,
    target: &str,
    body: Option<Box<RawValue>>,
    at: Option<f64>,
) -> Option<Vec<u8>> {
    let (host, path) = split_target(target);
    if !is_track_call(host, path) {
        return None;
    }
    #[derive(serde::Serialize)]
    struct Line<'a> {
        method: String,
        path: &'a str,
        body: Box<RawValue>,
        #[serde(skip_serializing_if = "Option::is_none")]
        received_at: Option<f64>,
    }
    // Some tools store the path decoded: an identifier holding `/` is encoded again.
    let fixed = trackc_wire::route::reencode_decoded(method, path);
    let line = Line {
        method: method.to_ascii_uppercase(),
        path: fixed.as_deref().unwrap_or(path),
        body: body.unwrap_or_else(|| raw("null").expect("null is JSON")),
        received_at: at.filter(|t| t.is_finite()),
    };
    let mut out = serde_json::to_vec(&line).expect("a JSON value serializes");
    out.push(b'\n');
    Some(out)
}

/// `https://host:port/path?query#frag` or `/path?query` → (host, path without the query).
fn split_target(target: &str) -> (Option<&str>, &str) {
    let (host, rest) = match target.split_once("://") {
        Some((_, after)) => match after.find('/') {
            Some(i) => (Some(&after[..i]), &after[i..]),
            None => (Some(after), "/"),
        },
        None => (None, target),
    };
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    (host.map(|h| h.rsplit('@').next().unwrap_or(h)), path)
}

/// A request the Track API serves: sent to Customer.io's Track hosts, or to any host
/// (a local stand-in, a proxy) on the Track API's paths.
fn is_track_call(host: Option<&str>, path: &str) -> bool {
    let host = host.map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase());
    let track_host = host
        .as_deref()
        .is_some_and(|h| h.starts_with("track") && h.ends_with(".customer.io"));
    track_host
        || ["/api/v1/", "/api/v2/", "/unsubscribe/"]
            .iter()
            .any(|p| path.starts_with(p))
}

/// `text` as it is, when it is one JSON value; on one line (a raw newline or return can
/// only be whitespace between tokens in JSON, so a space keeps the value and its size).
fn raw(text: &str) -> Option<Box<RawValue>> {
    let v = serde_json::from_str::<&RawValue>(text).ok()?;
    let one_line = v.get().replace(['\n', '\r'], " ");
    RawValue::from_string(one_line).ok()
}

/// The request body, its JSON text kept byte for byte (the engine measures sizes on it):
/// the text itself, its base64, or a Python bytes literal's contents (`str(b'…')[2:-1]`,
/// what mitmproxy's jsondump writes). A body that is none of these is passed on as a JSON
/// string, and the engine reports that the request's body is not the JSON it must be.
fn body_json(text: &str, base64_declared: bool) -> Box<RawValue> {
    let from_base64 = || {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()?;
        raw(std::str::from_utf8(&bytes).ok()?)
    };
    if base64_declared && let Some(v) = from_base64() {
        return v;
    }
    if text.trim().is_empty() {
        return raw("null").expect("null is JSON");
    }
    if let Some(v) = raw(text).or_else(from_base64) {
        return v;
    }
    if let Some(bytes) = python_bytes(text)
        && let Some(v) = std::str::from_utf8(&bytes).ok().and_then(raw)
    {
        return v;
    }
    serde_json::value::to_raw_value(text).expect("a string serializes")
}

/// The bytes of a Python bytes literal's contents: `\\`, `\'`, `\"`, `\n`, `\r`, `\t`,
/// `\xNN`. `None` on any other escape.
fn python_bytes(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut it = s.bytes();
    while let Some(b) = it.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        out.push(match it.next()? {
            b'\\' => b'\\',
            b'\'' => b'\'',
            b'"' => b'"',
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'x' => {
                let hex = [it.next()?, it.next()?];
                u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?
            }
            _ => return None,
        });
    }
    Some(out)
}

// --- HAR ------------------------------------------------------------------------------

#[derive(Deserialize)]
struct Har {
    log: HarLog,
}

#[derive(Deserialize)]
struct HarLog {
    entries: Vec<HarEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HarEntry {
    started_date_time: Option<String>,
    request: HarRequest,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HarRequest {
    method: String,
    url: String,
    post_data: Option<HarPostData>,
}

#[derive(Deserialize)]
struct HarPostData {
    text: Option<String>,
    /// Not in HAR 1.2, but written by several tools for binary bodies.
    encoding: Option<String>,
}

/// A HAR document as lines, entry N on line N.
fn har_lines(input: impl Read, skipped: &Skipped) -> io::Result<Vec<u8>> {
    let mut limited = input.take(MAX_HAR_BYTES + 1);
    let mut text = Vec::new();
    limited.read_to_end(&mut text)?;
    if text.len() as u64 > MAX_HAR_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the HAR file is larger than {} MiB; split the capture",
                MAX_HAR_BYTES >> 20
            ),
        ));
    }
    let har: Har = serde_json::from_slice(&text).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not a HAR document (expected {{\"log\": {{\"entries\": [..]}}}}): {e}"),
        )
    })?;
    drop(text);
    let mut out = Vec::new();
    for entry in har.log.entries {
        let r = entry.request;
        let body = r.post_data.and_then(|p| {
            let base64 = p.encoding.is_some_and(|e| e.eq_ignore_ascii_case("base64"));
            p.text.map(|t| body_json(&t, base64))
        });
        let at = entry
            .started_date_time
            .as_deref()
            .and_then(trackc_wire::time::parse_date_time);
        match track_line(&r.method, &r.url, body, at) {
            Some(line) => out.extend_from_slice(&line),
            None => {
                skipped.add();
                out.push(b'\n');
            }
        }
    }
    Ok(out)
}

// --- mitmproxy --------------------------------------------------------------------------

#[derive(Deserialize)]
struct Flow {
    request: FlowRequest,
}

#[derive(Deserialize)]
struct FlowRequest {
    method: String,
    host: Option<String>,
    path: Option<String>,
    url: Option<String>,
    content: Option<String>,
    timestamp_start: Option<f64>,
}

/// A mitmproxy dump read line by line, each flow turned into trackc's line as it is read:
/// memory stays one line, however long the dump.
struct FlowLines {
    inner: Box<dyn BufRead + Send>,
    out: Vec<u8>,
    pos: usize,
    skipped: Skipped,
}

impl FlowLines {
    fn next_line(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        // Lines past the engine's bound are passed on unread: the engine reports them.
        let limit = limits::LINE_BYTES as u64 + 1;
        (&mut self.inner)
            .take(limit)
            .read_until(b'\n', &mut self.out)?;
        if self.out.is_empty() || self.out.len() as u64 >= limit {
            return Ok(());
        }
        let text = self.out.trim_ascii();
        if text.is_empty() {
            return Ok(());
        }
        let Ok(flow) = serde_json::from_slice::<Flow>(text) else {
            // Not a flow: judged as it is (trackc's own line, or `invalid_json`).
            return Ok(());
        };
        let r = flow.request;
        let target = match (&r.url, &r.host, &r.path) {
            (Some(url), _, _) => url.clone(),
            (None, Some(host), Some(path)) => format!("http://{host}{path}"),
            (None, None, Some(path)) => path.clone(),
            (None, _, None) => String::new(),
        };
        let body = r.content.as_deref().map(|c| body_json(c, false));
        // jsondump writes milliseconds; mitmproxy's own state has float seconds.
        let at = r
            .timestamp_start
            .map(|t| if t > 1e11 { t / 1000.0 } else { t });
        self.out = match track_line(&r.method, &target, body, at) {
            Some(line) => line,
            None => {
                self.skipped.add();
                b"\n".to_vec()
            }
        };
        Ok(())
    }
}

impl Read for FlowLines {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let available = self.fill_buf()?;
            let n = available.len().min(buf.len());
            buf[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for FlowLines {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.out.len() {
            self.next_line()?;
        }
        Ok(&self.out[self.pos..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(kind: InputKind, text: &str) -> (String, u64) {
        let input: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(text.as_bytes().to_vec()));
        let (mut r, skipped) = read(Path::new("capture"), Some(kind), input).unwrap();
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        (out, skipped.count())
    }

    #[test]
    fn a_path_stored_decoded_is_encoded_again() {
        let har = r#"{"log": {"entries": [
          {"request": {"method": "POST",
            "url": "https://track.customer.io/api/v1/customers/cus_1/2/events",
            "postData": {"text": "{\"name\":\"site_visit\",\"data\":{}}"}}}
        ]}}"#;
        let (out, _) = lines(InputKind::Har, har);
        assert_eq!(
            out.lines().next().unwrap(),
            r#"{"method":"POST","path":"/api/v1/customers/cus_1%2F2/events","body":{"name":"site_visit","data":{}}}"#
        );
    }

    #[test]
    fn har_entries_become_lines_in_entry_order() {
        let har = r#"{"log": {"version": "1.2", "entries": [
          {"startedDateTime": "2026-11-30T09:00:00.500Z", "request": {"method": "post",
            "url": "https://track.customer.io/api/v1/customers/cus_1%2F2/events?x=1",
            "headers": [], "postData": {"mimeType": "application/json",
            "text": "{\"name\":\"order_completed\",\"data\":{}}"}}},
          {"startedDateTime": "2026-11-30T09:00:01Z", "request": {"method": "GET",
            "url": "https://cdn.example.com/app.js", "headers": []}},
          {"request": {"method": "POST", "url": "https://track-eu.customer.io/api/v2/entity",
            "postData": {"text": "eyJ0eXBlIjoicGVyc29uIn0=", "encoding": "base64"}}}
        ]}}"#;
        let (out, skipped) = lines(InputKind::Har, har);
        let got: Vec<&str> = out.split('\n').collect();
        assert_eq!(
            got[0],
            r#"{"method":"POST","path":"/api/v1/customers/cus_1%2F2/events","body":{"name":"order_completed","data":{}},"received_at":1796029200.5}"#
        );
        assert_eq!(
            got[1], "",
            "entry 2 is not a Track call: a blank line keeps numbering"
        );
        assert_eq!(
            got[2],
            r#"{"method":"POST","path":"/api/v2/entity","body":{"type":"person"}}"#
        );
        assert_eq!(skipped, 1);
    }

    #[test]
    fn not_a_har_is_an_error_not_a_panic() {
        let input: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(b"[1,2]".to_vec()));
        let err = read(Path::new("x.har"), None, input).err().unwrap();
        assert!(err.to_string().starts_with("not a HAR document"), "{err}");
    }

    #[test]
    fn mitmproxy_flows_are_converted_line_by_line() {
        // jsondump: bytes as Python literals, headers as a dict, timestamps in ms.
        let dump = concat!(
            r#"{"request": {"method": "PUT", "scheme": "https", "host": "track.customer.io", "port": 443, "path": "/api/v1/customers/cus_1", "headers": {}, "content": "{\"plan\": \"caf\\xc3\\xa9\"}", "timestamp_start": 1796029200000}}"#,
            "\n\n",
            r#"{"request": {"method": "GET", "host": "example.com", "path": "/", "content": ""}}"#,
            "\n",
            r#"{"type":"person","identifiers":{"id":"cus_1"},"action":"identify"}"#,
            "\n",
        );
        let (out, skipped) = lines(InputKind::Mitmproxy, dump);
        let got: Vec<&str> = out.split('\n').collect();
        assert_eq!(
            got[0],
            r#"{"method":"PUT","path":"/api/v1/customers/cus_1","body":{"plan": "café"},"received_at":1796029200.0}"#
        );
        assert_eq!(got[1], "");
        assert_eq!(got[2], "", "a flow to another host is skipped");
        assert_eq!(
            got[3], r#"{"type":"person","identifiers":{"id":"cus_1"},"action":"identify"}"#,
            "a line that is not a flow is passed on as it is"
        );
        assert_eq!(skipped, 1);
    }

    #[test]
    fn the_first_line_tells_a_dump_from_trackc_lines() {
        let sniffed = |text: &str| {
            let mut input: Box<dyn BufRead + Send> =
                Box::new(io::Cursor::new(text.as_bytes().to_vec()));
            sniff(&mut input).unwrap()
        };
        assert_eq!(
            sniffed("\n{\"request\":{\"method\":\"POST\"}}\n"),
            InputKind::Mitmproxy
        );
        assert_eq!(
            sniffed(r#"{"method":"POST","path":"/api/v1/events","body":{}}"#),
            InputKind::Ndjson
        );
        assert_eq!(sniffed("not json"), InputKind::Ndjson);
        assert_eq!(
            InputKind::from_name(Path::new("a/b.HAR.gz")),
            Some(InputKind::Har)
        );
        assert_eq!(InputKind::from_name(Path::new("b.ndjson")), None);
    }

    #[test]
    fn bodies_in_every_encoding_read_the_same() {
        let body = |t: &str| body_json(t, false).get().to_owned();
        assert_eq!(body(r#"{"a":"é"}"#), r#"{"a":"é"}"#);
        assert_eq!(body("eyJhIjoiw6kifQ=="), r#"{"a":"é"}"#);
        assert_eq!(
            body(r#"{"a":"\\xc3\\xa9"}"#),
            r#"{"a":"\\xc3\\xa9"}"#,
            "valid JSON is taken as it is, even when it could be a bytes literal"
        );
        assert_eq!(body(r#"{"a":"caf\xc3\xa9"}"#), r#"{"a":"café"}"#);
        assert_eq!(body("{'a':1}"), r#""{'a':1}""#);
        assert_eq!(body(""), "null");
        assert_eq!(
            body("{\n  \"a\": [1,\r\n 2]\n}"),
            "{   \"a\": [1,   2] }",
            "one line, same size"
        );
    }
}
