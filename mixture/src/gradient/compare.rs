//! EM against a gradient method on one data set, from the same starting
//! parameters: both traces, both models, and how far apart they ended.

use super::{GradientFit, GradientValidParams};
use crate::distributed::Shard;
use crate::gmm::GaussianMixtureModel;
use crate::{Data, MixtureError, Progress};
use std::time::{Duration, Instant};

/// An EM run as a trace comparable with a gradient fit's.
#[derive(Clone, Debug)]
pub struct EmRun {
    /// The fitted model.
    pub model: GaussianMixtureModel,
    /// Mean log-likelihood of the parameters after each iteration (0: the
    /// start), one data pass each, with the wall time measured when each
    /// pass ended.
    pub trace: Vec<Progress>,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

/// How the components of two models pair up, and how far apart they are.
#[derive(Clone, Debug, PartialEq)]
pub struct Matching {
    /// Component `j` of the first model pairs with `permutation[j]` of the second.
    pub permutation: Vec<usize>,
    /// Mean Euclidean distance between paired means.
    pub mean_distance: f64,
    /// Largest absolute difference between paired weights.
    pub max_weight_difference: f64,
    /// Largest Frobenius norm of the difference between paired covariances.
    pub max_covariance_difference: f64,
}

/// The result of [`compare`].
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The common starting parameters.
    pub start: GaussianMixtureModel,
    /// The EM run.
    pub em: EmRun,
    /// The gradient run.
    pub gradient: GradientFit,
    /// EM's components paired with the gradient fit's.
    pub matching: Matching,
}

/// Fits `x` by EM and by the gradient method of `params` from the same
/// starting parameters (EM's initialisation with `params`' seed).
///
/// # Example
/// ```
/// use admix_mixture::gmm::{CovarianceType, GaussianMixture};
/// use admix_mixture::gradient::{compare, Method};
/// use ndarray::array;
/// # fn main() -> Result<(), admix_mixture::MixtureError> {
/// let x = array![[0.0, 0.1], [0.3, -0.2], [-0.1, 0.0], [5.0, 5.1], [5.3, 4.8], [4.9, 5.0]];
/// let params = GaussianMixture::params(2)
///     .covariance_type(CovarianceType::Diag)
///     .reg_covar(1e-2)
///     .tol(1e-10)
///     .max_iter(500)
///     .gradient(Method::Lbfgs)
///     .check()?;
/// let cmp = compare(&params, x.view())?;
/// let (em, gd) = (cmp.em.trace.last().unwrap(), cmp.gradient.trace.last().unwrap());
/// assert!((em.log_likelihood - gd.log_likelihood).abs() < 1e-4);
/// assert!(cmp.matching.mean_distance < 1e-2);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// The errors of [`GradientValidParams::fit`].
pub fn compare<'a>(
    params: &GradientValidParams,
    x: impl Into<Data<'a>>,
) -> Result<Comparison, MixtureError> {
    compare_shard(params, Shard::whole(x))
}

/// [`compare`] on the rows of a job's processes (see
/// `GmmValidParams::fit_shard`): every process returns the same models and
/// traces, timings apart.
///
/// # Errors
/// As [`compare`] and `GradientValidParams::fit_shard`.
pub fn compare_shard(
    params: &GradientValidParams,
    shard: Shard<'_>,
) -> Result<Comparison, MixtureError> {
    let start = params.gmm.initial_model_shard(shard)?;
    let em = run_em(params, shard, &start)?;
    let gradient = params.fit_from_shard(shard, &start, &mut |_| {})?;
    let matching = match_components(&em.model, &gradient.model);
    Ok(Comparison {
        start,
        em,
        gradient,
        matching,
    })
}

/// EM from `start` with the shared hyperparameters.
fn run_em(
    params: &GradientValidParams,
    shard: Shard<'_>,
    start: &GaussianMixtureModel,
) -> Result<EmRun, MixtureError> {
    let em = params.gmm.warm_started(start)?;
    let began = Instant::now();
    let mut trace = Vec::new();
    let model = em.fit_shard_with_progress(shard, &mut |p| trace.push(*p))?;
    let elapsed = began.elapsed();
    // The final E-step, which gave the model its lower bound, is a pass too.
    let n_iter = model.n_iter();
    trace.push(Progress {
        restart: 0,
        iteration: n_iter,
        passes: (n_iter + 1) as f64,
        elapsed,
        log_likelihood: model
            .lower_bound()
            .expect("a fitted model has a lower bound"),
    });
    Ok(EmRun {
        model,
        trace,
        elapsed,
    })
}

/// Pairs the components of `a` with those of `b` by the permutation that
/// minimises the mean distance between paired means: every permutation for
/// k <= 8, greedily (closest pair first) beyond.
///
/// # Panics
/// When the models have different numbers of components or features.
#[track_caller]
pub fn match_components(a: &GaussianMixtureModel, b: &GaussianMixtureModel) -> Matching {
    let k = a.n_components();
    assert_eq!(k, b.n_components(), "models of different sizes");
    assert_eq!(a.n_features(), b.n_features(), "models of different sizes");
    let dist: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| {
                    let diff = &a.means().row(i) - &b.means().row(j);
                    diff.dot(&diff).sqrt()
                })
                .collect()
        })
        .collect();
    let permutation = if k <= 8 {
        let mut best = (f64::INFINITY, Vec::new());
        search(
            &dist,
            &mut Vec::with_capacity(k),
            &mut vec![false; k],
            0.0,
            &mut best,
        );
        best.1
    } else {
        greedy(&dist)
    };
    let full = |m: &GaussianMixtureModel, j: usize| m.covariances().component(j, m.n_features());
    let mut max_w: f64 = 0.0;
    let mut max_c: f64 = 0.0;
    for (i, &j) in permutation.iter().enumerate() {
        max_w = max_w.max((a.weights()[i] - b.weights()[j]).abs());
        let diff: f64 = full(a, i)
            .iter()
            .zip(&full(b, j))
            .map(|(p, q)| (p - q) * (p - q))
            .sum();
        max_c = max_c.max(diff.sqrt());
    }
    let mean_distance = permutation
        .iter()
        .enumerate()
        .map(|(i, &j)| dist[i][j])
        .sum::<f64>()
        / k as f64;
    Matching {
        permutation,
        mean_distance,
        max_weight_difference: max_w,
        max_covariance_difference: max_c,
    }
}

/// Depth-first search over permutations, pruning partial sums that are
/// already worse than the best complete one.
fn search(
    dist: &[Vec<f64>],
    chosen: &mut Vec<usize>,
    used: &mut [bool],
    sum: f64,
    best: &mut (f64, Vec<usize>),
) {
    let i = chosen.len();
    if i == dist.len() {
        if sum < best.0 {
            *best = (sum, chosen.clone());
        }
        return;
    }
    for j in 0..dist.len() {
        if used[j] || sum + dist[i][j] >= best.0 {
            continue;
        }
        used[j] = true;
        chosen.push(j);
        search(dist, chosen, used, sum + dist[i][j], best);
        chosen.pop();
        used[j] = false;
    }
}

/// Repeatedly pairs the closest remaining components.
fn greedy(dist: &[Vec<f64>]) -> Vec<usize> {
    let k = dist.len();
    let mut perm = vec![usize::MAX; k];
    let mut used = vec![false; k];
    for _ in 0..k {
        let (i, j) = (0..k)
            .filter(|&i| perm[i] == usize::MAX)
            .flat_map(|i| (0..k).filter(|&j| !used[j]).map(move |j| (i, j)))
            .fold((0, 0), |best, (i, j)| {
                if perm[best.0] != usize::MAX || used[best.1] || dist[i][j] < dist[best.0][best.1] {
                    (i, j)
                } else {
                    best
                }
            });
        perm[i] = j;
        used[j] = true;
    }
    perm
}
