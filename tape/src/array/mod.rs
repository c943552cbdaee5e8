//! Whole arrays as tape values: one recorded step per array operation, each
//! with its own adjoint rule, so a model over large data is a handful of
//! nodes instead of one node per number.
//!
//! Arrays live in the [`ArrayArena`] of a `Tape<f64>` next to its scalar
//! nodes. Each step remembers how many scalar nodes existed when it was
//! recorded (its `mark`), so the reverse sweep can interleave scalar nodes
//! and array steps in recording order.

mod adjoints;
mod backward;
mod custom;
mod ops;
mod shape;
mod value;

pub(crate) use adjoints::ArrayAdjoints;
pub(crate) use backward::backward_step;
pub use custom::CustomOp;

use crate::{Gradients, Tape, TapeError, Var};
use ndarray::{Array, ArrayD, Dimension, IxDyn};
use std::fmt;
use std::ops::Range;
use value::{Value, Values};

/// The kind of a recorded elementwise function of one array.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Unary {
    Neg,
    Exp,
    Ln,
    Sqrt,
    Square,
    Powi(i32),
    Scale(f64),
    Offset(f64),
}

/// The kind of a recorded elementwise (broadcasting) binary operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Binary {
    Add,
    Sub,
    Mul,
    Div,
}

/// One recorded array operation: what it computed from which array ids
/// (`out` is the id of its result).
pub(crate) enum Op {
    Unary {
        kind: Unary,
        x: usize,
        out: usize,
    },
    Binary {
        kind: Binary,
        a: usize,
        b: usize,
        out: usize,
    },
    MatMul {
        a: usize,
        b: usize,
        out: usize,
    },
    MatMulAdd {
        a: usize,
        b: usize,
        c: usize,
        out: usize,
    },
    Transpose {
        x: usize,
        out: usize,
    },
    Reshape {
        x: usize,
        out: usize,
    },
    Sum {
        x: usize,
        out: usize,
    },
    SumAxis {
        x: usize,
        axis: usize,
        out: usize,
    },
    Mean {
        x: usize,
        out: usize,
    },
    SqNorm {
        x: usize,
        out: usize,
    },
    SqNormAxis {
        x: usize,
        axis: usize,
        out: usize,
    },
    LogSumExp {
        x: usize,
        axis: usize,
        out: usize,
    },
    Softmax {
        x: usize,
        axis: usize,
        out: usize,
    },
    LogSoftmax {
        x: usize,
        axis: usize,
        out: usize,
    },
    Slice {
        x: usize,
        axis: usize,
        range: Range<usize>,
        out: usize,
    },
    Concat {
        xs: Vec<usize>,
        axis: usize,
        out: usize,
    },
    TrilExpDiag {
        x: usize,
        out: usize,
    },
    Diag {
        x: usize,
        out: usize,
    },
    FromScalars {
        scalars: Vec<u32>,
        out: usize,
    },
    ToScalar {
        x: usize,
        flat: usize,
        scalar: u32,
    },
    Custom {
        op: Box<dyn CustomOp>,
        inputs: Vec<usize>,
        out: usize,
    },
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Unary { kind, x, out } => write!(f, "#{out} = {kind:?}(#{x})"),
            Op::Binary { kind, a, b, out } => write!(f, "#{out} = {kind:?}(#{a}, #{b})"),
            Op::Custom { op, inputs, out } => write!(f, "#{out} = {}({inputs:?})", op.name()),
            other => f.write_str(other.label()),
        }
    }
}

impl Op {
    fn label(&self) -> &'static str {
        match self {
            Op::Unary { .. } => "unary",
            Op::Binary { .. } => "binary",
            Op::MatMul { .. } => "matmul",
            Op::MatMulAdd { .. } => "matmul_add",
            Op::Transpose { .. } => "transpose",
            Op::Reshape { .. } => "reshape",
            Op::Sum { .. } => "sum",
            Op::SumAxis { .. } => "sum_axis",
            Op::Mean { .. } => "mean",
            Op::SqNorm { .. } => "sq_norm",
            Op::SqNormAxis { .. } => "sq_norm_axis",
            Op::LogSumExp { .. } => "logsumexp",
            Op::Softmax { .. } => "softmax",
            Op::LogSoftmax { .. } => "log_softmax",
            Op::Slice { .. } => "slice",
            Op::Concat { .. } => "concat",
            Op::TrilExpDiag { .. } => "tril_exp_diag",
            Op::Diag { .. } => "diag",
            Op::FromScalars { .. } => "from_scalars",
            Op::ToScalar { .. } => "to_scalar",
            Op::Custom { .. } => "custom",
        }
    }
}

/// A recorded array operation and the number of scalar nodes that preceded it.
#[derive(Debug)]
pub(crate) struct Step {
    pub(crate) mark: u32,
    pub(crate) op: Op,
}

/// Array values of a tape (indexed by array id), whether each depends on a
/// variable, and the recorded steps in order.
#[derive(Debug, Default)]
pub(crate) struct ArrayArena {
    pub(crate) values: Values,
    pub(crate) active: Vec<bool>,
    pub(crate) steps: Vec<Step>,
    /// Buffers of the values of the last recording, reused by the next one
    /// after [`Tape::clear`]: a loop that records the same model again
    /// takes no fresh pages from the operating system.
    pool: Vec<Vec<f64>>,
}

/// Buffers smaller than this are not worth pooling.
const POOL_MIN: usize = 64;

impl ArrayArena {
    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.values.is_empty() && self.steps.is_empty()
    }

    /// Forgets the recording; the large value buffers go to the pool
    /// (replacing whatever the pool held, so it never outgrows one
    /// recording).
    pub(crate) fn clear(&mut self) {
        self.pool.clear();
        for buffer in self.values.drain().filter_map(Value::into_buffer) {
            if buffer.capacity() >= POOL_MIN {
                self.pool.push(buffer);
            }
        }
        self.active.clear();
        self.steps.clear();
    }

    /// A buffer of exactly `len` zeros: the smallest pooled one that is
    /// large enough, or a new one.
    fn take_zeroed(&mut self, len: usize) -> Vec<f64> {
        match self.take_empty(len) {
            Some(mut buffer) => {
                buffer.resize(len, 0.0);
                buffer
            }
            // Fresh zeros come from the allocator's zeroed pages: no pass.
            None => vec![0.0; len],
        }
    }

    /// The smallest pooled buffer with room for `len` values, emptied;
    /// `None` for a small `len` (not worth pooling) or an empty pool.
    fn take_empty(&mut self, len: usize) -> Option<Vec<f64>> {
        if len < POOL_MIN {
            return None;
        }
        let best = self
            .pool
            .iter()
            .enumerate()
            .filter(|(_, b)| b.capacity() >= len)
            .min_by_key(|(_, b)| b.capacity())
            .map(|(i, _)| i)?;
        let mut buffer = self.pool.swap_remove(best);
        buffer.clear();
        Some(buffer)
    }
}

/// An array (`ndarray::ArrayD<f64>`) recorded on a [`Tape`]: a `Copy` handle
/// to a value held by the tape.
///
/// Operations return `Result`: shapes are checked when the operation is
/// recorded, and a mismatch is a [`TapeError`], not a panic later in the
/// sweep. Reductions give 0-dimensional arrays, which broadcast against
/// anything; [`ArrayVar::to_scalar`] and [`ArrayVar::get`] turn an element
/// into a scalar [`Var`], and [`Tape::array_from_scalars`] goes the other way.
///
/// # Example
/// ```
/// use admix_tape::Tape;
/// use ndarray::array;
///
/// # fn main() -> Result<(), admix_tape::TapeError> {
/// let tape = Tape::new();
/// let w = tape.array_var(array![[1.0, 2.0], [3.0, 4.0]]);
/// let x = tape.array_const(array![1.0, -1.0]);
/// // f(W) = sum(exp(W x)), one node per array operation.
/// let f = w.matmul(x)?.exp().sum().to_scalar()?;
/// let g = tape.gradient(f);
/// let dw = g.wrt_array(w);
/// let e = (-1.0_f64).exp();
/// assert!((dw[[0, 0]] - e).abs() < 1e-12 && (dw[[0, 1]] + e).abs() < 1e-12);
///
/// // A scalar variable broadcasts as a 0-dimensional array.
/// let s = tape.var(2.0);
/// let scaled = (w * tape.array_from_scalars(&[s], &[])?)?;
/// let h = scaled.sum().to_scalar()?;
/// assert_eq!(tape.gradient(h).wrt(s), 10.0);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy)]
pub struct ArrayVar<'t> {
    tape: &'t Tape<f64>,
    id: u32,
}

impl fmt::Debug for ArrayVar<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArrayVar(#{}, shape {:?})", self.id, self.shape())
    }
}

impl Tape<f64> {
    /// A new array of independent variables (gradients are computed for it).
    pub fn array_var<D: Dimension>(&self, value: Array<f64, D>) -> ArrayVar<'_> {
        self.push_leaf(Value::from_array(value), true)
    }

    /// A constant array (data): recorded for its value, no gradient flows
    /// into it and operations on constants alone record no step.
    pub fn array_const<D: Dimension>(&self, value: Array<f64, D>) -> ArrayVar<'_> {
        self.push_leaf(Value::from_array(value), false)
    }

    /// An array built from scalar variables (row-major order), so that
    /// scalar code can feed array operations.
    ///
    /// # Errors
    /// [`TapeError::ShapeMismatch`] when `shape` does not hold exactly
    /// `scalars.len()` elements; [`TapeError::DifferentTapes`] when a
    /// variable belongs to another tape.
    pub fn array_from_scalars<'t>(
        &'t self,
        scalars: &[Var<'t, f64>],
        shape: &[usize],
    ) -> Result<ArrayVar<'t>, TapeError> {
        let dim = IxDyn(shape);
        if dim.size_checked() != Some(scalars.len()) {
            return Err(TapeError::ShapeMismatch {
                op: "array_from_scalars",
                left: vec![scalars.len()],
                right: shape.to_vec(),
            });
        }
        let value = Value::new(dim, scalars.iter().map(Var::value).collect());
        let mut indices = Vec::with_capacity(scalars.len());
        for s in scalars {
            match s.tape() {
                None => indices.push(crate::tape::SINK),
                Some(t) if std::ptr::eq(t, self) => indices.push(s.index()),
                Some(_) => {
                    return Err(TapeError::DifferentTapes {
                        op: "array_from_scalars",
                    })
                }
            }
        }
        let active = indices.iter().any(|&i| i != crate::tape::SINK);
        Ok(self.push_op(value, active, |out| Op::FromScalars {
            scalars: indices,
            out,
        }))
    }

    /// A zero array of `shape` for an operation's result, in a pooled
    /// buffer when one is free.
    pub(crate) fn zeros(&self, shape: &[usize]) -> ArrayD<f64> {
        let buffer = self.arrays.borrow_mut().take_zeroed(shape.iter().product());
        ArrayD::from_shape_vec(shape, buffer).expect("buffer length is the shape's size")
    }

    /// Appends an array value that no operation produced.
    fn push_leaf(&self, value: Value, active: bool) -> ArrayVar<'_> {
        let mut arena = self.arrays.borrow_mut();
        let id = arena.values.len();
        arena.values.push(value);
        arena.active.push(active);
        ArrayVar::new(self, id)
    }

    /// Appends the result of an operation; when it depends on a variable,
    /// records the step `op(id of the result)` too.
    pub(crate) fn push_op(
        &self,
        value: Value,
        active: bool,
        op: impl FnOnce(usize) -> Op,
    ) -> ArrayVar<'_> {
        let mark = u32::try_from(self.nodes.borrow().len()).expect("tape holds too many nodes");
        let mut arena = self.arrays.borrow_mut();
        let id = arena.values.len();
        arena.values.push(value);
        arena.active.push(active);
        if active {
            arena.steps.push(Step { mark, op: op(id) });
        }
        ArrayVar::new(self, id)
    }
}

impl Gradients<f64> {
    /// The gradient of the swept output with respect to the array `a`
    /// (zeros when the output does not depend on it).
    ///
    /// # Panics
    /// When `a` belongs to another tape than the one swept, or to a later
    /// recording of it (after [`Tape::clear`]).
    #[track_caller]
    pub fn wrt_array(&self, a: ArrayVar<'_>) -> ArrayD<f64> {
        self.check_tape(a.tape.recording());
        let dim = a.tape.arrays.borrow().values.dim(a.id()).clone();
        self.arrays
            .to_array(a.id(), &dim)
            .unwrap_or_else(|| ArrayD::zeros(dim))
    }
}

impl<'t> ArrayVar<'t> {
    /// The shape of the array.
    pub fn shape(&self) -> Vec<usize> {
        self.tape.arrays.borrow().values.shape(self.id()).to_vec()
    }

    /// A copy of the array's value.
    pub fn value(&self) -> ArrayD<f64> {
        self.tape.arrays.borrow().values.to_array(self.id())
    }

    /// Runs `f` on (a copy of) the array's value.
    pub fn with_value<R>(&self, f: impl FnOnce(&ArrayD<f64>) -> R) -> R {
        f(&self.value())
    }

    /// The tape this array is recorded on.
    pub fn tape(&self) -> &'t Tape<f64> {
        self.tape
    }

    /// `true` when gradients flow through this array (it depends on a
    /// variable).
    pub fn is_active(&self) -> bool {
        self.tape.arrays.borrow().active[self.id()]
    }

    fn new(tape: &'t Tape<f64>, id: usize) -> Self {
        let id = u32::try_from(id).expect("tape holds more than u32::MAX arrays");
        Self { tape, id }
    }

    pub(crate) fn id(&self) -> usize {
        self.id as usize
    }
}
