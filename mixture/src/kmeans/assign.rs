//! One assignment pass: every row goes to its nearest centre, and each
//! fixed-size chunk of rows sums its rows per cluster. Chunks run in
//! parallel but are merged in chunk order, and the chunk size depends only
//! on the number of features, so the sums are bitwise the same for any
//! number of threads.

use super::distances::{nearest, nearest_at, PackedCentres};
use super::params::Distance;
use crate::simd::{self, Kernel, Level};
use rayon::prelude::*;

/// Rows whose nearest centres are found in one kernel call.
const STRETCH: usize = 256;

/// Rows per chunk: about 128 KiB of data, so a chunk stays in L2 while its
/// rows are assigned and summed.
pub(crate) fn chunk_rows(d: usize) -> usize {
    (16 * 1024 / d.max(1)).max(64)
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
    /// Rows whose label differs from the one they had before the pass.
    pub changed: usize,
}

impl ClusterSums {
    /// Zero sums for `k` clusters of `d` features.
    pub fn new(k: usize, d: usize) -> Self {
        Self {
            sums: vec![0.0; k * d],
            weights: vec![0.0; k],
            inertia: 0.0,
            changed: 0,
        }
    }

    fn clear(&mut self) {
        self.sums.fill(0.0);
        self.weights.fill(0.0);
        self.inertia = 0.0;
        self.changed = 0;
    }

    fn add(&mut self, other: &Self) {
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += b;
        }
        for (a, b) in self.weights.iter_mut().zip(&other.weights) {
            *a += b;
        }
        self.inertia += other.inertia;
        self.changed += other.changed;
    }
}

/// Rows of prepared data to assign: row-major values with their squared
/// norms and weights.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rows<'a> {
    /// `n * d` values.
    pub x: &'a [f64],
    /// `||x_i||^2`.
    pub sq_norms: &'a [f64],
    /// Weight of each row.
    pub weights: &'a [f64],
    /// Distance the rows were prepared for.
    pub distance: Distance,
}

/// Scratch space of an assignment pass, reused from pass to pass.
#[derive(Debug, Clone)]
pub(crate) struct Assignment {
    /// Nearest centre of each row (`usize::MAX` before the first pass).
    pub labels: Vec<usize>,
    /// Merged sums of the last pass.
    pub total: ClusterSums,
    partials: Vec<ClusterSums>,
}

impl Assignment {
    /// Scratch space for `n` rows, `k` clusters, `d` features.
    pub fn new(n: usize, k: usize, d: usize) -> Self {
        let n_chunks = n.div_ceil(chunk_rows(d));
        Self {
            labels: vec![usize::MAX; n],
            total: ClusterSums::new(k, d),
            partials: vec![ClusterSums::new(k, d); n_chunks],
        }
    }

    /// Assigns every row of `rows` (as many as `labels`) to its nearest
    /// centre and leaves the merged sums in `total`.
    pub fn pass(&mut self, rows: Rows, centres: &PackedCentres) {
        self.pass_at(simd::level(), rows, centres)
    }

    /// [`pass`](Self::pass) with the kernels compiled for `level`.
    fn pass_at(&mut self, level: Level, rows: Rows, centres: &PackedCentres) {
        let d = centres.d();
        let chunk = chunk_rows(d);
        // Cosine: rows and centres have unit length, and 1 - cos = ||x - c||^2 / 2.
        let scale = match rows.distance {
            Distance::SquaredEuclidean => 1.0,
            Distance::Cosine => 0.5,
        };
        self.partials
            .par_iter_mut()
            .zip(rows.x.par_chunks(chunk * d))
            .zip(rows.sq_norms.par_chunks(chunk))
            .zip(rows.weights.par_chunks(chunk))
            .zip(self.labels.par_chunks_mut(chunk))
            .for_each(|((((part, x), sq_norms), weights), labels)| {
                let chunk = Chunk {
                    x,
                    sq_norms,
                    weights,
                    labels,
                };
                simd::dispatch(
                    level,
                    AssignChunk {
                        level,
                        chunk,
                        centres,
                        scale,
                        part,
                    },
                )
            });
        self.total.clear();
        for part in &self.partials {
            self.total.add(part);
        }
    }
}

/// Squared Euclidean distance of every row to its nearest centre (for
/// cosine, twice the cosine distance: the order is what matters).
pub(crate) fn nearest_sq_dists(rows: Rows, centres: &PackedCentres) -> Vec<f64> {
    let d = centres.d();
    let chunk = chunk_rows(d);
    let n = rows.sq_norms.len();
    let mut values = vec![0.0; n];
    values
        .par_chunks_mut(chunk)
        .zip(rows.x.par_chunks(chunk * d))
        .zip(rows.sq_norms.par_chunks(chunk))
        .for_each(|((values, x), sq_norms)| {
            let mut labels = vec![0; values.len()];
            nearest(x, centres, &mut labels, values);
            for (v, &sq) in values.iter_mut().zip(sq_norms) {
                *v = (sq + *v).max(0.0);
            }
        });
    values
}

/// One chunk of an assignment pass: its rows and their outputs.
struct Chunk<'a> {
    x: &'a [f64],
    sq_norms: &'a [f64],
    weights: &'a [f64],
    labels: &'a mut [usize],
}

/// Assigning one chunk as a kernel, so that the per-cluster sums use the
/// vectors of `level` (same operations per element, same results).
struct AssignChunk<'a, 'p> {
    level: Level,
    chunk: Chunk<'a>,
    centres: &'a PackedCentres,
    scale: f64,
    part: &'p mut ClusterSums,
}

impl Kernel for AssignChunk<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        assign_chunk(self.level, self.chunk, self.centres, self.scale, self.part)
    }
}

/// Assigns the rows of one chunk and sums them into `part`.
///
/// Per row, besides the `2 k d + 2 k` flops of [`nearest_at`]: `2 d` for
/// the weighted sum into the row's cluster and 5 for the inertia and the
/// weight. Bytes moved from memory per row: `8 d` of data, 8 each of squared
/// norm and weight, and the label read and written (16), so `8 d + 32`.
#[inline(always)]
fn assign_chunk(
    level: Level,
    chunk: Chunk,
    centres: &PackedCentres,
    scale: f64,
    part: &mut ClusterSums,
) {
    let d = centres.d();
    part.clear();
    let (mut inertia, mut changed) = (0.0, 0);
    // Kernel output for a stretch of rows, on the stack.
    let mut nearest_label = [0usize; STRETCH];
    let mut nearest_value = [0.0; STRETCH];
    for (s, x) in chunk.x.chunks(STRETCH * d).enumerate() {
        let m = x.len() / d;
        let (labels, values) = (&mut nearest_label[..m], &mut nearest_value[..m]);
        nearest_at(level, x, centres, labels, values);
        let range = s * STRETCH..s * STRETCH + m;
        for (((((xi, &label), &v), &sq), &w), old) in x
            .chunks_exact(d)
            .zip(labels.iter())
            .zip(values.iter())
            .zip(&chunk.sq_norms[range.clone()])
            .zip(&chunk.weights[range.clone()])
            .zip(&mut chunk.labels[range])
        {
            if *old != label {
                *old = label;
                changed += 1;
            }
            inertia += w * ((sq + v).max(0.0) * scale);
            part.weights[label] += w;
            let sums = &mut part.sums[label * d..(label + 1) * d];
            for (s, &xv) in sums.iter_mut().zip(xi) {
                *s += w * xv;
            }
        }
    }
    part.inertia = inertia;
    part.changed = changed;
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

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
        let rows = Rows {
            x: &x,
            sq_norms: &sq_norms,
            weights: &weights,
            distance: Distance::SquaredEuclidean,
        };
        let pass = |level| {
            let mut a = Assignment::new(n, k, d);
            a.pass_at(level, rows, &packed);
            (a.labels, a.total)
        };
        let scalar = pass(Level::Scalar);
        assert!(scalar.1.weights.iter().all(|&w| w > 0.0));
        for level in simd::supported() {
            assert_eq!(pass(level), scalar, "{}", level.name());
        }
    }
}
