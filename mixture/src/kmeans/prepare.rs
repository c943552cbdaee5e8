//! The data as the kernels want it: one contiguous row-major copy, centred
//! (squared Euclidean) or scaled to unit rows (cosine), with its squared row
//! norms and per-sample weights.
//!
//! Centring keeps `||x||^2 - 2 x.c + ||c||^2` accurate when the data sit far
//! from the origin; it moves every distance by nothing.

use super::assign::Rows;
use super::distances::sq_norm;
use super::params::Distance;
use crate::{check_sample_weight, MixtureError};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

/// Rows of the data prepared for the distance kernels.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// Centred or unit-length rows, standard layout.
    pub x: Array2<f64>,
    /// `||x_i||^2` of the prepared rows.
    pub sq_norms: Vec<f64>,
    /// Per-sample weights (all 1 when none were given).
    pub weights: Vec<f64>,
    /// What was subtracted from every row (zero for cosine).
    pub shift: Array1<f64>,
    /// The distance the preparation is for.
    pub distance: Distance,
}

impl Prepared {
    /// Prepares checked data; `shift` is `None` to centre on the (unweighted)
    /// mean of the data.
    pub fn new(
        x: ArrayView2<f64>,
        weights: Option<ArrayView1<f64>>,
        distance: Distance,
        shift: Option<Array1<f64>>,
    ) -> Result<Self, MixtureError> {
        let n = x.nrows();
        let weights = match weights {
            None => vec![1.0; n],
            Some(w) => {
                check_sample_weight(w, n)?;
                w.to_vec()
            }
        };
        // One row-major copy first, so that every sum below runs in the
        // same order whatever the layout of the caller's array.
        let mut x = x.as_standard_layout().into_owned();
        let shift = match distance {
            Distance::SquaredEuclidean => {
                let shift = shift.unwrap_or_else(|| {
                    x.mean_axis(Axis(0))
                        .expect("checked data has at least one row")
                });
                x -= &shift;
                shift
            }
            Distance::Cosine => {
                scale_to_unit_rows(&mut x, "data")?;
                Array1::zeros(x.ncols())
            }
        };
        let sq_norms: Vec<f64> = x.rows().into_iter().map(sq_norm).collect();
        check_no_overflow(&sq_norms, "data")?;
        Ok(Self {
            x,
            sq_norms,
            weights,
            shift,
            distance,
        })
    }

    /// Rows of the prepared data.
    pub fn n_samples(&self) -> usize {
        self.x.nrows()
    }

    /// Columns of the prepared data.
    pub fn n_features(&self) -> usize {
        self.x.ncols()
    }

    /// The prepared rows as one row-major slice.
    pub fn rows(&self) -> &[f64] {
        self.x
            .as_slice()
            .expect("prepared data is in standard layout")
    }

    /// The rows as the assignment pass takes them.
    pub fn as_rows(&self) -> Rows<'_> {
        Rows {
            x: self.rows(),
            sq_norms: &self.sq_norms,
            weights: &self.weights,
            distance: self.distance,
        }
    }

    /// Maps centres from data space into the prepared space.
    pub fn to_prepared(&self, centres: ArrayView2<f64>) -> Result<Array2<f64>, MixtureError> {
        let mut centres = centres.as_standard_layout().into_owned();
        match self.distance {
            Distance::SquaredEuclidean => centres -= &self.shift,
            Distance::Cosine => scale_to_unit_rows(&mut centres, "centre")?,
        }
        let sq_norms: Vec<f64> = centres.rows().into_iter().map(sq_norm).collect();
        check_no_overflow(&sq_norms, "centre")?;
        Ok(centres)
    }

    /// Maps centres from the prepared space back into data space.
    pub fn to_data(&self, centres: &Array2<f64>) -> Array2<f64> {
        centres + &self.shift
    }
}

/// Scales every row of `x` to unit length.
fn scale_to_unit_rows(x: &mut Array2<f64>, what: &'static str) -> Result<(), MixtureError> {
    for (row, mut r) in x.rows_mut().into_iter().enumerate() {
        let norm = r.dot(&r).sqrt();
        if norm == 0.0 {
            return Err(MixtureError::ZeroNormRow { what, row });
        }
        r /= norm;
    }
    Ok(())
}

/// Rejects rows whose squared length is infinite.
fn check_no_overflow(sq_norms: &[f64], what: &'static str) -> Result<(), MixtureError> {
    match sq_norms.iter().position(|s| !s.is_finite()) {
        Some(row) => Err(MixtureError::Overflow { what, row }),
        None => Ok(()),
    }
}
