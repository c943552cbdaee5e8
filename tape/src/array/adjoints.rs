//! The adjoints of a tape's arrays during and after a reverse sweep, and
//! the spare buffers that let the next sweep into the same
//! [`Gradients`](crate::Gradients) allocate nothing.

use super::shape::from_buffer;
use ndarray::{ArrayD, ArrayViewD, IxDyn};

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
    Array(f64, ArrayD<f64>),
}

impl Adjoint {
    /// One value per element, factor 1.
    pub(crate) fn array(a: ArrayD<f64>) -> Self {
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
                self.spare.push(a.into_raw_vec_and_offset().0);
            }
        }
        self.spare.truncate(len);
        self.slots.resize_with(len, || None);
    }

    /// A copy of the adjoint of array `id` of `shape`, if it is not zero.
    pub(crate) fn to_array(&self, id: usize, shape: &[usize]) -> Option<ArrayD<f64>> {
        match self.slots.get(id)?.as_ref()? {
            Adjoint::Fill(c) => Some(ArrayD::from_elem(shape, *c)),
            Adjoint::Array(h, a) if *h == 1.0 => Some(a.clone()),
            Adjoint::Array(h, a) => Some(a.mapv(|a| h * a)),
        }
    }

    /// `true` while the adjoint of array `id` is zero.
    pub(crate) fn is_zero(&self, id: usize) -> bool {
        self.slots[id].is_none()
    }

    /// Takes the adjoint of array `id` (no later step needs it).
    pub(crate) fn take(&mut self, id: usize) -> Option<Adjoint> {
        self.slots[id].take()
    }

    /// `g` as one value per element of `shape`.
    pub(crate) fn materialise(&mut self, g: Adjoint, shape: &[usize]) -> ArrayD<f64> {
        match g {
            Adjoint::Fill(c) => self.filled(shape, c),
            Adjoint::Array(h, mut a) => {
                if h != 1.0 {
                    a.mapv_inplace(|a| h * a);
                }
                a
            }
        }
    }

    /// The adjoint of array `id` as one value per element of `shape`,
    /// created as zeros if still zero.
    pub(crate) fn array_mut(&mut self, id: usize, shape: &[usize]) -> &mut ArrayD<f64> {
        let a = match self.slots[id].take() {
            None => self.filled(shape, 0.0),
            Some(g) => self.materialise(g, shape),
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
                    a += c;
                } else {
                    a.mapv_inplace(|a| h * a + c);
                }
                Adjoint::array(a)
            }
            (Some(Adjoint::Array(k, mut a)), Adjoint::Array(h, g)) => {
                if k == 1.0 && h == 1.0 {
                    a += &g;
                } else {
                    ndarray::Zip::from(&mut a)
                        .and(&g)
                        .for_each(|a, &g| *a = k * *a + h * g);
                }
                self.recycle(g);
                Adjoint::array(a)
            }
        };
        self.slots[id] = Some(merged);
    }

    /// A copy of `g` (factor included) in a spare buffer: a copy, not a
    /// pass of arithmetic.
    pub(crate) fn copy(&mut self, h: f64, g: &ArrayD<f64>) -> Adjoint {
        match g.as_slice() {
            Some(values) => {
                let mut b = self.buffer(values.len());
                b.extend_from_slice(values);
                Adjoint::Array(h, from_buffer(g.raw_dim(), b))
            }
            None => Adjoint::Array(h, g.to_owned()),
        }
    }

    /// Adds `f(u)` elementwise to the adjoint of array `id`, in one pass
    /// (no zeros first, no temporary); `u` has the array's shape.
    pub(crate) fn add_map(&mut self, id: usize, u: ArrayViewD<'_, f64>, f: impl Fn(f64) -> f64) {
        let Some(us) = u.as_slice() else {
            return self.accumulate(id, Adjoint::array(u.mapv(f)));
        };
        match &mut self.slots[id] {
            Some(Adjoint::Array(factor, a)) => {
                let k = *factor;
                match a.as_slice_mut() {
                    Some(a) if k == 1.0 => a.iter_mut().zip(us).for_each(|(a, &u)| *a += f(u)),
                    Some(a) => a.iter_mut().zip(us).for_each(|(a, &u)| *a = k * *a + f(u)),
                    None => ndarray::Zip::from(&mut *a)
                        .and(&u)
                        .for_each(|a, &u| *a = k * *a + f(u)),
                }
                *factor = 1.0;
            }
            slot => {
                let fill = slot.take();
                let mut b = self.buffer(us.len());
                match fill {
                    Some(Adjoint::Fill(c)) => b.extend(us.iter().map(|&u| c + f(u))),
                    _ => b.extend(us.iter().map(|&u| f(u))),
                }
                self.slots[id] = Some(Adjoint::array(from_buffer(u.raw_dim(), b)));
            }
        }
    }

    /// Adds `f(h g, w)` elementwise to the adjoint of array `id`, in one
    /// pass; `g` and `w` have the array's shape.
    pub(crate) fn add_zip(
        &mut self,
        id: usize,
        h: f64,
        g: ArrayViewD<'_, f64>,
        w: ArrayViewD<'_, f64>,
        f: impl Fn(f64, f64) -> f64,
    ) {
        if h == 1.0 {
            self.add_zip_unscaled(id, g, w, f);
        } else {
            self.add_zip_unscaled(id, g, w, |g, w| f(h * g, w));
        }
    }

    fn add_zip_unscaled(
        &mut self,
        id: usize,
        u: ArrayViewD<'_, f64>,
        w: ArrayViewD<'_, f64>,
        f: impl Fn(f64, f64) -> f64,
    ) {
        let (Some(us), Some(ws)) = (u.as_slice(), w.as_slice()) else {
            let mut g = u.to_owned();
            ndarray::Zip::from(&mut g)
                .and(&w)
                .for_each(|g, &w| *g = f(*g, w));
            return self.accumulate(id, Adjoint::array(g));
        };
        match &mut self.slots[id] {
            Some(Adjoint::Array(factor, a)) => {
                let k = *factor;
                let pairs = us.iter().zip(ws);
                match a.as_slice_mut() {
                    Some(a) if k == 1.0 => a
                        .iter_mut()
                        .zip(pairs)
                        .for_each(|(a, (&u, &w))| *a += f(u, w)),
                    Some(a) => a
                        .iter_mut()
                        .zip(pairs)
                        .for_each(|(a, (&u, &w))| *a = k * *a + f(u, w)),
                    None => ndarray::Zip::from(&mut *a)
                        .and(&u)
                        .and(&w)
                        .for_each(|a, &u, &w| *a = k * *a + f(u, w)),
                }
                *factor = 1.0;
            }
            slot => {
                let fill = slot.take();
                let mut b = self.buffer(us.len());
                let pairs = us.iter().zip(ws);
                match fill {
                    Some(Adjoint::Fill(c)) => b.extend(pairs.map(|(&u, &w)| c + f(u, w))),
                    _ => b.extend(pairs.map(|(&u, &w)| f(u, w))),
                }
                self.slots[id] = Some(Adjoint::array(from_buffer(u.raw_dim(), b)));
            }
        }
    }

    /// Adds `f(h g, w)` elementwise to the adjoint of array `id`,
    /// transforming `g` in place when that adjoint is zero.
    pub(crate) fn add_zip_owned(
        &mut self,
        id: usize,
        h: f64,
        mut g: ArrayD<f64>,
        w: ArrayViewD<'_, f64>,
        f: impl Fn(f64, f64) -> f64,
    ) {
        if !self.is_zero(id) {
            self.add_zip(id, h, g.view(), w, f);
            return self.recycle(g);
        }
        match (g.as_slice_mut(), w.as_slice()) {
            (Some(gs), Some(ws)) if h == 1.0 => {
                gs.iter_mut().zip(ws).for_each(|(g, &w)| *g = f(*g, w));
            }
            (Some(gs), Some(ws)) => gs.iter_mut().zip(ws).for_each(|(g, &w)| *g = f(h * *g, w)),
            _ => ndarray::Zip::from(&mut g)
                .and(&w)
                .for_each(|g, &w| *g = f(h * *g, w)),
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
    pub(crate) fn recycle(&mut self, a: ArrayD<f64>) {
        self.spare.push(a.into_raw_vec_and_offset().0);
    }

    /// An array of `shape` filled with `value`.
    pub(crate) fn filled(&mut self, shape: &[usize], value: f64) -> ArrayD<f64> {
        let len = shape.iter().product();
        let mut b = self.buffer(len);
        b.resize(len, value);
        from_buffer(IxDyn(shape), b)
    }

    /// `f` of every element of `g`, in a spare buffer when `g` is in
    /// standard layout.
    pub(crate) fn map(&mut self, g: ArrayViewD<'_, f64>, f: impl Fn(f64) -> f64) -> ArrayD<f64> {
        match g.as_slice() {
            Some(values) => {
                let mut b = self.buffer(values.len());
                b.extend(values.iter().map(|&v| f(v)));
                from_buffer(g.raw_dim(), b)
            }
            None => g.mapv(f),
        }
    }
}
