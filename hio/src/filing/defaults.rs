//! Where Filers live: [`FilerDefaults`], [`FileMode`], and the Unix
//! socket path limit.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::fs::{check_fext, check_part, check_perm, check_rel};
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
/// A UXD peer calls this on its [`Filer`](super::Filer) path before binding.
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

/// How a [`Filer`](super::Filer) opens a file that already exists (HIO's `mode`).
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
    pub(super) fn open(self, path: &Path) -> io::Result<File> {
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

    pub(super) fn validate(&self) -> Result<()> {
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
