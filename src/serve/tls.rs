//! `--tls`: a self-signed certificate for `localhost` and 127.0.0.1 made at start (no
//! network), its PEM written to a new file the caller names on stdout so SDKs and curl
//! can trust it. The private key stays in memory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct Tls {
    pub acceptor: TlsAcceptor,
    /// The certificate's PEM file.
    pub certificate: PathBuf,
}

/// Make a certificate for `localhost`, 127.0.0.1 and `host`, write it into a new folder
/// in `dir`.
pub fn make(dir: &Path, host: &str) -> Result<Tls, String> {
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    if !names.iter().any(|n| n == host) {
        names.push(host.to_owned());
    }
    let rcgen::CertifiedKey { cert, signing_key } = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("cannot make a certificate: {e}"))?;
    let folder = new_folder(dir)?;
    let certificate = folder.join("cert.pem");
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&certificate)
        .and_then(|mut f| f.write_all(cert.pem().as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", certificate.display()))?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .map_err(|e| format!("cannot use the certificate: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        certificate,
    })
}

/// Remove the certificate `make` wrote and its folder (not recursively: only what we
/// made, and only if nothing else was put there).
pub fn remove(certificate: &Path) {
    let _ = std::fs::remove_file(certificate);
    if let Some(folder) = certificate.parent() {
        let _ = std::fs::remove_dir(folder);
    }
}

/// A folder of our own under `dir` (never one someone else prepared).
fn new_folder(dir: &Path) -> Result<PathBuf, String> {
    let pid = std::process::id();
    for n in 0..100u32 {
        let p = dir.join(format!("trackc-serve-{pid}-{n}"));
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create {}: {e}", p.display())),
        }
    }
    Err(format!("cannot create a folder in {}", dir.display()))
}
