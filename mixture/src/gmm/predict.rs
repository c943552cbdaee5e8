//! Per-sample results of a model (weighted log-densities, responsibilities,
//! log-likelihoods): the E-step on every chunk in parallel, written into the
//! rows of an output array; and the total log-likelihood, with no per-row
//! output.

use super::accumulate::TASK_ROWS;
use super::estep::{Coefficients, Float, Scratch, CHUNK};
use crate::distributed::{tree_sum, Shard};
use crate::simd::{self, Kernel, Level};
use crate::{Data, MixtureError, RowBuffer};
use ndarray::parallel::prelude::*;
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis};

/// [`e_chunk`] as a kernel.
struct EChunk<'s, 'p, 'x, T> {
    scratch: &'s mut Scratch<T>,
    prep: &'p Coefficients,
    rows: ArrayView2<'x, T>,
    normalise: bool,
}

impl<T: Float> Kernel for EChunk<'_, '_, '_, T> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        e_chunk(self.scratch, self.prep, self.rows, self.normalise)
    }
}

/// E-step on one chunk: log-densities in `lp`, or with `normalise` the
/// responsibilities in `lp` and the log-likelihoods in `ll`.
#[inline(always)]
fn e_chunk<T: Float>(
    scratch: &mut Scratch<T>,
    prep: &Coefficients,
    rows: ArrayView2<T>,
    normalise: bool,
) {
    let b = rows.nrows();
    scratch.load(&prep.shift, rows);
    scratch.log_densities(prep, b);
    if normalise {
        scratch.normalise(b, None, &[], false);
    }
}

/// What [`map_rows`] writes: the chunk's rows of `out` from the scratch.
type Finish<'f> = &'f (dyn Fn(&[f64], &[f64], usize, ArrayViewMut2<f64>) + Sync);

/// Runs the E-step on every chunk of `x` in parallel (normalised or not),
/// reading each chunk's rows from `x`, and lets `finish` write the chunk's
/// rows of `out` from the scratch's `lp` and `ll`.
fn map_rows(
    level: Level,
    prep: &Coefficients,
    x: Data<'_>,
    out: ArrayViewMut2<f64>,
    normalise: bool,
    finish: Finish<'_>,
) -> Result<(), MixtureError> {
    match x {
        Data::F64(_) | Data::Source64(_) => {
            map_rows_in::<f64>(level, prep, x, out, normalise, finish)
        }
        Data::F32(_) | Data::Source32(_) => {
            map_rows_in::<f32>(level, prep, x, out, normalise, finish)
        }
    }
}

/// [`map_rows`] with the products in `T`, the type of the data's rows.
fn map_rows_in<T: Float>(
    level: Level,
    prep: &Coefficients,
    x: Data<'_>,
    mut out: ArrayViewMut2<f64>,
    normalise: bool,
    finish: Finish<'_>,
) -> Result<(), MixtureError> {
    out.axis_chunks_iter_mut(Axis(0), CHUNK)
        .into_par_iter()
        .enumerate()
        .try_for_each_init(
            || {
                (
                    Scratch::<T>::new(level, prep.covariance_type(), prep.k, prep.d),
                    RowBuffer::default(),
                    Vec::new(),
                )
            },
            |(scratch, buffer, wide), (c, o)| {
                let start = c * CHUNK;
                let rows = x.rows(start..start + o.nrows(), buffer)?;
                let rows = T::view(rows).expect("rows of the type the pass runs in");
                simd::dispatch(
                    level,
                    EChunk {
                        scratch,
                        prep,
                        rows,
                        normalise,
                    },
                );
                finish(T::widen(&scratch.lp, wide), &scratch.ll, rows.nrows(), o);
                Ok(())
            },
        )
}

/// Copies the component-major `(k, b)` array `lp` into the rows of `out`.
fn write_rows(lp: &[f64], b: usize, mut out: ArrayViewMut2<f64>) {
    for (j, col) in out.columns_mut().into_iter().enumerate() {
        col.into_iter()
            .zip(&lp[j * b..(j + 1) * b])
            .for_each(|(d, v)| *d = *v);
    }
}

/// The weighted log-densities `log(w_j N(x_i | j))`, shape (n, k).
pub(crate) fn weighted_log_densities(
    prep: &Coefficients,
    x: Data<'_>,
) -> Result<Array2<f64>, MixtureError> {
    let mut out = Array2::zeros((x.nrows(), prep.k));
    map_rows(
        simd::level(),
        prep,
        x,
        out.view_mut(),
        false,
        &|lp, _, b, o| write_rows(lp, b, o),
    )?;
    Ok(out)
}

/// Posterior probabilities of the components, shape (n, k).
pub(crate) fn responsibilities(
    prep: &Coefficients,
    x: Data<'_>,
) -> Result<Array2<f64>, MixtureError> {
    let mut out = Array2::zeros((x.nrows(), prep.k));
    map_rows(
        simd::level(),
        prep,
        x,
        out.view_mut(),
        true,
        &|lp, _, b, o| write_rows(lp, b, o),
    )?;
    Ok(out)
}

/// Log-likelihood of each sample, shape (n).
pub(crate) fn log_likelihoods(
    prep: &Coefficients,
    x: Data<'_>,
) -> Result<Array1<f64>, MixtureError> {
    let mut out = Array2::zeros((x.nrows(), 1));
    map_rows(
        simd::level(),
        prep,
        x,
        out.view_mut(),
        true,
        &|_, ll, b, mut o| {
            o.iter_mut().zip(&ll[..b]).for_each(|(d, v)| *d = *v);
        },
    )?;
    Ok(out.remove_axis(Axis(1)))
}

/// Sum of the rows' log-likelihoods, holding no per-row output: tasks of
/// `TASK_ROWS` rows run in parallel and their sums are added in the fixed
/// tree of [`crate::distributed`], so the sum is the same for any number of
/// threads.
pub(crate) fn total_log_likelihood(prep: &Coefficients, x: Data<'_>) -> Result<f64, MixtureError> {
    match x {
        Data::F64(_) | Data::Source64(_) => total_in::<f64>(simd::level(), prep, x),
        Data::F32(_) | Data::Source32(_) => total_in::<f32>(simd::level(), prep, x),
    }
}

/// [`total_log_likelihood`] with the products in `T`, the type of the data's rows.
fn total_in<T: Float>(level: Level, prep: &Coefficients, x: Data<'_>) -> Result<f64, MixtureError> {
    let sum = tree_sum(
        &Shard::whole(x),
        TASK_ROWS,
        || {
            (
                Scratch::<T>::new(level, prep.covariance_type(), prep.k, prep.d),
                RowBuffer::default(),
            )
        },
        |(scratch, buffer), range| {
            let rows = T::view(x.rows(range, buffer)?).expect("rows of the type the pass runs in");
            let mut sum = 0.0;
            for chunk in rows.axis_chunks_iter(Axis(0), CHUNK) {
                let kernel = EChunk {
                    scratch: &mut *scratch,
                    prep,
                    rows: chunk,
                    normalise: true,
                };
                simd::dispatch(level, kernel);
                sum += scratch.ll[..chunk.nrows()].iter().sum::<f64>();
            }
            Ok(vec![sum])
        },
    )?;
    Ok(sum.map_or(0.0, |s| s[0]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gmm::Covariances;
    use ndarray::{array, Array3};

    /// Every vector level the host runs gives the scalar code's
    /// log-densities, responsibilities and log-likelihoods, bit for bit,
    /// including a last chunk shorter than the others, on `f64` and `f32` rows.
    #[test]
    fn every_simd_level_gives_the_rows_of_the_scalar_code() {
        let x = Array2::from_shape_fn((CHUNK + 37, 2), |(i, l)| {
            ((i * 5 + l * 3) % 13) as f64 * 0.41 - 2.0
        });
        let x32 = x.mapv(|v| v as f32);
        let (weights, means) = (array![0.25, 0.75], array![[0.0, 1.0], [-1.0, 0.5]]);
        let factors = [
            Covariances::Full(Array3::from_shape_fn((2, 2, 2), |(j, a, b)| {
                [[1.0 + j as f64, 0.2], [0.0, 0.7]][a][b]
            })),
            Covariances::Tied(array![[1.0, -0.3], [0.0, 2.0]]),
            Covariances::Diag(array![[1.0, 2.0], [0.5, 0.9]]),
            Covariances::Spherical(array![1.3, 0.6]),
        ];
        for u in &factors {
            let prep = Coefficients::new(weights.view(), means.view(), u, &[0.1, -0.2]);
            for (normalise, data) in [false, true]
                .into_iter()
                .flat_map(|b| [(b, Data::from(x.view())), (b, Data::from(x32.view()))])
            {
                let rows = |level| {
                    let mut out = Array2::zeros((x.nrows(), 3));
                    map_rows(
                        level,
                        &prep,
                        data,
                        out.view_mut(),
                        normalise,
                        &|lp, ll, b, mut o| {
                            write_rows(lp, b, o.slice_mut(ndarray::s![.., ..2]));
                            if normalise {
                                let col = o.column_mut(2);
                                col.into_iter().zip(&ll[..b]).for_each(|(d, v)| *d = *v);
                            }
                        },
                    )
                    .unwrap();
                    out
                };
                let scalar = rows(Level::Scalar);
                for level in simd::supported() {
                    let got = rows(level);
                    let same = got
                        .iter()
                        .zip(&scalar)
                        .all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(same, "{} {normalise} {}", u.covariance_type(), level.name());
                }
            }
        }
    }

    /// The streamed total equals the sum of the per-row log-likelihoods (to
    /// rounding: another summation order), and is bitwise the same on one
    /// thread as on three, past one round of tasks.
    #[test]
    fn total_log_likelihood_is_the_sum_of_the_rows_for_any_thread_count() {
        let n = TASK_ROWS * 35 + 17;
        let x = Array2::from_shape_fn((n, 2), |(i, l)| ((i * 7 + l * 5) % 23) as f64 * 0.3 - 3.0);
        let u = Covariances::Diag(array![[1.0, 2.0], [0.5, 0.9]]);
        let prep = Coefficients::new(
            array![0.4, 0.6].view(),
            array![[0.0, 1.0], [-1.0, 0.5]].view(),
            &u,
            &[0.1, -0.2],
        );
        let rows: f64 = log_likelihoods(&prep, x.view().into()).unwrap().sum();
        let on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| total_log_likelihood(&prep, x.view().into()).unwrap())
        };
        let total = on(1);
        assert!((total - rows).abs() <= 1e-12 * rows.abs(), "{total} {rows}");
        assert_eq!(on(3).to_bits(), total.to_bits());
    }
}
