// The HTTP server's state machine under a script of hostile clients,
// shared by the `http_server` fuzz target and `hio/tests/http/server_script.rs`
// (a property test over random scripts): both `include!` this file.
//
// Three client slots talk to one real `hio::http::Server` on loopback.
// Each script byte is an operation: send a fragment of a request, reset
// the connection and reconnect from the same address and port (a new
// incarnation), close it and reconnect, service the server, advance tyme,
// or read. Every request names the incarnation that sent it, and the
// handler answers with that name, so a client that reads any other
// incarnation's name has been given someone else's response. When the
// script ends, every client closes, and the server must release every
// connection without any tyme passing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

/// One client slot: its socket, its incarnation's name, what it read.
struct Slot {
    sock: Option<TcpStream>,
    local: SocketAddr,
    name: String,
    got: Vec<u8>,
}

fn dial(local: SocketAddr, to: SocketAddr) -> Option<TcpStream> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).ok()?;
    s.set_reuse_address(true).ok()?;
    s.bind(&local.into()).ok()?;
    s.connect(&to.into()).ok()?;
    let s: TcpStream = s.into();
    s.set_nonblocking(true).ok()?;
    Some(s)
}

/// Request material; `@` becomes the incarnation's name.
const FRAGMENTS: &[&[u8]] = &[
    b"GET /@ HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /@/slow HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /@",
    b" HTTP/1.1\r\nHost: x\r\n",
    b"\r\n",
    b"POST /@ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
    b"hello",
    b"POST /@ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"3\r\nabc\r\n",
    b"0\r\n\r\n",
    b"GET /@ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"POST /@ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"GET /@ HTTP/1.0\r\n\r\n",
    b"\x00\xff garbage \r\n\r\n",
];

/// The handler: answers with the request's first path segment (the
/// incarnation's name); `/NAME/slow` answers only after a few pulls.
fn answer(req: http::Request<bytes::Bytes>) -> http::Response<hio::http::Body> {
    use hio::http::{Body, Piece};
    let path = req.uri().path().to_string();
    let name = path.trim_start_matches('/').split('/').next().unwrap_or("").to_string();
    if path.ends_with("/slow") {
        let mut waits = 3;
        let mut sent = false;
        return http::Response::new(Body::stream(move || {
            if waits > 0 {
                waits -= 1;
                Piece::Data(bytes::Bytes::new())
            } else if !sent {
                sent = true;
                Piece::Data(bytes::Bytes::from(format!("<{name}>")))
            } else {
                Piece::End
            }
        }));
    }
    http::Response::new(Body::from(format!("<{name}>")))
}

/// Runs a script; panics when a client reads another's response or the
/// server holds a connection its peer closed.
pub fn http_server_script(script: &[u8]) {
    let mut tymist = hio::Tymist::new(0.0, 1.0);
    let mut server = hio::http::Server::new("127.0.0.1:0".parse().unwrap(), answer);
    server.wind(&tymist.tymen());
    if server.open().is_err() {
        return;
    }
    let to = server.local_addr().unwrap();
    let mut incarnations = 0u32;
    let mut fresh = |slot: usize| {
        incarnations += 1;
        format!("s{slot}i{incarnations}")
    };
    let mut slots: Vec<Slot> = Vec::new();
    for k in 0..3 {
        let Some(sock) = dial("127.0.0.1:0".parse().unwrap(), to) else {
            return;
        };
        let local = sock.local_addr().unwrap();
        slots.push(Slot {
            sock: Some(sock),
            local,
            name: fresh(k),
            got: Vec::new(),
        });
    }
    let mut bytes = script.iter().copied();
    while let Some(op) = bytes.next() {
        let k = (op as usize / 8) % slots.len();
        match op % 8 {
            0..=2 => {
                let f = FRAGMENTS[bytes.next().unwrap_or(0) as usize % FRAGMENTS.len()];
                let msg: Vec<u8> = f
                    .split(|&b| b == b'@')
                    .collect::<Vec<_>>()
                    .join(slots[k].name.as_bytes());
                if let Some(s) = slots[k].sock.as_mut() {
                    let _ = s.write_all(&msg);
                }
            }
            3 => {
                // Reset, then a new incarnation from the same address.
                let slot = &mut slots[k];
                if let Some(s) = slot.sock.take() {
                    let _ = Socket::from(s).set_linger(Some(Duration::ZERO));
                }
                check(slot);
                slot.got.clear();
                slot.sock = dial(slot.local, to);
                slot.name = fresh(k);
            }
            4 => {
                // A graceful close (the port then waits in TIME_WAIT), and a
                // new incarnation from another port.
                let slot = &mut slots[k];
                slot.sock = None;
                slot.got.clear();
                slot.sock = dial("127.0.0.1:0".parse().unwrap(), to);
                if let Some(s) = &slot.sock {
                    slot.local = s.local_addr().unwrap();
                }
                slot.name = fresh(k);
            }
            5 => {
                tymist.tick();
            }
            _ => {
                for _ in 0..1 + op as usize % 3 {
                    server.service().unwrap();
                    std::thread::sleep(Duration::from_micros(50));
                }
            }
        }
        for slot in &mut slots {
            read_some(slot);
            check(slot);
        }
    }
    // Everyone leaves; no tyme passes, and still nothing may be held.
    for slot in &mut slots {
        slot.sock = None;
    }
    // Generous for a loaded machine: a release is at once on loopback.
    for _ in 0..4000 {
        server.service().unwrap();
        if server.tcp().is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_micros(250));
    }
    panic!("{} connections held after every peer closed", server.tcp().len());
}

fn read_some(slot: &mut Slot) {
    let Some(s) = slot.sock.as_mut() else { return };
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        slot.got.extend_from_slice(&buf[..n]);
    }
}

/// Every name in what a slot read is its own.
fn check(slot: &Slot) {
    let text = String::from_utf8_lossy(&slot.got);
    for part in text.split('<').skip(1) {
        let name = part.split('>').next().unwrap_or("");
        assert_eq!(name, slot.name, "{} read {name}'s response", slot.name);
    }
}
