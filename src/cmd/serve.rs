//! `trackc serve [DIR]`: a local Track API for any SDK (src/serve/).
//!
//! The first line on stdout is `listening on http://ADDR` (`https://` with `--tls`), so a
//! script can read the port when `--listen` asks for port 0. With `--tls` the second line
//! is `certificate: PATH` (`--format json`: one JSON document instead of every line after
//! the first). Errors are a message on stderr (`--format json`: `{"error"}` on stdout) and
//! exit 2; a contract with errors exits 1, as `trackc validate` does.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::serve::{self, Credentials, Mode, State, store::Store};
use crate::{Color, Format, exit};

use super::usage_error;

pub struct Args<'a> {
    pub dir: &'a Path,
    pub listen: &'a str,
    pub store: Option<&'a Path>,
    pub max_store_mb: u64,
    pub mode: Mode,
    pub site_id: Option<String>,
    pub api_key: Option<String>,
    pub tls: bool,
    pub forward: Option<&'a str>,
    pub format: Format,
    pub color: Color,
}

pub fn run(args: Args<'_>) -> u8 {
    let format = args.format;
    // The flags win over the environment; the key is only ever compared.
    let site_id = args
        .site_id
        .or_else(|| std::env::var("TRACKC_SITE_ID").ok());
    let api_key = args
        .api_key
        .or_else(|| std::env::var("TRACKC_API_KEY").ok());
    let auth = match (site_id, api_key) {
        (Some(site_id), Some(api_key)) => Some(Credentials { site_id, api_key }),
        (None, None) => None,
        _ => {
            return usage_error(
                format,
                "give both the site id and the API key (--site-id and --api-key, or \
                 TRACKC_SITE_ID and TRACKC_API_KEY), or neither",
            );
        }
    };
    let validator = match super::validate::load(args.dir, format, args.color) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let forward = match args.forward.map(serve::forward::Forward::new).transpose() {
        Ok(f) => f,
        Err(e) => return usage_error(format, &e),
    };
    let store = match Store::open(args.store, args.max_store_mb << 20) {
        Ok(s) => s,
        Err(e) => return usage_error(format, &e),
    };
    let listener = match std::net::TcpListener::bind(args.listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
    {
        Ok(l) => l,
        Err(e) => return usage_error(format, &format!("cannot listen on {}: {e}", args.listen)),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => return usage_error(format, &format!("cannot listen on {}: {e}", args.listen)),
    };
    let tls = if args.tls {
        match serve::tls::make(&std::env::temp_dir(), &addr.ip().to_string()) {
            Ok(t) => Some(t),
            Err(e) => return usage_error(format, &e),
        }
    } else {
        None
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return usage_error(format, &format!("cannot start: {e}")),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{addr}");
    let certificate: Option<PathBuf> = tls.as_ref().map(|t| t.certificate.clone());
    let mut out = std::io::stdout().lock();
    let mut lines = format!("listening on {url}\n");
    match format {
        Format::Json => {
            let doc = serde_json::json!({
                "url": url,
                "certificate": certificate.as_ref().map(|p| p.display().to_string()),
                "store": args.store.map(|p| p.display().to_string()),
                "mode": match args.mode { Mode::Observe => "observe", Mode::Enforce => "enforce" },
                "forward": args.forward,
            });
            lines.push_str(&trackc_codegen::escape::json::safe(&doc.to_string()));
            lines.push('\n');
        }
        _ => {
            if let Some(c) = &certificate {
                lines.push_str(&format!("certificate: {}\n", c.display()));
            }
        }
    }
    // A script reads these lines while we serve: they must leave now.
    if out
        .write_all(lines.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        return exit::USAGE;
    }
    drop(out);
    let state = State {
        validator,
        store,
        mode: args.mode,
        auth,
        forward,
    };
    let code = runtime.block_on(async move {
        match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => {
                serve::serve(l, state, tls.map(|t| t.acceptor)).await;
                exit::OK
            }
            Err(e) => usage_error(format, &format!("cannot listen on {addr}: {e}")),
        }
    });
    // The certificate is of no use once we stop: its file and the folder made for it go.
    if let Some(c) = certificate {
        serve::tls::remove(&c);
    }
    code
}
