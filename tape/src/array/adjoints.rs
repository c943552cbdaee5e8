//! The adjoints of a tape's arrays during and after a reverse sweep, and
//! the spare buffers that let the next sweep into the same
//! [`Gradients`](crate::Gradients) allocate nothing.
//!
//! An adjoint has the shape of its array's value, so it is kept as flat
//! row-major elements.

use ndarray::{ArrayD, IxDyn};

/// The adjoint of one array.
#[derive(Clone, Debug)]
pub(crate) enum Adjoint {
    /// Every element holds this value: the adjoint of the input of a `sum`
    /// or `mean`, which add, sub, neg, scale and offset pass on without
    /// touching memory.
    Fill(f64),
    /// A factor times one value per element: neg and scale change the
    /// factor, not the elements, and the next pass that reads the values
    /// applies it.
    Array(f64, Vec<f64>),
}

impl Adjoint {
    /// One value per element, factor 1.
    pub(crate) fn array(a: Vec<f64>) -> Self {
        Self::Array(1.0, a)
    }
}

/// Adjoint of every array (`None` meaning zero), and buffers of adjoints
/// that are no longer needed, for the rules to fill.
#[derive(Clone, Debug, Default)]
pub(crate) struct ArrayAdjoints {
    slots: Vec<Option<Adjoint>>,
    spare: Vec<Vec<f64>>,
}

impl ArrayAdjoints {
    /// Zero adjoints for `len` arrays; the buffers of the last sweep join
    /// the spares (those the rules recycled during it are there already),
    /// of which at most `len` are kept: a sweep never needs more than one
    /// buffer per array.
    pub(crate) fn reset(&mut self, len: usize) {
        for a in self.slots.drain(..).flatten() {
            if let Adjoint::Array(_, a) = a {
                self.spare.push(a);
            }
        }
        self.spare.truncate(len);
        self.slots.resize_with(len, || None);
    }

    /// A copy of the adjoint of array `id` of shape `dim`, if it is not
    /// zero.
    pub(crate) fn to_array(&self, id: usize, dim: &IxDyn) -> Option<ArrayD<f64>> {
        let values = match self.slots.get(id)?.as_ref()? {
            Adjoint::Fill(c) => return Some(ArrayD::from_elem(dim.clone(), *c)),
            Adjoint::Array(h, a) if *h == 1.0 => a.clone(),
            Adjoint::Array(h, a) => a.iter().map(|a| h * a).collect(),
        };
        Some(ArrayD::from_shape_vec(dim.clone(), values).expect("one value per element"))
    }

    /// `true` while the adjoint of array `id` is zero.
    pub(crate) fn is_zero(&self, id: usize) -> bool {
        self.slots[id].is_none()
    }

    /// Takes the adjoint of array `id` (no later step needs it).
    pub(crate) fn take(&mut self, id: usize) -> Option<Adjoint> {
        self.slots[id].take()
    }

    /// `g` as one value per element (`len` of them).
    pub(crate) fn materialise(&mut self, g: Adjoint, len: usize) -> Vec<f64> {
        match g {
            Adjoint::Fill(c) => self.filled(len, c),
            Adjoint::Array(h, mut a) => {
                if h != 1.0 {
                    a.iter_mut().for_each(|a| *a *= h);
                }
                a
            }
        }
    }

    /// The adjoint of array `id` (of `len` elements) as one value per
    /// element, created as zeros if still zero.
    pub(crate) fn array_mut(&mut self, id: usize, len: usize) -> &mut [f64] {
        let a = match self.slots[id].take() {
            None => self.filled(len, 0.0),
            Some(g) => self.materialise(g, len),
        };
        match self.slots[id].insert(Adjoint::array(a)) {
            Adjoint::Array(_, a) => a,
            Adjoint::Fill(_) => unreachable!("an array was inserted"),
        }
    }

    /// Adds `g` to the adjoint of array `id` (moving it in when that is
    /// zero); `g` has the array's shape.
    pub(crate) fn accumulate(&mut self, id: usize, g: Adjoint) {
        let merged = match (self.slots[id].take(), g) {
            (None, g) => g,
            (Some(Adjoint::Fill(a)), Adjoint::Fill(b)) => Adjoint::Fill(a + b),
            (Some(Adjoint::Fill(c)), Adjoint::Array(h, mut a))
            | (Some(Adjoint::Array(h, mut a)), Adjoint::Fill(c)) => {
                if h == 1.0 {
                    a.iter_mut().for_each(|a| *a += c);
                } else {
                    a.iter_mut().for_each(|a| *a = h * *a + c);
                }
                Adjoint::array(a)
            }
            (Some(Adjoint::Array(k, mut a)), Adjoint::Array(h, g)) => {
                let pairs = a.iter_mut().zip(&g);
                if k == 1.0 && h == 1.0 {
                    pairs.for_each(|(a, &g)| *a += g);
                } else {
                    pairs.for_each(|(a, &g)| *a = k * *a + h * g);
                }
                self.recycle(g);
                Adjoint::array(a)
            }
        };
        self.slots[id] = Some(merged);
    }

    /// A copy of `g` (factor included) in a spare buffer: a copy, not a
    /// pass of arithmetic.
    pub(crate) fn copy(&mut self, h: f64, g: &[f64]) -> Adjoint {
        let mut b = self.buffer(g.len());
        b.extend_from_slice(g);
        Adjoint::Array(h, b)
    }

    /// Adds `f(u)` elementwise to the adjoint of array `id`, in one pass
    /// (no zeros first, no temporary); `u` has the array's shape.
    pub(crate) fn add_map(&mut self, id: usize, u: &[f64], f: impl Fn(f64) -> f64) {
        match &mut self.slots[id] {
            Some(Adjoint::Array(factor, a)) => {
                let k = *factor;
                if k == 1.0 {
                    a.iter_mut().zip(u).for_each(|(a, &u)| *a += f(u));
                } else {
                    a.iter_mut().zip(u).for_each(|(a, &u)| *a = k * *a + f(u));
                }
                *factor = 1.0;
            }
            slot => {
                let fill = slot.take();
                let mut b = self.buffer(u.len());
                match fill {
                    Some(Adjoint::Fill(c)) => b.extend(u.iter().map(|&u| c + f(u))),
                    _ => b.extend(u.iter().map(|&u| f(u))),
                }
                self.slots[id] = Some(Adjoint::array(b));
            }
        }
    }

    /// Adds `f(h g, w)` elementwise to the adjoint of array `id`, in one
    /// pass; `g` and `w` have the array's shape.
    pub(crate) fn add_zip(
        &mut self,
        id: usize,
        h: f64,
        g: &[f64],
        w: &[f64],
        f: impl Fn(f64, f64) -> f64,
    ) {
        if h == 1.0 {
            self.add_zip_unscaled(id, g, w, f);
        } else {
            self.add_zip_unscaled(id, g, w, |g, w| f(h * g, w));
        }
    }

    fn add_zip_unscaled(&mut self, id: usize, u: &[f64], w: &[f64], f: impl Fn(f64, f64) -> f64) {
        let pairs = u.iter().zip(w);
        match &mut self.slots[id] {
            Some(Adjoint::Array(factor, a)) => {
                let k = *factor;
                if k == 1.0 {
                    a.iter_mut()
                        .zip(pairs)
                        .for_each(|(a, (&u, &w))| *a += f(u, w));
                } else {
                    a.iter_mut()
                        .zip(pairs)
                        .for_each(|(a, (&u, &w))| *a = k * *a + f(u, w));
                }
                *factor = 1.0;
            }
            slot => {
                let fill = slot.take();
                let mut b = self.buffer(u.len());
                match fill {
                    Some(Adjoint::Fill(c)) => b.extend(pairs.map(|(&u, &w)| c + f(u, w))),
                    _ => b.extend(pairs.map(|(&u, &w)| f(u, w))),
                }
                self.slots[id] = Some(Adjoint::array(b));
            }
        }
    }

    /// Adds `f(h g, w)` elementwise to the adjoint of array `id`,
    /// transforming `g` in place when that adjoint is zero.
    pub(crate) fn add_zip_owned(
        &mut self,
        id: usize,
        h: f64,
        mut g: Vec<f64>,
        w: &[f64],
        f: impl Fn(f64, f64) -> f64,
    ) {
        if !self.is_zero(id) {
            self.add_zip(id, h, &g, w, f);
            return self.recycle(g);
        }
        let pairs = g.iter_mut().zip(w);
        if h == 1.0 {
            pairs.for_each(|(g, &w)| *g = f(*g, w));
        } else {
            pairs.for_each(|(g, &w)| *g = f(h * *g, w));
        }
        self.slots[id] = Some(Adjoint::array(g));
    }

    /// An empty buffer with room for `len` values: a spare when one is
    /// large enough, else a new one.
    pub(crate) fn buffer(&mut self, len: usize) -> Vec<f64> {
        match self.spare.iter().rposition(|b| b.capacity() >= len) {
            Some(i) => {
                let mut b = self.spare.swap_remove(i);
                b.clear();
                b
            }
            None => Vec::with_capacity(len),
        }
    }

    /// Keeps the buffer of an adjoint that is no longer needed.
    pub(crate) fn recycle(&mut self, a: Vec<f64>) {
        self.spare.push(a);
    }

    /// `len` copies of `value`.
    pub(crate) fn filled(&mut self, len: usize, value: f64) -> Vec<f64> {
        let mut b = self.buffer(len);
        b.resize(len, value);
        b
    }

    /// `f` of every element of `g`, in a spare buffer.
    pub(crate) fn map(&mut self, g: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
        let mut b = self.buffer(g.len());
        b.extend(g.iter().map(|&v| f(v)));
        b
    }
}
