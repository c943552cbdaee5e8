//! Principal axes of a data set: how to look at d-dimensional data and a
//! fitted mixture in the plane that shows the most of it.

use crate::{check_data, MixtureError};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The leading principal axes of some data: its mean and the unit
/// eigenvectors of its covariance with the largest eigenvalues.
#[derive(Clone, Debug, PartialEq)]
pub struct PrincipalAxes {
    /// Column means of the data.
    pub mean: Array1<f64>,
    /// `d x m`: one unit axis per column, by decreasing variance.
    pub axes: Array2<f64>,
    /// The variance of the data along each axis.
    pub variances: Array1<f64>,
}

/// Up to this many features the covariance is diagonalised whole by Jacobi;
/// beyond, only a block of leading directions is iterated.
const EXACT_UP_TO: usize = 32;

/// Directions iterated beside the `m` wanted: the block converges at the
/// rate `(variance m + OVERSAMPLE + 1) / (variance m)`, so a few spare
/// directions make a small gap after the m-th axis harmless.
const OVERSAMPLE: usize = 8;

/// Most block iterations (each costs two passes over the data).
const MAX_ITERATIONS: usize = 300;

/// An axis has converged when `||C v - lambda v||` is below this fraction of
/// the largest variance.
const RESIDUAL: f64 = 1e-10;

impl PrincipalAxes {
    /// The `m` leading axes of the rows of `x`.
    ///
    /// Up to 32 features: the cyclic Jacobi eigenvalue method on the `d x d`
    /// covariance (exact to rounding). Wider data: block power (subspace)
    /// iteration on `m + 8` directions, each step `C Q = X^T (X Q) / n` without
    /// forming `C`, so a step costs `O(n d (m + 8))`; a Rayleigh-Ritz step
    /// (Jacobi on the small projected matrix) gives the axes, and the
    /// iteration stops when every axis' residual `||C v - lambda v||` is below
    /// 1e-10 of the largest variance, or after 300 steps. The start is seeded,
    /// so the result is deterministic.
    ///
    /// # Reference
    /// G. H. Golub, C. F. Van Loan, *Matrix Computations*, 4th ed., sections
    /// 8.5 (Jacobi) and 8.2.4 (orthogonal iteration, Rayleigh-Ritz).
    ///
    /// # Errors
    /// The data errors of [`check_data`]; [`MixtureError::InvalidHyperparameter`]
    /// when `m` is 0 or more than the number of features.
    pub fn fit(x: ArrayView2<f64>, m: usize) -> Result<Self, MixtureError> {
        check_data(x)?;
        let d = x.ncols();
        if m == 0 || m > d {
            return Err(MixtureError::InvalidHyperparameter {
                name: "n_axes",
                value: m.to_string(),
                valid: "between 1 and the number of features",
            });
        }
        let mean = x.mean_axis(Axis(0)).expect("at least one row");
        let centred = &x - &mean;
        let n = x.nrows() as f64;
        let (axes, variances) = if d <= EXACT_UP_TO {
            let (values, vectors) = eigen(centred.t().dot(&centred) / n);
            (vectors, values)
        } else {
            leading_block(centred.view(), m)
        };
        let axes = axes.slice(ndarray::s![.., ..m]).to_owned();
        let variances = variances.iter().take(m).map(|v| v.max(0.0)).collect();
        Ok(PrincipalAxes {
            mean,
            axes,
            variances,
        })
    }

    /// Coordinates of the rows of `x` along the axes: `(x - mean) axes`.
    ///
    /// # Panics
    /// If `x` does not have the fitted number of columns.
    #[track_caller]
    pub fn project(&self, x: ArrayView2<f64>) -> Array2<f64> {
        (&x - &self.mean).dot(&self.axes)
    }

    /// A `d x d` covariance seen along the axes: `axes^T cov axes`.
    ///
    /// # Panics
    /// If `cov` is not `d x d`.
    #[track_caller]
    pub fn project_covariance(&self, cov: ArrayView2<f64>) -> Array2<f64> {
        self.axes.t().dot(&cov).dot(&self.axes)
    }
}

/// Eigenvalues (decreasing) and unit eigenvectors (columns, in the same
/// order) of the symmetric matrix `a`, by cyclic Jacobi sweeps.
fn eigen(mut a: Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let d = a.nrows();
    let mut v = Array2::<f64>::eye(d);
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|p| (0..d).filter(move |&q| q != p).map(move |q| (p, q)))
            .map(|(p, q)| a[[p, q]] * a[[p, q]])
            .sum();
        let scale: f64 = a.iter().map(|x| x * x).sum();
        if off <= f64::EPSILON * f64::EPSILON * scale {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                rotate(&mut a, &mut v, p, q);
            }
        }
    }
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&i, &j| a[[j, j]].total_cmp(&a[[i, i]]));
    let values = order.iter().map(|&i| a[[i, i]]).collect();
    (values, v.select(Axis(1), &order))
}

/// The `m + OVERSAMPLE` leading eigenpairs of `C = X^T X / n` (`x` centred),
/// by orthogonal iteration with a Rayleigh-Ritz step every few iterations.
fn leading_block(x: ArrayView2<f64>, m: usize) -> (Array2<f64>, Vec<f64>) {
    let (rows, d) = x.dim();
    let b = (m + OVERSAMPLE).min(d);
    let times_c = |q: &Array2<f64>| x.t().dot(&x.dot(q)) / rows as f64;
    let mut rng = ChaCha8Rng::seed_from_u64(0x5ca1ab1e);
    let mut q = Array2::from_shape_fn((d, b), |_| rng.random::<f64>() - 0.5);
    orthonormalise(&mut q);
    let mut ritz = (q.clone(), vec![0.0; b]);
    for iteration in 1..=MAX_ITERATIONS {
        let mut y = times_c(&q);
        if iteration % 5 == 0 || iteration == MAX_ITERATIONS {
            // Rayleigh-Ritz: the best axes within span(q), and their residuals.
            let (values, w) = eigen(q.t().dot(&y));
            let vectors = q.dot(&w);
            let cv = y.dot(&w);
            let largest = values[0].abs().max(f64::MIN_POSITIVE);
            let converged = (0..m).all(|i| {
                let residual = &cv.column(i) - &(&vectors.column(i) * values[i]);
                residual.dot(&residual).sqrt() <= RESIDUAL * largest
            });
            ritz = (vectors, values);
            if converged {
                break;
            }
        }
        std::mem::swap(&mut q, &mut y);
        orthonormalise(&mut q);
    }
    ritz
}

/// Orthonormalises the columns of `q` in place (modified Gram-Schmidt, two
/// passes). A column that (nearly) vanishes in the projection, as when the
/// data have fewer directions than the block, is replaced by the first unit vector that is not yet in the span.
fn orthonormalise(q: &mut Array2<f64>) {
    let (d, b) = q.dim();
    for j in 0..b {
        let mut candidate = 0;
        loop {
            let before = q.column(j).dot(&q.column(j)).sqrt();
            for _pass in 0..2 {
                for i in 0..j {
                    let dot = q.column(i).dot(&q.column(j));
                    let qi = q.column(i).to_owned();
                    q.column_mut(j).scaled_add(-dot, &qi);
                }
            }
            let norm = q.column(j).dot(&q.column(j)).sqrt();
            if (norm > 0.0 && norm > 1e-8 * before) || candidate == d {
                q.column_mut(j)
                    .mapv_inplace(|v| v / norm.max(f64::MIN_POSITIVE));
                break;
            }
            q.column_mut(j).fill(0.0);
            q[[candidate, j]] = 1.0;
            candidate += 1;
        }
    }
}

/// One Jacobi rotation zeroing `a[p][q]`, accumulated into `v`.
fn rotate(a: &mut Array2<f64>, v: &mut Array2<f64>, p: usize, q: usize) {
    let apq = a[[p, q]];
    if apq == 0.0 {
        return;
    }
    let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * apq);
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    let d = a.nrows();
    for k in 0..d {
        let (akp, akq) = (a[[k, p]], a[[k, q]]);
        a[[k, p]] = c * akp - s * akq;
        a[[k, q]] = s * akp + c * akq;
    }
    for k in 0..d {
        let (apk, aqk) = (a[[p, k]], a[[q, k]]);
        a[[p, k]] = c * apk - s * aqk;
        a[[q, k]] = s * apk + c * aqk;
    }
    for k in 0..d {
        let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
        v[[k, p]] = c * vkp - s * vkq;
        v[[k, q]] = s * vkp + c * vkq;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn finds_the_axes_of_a_known_covariance() {
        // Points on a rotated rectangle: spread 3 along (1, 1)/sqrt 2, 1 along (1, -1)/sqrt 2.
        let r = std::f64::consts::FRAC_1_SQRT_2;
        let mut rows = Vec::new();
        for &(u, w) in &[(3.0, 1.0), (3.0, -1.0), (-3.0, 1.0), (-3.0, -1.0)] {
            rows.push([r * (u + w) + 5.0, r * (u - w) - 2.0]);
        }
        let x = Array2::from(rows);
        let pa = PrincipalAxes::fit(x.view(), 2).unwrap();
        assert!((pa.variances[0] - 9.0).abs() < 1e-12 && (pa.variances[1] - 1.0).abs() < 1e-12);
        let first = pa.axes.column(0);
        assert!((first[0].abs() - r).abs() < 1e-12 && (first[0] - first[1]).abs() < 1e-12);
        assert!((pa.mean[0] - 5.0).abs() < 1e-12);
        // Projected data has the eigenvalues as variances and no correlation.
        let p = pa.project(x.view());
        let cov = p.t().dot(&p) / 4.0;
        assert!((cov[[0, 0]] - 9.0).abs() < 1e-12 && cov[[0, 1]].abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_axis_counts() {
        let x = array![[1.0, 2.0], [3.0, 5.0]];
        assert!(PrincipalAxes::fit(x.view(), 0).is_err());
        assert!(PrincipalAxes::fit(x.view(), 3).is_err());
    }

    /// Rows `z diag(spread)` with standard normal `z`, seeded.
    fn spread_data(n: usize, spread: &[f64], seed: u64) -> Array2<f64> {
        use rand_distr::{Distribution, StandardNormal};
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Array2::from_shape_fn((n, spread.len()), |(_, j)| {
            let z: f64 = StandardNormal.sample(&mut rng);
            z * spread[j]
        })
    }

    /// Each axis is a unit eigenvector of the data's covariance with its
    /// variance as eigenvalue: `||C v - lambda v|| <= tol lambda_1`, and the
    /// axes are orthonormal.
    fn assert_eigenpairs(x: &Array2<f64>, pa: &PrincipalAxes, tol: f64) {
        let centred = x - &pa.mean;
        let c = centred.t().dot(&centred) / x.nrows() as f64;
        let gram = pa.axes.t().dot(&pa.axes);
        for ((i, j), g) in gram.indexed_iter() {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((g - want).abs() < 1e-12, "axes {i}, {j}: {g}");
        }
        for (i, v) in pa.axes.columns().into_iter().enumerate() {
            let r = c.dot(&v) - &v * pa.variances[i];
            let norm = r.dot(&r).sqrt();
            assert!(norm <= tol * pa.variances[0], "axis {i}: residual {norm:e}");
        }
    }

    #[test]
    fn wide_data_by_block_iteration_agree_with_jacobi() {
        // 60 features (past EXACT_UP_TO), a decaying spectrum with a small
        // gap between the 2nd and 3rd axes.
        let spread: Vec<f64> = (0..60).map(|j| 10.0 / (1.0 + j as f64).powf(0.7)).collect();
        let x = spread_data(300, &spread, 1);
        let pa = PrincipalAxes::fit(x.view(), 2).unwrap();
        assert_eigenpairs(&x, &pa, 1e-9);
        // The slow reference: Jacobi on the whole 60 x 60 covariance.
        let centred = &x - &pa.mean;
        let (values, vectors) = eigen(centred.t().dot(&centred) / 300.0);
        for i in 0..2 {
            assert!((pa.variances[i] - values[i]).abs() <= 1e-9 * values[0]);
            let cos = pa.axes.column(i).dot(&vectors.column(i)).abs();
            assert!((cos - 1.0).abs() < 1e-9, "axis {i}: cos {cos}");
        }
    }

    #[test]
    fn a_thousand_features_recover_the_planted_axes() {
        // Two planted directions (standard deviations 10 and 5, along the
        // first two coordinates) in unit noise: d = 1000, n = 400. The
        // sample axes lean from the planted ones by the spiked-covariance
        // amount (cos^2 = (1 - g/l^2)/(1 + g/l), g = d/n, l = spike
        // variance): cos ~ 0.987 and ~0.95.
        let mut spread = vec![1.0; 1000];
        spread[0] = (100.0f64 + 1.0).sqrt();
        spread[1] = (25.0f64 + 1.0).sqrt();
        let x = spread_data(400, &spread, 2);
        let started = std::time::Instant::now();
        let pa = PrincipalAxes::fit(x.view(), 2).unwrap();
        let seconds = started.elapsed().as_secs_f64();
        assert_eigenpairs(&x, &pa, 1e-9);
        assert!(pa.axes[[0, 0]].abs() > 0.97, "{}", pa.axes[[0, 0]]);
        assert!(pa.axes[[1, 1]].abs() > 0.9, "{}", pa.axes[[1, 1]]);
        // Jacobi took minutes here; generous for a loaded debug build.
        assert!(seconds < 20.0, "{seconds} s");
    }

    #[test]
    fn fewer_rows_than_features_and_constant_data() {
        let x = spread_data(5, &[1.0; 100], 3);
        let pa = PrincipalAxes::fit(x.view(), 2).unwrap();
        assert_eigenpairs(&x, &pa, 1e-9);
        let flat = Array2::from_elem((4, 50), 3.0);
        let pa = PrincipalAxes::fit(flat.view(), 2).unwrap();
        assert_eq!(pa.variances.to_vec(), [0.0, 0.0]);
        assert_eigenpairs(&flat, &pa, 1e-12);
    }
}
