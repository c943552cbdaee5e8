//! Per-sample results of a model (weighted log-densities, responsibilities,
//! log-likelihoods): the E-step on every chunk in parallel, written into the
//! rows of an output array.

use super::estep::{Coefficients, Scratch, CHUNK};
use crate::simd::{self, Kernel, Level};
use ndarray::parallel::prelude::*;
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis};

/// [`e_chunk`] as a kernel.
struct EChunk<'s, 'p, 'x> {
    scratch: &'s mut Scratch,
    prep: &'p Coefficients,
    rows: ArrayView2<'x, f64>,
    normalise: bool,
}

impl Kernel for EChunk<'_, '_, '_> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        e_chunk(self.scratch, self.prep, self.rows, self.normalise)
    }
}

/// E-step on one chunk: log-densities in `lp`, or with `normalise` the
/// responsibilities in `lp` and the log-likelihoods in `ll`.
#[inline(always)]
fn e_chunk(scratch: &mut Scratch, prep: &Coefficients, rows: ArrayView2<f64>, normalise: bool) {
    let b = rows.nrows();
    scratch.load(&prep.shift, rows);
    scratch.log_densities(prep, b);
    if normalise {
        scratch.normalise(b, None);
    }
}

/// Runs the E-step on every chunk of `x` in parallel (normalised or not) and
/// lets `finish` write the chunk's rows of `out` from the scratch.
fn map_rows(
    level: Level,
    prep: &Coefficients,
    x: ArrayView2<f64>,
    mut out: ArrayViewMut2<f64>,
    normalise: bool,
    finish: impl Fn(&Scratch, usize, ArrayViewMut2<f64>) + Sync,
) {
    out.axis_chunks_iter_mut(Axis(0), CHUNK)
        .into_par_iter()
        .zip(x.axis_chunks_iter(Axis(0), CHUNK).into_par_iter())
        .for_each_init(
            || Scratch::new(prep.covariance_type(), prep.k, prep.d),
            |scratch, (o, rows)| {
                simd::dispatch(
                    level,
                    EChunk {
                        scratch,
                        prep,
                        rows,
                        normalise,
                    },
                );
                finish(scratch, rows.nrows(), o);
            },
        );
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
pub(crate) fn weighted_log_densities(prep: &Coefficients, x: ArrayView2<f64>) -> Array2<f64> {
    let mut out = Array2::zeros((x.nrows(), prep.k));
    map_rows(simd::level(), prep, x, out.view_mut(), false, |s, b, o| {
        write_rows(&s.lp, b, o)
    });
    out
}

/// Posterior probabilities of the components, shape (n, k).
pub(crate) fn responsibilities(prep: &Coefficients, x: ArrayView2<f64>) -> Array2<f64> {
    let mut out = Array2::zeros((x.nrows(), prep.k));
    map_rows(simd::level(), prep, x, out.view_mut(), true, |s, b, o| {
        write_rows(&s.lp, b, o)
    });
    out
}

/// Log-likelihood of each sample, shape (n).
pub(crate) fn log_likelihoods(prep: &Coefficients, x: ArrayView2<f64>) -> Array1<f64> {
    let mut out = Array2::zeros((x.nrows(), 1));
    map_rows(
        simd::level(),
        prep,
        x,
        out.view_mut(),
        true,
        |s, b, mut o| {
            o.iter_mut().zip(&s.ll[..b]).for_each(|(d, v)| *d = *v);
        },
    );
    out.remove_axis(Axis(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gmm::Covariances;
    use ndarray::{array, Array3};

    /// Every vector level the host runs gives the scalar code's
    /// log-densities, responsibilities and log-likelihoods, bit for bit,
    /// including a last chunk shorter than the others.
    #[test]
    fn every_simd_level_gives_the_rows_of_the_scalar_code() {
        let x = Array2::from_shape_fn((CHUNK + 37, 2), |(i, l)| {
            ((i * 5 + l * 3) % 13) as f64 * 0.41 - 2.0
        });
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
            for normalise in [false, true] {
                let rows = |level| {
                    let mut out = Array2::zeros((x.nrows(), 3));
                    map_rows(
                        level,
                        &prep,
                        x.view(),
                        out.view_mut(),
                        normalise,
                        |s, b, mut o| {
                            write_rows(&s.lp, b, o.slice_mut(ndarray::s![.., ..2]));
                            if normalise {
                                let ll = o.column_mut(2);
                                ll.into_iter().zip(&s.ll[..b]).for_each(|(d, v)| *d = *v);
                            }
                        },
                    );
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
}
