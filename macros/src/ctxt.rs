//! The errors of one derive, collected (like serde_derive's `Ctxt`) so that every mistake
//! is reported at once, each spanned on what it is about, instead of one per compile.

use std::fmt::Display;

use proc_macro2::Span;
use syn::{Error, Result};

#[derive(Default)]
pub struct Ctxt {
    errors: Vec<Error>,
}

impl Ctxt {
    pub fn error(&mut self, span: Span, message: impl Display) {
        self.errors.push(Error::new(span, message));
    }

    pub fn push(&mut self, error: Error) {
        self.errors.push(error);
    }

    /// How many errors are recorded so far (to tell whether a step added any).
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// The value, or `None` with its error recorded.
    pub fn ok<T>(&mut self, result: Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    /// Every error recorded, as one (in the order they were found).
    pub fn finish(self) -> Result<()> {
        let mut it = self.errors.into_iter();
        let Some(mut first) = it.next() else {
            return Ok(());
        };
        for e in it {
            first.combine(e);
        }
        Err(first)
    }
}
