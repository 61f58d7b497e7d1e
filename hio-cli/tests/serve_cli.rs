//! `hio serve` end to end through the binary: a download in flight when
//! SIGTERM arrives finishes, and an SSE stream ends with its last chunk.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn sigterm_lets_a_download_in_flight_finish() {
    let root = std::env::temp_dir().join(format!("hio-serve-drain-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let size = 24 << 20;
    std::fs::write(root.join("big.bin"), vec![b'b'; size]).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hio"))
        .args([
            "serve",
            "--port",
            "0",
            "--duration",
            "60",
            "--drain",
            "20",
            "--root",
        ])
        .arg(&root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    // "hio serve: http://127.0.0.1:PORT/ serving …"
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    let mut download = TcpStream::connect(&addr).unwrap();
    let mut events = TcpStream::connect(&addr).unwrap();
    download
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    events
        .write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    download
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    events
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // Read a little, then stop the server mid-download.
    let mut got = vec![0u8; 1 << 20];
    download.read_exact(&mut got).unwrap();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let mut rest = Vec::new();
    download.read_to_end(&mut rest).unwrap();
    assert!(start.elapsed() < Duration::from_secs(20));
    got.extend(rest);
    let head_end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(got.len() - head_end, size, "download cut by the shutdown");
    let mut stream = Vec::new();
    events.read_to_end(&mut stream).unwrap();
    let stream = String::from_utf8_lossy(&stream);
    assert!(stream.ends_with("\r\n0\r\n\r\n"), "{stream:?}");
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    std::fs::remove_dir_all(&root).unwrap();
}
