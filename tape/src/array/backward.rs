//! Adjoint rules of the array operations, one match arm per operation.
//!
//! Each step takes ownership of its output's adjoint (no later step needs
//! it) and transforms it in place where it can, so most rules allocate
//! nothing beyond what the mathematics requires. Adjoints of inactive
//! (constant) operands are never computed.

use super::adjoints::Adjoint;
use super::shape::{map2, matrix, sum_axis, unbroadcast, unbroadcast_view, vector, zip_mut};
use super::value::{into_vec, Values};
use super::{ArrayAdjoints, ArrayArena, Binary, Op, Step, Unary};
use admix_dual::Scalar;
use ndarray::{ArrayD, ArrayView1, ArrayViewD, ArrayViewMut2, ArrayViewMutD, Axis, Slice};
use std::ops::Range;

type Adjoints = ArrayAdjoints;

/// Adds `g` (an array of the operand's shape) to the adjoint of array `id`.
fn accumulate(adj: &mut Adjoints, id: usize, g: ArrayD<f64>) {
    adj.accumulate(id, Adjoint::array(into_vec(g)));
}

/// The adjoint of array `id` as an ndarray view, created as zeros if
/// still zero.
fn adjoint_mut<'a>(adj: &'a mut Adjoints, id: usize, v: &Values) -> ArrayViewMutD<'a, f64> {
    let a = adj.array_mut(id, v.len_of(id));
    ArrayViewMutD::from_shape(v.dim(id).clone(), a).expect("one value per element")
}

/// The only element of the adjoint of a one-element array.
fn scalar(g: &Adjoint) -> f64 {
    match g {
        Adjoint::Fill(c) => *c,
        Adjoint::Array(h, a) => h * a.first().copied().unwrap_or(0.0),
    }
}

/// Outer product `u v^T`.
fn outer(u: ArrayView1<'_, f64>, v: ArrayView1<'_, f64>) -> ArrayD<f64> {
    (&u.insert_axis(Axis(1)) * &v.insert_axis(Axis(0))).into_dyn()
}

/// Turns the output adjoint `g` into the adjoint of the right operand `b`
/// of `y = a op b` (before summing broadcast axes).
fn binary_rhs(
    kind: Binary,
    g: &mut ArrayD<f64>,
    a: ArrayViewD<'_, f64>,
    b: ArrayViewD<'_, f64>,
    y: ArrayViewD<'_, f64>,
) {
    let mut g = g.view_mut();
    match kind {
        Binary::Add => {}
        Binary::Sub => g.mapv_inplace(|g| -g),
        Binary::Mul => zip_mut(&mut g, a, |g, a| *g *= a),
        Binary::Div => {
            zip_mut(&mut g, y, |g, y| *g *= -y);
            zip_mut(&mut g, b, |g, b| *g /= b);
        }
    }
}

/// The adjoint of the right operand `b` of `y = a op b` from a borrowed
/// output adjoint: sums come straight from the view, products need one
/// array of the output's shape.
fn rhs_adjoint(
    adj: &mut Adjoints,
    kind: Binary,
    g: &ArrayD<f64>,
    a: ArrayViewD<'_, f64>,
    b: ArrayViewD<'_, f64>,
    y: ArrayViewD<'_, f64>,
) -> ArrayD<f64> {
    let same = g.shape() == b.shape();
    let flat = g.as_slice().expect("adjoints are row-major");
    // A copy of `g` (negated, for sub) in one pass into a spare buffer.
    let mut copy = |f: fn(f64) -> f64| {
        ArrayD::from_shape_vec(g.raw_dim(), adj.map(flat, f)).expect("one value per element")
    };
    match kind {
        Binary::Add if same => copy(|g| g),
        Binary::Sub if same => copy(|g| -g),
        Binary::Add => unbroadcast_view(g.view(), b.shape()),
        Binary::Sub => {
            let mut gb = unbroadcast_view(g.view(), b.shape());
            gb.mapv_inplace(|g| -g);
            gb
        }
        Binary::Mul | Binary::Div => {
            let mut gb = copy(|g| g);
            binary_rhs(kind, &mut gb, a, b.view(), y);
            unbroadcast(gb, b.shape())
        }
    }
}

/// Runs the adjoint rule of one step: reads the adjoint of its output and
/// adds its contributions to the adjoints of its operands (arrays, or
/// scalar nodes through `scalars`).
pub(crate) fn backward_step<T: Scalar>(
    step: &Step,
    arena: &ArrayArena,
    adj: &mut Adjoints,
    scalars: &mut [T],
) {
    let v = &arena.values;
    let active = &arena.active;
    match &step.op {
        Op::ToScalar { x, flat, scalar } => {
            let g = scalars[*scalar as usize].value_f64();
            let len = v.len_of(*x);
            if len == 1 {
                // The only element: its adjoint is a constant.
                adj.accumulate(*x, Adjoint::Fill(g));
            } else if let Some(e) = adj.array_mut(*x, len).get_mut(*flat) {
                *e += g;
            }
        }
        Op::FromScalars {
            scalars: indices,
            out,
        } => match adj.take(*out) {
            Some(Adjoint::Fill(g)) => {
                for &s in indices {
                    scalars[s as usize] += T::constant(g);
                }
            }
            Some(Adjoint::Array(h, g)) => {
                for (&s, &g) in indices.iter().zip(g.iter()) {
                    scalars[s as usize] += T::constant(h * g);
                }
                adj.recycle(g);
            }
            None => {}
        },
        op => {
            let out = output_of(op);
            if let Some(g) = adj.take(out) {
                array_rule(op, g, out, v, active, adj);
            }
        }
    }
}

/// The id of the array an array-valued step produced.
fn output_of(op: &Op) -> usize {
    match op {
        Op::Unary { out, .. }
        | Op::Binary { out, .. }
        | Op::MatMul { out, .. }
        | Op::MatMulAdd { out, .. }
        | Op::Transpose { out, .. }
        | Op::Reshape { out, .. }
        | Op::Sum { out, .. }
        | Op::SumAxis { out, .. }
        | Op::Mean { out, .. }
        | Op::SqNorm { out, .. }
        | Op::SqNormAxis { out, .. }
        | Op::LogSumExp { out, .. }
        | Op::Softmax { out, .. }
        | Op::LogSoftmax { out, .. }
        | Op::Slice { out, .. }
        | Op::Concat { out, .. }
        | Op::TrilExpDiag { out, .. }
        | Op::Diag { out, .. }
        | Op::FromScalars { out, .. }
        | Op::Custom { out, .. } => *out,
        Op::ToScalar { x, .. } => *x,
    }
}

/// Adjoint rules of the array-to-array operations; `g` is the adjoint of
/// the output `y`. Elementwise operations and reductions to a constant take
/// `g` as it is (a constant stays a constant where it can); the others get
/// it one value per element.
fn array_rule(op: &Op, g: Adjoint, out: usize, v: &Values, active: &[bool], adj: &mut Adjoints) {
    match *op {
        Op::Unary { kind, x, .. } => unary_rule(kind, g, x, v.data(x), v.data(out), adj),
        Op::Binary { kind, a, b, .. } if kind != Binary::Div => {
            binary_rule(kind, g, a, b, out, v, active, adj);
        }
        Op::Sum { x, .. } => adj.accumulate(x, Adjoint::Fill(scalar(&g))),
        Op::Mean { x, .. } => {
            let s = scalar(&g) / v.len_of(x) as f64;
            adj.accumulate(x, Adjoint::Fill(s));
        }
        Op::SqNorm { x, .. } => {
            let s = 2.0 * scalar(&g);
            adj.add_map(x, v.data(x), |x| s * x);
        }
        // Row-major elements in a new shape: the adjoint as it is.
        Op::Reshape { x, .. } => adj.accumulate(x, g),
        Op::Slice {
            x,
            axis: 0,
            ref range,
            ..
        } => {
            let g = adj.materialise(g, v.len_of(out));
            rows_rule(x, range, g, v, adj);
        }
        Op::Concat { ref xs, axis, .. } => {
            let g = adj.materialise(g, v.len_of(out));
            concat_rule(xs, axis, g, v, active, adj);
        }
        _ => {
            let g = adj.materialise(g, v.len_of(out));
            let g = ArrayD::from_shape_vec(v.dim(out).clone(), g).expect("one value per element");
            elementwise_rule(op, g, out, v, active, adj);
        }
    }
}

/// `y = x[range]` along the first axis: the adjoint of a block of the
/// row-major elements of `x`.
fn rows_rule(x: usize, range: &Range<usize>, g: Vec<f64>, v: &Values, adj: &mut Adjoints) {
    let (shape, len) = (v.shape(x), v.len_of(x));
    let inner: usize = shape[1..].iter().product();
    let block = range.start * inner..range.end * inner;
    if adj.is_zero(x) {
        // One block between zeros: written in one pass, not zeros and
        // then a sum.
        let mut buffer = adj.buffer(len);
        buffer.resize(block.start, 0.0);
        buffer.extend_from_slice(&g);
        buffer.resize(len, 0.0);
        adj.accumulate(x, Adjoint::array(buffer));
    } else {
        let a = &mut adj.array_mut(x, len)[block];
        a.iter_mut().zip(&g).for_each(|(a, &g)| *a += g);
    }
    adj.recycle(g);
}

/// `y = f(x)` elementwise: `dx += f'(x) g` in one pass over `x` (or `y`)
/// and `g`; the linear ones turn a constant `g` into a constant, and neg
/// and scale change only the factor of an array `g`.
fn unary_rule(kind: Unary, g: Adjoint, x: usize, xv: &[f64], y: &[f64], adj: &mut Adjoints) {
    let (h, g) = match (kind, g) {
        (Unary::Offset(_), g) => return adj.accumulate(x, g),
        // x^0 is constant: no contribution.
        (Unary::Powi(0), _) => return,
        (Unary::Neg, Adjoint::Fill(c)) => return adj.accumulate(x, Adjoint::Fill(-c)),
        (Unary::Scale(s), Adjoint::Fill(c)) => return adj.accumulate(x, Adjoint::Fill(c * s)),
        (_, Adjoint::Fill(c)) => {
            match kind {
                Unary::Exp => adj.add_map(x, y, |y| c * y),
                Unary::Ln => adj.add_map(x, xv, |x| c / x),
                Unary::Sqrt => adj.add_map(x, y, |y| c * (0.5 / y)),
                Unary::Square => adj.add_map(x, xv, |x| c * (2.0 * x)),
                Unary::Powi(n) => {
                    adj.add_map(x, xv, |x| c * (f64::from(n) * x.powi(n - 1)));
                }
                Unary::Neg | Unary::Scale(_) | Unary::Offset(_) => unreachable!("matched above"),
            }
            return;
        }
        (_, Adjoint::Array(h, g)) => (h, g),
    };
    // One loop per kind (not a match per element), so each vectorises.
    match kind {
        Unary::Neg => adj.accumulate(x, Adjoint::Array(-h, g)),
        Unary::Scale(s) => adj.accumulate(x, Adjoint::Array(s * h, g)),
        Unary::Exp => adj.add_zip_owned(x, h, g, y, |g, y| g * y),
        Unary::Ln => adj.add_zip_owned(x, h, g, xv, |g, x| g / x),
        Unary::Sqrt => adj.add_zip_owned(x, h, g, y, |g, y| g * (0.5 / y)),
        Unary::Square => adj.add_zip_owned(x, h, g, xv, |g, x| g * (2.0 * x)),
        Unary::Powi(n) => {
            adj.add_zip_owned(x, h, g, xv, |g, x| g * (f64::from(n) * x.powi(n - 1)));
        }
        Unary::Offset(_) => unreachable!("matched above"),
    }
}

/// `y = a + b`, `a - b` or `a b` (division goes through
/// [`elementwise_rule`]). A constant adjoint through a sum stays a
/// constant (times the number of elements each operand element was
/// broadcast to); operands of the output's shape get their contribution
/// in one pass each.
#[allow(clippy::too_many_arguments)]
fn binary_rule(
    kind: Binary,
    g: Adjoint,
    a: usize,
    b: usize,
    out: usize,
    v: &Values,
    active: &[bool],
    adj: &mut Adjoints,
) {
    let sign = if kind == Binary::Sub { -1.0 } else { 1.0 };
    if let (Adjoint::Fill(c), Binary::Add | Binary::Sub) = (&g, kind) {
        // Each element of an operand reached y.len() / x.len() outputs.
        let summed = |x: usize| match v.len_of(x) {
            0 => 0.0,
            n => c * (v.len_of(out) / n) as f64,
        };
        if active[a] {
            adj.accumulate(a, Adjoint::Fill(summed(a)));
        }
        if active[b] {
            adj.accumulate(b, Adjoint::Fill(sign * summed(b)));
        }
        return;
    }
    if v.shape(a) != v.shape(out) || v.shape(b) != v.shape(out) {
        let g = adj.materialise(g, v.len_of(out));
        let g = ArrayD::from_shape_vec(v.dim(out).clone(), g).expect("one value per element");
        return elementwise_rule(&Op::Binary { kind, a, b, out }, g, out, v, active, adj);
    }
    let (va, vb) = (v.data(a), v.data(b));
    match (kind, g) {
        // d(ab) = b da + a db with a constant adjoint c.
        (_, Adjoint::Fill(c)) => {
            if active[a] {
                adj.add_map(a, vb, |b| c * b);
            }
            if active[b] {
                adj.add_map(b, va, |a| c * a);
            }
        }
        (Binary::Mul, Adjoint::Array(h, g)) => {
            if active[b] {
                if !active[a] {
                    return adj.add_zip_owned(b, h, g, va, |g, a| g * a);
                }
                adj.add_zip(b, h, &g, va, |g, a| g * a);
            }
            if active[a] {
                adj.add_zip_owned(a, h, g, vb, |g, b| g * b);
            }
        }
        // Sums: the left operand takes `g`, the right one `g` or `-g` by
        // its factor; a copy when both need it (or one pass adding it in).
        (_, Adjoint::Array(h, g)) => {
            if active[b] {
                if !active[a] {
                    return adj.accumulate(b, Adjoint::Array(sign * h, g));
                }
                if adj.is_zero(b) {
                    let gb = adj.copy(sign * h, &g);
                    adj.accumulate(b, gb);
                } else {
                    adj.add_map(b, &g, |g| sign * h * g);
                }
            }
            if active[a] {
                adj.accumulate(a, Adjoint::Array(h, g));
            }
        }
    }
}

/// `y = concat(xs)` along `axis`: each input's adjoint is its blocks of the
/// row-major elements of `g`, gathered in one pass over `g`.
fn concat_rule(
    xs: &[usize],
    axis: usize,
    g: Vec<f64>,
    v: &Values,
    active: &[bool],
    adj: &mut Adjoints,
) {
    let outer: usize = v.shape(xs[0])[..axis].iter().product();
    let mut parts: Vec<Option<Vec<f64>>> = xs
        .iter()
        .map(|&x| active[x].then(|| adj.buffer(v.len_of(x))))
        .collect();
    for o in 0..outer {
        let mut start = o * (g.len() / outer);
        for (&x, part) in xs.iter().zip(&mut parts) {
            let block = v.len_of(x) / outer;
            if let Some(part) = part {
                part.extend_from_slice(&g[start..start + block]);
            }
            start += block;
        }
    }
    for (&x, part) in xs.iter().zip(parts) {
        if let Some(part) = part {
            adj.accumulate(x, Adjoint::array(part));
        }
    }
    adj.recycle(g);
}

/// Adjoint rules that need the output adjoint `g` one value per element.
fn elementwise_rule(
    op: &Op,
    mut g: ArrayD<f64>,
    out: usize,
    v: &Values,
    active: &[bool],
    adj: &mut Adjoints,
) {
    let y = v.view(out);
    match *op {
        Op::Binary { kind, a, b, .. } => {
            // d(a+b) = da + db; d(a-b) = da - db; d(ab) = b da + a db;
            // d(a/b) = da / b - (a/b) db / b. Broadcast axes are summed back.
            // The left operand's contribution reuses `g` in place; the right
            // one is computed from a borrow when the left needs `g` too.
            if active[b] {
                let gb = if active[a] {
                    rhs_adjoint(adj, kind, &g, v.view(a), v.view(b), y)
                } else {
                    let mut gb = g;
                    binary_rhs(kind, &mut gb, v.view(a), v.view(b), y);
                    accumulate(adj, b, unbroadcast(gb, v.shape(b)));
                    return;
                };
                accumulate(adj, b, gb);
            }
            if active[a] {
                let mut gv = g.view_mut();
                match kind {
                    Binary::Add | Binary::Sub => {}
                    Binary::Mul => zip_mut(&mut gv, v.view(b), |g, b| *g *= b),
                    Binary::Div => zip_mut(&mut gv, v.view(b), |g, b| *g /= b),
                }
                accumulate(adj, a, unbroadcast(g, v.shape(a)));
            }
        }
        Op::MatMul { a, b, .. } => matmul_rule(a, b, &g.view(), v, active, adj),
        Op::MatMulAdd { a, b, c, .. } => {
            // Y = A B + C: dA = G B^T, dB = A^T G, dC = G summed over the
            // axes C was broadcast along.
            if active[c] {
                accumulate(adj, c, unbroadcast_view(g.view(), v.shape(c)));
            }
            matmul_rule(a, b, &g.view(), v, active, adj);
        }
        Op::Transpose { x, .. } => accumulate(adj, x, g.reversed_axes()),
        Op::SqNormAxis { x, axis, .. } => {
            // d |x|^2 = 2 x . dx along each lane.
            let lanes = g.view().insert_axis(Axis(axis));
            let zeros = ArrayD::zeros(v.dim(x).clone());
            let gx = map2(zeros, v.view(x), lanes, |x, g| 2.0 * x * g);
            accumulate(adj, x, gx);
        }
        Op::SumAxis { x, axis, .. } => {
            let mut a = adjoint_mut(adj, x, v);
            zip_mut(&mut a, g.view().insert_axis(Axis(axis)), |a, g| *a += g);
        }
        Op::LogSumExp { x, axis, .. } => {
            // d lse = softmax(x) . dx along each lane.
            let mut gx = v.view(x).to_owned();
            let mut e = gx.view_mut();
            zip_mut(&mut e, y.insert_axis(Axis(axis)), |e, m| *e -= m);
            zip_mut(&mut e, g.view().insert_axis(Axis(axis)), |e, g| {
                *e = g * e.exp()
            });
            accumulate(adj, x, gx);
        }
        Op::Softmax { x, axis, .. } => {
            // dx = s * (g - sum(g * s)) along each lane, s = softmax(x).
            let gs = sum_axis((&g * &y).view(), axis);
            let mut gv = g.view_mut();
            zip_mut(&mut gv, gs.view().insert_axis(Axis(axis)), |g, t| *g -= t);
            zip_mut(&mut gv, y, |g, s| *g *= s);
            accumulate(adj, x, g);
        }
        Op::LogSoftmax { x, axis, .. } => {
            // dx = g - softmax(x) sum(g) along each lane.
            let total = sum_axis(g.view(), axis);
            let mut s = y.mapv(f64::exp);
            zip_mut(
                &mut s.view_mut(),
                total.view().insert_axis(Axis(axis)),
                |s, t| *s *= t,
            );
            zip_mut(&mut g.view_mut(), s.view(), |g, s| *g -= s);
            accumulate(adj, x, g);
        }
        Op::Slice {
            x, axis, ref range, ..
        } => {
            let mut a = adjoint_mut(adj, x, v);
            let mut part = a.slice_axis_mut(Axis(axis), Slice::from(range.clone()));
            part += &g;
        }
        Op::TrilExpDiag { x, .. } => {
            let (g, l) = (matrix(&g.view()), matrix(&y));
            let a = adj.array_mut(x, v.len_of(x));
            let mut k = 0;
            for i in 0..l.nrows() {
                for j in 0..=i {
                    // The diagonal went through exp: d exp(e) = exp(e) de.
                    a[k] += if i == j {
                        g[[i, i]] * l[[i, i]]
                    } else {
                        g[[i, j]]
                    };
                    k += 1;
                }
            }
        }
        Op::Diag { x, .. } => {
            let (rows, cols) = (v.shape(x)[0], v.shape(x)[1]);
            let a = adj.array_mut(x, v.len_of(x));
            let mut a =
                ArrayViewMut2::from_shape((rows, cols), a).expect("rank checked when recorded");
            let mut diag = a.diag_mut();
            diag += &vector(&g.view());
        }
        Op::Custom {
            ref op, ref inputs, ..
        } => {
            let views: Vec<_> = inputs.iter().map(|&i| v.view(i)).collect();
            let wanted: Vec<bool> = inputs.iter().map(|&i| active[i]).collect();
            let grads = op.backward(&views, y, g.view(), &wanted);
            for ((&i, want), gi) in inputs.iter().zip(wanted).zip(grads) {
                if let (true, Some(gi)) = (want, gi) {
                    assert_eq!(
                        gi.shape(),
                        v.shape(i),
                        "custom operation {}: backward returned an adjoint of the wrong shape",
                        op.name()
                    );
                    accumulate(adj, i, gi);
                }
            }
        }
        Op::Unary { .. }
        | Op::Sum { .. }
        | Op::Mean { .. }
        | Op::SqNorm { .. }
        | Op::Reshape { .. }
        | Op::Concat { .. } => {
            unreachable!("handled by array_rule")
        }
        Op::FromScalars { .. } | Op::ToScalar { .. } => {
            unreachable!("scalar links are handled by backward_step")
        }
    }
}

/// Adjoints of `y = a b` for every combination of vectors and matrices.
fn matmul_rule(
    a: usize,
    b: usize,
    g: &ArrayViewD<'_, f64>,
    v: &Values,
    active: &[bool],
    adj: &mut Adjoints,
) {
    let (va, vb) = (&v.view(a), &v.view(b));
    let (ga, gb) = match (va.ndim(), vb.ndim()) {
        // Y = A B: dA = G B^T, dB = A^T G.
        (2, 2) => (
            active[a].then(|| matrix(g).dot(&matrix(vb).t()).into_dyn()),
            active[b].then(|| matrix(va).t().dot(&matrix(g)).into_dyn()),
        ),
        // y = A x: dA = g x^T, dx = A^T g.
        (2, 1) => (
            active[a].then(|| outer(vector(g), vector(vb))),
            active[b].then(|| matrix(va).t().dot(&vector(g)).into_dyn()),
        ),
        // y = x^T B: dx = B g, dB = x g^T.
        (1, 2) => (
            active[a].then(|| matrix(vb).dot(&vector(g)).into_dyn()),
            active[b].then(|| outer(vector(va), vector(g))),
        ),
        // y = x . z: dx = g z, dz = g x.
        _ => {
            let s = g.iter().next().copied().unwrap_or(0.0);
            (
                active[a].then(|| vb.mapv(|z| s * z)),
                active[b].then(|| va.mapv(|x| s * x)),
            )
        }
    };
    if let Some(ga) = ga {
        accumulate(adj, a, ga);
    }
    if let Some(gb) = gb {
        accumulate(adj, b, gb);
    }
}
