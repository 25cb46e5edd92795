use crate::validate::Violations;

/// Whether historical replays (backfills) may send an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backfill {
    /// Historical replays may send it.
    Allowed,
    /// Only live traffic may send it (the contract's default).
    Forbidden,
}

/// The value of an event's idempotency key: the contract's `idempotency_key` property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdempotencyKey<'a> {
    String(&'a str),
    Integer(i64),
}

impl std::fmt::Display for IdempotencyKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdempotencyKey::String(s) => f.write_str(s),
            IdempotencyKey::Integer(i) => write!(f, "{i}"),
        }
    }
}

/// A contract event: a struct whose serialized form is the event's `data`.
///
/// Implemented by `#[derive(trackc::Event)]`, on generated and hand-written structs alike.
pub trait Event: serde::Serialize {
    /// The contract's name (`contract:`), part of every derived event id.
    const CONTRACT: &'static str;
    /// The event name sent to the Track API.
    const NAME: &'static str;
    /// The contract's backfill policy for this event.
    const BACKFILL: Backfill;
    /// Workflows this event triggers (names from the contract).
    const TRIGGERS: &'static [&'static str];

    /// The idempotency key's value, for events that declare one.
    fn idempotency_key(&self) -> Option<IdempotencyKey<'_>>;

    /// Every constraint violation, each with its JSON path.
    fn validate(&self) -> Result<(), Violations>;
}

/// Identify attributes: a partial update of a person.
///
/// Implemented by `#[derive(trackc::Attributes)]`.
pub trait Attributes: serde::Serialize {
    /// Every constraint violation, each with its JSON path.
    fn validate(&self) -> Result<(), Violations>;
}
