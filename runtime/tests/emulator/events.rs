//! The event the client's fault and outbox tests (and the outbox bench) send in bulk, and
//! [`d2c_event!`] for the hand-written events of the emulator's `d2c` contract.

/// `trackc::Event` for a hand-written event of the `d2c` contract (these tests do not use
/// the derive), without constraints: `d2c_event!(Type, "name", Allowed, ["workflow"])`,
/// and `key: |e| ...` for an idempotency key.
macro_rules! d2c_event {
    ($ty:ident, $name:literal, $backfill:ident, [$($trigger:literal),*]) => {
        d2c_event!($ty, $name, $backfill, [$($trigger),*], key: |_e| None);
    };
    ($ty:ident, $name:literal, $backfill:ident, [$($trigger:literal),*], key: |$e:ident| $key:expr) => {
        impl trackc::Event for $ty {
            const CONTRACT: &'static str = "d2c";
            const NAME: &'static str = $name;
            const BACKFILL: trackc::Backfill = trackc::Backfill::$backfill;
            const TRIGGERS: &'static [&'static str] = &[$($trigger),*];
            fn idempotency_key(&self) -> Option<trackc::IdempotencyKey<'_>> {
                let $e = self;
                $key
            }
            fn validate(&self) -> Result<(), trackc::Violations> {
                Ok(())
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use d2c_event;

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

d2c_event!(ProductViewed, "product_viewed", Allowed, []);
