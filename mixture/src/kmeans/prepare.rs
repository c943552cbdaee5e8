//! The data as the kernels read it, one chunk at a time: each chunk is
//! copied into a per-thread scratch as it is read, centred (squared
//! Euclidean) or scaled to unit rows (cosine), with its squared row norms.
//! The data itself is never copied whole, so a memory-mapped file or a
//! user's [`RowSource`](crate::RowSource) costs only the scratch.
//!
//! Centring keeps `||x||^2 - 2 x.c + ||c||^2` accurate when the data sit far
//! from the origin; it moves every distance by nothing.
//!
//! Passes over the chunks ([`fold_chunks`]) run a window of chunks in
//! parallel and fold their results in chunk order: the chunk size depends
//! only on the number of features, so every sum is bitwise the same for any
//! number of threads, and memory is one window of results, whatever the
//! number of rows.

use super::distances::sq_norm;
use super::params::Distance;
use crate::data::{Data, RowBuffer, Rows, SCAN_ROWS};
use crate::{check_sample_weight, MixtureError};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;
use std::borrow::Cow;
use std::ops::Range;

/// Chunks whose results a pass keeps at once (see [`fold_chunks`]).
pub(crate) const WINDOW: usize = 64;

/// Rows per chunk: about 128 KiB of `f64` values, so a chunk stays in L2
/// while its rows are assigned and summed.
pub(crate) fn chunk_rows(d: usize) -> usize {
    (16 * 1024 / d.max(1)).max(64)
}

/// Prepared rows `start..start + len` of the data: row-major values, their
/// squared norms and weights.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chunk<'s> {
    /// Index of the first row in the data.
    pub start: usize,
    /// `len * d` values.
    pub x: &'s [f64],
    /// `||x_i||^2`.
    pub sq_norms: &'s [f64],
    /// Weight of each row (`None`: all 1).
    pub weights: Option<&'s [f64]>,
}

impl Chunk<'_> {
    /// Weight of row `i` of the chunk.
    #[inline(always)]
    pub fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }
}

/// Space one thread reads and prepares chunks into.
#[derive(Default)]
pub(crate) struct Scratch {
    buffer: RowBuffer,
    x: Vec<f64>,
    sq_norms: Vec<f64>,
}

/// Rows that come in numbered chunks of [`chunk_rows`]: the prepared data,
/// or a batch held in memory.
pub(crate) trait Chunks: Sync {
    /// Number of chunks.
    fn n_chunks(&self) -> usize;
    /// Chunk `c`, prepared into `scratch` if it has to be read.
    fn chunk<'s>(&'s self, c: usize, scratch: &'s mut Scratch) -> Result<Chunk<'s>, MixtureError>;
}

/// Runs `map` on every chunk of `source`, `partials.len()` chunks at a time
/// in parallel (each into its own element of `partials`), and calls `fold`
/// with each chunk's index and result in chunk order. The first chunk (in
/// order) that cannot be read gives the error.
pub(crate) fn fold_chunks<R: Send>(
    source: &(impl Chunks + ?Sized),
    partials: &mut [R],
    map: impl Fn(Chunk, &mut R) + Sync,
    mut fold: impl FnMut(usize, &R),
) -> Result<(), MixtureError> {
    let n = source.n_chunks();
    let window = partials.len().max(1);
    let mut first = 0;
    while first < n {
        let m = window.min(n - first);
        let read: Vec<Result<(), MixtureError>> = partials[..m]
            .par_iter_mut()
            .enumerate()
            .map_init(Scratch::default, |scratch, (i, part)| {
                map(source.chunk(first + i, scratch)?, part);
                Ok(())
            })
            .collect();
        for (i, result) in read.into_iter().enumerate() {
            result?;
            fold(first + i, &partials[i]);
        }
        first += m;
    }
    Ok(())
}

/// The data of a fit with what the kernels need to read it: the shift (or
/// scaling) every row gets, and the weights.
#[derive(Clone)]
pub(crate) struct Prepared<'a> {
    data: Data<'a>,
    /// Borrowed when the caller's weights are contiguous.
    weights: Option<Cow<'a, [f64]>>,
    /// What is subtracted from every row (zero for cosine).
    pub shift: Array1<f64>,
    /// The distance the preparation is for.
    pub distance: Distance,
}

impl std::fmt::Debug for Prepared<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("shape", &self.data.dim())
            .field("weighted", &self.weights.is_some())
            .field("shift", &self.shift)
            .field("distance", &self.distance)
            .finish()
    }
}

impl<'a> Prepared<'a> {
    /// Prepares checked data; `shift` is `None` to centre on the
    /// (unweighted) mean of the data. Reads the data once for the mean and
    /// once to check every prepared row (a zero row for cosine, a squared
    /// norm that overflows).
    pub fn new<'x: 'a, 'w: 'a>(
        data: Data<'x>,
        weights: Option<ArrayView1<'w, f64>>,
        distance: Distance,
        shift: Option<Array1<f64>>,
    ) -> Result<Self, MixtureError> {
        let data = shorten(data);
        if let Some(w) = weights {
            check_sample_weight(w, data.nrows())?;
        }
        let shift = match distance {
            Distance::SquaredEuclidean => match shift {
                Some(shift) => shift,
                None => mean(data)?,
            },
            Distance::Cosine => Array1::zeros(data.ncols()),
        };
        let weights = weights.map(|w| match w.to_slice() {
            Some(w) => Cow::Borrowed(w),
            None => Cow::Owned(w.to_vec()),
        });
        let prepared = Self {
            data,
            weights,
            shift,
            distance,
        };
        let mut nothing = [(); WINDOW];
        fold_chunks(&prepared, &mut nothing, |_, _| {}, |_, _| {})?;
        Ok(prepared)
    }

    /// Rows of the data.
    pub fn n_samples(&self) -> usize {
        self.data.nrows()
    }

    /// Columns of the data.
    pub fn n_features(&self) -> usize {
        self.data.ncols()
    }

    /// Weight of row `i`.
    pub fn weight(&self, i: usize) -> f64 {
        self.weights.as_ref().map_or(1.0, |w| w[i])
    }

    /// The per-row weights, if any were given.
    pub fn weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }

    /// Rows of positive weight.
    pub fn n_positive(&self) -> usize {
        match &self.weights {
            None => self.n_samples(),
            Some(w) => w.iter().filter(|&&v| v > 0.0).count(),
        }
    }

    /// The prepared rows in `range`.
    pub fn rows<'s>(
        &'s self,
        range: Range<usize>,
        scratch: &'s mut Scratch,
    ) -> Result<Chunk<'s>, MixtureError> {
        let Scratch {
            buffer,
            x,
            sq_norms,
        } = scratch;
        let start = range.start;
        x.clear();
        match self.data.rows(range.clone(), buffer)? {
            Rows::F64(r) => r.rows().into_iter().for_each(|row| x.extend(row)),
            Rows::F32(r) => r
                .rows()
                .into_iter()
                .for_each(|row| x.extend(row.iter().map(|&v| f64::from(v)))),
        }
        prepare_rows(
            x,
            self.n_features(),
            start,
            self.distance,
            &self.shift,
            sq_norms,
        )?;
        Ok(Chunk {
            start,
            x,
            sq_norms,
            weights: self.weights.as_ref().map(|w| &w[range]),
        })
    }

    /// Calls `f` with every chunk in order, on this thread.
    pub fn for_each_chunk(&self, mut f: impl FnMut(Chunk)) -> Result<(), MixtureError> {
        let mut scratch = Scratch::default();
        for c in 0..self.n_chunks() {
            f(self.chunk(c, &mut scratch)?);
        }
        Ok(())
    }

    /// Maps centres from data space into the prepared space.
    pub fn to_prepared(&self, centres: ArrayView2<f64>) -> Result<Array2<f64>, MixtureError> {
        prepare_centres(centres, self.distance, &self.shift)
    }

    /// Maps centres from the prepared space back into data space.
    pub fn to_data(&self, centres: &Array2<f64>) -> Array2<f64> {
        centres + &self.shift
    }
}

impl Chunks for Prepared<'_> {
    fn n_chunks(&self) -> usize {
        self.n_samples().div_ceil(chunk_rows(self.n_features()))
    }

    fn chunk<'s>(&'s self, c: usize, scratch: &'s mut Scratch) -> Result<Chunk<'s>, MixtureError> {
        let rows = chunk_rows(self.n_features());
        let start = c * rows;
        self.rows(start..(start + rows).min(self.n_samples()), scratch)
    }
}

/// Prepared rows held in memory (a mini-batch).
#[derive(Debug, Clone, Default)]
pub(crate) struct Batch {
    pub d: usize,
    pub x: Vec<f64>,
    pub sq_norms: Vec<f64>,
    pub weights: Vec<f64>,
}

impl Chunks for Batch {
    fn n_chunks(&self) -> usize {
        self.sq_norms.len().div_ceil(chunk_rows(self.d))
    }

    fn chunk<'s>(&'s self, c: usize, _: &'s mut Scratch) -> Result<Chunk<'s>, MixtureError> {
        let rows = chunk_rows(self.d);
        let range = c * rows..((c + 1) * rows).min(self.sq_norms.len());
        Ok(Chunk {
            start: range.start,
            x: &self.x[range.start * self.d..range.end * self.d],
            sq_norms: &self.sq_norms[range.clone()],
            weights: Some(&self.weights[range]),
        })
    }
}

/// `data` for a shorter lifetime (array views do not shorten by themselves).
fn shorten<'a, 'x: 'a>(data: Data<'x>) -> Data<'a> {
    match data {
        Data::F64(x) => Data::F64(x.reborrow()),
        Data::F32(x) => Data::F32(x.reborrow()),
        Data::Source64(s) => Data::Source64(s),
        Data::Source32(s) => Data::Source32(s),
    }
}

/// The mean of the rows, summed row after row in index order.
fn mean(data: Data) -> Result<Array1<f64>, MixtureError> {
    let (n, d) = data.dim();
    let mut sums = Array1::zeros(d);
    data.for_each_chunk(SCAN_ROWS, |_, rows| {
        for i in 0..rows.dim().0 {
            for (j, s) in sums.iter_mut().enumerate() {
                *s += rows.get(i, j);
            }
        }
        Ok(())
    })?;
    Ok(sums / n as f64)
}

/// Centres (squared Euclidean) or scales (cosine) the rows of `x` in place
/// and writes their squared norms; `first_row` numbers the rows in errors.
fn prepare_rows(
    x: &mut [f64],
    d: usize,
    first_row: usize,
    distance: Distance,
    shift: &Array1<f64>,
    sq_norms: &mut Vec<f64>,
) -> Result<(), MixtureError> {
    sq_norms.clear();
    for (i, row) in x.chunks_exact_mut(d).enumerate() {
        match distance {
            Distance::SquaredEuclidean => {
                for (v, s) in row.iter_mut().zip(shift) {
                    *v -= s;
                }
            }
            Distance::Cosine => scale_to_unit(row, "data", first_row + i)?,
        }
        let sq = sq_norm(row.iter());
        if !sq.is_finite() {
            return Err(MixtureError::Overflow {
                what: "data",
                row: first_row + i,
            });
        }
        sq_norms.push(sq);
    }
    Ok(())
}

/// Maps centres into the space of data prepared for `distance` with `shift`.
pub(crate) fn prepare_centres(
    centres: ArrayView2<f64>,
    distance: Distance,
    shift: &Array1<f64>,
) -> Result<Array2<f64>, MixtureError> {
    let mut centres = centres.as_standard_layout().into_owned();
    match distance {
        Distance::SquaredEuclidean => centres -= shift,
        Distance::Cosine => {
            for (row, mut r) in centres.rows_mut().into_iter().enumerate() {
                scale_to_unit(r.as_slice_mut().expect("standard layout"), "centre", row)?;
            }
        }
    }
    if let Some(row) = centres
        .rows()
        .into_iter()
        .position(|r| !sq_norm(r).is_finite())
    {
        return Err(MixtureError::Overflow {
            what: "centre",
            row,
        });
    }
    Ok(centres)
}

/// Scales `row` to unit length; a zero row is an error naming `what` and `index`.
fn scale_to_unit(row: &mut [f64], what: &'static str, index: usize) -> Result<(), MixtureError> {
    let r = ArrayView1::from(&*row);
    let norm = r.dot(&r).sqrt();
    if norm == 0.0 {
        return Err(MixtureError::ZeroNormRow { what, row: index });
    }
    for v in row.iter_mut() {
        *v /= norm;
    }
    Ok(())
}
