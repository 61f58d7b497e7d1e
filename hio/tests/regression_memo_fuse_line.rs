//! Regression for the security issue's defect B: `hio memo fuse` must not
//! buffer a line of any length.
#![cfg(feature = "memo")]

use std::io::{self, BufReader, Read};

use hio::memo::cli::{
    FuseCount, LineRead, MAX_FUSE_LINE, RendOpts, fuse_hex, read_line_bounded, rend_hex,
};

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
    let opts = RendOpts {
        size: 38,
        mid: Some("0AD5s502N14R8bWw8qyvRW-S".parse().unwrap()),
        ..RendOpts::default()
    };
    let mut grams = Vec::new();
    rend_hex("See ya later!", &opts, &mut grams).unwrap();
    let mut tail = b"\n".to_vec();
    tail.extend_from_slice(&grams);
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
    assert_eq!(
        lines.next(),
        Some("{\"memo\":\"See ya later!\",\"mid\":\"0AD5s502N14R8bWw8qyvRW-S\",\"vid\":null}")
    );
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
    use hio::memo::cli::{MAX_SEND_LINE, Place, send};
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
