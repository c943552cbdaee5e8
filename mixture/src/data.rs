//! Checks on the data matrix shared by every model of this crate.

use crate::distributed::{tree_sum, Shard};
use crate::gmm::TASK_ROWS;
use crate::MixtureError;
use ndarray::{ArrayView1, ArrayView2};

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

/// Checks that the data's scale leaves room for squares in `f64`: the
/// root-mean-square distance of the rows from their mean must have a square
/// whose sum over the samples (which bounds every moment sum of EM) is finite
/// and that is, unless all rows are equal, at least the smallest normal number (below it
/// variances and squared distances underflow and clusters merge silently).
/// Fitting calls it; predicting with a fitted model does not.
pub(crate) fn check_scale(x: ArrayView2<f64>) -> Result<(), MixtureError> {
    check_scale_shard(&Shard::whole(x), TASK_ROWS)
}

/// [`check_scale`] of the rows of a job's processes, with sums in the tree
/// of tasks of `task_rows` rows, so every process decides the same.
pub(crate) fn check_scale_shard(shard: &Shard<'_>, task_rows: usize) -> Result<(), MixtureError> {
    let x = shard.rows();
    let n = shard.total_rows() as f64;
    let sum_rows = |f: &(dyn Fn(usize, f64) -> f64 + Sync)| {
        tree_sum(
            shard,
            task_rows,
            || (),
            |_, range| {
                let mut sums = vec![0.0; x.ncols()];
                for i in range {
                    for (l, (s, &v)) in sums.iter_mut().zip(x.row(i)).enumerate() {
                        *s += f(l, v);
                    }
                }
                sums
            },
        )
        .expect("data checked to have rows")
    };
    let means: Vec<f64> = sum_rows(&|_, v| v).iter().map(|s| s / n).collect();
    // Sums of squares relative to the largest deviation neither overflow
    // nor underflow.
    let local_largest = x
        .rows()
        .into_iter()
        .flat_map(|r| r.into_iter().zip(&means).map(|(v, m)| v - m))
        .fold(0.0f64, |a, v| a.max(v.abs()));
    let largest = shard
        .comm()
        .all_gather(&[local_largest])
        .iter()
        .fold(local_largest, |a, v| a.max(v[0]));
    let spread = if largest == 0.0 {
        0.0
    } else {
        let relative = sum_rows(&|l, v| ((v - means[l]) / largest).powi(2))
            .iter()
            .sum::<f64>()
            / n;
        largest * relative.sqrt()
    };
    let square = spread * spread;
    let problem = if !(square * n).is_finite() {
        "overflows f64 when summed over the samples"
    } else if spread > 0.0 && square < f64::MIN_POSITIVE {
        "is below the smallest normal f64, so variances and squared distances underflow"
    } else {
        return Ok(());
    };
    Err(MixtureError::DataScale { spread, problem })
}

/// The checks of [`check_data`] on the rows of a job's processes, on every
/// process: rows are numbered in the whole data set.
pub(crate) fn check_finite_shard(shard: &Shard<'_>) -> Result<(), MixtureError> {
    let x = shard.rows();
    if shard.total_rows() == 0 || x.ncols() == 0 {
        return Err(MixtureError::EmptyData {
            n_samples: shard.total_rows(),
            n_features: x.ncols(),
        });
    }
    let local = match check_data(x) {
        Err(MixtureError::NonFiniteData { row, column, value }) => {
            Err(MixtureError::NonFiniteData {
                row: row + shard.first_row(),
                column,
                value,
            })
        }
        // A process may hold no rows when there are fewer tasks than processes.
        Err(MixtureError::EmptyData { .. }) => Ok(()),
        other => other,
    };
    shard.agree(local)
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

/// Checks per-sample weights: one per row of `n`, each finite and
/// non-negative (a weight of 2 counts a sample twice), naming the first bad one.
pub(crate) fn check_sample_weight(w: ArrayView1<f64>, n: usize) -> Result<(), MixtureError> {
    if w.len() != n {
        return Err(MixtureError::SampleWeightsLength {
            expected: n,
            got: w.len(),
        });
    }
    match w
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
    {
        Some((index, &value)) => Err(MixtureError::InvalidSampleWeight { index, value }),
        None => Ok(()),
    }
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
