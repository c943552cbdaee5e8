//! One pass over the data accumulating [`SufficientStats`]: chunk after chunk
//! of a task, the responsibilities (from an E-step, nearest centres or random
//! numbers) and their products with the rows; tasks run in parallel and are
//! summed in the fixed tree of [`crate::distributed`], so the result does not
//! depend on the number of threads or processes.

use super::covariance::CovarianceType;
use super::estep::{Coefficients, Scratch, CHUNK};
use super::stats::{triangle, SufficientStats};
use crate::distributed::{tree_sum, Shard};
use crate::linalg::{gemm, Mat, MatMut};
use crate::simd::{self, Kernel, Level};
use ndarray::{s, ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Rows per parallel task of a pass, unless the caller chooses.
pub(crate) const TASK_ROWS: usize = 4096;

/// Where the responsibilities of a pass come from.
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    /// From an E-step with these coefficients.
    EStep(&'a Coefficients),
    /// Each sample wholly to its nearest centre, one centre per row
    /// (initialisation from given or K-means centres).
    Nearest(ArrayView2<'a, f64>),
    /// Uniform random numbers normalised per sample, from a ChaCha8 stream
    /// seeded with this value and positioned by (global) row (random
    /// initialisation).
    Random(u64),
}

/// One pass over `x` accumulating the statistics, in tasks of `task_rows`
/// rows that run in parallel and are summed in a fixed tree, so the result is
/// the same for any number of threads.
pub(crate) fn accumulate(
    source: Source<'_>,
    template: &SufficientStats,
    x: ArrayView2<f64>,
    weights: Option<ArrayView1<f64>>,
    task_rows: usize,
) -> SufficientStats {
    accumulate_at(
        simd::level(),
        source,
        template,
        &Shard::whole(x),
        weights,
        task_rows,
    )
}

/// [`accumulate`] over the rows of a job's processes (`weights` for this
/// process's rows): every process gets the statistics of all the rows, the
/// same for any number of processes.
pub(crate) fn accumulate_shard(
    source: Source<'_>,
    template: &SufficientStats,
    shard: &Shard<'_>,
    weights: Option<ArrayView1<f64>>,
    task_rows: usize,
) -> SufficientStats {
    accumulate_at(simd::level(), source, template, shard, weights, task_rows)
}

/// [`accumulate_shard`] with the kernels compiled for `level`.
fn accumulate_at(
    level: Level,
    source: Source<'_>,
    template: &SufficientStats,
    shard: &Shard<'_>,
    weights: Option<ArrayView1<f64>>,
    task_rows: usize,
) -> SufficientStats {
    let (ctype, k, d) = (template.covariance_type, template.k, template.d);
    let (x, first_row) = (shard.rows(), shard.first_row());
    let sum = tree_sum(
        shard,
        task_rows,
        || Scratch::new(ctype, k, d),
        |scratch, range| {
            simd::dispatch(
                level,
                Task {
                    scratch,
                    source,
                    template,
                    x,
                    first_row,
                    weights,
                    range,
                },
            )
            .into_words()
        },
    );
    match sum {
        Some(words) => template.with_words(words),
        None => template.clone(),
    }
}

/// The statistics of the rows in `range`, chunk after chunk, as a kernel.
struct Task<'s, 'a, 't, 'x, 'w> {
    scratch: &'s mut Scratch,
    source: Source<'a>,
    template: &'t SufficientStats,
    x: ArrayView2<'x, f64>,
    /// Global index of `x`'s first row.
    first_row: usize,
    weights: Option<ArrayView1<'w, f64>>,
    range: std::ops::Range<usize>,
}

impl Kernel for Task<'_, '_, '_, '_, '_> {
    type Output = SufficientStats;

    #[inline(always)]
    fn run(self) -> SufficientStats {
        task(
            self.scratch,
            self.source,
            self.template,
            self.x,
            self.first_row,
            self.weights,
            self.range,
        )
    }
}

/// The statistics of the rows in `range`, chunk after chunk.
#[inline(always)]
fn task(
    scratch: &mut Scratch,
    source: Source<'_>,
    template: &SufficientStats,
    x: ArrayView2<f64>,
    first_row: usize,
    weights: Option<ArrayView1<f64>>,
    range: std::ops::Range<usize>,
) -> SufficientStats {
    let k = template.k;
    let mut stats = template.clone();
    let mut start = range.start;
    while start < range.end {
        let end = (start + CHUNK).min(range.end);
        let b = end - start;
        let rows = x.slice(s![start..end, ..]);
        let w = weights.map(|w| w.slice_move(s![start..end]));
        scratch.load(&template.shift, rows);
        match source {
            Source::EStep(p) => {
                scratch.log_densities(p, b);
                scratch.normalise(b, w);
                stats.log_likelihood += match w {
                    Some(w) => scratch.ll[..b]
                        .iter()
                        .zip(w.iter())
                        .map(|(l, w)| l * w)
                        .sum::<f64>(),
                    None => scratch.ll[..b].iter().sum::<f64>(),
                };
            }
            Source::Nearest(centres) => {
                scratch.lp[..k * b].fill(0.0);
                for (i, row) in rows.outer_iter().enumerate() {
                    let nearest = centres
                        .outer_iter()
                        .map(|c| {
                            c.iter()
                                .zip(row)
                                .map(|(a, v)| (a - v) * (a - v))
                                .sum::<f64>()
                        })
                        .enumerate()
                        .fold((0, f64::INFINITY), |best, (j, dist)| {
                            if dist < best.1 {
                                (j, dist)
                            } else {
                                best
                            }
                        });
                    scratch.lp[nearest.0 * b + i] = w.map_or(1.0, |w| w[i]);
                }
            }
            Source::Random(seed) => {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                for i in 0..b {
                    // Two 32-bit words per f64, k numbers per row.
                    rng.set_word_pos(2 * (k * (first_row + start + i)) as u128);
                    let mut sum = 0.0;
                    for j in 0..k {
                        let u: f64 = rng.random();
                        scratch.lp[j * b + i] = u;
                        sum += u;
                    }
                    let scale = w.map_or(1.0, |w| w[i]) / sum;
                    for j in 0..k {
                        scratch.lp[j * b + i] *= scale;
                    }
                }
            }
        }
        stats.weight += w.map_or(b as f64, |w| w.sum());
        scratch.accumulate(&mut stats, w, b);
        start = end;
    }
    scratch.fold_zsum(&mut stats);
    stats
}

impl Scratch {
    /// Adds the statistics of the `b` loaded rows, whose (weighted)
    /// responsibilities are in `lp`, to `stats`.
    ///
    /// Flops per row (`w` = `d + 1` for full and tied, `2d + 1` for diag and
    /// spherical; `t = d (d+1) / 2`): the moments GEMM `2 k w`, plus
    /// - full, `k d >= t`: `t` products for the row's triangle and the GEMM
    ///   `2 k t = k d (d+1)`;
    /// - full, `k d < t`: `k d` products and the GEMM `2 d k d`;
    /// - tied: the GEMM `2 d^2` (plus `d` products with sample weights);
    /// - diag, spherical: nothing more.
    ///
    /// All operands are in cache (the chunk's rows were loaded by
    /// `Scratch::load`); only `stats` (`k w` plus `k t` or `d^2` values) is
    /// read and written per chunk.
    #[inline(always)]
    pub(super) fn accumulate(
        &mut self,
        stats: &mut SufficientStats,
        weights: Option<ArrayView1<f64>>,
        b: usize,
    ) {
        let (k, d, w) = (self.k, self.d, self.w);
        let lp = &self.lp[..k * b];
        // Moments += R xa: first moments, diagonal second moments, resp sums.
        gemm(
            (k, b, w),
            1.0,
            Mat::rows(lp, b),
            Mat::rows(&self.xa, w),
            1.0,
            MatMut::rows(&mut stats.moments, w),
        );
        match stats.covariance_type {
            CovarianceType::Full if self.zsum.is_empty() => {
                // Each row's outer product, upper triangle only (P), then
                // second += R P: symmetry halves the flops of X^T diag(r_j) X.
                let t = triangle(d);
                for (p_row, x_row) in self
                    .g
                    .chunks_exact_mut(t)
                    .zip(self.xa.chunks_exact(w))
                    .take(b)
                {
                    let mut offset = 0;
                    for a in 0..d {
                        let xa = x_row[a];
                        for (pv, xv) in p_row[offset..offset + d - a].iter_mut().zip(&x_row[a..d]) {
                            *pv = xa * xv;
                        }
                        offset += d - a;
                    }
                }
                gemm(
                    (k, b, t),
                    1.0,
                    Mat::rows(lp, b),
                    Mat::rows(&self.g, t),
                    1.0,
                    MatMut::rows(&mut stats.second, t),
                );
            }
            CovarianceType::Full => {
                // Few components: the triangles would cost more to build than
                // they save, so zsum += Xc^T Z with Z = [diag(r_1) Xc, .., diag(r_k) Xc].
                let kd = k * d;
                for (i, (z_row, x_row)) in self
                    .g
                    .chunks_exact_mut(kd)
                    .zip(self.xa.chunks_exact(w))
                    .take(b)
                    .enumerate()
                {
                    for (j, z) in z_row.chunks_exact_mut(d).enumerate() {
                        let r = lp[j * b + i];
                        for (zv, xv) in z.iter_mut().zip(x_row) {
                            *zv = r * xv;
                        }
                    }
                }
                gemm(
                    (d, b, kd),
                    1.0,
                    Mat::transposed(&self.xa, w),
                    Mat::rows(&self.g, kd),
                    1.0,
                    MatMut::rows(&mut self.zsum, kd),
                );
            }
            CovarianceType::Tied => {
                let z = match weights {
                    Some(wts) => {
                        for ((z, x), wi) in self
                            .g
                            .chunks_exact_mut(d)
                            .zip(self.xa.chunks_exact(w))
                            .zip(wts.iter())
                        {
                            for (zv, xv) in z.iter_mut().zip(x) {
                                *zv = wi * xv;
                            }
                        }
                        Mat::rows(&self.g, d)
                    }
                    None => Mat::rows(&self.xa, w),
                };
                gemm(
                    (d, b, d),
                    1.0,
                    Mat::transposed(&self.xa, w),
                    z,
                    1.0,
                    MatMut::rows(&mut stats.second, d),
                );
            }
            _ => {}
        }
    }

    /// Moves the task's running (d, k d) sums into the triangles of `stats`.
    #[inline(always)]
    pub(super) fn fold_zsum(&mut self, stats: &mut SufficientStats) {
        if self.zsum.is_empty() {
            return;
        }
        let (k, d) = (self.k, self.d);
        let t = triangle(d);
        for j in 0..k {
            let mut idx = j * t;
            for a in 0..d {
                for b in a..d {
                    stats.second[idx] += self.zsum[a * k * d + j * d + b];
                    idx += 1;
                }
            }
        }
        self.zsum.fill(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gmm::Covariances;
    use ndarray::{array, Array1, Array2, Array3};

    /// Both ways of accumulating full second moments (triangles of outer
    /// products for many components, weighted products for few) give the
    /// sums of (x - shift)(x - shift)^T over each component's samples.
    #[test]
    #[allow(clippy::needless_range_loop)] // index loops mirror the formula
    fn full_second_moments_for_many_and_few_components() {
        for (k, d) in [(3, 3), (2, 6)] {
            let n = 200;
            let x =
                Array2::from_shape_fn((n, d), |(i, l)| ((i * 13 + l * 7) % 17) as f64 * 0.21 - 1.0);
            let centres = x.slice(s![..k, ..]).to_owned();
            let shift: Vec<f64> = (0..d).map(|l| 0.1 * l as f64).collect();
            let template = SufficientStats::zeros(CovarianceType::Full, k, &shift);
            let mut scratch = Scratch::new(CovarianceType::Full, k, d);
            assert_eq!(scratch.zsum.is_empty(), k * d >= d * (d + 1) / 2);
            let stats = task(
                &mut scratch,
                Source::Nearest(centres.view()),
                &template,
                x.view(),
                0,
                None,
                0..n,
            );
            let mut want = vec![vec![vec![0.0; d]; d]; k];
            for row in x.outer_iter() {
                let dist = |j: usize| {
                    (0..d)
                        .map(|l| (row[l] - centres[[j, l]]).powi(2))
                        .sum::<f64>()
                };
                let j = (0..k).fold(0, |best, j| if dist(j) < dist(best) { j } else { best });
                for a in 0..d {
                    for b in 0..d {
                        want[j][a][b] += (row[a] - shift[a]) * (row[b] - shift[b]);
                    }
                }
            }
            let t = d * (d + 1) / 2;
            for j in 0..k {
                let mut idx = j * t;
                for a in 0..d {
                    for b in a..d {
                        let got = stats.second[idx];
                        assert!(
                            (got - want[j][a][b]).abs() <= 1e-12 * want[j][a][a].abs().max(1.0),
                            "{k} {d}"
                        );
                        idx += 1;
                    }
                }
            }
        }
    }

    /// Every vector level the host runs does the same arithmetic as the
    /// scalar code, bit for bit, for every source of responsibilities, with
    /// and without sample weights, for both ways of summing full moments.
    #[test]
    fn every_simd_level_gives_the_statistics_of_the_scalar_code() {
        let n = 300;
        let x = Array2::from_shape_fn((n, 3), |(i, l)| ((i * 7 + l * 3) % 11) as f64 * 0.37 - 1.5);
        let sample_weight = Array1::from_shape_fn(n, |i| 0.5 + (i % 4) as f64);
        let shift = [0.1, 0.2, -0.3];
        for k in [2, 5] {
            let means = Array2::from_shape_fn((k, 3), |(j, l)| j as f64 - 0.5 * l as f64);
            let weights = Array1::from_elem(k, 1.0 / k as f64);
            let factors = [
                Covariances::Full(Array3::from_shape_fn((k, 3, 3), |(j, a, b)| match (a, b) {
                    _ if a == b => 1.0 + j as f64,
                    _ if a < b => 0.3,
                    _ => 0.0,
                })),
                Covariances::Tied(array![[1.0, 0.2, 0.0], [0.0, 2.0, 0.1], [0.0, 0.0, 0.5]]),
                Covariances::Diag(Array2::from_shape_fn((k, 3), |(j, l)| 0.5 + (j + l) as f64)),
                Covariances::Spherical(Array1::from_shape_fn(k, |j| 0.4 + j as f64)),
            ];
            for u in &factors {
                let ctype = u.covariance_type();
                let coefficients = Coefficients::new(weights.view(), means.view(), u, &shift);
                let template = SufficientStats::zeros(ctype, k, &shift);
                let sources = [
                    Source::EStep(&coefficients),
                    Source::Nearest(means.view()),
                    Source::Random(7),
                ];
                for source in sources {
                    for w in [None, Some(sample_weight.view())] {
                        let shard = Shard::whole(x.view());
                        let pass = |level| accumulate_at(level, source, &template, &shard, w, 64);
                        let scalar = pass(Level::Scalar);
                        assert!(scalar.weight > 0.0);
                        for level in simd::supported() {
                            assert_eq!(pass(level), scalar, "{ctype} k={k} {}", level.name());
                        }
                    }
                }
            }
        }
    }
}
