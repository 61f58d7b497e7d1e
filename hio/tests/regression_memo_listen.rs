//! Regression for the security issue's defect A, listener side: `hio memo
//! listen` disabled the reassembly tymeout, so incomplete memos were kept
//! for good. Its reassembly ([`Receiver`]) must use the library's tymeout,
//! on its own clock (wall seconds in `listen`, moved by hand here: no wall
//! clock, no sleeps).
#![cfg(feature = "memo")]

use hio::memo::cli::Receiver;
use hio::memo::{Mid, Reassembler};

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
