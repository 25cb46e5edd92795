//! Derives for trackc. Placeholder expansion until the derive lands (issue 4).
use proc_macro::TokenStream;

#[proc_macro_derive(Event, attributes(trackc))]
pub fn derive_event(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}

#[proc_macro_derive(Attributes, attributes(trackc))]
pub fn derive_attributes(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
