//! Certificates: the gradient norm at EM's convergence, the observed
//! information against differences of the reverse-mode gradient, and
//! standard errors against their closed form.

mod common;

use admix_mixture::gmm::{CovarianceType, Covariances, GaussianMixture, GaussianMixtureModel};
use admix_mixture::gradient::{
    gradient_norm, observed_information, tape_log_likelihood, DataTerm, Unconstrained,
};
use admix_mixture::MixtureError;
use approx::assert_relative_eq;
use ndarray::{array, Array2, Axis};

#[test]
fn em_at_convergence_has_a_small_gradient() {
    let x = common::read_csv("faithful.csv");
    // Measured: 6.8e-7 and 6.5e-6.
    for (reg, bound) in [(0.0, 1e-5), (1e-6, 5e-5)] {
        let em = GaussianMixture::params(2)
            .reg_covar(reg)
            .tol(1e-10)
            .max_iter(10_000)
            .fit(x.view())
            .unwrap();
        assert!(em.converged());
        let norm = gradient_norm(&em, x.view()).unwrap();
        // EM converges linearly: a change of the mean log-likelihood below
        // 1e-10 leaves a gradient of order 1e-6 here; reg_covar = 1e-6 moves
        // EM's fixed point off the likelihood's maximum by about reg / variance.
        assert!(norm < bound, "reg {reg}: {norm}");
        let start = GaussianMixture::params(2)
            .reg_covar(reg)
            .max_iter(1)
            .fit(x.view())
            .unwrap();
        assert!(gradient_norm(&start, x.view()).unwrap() > 1e-3);
    }
}

#[test]
fn one_component_standard_error_of_the_mean_is_sigma_over_root_n() {
    let x = common::three_blobs(300, 9)
        .select(Axis(1), &[0, 2])
        .to_owned();
    let n = x.nrows() as f64;
    let mean = x.mean_axis(Axis(0)).unwrap();
    let centred = &x - &mean;
    // Maximum likelihood covariance (divided by n).
    let cov = centred.t().dot(&centred) / n;
    let spherical = cov.diag().sum() / 2.0;
    let means = mean.clone().insert_axis(Axis(0));
    for (c, var) in [
        (
            Covariances::Full(cov.clone().insert_axis(Axis(0))),
            [cov[[0, 0]], cov[[1, 1]]],
        ),
        (
            Covariances::Spherical(array![spherical]),
            [spherical, spherical],
        ),
        (
            Covariances::Diag(cov.diag().to_owned().insert_axis(Axis(0))),
            [cov[[0, 0]], cov[[1, 1]]],
        ),
    ] {
        let ct = c.covariance_type();
        let model = GaussianMixtureModel::new(array![1.0], means.clone(), c).unwrap();
        let info = observed_information(&model, x.view()).unwrap();
        for (se, v) in info.mean_standard_errors.iter().zip(var) {
            assert_relative_eq!(*se, (v / n).sqrt(), max_relative = 1e-9);
        }
        assert_eq!(info.weight_standard_errors.to_vec(), vec![0.0], "{ct}");
    }
}

#[test]
fn observed_information_matches_differences_of_the_reverse_gradient() {
    let x = common::read_csv("faithful.csv");
    for ct in [CovarianceType::Full, CovarianceType::Spherical] {
        let em = GaussianMixture::params(2)
            .covariance_type(ct)
            .reg_covar(0.0)
            .tol(1e-10)
            .fit(x.view())
            .unwrap();
        let info = observed_information(&em, x.view()).unwrap();
        let layout = Unconstrained::of(&em);
        let theta = layout.from_model(&em).unwrap();
        let grad = |t: &[f64]| {
            tape_log_likelihood(x.view(), &layout, t, 0.0, DataTerm::Fused)
                .unwrap()
                .1
        };
        // The information drops the last logit (index 1 for k = 2).
        let keep: Vec<usize> = (0..theta.len()).filter(|&i| i != 1).collect();
        let n = x.nrows() as f64;
        for (b, &j) in keep.iter().enumerate() {
            let h = 1e-5 * theta[j].abs().max(1.0);
            let (mut up, mut down) = (theta.clone(), theta.clone());
            up[j] += h;
            down[j] -= h;
            let (gu, gd) = (grad(&up), grad(&down));
            for (a, &i) in keep.iter().enumerate() {
                let fd = -n * (gu[i] - gd[i]) / (2.0 * h);
                let exact = info.information[[a, b]];
                let scale =
                    info.information[[a, a]].abs().sqrt() * info.information[[b, b]].abs().sqrt();
                assert!(
                    (fd - exact).abs() < 1e-5 * scale.max(1.0),
                    "{ct} ({a}, {b}): differences {fd} vs exact {exact}"
                );
            }
        }
        // Standard errors are positive and the covariance inverts the information.
        assert!(info
            .weight_standard_errors
            .iter()
            .all(|s| *s > 0.0 && s.is_finite()));
        assert!(info
            .mean_standard_errors
            .iter()
            .all(|s| *s > 0.0 && s.is_finite()));
        let id = info.information.dot(&info.covariance);
        for ((a, b), v) in id.indexed_iter() {
            let want = if a == b { 1.0 } else { 0.0 };
            assert!((v - want).abs() < 1e-8, "{ct}: I cov [{a}, {b}] = {v}");
        }
    }
}

#[test]
fn duplicated_components_have_no_standard_errors() {
    let x = common::read_csv("faithful.csv");
    let n = x.nrows() as f64;
    let mean = x.mean_axis(Axis(0)).unwrap();
    let centred = &x - &mean;
    let cov = centred.t().dot(&centred) / n;
    let means = ndarray::stack(Axis(0), &[mean.view(), mean.view()]).unwrap();
    let covs = ndarray::stack(Axis(0), &[cov.view(), cov.view()]).unwrap();
    let model =
        GaussianMixtureModel::new(array![0.5, 0.5], means, Covariances::Full(covs)).unwrap();
    // The weights do not change the likelihood: the information is singular.
    assert_eq!(
        observed_information(&model, x.view()),
        Err(MixtureError::InformationNotPositiveDefinite)
    );
    let huge = Array2::<f64>::zeros((1_000_000, 2));
    assert!(matches!(
        observed_information(&model, huge.view()),
        Err(MixtureError::InvalidHyperparameter {
            name: "n_samples",
            ..
        })
    ));
    let bad: Array2<f64> = Array2::zeros((3, 3));
    assert!(matches!(
        observed_information(&model, bad.view()),
        Err(MixtureError::DimensionMismatch { .. })
    ));
}
