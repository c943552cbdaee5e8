//! EM against a slow loop implementation written in the tests.

mod common;

use admix_mixture::gmm::{GaussianMixture, GaussianMixtureModel};
use approx::assert_relative_eq;
use common::*;

/// One EM iteration from the same start gives the loop implementation's
/// parameters to 1e-10 relative (the fast path differs only by rounding in
/// matrix products over 300 samples, about 1e-14).
#[test]
fn one_iteration_matches_the_loop_implementation_for_every_type() {
    let x = three_blobs(300, 1);
    for ctype in ALL_TYPES {
        let (w, m, c) = rough_start(ctype);
        let (nw, nm, nc, nll) = naive_em_step(&x, &w, &m, &c, ctype, 1e-6);
        let model = GaussianMixture::params(3)
            .covariance_type(ctype)
            .weights_init(w)
            .means_init(m)
            .covariances_init(c)
            .max_iter(1)
            .tol(0.0)
            .fit(x.view())
            .unwrap();
        assert!(
            max_rel_diff(model.weights().view().into_dyn(), nw.view().into_dyn()) < 1e-10,
            "{ctype} weights"
        );
        assert!(
            max_rel_diff(model.means().view().into_dyn(), nm.view().into_dyn()) < 1e-10,
            "{ctype} means"
        );
        assert!(
            max_rel_diff(model.covariances().view(), nc.view()) < 1e-10,
            "{ctype} covariances"
        );
        assert_eq!(model.n_iter(), 1);
        assert_relative_eq!(model.log_likelihood_trace()[0], nll, max_relative = 1e-12);
    }
}

/// Log-densities of every type against the Gaussian formula evaluated directly.
#[test]
fn log_densities_match_the_gaussian_formula() {
    let x = three_blobs(50, 2);
    for ctype in ALL_TYPES {
        let (w, m, c) = rough_start(ctype);
        let model = GaussianMixtureModel::new(w.clone(), m.clone(), c.clone()).unwrap();
        let lp = model.weighted_log_prob(x.view()).unwrap();
        let full = as_full(&c, 3, 3);
        for i in 0..x.nrows() {
            for j in 0..3 {
                let want =
                    w[j].ln() + log_gaussian(&x.row(i).to_vec(), &m.row(j).to_vec(), &full[j]);
                assert_relative_eq!(lp[[i, j]], want, max_relative = 1e-12);
            }
        }
    }
}

/// Precisions and their Cholesky factors are consistent with the covariances.
#[test]
fn precisions_invert_the_covariances() {
    for ctype in ALL_TYPES {
        let (w, m, c) = rough_start(ctype);
        let model = GaussianMixtureModel::new(w, m, c.clone()).unwrap();
        let cov = as_full(&c, 3, 3);
        let prec = as_full(&model.precisions(), 3, 3);
        let u = as_full(model.precisions_cholesky(), 3, 3);
        for j in 0..3 {
            for a in 0..3 {
                for b in 0..3 {
                    let id: f64 = (0..3).map(|p| cov[j][a][p] * prec[j][p][b]).sum();
                    assert_relative_eq!(id, if a == b { 1.0 } else { 0.0 }, epsilon = 1e-12);
                    let uut: f64 = (0..3).map(|p| u[j][a][p] * u[j][b][p]).sum();
                    assert_relative_eq!(uut, prec[j][a][b], epsilon = 1e-12);
                    if a > b {
                        assert_eq!(u[j][a][b], 0.0, "U is upper triangular");
                    }
                }
            }
        }
        let rebuilt = GaussianMixtureModel::from_precision_cholesky(
            model.weights().clone(),
            model.means().clone(),
            model.precisions_cholesky().clone(),
        )
        .unwrap();
        assert!(max_rel_diff(rebuilt.covariances().view(), c.view()) < 1e-12);
    }
}
