//! Every scenario in `hio/tests/traces` (found by differential runs against
//! Python HIO 0.7.20) and, when present, `../shared/spec/traces` gives
//! exactly the trace Python HIO gave.

use std::path::Path;

use serde_json::Value;

fn check_dir(dir: &Path) -> usize {
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        let expected_path = dir.join(format!("{stem}.expected.jsonl"));
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            continue;
        };
        let scenario = std::fs::read_to_string(&path).unwrap();
        let got = hio_trace::run(&scenario).unwrap_or_else(|e| panic!("{name}: {e}"));
        let parse = |text: &str| -> Vec<Value> {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        let (got, expected) = (parse(&got), parse(&expected));
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(g, e, "{name}: line {}", i + 1);
        }
        assert_eq!(got.len(), expected.len(), "{name}: line count");
        checked += 1;
    }
    checked
}

#[test]
fn regression_traces_match_python_hio() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hio/tests/traces");
    assert!(check_dir(&dir) >= 30);
}

#[test]
fn shared_example_traces_match_python_hio() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec/traces");
    if dir.exists() {
        assert_eq!(check_dir(&dir), 32);
    }
}
