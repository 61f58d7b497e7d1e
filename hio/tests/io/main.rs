//! Sockets and files: TCP, UDP, UXD, Filer and WireLog (hio-io §14
//! scenarios are `io_sNN_…`). Tests that change process-wide state (the
//! descriptor limit, descriptor counts) are binaries of their own:
//! `tcp_emfile`, `tcp_fdleak`, `tcp_idle10k`.

#[path = "../util/mod.rs"]
mod util;

mod filing;
mod tcp;
mod udp;
mod uxd;
mod wiring;
