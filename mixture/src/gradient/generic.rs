//! The mean log-likelihood in plain loops over any [`Scalar`]: the reference
//! that forward mode (dual numbers) differentiates, and the function whose
//! Hessian gives the observed information. One node per number on a tape,
//! so it is meant for small data; fitting uses the array version.

use super::Unconstrained;
use crate::gmm::CovarianceType;
use admix_dual::{Scalar, ScalarFn};
use ndarray::ArrayView2;

/// The penalised mean log-likelihood of the rows of `x` as a function of
/// the unconstrained parameters (see [`Unconstrained`]):
///
/// ```text
/// f(theta) = 1/n sum_i log sum_j w_j N(x_i | mu_j, (U_j U_j^T)^-1)
///            - reg_covar / 2 sum_j w_j |U_j|_F^2
/// log N(x | mu, (U U^T)^-1) = sum_a ln U_aa - d/2 ln(2 pi) - |(x - mu) U|^2 / 2
/// ```
///
/// The penalty is the log of the prior under which the covariance update at
/// the maximum is EM's `C_j = S_j + reg_covar I` (with `w_j = N_j / n`); it
/// is zero for `reg_covar = 0` (the plain likelihood).
///
/// # Example
/// ```
/// use admix_dual::ScalarFn;
/// use admix_mixture::gmm::CovarianceType;
/// use admix_mixture::gradient::{LogLikelihood, Unconstrained};
/// use ndarray::array;
///
/// // One standard normal component: theta = [logit, mean, ln precision].
/// let x = array![[0.0], [1.0]];
/// let f = LogLikelihood::new(x.view(), Unconstrained::new(CovarianceType::Spherical, 1, 1), 0.0);
/// let ll: f64 = f.eval(&[0.0, 0.0, 0.0]);
/// let expected = -0.5 * (2.0 * std::f64::consts::PI).ln() - 0.25;
/// assert!((ll - expected).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LogLikelihood<'a> {
    x: ArrayView2<'a, f64>,
    layout: Unconstrained,
    reg_covar: f64,
}

impl<'a> LogLikelihood<'a> {
    /// The function for data `x` (rows are samples), parameter layout
    /// `layout` and penalty weight `reg_covar` (0 for the likelihood alone).
    pub fn new(x: ArrayView2<'a, f64>, layout: Unconstrained, reg_covar: f64) -> Self {
        Self {
            x,
            layout,
            reg_covar,
        }
    }

    /// Number of rows n.
    pub fn n_samples(&self) -> usize {
        self.x.nrows()
    }
}

impl ScalarFn for LogLikelihood<'_> {
    /// # Panics
    /// When `theta` does not have the layout's length or `x` not its
    /// number of features.
    #[track_caller]
    fn eval<S: Scalar>(&self, theta: &[S]) -> S {
        let lay = &self.layout;
        let (k, d) = (lay.n_components(), lay.n_features());
        assert_eq!(theta.len(), lay.len(), "theta does not fit the layout");
        assert_eq!(self.x.ncols(), d, "data does not fit the layout");
        let logits = &theta[lay.logits()];
        let lse = log_sum_exp(logits);
        let log_w: Vec<S> = logits.iter().map(|&l| l - lse).collect();
        let means = &theta[lay.means()];
        let factors = factors(lay, &theta[lay.covariances()]);
        let half_log_2pi = S::constant(0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln());
        let consts: Vec<S> = (0..k)
            .map(|j| {
                let log_det: S = (0..d).map(|a| factors.get(j, a, a).ln()).sum();
                log_w[j] + log_det - half_log_2pi
            })
            .collect();
        let mut total = S::zero();
        let mut lp = vec![S::zero(); k];
        let mut z = vec![S::zero(); d];
        for row in self.x.outer_iter() {
            for j in 0..k {
                for (b, zb) in z.iter_mut().enumerate() {
                    *zb = (0..=b)
                        .filter(|&a| a == b || !factors.diagonal)
                        .map(|a| (S::constant(row[a]) - means[j * d + a]) * factors.get(j, a, b))
                        .sum();
                }
                let q: S = z.iter().map(|&v| v * v).sum();
                lp[j] = consts[j] - q.scale(0.5);
            }
            total += log_sum_exp(&lp);
        }
        let mean = total / S::constant(self.x.nrows() as f64);
        if self.reg_covar == 0.0 {
            return mean;
        }
        let trace: S = (0..k)
            .map(|j| {
                let sq: S = (0..d)
                    .flat_map(|a| (a..d).map(move |b| (a, b)))
                    .filter(|&(a, b)| a == b || !factors.diagonal)
                    .map(|(a, b)| factors.get(j, a, b).powi(2))
                    .sum();
                log_w[j].exp() * sq
            })
            .sum();
        mean - trace.scale(0.5 * self.reg_covar)
    }
}

/// `ln sum_j exp(v_j)`, shifted by the largest value.
fn log_sum_exp<S: Scalar>(v: &[S]) -> S {
    let max = v
        .iter()
        .fold(S::neg_infinity(), |m, &x| if x > m { x } else { m });
    if !max.is_finite() {
        return max;
    }
    max + v.iter().map(|&x| (x - max).exp()).sum::<S>().ln()
}

/// The precision Cholesky factors `U_j` (upper triangular) in any scalar.
struct Factors<S> {
    d: usize,
    /// Per component, `d x d` row-major (full, tied: one shared) or the `d`
    /// diagonal entries (diag, spherical).
    values: Vec<Vec<S>>,
    diagonal: bool,
    tied: bool,
}

impl<S: Scalar> Factors<S> {
    fn get(&self, j: usize, a: usize, b: usize) -> S {
        let m = &self.values[if self.tied { 0 } else { j }];
        if self.diagonal {
            if a == b {
                m[a]
            } else {
                S::zero()
            }
        } else {
            m[a * self.d + b]
        }
    }
}

fn factors<S: Scalar>(lay: &Unconstrained, block: &[S]) -> Factors<S> {
    let (k, d) = (lay.n_components(), lay.n_features());
    let triangle = |v: &[S]| {
        let mut u = vec![S::zero(); d * d];
        for i in 0..d {
            for c in 0..=i {
                let e = v[i * (i + 1) / 2 + c];
                u[c * d + i] = if c == i { e.exp() } else { e };
            }
        }
        u
    };
    let half = S::constant(0.5);
    let t = lay.triangle();
    let (values, diagonal, tied) = match lay.covariance_type() {
        CovarianceType::Full => (block.chunks_exact(t).map(triangle).collect(), false, false),
        CovarianceType::Tied => (vec![triangle(block)], false, true),
        CovarianceType::Diag => (
            block
                .chunks_exact(d)
                .map(|c| c.iter().map(|&v| (half * v).exp()).collect())
                .collect(),
            true,
            false,
        ),
        CovarianceType::Spherical => (
            block.iter().map(|&v| vec![(half * v).exp(); d]).collect(),
            true,
            false,
        ),
    };
    debug_assert!(tied || values.len() == k);
    Factors {
        d,
        values,
        diagonal,
        tied,
    }
}
