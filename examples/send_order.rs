//! The whole path of an event, against the example contract (`contract/`): identify a
//! person, build an order from the generated types, validate it, and send both through
//! trackc's client. A recording transport stands in for the network, so the program runs
//! anywhere; it prints each request as `trackc validate` reads it, which closes the loop:
//!
//! ```sh
//! cargo run --example send_order > capture.ndjson
//! cargo run -- validate contract capture.ndjson
//! ```
//!
//! With a real site id and API key, drop `.transport(..)` and `.base_url(..)` (and enable
//! trackc's `reqwest` feature): the same calls go to Customer.io.

use std::sync::{Arc, Mutex};

use trackc::Event;
use trackc::client::{BoxFuture, Request, Response, Transport, TransportError};
use trackc_example_events::{Category, Item, OrderCompleted, PersonAttributes};

/// Keeps every request and answers 200, as the Track API does.
#[derive(Default)]
struct Recording(Mutex<Vec<Request>>);

impl Transport for Recording {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        self.0.lock().unwrap().push(request);
        Box::pin(async {
            Ok(Response {
                status: 200,
                retry_after: None,
                body: b"{}".to_vec(),
            })
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let person = "cus_8f2k1m0q"; // the contract's `customer_id`, never the email

    // 1. Identify: every attribute is optional (identify is a partial update); `new()`
    //    starts with none set and each `with_*` sets one.
    let attributes = PersonAttributes::new()
        .with_email("jane@example.com".into())
        .with_email_opt_in(true)
        .with_first_name("Jane".into());

    // 2. Build the event from the generated type: `new` takes the required properties (in
    //    wire-name order: currency, is_first_order, items, order_id, revenue), `with_*` the
    //    optional ones, so an optional property added to the contract later (a minor
    //    change) does not break this code. validate() checks every constraint.
    let item = Item::new(
        Category::Skincare,
        "Daily Vitamin C Serum".into(),
        1,
        "SKN-SERUM-30ML".into(),
        64.8,
    );
    let order = OrderCompleted::new("USD".into(), true, vec![item], "ord_1042".into(), 64.8);
    order.validate()?;
    let mut broken = order.clone();
    broken.currency = "usd".into();
    broken.items.clear();
    let violations = broken.validate().unwrap_err();
    eprintln!("a broken order is refused before sending:\n{violations}");

    // 3. Send. The order's id derives from its idempotency key (`order_id`): a retry, or a
    //    second run of this program, is one event at Customer.io.
    let wire = Arc::new(Recording::default());
    let client = trackc::Client::builder("example-site", "example-key")
        .base_url("http://127.0.0.1:9")
        .transport(wire.clone())
        .build()?;
    client.identify(person, &attributes).await?;
    let id = client.track(person, &order).await?;
    eprintln!("sent {} as event {id}", OrderCompleted::NAME);

    // 4. What went over the wire, one request a line, as `trackc validate` reads it.
    for request in wire.0.lock().unwrap().iter() {
        let path = request
            .url
            .strip_prefix("http://127.0.0.1:9")
            .unwrap_or(&request.url);
        let body: serde_json::Value = match &request.body {
            Some(b) => serde_json::from_slice(b)?,
            None => serde_json::Value::Null,
        };
        let line = serde_json::json!({
            "method": request.method.as_str(),
            "path": path,
            "body": body,
        });
        println!("{line}");
    }
    Ok(())
}
