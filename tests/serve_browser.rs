//! The page at `/` in a real headless Chromium: traffic is sent (valid, invalid, and an
//! event name that is markup), the page is loaded and its DOM (after the script ran) is
//! checked for what a person would see. Ignored by plain `cargo test` (needs Debian's
//! `chromium`); `.ci/run` installs it when missing and runs this with `--ignored`.

mod browser;
mod serve_support;

use browser::dom;
use serve_support::{Server, bad_order, order};

/// The text of the element with `id` (tags dropped, entities as written).
fn section<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {dom}"));
    let rest = &dom[start..];
    let end = rest.find("<h2>").unwrap_or(rest.len());
    &rest[..end]
}

#[test]
#[ignore = "needs chromium; run by .ci/run"]
fn the_page_shows_counts_grouped_violations_and_filters() {
    let s = Server::start(&[]);
    s.post("/api/v2/entity", &order("ord_1"));
    s.post("/api/v2/entity", &bad_order("ord_2"));
    s.post(
        "/api/v1/customers/cus_8f2k1m0q/events",
        r#"{"name":"<img src=x onerror=alert(1)>","data":{}}"#,
    );
    s.post(
        "/api/v1/events",
        r#"{"name":"site_visit","anonymous_id":"anon_1","data":{"path":"/"}}"#,
    );
    let url = format!("http://{}/", s.addr);
    let page = dom(&url);

    assert!(
        page.contains("<strong>4</strong> requests"),
        "totals: {page}"
    );
    let events = section(&page, "events");
    assert!(
        events.contains("<td>order_completed</td><td>2</td>"),
        "{events}"
    );
    assert!(events.contains("<td>site_visit</td><td>1</td>"), "{events}");

    let violations = section(&page, "violations");
    // Grouped by rule and event, the offending value marked in the request.
    assert!(
        violations.contains("<code>format</code> in <code>order_completed</code>"),
        "{violations}"
    );
    assert!(violations.contains("<mark>\"usd\"</mark>"), "{violations}");
    assert!(
        violations.contains(
            "<code>unknown_event</code> in <code>&lt;img src=x onerror=alert(1)&gt;</code>"
        ),
        "{violations}"
    );
    // The markup is text, never an element.
    assert!(!page.contains("<img"), "{page}");

    let recent = section(&page, "recent");
    assert_eq!(recent.matches("<tr>").count(), 5, "header + 4: {recent}");
    assert!(recent.contains("invalid: format"));

    // The filter: only the requests naming site_visit, and the script keeps it.
    let filtered = dom(&format!("{url}?q=site_visit"));
    assert!(filtered.contains("value=\"site_visit\""), "{filtered}");
    let recent = section(&filtered, "recent");
    assert_eq!(recent.matches("<tr>").count(), 2, "{recent}");
    assert!(recent.contains("/api/v1/events"));
    assert!(section(&filtered, "violations").contains("None."));
}
