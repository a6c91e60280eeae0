//! Running a JSON command (`attention-trace`, `gpt-forward`) in the
//! integration tests: the spec on standard input, the documented error
//! contract checked.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `bin -` with `input` on standard input.
pub fn run_stdin(bin: &str, input: &str) -> Output {
    let mut child = Command::new(bin)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Exit status 2, nothing on stdout, one stderr line containing `needle`.
pub fn assert_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.ends_with('\n'));
    assert!(err.contains(needle), "stderr {err:?} lacks {needle:?}");
}
