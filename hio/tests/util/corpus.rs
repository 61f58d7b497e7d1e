//! The fuzz corpora (`fuzz/corpus/<target>/`), replayed by the corpus
//! tests through the fuzz targets' own harnesses.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// `fuzz/corpus/<target>`.
pub fn dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

/// The corpus files of `target`, sorted.
pub fn files(target: &str) -> Vec<PathBuf> {
    let dir = dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `check` over every input of `target`'s corpus, which must hold at
/// least `min`, and names the file that fails. Returns how many ran.
pub fn replay(target: &str, min: usize, mut check: impl FnMut(&[u8])) -> usize {
    let files = files(target);
    assert!(
        files.len() >= min,
        "the {target} corpus has only {} files",
        files.len()
    );
    for file in &files {
        let data = std::fs::read(file).unwrap();
        if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
            panic!("{target}: {} fails", file.display());
        }
    }
    files.len()
}
