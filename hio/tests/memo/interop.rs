//! Interop with Python HIO 0.7.20: cases rendered by Python HIO (memo,
//! code, curt, size, mid, signing seed → grams) must render to the same
//! bytes here, and decode here to the same memo.
//!
//! `vectors_replay` runs the committed cases in
//! `tools/memo_interop/vectors.txt`. `interop_live` (ignored) runs a case
//! file named by `HIO_MEMO_INTEROP_IN` and writes our grams and a status per
//! case to `HIO_MEMO_INTEROP_OUT`, for `tools/memo_interop/memo_interop.py
//! check`, which then decodes our grams with Python HIO.
#![cfg(feature = "memo")]

use std::fmt::Write as _;
use std::path::Path;

use hio::memo::{Code, Format, Keep, Memo, Mid, Reassembler, SigningKey, Vid};

use crate::util::hex::{self, hex};

/// A case file's hex field: `-` is empty.
fn unhex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    hex::unhex(s)
}

#[derive(Debug, Default)]
struct Summary {
    cases: usize,
    identical: usize,
    count_zero: usize,
    rend_mismatch: Vec<usize>,
    decode_mismatch: Vec<usize>,
}

/// One case: render and compare; decode Python's grams in a shuffled order.
fn run_case(line: &str, summary: &mut Summary, out: &mut String) {
    let f: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(f.len(), 8, "malformed case line: {line}");
    let id: usize = f[0].parse().unwrap();
    let code: Code = f[1].parse().unwrap();
    let curt = f[2] == "1";
    let size: usize = f[3].parse().unwrap();
    let mid: Mid = f[4].parse().unwrap();
    let key = (f[5] != "-").then(|| SigningKey::from_bytes(&unhex(f[5]).try_into().unwrap()));
    let vid = key.as_ref().map(|k| Vid::from_verkey(&k.verifying_key()));
    let memo = String::from_utf8(unhex(f[6])).unwrap();
    let mut python: Vec<Vec<u8>> = if f[7] == "-" {
        Vec::new()
    } else {
        f[7].split(',').map(unhex).collect()
    };

    let format = Format::new(code, curt, size).unwrap();
    assert_eq!(format.size(), size.max(Format::floor(code, curt)));
    let signer = vid.as_ref().zip(key.as_ref());
    let ours = format.rend(memo.as_bytes(), &mid, signer).unwrap();
    summary.cases += 1;

    // Decode Python's grams, later grams first.
    let mut reasm = Reassembler::new();
    let keep = Keep::new();
    for gram in python.iter().rev() {
        let _ = reasm.accept(gram, &"py", &keep);
    }
    let mut memos = Vec::new();
    reasm.fuse(|m| memos.push(m));
    let want: Vec<Memo<&str>> = if memo.is_empty() {
        Vec::new()
    } else {
        vec![Memo {
            memo: memo.clone(),
            src: "py",
            vid,
        }]
    };
    if memos != want {
        summary.decode_mismatch.push(id);
    }

    // The one deliberate difference: Python counts 0 grams for binary
    // unsigned memos of 1–8 bytes; we count 1.
    let count_zero = curt && !code.is_auth() && (1..=8).contains(&memo.len());
    if count_zero {
        assert_eq!(python.len(), 1);
        assert_eq!(
            &python[0][3..6],
            &[0, 0, 0],
            "case {id}: expected Python's count 0"
        );
        python[0][5] = 1;
        summary.count_zero += 1;
    }
    let status = if ours == python {
        if !count_zero {
            summary.identical += 1;
        }
        if count_zero { "count0" } else { "identical" }
    } else {
        summary.rend_mismatch.push(id);
        "MISMATCH"
    };
    let grams: Vec<String> = ours.iter().map(|g| hex(g)).collect();
    let grams = if grams.is_empty() {
        "-".to_owned()
    } else {
        grams.join(",")
    };
    let _ = writeln!(out, "{id} {status} {grams}");
}

fn run_file(text: &str) -> (Summary, String) {
    let mut summary = Summary::default();
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        run_case(line, &mut summary, &mut out);
    }
    (summary, out)
}

#[test]
fn vectors_replay() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/memo_interop/vectors.txt");
    let text = std::fs::read_to_string(&path).expect("tools/memo_interop/vectors.txt");
    let (summary, _) = run_file(&text);
    assert!(summary.cases >= 100, "{summary:?}");
    assert!(summary.rend_mismatch.is_empty(), "{summary:?}");
    assert!(summary.decode_mismatch.is_empty(), "{summary:?}");
    assert_eq!(summary.identical + summary.count_zero, summary.cases);
}

#[test]
#[ignore = "driven by tools/memo_interop/memo_interop.py check"]
fn interop_live() {
    let input = std::env::var("HIO_MEMO_INTEROP_IN").expect("HIO_MEMO_INTEROP_IN");
    let text = std::fs::read_to_string(input).unwrap();
    let (summary, out) = run_file(&text);
    if let Ok(path) = std::env::var("HIO_MEMO_INTEROP_OUT") {
        std::fs::write(path, out).unwrap();
    }
    println!(
        "hio-rs: {} cases, {} byte-identical, {} count-0 (deliberate), {} rend mismatches, {} decode mismatches",
        summary.cases,
        summary.identical,
        summary.count_zero,
        summary.rend_mismatch.len(),
        summary.decode_mismatch.len()
    );
    assert!(
        summary.rend_mismatch.is_empty(),
        "{:?}",
        summary.rend_mismatch
    );
    assert!(
        summary.decode_mismatch.is_empty(),
        "{:?}",
        summary.decode_mismatch
    );
}
