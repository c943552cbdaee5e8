//! The tape variable: a value and either a node of the tape or a pending
//! linear combination of at most two nodes, not yet recorded.

use crate::tape::{flagged, push_node, Curvature, Node, FLAG, INDEX, SINK};
use crate::Tape;
use admix_dual::Scalar;
use std::cmp::Ordering;
use std::fmt;

/// The second parent slot of a variable that is a node of its own (an
/// input or a recorded result): the sink with a flag no pending
/// combination carries there, so [`Gradients::wrt`](crate::Gradients::wrt)
/// can tell a node from a pending combination that happens to have partial 1.
const NODE: u32 = SINK | FLAG;

/// A real number recorded on a [`Tape`], or a constant.
///
/// `Var` implements [`Scalar`], so a function written once for `S: Scalar`
/// runs on it unchanged and records itself. A `Var` made from a number
/// (`Var::zero()`, `Scalar::constant(2.0)`, `from_f64`) belongs to no tape:
/// it is a constant, and operations between constants record nothing.
///
/// A result is recorded one statement late, as expression-template tapes
/// do: it holds its local partials with respect to at most two tape nodes
/// (its *parents*) and is pushed onto the tape only when an operation needs
/// it as a node. So a function of one result (`sin(a * b)`, `2 * (a - b)`)
/// and a binary operation on results with one parent each fold into one
/// node: `sin(acc * x)` records one node with partials
/// `(cos(acc x) x, cos(acc x) acc)`. A pending result used twice is pushed
/// twice (two equal nodes: still exact). [`Var::to_node`] records it
/// explicitly, for reading its adjoint.
///
/// Combining variables of two different tapes is a programming error and
/// panics with a message naming the operation (operators cannot return
/// `Result`; a panic at the faulty line beats a gradient that is silently
/// wrong).
#[derive(Clone, Copy)]
pub struct Var<'t, T = f64> {
    value: T,
    tape: Option<&'t Tape<T>>,
    /// Parent slots, flagged with the [`Curvature`] of the pending
    /// combination (as in a node); `[index, NODE]` for a node of its own,
    /// `[SINK, SINK]` for a constant.
    parents: [u32; 2],
    /// d value / d parent; `[1, 0]` for a node of its own.
    partials: [T; 2],
}

impl<'t, T: Scalar> Var<'t, T> {
    /// A constant: on no tape, derivative zero with respect to everything.
    pub fn constant(value: T) -> Self {
        Self {
            value,
            tape: None,
            parents: [SINK; 2],
            partials: [T::zero(); 2],
        }
    }

    /// Node `index` of `tape` itself.
    pub(crate) fn on_tape(value: T, index: u32, tape: &'t Tape<T>) -> Self {
        Self {
            value,
            tape: Some(tape),
            parents: [index, NODE],
            partials: [T::one(), T::zero()],
        }
    }

    /// Handles of the input nodes `first..first + values.len()` of `tape`.
    pub(crate) fn inputs(values: &[T], first: u32, tape: &'t Tape<T>) -> Vec<Self> {
        // The slots `[index, NODE]` counted as one u64 (index in the low
        // half): LLVM then writes them with one store, not two (1000
        // inputs: 1.47 -> 1.36 us).
        let first = u64::from(first) | u64::from(NODE) << 32;
        (first..)
            .zip(values)
            .map(|(slots, &value)| Self {
                value,
                tape: Some(tape),
                parents: [slots as u32, (slots >> 32) as u32],
                partials: [T::one(), T::zero()],
            })
            .collect()
    }

    /// The value (primal) of this variable.
    pub fn value(&self) -> T {
        self.value
    }

    /// The tape this variable is recorded on; `None` for a constant.
    pub fn tape(&self) -> Option<&'t Tape<T>> {
        self.tape
    }

    /// `true` when this variable is a constant (on no tape).
    pub fn is_constant(&self) -> bool {
        self.tape.is_none()
    }

    /// This variable as a node of its own: recorded now if it is still a
    /// pending combination (see [`Var`]), unchanged if it is a node or a
    /// constant. Needed only to read the adjoint of an intermediate result
    /// with [`Gradients::wrt`](crate::Gradients::wrt); use the returned
    /// variable in the rest of the computation.
    ///
    /// # Example
    /// ```
    /// use admix_tape::Tape;
    /// use num_traits::Float;
    ///
    /// let tape = Tape::new();
    /// let x = tape.var(0.5);
    /// let u = (x * x).to_node(); // u = x^2, read back below
    /// let y = u.sin();
    /// let g = tape.gradient(y);
    /// assert_eq!(g.wrt(u), 0.25_f64.cos());
    /// assert_eq!(g.wrt(x), 0.25_f64.cos() * 2.0 * 0.5);
    /// ```
    pub fn to_node(self) -> Self {
        match self.tape {
            None => self,
            Some(tape) => Self::on_tape(self.value, self.index(), tape),
        }
    }

    /// The node index of this variable: its own if it is a node, a new
    /// node if it is pending (pushed now), the sink for a constant.
    pub(crate) fn index(&self) -> u32 {
        match self.tape {
            None => SINK,
            Some(_) if self.parents[1] == NODE => self.parents[0],
            Some(tape) => tape.push(self.parents, self.partials),
        }
    }

    /// The node index of a variable that is a node of its own, `None` for
    /// a pending combination or a constant (see [`Var::to_node`]).
    pub(crate) fn node(&self) -> Option<u32> {
        (self.tape.is_some() && self.parents[1] == NODE).then_some(self.parents[0])
    }

    /// The recording this variable belongs to; `None` for a constant.
    pub(crate) fn recording(&self) -> Option<u64> {
        self.tape.map(Tape::recording)
    }

    /// This variable's node index if it lives on `tape` (pushed now if it
    /// is pending), `None` if constant.
    ///
    /// # Panics
    /// When the variable lives on another tape.
    #[track_caller]
    pub(crate) fn index_on(&self, tape: &Tape<T>) -> Option<u32> {
        let own = self.tape?;
        assert!(
            std::ptr::eq(own, tape),
            "variable used with a tape that did not record it; \
             create all variables of one computation on the same tape"
        );
        Some(self.index())
    }

    /// `value = f(self)` with `partial = df/dself`, for a function `f` with
    /// a non-zero second derivative.
    #[inline]
    pub(crate) fn chain(self, value: T, partial: T) -> Self {
        self.chain_curved(value, partial, Curvature::Full)
    }

    /// [`Var::chain`] for a function whose second derivative is zero
    /// (wherever it exists): negation, scaling, rounding.
    #[inline]
    pub(crate) fn chain_linear(self, value: T, partial: T) -> Self {
        self.chain_curved(value, partial, Curvature::Linear)
    }

    /// A function of one variable records nothing: the chain rule folds its
    /// derivative into the pending partials, and its curvature into their
    /// flags (a curved function of a combination curves in all its parents,
    /// a linear one keeps the combination's curvature).
    #[inline(always)]
    fn chain_curved(self, value: T, partial: T, curvature: Curvature) -> Self {
        // A node of its own becomes a combination with one parent. Under a
        // Full flag (on the first slot) the second slot's flag means
        // nothing, so one mask clears both that and the node marker.
        let second = match curvature {
            Curvature::Full => self.parents[1] & INDEX,
            _ if self.parents[1] == NODE => SINK,
            _ => self.parents[1],
        };
        Self {
            value,
            tape: self.tape,
            parents: flagged(curvature, self.parents[0], second),
            partials: [self.partials[0] * partial, self.partials[1] * partial],
        }
    }

    /// The variable as one parent and its partial when it is linear in
    /// one parent (a node, `2 x`, `1 - x`); `None` when it must be pushed.
    #[inline(always)]
    fn one_parent(&self) -> Option<(u32, T)> {
        (self.parents[1] & INDEX == SINK && self.parents[0] & FLAG == 0)
            .then_some((self.parents[0], self.partials[0]))
    }

    /// The variable as one parent: [`Var::one_parent`], or the node it is
    /// pushed as now, with partial 1.
    #[inline(always)]
    fn pushed(&self, nodes: &mut Vec<Node<T>>) -> (u32, T) {
        (push_node(nodes, self.parents, self.partials), T::one())
    }

    /// `value() = f(self, other)` with partials `da = df/dself`,
    /// `db = df/dother`, and how `f` curves (see [`Curves`]). The value is
    /// computed after the pushes: then it goes from the arithmetic straight
    /// to its next use (in the chain benchmark, the libm call of the next
    /// step) instead of being spilled to the stack around the push code
    /// (a store and a reload on the critical path: chain 19.5 -> 18.5 us). With one
    /// operand constant this is a function of one variable; with two, each
    /// operand is reduced to one parent (pushing it if it has two, or
    /// curves) and the result is pending over both.
    ///
    /// # Panics
    /// When the two variables live on different tapes.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn chain2(
        self,
        other: Self,
        value: impl FnOnce() -> T,
        da: T,
        db: T,
        curves: Curves,
    ) -> Self {
        let tape = match (self.tape, other.tape) {
            (Some(a), Some(b)) if std::ptr::eq(a, b) => a,
            (None, None) => return Self::constant(value()),
            (Some(_), None) => return self.chain_curved(value(), da, curves.first),
            (None, Some(_)) => return other.chain_curved(value(), db, curves.second),
            (Some(_), Some(_)) => different_tapes(),
        };
        // One borrow of the tape per operation; no state kept across a push.
        let ((p, kp), (q, kq)) = match (self.one_parent(), other.one_parent()) {
            (Some(x), Some(y)) => (x, y),
            (None, Some(y)) => (self.pushed(&mut tape.nodes.borrow_mut()), y),
            (Some(x), None) => (x, other.pushed(&mut tape.nodes.borrow_mut())),
            (None, None) => {
                let nodes = &mut tape.nodes.borrow_mut();
                (self.pushed(nodes), other.pushed(nodes))
            }
        };
        // Linear maps of one parent each: f's curvature carries over.
        Self {
            value: value(),
            tape: Some(tape),
            parents: flagged(curves.both, p, q),
            partials: [kp * da, kq * db],
        }
    }
}

/// How a function of two variables curves: when both are variables, and
/// in the first or the second alone (the other being a constant).
#[derive(Clone, Copy)]
pub(crate) struct Curves {
    pub(crate) both: Curvature,
    pub(crate) first: Curvature,
    pub(crate) second: Curvature,
}

impl Curves {
    /// Sums and differences.
    pub(crate) const LINEAR: Self =
        Self::new(Curvature::Linear, Curvature::Linear, Curvature::Linear);
    /// Any second derivative may be non-zero, with either operand constant too.
    pub(crate) const FULL: Self = Self::new(Curvature::Full, Curvature::Full, Curvature::Full);

    pub(crate) const fn new(both: Curvature, first: Curvature, second: Curvature) -> Self {
        Self {
            both,
            first,
            second,
        }
    }
}

/// The panic for operations that mix tapes, out of line so that the hot
/// recording path stays small enough to inline.
#[cold]
#[inline(never)]
#[track_caller]
fn different_tapes() -> ! {
    panic!(
        "operation on variables of two different tapes; \
         create all variables of one computation on the same tape"
    )
}

impl<T: Scalar> PartialEq for Var<'_, T> {
    /// Compares values only, as branches in generic code expect.
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Scalar> PartialOrd for Var<'_, T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<T: Scalar> fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.tape, self.node()) {
            (None, _) => write!(f, "Var({:?}, constant)", self.value),
            (Some(_), Some(index)) => write!(f, "Var({:?}, #{index})", self.value),
            (Some(_), None) => write!(
                f,
                "Var({:?}, pending on #{} and #{})",
                self.value,
                self.parents[0] & INDEX,
                self.parents[1] & INDEX
            ),
        }
    }
}

impl<T: Scalar> fmt::Display for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}
