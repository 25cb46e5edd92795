//! What Customer.io's Track API accepts, defined once for trackc's runtime, client,
//! compiler and traffic validator.
//!
//! - [`limits`]: sizes and counts Customer.io documents;
//! - [`time`]: timestamps (Unix seconds, not milliseconds) and `YYYY-MM-DD` dates;
//! - [`formats`]: the contract's string formats (code lists and patterns);
//! - [`identifier`]: how a request names a person, and path-segment percent-encoding;
//! - [`route`]: every route (method, path, parameters, body; v2 types and actions), a
//!   matcher for requests as captured, and path building for the client;
//! - [`JsonPath`]: JSON paths as reports show them; [`text`]: `fold`, JSON quoting,
//!   clipping.
//!
//! No dependencies: every application builds this crate through the runtime.

pub mod formats;
pub mod identifier;
pub mod json_path;
pub mod limits;
pub mod route;
pub mod text;
pub mod time;

pub use identifier::{IdentifierKey, PathPerson};
pub use json_path::JsonPath;
pub use route::{Action, Matched, Method, ObjectType, Route, RouteId, match_request};
