//! [`Filer`] itself: opening, reopening and closing at its path.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::fs::{
    absolute, accessible, check_fext, check_perm, default_temp_head_dir, expand_home,
    make_temp_dir, normalize, open_or_create, path_err, push_rel, remove_entry, remove_tree,
};
use super::{FileMode, FilerBuilder, FilerDefaults, ReopenOpts};
use crate::error::{Error, Result};

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
    pub(super) defaults: FilerDefaults,
    pub(super) name: String,
    pub(super) base: String,
    pub(super) temp: bool,
    pub(super) head_dir_path: PathBuf,
    pub(super) home_dir: Option<PathBuf>,
    pub(super) temp_head_dir: Option<PathBuf>,
    pub(super) perm: u32,
    pub(super) clean: bool,
    pub(super) filed: bool,
    pub(super) extensioned: bool,
    pub(super) mode: FileMode,
    pub(super) fext: String,
    pub(super) path: Option<PathBuf>,
    pub(super) file: Option<File>,
    pub(super) temp_root: Option<PathBuf>,
    pub(super) opened: bool,
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
    pub(super) fn rel_path(&self) -> PathBuf {
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
