//! Adjoints computed by a reverse sweep, read back through variable handles.

use crate::array::ArrayAdjoints;
use crate::{Tape, Var};
use admix_dual::Scalar;

/// The adjoints of every recorded node after one reverse sweep.
///
/// Read them with [`Gradients::wrt`] (scalars) or
/// [`Gradients::wrt_array`](crate::Gradients::wrt_array) (arrays). A buffer
/// can be reused across sweeps with [`Tape::gradient_into`].
#[derive(Clone, Debug)]
pub struct Gradients<T = f64> {
    pub(crate) scalars: Vec<T>,
    pub(crate) arrays: ArrayAdjoints,
    /// The recording swept (see `Tape::recording`), to catch handles of
    /// another tape or of an earlier recording (0: none yet).
    recording: u64,
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
            arrays: ArrayAdjoints::default(),
            recording: 0,
        }
    }

    /// Zeroes the buffers for a sweep of `tape`, which holds `nodes` scalar
    /// nodes and `arrays` array values.
    pub(crate) fn reset(&mut self, tape: &Tape<T>, nodes: usize, arrays: usize) {
        self.scalars.clear();
        self.scalars.resize(nodes, T::zero());
        self.arrays.reset(arrays);
        self.recording = tape.recording();
    }

    /// The derivative of the swept output with respect to `x` (zero for a
    /// constant or an unrelated variable). `x` is an input or another node
    /// of its own: an intermediate result is read after [`Var::to_node`].
    ///
    /// # Panics
    /// When `x` belongs to another tape than the one swept, or to a later
    /// recording of it (after [`Tape::clear`]); when `x` is a pending
    /// intermediate result (see [`Var`]), whose adjoint the sweep never
    /// formed.
    #[track_caller]
    pub fn wrt(&self, x: Var<'_, T>) -> T {
        match x.recording() {
            None => T::zero(),
            Some(recording) => {
                self.check_tape(recording);
                let index = x.node().unwrap_or_else(|| pending_adjoint());
                // A node recorded after the sweep: the output cannot depend on it.
                self.scalars
                    .get(index as usize)
                    .copied()
                    .unwrap_or_else(T::zero)
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
    pub(crate) fn check_tape(&self, recording: u64) {
        assert_eq!(
            recording, self.recording,
            "variable read from the gradients of another tape or of an earlier \
             recording; read each variable from a sweep of the recording that made it"
        );
    }
}

/// The panic for reading the adjoint of a pending result, out of line.
#[cold]
#[inline(never)]
#[track_caller]
fn pending_adjoint() -> ! {
    panic!(
        "adjoint of an intermediate result that was folded into the node of the \
         operation using it; call `Var::to_node` on the result and use the \
         returned variable, whose adjoint the sweep keeps"
    )
}
