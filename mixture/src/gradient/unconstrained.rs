//! The unconstrained parameterisation: every real vector of the right length
//! is a valid mixture, so gradient methods need no projections.
//!
//! ```text
//! theta = [ logits (k) | means (k d, row by row) | covariance block ]
//! w = softmax(logits)
//! full:      per component, the d(d+1)/2 entries v of L = U^T packed row by row
//!            (L[i][c] = v[i(i+1)/2 + c], c <= i), diagonal as ln U[i][i]
//! tied:      one such block
//! diag:      ln p_jl = 2 ln U_jl        (p the precisions, k d entries)
//! spherical: ln p_j  = 2 ln U_j         (k entries)
//! ```
//!
//! `U` is the upper-triangular Cholesky factor of the precision
//! (precision = U U^T), as in [`GaussianMixtureModel::precisions_cholesky`].

use crate::gmm::{CovarianceType, Covariances, GaussianMixtureModel};
use crate::MixtureError;
use ndarray::{Array1, Array2, Array3};
use std::ops::Range;

/// Where each parameter of a mixture lives in the unconstrained vector.
///
/// # Example
/// ```
/// use admix_mixture::gmm::{Covariances, GaussianMixtureModel};
/// use admix_mixture::gradient::Unconstrained;
/// use ndarray::array;
/// # fn main() -> Result<(), admix_mixture::MixtureError> {
/// let model = GaussianMixtureModel::new(
///     array![0.25, 0.75],
///     array![[0.0, 1.0], [3.0, -1.0]],
///     Covariances::Diag(array![[1.0, 4.0], [0.5, 2.0]]),
/// )?;
/// let layout = Unconstrained::of(&model);
/// let theta = layout.from_model(&model)?;
/// assert_eq!(theta.len(), 2 + 4 + 4);
/// let back = layout.to_model(&theta)?;
/// assert!((back.weights()[1] - 0.75).abs() < 1e-14);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unconstrained {
    covariance_type: CovarianceType,
    k: usize,
    d: usize,
}

impl Unconstrained {
    /// The layout for `k` components in `d` dimensions.
    pub fn new(covariance_type: CovarianceType, k: usize, d: usize) -> Self {
        Self {
            covariance_type,
            k,
            d,
        }
    }

    /// The layout of `model`'s parameters.
    pub fn of(model: &GaussianMixtureModel) -> Self {
        Self::new(
            model.covariance_type(),
            model.n_components(),
            model.n_features(),
        )
    }

    /// Covariance type.
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariance_type
    }

    /// Number of components k.
    pub fn n_components(&self) -> usize {
        self.k
    }

    /// Number of features d.
    pub fn n_features(&self) -> usize {
        self.d
    }

    /// Length of the vector: k logits, k d means, the covariance block.
    pub fn len(&self) -> usize {
        self.k + self.k * self.d + self.covariance_type.n_parameters(self.k, self.d)
    }

    /// Always `false`: a mixture has at least its logits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Positions of the logits.
    pub fn logits(&self) -> Range<usize> {
        0..self.k
    }

    /// Positions of the means (row by row).
    pub fn means(&self) -> Range<usize> {
        self.k..self.k + self.k * self.d
    }

    /// Positions of the covariance block.
    pub fn covariances(&self) -> Range<usize> {
        self.k + self.k * self.d..self.len()
    }

    /// Entries of one packed triangle, d(d+1)/2.
    pub(crate) fn triangle(&self) -> usize {
        self.d * (self.d + 1) / 2
    }

    /// The unconstrained vector of `model` (logits are `ln w`, so they
    /// already have log-sum-exp 0).
    ///
    /// # Errors
    /// [`MixtureError::ShapeMismatch`] when the model does not have this layout.
    pub fn from_model(&self, model: &GaussianMixtureModel) -> Result<Vec<f64>, MixtureError> {
        if Self::of(model) != *self {
            return Err(MixtureError::ShapeMismatch {
                what: "model",
                expected: vec![self.k, self.d],
                got: vec![model.n_components(), model.n_features()],
            });
        }
        let mut theta = Vec::with_capacity(self.len());
        // A zero weight would give -inf; the smallest positive one is as good.
        theta.extend(
            model
                .weights()
                .iter()
                .map(|w| w.max(f64::MIN_POSITIVE).ln()),
        );
        theta.extend(model.means().iter().copied());
        match model.precisions_cholesky() {
            Covariances::Full(u) => {
                for j in 0..self.k {
                    pack_triangle(|a, b| u[[j, a, b]], self.d, &mut theta);
                }
            }
            Covariances::Tied(u) => pack_triangle(|a, b| u[[a, b]], self.d, &mut theta),
            Covariances::Diag(u) => theta.extend(u.iter().map(|u| 2.0 * u.ln())),
            Covariances::Spherical(u) => theta.extend(u.iter().map(|u| 2.0 * u.ln())),
        }
        Ok(theta)
    }

    /// The mixture that `theta` stands for.
    ///
    /// # Errors
    /// [`MixtureError::ShapeMismatch`] for a vector of the wrong length;
    /// [`MixtureError::NonFiniteData`] or
    /// [`MixtureError::NotPositiveDefinite`] when an entry is not finite or so
    /// large that a factor overflows.
    pub fn to_model(&self, theta: &[f64]) -> Result<GaussianMixtureModel, MixtureError> {
        let (weights, means, factors) = self.split(theta)?;
        GaussianMixtureModel::from_precision_cholesky(weights, means, factors)
    }

    /// Weights, means and precision Cholesky factors of `theta`.
    pub(crate) fn split(
        &self,
        theta: &[f64],
    ) -> Result<(Array1<f64>, Array2<f64>, Covariances), MixtureError> {
        if theta.len() != self.len() {
            return Err(MixtureError::ShapeMismatch {
                what: "unconstrained parameters",
                expected: vec![self.len()],
                got: vec![theta.len()],
            });
        }
        if let Some(index) = theta.iter().position(|v| !v.is_finite()) {
            return Err(MixtureError::NonFiniteData {
                row: index,
                column: 0,
                value: theta[index],
            });
        }
        let (k, d) = (self.k, self.d);
        let logits = &theta[self.logits()];
        let max = logits.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let exp: Vec<f64> = logits.iter().map(|v| (v - max).exp()).collect();
        let total: f64 = exp.iter().sum();
        let weights = exp.iter().map(|e| e / total).collect();
        let means = Array2::from_shape_vec((k, d), theta[self.means()].to_vec())
            .expect("k d means by construction");
        let block = &theta[self.covariances()];
        let t = self.triangle();
        let factors = match self.covariance_type {
            CovarianceType::Full => {
                let mut u = Array3::zeros((k, d, d));
                for j in 0..k {
                    let mut uj = u.index_axis_mut(ndarray::Axis(0), j);
                    unpack_triangle(&block[j * t..(j + 1) * t], d, |a, b, v| uj[[a, b]] = v);
                }
                Covariances::Full(u)
            }
            CovarianceType::Tied => {
                let mut u = Array2::zeros((d, d));
                unpack_triangle(block, d, |a, b, v| u[[a, b]] = v);
                Covariances::Tied(u)
            }
            CovarianceType::Diag => Covariances::Diag(Array2::from_shape_fn((k, d), |(j, l)| {
                (0.5 * block[j * d + l]).exp()
            })),
            CovarianceType::Spherical => {
                Covariances::Spherical(block.iter().map(|v| (0.5 * v).exp()).collect())
            }
        };
        Ok((weights, means, factors))
    }
}

/// Appends the upper triangle of `u` (a `d x d` factor) column by column,
/// which is the lower triangle of `U^T` row by row, with the diagonal as logs.
fn pack_triangle(u: impl Fn(usize, usize) -> f64, d: usize, out: &mut Vec<f64>) {
    for i in 0..d {
        for c in 0..=i {
            let v = u(c, i);
            out.push(if c == i { v.ln() } else { v });
        }
    }
}

/// The inverse of [`pack_triangle`]: calls `set(a, b, U[a][b])` for the
/// upper triangle.
fn unpack_triangle(v: &[f64], d: usize, mut set: impl FnMut(usize, usize, f64)) {
    for i in 0..d {
        for c in 0..=i {
            let e = v[i * (i + 1) / 2 + c];
            set(c, i, if c == i { e.exp() } else { e });
        }
    }
}
