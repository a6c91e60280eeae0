//! `attention-trace SPEC.json` (or `-` for stdin): prints every intermediate
//! of one attention computation as JSON (see
//! `docs/attention-trace.md`). On any error: exit status 2, one line
//! on stderr naming the field and shape, nothing on stdout.

use std::io::{Read, Write};
use std::process::ExitCode;

fn read_input() -> Result<String, String> {
    let mut args = std::env::args_os().skip(1);
    let path = match (args.next(), args.next()) {
        (Some(p), None) => p,
        _ => return Err("usage: attention-trace SPEC.json (or - for stdin)".to_string()),
    };
    if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("spec: cannot read standard input: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(&path)
            .map_err(|e| format!("spec: cannot read {}: {e}", path.to_string_lossy()))
    }
}

fn main() -> ExitCode {
    let result =
        read_input().and_then(|text| attention_core::spec::run(&text).map_err(|e| e.to_string()));
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
