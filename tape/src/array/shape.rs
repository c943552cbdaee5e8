//! Shape rules shared by recording (checks) and adjoints (reductions).

use crate::TapeError;
use ndarray::{ArrayD, ArrayViewD, Axis};

/// The shape two operands broadcast to (NumPy rules: align trailing axes;
/// an axis of length 1 stretches).
pub(crate) fn broadcast_shape(
    op: &'static str,
    a: &[usize],
    b: &[usize],
) -> Result<Vec<usize>, TapeError> {
    let ndim = a.len().max(b.len());
    let padded = |s: &[usize], i: usize| {
        let pad = ndim - s.len();
        if i < pad {
            1
        } else {
            s[i - pad]
        }
    };
    (0..ndim)
        .map(|i| match (padded(a, i), padded(b, i)) {
            (x, y) if x == y => Ok(x),
            (1, y) => Ok(y),
            (x, 1) => Ok(x),
            _ => Err(TapeError::ShapeMismatch {
                op,
                left: a.to_vec(),
                right: b.to_vec(),
            }),
        })
        .collect()
}

/// Sums an adjoint of the broadcast shape back to the operand's `shape`:
/// the adjoint of a stretched axis is the sum over it.
pub(crate) fn unbroadcast(mut g: ArrayD<f64>, shape: &[usize]) -> ArrayD<f64> {
    if g.shape() == shape {
        return g;
    }
    while g.ndim() > shape.len() {
        g = g.sum_axis(Axis(0));
    }
    for (axis, &len) in shape.iter().enumerate() {
        if len == 1 && g.shape()[axis] != 1 {
            g = g.sum_axis(Axis(axis)).insert_axis(Axis(axis));
        }
    }
    g
}

/// [`unbroadcast`] from a borrow: copies only when nothing is summed.
pub(crate) fn unbroadcast_view(g: ArrayViewD<'_, f64>, shape: &[usize]) -> ArrayD<f64> {
    if g.shape() == shape {
        return g.to_owned();
    }
    let first = if g.ndim() > shape.len() {
        g.sum_axis(Axis(0))
    } else {
        let axis = (0..shape.len())
            .find(|&i| shape[i] == 1 && g.shape()[i] != 1)
            .expect("shapes differ, so some axis was stretched");
        g.sum_axis(Axis(axis)).insert_axis(Axis(axis))
    };
    unbroadcast(first, shape)
}

/// Checks that `axis` exists in an array of `ndim` axes.
pub(crate) fn check_axis(op: &'static str, axis: usize, ndim: usize) -> Result<(), TapeError> {
    if axis < ndim {
        Ok(())
    } else {
        Err(TapeError::AxisOutOfRange { op, axis, ndim })
    }
}

/// The side `d` of the lower triangle with `len = d(d+1)/2` entries.
pub(crate) fn triangle_side(len: usize) -> Result<usize, TapeError> {
    // d = (sqrt(8 len + 1) - 1) / 2, checked exactly in integers.
    let d = ((((8 * len + 1) as f64).sqrt() - 1.0) / 2.0).round() as usize;
    if d * (d + 1) / 2 == len && len > 0 {
        Ok(d)
    } else {
        Err(TapeError::TriangularLength { len })
    }
}
