//! Support for derive expansions and generated code (`trackc::__private`). Not a stable
//! API: only `#[derive(trackc::Event)]`, `#[derive(trackc::Validate)]` and trackc's Rust
//! emitter refer to it.

use std::borrow::Cow;

use crate::event::IdempotencyKey;

/// A Rust type bound to a contract type (an object or an enum), by
/// `#[derive(trackc::Validate)]` with `#[trackc(type = "...")]`.
///
/// `#[derive(trackc::Event)]` in contract mode checks at compile time that each nested
/// struct or enum a field uses is bound to the contract type the property names.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not bound to a contract type",
    label = "this type has no `#[trackc(type = \"...\")]` binding",
    note = "bind it: `#[derive(trackc::Validate)]` and `#[trackc(contract = \"...\", type = \"TypeName\")]` on `{Self}`"
)]
pub trait ContractType {
    /// The contract's name of the type (`Item`, or the dotted place of an inline type).
    const NAME: &'static str;
}

/// `a == b` in a const context (for the compile-time contract-type assertions).
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Numbers as `f64`, for the `minimum`/`maximum` checks.
pub trait AsF64 {
    fn as_f64(&self) -> f64;
    /// Only floats can be NaN or infinite.
    fn is_finite(&self) -> bool {
        true
    }
}

macro_rules! as_f64_int {
    ($($t:ty),*) => {$(
        impl AsF64 for $t {
            #[inline]
            fn as_f64(&self) -> f64 {
                *self as f64
            }
        }
    )*};
}
as_f64_int!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl AsF64 for f64 {
    #[inline]
    fn as_f64(&self) -> f64 {
        *self
    }
    fn is_finite(&self) -> bool {
        f64::is_finite(*self)
    }
}

impl AsF64 for f32 {
    #[inline]
    fn as_f64(&self) -> f64 {
        f64::from(*self)
    }
    fn is_finite(&self) -> bool {
        f32::is_finite(*self)
    }
}

impl<T: AsF64 + ?Sized> AsF64 for &T {
    fn as_f64(&self) -> f64 {
        (**self).as_f64()
    }
    fn is_finite(&self) -> bool {
        (**self).is_finite()
    }
}

impl<T: AsF64 + ?Sized> AsF64 for Box<T> {
    fn as_f64(&self) -> f64 {
        (**self).as_f64()
    }
    fn is_finite(&self) -> bool {
        (**self).is_finite()
    }
}

/// Strings as `&str`, for the length, pattern and format checks.
pub trait AsStr {
    fn as_str(&self) -> &str;
}

impl AsStr for str {
    fn as_str(&self) -> &str {
        self
    }
}

impl AsStr for String {
    fn as_str(&self) -> &str {
        self
    }
}

impl AsStr for Cow<'_, str> {
    fn as_str(&self) -> &str {
        self
    }
}

impl<T: AsStr + ?Sized> AsStr for &T {
    fn as_str(&self) -> &str {
        (**self).as_str()
    }
}

impl<T: AsStr + ?Sized> AsStr for Box<T> {
    fn as_str(&self) -> &str {
        (**self).as_str()
    }
}

/// Sequences as slices, for the item-count checks and to walk items.
pub trait AsSlice {
    type Item;
    fn as_slice(&self) -> &[Self::Item];
}

impl<T> AsSlice for Vec<T> {
    type Item = T;
    fn as_slice(&self) -> &[T] {
        self
    }
}

impl<T> AsSlice for [T] {
    type Item = T;
    fn as_slice(&self) -> &[T] {
        self
    }
}

impl<T, const N: usize> AsSlice for [T; N] {
    type Item = T;
    fn as_slice(&self) -> &[T] {
        self
    }
}

impl<S: AsSlice + ?Sized> AsSlice for &S {
    type Item = S::Item;
    fn as_slice(&self) -> &[S::Item] {
        (**self).as_slice()
    }
}

impl<S: AsSlice + ?Sized> AsSlice for Box<S> {
    type Item = S::Item;
    fn as_slice(&self) -> &[S::Item] {
        (**self).as_slice()
    }
}

/// The value of an `idempotency_key` field.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an idempotency key",
    note = "the contract's idempotency key is a string or an integer property: use `String` or `i64`"
)]
pub trait AsIdempotencyKey {
    fn as_idempotency_key(&self) -> Option<IdempotencyKey<'_>>;
}

impl AsIdempotencyKey for str {
    fn as_idempotency_key(&self) -> Option<IdempotencyKey<'_>> {
        Some(IdempotencyKey::String(self))
    }
}

impl AsIdempotencyKey for String {
    fn as_idempotency_key(&self) -> Option<IdempotencyKey<'_>> {
        Some(IdempotencyKey::String(self))
    }
}

impl AsIdempotencyKey for Cow<'_, str> {
    fn as_idempotency_key(&self) -> Option<IdempotencyKey<'_>> {
        Some(IdempotencyKey::String(self))
    }
}

macro_rules! key_int {
    ($($t:ty),*) => {$(
        impl AsIdempotencyKey for $t {
            fn as_idempotency_key(&self) -> Option<IdempotencyKey<'_>> {
                Some(IdempotencyKey::Integer(i64::from(*self)))
            }
        }
    )*};
}
key_int!(i8, i16, i32, i64, u8, u16, u32);

impl<T: AsIdempotencyKey + ?Sized> AsIdempotencyKey for &T {
    fn as_idempotency_key(&self) -> Option<IdempotencyKey<'_>> {
        (**self).as_idempotency_key()
    }
}

impl<T: AsIdempotencyKey + ?Sized> AsIdempotencyKey for Box<T> {
    fn as_idempotency_key(&self) -> Option<IdempotencyKey<'_>> {
        (**self).as_idempotency_key()
    }
}

impl<T: AsIdempotencyKey> AsIdempotencyKey for Option<T> {
    fn as_idempotency_key(&self) -> Option<IdempotencyKey<'_>> {
        self.as_ref().and_then(T::as_idempotency_key)
    }
}

/// Stands in for a `pii` value in generated `Debug` output.
pub struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The loose spelling used by generated enums' `normalize` (the Rust emitter computes the
/// match table's keys with the same function).
pub use trackc_wire::text::fold;

/// A string that is not a canonical value of a generated enum (`FromStr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseEnumError {
    /// The enum's Rust name.
    pub type_name: &'static str,
    /// The rejected input.
    pub value: String,
    /// The canonical values.
    pub expected: &'static [&'static str],
}

impl std::fmt::Display for ParseEnumError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} is not a value of `{}`; expected one of: {}",
            self.value,
            self.type_name,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for ParseEnumError {}

impl<T> crate::validate::Validate for Cow<'_, T>
where
    T: crate::validate::Validate + ToOwned + ?Sized,
{
    fn validate_into(
        &self,
        path: &crate::validate::Path<'_>,
        out: &mut crate::validate::Violations,
    ) {
        (**self).validate_into(path, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn const_eq() {
        assert!(str_eq("Item", "Item"));
        assert!(!str_eq("Item", "Items"));
        assert!(!str_eq("Item", "Itex"));
    }
}
