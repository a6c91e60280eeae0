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
    for p in m.params_mut() {
        for v in p.value.iter_mut() {
            let mut b = [0u8; 4];
            b.copy_from_slice(&bytes[at..at + 4]);
            let f = f32::from_le_bytes(b);
            if !f.is_finite() {
                return Err(bad(format!("non-finite weight at byte {at}")));
            }
            *v = f64::from(f);
            at += 4;
        }
    }
    Ok(())
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
