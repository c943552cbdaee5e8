//! Sufficient statistics of one EM pass as a mergeable value, and the M-step
//! that turns them into new parameters.
//!
//! Every chunk of rows (and so every thread) accumulates its own statistics;
//! merging them in a fixed order makes the result independent of the number of
//! threads, and merging across batches gives exact EM over data that is seen
//! one batch at a time.

use super::covariance::{spherical_from_diag, CovarianceType, Covariances};
use crate::MixtureError;
use ndarray::{Array1, Array2, Array3};

/// Responsibility-weighted sums over the samples seen so far, in coordinates
/// shifted by a fixed vector (the data mean) so that second moments do not
/// lose digits to cancellation.
///
/// ```text
/// resp_j   = sum_i r_ij
/// first_j  = sum_i r_ij (x_i - shift)
/// second_j = sum_i r_ij (x_i - shift)(x_i - shift)^T   (full; diagonal only for diag and
///            spherical; summed over components for tied, where sum_j r_ij = w_i)
/// ```
///
/// Serialisable (serde), so that another engine (Spark, Ray, Dask) can
/// compute statistics per partition, ship them, [`merge`](Self::merge) them and
/// run the M-step ([`GaussianMixtureModel::m_step`](super::GaussianMixtureModel::m_step)).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SufficientStats {
    pub(crate) covariance_type: CovarianceType,
    pub(crate) k: usize,
    pub(crate) d: usize,
    pub(crate) shift: Vec<f64>,
    /// Sum of the sample weights.
    pub(crate) weight: f64,
    /// Sample-weighted sum of the log-likelihoods (zero when responsibilities were given).
    pub(crate) log_likelihood: f64,
    /// (k, w) per component: the d first moments, for diag and spherical the d
    /// diagonal second moments, and last the sum of responsibilities
    /// (w = [`width`]).
    pub(crate) moments: Vec<f64>,
    /// Full: (k, d(d+1)/2), the upper triangle of each component's matrix row
    /// by row. Tied: (d, d). Else empty.
    pub(crate) second: Vec<f64>,
}

impl SufficientStats {
    /// Zero statistics for `k` components in `d` dimensions.
    pub(crate) fn zeros(covariance_type: CovarianceType, k: usize, shift: &[f64]) -> Self {
        let d = shift.len();
        let second = match covariance_type {
            CovarianceType::Full => k * triangle(d),
            CovarianceType::Tied => d * d,
            CovarianceType::Diag | CovarianceType::Spherical => 0,
        };
        SufficientStats {
            covariance_type,
            k,
            d,
            shift: shift.to_vec(),
            weight: 0.0,
            log_likelihood: 0.0,
            moments: vec![0.0; k * width(covariance_type, d)],
            second: vec![0.0; second],
        }
    }

    /// Adds the statistics of other samples, computed under the same model;
    /// statistics of another model (or of another covariance type or size)
    /// give an error.
    pub fn merge(&mut self, other: &SufficientStats) -> Result<(), MixtureError> {
        if self.covariance_type != other.covariance_type
            || self.k != other.k
            || self.shift != other.shift
        {
            return Err(MixtureError::ShapeMismatch {
                what: "statistics to merge (computed under another model)",
                expected: vec![self.k, self.d],
                got: vec![other.k, other.d],
            });
        }
        self.add(other);
        Ok(())
    }

    /// Adds statistics known to come from the same model.
    pub(crate) fn add(&mut self, other: &SufficientStats) {
        self.weight += other.weight;
        self.log_likelihood += other.log_likelihood;
        for (a, b) in self
            .moments
            .iter_mut()
            .chain(self.second.iter_mut())
            .zip(other.moments.iter().chain(&other.second))
        {
            *a += b;
        }
    }

    /// Whether every sum is finite (a non-finite value in the data makes
    /// some of them non-finite).
    pub(crate) fn is_finite(&self) -> bool {
        [self.weight, self.log_likelihood]
            .iter()
            .chain(&self.moments)
            .chain(&self.second)
            .all(|v| v.is_finite())
    }

    /// All the sums as one vector, in the order [`add`](Self::add) adds them.
    pub(crate) fn into_words(self) -> Vec<f64> {
        let mut words = Vec::with_capacity(2 + self.moments.len() + self.second.len());
        words.extend([self.weight, self.log_likelihood]);
        words.extend(self.moments);
        words.extend(self.second);
        words
    }

    /// Statistics of `self`'s shape with the sums in `words` (from
    /// [`into_words`](Self::into_words)).
    pub(crate) fn with_words(&self, words: Vec<f64>) -> Self {
        let m = self.moments.len();
        SufficientStats {
            weight: words[0],
            log_likelihood: words[1],
            moments: words[2..2 + m].to_vec(),
            second: words[2 + m..].to_vec(),
            ..self.clone()
        }
    }

    /// Total sample weight seen (the number of samples when unweighted).
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// Mean log-likelihood per unit of sample weight of the samples seen.
    pub fn mean_log_likelihood(&self) -> f64 {
        self.log_likelihood / self.weight
    }

    /// Sum of responsibilities of each component.
    pub fn responsibilities(&self) -> Vec<f64> {
        (0..self.k).map(|j| self.resp(j)).collect()
    }

    fn width(&self) -> usize {
        width(self.covariance_type, self.d)
    }

    /// Sum of responsibilities of component `j`.
    pub(crate) fn resp(&self, j: usize) -> f64 {
        self.moments[(j + 1) * self.width() - 1]
    }

    /// Entry `(a, b)` of component `j`'s responsibility-weighted scatter
    /// around `m[j]` (shifted coordinates), from the full second moments:
    /// `second_j - m first_j^T - first_j m^T + resp_j m m^T`.
    pub(crate) fn full_scatter(&self, j: usize, a: usize, b: usize, m: &Array2<f64>) -> f64 {
        let s2 = self.second[j * triangle(self.d) + triangle_index(self.d, a, b)];
        s2 - m[[j, a]] * self.first(j, b) - self.first(j, a) * m[[j, b]]
            + self.resp(j) * m[[j, a]] * m[[j, b]]
    }

    /// The tied scatter: the sum over components of each one's
    /// responsibility-weighted scatter around `m[j]` (shifted coordinates),
    /// from the tied second moments.
    pub(crate) fn tied_scatter(&self, m: &Array2<f64>) -> Array2<f64> {
        let d = self.d;
        let mut c =
            Array2::from_shape_vec((d, d), self.second.clone()).expect("d * d second moments");
        for j in 0..self.k {
            for a in 0..d {
                for b in 0..d {
                    c[[a, b]] -= m[[j, a]] * self.first(j, b) + self.first(j, a) * m[[j, b]]
                        - self.resp(j) * m[[j, a]] * m[[j, b]];
                }
            }
        }
        c
    }

    /// Entry `l` of component `j`'s diagonal scatter around `m[j]` (diag and
    /// spherical): `second_jl - 2 m first_jl + resp_j m^2`.
    pub(crate) fn diag_scatter(&self, j: usize, l: usize, m: &Array2<f64>) -> f64 {
        self.diag_second(j, l) - 2.0 * m[[j, l]] * self.first(j, l)
            + self.resp(j) * m[[j, l]] * m[[j, l]]
    }

    /// Diagonal second moment of component `j`, feature `l` (diag and spherical).
    pub(crate) fn diag_second(&self, j: usize, l: usize) -> f64 {
        self.moments[j * self.width() + self.d + l]
    }

    /// First moment of component `j`, feature `l`, in shifted coordinates.
    pub(crate) fn first(&self, j: usize, l: usize) -> f64 {
        self.moments[j * self.width() + l]
    }

    /// The M-step: new weights, means and covariances from these statistics.
    /// A `Some` argument is kept fixed instead of updated (TensorFlow's "wmc");
    /// covariances are always taken around the means returned.
    ///
    /// ```text
    /// N_j   = resp_j + 10 eps              (empty components give no NaN)
    /// w_j   = N_j / sum N
    /// mu_j  = first_j / N_j + shift
    /// C_j   = (second_j - m first_j^T - first_j m^T + resp_j m m^T) / N_j + reg I,  m = mu_j - shift
    /// ```
    pub(crate) fn maximise(
        &self,
        reg_covar: f64,
        fixed_weights: Option<&Array1<f64>>,
        fixed_means: Option<&Array2<f64>>,
        fixed_covariances: Option<&Covariances>,
    ) -> Result<(Array1<f64>, Array2<f64>, Covariances), MixtureError> {
        let (k, d) = (self.k, self.d);
        let nk: Vec<f64> = (0..k).map(|j| self.resp(j) + 10.0 * f64::EPSILON).collect();
        let total: f64 = nk.iter().sum();
        let weights = match fixed_weights {
            Some(w) => w.clone(),
            None => nk.iter().map(|n| n / total).collect(),
        };
        // Means in shifted coordinates.
        let m = match fixed_means {
            Some(mu) => Array2::from_shape_fn((k, d), |(j, l)| mu[[j, l]] - self.shift[l]),
            None => Array2::from_shape_fn((k, d), |(j, l)| self.first(j, l) / nk[j]),
        };
        let means = match fixed_means {
            Some(mu) => mu.clone(),
            None => Array2::from_shape_fn((k, d), |(j, l)| m[[j, l]] + self.shift[l]),
        };
        if let Some(c) = fixed_covariances {
            return Ok((weights, means, c.clone()));
        }
        let covariances = match self.covariance_type {
            CovarianceType::Full => {
                let t = triangle(d);
                let mut c = Array3::zeros((k, d, d));
                for j in 0..k {
                    for a in 0..d {
                        for b in 0..d {
                            c[[j, a, b]] = self.full_scatter(j, a, b, &m) / nk[j];
                        }
                    }
                    let raw = |a: usize| self.second[j * t + triangle_index(d, a, a)] / nk[j];
                    let mut cj = c.index_axis_mut(ndarray::Axis(0), j);
                    zero_rounding_noise(cj.view_mut(), raw);
                    symmetrise_and_regularise(cj, reg_covar);
                }
                Covariances::Full(c)
            }
            CovarianceType::Tied => {
                let mut c = self.tied_scatter(&m);
                c /= total;
                zero_rounding_noise(c.view_mut(), |a| self.second[a * d + a] / total);
                symmetrise_and_regularise(c.view_mut(), reg_covar);
                Covariances::Tied(c)
            }
            CovarianceType::Diag | CovarianceType::Spherical => {
                let diag = Array2::from_shape_fn((k, d), |(j, l)| {
                    let s2 = self.diag_second(j, l);
                    let v = self.diag_scatter(j, l, &m) / nk[j];
                    if v <= noise_floor(s2 / nk[j], d) {
                        reg_covar
                    } else {
                        v + reg_covar
                    }
                });
                if self.covariance_type == CovarianceType::Diag {
                    Covariances::Diag(diag)
                } else {
                    Covariances::Spherical(spherical_from_diag(&diag))
                }
            }
        };
        Ok((weights, means, covariances))
    }
}

/// Entries of the upper triangle of a `d x d` matrix.
pub(crate) fn triangle(d: usize) -> usize {
    d * (d + 1) / 2
}

/// Position of entry (a, b) (or (b, a)) in an upper triangle stored row by row.
fn triangle_index(d: usize, a: usize, b: usize) -> usize {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    a * (2 * d + 1 - a) / 2 + (b - a)
}

/// Values per row of a loaded chunk and per component of the moments: the
/// shifted row, its squares for diag and spherical, and a 1 that carries the
/// constant term in the E-step and the responsibility sum in the M-step.
pub(crate) fn width(covariance_type: CovarianceType, d: usize) -> usize {
    match covariance_type {
        CovarianceType::Full | CovarianceType::Tied => d + 1,
        CovarianceType::Diag | CovarianceType::Spherical => 2 * d + 1,
    }
}

/// Largest variance that is indistinguishable from rounding noise when it is
/// computed as a difference from the raw second moment `raw`.
fn noise_floor(raw: f64, d: usize) -> f64 {
    8.0 * (d as f64) * f64::EPSILON * raw
}

/// Sets the variances (and their rows and columns) that are below the rounding
/// noise of the moments to exactly zero, so that collapsed components are
/// reported as such (without `reg_covar`) instead of getting a precision of 1e15.
fn zero_rounding_noise(mut c: ndarray::ArrayViewMut2<f64>, raw: impl Fn(usize) -> f64) {
    let d = c.nrows();
    for a in 0..d {
        if c[[a, a]] <= noise_floor(raw(a), d) {
            c.row_mut(a).fill(0.0);
            c.column_mut(a).fill(0.0);
        }
    }
}

/// Makes a covariance matrix exactly symmetric (mean of both halves) and adds
/// `reg` to its diagonal.
fn symmetrise_and_regularise(mut c: ndarray::ArrayViewMut2<f64>, reg: f64) {
    let d = c.nrows();
    for a in 0..d {
        for b in 0..a {
            let v = 0.5 * (c[[a, b]] + c[[b, a]]);
            c[[a, b]] = v;
            c[[b, a]] = v;
        }
        c[[a, a]] += reg;
    }
}
