//! Shape rules shared by recording (checks) and adjoints (reductions).

use super::value::{into_vec, Values};
use crate::TapeError;
use ndarray::{
    ArrayD, ArrayView, ArrayView1, ArrayView2, ArrayViewD, ArrayViewMut, ArrayViewMutD, Axis,
    Dimension, Ix1, Ix2, IxDyn, Zip,
};

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
        g = sum_axis(g.view(), 0);
    }
    for (axis, &len) in shape.iter().enumerate() {
        if len == 1 && g.shape()[axis] != 1 {
            g = sum_axis(g.view(), axis).insert_axis(Axis(axis));
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
        sum_axis(g, 0)
    } else {
        let axis = (0..shape.len())
            .find(|&i| shape[i] == 1 && g.shape()[i] != 1)
            .expect("shapes differ, so some axis was stretched");
        sum_axis(g, axis).insert_axis(Axis(axis))
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

// ndarray iterates arrays of a static dimension type (Ix1, Ix2) much faster
// than IxDyn ones, above all when one operand is broadcast; the helpers
// below view 1- and 2-dimensional operands statically and fall back to
// IxDyn otherwise.

/// `f(a, b)` elementwise for the values `a` and `b` broadcast to the shape
/// `dim`, written into the (empty) buffer `out`. Equal shapes take one pass
/// over the flat elements; broadcasting fills zeros first.
pub(crate) fn zip_values(
    mut out: Vec<f64>,
    dim: &IxDyn,
    values: &Values,
    a: usize,
    b: usize,
    f: impl Fn(f64, f64) -> f64,
) -> Vec<f64> {
    if values.shape(a) == dim.slice() && values.shape(b) == dim.slice() {
        let pairs = values.data(a).iter().zip(values.data(b));
        out.extend(pairs.map(|(&a, &b)| f(a, b)));
        return out;
    }
    out.resize(dim.size(), 0.0);
    let out = ArrayD::from_shape_vec(dim.clone(), out).expect("one value per element");
    into_vec(map2(out, values.view(a), values.view(b), f))
}

/// `out = f(x, y)` elementwise; both operands must broadcast to the shape
/// of `out`.
pub(crate) fn map2(
    mut out: ArrayD<f64>,
    x: ArrayViewD<'_, f64>,
    y: ArrayViewD<'_, f64>,
    f: impl Fn(f64, f64) -> f64,
) -> ArrayD<f64> {
    let x = x
        .broadcast(out.raw_dim())
        .expect("shapes checked when recorded");
    let y = y
        .broadcast(out.raw_dim())
        .expect("shapes checked when recorded");
    let mut o = out.view_mut();
    match o.ndim() {
        1 => Zip::from(&mut fixed_mut::<Ix1>(&mut o))
            .and(&fixed::<Ix1>(x))
            .and(&fixed::<Ix1>(y))
            .for_each(|o, &a, &b| *o = f(a, b)),
        2 => Zip::from(&mut fixed_mut::<Ix2>(&mut o))
            .and(&fixed::<Ix2>(x))
            .and(&fixed::<Ix2>(y))
            .for_each(|o, &a, &b| *o = f(a, b)),
        _ => Zip::from(&mut o)
            .and(&x)
            .and(&y)
            .for_each(|o, &a, &b| *o = f(a, b)),
    }
    out
}

/// `f` of every element of `x`, in one pass, into the (empty) buffer `out`.
pub(crate) fn map_into(mut out: Vec<f64>, x: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
    out.extend(x.iter().map(|&v| f(v)));
    out
}

/// `f(&mut out, y)` elementwise, `y` broadcast to the shape of `out`.
pub(crate) fn zip_mut(
    out: &mut ArrayViewMutD<'_, f64>,
    y: ArrayViewD<'_, f64>,
    f: impl Fn(&mut f64, f64),
) {
    // Same shape, both in standard layout: a plain slice loop.
    if out.shape() == y.shape() {
        if let (Some(o), Some(y)) = (out.as_slice_mut(), y.as_slice()) {
            o.iter_mut().zip(y).for_each(|(o, &y)| f(o, y));
            return;
        }
    }
    let y = y
        .broadcast(out.raw_dim())
        .expect("shapes checked when recorded");
    match out.ndim() {
        1 => Zip::from(&mut fixed_mut::<Ix1>(out))
            .and(&fixed::<Ix1>(y))
            .for_each(|o, &y| f(o, y)),
        2 => Zip::from(&mut fixed_mut::<Ix2>(out))
            .and(&fixed::<Ix2>(y))
            .for_each(|o, &y| f(o, y)),
        _ => Zip::from(out).and(&y).for_each(|o, &y| f(o, y)),
    }
}

/// `f(lane)` for every lane along `axis` (the axis disappears).
pub(crate) fn map_lanes(
    x: &ArrayViewD<'_, f64>,
    axis: usize,
    f: impl Fn(ArrayView1<'_, f64>) -> f64,
) -> ArrayD<f64> {
    match x.ndim() {
        1 => ndarray::arr0(f(fixed::<Ix1>(x.view()))).into_dyn(),
        2 => fixed::<Ix2>(x.view()).map_axis(Axis(axis), f).into_dyn(),
        _ => x.map_axis(Axis(axis), f),
    }
}

/// A matrix operand whose rank was checked when it was recorded.
pub(crate) fn matrix<'a>(x: &ArrayViewD<'a, f64>) -> ArrayView2<'a, f64> {
    x.clone()
        .into_dimensionality::<Ix2>()
        .expect("rank checked when recorded")
}

/// A vector operand whose rank was checked when it was recorded.
pub(crate) fn vector<'a>(x: &ArrayViewD<'a, f64>) -> ArrayView1<'a, f64> {
    x.clone()
        .into_dimensionality::<Ix1>()
        .expect("rank checked when recorded")
}

fn fixed<D: Dimension>(x: ArrayViewD<'_, f64>) -> ArrayView<'_, f64, D> {
    x.into_dimensionality::<D>().expect("rank matched")
}

fn fixed_mut<'a, D: Dimension>(x: &'a mut ArrayViewMutD<'_, f64>) -> ArrayViewMut<'a, f64, D> {
    x.view_mut()
        .into_dimensionality::<D>()
        .expect("rank matched")
}

/// Sum along `axis`. ndarray sums a non-innermost axis one subview at a
/// time; the rows of a row-major matrix are summed here as slices instead.
pub(crate) fn sum_axis(x: ArrayViewD<'_, f64>, axis: usize) -> ArrayD<f64> {
    if x.ndim() != 2 {
        return x.sum_axis(Axis(axis));
    }
    let x = fixed::<Ix2>(x);
    match (axis, x.as_slice()) {
        (0, Some(flat)) => {
            let mut acc = vec![0.0; x.ncols()];
            for row in flat.chunks_exact(x.ncols().max(1)) {
                acc.iter_mut().zip(row).for_each(|(a, r)| *a += r);
            }
            ndarray::Array1::from(acc).into_dyn()
        }
        _ => x.sum_axis(Axis(axis)).into_dyn(),
    }
}
