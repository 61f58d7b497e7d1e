//! [`WireLog`]: a capture of the bytes a transport receives and sends, for
//! debugging (HIO's `core/wiring.py`), and [`WireLogDoer`], which opens and
//! closes one inside a scheduler.
//!
//! Each write appends one record, by default
//! `\n<Rx|Tx> <who>:\n<data>\n`, where `who` is the remote end ([`Who`]).
//! Logs live in memory or in files, one log for both directions
//! (`samed`) or one per direction.
//!
//! File placement (when `filed`):
//!
//! ```text
//! temp:        <temp head>/<prefix>/wirelogs/test_XXXXXXXX_temp/
//! persistent:  <head>/<prefix>/wirelogs/        (fallback <home>/.<prefix>/wirelogs/)
//! file names:  <name>.<UTC %Y-%m-%d_%H-%M-%S_%f>.log   (or .rx.log / .tx.log)
//! ```

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};
use std::path::{Path, PathBuf};

use crate::doing::{Cx, Doer};
use crate::error::{Error, Result};
use crate::filing::{
    absolute, accessible, check_rel, default_temp_head_dir, expand_home, make_temp_dir, normalize,
    path_err, remove_tree,
};

/// The direction of a record: received or transmitted (HIO's `dx`).
///
/// ```
/// use hio::wiring::Dx;
/// assert_eq!(Dx::Rx.as_str(), "Rx");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dx {
    /// Received.
    Rx,
    /// Transmitted.
    Tx,
}

impl Dx {
    /// `"Rx"` or `"Tx"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dx::Rx => "Rx",
            Dx::Tx => "Tx",
        }
    }
}

/// The far end of a record: a socket address, a Unix socket path, text or
/// raw bytes.
///
/// A socket address is written the way Python prints its address tuple, so
/// logs read the same as HIO's: `('127.0.0.1', 6101)`, or
/// `('::1', 6101, 0, 0)` for IPv6.
///
/// ```
/// use std::net::SocketAddr;
/// use std::path::Path;
/// use hio::Who;
///
/// let addr: SocketAddr = "127.0.0.1:6101".parse().unwrap();
/// assert_eq!(Who::from(addr).to_string(), "('127.0.0.1', 6101)");
/// let addr: SocketAddr = "[::1]:6101".parse().unwrap();
/// assert_eq!(Who::from(addr).to_string(), "('::1', 6101, 0, 0)");
/// assert_eq!(Who::from(Path::new("/tmp/alpha.uxd")).to_string(), "/tmp/alpha.uxd");
/// assert_eq!(Who::from("beta").to_string(), "beta");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who<'a> {
    /// An IP socket address.
    Addr(SocketAddr),
    /// A Unix socket path.
    Path(&'a Path),
    /// Text.
    Text(&'a str),
    /// Bytes, written as they are.
    Bytes(&'a [u8]),
}

impl Default for Who<'_> {
    /// Empty text (HIO's `who=b''`).
    fn default() -> Self {
        Who::Text("")
    }
}

impl Who<'_> {
    /// Appends this `who` as it appears in a record.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Who::Bytes(b) => out.extend_from_slice(b),
            Who::Text(t) => out.extend_from_slice(t.as_bytes()),
            Who::Path(p) => out.extend_from_slice(p.as_os_str().as_encoded_bytes()),
            Who::Addr(_) => {
                // Writing into a Vec cannot fail.
                let _ = write!(out, "{self}");
            }
        }
    }
}

impl fmt::Display for Who<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Who::Addr(SocketAddr::V4(a)) => write!(f, "('{}', {})", a.ip(), a.port()),
            Who::Addr(SocketAddr::V6(a)) => {
                write!(
                    f,
                    "('{}', {}, {}, {})",
                    a.ip(),
                    a.port(),
                    a.flowinfo(),
                    a.scope_id()
                )
            }
            Who::Path(p) => write!(f, "{}", p.display()),
            Who::Text(t) => f.write_str(t),
            Who::Bytes(b) => write!(f, "{}", String::from_utf8_lossy(b)),
        }
    }
}

impl From<SocketAddr> for Who<'_> {
    fn from(a: SocketAddr) -> Self {
        Who::Addr(a)
    }
}

impl From<&SocketAddr> for Who<'_> {
    fn from(a: &SocketAddr) -> Self {
        Who::Addr(*a)
    }
}

impl From<SocketAddrV4> for Who<'_> {
    fn from(a: SocketAddrV4) -> Self {
        Who::Addr(a.into())
    }
}

impl From<SocketAddrV6> for Who<'_> {
    fn from(a: SocketAddrV6) -> Self {
        Who::Addr(a.into())
    }
}

impl<'a> From<&'a str> for Who<'a> {
    fn from(t: &'a str) -> Self {
        Who::Text(t)
    }
}

impl<'a> From<&'a String> for Who<'a> {
    fn from(t: &'a String) -> Self {
        Who::Text(t)
    }
}

impl<'a> From<&'a Path> for Who<'a> {
    fn from(p: &'a Path) -> Self {
        Who::Path(p)
    }
}

impl<'a> From<&'a PathBuf> for Who<'a> {
    fn from(p: &'a PathBuf) -> Self {
        Who::Path(p)
    }
}

impl<'a> From<&'a [u8]> for Who<'a> {
    fn from(b: &'a [u8]) -> Self {
        Who::Bytes(b)
    }
}

impl<'a> From<&'a std::os::unix::net::SocketAddr> for Who<'a> {
    /// The socket's path; an unnamed socket is empty text.
    fn from(a: &'a std::os::unix::net::SocketAddr) -> Self {
        a.as_pathname().map_or(Who::Text(""), Who::Path)
    }
}

/// How a record is written (HIO's `fmt`).
///
/// ```
/// use hio::{WireFormat, WireLog};
///
/// let mut wl = WireLog::builder().samed(true).format(WireFormat::Raw).open()?;
/// wl.write_rx(b"abc", "alpha")?;
/// wl.write_tx(b"def", "alpha")?;
/// assert_eq!(wl.read_rx()?.unwrap(), b"abcdef");
/// # Ok::<(), hio::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub enum WireFormat {
    /// `\n<Rx|Tx> <who>:\n<data>\n` (HIO's default format).
    #[default]
    Record,
    /// The data alone, concatenated (HIO's `fmt=b'%(data)b'`).
    Raw,
    /// Your own: appends one record for `(dx, who, data)` to the buffer.
    Custom(fn(&mut Vec<u8>, Dx, &Who<'_>, &[u8])),
}

impl WireFormat {
    /// Appends one record to `out`.
    ///
    /// ```
    /// use hio::{WireFormat, Who, wiring::Dx};
    /// let mut out = Vec::new();
    /// WireFormat::Record.render(&mut out, Dx::Tx, &Who::from("beta"), b"world");
    /// assert_eq!(out, b"\nTx beta:\nworld\n");
    /// ```
    pub fn render(&self, out: &mut Vec<u8>, dx: Dx, who: &Who<'_>, data: &[u8]) {
        match self {
            WireFormat::Record => {
                out.push(b'\n');
                out.extend_from_slice(dx.as_str().as_bytes());
                out.push(b' ');
                who.write_to(out);
                out.extend_from_slice(b":\n");
                out.extend_from_slice(data);
                out.push(b'\n');
            }
            WireFormat::Raw => out.extend_from_slice(data),
            WireFormat::Custom(f) => f(out, dx, who, data),
        }
    }
}

/// One log: a memory buffer or a file.
#[derive(Debug)]
enum Sink {
    Memory(Vec<u8>),
    File(File),
}

impl Sink {
    fn write(
        &mut self,
        scratch: &mut Vec<u8>,
        format: &WireFormat,
        dx: Dx,
        who: &Who<'_>,
        data: &[u8],
    ) -> Result<()> {
        match self {
            Sink::Memory(buf) => format.render(buf, dx, who, data),
            Sink::File(file) => {
                scratch.clear();
                format.render(scratch, dx, who, data);
                file.write_all(scratch)?;
            }
        }
        Ok(())
    }

    fn read(&self) -> Result<Vec<u8>> {
        match self {
            Sink::Memory(buf) => Ok(buf.clone()),
            Sink::File(file) => {
                let mut file = file;
                let mut out = Vec::new();
                file.seek(SeekFrom::Start(0))?;
                file.read_to_end(&mut out)?;
                Ok(out)
            }
        }
    }

    fn flush(&mut self) -> Result<()> {
        if let Sink::File(file) = self {
            file.flush()?;
            file.sync_all()?;
        }
        Ok(())
    }
}

#[derive(Debug)]
enum Logs {
    Closed,
    Same(Sink),
    Split { rx: Option<Sink>, tx: Option<Sink> },
}

/// Builds a [`WireLog`]: [`build`](WireLogBuilder::build) gives it closed
/// (HIO's default `reopen=False`), [`open`](WireLogBuilder::open) opens it.
///
/// Defaults: both directions, separate logs, in memory, record format, name
/// `main`, prefix `hio`, head `/usr/local/var`.
///
/// ```
/// use hio::WireLog;
/// let wl = WireLog::builder().name("alpha").filed(true).temp(true).build()?;
/// assert!(!wl.opened());
/// # Ok::<(), hio::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct WireLogBuilder {
    rxed: bool,
    txed: bool,
    samed: bool,
    filed: bool,
    format: WireFormat,
    name: String,
    temp: bool,
    prefix: String,
    head_dir_path: Option<PathBuf>,
    home_dir: Option<PathBuf>,
    temp_head_dir: Option<PathBuf>,
}

impl Default for WireLogBuilder {
    fn default() -> Self {
        WireLogBuilder {
            rxed: true,
            txed: true,
            samed: false,
            filed: false,
            format: WireFormat::Record,
            name: "main".into(),
            temp: false,
            prefix: WireLog::PREFIX.into(),
            head_dir_path: None,
            home_dir: None,
            temp_head_dir: None,
        }
    }
}

impl WireLogBuilder {
    /// Log received bytes (default true).
    pub fn rxed(mut self, rxed: bool) -> Self {
        self.rxed = rxed;
        self
    }

    /// Log transmitted bytes (default true).
    pub fn txed(mut self, txed: bool) -> Self {
        self.txed = txed;
        self
    }

    /// One log for both directions (default false: one per direction).
    pub fn samed(mut self, samed: bool) -> Self {
        self.samed = samed;
        self
    }

    /// Log to files instead of memory (default false).
    pub fn filed(mut self, filed: bool) -> Self {
        self.filed = filed;
        self
    }

    /// The record format (default [`WireFormat::Record`]).
    pub fn format(mut self, format: WireFormat) -> Self {
        self.format = format;
        self
    }

    /// The file name's first part (default `main`); a plain file name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Files go to a fresh temp directory, removed on close.
    pub fn temp(mut self, temp: bool) -> Self {
        self.temp = temp;
        self
    }

    /// The directory part before `wirelogs` (default `hio`); relative.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Head of the persistent directory (default `/usr/local/var`).
    pub fn head_dir_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.head_dir_path = Some(path.into());
        self
    }

    /// Home directory for the fallback `~/.<prefix>/wirelogs` (default: the
    /// user's).
    pub fn home_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.home_dir = Some(path.into());
        self
    }

    /// Where temp directories are made (default: the platform temp dir).
    pub fn temp_head_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.temp_head_dir = Some(path.into());
        self
    }

    /// The WireLog, validated, closed.
    pub fn build(self) -> Result<WireLog> {
        check_file_name(&self.name)?;
        check_rel("prefix", &self.prefix, true)?;
        Ok(WireLog {
            rxed: self.rxed,
            txed: self.txed,
            samed: self.samed,
            filed: self.filed,
            format: self.format,
            name: self.name,
            temp: self.temp,
            prefix: self.prefix,
            head_dir_path: self
                .head_dir_path
                .unwrap_or_else(|| PathBuf::from(WireLog::HEAD_DIR_PATH)),
            home_dir: self.home_dir,
            temp_head_dir: self.temp_head_dir,
            dir_path: None,
            dir_is_temp: false,
            rx_path: None,
            tx_path: None,
            logs: Logs::Closed,
            scratch: Vec::new(),
            opened: false,
        })
    }

    /// The WireLog, opened.
    pub fn open(self) -> Result<WireLog> {
        let mut wl = self.build()?;
        wl.reopen(None)?;
        Ok(wl)
    }
}

/// A capture of a transport's traffic (HIO's `WireLog`).
///
/// Transports call [`write_rx`](WireLog::write_rx) with what they received
/// and [`write_tx`](WireLog::write_tx) with what they sent, each with the
/// remote end. Writes to a closed log, or for a direction that is not
/// logged, are ignored.
///
/// ```
/// use std::net::SocketAddr;
/// use hio::WireLog;
///
/// let mut wl = WireLog::builder().samed(true).open()?;
/// let addr: SocketAddr = "127.0.0.1:6101".parse().unwrap();
/// wl.write_rx(b"hello", addr)?;
/// wl.write_tx(b"world", "beta")?;
/// assert_eq!(
///     wl.read_rx()?.unwrap(),
///     b"\nRx ('127.0.0.1', 6101):\nhello\n\nTx beta:\nworld\n"
/// );
/// wl.close(false)?;
/// assert_eq!(wl.read_rx()?, None);
/// # Ok::<(), hio::Error>(())
/// ```
///
/// In files, in a temp directory that is removed on close:
///
/// ```
/// use hio::WireLog;
///
/// let mut wl = WireLog::builder().name("alpha").filed(true).temp(true).open()?;
/// wl.write_tx("ping", "beta")?;
/// let tx = wl.tx_path().unwrap().to_owned();
/// assert!(tx.file_name().unwrap().to_str().unwrap().ends_with(".tx.log"));
/// assert_eq!(wl.read_tx()?.unwrap(), b"\nTx beta:\nping\n");
/// wl.close(false)?;
/// assert!(!tx.exists());
/// # Ok::<(), hio::Error>(())
/// ```
#[derive(Debug)]
pub struct WireLog {
    rxed: bool,
    txed: bool,
    samed: bool,
    filed: bool,
    format: WireFormat,
    name: String,
    temp: bool,
    prefix: String,
    head_dir_path: PathBuf,
    home_dir: Option<PathBuf>,
    temp_head_dir: Option<PathBuf>,
    dir_path: Option<PathBuf>,
    dir_is_temp: bool,
    rx_path: Option<PathBuf>,
    tx_path: Option<PathBuf>,
    logs: Logs,
    scratch: Vec<u8>,
    opened: bool,
}

impl WireLog {
    /// Default prefix of the log directory (`Prefix`).
    pub const PREFIX: &'static str = "hio";
    /// Default head of the persistent directory (`HeadDirPath`).
    pub const HEAD_DIR_PATH: &'static str = "/usr/local/var";
    /// Directory after the prefix (`TailDirPath`).
    pub const TAIL_DIR_PATH: &'static str = "wirelogs";
    /// Name prefix of a temp directory (`TempPrefix`).
    pub const TEMP_PREFIX: &'static str = "test_";
    /// Name suffix of a temp directory (`TempSuffix`).
    pub const TEMP_SUFFIX: &'static str = "_temp";

    /// A builder with the defaults.
    pub fn builder() -> WireLogBuilder {
        WireLogBuilder::default()
    }

    /// Whether the logs are open.
    pub fn opened(&self) -> bool {
        self.opened
    }

    /// Whether received bytes are logged.
    pub fn rxed(&self) -> bool {
        self.rxed
    }

    /// Whether transmitted bytes are logged.
    pub fn txed(&self) -> bool {
        self.txed
    }

    /// Whether both directions share one log.
    pub fn samed(&self) -> bool {
        self.samed
    }

    /// Whether the logs are files.
    pub fn filed(&self) -> bool {
        self.filed
    }

    /// Whether files go to a temp directory.
    pub fn temp(&self) -> bool {
        self.temp
    }

    /// The file name's first part.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The record format.
    pub fn format(&self) -> WireFormat {
        self.format
    }

    /// The directory holding the log files, when filed and open (kept after
    /// a close that does not remove it).
    pub fn dir_path(&self) -> Option<&Path> {
        self.dir_path.as_deref()
    }

    /// The file receptions are logged to (the shared file when `samed`).
    pub fn rx_path(&self) -> Option<&Path> {
        self.rx_path.as_deref()
    }

    /// The file transmissions are logged to (the shared file when `samed`).
    pub fn tx_path(&self) -> Option<&Path> {
        self.tx_path.as_deref()
    }

    /// Closes (see [`close`](WireLog::close)), then opens fresh logs: new
    /// buffers, or new timestamped files. `temp`, if given, switches to or
    /// from a temp directory first.
    pub fn reopen(&mut self, temp: Option<bool>) -> Result<()> {
        self.close(false)?;
        if let Some(temp) = temp {
            self.temp = temp;
        }
        self.rx_path = None;
        self.tx_path = None;
        if !(self.rxed || self.txed) {
            self.opened = true;
            return Ok(());
        }
        if !self.filed {
            let memory = || Some(Sink::Memory(Vec::new()));
            self.logs = if self.samed {
                Logs::Same(Sink::Memory(Vec::new()))
            } else {
                Logs::Split {
                    rx: if self.rxed { memory() } else { None },
                    tx: if self.txed { memory() } else { None },
                }
            };
            self.opened = true;
            return Ok(());
        }

        let (dir, is_temp) = self.make_dir()?;
        self.dir_path = Some(dir.clone());
        self.dir_is_temp = is_temp;
        let stamp = chrono::Utc::now()
            .format("%Y-%m-%d_%H-%M-%S_%6f")
            .to_string();
        let opened = if self.samed {
            let path = dir.join(format!("{}.{stamp}.log", self.name));
            create_log(&path).map(|file| {
                self.rx_path = self.rxed.then(|| path.clone());
                self.tx_path = self.txed.then(|| path.clone());
                Logs::Same(Sink::File(file))
            })
        } else {
            let rx = dir.join(format!("{}.{stamp}.rx.log", self.name));
            let tx = dir.join(format!("{}.{stamp}.tx.log", self.name));
            let rx_file = if self.rxed {
                create_log(&rx).map(Some)
            } else {
                Ok(None)
            };
            let tx_file = if self.txed {
                create_log(&tx).map(Some)
            } else {
                Ok(None)
            };
            match (rx_file, tx_file) {
                (Ok(rx_file), Ok(tx_file)) => {
                    self.rx_path = rx_file.is_some().then_some(rx);
                    self.tx_path = tx_file.is_some().then_some(tx);
                    Ok(Logs::Split {
                        rx: rx_file.map(Sink::File),
                        tx: tx_file.map(Sink::File),
                    })
                }
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        };
        match opened {
            Ok(logs) => {
                self.logs = logs;
                self.opened = true;
                Ok(())
            }
            Err(e) => {
                // Leave nothing half-made behind in a temp directory.
                if is_temp {
                    let _ = remove_tree(&dir);
                    self.dir_path = None;
                }
                Err(e)
            }
        }
    }

    /// Flushes and closes the logs. A temp log's directory is removed; with
    /// `clear`, a persistent log's files are removed too (and its directory,
    /// if that leaves it empty). Safe to call twice.
    pub fn close(&mut self, clear: bool) -> Result<()> {
        let flushed = self.flush();
        self.logs = Logs::Closed;
        self.opened = false;
        if let Some(dir) = self.dir_path.clone() {
            if self.dir_is_temp {
                remove_tree(&dir)?;
                self.dir_path = None;
                self.rx_path = None;
                self.tx_path = None;
            } else if clear {
                for path in [self.rx_path.take(), self.tx_path.take()]
                    .into_iter()
                    .flatten()
                {
                    match fs::remove_file(&path) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => {
                            return Err(path_err("cannot remove", &path, &e));
                        }
                        _ => {}
                    }
                }
                // Other logs may share the directory: only an empty one goes.
                let _ = fs::remove_dir(&dir);
                self.dir_path = None;
            }
        }
        flushed
    }

    /// Writes file logs to disk (`fsync`); nothing for memory logs.
    pub fn flush(&mut self) -> Result<()> {
        match &mut self.logs {
            Logs::Closed => Ok(()),
            Logs::Same(sink) => sink.flush(),
            Logs::Split { rx, tx } => {
                let r = rx.as_mut().map_or(Ok(()), Sink::flush);
                let t = tx.as_mut().map_or(Ok(()), Sink::flush);
                r.and(t)
            }
        }
    }

    /// Logs `data` received from `who`.
    #[doc(alias = "writeRx")]
    pub fn write_rx<'a>(&mut self, data: impl AsRef<[u8]>, who: impl Into<Who<'a>>) -> Result<()> {
        self.write(Dx::Rx, data.as_ref(), &who.into())
    }

    /// Logs `data` sent to `who`.
    #[doc(alias = "writeTx")]
    pub fn write_tx<'a>(&mut self, data: impl AsRef<[u8]>, who: impl Into<Who<'a>>) -> Result<()> {
        self.write(Dx::Tx, data.as_ref(), &who.into())
    }

    /// Everything in the rx log (the shared log when `samed`), or `None`
    /// when closed or not logging receptions.
    #[doc(alias = "readRx")]
    pub fn read_rx(&self) -> Result<Option<Vec<u8>>> {
        self.sink(Dx::Rx).map(Sink::read).transpose()
    }

    /// Everything in the tx log (the shared log when `samed`), or `None`
    /// when closed or not logging transmissions.
    #[doc(alias = "readTx")]
    pub fn read_tx(&self) -> Result<Option<Vec<u8>>> {
        self.sink(Dx::Tx).map(Sink::read).transpose()
    }

    fn enabled(&self, dx: Dx) -> bool {
        match dx {
            Dx::Rx => self.rxed,
            Dx::Tx => self.txed,
        }
    }

    fn sink(&self, dx: Dx) -> Option<&Sink> {
        if !self.enabled(dx) {
            return None;
        }
        match &self.logs {
            Logs::Closed => None,
            Logs::Same(sink) => Some(sink),
            Logs::Split { rx, tx } => match dx {
                Dx::Rx => rx.as_ref(),
                Dx::Tx => tx.as_ref(),
            },
        }
    }

    fn write(&mut self, dx: Dx, data: &[u8], who: &Who<'_>) -> Result<()> {
        if !self.enabled(dx) {
            return Ok(());
        }
        let sink = match &mut self.logs {
            Logs::Closed => return Ok(()),
            Logs::Same(sink) => Some(sink),
            Logs::Split { rx, tx } => match dx {
                Dx::Rx => rx.as_mut(),
                Dx::Tx => tx.as_mut(),
            },
        };
        match sink {
            Some(sink) => sink.write(&mut self.scratch, &self.format, dx, who, data),
            None => Ok(()),
        }
    }

    /// The directory for log files, made if needed; `true` if it is a fresh
    /// temp directory.
    fn make_dir(&self) -> Result<(PathBuf, bool)> {
        let home = || match &self.home_dir {
            Some(home) => absolute(home).map(Some),
            None => Ok(std::env::home_dir()),
        };
        if self.temp {
            let head = match &self.temp_head_dir {
                Some(dir) => absolute(dir)?,
                None => default_temp_head_dir(),
            };
            let parent = normalize(&head.join(&self.prefix).join(Self::TAIL_DIR_PATH));
            fs::create_dir_all(&parent).map_err(|e| path_err("cannot create", &parent, &e))?;
            let dir = make_temp_dir(&parent, Self::TEMP_PREFIX, Self::TEMP_SUFFIX)?;
            return Ok((dir, true));
        }
        let head = expand_home(&self.head_dir_path, home)?;
        let primary = absolute(&head.join(&self.prefix).join(Self::TAIL_DIR_PATH))?;
        let tried = if primary.exists() {
            if accessible(&primary) {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "not readable and writable",
                ))
            }
        } else {
            fs::create_dir_all(&primary)
        };
        let Err(first) = tried else {
            return Ok((primary, false));
        };
        let Some(home) = home()? else {
            return Err(path_err(
                "cannot use (and no home directory for the alternate path)",
                &primary,
                &first,
            ));
        };
        let alt = normalize(
            &home
                .join(format!(".{}", self.prefix))
                .join(Self::TAIL_DIR_PATH),
        );
        tracing::debug!(primary = %primary.display(), alt = %alt.display(), error = %first, "wirelog falls back to the alternate directory");
        fs::create_dir_all(&alt).map_err(|e| {
            Error::Filer(format!(
                "cannot use {} ({first}) nor the alternate {} ({e})",
                primary.display(),
                alt.display()
            ))
        })?;
        Ok((alt, false))
    }
}

fn create_log(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| path_err("cannot create log", path, &e))
}

/// A WireLog name is one plain file-name part.
fn check_file_name(name: &str) -> Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return Err(Error::Filer(format!(
            "wirelog name {name:?} must be a plain file name (no `/`, not `.` or `..`)"
        )));
    }
    Ok(())
}

/// Runs a [`WireLog`] in a scheduler (HIO's `WireLogDoer`): `enter` opens
/// it if it is not open (in temp mode when the scheduler says `temp`),
/// `recur` does nothing and never completes, `exit` closes it.
///
/// ```
/// use hio::{Doist, WireLog, WireLogDoer};
///
/// let mut doist = Doist::new(0.03125).with_limit(0.125);
/// let doer = doist.add(WireLogDoer::new(WireLog::builder().samed(true).build()?));
/// doist.enter()?;
/// let wl = doist.get_mut(doer).unwrap().wire_log_mut();
/// assert!(wl.opened());
/// wl.write_rx(b"hi", "alpha")?;
/// doist.exit()?;
/// assert!(!doist.get(doer).unwrap().wire_log().opened());
/// # Ok::<(), hio::Error>(())
/// ```
#[derive(Debug)]
pub struct WireLogDoer {
    wl: WireLog,
}

impl WireLogDoer {
    /// Wraps a WireLog.
    pub fn new(wl: WireLog) -> Self {
        WireLogDoer { wl }
    }

    /// The WireLog.
    pub fn wire_log(&self) -> &WireLog {
        &self.wl
    }

    /// The WireLog, mutably.
    pub fn wire_log_mut(&mut self) -> &mut WireLog {
        &mut self.wl
    }

    /// Unwraps the WireLog.
    pub fn into_wire_log(self) -> WireLog {
        self.wl
    }
}

impl Doer for WireLogDoer {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        if !self.wl.opened() {
            self.wl.reopen(cx.temp().then_some(true))?;
        }
        Ok(())
    }

    fn recur(&mut self, _cx: &mut Cx<'_>) -> Result<bool> {
        Ok(false)
    }

    fn exit(&mut self, _cx: &mut Cx<'_>) -> Result<()> {
        self.wl.close(false)
    }
}
