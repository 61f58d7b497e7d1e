//! The HTTP server against clients we did not write: curl and Python's
//! `http.client`. Ignored by default (they need the tools); `.ci/run`
//! runs them, and a missing tool fails them.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use bytes::Bytes;
use hio::http::{Body, Piece, Server};
use http::{HeaderValue, Request, Response, StatusCode};

use crate::util::io::any_port;
use crate::util::tools::need;

fn app(req: Request<Bytes>) -> Response<Body> {
    match req.uri().path() {
        "/chunked" => {
            let mut parts = vec!["world\n", "", "hello "];
            Response::new(Body::stream(move || match parts.pop() {
                Some(p) => Piece::Data(Bytes::from_static(p.as_bytes())),
                None => Piece::End,
            }))
        }
        "/echo" => Response::new(Body::from(req.into_body())),
        "/empty" => {
            let mut r = Response::new(Body::Empty);
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
        _ => {
            let mut r = Response::new(Body::from("hello\n"));
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("text/plain"));
            r
        }
    }
}

/// Runs a server on its own thread until the returned flag is set.
fn start() -> (SocketAddr, Arc<AtomicBool>, thread::JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let flag = stop.clone();
    let handle = thread::spawn(move || {
        let mut server = Server::new(any_port(), app);
        server.open().unwrap();
        tx.send(server.local_addr().unwrap()).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !flag.load(Ordering::Relaxed) && std::time::Instant::now() < deadline {
            server.service().unwrap();
            thread::sleep(Duration::from_micros(200));
        }
    });
    (rx.recv().unwrap(), stop, handle)
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
#[ignore = "needs curl; .ci/run runs it"]
fn curl_keep_alive_http10_close_raw_chunked_and_head() {
    need("curl");
    let (addr, stop, handle) = start();
    let base = format!("http://{addr}");
    // Two URLs, one connection.
    let out = curl(&[
        "-w",
        "%{num_connects}\n",
        &format!("{base}/a"),
        &format!("{base}/b"),
    ]);
    assert_eq!(
        out, "hello\n1\nhello\n0\n",
        "the second request reuses the connection"
    );
    let out = curl(&["-i", "--http1.0", &format!("{base}/chunked")]);
    assert!(out.starts_with("HTTP/1.0 200 OK\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\nhello world\n"), "{out}");
    let out = curl(&["-i", "-H", "Connection: close", &format!("{base}/")]);
    assert!(out.contains("Connection: close\r\n"), "{out}");
    let out = curl(&["--raw", &format!("{base}/chunked")]);
    assert_eq!(out, "6\r\nhello \r\n6\r\nworld\n\r\n0\r\n\r\n");
    let out = curl(&["-I", &format!("{base}/")]);
    assert!(
        out.contains("Content-Length: 6\r\n") && !out.contains("hello"),
        "{out}"
    );
    let out = curl(&["-i", &format!("{base}/empty")]);
    assert!(
        out.starts_with("HTTP/1.1 204 No Content\r\n") && !out.contains("Transfer-Encoding"),
        "{out}"
    );
    let out = curl(&["--data-binary", "posted body", &format!("{base}/echo")]);
    assert_eq!(out, "posted body");
    let out = curl(&[
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        "chunked upload",
        &format!("{base}/echo"),
    ]);
    assert_eq!(out, "chunked upload");
    stop.store(true, Ordering::Relaxed);
    handle.join().unwrap();
}

const PY: &str = r#"
import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=10)
c.request("GET", "/")
r = c.getresponse(); assert r.status == 200 and r.read() == b"hello\n", r.status
c.request("GET", "/chunked")
r = c.getresponse(); assert r.getheader("Transfer-Encoding") == "chunked"; assert r.read() == b"hello world\n"
c.request("POST", "/echo", body=b"x" * 100000)
r = c.getresponse(); assert r.read() == b"x" * 100000
c.request("HEAD", "/")
r = c.getresponse(); assert r.getheader("Content-Length") == "6" and r.read() == b""
print("ok")
"#;

#[test]
#[ignore = "needs python3; .ci/run runs it"]
fn python_http_client_round_trips_on_one_connection() {
    need("python3");
    let (addr, stop, handle) = start();
    let out = Command::new("python3")
        .args(["-c", PY, &addr.ip().to_string(), &addr.port().to_string()])
        .output()
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    handle.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");
}
