//! One pass over the data accumulating [`SufficientStats`]: chunk after chunk
//! of a task, the responsibilities (from an E-step, nearest centres or random
//! numbers) and their products with the rows; tasks run in parallel and are
//! summed in the fixed tree of [`crate::distributed`], so the result does not
//! depend on the number of threads or processes.

use super::covariance::CovarianceType;
use super::estep::{Coefficients, Float, Scratch, CHUNK};
use super::stats::{triangle, SufficientStats};
use super::transpose::transpose;
use crate::distributed::{tree_sum, Shard};
use crate::linalg::Mat;
use crate::simd::{self, Kernel, Level};
use crate::{Data, MixtureError, RowBuffer};
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
/// the same for any number of threads. Each task reads its rows from `x` (a
/// view of an array, or read from a source into the task's buffer).
///
/// # Errors
/// [`MixtureError::DataSource`] when a source fails to give its rows.
pub(crate) fn accumulate(
    source: Source<'_>,
    template: &SufficientStats,
    x: Data<'_>,
    weights: Option<ArrayView1<f64>>,
    task_rows: usize,
) -> Result<SufficientStats, MixtureError> {
    accumulate_shard(source, template, &Shard::whole(x), weights, task_rows)
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
) -> Result<SufficientStats, MixtureError> {
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
) -> Result<SufficientStats, MixtureError> {
    match shard.rows() {
        Data::F64(_) | Data::Source64(_) => {
            pass::<f64>(level, source, template, shard, weights, task_rows)
        }
        Data::F32(_) | Data::Source32(_) => {
            pass::<f32>(level, source, template, shard, weights, task_rows)
        }
    }
}

/// The pass with the products in `T`, the type of the data's rows.
fn pass<T: Float>(
    level: Level,
    source: Source<'_>,
    template: &SufficientStats,
    shard: &Shard<'_>,
    weights: Option<ArrayView1<f64>>,
    task_rows: usize,
) -> Result<SufficientStats, MixtureError> {
    let (ctype, k, d) = (template.covariance_type, template.k, template.d);
    let (x, first_row) = (shard.rows(), shard.first_row());
    let sum = tree_sum(
        shard,
        task_rows,
        || (Scratch::<T>::new(level, ctype, k, d), RowBuffer::default()),
        |(scratch, buffer), range| {
            let rows = x.rows(range.clone(), buffer)?;
            let x = T::view(rows).expect("rows of the type the pass runs in");
            Ok(simd::dispatch(
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
            .into_words())
        },
    )?;
    Ok(match sum {
        Some(words) => template.with_words(words),
        None => template.clone(),
    })
}

/// The statistics of the rows in `range`, chunk after chunk, as a kernel.
struct Task<'s, 'a, 't, 'x, 'w, T> {
    scratch: &'s mut Scratch<T>,
    source: Source<'a>,
    template: &'t SufficientStats,
    /// The rows of `range`.
    x: ArrayView2<'x, T>,
    /// Global index of the shard's first row (`range` is within the shard).
    first_row: usize,
    weights: Option<ArrayView1<'w, f64>>,
    range: std::ops::Range<usize>,
}

impl<T: Float> Kernel for Task<'_, '_, '_, '_, '_, T> {
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

/// The statistics of the rows in `range` (whose values are `x`), chunk after chunk.
#[inline(always)]
fn task<T: Float>(
    scratch: &mut Scratch<T>,
    source: Source<'_>,
    template: &SufficientStats,
    x: ArrayView2<T>,
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
        let rows = x.slice(s![start - range.start..end - range.start, ..]);
        let w = weights.map(|w| w.slice_move(s![start..end]));
        scratch.load(&template.shift, rows);
        match source {
            Source::EStep(p) => {
                scratch.log_densities(p, b);
                // The next chunk's rows, fetched during this chunk's exps.
                let next = s![
                    end - range.start..(end + CHUNK).min(range.end) - range.start,
                    ..
                ];
                let ahead = x.slice(next).to_slice().unwrap_or_default();
                scratch.normalise(b, w, ahead, true);
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
                scratch.lp[..k * b].fill(T::default());
                for (i, row) in rows.outer_iter().enumerate() {
                    let nearest = centres
                        .outer_iter()
                        .map(|c| {
                            c.iter()
                                .zip(row)
                                .map(|(a, &v)| (a - v.into()) * (a - v.into()))
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
                    let r = T::from_f64(w.map_or(1.0, |w| w[i]));
                    scratch.lp[nearest.0 * b + i] = T::operand(r);
                }
            }
            Source::Random(seed) => {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                for i in 0..b {
                    // Two 32-bit words per f64, k numbers per row: read
                    // twice, for their sum and then scaled by it.
                    let position = 2 * (k * (first_row + start + i)) as u128;
                    rng.set_word_pos(position);
                    let sum: f64 = (0..k).map(|_| rng.random::<f64>()).sum();
                    let scale = w.map_or(1.0, |w| w[i]) / sum;
                    rng.set_word_pos(position);
                    for j in 0..k {
                        let u: f64 = rng.random();
                        scratch.lp[j * b + i] = T::operand(T::from_f64(u * scale));
                    }
                }
            }
        }
        stats.weight += w.map_or(b as f64, |w| w.sum());
        scratch.accumulate(&mut stats, w, b);
        start = end;
    }
    scratch.fold_second(&mut stats);
    stats
}

impl<T: Float> Scratch<T> {
    /// Adds the statistics of the `b` loaded rows, whose (weighted)
    /// responsibilities are in `lp` as [`Float::operand`]s, to `stats`.
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
        let (k, d, w, level) = (self.k, self.d, self.w, self.level);
        let lp = &self.lp[..k * b];
        // Moments += R xa: first moments, diagonal second moments, resp sums.
        T::add_moments(
            level,
            (k, b, w),
            lp,
            &self.xa,
            &mut stats.moments,
            &mut self.part,
        );
        match stats.covariance_type {
            CovarianceType::Full if self.zsum.is_empty() => {
                // The upper triangles of the rows' outer products, one
                // contiguous row per pair of features (P^T, from the
                // transposed rows), then second^T += P^T R^T: symmetry halves
                // the flops of X^T diag(r_j) X. Each element is the FMA
                // chain of second += R P (the same products in the same
                // order), so the bits do not depend on the orientation.
                let t = triangle(d);
                let xt = &self.xt[..w * b];
                let mut pairs = self.g.chunks_exact_mut(b);
                for a in 0..d {
                    let xa = &xt[a * b..(a + 1) * b];
                    for xc in xt[a * b..d * b].chunks_exact(b) {
                        let p = pairs.next().expect("g holds d(d+1)/2 rows");
                        for ((pv, &u), &v) in p.iter_mut().zip(xa).zip(xc) {
                            *pv = u * v;
                        }
                    }
                }
                transpose(level, lp, &mut self.rt[..b * k], k);
                T::gemm_into_f64(
                    level,
                    (t, b, k),
                    Mat::rows(&self.g, b),
                    Mat::rows(&self.rt, k),
                    true,
                    &mut self.st,
                    &mut self.part,
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
                        for (zv, &xv) in z.iter_mut().zip(x_row) {
                            *zv = r * xv;
                        }
                    }
                }
                T::gemm_into_f64(
                    level,
                    (d, b, kd),
                    Mat::transposed(&self.xa, w),
                    Mat::rows(&self.g, kd),
                    true,
                    &mut self.zsum,
                    &mut self.part,
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
                            for (zv, &xv) in z.iter_mut().zip(x) {
                                *zv = T::from_f64(*wi) * xv;
                            }
                        }
                        Mat::rows(&self.g, d)
                    }
                    None => Mat::rows(&self.xa, w),
                };
                T::gemm_into_f64(
                    level,
                    (d, b, d),
                    Mat::transposed(&self.xa, w),
                    z,
                    true,
                    &mut stats.second,
                    &mut self.part,
                );
            }
            _ => {}
        }
    }

    /// Moves the task's running sums of full second moments, (d(d+1)/2, k)
    /// or (d, k d), into the triangles of `stats` (which hold none before:
    /// each chunk's sums are added in order either way, so the bits are
    /// those of adding every chunk to `stats`, at a fraction of the cost).
    #[inline(always)]
    pub(super) fn fold_second(&mut self, stats: &mut SufficientStats) {
        let (k, d) = (self.k, self.d);
        let t = triangle(d);
        if !self.st.is_empty() {
            for (second_j, j) in stats.second.chunks_exact_mut(t).zip(0..k) {
                for (s, st_q) in second_j.iter_mut().zip(self.st.chunks_exact(k)) {
                    *s += st_q[j];
                }
            }
            self.st.fill(0.0);
        }
        if self.zsum.is_empty() {
            return;
        }
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
            let mut scratch = Scratch::<f64>::new(simd::level(), CovarianceType::Full, k, d);
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
    /// and without sample weights, for both ways of summing full moments,
    /// on `f64` and on `f32` rows.
    #[test]
    fn every_simd_level_gives_the_statistics_of_the_scalar_code() {
        let n = 300;
        let x = Array2::from_shape_fn((n, 3), |(i, l)| ((i * 7 + l * 3) % 11) as f64 * 0.37 - 1.5);
        let x32 = x.mapv(|v| v as f32);
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
                for (source, data) in sources
                    .into_iter()
                    .flat_map(|s| [(s, Data::from(x.view())), (s, Data::from(x32.view()))])
                {
                    for w in [None, Some(sample_weight.view())] {
                        let shard = Shard::whole(data);
                        let pass =
                            |level| accumulate_at(level, source, &template, &shard, w, 64).unwrap();
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

    /// A component so far from the rows that their responsibilities for it
    /// (about e^-78 to e^-102, times a sample weight of 1/4) would often be
    /// subnormal `f32`s: they are 0 before the `f32` products, so no
    /// responsibility, no operand and no product of the M-step is subnormal
    /// (denormal arithmetic is many times slower).
    #[test]
    fn responsibilities_of_a_far_component_never_reach_f32_products_as_subnormals() {
        let n = 256;
        let x = Array2::from_shape_fn((n, 2), |(i, l)| {
            (((i * 37 + l * 11) % 101) as f32 / 50.0 - 1.0) * 0.9
        });
        let means = array![[0.0, 0.0], [13.4, 0.0]];
        let u = Covariances::Diag(Array2::ones((2, 2)));
        for u in [
            u,
            Covariances::Full(Array3::from_shape_fn((2, 2, 2), |(_, a, b)| {
                (a == b) as u8 as f64
            })),
        ] {
            let ctype = u.covariance_type();
            let coefficients =
                Coefficients::new(array![0.5, 0.5].view(), means.view(), &u, &[0.0, 0.0]);
            let template = SufficientStats::zeros(ctype, 2, &[0.0, 0.0]);
            let mut scratch = Scratch::<f32>::new(simd::level(), ctype, 2, 2);
            let mut stats = template.clone();
            let weights = Array1::from_elem(n, 0.25);
            for start in (0..n).step_by(CHUNK) {
                let rows = x.slice(s![start..start + CHUNK, ..]);
                let w = Some(weights.slice(s![start..start + CHUNK]));
                scratch.load(&template.shift, rows);
                scratch.log_densities(&coefficients, CHUNK);
                scratch.normalise(CHUNK, w, &[], true);
                for v in &scratch.lp {
                    assert!(!v.is_subnormal(), "{ctype}: subnormal {v:e}");
                }
                scratch.accumulate(&mut stats, w, CHUNK);
                for v in scratch.lp.iter().chain(&scratch.part) {
                    assert!(!v.is_subnormal(), "{ctype}: subnormal {v:e}");
                }
            }
            // The exact responsibilities of the far component, e^lr / (1 +
            // e^lr) with lr = (|x - m_1|^2 - |x - m_2|^2) / 2, many of them
            // in the f32 subnormal range.
            let subnormal_in_f64 = x
                .outer_iter()
                .map(|row| {
                    let (a, b) = (f64::from(row[0]), f64::from(row[1]));
                    let lr = ((a * a + b * b) - ((a - 13.4).powi(2) + b * b)) / 2.0;
                    0.25 * lr.exp() / (1.0 + lr.exp())
                })
                .filter(|&r| r > 0.0 && r < f64::from(f32::MIN_POSITIVE))
                .count();
            assert!(subnormal_in_f64 > 20, "{ctype}: {subnormal_in_f64}");
            assert!(stats.moments.iter().all(|v| v.is_finite()));
        }
    }
}
