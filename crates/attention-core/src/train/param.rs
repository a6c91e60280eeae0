//! Trainable parameters and the [`Module`] trait that lists them.

use crate::Mat;

/// One trainable tensor: its value and the gradient accumulated for it
/// (same shape, `rows x cols`).
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The current value, `rows x cols`.
    pub value: Mat,
    /// The accumulated gradient of the loss with respect to `value`,
    /// `rows x cols`. Backward passes add into it; [`Param::zero_grad`]
    /// resets it.
    pub grad: Mat,
}

impl Param {
    /// A parameter with the given value (`rows x cols`) and a zero gradient
    /// of the same shape.
    pub fn new(value: Mat) -> Self {
        let grad = Mat::zeros(value.nrows(), value.ncols());
        Param { value, grad }
    }

    /// Sets the gradient to zero.
    pub fn zero_grad(&mut self) {
        self.grad.fill(0.0);
    }

    /// `(rows, cols)` of the value.
    pub fn shape(&self) -> (usize, usize) {
        (self.value.nrows(), self.value.ncols())
    }
}

/// Anything with trainable parameters: a layer, a block or a whole model.
///
/// The order of the list is fixed for a given module (optimizers keep their
/// per-parameter state by position in it).
pub trait Module {
    /// Every parameter, in a fixed order.
    fn params(&self) -> Vec<&Param>;

    /// Every parameter, mutably, in the same order as [`Module::params`].
    fn params_mut(&mut self) -> Vec<&mut Param>;

    /// Sets every gradient to zero.
    fn zero_grad(&mut self) {
        for p in self.params_mut() {
            p.zero_grad();
        }
    }

    /// The total number of scalar parameters.
    fn num_params(&self) -> usize {
        self.params().iter().map(|p| p.value.len()).sum()
    }
}

/// Appends every parameter of `m` to `out` as little-endian `f32`, in
/// [`Module::params`] order (the body of the model files).
pub(crate) fn write_f32_params(m: &dyn Module, out: &mut Vec<u8>) {
    for p in m.params() {
        for v in p.value.iter() {
            out.extend_from_slice(&(*v as f32).to_le_bytes());
        }
    }
}

/// Reads [`write_f32_params`]'s body from `bytes[at..]` into `m`. Err (field
/// `file`) unless exactly the remaining bytes are used, or on a non-finite
/// weight.
pub(crate) fn read_f32_params(
    m: &mut dyn Module,
    bytes: &[u8],
    mut at: usize,
) -> Result<(), crate::AttnError> {
    let bad = |msg: String| crate::AttnError::value("file", msg);
    let expected = at + 4 * m.num_params();
    if bytes.len() != expected {
        return Err(bad(format!(
            "{} bytes, expected {expected} for these sizes",
            bytes.len()
        )));
    }
    // The length is exact, so there is one 4-byte word per parameter value.
    let mut words = bytes
        .get(at..)
        .unwrap_or_default()
        .as_chunks::<4>()
        .0
        .iter();
    for p in m.params_mut() {
        for v in p.value.iter_mut() {
            let word = words
                .next()
                .ok_or_else(|| bad(format!("ends at byte {at}, inside the weights")))?;
            let f = f32::from_le_bytes(*word);
            if !f.is_finite() {
                return Err(bad(format!("non-finite weight at byte {at}")));
            }
            *v = f64::from(f);
            at += 4;
        }
    }
    Ok(())
}

/// The `N` bytes `bytes[at..at + N]` of a model file header. Err (field
/// `file`) if the file ends before them.
pub(crate) fn bytes_at<const N: usize>(
    bytes: &[u8],
    at: usize,
) -> Result<[u8; N], crate::AttnError> {
    at.checked_add(N)
        .and_then(|end| bytes.get(at..end))
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or_else(|| {
            crate::AttnError::value(
                "file",
                format!(
                    "{} bytes, too short for the {N} bytes at byte {at}",
                    bytes.len()
                ),
            )
        })
}

/// The little-endian `u32` at `bytes[at..at + 4]` (see [`bytes_at`]).
pub(crate) fn u32_at(bytes: &[u8], at: usize) -> Result<u32, crate::AttnError> {
    bytes_at(bytes, at).map(u32::from_le_bytes)
}

/// Implements [`Module`] for a model made of an embedding, positions, a
/// list of layers and a readout (in that parameter order):
/// `stacked_module!(Type)` for a struct with fields `embed`, `pos`,
/// `layers` and `readout`.
macro_rules! stacked_module {
    ($ty:ty) => {
        impl Module for $ty {
            fn params(&self) -> Vec<&Param> {
                let mut v = self.embed.params();
                v.extend(self.pos.params());
                v.extend(self.layers.iter().flat_map(|l| l.params()));
                v.extend(self.readout.params());
                v
            }
            fn params_mut(&mut self) -> Vec<&mut Param> {
                let mut v = self.embed.params_mut();
                v.extend(self.pos.params_mut());
                v.extend(self.layers.iter_mut().flat_map(|l| l.params_mut()));
                v.extend(self.readout.params_mut());
                v
            }
        }
    };
}
pub(crate) use stacked_module;
