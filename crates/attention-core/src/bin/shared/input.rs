//! The spec-reading front of the JSON commands (`attention-trace`,
//! `attention-variants`): one argument, a path or `-` for standard input.

use std::io::Read;

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
