//! The adjoints of a tape's arrays during and after a reverse sweep, and
//! the spare buffers that let the next sweep into the same
//! [`Gradients`](crate::Gradients) allocate nothing.

use super::shape::from_buffer;
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use std::ops::{Index, IndexMut};

/// Adjoint of every array (`None` meaning zero), and buffers of adjoints
/// that are no longer needed, for the rules to fill.
#[derive(Clone, Debug, Default)]
pub(crate) struct ArrayAdjoints {
    slots: Vec<Option<ArrayD<f64>>>,
    spare: Vec<Vec<f64>>,
}

impl ArrayAdjoints {
    /// Zero adjoints for `len` arrays; the buffers of the last sweep become
    /// the spares (replacing the older ones, so the spares never outgrow
    /// one sweep).
    pub(crate) fn reset(&mut self, len: usize) {
        self.spare.clear();
        for a in self.slots.drain(..).flatten() {
            self.spare.push(a.into_raw_vec_and_offset().0);
        }
        self.slots.resize_with(len, || None);
    }

    /// The adjoint of array `id`, if it is not zero.
    pub(crate) fn get(&self, id: usize) -> Option<&ArrayD<f64>> {
        self.slots.get(id).and_then(Option::as_ref)
    }

    /// An empty buffer with room for `len` values: a spare when one is
    /// large enough, else a new one.
    pub(crate) fn buffer(&mut self, len: usize) -> Vec<f64> {
        match self.spare.iter().rposition(|b| b.capacity() >= len) {
            Some(i) => {
                let mut b = self.spare.swap_remove(i);
                b.clear();
                b
            }
            None => Vec::with_capacity(len),
        }
    }

    /// Keeps the buffer of an adjoint that is no longer needed.
    pub(crate) fn recycle(&mut self, a: ArrayD<f64>) {
        self.spare.push(a.into_raw_vec_and_offset().0);
    }

    /// An array of `shape` filled with `value`.
    pub(crate) fn filled(&mut self, shape: &[usize], value: f64) -> ArrayD<f64> {
        let len = shape.iter().product();
        let mut b = self.buffer(len);
        b.resize(len, value);
        from_buffer(IxDyn(shape), b)
    }

    /// `f` of every element of `g`, in a spare buffer when `g` is in
    /// standard layout.
    pub(crate) fn map(&mut self, g: ArrayViewD<'_, f64>, f: impl Fn(f64) -> f64) -> ArrayD<f64> {
        match g.as_slice() {
            Some(values) => {
                let mut b = self.buffer(values.len());
                b.extend(values.iter().map(|&v| f(v)));
                from_buffer(g.raw_dim(), b)
            }
            None => g.mapv(f),
        }
    }
}

impl Index<usize> for ArrayAdjoints {
    type Output = Option<ArrayD<f64>>;
    fn index(&self, id: usize) -> &Self::Output {
        &self.slots[id]
    }
}

impl IndexMut<usize> for ArrayAdjoints {
    fn index_mut(&mut self, id: usize) -> &mut Self::Output {
        &mut self.slots[id]
    }
}
