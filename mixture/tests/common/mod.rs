//! Shared helpers of the mixture tests: seeded data, the real data sets, and a
//! slow, obviously correct EM written with loops (the reference).
#![allow(dead_code, clippy::needless_range_loop)]

use admix_mixture::gmm::{CovarianceType, Covariances};
use ndarray::{Array1, Array2, Array3};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Means of the three components of [`three_blobs`].
pub const THREE_BLOBS_MEANS: [[f64; 3]; 3] = [[0.0, 0.0, 0.0], [6.0, 1.0, -2.0], [-3.0, 7.0, 4.0]];

/// Lower Cholesky factors of the covariances of [`three_blobs`].
pub const THREE_BLOBS_FACTORS: [[[f64; 3]; 3]; 3] = [
    [[1.0, 0.0, 0.0], [0.5, 0.8, 0.0], [0.2, -0.3, 0.6]],
    [[0.7, 0.0, 0.0], [-0.2, 1.2, 0.0], [0.0, 0.4, 0.5]],
    [[1.3, 0.0, 0.0], [0.0, 0.6, 0.0], [0.6, 0.1, 0.9]],
];

/// Samples from three well-separated, correlated 3-D Gaussians with weights
/// 0.5, 0.3, 0.2.
pub fn three_blobs(n: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Array2::zeros((n, 3));
    for i in 0..n {
        let j = match i % 10 {
            0..=4 => 0,
            5..=7 => 1,
            _ => 2,
        };
        let z: Vec<f64> = (0..3).map(|_| StandardNormal.sample(&mut rng)).collect();
        for a in 0..3 {
            let lz: f64 = (0..3).map(|b| THREE_BLOBS_FACTORS[j][a][b] * z[b]).sum();
            x[[i, a]] = THREE_BLOBS_MEANS[j][a] + lz;
        }
    }
    x
}

/// The parameters [`three_blobs`] samples from: weights, means and full
/// covariances `L L^T`.
pub fn three_blobs_truth() -> (Array1<f64>, Array2<f64>, Covariances) {
    let f = &THREE_BLOBS_FACTORS;
    let w = Array1::from(vec![0.5, 0.3, 0.2]);
    let m = Array2::from_shape_fn((3, 3), |(j, a)| THREE_BLOBS_MEANS[j][a]);
    let c = Array3::from_shape_fn((3, 3, 3), |(j, a, b)| {
        (0..3).map(|p| f[j][a][p] * f[j][b][p]).sum()
    });
    (w, m, Covariances::Full(c))
}

/// Reads a numeric CSV from the repository's data folder, dropping non-numeric columns.
pub fn read_csv(name: &str) -> Array2<f64> {
    let path = format!("{}/../data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("data file");
    let mut rows = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let row: Vec<f64> = line
            .split(',')
            .filter_map(|f| f.trim().parse().ok())
            .collect();
        rows.push(row);
    }
    let d = rows[0].len();
    Array2::from_shape_vec((rows.len(), d), rows.into_iter().flatten().collect()).unwrap()
}

/// Full `d x d` covariance matrices of any covariance type, as nested vectors.
pub fn as_full(c: &Covariances, k: usize, d: usize) -> Vec<Vec<Vec<f64>>> {
    (0..k)
        .map(|j| c.component(j, d).outer_iter().map(|r| r.to_vec()).collect())
        .collect()
}

/// Determinant and inverse by Gauss-Jordan elimination with partial pivoting.
pub fn det_and_inverse(m: &[Vec<f64>]) -> (f64, Vec<Vec<f64>>) {
    let d = m.len();
    let mut a: Vec<Vec<f64>> = m.to_vec();
    let mut inv: Vec<Vec<f64>> = (0..d)
        .map(|i| (0..d).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let mut det = 1.0;
    for col in 0..d {
        let pivot = (col..d)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        if pivot != col {
            a.swap(pivot, col);
            inv.swap(pivot, col);
            det = -det;
        }
        let p = a[col][col];
        det *= p;
        for j in 0..d {
            a[col][j] /= p;
            inv[col][j] /= p;
        }
        for i in 0..d {
            if i != col {
                let f = a[i][col];
                for j in 0..d {
                    a[i][j] -= f * a[col][j];
                    inv[i][j] -= f * inv[col][j];
                }
            }
        }
    }
    (det, inv)
}

/// log N(x | mu, C) straight from the formula.
pub fn log_gaussian(x: &[f64], mu: &[f64], cov: &[Vec<f64>]) -> f64 {
    let d = x.len();
    let (det, inv) = det_and_inverse(cov);
    let mut q = 0.0;
    for a in 0..d {
        for b in 0..d {
            q += (x[a] - mu[a]) * inv[a][b] * (x[b] - mu[b]);
        }
    }
    -0.5 * (d as f64 * (2.0 * std::f64::consts::PI).ln() + det.ln() + q)
}

/// Parameters of one EM iteration computed with loops: E-step on the given
/// parameters, then M-step as scikit-learn defines it (weights nk / sum nk with
/// nk = sum of responsibilities + 10 eps; covariances around the new means plus
/// reg_covar on the diagonal; tied pools the scatter, diag keeps the diagonal,
/// spherical averages it). Also returns the mean log-likelihood of the E-step.
pub fn naive_em_step(
    x: &Array2<f64>,
    weights: &Array1<f64>,
    means: &Array2<f64>,
    cov: &Covariances,
    ctype: CovarianceType,
    reg: f64,
) -> (Array1<f64>, Array2<f64>, Covariances, f64) {
    naive_em_step_with(x, None, weights, means, cov, ctype, reg, "wmc")
}

/// [`naive_em_step`] with a weight per sample (each sample's
/// responsibilities and log-likelihood count that many times) and an update
/// mask, a subset of "wmc": a parameter not in it keeps its value, and the
/// covariances are taken around the means of the new model (the old ones
/// when "m" is not in the mask).
#[allow(clippy::too_many_arguments)]
pub fn naive_em_step_with(
    x: &Array2<f64>,
    sample_weight: Option<&[f64]>,
    weights: &Array1<f64>,
    means: &Array2<f64>,
    cov: &Covariances,
    ctype: CovarianceType,
    reg: f64,
    updates: &str,
) -> (Array1<f64>, Array2<f64>, Covariances, f64) {
    let (n, d) = x.dim();
    let k = weights.len();
    let s = |i: usize| sample_weight.map_or(1.0, |s| s[i]);
    let full = as_full(cov, k, d);
    // One determinant and inverse per component, not per sample.
    let inverses: Vec<(f64, Vec<Vec<f64>>)> = full.iter().map(|c| det_and_inverse(c)).collect();
    let log_density = |xi: &[f64], j: usize| {
        let (det, inv) = &inverses[j];
        let mut q = 0.0;
        for a in 0..d {
            for b in 0..d {
                q += (xi[a] - means[[j, a]]) * inv[a][b] * (xi[b] - means[[j, b]]);
            }
        }
        -0.5 * (d as f64 * (2.0 * std::f64::consts::PI).ln() + det.ln() + q)
    };
    let mut resp = vec![vec![0.0; k]; n];
    let mut ll = 0.0;
    for i in 0..n {
        let xi: Vec<f64> = x.row(i).to_vec();
        let logs: Vec<f64> = (0..k)
            .map(|j| weights[j].ln() + log_density(&xi, j))
            .collect();
        let top = logs.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let total: f64 = logs.iter().map(|l| (l - top).exp()).sum();
        ll += s(i) * (top + total.ln());
        for j in 0..k {
            resp[i][j] = s(i) * (logs[j] - top).exp() / total;
        }
    }
    let nk: Vec<f64> = (0..k)
        .map(|j| (0..n).map(|i| resp[i][j]).sum::<f64>() + 10.0 * f64::EPSILON)
        .collect();
    let sum_nk: f64 = nk.iter().sum();
    let new_w = if updates.contains('w') {
        Array1::from_shape_fn(k, |j| nk[j] / sum_nk)
    } else {
        weights.clone()
    };
    let new_m = if updates.contains('m') {
        Array2::from_shape_fn((k, d), |(j, a)| {
            (0..n).map(|i| resp[i][j] * x[[i, a]]).sum::<f64>() / nk[j]
        })
    } else {
        means.clone()
    };
    let scatter = |j: usize, a: usize, b: usize| -> f64 {
        (0..n)
            .map(|i| resp[i][j] * (x[[i, a]] - new_m[[j, a]]) * (x[[i, b]] - new_m[[j, b]]))
            .sum()
    };
    let new_c = match ctype {
        _ if !updates.contains('c') => cov.clone(),
        CovarianceType::Full => Covariances::Full(Array3::from_shape_fn((k, d, d), |(j, a, b)| {
            scatter(j, a, b) / nk[j] + if a == b { reg } else { 0.0 }
        })),
        CovarianceType::Tied => Covariances::Tied(Array2::from_shape_fn((d, d), |(a, b)| {
            (0..k).map(|j| scatter(j, a, b)).sum::<f64>() / sum_nk + if a == b { reg } else { 0.0 }
        })),
        CovarianceType::Diag => Covariances::Diag(Array2::from_shape_fn((k, d), |(j, a)| {
            scatter(j, a, a) / nk[j] + reg
        })),
        CovarianceType::Spherical => Covariances::Spherical(Array1::from_shape_fn(k, |j| {
            (0..d).map(|a| scatter(j, a, a) / nk[j] + reg).sum::<f64>() / d as f64
        })),
    };
    let total_weight: f64 = (0..n).map(s).sum();
    (new_w, new_m, new_c, ll / total_weight)
}

/// Starting parameters of the given covariance type for `three_blobs`, deliberately off.
pub fn rough_start(ctype: CovarianceType) -> (Array1<f64>, Array2<f64>, Covariances) {
    let w = Array1::from(vec![0.4, 0.35, 0.25]);
    let m = ndarray::array![[0.5, -0.5, 0.3], [5.0, 2.0, -1.0], [-2.0, 6.0, 3.0]];
    let c = match ctype {
        CovarianceType::Full => Covariances::Full(Array3::from_shape_fn((3, 3, 3), |(j, a, b)| {
            if a == b {
                1.0 + 0.5 * j as f64
            } else {
                0.2
            }
        })),
        CovarianceType::Tied => Covariances::Tied(ndarray::array![
            [1.5, 0.3, 0.0],
            [0.3, 1.0, 0.1],
            [0.0, 0.1, 2.0]
        ]),
        CovarianceType::Diag => Covariances::Diag(Array2::from_shape_fn((3, 3), |(j, a)| {
            0.8 + 0.3 * (j + a) as f64
        })),
        CovarianceType::Spherical => Covariances::Spherical(Array1::from(vec![1.0, 2.0, 0.7])),
    };
    (w, m, c)
}

pub const ALL_TYPES: [CovarianceType; 4] = [
    CovarianceType::Full,
    CovarianceType::Tied,
    CovarianceType::Diag,
    CovarianceType::Spherical,
];

/// Largest relative difference between two arrays, relative to the largest magnitude of `b`.
pub fn max_rel_diff(a: ndarray::ArrayViewD<f64>, b: ndarray::ArrayViewD<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    let scale = b.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    a.iter()
        .zip(b.iter())
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs() / scale))
}
