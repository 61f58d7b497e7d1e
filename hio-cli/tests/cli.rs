//! The `hio` binary end to end: trace output and errors, the demo, signals.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn hio() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hio"))
}

fn trace_stdin(scenario: &str) -> std::process::Output {
    let mut child = hio()
        .args(["trace", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scenario.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn trace_prints_json_lines() {
    let out = trace_stdin(
        r#"{"doist": {"tock": 0.5, "limit": 1.0}, "doers": [{"name": "a", "kind": "coroutine", "stop": 1}]}"#,
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            r#"{"t":0.0,"doer":"a","ctx":"enter"}"#,
            r#"{"t":0.0,"doer":"a","ctx":"recur"}"#,
            r#"{"t":0.0,"doer":"a","ctx":"exit"}"#,
            r#"{"end":{"tyme":0.5,"done":true,"error":false,"doers":{"a":true}}}"#,
        ]
    );
}

#[test]
fn invalid_scenarios_exit_2_with_one_line() {
    for (bad, why) in [
        ("{not json", "key must be a string"),
        (r#"{"doers": [], "extra": 1}"#, "unknown field"),
        (
            r#"{"doers": [{"name": "a", "kind": "doer"}, {"name": "a", "kind": "doer"}]}"#,
            "duplicate",
        ),
        (
            r#"{"doers": [{"name": "a", "kind": "doer", "stop": -1}]}"#,
            "invalid value",
        ),
        (
            r#"{"doers": [{"name": "a", "kind": "thing"}]}"#,
            "unknown variant",
        ),
        (
            r#"{"doers": [{"name": "a", "kind": "doer", "always": true}]}"#,
            "does not apply",
        ),
        (
            r#"{"doers": [{"name": "a", "kind": "doer", "tock": "fast"}]}"#,
            "invalid type",
        ),
    ] {
        let out = trace_stdin(bad);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(why), "{bad}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn trace_of_a_missing_file_exits_2() {
    let out = hio()
        .args(["trace", "/nonexistent/scenario.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn demo_runs_to_its_limit() {
    let out = hio()
        .args(["demo", "--limit", "1.0", "--fast"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("countdown  liftoff"), "{text}");
    assert!(
        text.ends_with("[tyme   1.00] doist      finished, done: Incomplete\n"),
        "{text}"
    );
}

#[test]
fn sigterm_closes_every_doer_and_exits_cleanly() {
    let mut child = hio()
        .args(["demo", "--limit", "60", "--tock", "0.05"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    // Wait until the Doist is running (its first beat), at most 10 s.
    let start = Instant::now();
    while !seen.contains("beat 1") {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "demo did not start: {seen}"
        );
        out.read_line(&mut seen).unwrap();
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(rest.contains("heartbeat  exit after"), "{rest}");
    assert!(
        rest.contains("slow       cease (closed before completing)"),
        "{rest}"
    );
    assert!(rest.contains("finished, done: Incomplete"), "{rest}");
}

#[test]
fn bench_prints_one_json_line() {
    let out = hio()
        .args([
            "bench", "sched", "--kind", "doer", "--n", "10", "--total", "1000",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(v["mode"], "doer");
    assert_eq!(v["n"], 10);
    assert_eq!(v["k"], 100);
    assert!(v["ns_per_recur"].as_f64().unwrap() > 0.0);
}
