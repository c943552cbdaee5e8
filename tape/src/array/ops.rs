//! Recording array operations: each checks shapes, computes its value and
//! appends one step (see `backward.rs` for the matching adjoint rules).

use super::shape::{
    broadcast_shape, check_axis, from_buffer, map_into, map_lanes, sum_axis, triangle_side,
    zip_into, zip_mut,
};
use super::{ArrayVar, Binary, CustomOp, Op, Step, Unary};
use crate::{Tape, TapeError, Var};
use ndarray::linalg::general_mat_mul;
use ndarray::{
    arr0, concatenate, Array2, ArrayD, ArrayViewD, Axis, Dimension, Ix1, Ix2, IxDyn, Slice,
};
use std::ops::{Add, Div, Mul, Neg, Range, Sub};

impl<'t> ArrayVar<'t> {
    /// Records `f(self)` for an elementwise `kind`.
    fn unary(self, kind: Unary) -> Self {
        let (value, active) = {
            let mut arena = self.tape.arrays.borrow_mut();
            let len = arena.values[self.id()].len();
            let out = arena.take_empty(len);
            let x = &arena.values[self.id()];
            // One loop per kind (not a match per element), so each vectorises.
            let value = match kind {
                Unary::Neg => map_into(out, x, |x| -x),
                Unary::Exp => map_into(out, x, f64::exp),
                Unary::Ln => map_into(out, x, f64::ln),
                Unary::Sqrt => map_into(out, x, f64::sqrt),
                Unary::Square => map_into(out, x, |x| x * x),
                Unary::Powi(n) => map_into(out, x, |x| x.powi(n)),
                Unary::Scale(c) => map_into(out, x, |x| x * c),
                Unary::Offset(c) => map_into(out, x, |x| x + c),
            };
            (value, arena.active[self.id()])
        };
        let x = self.id();
        self.tape
            .push_op(value, active, |out| Op::Unary { kind, x, out })
    }

    /// Elementwise `exp`.
    pub fn exp(self) -> Self {
        self.unary(Unary::Exp)
    }

    /// Elementwise natural logarithm.
    pub fn ln(self) -> Self {
        self.unary(Unary::Ln)
    }

    /// Elementwise square root.
    pub fn sqrt(self) -> Self {
        self.unary(Unary::Sqrt)
    }

    /// Elementwise square.
    pub fn square(self) -> Self {
        self.unary(Unary::Square)
    }

    /// Elementwise integer power.
    pub fn powi(self, n: i32) -> Self {
        self.unary(Unary::Powi(n))
    }

    /// Multiplies every element by the constant `c`.
    pub fn scale(self, c: f64) -> Self {
        self.unary(Unary::Scale(c))
    }

    /// Adds the constant `c` to every element.
    pub fn offset(self, c: f64) -> Self {
        self.unary(Unary::Offset(c))
    }

    /// Checks that `other` lives on the same tape.
    fn same_tape(&self, other: &ArrayVar<'_>, op: &'static str) -> Result<(), TapeError> {
        if std::ptr::eq(self.tape, other.tape) {
            Ok(())
        } else {
            Err(TapeError::DifferentTapes { op })
        }
    }

    /// Records an elementwise binary operation with broadcasting.
    fn binary(self, other: Self, kind: Binary) -> Result<Self, TapeError> {
        let op = match kind {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
        };
        self.same_tape(&other, op)?;
        let (value, active) = {
            let mut arena = self.tape.arrays.borrow_mut();
            let (x, y) = (&arena.values[self.id()], &arena.values[other.id()]);
            // Equal shapes (the common case) need no broadcast rule.
            let dim = if x.shape() == y.shape() {
                x.raw_dim()
            } else {
                IxDyn(&broadcast_shape(op, x.shape(), y.shape())?)
            };
            let out = arena.take_empty(dim.size());
            let (x, y) = (
                arena.values[self.id()].view(),
                arena.values[other.id()].view(),
            );
            // One loop per kind (not a match per element), so each vectorises.
            let value = match kind {
                Binary::Add => zip_into(out, dim, x, y, |a, b| a + b),
                Binary::Sub => zip_into(out, dim, x, y, |a, b| a - b),
                Binary::Mul => zip_into(out, dim, x, y, |a, b| a * b),
                Binary::Div => zip_into(out, dim, x, y, |a, b| a / b),
            };
            (value, arena.active[self.id()] || arena.active[other.id()])
        };
        let (a, b) = (self.id(), other.id());
        Ok(self
            .tape
            .push_op(value, active, |out| Op::Binary { kind, a, b, out }))
    }

    /// Matrix product: matrix-matrix, matrix-vector, vector-matrix, or the
    /// dot product of two vectors (a 0-dimensional result).
    ///
    /// # Errors
    /// [`TapeError::BadRank`] for operands that are not 1- or 2-dimensional,
    /// [`TapeError::ShapeMismatch`] when the inner dimensions differ.
    pub fn matmul(self, other: Self) -> Result<Self, TapeError> {
        self.same_tape(&other, "matmul")?;
        let (value, active) = self.tape.arrays_with(|v, a| {
            let value = matmul_value(&v[self.id()], &v[other.id()])?;
            Ok::<_, TapeError>((value, a[self.id()] || a[other.id()]))
        })?;
        let (a, b) = (self.id(), other.id());
        Ok(self
            .tape
            .push_op(value, active, |out| Op::MatMul { a, b, out }))
    }

    /// `self . b + c` for matrices, `c` broadcast to the product's shape
    /// (a row of biases, a column, a scalar): one pass and one array,
    /// where `matmul` then `+` would write two (the product is accumulated
    /// onto `c` by the matrix-multiply kernel).
    ///
    /// # Errors
    /// [`TapeError::BadRank`] unless `self` and `b` are matrices,
    /// [`TapeError::ShapeMismatch`] when inner dimensions differ or `c`
    /// does not broadcast to the product.
    pub fn matmul_add(self, b: Self, c: Self) -> Result<Self, TapeError> {
        self.same_tape(&b, "matmul_add")?;
        self.same_tape(&c, "matmul_add")?;
        let shape = self.tape.arrays_with(|v, _| {
            let (x, y, z) = (&v[self.id()], &v[b.id()], &v[c.id()]);
            let (x2, y2) = (as_matrix("matmul_add", x)?, as_matrix("matmul_add", y)?);
            let shape = [x2.nrows(), y2.ncols()];
            if x2.ncols() != y2.nrows()
                || broadcast_shape("matmul_add", &shape, z.shape())? != shape
            {
                return Err(TapeError::ShapeMismatch {
                    op: "matmul_add",
                    left: x.shape().to_vec(),
                    right: y.shape().to_vec(),
                });
            }
            Ok(shape)
        })?;
        let mut out = self.tape.zeros(&shape);
        let (value, active) = self.tape.arrays_with(|v, act| {
            let (x, y, z) = (&v[self.id()], &v[b.id()], &v[c.id()]);
            zip_mut(&mut out, z.view(), |o, z| *o = z);
            let mut out2 = out
                .view_mut()
                .into_dimensionality::<Ix2>()
                .expect("two axes");
            general_mat_mul(1.0, &matrix(x), &matrix(y), 1.0, &mut out2);
            (out, act[self.id()] || act[b.id()] || act[c.id()])
        });
        let (a, b, c) = (self.id(), b.id(), c.id());
        Ok(self
            .tape
            .push_op(value, active, |out| Op::MatMulAdd { a, b, c, out }))
    }

    /// Dot product of two vectors (a 0-dimensional result).
    ///
    /// # Errors
    /// [`TapeError::BadRank`] unless both are vectors,
    /// [`TapeError::ShapeMismatch`] when their lengths differ.
    pub fn dot(self, other: Self) -> Result<Self, TapeError> {
        for s in [self.shape(), other.shape()] {
            if s.len() != 1 {
                return Err(TapeError::BadRank {
                    op: "dot",
                    expected: "two vectors",
                    shape: s,
                });
            }
        }
        self.matmul(other)
    }

    /// Transpose (axes reversed; the usual transpose for a matrix).
    pub fn t(self) -> Self {
        let (value, active) = self
            .tape
            .arrays_with(|v, a| (v[self.id()].t().to_owned(), a[self.id()]));
        let x = self.id();
        self.tape
            .push_op(value, active, |out| Op::Transpose { x, out })
    }

    /// The same elements (row-major order) in a new shape, e.g. a vector of
    /// length n as an n x 1 column to broadcast it along axis 1.
    ///
    /// # Errors
    /// [`TapeError::ShapeMismatch`] when the element counts differ.
    pub fn reshape(self, shape: &[usize]) -> Result<Self, TapeError> {
        let (value, active) = self.tape.arrays_with(|v, a| {
            let x = &v[self.id()];
            let value = x
                .to_shape(shape)
                .map_err(|_| TapeError::ShapeMismatch {
                    op: "reshape",
                    left: x.shape().to_vec(),
                    right: shape.to_vec(),
                })?
                .into_owned();
            Ok::<_, TapeError>((value, a[self.id()]))
        })?;
        let x = self.id();
        Ok(self
            .tape
            .push_op(value, active, |out| Op::Reshape { x, out }))
    }

    /// Sum of all elements (0-dimensional).
    pub fn sum(self) -> Self {
        let (value, active) = self
            .tape
            .arrays_with(|v, a| (arr0(v[self.id()].sum()).into_dyn(), a[self.id()]));
        let x = self.id();
        self.tape.push_op(value, active, |out| Op::Sum { x, out })
    }

    /// Mean of all elements (0-dimensional).
    ///
    /// # Errors
    /// [`TapeError::Empty`] for an array without elements.
    pub fn mean(self) -> Result<Self, TapeError> {
        let (value, active) = self.tape.arrays_with(|v, a| {
            let x = &v[self.id()];
            let mean = x.mean().ok_or(TapeError::Empty { op: "mean" })?;
            Ok::<_, TapeError>((arr0(mean).into_dyn(), a[self.id()]))
        })?;
        let x = self.id();
        Ok(self.tape.push_op(value, active, |out| Op::Mean { x, out }))
    }

    /// Sum of squares of all elements (0-dimensional).
    pub fn sq_norm(self) -> Self {
        let (value, active) = self.tape.arrays_with(|v, a| {
            let x = &v[self.id()];
            (arr0(x.iter().map(|x| x * x).sum()).into_dyn(), a[self.id()])
        });
        let x = self.id();
        self.tape
            .push_op(value, active, |out| Op::SqNorm { x, out })
    }

    /// Sum of squares along `axis` (the axis disappears): the squared norm
    /// of every lane, in one pass and without an array of squares.
    ///
    /// # Errors
    /// [`TapeError::AxisOutOfRange`].
    pub fn sq_norm_axis(self, axis: usize) -> Result<Self, TapeError> {
        let (value, active) = self.tape.arrays_with(|v, a| {
            let x = &v[self.id()];
            check_axis("sq_norm_axis", axis, x.ndim())?;
            let value = map_lanes(x, axis, |lane| lane.fold(0.0, |s, &e| s + e * e));
            Ok::<_, TapeError>((value, a[self.id()]))
        })?;
        let x = self.id();
        Ok(self
            .tape
            .push_op(value, active, |out| Op::SqNormAxis { x, axis, out }))
    }

    /// Sum along `axis` (the axis disappears).
    ///
    /// # Errors
    /// [`TapeError::AxisOutOfRange`].
    pub fn sum_axis(self, axis: usize) -> Result<Self, TapeError> {
        let (value, active) = self.tape.arrays_with(|v, a| {
            let x = &v[self.id()];
            check_axis("sum_axis", axis, x.ndim())?;
            Ok::<_, TapeError>((sum_axis(x.view(), axis), a[self.id()]))
        })?;
        let x = self.id();
        Ok(self
            .tape
            .push_op(value, active, |out| Op::SumAxis { x, axis, out }))
    }

    /// `log(sum(exp(x)))` along `axis` (the axis disappears), computed
    /// stably by factoring out the maximum of each lane.
    ///
    /// # Errors
    /// [`TapeError::AxisOutOfRange`]; [`TapeError::Empty`] for an empty axis.
    pub fn logsumexp_axis(self, axis: usize) -> Result<Self, TapeError> {
        let (value, active) = self.tape.arrays_with(|v, a| {
            let x = &v[self.id()];
            check_lanes("logsumexp_axis", x, axis)?;
            let value = map_lanes(x, axis, |lane| {
                let m = lane.fold(f64::NEG_INFINITY, |m, &x| m.max(x));
                if m.is_infinite() {
                    return m;
                }
                m + lane.fold(0.0, |s, &x| s + (x - m).exp()).ln()
            });
            Ok::<_, TapeError>((value, a[self.id()]))
        })?;
        let x = self.id();
        Ok(self
            .tape
            .push_op(value, active, |out| Op::LogSumExp { x, axis, out }))
    }

    /// Softmax along `axis`: `exp(x - logsumexp(x))`, each lane sums to 1.
    ///
    /// # Errors
    /// As [`ArrayVar::logsumexp_axis`].
    pub fn softmax_axis(self, axis: usize) -> Result<Self, TapeError> {
        let (value, active) = self.normalised_lanes("softmax_axis", axis, true)?;
        let x = self.id();
        Ok(self
            .tape
            .push_op(value, active, |out| Op::Softmax { x, axis, out }))
    }

    /// Log-softmax along `axis`: `x - logsumexp(x)`, stable.
    ///
    /// # Errors
    /// As [`ArrayVar::logsumexp_axis`].
    pub fn log_softmax_axis(self, axis: usize) -> Result<Self, TapeError> {
        let (value, active) = self.normalised_lanes("log_softmax_axis", axis, false)?;
        let x = self.id();
        Ok(self
            .tape
            .push_op(value, active, |out| Op::LogSoftmax { x, axis, out }))
    }

    /// `x - logsumexp(x)` along each lane of `axis`, exponentiated when
    /// `exp` is set (softmax) or not (log-softmax).
    fn normalised_lanes(
        self,
        op: &'static str,
        axis: usize,
        exp: bool,
    ) -> Result<(ArrayD<f64>, bool), TapeError> {
        self.tape.arrays_with(|v, a| {
            let x = &v[self.id()];
            check_lanes(op, x, axis)?;
            let mut value = x.clone();
            for mut lane in value.lanes_mut(Axis(axis)) {
                let m = lane.fold(f64::NEG_INFINITY, |m, &x| m.max(x));
                let m = if m.is_finite() { m } else { 0.0 };
                let lse = m + lane.fold(0.0, |s, &x| s + (x - m).exp()).ln();
                if exp {
                    lane.mapv_inplace(|x| (x - lse).exp());
                } else {
                    lane.mapv_inplace(|x| x - lse);
                }
            }
            Ok((value, a[self.id()]))
        })
    }

    /// The elements `range` along `axis` (the axis keeps its place).
    ///
    /// # Errors
    /// [`TapeError::AxisOutOfRange`]; [`TapeError::IndexOutOfRange`] for a
    /// range past the end or reversed.
    pub fn slice_axis(self, axis: usize, range: Range<usize>) -> Result<Self, TapeError> {
        let (value, active) = {
            let mut arena = self.tape.arrays.borrow_mut();
            let x = &arena.values[self.id()];
            check_axis("slice_axis", axis, x.ndim())?;
            if range.start > range.end || range.end > x.shape()[axis] {
                return Err(TapeError::IndexOutOfRange {
                    op: "slice_axis",
                    index: vec![range.start, range.end],
                    shape: x.shape().to_vec(),
                });
            }
            let mut dim = x.raw_dim();
            dim[axis] = range.len();
            let value = match (axis, x.as_slice()) {
                // Rows of a row-major array are one block: copied as a slice.
                (0, Some(_)) => {
                    let inner: usize = x.shape()[1..].iter().product();
                    let block = range.start * inner..range.end * inner;
                    let mut buffer = arena.take_empty(block.len()).unwrap_or_default();
                    let flat = arena.values[self.id()].as_slice().expect("checked above");
                    buffer.extend_from_slice(&flat[block]);
                    from_buffer(dim, buffer)
                }
                _ => x
                    .slice_axis(Axis(axis), Slice::from(range.clone()))
                    .to_owned(),
            };
            (value, arena.active[self.id()])
        };
        let x = self.id();
        Ok(self.tape.push_op(value, active, |out| Op::Slice {
            x,
            axis,
            range,
            out,
        }))
    }

    /// Joins arrays along an existing `axis`; all other axes must agree.
    ///
    /// # Errors
    /// [`TapeError::Empty`] for no arrays, [`TapeError::AxisOutOfRange`],
    /// [`TapeError::ShapeMismatch`], [`TapeError::DifferentTapes`].
    pub fn concat(axis: usize, xs: &[ArrayVar<'t>]) -> Result<Self, TapeError> {
        let first = xs.first().ok_or(TapeError::Empty { op: "concat" })?;
        for x in xs {
            first.same_tape(x, "concat")?;
        }
        let ids: Vec<usize> = xs.iter().map(ArrayVar::id).collect();
        let (value, active) = first.tape.arrays_with(|v, a| {
            let views: Vec<_> = ids.iter().map(|&i| v[i].view()).collect();
            check_axis("concat", axis, views[0].ndim())?;
            let value = concatenate(Axis(axis), &views).map_err(|_| {
                let bad = views
                    .iter()
                    .find(|w| {
                        w.ndim() != views[0].ndim()
                            || w.shape()
                                .iter()
                                .zip(views[0].shape())
                                .enumerate()
                                .any(|(i, (p, q))| i != axis && p != q)
                    })
                    .unwrap_or(&views[0]);
                TapeError::ShapeMismatch {
                    op: "concat",
                    left: views[0].shape().to_vec(),
                    right: bad.shape().to_vec(),
                }
            })?;
            Ok::<_, TapeError>((value, ids.iter().any(|&i| a[i])))
        })?;
        Ok(first
            .tape
            .push_op(value, active, |out| Op::Concat { xs: ids, axis, out }))
    }

    /// The lower-triangular d x d matrix whose lower triangle, row by row,
    /// holds this vector of d(d+1)/2 entries, with the diagonal
    /// exponentiated: an unconstrained parameterisation of a Cholesky
    /// factor (positive diagonal for any input).
    ///
    /// ```text
    /// L[i][j] = v[i(i+1)/2 + j]        for j < i
    /// L[i][i] = exp(v[i(i+1)/2 + i])
    /// ```
    ///
    /// # Errors
    /// [`TapeError::BadRank`] unless a vector;
    /// [`TapeError::TriangularLength`] when its length is not d(d+1)/2.
    pub fn tril_exp_diag(self) -> Result<Self, TapeError> {
        let (value, active) = self.tape.arrays_with(|v, a| {
            let x = as_vector("tril_exp_diag", &v[self.id()])?;
            let d = triangle_side(x.len())?;
            let mut l = Array2::zeros((d, d));
            for i in 0..d {
                for j in 0..=i {
                    let e = x[i * (i + 1) / 2 + j];
                    l[[i, j]] = if i == j { e.exp() } else { e };
                }
            }
            Ok::<_, TapeError>((l.into_dyn(), a[self.id()]))
        })?;
        let x = self.id();
        Ok(self
            .tape
            .push_op(value, active, |out| Op::TrilExpDiag { x, out }))
    }

    /// The diagonal of a matrix, as a vector.
    ///
    /// # Errors
    /// [`TapeError::BadRank`] unless a matrix.
    pub fn diag(self) -> Result<Self, TapeError> {
        let (value, active) = self.tape.arrays_with(|v, a| {
            let x = as_matrix("diag", &v[self.id()])?;
            Ok::<_, TapeError>((x.diag().to_owned().into_dyn(), a[self.id()]))
        })?;
        let x = self.id();
        Ok(self.tape.push_op(value, active, |out| Op::Diag { x, out }))
    }

    /// The only element of a one-element array (e.g. a reduction) as a
    /// scalar variable.
    ///
    /// # Errors
    /// [`TapeError::BadRank`] when the array has more than one element.
    pub fn to_scalar(self) -> Result<Var<'t, f64>, TapeError> {
        let shape = self.shape();
        if shape.iter().product::<usize>() != 1 {
            return Err(TapeError::BadRank {
                op: "to_scalar",
                expected: "exactly one element",
                shape,
            });
        }
        Ok(self.element(0))
    }

    /// The element at `index` as a scalar variable.
    ///
    /// # Errors
    /// [`TapeError::IndexOutOfRange`] for a wrong number of indices or an
    /// index past the end.
    pub fn get(self, index: &[usize]) -> Result<Var<'t, f64>, TapeError> {
        let shape = self.shape();
        if index.len() != shape.len() || index.iter().zip(&shape).any(|(i, n)| i >= n) {
            return Err(TapeError::IndexOutOfRange {
                op: "get",
                index: index.to_vec(),
                shape,
            });
        }
        let flat = index.iter().zip(&shape).fold(0, |f, (i, n)| f * n + i);
        Ok(self.element(flat))
    }

    /// The element at row-major position `flat` as a scalar variable: a new
    /// scalar input node whose adjoint the `ToScalar` step passes back.
    fn element(self, flat: usize) -> Var<'t, f64> {
        let (value, active) = self.tape.arrays_with(|v, a| {
            let x = &v[self.id()];
            (
                x.iter().nth(flat).copied().unwrap_or(f64::NAN),
                a[self.id()],
            )
        });
        if !active {
            return Var::constant(value);
        }
        let var = self.tape.var(value);
        let (x, scalar) = (self.id(), var.index());
        self.tape.push_step(Op::ToScalar { x, flat, scalar });
        var
    }
}

impl Tape<f64> {
    /// Runs `f` on the array values and activity flags.
    pub(crate) fn arrays_with<R>(&self, f: impl FnOnce(&[ArrayD<f64>], &[bool]) -> R) -> R {
        let arena = self.arrays.borrow();
        f(&arena.values, &arena.active)
    }

    /// Records a step that produces no array (its mark is the current
    /// number of scalar nodes).
    fn push_step(&self, op: Op) {
        let mark = u32::try_from(self.nodes.borrow().len()).expect("tape holds too many nodes");
        self.arrays.borrow_mut().steps.push(Step { mark, op });
    }

    /// Records a user-defined operation with its own forward and adjoint
    /// rule (see [`CustomOp`]).
    ///
    /// # Errors
    /// [`TapeError::Empty`] without inputs, [`TapeError::DifferentTapes`],
    /// and whatever the operation's `forward` returns.
    pub fn custom<'t>(
        &'t self,
        op: impl CustomOp,
        inputs: &[ArrayVar<'t>],
    ) -> Result<ArrayVar<'t>, TapeError> {
        for x in inputs {
            if !std::ptr::eq(x.tape, self) {
                return Err(TapeError::DifferentTapes { op: "custom" });
            }
        }
        let ids: Vec<usize> = inputs.iter().map(ArrayVar::id).collect();
        let (value, active) = self.arrays_with(|v, a| {
            let views: Vec<ArrayViewD<'_, f64>> = ids.iter().map(|&i| v[i].view()).collect();
            let value = op.forward(&views)?;
            Ok::<_, TapeError>((value, ids.iter().any(|&i| a[i])))
        })?;
        Ok(self.push_op(value, active, |out| Op::Custom {
            op: Box::new(op),
            inputs: ids,
            out,
        }))
    }
}

/// Checks that `axis` exists and has at least one element.
fn check_lanes(op: &'static str, x: &ArrayD<f64>, axis: usize) -> Result<(), TapeError> {
    check_axis(op, axis, x.ndim())?;
    if x.shape()[axis] == 0 {
        return Err(TapeError::Empty { op });
    }
    Ok(())
}

fn as_vector<'a>(
    op: &'static str,
    x: &'a ArrayD<f64>,
) -> Result<ndarray::ArrayView1<'a, f64>, TapeError> {
    x.view()
        .into_dimensionality::<Ix1>()
        .map_err(|_| TapeError::BadRank {
            op,
            expected: "a vector",
            shape: x.shape().to_vec(),
        })
}

/// A matrix operand whose rank was checked.
fn matrix(x: &ArrayD<f64>) -> ndarray::ArrayView2<'_, f64> {
    x.view()
        .into_dimensionality::<Ix2>()
        .expect("rank checked before")
}

fn as_matrix<'a>(
    op: &'static str,
    x: &'a ArrayD<f64>,
) -> Result<ndarray::ArrayView2<'a, f64>, TapeError> {
    x.view()
        .into_dimensionality::<Ix2>()
        .map_err(|_| TapeError::BadRank {
            op,
            expected: "a matrix",
            shape: x.shape().to_vec(),
        })
}

/// The product of two 1- or 2-dimensional arrays, by ndarray's `dot`.
fn matmul_value(a: &ArrayD<f64>, b: &ArrayD<f64>) -> Result<ArrayD<f64>, TapeError> {
    let mismatch = || TapeError::ShapeMismatch {
        op: "matmul",
        left: a.shape().to_vec(),
        right: b.shape().to_vec(),
    };
    let inner = |x: &ArrayD<f64>, last: bool| match (x.ndim(), last) {
        (1, _) => Ok(x.shape()[0]),
        (2, true) => Ok(x.shape()[1]),
        (2, false) => Ok(x.shape()[0]),
        _ => Err(TapeError::BadRank {
            op: "matmul",
            expected: "vectors or matrices",
            shape: x.shape().to_vec(),
        }),
    };
    if inner(a, true)? != inner(b, false)? {
        return Err(mismatch());
    }
    Ok(match (a.ndim(), b.ndim()) {
        (2, 2) => as_matrix("matmul", a)?
            .dot(&as_matrix("matmul", b)?)
            .into_dyn(),
        (2, 1) => as_matrix("matmul", a)?
            .dot(&as_vector("matmul", b)?)
            .into_dyn(),
        (1, 2) => as_vector("matmul", a)?
            .dot(&as_matrix("matmul", b)?)
            .into_dyn(),
        _ => arr0(as_vector("matmul", a)?.dot(&as_vector("matmul", b)?)).into_dyn(),
    })
}

impl Neg for ArrayVar<'_> {
    type Output = Self;
    fn neg(self) -> Self {
        self.unary(Unary::Neg)
    }
}

/// Forwards `ArrayVar op ArrayVar` (broadcasting, fallible: the shapes are
/// checked when recording) to `ArrayVar::binary`.
macro_rules! forward_array_binop {
    ($Op:ident, $op:ident, $kind:expr) => {
        impl<'t> $Op for ArrayVar<'t> {
            type Output = Result<ArrayVar<'t>, TapeError>;
            fn $op(self, rhs: Self) -> Self::Output {
                self.binary(rhs, $kind)
            }
        }
    };
}

forward_array_binop!(Add, add, Binary::Add);
forward_array_binop!(Sub, sub, Binary::Sub);
forward_array_binop!(Mul, mul, Binary::Mul);
forward_array_binop!(Div, div, Binary::Div);
