//! The event the client's fault and outbox tests (and the outbox bench) send in bulk.

use trackc::{Backfill, IdempotencyKey, Violations};

/// A product view: no idempotency key, so each preparation gets a random id; `seq` tells
/// events apart, to check exactly-once delivery and per-person order.
#[derive(serde::Serialize)]
pub struct ProductViewed {
    pub sku: String,
    pub seq: u64,
}

impl ProductViewed {
    pub fn new(seq: u64) -> Self {
        ProductViewed {
            sku: format!("sku-{}", seq % 977),
            seq,
        }
    }
}

impl trackc::Event for ProductViewed {
    const CONTRACT: &'static str = "d2c";
    const NAME: &'static str = "product_viewed";
    const BACKFILL: Backfill = Backfill::Allowed;
    const TRIGGERS: &'static [&'static str] = &[];
    fn idempotency_key(&self) -> Option<IdempotencyKey<'_>> {
        None
    }
    fn validate(&self) -> Result<(), Violations> {
        Ok(())
    }
}
