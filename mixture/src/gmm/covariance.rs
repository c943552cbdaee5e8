//! Covariance types and the four shapes of covariance-like arrays (covariances,
//! precisions and precision Cholesky factors share them), with the conversions
//! between them.

use crate::linalg::{times_own_transpose, transpose};
use crate::MixtureError;
use admix_optim::linalg::{cholesky, invert_lower};
use ndarray::{Array1, Array2, Array3, ArrayViewD, Axis};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How the covariance of each component is parameterised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CovarianceType {
    /// Each component has its own general covariance matrix.
    #[default]
    Full,
    /// All components share one general covariance matrix.
    Tied,
    /// Each component has its own diagonal covariance matrix.
    Diag,
    /// Each component has its own single variance.
    Spherical,
}

impl CovarianceType {
    /// Free covariance parameters for `k` components in `d` dimensions.
    pub fn n_parameters(self, k: usize, d: usize) -> usize {
        match self {
            CovarianceType::Full => k * d * (d + 1) / 2,
            CovarianceType::Tied => d * (d + 1) / 2,
            CovarianceType::Diag => k * d,
            CovarianceType::Spherical => k,
        }
    }

    /// The lowercase name used by scikit-learn and in saved models.
    pub fn name(self) -> &'static str {
        match self {
            CovarianceType::Full => "full",
            CovarianceType::Tied => "tied",
            CovarianceType::Diag => "diag",
            CovarianceType::Spherical => "spherical",
        }
    }
}

impl Covariances {
    /// The full `d x d` covariance matrix of component `j`, whatever the
    /// type (what plots and reports of one component need).
    ///
    /// # Panics
    /// If `j` is not a component of a per-component type, or `d` does not
    /// match a tied matrix.
    #[track_caller]
    pub fn component(&self, j: usize, d: usize) -> Array2<f64> {
        match self {
            Covariances::Full(c) => c.index_axis(Axis(0), j).to_owned(),
            Covariances::Tied(c) => c.clone(),
            Covariances::Diag(c) => Array2::from_diag(&c.row(j)),
            Covariances::Spherical(c) => Array2::eye(d) * c[j],
        }
    }
}

impl fmt::Display for CovarianceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for CovarianceType {
    type Err = MixtureError;

    /// Parses the name of [`CovarianceType::name`] (case-insensitive).
    fn from_str(s: &str) -> Result<Self, MixtureError> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Ok(CovarianceType::Full),
            "tied" => Ok(CovarianceType::Tied),
            "diag" => Ok(CovarianceType::Diag),
            "spherical" => Ok(CovarianceType::Spherical),
            _ => Err(MixtureError::InvalidHyperparameter {
                name: "covariance_type",
                value: format!("{s:?}"),
                valid: "one of \"full\", \"tied\", \"diag\", \"spherical\"",
            }),
        }
    }
}

/// Covariance-like arrays in scikit-learn's shapes: full (k, d, d), tied (d, d),
/// diag (k, d), spherical (k). Used for covariances, precisions and the
/// Cholesky factors of the precisions alike.
#[derive(Clone, Debug, PartialEq)]
pub enum Covariances {
    /// One `d x d` matrix per component, shape (k, d, d).
    Full(Array3<f64>),
    /// One `d x d` matrix shared by all components, shape (d, d).
    Tied(Array2<f64>),
    /// The diagonal of each component's matrix, shape (k, d).
    Diag(Array2<f64>),
    /// One value per component (a multiple of the identity), shape (k).
    Spherical(Array1<f64>),
}

impl Covariances {
    /// The covariance type this shape belongs to.
    pub fn covariance_type(&self) -> CovarianceType {
        match self {
            Covariances::Full(_) => CovarianceType::Full,
            Covariances::Tied(_) => CovarianceType::Tied,
            Covariances::Diag(_) => CovarianceType::Diag,
            Covariances::Spherical(_) => CovarianceType::Spherical,
        }
    }

    /// A view with the array's own number of dimensions.
    pub fn view(&self) -> ArrayViewD<'_, f64> {
        match self {
            Covariances::Full(a) => a.view().into_dyn(),
            Covariances::Tied(a) | Covariances::Diag(a) => a.view().into_dyn(),
            Covariances::Spherical(a) => a.view().into_dyn(),
        }
    }

    /// Checks the shape against `k` components in `d` dimensions.
    pub(crate) fn check_shape(
        &self,
        what: &'static str,
        k: usize,
        d: usize,
    ) -> Result<(), MixtureError> {
        let expected = match self {
            Covariances::Full(_) => vec![k, d, d],
            Covariances::Tied(_) => vec![d, d],
            Covariances::Diag(_) => vec![k, d],
            Covariances::Spherical(_) => vec![k],
        };
        let got = self.view().shape().to_vec();
        if got != expected {
            return Err(MixtureError::ShapeMismatch {
                what,
                expected,
                got,
            });
        }
        Ok(())
    }

    /// The inverse of every matrix: precisions from covariances, or
    /// covariances from precisions (scikit-learn's `precisions_init` gives a
    /// start this way). By Cholesky: `A = L L^T`, `A^-1 = L^-T L^-1`.
    ///
    /// # Errors
    /// [`MixtureError::NotPositiveDefinite`] naming the first matrix (or
    /// diagonal, or variance) that is not symmetric positive definite.
    pub fn inverse(&self) -> Result<Covariances, MixtureError> {
        check_symmetric(self)?;
        let invert = |comp: usize, m: &[f64], d: usize| {
            let l = cholesky(m, d).ok_or(MixtureError::NotPositiveDefinite { component: comp })?;
            Ok(times_own_transpose(&transpose(&invert_lower(&l, d), d), d))
        };
        let reciprocal = |comp: usize, v: f64| {
            if v > 0.0 && v.is_finite() {
                Ok(1.0 / v)
            } else {
                Err(MixtureError::NotPositiveDefinite { component: comp })
            }
        };
        Ok(match self {
            Covariances::Full(c) => Covariances::Full(map_matrices(c, invert)?),
            Covariances::Tied(c) => {
                let d = c.nrows();
                let m = c.as_standard_layout();
                Covariances::Tied(square(
                    invert(0, m.as_slice().expect("standard layout"), d)?,
                    d,
                ))
            }
            Covariances::Diag(c) => {
                let mut out = c.clone();
                for ((comp, _), v) in out.indexed_iter_mut() {
                    *v = reciprocal(comp, *v)?;
                }
                Covariances::Diag(out)
            }
            Covariances::Spherical(c) => {
                let mut out = c.clone();
                for (comp, v) in out.iter_mut().enumerate() {
                    *v = reciprocal(comp, *v)?;
                }
                Covariances::Spherical(out)
            }
        })
    }

    /// Cholesky factors `U` (upper triangular) of the precisions, with
    /// `precision = U U^T`, computed from covariances.
    ///
    /// ```text
    /// covariance = L L^T (Cholesky),  U = L^-T
    /// ```
    pub(crate) fn precision_cholesky(&self) -> Result<Covariances, MixtureError> {
        Ok(match self {
            Covariances::Full(c) => Covariances::Full(map_matrices(c, |comp, m, d| {
                let l =
                    cholesky(m, d).ok_or(MixtureError::NotPositiveDefinite { component: comp })?;
                Ok(transpose(&invert_lower(&l, d), d))
            })?),
            Covariances::Tied(c) => {
                let d = c.nrows();
                let m = c.as_standard_layout();
                let l = cholesky(m.as_slice().expect("standard layout"), d)
                    .ok_or(MixtureError::NotPositiveDefinite { component: 0 })?;
                Covariances::Tied(square(transpose(&invert_lower(&l, d), d), d))
            }
            Covariances::Diag(c) => {
                for (comp, row) in c.outer_iter().enumerate() {
                    if row.iter().any(|&v| !usable_variance(v)) {
                        return Err(MixtureError::NotPositiveDefinite { component: comp });
                    }
                }
                Covariances::Diag(c.mapv(|v| 1.0 / v.sqrt()))
            }
            Covariances::Spherical(c) => {
                if let Some(comp) = c.iter().position(|&v| !usable_variance(v)) {
                    return Err(MixtureError::NotPositiveDefinite { component: comp });
                }
                Covariances::Spherical(c.mapv(|v| 1.0 / v.sqrt()))
            }
        })
    }

    /// Covariances from precision Cholesky factors `U` (upper triangular, positive
    /// diagonal): `covariance = (U U^T)^-1 = L L^T` with `L = (U^T)^-1`.
    pub(crate) fn covariances_from_precision_cholesky(&self) -> Result<Covariances, MixtureError> {
        let check_factor = |comp: usize, u: &[f64], d: usize| -> Result<(), MixtureError> {
            for i in 0..d {
                let diag = u[i * d + i];
                let below_nonzero = (0..i).any(|j| u[i * d + j] != 0.0);
                if !(diag > 0.0 && diag.is_finite()) || below_nonzero {
                    return Err(MixtureError::NotPositiveDefinite { component: comp });
                }
            }
            if u.iter().any(|v| !v.is_finite()) {
                return Err(MixtureError::NotPositiveDefinite { component: comp });
            }
            Ok(())
        };
        let from_factor = |u: &[f64], d: usize| -> Vec<f64> {
            times_own_transpose(&invert_lower(&transpose(u, d), d), d)
        };
        Ok(match self {
            Covariances::Full(p) => Covariances::Full(map_matrices(p, |comp, u, d| {
                check_factor(comp, u, d)?;
                Ok(from_factor(u, d))
            })?),
            Covariances::Tied(p) => {
                let d = p.nrows();
                let m = p.as_standard_layout();
                let u = m.as_slice().expect("standard layout");
                check_factor(0, u, d)?;
                Covariances::Tied(square(from_factor(u, d), d))
            }
            Covariances::Diag(_) | Covariances::Spherical(_) => {
                let view = self.view();
                if let Some(pos) = view.iter().position(|&v| !(v > 0.0 && v.is_finite())) {
                    let d = if view.ndim() == 2 { view.shape()[1] } else { 1 };
                    return Err(MixtureError::NotPositiveDefinite { component: pos / d });
                }
                match self {
                    Covariances::Diag(p) => Covariances::Diag(p.mapv(|u| 1.0 / (u * u))),
                    Covariances::Spherical(p) => Covariances::Spherical(p.mapv(|u| 1.0 / (u * u))),
                    _ => unreachable!("matched above"),
                }
            }
        })
    }

    /// Precisions `U U^T` from their Cholesky factors.
    pub(crate) fn precisions_from_cholesky(&self) -> Covariances {
        match self {
            Covariances::Full(p) => Covariances::Full(
                map_matrices(p, |_, u, d| {
                    Ok::<_, MixtureError>(times_own_transpose(u, d))
                })
                .expect("infallible"),
            ),
            Covariances::Tied(p) => {
                let d = p.nrows();
                let m = p.as_standard_layout();
                Covariances::Tied(square(
                    times_own_transpose(m.as_slice().expect("standard layout"), d),
                    d,
                ))
            }
            Covariances::Diag(p) => Covariances::Diag(p.mapv(|u| u * u)),
            Covariances::Spherical(p) => Covariances::Spherical(p.mapv(|u| u * u)),
        }
    }
}

/// A diagonal variance whose precision `1 / v` is finite and positive (a
/// subnormal variance would give an infinite precision and NaN densities).
fn usable_variance(v: f64) -> bool {
    v > 0.0 && v.is_finite() && (1.0 / v).is_finite()
}

/// Applies `f(component, matrix, d)` to each `d x d` matrix of a (k, d, d) array.
fn map_matrices(
    a: &Array3<f64>,
    mut f: impl FnMut(usize, &[f64], usize) -> Result<Vec<f64>, MixtureError>,
) -> Result<Array3<f64>, MixtureError> {
    let (k, d, _) = a.dim();
    let mut out = Array3::zeros((k, d, d));
    for (comp, (m, mut o)) in a.outer_iter().zip(out.outer_iter_mut()).enumerate() {
        let m = m.as_standard_layout();
        let r = f(comp, m.as_slice().expect("standard layout"), d)?;
        o.assign(&square(r, d));
    }
    Ok(out)
}

/// A `d x d` array from a row-major vector.
fn square(v: Vec<f64>, d: usize) -> Array2<f64> {
    Array2::from_shape_vec((d, d), v).expect("d * d values")
}

/// Checks that every matrix of a full or tied array is symmetric to a relative
/// tolerance, so that a given covariance is not silently read by its lower half.
pub(crate) fn check_symmetric(c: &Covariances) -> Result<(), MixtureError> {
    let mats: Vec<_> = match c {
        Covariances::Full(a) => a.outer_iter().collect(),
        Covariances::Tied(a) => vec![a.view()],
        _ => return Ok(()),
    };
    for (comp, m) in mats.iter().enumerate() {
        let scale = m.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        for i in 0..m.nrows() {
            for j in 0..i {
                if (m[[i, j]] - m[[j, i]]).abs() > 1e-10 * scale {
                    return Err(MixtureError::AsymmetricCovariance {
                        component: comp,
                        row: i,
                        column: j,
                    });
                }
            }
        }
    }
    Ok(())
}

/// Mean of the rows of a (k, d) array: the spherical variance of each diagonal.
pub(crate) fn spherical_from_diag(diag: &Array2<f64>) -> Array1<f64> {
    diag.mean_axis(Axis(1)).expect("d > 0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn inverse_matches_the_closed_form_and_names_the_bad_component() {
        // [[4, 2], [2, 3]]^-1 = [[3, -2], [-2, 4]] / 8 (the 2 x 2 adjugate over the determinant).
        let full = Covariances::Full(array![[[1.0, 0.0], [0.0, 1.0]], [[4.0, 2.0], [2.0, 3.0]]]);
        let Covariances::Full(inv) = full.inverse().unwrap() else {
            panic!("the inverse keeps the type")
        };
        let want = array![[3.0, -2.0], [-2.0, 4.0]] / 8.0;
        for (a, b) in inv.index_axis(Axis(0), 1).iter().zip(want.iter()) {
            assert!((a - b).abs() < 1e-15, "{a} against {b}");
        }
        assert_eq!(inv.index_axis(Axis(0), 0), Array2::<f64>::eye(2));
        assert_eq!(
            Covariances::Diag(array![[2.0, 4.0], [0.5, 1.0]]).inverse(),
            Ok(Covariances::Diag(array![[0.5, 0.25], [2.0, 1.0]]))
        );
        let bad = Covariances::Spherical(array![1.0, -1.0]);
        assert_eq!(
            bad.inverse(),
            Err(MixtureError::NotPositiveDefinite { component: 1 })
        );
        let singular = Covariances::Tied(array![[1.0, 1.0], [1.0, 1.0]]);
        assert_eq!(
            singular.inverse(),
            Err(MixtureError::NotPositiveDefinite { component: 0 })
        );
    }
}
