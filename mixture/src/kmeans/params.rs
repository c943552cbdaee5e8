//! Hyperparameters of K-means and their checks, kept apart from the fitting
//! so that a bad setting is rejected before any work is done.

use crate::MixtureError;
use ndarray::Array2;

/// Largest number of extra k-means++ candidates accepted (each costs a pass over the data).
const MAX_EXTRA_CANDIDATES: usize = 1000;

/// Entry point of the builder: `KMeans::params(k)`.
#[derive(Debug, Clone, Copy)]
pub struct KMeans;

impl KMeans {
    /// Default hyperparameters for `n_clusters` clusters: k-means++ seeding,
    /// squared Euclidean distance, Lloyd iterations, `n_init = 1`,
    /// `tol = 1e-4`, `max_iter = 300`, `seed = 0`.
    pub fn params(n_clusters: usize) -> KMeansParams {
        KMeansParams {
            n_clusters,
            init: Init::KMeansPlusPlus {
                extra_candidates: None,
            },
            distance: Distance::SquaredEuclidean,
            algorithm: Algorithm::Lloyd,
            n_init: 1,
            tol: 1e-4,
            max_iter: 300,
            seed: 0,
        }
    }
}

/// How the first centres are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Init {
    /// `k` distinct rows of the data, drawn uniformly among rows of positive weight.
    Random,
    /// Greedy k-means++: each new centre is the best, by potential, of
    /// `1 + extra_candidates` rows drawn with probability proportional to
    /// weight times the squared distance to the nearest chosen centre.
    /// `None` uses `1 + floor(ln k)` extra candidates (scikit-learn's default);
    /// `Some(0)` is plain k-means++; at most 1000. TensorFlow calls this number
    /// `kmeans_plus_plus_num_retries`.
    ///
    /// # Reference
    /// Arthur and Vassilvitskii, k-means++: the advantages of careful seeding, SODA 2007.
    KMeansPlusPlus {
        /// Extra candidates tried per centre.
        extra_candidates: Option<usize>,
    },
    /// These centres, one row per cluster (`n_init` is then ignored: every
    /// restart would be the same).
    Given(Array2<f64>),
}

/// The dissimilarity minimised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Distance {
    /// `||x - c||^2`.
    SquaredEuclidean,
    /// `1 - x.c / (||x|| ||c||)`: rows are scaled to unit length and centres
    /// are kept at unit length (spherical K-means), so the length of a row
    /// does not matter. Zero rows are rejected.
    Cosine,
}

impl Distance {
    /// The factor from the squared Euclidean distance of the prepared rows
    /// and centres to this distance: cosine works on unit-length rows and
    /// centres, where `1 - cos = ||x - c||^2 / 2`.
    pub(crate) fn scale(self) -> f64 {
        match self {
            Distance::SquaredEuclidean => 1.0,
            Distance::Cosine => 0.5,
        }
    }
}

impl std::str::FromStr for Init {
    type Err = MixtureError;

    /// Parses `random` or `kmeans++` (with the default number of candidates);
    /// case-insensitive. Given centres have no text form.
    fn from_str(s: &str) -> Result<Self, MixtureError> {
        match s.to_ascii_lowercase().as_str() {
            "random" => Ok(Init::Random),
            "kmeans++" | "k-means++" => Ok(Init::KMeansPlusPlus {
                extra_candidates: None,
            }),
            _ => Err(MixtureError::InvalidHyperparameter {
                name: "init",
                value: format!("{s:?}"),
                valid: "one of \"random\", \"kmeans++\"",
            }),
        }
    }
}

impl std::str::FromStr for Distance {
    type Err = MixtureError;

    /// Parses `euclidean` (squared Euclidean; `sqeuclidean` also reads) or
    /// `cosine`; case-insensitive.
    fn from_str(s: &str) -> Result<Self, MixtureError> {
        match s.to_ascii_lowercase().as_str() {
            "euclidean" | "sqeuclidean" => Ok(Distance::SquaredEuclidean),
            "cosine" => Ok(Distance::Cosine),
            _ => Err(MixtureError::InvalidHyperparameter {
                name: "distance",
                value: format!("{s:?}"),
                valid: "one of \"euclidean\", \"cosine\"",
            }),
        }
    }
}

/// How the centres are updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Full-batch Lloyd: every iteration assigns all rows, then moves each
    /// centre to the mean of its rows. An empty cluster takes the row
    /// farthest from its centre (see [`Lloyd`](super::Lloyd)).
    Lloyd,
    /// Mini-batch K-means: every step draws `batch_size` rows (at most the
    /// number of rows) with replacement and moves each centre towards their
    /// mean with a learning rate of (batch weight of the centre) / (total
    /// weight it has seen).
    /// One iteration is `steps_per_iteration` steps (TensorFlow's
    /// `mini_batch_steps_per_iteration`).
    ///
    /// # Reference
    /// Sculley, Web-scale k-means clustering, WWW 2010.
    MiniBatch {
        /// Rows per step, at least 1.
        batch_size: usize,
        /// Steps per iteration, at least 1.
        steps_per_iteration: usize,
    },
}

/// Unchecked K-means hyperparameters: a builder that
/// [`KMeansParams::check`] turns into [`KMeansValidParams`] (and
/// [`KMeansParams::fit`] checks, then fits).
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansParams {
    pub(crate) n_clusters: usize,
    pub(crate) init: Init,
    pub(crate) distance: Distance,
    pub(crate) algorithm: Algorithm,
    pub(crate) n_init: usize,
    pub(crate) tol: f64,
    pub(crate) max_iter: usize,
    pub(crate) seed: u64,
}

impl KMeansParams {
    /// Initialisation method (default k-means++ with the default number of candidates).
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// Distance (default squared Euclidean).
    pub fn distance(mut self, distance: Distance) -> Self {
        self.distance = distance;
        self
    }

    /// Update rule (default Lloyd).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Number of runs from different seedings; the run of lowest inertia is kept (default 1).
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Relative tolerance, at least 0 (default 1e-4). Lloyd stops when the
    /// inertia falls by at most `tol` times its previous value in one
    /// iteration; mini-batch stops when the centres move, summed squared over
    /// one iteration, by at most `tol` times the total variance of the data.
    /// Both also stop when an iteration changes no label (Lloyd) or at `max_iter`.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Maximum number of iterations (default 300); 0 returns the initial centres.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Seed of the ChaCha8 generator behind every random choice (default 0):
    /// the same seed and data give the same model, for any number of threads.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
    }

    /// Rejects settings outside their valid range, naming the range.
    pub fn check(self) -> Result<KMeansValidParams, MixtureError> {
        let bad = |name, value: String, valid| {
            Err(MixtureError::InvalidHyperparameter { name, value, valid })
        };
        if self.n_clusters == 0 {
            return bad("n_clusters", "0".into(), "at least 1");
        }
        if self.n_init == 0 {
            return bad("n_init", "0".into(), "at least 1");
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return bad("tol", self.tol.to_string(), "finite and at least 0");
        }
        if let Algorithm::MiniBatch {
            batch_size,
            steps_per_iteration,
        } = self.algorithm
        {
            if batch_size == 0 {
                return bad("batch_size", "0".into(), "at least 1");
            }
            if steps_per_iteration == 0 {
                return bad("steps_per_iteration", "0".into(), "at least 1");
            }
        }
        if let Init::KMeansPlusPlus {
            extra_candidates: Some(extra),
        } = self.init
        {
            if extra > MAX_EXTRA_CANDIDATES {
                return bad("extra_candidates", extra.to_string(), "at most 1000");
            }
        }
        if let Init::Given(centres) = &self.init {
            if centres.nrows() != self.n_clusters || centres.ncols() == 0 {
                return Err(MixtureError::CentresShape {
                    rows: self.n_clusters,
                    cols: centres.ncols().max(1),
                    got_rows: centres.nrows(),
                    got_cols: centres.ncols(),
                });
            }
            if let Some(((row, column), &value)) =
                centres.indexed_iter().find(|(_, v)| !v.is_finite())
            {
                return Err(MixtureError::NonFiniteCentre { row, column, value });
            }
        }
        Ok(KMeansValidParams { params: self })
    }
}

/// K-means hyperparameters that passed [`KMeansParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansValidParams {
    pub(crate) params: KMeansParams,
}

impl KMeansValidParams {
    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.params.n_clusters
    }

    /// Initialisation method.
    pub fn init(&self) -> &Init {
        &self.params.init
    }

    /// Distance minimised.
    pub fn distance(&self) -> Distance {
        self.params.distance
    }

    /// Update rule.
    pub fn algorithm(&self) -> Algorithm {
        self.params.algorithm
    }

    /// Number of runs from different seedings.
    pub fn n_init(&self) -> usize {
        self.params.n_init
    }

    /// Relative tolerance.
    pub fn tol(&self) -> f64 {
        self.params.tol
    }

    /// Most iterations.
    pub fn max_iter(&self) -> usize {
        self.params.max_iter
    }

    /// Seed of the random choices.
    pub fn seed(&self) -> u64 {
        self.params.seed
    }

    /// Rows per task of [`fit_shard`](Self::fit_shard)'s passes: each
    /// process's share must be whole tasks (see
    /// [`share`](crate::distributed::share)).
    pub fn task_rows(&self) -> usize {
        crate::gmm::TASK_ROWS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_into_the_enums() {
        assert_eq!("random".parse::<Init>().unwrap(), Init::Random);
        assert_eq!(
            "KMeans++".parse::<Init>().unwrap(),
            Init::KMeansPlusPlus {
                extra_candidates: None
            }
        );
        assert_eq!(
            "euclidean".parse::<Distance>().unwrap(),
            Distance::SquaredEuclidean
        );
        assert_eq!("cosine".parse::<Distance>().unwrap(), Distance::Cosine);
        let err = "manhattan".parse::<Distance>().unwrap_err().to_string();
        assert!(err.contains("manhattan") && err.contains("cosine"), "{err}");
        let err = "given".parse::<Init>().unwrap_err().to_string();
        assert!(err.contains("kmeans++"), "{err}");
    }

    #[test]
    fn rejects_nonsense_with_the_valid_range() {
        let cases = [
            (KMeans::params(0), "n_clusters"),
            (KMeans::params(2).n_init(0), "n_init"),
            (KMeans::params(2).tol(-1.0), "tol"),
            (KMeans::params(2).tol(f64::NAN), "tol"),
            (
                KMeans::params(2).init(Init::KMeansPlusPlus {
                    extra_candidates: Some(usize::MAX),
                }),
                "extra_candidates",
            ),
            (
                KMeans::params(2).algorithm(Algorithm::MiniBatch {
                    batch_size: 0,
                    steps_per_iteration: 1,
                }),
                "batch_size",
            ),
            (
                KMeans::params(2).algorithm(Algorithm::MiniBatch {
                    batch_size: 10,
                    steps_per_iteration: 0,
                }),
                "steps_per_iteration",
            ),
        ];
        for (params, expected) in cases {
            match params.check() {
                Err(e @ MixtureError::InvalidHyperparameter { name, .. }) => {
                    assert_eq!(name, expected);
                    assert!(e.to_string().contains("must be"));
                }
                other => panic!("{expected}: expected InvalidHyperparameter, got {other:?}"),
            }
        }
        assert_eq!(KMeans::params(3).check().unwrap().n_clusters(), 3);
    }

    #[test]
    fn rejects_given_centres_of_the_wrong_shape_or_value() {
        let wrong = KMeans::params(3).init(Init::Given(Array2::zeros((2, 4))));
        assert!(matches!(
            wrong.check(),
            Err(MixtureError::CentresShape {
                rows: 3,
                got_rows: 2,
                ..
            })
        ));
        let mut c = Array2::zeros((2, 2));
        c[[1, 0]] = f64::INFINITY;
        assert!(matches!(
            KMeans::params(2).init(Init::Given(c)).check(),
            Err(MixtureError::NonFiniteCentre {
                row: 1,
                column: 0,
                ..
            })
        ));
    }
}
