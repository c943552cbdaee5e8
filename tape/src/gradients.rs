//! Adjoints computed by a reverse sweep, read back through variable handles.

use crate::{Tape, Var};
use admix_dual::Scalar;
use ndarray::ArrayD;

/// The adjoints of every recorded node after one reverse sweep.
///
/// Read them with [`Gradients::wrt`] (scalars) or
/// [`Gradients::wrt_array`](crate::Gradients::wrt_array) (arrays). A buffer
/// can be reused across sweeps with [`Tape::gradient_into`].
#[derive(Clone, Debug)]
pub struct Gradients<T = f64> {
    pub(crate) scalars: Vec<T>,
    pub(crate) arrays: Vec<Option<ArrayD<f64>>>,
    /// Address of the tape swept, to catch handles of another tape.
    tape: usize,
}

impl<T: Scalar> Default for Gradients<T> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<T: Scalar> Gradients<T> {
    /// An empty buffer, to be filled by [`Tape::gradient_into`].
    pub fn empty() -> Self {
        Self {
            scalars: Vec::new(),
            arrays: Vec::new(),
            tape: 0,
        }
    }

    /// Zeroes the buffers for a sweep of `tape`, which holds `nodes` scalar
    /// nodes and `arrays` array values.
    pub(crate) fn reset(&mut self, tape: &Tape<T>, nodes: usize, arrays: usize) {
        self.scalars.clear();
        self.scalars.resize(nodes, T::zero());
        crate::tape::empty_array_adjoints(arrays, &mut self.arrays);
        self.tape = tape as *const Tape<T> as usize;
    }

    /// The derivative of the swept output with respect to `x` (zero for a
    /// constant or an unrelated variable).
    ///
    /// # Panics
    /// When `x` belongs to another tape than the one swept.
    #[track_caller]
    pub fn wrt(&self, x: Var<'_, T>) -> T {
        match x.tape_address() {
            None => T::zero(),
            Some(address) => {
                self.check_tape(address);
                self.scalars[x.index() as usize]
            }
        }
    }

    /// The derivatives with respect to each of `xs`.
    ///
    /// # Panics
    /// As [`Gradients::wrt`].
    #[track_caller]
    pub fn wrt_all(&self, xs: &[Var<'_, T>]) -> Vec<T> {
        xs.iter().map(|&x| self.wrt(x)).collect()
    }

    #[track_caller]
    pub(crate) fn check_tape(&self, address: usize) {
        assert_eq!(
            address, self.tape,
            "variable read from the gradients of another tape; \
             read each variable from the sweep of the tape that recorded it"
        );
    }
}
