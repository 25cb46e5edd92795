//! Event ids: Customer.io ignores an event whose `id` (a ULID) it has already received,
//! which is what makes retries and duplicate sends safe.
//!
//! ## Derivation of deterministic ids (version 1, frozen)
//!
//! For an event with an idempotency key, the id depends only on the contract name, the
//! event name and the key's text, so the same order sent twice (by a retry, a replay or
//! two services) is one event at Customer.io:
//!
//! ```text
//! input  = "trackc.event-id.v1" 0x00
//!          u32be(len(contract)) contract
//!          u32be(len(event))    event
//!          u32be(len(key))      key          // UTF-8; an integer key in decimal ("42")
//! digest = SHA-256(input)
//! ULID   = time part 1_704_067_200_000 ms (2024-01-01T00:00:00Z, fixed)
//!          randomness = the first 80 bits (10 bytes) of digest, big-endian
//! ```
//!
//! SHA-256 and the fixed layout make it identical on every platform, architecture and
//! version of trackc (std's `DefaultHasher` is none of these). Every derived id starts
//! with `01HK153X00`, which tells them apart from random ones; Customer.io does not use
//! the ULID time part for deduplication. 80 bits of hash make a collision between two
//! different keys negligible (about 1 in 10^12 after a billion events per event name).
//! A string key and an integer key with the same text ("42" and 42) give the same id.
//!
//! Events without a key get a random ULID, made once per logical send and reused by all
//! of its retries.

use sha2::{Digest, Sha256};
use ulid::Ulid;

use crate::{Event, IdempotencyKey};

/// The ULID time part of every derived id: 2024-01-01T00:00:00Z in milliseconds.
pub const DERIVED_ID_TIME_MS: u64 = 1_704_067_200_000;

/// The deterministic id of the event named `event` in `contract` with idempotency key
/// `key` (see the module docs for the derivation).
pub fn derive_event_id(contract: &str, event: &str, key: IdempotencyKey<'_>) -> Ulid {
    let key_text;
    let key_bytes: &[u8] = match key {
        IdempotencyKey::String(s) => s.as_bytes(),
        IdempotencyKey::Integer(i) => {
            key_text = i.to_string();
            key_text.as_bytes()
        }
    };
    let mut h = Sha256::new();
    h.update(b"trackc.event-id.v1\0");
    for part in [contract.as_bytes(), event.as_bytes(), key_bytes] {
        h.update((part.len() as u32).to_be_bytes());
        h.update(part);
    }
    let digest = h.finalize();
    let mut random = [0u8; 16];
    random[6..].copy_from_slice(&digest[..10]);
    let random = u128::from_be_bytes(random);
    Ulid::from_parts(DERIVED_ID_TIME_MS, random)
}

/// The id to send `event` with: derived from its idempotency key when it has one, a fresh
/// random ULID otherwise. Call once per logical send; retries reuse the result.
pub fn event_id<E: Event>(event: &E) -> Ulid {
    match event.idempotency_key() {
        Some(key) => derive_event_id(E::CONTRACT, E::NAME, key),
        None => Ulid::generate(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_frozen() {
        // Golden values: these must never change, or replays stop deduplicating.
        let a = derive_event_id("shop", "order_completed", IdempotencyKey::String("o-1001"));
        let b = derive_event_id("shop", "order_completed", IdempotencyKey::Integer(1001));
        assert_eq!(a.to_string(), GOLDEN_A);
        assert_eq!(b.to_string(), GOLDEN_B);
        assert!(a.to_string().starts_with("01HK153X00"));
        assert_eq!(a.timestamp_ms(), DERIVED_ID_TIME_MS);
    }

    // Also computed independently (Python hashlib + Crockford base32) from the derivation
    // in the module docs.
    const GOLDEN_A: &str = "01HK153X00S4BXFSY53VM9ZPJF";
    const GOLDEN_B: &str = "01HK153X00GVSNEMG7VRMKYG0F";

    #[test]
    fn derived_ids_separate_their_inputs() {
        let k = |s| IdempotencyKey::String(s);
        let base = derive_event_id("c", "e", k("1"));
        assert_eq!(base, derive_event_id("c", "e", k("1")));
        assert_eq!(
            derive_event_id("c", "e", IdempotencyKey::Integer(1)),
            derive_event_id("c", "e", k("1"))
        );
        assert_ne!(base, derive_event_id("c", "e", k("2")));
        assert_ne!(base, derive_event_id("c2", "e", k("1")));
        assert_ne!(base, derive_event_id("c", "e2", k("1")));
        // Length prefixes: moving bytes between parts changes the id.
        assert_ne!(
            derive_event_id("ab", "c", k("d")),
            derive_event_id("a", "bc", k("d"))
        );
    }
}
