//! Regressions for the security issue.
//!
//! - Defect A, listener side: `hio memo listen` disabled the reassembly
//!   tymeout, so incomplete memos were kept for good. Its reassembly
//!   ([`Receiver`]) must use the library's tymeout, on its own clock (wall
//!   seconds in `listen`, moved by hand here: no wall clock, no sleeps).
//! - Defect B: `hio memo fuse` (and `send`) must not buffer a line of any
//!   length.

use std::io::{self, BufReader, Read};

use hio::memo::{Mid, Reassembler};

use super::grams::{
    FuseCount, LineRead, MAX_FUSE_LINE, RendOpts, SEE_YA_JSON, fuse_hex, read_line_bounded,
    see_ya_hex,
};
use super::net::{MAX_SEND_LINE, Place, Receiver, send};

/// `len` hex digits made on the fly, then the bytes of `tail`: a huge input
/// that never exists in memory.
struct Lazy {
    left: u64,
    tail: io::Cursor<Vec<u8>>,
}

impl Read for Lazy {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return self.tail.read(buf);
        }
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        buf[..n].fill(b'a');
        self.left -= n as u64;
        Ok(n)
    }
}

#[test]
fn regression_fuse_drops_an_overlong_line_without_buffering_it() {
    const LINE: u64 = 200 << 20;
    let mut tail = b"\n".to_vec();
    tail.extend_from_slice(&see_ya_hex());
    let input = BufReader::with_capacity(
        64 << 10,
        Lazy {
            left: LINE,
            tail: io::Cursor::new(tail),
        },
    );
    let mut out = Vec::new();
    let count = fuse_hex(input, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let mut lines = out.lines();
    let first = lines.next().unwrap();
    assert!(first.starts_with("{\"dropped\":\"line too long"), "{first}");
    // The run goes on: the memo after the long line is fused.
    assert_eq!(lines.next(), Some(SEE_YA_JSON));
    assert_eq!(
        count,
        FuseCount {
            memos: 1,
            dropped: 1
        }
    );
}

#[test]
fn regression_bounded_line_reader_never_holds_more_than_the_bound() {
    const LINE: u64 = 200 << 20;
    let mut input = BufReader::with_capacity(
        64 << 10,
        Lazy {
            left: LINE,
            tail: io::Cursor::new(b"\nnext\n".to_vec()),
        },
    );
    let mut line = Vec::new();
    assert_eq!(
        read_line_bounded(&mut input, &mut line, MAX_FUSE_LINE).unwrap(),
        LineRead::TooLong { len: LINE }
    );
    assert!(line.is_empty());
    assert!(
        line.capacity() <= MAX_FUSE_LINE,
        "buffered {} bytes",
        line.capacity()
    );
    assert_eq!(
        read_line_bounded(&mut input, &mut line, MAX_FUSE_LINE).unwrap(),
        LineRead::Line
    );
    assert_eq!(line, b"next");
    // A line of exactly the bound is taken.
    let exact = vec![b'a'; MAX_FUSE_LINE];
    let mut input = &exact[..];
    assert_eq!(
        read_line_bounded(&mut input, &mut line, MAX_FUSE_LINE).unwrap(),
        LineRead::Line
    );
    assert_eq!(line.len(), MAX_FUSE_LINE);
    assert!(line.capacity() <= MAX_FUSE_LINE);
    assert_eq!(
        read_line_bounded(&mut input, &mut line, MAX_FUSE_LINE).unwrap(),
        LineRead::End
    );
}

/// `hio memo send` refuses a line longer than any listener could hold,
/// without reading it into memory (it used `BufRead::lines`).
#[test]
fn regression_send_refuses_an_overlong_line() {
    let input = BufReader::with_capacity(
        64 << 10,
        Lazy {
            left: MAX_SEND_LINE as u64 + 1,
            tail: io::Cursor::new(b"\nnext\n".to_vec()),
        },
    );
    let dst = Place::Udp("127.0.0.1:9".parse().unwrap());
    let err = send(&dst, &RendOpts::default(), input).unwrap_err();
    assert!(err.to_string().contains("line 1 is"), "{err}");
}

#[test]
fn regression_listener_expires_incomplete_memos_on_tyme() {
    let mut receiver: Receiver<String> = Receiver::new();
    assert_eq!(
        receiver.reassembler().tymeout(),
        Reassembler::<String>::TYMEOUT
    );
    assert_eq!(
        receiver.reassembler().max_buffered(),
        Reassembler::<String>::MAX_BUFFERED
    );
    let src = "127.0.0.1:5000".to_owned();
    let mut mids = Vec::new();
    for _ in 0..100 {
        let mid = Mid::random().unwrap();
        let zeroth = format!("bAAAAAAC{mid}never finished");
        assert!(receiver.accept(zeroth.as_bytes(), &src).unwrap().is_empty());
        mids.push(mid);
    }
    let buffered = receiver.reassembler().buffered();
    assert!(buffered > 0);
    // Nothing expires before the tymeout, however often tyme moves.
    let mut tyme = 0.0;
    while tyme < Reassembler::<String>::TYMEOUT - 1.0 {
        tyme += 0.25;
        assert_eq!(receiver.advance(tyme), 0);
    }
    assert_eq!(receiver.reassembler().pending(), 100);
    let restarted = Mid::random().unwrap();
    let zeroth = format!("bAAAAAAD{restarted}started late");
    receiver.accept(zeroth.as_bytes(), &src).unwrap();
    // Past the tymeout, the 100 old ones go and their bytes are freed.
    assert_eq!(receiver.advance(Reassembler::<String>::TYMEOUT + 0.5), 100);
    assert_eq!(receiver.reassembler().pending(), 1);
    assert!(receiver.reassembler().is_pending(&restarted));
    assert!(receiver.reassembler().buffered() < buffered / 50);
    // A late gram of an expired memo no longer completes it.
    let late = format!("bAABAAAB{}done", mids[1]);
    assert!(receiver.accept(late.as_bytes(), &src).unwrap().is_empty());
    assert!(!receiver.reassembler().is_pending(&mids[2]));
    // The late ones go one tymeout after their own start.
    assert_eq!(
        receiver.advance(2.0 * Reassembler::<String>::TYMEOUT + 1.0),
        2
    );
    assert_eq!(receiver.reassembler().pending(), 0);
    assert_eq!(receiver.reassembler().buffered(), 0);
}
