//! Timing helper shared by the benches: a closure that may fail.

use attention_core::AttnError;
use criterion::Criterion;

/// Benchmarks `f` as `name`; Err with the first error `f` returned, if any.
pub fn time<T>(
    c: &mut Criterion,
    name: &str,
    mut f: impl FnMut() -> Result<T, AttnError>,
) -> Result<(), AttnError> {
    let mut first_error = None;
    c.bench_function(name, |b| {
        b.iter(|| match f() {
            Ok(v) => Some(v),
            Err(e) => {
                first_error.get_or_insert(e);
                None
            }
        })
    });
    first_error.map_or(Ok(()), Err)
}
