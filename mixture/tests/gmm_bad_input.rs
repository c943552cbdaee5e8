//! Bad input to Gaussian mixtures gives typed errors, never a panic or NaN.

mod common;

use admix_mixture::gmm::{
    CovarianceType, Covariances, GaussianMixture, GaussianMixtureModel, Updates,
};
use admix_mixture::MixtureError;
use common::*;
use ndarray::{array, Array1, Array2};

/// An M-step that would update nothing.
const NO_UPDATES: Updates = Updates {
    weights: false,
    means: false,
    covariances: false,
};

fn fit_err(params: admix_mixture::gmm::GmmParams, x: &Array2<f64>) -> MixtureError {
    params.fit(x.view()).unwrap_err()
}

#[test]
fn non_finite_data_names_row_and_column() {
    let mut x = three_blobs(30, 1);
    x[[7, 2]] = f64::NAN;
    match fit_err(GaussianMixture::params(2), &x) {
        MixtureError::NonFiniteData {
            row: 7, column: 2, ..
        } => {}
        e => panic!("{e:?}"),
    }
    x[[7, 2]] = 0.0;
    x[[3, 1]] = f64::NEG_INFINITY;
    match fit_err(GaussianMixture::params(2), &x) {
        MixtureError::NonFiniteData {
            row: 3, column: 1, ..
        } => {}
        e => panic!("{e:?}"),
    }
    let model = GaussianMixture::params(2)
        .fit(three_blobs(30, 1).view())
        .unwrap();
    assert!(matches!(
        model.predict(x.view()),
        Err(MixtureError::NonFiniteData {
            row: 3,
            column: 1,
            ..
        })
    ));
}

/// `statistics` does not scan the data before its pass: a non-finite value
/// anywhere (NaN, +inf, -inf; f64 or f32; every covariance type; also in a
/// row of weight 0, and past the first task of rows) must still come back
/// as the typed error naming it, never as statistics.
#[test]
fn statistics_name_a_non_finite_entry_without_an_up_front_scan() {
    let x = three_blobs(5000, 2);
    for ctype in [
        CovarianceType::Full,
        CovarianceType::Tied,
        CovarianceType::Diag,
        CovarianceType::Spherical,
    ] {
        let model = GaussianMixture::params(3)
            .covariance_type(ctype)
            .max_iter(5)
            .fit(x.view())
            .unwrap();
        for (row, column) in [(17, 1), (4500, 2)] {
            for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                let mut bad = x.clone();
                bad[[row, column]] = value;
                let bad32 = bad.mapv(|v| v as f32);
                let mut weights = Array1::ones(x.nrows());
                weights[row] = 0.0;
                for w in [None, Some(weights.view())] {
                    for got in [
                        model.statistics(bad.view(), w),
                        model.statistics(bad32.view(), w),
                    ] {
                        match got {
                            Err(MixtureError::NonFiniteData {
                                row: r, column: c, ..
                            }) if (r, c) == (row, column) => {}
                            other => panic!("{ctype} {value} {}: {other:?}", w.is_some()),
                        }
                    }
                }
            }
        }
        assert!(model.statistics(x.view(), None).is_ok());
    }
}

#[test]
fn too_few_or_empty_samples() {
    let x = three_blobs(3, 1);
    assert!(matches!(
        fit_err(GaussianMixture::params(4), &x),
        MixtureError::TooFewSamples { .. }
    ));
    assert!(matches!(
        fit_err(GaussianMixture::params(1), &Array2::zeros((0, 3))),
        MixtureError::EmptyData { .. }
    ));
    assert!(matches!(
        fit_err(GaussianMixture::params(1), &Array2::zeros((5, 0))),
        MixtureError::EmptyData { .. }
    ));
}

#[test]
fn dimension_mismatch_at_predict_and_score() {
    let model = GaussianMixture::params(2)
        .fit(three_blobs(40, 1).view())
        .unwrap();
    let x = Array2::<f64>::zeros((4, 2));
    let mismatch = |r: Result<(), MixtureError>| {
        assert_eq!(
            r.unwrap_err(),
            MixtureError::DimensionMismatch {
                expected: 3,
                got: 2
            }
        );
    };
    mismatch(model.predict(x.view()).map(drop));
    mismatch(model.predict_proba(x.view()).map(drop));
    mismatch(model.score(x.view()).map(drop));
    mismatch(model.score_samples(x.view()).map(drop));
    mismatch(model.bic(x.view()).map(drop));
}

#[test]
fn constant_or_duplicated_data() {
    let constant = Array2::from_elem((20, 2), 3.0);
    assert!(matches!(
        fit_err(GaussianMixture::params(2), &constant),
        MixtureError::TooFewDistinctSamples {
            n_distinct: 1,
            n_components: 2
        }
    ));
    assert!(matches!(
        fit_err(GaussianMixture::params(1).reg_covar(0.0), &constant),
        MixtureError::NotPositiveDefinite { .. }
    ));
    // With the default reg_covar one component fits constant data.
    let model = GaussianMixture::params(1).fit(constant.view()).unwrap();
    assert!(model.score(constant.view()).unwrap().is_finite());
    let three_rows = array![[0.0, 1.0], [2.0, 2.0], [5.0, 1.0]];
    let duplicated = ndarray::concatenate![ndarray::Axis(0), three_rows, three_rows, three_rows];
    assert!(matches!(
        fit_err(GaussianMixture::params(4), &duplicated),
        MixtureError::TooFewDistinctSamples { n_distinct: 3, .. }
    ));
}

#[test]
fn bad_hyperparameters_name_the_valid_range() {
    let x = three_blobs(30, 1);
    let cases = [
        (GaussianMixture::params(0), "n_components"),
        (GaussianMixture::params(2).tol(-1.0), "tol"),
        (GaussianMixture::params(2).tol(f64::NAN), "tol"),
        (GaussianMixture::params(2).reg_covar(-1e-6), "reg_covar"),
        (
            GaussianMixture::params(2).reg_covar(f64::INFINITY),
            "reg_covar",
        ),
        (GaussianMixture::params(2).n_init(0), "n_init"),
        (GaussianMixture::params(2).task_rows(0), "task_rows"),
        (GaussianMixture::params(2).updates(NO_UPDATES), "updates"),
    ];
    for bad in ["", "wx", "ww"] {
        match bad.parse::<Updates>() {
            Err(e @ MixtureError::InvalidHyperparameter { .. }) => {
                assert!(e.to_string().contains("updates"), "{e}");
                assert!(e.to_string().contains("must be"), "{e}");
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    for (params, name) in cases {
        match params.check() {
            Err(e @ MixtureError::InvalidHyperparameter { .. }) => {
                assert!(e.to_string().contains(name), "{e}");
                assert!(e.to_string().contains("must be"), "{e}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // fit checks first too.
    assert!(matches!(
        fit_err(GaussianMixture::params(2).tol(-1.0), &x),
        MixtureError::InvalidHyperparameter { .. }
    ));
}

#[test]
fn bad_given_parameters() {
    let x = three_blobs(30, 1);
    assert!(matches!(
        GaussianMixture::params(2)
            .weights_init(array![0.5, 0.6])
            .check(),
        Err(MixtureError::InvalidWeights { .. })
    ));
    assert!(matches!(
        GaussianMixture::params(2)
            .weights_init(array![1.5, -0.5])
            .check(),
        Err(MixtureError::InvalidWeights { .. })
    ));
    assert!(matches!(
        GaussianMixture::params(2).weights_init(array![1.0]).check(),
        Err(MixtureError::ShapeMismatch {
            what: "weights_init",
            ..
        })
    ));
    assert!(matches!(
        GaussianMixture::params(2)
            .means_init(Array2::zeros((3, 3)))
            .check(),
        Err(MixtureError::ShapeMismatch {
            what: "means_init",
            ..
        })
    ));
    assert!(matches!(
        GaussianMixture::params(2)
            .means_init(array![[0.0, f64::NAN, 0.0], [1.0, 1.0, 1.0]])
            .check(),
        Err(MixtureError::NonFiniteData {
            row: 0,
            column: 1,
            ..
        })
    ));
    let indefinite = Covariances::Tied(array![[1.0, 2.0], [2.0, 1.0]]);
    assert!(matches!(
        GaussianMixture::params(2)
            .covariance_type(CovarianceType::Tied)
            .covariances_init(indefinite)
            .check(),
        Err(MixtureError::NotPositiveDefinite { .. })
    ));
    // Positive definite but asymmetric: the advice is to symmetrise, not
    // to regularise.
    let asymmetric = Covariances::Tied(array![[1.0, 0.5], [0.0, 1.0]]);
    assert_eq!(
        GaussianMixture::params(2)
            .covariance_type(CovarianceType::Tied)
            .covariances_init(asymmetric)
            .check()
            .unwrap_err(),
        MixtureError::AsymmetricCovariance {
            component: 0,
            row: 1,
            column: 0
        }
    );
    assert!(matches!(
        GaussianMixture::params(2)
            .covariance_type(CovarianceType::Diag)
            .covariances_init(Covariances::Diag(array![[1.0, 1.0, -1.0], [1.0, 1.0, 1.0]]))
            .check(),
        Err(MixtureError::NotPositiveDefinite { component: 0 })
    ));
    assert!(matches!(
        GaussianMixture::params(2)
            .covariances_init(Covariances::Spherical(array![1.0, 1.0]))
            .check(),
        Err(MixtureError::InvalidHyperparameter {
            name: "covariances_init",
            ..
        })
    ));
    // Given means with 2 features for 3-feature data.
    assert!(matches!(
        fit_err(
            GaussianMixture::params(2).means_init(Array2::zeros((2, 2))),
            &x
        ),
        MixtureError::DimensionMismatch {
            expected: 2,
            got: 3
        }
    ));
    assert!(matches!(
        GaussianMixtureModel::new(
            array![0.3, 0.3],
            Array2::zeros((2, 1)),
            Covariances::Spherical(array![1.0, 1.0])
        ),
        Err(MixtureError::InvalidWeights { .. })
    ));
    assert!(matches!(
        GaussianMixtureModel::new(
            array![0.5, 0.5],
            Array2::zeros((2, 1)),
            Covariances::Spherical(array![1.0, 0.0])
        ),
        Err(MixtureError::NotPositiveDefinite { component: 1 })
    ));
    assert!(matches!(
        GaussianMixtureModel::from_precision_cholesky(
            array![1.0],
            Array2::zeros((1, 2)),
            Covariances::Full(array![[[1.0, 0.0], [0.5, 1.0]]])
        ),
        Err(MixtureError::NotPositiveDefinite { component: 0 })
    ));
}

#[test]
fn bad_sample_weights() {
    let x = three_blobs(30, 1);
    let params = GaussianMixture::params(2).check().unwrap();
    assert!(matches!(
        params.fit_weighted(x.view(), Array1::ones(29).view()),
        Err(MixtureError::SampleWeightsLength {
            expected: 30,
            got: 29
        })
    ));
    let mut w = Array1::ones(30);
    w[4] = -1.0;
    assert!(matches!(
        params.fit_weighted(x.view(), w.view()),
        Err(MixtureError::InvalidSampleWeight { index: 4, .. })
    ));
    assert!(matches!(
        params.fit_weighted(x.view(), Array1::zeros(30).view()),
        Err(MixtureError::InvalidHyperparameter {
            name: "sample_weight",
            ..
        })
    ));
}

#[test]
fn sampling_zero_points_is_an_error() {
    let model = GaussianMixture::params(2)
        .fit(three_blobs(30, 1).view())
        .unwrap();
    assert!(matches!(
        model.sample(0, 1),
        Err(MixtureError::InvalidHyperparameter { .. })
    ));
}
