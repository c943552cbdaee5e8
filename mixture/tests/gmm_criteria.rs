//! Information criteria against their closed form from a log-likelihood
//! computed in the test, and the observed information of tied and diagonal
//! models against second differences of that log-likelihood.

mod common;

use admix_mixture::gmm::{CovarianceType, GaussianMixture, GaussianMixtureModel};
use admix_mixture::gradient::{observed_information, Unconstrained};
use approx::assert_relative_eq;
use common::*;
use ndarray::Array2;

/// Total log-likelihood of `x` under `model`, straight from the formula.
fn naive_log_likelihood(model: &GaussianMixtureModel, x: &Array2<f64>) -> f64 {
    let (k, d) = (model.n_components(), model.n_features());
    let full = as_full(model.covariances(), k, d);
    x.outer_iter()
        .map(|row| {
            let xi = row.to_vec();
            let logs: Vec<f64> = (0..k)
                .map(|j| {
                    model.weights()[j].ln()
                        + log_gaussian(&xi, &model.means().row(j).to_vec(), &full[j])
                })
                .collect();
            let top = logs.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            top + logs.iter().map(|l| (l - top).exp()).sum::<f64>().ln()
        })
        .sum()
}

/// Free parameters counted by hand for k = 3, d = 3: 2 weights, 9 means, and
/// 3 x 6 (full), 6 (tied), 3 x 3 (diag) or 3 (spherical) covariance entries.
/// Then `aic = -2 ln L + 2 p` and `bic = -2 ln L + p ln n` (Akaike 1974;
/// Schwarz 1978), with `ln L` from the formula.
#[test]
fn aic_and_bic_are_their_closed_forms() {
    let x = three_blobs(400, 6);
    let n = x.nrows() as f64;
    for (ctype, p) in [
        (CovarianceType::Full, 29),
        (CovarianceType::Tied, 17),
        (CovarianceType::Diag, 20),
        (CovarianceType::Spherical, 14),
    ] {
        let model = GaussianMixture::params(3)
            .covariance_type(ctype)
            .seed(3)
            .fit(x.view())
            .unwrap();
        assert_eq!(model.n_parameters(), p, "{ctype}");
        let log_l = naive_log_likelihood(&model, &x);
        let p = p as f64;
        assert_relative_eq!(
            model.aic(x.view()).unwrap(),
            -2.0 * log_l + 2.0 * p,
            max_relative = 1e-12
        );
        assert_relative_eq!(
            model.bic(x.view()).unwrap(),
            -2.0 * log_l + p * n.ln(),
            max_relative = 1e-12
        );
    }
}

/// The observed information `-d^2 ln L / dtheta^2` (without the last logit)
/// of EM's tied and diagonal fits of Old Faithful, against central second
/// differences of the formula's log-likelihood in the same unconstrained
/// coordinates (`Unconstrained::to_model` only maps the vector to a model).
/// Steps of 1e-4 relative leave the rounding of a sum near -1100 over h^2
/// and an h^2 truncation: measured at most 1.4e-6 of the geometric mean of
/// the two diagonal entries, and the bound is 1e-5 of it (deterministic
/// data, so the margin holds).
#[test]
fn observed_information_of_tied_and_diag_matches_second_differences() {
    let x = read_csv("faithful.csv");
    for ctype in [CovarianceType::Tied, CovarianceType::Diag] {
        let em = GaussianMixture::params(2)
            .covariance_type(ctype)
            .reg_covar(0.0)
            .tol(1e-10)
            .fit(x.view())
            .unwrap();
        let info = observed_information(&em, x.view()).unwrap();
        let layout = Unconstrained::of(&em);
        let theta = layout.from_model(&em).unwrap();
        let log_l = |t: &[f64]| naive_log_likelihood(&layout.to_model(t).unwrap(), &x);
        // The information drops the last logit (index k - 1 = 1).
        let keep: Vec<usize> = (0..theta.len()).filter(|&i| i != 1).collect();
        assert_eq!(info.information.dim(), (keep.len(), keep.len()));
        let step = |i: usize| 1e-4 * theta[i].abs().max(1.0);
        let shifted = |moves: &[(usize, f64)]| {
            let mut t = theta.clone();
            for &(i, by) in moves {
                t[i] += by;
            }
            log_l(&t)
        };
        for (a, &i) in keep.iter().enumerate() {
            for (b, &j) in keep.iter().enumerate().skip(a) {
                let (hi, hj) = (step(i), step(j));
                let second = if i == j {
                    (shifted(&[(i, hi)]) - 2.0 * log_l(&theta) + shifted(&[(i, -hi)])) / (hi * hi)
                } else {
                    (shifted(&[(i, hi), (j, hj)])
                        - shifted(&[(i, hi), (j, -hj)])
                        - shifted(&[(i, -hi), (j, hj)])
                        + shifted(&[(i, -hi), (j, -hj)]))
                        / (4.0 * hi * hj)
                };
                let exact = info.information[[a, b]];
                let scale =
                    (info.information[[a, a]].abs() * info.information[[b, b]].abs()).sqrt();
                assert!(
                    (-second - exact).abs() < 1e-5 * scale.max(1.0),
                    "{ctype} ({a}, {b}): differences {} vs exact {exact}",
                    -second
                );
                assert_relative_eq!(exact, info.information[[b, a]], max_relative = 1e-12);
            }
        }
    }
}
