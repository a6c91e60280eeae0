//! `attention-trace SPEC.json` (or `-` for stdin): prints every intermediate
//! of one attention computation as JSON (see
//! `docs/attention-trace.md`). On any error: exit status 2, one line
//! on stderr naming the field and shape, nothing on stdout.

use std::io::Write;
use std::process::ExitCode;

#[path = "shared/input.rs"]
mod input;

fn main() -> ExitCode {
    let result = input::read_input("attention-trace")
        .and_then(|text| attention_core::spec::run(&text).map_err(|e| e.to_string()));
    match result {
        Ok(json) => {
            let mut out = std::io::stdout().lock();
            if writeln!(out, "{json}").and_then(|()| out.flush()).is_err() {
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(msg) => {
            let line = msg.replace(['\n', '\r'], " ");
            let _ = writeln!(std::io::stderr(), "{line}");
            ExitCode::from(2)
        }
    }
}
