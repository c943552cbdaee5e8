//! The data as the kernels read it, one chunk at a time. The Lloyd pass
//! hands the rows of `f64` or `f32` data to the kernel as read
//! ([`RawChunk::raw_rows`]), and the kernel centres them as it loads them;
//! other passes, cosine rows and batches in memory use chunks copied into a
//! per-thread scratch, centred (squared Euclidean) or scaled to unit rows
//! (cosine), with their squared row norms. The data itself is never copied
//! whole, so a memory-mapped file or a user's
//! [`RowSource`](crate::RowSource) costs at most the scratch.
//!
//! Centring keeps `||x||^2 - 2 x.c + ||c||^2` accurate when the data sit far
//! from the origin; it moves every distance by nothing.
//!
//! Passes over the chunks ([`fold_chunks`]) run a window of chunks in
//! parallel and fold their results in chunk order: the chunk size depends
//! only on the number of features, so every sum is bitwise the same for any
//! number of threads, and memory is one window of results, whatever the
//! number of rows.

use super::distances::{prefetch_ahead, sq_norm, sq_norms_of_rows};
use super::params::Distance;
use crate::data::{Data, Element, RowBuffer, Rows, SCAN_ROWS};
use crate::{check_sample_weight, MixtureError};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;
use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::Range;

/// Chunks whose results a pass keeps at once (see [`fold_chunks`]).
pub(crate) const WINDOW: usize = 64;

/// Rows per chunk: about 512 KiB of `f64` values, so a chunk stays in L2
/// while its rows are assigned and summed (128 KiB chunks cost 5-11% more
/// per Lloyd pass in scheduling and per-chunk set-up).
pub(crate) fn chunk_rows(d: usize) -> usize {
    (64 * 1024 / d.max(1)).max(64)
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

/// Rows of a chunk as read, before preparation.
#[derive(Clone, Copy)]
enum Raw<'s> {
    F64(&'s [f64]),
    F32(&'s [f32]),
    /// Rows prepared already (a batch in memory), with their squared norms.
    Prepared(&'s [f64], &'s [f64]),
}

/// Rows `start..start + len` of the data as read, with what preparing them
/// takes: the hot pass prepares a few rows at a time just before using them,
/// so that reading the next rows from memory overlaps the work on these.
#[derive(Clone, Copy)]
pub(crate) struct RawChunk<'s> {
    start: usize,
    d: usize,
    rows: Raw<'s>,
    weights: Option<&'s [f64]>,
    distance: Distance,
    shift: &'s [f64],
}

impl<'s> RawChunk<'s> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self.rows {
            Raw::F64(x) | Raw::Prepared(x, _) => x.len() / self.d,
            Raw::F32(x) => x.len() / self.d,
        }
    }

    /// Rows `range` (of the chunk) prepared, in `space` unless they are already.
    #[inline(always)]
    pub fn prepare<'b>(
        self,
        range: Range<usize>,
        space: &'b mut Prepare,
    ) -> Result<Chunk<'b>, MixtureError>
    where
        's: 'b,
    {
        let d = self.d;
        let (x, sq_norms) = match self.rows {
            Raw::Prepared(x, sq_norms) => {
                (&x[range.start * d..range.end * d], &sq_norms[range.clone()])
            }
            Raw::F64(all) => self.prepare_from(all, range.clone(), space)?,
            Raw::F32(all) => self.prepare_from(all, range.clone(), space)?,
        };
        Ok(Chunk {
            start: self.start + range.start,
            x,
            sq_norms,
            weights: self.weights.map(|w| &w[range]),
        })
    }

    /// Rows `range` (of the chunk) as read, when the kernel centres them
    /// itself: `f64` or `f32` rows, squared Euclidean distance (centred by
    /// [`shift`](Self::shift)). `None`: [`prepare`](Self::prepare) them.
    #[inline(always)]
    pub fn raw_rows(&self, range: Range<usize>) -> Option<RawRows<'s>> {
        if self.distance != Distance::SquaredEuclidean {
            return None;
        }
        let values = range.start * self.d..range.end * self.d;
        match self.rows {
            Raw::F64(all) => Some(RawRows::F64(&all[values])),
            Raw::F32(all) => Some(RawRows::F32(&all[values])),
            Raw::Prepared(..) => None,
        }
    }

    /// What [`raw_rows`](Self::raw_rows) are centred by.
    pub fn shift(&self) -> &'s [f64] {
        self.shift
    }

    /// Weights of rows `range` of the chunk (`None`: all 1).
    pub fn weights(&self, range: Range<usize>) -> Option<&'s [f64]> {
        self.weights.map(|w| &w[range])
    }

    /// Index of the first row in the data.
    pub fn start(&self) -> usize {
        self.start
    }

    #[inline(always)]
    fn prepare_from<'b, T: Element>(
        &self,
        all: &[T],
        range: Range<usize>,
        space: &'b mut Prepare,
    ) -> Result<(&'b [f64], &'b [f64]), MixtureError> {
        let Prepare { x, sq_norms } = space;
        let from = range.start * self.d..range.end * self.d;
        prepare_rows(
            all,
            from,
            self.d,
            self.start + range.start,
            self.distance,
            self.shift,
            x,
            sq_norms,
        )?;
        Ok((x, sq_norms))
    }
}

/// Space rows are prepared into.
#[derive(Default)]
pub(crate) struct Prepare {
    x: Vec<f64>,
    sq_norms: Vec<f64>,
}

/// Rows as read, for the kernel to centre (see [`RawChunk::raw_rows`]).
pub(crate) enum RawRows<'s> {
    F64(&'s [f64]),
    F32(&'s [f32]),
}

/// Space one thread reads chunks into.
#[derive(Default)]
pub(crate) struct Read {
    buffer: RowBuffer,
    /// Rows of a view that is not in standard layout, in standard layout.
    rows: Vec<f64>,
    rows32: Vec<f32>,
}

/// Space one thread reads and prepares chunks into.
#[derive(Default)]
pub(crate) struct Scratch {
    read: Read,
    prepare: Prepare,
}

thread_local! {
    /// Each thread's scratch, kept from pass to pass: a fresh one per chunk
    /// would cost page faults on every chunk.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Rows that come in numbered chunks of [`chunk_rows`]: the prepared data,
/// or a batch held in memory.
pub(crate) trait Chunks: Sync {
    /// Number of chunks.
    fn n_chunks(&self) -> usize;
    /// Chunk `c` as read, into `read` if it has to be.
    fn raw_chunk<'s>(&'s self, c: usize, read: &'s mut Read) -> Result<RawChunk<'s>, MixtureError>;
    /// Chunk `c`, prepared into `scratch` if it has to be.
    fn chunk<'s>(&'s self, c: usize, scratch: &'s mut Scratch) -> Result<Chunk<'s>, MixtureError> {
        let Scratch { read, prepare } = scratch;
        let raw = self.raw_chunk(c, read)?;
        raw.prepare(0..raw.len(), prepare)
    }
}

/// Runs `map` on every chunk index of `source`, `partials.len()` chunks at
/// a time in parallel (each into its own element of `partials`, with its
/// thread's scratch), and calls `fold` with each chunk's index and result in
/// chunk order. The first chunk (in order) that fails gives the error.
fn fold_indices<R: Send>(
    n: usize,
    partials: &mut [R],
    map: impl Fn(usize, &mut Scratch, &mut R) -> Result<(), MixtureError> + Sync,
    mut fold: impl FnMut(usize, &R),
) -> Result<(), MixtureError> {
    let window = partials.len().max(1);
    let mut first = 0;
    while first < n {
        let m = window.min(n - first);
        let read: Vec<Result<(), MixtureError>> = partials[..m]
            .par_iter_mut()
            .enumerate()
            .map(|(i, part)| SCRATCH.with_borrow_mut(|scratch| map(first + i, scratch, part)))
            .collect();
        for (i, result) in read.into_iter().enumerate() {
            result?;
            fold(first + i, &partials[i]);
        }
        first += m;
    }
    Ok(())
}

/// Runs `map` on every prepared chunk of `source` (see [`fold_indices`]).
pub(crate) fn fold_chunks<R: Send>(
    source: &(impl Chunks + ?Sized),
    partials: &mut [R],
    map: impl Fn(Chunk, &mut R) + Sync,
    fold: impl FnMut(usize, &R),
) -> Result<(), MixtureError> {
    fold_indices(
        source.n_chunks(),
        partials,
        |c, scratch, part| {
            map(source.chunk(c, scratch)?, part);
            Ok(())
        },
        fold,
    )
}

/// Runs `map` on every chunk of `source` as read, with space to prepare
/// its rows (see [`fold_indices`]).
pub(crate) fn fold_raw_chunks<R: Send>(
    source: &(impl Chunks + ?Sized),
    partials: &mut [R],
    map: impl Fn(RawChunk, &mut Prepare, &mut R) -> Result<(), MixtureError> + Sync,
    fold: impl FnMut(usize, &R),
) -> Result<(), MixtureError> {
    fold_indices(
        source.n_chunks(),
        partials,
        |c, scratch, part| {
            let Scratch { read, prepare } = scratch;
            map(source.raw_chunk(c, read)?, prepare, part)
        },
        fold,
    )
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

    /// The rows in `range` as read, into `read` if they have to be.
    pub fn raw_rows<'s>(
        &'s self,
        range: Range<usize>,
        read: &'s mut Read,
    ) -> Result<RawChunk<'s>, MixtureError> {
        let Read {
            buffer,
            rows: rows64,
            rows32,
        } = read;
        let rows = match self.data.rows(range.clone(), buffer)? {
            Rows::F64(r) => Raw::F64(contiguous(r, rows64)),
            Rows::F32(r) => Raw::F32(contiguous(r, rows32)),
        };
        Ok(RawChunk {
            start: range.start,
            d: self.n_features(),
            rows,
            weights: self.weights.as_ref().map(|w| &w[range]),
            distance: self.distance,
            shift: self.shift.as_slice().expect("a new array is contiguous"),
        })
    }

    /// The prepared rows in `range`.
    pub fn rows<'s>(
        &'s self,
        range: Range<usize>,
        scratch: &'s mut Scratch,
    ) -> Result<Chunk<'s>, MixtureError> {
        let Scratch { read, prepare } = scratch;
        let raw = self.raw_rows(range, read)?;
        raw.prepare(0..raw.len(), prepare)
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

    fn raw_chunk<'s>(&'s self, c: usize, read: &'s mut Read) -> Result<RawChunk<'s>, MixtureError> {
        let rows = chunk_rows(self.n_features());
        let start = c * rows;
        self.raw_rows(start..(start + rows).min(self.n_samples()), read)
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

    fn raw_chunk<'s>(&'s self, c: usize, _: &'s mut Read) -> Result<RawChunk<'s>, MixtureError> {
        let rows = chunk_rows(self.d);
        let range = c * rows..((c + 1) * rows).min(self.sq_norms.len());
        Ok(RawChunk {
            start: range.start,
            d: self.d,
            rows: Raw::Prepared(
                &self.x[range.start * self.d..range.end * self.d],
                &self.sq_norms[range.clone()],
            ),
            weights: Some(&self.weights[range]),
            distance: Distance::SquaredEuclidean,
            shift: &[],
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

/// The rows of `r` as one row-major slice: their own, or copied into `copy`.
fn contiguous<'s, T: Element>(r: ArrayView2<'s, T>, copy: &'s mut Vec<T>) -> &'s [T] {
    match r.to_slice() {
        Some(all) => all,
        None => {
            copy.clear();
            r.rows().into_iter().for_each(|row| copy.extend(row));
            copy
        }
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

/// Writes the rows of `from` (`d` columns, row-major) into `x`, centred
/// (squared Euclidean) or scaled to unit length (cosine), and their squared
/// norms into `sq_norms`; `first_row` numbers the rows in errors.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn prepare_rows<T: Element>(
    all: &[T],
    range: Range<usize>,
    d: usize,
    first_row: usize,
    distance: Distance,
    shift: &[f64],
    x: &mut Vec<f64>,
    sq_norms: &mut Vec<f64>,
) -> Result<(), MixtureError> {
    let first = range.start / d;
    let from = &all[range];
    let n = from.len() / d;
    // Same length from chunk to chunk: no refilling.
    x.resize(n * d, 0.0);
    sq_norms.resize(n, 0.0);
    match distance {
        Distance::SquaredEuclidean => {
            for (i, (row, x)) in from.chunks_exact(d).zip(x.chunks_exact_mut(d)).enumerate() {
                prefetch_ahead(all, first + i, d);
                for ((v, &f), &s) in x.iter_mut().zip(row).zip(shift) {
                    *v = f.into() - s;
                }
            }
            sq_norms_of_rows(x, d, sq_norms);
        }
        Distance::Cosine => {
            for (i, (from, x)) in from.chunks_exact(d).zip(x.chunks_exact_mut(d)).enumerate() {
                x.iter_mut().zip(from).for_each(|(v, &f)| *v = f.into());
                scale_to_unit(x, "data", first_row + i)?;
                sq_norms[i] = sq_norm(x.iter());
            }
        }
    }
    match sq_norms.iter().position(|s| !s.is_finite()) {
        Some(i) => Err(MixtureError::Overflow {
            what: "data",
            row: first_row + i,
        }),
        None => Ok(()),
    }
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
        .position(|r| !sq_norm::<f64>(r).is_finite())
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
