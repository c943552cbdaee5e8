//! The EM-against-gradient comparison on iris and synthetic data, and the
//! matching of components.

mod common;

use admix_mixture::gmm::{CovarianceType, Covariances, GaussianMixture, GaussianMixtureModel};
use admix_mixture::gradient::{compare, match_components, Method};
use ndarray::{Array1, Array2, Array3};

/// `model` with its components listed in the order `order`.
fn permuted(model: &GaussianMixtureModel, order: &[usize]) -> GaussianMixtureModel {
    let Covariances::Full(c) = model.covariances() else {
        panic!("full covariances expected")
    };
    GaussianMixtureModel::new(
        order.iter().map(|&j| model.weights()[j]).collect(),
        model.means().select(ndarray::Axis(0), order),
        Covariances::Full(c.select(ndarray::Axis(0), order)),
    )
    .unwrap()
}

#[test]
fn matching_recovers_a_permutation() {
    for k in [3, 9] {
        // Means on a line, 10 apart: the right pairing is unambiguous.
        let means = Array2::from_shape_fn((k, 2), |(j, l)| (10 * j + l) as f64);
        let covs = Array3::from_shape_fn((k, 2, 2), |(_, a, b)| if a == b { 1.0 } else { 0.0 });
        let model = GaussianMixtureModel::new(
            Array1::from_elem(k, 1.0 / k as f64),
            means,
            Covariances::Full(covs),
        )
        .unwrap();
        let order: Vec<usize> = (0..k).map(|j| (j * 2 + 1) % k).collect();
        let other = permuted(&model, &order);
        let m = match_components(&model, &other);
        // Component order[i] of the model is component i of the other.
        for (i, &j) in order.iter().enumerate() {
            assert_eq!(m.permutation[j], i, "k = {k}");
        }
        assert_eq!(m.mean_distance, 0.0);
        assert_eq!(m.max_weight_difference, 0.0);
        assert_eq!(m.max_covariance_difference, 0.0);
    }
}

#[test]
fn comparison_on_iris_and_synthetic_data() {
    let iris = common::read_csv("iris.csv");
    let blobs = common::three_blobs(300, 4);
    for (x, k) in [(iris, 3), (blobs, 3)] {
        let params = GaussianMixture::params(k)
            .covariance_type(CovarianceType::Full)
            .tol(1e-9)
            .max_iter(2000)
            .gradient(Method::Lbfgs)
            .check()
            .unwrap();
        let cmp = compare(&params, x.view()).unwrap();
        let (em, gd) = (&cmp.em.trace, &cmp.gradient.trace);
        approx::assert_relative_eq!(
            em[0].log_likelihood,
            gd[0].log_likelihood,
            max_relative = 1e-12
        );
        approx::assert_relative_eq!(
            em[0].log_likelihood,
            cmp.start.score(x.view()).unwrap(),
            max_relative = 1e-12
        );
        // EM: one pass per point, the last one is the final model's score.
        assert!(em
            .iter()
            .enumerate()
            .all(|(i, p)| p.passes == (i + 1) as f64));
        approx::assert_relative_eq!(
            em.last().unwrap().log_likelihood,
            cmp.em.model.score(x.view()).unwrap(),
            max_relative = 1e-12
        );
        // Both reach the same maximum (reg_covar 1e-6 in both).
        let (a, b) = (
            em.last().unwrap().log_likelihood,
            gd.last().unwrap().log_likelihood,
        );
        assert!((a - b).abs() < 1e-6 * a.abs(), "EM {a} vs L-BFGS {b}");
        let mut sorted = cmp.matching.permutation.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2]);
        assert!(cmp.matching.mean_distance < 1e-2, "{:?}", cmp.matching);
    }
}
