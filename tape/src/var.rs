//! The tape variable: a value and a handle into the tape that recorded it.

use crate::tape::{flagged, Curvature, SINK};
use crate::Tape;
use admix_dual::Scalar;
use std::cmp::Ordering;
use std::fmt;

/// A real number recorded on a [`Tape`], or a constant.
///
/// `Var` implements [`Scalar`], so a function written once for `S: Scalar`
/// runs on it unchanged and records itself. A `Var` made from a number
/// (`Var::zero()`, `Scalar::constant(2.0)`, `from_f64`) belongs to no tape:
/// it is a constant, and operations between constants record nothing.
///
/// Combining variables of two different tapes is a programming error and
/// panics with a message naming the operation (operators cannot return
/// `Result`; a panic at the faulty line beats a gradient that is silently
/// wrong).
#[derive(Clone, Copy)]
pub struct Var<'t, T = f64> {
    value: T,
    index: u32,
    tape: Option<&'t Tape<T>>,
}

impl<'t, T: Scalar> Var<'t, T> {
    /// A constant: on no tape, derivative zero with respect to everything.
    pub fn constant(value: T) -> Self {
        Self {
            value,
            index: SINK,
            tape: None,
        }
    }

    pub(crate) fn on_tape(value: T, index: u32, tape: &'t Tape<T>) -> Self {
        Self {
            value,
            index,
            tape: Some(tape),
        }
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

    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    /// The recording this variable belongs to; `None` for a constant.
    pub(crate) fn recording(&self) -> Option<u64> {
        self.tape.map(Tape::recording)
    }

    /// This variable's node index if it lives on `tape`, `None` if constant.
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
        Some(self.index)
    }

    /// Records `value = f(self)` with `partial = df/dself`, for a function
    /// `f` with a non-zero second derivative.
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

    #[inline(always)]
    fn chain_curved(self, value: T, partial: T, curvature: Curvature) -> Self {
        match self.tape {
            None => Self::constant(value),
            Some(tape) => {
                let parents = flagged(curvature, self.index, SINK);
                let index = tape.push(parents, [partial, T::zero()]);
                Self::on_tape(value, index, tape)
            }
        }
    }

    /// Records `value = f(self, other)` with partials `da = df/dself`,
    /// `db = df/dother`, and how `f` curves (see [`Curves`]).
    ///
    /// # Panics
    /// When the two variables live on different tapes.
    #[inline]
    #[track_caller]
    pub(crate) fn chain2(self, other: Self, value: T, da: T, db: T, curves: Curves) -> Self {
        let tape = match (self.tape, other.tape) {
            (None, None) => return Self::constant(value),
            (Some(a), Some(b)) if !std::ptr::eq(a, b) => different_tapes(),
            (Some(tape), _) | (None, Some(tape)) => tape,
        };
        // A constant's index is the sink; keep it in the second slot, which
        // the sweep skips, so one push serves all three cases.
        let (parents, partials) = match (self.tape.is_some(), other.tape.is_some()) {
            (true, true) => (flagged(curves.both, self.index, other.index), [da, db]),
            (true, false) => (flagged(curves.first, self.index, SINK), [da, db]),
            _ => (flagged(curves.second, other.index, SINK), [db, da]),
        };
        Self::on_tape(value, tape.push(parents, partials), tape)
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
        match self.tape {
            None => write!(f, "Var({:?}, constant)", self.value),
            Some(_) => write!(f, "Var({:?}, #{})", self.value, self.index),
        }
    }
}

impl<T: Scalar> fmt::Display for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}
