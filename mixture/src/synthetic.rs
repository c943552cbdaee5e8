//! Synthetic data for benchmarks and demonstrations.

use crate::gmm::{Covariances, GaussianMixtureModel};
use crate::MixtureError;
use ndarray::{Array1, Array2};

/// `n` rows in `d` dimensions from `k` equally likely unit-variance blobs
/// whose centres are themselves drawn from N(0, I / 4): neighbouring blobs
/// overlap, so EM needs many iterations (the benchmark data of gradient
/// fitting). Seeded: the same arguments give the same rows.
///
/// # Errors
/// Those of [`GaussianMixtureModel::new`] and [`GaussianMixtureModel::sample`]
/// when `n`, `d` or `k` is 0.
pub fn overlapping_blobs(
    n: usize,
    d: usize,
    k: usize,
    seed: u64,
) -> Result<Array2<f64>, MixtureError> {
    let wide = GaussianMixtureModel::new(
        ndarray::array![1.0],
        Array2::zeros((1, d)),
        Covariances::Spherical(ndarray::array![0.25]),
    )?;
    let (centres, _) = wide.sample(k, seed)?;
    let model = GaussianMixtureModel::new(
        Array1::from_elem(k, 1.0 / k as f64),
        centres,
        Covariances::Spherical(Array1::ones(k)),
    )?;
    Ok(model.sample(n, seed.wrapping_add(1))?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_rows_of_the_asked_shape() {
        let a = overlapping_blobs(500, 3, 4, 7).unwrap();
        assert_eq!(a.dim(), (500, 3));
        assert_eq!(a, overlapping_blobs(500, 3, 4, 7).unwrap());
        assert_ne!(a, overlapping_blobs(500, 3, 4, 8).unwrap());
        assert!(overlapping_blobs(0, 3, 4, 7).is_err());
        assert!(overlapping_blobs(10, 3, 0, 7).is_err());
    }
}
