//! `trackc serve`: a local Track API that any SDK can point at. Every request to a Track
//! API route is judged against the contract by validate's engine ([`judge`]), stored
//! ([`store`]) and answered as Customer.io would ([`answers`]); tests and CI read the
//! verdicts through the inspection API ([`inspect`]).
//!
//! Bounds: [`MAX_CONNECTIONS`] connections at once (more wait in the kernel's backlog),
//! headers within [`HEADER_TIMEOUT`], bodies of at most [`http::MAX_BODY`] bytes within
//! [`http::BODY_TIMEOUT`], the store at most `--max-store-mb`.

pub mod answers;
pub mod clock;
pub mod forward;
pub mod http;
pub mod inspect;
pub mod judge;
pub mod page;
pub mod routes;
pub mod store;
pub mod tls;

use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

pub use http::{Credentials, Mode, State};

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 1024;
/// A request's headers (and an idle keep-alive connection's next request) must arrive
/// within this time.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// Serve on `listener` until SIGINT or SIGTERM.
pub async fn serve(listener: TcpListener, state: State, tls: Option<TlsAcceptor>) {
    let state = Arc::new(state);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let accept = async {
        loop {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let stream = match listener.accept().await {
                Ok((s, _)) => s,
                // Out of file descriptors and the like: wait instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let state = state.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    None => connection(stream, state).await,
                    Some(acceptor) => {
                        let handshake =
                            tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(stream)).await;
                        if let Ok(Ok(s)) = handshake {
                            connection(s, state).await;
                        }
                    }
                }
                drop(permit);
            });
        }
    };
    tokio::select! {
        () = accept => {}
        () = shutdown() => {}
    }
}

async fn connection<S>(stream: S, state: Arc<State>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| http::handle(state.clone(), req));
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
