//! Adjoint rules of the array operations, one match arm per operation.
//!
//! Each step takes ownership of its output's adjoint (no later step needs
//! it) and transforms it in place where it can, so most rules allocate
//! nothing beyond what the mathematics requires. Adjoints of inactive
//! (constant) operands are never computed.

use super::adjoints::Adjoint;
use super::shape::{from_buffer, map2, sum_axis, unbroadcast, unbroadcast_view, zip_mut};
use super::{ArrayAdjoints, ArrayArena, Binary, Op, Step, Unary};
use admix_dual::Scalar;
use ndarray::{ArrayD, ArrayView1, ArrayView2, ArrayViewD, Axis, Ix1, Ix2, IxDyn, Slice};

type Adjoints = ArrayAdjoints;

/// Adds `g` (one value per element) to the adjoint of array `id`.
fn accumulate(adj: &mut Adjoints, id: usize, g: ArrayD<f64>) {
    adj.accumulate(id, Adjoint::array(g));
}

/// The adjoint of array `id`, created as zeros of `shape` if still zero.
fn adjoint_mut<'a>(adj: &'a mut Adjoints, id: usize, shape: &[usize]) -> &'a mut ArrayD<f64> {
    adj.array_mut(id, shape)
}

fn matrix(x: &ArrayD<f64>) -> ArrayView2<'_, f64> {
    x.view()
        .into_dimensionality::<Ix2>()
        .expect("rank checked when recorded")
}

fn vector(x: &ArrayD<f64>) -> ArrayView1<'_, f64> {
    x.view()
        .into_dimensionality::<Ix1>()
        .expect("rank checked when recorded")
}

/// The only element of the adjoint of a one-element array.
fn scalar(g: &Adjoint) -> f64 {
    match g {
        Adjoint::Fill(c) => *c,
        Adjoint::Array(h, a) => h * a.iter().next().copied().unwrap_or(0.0),
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
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    y: &ArrayD<f64>,
) {
    match kind {
        Binary::Add => {}
        Binary::Sub => g.mapv_inplace(|g| -g),
        Binary::Mul => zip_mut(g, a.view(), |g, a| *g *= a),
        Binary::Div => {
            zip_mut(g, y.view(), |g, y| *g *= -y);
            zip_mut(g, b.view(), |g, b| *g /= b);
        }
    }
}

/// The adjoint of the right operand `b` of `y = a op b` from a borrowed
/// output adjoint: sums come straight from the view, products need one
/// array of the output's shape.
fn rhs_adjoint(
    adj: &mut Adjoints,
    kind: Binary,
    g: ArrayViewD<'_, f64>,
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    y: &ArrayD<f64>,
) -> ArrayD<f64> {
    let same = g.shape() == b.shape();
    match kind {
        // Same shape: copied (and negated) in one pass into a spare buffer.
        Binary::Add if same => adj.map(g, |g| g),
        Binary::Sub if same => adj.map(g, |g| -g),
        Binary::Add => unbroadcast_view(g, b.shape()),
        Binary::Sub => {
            let mut gb = unbroadcast_view(g, b.shape());
            gb.mapv_inplace(|g| -g);
            gb
        }
        Binary::Mul | Binary::Div => {
            let mut gb = adj.map(g, |g| g);
            binary_rhs(kind, &mut gb, a, b, y);
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
            let xv = &v[*x];
            if xv.len() == 1 {
                // The only element: its adjoint is a constant.
                adj.accumulate(*x, Adjoint::Fill(g));
            } else if let Some(e) = adjoint_mut(adj, *x, xv.shape()).iter_mut().nth(*flat) {
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
                array_rule(op, g, &v[out], v, active, adj);
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
fn array_rule(
    op: &Op,
    g: Adjoint,
    y: &ArrayD<f64>,
    v: &[ArrayD<f64>],
    active: &[bool],
    adj: &mut Adjoints,
) {
    match *op {
        Op::Unary { kind, x, .. } => unary_rule(kind, g, x, &v[x], y, adj),
        Op::Binary { kind, a, b, .. } if kind != Binary::Div => {
            binary_rule(kind, g, a, b, y, v, active, adj);
        }
        Op::Sum { x, .. } => adj.accumulate(x, Adjoint::Fill(scalar(&g))),
        Op::Mean { x, .. } => {
            let s = scalar(&g) / v[x].len() as f64;
            adj.accumulate(x, Adjoint::Fill(s));
        }
        Op::SqNorm { x, .. } => {
            let s = 2.0 * scalar(&g);
            adj.add_map(x, v[x].view(), |x| s * x);
        }
        _ => {
            let g = adj.materialise(g, y.shape());
            elementwise_rule(op, g, y, v, active, adj);
        }
    }
}

/// `y = f(x)` elementwise: `dx += f'(x) g` in one pass over `x` (or `y`)
/// and `g`; the linear ones turn a constant `g` into a constant, and neg
/// and scale change only the factor of an array `g`.
fn unary_rule(
    kind: Unary,
    g: Adjoint,
    x: usize,
    xv: &ArrayD<f64>,
    y: &ArrayD<f64>,
    adj: &mut Adjoints,
) {
    let (h, g) = match (kind, g) {
        (Unary::Offset(_), g) => return adj.accumulate(x, g),
        // x^0 is constant: no contribution.
        (Unary::Powi(0), _) => return,
        (Unary::Neg, Adjoint::Fill(c)) => return adj.accumulate(x, Adjoint::Fill(-c)),
        (Unary::Scale(s), Adjoint::Fill(c)) => return adj.accumulate(x, Adjoint::Fill(c * s)),
        (_, Adjoint::Fill(c)) => {
            match kind {
                Unary::Exp => adj.add_map(x, y.view(), |y| c * y),
                Unary::Ln => adj.add_map(x, xv.view(), |x| c / x),
                Unary::Sqrt => adj.add_map(x, y.view(), |y| c * (0.5 / y)),
                Unary::Square => adj.add_map(x, xv.view(), |x| c * (2.0 * x)),
                Unary::Powi(n) => {
                    adj.add_map(x, xv.view(), |x| c * (f64::from(n) * x.powi(n - 1)));
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
        Unary::Exp => adj.add_zip_owned(x, h, g, y.view(), |g, y| g * y),
        Unary::Ln => adj.add_zip_owned(x, h, g, xv.view(), |g, x| g / x),
        Unary::Sqrt => adj.add_zip_owned(x, h, g, y.view(), |g, y| g * (0.5 / y)),
        Unary::Square => adj.add_zip_owned(x, h, g, xv.view(), |g, x| g * (2.0 * x)),
        Unary::Powi(n) => {
            adj.add_zip_owned(x, h, g, xv.view(), |g, x| {
                g * (f64::from(n) * x.powi(n - 1))
            });
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
    y: &ArrayD<f64>,
    v: &[ArrayD<f64>],
    active: &[bool],
    adj: &mut Adjoints,
) {
    let (va, vb) = (&v[a], &v[b]);
    let sign = if kind == Binary::Sub { -1.0 } else { 1.0 };
    if let (Adjoint::Fill(c), Binary::Add | Binary::Sub) = (&g, kind) {
        // Each element of an operand reached y.len() / x.len() outputs.
        let summed = |x: &ArrayD<f64>| match x.len() {
            0 => 0.0,
            n => c * (y.len() / n) as f64,
        };
        if active[a] {
            adj.accumulate(a, Adjoint::Fill(summed(va)));
        }
        if active[b] {
            adj.accumulate(b, Adjoint::Fill(sign * summed(vb)));
        }
        return;
    }
    if va.shape() != y.shape() || vb.shape() != y.shape() {
        let g = adj.materialise(g, y.shape());
        return elementwise_rule(&Op::Binary { kind, a, b, out: 0 }, g, y, v, active, adj);
    }
    match (kind, g) {
        // d(ab) = b da + a db with a constant adjoint c.
        (_, Adjoint::Fill(c)) => {
            if active[a] {
                adj.add_map(a, vb.view(), |b| c * b);
            }
            if active[b] {
                adj.add_map(b, va.view(), |a| c * a);
            }
        }
        (Binary::Mul, Adjoint::Array(h, g)) => {
            if active[b] {
                if !active[a] {
                    return adj.add_zip_owned(b, h, g, va.view(), |g, a| g * a);
                }
                adj.add_zip(b, h, g.view(), va.view(), |g, a| g * a);
            }
            if active[a] {
                adj.add_zip_owned(a, h, g, vb.view(), |g, b| g * b);
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
                    adj.add_map(b, g.view(), |g| sign * h * g);
                }
            }
            if active[a] {
                adj.accumulate(a, Adjoint::Array(h, g));
            }
        }
    }
}

/// Adjoint rules that need the output adjoint `g` one value per element.
fn elementwise_rule(
    op: &Op,
    mut g: ArrayD<f64>,
    y: &ArrayD<f64>,
    v: &[ArrayD<f64>],
    active: &[bool],
    adj: &mut Adjoints,
) {
    match *op {
        Op::Binary { kind, a, b, .. } => {
            // d(a+b) = da + db; d(a-b) = da - db; d(ab) = b da + a db;
            // d(a/b) = da / b - (a/b) db / b. Broadcast axes are summed back.
            // The left operand's contribution reuses `g` in place; the right
            // one is computed from a borrow when the left needs `g` too.
            if active[b] {
                let gb = if active[a] {
                    rhs_adjoint(adj, kind, g.view(), &v[a], &v[b], y)
                } else {
                    let mut gb = g;
                    binary_rhs(kind, &mut gb, &v[a], &v[b], y);
                    accumulate(adj, b, unbroadcast(gb, v[b].shape()));
                    return;
                };
                accumulate(adj, b, gb);
            }
            if active[a] {
                match kind {
                    Binary::Add | Binary::Sub => {}
                    Binary::Mul => zip_mut(&mut g, v[b].view(), |g, b| *g *= b),
                    Binary::Div => zip_mut(&mut g, v[b].view(), |g, b| *g /= b),
                }
                accumulate(adj, a, unbroadcast(g, v[a].shape()));
            }
        }
        Op::MatMul { a, b, .. } => matmul_rule(a, b, &g, v, active, adj),
        Op::MatMulAdd { a, b, c, .. } => {
            // Y = A B + C: dA = G B^T, dB = A^T G, dC = G summed over the
            // axes C was broadcast along.
            if active[c] {
                accumulate(adj, c, unbroadcast_view(g.view(), v[c].shape()));
            }
            matmul_rule(a, b, &g, v, active, adj);
        }
        Op::Transpose { x, .. } => accumulate(adj, x, g.reversed_axes()),
        Op::Reshape { x, .. } => {
            let gx = g
                .to_shape(v[x].shape())
                .expect("size checked when recorded")
                .into_owned();
            accumulate(adj, x, gx);
        }
        Op::SqNormAxis { x, axis, .. } => {
            // d |x|^2 = 2 x . dx along each lane.
            let lanes = g.view().insert_axis(Axis(axis));
            let gx = map2(ArrayD::zeros(v[x].shape()), v[x].view(), lanes, |x, g| {
                2.0 * x * g
            });
            accumulate(adj, x, gx);
        }
        Op::SumAxis { x, axis, .. } => {
            let a = adjoint_mut(adj, x, v[x].shape());
            zip_mut(a, g.view().insert_axis(Axis(axis)), |a, g| *a += g);
        }
        Op::LogSumExp { x, axis, .. } => {
            // d lse = softmax(x) . dx along each lane.
            let mut gx = v[x].clone();
            zip_mut(&mut gx, y.view().insert_axis(Axis(axis)), |e, m| *e -= m);
            zip_mut(&mut gx, g.view().insert_axis(Axis(axis)), |e, g| {
                *e = g * e.exp()
            });
            accumulate(adj, x, gx);
        }
        Op::Softmax { x, axis, .. } => {
            // dx = s * (g - sum(g * s)) along each lane, s = softmax(x).
            let gs = sum_axis((&g * y).view(), axis);
            zip_mut(&mut g, gs.view().insert_axis(Axis(axis)), |g, t| *g -= t);
            zip_mut(&mut g, y.view(), |g, s| *g *= s);
            accumulate(adj, x, g);
        }
        Op::LogSoftmax { x, axis, .. } => {
            // dx = g - softmax(x) sum(g) along each lane.
            let total = sum_axis(g.view(), axis);
            let mut s = y.mapv(f64::exp);
            zip_mut(&mut s, total.view().insert_axis(Axis(axis)), |s, t| *s *= t);
            zip_mut(&mut g, s.view(), |g, s| *g -= s);
            accumulate(adj, x, g);
        }
        Op::Slice {
            x, axis, ref range, ..
        } => {
            let shape = v[x].shape();
            // A slice of the first axis of a still-zero adjoint is one block
            // between zeros: written in one pass, not zeros and then a sum.
            if let (true, 0, Some(part)) = (adj.is_zero(x), axis, g.as_slice()) {
                let inner: usize = shape[1..].iter().product();
                let mut buffer = adj.buffer(v[x].len());
                buffer.resize(range.start * inner, 0.0);
                buffer.extend_from_slice(part);
                buffer.resize(v[x].len(), 0.0);
                accumulate(adj, x, from_buffer(IxDyn(shape), buffer));
            } else {
                let a = adjoint_mut(adj, x, shape);
                let inner: usize = shape[1..].iter().product();
                let block = range.start * inner..range.end * inner;
                match (axis, a.as_slice_mut(), g.as_slice()) {
                    // Rows of a row-major adjoint: one block, a slice loop.
                    (0, Some(a), Some(part)) => {
                        a[block].iter_mut().zip(part).for_each(|(a, &g)| *a += g);
                    }
                    _ => {
                        let mut part = a.slice_axis_mut(Axis(axis), Slice::from(range.clone()));
                        part += &g;
                    }
                }
            }
            adj.recycle(g);
        }
        Op::Concat { ref xs, axis, .. } => {
            let mut start = 0;
            for &x in xs {
                let len = v[x].shape()[axis];
                if active[x] {
                    let part = g.slice_axis(Axis(axis), Slice::from(start..start + len));
                    accumulate(adj, x, part.to_owned());
                }
                start += len;
            }
        }
        Op::TrilExpDiag { x, .. } => {
            let (g, l) = (matrix(&g), matrix(y));
            let a = adjoint_mut(adj, x, v[x].shape());
            let mut k = 0;
            for i in 0..l.nrows() {
                for j in 0..=i {
                    // The diagonal went through exp: d exp(e) = exp(e) de.
                    a[[k]] += if i == j {
                        g[[i, i]] * l[[i, i]]
                    } else {
                        g[[i, j]]
                    };
                    k += 1;
                }
            }
        }
        Op::Diag { x, .. } => {
            let a = adjoint_mut(adj, x, v[x].shape());
            let mut a = a
                .view_mut()
                .into_dimensionality::<Ix2>()
                .expect("rank checked when recorded");
            let mut d = a.diag_mut();
            d += &vector(&g);
        }
        Op::Custom {
            ref op, ref inputs, ..
        } => {
            let views: Vec<_> = inputs.iter().map(|&i| v[i].view()).collect();
            let wanted: Vec<bool> = inputs.iter().map(|&i| active[i]).collect();
            let grads = op.backward(&views, y.view(), g.view(), &wanted);
            for ((&i, want), gi) in inputs.iter().zip(wanted).zip(grads) {
                if let (true, Some(gi)) = (want, gi) {
                    assert_eq!(
                        gi.shape(),
                        v[i].shape(),
                        "custom operation {}: backward returned an adjoint of the wrong shape",
                        op.name()
                    );
                    accumulate(adj, i, gi);
                }
            }
        }
        Op::Unary { .. } | Op::Sum { .. } | Op::Mean { .. } | Op::SqNorm { .. } => {
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
    g: &ArrayD<f64>,
    v: &[ArrayD<f64>],
    active: &[bool],
    adj: &mut Adjoints,
) {
    let (va, vb) = (&v[a], &v[b]);
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
