//! HTTP (feature `http`): the client, the server against raw sockets, our
//! own clients and curl/python3, hostile clients (the security review's
//! `regression_…` tests), static files, and the fuzz corpus replays (hio-io
//! §14 scenarios are `io_sNN_…`).

#[path = "../util/mod.rs"]
mod util;

mod client;
mod clients;
mod corpus;
mod files;
mod hostile;
mod request_corpus;
mod server;
mod server_script;
