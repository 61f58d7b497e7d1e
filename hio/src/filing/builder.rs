//! [`FilerBuilder`] and [`ReopenOpts`]: how a Filer is made and remade.

use std::path::PathBuf;

use super::fs::{check_fext, check_perm, check_rel};
use super::{FileMode, Filer, FilerDefaults};
use crate::error::Result;

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
    pub(super) defaults: FilerDefaults,
    pub(super) name: String,
    pub(super) base: String,
    pub(super) temp: bool,
    pub(super) head_dir_path: Option<PathBuf>,
    pub(super) home_dir: Option<PathBuf>,
    pub(super) temp_head_dir: Option<PathBuf>,
    pub(super) perm: Option<u32>,
    pub(super) clean: bool,
    pub(super) filed: bool,
    pub(super) extensioned: bool,
    pub(super) mode: Option<FileMode>,
    pub(super) fext: Option<String>,
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
    pub(super) temp: Option<bool>,
    pub(super) head_dir_path: Option<PathBuf>,
    pub(super) perm: Option<u32>,
    pub(super) clear: bool,
    pub(super) reuse: bool,
    pub(super) clean: Option<bool>,
    pub(super) mode: Option<FileMode>,
    pub(super) fext: Option<String>,
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
