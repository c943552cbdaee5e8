//! Passes over the rows of a data set in blocks: predicting and scoring a
//! mapped file then allocate per block, not per row of the file, and a
//! float32 file is converted to float64 one block at a time.

use admix::mixture::gmm::{Criteria, GaussianMixtureModel};
use admix::mixture::{Data, MixtureError, RowBuffer, Rows};
use anyhow::Result;
use ndarray::{Array2, ArrayView2};

/// Rows per block: the probabilities of a block at k = 16 are 2 MiB, and a
/// block is long enough for the model's parallel kernels to share out.
pub const BLOCK_ROWS: usize = 16_384;

/// Calls `pass(start, block)` for the blocks of `data` in order, `start`
/// being the index of the block's first row; a float32 block is converted
/// to float64 for it. Data with no rows is one empty block, so the model
/// still reports it.
pub fn for_each_block(
    data: Data,
    mut pass: impl FnMut(usize, ArrayView2<f64>) -> Result<()>,
) -> Result<()> {
    let (n, d) = data.dim();
    if n == 0 {
        return pass(0, Array2::zeros((0, d)).view());
    }
    let mut buffer = RowBuffer::default();
    for start in (0..n).step_by(BLOCK_ROWS) {
        match data.rows(start..n.min(start + BLOCK_ROWS), &mut buffer)? {
            Rows::F64(block) => pass(start, block)?,
            rows @ Rows::F32(_) => pass(start, rows.to_f64().view())?,
        }
    }
    Ok(())
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

/// Mean log-likelihood, BIC and AIC of `data` from one pass over its blocks:
/// the log-likelihoods are summed per block, never held per row. Equal to
/// `model.criteria(x)` up to the order of summation (relative 1e-12).
pub fn criteria(model: &GaussianMixtureModel, data: Data) -> Result<Criteria> {
    let mut total = 0.0;
    for_each_block(data, |start, block| {
        let log_likelihoods = model.score_samples(block).map_err(|e| in_whole(e, start))?;
        total += log_likelihoods.sum();
        Ok(())
    })?;
    Ok(model.criteria_of_score(total / data.nrows() as f64, data.nrows()))
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
    fn the_blocks_cover_every_row_once_in_order_and_f32_as_f64() {
        let x = rows();
        let x32 = x.mapv(|v| v as f32);
        for data in [Data::from(x.view()), Data::from(x32.view())] {
            let mut next = 0;
            for_each_block(data, |start, block| {
                assert_eq!(start, next);
                let want = x.slice(ndarray::s![start..start + block.nrows(), ..]);
                // The test data are multiples of 0.1 below 6: f32 holds them
                // to 1e-6.
                assert!(block.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-6));
                next += block.nrows();
                Ok(())
            })
            .unwrap();
            assert_eq!(next, x.nrows());
        }
        let mut calls = 0;
        for_each_block(x.slice(ndarray::s![..0, ..]).into(), |_, block| {
            assert_eq!(block.dim(), (0, 2));
            calls += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(calls, 1);
    }

    #[test]
    fn streamed_criteria_equal_the_whole_matrix_ones() {
        let x = rows();
        let whole = model().criteria(x.view()).unwrap();
        let streamed = criteria(&model(), x.view().into()).unwrap();
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
        let e = criteria(&model(), x.view().into()).unwrap_err();
        assert!(
            matches!(
                e.downcast_ref::<MixtureError>(),
                Some(&MixtureError::NonFiniteData { row: r, column: 1, .. }) if r == row
            ),
            "{e:?}"
        );
    }
}
