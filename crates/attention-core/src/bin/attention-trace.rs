//! `attention-trace SPEC.json` (or `-` for stdin): prints every intermediate
//! of one attention computation as JSON (see
//! `docs/attention-trace.md`). On any error: exit status 2, one line
//! on stderr naming the field and shape, nothing on stdout.

use std::process::ExitCode;

#[path = "shared/input.rs"]
mod input;

fn main() -> ExitCode {
    input::main_with("attention-trace", attention_core::spec::run)
}
