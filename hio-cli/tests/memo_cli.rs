//! `hio memo` end to end through the binary: the spec's memogram vectors
//! (`shared/spec/hio-io.md` §14 S1–S7), rend→fuse round trips, drops, and
//! send→listen over UDP and UXD on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const MID: &str = "0AD5s502N14R8bWw8qyvRW-S";
/// The spec's seed: bytes 0x00..0x1f.
const SEED: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const VID: &str = "BAOhB7_zzhC-HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";

fn hio() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hio"))
}

/// Runs `hio memo ARGS` with `stdin`; returns the output.
fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = hio()
        .arg("memo")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A run that fails on its options may exit before reading stdin.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

/// `hio memo rend ARGS` on `memo`: the grams, decoded from hex.
fn rend(args: &[&str], memo: &str) -> Vec<Vec<u8>> {
    let out = run(&[&["rend"], args].concat(), memo.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text.lines() {
        assert!(
            line.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "not lowercase hex: {line}"
        );
    }
    text.lines().map(unhex).collect()
}

/// `hio memo fuse` on these hex lines: its output lines.
fn fuse(lines: &[String]) -> Vec<String> {
    let mut input = lines.join("\n");
    input.push('\n');
    let out = run(&["fuse"], input.as_bytes());
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn unhex(text: &str) -> Vec<u8> {
    let text: String = text.split_whitespace().collect();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn memo_line(memo: &str, mid: &str, vid: Option<&str>) -> String {
    let vid = vid.map_or("null".to_owned(), |v| format!("\"{v}\""));
    format!("{{\"memo\":\"{memo}\",\"mid\":\"{mid}\",\"vid\":{vid}}}")
}

/// A fixed permutation that moves every element (deterministic "shuffle").
fn shuffle<T: Clone>(items: &[T]) -> Vec<T> {
    let n = items.len();
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = 0x2545_f491_u64;
    for i in (1..n).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        order.swap(i, (state >> 33) as usize % (i + 1));
    }
    if n > 1 && order.iter().enumerate().all(|(i, &j)| i == j) {
        order.reverse();
    }
    order.into_iter().map(|i| items[i].clone()).collect()
}

// ---- S1–S7 ----

#[test]
fn memo_s1_single_unsigned_text_gram() {
    let grams = rend(&["--size", "65535", "--mid", MID], "Hello There");
    assert_eq!(
        grams,
        [b"bAAAAAAB0AD5s502N14R8bWw8qyvRW-SHello There".to_vec()]
    );
    assert_eq!(grams[0].len(), 43);
}

#[test]
fn memo_s2_unsigned_text_segmentation() {
    let grams = rend(&["--size", "38", "--mid", MID], "See ya later!");
    assert_eq!(
        grams,
        [
            b"bAAAAAAD0AD5s502N14R8bWw8qyvRW-SSee ya".to_vec(),
            b"bAABAAAB0AD5s502N14R8bWw8qyvRW-S later".to_vec(),
            b"bAABAAAC0AD5s502N14R8bWw8qyvRW-S!".to_vec(),
        ]
    );
    let lines: Vec<String> = grams.iter().rev().map(|g| hex(g)).collect();
    assert_eq!(fuse(&lines), [memo_line("See ya later!", MID, None)]);
}

#[test]
fn memo_s3_binary_headers_with_the_non_zeroth_size_quirk() {
    let grams = rend(
        &["--size", "38", "--curt", "--mid", MID],
        "See ya later alligator!",
    );
    assert_eq!(
        grams,
        [
            unhex("6c0000000003d000f9b39d36375e11f1b5b0f2acaf456f92 536565207961206c617465722061"),
            unhex("6c0001000001d000f9b39d36375e11f1b5b0f2acaf456f92 6c6c69676174"),
            unhex("6c0001000002d000f9b39d36375e11f1b5b0f2acaf456f92 6f7221"),
        ]
    );
    assert_eq!(grams.iter().map(Vec::len).collect::<Vec<_>>(), [38, 30, 27]);
    // The "ideal" two-gram split is accepted too.
    let ideal = [
        "6c0000000002d000f9b39d36375e11f1b5b0f2acaf456f92536565207961206c617465722061".to_owned(),
        format!(
            "6c0001000001d000f9b39d36375e11f1b5b0f2acaf456f92{}",
            hex(b"lligator!")
        ),
    ];
    assert_eq!(
        fuse(&ideal),
        [memo_line("See ya later alligator!", MID, None)]
    );
}

#[test]
fn memo_s4_hand_made_grams_out_of_order_first_copy_wins() {
    let gram = |head: &str, body: &str| hex(format!("{head}{MID}{body}").as_bytes());
    assert_eq!(
        fuse(&[gram("bAABAAAB", " there"), gram("bAAAAAAC", "hello")]),
        [memo_line("hello there", MID, None)]
    );
    assert_eq!(
        fuse(&[
            gram("bAAAAAAC", "hello"),
            gram("bAAAAAAC", "HELLO"),
            gram("bAABAAAB", "!"),
        ]),
        [memo_line("hello!", MID, None)]
    );
}

#[test]
fn memo_s5_signed_gram_deterministic_keys() {
    let grams = rend(
        &["--size", "65535", "--sign", SEED, "--mid", MID],
        "Hello There",
    );
    let want = format!(
        "bAACAAAB{MID}{VID}Hello There\
         0BBFl9murnpgKKLvWhmQJHIZGRP4k9O_qbH7_QF6L-maFLq1KRyFb6KDBlOg1NXLcxZ0lcuQQZVQdhCzLT51FtwJ"
    );
    assert_eq!(grams, [want.into_bytes()]);
    assert_eq!(grams[0].len(), 175);
    assert_eq!(
        fuse(&[hex(&grams[0])]),
        [memo_line("Hello There", MID, Some(VID))]
    );
}

#[test]
fn memo_s6_signed_two_gram_memo() {
    let grams = rend(
        &["--size", "170", "--sign", SEED, "--mid", MID],
        "Hello There, how are you?",
    );
    let want = [
        format!(
            "bAACAAAC{MID}{VID}Hello \
             0BCLteQI6RZOakelLofV5Pnnka3nqSOpyBr4_ksqSgAuvnWOSxSHFHMocMzAw9_jhEQD6dmIkQar3ZtMJAdCvuIF"
        ),
        format!(
            "bAADAAAB{MID}There, how are you?\
             0BCNv9EV0LG_siA6zBbzcykdk6-bwIPpyfi7FrnXi20MvzF2bhU3_qrzEt7-NJLVF9fQnXihm0FqYxDmXHVGJ54M"
        ),
    ];
    assert_eq!(grams, want.map(String::into_bytes));
    assert_eq!((grams[0].len(), grams[1].len()), (170, 139));
    let lines: Vec<String> = grams.iter().map(|g| hex(g)).collect();
    assert_eq!(
        fuse(&lines),
        [memo_line("Hello There, how are you?", MID, Some(VID))]
    );
}

#[test]
fn memo_s7_signed_binary() {
    let grams = rend(
        &["--size", "170", "--curt", "--sign", SEED, "--mid", MID],
        "Hello There, how are you?",
    );
    let want = unhex(
        "6c0002 000001 d000f9b39d36375e11f1b5b0f2acaf456f92 \
         0403a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8 \
         48656c6c6f2054686572652c20686f772061726520796f753f \
         d0108c18038bc3878643331c573b6e5e0191e1577cf78cd05230bdeecec8e24e1c00f7dc1c4b04b865a5\
         b43af7563bc742e94653ae1c51a33fd04e15d73c643e2807",
    );
    assert_eq!(grams, [want]);
    assert_eq!(grams[0].len(), 148);
    assert_eq!(
        fuse(&[hex(&grams[0])]),
        [memo_line("Hello There, how are you?", MID, Some(VID))]
    );
}

// ---- rend details ----

#[test]
fn curt_unsigned_sizes_that_crash_python_give_correct_grams() {
    // Python's rend divides by zero or rejects every memo at these sizes.
    let memo = "See ya later alligator, in a while crocodile!";
    for size in [25usize, 26, 32] {
        let arg = size.to_string();
        let grams = rend(&["--size", &arg, "--curt", "--mid", MID], memo);
        assert!(grams.len() > 1, "size {size}");
        assert!(
            grams.iter().all(|g| g.len() <= size && g.len() > 24),
            "size {size}"
        );
        let lines: Vec<String> = shuffle(&grams).iter().map(|g| hex(g)).collect();
        assert_eq!(fuse(&lines), [memo_line(memo, MID, None)], "size {size}");
    }
}

#[test]
fn rend_without_mid_is_random_and_empty_memo_makes_no_grams() {
    let a = rend(&["--size", "100"], "same memo");
    let b = rend(&["--size", "100"], "same memo");
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_ne!(a, b);
    assert!(rend(&["--size", "100"], "").is_empty());
}

#[test]
fn rend_rejects_bad_options_clearly() {
    for (args, why) in [
        (
            &["rend", "--size", "40", "--mid", "nope"][..],
            "invalid mid",
        ),
        (&["rend", "--size", "40", "--sign", "abcd"][..], "32"),
        (&["rend", "--size", "40", "--sign", "zz"][..], "not hex"),
        (&["rend", "--size", "0"][..], "at least 1"),
    ] {
        let out = run(args, b"memo");
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{args:?}: {err}");
    }
}

// ---- round trips ----

#[test]
fn rend_fuse_round_trips_shuffled_and_mixed() {
    let text =
        "Memograms carry memos over datagrams, any order, \"quoted\" \\ and ünïcödé 🚀\n2nd line";
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    let cases: [(&[&str], Option<&str>); 4] = [
        (&["--size", "40"], None),
        (&["--size", "30", "--curt"], None),
        (&["--size", "200", "--sign", SEED], Some(VID)),
        (&["--size", "170", "--curt", "--sign", SEED], Some(VID)),
    ];
    let mut all = Vec::new();
    let mut want = Vec::new();
    for (i, (args, vid)) in cases.iter().enumerate() {
        let mid = format!("0AD5s502N14R8bWw8qyvR{i:03}");
        let grams = rend(&[*args, &["--mid", &mid]].concat(), text);
        assert!(grams.len() > 1, "{args:?}");
        let lines: Vec<String> = shuffle(&grams).iter().map(|g| hex(g)).collect();
        // A signed later gram before its zeroth gram is held, then checked.
        assert_eq!(fuse(&lines), [memo_line(&escaped, &mid, *vid)], "{args:?}");
        all.extend(lines);
        want.push(memo_line(&escaped, &mid, *vid));
    }
    // Several memos interleaved in one run.
    let mut got = fuse(&shuffle(&all));
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

// ---- drops ----

#[test]
fn bad_input_is_dropped_and_the_run_continues() {
    let good = rend(&["--size", "38", "--mid", MID], "See ya later!");
    let other = "0AD5s502N14R8bWw8qyvRW-T";
    let signed = rend(
        &["--size", "65535", "--sign", SEED, "--mid", other],
        "Hello There",
    );
    let mut tampered = signed[0].clone();
    let at = tampered.len() - 90; // a body byte
    tampered[at] ^= 0x20;
    let lines = [
        "not hex at all".to_owned(),
        hex(&good[0]),
        "abc".to_owned(),    // odd length
        hex(&good[1][..20]), // truncated gram
        hex(&tampered),      // tampered signature check
        hex(&good[1]),
        hex(b"xAAAAAAB0AD5s502N14R8bWw8qyvRW-Shi"),
        hex(&good[2]),
        hex(&signed[0]), // the untampered gram still fuses afterwards
    ];
    let got = fuse(&lines);
    assert_eq!(
        got,
        [
            r#"{"dropped":"invalid hex"}"#.to_owned(),
            r#"{"dropped":"invalid hex"}"#.to_owned(),
            r#"{"dropped":"gram shorter than its header"}"#.to_owned(),
            r#"{"dropped":"signature does not verify"}"#.to_owned(),
            r#"{"dropped":"gram does not start with a gram code"}"#.to_owned(),
            memo_line("See ya later!", MID, None),
            memo_line("Hello There", other, Some(VID)),
        ]
    );
}

// ---- send → listen ----

/// Starts `hio memo listen ARGS`; returns it and the address line it logs.
fn listen(args: &[&str]) -> (Child, String) {
    let mut child = hio()
        .arg("memo")
        .arg("listen")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.starts_with("hio memo: listening on "), "{line}");
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = err.read_to_string(&mut rest);
    });
    (child, line.trim().to_owned())
}

/// Waits (at most 20 s) for `child` to exit; returns its stdout lines.
fn finish(mut child: Child) -> Vec<String> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("listen did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out.lines().map(str::to_owned).collect()
}

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    let key = format!("\"{name}\":");
    let rest = &line[line.find(&key).unwrap() + key.len()..];
    match rest.strip_prefix('"') {
        Some(s) => &s[..s.find('"').unwrap()],
        None => &rest[..rest.find([',', '}']).unwrap()],
    }
}

fn send(args: &[&str], input: &str) {
    let out = run(&[&["send"], args].concat(), input.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn send_listen_udp_loopback() {
    let (child, line) = listen(&["--udp", "0", "--count", "3", "--duration", "15"]);
    let addr = line.rsplit(' ').next().unwrap().to_owned();
    let long = "x".repeat(3000);
    send(&["--udp", &addr], &format!("hello\n\n{long}\n"));
    send(
        &["--udp", &addr, "--curt", "--sign", SEED, "--size", "200"],
        "signed, binary and cut into several grams\n",
    );
    let got = finish(child);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(
        (field(&got[0], "memo"), field(&got[0], "vid")),
        ("hello", "null")
    );
    assert_eq!(field(&got[1], "memo"), long);
    assert_eq!(
        (field(&got[2], "memo"), field(&got[2], "vid")),
        ("signed, binary and cut into several grams", VID)
    );
    assert!(
        field(&got[0], "src").starts_with("0.0.0.0:")
            || field(&got[0], "src").starts_with("127.0.0.1:")
    );
    assert_eq!(field(&got[0], "mid").len(), 24);
}

#[test]
fn send_listen_uxd_loopback() {
    let dir = std::env::temp_dir().join(format!("hio-memo-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("listen.uxd");
    let path_s = path.to_str().unwrap();
    let (child, _) = listen(&["--uxd", path_s, "--count", "2", "--duration", "15"]);
    send(
        &["--uxd", path_s, "--sign", SEED, "--size", "300"],
        "one signed memo\ntwo signed memos, the second a little longer than the first\n",
    );
    let got = finish(child);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        (field(&got[0], "memo"), field(&got[0], "vid")),
        ("one signed memo", VID)
    );
    assert_eq!(
        field(&got[1], "memo"),
        "two signed memos, the second a little longer than the first"
    );
    assert!(!path.exists(), "the listener removes its socket file");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn listen_stops_after_its_duration() {
    let start = Instant::now();
    let (child, _) = listen(&["--udp", "0", "--duration", "0.3"]);
    assert!(finish(child).is_empty());
    assert!(start.elapsed() < Duration::from_secs(10));
}
