//! Checks on the data matrix shared by every model of this crate.

use crate::MixtureError;
use ndarray::ArrayView2;

/// Checks that `x` has at least one row and one column and only finite
/// values, naming the first offending entry.
pub fn check_data(x: ArrayView2<f64>) -> Result<(), MixtureError> {
    let (n_samples, n_features) = x.dim();
    if n_samples == 0 || n_features == 0 {
        return Err(MixtureError::EmptyData {
            n_samples,
            n_features,
        });
    }
    // Fast scan first; the position is only looked for when something is wrong.
    if x.iter().all(|v| v.is_finite()) {
        return Ok(());
    }
    for ((row, column), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(MixtureError::NonFiniteData { row, column, value });
        }
    }
    Ok(())
}

/// Checks that `x` is valid data with the `expected` number of features.
pub fn check_features(x: ArrayView2<f64>, expected: usize) -> Result<(), MixtureError> {
    check_data(x)?;
    if x.ncols() != expected {
        return Err(MixtureError::DimensionMismatch {
            expected,
            got: x.ncols(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn names_the_first_non_finite_entry() {
        let x = array![[1.0, 2.0], [3.0, f64::NAN], [f64::INFINITY, 0.0]];
        match check_data(x.view()) {
            Err(MixtureError::NonFiniteData { row, column, .. }) => {
                assert_eq!((row, column), (1, 1))
            }
            other => panic!("expected NonFiniteData, got {other:?}"),
        }
    }

    #[test]
    fn rejects_empty_and_mismatched_data() {
        let empty = ndarray::Array2::<f64>::zeros((0, 3));
        assert!(matches!(
            check_data(empty.view()),
            Err(MixtureError::EmptyData { .. })
        ));
        let x = array![[1.0, 2.0]];
        assert_eq!(
            check_features(x.view(), 3),
            Err(MixtureError::DimensionMismatch {
                expected: 3,
                got: 2
            })
        );
    }
}
