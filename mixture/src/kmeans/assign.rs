//! One assignment pass: every row goes to its nearest centre, and each
//! chunk of rows sums its rows per cluster. Chunks run in parallel but are
//! merged in chunk order ([`fold_chunks`](super::prepare::fold_chunks)), so the sums are bitwise the same
//! for any number of threads. No label is kept per row: a pass holds one
//! window of per-chunk sums, whatever the number of rows.

use super::distances::{nearest_at, PackedCentres, Vectors};
use super::lanes::Lane;
use super::params::Distance;
use super::prepare::{
    chunk_rows, fold_raw_chunks, Chunks, Prepare, Prepared, RawChunk, RawRows, Read, WINDOW,
};
use crate::distributed::{tree_sum, Shard};
use crate::simd::{self, Kernel, Level};
use crate::MixtureError;

/// Most rows prepared and assigned at once.
const STRETCH: usize = 256;

/// Rows prepared and then assigned at once: about 32 KiB of values (in L1
/// or L2 when their sums are added), a multiple of the blocks of the
/// kernels (at most 16 rows). Against 4 KiB: 3-5% less time per Lloyd
/// pass (f64 d = 16 k = 16, one thread), fewer rounds between kernel and
/// sums; against 16 KiB, once the kernel kept its columns in registers,
/// 1% less at one thread and 3% at two (fastest of 4 alternated runs).
fn stretch_rows(d: usize) -> usize {
    (4096 / d.max(1)).clamp(16, STRETCH) / 16 * 16
}

/// Per-cluster weighted sums of rows and of weights, and the weighted
/// distance to the nearest centre, of a set of rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClusterSums {
    /// `sums[c * d + j]`: weighted sum of feature `j` over the rows of cluster `c`.
    pub sums: Vec<f64>,
    /// Total weight of each cluster.
    pub weights: Vec<f64>,
    /// Weighted sum of distances to the nearest centre.
    pub inertia: f64,
}

impl ClusterSums {
    /// Zero sums for `k` clusters of `d` features.
    pub fn new(k: usize, d: usize) -> Self {
        Self {
            sums: vec![0.0; k * d],
            weights: vec![0.0; k],
            inertia: 0.0,
        }
    }

    fn clear(&mut self) {
        self.sums.fill(0.0);
        self.weights.fill(0.0);
        self.inertia = 0.0;
    }

    /// Adds the sums of `other` (the next chunk's, in chunk order).
    ///
    /// This is the one place where the statistics of chunks meet: a
    /// distributed run reduces them across processes here, in a fixed order.
    fn add(&mut self, other: &Self) {
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += b;
        }
        for (a, b) in self.weights.iter_mut().zip(&other.weights) {
            *a += b;
        }
        self.inertia += other.inertia;
    }

    /// The sums as one flat vector (sums, weights, inertia), as a tree sum adds them.
    fn into_words(self) -> Vec<f64> {
        let mut words = self.sums;
        words.extend(self.weights);
        words.push(self.inertia);
        words
    }

    /// The sums of [`into_words`](Self::into_words) for `k` clusters of `d` features.
    fn from_words(mut words: Vec<f64>, k: usize, d: usize) -> Self {
        let inertia = words.pop().expect("k * d + k + 1 words");
        let weights = words.split_off(k * d);
        Self {
            sums: words,
            weights,
            inertia,
        }
    }
}

/// Scratch space of an assignment pass, reused from pass to pass.
#[derive(Debug, Clone)]
pub(crate) struct Assignment {
    /// Merged sums of the last pass.
    pub total: ClusterSums,
    /// One window of per-chunk sums.
    partials: Vec<ClusterSums>,
}

impl Assignment {
    /// Scratch space for passes over `n_chunks` chunks, `k` clusters, `d` features.
    pub fn new(n_chunks: usize, k: usize, d: usize) -> Self {
        Self {
            total: ClusterSums::new(k, d),
            partials: vec![ClusterSums::new(k, d); n_chunks.clamp(1, WINDOW)],
        }
    }

    /// Assigns every row of `rows` (prepared for `distance`) to its nearest
    /// centre and leaves the merged sums in `total`.
    pub fn pass(
        &mut self,
        rows: &(impl Chunks + ?Sized),
        centres: &PackedCentres,
        distance: Distance,
    ) -> Result<(), MixtureError> {
        self.pass_at(simd::level(), rows, centres, distance)
    }

    /// [`pass`](Self::pass) with the kernels compiled for `level`.
    fn pass_at(
        &mut self,
        level: Level,
        rows: &(impl Chunks + ?Sized),
        centres: &PackedCentres,
        distance: Distance,
    ) -> Result<(), MixtureError> {
        let scale = distance.scale();
        let Self { total, partials } = self;
        total.clear();
        fold_raw_chunks(
            rows,
            partials,
            |chunk, space, part| {
                simd::dispatch(
                    level,
                    AssignChunk {
                        level,
                        chunk,
                        space,
                        centres,
                        scale,
                        part,
                    },
                )
            },
            |_, part| total.add(part),
        )
    }
}

/// An assignment pass over the rows of a job's processes (`data`: this
/// process's rows of `shard`, prepared): per-task sums added in the fixed
/// tree of [`tree_sum`], so every process, for any number of processes,
/// gets bitwise the same sums.
pub(crate) fn tree_pass(
    data: &Prepared,
    shard: &Shard<'_>,
    task_rows: usize,
    centres: &PackedCentres,
) -> Result<ClusterSums, MixtureError> {
    let level = simd::level();
    let scale = data.distance.scale();
    let (k, d) = (centres.k(), centres.d());
    let step = chunk_rows(d);
    let init = || (Read::default(), Prepare::default(), ClusterSums::new(k, d));
    let words = tree_sum(shard, task_rows, init, |(read, space, part), range| {
        let mut sums = ClusterSums::new(k, d);
        for start in range.clone().step_by(step) {
            let chunk = data.raw_rows(start..(start + step).min(range.end), read)?;
            let kernel = AssignChunk {
                level,
                chunk,
                space,
                centres,
                scale,
                part,
            };
            simd::dispatch(level, kernel)?;
            sums.add(part);
        }
        Ok(sums.into_words())
    })?;
    Ok(words.map_or_else(
        || ClusterSums::new(k, d),
        |w| ClusterSums::from_words(w, k, d),
    ))
}

/// Assigning one chunk as a kernel, so that the per-cluster sums use the
/// vectors of `level` (same operations per element, same results).
struct AssignChunk<'a, 'p> {
    level: Level,
    chunk: RawChunk<'a>,
    space: &'p mut Prepare,
    centres: &'a PackedCentres,
    scale: f64,
    part: &'p mut ClusterSums,
}

impl Kernel for AssignChunk<'_, '_> {
    type Output = Result<(), MixtureError>;

    #[inline(always)]
    fn run(self) -> Result<(), MixtureError> {
        assign_chunk(
            self.level,
            self.chunk,
            self.space,
            self.centres,
            self.scale,
            self.part,
        )
    }
}

/// Assigns the rows of one chunk and sums them into `part`.
///
/// Per row, besides the work of [`nearest_at`] (which centres the row and
/// sums its squared norm as it loads it): `d` subtractions to centre it
/// again and `2 d` flops for the weighted sum into the row's cluster, 5 for
/// the inertia and the weight. Bytes moved from memory per row: the `8 d`
/// of data (`4 d` for `f32` data), read once by the kernel (the second
/// read finds the stretch in L1), and 8 of weight when there are weights.
/// Cosine rows and rows in memory go through a prepared copy first.
#[inline(always)]
fn assign_chunk(
    level: Level,
    chunk: RawChunk,
    space: &mut Prepare,
    centres: &PackedCentres,
    scale: f64,
    part: &mut ClusterSums,
) -> Result<(), MixtureError> {
    let d = centres.d();
    part.clear();
    let mut inertia = 0.0;
    let mut lines = LineSums::new(centres.k(), d);
    let mut sums = (part, &mut inertia, scale, &mut lines);
    // Kernel output for a stretch of rows, on the stack.
    let (mut out, mut out32) = (Outputs::<f64>::new(), Outputs::<f32>::new());
    let zero = vec![0.0; d];
    let (n, stretch) = (chunk.len(), stretch_rows(d));
    for first in (0..n).step_by(stretch) {
        let range = first..(first + stretch).min(n);
        let weights = chunk.weights(range.clone());
        let overflow = |i| MixtureError::Overflow {
            what: "data",
            row: chunk.start() + first + i,
        };
        let shift = chunk.shift();
        match chunk.raw_rows(range.clone()) {
            Some(RawRows::F64(x)) => {
                let rows = Stretch { x, shift, weights };
                out.assign(level, rows, centres, &mut sums)
                    .map_err(overflow)?;
                continue;
            }
            Some(RawRows::F32(x)) => {
                // A squared norm that overflows f32: the stretch in f64 below.
                let rows = Stretch { x, shift, weights };
                if out32.assign(level, rows, centres, &mut sums).is_ok() {
                    continue;
                }
            }
            None => {}
        }
        let x = chunk.prepare(range, space)?.x;
        let rows = Stretch {
            x,
            shift: &zero,
            weights,
        };
        out.assign(level, rows, centres, &mut sums)
            .map_err(overflow)?;
    }
    let (part, inertia, _, lines) = sums;
    part.inertia = *inertia;
    lines.copy_to(&mut part.sums, d);
    Ok(())
}

/// What the kernel writes for a stretch of rows: labels, `v` values and
/// squared norms, in `T`.
struct Outputs<T> {
    labels: [usize; STRETCH],
    values: [T; STRETCH],
    sq_norms: [T; STRETCH],
}

/// Per-cluster weights and the inertia they go with, the distance's scale,
/// and the per-cluster sums of rows.
type Sums<'p> = (&'p mut ClusterSums, &'p mut f64, f64, &'p mut LineSums);

/// A cache line of `f64` values.
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Line([f64; 8]);

/// The per-cluster sums of a chunk while its rows are added, each
/// cluster's from the start of a cache line: a row added to its cluster
/// loads and stores whole aligned vectors. (At `d` values per cluster from
/// the start of a plain `Vec`, the vectors crossed cache lines, and the
/// loads could not take the values of the stores to the same cluster still
/// in flight: the per-cluster sums took 15-30% of a Lloyd pass, most of it
/// waiting on those loads.)
struct LineSums {
    lines: Vec<Line>,
    /// Values from one cluster's sums to the next's (`d` rounded up to lines).
    stride: usize,
}

impl LineSums {
    /// Zero sums for `k` clusters of `d` features.
    fn new(k: usize, d: usize) -> Self {
        let per = d.div_ceil(8);
        Self {
            lines: vec![Line::default(); k * per],
            stride: per * 8,
        }
    }

    /// All the values, cluster after cluster, `stride` apart.
    fn values(&mut self) -> &mut [f64] {
        let len = self.lines.len() * 8;
        // SAFETY: a `Line` is 8 `f64` values and nothing else (`repr(C)`,
        // size 64), so the lines are `len` values in a row, borrowed mutably.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<f64>(), len) }
    }

    /// Writes the sums into `sums` (`d` values per cluster, no gaps). They
    /// started at zero as `sums` would have, and had the same additions.
    fn copy_to(&mut self, sums: &mut [f64], d: usize) {
        let stride = self.stride;
        for (to, from) in sums
            .chunks_exact_mut(d.max(1))
            .zip(self.values().chunks(stride))
        {
            to.copy_from_slice(&from[..to.len()]);
        }
    }
}

impl<T: Vectors> Outputs<T> {
    fn new() -> Self {
        Self {
            labels: [0; STRETCH],
            values: [T::ZERO; STRETCH],
            sq_norms: [T::ZERO; STRETCH],
        }
    }

    /// Assigns the rows of a stretch to their nearest centres and adds them
    /// to `sums`; `Err(i)` (nothing added) when row `i`'s squared norm
    /// overflows `T`.
    #[inline(always)]
    fn assign(
        &mut self,
        level: Level,
        rows: Stretch<T>,
        centres: &PackedCentres,
        sums: &mut Sums,
    ) -> Result<(), usize> {
        let m = rows.x.len() / rows.shift.len();
        let (labels, values) = (&mut self.labels[..m], &mut self.values[..m]);
        let sq_norms = &mut self.sq_norms[..m];
        nearest_at(level, rows.x, rows.shift, centres, labels, values, sq_norms);
        if let Some(i) = first_not_finite(sq_norms) {
            return Err(i);
        }
        simd::dispatch(
            level,
            Accumulate {
                rows,
                sq_norms,
                labels,
                values,
                sums,
            },
        );
        Ok(())
    }
}

/// [`accumulate`] as a kernel of its own, compiled apart from the distance
/// kernel (registers allocated for its loop alone).
struct Accumulate<'a, 'p, 's, T> {
    rows: Stretch<'a, T>,
    sq_norms: &'a [T],
    labels: &'a [usize],
    values: &'a [T],
    sums: &'s mut Sums<'p>,
}

impl<T: Lane> Kernel for Accumulate<'_, '_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        accumulate(
            self.rows,
            self.sq_norms,
            self.labels,
            self.values,
            self.sums,
        )
    }
}

/// Index of the first value of `values` that is infinite or NaN. (`s - s`
/// is 0 for a finite `s`, NaN otherwise: one pass without early exit, so
/// that it vectorises, and the search only when there is one.)
#[inline(always)]
fn first_not_finite<T: Lane>(values: &[T]) -> Option<usize> {
    // `s - s` on purpose: 0 exactly when `s` is finite.
    #[allow(clippy::eq_op)]
    let bits = |s: T| {
        let s: f64 = s.into();
        (s - s).to_bits()
    };
    if values.iter().fold(0, |any, &s| any | bits(s)) == 0 {
        return None;
    }
    values.iter().position(|&s| bits(s) != 0)
}

/// Rows of a stretch.
struct Stretch<'a, T> {
    /// Values as read.
    x: &'a [T],
    /// What they are centred by.
    shift: &'a [f64],
    /// Their weights (`None`: all 1).
    weights: Option<&'a [f64]>,
}

/// Adds the rows of a stretch to the sums of their nearest centres
/// (`labels`, `values`, `sq_norms` from the kernel) in `f64`, and their
/// weighted distances to them to the inertia, row after row ([`Sums`]).
///
/// Rows of 8 or 16 features take a copy compiled for their width, which
/// adds the whole row at once: the compiler guarded a loop over pieces of a
/// row of unknown length with overlap checks on every row (one thread, f64
/// k = 16: 8-9% less time per Lloyd pass at d = 8 and 16). Whole-row copies
/// for 32 and 64 features measured 18-20% slower than pieces.
#[inline(always)]
fn accumulate<T: Lane>(
    rows: Stretch<T>,
    sq_norms: &[T],
    labels: &[usize],
    values: &[T],
    sums: &mut Sums,
) {
    match rows.shift.len() {
        8 => accumulate_width::<T, 8>(rows, sq_norms, labels, values, sums),
        16 => accumulate_width::<T, 16>(rows, sq_norms, labels, values, sums),
        _ => accumulate_width::<T, 0>(rows, sq_norms, labels, values, sums),
    }
}

/// [`accumulate`] for rows of `D` features (`D = 0`: any number).
#[inline(always)]
fn accumulate_width<T: Lane, const D: usize>(
    rows: Stretch<T>,
    sq_norms: &[T],
    labels: &[usize],
    values: &[T],
    (part, inertia, scale, lines): &mut Sums,
) {
    let scale = *scale;
    let Stretch { x, shift, weights } = rows;
    // The shift copied for rows of `D` features: the compiler could not
    // tell the caller's slice from the sums stored on every row, so it
    // loaded the shift again with every row, beside the row and its
    // cluster's sums (2.5% less per Lloyd pass in f64, 4% in f32, one
    // thread, d = k = 16).
    let kept: [f64; D] = std::array::from_fn(|j| shift[j]);
    let shift = if D > 0 { &kept[..] } else { shift };
    let d = shift.len();
    let stride = lines.stride;
    let sums = lines.values();
    let rows = x.chunks_exact(d).zip(labels).zip(values).zip(sq_norms);
    // The inertia and the weights' slice as locals: reached through `Sums`
    // on every row, they were loaded and stored again row after row (one
    // thread, d = 16 k = 16: 3% less time per Lloyd pass in f64, 8% in f32).
    let (mut total, weight_sums) = (**inertia, &mut part.weights[..]);
    match weights {
        // Weight 1: the same sums without the multiplications by 1.
        None => {
            for (((xi, &label), &v), &sq) in rows {
                let dist: f64 = (sq + v).into();
                total += dist.max(0.0) * scale;
                weight_sums[label] += 1.0;
                add_centred::<T, D>(&mut sums[label * stride..][..d], xi, shift, 1.0);
            }
        }
        Some(weights) => {
            for ((((xi, &label), &v), &sq), &w) in rows.zip(weights) {
                let dist: f64 = (sq + v).into();
                total += w * (dist.max(0.0) * scale);
                weight_sums[label] += w;
                add_centred::<T, D>(&mut sums[label * stride..][..d], xi, shift, w);
            }
        }
    }
    **inertia = total;
}

/// `sums += w * (x - shift)` in `f64` (an `f32` row is widened first, so
/// its centred values are not rounded to `f32` here as in the kernel: the
/// sums of a stretch are those of the same rows centred in `f64`), for rows
/// of `D` features (`D = 0`: any number, in pieces of 8 loaded whole before
/// they are stored: no overlap checks within a piece, whole vectors).
#[inline(always)]
fn add_centred<T: Lane, const D: usize>(sums: &mut [f64], x: &[T], shift: &[f64], w: f64) {
    if D > 0 {
        let (sums, x): (&mut [f64; D], &[T; D]) = (sums.try_into().unwrap(), x.try_into().unwrap());
        let shift: &[f64; D] = shift.try_into().unwrap();
        let add: [f64; D] = std::array::from_fn(|i| centred_times(x[i], shift[i], w));
        for (s, a) in sums.iter_mut().zip(add) {
            *s += a;
        }
        return;
    }
    const PIECE: usize = 8;
    let whole = x.len() / PIECE * PIECE;
    for piece in 0..x.len() / PIECE {
        let p = piece * PIECE;
        let s: &mut [f64; PIECE] = (&mut sums[p..p + PIECE]).try_into().unwrap();
        let x: &[T; PIECE] = x[p..p + PIECE].try_into().unwrap();
        let sh: &[f64; PIECE] = shift[p..p + PIECE].try_into().unwrap();
        let add: [f64; PIECE] = std::array::from_fn(|i| centred_times(x[i], sh[i], w));
        for (s, a) in s.iter_mut().zip(add) {
            *s += a;
        }
    }
    let rest = sums[whole..].iter_mut().zip(&x[whole..]);
    for ((s, &xv), &sh) in rest.zip(&shift[whole..]) {
        *s += centred_times(xv, sh, w);
    }
}

/// `w * (x - shift)` in `f64`; `w = 1` is not multiplied (same numbers).
#[inline(always)]
fn centred_times<T: Lane>(x: T, shift: f64, w: f64) -> f64 {
    let v = Into::<f64>::into(x) - shift;
    if w == 1.0 {
        v
    } else {
        w * v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kmeans::prepare::{chunk_rows, Batch};
    use ndarray::Array2;

    /// The sums, weights and inertia of a stretch, for every width that has
    /// its own copy (8, 16) and others, with and without weights, `f64` and
    /// `f32` rows: bitwise those of the textbook loop, row after row and
    /// feature after feature.
    #[test]
    fn accumulate_gives_the_row_by_row_sums_at_every_width() {
        fn check<T: Lane>(d: usize, weighted: bool, to: impl Fn(f64) -> T) {
            let (m, k, scale) = (37, 5, 0.5);
            let x: Vec<T> = (0..m * d)
                .map(|i| to(((i * 7919) % 211) as f64 * 0.37 - 20.0))
                .collect();
            let shift: Vec<f64> = (0..d).map(|j| j as f64 * 0.25 - 1.0).collect();
            let labels: Vec<usize> = (0..m).map(|i| (i * 3 + i / 4) % k).collect();
            let values: Vec<T> = (0..m).map(|i| to(-(i as f64) * 0.5)).collect();
            let sq_norms: Vec<T> = (0..m).map(|i| to(i as f64 * 0.75 + 1.0)).collect();
            let w: Vec<f64> = (0..m).map(|i| 0.25 + (i % 4) as f64).collect();
            let weights = weighted.then_some(&w[..]);
            let (mut part, mut lines, mut inertia) =
                (ClusterSums::new(k, d), LineSums::new(k, d), 0.0);
            let mut sums = (&mut part, &mut inertia, scale, &mut lines);
            let rows = Stretch {
                x: &x,
                shift: &shift,
                weights,
            };
            accumulate(rows, &sq_norms, &labels, &values, &mut sums);
            lines.copy_to(&mut part.sums, d);
            let mut expected = ClusterSums::new(k, d);
            let mut expected_inertia = 0.0;
            for i in 0..m {
                let c = labels[i];
                let dist: f64 = (sq_norms[i] + values[i]).into();
                let term = dist.max(0.0) * scale;
                expected_inertia += if weighted { w[i] * term } else { term };
                expected.weights[c] += if weighted { w[i] } else { 1.0 };
                for j in 0..d {
                    let v = Into::<f64>::into(x[i * d + j]) - shift[j];
                    expected.sums[c * d + j] += if weighted { w[i] * v } else { v };
                }
            }
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&part.sums),
                bits(&expected.sums),
                "d {d} weighted {weighted}"
            );
            assert_eq!(bits(&part.weights), bits(&expected.weights));
            assert_eq!(inertia.to_bits(), expected_inertia.to_bits());
        }
        for d in [1, 3, 8, 11, 16, 24, 32, 64] {
            for weighted in [false, true] {
                check::<f64>(d, weighted, |v| v);
                check::<f32>(d, weighted, |v| v as f32);
            }
        }
    }

    /// The first value that is not finite, against `is_finite` row by row,
    /// wherever it sits in a vector of lanes, for both float types.
    #[test]
    fn first_not_finite_finds_the_first_infinite_or_nan_value() {
        for len in [0, 1, 7, 8, 9, 31, 256] {
            for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
                for at in (0..len).chain([len]) {
                    let mut v: Vec<f64> = (0..len).map(|i| i as f64 * 1e30 - 3.0).collect();
                    if at < len {
                        v[at] = bad;
                        if at + 3 < len {
                            v[at + 3] = f64::NAN;
                        }
                    }
                    let expected = v.iter().position(|s| !s.is_finite());
                    assert_eq!(first_not_finite(&v), expected, "{len} {bad} {at}");
                    let v32: Vec<f32> = v.iter().map(|&s| s as f32).collect();
                    let expected = v32.iter().position(|s| !s.is_finite());
                    assert_eq!(first_not_finite(&v32), expected, "f32 {len} {bad} {at}");
                }
            }
        }
    }

    /// Every level the host runs assigns the same labels and sums the same
    /// bits as the portable code, over several chunks and a short last one.
    #[test]
    fn every_simd_level_gives_the_sums_of_the_scalar_code() {
        let (d, k) = (3, 5);
        let n = 2 * chunk_rows(d) + 77;
        let x: Vec<f64> = (0..n * d)
            .map(|i| ((i * 37) % 101) as f64 * 0.1 - 5.0)
            .collect();
        let sq_norms: Vec<f64> = x.chunks(d).map(|r| r.iter().map(|v| v * v).sum()).collect();
        let weights: Vec<f64> = (0..n).map(|i| 0.5 + (i % 3) as f64).collect();
        let centres = Array2::from_shape_fn((k, d), |(c, j)| c as f64 - 2.0 + 0.3 * j as f64);
        let packed = PackedCentres::new(centres.view());
        let rows = Batch {
            d,
            x,
            sq_norms,
            weights,
        };
        let pass = |level| {
            let mut a = Assignment::new(rows.n_chunks(), k, d);
            a.pass_at(level, &rows, &packed, Distance::SquaredEuclidean)
                .unwrap();
            a.total
        };
        let scalar = pass(Level::Scalar);
        assert!(scalar.weights.iter().all(|&w| w > 0.0));
        for level in simd::supported() {
            assert_eq!(pass(level), scalar, "{}", level.name());
        }
    }
}
