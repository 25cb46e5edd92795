//! The Track API's routes and operations as `trackc validate` judges them, from the route
//! table (`trackc_wire::route`): which route a v1 request takes (and so how its body is
//! read and which person its path names), whether a v1 track `type` and a v2 operation's
//! `type` and `action` exist, and the two people of a merge.

use std::borrow::Cow;
use std::ops::Range;

use trackc_wire::route::{
    self, Action, EventType, Matched, ObjectType, Param, RouteId, match_request, request_path,
};
use trackc_wire::{PathPerson, limits};

use super::codes;
use super::value::{Ctx, Quoted, Shown};
use crate::diag::did_you_mean;

/// A v1 request's route: how its body is read.
pub(super) enum Route<'a> {
    Identify(Cow<'a, str>),
    Track(Cow<'a, str>),
    Anonymous,
    Entity,
    Batch,
    /// `POST /api/v1/merge_customers`: `primary` and `secondary` name people.
    Merge,
    /// Another route of the table (delete, devices, suppress, unsubscribe ...): only the
    /// person its path names (if any) is checked. Its OpenAPI `operationId` labels the
    /// record in reports.
    Other(Option<Cow<'a, str>>, &'static str),
    /// Not a route of the Track API (`unknown_route`): the message and a hint.
    Unknown(String, Option<String>),
}

impl<'a> Route<'a> {
    pub(super) fn of(method: &str, full: &'a str) -> Route<'a> {
        match match_request(method, full) {
            Matched::Route(r, mut params) => {
                let person = params.take(Param::Identifier);
                match (r.id, person) {
                    (RouteId::Identify, Some(id)) => Route::Identify(id),
                    (RouteId::Track, Some(id)) => Route::Track(id),
                    (RouteId::TrackAnonymous, _) => Route::Anonymous,
                    (RouteId::Entity, _) => Route::Entity,
                    (RouteId::Batch, _) => Route::Batch,
                    (RouteId::Merge, _) => Route::Merge,
                    (_, person) => Route::Other(person, r.operation_id),
                }
            }
            Matched::WrongMethod { routes, .. } => {
                let allowed: Vec<&str> = routes.iter().map(|r| r.method.as_str()).collect();
                let template = routes.first().map_or("", |r| r.template);
                Route::Unknown(
                    format!(
                        "{} {} is not a Track API route ({template} takes {})",
                        Shown(method),
                        Shown(full),
                        allowed.join(" or ")
                    ),
                    None,
                )
            }
            Matched::Unknown => {
                let hint = route::nearest(request_path(full))
                    .map(|r| format!("did you mean {} {}?", r.method.as_str(), r.template));
                let message = if request_path(full).is_empty() {
                    format!("{} is not a Track API path", Quoted(full))
                } else {
                    format!("{} {} is not a Track API route", Shown(method), Shown(full))
                };
                Route::Unknown(message, hint)
            }
        }
    }
}

/// The person a v1 path names: `Some` when the contract's identity rules apply (an id or
/// an email). A `cio_…` id is Customer.io's own, documented for changing a person's id or
/// email: only its size is checked.
pub(super) fn path_person<'a>(cx: &mut Ctx<'_>, id: &'a str) -> Option<&'a str> {
    match PathPerson::parse(id) {
        PathPerson::IdOrEmail(id) => Some(id),
        PathPerson::CioId(_) => {
            if id.len() > limits::IDENTIFIER_BYTES {
                cx.push(
                    "path".into(),
                    codes::IDENTIFIER_TOO_LONG,
                    format!(
                        "identifier is {} bytes; Customer.io allows at most {}",
                        id.len(),
                        limits::IDENTIFIER_BYTES
                    ),
                    None,
                );
            }
            None
        }
    }
}

/// A method and path that are no route.
#[cold]
pub(super) fn unknown_route(cx: &mut Ctx<'_>, message: String, hint: Option<String>) {
    cx.push("path".into(), codes::UNKNOWN_ROUTE, message, hint);
}

/// What a v1 track request's `type` makes it.
pub(super) enum TrackType {
    /// An event (`"event"` or no `type`): its name and data are the contract's.
    Event,
    /// A page or screen view: the name is a URL or a screen's name, the data is not an
    /// event's (as with v2 `page` and `screen`).
    View(EventType),
    /// Not a type the Track API has (`unknown_operation`).
    Unknown,
}

/// Judge a v1 track body's `type`. `data_found`: the findings the data's check added
/// while the body was read as an event's, dropped when it is not one.
pub(super) fn track_type(
    cx: &mut Ctx<'_>,
    ty: Option<&str>,
    data_found: Range<usize>,
) -> TrackType {
    let kind = match ty.map(|t| (t, EventType::parse(t))) {
        None | Some((_, Some(EventType::Event))) => return TrackType::Event,
        Some((_, Some(view))) => TrackType::View(view),
        Some((other, None)) => {
            let names = EventType::ALL.map(EventType::as_str);
            let hint =
                did_you_mean(other, names.into_iter()).map(|m| format!("did you mean `{m}`?"));
            cx.found.drain(data_found);
            cx.push(
                "body.type".into(),
                codes::UNKNOWN_OPERATION,
                format!(
                    "unknown track type {} (event, page or screen)",
                    Quoted(other)
                ),
                hint,
            );
            return TrackType::Unknown;
        }
    };
    cx.found.drain(data_found);
    kind
}

/// How a v2 operation's `type` and `action` stand against the table.
pub(super) struct OpKind {
    /// The type, if the Track API has it.
    pub ty: Option<ObjectType>,
    /// The operation, if the type has the action.
    pub op: Option<&'static route::Operation>,
}

/// Judge a v2 operation's `type` and `action`: an unknown type or an action the type does
/// not have is `unknown_operation` (a missing one is the caller's `invalid_request`).
pub(super) fn operation(
    cx: &mut Ctx<'_>,
    prefix: &str,
    ty: Option<&str>,
    action: Option<&str>,
) -> OpKind {
    let known_ty = ty.and_then(ObjectType::parse);
    if let (Some(t), None) = (ty, known_ty) {
        cx.push(
            format!("{prefix}type"),
            codes::UNKNOWN_OPERATION,
            format!(
                "unknown operation type {} (person, object or delivery)",
                Quoted(t)
            ),
            None,
        );
    }
    // An unknown or missing type is read as a person's (the contract's).
    let of = known_ty.unwrap_or(ObjectType::Person);
    let op = action
        .and_then(Action::parse)
        .and_then(|a| route::operation(of, a));
    if let (Some(a), None) = (action, op) {
        let names: Vec<&str> = route::actions_of(of).map(Action::as_str).collect();
        let hint = did_you_mean(a, names.iter().copied()).map(|m| format!("did you mean `{m}`?"));
        cx.push(
            format!("{prefix}action"),
            codes::UNKNOWN_OPERATION,
            format!(
                "unknown action {} for type {} ({})",
                Quoted(a),
                of.as_str(),
                names.join(", ")
            ),
            hint,
        );
    }
    OpKind { ty: known_ty, op }
}

/// A merge (v1 `merge_customers`, v2 person `merge`) names both people; `sides` says which
/// of `primary` (1) and `secondary` (2) were there.
pub(super) fn merge_sides(cx: &mut Ctx<'_>, prefix: &str, sides: u8) {
    for (bit, side) in [(1, "primary"), (2, "secondary")] {
        if sides & bit == 0 {
            cx.push(
                format!("{prefix}{side}"),
                codes::INVALID_REQUEST,
                format!("a merge needs `primary` and `secondary`; `{side}` is missing"),
                None,
            );
        }
    }
}
