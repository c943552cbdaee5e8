//! The tape variable: a value and a handle into the tape that recorded it.

use crate::tape::SINK;
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

    pub(crate) fn tape_address(&self) -> Option<usize> {
        self.tape.map(|t| t as *const Tape<T> as usize)
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

    /// Records `value = f(self)` with `partial = df/dself`.
    #[inline]
    pub(crate) fn chain(self, value: T, partial: T) -> Self {
        match self.tape {
            None => Self::constant(value),
            Some(tape) => {
                let index = tape.push([self.index, SINK], [partial, T::zero()]);
                Self::on_tape(value, index, tape)
            }
        }
    }

    /// Records `value = f(self, other)` with partials `da = df/dself`,
    /// `db = df/dother`.
    ///
    /// # Panics
    /// When the two variables live on different tapes.
    #[inline]
    #[track_caller]
    pub(crate) fn chain2(self, other: Self, value: T, da: T, db: T) -> Self {
        let tape = match (self.tape, other.tape) {
            (None, None) => return Self::constant(value),
            (Some(a), Some(b)) if !std::ptr::eq(a, b) => different_tapes(),
            (Some(tape), _) | (None, Some(tape)) => tape,
        };
        // A constant's index is the sink; keep it in the second slot, which
        // the sweep skips, so one push serves all three cases.
        let (parents, partials) = if self.tape.is_some() {
            ([self.index, other.index], [da, db])
        } else {
            ([other.index, SINK], [db, da])
        };
        Self::on_tape(value, tape.push(parents, partials), tape)
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
