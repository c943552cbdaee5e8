//! "The evils of hard assignments": K-means gives each point to the
//! nearest centre, which splits space by straight bisectors and pictures
//! every cluster as a ball of one size. On overlapping, elongated clusters
//! of different widths, a full-covariance Gaussian mixture (soft
//! assignments, one shape per component) recovers the groups that K-means
//! cuts across.

use admix_mixture::gmm::{Covariances, GaussianMixture, GaussianMixtureModel};
use admix_mixture::kmeans::KMeans;
use admix_mixture::MixtureError;
use ndarray::{array, Array1, Array2};

/// The truth: a long thin horizontal cluster, a second one tilted and
/// wider above it, overlapping at the left end.
pub fn truth() -> Result<GaussianMixtureModel, MixtureError> {
    GaussianMixtureModel::new(
        array![0.5, 0.5],
        array![[0.0, 0.0], [1.0, 2.5]],
        Covariances::Full(array![[[16.0, 0.0], [0.0, 0.09]], [[2.0, 1.2], [1.2, 1.5]]]),
    )
}

/// Data, true labels, and the labels of each method.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The samples, (n, 2).
    pub x: Array2<f64>,
    /// The component each sample was drawn from.
    pub truth: Array1<usize>,
    /// K-means (k = 2) labels.
    pub kmeans: Array1<usize>,
    /// Full-covariance GMM (k = 2) labels.
    pub gmm: Array1<usize>,
}

impl Comparison {
    /// The fraction of samples whose label matches the truth, under the
    /// better of the two ways of pairing the labels.
    pub fn agreement(labels: &Array1<usize>, truth: &Array1<usize>) -> f64 {
        let same = labels.iter().zip(truth).filter(|(a, b)| a == b).count();
        let n = truth.len();
        same.max(n - same) as f64 / n as f64
    }
}

/// The agreement of each method with the truth, as two lines.
pub fn render(c: &Comparison) -> String {
    format!(
        "{} samples from two elongated, overlapping clusters\nagreement with the truth: K-means {:.1}%, full-covariance GMM {:.1}%\n",
        c.x.nrows(),
        100.0 * Comparison::agreement(&c.kmeans, &c.truth),
        100.0 * Comparison::agreement(&c.gmm, &c.truth)
    )
}

/// 600 samples of [`truth`], fitted by K-means and by EM (both seeded).
pub fn compare() -> Result<Comparison, MixtureError> {
    let (x, truth) = truth()?.sample(600, 11)?;
    let kmeans = KMeans::params(2).n_init(10).seed(1).fit(x.view())?;
    let gmm = GaussianMixture::params(2)
        .n_init(5)
        .seed(1)
        .tol(1e-8)
        .max_iter(500)
        .fit(x.view())?;
    Ok(Comparison {
        kmeans: kmeans.predict(x.view())?,
        gmm: gmm.predict(x.view())?,
        x,
        truth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_pairs_labels_either_way() {
        let t = array![0, 0, 1, 1];
        assert_eq!(Comparison::agreement(&array![1, 1, 0, 0], &t), 1.0);
        assert_eq!(Comparison::agreement(&array![0, 1, 1, 1], &t), 0.75);
    }

    #[test]
    fn the_mixture_recovers_the_clusters_that_kmeans_cuts_across() {
        let c = compare().unwrap();
        let kmeans = Comparison::agreement(&c.kmeans, &c.truth);
        let gmm = Comparison::agreement(&c.gmm, &c.truth);
        assert!(gmm > 0.93, "gmm agreement {gmm}");
        assert!(kmeans < gmm - 0.1, "kmeans {kmeans} against gmm {gmm}");
    }
}
