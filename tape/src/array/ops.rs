//! Recording array operations: each checks shapes, computes its value and
//! appends one step (see `backward.rs` for the matching adjoint rules).

use super::shape::{
    broadcast_shape, check_axis, map_into, map_lanes, matrix, sum_axis, triangle_side, zip_mut,
    zip_values,
};
use super::value::{Value, Values};
use super::{ArrayVar, Binary, CustomOp, Op, Step, Unary};
use crate::{Tape, TapeError, Var};
use ndarray::linalg::general_mat_mul;
use ndarray::{
    Array2, ArrayD, ArrayView1, ArrayView2, ArrayViewD, Axis, Dimension, Ix1, Ix2, IxDyn, Slice,
};
use std::ops::{Add, Div, Mul, Neg, Range, Sub};

impl<'t> ArrayVar<'t> {
    /// Records `f(self)` for an elementwise `kind`.
    fn unary(self, kind: Unary) -> Self {
        let (value, active) = {
            let mut arena = self.tape.arrays.borrow_mut();
            let len = arena.values.len_of(self.id());
            let out = arena
                .take_empty(len)
                .unwrap_or_else(|| Vec::with_capacity(len));
            let x = arena.values.data(self.id());
            // One loop per kind (not a match per element), so each vectorises.
            let buffer = match kind {
                Unary::Neg => map_into(out, x, |x| -x),
                Unary::Exp => map_into(out, x, f64::exp),
                Unary::Ln => map_into(out, x, f64::ln),
                Unary::Sqrt => map_into(out, x, f64::sqrt),
                Unary::Square => map_into(out, x, |x| x * x),
                Unary::Powi(n) => map_into(out, x, |x| x.powi(n)),
                Unary::Scale(c) => map_into(out, x, |x| x * c),
                Unary::Offset(c) => map_into(out, x, |x| x + c),
            };
            let dim = arena.values.dim(self.id()).clone();
            (Value::new(dim, buffer), arena.active[self.id()])
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
            let (x, y) = (
                arena.values.shape(self.id()),
                arena.values.shape(other.id()),
            );
            // Equal shapes (the common case) need no broadcast rule.
            let dim = if x == y {
                arena.values.dim(self.id()).clone()
            } else {
                IxDyn(&broadcast_shape(op, x, y)?)
            };
            let out = arena
                .take_empty(dim.size())
                .unwrap_or_else(|| Vec::with_capacity(dim.size()));
            let (v, a, b) = (&arena.values, self.id(), other.id());
            // One loop per kind (not a match per element), so each vectorises.
            let buffer = match kind {
                Binary::Add => zip_values(out, &dim, v, a, b, |a, b| a + b),
                Binary::Sub => zip_values(out, &dim, v, a, b, |a, b| a - b),
                Binary::Mul => zip_values(out, &dim, v, a, b, |a, b| a * b),
                Binary::Div => zip_values(out, &dim, v, a, b, |a, b| a / b),
            };
            (Value::new(dim, buffer), arena.active[a] || arena.active[b])
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
            let value = Value::from_array(matmul_value(&v.view(self.id()), &v.view(other.id()))?);
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
            let (x, y, z) = (v.view(self.id()), v.view(b.id()), v.view(c.id()));
            let (x2, y2) = (as_matrix("matmul_add", &x)?, as_matrix("matmul_add", &y)?);
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
            let (x, y, z) = (v.view(self.id()), v.view(b.id()), v.view(c.id()));
            zip_mut(&mut out.view_mut(), z, |o, z| *o = z);
            let mut out2 = out
                .view_mut()
                .into_dimensionality::<Ix2>()
                .expect("two axes");
            general_mat_mul(1.0, &matrix(&x), &matrix(&y), 1.0, &mut out2);
            (
                Value::from_array(out),
                act[self.id()] || act[b.id()] || act[c.id()],
            )
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
        let (value, active) = self.tape.arrays_with(|v, a| {
            let t = v.view(self.id()).reversed_axes();
            (
                Value::from_array(t.as_standard_layout().into_owned()),
                a[self.id()],
            )
        });
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
            let dim = IxDyn(shape);
            if dim.size_checked() != Some(v.len_of(self.id())) {
                return Err(TapeError::ShapeMismatch {
                    op: "reshape",
                    left: v.shape(self.id()).to_vec(),
                    right: shape.to_vec(),
                });
            }
            // Row-major elements in a new shape: the same buffer.
            Ok((v.part_of(self.id(), dim, 0), a[self.id()]))
        })?;
        let x = self.id();
        Ok(self
            .tape
            .push_op(value, active, |out| Op::Reshape { x, out }))
    }

    /// Sum of all elements (0-dimensional).
    pub fn sum(self) -> Self {
        let (value, active) = self.tape.arrays_with(|v, a| {
            (
                scalar(ArrayView1::from(v.data(self.id())).sum()),
                a[self.id()],
            )
        });
        let x = self.id();
        self.tape.push_op(value, active, |out| Op::Sum { x, out })
    }

    /// Mean of all elements (0-dimensional).
    ///
    /// # Errors
    /// [`TapeError::Empty`] for an array without elements.
    pub fn mean(self) -> Result<Self, TapeError> {
        let (value, active) = self.tape.arrays_with(|v, a| {
            let mean = ArrayView1::from(v.data(self.id()))
                .mean()
                .ok_or(TapeError::Empty { op: "mean" })?;
            Ok::<_, TapeError>((scalar(mean), a[self.id()]))
        })?;
        let x = self.id();
        Ok(self.tape.push_op(value, active, |out| Op::Mean { x, out }))
    }

    /// Sum of squares of all elements (0-dimensional).
    pub fn sq_norm(self) -> Self {
        let (value, active) = self.tape.arrays_with(|v, a| {
            let x = v.data(self.id());
            (scalar(x.iter().map(|x| x * x).sum()), a[self.id()])
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
            let x = v.view(self.id());
            check_axis("sq_norm_axis", axis, x.ndim())?;
            let value = map_lanes(&x, axis, |lane| lane.fold(0.0, |s, &e| s + e * e));
            Ok::<_, TapeError>((Value::from_array(value), a[self.id()]))
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
            let x = v.view(self.id());
            check_axis("sum_axis", axis, x.ndim())?;
            Ok::<_, TapeError>((Value::from_array(sum_axis(x, axis)), a[self.id()]))
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
            let x = v.view(self.id());
            check_lanes("logsumexp_axis", &x, axis)?;
            let value = map_lanes(&x, axis, |lane| {
                let m = lane.fold(f64::NEG_INFINITY, |m, &x| m.max(x));
                if m.is_infinite() {
                    return m;
                }
                m + lane.fold(0.0, |s, &x| s + (x - m).exp()).ln()
            });
            Ok::<_, TapeError>((Value::from_array(value), a[self.id()]))
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
    ) -> Result<(Value, bool), TapeError> {
        self.tape.arrays_with(|v, a| {
            let x = v.view(self.id());
            check_lanes(op, &x, axis)?;
            let mut value = x.to_owned();
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
            Ok((Value::from_array(value), a[self.id()]))
        })
    }

    /// The elements `range` along `axis` (the axis keeps its place).
    ///
    /// # Errors
    /// [`TapeError::AxisOutOfRange`]; [`TapeError::IndexOutOfRange`] for a
    /// range past the end or reversed.
    pub fn slice_axis(self, axis: usize, range: Range<usize>) -> Result<Self, TapeError> {
        let (value, active) = self.tape.arrays_with(|v, a| {
            let shape = v.shape(self.id());
            check_axis("slice_axis", axis, shape.len())?;
            if range.start > range.end || range.end > shape[axis] {
                return Err(TapeError::IndexOutOfRange {
                    op: "slice_axis",
                    index: vec![range.start, range.end],
                    shape: shape.to_vec(),
                });
            }
            let mut dim = v.dim(self.id()).clone();
            dim[axis] = range.len();
            let value = if axis == 0 {
                // Rows of a row-major array are one block of its buffer.
                let inner: usize = shape[1..].iter().product();
                v.part_of(self.id(), dim, range.start * inner)
            } else {
                let part = v.view(self.id());
                Value::from_array(
                    part.slice_axis(Axis(axis), Slice::from(range.clone()))
                        .to_owned(),
                )
            };
            Ok((value, a[self.id()]))
        })?;
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
            let first = v.shape(ids[0]);
            check_axis("concat", axis, first.len())?;
            let fits = |s: &[usize]| {
                s.len() == first.len()
                    && s.iter()
                        .zip(first)
                        .enumerate()
                        .all(|(i, (p, q))| i == axis || p == q)
            };
            if let Some(&bad) = ids.iter().find(|&&i| !fits(v.shape(i))) {
                return Err(TapeError::ShapeMismatch {
                    op: "concat",
                    left: first.to_vec(),
                    right: v.shape(bad).to_vec(),
                });
            }
            let mut dim = v.dim(ids[0]).clone();
            dim[axis] = ids.iter().map(|&i| v.shape(i)[axis]).sum();
            // Row-major: for every index of the axes before `axis`, the
            // block of each input in turn.
            let outer: usize = first[..axis].iter().product();
            let mut buffer = Vec::with_capacity(dim.size());
            for o in 0..outer {
                for &i in &ids {
                    let block = v.len_of(i) / outer;
                    buffer.extend_from_slice(&v.data(i)[o * block..(o + 1) * block]);
                }
            }
            Ok((Value::new(dim, buffer), ids.iter().any(|&i| a[i])))
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
            let x = as_vector("tril_exp_diag", &v.view(self.id()))?;
            let d = triangle_side(x.len())?;
            let mut l = Array2::zeros((d, d));
            for i in 0..d {
                for j in 0..=i {
                    let e = x[i * (i + 1) / 2 + j];
                    l[[i, j]] = if i == j { e.exp() } else { e };
                }
            }
            Ok::<_, TapeError>((Value::from_array(l), a[self.id()]))
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
            let x = as_matrix("diag", &v.view(self.id()))?;
            Ok::<_, TapeError>((Value::from_array(x.diag().to_owned()), a[self.id()]))
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
            let x = v.data(self.id());
            (x.get(flat).copied().unwrap_or(f64::NAN), a[self.id()])
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
    pub(crate) fn arrays_with<R>(&self, f: impl FnOnce(&Values, &[bool]) -> R) -> R {
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
            let views: Vec<ArrayViewD<'_, f64>> = ids.iter().map(|&i| v.view(i)).collect();
            let value = Value::from_array(op.forward(&views)?);
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
fn check_lanes(op: &'static str, x: &ArrayViewD<'_, f64>, axis: usize) -> Result<(), TapeError> {
    check_axis(op, axis, x.ndim())?;
    if x.shape()[axis] == 0 {
        return Err(TapeError::Empty { op });
    }
    Ok(())
}

/// A 0-dimensional value.
fn scalar(x: f64) -> Value {
    Value::new(IxDyn(&[]), vec![x])
}

fn as_vector<'a>(
    op: &'static str,
    x: &ArrayViewD<'a, f64>,
) -> Result<ArrayView1<'a, f64>, TapeError> {
    x.clone()
        .into_dimensionality::<Ix1>()
        .map_err(|_| TapeError::BadRank {
            op,
            expected: "a vector",
            shape: x.shape().to_vec(),
        })
}

fn as_matrix<'a>(
    op: &'static str,
    x: &ArrayViewD<'a, f64>,
) -> Result<ArrayView2<'a, f64>, TapeError> {
    x.clone()
        .into_dimensionality::<Ix2>()
        .map_err(|_| TapeError::BadRank {
            op,
            expected: "a matrix",
            shape: x.shape().to_vec(),
        })
}

/// The product of two 1- or 2-dimensional arrays, by ndarray's `dot`.
fn matmul_value(
    a: &ArrayViewD<'_, f64>,
    b: &ArrayViewD<'_, f64>,
) -> Result<ArrayD<f64>, TapeError> {
    let mismatch = || TapeError::ShapeMismatch {
        op: "matmul",
        left: a.shape().to_vec(),
        right: b.shape().to_vec(),
    };
    let inner = |x: &ArrayViewD<'_, f64>, last: bool| match (x.ndim(), last) {
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
        _ => ndarray::arr0(as_vector("matmul", a)?.dot(&as_vector("matmul", b)?)).into_dyn(),
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
