//! Customer.io's documented Track API limits.
//!
//! Source: the "Rate Limits" section of the Track API OpenAPI document. Sizes are bytes of
//! UTF-8 (strings) or of the JSON as sent (operations, batches, event data); "32kb" and
//! "500kb" are read as the stricter 32,000 and 500,000 bytes.

/// A person's identifier (`id`, `email`, `cio_id`; v2 `identifiers`, the v1 path) and an
/// anonymous id.
pub const IDENTIFIER_BYTES: usize = 150;
/// An attribute's name.
pub const ATTRIBUTE_NAME_BYTES: usize = 150;
/// An identify attribute's value.
pub const ATTRIBUTE_VALUE_BYTES: usize = 1000;
/// Attributes in one identify call.
pub const ATTRIBUTES_PER_CALL: usize = 300;
/// An event's name.
pub const EVENT_NAME_BYTES: usize = 100;
/// An event's `data` (v1) or `attributes` (v2 event).
pub const EVENT_DATA_BYTES: usize = 100_000;
/// One v2 operation (an `/api/v2/entity` body, or one element of a batch).
pub const OPERATION_BYTES: usize = 32_000;
/// One `/api/v2/batch` body.
pub const BATCH_BYTES: usize = 500_000;
