//! "Learn means only": the lecture's simplest EM. One dimension, two
//! components with weights fixed at 1/2 and variances fixed at 1; only the
//! means are updated:
//!
//! ```text
//! E-step: r_ij = N(x_i | mu_j, 1) / sum_l N(x_i | mu_l, 1)
//! M-step: mu_j = sum_i r_ij x_i / sum_i r_ij
//! ```
//!
//! The library runs it as EM with updates "m" from a start model whose
//! weights and variances are the fixed ones (the CLI recipe: `admix fit
//! --params m --init start.json`).

use admix_mixture::gmm::{Covariances, GaussianMixture, GaussianMixtureModel, Updates};
use admix_mixture::MixtureError;
use ndarray::{array, Array2};

/// Only the means move; weights and variances stay as the start gives them.
const MEANS_ONLY: Updates = Updates {
    weights: false,
    means: true,
    covariances: false,
};

/// The means the data are drawn from.
pub const TRUE_MEANS: [f64; 2] = [-1.0, 1.0];

/// The start: both means on the same side, a poor first guess.
pub const START_MEANS: [f64; 2] = [-0.5, 0.0];

/// 200 points from the equal mixture of N(-1, 1) and N(1, 1) (seeded).
pub fn data() -> Result<Array2<f64>, MixtureError> {
    Ok(start_model(TRUE_MEANS)?.sample(200, 5)?.0)
}

/// Weights 1/2, unit variances, the given means.
pub fn start_model(means: [f64; 2]) -> Result<GaussianMixtureModel, MixtureError> {
    GaussianMixtureModel::new(
        array![0.5, 0.5],
        array![[means[0]], [means[1]]],
        Covariances::Spherical(array![1.0, 1.0]),
    )
}

/// The two means after each of iterations 0 ..= `iterations` (0 is the
/// start): EM with updates "m" stopped after i iterations, which is the
/// i-th iterate.
pub fn mean_paths(x: &Array2<f64>, iterations: usize) -> Result<Vec<[f64; 2]>, MixtureError> {
    let start = start_model(START_MEANS)?;
    (0..=iterations)
        .map(|i| {
            let model = GaussianMixture::params(2)
                .warm_start(&start)
                .updates(MEANS_ONLY)
                .tol(0.0)
                .max_iter(i)
                .fit(x.view())?;
            let m = model.means();
            Ok([m[[0, 0]], m[[1, 0]]])
        })
        .collect()
}

/// The means against the iteration, one row per iteration.
pub fn render(paths: &[[f64; 2]]) -> String {
    let mut out = format!("{:>9}  {:>9}  {:>9}\n", "iteration", "mean 1", "mean 2");
    for (i, m) in paths.iter().enumerate() {
        out += &format!("{i:>9}  {:>9.5}  {:>9.5}\n", m[0], m[1]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One step of the update in the module docs, written out.
    fn naive_step(x: &[f64], mu: [f64; 2]) -> [f64; 2] {
        let mut num = [0.0; 2];
        let mut den = [0.0; 2];
        for &xi in x {
            let p = mu.map(|m| (-(xi - m) * (xi - m) / 2.0).exp());
            for j in 0..2 {
                let r = p[j] / (p[0] + p[1]);
                num[j] += r * xi;
                den[j] += r;
            }
        }
        [num[0] / den[0], num[1] / den[1]]
    }

    #[test]
    fn each_iterate_is_the_hand_written_update_and_the_means_separate() {
        let x = data().unwrap();
        let column: Vec<f64> = x.column(0).to_vec();
        let paths = mean_paths(&x, 30).unwrap();
        assert_eq!(paths[0], START_MEANS);
        for i in 0..5 {
            let want = naive_step(&column, paths[i]);
            for j in 0..2 {
                assert!(
                    (paths[i + 1][j] - want[j]).abs() < 1e-12,
                    "iteration {}",
                    i + 1
                );
            }
        }
        let last = paths[30];
        assert!((last[0] - TRUE_MEANS[0]).abs() < 0.3 && (last[1] - TRUE_MEANS[1]).abs() < 0.3);
        // Weights and variances stay fixed.
        let start = start_model(START_MEANS).unwrap();
        let fitted = GaussianMixture::params(2)
            .warm_start(&start)
            .updates(MEANS_ONLY)
            .fit(x.view())
            .unwrap();
        assert_eq!(fitted.weights(), start.weights());
        assert_eq!(fitted.covariances(), start.covariances());
    }
}
