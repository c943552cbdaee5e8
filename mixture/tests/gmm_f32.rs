//! float32 data: the fit of `f32` rows against the `f64` fit of the same
//! values, and rows read from a source against rows in an array.

mod common;

use admix_mixture::gmm::{CovarianceType, GaussianMixture, GaussianMixtureModel, GmmInit};
use admix_mixture::{Element, RowSource};
use common::{max_rel_diff, read_csv, three_blobs};
use ndarray::{s, Array2, ArrayViewMut2};

const TYPES: [CovarianceType; 4] = [
    CovarianceType::Full,
    CovarianceType::Tied,
    CovarianceType::Diag,
    CovarianceType::Spherical,
];

/// The data sets of the comparison: name, rows, components.
fn data_sets() -> Vec<(&'static str, Array2<f64>, usize)> {
    vec![
        ("iris", read_csv("iris.csv"), 3),
        ("faithful", read_csv("faithful.csv"), 2),
        ("three blobs", three_blobs(4000, 5), 3),
    ]
}

/// Largest differences between two fits: weights (absolute), means and
/// covariances (relative to the largest magnitude of the `f64` fit's), and
/// the mean log-likelihood (absolute).
fn differences(a: &GaussianMixtureModel, b: &GaussianMixtureModel) -> [f64; 4] {
    let weights = (a.weights() - b.weights())
        .mapv(f64::abs)
        .fold(0.0, |m: f64, v| m.max(*v));
    let means = max_rel_diff(a.means().view().into_dyn(), b.means().view().into_dyn());
    let covariances = max_rel_diff(a.covariances().view(), b.covariances().view());
    let ll = (a.lower_bound().unwrap() - b.lower_bound().unwrap()).abs();
    [weights, means, covariances, ll]
}

/// The bounds stated in the crate's docs (lib.rs, "float32").
const BOUNDS: [f64; 4] = [1e-4, 1e-4, 1e-3, 1e-5];

#[test]
fn f32_fits_agree_with_the_f64_fits_of_the_same_values() {
    for (name, x, k) in data_sets() {
        // Values that f32 holds exactly, so both fits see the same data.
        let x32 = x.mapv(|v| v as f32);
        let x64 = x32.mapv(f64::from);
        for ctype in TYPES {
            let params = GaussianMixture::params(k)
                .covariance_type(ctype)
                .seed(3)
                .tol(1e-9)
                .max_iter(1000);
            let m64 = params.fit(x64.view()).unwrap();
            let m32 = params.fit(x32.view()).unwrap();
            let diff = differences(&m32, &m64);
            println!("{name} {ctype}: weights {:.1e} means {:.1e} covariances {:.1e} log-likelihood {:.1e} ({} and {} iterations)",
                diff[0], diff[1], diff[2], diff[3], m64.n_iter(), m32.n_iter());
            for (d, bound) in diff.iter().zip(BOUNDS) {
                assert!(*d <= bound, "{name} {ctype}: {diff:?}");
            }
            let p64 = m64.predict(x64.view()).unwrap();
            let p32 = m32.predict(x32.view()).unwrap();
            let moved = p64.iter().zip(&p32).filter(|(a, b)| a != b).count();
            assert!(
                moved * 100 <= x.nrows(),
                "{name} {ctype}: {moved} labels differ"
            );
        }
    }
}

/// A source serving the rows of an array, as a store elsewhere would.
struct Served<T>(Array2<T>);

impl<T: Element> RowSource<T> for Served<T> {
    fn shape(&self) -> (usize, usize) {
        self.0.dim()
    }
    fn read_rows(&self, start: usize, mut out: ArrayViewMut2<'_, T>) -> Result<(), String> {
        out.assign(&self.0.slice(s![start..start + out.nrows(), ..]));
        Ok(())
    }
}

#[test]
fn rows_from_a_source_fit_bitwise_as_the_array_they_come_from() {
    let x = three_blobs(3000, 8);
    let x32 = x.mapv(|v| v as f32);
    let (s64, s32) = (Served(x.clone()), Served(x32.clone()));
    let (src64, src32): (&dyn RowSource<f64>, &dyn RowSource<f32>) = (&s64, &s32);
    for ctype in TYPES {
        for init in [GmmInit::KMeans, GmmInit::Random, GmmInit::RandomFromData] {
            let params = GaussianMixture::params(3)
                .covariance_type(ctype)
                .init(init)
                .seed(5)
                .max_iter(20)
                .task_rows(700);
            let from_array = params.fit(x32.view()).unwrap();
            let from_source = params.fit(src32).unwrap();
            assert_eq!(from_source, from_array, "f32 {ctype} {init:?}");
            assert_eq!(
                from_source.predict_proba(src32).unwrap(),
                from_array.predict_proba(x32.view()).unwrap()
            );
            assert_eq!(
                from_source.score_samples(src32).unwrap(),
                from_array.score_samples(x32.view()).unwrap()
            );
            let from_array = params.fit(x.view()).unwrap();
            assert_eq!(
                params.fit(src64).unwrap(),
                from_array,
                "f64 {ctype} {init:?}"
            );
        }
    }
}

#[test]
fn f32_data_beyond_the_range_of_f32_products_is_refused() {
    let huge = Array2::from_shape_fn((10, 2), |(i, j)| ((i * 7 + j * 3) % 10) as f32 * 1e18);
    let params = GaussianMixture::params(2).covariance_type(CovarianceType::Spherical);
    let err = params.fit(huge.view()).unwrap_err().to_string();
    assert!(err.contains("float32") && err.contains("float64"), "{err}");
    // The same values as f64 are fine.
    params.fit(huge.mapv(f64::from).view()).unwrap();
}
