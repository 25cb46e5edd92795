//! A v1 request's route, from the Track API's route table (`trackc_wire::route`): what
//! [`super::record`] reads of the body and which identifier it checks.

use std::borrow::Cow;

use trackc_wire::route::{Matched, Param, RouteId, match_request, request_path};
use trackc_wire::{Method, identifier::decode_segment};

use super::value::{Quoted, Shown};

/// A v1 request's route.
pub(super) enum Route<'a> {
    Identify(Cow<'a, str>),
    Track(Cow<'a, str>),
    Anonymous,
    Entity,
    Batch,
    /// Another Track API path (delete, devices, suppress, merge ...): identifier only.
    Other(Option<Cow<'a, str>>),
    Invalid(String),
}

impl<'a> Route<'a> {
    pub(super) fn of(method: &str, full: &'a str) -> Route<'a> {
        let wrong = |what: &str| {
            Route::Invalid(format!(
                "{} {} is not a Track API request ({what})",
                Shown(method),
                Shown(full)
            ))
        };
        let not_a_path = || Route::Invalid(format!("{} is not a Track API path", Quoted(full)));
        match match_request(method, full) {
            Matched::Route(r, mut params) => {
                let person = params.take(Param::Identifier);
                match (r.id, person) {
                    (RouteId::Identify, Some(id)) => Route::Identify(id),
                    (RouteId::Track, Some(id)) => Route::Track(id),
                    (RouteId::TrackAnonymous, _) => Route::Anonymous,
                    (RouteId::Entity, _) => Route::Entity,
                    (RouteId::Batch, _) => Route::Batch,
                    (RouteId::Unsubscribe, _) => not_a_path(),
                    (_, person) => Route::Other(person),
                }
            }
            Matched::WrongMethod { routes, mut params } => match routes.first().map(|r| r.id) {
                Some(RouteId::Identify | RouteId::Delete) => wrong("identify is PUT"),
                Some(RouteId::Track) => wrong("track is POST"),
                Some(RouteId::TrackAnonymous) => wrong("anonymous track is POST"),
                Some(RouteId::Entity | RouteId::Batch) => wrong("v2 requests are POST"),
                Some(RouteId::Unsubscribe) => not_a_path(),
                _ => Route::Other(params.take(Param::Identifier)),
            },
            Matched::Unknown => {
                let path = request_path(full);
                let m = Method::parse(method).filter(|m| *m != Method::Get);
                if let Some(rest) = path.strip_prefix("/api/v1/customers/") {
                    // Not a route of the table: an empty identifier, or another tail.
                    let (id, tail) = rest.split_once('/').unwrap_or((rest, ""));
                    let id = decode_segment(id);
                    return match (tail, m) {
                        ("", Some(Method::Put)) => Route::Identify(id),
                        ("", Some(Method::Delete)) => Route::Other(Some(id)),
                        ("", _) => wrong("identify is PUT"),
                        ("events", Some(Method::Post)) => Route::Track(id),
                        ("events", _) => wrong("track is POST"),
                        _ => Route::Other(Some(id)),
                    };
                }
                if path.starts_with("/api/v1/") || path.starts_with("/api/v2/") {
                    Route::Other(None)
                } else {
                    not_a_path()
                }
            }
        }
    }
}
