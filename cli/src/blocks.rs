//! Passes over the rows of a data set in blocks: predicting a mapped file
//! then allocates per block, not per row of the file, and writes each
//! block's rows before computing the next.

use admix::mixture::{Data, MixtureError, RowBuffer};
use anyhow::Result;
use ndarray::Array2;

/// Rows per block: the probabilities of a block at k = 16 are 2 MiB, and a
/// block is long enough for the model's parallel kernels to share out.
pub const BLOCK_ROWS: usize = 16_384;

/// Calls `pass(start, block)` for the blocks of `data` in order, `start`
/// being the index of the block's first row; blocks keep the data's element
/// type. Data with no rows is one empty block, so the model still reports it.
pub fn for_each_block(data: Data, mut pass: impl FnMut(usize, Data) -> Result<()>) -> Result<()> {
    let (n, d) = data.dim();
    if n == 0 {
        return pass(0, Array2::<f64>::zeros((0, d)).view().into());
    }
    let mut buffer = RowBuffer::default();
    for start in (0..n).step_by(BLOCK_ROWS) {
        pass(
            start,
            data.rows(start..n.min(start + BLOCK_ROWS), &mut buffer)?
                .into(),
        )?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use admix::mixture::gmm::{Covariances, GaussianMixtureModel};
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
    fn the_blocks_cover_every_row_once_in_order_and_keep_f32() {
        let x = rows();
        let x32 = x.mapv(|v| v as f32);
        for data in [Data::from(x.view()), Data::from(x32.view())] {
            let mut next = 0;
            for_each_block(data, |start, block| {
                assert_eq!(start, next);
                assert_eq!(matches!(block, Data::F32(_)), matches!(data, Data::F32(_)));
                let block = block.to_f64()?;
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
    fn a_bad_value_is_named_by_its_row_in_the_whole_data() {
        let mut x = rows();
        let row = BLOCK_ROWS + 5;
        x[[row, 1]] = f64::NAN;
        let e = for_each_block(x.view().into(), |start, block| {
            model().predict(block).map_err(|e| in_whole(e, start))?;
            Ok(())
        })
        .unwrap_err();
        assert!(
            matches!(
                e.downcast_ref::<MixtureError>(),
                Some(&MixtureError::NonFiniteData { row: r, column: 1, .. }) if r == row
            ),
            "{e:?}"
        );
    }
}
