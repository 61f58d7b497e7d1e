//! Property tests of the scheduler's invariants over random doer trees,
//! through the `hio trace` runner (so every lifecycle context is visible):
//!
//! - every doer that enters exits exactly once in the same run, after at
//!   most one of clean/cease/abort, and recurs only between the two;
//! - a doer recurs at most once per pass (its recur tymes strictly rise);
//! - no scenario panics or hangs, and every run ends with an `end` line.

use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::{Value, json};

const TOCKS: [f64; 6] = [0.0, 0.0625, 0.1, 0.25, 0.3, 1.0];

#[derive(Clone, Debug)]
enum Node {
    Leaf {
        coroutine: bool,
        tock: usize,
        stop: Option<u8>,
        fail: Option<u8>,
        extend: Option<(u8, u8)>,
        remove: Option<(u8, Vec<u8>)>,
    },
    Group {
        tock: usize,
        always: bool,
        kids: Vec<Node>,
    },
}

fn leaf() -> impl Strategy<Value = Node> {
    (
        any::<bool>(),
        0..TOCKS.len(),
        proptest::option::of(1u8..8),
        proptest::option::weighted(0.2, 1u8..8),
        proptest::option::weighted(0.2, (1u8..6, 1u8..3)),
        proptest::option::weighted(0.2, (1u8..6, proptest::collection::vec(any::<u8>(), 1..3))),
    )
        .prop_map(|(coroutine, tock, stop, fail, extend, remove)| Node::Leaf {
            coroutine,
            tock,
            stop,
            fail,
            extend,
            remove,
        })
}

fn node() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(2, 12, 4, |inner| {
        (
            0..TOCKS.len(),
            any::<bool>(),
            proptest::collection::vec(inner, 0..4),
        )
            .prop_map(|(tock, always, kids)| Node::Group { tock, always, kids })
    })
}

/// Builds scenario JSON; names are d1, d2, … in the order built.
struct Namer {
    next: usize,
    total: usize,
}

impl Namer {
    fn name(&mut self) -> String {
        self.next += 1;
        format!("d{}", self.next)
    }
}

fn doer_json(node: &Node, names: &mut Namer) -> Value {
    let name = names.name();
    match node {
        Node::Leaf {
            coroutine,
            tock,
            stop,
            fail,
            extend,
            remove,
        } => {
            let mut d = json!({"name": name, "kind": if *coroutine { "coroutine" } else { "doer" }, "tock": TOCKS[*tock]});
            if let Some(s) = stop {
                d["stop"] = json!(s);
            }
            if let Some(f) = fail {
                d["fail"] = json!(f);
            }
            if let Some((at, n)) = extend {
                let kids: Vec<Value> = (0..*n)
                    .map(|_| json!({"name": names.name(), "kind": "doer", "tock": 0.0, "stop": 2}))
                    .collect();
                d["extend"] = json!({"at": at, "doers": kids});
            }
            if let Some((at, picks)) = remove {
                let total = names.total.max(1);
                let victims: Vec<String> = picks
                    .iter()
                    .map(|p| format!("d{}", 1 + *p as usize % total))
                    .collect();
                d["remove"] = json!({"at": at, "names": victims});
            }
            d
        }
        Node::Group { tock, always, kids } => {
            let kids: Vec<Value> = kids.iter().map(|k| doer_json(k, names)).collect();
            json!({"name": name, "kind": "dodoer", "tock": TOCKS[*tock], "always": always, "doers": kids})
        }
    }
}

fn count(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Node::Leaf { extend, .. } => 1 + extend.map_or(0, |(_, k)| k as usize),
            Node::Group { kids, .. } => 1 + count(kids),
        })
        .sum()
}

fn scenario() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(0.0625), Just(0.1), Just(0.25), Just(1.0)],
        1u32..24,
        proptest::collection::vec(node(), 1..5),
        1usize..3,
    )
        .prop_map(|(tock, passes, nodes, runs)| {
            let mut names = Namer {
                next: 0,
                total: count(&nodes),
            };
            let doers: Vec<Value> = nodes.iter().map(|n| doer_json(n, &mut names)).collect();
            let runs: Vec<Value> = (0..runs).map(|_| json!({})).collect();
            json!({"doist": {"tock": tock, "limit": tock * passes as f64}, "doers": doers, "runs": runs}).to_string()
        })
}

/// Checks one run's rows (every row before its `end` line).
fn check_run(rows: &[Value]) -> Result<(), String> {
    #[derive(Default)]
    struct Life {
        open: bool,
        closing: bool,
        last_recur: Option<f64>,
    }
    let mut lives: HashMap<String, Life> = HashMap::new();
    for row in rows {
        let doer = row["doer"].as_str().ok_or("row without doer")?.to_string();
        let ctx = row["ctx"].as_str().ok_or("row without ctx")?;
        let t = row["t"].as_f64().ok_or("row without t")?;
        let life = lives.entry(doer.clone()).or_default();
        match ctx {
            "enter" => {
                if life.open {
                    return Err(format!("{doer} entered twice"));
                }
                *life = Life {
                    open: true,
                    ..Life::default()
                };
            }
            "recur" => {
                if !life.open || life.closing {
                    return Err(format!("{doer} recurred outside its life"));
                }
                if life.last_recur.is_some_and(|last| t <= last) {
                    return Err(format!("{doer} recurred twice in one pass at {t}"));
                }
                life.last_recur = Some(t);
            }
            "clean" | "cease" | "abort" => {
                if !life.open || life.closing {
                    return Err(format!("{doer}: {ctx} outside its life or twice"));
                }
                life.closing = true;
            }
            "exit" => {
                if !life.open {
                    return Err(format!("{doer} exited without entering"));
                }
                life.open = false;
            }
            other => return Err(format!("unknown ctx {other}")),
        }
    }
    if let Some((name, _)) = lives.iter().find(|(_, l)| l.open) {
        return Err(format!("{name} entered but never exited"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn lifecycles_are_well_formed(scenario in scenario()) {
        let trace = hio_trace::run(&scenario).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut rows = Vec::new();
        let mut ends = 0;
        for line in trace.lines() {
            let v: Value = serde_json::from_str(line).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if v.get("end").is_some() {
                ends += 1;
                check_run(&rows).map_err(|e| TestCaseError::fail(format!("{e}\n{scenario}\n{trace}")))?;
                rows.clear();
            } else {
                rows.push(v);
            }
        }
        prop_assert!(rows.is_empty());
        let runs = serde_json::from_str::<Value>(&scenario).unwrap()["runs"].as_array().unwrap().len();
        prop_assert_eq!(ends, runs);
    }
}
