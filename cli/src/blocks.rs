//! Passes over the rows of a data set in blocks: predicting and scoring a
//! mapped file then allocate per block, not per row of the file.

use admix::mixture::gmm::{Criteria, GaussianMixtureModel};
use admix::mixture::MixtureError;
use ndarray::{s, ArrayView2};

/// Rows per block: the probabilities of a block at k = 16 are 2 MiB, and a
/// block is long enough for the model's parallel kernels to share out.
pub const BLOCK_ROWS: usize = 16_384;

/// The blocks of `x` in order, each with the index of its first row. Data
/// with no rows is one empty block, so the model still reports it.
pub fn blocks(x: ArrayView2<'_, f64>) -> impl Iterator<Item = (usize, ArrayView2<'_, f64>)> {
    let n = x.nrows();
    let empty = (n == 0).then_some((0, x));
    (0..n)
        .step_by(BLOCK_ROWS)
        .map(move |start| {
            (
                start,
                x.slice_move(s![start..n.min(start + BLOCK_ROWS), ..]),
            )
        })
        .chain(empty)
}

/// A model's error about a block, with a bad value's row counted in the
/// whole data set rather than in the block starting at row `start`.
pub fn in_whole(error: MixtureError, start: usize) -> MixtureError {
    match error {
        MixtureError::NonFiniteData { row, column, value } => MixtureError::NonFiniteData {
            row: row + start,
            column,
            value,
        },
        other => other,
    }
}

/// Mean log-likelihood, BIC and AIC of `x` from one pass over its blocks:
/// the log-likelihoods are summed per block, never held per row. Equal to
/// `model.criteria(x)` up to the order of summation (relative 1e-12).
pub fn criteria(
    model: &GaussianMixtureModel,
    x: ArrayView2<f64>,
) -> Result<Criteria, MixtureError> {
    let mut total = 0.0;
    for (start, block) in blocks(x) {
        total += model
            .score_samples(block)
            .map_err(|e| in_whole(e, start))?
            .sum();
    }
    Ok(model.criteria_of_score(total / x.nrows() as f64, x.nrows()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use admix::mixture::gmm::Covariances;
    use ndarray::{array, Array2};

    fn model() -> GaussianMixtureModel {
        GaussianMixtureModel::new(
            array![0.3, 0.7],
            array![[0.0, 0.0], [3.0, -1.0]],
            Covariances::Diag(array![[1.0, 2.0], [0.5, 1.5]]),
        )
        .unwrap()
    }

    /// Rows over several blocks and a short last one.
    fn rows() -> Array2<f64> {
        let n = 2 * BLOCK_ROWS + 123;
        Array2::from_shape_fn((n, 2), |(i, j)| {
            ((i * 7 + j * 13) % 101) as f64 / 10.0 - 5.0
        })
    }

    #[test]
    fn the_blocks_cover_every_row_once_in_order() {
        let x = rows();
        let mut next = 0;
        for (start, block) in blocks(x.view()) {
            assert_eq!(start, next);
            assert_eq!(
                block,
                x.slice(ndarray::s![start..start + block.nrows(), ..])
            );
            next += block.nrows();
        }
        assert_eq!(next, x.nrows());
        assert_eq!(blocks(x.slice(ndarray::s![..0, ..])).count(), 1);
    }

    #[test]
    fn streamed_criteria_equal_the_whole_matrix_ones() {
        let x = rows();
        let whole = model().criteria(x.view()).unwrap();
        let streamed = criteria(&model(), x.view()).unwrap();
        // Only the order of the sum of log-likelihoods differs.
        for (a, b) in [
            (whole.score, streamed.score),
            (whole.bic, streamed.bic),
            (whole.aic, streamed.aic),
        ] {
            assert!((a - b).abs() <= 1e-12 * a.abs(), "{a} vs {b}");
        }
        // Independent check of the mean: a naive sum of log densities.
        let m = model();
        let naive: f64 = x
            .outer_iter()
            .map(|r| {
                let density = |w: f64, mu: [f64; 2], var: [f64; 2]| {
                    w * (0..2)
                        .map(|c| {
                            (-(r[c] - mu[c]).powi(2) / (2.0 * var[c])).exp()
                                / (2.0 * std::f64::consts::PI * var[c]).sqrt()
                        })
                        .product::<f64>()
                };
                (density(0.3, [0.0, 0.0], [1.0, 2.0]) + density(0.7, [3.0, -1.0], [0.5, 1.5])).ln()
            })
            .sum::<f64>()
            / x.nrows() as f64;
        assert!(
            (streamed.score - naive).abs() < 1e-10,
            "{} vs {naive}",
            streamed.score
        );
        assert_eq!(m.n_parameters(), 1 + 4 + 4);
    }

    #[test]
    fn a_bad_value_is_named_by_its_row_in_the_whole_data() {
        let mut x = rows();
        let row = BLOCK_ROWS + 5;
        x[[row, 1]] = f64::NAN;
        let e = criteria(&model(), x.view()).unwrap_err();
        assert!(
            matches!(e, MixtureError::NonFiniteData { row: r, column: 1, .. } if r == row),
            "{e:?}"
        );
    }
}
