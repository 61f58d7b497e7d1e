//! External programs some tests drive. Such a test is `#[ignore]`d with
//! the tool named in the reason; `.ci/run` runs the ignored ones, where a
//! missing tool fails the test instead of passing it silently.

use std::process::Command;

/// Fails the test unless `tool --version` runs.
pub fn need(tool: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "{tool} is not installed (or not on PATH)");
}
