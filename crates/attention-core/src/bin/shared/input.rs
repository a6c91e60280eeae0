//! The front of the JSON commands (`attention-trace`, `attention-variants`):
//! one argument, a path or `-` for standard input; the JSON on stdout, or
//! exit status 2 with one line on stderr and nothing on stdout.

use std::io::{Read, Write};
use std::process::ExitCode;

/// The text of the spec named on the command line, or a one-line reason
/// (`command` names the program in the usage line).
pub fn read_input(command: &str) -> Result<String, String> {
    let mut args = std::env::args_os().skip(1);
    let path = match (args.next(), args.next()) {
        (Some(p), None) => p,
        _ => return Err(format!("usage: {command} SPEC.json (or - for stdin)")),
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

/// Runs `run` on the spec named on the command line and reports as above.
pub fn main_with<E: std::fmt::Display>(
    command: &str,
    run: fn(&str) -> Result<String, E>,
) -> ExitCode {
    let result = read_input(command).and_then(|text| run(&text).map_err(|e| e.to_string()));
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
