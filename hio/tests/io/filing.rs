//! Filer and FilerDoer (hio-io §9, scenario S30).
//!
//! Every test works under its own scratch directory: the persistent head
//! (`/usr/local/var` in HIO), the home directory and the temp head are all
//! injected, so nothing here touches the real ones. Tests may run as root,
//! so "cannot create" is made by putting the head under a regular file.

use std::fs;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use hio::filing::{MAX_UXD_PATH_LEN, check_uxd_path_len};
use hio::{Doist, Error, FileMode, Filer, FilerDefaults, FilerDoer, ReopenOpts};

use crate::util::io::Scratch;

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn read_all(filer: &mut Filer) -> String {
    let file = filer.file_mut().unwrap();
    file.rewind().unwrap();
    let mut s = String::new();
    file.read_to_string(&mut s).unwrap();
    s
}

/// `<head>/hio_XXXXXXXX_test` style: prefix, 8 mkdtemp characters, suffix.
fn assert_temp_root(root: &Path, head: &Path, prefix: &str, suffix: &str) {
    assert_eq!(root.parent(), Some(head));
    let name = root.file_name().unwrap().to_str().unwrap();
    let middle = name
        .strip_prefix(prefix)
        .and_then(|s| s.strip_suffix(suffix))
        .unwrap_or_else(|| panic!("{name} is not {prefix}XXXXXXXX{suffix}"));
    assert_eq!(middle.len(), 8, "{name}");
}

#[test]
fn io_s30_filer_paths() {
    let s = Scratch::new("filing-s30");
    let head = s.dir("usr/local/var");
    let home = s.dir("home");
    let tmp = s.dir("tmp");
    let filer = |name: &str| {
        Filer::builder()
            .name(name)
            .head_dir_path(&head)
            .home_dir(&home)
    };

    // Filer(name="test") => <head>/hio/test, mode 0o1700.
    let unopened = filer("test").build().unwrap();
    assert!(!unopened.exists().unwrap());
    let mut f = filer("test").open().unwrap();
    assert_eq!(f.path(), Some(head.join("hio/test").as_path()));
    assert!(f.path().unwrap().is_dir());
    assert_eq!(mode_of(f.path().unwrap()), 0o1700);
    assert!(f.opened() && f.file().is_none());
    assert!(unopened.exists().unwrap());
    f.close(false).unwrap();
    assert!(!f.opened());
    assert!(head.join("hio/test").is_dir());

    // Filer(name="test", clean=True) => <head>/hio/clean/test.
    let mut f = filer("test").clean(true).open().unwrap();
    assert_eq!(f.path(), Some(head.join("hio/clean/test").as_path()));
    assert_eq!(mode_of(f.path().unwrap()), 0o1700);
    f.close(true).unwrap();
    assert!(!head.join("hio/clean/test").exists());

    // Filer(name="test", base="conf", filed=True) => <head>/hio/conf/test.text.
    let mut f = filer("test").base("conf").filed(true).open().unwrap();
    assert_eq!(f.path(), Some(head.join("hio/conf/test.text").as_path()));
    assert!(f.opened());
    assert_eq!(read_all(&mut f), "");
    f.file_mut().unwrap().write_all(b"Hello Jim\n").unwrap();
    assert_eq!(read_all(&mut f), "Hello Jim\n");
    assert_eq!(mode_of(f.path().unwrap()), 0o1700);
    f.close(true).unwrap();
    assert!(!head.join("hio/conf/test.text").exists());

    // Alternate path ~/.hio/test when the head cannot be created.
    let blocked = s.blocked();
    let mut f = Filer::builder()
        .name("test")
        .head_dir_path(&blocked)
        .home_dir(&home)
        .open()
        .unwrap();
    assert_eq!(f.path(), Some(home.join(".hio/test").as_path()));
    assert_eq!(mode_of(f.path().unwrap()), 0o1700);
    let probe = Filer::builder()
        .name("test")
        .head_dir_path(&blocked)
        .home_dir(&home)
        .build()
        .unwrap();
    assert!(
        probe.exists().unwrap(),
        "exists() checks the alternate path too"
    );
    f.close(true).unwrap();
    assert!(!home.join(".hio/test").exists());

    // ... and for a file (openFiler(filed=True, temp=False, headDirPath=<blocked>)).
    let mut f = Filer::builder()
        .name("test")
        .base("conf")
        .filed(true)
        .head_dir_path(&blocked)
        .home_dir(&home)
        .open()
        .unwrap();
    assert_eq!(f.path(), Some(home.join(".hio/conf/test.text").as_path()));
    assert!(f.file().is_some());
    f.close(true).unwrap();
    assert!(!home.join(".hio/conf/test.text").exists());

    // openFiler() => <tmp>/hio_XXXXXXXX_test/hio/test, removed on exit.
    let mut f = Filer::builder()
        .name("test")
        .temp(true)
        .temp_head_dir(&tmp)
        .open()
        .unwrap();
    let root = f.temp_root().unwrap().to_owned();
    assert_temp_root(&root, &tmp, "hio_", "_test");
    assert_eq!(f.path(), Some(root.join("hio/test").as_path()));
    assert!(f.path().unwrap().is_dir());
    f.close(true).unwrap();
    assert!(!root.exists());

    // openFiler(filed=True) => …_test/hio/test.text.
    let mut f = Filer::builder()
        .name("test")
        .temp(true)
        .temp_head_dir(&tmp)
        .filed(true)
        .open()
        .unwrap();
    let root = f.temp_root().unwrap().to_owned();
    assert_eq!(f.path(), Some(root.join("hio/test.text").as_path()));
    assert!(f.file().is_some());
    f.close(true).unwrap();
    assert!(!root.exists());

    // UXD temp peer "alpha" => <tmp>/hio_uxd_XXXXXXXX_test/hio/uxd/alpha.uxd.
    let mut f = Filer::builder()
        .defaults(FilerDefaults::UXD)
        .name("alpha")
        .temp(true)
        .temp_head_dir(&tmp)
        .extensioned(true)
        .open()
        .unwrap();
    let root = f.temp_root().unwrap().to_owned();
    assert_temp_root(&root, &tmp, "hio_uxd_", "_test");
    let path = f.path().unwrap();
    assert_eq!(path, root.join("hio/uxd/alpha.uxd"));
    assert!(path.parent().unwrap().is_dir());
    assert!(
        !path.exists(),
        "extensioned: the entry itself is left for the socket"
    );
    assert!(f.opened());
    f.close(true).unwrap();
    assert!(!root.exists());

    // UXD persistent: <head>/hio/uxd/alpha.uxd, fallback ~/.hio/uxd/alpha.uxd.
    let uxd = |head: &Path| {
        Filer::builder()
            .defaults(FilerDefaults::UXD)
            .name("alpha")
            .extensioned(true)
            .head_dir_path(head)
            .home_dir(&home)
            .open()
            .unwrap()
    };
    let f = uxd(&head);
    assert_eq!(f.path(), Some(head.join("hio/uxd/alpha.uxd").as_path()));
    let f = uxd(&blocked);
    assert_eq!(f.path(), Some(home.join(".hio/uxd/alpha.uxd").as_path()));

    // Every temp root is gone.
    assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0);
}

#[test]
fn temp_in_platform_temp_dir_by_default() {
    let mut f = Filer::builder().name("test").temp(true).open().unwrap();
    let root = f.temp_root().unwrap().to_owned();
    let expected_head = if cfg!(target_os = "macos") {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    };
    assert_temp_root(&root, &expected_head, "hio_", "_test");
    assert!(f.path().unwrap().ends_with("hio/test"));
    f.close(true).unwrap();
    assert!(!root.exists());
}

#[test]
fn temp_root_removed_on_clear_and_on_remake() {
    let s = Scratch::new("filing-temproot");
    let tmp = s.dir("tmp");
    let mut f = Filer::builder()
        .name("test")
        .base("deep/er")
        .temp(true)
        .temp_head_dir(&tmp)
        .filed(true)
        .open()
        .unwrap();
    let first = f.temp_root().unwrap().to_owned();
    assert!(f.path().unwrap().starts_with(&first));

    // A plain close keeps the root (the data may still be wanted).
    f.close(false).unwrap();
    assert!(first.exists());

    // A remake makes a new root; the abandoned one goes.
    f.reopen(ReopenOpts::new()).unwrap();
    let second = f.temp_root().unwrap().to_owned();
    assert_ne!(first, second);
    assert!(!first.exists());

    // close(clear) removes the whole root, not just the file.
    f.close(true).unwrap();
    assert!(!second.exists());
    assert_eq!(f.path(), None);
    assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0);
    f.close(true).unwrap(); // twice is fine
}

#[test]
fn filed_reopen_does_not_truncate() {
    let s = Scratch::new("filing-reopen");
    let head = s.dir("head");
    let mut f = Filer::builder()
        .name("test")
        .head_dir_path(&head)
        .filed(true)
        .open()
        .unwrap();
    f.file_mut().unwrap().write_all(b"Hello Jim\n").unwrap();
    f.close(false).unwrap();
    assert!(f.file().is_none());

    // Remake without reuse: the existing file is opened, not recreated.
    f.reopen(ReopenOpts::new()).unwrap();
    assert!(f.opened());
    assert_eq!(read_all(&mut f), "Hello Jim\n");

    // Reuse: same path, file reopened.
    f.reopen(ReopenOpts::new().reuse(true)).unwrap();
    assert_eq!(read_all(&mut f), "Hello Jim\n");

    // A brand-new Filer at the same path also keeps the content.
    f.close(false).unwrap();
    let mut g = Filer::builder()
        .name("test")
        .head_dir_path(&head)
        .filed(true)
        .open()
        .unwrap();
    assert_eq!(read_all(&mut g), "Hello Jim\n");
    g.close(false).unwrap();

    // Append mode writes at the end; Truncate empties.
    f.reopen(ReopenOpts::new().mode(FileMode::Append)).unwrap();
    f.file_mut().unwrap().write_all(b"again\n").unwrap();
    assert_eq!(read_all(&mut f), "Hello Jim\nagain\n");
    f.reopen(ReopenOpts::new().mode(FileMode::Truncate))
        .unwrap();
    assert_eq!(read_all(&mut f), "");

    // Read-only cannot write.
    f.reopen(ReopenOpts::new().mode(FileMode::Read)).unwrap();
    assert!(f.file_mut().unwrap().write_all(b"x").is_err());

    // reuse + clear: the path is removed on close, so it is remade.
    f.reopen(ReopenOpts::new().mode(FileMode::ReadWrite))
        .unwrap();
    f.file_mut().unwrap().write_all(b"gone soon").unwrap();
    f.reopen(ReopenOpts::new().reuse(true).clear(true)).unwrap();
    assert_eq!(read_all(&mut f), "");
    f.close(true).unwrap();
    assert!(!head.join("hio/test.text").exists());
}

#[test]
fn clean_deletes_old_content() {
    let s = Scratch::new("filing-clean");
    let head = s.dir("head");
    let home = s.dir("home");

    // A clean directory: whatever was inside is gone after a remake.
    let mut d = Filer::builder()
        .name("db")
        .head_dir_path(&head)
        .clean(true)
        .open()
        .unwrap();
    let path = d.path().unwrap().to_owned();
    assert_eq!(path, head.join("hio/clean/db"));
    fs::write(path.join("old.dat"), b"stale").unwrap();
    d.reopen(ReopenOpts::new()).unwrap();
    assert!(path.is_dir());
    assert!(!path.join("old.dat").exists());

    // clean stays set across reopens (FilerDoer's enter reopens too).
    d.reopen(ReopenOpts::new().reuse(true)).unwrap();
    assert_eq!(d.path(), Some(path.as_path()));
    d.close(true).unwrap();

    // A clean file is recreated empty.
    let mut f = Filer::builder()
        .name("conf")
        .head_dir_path(&head)
        .clean(true)
        .filed(true)
        .open()
        .unwrap();
    f.file_mut().unwrap().write_all(b"old").unwrap();
    f.reopen(ReopenOpts::new()).unwrap();
    assert_eq!(read_all(&mut f), "");
    f.close(true).unwrap();

    // Clean applies at the alternate path too.
    let blocked = s.blocked();
    let alt = home.join(".hio/clean/db");
    fs::create_dir_all(&alt).unwrap();
    fs::write(alt.join("old.dat"), b"stale").unwrap();
    let mut a = Filer::builder()
        .name("db")
        .head_dir_path(&blocked)
        .home_dir(&home)
        .clean(true)
        .open()
        .unwrap();
    assert_eq!(a.path(), Some(alt.as_path()));
    assert!(!alt.join("old.dat").exists());
    a.close(true).unwrap();

    // Not clean: content survives a remake.
    let mut k = Filer::builder()
        .name("keep")
        .head_dir_path(&head)
        .open()
        .unwrap();
    fs::write(k.path().unwrap().join("x"), b"1").unwrap();
    k.reopen(ReopenOpts::new()).unwrap();
    assert!(k.path().unwrap().join("x").exists());
    k.close(true).unwrap();
    assert!(!head.join("hio/keep").exists());
}

#[test]
fn reuse_keeps_the_path() {
    let s = Scratch::new("filing-reuse");
    let tmp = s.dir("tmp");
    let mut f = Filer::builder()
        .name("test")
        .temp(true)
        .temp_head_dir(&tmp)
        .open()
        .unwrap();
    let path = f.path().unwrap().to_owned();
    fs::write(path.join("marker"), b"1").unwrap();
    f.reopen(ReopenOpts::new().reuse(true)).unwrap();
    assert_eq!(f.path(), Some(path.as_path()));
    assert!(path.join("marker").exists());
    assert!(f.opened());

    // Switching temp off is a change of place: no reuse of the temp path.
    let head = s.dir("head");
    f.reopen(
        ReopenOpts::new()
            .reuse(true)
            .temp(false)
            .head_dir_path(&head),
    )
    .unwrap();
    assert_eq!(f.path(), Some(head.join("hio/test").as_path()));
    assert!(!path.exists(), "the abandoned temp root is removed");
    f.close(true).unwrap();
}

#[test]
fn perms_are_applied() {
    let s = Scratch::new("filing-perm");
    let head = s.dir("head");
    let d = Filer::builder()
        .name("d")
        .head_dir_path(&head)
        .open()
        .unwrap();
    assert_eq!(mode_of(d.path().unwrap()), 0o1700);
    let f = Filer::builder()
        .name("f")
        .head_dir_path(&head)
        .filed(true)
        .open()
        .unwrap();
    assert_eq!(mode_of(f.path().unwrap()), 0o1700);
    let p = Filer::builder()
        .name("p")
        .head_dir_path(&head)
        .perm(0o750)
        .open()
        .unwrap();
    assert_eq!(mode_of(p.path().unwrap()), 0o750);
    // Changing perm on reopen re-applies it.
    let mut q = Filer::builder()
        .name("q")
        .head_dir_path(&head)
        .open()
        .unwrap();
    q.reopen(ReopenOpts::new().perm(0o700)).unwrap();
    assert_eq!(mode_of(q.path().unwrap()), 0o700);
    // Temp paths are not chmodded (HIO), but a temp file is created with perm.
    let s2 = s.dir("tmp");
    let mut t = Filer::builder()
        .name("t")
        .temp(true)
        .temp_head_dir(&s2)
        .filed(true)
        .perm(0o600)
        .open()
        .unwrap();
    assert_eq!(mode_of(t.path().unwrap()) & 0o077, 0);
    t.close(true).unwrap();
}

#[test]
fn unwritable_existing_path_falls_back() {
    let s = Scratch::new("filing-ro");
    let head = s.dir("head");
    let home = s.dir("home");
    let primary = head.join("hio/test");
    fs::create_dir_all(&primary).unwrap();
    fs::set_permissions(&primary, fs::Permissions::from_mode(0o500)).unwrap();
    let root_like = fs::File::create(primary.join("probe")).is_ok();
    let f = Filer::builder()
        .name("test")
        .head_dir_path(&head)
        .home_dir(&home)
        .open()
        .unwrap();
    if root_like {
        // Root can write anywhere: the primary path is used (and chmodded).
        assert_eq!(f.path(), Some(primary.as_path()));
    } else {
        assert_eq!(f.path(), Some(home.join(".hio/test").as_path()));
    }
    fs::set_permissions(&primary, fs::Permissions::from_mode(0o700)).unwrap();
}

#[test]
fn home_in_head_is_expanded() {
    let s = Scratch::new("filing-tilde");
    let home = s.dir("home");
    let mut f = Filer::builder()
        .name("test")
        .head_dir_path("~/var")
        .home_dir(&home)
        .open()
        .unwrap();
    assert_eq!(f.path(), Some(home.join("var/hio/test").as_path()));
    f.close(true).unwrap();
}

#[test]
fn invalid_names_are_refused() {
    let bad = |b: hio::FilerBuilder| match b.build() {
        Err(Error::Filer(msg)) => msg,
        other => panic!("expected a Filer error, got {other:?}"),
    };
    assert!(bad(Filer::builder().name("/test")).contains("not a relative path"));
    assert!(bad(Filer::builder().name("test").base("/conf")).contains("not a relative path"));
    assert!(bad(Filer::builder().name("../escape")).contains(".."));
    assert!(bad(Filer::builder().name("a/../../b")).contains(".."));
    assert!(bad(Filer::builder().name("x").base("conf/..")).contains(".."));
    assert!(bad(Filer::builder().name("")).contains("empty"));
    assert!(bad(Filer::builder().name(".")).contains("empty"));
    assert!(bad(Filer::builder().name("nul\0")).contains("NUL"));
    assert!(bad(Filer::builder().fext("a/b")).contains("extension"));
    assert!(bad(Filer::builder().fext("")).contains("extension"));
    assert!(bad(Filer::builder().perm(0o17777)).contains("perm"));
    let mut weird = FilerDefaults::FILER;
    weird.tail_dir_path = "/abs";
    assert!(bad(Filer::builder().defaults(weird)).contains("tail"));
    weird = FilerDefaults::FILER;
    weird.temp_prefix = "a/b";
    assert!(bad(Filer::builder().defaults(weird)).contains("prefix"));

    // Fine: nested relative names, `.` parts, names with extensions.
    for name in ["a/b", "./a", "a.json", "x."] {
        Filer::builder().name(name).build().unwrap();
    }

    // Reopen options are checked before anything changes.
    let mut f = Filer::builder().name("t").temp(true).open().unwrap();
    assert!(matches!(
        f.reopen(ReopenOpts::new().fext("")),
        Err(Error::Filer(_))
    ));
    assert!(matches!(
        f.reopen(ReopenOpts::new().perm(0o10000)),
        Err(Error::Filer(_))
    ));
    assert!(f.opened(), "a refused reopen leaves the Filer as it was");
    f.close(true).unwrap();
}

#[test]
fn filed_path_that_is_a_directory_is_an_error() {
    let s = Scratch::new("filing-isdir");
    let head = s.dir("head");
    fs::create_dir_all(head.join("hio/test.text")).unwrap();
    let err = Filer::builder()
        .name("test")
        .head_dir_path(&head)
        .filed(true)
        .open()
        .unwrap_err();
    let Error::Filer(msg) = err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("test.text"), "{msg}");
}

#[test]
fn uxd_name_of_125_chars_is_a_size_error() {
    let s = Scratch::new("filing-uxd");
    let tmp = s.dir("tmp");
    let name = "a".repeat(125);
    let mut f = Filer::builder()
        .defaults(FilerDefaults::UXD)
        .name(&name)
        .temp(true)
        .temp_head_dir(&tmp)
        .extensioned(true)
        .open()
        .unwrap();
    let path = f.path().unwrap();
    assert!(path.ends_with(format!("hio/uxd/{name}.uxd")));
    match check_uxd_path_len(path) {
        Err(Error::Size {
            size,
            max,
            ref what,
        }) => {
            assert_eq!(size, path.as_os_str().len());
            assert_eq!(max, MAX_UXD_PATH_LEN);
            assert!(what.contains(&name));
        }
        other => panic!("expected a size error, got {other:?}"),
    }
    let msg = check_uxd_path_len(path).unwrap_err().to_string();
    assert!(msg.contains("over the limit"), "{msg}");
    f.close(true).unwrap();

    // At the limit is fine, one more byte is not.
    let at = PathBuf::from(format!("/{}", "x".repeat(MAX_UXD_PATH_LEN - 1)));
    assert!(check_uxd_path_len(&at).is_ok());
    let over = PathBuf::from(format!("/{}", "x".repeat(MAX_UXD_PATH_LEN)));
    assert!(check_uxd_path_len(&over).is_err());
    // A path at the limit really binds (std refuses one byte more).
    let _ = at;
    let sock_dir = s.dir("s");
    let room = MAX_UXD_PATH_LEN - sock_dir.as_os_str().len() - 1;
    if room > 0 {
        let sock = sock_dir.join("y".repeat(room));
        assert_eq!(sock.as_os_str().len(), MAX_UXD_PATH_LEN);
        check_uxd_path_len(&sock).unwrap();
        std::os::unix::net::UnixDatagram::bind(&sock).unwrap();
        let longer = sock_dir.join("y".repeat(room + 1));
        assert!(check_uxd_path_len(&longer).is_err());
        assert!(std::os::unix::net::UnixDatagram::bind(&longer).is_err());
    }
}

#[test]
fn extensioned_clear_removes_the_entry() {
    let s = Scratch::new("filing-ext");
    let head = s.dir("head");
    let mut f = Filer::builder()
        .defaults(FilerDefaults::UXD)
        .name("beta")
        .head_dir_path(&head)
        .extensioned(true)
        .open()
        .unwrap();
    let path = f.path().unwrap().to_owned();
    let _sock = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    assert!(path.exists());
    f.close(true).unwrap();
    assert!(!path.exists());
    assert!(
        path.parent().unwrap().is_dir(),
        "only the entry goes for a persistent Filer"
    );
}

#[test]
fn filer_doer_opens_and_clears() {
    let s = Scratch::new("filing-doer");
    let tmp = s.dir("tmp");
    let head = s.dir("head");

    // A temp scheduler makes an unopened Filer temp; exit clears it.
    let f0 = Filer::builder()
        .name("test0")
        .temp_head_dir(&tmp)
        .head_dir_path(&head)
        .build()
        .unwrap();
    let f1 = Filer::builder()
        .name("test1")
        .temp(true)
        .temp_head_dir(&tmp)
        .build()
        .unwrap();
    let mut doist = Doist::new(0.03125).with_limit(0.25).with_temp(true);
    let d0 = doist.add(FilerDoer::new(f0));
    let d1 = doist.add(FilerDoer::new(f1));
    doist.enter().unwrap();
    let p0 = doist.get(d0).unwrap().filer().path().unwrap().to_owned();
    let p1 = doist.get(d1).unwrap().filer().path().unwrap().to_owned();
    for (p, name) in [(&p0, "test0"), (&p1, "test1")] {
        assert!(p.is_dir());
        assert!(p.ends_with(format!("hio/{name}")));
        assert!(p.to_str().unwrap().contains("_test/hio/"));
    }
    doist.recur().unwrap();
    assert!(doist.get(d0).unwrap().filer().opened());
    doist.exit().unwrap();
    assert!(!p0.exists() && !p1.exists());
    assert_eq!(fs::read_dir(&tmp).unwrap().count(), 0);

    // A full run: the doer never completes by itself; a persistent Filer
    // is closed but kept.
    let f = Filer::builder()
        .name("kept")
        .head_dir_path(&head)
        .build()
        .unwrap();
    let mut doist = Doist::new(0.03125).with_limit(0.125);
    let d = doist.add(FilerDoer::new(f));
    doist.run().unwrap();
    assert!(!doist.done_of(d).is_complete());
    let filer = doist.get(d).unwrap().filer();
    assert!(!filer.opened());
    assert_eq!(filer.path(), Some(head.join("hio/kept").as_path()));
    assert!(head.join("hio/kept").is_dir());

    // An already-open Filer is not reopened by enter.
    let f = Filer::builder()
        .name("open")
        .temp(true)
        .temp_head_dir(&tmp)
        .open()
        .unwrap();
    let before = f.path().unwrap().to_owned();
    let mut doist = Doist::new(0.03125).with_limit(0.0625);
    let d = doist.add(FilerDoer::new(f));
    doist.enter().unwrap();
    assert_eq!(doist.get(d).unwrap().filer().path(), Some(before.as_path()));
    doist.exit().unwrap();
    assert!(!before.exists());
}
