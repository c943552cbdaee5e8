//! Fitting by gradient methods on Old Faithful and synthetic data: agreement
//! with EM, the fitted-model type, mini-batches, divergence and bad input.

mod common;

use admix_mixture::gmm::{CovarianceType, GaussianMixture, GaussianMixtureModel, GmmInit};
use admix_mixture::gradient::{compare, match_components, GradientStatus, Method};
use admix_mixture::MixtureError;
use ndarray::Array2;

fn faithful() -> Array2<f64> {
    common::read_csv("faithful.csv")
}

/// EM on Old Faithful run far past sklearn's tolerance, without the
/// `reg_covar` penalty so that its fixed point is the likelihood's maximum.
fn em_faithful(covariance_type: CovarianceType) -> GaussianMixtureModel {
    GaussianMixture::params(2)
        .covariance_type(covariance_type)
        .reg_covar(0.0)
        .tol(1e-12)
        .max_iter(5000)
        .fit(faithful().view())
        .unwrap()
}

#[test]
fn lbfgs_from_the_em_solution_stays_there() {
    let x = faithful();
    for ct in [
        CovarianceType::Full,
        CovarianceType::Tied,
        CovarianceType::Diag,
        CovarianceType::Spherical,
    ] {
        let em = em_faithful(ct);
        let fit = GaussianMixture::params(2)
            .covariance_type(ct)
            .reg_covar(0.0)
            .tol(1e-12)
            .gradient(Method::Lbfgs)
            .check()
            .unwrap()
            .fit_from(x.view(), &em)
            .unwrap();
        let (ll_em, ll_g) = (
            em.score(x.view()).unwrap(),
            fit.model.score(x.view()).unwrap(),
        );
        // Both are at the maximum: L-BFGS may polish the last digits only.
        assert!(ll_g >= ll_em - 1e-12, "{ct}: {ll_g} < {ll_em}");
        assert!(ll_g - ll_em < 1e-9, "{ct}: moved from {ll_em} to {ll_g}");
        let m = match_components(&em, &fit.model);
        assert_eq!(m.permutation, vec![0, 1], "{ct}");
        // Waiting times are ~70 min with sd ~6: 1e-3 is 1e-5 relative.
        assert!(
            m.mean_distance < 1e-3,
            "{ct}: means moved by {}",
            m.mean_distance
        );
        assert!(m.max_weight_difference < 1e-5, "{ct}");
    }
}

#[test]
fn gradient_methods_reach_ems_log_likelihood_from_a_common_start() {
    let x = faithful();
    // L-BFGS to 1e-6 relative (the bound); Adam and gradient
    // descent converge linearly and are held to 1e-6 relative as well with
    // a tight tol.
    for method in [Method::Lbfgs, Method::Adam, Method::GradientDescent] {
        let params = GaussianMixture::params(2)
            .reg_covar(0.0)
            .tol(1e-10)
            .max_iter(3000)
            .seed(3)
            .gradient(method)
            .check()
            .unwrap();
        let cmp = compare(&params, x.view()).unwrap();
        let em = cmp.em.trace.last().unwrap().log_likelihood;
        let g = cmp.gradient.trace.last().unwrap().log_likelihood;
        assert!(
            (g - em).abs() <= 1e-6 * em.abs(),
            "{method}: gradient {g} vs EM {em}"
        );
        assert_eq!(cmp.gradient.status, GradientStatus::Converged, "{method}");
        // Both start from the same parameters.
        approx::assert_relative_eq!(
            cmp.em.trace[0].log_likelihood,
            cmp.gradient.trace[0].log_likelihood,
            max_relative = 1e-13
        );
        assert_eq!(cmp.matching.permutation, vec![0, 1]);
        assert!(cmp.matching.mean_distance < 1e-2, "{method}");
        // Traces: passes and time never decrease.
        for w in cmp.gradient.trace.windows(2) {
            assert!(w[1].passes > w[0].passes && w[1].elapsed >= w[0].elapsed);
        }
    }
}

#[test]
fn the_result_is_an_ordinary_model() {
    let x = faithful();
    let fit = GaussianMixture::params(2)
        .covariance_type(CovarianceType::Diag)
        .gradient(Method::Lbfgs)
        .fit(x.view())
        .unwrap();
    let model = &fit.model;
    assert_eq!(model.n_iter(), fit.iterations);
    assert_eq!(model.converged(), fit.status == GradientStatus::Converged);
    assert_eq!(model.log_likelihood_trace().len(), fit.trace.len() - 1);
    let labels = model.predict(x.view()).unwrap();
    // Short eruptions (< 3 min) and long ones fall in different components.
    let short = (0..x.nrows()).find(|&i| x[[i, 0]] < 2.0).unwrap();
    let long = (0..x.nrows()).find(|&i| x[[i, 0]] > 4.5).unwrap();
    assert_ne!(labels[short], labels[long]);
    let (samples, _) = model.sample(100, 1).unwrap();
    assert_eq!(samples.dim(), (100, 2));
    let back = GaussianMixtureModel::from_json(&model.to_json()).unwrap();
    approx::assert_relative_eq!(
        back.score(x.view()).unwrap(),
        model.score(x.view()).unwrap(),
        max_relative = 1e-12
    );
}

#[test]
fn mini_batch_fits_are_seeded() {
    let x = common::three_blobs(600, 5);
    let fit = |seed: u64| {
        // Random responsibilities: a poor start that leaves room to improve.
        GaussianMixture::params(3)
            .init(GmmInit::Random)
            .seed(seed)
            .max_iter(20)
            .tol(0.0)
            .gradient(Method::Adam)
            .mini_batch(64)
            .fit(x.view())
            .unwrap()
    };
    let (a, b, c) = (fit(1), fit(1), fit(2));
    assert_eq!(a.model, b.model);
    assert_ne!(a.model.means(), c.model.means());
    assert_eq!(a.status, GradientStatus::MaxIterations);
    // One trace point per epoch (600 / 64 = 9 batches), plus the start.
    assert_eq!(a.trace.len(), 21);
    assert_eq!(a.iterations, 20 * 9);
    assert_eq!(a.model.n_iter(), 20);
    let first = a.trace[0].log_likelihood;
    let last = a.trace.last().unwrap().log_likelihood;
    assert!(last > first + 0.1, "{first} -> {last}");
    let gd = GaussianMixture::params(3)
        .max_iter(5)
        .tol(0.0)
        .gradient(Method::GradientDescent)
        .mini_batch(100)
        .fit(x.view())
        .unwrap();
    assert_eq!(gd.trace.len(), 6);
}

/// The progress hook sees every trace point as it is made, in order, for
/// full-batch L-BFGS and for mini-batch Adam, and the fit is unchanged.
#[test]
fn progress_sees_the_trace_as_it_grows() {
    let x = common::three_blobs(600, 5);
    for (method, batch) in [(Method::Lbfgs, None), (Method::Adam, Some(64))] {
        let mut params = GaussianMixture::params(3)
            .init(GmmInit::Random)
            .seed(3)
            .max_iter(12)
            .tol(0.0)
            .gradient(method);
        if let Some(rows) = batch {
            params = params.mini_batch(rows);
        }
        let params = params.check().unwrap();
        let mut seen = Vec::new();
        let fit = params
            .fit_with_progress(x.view(), &mut |p| seen.push(*p))
            .unwrap();
        let plain = params.fit(x.view()).unwrap();
        assert_eq!(fit.model, plain.model, "{method:?}");
        assert_eq!(seen, fit.trace, "{method:?}");
        assert_eq!(seen[0].iteration, 0);
        assert!(seen.len() >= 2, "{method:?}: {} points", seen.len());
    }
}

#[test]
fn updates_freeze_the_other_parameters() {
    let x = faithful();
    let params = GaussianMixture::params(2)
        .updates("m".parse().unwrap())
        .gradient(Method::Lbfgs)
        .check()
        .unwrap();
    let start = params.initial_model(x.view()).unwrap();
    let fit = params.fit_from(x.view(), &start).unwrap();
    for (a, b) in fit.model.weights().iter().zip(start.weights()) {
        approx::assert_relative_eq!(a, b, max_relative = 1e-12);
    }
    let (pa, pb) = (
        fit.model.precisions_cholesky().view().to_owned(),
        start.precisions_cholesky().view().to_owned(),
    );
    for (a, b) in pa.iter().zip(pb.iter()) {
        approx::assert_relative_eq!(a, b, max_relative = 1e-12, epsilon = 1e-300);
    }
    assert_ne!(fit.model.means(), start.means());
}

#[test]
fn a_diverging_method_stops_and_keeps_the_best_parameters() {
    let x = faithful();
    let params = GaussianMixture::params(2)
        .max_iter(50)
        .gradient(Method::GradientDescent)
        .mini_batch(32)
        .learning_rate(1e8)
        .check()
        .unwrap();
    let start = params.initial_model(x.view()).unwrap();
    let fit = params.fit_from(x.view(), &start).unwrap();
    assert_eq!(fit.status, GradientStatus::Diverged);
    assert!(!fit.model.converged());
    let ll = fit.model.score(x.view()).unwrap();
    assert!(ll.is_finite());
    assert!(ll >= start.score(x.view()).unwrap() - 1e-12);
}

#[test]
fn bad_input_gives_ems_typed_errors() {
    let mut x = faithful();
    let lbfgs = || GaussianMixture::params(2).gradient(Method::Lbfgs);
    x[[3, 1]] = f64::NAN;
    assert!(matches!(
        lbfgs().fit(x.view()),
        Err(MixtureError::NonFiniteData {
            row: 3,
            column: 1,
            ..
        })
    ));
    let empty = Array2::<f64>::zeros((0, 2));
    assert!(matches!(
        lbfgs().fit(empty.view()),
        Err(MixtureError::EmptyData { .. })
    ));
    let tiny = ndarray::array![[1.0, 2.0]];
    assert!(matches!(
        lbfgs().fit(tiny.view()),
        Err(MixtureError::TooFewSamples { .. })
    ));
    assert!(matches!(
        lbfgs().mini_batch(10).check(),
        Err(MixtureError::InvalidHyperparameter {
            name: "mini_batch",
            ..
        })
    ));
    assert!(matches!(
        GaussianMixture::params(2)
            .gradient(Method::Adam)
            .mini_batch(0)
            .check(),
        Err(MixtureError::InvalidHyperparameter {
            name: "mini_batch",
            ..
        })
    ));
    assert!(matches!(
        GaussianMixture::params(2)
            .gradient(Method::Adam)
            .learning_rate(-1.0)
            .check(),
        Err(MixtureError::InvalidHyperparameter {
            name: "learning_rate",
            ..
        })
    ));
    assert!(matches!(
        GaussianMixture::params(0).gradient(Method::Adam).check(),
        Err(MixtureError::InvalidHyperparameter {
            name: "n_components",
            ..
        })
    ));
    assert!(matches!(
        "newton".parse::<Method>(),
        Err(MixtureError::InvalidHyperparameter { name: "method", .. })
    ));
    assert_eq!("GD".parse::<Method>().unwrap(), Method::GradientDescent);
    let good = faithful();
    let model = em_faithful(CovarianceType::Diag);
    let params = lbfgs().check().unwrap();
    assert!(matches!(
        params.fit_from(good.view(), &model),
        Err(MixtureError::InvalidHyperparameter { name: "start", .. })
    ));
    let three = common::three_blobs(30, 1);
    assert!(matches!(
        params.fit_from(three.view(), &em_faithful(CovarianceType::Full)),
        Err(MixtureError::DimensionMismatch { .. })
    ));
}
