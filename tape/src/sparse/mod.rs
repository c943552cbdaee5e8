//! Sparse Jacobians and Hessians: the sparsity pattern is read off the
//! recording, a colouring compresses the columns into few directions, and
//! one derivative pass per colour gives every entry.
//!
//! The results are `faer` sparse matrices in compressed rows. The
//! workspaces [`SparseJacobian`] and [`SparseHessian`] keep the pattern and
//! the colouring from call to call (a Newton loop) and detect them anew
//! only when the recording changes shape (a branch taken differently).

mod colouring;
mod pattern;

use crate::tape::{Node, SINK};
use crate::{HessianTape, Tape, Var};
use admix_dual::{ScalarFn, VectorFn};
use colouring::{column_colouring, star_colouring, Colouring};
use faer::sparse::{SparseRowMat, SymbolicSparseRowMat};
use pattern::{hessian_pattern, jacobian_pattern, Pattern};

/// A sparse matrix of `f64` in compressed rows (faer's type).
pub type SparseMatrix = SparseRowMat<usize, f64>;

/// Values and sparse Jacobian of `f` at `x`: forward sweeps over one
/// recording, one per colour of the columns (columns that share no row
/// share a sweep), so a banded Jacobian costs as many sweeps as its
/// bandwidth, whatever its size.
///
/// For repeated calls use [`SparseJacobian`], which keeps the pattern and
/// the colouring.
///
/// # Example
/// ```
/// use admix_dual::{Scalar, VectorFn};
///
/// /// Residuals of -u'' + u^3 = 1 on a grid of 4 points, u = 0 outside.
/// struct Bvp;
/// impl VectorFn for Bvp {
///     fn eval<S: Scalar>(&self, u: &[S]) -> Vec<S> {
///         let at = |i: isize| if i < 0 || i >= u.len() as isize { S::zero() } else { u[i as usize] };
///         (0..u.len() as isize)
///             .map(|i| at(i).scale(2.0) - at(i - 1) - at(i + 1) + at(i).powi(3) - S::one())
///             .collect()
///     }
/// }
///
/// let (_, jac) = admix_tape::sparse_jacobian(&Bvp, &[1.0; 4]);
/// assert_eq!(jac.compute_nnz(), 10); // tridiagonal
/// let dense = jac.to_dense();
/// assert_eq!(dense[(1, 1)], 5.0); // 2 + 3 u^2
/// assert_eq!(dense[(1, 2)], -1.0);
/// assert_eq!(dense[(0, 3)], 0.0);
/// ```
pub fn sparse_jacobian<F: VectorFn + ?Sized>(f: &F, x: &[f64]) -> (Vec<f64>, SparseMatrix) {
    SparseJacobian::new().jacobian(f, x)
}

/// Value, gradient and sparse Hessian of `f` at `x`: Hessian-vector
/// products (forward-over-reverse) along one direction per colour of a star
/// colouring of the Hessian's pattern, each entry read directly from one of
/// them (symmetry halves the colours: an arrowhead takes two).
///
/// For repeated calls use [`SparseHessian`].
///
/// # Example
/// ```
/// use admix_dual::{Scalar, ScalarFn};
///
/// /// sum_i (x_0 x_i)^2: an arrowhead Hessian.
/// struct Pairs;
/// impl ScalarFn for Pairs {
///     fn eval<S: Scalar>(&self, x: &[S]) -> S {
///         x[1..].iter().map(|&xi| (x[0] * xi).powi(2)).sum()
///     }
/// }
///
/// let mut work = admix_tape::SparseHessian::new();
/// let (_, _, h) = work.hessian(&Pairs, &[1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(work.colours(), 2);
/// let dense = h.to_dense();
/// assert_eq!(dense[(0, 0)], 2.0 * (4.0 + 9.0 + 16.0)); // 2 sum x_i^2
/// assert_eq!(dense[(0, 2)], 4.0 * 1.0 * 3.0); // 4 x_0 x_i
/// assert_eq!(dense[(2, 2)], 2.0); // 2 x_0^2
/// assert_eq!(dense[(1, 2)], 0.0);
/// ```
pub fn sparse_hessian<F: ScalarFn + ?Sized>(f: &F, x: &[f64]) -> (f64, Vec<f64>, SparseMatrix) {
    SparseHessian::new().hessian(f, x)
}

/// What a pattern was detected from: the recording's parent slots (with
/// their curvature flags) and its input and output nodes. An equal shape
/// has an equal pattern.
#[derive(Debug, Default, PartialEq)]
struct Shape {
    parents: Vec<[u32; 2]>,
    inputs: Vec<u32>,
    outputs: Vec<Option<u32>>,
}

impl Shape {
    /// Replaces `self` with the shape of this recording; `true` when it
    /// changed.
    fn update<T>(&mut self, nodes: &[Node<T>], inputs: &[u32], outputs: &[Option<u32>]) -> bool {
        let same = self.inputs == inputs
            && self.outputs == outputs
            && self.parents.len() == nodes.len()
            && self.parents.iter().zip(nodes).all(|(p, n)| *p == n.parents);
        if !same {
            self.parents = nodes.iter().map(|n| n.parents).collect();
            self.inputs = inputs.to_vec();
            self.outputs = outputs.to_vec();
        }
        !same
    }
}

/// A pattern, its colouring and where each entry is read from: entry `k`
/// (in the pattern's row order) is element `source[k].1` of the
/// compressed column `source[k].0`.
#[derive(Debug)]
struct Compression {
    symbolic: SymbolicSparseRowMat<usize>,
    colouring: Colouring,
    source: Vec<(u32, u32)>,
}

impl Compression {
    fn new(pattern: &Pattern, colouring: Colouring, source: Vec<(u32, u32)>) -> Self {
        let symbolic = SymbolicSparseRowMat::new_checked(
            pattern.nrows,
            pattern.ncols,
            pattern.starts.clone(),
            None,
            pattern.cols.iter().map(|&j| j as usize).collect(),
        );
        Self {
            symbolic,
            colouring,
            source,
        }
    }

    /// Jacobians: entry (i, j) is row i of the compressed column of j's
    /// colour.
    fn columns(pattern: &Pattern) -> Self {
        let colouring = column_colouring(pattern);
        let source = (0..pattern.nrows)
            .flat_map(|i| pattern.row(i).iter().map(move |&j| (j, i as u32)))
            .map(|(j, i)| (colouring.colour[j as usize], i))
            .collect();
        Self::new(pattern, colouring, source)
    }

    /// Hessians: entry (i, j) is row i of the compressed column of j's
    /// colour when j is the only column of its colour in row i, else row j
    /// of the column of i's colour (a star colouring guarantees one of the
    /// two).
    fn symmetric(pattern: &Pattern) -> Self {
        let colouring = star_colouring(pattern);
        let colour = &colouring.colour;
        let mut count = vec![0u32; colouring.count];
        let mut source = Vec::with_capacity(pattern.nnz());
        for i in 0..pattern.nrows {
            let row = pattern.row(i);
            row.iter()
                .for_each(|&j| count[colour[j as usize] as usize] += 1);
            for &j in row {
                if count[colour[j as usize] as usize] == 1 {
                    source.push((colour[j as usize], i as u32));
                } else {
                    source.push((colour[i], j));
                }
            }
            row.iter()
                .for_each(|&j| count[colour[j as usize] as usize] = 0);
        }
        Self::new(pattern, colouring, source)
    }

    /// The matrix from the compressed columns.
    fn matrix(&self, compressed: &[Vec<f64>]) -> SparseMatrix {
        let values = self
            .source
            .iter()
            .map(|&(c, i)| compressed[c as usize][i as usize])
            .collect();
        SparseRowMat::new(self.symbolic.clone(), values)
    }
}

/// A reusable workspace for sparse Jacobians of one function at many
/// points (see [`sparse_jacobian`]): the tape, the pattern and the
/// colouring are kept from call to call.
///
/// # Example
/// ```
/// use admix_dual::{Scalar, VectorFn};
/// use admix_tape::SparseJacobian;
///
/// struct Squares; // f_i = x_i^2: a diagonal Jacobian, one colour
/// impl VectorFn for Squares {
///     fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S> {
///         x.iter().map(|&v| v * v).collect()
///     }
/// }
///
/// let mut work = SparseJacobian::new();
/// for x in [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] {
///     let (_, jac) = work.jacobian(&Squares, &x);
///     assert_eq!(jac.to_dense()[(2, 2)], 2.0 * x[2]);
/// }
/// assert_eq!(work.colours(), 1);
/// ```
#[derive(Debug, Default)]
pub struct SparseJacobian {
    tape: Tape<f64>,
    shape: Shape,
    compression: Option<Compression>,
    tangents: Vec<f64>,
}

impl SparseJacobian {
    /// An empty workspace: the pattern is detected at the first call.
    pub fn new() -> Self {
        Self::default()
    }

    /// Values and sparse Jacobian of `f` at `x`.
    pub fn jacobian<F: VectorFn + ?Sized>(&mut self, f: &F, x: &[f64]) -> (Vec<f64>, SparseMatrix) {
        self.jacobian_with(|v| f.eval(v), x)
    }

    /// Values and sparse Jacobian of a closure over tape variables at `x`.
    pub fn jacobian_with<F>(&mut self, f: F, x: &[f64]) -> (Vec<f64>, SparseMatrix)
    where
        F: for<'t> Fn(&[Var<'t, f64>]) -> Vec<Var<'t, f64>>,
    {
        self.tape.clear();
        let tape = &self.tape;
        let vars = tape.vars(x);
        let ys = f(&vars);
        let values = ys.iter().map(Var::value).collect();
        let inputs: Vec<u32> = vars.iter().map(Var::index).collect();
        let outputs: Vec<Option<u32>> = ys.iter().map(|y| y.index_on(tape)).collect();
        let nodes = tape.nodes.borrow();
        if self.shape.update(&nodes, &inputs, &outputs) || self.compression.is_none() {
            let pattern = jacobian_pattern(&nodes, &inputs, &outputs);
            self.compression = Some(Compression::columns(&pattern));
        }
        let compression = self.compression.as_ref().expect("set above");
        let compressed: Vec<Vec<f64>> = compression
            .colouring
            .directions()
            .iter()
            .map(|seed| {
                forward_sweep(&nodes, &inputs, seed, &mut self.tangents);
                outputs
                    .iter()
                    .map(|y| y.map_or(0.0, |y| self.tangents[y as usize]))
                    .collect()
            })
            .collect();
        (values, compression.matrix(&compressed))
    }

    /// Number of colours (forward sweeps per Jacobian) of the last pattern.
    pub fn colours(&self) -> usize {
        self.compression.as_ref().map_or(0, |c| c.colouring.count)
    }
}

/// Tangents of every node for the input tangents `seed`, from the partials
/// of the recording (a Jacobian-vector product without re-evaluation).
fn forward_sweep(nodes: &[Node<f64>], inputs: &[u32], seed: &[f64], tangents: &mut Vec<f64>) {
    tangents.clear();
    tangents.resize(nodes.len(), 0.0);
    for (&node, &s) in inputs.iter().zip(seed) {
        tangents[node as usize] = s;
    }
    for (v, node) in nodes.iter().enumerate().skip(1) {
        let [p, q] = node.parent_indices();
        // A leaf (an input, or a variable made by an array step) keeps its seed.
        if p == SINK as usize {
            continue;
        }
        let mut t = node.partials[0] * tangents[p];
        // Skip the unused slot: its partial may be infinite.
        if q != SINK as usize {
            t += node.partials[1] * tangents[q];
        }
        tangents[v] = t;
    }
}

/// A reusable workspace for sparse Hessians of one function at many points
/// (see [`sparse_hessian`]): the pattern and the star colouring are kept
/// from call to call, and each call records the function once on `f64`
/// (to check that its shape has not changed) and once per colour on dual
/// numbers.
#[derive(Debug, Default)]
pub struct SparseHessian {
    tape: Tape<f64>,
    shape: Shape,
    compression: Option<Compression>,
    hvp: HessianTape<f64>,
}

impl SparseHessian {
    /// An empty workspace: the pattern is detected at the first call.
    pub fn new() -> Self {
        Self::default()
    }

    /// Value, gradient and sparse Hessian of `f` at `x`.
    pub fn hessian<F: ScalarFn + ?Sized>(
        &mut self,
        f: &F,
        x: &[f64],
    ) -> (f64, Vec<f64>, SparseMatrix) {
        self.tape.clear();
        let tape = &self.tape;
        let vars = tape.vars(x);
        let y = f.eval(&vars);
        let inputs: Vec<u32> = vars.iter().map(Var::index).collect();
        let output = [y.index_on(tape)];
        let nodes = tape.nodes.borrow();
        if self.shape.update(&nodes, &inputs, &output) || self.compression.is_none() {
            let pattern = hessian_pattern(&nodes, &inputs, output[0]);
            self.compression = Some(Compression::symmetric(&pattern));
        }
        drop(nodes);
        let compression = self.compression.as_ref().expect("set above");
        let mut value = y.value();
        let mut grad = vec![0.0; x.len()];
        let compressed: Vec<Vec<f64>> = compression
            .colouring
            .directions()
            .iter()
            .map(|d| {
                let (v, g, hd) = self.hvp.hvp(f, x, d);
                (value, grad) = (v, g);
                hd
            })
            .collect();
        if compressed.is_empty() {
            // No colour (no curvature): the gradient from one sweep.
            grad = tape.gradient(y).wrt_all(&vars);
        }
        (value, grad, compression.matrix(&compressed))
    }

    /// Number of colours (Hessian-vector products per Hessian) of the last
    /// pattern.
    pub fn colours(&self) -> usize {
        self.compression.as_ref().map_or(0, |c| c.colouring.count)
    }
}
