//! The unconstrained parameterisation and the gradient of the log-likelihood:
//! conversions are inverses; the tape (composed array operations and the
//! fused node) agrees with forward mode on a plain-loop version and with
//! central differences, for every covariance type.

mod common;

use admix_dual::{DividedDifference, ScalarFn};
use admix_mixture::gmm::CovarianceType;
use admix_mixture::gradient::{tape_log_likelihood, DataTerm, LogLikelihood, Unconstrained};
use approx::assert_relative_eq;
use ndarray::Array2;
use proptest::prelude::*;

const TYPES: [CovarianceType; 4] = [
    CovarianceType::Full,
    CovarianceType::Tied,
    CovarianceType::Diag,
    CovarianceType::Spherical,
];

/// A layout, data (n x d) and parameters drawn from ranges where the
/// mixture is well conditioned: entries in [-1, 1], data in [-2, 2].
fn problem() -> impl Strategy<Value = (Unconstrained, Array2<f64>, Vec<f64>)> {
    (0usize..4, 1usize..4, 1usize..4, 2usize..12).prop_flat_map(|(t, k, d, n)| {
        let layout = Unconstrained::new(TYPES[t], k, d);
        (
            Just(layout),
            prop::collection::vec(-2.0..2.0f64, n * d),
            prop::collection::vec(-1.0..1.0f64, layout.len()),
        )
            .prop_map(move |(layout, x, theta)| {
                (layout, Array2::from_shape_vec((n, d), x).unwrap(), theta)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn conversions_are_inverses((layout, _x, theta) in problem()) {
        let model = layout.to_model(&theta).unwrap();
        let back = layout.from_model(&model).unwrap();
        // Logits come back normalised (log-sum-exp 0): compare up to a shift.
        let k = layout.n_components();
        let shift = theta[0] - back[0];
        for i in 0..theta.len() {
            let expected = if i < k { theta[i] - shift } else { theta[i] };
            prop_assert!((back[i] - expected).abs() < 1e-12, "entry {i}: {} vs {}", back[i], expected);
        }
        let again = layout.to_model(&back).unwrap();
        for (a, b) in again.weights().iter().zip(model.weights()) {
            prop_assert!((a - b).abs() < 1e-12);
        }
        let (pa, pb) = (again.precisions_cholesky().view().to_owned(), model.precisions_cholesky().view().to_owned());
        for (a, b) in pa.iter().zip(pb.iter()) {
            prop_assert!((a - b).abs() < 1e-12 * b.abs().max(1.0));
        }
        prop_assert_eq!(again.means(), model.means());
    }

    #[test]
    fn tape_gradient_matches_forward_mode_and_central_differences(
        (layout, x, theta) in problem(),
        reg in prop::sample::select(vec![0.0, 0.3]),
    ) {
        let f = LogLikelihood::new(x.view(), layout, reg);
        let (v_forward, g_forward) = admix_dual::gradient(|t| f.eval(t), &theta);
        let (v_dd, g_dd) = DividedDifference::default().gradient(|t| f.eval(t), &theta).unwrap();
        for form in [DataTerm::Composed, DataTerm::Fused] {
            let (v, g) = tape_log_likelihood(x.view(), &layout, &theta, reg, form).unwrap();
            // Same function, different order of operations: rounding only.
            prop_assert!((v - v_forward).abs() < 1e-11 * v_forward.abs().max(1.0), "{form:?}: {v} vs {v_forward}");
            prop_assert!((v - v_dd).abs() < 1e-11 * v_dd.abs().max(1.0));
            for i in 0..theta.len() {
                let scale = g_forward[i].abs().max(1.0);
                prop_assert!((g[i] - g_forward[i]).abs() < 1e-10 * scale,
                    "{form:?} {:?} entry {i}: tape {} forward {}", layout.covariance_type(), g[i], g_forward[i]);
                // Central differences are good to about eps^(2/3) times the
                // third derivative: 1e-6 leaves room for curvature.
                prop_assert!((g[i] - g_dd[i]).abs() < 1e-6 * scale,
                    "{form:?} entry {i}: tape {} central {}", g[i], g_dd[i]);
            }
        }
    }
}

/// A closed form: one spherical component in one dimension,
/// theta = [logit, mu, ln p], f = ln p / 2 - ln(2 pi) / 2 - p mean((x - mu)^2) / 2.
#[test]
fn one_component_gradient_has_its_closed_form() {
    let x = ndarray::array![[0.5], [-1.0], [2.0], [0.25]];
    let layout = Unconstrained::new(CovarianceType::Spherical, 1, 1);
    let (mu, log_p) = (0.3, 0.4_f64);
    let p = log_p.exp();
    let mean_x = x.mean().unwrap();
    let mean_sq = x.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / 4.0;
    for form in [DataTerm::Composed, DataTerm::Fused] {
        let (v, g) = tape_log_likelihood(x.view(), &layout, &[0.7, mu, log_p], 0.0, form).unwrap();
        let expected = 0.5 * log_p - 0.5 * (2.0 * std::f64::consts::PI).ln() - 0.5 * p * mean_sq;
        assert_relative_eq!(v, expected, epsilon = 1e-14);
        assert_relative_eq!(g[0], 0.0, epsilon = 1e-15);
        assert_relative_eq!(g[1], p * (mean_x - mu), epsilon = 1e-14);
        assert_relative_eq!(g[2], 0.5 - 0.5 * p * mean_sq, epsilon = 1e-14);
    }
}

#[test]
fn wrong_shapes_are_typed_errors() {
    let layout = Unconstrained::new(CovarianceType::Full, 2, 2);
    let x = Array2::zeros((3, 2));
    let bad = tape_log_likelihood(x.view(), &layout, &[0.0; 3], 0.0, DataTerm::Fused);
    assert!(matches!(
        bad,
        Err(admix_mixture::MixtureError::ShapeMismatch { .. })
    ));
    let x3 = Array2::zeros((3, 3));
    let theta = vec![0.0; layout.len()];
    let bad = tape_log_likelihood(x3.view(), &layout, &theta, 0.0, DataTerm::Fused);
    assert!(matches!(
        bad,
        Err(admix_mixture::MixtureError::DimensionMismatch { .. })
    ));
    let mut nan = x.clone();
    nan[[1, 0]] = f64::NAN;
    let bad = tape_log_likelihood(nan.view(), &layout, &theta, 0.0, DataTerm::Composed);
    assert!(matches!(
        bad,
        Err(admix_mixture::MixtureError::NonFiniteData { .. })
    ));
}

/// Many rows: the fused node runs EM's pass in several parallel tasks of
/// several chunks each; the composed form sees one array.
#[test]
fn fused_and_composed_agree_over_many_chunks() {
    let x = common::three_blobs(9000, 2);
    for ct in TYPES {
        let layout = Unconstrained::new(ct, 3, 3);
        let theta: Vec<f64> = (0..layout.len())
            .map(|i| 0.3 * ((i * 7 % 11) as f64 - 5.0) / 5.0)
            .collect();
        let (v1, g1) =
            tape_log_likelihood(x.view(), &layout, &theta, 1e-3, DataTerm::Composed).unwrap();
        let (v2, g2) =
            tape_log_likelihood(x.view(), &layout, &theta, 1e-3, DataTerm::Fused).unwrap();
        assert_relative_eq!(v1, v2, max_relative = 1e-12);
        for (a, b) in g1.iter().zip(&g2) {
            // Sums over 9000 rows in different orders: relative rounding ~1e-13.
            assert_relative_eq!(a, b, max_relative = 1e-9, epsilon = 1e-12);
        }
    }
}
