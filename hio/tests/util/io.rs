//! I/O helpers: a scratch directory, a port-0 address, descriptor counts.

use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the platform temp dir, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// `<temp>/hio-<tag>-<pid>-<n>`, empty.
    pub fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("hio-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// `rel` under the scratch directory, created.
    pub fn dir(&self, rel: &str) -> PathBuf {
        let p = self.0.join(rel);
        fs::create_dir_all(&p).unwrap();
        p
    }

    /// A head that cannot be created: it lies under a regular file.
    pub fn blocked(&self) -> PathBuf {
        let file = self.0.join("afile");
        fs::write(&file, b"not a directory").unwrap();
        file.join("usr/local/var")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `127.0.0.1:0`: the loopback address with a port the system picks.
pub fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// How many file descriptors this process has open.
pub fn open_fds() -> usize {
    fs::read_dir("/proc/self/fd").unwrap().count()
}
