//! 10,000 concurrent idle connections on one Doist: each still echoes, and
//! the idle tymeout closes them on schedule. The clients live in a child
//! process (Python, as a plain socket client), so that this process needs
//! only one descriptor per connection.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hio::tcp::{Server, ServerDoer, ServerOpts};
use hio::{Doist, Tymist};

const N: usize = 10_000;

const CLIENTS: &str = r#"
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = [socket.create_connection((host, port), timeout=30) for _ in range(n)]
print("connected", flush=True)
for i, s in enumerate(socks):
    s.sendall(bytes([i % 251]))
for i, s in enumerate(socks):
    assert s.recv(1) == bytes([i % 251]), i
print("echoed", flush=True)
sys.stdin.readline()
closed = sum(1 for s in socks if s.recv(1) == b"")
print("closed %d" % closed, flush=True)
"#;

#[test]
fn ten_thousand_idle_connections_echo_and_time_out() {
    let want = N as u64 + 1000;
    let (soft, _) = rlimit::Resource::NOFILE.get().unwrap();
    if soft < want {
        rlimit::increase_nofile_limit(want).unwrap();
    }

    // The idle tymeout runs on a clock this test moves by hand.
    let mut tymist = Tymist::new(0.0, 1.0);
    let echo = ServerDoer::echo(Server::with_opts(
        "127.0.0.1:0".parse().unwrap(),
        ServerOpts {
            tymeout: 10.0,
            ..ServerOpts::default()
        },
    ));
    let server = echo.server();
    let mut doist = Doist::new(0.0);
    doist.add(echo);
    doist.enter().unwrap();
    server.borrow_mut().wind(&tymist.tymen());
    let addr = server.borrow().local_addr().unwrap();

    let mut child = Command::new("python3")
        .args([
            "-c",
            CLIENTS,
            &addr.ip().to_string(),
            &addr.port().to_string(),
            &N.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the client side");
    let (lines, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let wait_for = |doist: &mut Doist, what: &str| {
        let start = Instant::now();
        loop {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "timed out waiting for {what}"
            );
            doist.recur().unwrap();
            match rx.try_recv() {
                Ok(line) if line.starts_with(what) => return line,
                Ok(line) => panic!("unexpected {line:?} while waiting for {what}"),
                Err(mpsc::TryRecvError::Empty) => std::thread::sleep(Duration::from_micros(100)),
                Err(mpsc::TryRecvError::Disconnected) => {
                    panic!("client process ended before {what}")
                }
            }
        }
    };

    wait_for(&mut doist, "connected");
    wait_for(&mut doist, "echoed");
    assert_eq!(server.borrow().len(), N);

    // Idle: passes go by, and nothing closes before the tymeout.
    for _ in 0..9 {
        tymist.tick();
        for _ in 0..10 {
            doist.recur().unwrap();
        }
    }
    assert_eq!(server.borrow().len(), N);
    assert!(
        server.borrow().remoters().all(|r| !r.cutoff()),
        "closed before the tymeout"
    );

    // Tyme 10: every connection is due.
    tymist.tick();
    doist.recur().unwrap();
    assert_eq!(
        server.borrow().len(),
        0,
        "all idle connections closed and reaped"
    );
    child.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
    let closed = wait_for(&mut doist, "closed");
    assert_eq!(closed, format!("closed {N}"));
    assert!(child.wait().unwrap().success());
    doist.exit().unwrap();
}
