//! `trackc serve`: the real binary driven over HTTP (port 0, the port read from its first
//! line) against the example contract.

mod serve_support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use serve_support::{CONTRACT, Server, bad_order, basic, event_id, order, request, temp_dir};

fn batch(ops: &[String]) -> String {
    format!("{{\"batch\":[{}]}}", ops.join(","))
}

#[test]
fn every_track_route_is_answered_like_customerio_and_recorded() {
    let s = Server::start(&[]);
    assert!(
        s.first_line.starts_with("listening on http://127.0.0.1:"),
        "{}",
        s.first_line
    );
    let r = s.post("/api/v2/entity", &order("ord_1"));
    assert_eq!((r.status, r.json()), (200, json!({})));
    let r = s.put(
        "/api/v1/customers/cus_8f2k1m0q",
        r#"{"email":"jane@example.com","email_opt_in":true}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = s.post(
        "/api/v1/customers/cus_8f2k1m0q/events",
        r#"{"name":"site_visit","data":{"path":"/"}}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = s.post(
        "/api/v2/batch",
        &batch(&[order("ord_2"), bad_order("ord_3")]),
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({})),
        "observe answers success"
    );
    let r = s.send(
        "DELETE",
        "/api/v1/customers/cus_8f2k1m0q/devices/dev_1",
        &[],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = s.get("/api/v1/accounts/region");
    assert_eq!(r.json()["region"], "us");

    let sum = s.summary();
    assert_eq!(
        sum["requests"],
        json!({"total": 6, "valid": 5, "invalid": 1}),
        "{sum}"
    );
    assert_eq!(
        sum["by_event"]["order_completed"],
        json!({"total": 3, "valid": 2, "invalid": 1})
    );
    assert_eq!(sum["by_event"]["identify"]["total"], 1);
    assert_eq!(sum["by_event"]["site_visit"]["valid"], 1);
    assert_eq!(sum["by_event"]["delete_device"]["total"], 1);
    assert_eq!(sum["by_rule"], json!({"format": 1}));

    let lines = s.requests("");
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0]["method"], "POST");
    assert_eq!(lines[0]["path"], "/api/v2/entity");
    assert_eq!(lines[0]["body"]["attributes"]["order_id"], "ord_1");
    assert_eq!(
        lines[0]["verdict"],
        json!({"valid": true, "status": 200, "violations": []})
    );
    // Unix seconds, the unit validate reads a capture line's `received_at` in.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let at = lines[0]["received_at"].as_f64().unwrap();
    assert!((now - at).abs() < 86_400.0, "{at} vs {now}");
    let bad = &lines[3]["verdict"];
    assert_eq!(bad["valid"], false);
    assert_eq!(bad["violations"][0]["index"], 1);
    assert_eq!(bad["violations"][0]["code"], "format");
    assert_eq!(bad["violations"][0]["path"], "$.currency");
    assert_eq!(bad["violations"][0]["event"], "order_completed");
}

#[test]
fn requests_filter_and_revalidate_the_same_with_trackc_validate() {
    let s = Server::start(&[]);
    s.post("/api/v2/entity", &order("ord_1"));
    s.post("/api/v2/entity", &bad_order("ord_2"));
    s.put(
        "/api/v1/customers/jane%40example.com",
        r#"{"first_name":"Jane"}"#,
    );
    s.post(
        "/api/v1/events",
        r#"{"name":"site_visit","anonymous_id":"anon_1","data":{"path":"/"}}"#,
    );

    let invalid = s.requests("valid=false");
    assert_eq!(invalid.len(), 2, "{invalid:?}");
    assert_eq!(
        invalid[1]["verdict"]["violations"][0]["code"],
        "identified_by_email"
    );
    assert_eq!(s.requests("valid=true").len(), 2);
    assert_eq!(s.requests("event=order_completed").len(), 2);
    assert_eq!(s.requests("event=order_completed&valid=true").len(), 1);
    assert_eq!(s.requests("person=anon_1").len(), 1);
    assert_eq!(s.requests("limit=1").len(), 1);
    let after = invalid[0]["seq"].as_i64().unwrap();
    assert_eq!(s.requests(&format!("after={after}")).len(), 2);
    assert_eq!(s.get("/_trackc/requests?valid=maybe").status, 400);
    assert_eq!(s.get("/_trackc/requests?limit=99999999").status, 400);

    // The lines are validate's input: the same verdicts, line by line.
    let tmp = temp_dir("revalidate");
    let dir = tmp.path();
    let file = dir.join("requests.ndjson");
    std::fs::write(&file, s.get("/_trackc/requests").body).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_trackc"))
        .args(["validate", CONTRACT])
        .arg(&file)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["records"].as_u64(), v["invalid"].as_u64()),
        (Some(4), Some(2))
    );
    let served: Vec<_> = s
        .requests("")
        .iter()
        .flat_map(|l| l["verdict"]["violations"].as_array().unwrap().clone())
        .map(|v| (v["code"].clone(), v["path"].clone()))
        .collect();
    let validated: Vec<_> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["code"].clone(), v["path"].clone()))
        .collect();
    assert_eq!(served, validated);
}

#[test]
fn enforce_answers_customerio_errors_and_records_rejections() {
    let s = Server::start(&["--mode", "enforce"]);
    let r = s.post("/api/v2/entity", &order("ord_1"));
    assert_eq!((r.status, r.json()), (200, json!({})));

    let r = s.post("/api/v2/entity", &bad_order("ord_2"));
    assert_eq!(r.status, 400);
    let e = &r.json()["errors"][0];
    assert_eq!(
        (&e["reason"], &e["field"]),
        (&json!("format"), &json!("$.currency"))
    );
    assert!(e["message"].as_str().unwrap().contains("usd"), "{e}");

    let r = s.post(
        "/api/v1/customers/cus_8f2k1m0q/events",
        r#"{"name":"site_vist","data":{}}"#,
    );
    assert_eq!(r.status, 400);
    let errors = r.json()["meta"]["errors"].clone();
    assert!(
        errors[0].as_str().unwrap().contains("site_vist"),
        "{errors}"
    );

    let r = s.post(
        "/api/v2/batch",
        &batch(&[order("ord_3"), bad_order("ord_4"), order("ord_5")]),
    );
    assert_eq!(r.status, 207, "{}", r.body);
    let errors = r.json()["errors"].clone();
    assert_eq!(errors.as_array().unwrap().len(), 1, "{errors}");
    assert_eq!(errors[0]["batch_index"], 1);
    assert_eq!(errors[0]["reason"], "format");

    let statuses: Vec<_> = s
        .requests("")
        .iter()
        .map(|l| l["verdict"]["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 400, 400, 207]);
    let m = s
        .post("/_trackc/match", r#"{"attributes":{"order_id":"ord_5"}}"#)
        .json();
    assert_eq!(m["matches"][0]["valid"], true, "{m}");
    let m = s
        .post("/_trackc/match", r#"{"attributes":{"order_id":"ord_4"}}"#)
        .json();
    assert_eq!(m["matches"][0]["valid"], false, "{m}");
    assert_eq!(m["matches"][0]["index"], 1);
}

#[test]
fn basic_auth_with_flags_or_environment_and_the_key_is_never_shown() {
    let tmp = temp_dir("auth");
    let dir = tmp.path();
    let store = dir.join("store.db");
    let key = "sk_live_do_not_print_me";
    for (args, env) in [
        (
            vec!["--site-id", "site1", "--api-key", key],
            Vec::<(&str, &str)>::new(),
        ),
        (
            vec![],
            vec![("TRACKC_SITE_ID", "site1"), ("TRACKC_API_KEY", key)],
        ),
    ] {
        let _ = std::fs::remove_file(&store);
        let mut args = args.clone();
        args.extend(["--store", store.to_str().unwrap()]);
        let mut s = Server::start_with(&args, &env);
        let body = order("ord_1");
        let r = s.post("/api/v2/entity", &body);
        assert_eq!(r.status, 401, "no credentials");
        let wrong = basic("site1", "sk_wrong");
        let r = s.send(
            "POST",
            "/api/v2/entity",
            &[("Authorization", &wrong)],
            body.as_bytes(),
        );
        assert_eq!(r.status, 401);
        assert!(!r.body.contains(key));
        let right = basic("site1", key);
        let r = s.send(
            "POST",
            "/api/v2/entity",
            &[("Authorization", &right)],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(s.summary()["requests"]["total"], 1, "401s are not recorded");
        let requests = s.get("/_trackc/requests").body;
        assert!(!requests.contains(key) && !requests.contains(&right[6..]));
        let _ = s.child.kill();
        let _ = s.child.wait();
        let mut out = String::new();
        let mut err = String::new();
        use std::io::Read;
        let _ = s.stdout.read_to_string(&mut out);
        let _ = s.child.stderr.take().unwrap().read_to_string(&mut err);
        assert!(!out.contains(key) && !err.contains(key), "{out}{err}");
        let stored = std::fs::read(&store).unwrap();
        let stored = String::from_utf8_lossy(&stored);
        assert!(!stored.contains(key) && !stored.contains(&right[6..]));
    }
    // Without credentials configured, any are accepted.
    let s = Server::start(&[]);
    let r = s.send(
        "POST",
        "/api/v2/entity",
        &[("Authorization", &basic("anyone", "anything"))],
        order("ord_1").as_bytes(),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn match_returns_whole_operations_and_waits_for_late_ones() {
    let s = Server::start(&[]);
    s.post("/api/v2/batch", &batch(&[order("ord_1"), order("ord_2")]));
    s.post(
        "/api/v1/customers/cus_8f2k1m0q/events",
        r#"{"name":"order_completed","data":{"order_id":"ord_v1","revenue":1,"currency":"USD","items":[],"is_first_order":false}}"#,
    );
    let m = s
        .post(
            "/_trackc/match",
            r#"{"name":"order_completed","attributes":{"order_id":"ord_2"}}"#,
        )
        .json();
    assert_eq!(m["count"], 1, "{m}");
    let found = &m["matches"][0];
    assert_eq!(found["index"], 1);
    assert_eq!(found["operation"]["identifiers"]["id"], "cus_8f2k1m0q");
    assert_eq!(
        found["operation"]["attributes"]["items"][0]["sku"],
        "SKN-SERUM-30ML"
    );
    // v1 calls are matched in v2 shape (`data` as `attributes`).
    let m = s
        .post(
            "/_trackc/match",
            r#"{"action":"event","attributes":{"order_id":"ord_v1"}}"#,
        )
        .json();
    assert_eq!(m["count"], 1, "{m}");
    let m = s
        .post("/_trackc/match", r#"{"name":"order_completed"}"#)
        .json();
    assert_eq!(m["count"], 3);
    let m = s
        .post("/_trackc/match?limit=1", r#"{"name":"order_completed"}"#)
        .json();
    assert_eq!(m["count"], 1);
    let m = s
        .post("/_trackc/match", r#"{"attributes":{"order_id":"ord_9"}}"#)
        .json();
    assert_eq!(m, json!({"count": 0, "matches": []}));
    assert_eq!(s.post("/_trackc/match", "[1]").status, 400);
    assert_eq!(s.post("/_trackc/match", "{").status, 400);
    assert_eq!(s.post("/_trackc/match", r#"{"wait_ms": -1}"#).status, 400);

    // An event sent while the test waits.
    let addr = s.addr.clone();
    let late = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        request(
            &addr,
            "POST",
            "/api/v2/entity",
            &[],
            order("ord_late").as_bytes(),
        )
    });
    let m = s
        .post(
            "/_trackc/match",
            r#"{"attributes":{"order_id":"ord_late"},"wait_ms":20000}"#,
        )
        .json();
    assert_eq!(m["count"], 1, "{m}");
    assert_eq!(late.join().unwrap().status, 200);
    let m = s
        .post(
            "/_trackc/match?wait_ms=50",
            r#"{"attributes":{"order_id":"never"}}"#,
        )
        .json();
    assert_eq!(m["count"], 0);
}

#[test]
fn reset_empties_the_store() {
    let s = Server::start(&[]);
    s.post("/api/v2/entity", &bad_order("ord_1"));
    assert_eq!(s.summary()["requests"]["total"], 1);
    let r = s.post("/_trackc/reset", "");
    assert_eq!(r.status, 200);
    assert_eq!(
        s.summary(),
        json!({"requests": {"total": 0, "valid": 0, "invalid": 0}, "by_event": {}, "by_rule": {}})
    );
    assert!(s.requests("").is_empty());
    assert_eq!(s.get("/_trackc/reset").status, 405);
}

#[test]
fn the_store_survives_a_restart() {
    let tmp = temp_dir("restart");
    let dir = tmp.path();
    let store = dir.join("requests.db");
    let store_arg = store.to_str().unwrap();
    let s = Server::start(&["--store", store_arg]);
    s.post("/api/v2/entity", &order("ord_1"));
    s.post("/api/v2/entity", &bad_order("ord_2"));
    let before = s.get("/_trackc/requests").body;
    assert_eq!(s.stop(), Some(0), "SIGTERM ends it cleanly");
    let s = Server::start(&["--store", store_arg]);
    assert_eq!(s.get("/_trackc/requests").body, before);
    assert_eq!(
        s.summary()["requests"],
        json!({"total": 2, "valid": 1, "invalid": 1})
    );
    s.post("/api/v2/entity", &order("ord_3"));
    assert_eq!(s.requests("")[2]["seq"], 3);
    // Killed, not stopped: what was answered is there.
    drop(s);
    let s = Server::start(&["--store", store_arg]);
    assert_eq!(s.summary()["requests"]["total"], 3);
}

#[test]
fn a_full_store_answers_503_and_loses_nothing_it_answered_2xx() {
    let s = Server::start(&["--max-store-mb", "1"]);
    // ~200 kB of data per request: the 1 MiB store fills within a few.
    let big = "x".repeat(200_000);
    let body = format!(
        r#"{{"type":"person","identifiers":{{"id":"cus_8f2k1m0q"}},"action":"event","name":"site_visit","attributes":{{"path":"{big}"}}}}"#
    );
    let (mut ok, mut unavailable) = (0, 0);
    for _ in 0..20 {
        let r = s.post("/api/v2/entity", &body);
        match r.status {
            200 => ok += 1,
            503 => {
                unavailable += 1;
                assert!(
                    r.json()["meta"]["errors"][0]
                        .as_str()
                        .unwrap()
                        .contains("full"),
                    "{}",
                    r.body
                );
            }
            other => panic!("{other}: {}", r.body),
        }
    }
    assert!(ok > 0 && unavailable > 0, "{ok} ok, {unavailable} refused");
    assert_eq!(s.summary()["requests"]["total"], ok);
    // A reset makes room again.
    assert_eq!(s.post("/_trackc/reset", "").status, 200);
    assert_eq!(s.post("/api/v2/entity", &order("ord_1")).status, 200);
}

#[test]
fn bad_input_gets_customerio_answers_and_never_a_crash() {
    let s = Server::start(&[]);
    // Declared too large: refused before reading.
    let huge = vec![b' '; (1 << 20) + 1];
    let r = s.send("POST", "/api/v2/batch", &[], &huge);
    assert_eq!(r.status, 413, "{}", r.body);
    // Too large without a length: chunked.
    let mut stream = std::net::TcpStream::connect(&s.addr).unwrap();
    use std::io::{Read, Write};
    stream
        .write_all(b"POST /api/v2/batch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        .unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..17 {
        if stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .is_err()
            || stream.write_all(&chunk).is_err()
            || stream.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut raw = String::new();
    let _ = stream.read_to_string(&mut raw);
    // The server stops reading at the bound: its 413 arrives, unless the kernel reset the
    // connection for the bytes it left unread. Never a success.
    assert!(raw.is_empty() || raw.starts_with("HTTP/1.1 413"), "{raw}");

    let r = s.post("/api/v2/entity", "{\"type\": \"person\",");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errors"][0]["reason"], "invalid_json");
    let r = s.post("/api/v1/customers/cus_1/events", "\u{1}not json");
    assert_eq!(r.status, 400);
    assert!(
        r.json()["meta"]["errors"][0]
            .as_str()
            .unwrap()
            .contains("not JSON")
    );
    let r = s.send("POST", "/api/v2/entity", &[], &[0xff, 0xfe]);
    assert_eq!(r.status, 400);

    for (method, path) in [
        ("POST", "/api/v1/customers/cus_1/evnts"),
        ("GET", "/api/v2/entity"),
        ("POST", "/api/v3/entity"),
        ("GET", "/_trackc/nothing"),
        ("GET", "/favicon.ico"),
    ] {
        let r = s.send(method, path, &[], b"");
        assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
        assert!(r.json()["meta"]["errors"].is_array());
    }
    // Malformed requests are recorded as invalid, and so are sends to no route (a typo in
    // an app's path must show); GETs to unknown pages and 413s are not traffic.
    let sum = s.summary();
    assert_eq!(
        sum["requests"],
        json!({"total": 5, "valid": 0, "invalid": 5}),
        "{sum}"
    );
    assert_eq!(sum["by_rule"]["invalid_json"], 3);
    assert_eq!(sum["by_rule"]["unknown_route"], 2);
    let lines = s.requests("");
    assert_eq!(lines[0]["body"], "{\"type\": \"person\",");
    let typo = lines
        .iter()
        .find(|l| l["path"] == "/api/v1/customers/cus_1/evnts")
        .expect("the send to a misspelt route is recorded");
    assert_eq!(typo["verdict"]["status"], 404, "{typo}");
    assert_eq!(typo["verdict"]["valid"], false, "{typo}");
    let v = &typo["verdict"]["violations"][0];
    assert_eq!(v["code"], "unknown_route", "{typo}");
    assert!(
        v["hint"].as_str().unwrap_or("").contains("/events"),
        "the nearest route is suggested: {typo}"
    );
    // The page shows it too.
    let page = s.get("/").body;
    assert!(page.contains("unknown_route"), "{page}");
}

#[test]
fn concurrent_clients_every_2xx_is_in_the_store() {
    let tmp = temp_dir("concurrent");
    let dir = tmp.path();
    let store = dir.join("requests.db");
    let s = Server::start(&["--store", store.to_str().unwrap()]);
    let (clients, each) = (16, 25);
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let addr = s.addr.clone();
            std::thread::spawn(move || {
                let mut sent = Vec::new();
                for i in 0..each {
                    let id = format!("ord_{c}_{i}");
                    let body = if i % 5 == 0 {
                        bad_order(&id)
                    } else {
                        order(&id)
                    };
                    let r = request(&addr, "POST", "/api/v2/entity", &[], body.as_bytes());
                    if r.status == 200 {
                        sent.push(id);
                    }
                }
                sent
            })
        })
        .collect();
    let answered: BTreeSet<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert_eq!(answered.len(), clients * each);
    let stored: BTreeSet<String> = s
        .requests("limit=10000")
        .iter()
        .map(|l| {
            l["body"]["attributes"]["order_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(stored, answered);
    assert_eq!(
        s.summary()["requests"],
        json!({"total": 400, "valid": 320, "invalid": 80})
    );
}

#[test]
fn usage_errors_exit_2_with_json_documents() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_trackc"))
            .arg("serve")
            .args(args)
            .env_remove("TRACKC_SITE_ID")
            .env_remove("TRACKC_API_KEY")
            .output()
            .unwrap()
    };
    let tmp = temp_dir("usage");
    let dir = tmp.path();
    let file = dir.join("file");
    std::fs::write(&file, "").unwrap();
    let in_a_file = file.join("store.db");
    for (args, says) in [
        (
            vec![CONTRACT, "--listen", "not-an-address", "--format", "json"],
            "cannot listen",
        ),
        (
            vec![CONTRACT, "--site-id", "s", "--format", "json"],
            "API key",
        ),
        (
            vec![
                CONTRACT,
                "--store",
                in_a_file.to_str().unwrap(),
                "--format",
                "json",
            ],
            "cannot open the store",
        ),
        (
            vec!["/nonexistent/contract", "--format", "json"],
            "nonexistent",
        ),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
        assert!(v["error"].as_str().unwrap().contains(says), "{v}");
    }
    // Human: on stderr.
    let o = run(&[CONTRACT, "--listen", "not-an-address"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: cannot listen"));
    // A contract with errors: exit 1 and its diagnostics, as validate does.
    std::fs::write(dir.join("bad.yaml"), "events:\n  x: 1\n").unwrap();
    let o = run(&[dir.join("bad.yaml").to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn tls_names_its_certificate() {
    let s = Server::start(&["--tls"]);
    assert!(s.first_line.starts_with("listening on https://127.0.0.1:"));
    let path = s.certificate.as_deref().expect("the certificate line");
    let pem = std::fs::read_to_string(path).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert!(!pem.contains("PRIVATE KEY"));
    // A client trusting that file alone talks to it.
    let r = s.post("/api/v2/entity", &order("ord_1"));
    assert_eq!((r.status, r.json()), (200, json!({})));
    assert_eq!(s.summary()["requests"]["total"], 1);
    // Stopped, it removes the certificate it made.
    let path = path.to_owned();
    assert_eq!(s.stop(), Some(0));
    assert!(!std::path::Path::new(&path).exists(), "{path}");
}

#[test]
fn forward_relays_with_the_callers_credentials() {
    // The upstream: another `trackc serve`, strict about credentials and the contract.
    let up = Server::start(&[
        "--site-id",
        "site1",
        "--api-key",
        "key1",
        "--mode",
        "enforce",
    ]);
    let upstream = format!("http://{}", up.addr);
    let auth = basic("site1", "key1");
    let post = |s: &Server, auth: &str, body: &str| {
        s.send(
            "POST",
            "/api/v2/entity",
            &[("Authorization", auth)],
            body.as_bytes(),
        )
    };

    // observe: everything goes on; the upstream's answer is relayed and recorded.
    let down = Server::start(&["--forward", &upstream]);
    let r = post(&down, &auth, &order("ord_1"));
    assert_eq!((r.status, r.json()), (200, json!({})));
    let r = post(&down, &auth, &bad_order("ord_2"));
    assert_eq!(r.status, 400, "the upstream refused it: {}", r.body);
    assert_eq!(r.json()["errors"][0]["reason"], "format");
    let r = post(&down, &basic("site1", "wrong"), &order("ord_3"));
    assert_eq!(r.status, 401);
    let statuses: Vec<_> = down
        .requests("")
        .iter()
        .map(|l| l["verdict"]["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 400, 401]);
    assert_eq!(
        up.summary()["requests"],
        json!({"total": 2, "valid": 1, "invalid": 1})
    );

    // enforce: what breaks the contract stops here.
    let strict = Server::start(&["--forward", &upstream, "--mode", "enforce"]);
    assert_eq!(post(&strict, &auth, &bad_order("ord_4")).status, 400);
    assert_eq!(post(&strict, &auth, &order("ord_5")).status, 200);
    assert_eq!(up.summary()["requests"]["total"], 3);
    assert_eq!(
        up.requests("")[2]["body"]["attributes"]["order_id"],
        "ord_5"
    );

    // An upstream that is gone: 502, and the request is still recorded.
    let port = up.addr.clone();
    drop(up);
    let r = post(&down, &auth, &order("ord_6"));
    assert_eq!(r.status, 502, "{port}: {}", r.body);
    assert_eq!(down.requests("")[3]["verdict"]["status"], 502);

    let o = Command::new(env!("CARGO_BIN_EXE_trackc"))
        .args([
            "serve",
            CONTRACT,
            "--forward",
            "ftp://x",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_rule_lowered_to_warn_is_recorded_but_neither_invalid_nor_refused() {
    // The example contract with `missing_event_id: warn` in its `lints:`.
    let tmp = temp_dir("lints");
    let dir = tmp.path();
    for e in std::fs::read_dir(CONTRACT).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    let main = dir.join("contract.yaml");
    let text = std::fs::read_to_string(&main).unwrap();
    assert!(text.contains("\nlints:\n"));
    std::fs::write(
        &main,
        text.replace("\nlints:\n", "\nlints:\n  missing_event_id: warn\n"),
    )
    .unwrap();
    let s = Server::start_on(dir.to_str().unwrap(), &["--mode", "enforce"], &[]);
    let without_id = order("ord_1").replace(&format!("\"id\":\"{}\",", event_id("ord_1")), "");
    assert!(!without_id.contains("\"id\":\"0"), "{without_id}");
    let r = s.post("/api/v2/entity", &without_id);
    assert_eq!(
        (r.status, r.json()),
        (200, json!({})),
        "a warning is no refusal"
    );
    let r = s.post("/api/v2/entity", &bad_order("ord_2"));
    assert_eq!(r.status, 400, "an error still is: {}", r.body);
    let sum = s.summary();
    assert_eq!(
        sum["requests"],
        json!({"total": 2, "valid": 1, "invalid": 1}),
        "{sum}"
    );
    assert_eq!(sum["by_rule"], json!({"missing_event_id": 1, "format": 1}));
    let v = &s.requests("")[0]["verdict"];
    assert_eq!(v["valid"], true);
    assert_eq!(v["violations"][0]["code"], "missing_event_id");
    assert_eq!(v["violations"][0]["level"], "warning");
}

#[test]
fn a_batch_is_stored_as_sent_and_each_operation_read_back_whole() {
    let tmp = temp_dir("ranges");
    let dir = tmp.path();
    let store = dir.join("requests.db");
    let s = Server::start(&["--store", store.to_str().unwrap()]);
    // Multi-byte text before the operation asked for, and line breaks between tokens
    // (CRLF too): each operation is kept as a byte range of the stored body.
    let first = order("ord_1").replace("Daily Vitamin C Serum", "Sérum ☕ «jour» 𝄞");
    let body = format!(
        "{{\r\n  \"batch\": [\n    {first},\n    {}\n  ]\n}}\n",
        order("ord_2")
    );
    let r = s.post("/api/v2/batch", &body);
    assert_eq!(r.status, 200, "{}", r.body);
    for (order_id, index) in [("ord_1", 0), ("ord_2", 1)] {
        let m = s
            .post(
                "/_trackc/match",
                &format!(r#"{{"attributes":{{"order_id":"{order_id}"}}}}"#),
            )
            .json();
        assert_eq!(m["count"], 1, "{m}");
        assert_eq!(m["matches"][0]["index"], index, "{m}");
        let sent: serde_json::Value = serde_json::from_str(if index == 0 {
            &first
        } else {
            &body[body.rfind("{\"type\"").unwrap()..body.rfind("\n  ]").unwrap()]
        })
        .unwrap();
        assert_eq!(m["matches"][0]["operation"], sent, "{m}");
    }
    // The body is recorded as sent, on one line, and re-judged the same by validate.
    let lines = s.get("/_trackc/requests").body;
    assert_eq!(lines.lines().count(), 1, "{lines}");
    let line: serde_json::Value = serde_json::from_str(lines.trim()).unwrap();
    assert_eq!(
        line["body"],
        serde_json::from_str::<serde_json::Value>(&body).unwrap()
    );
    assert_eq!(line["verdict"]["valid"], true, "{line}");
    assert_eq!(s.summary()["by_event"]["order_completed"]["total"], 2);
}

#[test]
fn a_store_of_another_layout_is_refused_with_a_message() {
    let tmp = temp_dir("layout");
    let dir = tmp.path();
    let store = dir.join("other.db");
    // Any SQLite file with tables trackc did not make (here: a table of an app).
    let conn = rusqlite::Connection::open(&store).unwrap();
    conn.execute_batch("CREATE TABLE orders (id TEXT);")
        .unwrap();
    drop(conn);
    let out = Command::new(env!("CARGO_BIN_EXE_trackc"))
        .args(["serve", CONTRACT, "--listen", "127.0.0.1:0", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not a trackc serve store") && err.contains("another --store path"),
        "{err}"
    );
    // Untouched: the app's table is still the only one.
    let conn = rusqlite::Connection::open(&store).unwrap();
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 1);
}

/// The CI recipe of docs/serve.md, run as written: its script with the application's test
/// suite (`npm test`) replaced by sends through curl, once with only valid events (the
/// job passes) and once with an invalid one (the job fails and prints validate's report).
/// Needs curl and jq (`.ci/run` installs them), hence ignored by `cargo test --workspace`.
#[test]
#[ignore = "needs curl and jq; run by .ci/run"]
fn the_ci_recipe_in_the_docs_fails_the_job_on_invalid_requests() {
    let guide =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/serve.md")).unwrap();
    let section = &guide[guide.find("## A CI recipe").expect("the recipe's section")..];
    let start = section.find("```sh\n").unwrap() + "```sh\n".len();
    let script = &section[start..start + section[start..].find("```").unwrap()];
    let app = script
        .lines()
        .find(|l| l.starts_with("npm test"))
        .expect("the line that runs the app's tests");
    let bin = Path::new(env!("CARGO_BIN_EXE_trackc")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    for (name, bodies, code) in [
        ("valid", vec![order("ord_1"), order("ord_2")], 0),
        ("invalid", vec![order("ord_1"), bad_order("ord_2")], 1),
    ] {
        let tmp = temp_dir(&format!("recipe-{name}"));
        let dir = tmp.path();
        std::os::unix::fs::symlink(CONTRACT, dir.join("contract")).unwrap();
        let mut sends = String::new();
        for (i, b) in bodies.iter().enumerate() {
            std::fs::write(dir.join(format!("{i}.json")), b).unwrap();
            sends.push_str(&format!(
                "curl -sf --cacert \"$REQUESTS_CA_BUNDLE\" -u site:key -H 'content-type: application/json' --data-binary @{i}.json \"$URL/api/v2/entity\"\n"
            ));
        }
        std::fs::write(dir.join("ci.sh"), script.replace(app, &sends)).unwrap();
        let out = Command::new("timeout")
            .args(["120", "bash", "ci.sh"])
            .current_dir(dir)
            .env("PATH", &path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{name}: {stdout}\n{stderr}");
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(summary["requests"]["total"], 2, "{summary}");
        if code == 1 {
            // validate's report of the invalid request, grouped by event and rule.
            assert!(
                stdout.contains("order_completed") && stdout.contains("1 invalid"),
                "{stdout}"
            );
        }
    }
}
