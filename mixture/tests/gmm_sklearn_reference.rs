//! Ten EM iterations on Old Faithful from fixed starting parameters, against
//! scikit-learn 1.9.1 (`GaussianMixture(2, covariance_type=t, weights_init,
//! means_init, precisions_init, max_iter=10, tol=0, reg_covar=1e-6)`, values
//! printed with `repr`). Both implement the same EM, so they agree to rounding
//! amplified over ten iterations; 1e-9 relative leaves room for that.

mod common;

use admix_mixture::gmm::{CovarianceType, Covariances, GaussianMixture};
use approx::assert_relative_eq;
use common::read_csv;
use ndarray::{array, Array3};

fn start(t: CovarianceType) -> Covariances {
    match t {
        CovarianceType::Full => {
            Covariances::Full(Array3::from_shape_fn((2, 2, 2), |(_, a, b)| match (a, b) {
                (0, 0) => 1.0,
                (1, 1) => 100.0,
                _ => 0.0,
            }))
        }
        CovarianceType::Tied => Covariances::Tied(array![[1.0, 0.0], [0.0, 100.0]]),
        CovarianceType::Diag => Covariances::Diag(array![[1.0, 100.0], [1.0, 100.0]]),
        CovarianceType::Spherical => Covariances::Spherical(array![30.0, 30.0]),
    }
}

/// Covariance type, weights, means, covariances (flattened), final lower bound.
type Reference = (CovarianceType, [f64; 2], [f64; 4], Vec<f64>, f64);

#[test]
fn ten_iterations_on_old_faithful_match_scikit_learn() {
    let x = read_csv("faithful.csv");
    // (type, weights, means, covariances flattened, lower_bound_)
    let reference: [Reference; 4] = [
        (
            CovarianceType::Full,
            [0.3558729644704042, 0.6441270355295958],
            [
                2.0363887182768203,
                54.47851898602237,
                4.289662203009767,
                79.9681179810527,
            ],
            vec![
                0.069168883431399,
                0.43516980423082896,
                0.435169804230829,
                33.69729757442566,
                0.16996914621426995,
                0.9406055868327426,
                0.9406055868327426,
                36.046169885061886,
            ],
            -4.155382206614321,
        ),
        (
            CovarianceType::Tied,
            [0.35924784900373646, 0.6407521509962636],
            [
                2.0461951047354243,
                54.59651370907794,
                4.296032239512796,
                80.0362177960745,
            ],
            vec![
                0.13277762629366374,
                0.7515170932020899,
                0.7515170932020899,
                35.17054273877713,
            ],
            -4.191863086184554,
        ),
        (
            CovarianceType::Diag,
            [0.35651674389501853, 0.6434832561049814],
            [
                2.037915692189627,
                54.492953971263525,
                4.291070505916637,
                79.98562172389524,
            ],
            vec![
                0.0703377682215168,
                33.755849139835505,
                0.168152101509455,
                35.773349910408456,
            ],
            -4.219876296118832,
        ),
        (
            CovarianceType::Spherical,
            [0.36705092091368424, 0.6329490790863157],
            [
                2.0976766328354426,
                54.74290540262643,
                4.293914057505555,
                80.26494809873401,
            ],
            vec![17.351795294027436, 15.998792879404972],
            -6.285034125679043,
        ),
    ];
    for (t, w, m, c, lb) in reference {
        let model = GaussianMixture::params(2)
            .covariance_type(t)
            .weights_init(array![0.5, 0.5])
            .means_init(array![[2.0, 55.0], [4.5, 80.0]])
            .covariances_init(start(t))
            .max_iter(10)
            .tol(0.0)
            .fit(x.view())
            .unwrap();
        for (got, want) in model.weights().iter().zip(w) {
            assert_relative_eq!(*got, want, max_relative = 1e-9);
        }
        for (got, want) in model.means().iter().zip(m) {
            assert_relative_eq!(*got, want, max_relative = 1e-9);
        }
        for (got, want) in model.covariances().view().iter().zip(c) {
            assert_relative_eq!(*got, want, max_relative = 1e-9);
        }
        assert_eq!(model.n_iter(), 10);
        assert_relative_eq!(
            *model.log_likelihood_trace().last().unwrap(),
            lb,
            max_relative = 1e-10
        );
    }
}
