//! Principal axes of a data set: how to look at d-dimensional data and a
//! fitted mixture in the plane that shows the most of it.

use crate::{check_data, MixtureError};
use ndarray::{Array1, Array2, ArrayView2, Axis};

/// The leading principal axes of some data: its mean and the unit
/// eigenvectors of its covariance with the largest eigenvalues.
#[derive(Clone, Debug, PartialEq)]
pub struct PrincipalAxes {
    /// Column means of the data.
    pub mean: Array1<f64>,
    /// `d x m`: one unit axis per column, by decreasing variance.
    pub axes: Array2<f64>,
    /// The variance of the data along each axis.
    pub variances: Array1<f64>,
}

impl PrincipalAxes {
    /// The `m` leading axes of the rows of `x`, by the cyclic Jacobi
    /// eigenvalue method on the `d x d` covariance (exact to rounding for
    /// any symmetric matrix; `d` is small).
    ///
    /// # Reference
    /// G. H. Golub, C. F. Van Loan, *Matrix Computations*, 4th ed., section 8.5.
    ///
    /// # Errors
    /// The data errors of [`check_data`]; [`MixtureError::InvalidHyperparameter`]
    /// when `m` is 0 or more than the number of features.
    pub fn fit(x: ArrayView2<f64>, m: usize) -> Result<Self, MixtureError> {
        check_data(x)?;
        let d = x.ncols();
        if m == 0 || m > d {
            return Err(MixtureError::InvalidHyperparameter {
                name: "n_axes",
                value: m.to_string(),
                valid: "between 1 and the number of features",
            });
        }
        let mean = x.mean_axis(Axis(0)).expect("at least one row");
        let centred = &x - &mean;
        let mut a = centred.t().dot(&centred) / x.nrows() as f64;
        let mut v = Array2::<f64>::eye(d);
        for _sweep in 0..100 {
            let off: f64 = (0..d)
                .flat_map(|p| (0..d).filter(move |&q| q != p).map(move |q| (p, q)))
                .map(|(p, q)| a[[p, q]] * a[[p, q]])
                .sum();
            let scale: f64 = a.iter().map(|x| x * x).sum();
            if off <= f64::EPSILON * f64::EPSILON * scale {
                break;
            }
            for p in 0..d {
                for q in p + 1..d {
                    rotate(&mut a, &mut v, p, q);
                }
            }
        }
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&i, &j| a[[j, j]].total_cmp(&a[[i, i]]));
        order.truncate(m);
        let axes = v.select(Axis(1), &order);
        let variances = order.iter().map(|&i| a[[i, i]].max(0.0)).collect();
        Ok(PrincipalAxes {
            mean,
            axes,
            variances,
        })
    }

    /// Coordinates of the rows of `x` along the axes: `(x - mean) axes`.
    ///
    /// # Panics
    /// If `x` does not have the fitted number of columns.
    #[track_caller]
    pub fn project(&self, x: ArrayView2<f64>) -> Array2<f64> {
        (&x - &self.mean).dot(&self.axes)
    }

    /// A `d x d` covariance seen along the axes: `axes^T cov axes`.
    ///
    /// # Panics
    /// If `cov` is not `d x d`.
    #[track_caller]
    pub fn project_covariance(&self, cov: ArrayView2<f64>) -> Array2<f64> {
        self.axes.t().dot(&cov).dot(&self.axes)
    }
}

/// One Jacobi rotation zeroing `a[p][q]`, accumulated into `v`.
fn rotate(a: &mut Array2<f64>, v: &mut Array2<f64>, p: usize, q: usize) {
    let apq = a[[p, q]];
    if apq == 0.0 {
        return;
    }
    let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * apq);
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    let d = a.nrows();
    for k in 0..d {
        let (akp, akq) = (a[[k, p]], a[[k, q]]);
        a[[k, p]] = c * akp - s * akq;
        a[[k, q]] = s * akp + c * akq;
    }
    for k in 0..d {
        let (apk, aqk) = (a[[p, k]], a[[q, k]]);
        a[[p, k]] = c * apk - s * aqk;
        a[[q, k]] = s * apk + c * aqk;
    }
    for k in 0..d {
        let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
        v[[k, p]] = c * vkp - s * vkq;
        v[[k, q]] = s * vkp + c * vkq;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn finds_the_axes_of_a_known_covariance() {
        // Points on a rotated rectangle: spread 3 along (1, 1)/sqrt 2, 1 along (1, -1)/sqrt 2.
        let r = std::f64::consts::FRAC_1_SQRT_2;
        let mut rows = Vec::new();
        for &(u, w) in &[(3.0, 1.0), (3.0, -1.0), (-3.0, 1.0), (-3.0, -1.0)] {
            rows.push([r * (u + w) + 5.0, r * (u - w) - 2.0]);
        }
        let x = Array2::from(rows);
        let pa = PrincipalAxes::fit(x.view(), 2).unwrap();
        assert!((pa.variances[0] - 9.0).abs() < 1e-12 && (pa.variances[1] - 1.0).abs() < 1e-12);
        let first = pa.axes.column(0);
        assert!((first[0].abs() - r).abs() < 1e-12 && (first[0] - first[1]).abs() < 1e-12);
        assert!((pa.mean[0] - 5.0).abs() < 1e-12);
        // Projected data has the eigenvalues as variances and no correlation.
        let p = pa.project(x.view());
        let cov = p.t().dot(&p) / 4.0;
        assert!((cov[[0, 0]] - 9.0).abs() < 1e-12 && cov[[0, 1]].abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_axis_counts() {
        let x = array![[1.0, 2.0], [3.0, 5.0]];
        assert!(PrincipalAxes::fit(x.view(), 0).is_err());
        assert!(PrincipalAxes::fit(x.view(), 3).is_err());
    }
}
