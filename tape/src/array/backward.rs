//! Adjoint rules of the array operations, one match arm per operation.
//!
//! Each step takes ownership of its output's adjoint (no later step needs
//! it) and transforms it in place where it can, so most rules allocate
//! nothing beyond what the mathematics requires. Adjoints of inactive
//! (constant) operands are never computed.

use super::shape::{from_buffer, map2, sum_axis, unbroadcast, unbroadcast_view, zip_mut};
use super::{ArrayAdjoints, ArrayArena, Binary, Op, Step, Unary};
use admix_dual::Scalar;
use ndarray::{ArrayD, ArrayView1, ArrayView2, ArrayViewD, Axis, Ix1, Ix2, IxDyn, Slice};

type Adjoints = ArrayAdjoints;

/// Adds `g` to the adjoint of array `id` (moving it in when that is zero).
fn accumulate(adj: &mut Adjoints, id: usize, g: ArrayD<f64>) {
    match &mut adj[id] {
        Some(a) => {
            *a += &g;
            adj.recycle(g);
        }
        slot @ None => *slot = Some(g),
    }
}

/// The adjoint of array `id`, created as zeros of `shape` if still zero.
fn adjoint_mut<'a>(adj: &'a mut Adjoints, id: usize, shape: &[usize]) -> &'a mut ArrayD<f64> {
    if adj[id].is_none() {
        adj[id] = Some(adj.filled(shape, 0.0));
    }
    adj[id].as_mut().expect("set above")
}

/// Adds the constant `s` to every element of the adjoint of array `id`: one
/// filled array when that adjoint is still zero (not zeros, then a pass).
fn add_constant(adj: &mut Adjoints, id: usize, shape: &[usize], s: f64) {
    match &mut adj[id] {
        Some(a) => *a += s,
        None => adj[id] = Some(adj.filled(shape, s)),
    }
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

/// The only element of a 0-dimensional adjoint.
fn scalar(g: &ArrayD<f64>) -> f64 {
    g.iter().next().copied().unwrap_or(0.0)
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
            let a = adjoint_mut(adj, *x, v[*x].shape());
            if let Some(e) = a.iter_mut().nth(*flat) {
                *e += g;
            }
        }
        Op::FromScalars {
            scalars: indices,
            out,
        } => {
            if let Some(g) = adj[*out].take() {
                for (&s, &g) in indices.iter().zip(g.iter()) {
                    scalars[s as usize] += T::constant(g);
                }
            }
        }
        op => {
            let out = output_of(op);
            if let Some(g) = adj[out].take() {
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
/// the output `y`.
fn array_rule(
    op: &Op,
    mut g: ArrayD<f64>,
    y: &ArrayD<f64>,
    v: &[ArrayD<f64>],
    active: &[bool],
    adj: &mut Adjoints,
) {
    match *op {
        Op::Unary { kind, x, .. } => {
            let xv = &v[x];
            match kind {
                Unary::Neg => g.mapv_inplace(|g| -g),
                Unary::Exp => zip_mut(&mut g, y.view(), |g, y| *g *= y),
                Unary::Ln => zip_mut(&mut g, xv.view(), |g, x| *g /= x),
                Unary::Sqrt => zip_mut(&mut g, y.view(), |g, y| *g *= 0.5 / y),
                Unary::Square => zip_mut(&mut g, xv.view(), |g, x| *g *= 2.0 * x),
                Unary::Powi(0) => g.fill(0.0),
                Unary::Powi(n) => {
                    zip_mut(&mut g, xv.view(), |g, x| *g *= f64::from(n) * x.powi(n - 1));
                }
                Unary::Scale(c) => g.mapv_inplace(|g| g * c),
                Unary::Offset(_) => {}
            }
            accumulate(adj, x, g);
        }
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
        Op::Sum { x, .. } => add_constant(adj, x, v[x].shape(), scalar(&g)),
        Op::Mean { x, .. } => {
            let s = scalar(&g) / v[x].len() as f64;
            add_constant(adj, x, v[x].shape(), s);
        }
        Op::SqNorm { x, .. } => {
            let s = 2.0 * scalar(&g);
            adjoint_mut(adj, x, v[x].shape()).scaled_add(s, &v[x]);
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
            if let (None, 0, Some(part)) = (&adj[x], axis, g.as_slice()) {
                let inner: usize = shape[1..].iter().product();
                let mut buffer = adj.buffer(v[x].len());
                buffer.resize(range.start * inner, 0.0);
                buffer.extend_from_slice(part);
                buffer.resize(v[x].len(), 0.0);
                adj[x] = Some(from_buffer(IxDyn(shape), buffer));
            } else {
                let a = adjoint_mut(adj, x, shape);
                let mut part = a.slice_axis_mut(Axis(axis), Slice::from(range.clone()));
                part += &g;
            }
            adj.recycle(g);
        }
        Op::Concat { ref xs, axis, .. } => {
            let mut start = 0;
            for &x in xs {
                let len = v[x].shape()[axis];
                if active[x] {
                    let part = g.slice_axis(Axis(axis), Slice::from(start..start + len));
                    match &mut adj[x] {
                        Some(a) => *a += &part,
                        slot @ None => *slot = Some(part.to_owned()),
                    }
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
            let s = scalar(g);
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
