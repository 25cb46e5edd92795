//! Running `trackc serve` for the tests: start it on port 0, read the port from its first
//! line, talk HTTP/1.1 to it over a plain socket (one request per connection; TLS trusting
//! the certificate it names when started with `--tls`), and kill it when the test ends.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use tokio_rustls::rustls;

pub const CONTRACT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/contract");

/// A running `trackc serve`, killed on drop.
pub struct Server {
    pub child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// The first line on stdout.
    pub first_line: String,
    /// With `--tls`: the certificate file named on the second line, and a client
    /// configuration trusting it.
    pub certificate: Option<String>,
    tls: Option<Arc<rustls::ClientConfig>>,
    pub stdout: BufReader<ChildStdout>,
}

impl Server {
    /// `trackc serve CONTRACT --listen 127.0.0.1:0 ARGS`.
    pub fn start(args: &[&str]) -> Server {
        Server::start_with(args, &[])
    }

    pub fn start_with(args: &[&str], env: &[(&str, &str)]) -> Server {
        Server::start_on(CONTRACT, args, env)
    }

    /// `trackc serve CONTRACT --listen 127.0.0.1:0 ARGS` for another contract.
    pub fn start_on(contract: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trackc"));
        cmd.args(["serve", contract, "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("TRACKC_SITE_ID")
            .env_remove("TRACKC_API_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("trackc runs");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first_line = String::new();
        stdout.read_line(&mut first_line).expect("first line");
        let first_line = first_line.trim_end().to_owned();
        let https = first_line.starts_with("listening on https://");
        let addr = first_line
            .strip_prefix("listening on http://")
            .or_else(|| first_line.strip_prefix("listening on https://"))
            .unwrap_or_else(|| {
                let mut err = String::new();
                let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
                panic!("first line {first_line:?}; stderr: {err}")
            })
            .to_owned();
        let (certificate, tls) = if https {
            let mut second = String::new();
            stdout.read_line(&mut second).expect("second line");
            let path = second
                .trim_end()
                .strip_prefix("certificate: ")
                .unwrap_or_else(|| panic!("second line {second:?}"))
                .to_owned();
            let tls = trusting(&path);
            (Some(path), Some(tls))
        } else {
            (None, None)
        };
        Server {
            child,
            addr,
            first_line,
            certificate,
            tls,
            stdout,
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[], b"")
    }

    pub fn post(&self, path: &str, body: &str) -> Reply {
        self.send("POST", path, &[], body.as_bytes())
    }

    pub fn put(&self, path: &str, body: &str) -> Reply {
        self.send("PUT", path, &[], body.as_bytes())
    }

    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        match &self.tls {
            None => request(&self.addr, method, path, headers, body),
            Some(config) => {
                let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
                let tls = rustls::ClientConnection::new(config.clone(), name).expect("TLS");
                let tcp = TcpStream::connect(&self.addr).expect("connect");
                exchange(
                    rustls::StreamOwned::new(tls, tcp),
                    &self.addr,
                    method,
                    path,
                    headers,
                    body,
                )
            }
        }
    }

    pub fn summary(&self) -> serde_json::Value {
        self.get("/_trackc/summary").json()
    }

    /// The NDJSON lines of `/_trackc/requests?QUERY`.
    pub fn requests(&self, query: &str) -> Vec<serde_json::Value> {
        let r = self.get(&format!("/_trackc/requests?{query}"));
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    /// Stop it (SIGTERM) and wait: the exit code.
    pub fn stop(mut self) -> Option<i32> {
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        for _ in 0..100 {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {} {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request on a new connection (`Connection: close`), the whole answer read.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    exchange(
        TcpStream::connect(addr).expect("connect"),
        addr,
        method,
        path,
        headers,
        body,
    )
}

/// A client configuration trusting only the certificate in the PEM file `path`.
fn trusting(path: &str) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(path).expect("a PEM certificate"))
        .expect("a usable certificate");
    Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Write one request on `s`, read the answer to the end.
fn exchange<S: Read + Write + Timeout>(
    mut s: S,
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    s.limit_reads(Duration::from_secs(30));
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).expect("write head");
    // The server may answer (413) before reading all of a large body.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    // A TLS peer that closes without `close_notify` is an error after the answer was read.
    let _ = s.read_to_end(&mut raw);
    parse(&raw)
}

/// A socket's read timeout, under TLS or not.
trait Timeout {
    fn limit_reads(&self, d: Duration);
}

impl Timeout for TcpStream {
    fn limit_reads(&self, d: Duration) {
        self.set_read_timeout(Some(d)).unwrap();
    }
}

impl Timeout for rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    fn limit_reads(&self, d: Duration) {
        self.sock.limit_reads(d);
    }
}

fn parse(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].strip_prefix("\r\n").unwrap_or(&rest[n..]);
    }
    out
}

/// `Authorization: Basic` for `user:password`.
pub fn basic(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// The example contract's valid order, as a v2 operation: sent live (no `timestamp`: the
/// event is `backfill: forbidden`), with an event `id` (it has an idempotency key).
pub fn order(order_id: &str) -> String {
    let id = event_id(order_id);
    format!(
        r#"{{"type":"person","identifiers":{{"id":"cus_8f2k1m0q"}},"action":"event","name":"order_completed","id":"{id}","attributes":{{"order_id":"{order_id}","revenue":64.8,"currency":"USD","items":[{{"sku":"SKN-SERUM-30ML","product_name":"Daily Vitamin C Serum","quantity":1,"unit_price":32.4,"category":"skincare"}}],"is_first_order":true}}}}"#
    )
}

/// The event id of the order `order_id`: a ULID derived from its idempotency key, as the
/// generated code sends it.
pub fn event_id(order_id: &str) -> String {
    trackc::client::derive_event_id(
        "example",
        "order_completed",
        trackc::IdempotencyKey::String(order_id),
    )
    .to_string()
}

/// An order breaking the contract: a lowercase currency (rule `format`: ISO 4217 codes are upper case).
pub fn bad_order(order_id: &str) -> String {
    order(order_id).replace("\"USD\"", "\"usd\"")
}

/// A folder under Cargo's temporary folder for tests, removed at drop (they used to stay).
pub fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("serve-{name}-"))
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}
