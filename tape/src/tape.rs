//! The tape: a flat arena of recorded operations and the reverse sweep over it.

use crate::array::{backward_step, ArrayArena};
use crate::{Gradients, Var};
use admix_dual::Scalar;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};

/// Index of the sink node: unused parent slots point here, so the reverse
/// sweep needs no branch; its adjoint collects zeros and is never read.
pub(crate) const SINK: u32 = 0;

/// The top bit of a parent slot: a flag of the node's [`Curvature`], which
/// leaves 31 bits for the index.
pub(crate) const FLAG: u32 = 1 << 31;
/// Mask of the index bits of a parent slot.
pub(crate) const INDEX: u32 = FLAG - 1;

/// How a node's result curves in its parents, for Hessian sparsity
/// detection: kept in the flag bits of the parent slots, so it costs the
/// recording nothing but an `or` with a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curvature {
    /// Second derivatives all zero (sums, scaling, piecewise linear).
    Linear,
    /// Only the mixed second derivative is non-zero (a product).
    Cross,
    /// Any second derivative may be non-zero.
    Full,
}

/// One recorded scalar operation: at most two parents (index bits and a
/// [`Curvature`] flag each) and the local partial derivative of the result
/// with respect to each.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node<T> {
    pub(crate) parents: [u32; 2],
    pub(crate) partials: [T; 2],
}

impl<T> Node<T> {
    /// The parent indices without the flag bits.
    #[inline(always)]
    pub(crate) fn parent_indices(&self) -> [usize; 2] {
        [
            (self.parents[0] & INDEX) as usize,
            (self.parents[1] & INDEX) as usize,
        ]
    }

    /// The curvature flagged in the parent slots.
    pub(crate) fn curvature(&self) -> Curvature {
        match (self.parents[0] & FLAG != 0, self.parents[1] & FLAG != 0) {
            (true, _) => Curvature::Full,
            (false, true) => Curvature::Cross,
            (false, false) => Curvature::Linear,
        }
    }
}

/// Parent slots `[a, b]` flagged with `curvature`.
#[inline(always)]
pub(crate) fn flagged(curvature: Curvature, a: u32, b: u32) -> [u32; 2] {
    match curvature {
        Curvature::Linear => [a, b],
        Curvature::Cross => [a, b | FLAG],
        Curvature::Full => [a | FLAG, b],
    }
}

/// A recording of operations on [`Var`]s and arrays, for reverse-mode
/// derivatives.
///
/// The tape is an index arena: every operation appends one node holding
/// the indices of its parents and its local partial derivatives, and
/// [`Tape::gradient`] walks the arena once backwards. Variables are `Copy`
/// handles that borrow the tape, so there is no global state: each thread
/// (or each task) owns its own tapes. [`Tape::clear`] takes `&mut self`, so
/// the borrow checker rejects handles that would outlive the recording they
/// point into, and the memory is kept for the next recording.
///
/// The value type `T` is any [`Scalar`]: `f64` for gradients, a dual number
/// for forward-over-reverse second derivatives (see [`crate::hvp`]). Array
/// nodes ([`crate::ArrayVar`]) exist on `Tape<f64>` only.
///
/// # Example
/// ```
/// use admix_tape::Tape;
/// use num_traits::Float; // elementary functions on `Var`
///
/// let tape = Tape::new();
/// let x = tape.var(2.0);
/// let y = tape.var(3.0);
/// let z = x * y + x.sin();
/// let g = tape.gradient(z);
/// assert_eq!(g.wrt(x), 3.0 + 2.0_f64.cos());
/// assert_eq!(g.wrt(y), 2.0);
/// ```
#[derive(Debug)]
pub struct Tape<T = f64> {
    pub(crate) nodes: RefCell<Vec<Node<T>>>,
    pub(crate) arrays: RefCell<ArrayArena>,
    /// Which recording this is (see [`next_recording`]): [`Gradients`]
    /// remember it, so a handle of another or an older recording is caught.
    recording: u64,
    /// How many nodes after the sink are inputs recorded before any
    /// operation: the sweep skips them (an input only passes zeros to the
    /// sink, one dependent update after another).
    leading_inputs: Cell<usize>,
}

/// A number no other recording of this process had: a new tape, or a tape
/// after [`Tape::clear`], takes the next one. An address would not do: a
/// dropped tape and a new one can share it, and a cleared tape keeps it.
fn next_recording() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl<T: Scalar> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> Tape<T> {
    /// An empty tape.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty tape with room for `capacity` scalar operations.
    pub fn with_capacity(capacity: usize) -> Self {
        let mut nodes = Vec::with_capacity(capacity + 1);
        nodes.push(Node {
            parents: [SINK; 2],
            partials: [T::zero(); 2],
        });
        Self {
            nodes: RefCell::new(nodes),
            arrays: RefCell::new(ArrayArena::default()),
            recording: next_recording(),
            leading_inputs: Cell::new(0),
        }
    }

    /// A new independent variable with value `value`.
    pub fn var(&self, value: T) -> Var<'_, T> {
        let index = self.push([SINK; 2], [T::zero(); 2]);
        if index as usize == self.leading_inputs.get() + 1 {
            self.leading_inputs.set(index as usize);
        }
        Var::on_tape(value, index, self)
    }

    /// New independent variables, one per value.
    pub fn vars(&self, values: &[T]) -> Vec<Var<'_, T>> {
        let first = self.push_inputs(values.len());
        Var::inputs(values, first, self)
    }

    /// Appends `n` input nodes (all the same leaf) and returns the index of
    /// the first.
    fn push_inputs(&self, n: usize) -> u32 {
        let mut nodes = self.nodes.borrow_mut();
        let first = nodes.len();
        if first + n > INDEX as usize + 1 {
            too_many_nodes();
        }
        let leaf = Node {
            parents: [SINK; 2],
            partials: [T::zero(); 2],
        };
        nodes.resize(first + n, leaf);
        if first == self.leading_inputs.get() + 1 {
            self.leading_inputs.set(nodes.len() - 1);
        }
        // Fits in 31 bits: checked above.
        first as u32
    }

    /// Number of recorded scalar operations (inputs included).
    pub fn len(&self) -> usize {
        self.nodes.borrow().len() - 1
    }

    /// Number of recorded array operations (steps with an adjoint rule).
    pub fn array_steps(&self) -> usize {
        self.arrays.borrow().steps.len()
    }

    /// `true` when nothing has been recorded since creation or the last clear.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.arrays.borrow().is_empty()
    }

    /// Bytes the tape holds per recorded scalar operation.
    pub fn bytes_per_node() -> usize {
        std::mem::size_of::<Node<T>>()
    }

    /// Forgets the recording but keeps its memory, for the next evaluation
    /// in an optimisation loop. Takes `&mut self`: every handle into the old
    /// recording must be dead.
    pub fn clear(&mut self) {
        self.forget(0);
    }

    /// [`Tape::clear`], but the first `inputs` input nodes the last
    /// recording began with (as many as it had) are kept, for
    /// [`Tape::inputs_from_start`]: every input node is the same leaf, so
    /// an optimisation loop, with as many inputs each call, writes only the
    /// handles (chain of 1000 steps: -0.6 us per gradient).
    pub(crate) fn clear_keeping_inputs(&mut self, inputs: usize) {
        self.forget(self.leading_inputs.get().min(inputs));
    }

    /// Input handles for `values` on a tape that holds nothing but the
    /// inputs kept by [`Tape::clear_keeping_inputs`]: the missing input
    /// nodes are pushed, the handles number them from 1.
    ///
    /// # Panics
    /// When the tape holds anything else, or more inputs than `values`.
    pub(crate) fn inputs_from_start(&self, values: &[T]) -> Vec<Var<'_, T>> {
        let kept = self.len();
        assert!(
            kept == self.leading_inputs.get() && kept <= values.len(),
            "inputs_from_start on a tape holding more than kept inputs"
        );
        self.push_inputs(values.len() - kept);
        Var::inputs(values, 1, self)
    }

    /// Forgets the recording except its first `inputs` nodes, which are
    /// leading inputs.
    fn forget(&mut self, inputs: usize) {
        self.nodes.get_mut().truncate(1 + inputs);
        self.arrays.get_mut().clear();
        self.recording = next_recording();
        self.leading_inputs.set(inputs);
    }

    /// The number of the current recording (see [`next_recording`]).
    pub(crate) fn recording(&self) -> u64 {
        self.recording
    }

    /// Appends one node and returns its index.
    ///
    /// # Panics
    /// When the tape holds more than 2^31 - 1 nodes.
    #[inline(always)]
    pub(crate) fn push(&self, parents: [u32; 2], partials: [T; 2]) -> u32 {
        push_node(&mut self.nodes.borrow_mut(), parents, partials)
    }

    /// Adjoints of everything on the tape for the output `y` (seed 1).
    ///
    /// An input that `y` does not depend on gets a zero adjoint.
    pub fn gradient(&self, y: Var<'_, T>) -> Gradients<T> {
        let mut out = Gradients::empty();
        self.gradient_into(y, &mut out);
        out
    }

    /// Like [`Tape::gradient`], reusing the buffers of `out`.
    pub fn gradient_into(&self, y: Var<'_, T>, out: &mut Gradients<T>) {
        self.vjp_into(&[y], &[T::one()], out);
    }

    /// Vector-Jacobian product: adjoints for the outputs `ys` seeded with
    /// `weights` (`w^T J` read at the inputs).
    ///
    /// # Panics
    /// When `ys` and `weights` differ in length or an output belongs to
    /// another tape.
    #[track_caller]
    pub fn vjp(&self, ys: &[Var<'_, T>], weights: &[T]) -> Gradients<T> {
        let mut out = Gradients::empty();
        self.vjp_into(ys, weights, &mut out);
        out
    }

    /// Like [`Tape::vjp`], reusing the buffers of `out`.
    ///
    /// # Panics
    /// As [`Tape::vjp`].
    #[track_caller]
    pub fn vjp_into(&self, ys: &[Var<'_, T>], weights: &[T], out: &mut Gradients<T>) {
        self.vjp_keeping::<true>(ys, weights, out);
    }

    /// [`Tape::gradient_into`] for a caller that reads the adjoints of the
    /// leading inputs only (inputs recorded before any operation): the sweep
    /// then stores no adjoint that it hands over in a register (see
    /// [`sweep_chained`]).
    pub(crate) fn input_gradient_into(&self, y: Var<'_, T>, out: &mut Gradients<T>) {
        self.vjp_keeping::<false>(&[y], &[T::one()], out);
    }

    /// [`Tape::vjp_into`]; with `ALL` false, only the adjoints of the
    /// leading inputs are left in `out`.
    #[track_caller]
    fn vjp_keeping<const ALL: bool>(
        &self,
        ys: &[Var<'_, T>],
        weights: &[T],
        out: &mut Gradients<T>,
    ) {
        assert_eq!(
            ys.len(),
            weights.len(),
            "vjp: {} outputs but {} weights; pass one weight per output",
            ys.len(),
            weights.len()
        );
        out.reset(self, 0, self.arrays.borrow().len());
        // A pending output is pushed here, so the adjoints are sized after.
        for (y, &w) in ys.iter().zip(weights) {
            if let Some(index) = y.index_on(self) {
                let index = index as usize;
                if out.scalars.len() <= index {
                    out.scalars.resize(index + 1, T::zero());
                }
                out.scalars[index] += w;
            }
        }
        out.scalars.resize(self.nodes.borrow().len(), T::zero());
        self.sweep::<ALL>(out);
    }

    /// Jacobian of the outputs `ys` with respect to the inputs `xs`, one row
    /// per output, by one reverse sweep per output over this recording.
    ///
    /// # Panics
    /// When a variable belongs to another tape.
    #[track_caller]
    pub fn jacobian(&self, ys: &[Var<'_, T>], xs: &[Var<'_, T>]) -> Vec<Vec<T>> {
        let mut g = Gradients::empty();
        // Pending outputs pushed once, not once per sweep.
        let ys: Vec<_> = ys.iter().map(|y| y.to_node()).collect();
        ys.iter()
            .map(|&y| {
                self.gradient_into(y, &mut g);
                xs.iter().map(|&x| g.wrt(x)).collect()
            })
            .collect()
    }

    /// The reverse sweep: scalar nodes in reverse order, interrupted by the
    /// array steps at the positions where they were recorded.
    fn sweep<const ALL: bool>(&self, out: &mut Gradients<T>) {
        let nodes = self.nodes.borrow();
        let arrays = self.arrays.borrow();
        let first = self.leading_inputs.get() + 1;
        let mut end = nodes.len();
        for step in arrays.steps.iter().rev() {
            let mark = step.mark as usize;
            sweep_scalars::<T, ALL>(&nodes, mark.max(first), end, &mut out.scalars);
            end = mark;
            backward_step(step, &arrays, &mut out.arrays, &mut out.scalars);
        }
        sweep_scalars::<T, ALL>(&nodes, first, end, &mut out.scalars);
    }
}

/// Appends one node to `nodes` and returns its index.
///
/// # Panics
/// When the tape holds more than 2^31 - 1 nodes.
#[inline(always)]
pub(crate) fn push_node<T>(nodes: &mut Vec<Node<T>>, parents: [u32; 2], partials: [T; 2]) -> u32 {
    let index = nodes.len();
    if index > INDEX as usize {
        too_many_nodes();
    }
    nodes.push(Node { parents, partials });
    index as u32
}

/// Out of line: keeps [`Tape::push`] small enough to inline everywhere.
#[cold]
#[inline(never)]
fn too_many_nodes() -> ! {
    panic!("tape holds more than 2^31 - 1 nodes; record smaller pieces or use array nodes")
}

/// Reverse sweep over the scalar nodes `start..end`: each node passes its
/// adjoint to its parents, weighted by its local partials.
///
/// Two loops with bitwise-equal results; which one runs is decided by the
/// last [`SHAPE_SAMPLE`] nodes: [`sweep_chained`] when most of them continue
/// the node before (a serial chain of operations, where it saves a
/// store-to-load trip per node), [`sweep_plain`] otherwise (where the
/// chained loop's extra tests only cost time: Rosenbrock +6%).
#[inline]
fn sweep_scalars<T: Scalar, const ALL: bool>(
    nodes: &[Node<T>],
    start: usize,
    end: usize,
    adj: &mut [T],
) {
    if start >= end {
        return;
    }
    let from = end.saturating_sub(SHAPE_SAMPLE).max(start);
    let chained = (from..end)
        .filter(|&j| continues_previous(&nodes[j], j))
        .count();
    if 2 * chained > end - from {
        sweep_chained::<T, ALL>(nodes, start, end, adj);
    } else {
        sweep_plain(nodes, start, end, adj);
    }
}

/// How many nodes at the end of a segment decide its sweep loop.
const SHAPE_SAMPLE: usize = 16;

/// `true` when node `j`'s first parent is node `j - 1` and its second is
/// another node: its first contribution is the last one `j - 1` receives.
#[inline(always)]
fn continues_previous<T>(node: &Node<T>, j: usize) -> bool {
    let [p, q] = node.parent_indices();
    p + 1 == j && q != p
}

/// The sweep, every contribution through memory.
#[inline]
fn sweep_plain<T: Scalar>(nodes: &[Node<T>], start: usize, end: usize, adj: &mut [T]) {
    for (i, node) in nodes[start..end].iter().enumerate().rev() {
        let a = adj[start + i];
        let [p, q] = node.parent_indices();
        adj[p] += a * node.partials[0];
        // Unused second slots point at the sink: skipping them keeps the
        // sink's adjoint from chaining every node into one dependency.
        if q != SINK as usize {
            adj[q] += a * node.partials[1];
        }
    }
}

/// The sweep along runs of nodes that [continue the previous
/// one](continues_previous): such a node's first contribution is the last
/// one the node before receives, so that adjoint is complete once it is
/// added; while the node before has received nothing else (its adjoint
/// still zero), the contribution itself is its adjoint and goes on in a
/// register, off the store-to-load path and without the add.
///
/// With `ALL`, every adjoint is still stored, with the plain loop's bits
/// (`held + c`), for [`Gradients::wrt`] on intermediate nodes. Without, the
/// adjoints handed over in registers are not stored (an add and a store
/// less per node; the sweep alone 2.80 -> 2.64 us on the chain of 1000): a
/// [`crate::GradientTape`] reads the leading inputs only, which a run never
/// reaches (it stops at its segment's first node, after them), and an array
/// step reads only nodes below its mark, so below the segment. Using `c` for
/// `+0 + c` in the register differs only in the sign of a zero, which every
/// later sum into the buffer (never -0: it starts at +0) forgets.
#[inline]
fn sweep_chained<T: Scalar, const ALL: bool>(
    nodes: &[Node<T>],
    start: usize,
    end: usize,
    adj: &mut [T],
) {
    let nodes = &nodes[..end];
    let adj = &mut adj[..end];
    let mut j = end;
    while j > start {
        j -= 1;
        let mut a = adj[j];
        loop {
            let node = &nodes[j];
            let [p, q] = node.parent_indices();
            let c = a * node.partials[0];
            // Never past the segment: the node before it is swept elsewhere.
            if j == start || !continues_previous(node, j) {
                adj[p] += c;
                if q != SINK as usize {
                    adj[q] += a * node.partials[1];
                }
                break;
            }
            if q != SINK as usize {
                adj[q] += a * node.partials[1];
            }
            let held = adj[j - 1];
            if !held.is_zero() {
                adj[j - 1] = held + c;
                break;
            }
            if ALL {
                adj[j - 1] = held + c;
            }
            j -= 1;
            a = c;
        }
    }
}
