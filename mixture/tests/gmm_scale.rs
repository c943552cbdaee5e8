//! Fits on data far from unit scale: results scale exactly while the squares
//! of the data fit in f64, a typed error names the problem when they do not,
//! and no NaN ever comes out.

mod common;

use admix_mixture::gmm::{CovarianceType, Covariances, GaussianMixture, GmmInit};
use admix_mixture::gradient::Method;
use admix_mixture::kmeans::{Algorithm, KMeans};
use admix_mixture::MixtureError;
use approx::assert_relative_eq;
use common::*;
use ndarray::{array, s, Array2, Axis};

const INITS: [GmmInit; 4] = [
    GmmInit::KMeans,
    GmmInit::KMeansPlusPlus,
    GmmInit::Random,
    GmmInit::RandomFromData,
];

/// At 1e+-150 every square is a normal number: a fit of `s x` with
/// `reg_covar` scaled by s^2 has means `s` times, covariances `s^2` times
/// and the score `d ln s` below those of the fit of `x`, for every type and
/// initialisation (measured: 1e-16 relative for means, 1.4e-14 for
/// covariances).
#[test]
fn fits_scale_exactly_while_squares_are_normal_numbers() {
    let x = three_blobs(300, 3);
    for ctype in ALL_TYPES {
        for init in INITS {
            let fit = |data: &Array2<f64>, reg: f64| {
                GaussianMixture::params(3)
                    .covariance_type(ctype)
                    .init(init)
                    .reg_covar(reg)
                    .seed(1)
                    .fit(data.view())
                    .unwrap()
            };
            let base = fit(&x, 1e-6);
            for scale in [1e150, 1e-150] {
                let xs = &x * scale;
                let model = fit(&xs, 1e-6 * scale * scale);
                let label = format!("{ctype} {init:?} scale {scale:e}");
                let means = model.means() / scale;
                let covs = &model.covariances().view() / (scale * scale);
                let diffs = [
                    max_rel_diff(
                        model.weights().view().into_dyn(),
                        base.weights().view().into_dyn(),
                    ),
                    max_rel_diff(means.view().into_dyn(), base.means().view().into_dyn()),
                    max_rel_diff(covs.view(), base.covariances().view()),
                ];
                assert!(diffs.iter().all(|v| *v < 1e-11), "{label}: {diffs:?}");
                let shifted = model.score(xs.view()).unwrap() + 3.0 * scale.ln();
                assert_relative_eq!(shifted, base.score(x.view()).unwrap(), max_relative = 1e-11);
            }
        }
    }
}

/// Scales whose squares overflow (1e200; 1e153, where only the sums over
/// the samples do) or underflow (1e-200; subnormal data at 1e-310) are
/// refused by EM with every type and initialisation, and by K-means, with
/// the typed error that says to rescale, whatever `reg_covar` is. Before,
/// K-means at 1e-200 silently put every sample in one cluster and EM with a
/// random start reported a collapsed component at 1e200.
#[test]
fn scales_whose_squares_do_not_fit_are_refused_with_a_scale_error() {
    let x = three_blobs(300, 3);
    for scale in [1e200, 1e153, 1e-200, 1e-310] {
        let xs = &x * scale;
        let is_scale_error = |r: Result<(), MixtureError>| match r {
            Err(e @ MixtureError::DataScale { .. }) => e.to_string().contains("rescale the data"),
            _ => false,
        };
        for ctype in ALL_TYPES {
            for init in INITS {
                for reg in [1e-6, 0.0] {
                    let r = GaussianMixture::params(3)
                        .covariance_type(ctype)
                        .init(init)
                        .reg_covar(reg)
                        .fit(xs.view());
                    let label = format!("{ctype} {init:?} reg {reg} scale {scale:e}");
                    assert!(is_scale_error(r.clone().map(|_| ())), "{label}: {r:?}");
                }
            }
        }
        let r = KMeans::params(3).fit(xs.view());
        assert!(is_scale_error(r.map(|_| ())), "K-means at {scale:e}");
        let r = KMeans::params(3)
            .algorithm(Algorithm::MiniBatch {
                batch_size: 64,
                steps_per_iteration: 5,
            })
            .fit(xs.view());
        assert!(
            is_scale_error(r.map(|_| ())),
            "mini-batch K-means at {scale:e}"
        );
        let gradient = GaussianMixture::params(3)
            .gradient(Method::Lbfgs)
            .check()
            .unwrap();
        let r = gradient.fit(xs.view());
        assert!(is_scale_error(r.map(|_| ())), "L-BFGS at {scale:e}");
        // From a given start, which skips EM's initialisation and its checks.
        let start = GaussianMixture::params(3).fit(x.view()).unwrap();
        let r = gradient.fit_from(xs.view(), &start);
        assert!(
            is_scale_error(r.map(|_| ())),
            "L-BFGS from a start at {scale:e}"
        );
    }
    // Values whose column sums overflow too.
    let huge = array![[1e307, 0.0], [1.5e308, 1.0], [-1e308, 2.0]];
    assert!(matches!(
        GaussianMixture::params(1).fit(huge.view()),
        Err(MixtureError::DataScale { .. })
    ));
}

/// A column of subnormal values (its variance underflows to 0) next to
/// ordinary columns: each component's variance there is `reg_covar`, which
/// multiplies every density by the same factor, so the rest of the fit is
/// the fit without the column and the score moves by that factor's log
/// (not for spherical covariances, which average the new column in).
#[test]
fn a_column_of_subnormal_values_changes_nothing_else() {
    let x = three_blobs(300, 3);
    let tiny = Array2::from_shape_fn((300, 1), |(i, _)| (i % 7) as f64 * 1e-310);
    let wide = ndarray::concatenate(Axis(1), &[x.view(), tiny.view()]).unwrap();
    let reg = 1e-6;
    let factor = -0.5 * (2.0 * std::f64::consts::PI * reg).ln();
    for ctype in [
        CovarianceType::Full,
        CovarianceType::Tied,
        CovarianceType::Diag,
    ] {
        let fit = |data: &Array2<f64>| {
            GaussianMixture::params(3)
                .covariance_type(ctype)
                .reg_covar(reg)
                .seed(2)
                .fit(data.view())
                .unwrap()
        };
        let (base, model) = (fit(&x), fit(&wide));
        let label = format!("{ctype}");
        assert!(
            max_rel_diff(
                model.weights().view().into_dyn(),
                base.weights().view().into_dyn()
            ) < 1e-10,
            "{label}"
        );
        assert!(
            max_rel_diff(
                model.means().slice(s![.., ..3]).into_dyn(),
                base.means().view().into_dyn()
            ) < 1e-10,
            "{label}"
        );
        let full = as_full(model.covariances(), 3, 4);
        let base_full = as_full(base.covariances(), 3, 3);
        for j in 0..3 {
            for a in 0..3 {
                for b in 0..3 {
                    assert_relative_eq!(
                        full[j][a][b],
                        base_full[j][a][b],
                        max_relative = 1e-10,
                        epsilon = 1e-12
                    );
                }
                assert!(full[j][a][3].abs() < 1e-300, "{label}");
            }
            assert_relative_eq!(full[j][3][3], reg, max_relative = 1e-12);
        }
        let score = model.score(wide.view()).unwrap();
        assert!(score.is_finite(), "{label}");
        assert_relative_eq!(
            score,
            base.score(x.view()).unwrap() + factor,
            max_relative = 1e-10
        );
    }
}

/// A diagonal or spherical variance so small that its precision overflows
/// (subnormal) is refused when the model is built. Before, the model was
/// accepted, its E-step made NaN (0 times an infinite precision) which the
/// log-sum-exp silently dropped (at that component's own mean the score
/// ignored it), and EM on data at 1e-155 stopped with `InvalidWeights { sum:
/// NaN }`.
#[test]
fn a_subnormal_variance_is_refused_not_turned_into_nan() {
    let means = array![[0.0, 0.0], [1.0, 1.0]];
    for c in [
        Covariances::Diag(array![[1.0, 1.0], [1.0, 1e-310]]),
        Covariances::Spherical(array![1.0, 1e-310]),
    ] {
        let ctype = c.covariance_type();
        let r = admix_mixture::gmm::GaussianMixtureModel::new(array![0.5, 0.5], means.clone(), c);
        assert_eq!(
            r.map(|_| ()),
            Err(MixtureError::NotPositiveDefinite { component: 1 }),
            "{ctype}"
        );
    }
    // The smallest normal variance has a finite precision and no NaN density.
    let v = f64::MIN_POSITIVE;
    for c in [
        Covariances::Diag(array![[1.0, 1.0], [1.0, v]]),
        Covariances::Spherical(array![1.0, v]),
    ] {
        let ctype = c.covariance_type();
        let model =
            admix_mixture::gmm::GaussianMixtureModel::new(array![0.5, 0.5], means.clone(), c)
                .unwrap();
        let lp = model
            .score_samples(array![[0.5, 0.5], [1.0, 1.0]].view())
            .unwrap();
        assert!(lp.iter().all(|v| !v.is_nan()), "{ctype}: {lp}");
    }
}
