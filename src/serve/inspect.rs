//! The inspection API under `/_trackc/`: what tests and CI assert on.
//!
//! - `GET /_trackc/summary`: request counts, per-event operation counts, per-rule
//!   violation counts.
//! - `GET /_trackc/requests?valid=&event=&person=&after=&limit=`: NDJSON, one recorded
//!   request a line, in the line shape `trackc validate` reads (`method`, `path`, `body`)
//!   plus `seq`, `received_at` (Unix seconds, as validate reads it) and `verdict`.
//! - `POST /_trackc/reset`: empty the store.
//! - `POST /_trackc/match[?wait_ms=N&limit=N]` with a partial operation: the recorded
//!   operations that contain it (`wait_ms` may also be a top-level key of the body).

use std::time::Duration;

use rusqlite::{Connection, params};
use serde_json::{Map, Value, json};
use tokio::time::Instant;
use trackc_codegen::escape::json as safe_json;

use super::store::{OP_TEXT_SQL, RequestRow, Store, StoreError};

/// Lines `requests` returns by default, and at most.
pub const DEFAULT_LIMIT: usize = 1000;
pub const MAX_LIMIT: usize = 10_000;
/// Matches `match` returns by default, and at most.
pub const DEFAULT_MATCHES: usize = 100;
pub const MAX_MATCHES: usize = 1000;
/// The longest `wait_ms`.
pub const MAX_WAIT_MS: u64 = 60_000;
/// Events and rules `summary` lists at most (the most frequent).
pub const SUMMARY_GROUPS: usize = 1000;

/// `requests`' filters.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Filter {
    pub valid: Option<bool>,
    pub event: Option<String>,
    pub person: Option<String>,
    /// Only requests recorded after this `seq`.
    pub after: i64,
    pub limit: usize,
}

/// The query string's parameters (`limit`, `wait_ms` ...), or what is wrong with one.
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: Option<&str>) -> Params {
        Params(
            form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A text parameter (empty when absent), cut at `max` characters.
    pub fn text(&self, key: &str, max: usize) -> String {
        trackc_codegen::validate::bounds::clip(self.get(key).unwrap_or(""), max).into_owned()
    }

    /// A number parameter, at most `max`.
    pub fn number(&self, key: &str, default: u64, max: u64) -> Result<u64, String> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if n <= max => Ok(n),
                _ => Err(format!("`{key}` must be a number from 0 to {max}")),
            },
        }
    }

    pub fn filter(&self) -> Result<Filter, String> {
        let valid = match self.get("valid") {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err("`valid` must be true or false".into()),
        };
        Ok(Filter {
            valid,
            event: self.get("event").map(str::to_owned),
            person: self.get("person").map(str::to_owned),
            after: self.number("after", 0, i64::MAX as u64)? as i64,
            limit: self.number("limit", DEFAULT_LIMIT as u64, MAX_LIMIT as u64)? as usize,
        })
    }
}

pub async fn summary(store: &Store) -> Result<Value, StoreError> {
    store.read(summary_of).await
}

fn summary_of(c: &Connection) -> rusqlite::Result<Value> {
    let (total, valid): (i64, i64) = c.query_row(
        "SELECT count(*), coalesce(sum(valid), 0) FROM requests",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut by_event = Map::new();
    let mut q = c.prepare_cached(
        "SELECT event, count(*) AS n, sum(valid) FROM operations WHERE event IS NOT NULL
         GROUP BY event ORDER BY n DESC, event LIMIT ?1",
    )?;
    let rows = q.query_map([SUMMARY_GROUPS as i64], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (event, n, ok) = row?;
        by_event.insert(event, json!({"total": n, "valid": ok, "invalid": n - ok}));
    }
    let mut by_rule = Map::new();
    let mut q = c.prepare_cached(
        "SELECT code, count(*) AS n FROM violations GROUP BY code ORDER BY n DESC, code LIMIT ?1",
    )?;
    let rows = q.query_map([SUMMARY_GROUPS as i64], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (code, n) = row?;
        by_rule.insert(code, n.into());
    }
    Ok(json!({
        "requests": {"total": total, "valid": valid, "invalid": total - valid},
        "by_event": by_event,
        "by_rule": by_rule,
    }))
}

/// One recorded request, as `requests` lists it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub seq: i64,
    pub request: RequestRow,
}

impl Recorded {
    /// The NDJSON line (no newline): validate's line shape, then `seq`, `received_at`,
    /// `verdict`. Characters a terminal obeys are `\u` escapes (`curl` to a terminal).
    pub fn line(&self) -> String {
        let r = &self.request;
        let s = |t: &str| Value::from(t).to_string();
        let body = if r.body.is_empty() {
            String::new()
        } else {
            format!(",\"body\":{}", r.body)
        };
        let line = format!(
            "{{\"method\":{},\"path\":{}{body},\"seq\":{},\"received_at\":{},\"verdict\":{{\"valid\":{},\"status\":{},\"violations\":{}}}}}",
            s(&r.method),
            s(&r.path),
            self.seq,
            super::clock::seconds(r.received_at),
            r.valid,
            r.status,
            r.violations
        );
        safe_json::safe(&line).into_owned()
    }
}

/// The requests `f` selects, oldest first.
pub async fn requests(store: &Store, f: Filter) -> Result<Vec<Recorded>, StoreError> {
    store.read(move |c| select(c, &f, false)).await
}

/// The most recent requests `f` selects, newest first (the page).
pub async fn recent(store: &Store, f: Filter) -> Result<Vec<Recorded>, StoreError> {
    store.read(move |c| select(c, &f, true)).await
}

pub(crate) fn select(
    c: &Connection,
    f: &Filter,
    newest_first: bool,
) -> rusqlite::Result<Vec<Recorded>> {
    let order = if newest_first { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT id, received_at, method, path, body, valid, status, violations FROM requests r
         WHERE id > ?1 AND (?2 IS NULL OR valid = ?2)
           AND (?3 IS NULL OR id IN (SELECT request_id FROM operations WHERE event = ?3))
           AND (?4 IS NULL OR id IN (SELECT request_id FROM operations WHERE person = ?4))
         ORDER BY id {order} LIMIT ?5"
    );
    let mut q = c.prepare_cached(&sql)?;
    let rows = q.query_map(
        params![f.after, f.valid, f.event, f.person, f.limit as i64],
        |r| {
            Ok(Recorded {
                seq: r.get(0)?,
                request: RequestRow {
                    received_at: r.get(1)?,
                    method: r.get(2)?,
                    path: r.get(3)?,
                    body: r.get(4)?,
                    valid: r.get(5)?,
                    status: r.get(6)?,
                    violations: r.get(7)?,
                },
            })
        },
    )?;
    rows.collect()
}

/// `match`: the recorded operations containing `pattern`, waiting up to `wait` for the
/// first one to arrive.
pub async fn matches(
    store: &Store,
    pattern: Value,
    wait: Duration,
    limit: usize,
) -> Result<Vec<Value>, StoreError> {
    let deadline = Instant::now() + wait;
    let pattern = std::sync::Arc::new(pattern);
    let mut after = 0i64;
    loop {
        // Registered before the scan, so a commit between the scan and the wait is seen.
        let committed = store.committed.clone();
        let notified = committed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let p = pattern.clone();
        let (found, last) = store.read(move |c| scan(c, &p, after, limit)).await?;
        after = last;
        if !found.is_empty() || Instant::now() >= deadline {
            return Ok(found);
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            // One last look: the deadline may have come with a commit.
            let p = pattern.clone();
            return Ok(store.read(move |c| scan(c, &p, after, limit)).await?.0);
        }
    }
}

/// Operations after `after` (a rowid) containing `pattern`; and the last rowid seen.
fn scan(
    c: &Connection,
    pattern: &Value,
    after: i64,
    limit: usize,
) -> rusqlite::Result<(Vec<Value>, i64)> {
    // Events are indexed by name: a pattern naming one reads only its rows.
    let event = match (pattern.get("name"), pattern.get("action")) {
        (Some(Value::String(n)), None) => Some(n.clone()),
        (Some(Value::String(n)), Some(Value::String(a))) if a == "event" => Some(n.clone()),
        _ => None,
    };
    let mut q = c.prepare_cached(&format!(
        "SELECT o.rowid, o.request_id, o.idx, {OP_TEXT_SQL}, o.valid, o.violations, r.received_at
         FROM operations o JOIN requests r ON r.id = o.request_id
         WHERE o.rowid > ?1 AND (?2 IS NULL OR o.event = ?2) ORDER BY o.rowid"
    ))?;
    let mut rows = q.query(params![after, event])?;
    let mut found = Vec::new();
    let mut last = after;
    while let Some(r) = rows.next()? {
        last = r.get(0)?;
        let op: String = r.get(3)?;
        let Ok(op) = serde_json::from_str::<Value>(&op) else {
            continue;
        };
        if !contains(&op, pattern) {
            continue;
        }
        let violations: String = r.get(5)?;
        found.push(json!({
            "seq": r.get::<_, i64>(1)?,
            "index": r.get::<_, Option<u32>>(2)?,
            "received_at": super::clock::seconds(r.get(6)?),
            "valid": r.get::<_, bool>(4)?,
            "operation": op,
            "violations": serde_json::from_str::<Value>(&violations).unwrap_or(Value::Null),
        }));
        if found.len() >= limit {
            break;
        }
    }
    Ok((found, last))
}

/// `actual` contains `pattern`: every key of a pattern object is in the actual object
/// with a value containing the pattern's; every item of a pattern array is contained in
/// some item of the actual array; numbers compare by value (`1` matches `1.0`).
pub fn contains(actual: &Value, pattern: &Value) -> bool {
    match (actual, pattern) {
        (Value::Object(a), Value::Object(p)) => p
            .iter()
            .all(|(k, pv)| a.get(k).is_some_and(|av| contains(av, pv))),
        (Value::Array(a), Value::Array(p)) => {
            p.iter().all(|pv| a.iter().any(|av| contains(av, pv)))
        }
        (Value::Number(a), Value::Number(p)) => a.as_f64() == p.as_f64(),
        (a, p) => a == p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_is_partial_on_objects_and_arrays() {
        let op = json!({"name": "order_completed", "attributes": {"order_id": "ord_1",
            "revenue": 64.0, "items": [{"sku": "A"}, {"sku": "B", "quantity": 2}]}});
        assert!(contains(&op, &json!({"name": "order_completed"})));
        assert!(contains(
            &op,
            &json!({"attributes": {"revenue": 64, "items": [{"quantity": 2}]}})
        ));
        assert!(!contains(
            &op,
            &json!({"attributes": {"order_id": "ord_2"}})
        ));
        assert!(!contains(
            &op,
            &json!({"attributes": {"items": [{"sku": "C"}]}})
        ));
        assert!(!contains(&op, &json!({"missing": null})));
        assert!(contains(&op, &json!({})));
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(Params::parse(Some("valid=yes")).filter().is_err());
        assert!(Params::parse(Some("limit=100000")).filter().is_err());
        let f = Params::parse(Some("valid=false&event=order%20x&limit=5"))
            .filter()
            .unwrap();
        assert_eq!(f.valid, Some(false));
        assert_eq!(f.event.as_deref(), Some("order x"));
        assert_eq!(f.limit, 5);
    }
}
