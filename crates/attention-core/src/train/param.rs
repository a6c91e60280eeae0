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
