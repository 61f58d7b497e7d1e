//! [`Filer`]: one directory or one file at a computed path (HIO's
//! `base/filing.py`), and [`FilerDoer`], which opens and closes a Filer
//! inside a scheduler.
//!
//! The path rules are user-visible (KERI keeps its databases and key stores
//! at Filer paths), so they follow HIO exactly:
//!
//! ```text
//! persistent:  <head>/<tail or clean tail>/<base>/<name>
//! alternate:   <home>/<alt tail or alt clean tail>/<base>/<name>
//! temp:        <temp head>/<prefix>XXXXXXXX<suffix>/<tail or clean tail>/<base>/<name>
//! ```
//!
//! `head` defaults to `/usr/local/var`, `home` to the user's home directory
//! and `temp head` to the platform temp directory (`/tmp` on macOS, where
//! `$TMPDIR` is too long for Unix socket paths). All three can be injected
//! with [`FilerBuilder`], so tests never touch the real ones. The tails,
//! temp prefix and suffix, permissions and file extension come from a
//! [`FilerDefaults`]: [`FilerDefaults::FILER`] for plain Filers,
//! [`FilerDefaults::UXD`] for Unix datagram sockets, or your own `const`.
//!
//! The alternate path is used when the persistent path cannot be created
//! (for example `/usr/local/var` is not writable) or exists but is not
//! readable and writable.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::hash::{BuildHasher, Hasher, RandomState};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::doing::{Cx, Doer};
use crate::error::{Error, Result};

/// The longest Unix-domain socket path, in bytes, that can be bound.
///
/// `sun_path` holds 108 bytes on Linux (104 on macOS and the BSDs) and Rust's
/// standard library keeps one of them for the terminating NUL, so the usable
/// length is one less. Python HIO checks `len(path) > 108`
/// (`MaxUxdPathSize`); a 108-byte path passes that check on Linux but cannot
/// be bound from Rust, so it is refused here with a clear error instead of
/// failing later in `bind`.
///
/// ```
/// assert!(hio::filing::MAX_UXD_PATH_LEN >= 103);
/// ```
pub const MAX_UXD_PATH_LEN: usize = if cfg!(any(target_os = "linux", target_os = "android")) {
    107
} else {
    103
};

/// Checks that `path` fits a Unix-domain socket address
/// ([`MAX_UXD_PATH_LEN`] bytes), with [`Error::Size`] if it does not.
///
/// A UXD peer calls this on its [`Filer`] path before binding.
///
/// ```
/// use std::path::Path;
/// use hio::{Error, filing::check_uxd_path_len};
///
/// assert!(check_uxd_path_len(Path::new("/tmp/hio/uxd/alpha.uxd")).is_ok());
/// let long = format!("/tmp/{}.uxd", "a".repeat(125));
/// let err = check_uxd_path_len(Path::new(&long)).unwrap_err();
/// assert!(matches!(err, Error::Size { size: 134, .. }));
/// ```
pub fn check_uxd_path_len(path: &Path) -> Result<()> {
    let size = path.as_os_str().as_bytes().len();
    if size > MAX_UXD_PATH_LEN {
        return Err(Error::Size {
            what: format!("unix socket path {}", path.display()),
            size,
            max: MAX_UXD_PATH_LEN,
        });
    }
    Ok(())
}

/// How a [`Filer`] opens a file that already exists (HIO's `mode`).
///
/// A file that does not exist yet is always created exclusively, readable
/// and writable, with the Filer's permissions (Python's `w+`).
///
/// ```
/// use hio::FileMode;
/// assert_eq!(FileMode::default(), FileMode::ReadWrite);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FileMode {
    /// Read and write, no truncation (Python `r+`, the default).
    #[default]
    ReadWrite,
    /// Read only (Python `r`).
    Read,
    /// Read, and write at the end (Python `a+`).
    Append,
    /// Read and write, truncated to empty (Python `w+`).
    Truncate,
}

impl FileMode {
    fn open(self, path: &Path) -> io::Result<File> {
        let mut opts = OpenOptions::new();
        opts.read(true);
        match self {
            FileMode::ReadWrite => opts.write(true),
            FileMode::Read => &mut opts,
            FileMode::Append => opts.append(true),
            FileMode::Truncate => opts.write(true).truncate(true),
        };
        opts.open(path)
    }
}

/// The class-level defaults of a Filer family (HIO's class attributes
/// `HeadDirPath`, `TailDirPath`, …), `const` so that each family (plain
/// Filers, UXD peers, a database) declares its own.
///
/// ```
/// use hio::{FileMode, FilerDefaults};
///
/// /// Defaults for a keystore, KERI-style.
/// const KEEPER: FilerDefaults = FilerDefaults {
///     tail_dir_path: "keri/ks",
///     clean_tail_dir_path: "keri/clean/ks",
///     alt_tail_dir_path: ".keri/ks",
///     alt_clean_tail_dir_path: ".keri/clean/ks",
///     temp_prefix: "keri_ks_",
///     ..FilerDefaults::FILER
/// };
/// assert_eq!(KEEPER.head_dir_path, "/usr/local/var");
/// assert_eq!(FilerDefaults::UXD.fext, "uxd");
/// assert_eq!(FilerDefaults::FILER.mode, FileMode::ReadWrite);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FilerDefaults {
    /// Head of the persistent path (`HeadDirPath`), e.g. `/usr/local/var`.
    /// A leading `~` means the home directory.
    pub head_dir_path: &'static str,
    /// Relative tail after the head (`TailDirPath`), e.g. `hio`.
    pub tail_dir_path: &'static str,
    /// Tail used instead when `clean` (`CleanTailDirPath`).
    pub clean_tail_dir_path: &'static str,
    /// Tail after the home directory for the alternate path
    /// (`AltTailDirPath`), e.g. `.hio`.
    pub alt_tail_dir_path: &'static str,
    /// Alternate tail when `clean` (`AltCleanTailDirPath`).
    pub alt_clean_tail_dir_path: &'static str,
    /// Name prefix of a temp root (`TempPrefix`), e.g. `hio_`.
    pub temp_prefix: &'static str,
    /// Name suffix of a temp root (`TempSuffix`), e.g. `_test`.
    pub temp_suffix: &'static str,
    /// Permission bits of the path (`Perm`), e.g. `0o1700`.
    pub perm: u32,
    /// How an existing file is opened (`Mode`).
    pub mode: FileMode,
    /// Extension added to a filed or extensioned name without one (`Fext`).
    pub fext: &'static str,
}

impl FilerDefaults {
    /// HIO's `Filer` defaults: `/usr/local/var/hio/…`, `~/.hio/…`, temp roots
    /// `hio_XXXXXXXX_test`, perm `0o1700`, extension `text`.
    pub const FILER: FilerDefaults = FilerDefaults {
        head_dir_path: "/usr/local/var",
        tail_dir_path: "hio",
        clean_tail_dir_path: "hio/clean",
        alt_tail_dir_path: ".hio",
        alt_clean_tail_dir_path: ".hio/clean",
        temp_prefix: "hio_",
        temp_suffix: "_test",
        perm: 0o1700,
        mode: FileMode::ReadWrite,
        fext: "text",
    };

    /// HIO's UXD `Peer` defaults: `/usr/local/var/hio/uxd/<name>.uxd`,
    /// `~/.hio/uxd/…`, temp roots `hio_uxd_XXXXXXXX_test`, extension `uxd`.
    pub const UXD: FilerDefaults = FilerDefaults {
        head_dir_path: "/usr/local/var",
        tail_dir_path: "hio/uxd",
        clean_tail_dir_path: "hio/clean/uxd",
        alt_tail_dir_path: ".hio/uxd",
        alt_clean_tail_dir_path: ".hio/clean/uxd",
        temp_prefix: "hio_uxd_",
        temp_suffix: "_test",
        perm: 0o1700,
        mode: FileMode::ReadWrite,
        fext: "uxd",
    };

    fn validate(&self) -> Result<()> {
        check_rel("head tail", self.tail_dir_path, true)?;
        check_rel("clean tail", self.clean_tail_dir_path, true)?;
        check_rel("alternate tail", self.alt_tail_dir_path, true)?;
        check_rel("alternate clean tail", self.alt_clean_tail_dir_path, true)?;
        check_part("temp prefix", self.temp_prefix)?;
        check_part("temp suffix", self.temp_suffix)?;
        check_perm(self.perm)?;
        check_fext(self.fext)
    }
}

impl Default for FilerDefaults {
    fn default() -> Self {
        FilerDefaults::FILER
    }
}

/// Builds a [`Filer`]: [`build`](FilerBuilder::build) gives it unopened
/// (Python `reopen=False`), [`open`](FilerBuilder::open) creates its path
/// right away (Python's default `reopen=True`).
///
/// ```
/// use hio::{Filer, FilerDefaults};
///
/// let filer = Filer::builder().name("conf").base("alpha").temp(true).build()?;
/// assert!(!filer.opened());
/// assert_eq!(filer.path(), None);
/// assert_eq!(filer.defaults(), &FilerDefaults::FILER);
/// # Ok::<(), hio::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct FilerBuilder {
    defaults: FilerDefaults,
    name: String,
    base: String,
    temp: bool,
    head_dir_path: Option<PathBuf>,
    home_dir: Option<PathBuf>,
    temp_head_dir: Option<PathBuf>,
    perm: Option<u32>,
    clean: bool,
    filed: bool,
    extensioned: bool,
    mode: Option<FileMode>,
    fext: Option<String>,
}

impl Default for FilerBuilder {
    fn default() -> Self {
        FilerBuilder::new(FilerDefaults::FILER)
    }
}

impl FilerBuilder {
    /// A builder with the given family defaults and name `main`.
    pub fn new(defaults: FilerDefaults) -> Self {
        FilerBuilder {
            defaults,
            name: "main".into(),
            base: String::new(),
            temp: false,
            head_dir_path: None,
            home_dir: None,
            temp_head_dir: None,
            perm: None,
            clean: false,
            filed: false,
            extensioned: false,
            mode: None,
            fext: None,
        }
    }

    /// The family defaults (tails, temp prefix, perm, extension).
    pub fn defaults(mut self, defaults: FilerDefaults) -> Self {
        self.defaults = defaults;
        self
    }

    /// The last path component(s); relative, without `..`. Default `main`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Optional relative path inserted before the name. Default empty.
    pub fn base(mut self, base: impl Into<String>) -> Self {
        self.base = base.into();
        self
    }

    /// Use a fresh temp root instead of the persistent path.
    pub fn temp(mut self, temp: bool) -> Self {
        self.temp = temp;
        self
    }

    /// Head of the persistent path instead of the defaults' (HIO's
    /// `headDirPath`).
    pub fn head_dir_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.head_dir_path = Some(path.into());
        self
    }

    /// The home directory that heads the alternate path (HIO's
    /// `AltHeadDirPath`, `~`). Default: the user's home directory.
    pub fn home_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.home_dir = Some(path.into());
        self
    }

    /// The directory temp roots are made in (HIO's `TempHeadDir`). Default:
    /// the platform temp directory (`/tmp` on macOS).
    pub fn temp_head_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.temp_head_dir = Some(path.into());
        self
    }

    /// Permission bits instead of the defaults' (e.g. `0o1700`).
    pub fn perm(mut self, perm: u32) -> Self {
        self.perm = Some(perm);
        self
    }

    /// Use the clean tail and delete whatever is at the path before
    /// (re)making it.
    pub fn clean(mut self, clean: bool) -> Self {
        self.clean = clean;
        self
    }

    /// The path is a file (created, or reopened without truncation).
    pub fn filed(mut self, filed: bool) -> Self {
        self.filed = filed;
        self
    }

    /// The path is left for someone else (a socket, a database file): only
    /// its parent directory is made, and it gets the extension if the name
    /// has none. Ignored when `filed`.
    pub fn extensioned(mut self, extensioned: bool) -> Self {
        self.extensioned = extensioned;
        self
    }

    /// How an existing file is opened, instead of the defaults'.
    pub fn mode(mut self, mode: FileMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// File extension (without the dot) instead of the defaults'.
    pub fn fext(mut self, fext: impl Into<String>) -> Self {
        self.fext = Some(fext.into());
        self
    }

    /// The Filer, validated but not opened: nothing is created.
    pub fn build(self) -> Result<Filer> {
        let d = self.defaults;
        d.validate()?;
        check_rel("name", &self.name, false)?;
        check_rel("base", &self.base, true)?;
        let perm = self.perm.unwrap_or(d.perm);
        check_perm(perm)?;
        let fext = self.fext.unwrap_or_else(|| d.fext.to_owned());
        check_fext(&fext)?;
        Ok(Filer {
            defaults: d,
            name: self.name,
            base: self.base,
            temp: self.temp,
            head_dir_path: self
                .head_dir_path
                .unwrap_or_else(|| PathBuf::from(d.head_dir_path)),
            home_dir: self.home_dir,
            temp_head_dir: self.temp_head_dir,
            perm,
            clean: self.clean,
            filed: self.filed,
            extensioned: self.extensioned && !self.filed,
            mode: self.mode.unwrap_or(d.mode),
            fext,
            path: None,
            file: None,
            temp_root: None,
            opened: false,
        })
    }

    /// The Filer, with its directory or file made and opened.
    pub fn open(self) -> Result<Filer> {
        let mut filer = self.build()?;
        filer.reopen(ReopenOpts::new())?;
        Ok(filer)
    }
}

/// What [`Filer::reopen`] changes; the default changes nothing.
///
/// ```
/// use hio::ReopenOpts;
/// let opts = ReopenOpts::new().temp(true).reuse(true);
/// # let _ = opts;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ReopenOpts {
    temp: Option<bool>,
    head_dir_path: Option<PathBuf>,
    perm: Option<u32>,
    clear: bool,
    reuse: bool,
    clean: Option<bool>,
    mode: Option<FileMode>,
    fext: Option<String>,
}

impl ReopenOpts {
    /// Changes nothing: close, then remake at the same settings.
    pub fn new() -> Self {
        ReopenOpts::default()
    }

    /// Switch to (or from) a temp root.
    pub fn temp(mut self, temp: bool) -> Self {
        self.temp = Some(temp);
        self
    }

    /// A new head for the persistent path.
    pub fn head_dir_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.head_dir_path = Some(path.into());
        self
    }

    /// New permission bits.
    pub fn perm(mut self, perm: u32) -> Self {
        self.perm = Some(perm);
        self
    }

    /// Remove the old path while closing (see [`Filer::close`]).
    pub fn clear(mut self, clear: bool) -> Self {
        self.clear = clear;
        self
    }

    /// Keep the current path if it still exists instead of remaking it (a
    /// filed Filer just reopens its file).
    pub fn reuse(mut self, reuse: bool) -> Self {
        self.reuse = reuse;
        self
    }

    /// Switch to (or from) the clean tail.
    pub fn clean(mut self, clean: bool) -> Self {
        self.clean = Some(clean);
        self
    }

    /// A new open mode for an existing file.
    pub fn mode(mut self, mode: FileMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// A new file extension.
    pub fn fext(mut self, fext: impl Into<String>) -> Self {
        self.fext = Some(fext.into());
        self
    }
}

/// One directory, or one file, at a computed path (HIO's `Filer`).
///
/// Build it with [`Filer::builder`]. Three kinds:
///
/// - a **directory** (the default): made with its parents, permissions set;
/// - **filed**: a file, created exclusively with the Filer's permissions or,
///   if it exists, opened with the Filer's [`FileMode`] (no truncation by
///   default); its name gets `.<fext>` if it has no extension;
/// - **extensioned**: only the parent directory is made; the path (which
///   gets `.<fext>` if the name has no extension) is left for a socket or a
///   database to create.
///
/// ```
/// use std::io::{Read, Seek, Write};
/// use hio::Filer;
///
/// let mut filer = Filer::builder().name("test").base("conf").filed(true).temp(true).open()?;
/// let path = filer.path().unwrap().to_owned();
/// assert!(path.ends_with("hio/conf/test.text"));
/// let file = filer.file_mut().unwrap();
/// file.write_all(b"Hello Jim\n")?;
/// file.rewind()?;
/// let mut text = String::new();
/// file.read_to_string(&mut text)?;
/// assert_eq!(text, "Hello Jim\n");
///
/// filer.close(true)?; // a temp Filer removes its whole temp root
/// assert!(!path.exists());
/// # Ok::<(), hio::Error>(())
/// ```
///
/// A UXD socket path (the parent directory exists, the socket does not):
///
/// ```
/// use hio::{Filer, FilerDefaults, filing::check_uxd_path_len};
///
/// let mut filer = Filer::builder()
///     .defaults(FilerDefaults::UXD)
///     .name("alpha")
///     .temp(true)
///     .extensioned(true)
///     .open()?;
/// let path = filer.path().unwrap();
/// assert!(path.ends_with("hio/uxd/alpha.uxd"));
/// assert!(path.parent().unwrap().is_dir() && !path.exists());
/// check_uxd_path_len(path)?;
/// filer.close(true)?;
/// # Ok::<(), hio::Error>(())
/// ```
#[derive(Debug)]
pub struct Filer {
    defaults: FilerDefaults,
    name: String,
    base: String,
    temp: bool,
    head_dir_path: PathBuf,
    home_dir: Option<PathBuf>,
    temp_head_dir: Option<PathBuf>,
    perm: u32,
    clean: bool,
    filed: bool,
    extensioned: bool,
    mode: FileMode,
    fext: String,
    path: Option<PathBuf>,
    file: Option<File>,
    temp_root: Option<PathBuf>,
    opened: bool,
}

impl Filer {
    /// A builder with [`FilerDefaults::FILER`] and name `main`.
    pub fn builder() -> FilerBuilder {
        FilerBuilder::default()
    }

    /// The family defaults.
    pub fn defaults(&self) -> &FilerDefaults {
        &self.defaults
    }

    /// The name (last path component(s), before any extension is added).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The base inserted before the name.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether this Filer uses a temp root.
    pub fn temp(&self) -> bool {
        self.temp
    }

    /// Head of the persistent path.
    pub fn head_dir_path(&self) -> &Path {
        &self.head_dir_path
    }

    /// Permission bits.
    pub fn perm(&self) -> u32 {
        self.perm
    }

    /// Whether this Filer uses the clean tail.
    pub fn clean(&self) -> bool {
        self.clean
    }

    /// Whether the path is a file.
    pub fn filed(&self) -> bool {
        self.filed
    }

    /// Whether the path is left for someone else to create.
    pub fn extensioned(&self) -> bool {
        self.extensioned
    }

    /// How an existing file is opened.
    pub fn mode(&self) -> FileMode {
        self.mode
    }

    /// The file extension.
    pub fn fext(&self) -> &str {
        &self.fext
    }

    /// The full path once made (kept after `close` until it is cleared).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The temp root this Filer's path lives in, for a temp Filer.
    pub fn temp_root(&self) -> Option<&Path> {
        self.temp_root.as_deref()
    }

    /// The open file of a filed Filer.
    pub fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// The open file of a filed Filer, mutably.
    pub fn file_mut(&mut self) -> Option<&mut File> {
        self.file.as_mut()
    }

    /// True when the directory is made, or (filed) the file is open.
    pub fn opened(&self) -> bool {
        self.opened
    }

    /// Closes (removing the old path if `clear`), applies `opts`, then makes
    /// the path again, unless `reuse` is set and the path still exists, in
    /// which case a filed Filer just reopens its file.
    ///
    /// A temp Filer gets a fresh temp root each time it is remade; its old
    /// root is removed then.
    ///
    /// ```
    /// use hio::{Filer, ReopenOpts};
    ///
    /// let mut filer = Filer::builder().name("test").temp(true).open()?;
    /// let first = filer.path().unwrap().to_owned();
    /// filer.reopen(ReopenOpts::new().reuse(true))?;
    /// assert_eq!(filer.path(), Some(first.as_path()));
    /// filer.reopen(ReopenOpts::new())?; // remade: a new temp root
    /// assert_ne!(filer.path(), Some(first.as_path()));
    /// assert!(!first.exists());
    /// filer.close(true)?;
    /// # Ok::<(), hio::Error>(())
    /// ```
    pub fn reopen(&mut self, opts: ReopenOpts) -> Result<()> {
        if let Some(perm) = opts.perm {
            check_perm(perm)?;
        }
        if let Some(fext) = &opts.fext {
            check_fext(fext)?;
        }
        self.close(opts.clear)?;
        if let Some(temp) = opts.temp {
            self.temp = temp;
        }
        if let Some(head) = opts.head_dir_path {
            self.head_dir_path = head;
        }
        if let Some(perm) = opts.perm {
            self.perm = perm;
        }
        if let Some(clean) = opts.clean {
            self.clean = clean;
        }
        if let Some(mode) = opts.mode {
            self.mode = mode;
        }
        if let Some(fext) = opts.fext {
            self.fext = fext;
        }

        // Reuse only a path made in the current temp/persistent mode.
        let reusable = match &self.path {
            Some(path) if opts.reuse && path.exists() && self.temp == self.temp_root.is_some() => {
                Some(path.clone())
            }
            _ => None,
        };
        if let Some(path) = reusable {
            if self.filed {
                let file = open_or_create(&path, self.mode, self.perm)
                    .map_err(|e| path_err("cannot open", &path, &e))?;
                self.file = Some(file);
            }
        } else {
            // The old temp root (if any) is abandoned by the remake: remove it.
            if let Some(old) = self.temp_root.take() {
                remove_tree(&old)?;
            }
            self.path = None;
            let made = self.remake()?;
            self.path = Some(made.path);
            self.file = made.file;
            self.temp_root = made.temp_root;
        }
        self.opened = !self.filed || self.file.is_some();
        Ok(())
    }

    /// Syncs and closes the file (if filed). With `clear`, removes the path:
    /// the whole temp root for a temp Filer; otherwise the file, the
    /// extensioned entry, or the directory tree. Safe to call twice.
    ///
    /// ```
    /// use hio::Filer;
    ///
    /// let mut filer = Filer::builder().temp(true).open()?;
    /// let root = filer.temp_root().unwrap().to_owned();
    /// filer.close(false)?;
    /// assert!(!filer.opened() && root.exists());
    /// filer.close(true)?;
    /// assert!(!root.exists());
    /// # Ok::<(), hio::Error>(())
    /// ```
    pub fn close(&mut self, clear: bool) -> Result<()> {
        let synced = self.flush();
        self.file = None;
        self.opened = false;
        if clear {
            self.clear_path()?;
        }
        synced
    }

    /// Writes the file's data to disk (`fsync`), if filed and open.
    pub fn flush(&mut self) -> Result<()> {
        if let Some(file) = self.file.as_mut() {
            file.flush()?;
            file.sync_all()?;
        }
        Ok(())
    }

    /// Whether the persistent path, or else the alternate path, exists for
    /// this Filer's name, base, head, clean, filed/extensioned and fext (a
    /// temp root is never consulted). Works on an unopened Filer.
    ///
    /// ```
    /// use hio::Filer;
    /// let dir = std::env::temp_dir().join(format!("hio-doc-exists-{}", std::process::id()));
    /// let filer = Filer::builder().name("nothing").head_dir_path(&dir).home_dir(&dir).build()?;
    /// assert!(!filer.exists()?);
    /// # Ok::<(), hio::Error>(())
    /// ```
    pub fn exists(&self) -> Result<bool> {
        let rel = self.rel_path();
        let primary = self.primary_path(&rel)?;
        if primary.exists() {
            return Ok(true);
        }
        Ok(match self.home()? {
            Some(home) => self.alt_path(&home, &rel).exists(),
            None => false,
        })
    }

    /// `<base>/<name>[.<fext>]`, relative.
    fn rel_path(&self) -> PathBuf {
        let mut rel = PathBuf::new();
        push_rel(&mut rel, Path::new(&self.base));
        push_rel(&mut rel, Path::new(&self.name));
        if (self.filed || self.extensioned) && rel.extension().is_none() {
            let mut file_name = rel.file_name().unwrap_or_default().to_os_string();
            file_name.push(".");
            file_name.push(&self.fext);
            rel.set_file_name(file_name);
        }
        rel
    }

    fn tail(&self) -> &'static str {
        if self.clean {
            self.defaults.clean_tail_dir_path
        } else {
            self.defaults.tail_dir_path
        }
    }

    fn alt_tail(&self) -> &'static str {
        if self.clean {
            self.defaults.alt_clean_tail_dir_path
        } else {
            self.defaults.alt_tail_dir_path
        }
    }

    fn home(&self) -> Result<Option<PathBuf>> {
        match &self.home_dir {
            Some(home) => absolute(home).map(Some),
            None => Ok(std::env::home_dir()),
        }
    }

    fn primary_path(&self, rel: &Path) -> Result<PathBuf> {
        let head = expand_home(&self.head_dir_path, || self.home())?;
        absolute(&head.join(self.tail()).join(rel))
    }

    fn alt_path(&self, home: &Path, rel: &Path) -> PathBuf {
        normalize(&home.join(self.alt_tail()).join(rel))
    }

    /// Makes the path (HIO's `remake`).
    fn remake(&self) -> Result<Made> {
        let rel = self.rel_path();
        if self.temp {
            let head = match &self.temp_head_dir {
                Some(dir) => absolute(dir)?,
                None => default_temp_head_dir(),
            };
            let root = make_temp_dir(&head, self.defaults.temp_prefix, self.defaults.temp_suffix)?;
            let path = normalize(&root.join(self.tail()).join(&rel));
            match self.create(&path) {
                Ok(file) => Ok(Made {
                    path,
                    file,
                    temp_root: Some(root),
                }),
                Err(e) => {
                    let _ = fs::remove_dir_all(&root);
                    Err(path_err("cannot create", &path, &e))
                }
            }
        } else {
            let primary = self.primary_path(&rel)?;
            if self.clean {
                remove_entry(&primary)?;
            }
            let tried = if primary.exists() {
                if accessible(&primary) {
                    // Usable: a failure to open it is an error, not a reason
                    // to go elsewhere.
                    Ok(self
                        .open_existing(&primary)
                        .map_err(|e| path_err("cannot open", &primary, &e))?)
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        "not readable and writable",
                    ))
                }
            } else {
                self.create(&primary)
            };
            let (path, file) = match tried {
                Ok(file) => (primary, file),
                Err(first) => {
                    let Some(home) = self.home()? else {
                        return Err(path_err(
                            "cannot use (and no home directory for the alternate path)",
                            &primary,
                            &first,
                        ));
                    };
                    let alt = self.alt_path(&home, &rel);
                    tracing::debug!(primary = %primary.display(), alt = %alt.display(), error = %first, "filer falls back to the alternate path");
                    if self.clean {
                        remove_entry(&alt)?;
                    }
                    let file = if alt.exists() {
                        self.open_existing(&alt)
                    } else {
                        self.create(&alt)
                    }
                    .map_err(|e| {
                        Error::Filer(format!(
                            "cannot use {} ({first}) nor the alternate {} ({e})",
                            primary.display(),
                            alt.display()
                        ))
                    })?;
                    (alt, file)
                }
            };
            if !self.extensioned {
                fs::set_permissions(&path, fs::Permissions::from_mode(self.perm))
                    .map_err(|e| path_err("cannot set permissions of", &path, &e))?;
            }
            Ok(Made {
                path,
                file,
                temp_root: None,
            })
        }
    }

    /// Creates a path that does not exist yet.
    fn create(&self, path: &Path) -> io::Result<Option<File>> {
        if self.filed || self.extensioned {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            if self.filed {
                return open_or_create(path, self.mode, self.perm).map(Some);
            }
            Ok(None)
        } else {
            fs::create_dir_all(path)?;
            Ok(None)
        }
    }

    /// Opens a path that exists.
    fn open_existing(&self, path: &Path) -> io::Result<Option<File>> {
        if self.filed {
            open_or_create(path, self.mode, self.perm).map(Some)
        } else {
            Ok(None)
        }
    }

    fn clear_path(&mut self) -> Result<()> {
        if let Some(root) = self.temp_root.take() {
            remove_tree(&root)?;
            self.path = None;
        } else if let Some(path) = self.path.take() {
            remove_entry(&path)?;
        }
        Ok(())
    }
}

struct Made {
    path: PathBuf,
    file: Option<File>,
    temp_root: Option<PathBuf>,
}

/// Runs a [`Filer`] in a scheduler (HIO's `FilerDoer`): `enter` reopens it
/// if it is not open (in temp mode when the scheduler says `temp`), `recur`
/// does nothing and never completes, `exit` closes it, clearing a temp
/// Filer.
///
/// ```
/// use hio::{Doist, Filer, FilerDoer};
///
/// let filer = Filer::builder().name("test").build()?;
/// let mut doist = Doist::new(0.03125).with_limit(0.125).with_temp(true);
/// let doer = doist.add(FilerDoer::new(filer));
/// doist.enter()?;
/// let path = doist.get(doer).unwrap().filer().path().unwrap().to_owned();
/// assert!(path.is_dir() && path.to_str().unwrap().ends_with("_test/hio/test"));
/// doist.exit()?;
/// assert!(!path.exists());
/// # Ok::<(), hio::Error>(())
/// ```
#[derive(Debug)]
pub struct FilerDoer {
    filer: Filer,
}

impl FilerDoer {
    /// Wraps a Filer.
    pub fn new(filer: Filer) -> Self {
        FilerDoer { filer }
    }

    /// The Filer.
    pub fn filer(&self) -> &Filer {
        &self.filer
    }

    /// The Filer, mutably.
    pub fn filer_mut(&mut self) -> &mut Filer {
        &mut self.filer
    }

    /// Unwraps the Filer.
    pub fn into_filer(self) -> Filer {
        self.filer
    }
}

impl Doer for FilerDoer {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        if !self.filer.opened() {
            let mut opts = ReopenOpts::new();
            if cx.temp() {
                opts = opts.temp(true);
            }
            self.filer.reopen(opts)?;
        }
        Ok(())
    }

    fn recur(&mut self, _cx: &mut Cx<'_>) -> Result<bool> {
        Ok(false)
    }

    fn exit(&mut self, _cx: &mut Cx<'_>) -> Result<()> {
        let clear = self.filer.temp();
        self.filer.close(clear)
    }
}

// ---------------------------------------------------------------------------
// Path helpers, shared with `wiring`.

/// The platform temp directory: `/tmp` on macOS (whose `$TMPDIR` is too
/// long for socket paths), [`std::env::temp_dir`] elsewhere.
pub(crate) fn default_temp_head_dir() -> PathBuf {
    if cfg!(target_os = "macos") {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    }
}

/// Eight random characters from `[a-z0-9_]`, like `mkdtemp`'s.
pub(crate) fn random_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    let mut v = h.finish();
    let n = CHARS.len() as u64;
    (0..8)
        .map(|_| {
            let c = CHARS[(v % n) as usize];
            v /= n;
            char::from(c)
        })
        .collect()
}

/// Makes a new directory `<dir>/<prefix>XXXXXXXX<suffix>`, mode `0o700`, that
/// did not exist before (Python's `tempfile.mkdtemp`).
pub(crate) fn make_temp_dir(dir: &Path, prefix: &str, suffix: &str) -> Result<PathBuf> {
    let mut last = None;
    for _ in 0..64 {
        let path = dir.join(format!("{prefix}{}{suffix}", random_token()));
        match DirBuilder::new().mode(0o700).create(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(path_err("cannot create temp directory", &path, &e)),
        }
    }
    let e = last.unwrap_or_else(|| io::Error::other("no free name"));
    Err(path_err("cannot create a temp directory in", dir, &e))
}

/// Creates `path` exclusively (read/write, `perm`), or opens it with `mode`
/// if it exists (HIO's `ocfn`).
fn open_or_create(path: &Path, mode: FileMode, perm: u32) -> io::Result<File> {
    match OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(perm)
        .open(path)
    {
        Ok(file) => Ok(file),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => mode.open(path),
        Err(e) => Err(e),
    }
}

/// Whether an existing path is readable and writable by this process, by
/// trying (std has no `access(2)`): a file is opened read/write; a
/// directory is listed and a probe entry is made in it and removed; any
/// other entry (a socket) counts as accessible when its directory is.
pub(crate) fn accessible(path: &Path) -> bool {
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    if meta.is_dir() {
        fs::read_dir(path).is_ok() && dir_writable(path)
    } else if meta.is_file() {
        OpenOptions::new().read(true).write(true).open(path).is_ok()
    } else {
        path.parent().is_some_and(dir_writable)
    }
}

fn dir_writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".hio-probe-{}", random_token()));
    match DirBuilder::new().create(&probe) {
        Ok(()) => {
            let _ = fs::remove_dir(&probe);
            true
        }
        Err(_) => false,
    }
}

/// Removes whatever is at `path` (a directory tree, or a single entry);
/// nothing there is fine.
pub(crate) fn remove_entry(path: &Path) -> Result<()> {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Ok(());
    };
    let removed = if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    match removed {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(path_err("cannot remove", path, &e)),
        _ => Ok(()),
    }
}

/// Removes a directory tree; a missing one is fine.
pub(crate) fn remove_tree(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(path_err("cannot remove", path, &e)),
        _ => Ok(()),
    }
}

pub(crate) fn path_err(what: &str, path: &Path, err: &io::Error) -> Error {
    Error::Filer(format!("{what} {}: {err}", path.display()))
}

/// Checks a relative path option: not absolute, no `..`, no NUL; `name`s
/// must name something.
pub(crate) fn check_rel(what: &str, value: &str, allow_empty: bool) -> Result<()> {
    if value.contains('\0') {
        return Err(Error::Filer(format!(
            "{what} {value:?} contains a NUL byte"
        )));
    }
    let mut named = false;
    for c in Path::new(value).components() {
        match c {
            Component::Normal(_) => named = true,
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(Error::Filer(format!(
                    "{what} {value:?} must not contain `..`"
                )));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(Error::Filer(format!(
                    "{what} {value:?} is not a relative path"
                )));
            }
        }
    }
    if !named && !allow_empty {
        return Err(Error::Filer(format!("{what} {value:?} is empty")));
    }
    Ok(())
}

/// Checks a piece of a file name (no separator, no NUL).
pub(crate) fn check_part(what: &str, value: &str) -> Result<()> {
    if value.contains('/') || value.contains('\0') {
        return Err(Error::Filer(format!(
            "{what} {value:?} must not contain `/` or NUL"
        )));
    }
    Ok(())
}

fn check_fext(fext: &str) -> Result<()> {
    check_part("file extension", fext)?;
    if fext.is_empty() {
        return Err(Error::Filer("file extension is empty".into()));
    }
    Ok(())
}

fn check_perm(perm: u32) -> Result<()> {
    if perm & !0o7777 != 0 {
        return Err(Error::Filer(format!(
            "perm {perm:#o} is not a permission mode"
        )));
    }
    Ok(())
}

/// Appends the normal components of a validated relative path.
fn push_rel(out: &mut PathBuf, rel: &Path) {
    for c in rel.components() {
        if let Component::Normal(part) = c {
            out.push(part);
        }
    }
}

/// Replaces a leading `~` component with the home directory.
pub(crate) fn expand_home(
    path: &Path,
    home: impl FnOnce() -> Result<Option<PathBuf>>,
) -> Result<PathBuf> {
    let mut parts = path.components();
    if parts.next() == Some(Component::Normal("~".as_ref())) {
        let home = home()?.ok_or_else(|| {
            Error::Filer(format!("no home directory to expand {}", path.display()))
        })?;
        return Ok(home.join(parts.as_path()));
    }
    Ok(path.to_owned())
}

/// Absolute and lexically normalized (Python's `os.path.abspath`).
pub(crate) fn absolute(path: &Path) -> Result<PathBuf> {
    if path.is_absolute() {
        Ok(normalize(path))
    } else {
        Ok(normalize(&std::env::current_dir()?.join(path)))
    }
}

/// Drops `.` components and resolves `..` lexically.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_and_use_mkdtemp_alphabet() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 8);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        );
    }

    #[test]
    fn normalize_resolves_dots() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/..")), PathBuf::from("/"));
        assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("../b"));
    }

    #[test]
    fn rel_path_adds_extension_only_when_missing() {
        let f = |name: &str| {
            Filer::builder()
                .name(name)
                .filed(true)
                .build()
                .unwrap()
                .rel_path()
        };
        assert_eq!(f("test"), PathBuf::from("test.text"));
        assert_eq!(f("test.json"), PathBuf::from("test.json"));
        assert_eq!(f("a.b/c"), PathBuf::from("a.b/c.text"));
        assert_eq!(f("./x/"), PathBuf::from("x.text"));
        assert_eq!(f(".hidden"), PathBuf::from(".hidden.text"));
    }
}
