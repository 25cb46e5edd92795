//! The API key never appears in logs, `Debug` or errors, even at TRACE level with the HTTP
//! stack's own logs. Its own test binary: tracing caches callsite interest per process,
//! so a subscriber installed by one test among many concurrent ones can miss events.
#![cfg(feature = "reqwest")]

mod emulator;

use std::time::Duration;

use emulator::{Emulator, Fault};
use trackc::Client;
use trackc::client::RetryPolicy;

const SITE: &str = "site-7";
const KEY: &str = "k3y-DO-NOT-LEAK-9f8e7d";

fn client_with(emu: &Emulator, key: &str) -> Client {
    Client::builder(SITE, key)
        .base_url(emu.url())
        .timeout(Duration::from_millis(400))
        .retry(RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(40),
            budget: Duration::from_secs(15),
        })
        .build()
        .unwrap()
}

#[test]
fn the_api_key_never_reaches_logs_or_errors() {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let rendered = tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let emu = Emulator::start(SITE, KEY).await;
            emu.set_faults(|ctx| (ctx.attempt == 1).then_some(Fault::Status500));
            let good = client_with(&emu, KEY);
            good.delete("cust-1").await.unwrap();
            let bad = client_with(&emu, &format!("{KEY}-wrong"));
            let err = bad.delete("cust-1").await.unwrap_err();
            // A proxy that echoes the request's headers, Authorization included, in its
            // error bodies: retried (502) and final (403), in logs and in errors.
            emu.set_faults(|ctx| {
                Some(Fault::EchoHeaders {
                    status: if ctx.attempt <= 2 { 502 } else { 403 },
                })
            });
            let echoed = good.suppress("cust-2").await.unwrap_err();
            let batch = {
                let mut b = good.batch();
                b.delete("cust-3").unwrap();
                b.send().await
            };
            let shown = format!("{echoed} {echoed:?} {batch:?}");
            assert!(
                shown.contains("<redacted>"),
                "the echo is kept, scrubbed: {shown}"
            );
            format!("{good:?} {bad:?} {err} {err:?} {shown}")
        })
    });
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("trackc.request"), "spans are logged: {logs}");
    assert!(logs.contains("retrying"), "{logs}");
    let encoded_fragment = "azN5LURPLU5PVC1MRUFLLTlm"; // base64 of "k3y-DO-NOT-LEAK-9f"
    let token = emulator::base64_encode(format!("{SITE}:{KEY}").as_bytes());
    assert!(
        logs.contains("<redacted>"),
        "the echo reached the retry logs: {logs}"
    );
    for text in [&logs, &rendered] {
        assert!(!text.contains(&token), "{text}");
        assert!(!text.contains(KEY), "{text}");
        assert!(!text.contains("DO-NOT-LEAK"), "{text}");
        assert!(!text.contains(encoded_fragment), "{text}");
    }
}
