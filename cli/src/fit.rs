//! `admix fit`: fit a Gaussian mixture and report, save and plot it.

use crate::data::{self, Dataset};
use crate::plot::{self, Mark, Panel, Series};
use admix::mixture::gmm::{
    CovarianceType, GaussianMixture, GaussianMixtureModel, GmmInit, GmmParams,
};
use admix::mixture::gradient::{GradientValidParams, Method};
use admix::mixture::PrincipalAxes;
use anyhow::{bail, Context, Result};
use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where the data come from (shared by every command that reads data).
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// A CSV file (header optional), an .npy file (f64 or f32), or a
    /// built-in data set: faithful, iris.
    pub data: String,
    /// Columns to use, by name or 0-based index, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
}

impl DataArgs {
    pub fn load(&self) -> Result<Dataset> {
        data::load(&self.data, self.columns.as_deref())
    }
}

/// Covariance structure, as on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "lower")]
pub enum Covariance {
    Full,
    Tied,
    Diag,
    Spherical,
}

impl From<Covariance> for CovarianceType {
    fn from(c: Covariance) -> Self {
        match c {
            Covariance::Full => CovarianceType::Full,
            Covariance::Tied => CovarianceType::Tied,
            Covariance::Diag => CovarianceType::Diag,
            Covariance::Spherical => CovarianceType::Spherical,
        }
    }
}

/// How the mixture is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FitMethod {
    /// Closed-form expectation-maximisation.
    Em,
    /// L-BFGS on the log-likelihood, gradient by reverse-mode AD.
    Lbfgs,
    /// Adam (full batch, or mini-batch with --mini-batch).
    Adam,
    /// Gradient descent (backtracking, or fixed step with --mini-batch).
    Gd,
}

impl FitMethod {
    /// The library's gradient method, or None for EM.
    pub fn gradient(self) -> Option<Method> {
        match self {
            FitMethod::Em => None,
            FitMethod::Lbfgs => Some(Method::Lbfgs),
            FitMethod::Adam => Some(Method::Adam),
            FitMethod::Gd => Some(Method::GradientDescent),
        }
    }
}

/// The fitting settings of a Gaussian mixture (all but its size and covariance type).
#[derive(Debug, Clone, clap::Args)]
pub struct FitSettings {
    /// kmeans, kmeans++, random, random_from_data, or a model JSON file to
    /// start from (its weights, means and covariances).
    #[arg(long, default_value = "kmeans")]
    pub init: String,
    /// Maximum number of iterations (0 returns the initial parameters).
    #[arg(long, default_value_t = 100)]
    pub max_iter: usize,
    /// Stop when the mean log-likelihood changes by less (0 runs every iteration).
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub tol: f64,
    /// Added to the covariance diagonals.
    #[arg(long, default_value_t = 1e-6, allow_negative_numbers = true)]
    pub reg_covar: f64,
    /// Restarts; the best lower bound is kept.
    #[arg(long, default_value_t = 1)]
    pub n_init: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Which parameters are updated: a subset of "wmc" (weights, means, covariances).
    #[arg(long, default_value = "wmc")]
    pub params: String,
    /// Samples per chunk of exact EM (bounded memory, same result).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Worker threads (default: all cores); the result does not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Step size of Adam and gradient descent (default: the method's own).
    #[arg(long)]
    pub learning_rate: Option<f64>,
    /// Stochastic gradients on mini-batches of this many rows (adam, gd).
    #[arg(long, value_name = "ROWS")]
    pub mini_batch: Option<usize>,
}

impl FitSettings {
    /// The library's hyperparameters for `k` components of this covariance type.
    pub fn params(&self, k: usize, covariance: Covariance) -> Result<GmmParams> {
        let mut p = GaussianMixture::params(k)
            .covariance_type(covariance.into())
            .max_iter(self.max_iter)
            .tol(self.tol)
            .reg_covar(self.reg_covar)
            .n_init(self.n_init)
            .seed(self.seed)
            .updates(self.params.parse()?);
        if let Some(b) = self.batch_size {
            p = p.task_rows(b);
        }
        p = match self.init.as_str() {
            "kmeans" => p.init(GmmInit::KMeans),
            "kmeans++" => p.init(GmmInit::KMeansPlusPlus),
            "random" => p.init(GmmInit::Random),
            "random_from_data" => p.init(GmmInit::RandomFromData),
            file => {
                let model = load_model(Path::new(file)).with_context(|| {
                    format!("--init {file}: not kmeans, kmeans++, random, random_from_data or a readable model file")
                })?;
                if model.n_components() != k {
                    bail!(
                        "--init {file} has {} components but {k} were asked for: make them agree",
                        model.n_components(),
                    );
                }
                p.warm_start(&model)
            }
        };
        Ok(p)
    }

    /// The hyperparameters of a gradient fit by `method`.
    pub fn gradient_params(
        &self,
        k: usize,
        covariance: Covariance,
        method: Method,
    ) -> Result<GradientValidParams> {
        let mut p = self.params(k, covariance)?.gradient(method);
        if let Some(rate) = self.learning_rate {
            p = p.learning_rate(rate);
        }
        if let Some(rows) = self.mini_batch {
            p = p.mini_batch(rows);
        }
        Ok(p.check()?)
    }

    /// Runs `f` on a pool of `--threads` workers (or rayon's default pool).
    pub fn on_threads<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T> {
        match self.threads {
            None => Ok(f()),
            Some(0) => bail!("--threads must be at least 1"),
            Some(n) => Ok(rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()?
                .install(f)),
        }
    }
}

/// Options of `admix fit`.
#[derive(Debug, clap::Args)]
pub struct FitArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Number of components.
    #[arg(short = 'k', long = "components", default_value_t = 2)]
    pub k: usize,
    /// Covariance structure.
    #[arg(long, value_enum, default_value = "full")]
    pub covariance: Covariance,
    /// Fitting method.
    #[arg(long, value_enum, default_value = "em")]
    pub method: FitMethod,
    #[command(flatten)]
    pub settings: FitSettings,
    /// Write the fitted model as JSON to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write a plot (data coloured by component, 1- and 2-sigma ellipses,
    /// lower bound per iteration) to this SVG file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// The two columns the plot shows (names or 0-based indices; default: the
    /// two columns of 2-D data, else the first two principal components).
    #[arg(long, value_delimiter = ',')]
    pub plot_columns: Option<Vec<String>>,
    /// Print JSON (the model file's fields plus fit_seconds) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Reads a model JSON file.
pub fn load_model(path: &Path) -> Result<GaussianMixtureModel> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read model file '{}'", path.display()))?;
    GaussianMixtureModel::from_json(&text)
        .with_context(|| format!("'{}' is not a valid model file", path.display()))
}

/// A bar on stderr over `total` steps named `unit`, the log-likelihood as its
/// message; indicatif hides it when stderr is not a terminal.
fn progress_bar(label: &str, total: usize, unit: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total as u64);
    let template = format!("{label} {{bar:30}} {{pos}}/{{len}} {unit}  {{msg}}");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

/// A spinner on stderr while `f` runs; indicatif hides it when stderr is not a terminal.
pub fn with_spinner<T>(message: &str, f: impl FnOnce() -> T) -> T {
    let bar = indicatif::ProgressBar::new_spinner().with_message(message.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let out = f();
    bar.finish_and_clear();
    out
}

pub fn run(args: &FitArgs) -> Result<()> {
    let data = args.data.load()?;
    let start = Instant::now();
    let (model, certificate) = match args.method.gradient() {
        None => {
            let params = args.settings.params(args.k, args.covariance)?.check()?;
            let bar = progress_bar("EM", params.max_iter() * params.n_init(), "iterations");
            let model = args.settings.on_threads(|| {
                params.fit_with_progress(data.x.view(), &mut |p| {
                    let per_restart = params.max_iter() as u64;
                    bar.set_position(p.restart as u64 * per_restart + p.iteration as u64 + 1);
                    bar.set_message(format!("log-likelihood {:.6}", p.log_likelihood));
                })
            })??;
            bar.finish_and_clear();
            (model, None)
        }
        Some(method) => {
            let params = args
                .settings
                .gradient_params(args.k, args.covariance, method)?;
            let unit = match params.mini_batch() {
                Some(_) => "epochs",
                None => "iterations",
            };
            let bar = progress_bar(method.name(), params.gmm().max_iter(), unit);
            let fit = args.settings.on_threads(|| {
                // The first trace point is the start; each later one a step.
                let mut points = 0;
                params.fit_with_progress(data.x.view(), &mut |p| {
                    bar.set_position(points);
                    bar.set_message(format!("log-likelihood {:.6}", p.log_likelihood));
                    points += 1;
                })
            })??;
            bar.finish_and_clear();
            (fit.model, Some((fit.status, fit.gradient_norm)))
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    if let Some(path) = &args.out {
        std::fs::write(path, model.to_json())
            .with_context(|| format!("cannot write the model to '{}'", path.display()))?;
    }
    if let Some(path) = &args.plot {
        let view = PlotView::choose(&data, args.plot_columns.as_deref())?;
        plot::save(path, &fit_panels(&data, &model, &view)?)?;
    }
    let criteria = model.criteria(data.x.view())?;
    let (mean_ll, bic) = (criteria.score, criteria.bic);
    if args.json {
        let mut value: serde_json::Value = serde_json::from_str(&model.to_json())?;
        value["fit_seconds"] = json!(seconds);
        value["mean_log_likelihood"] = json!(mean_ll);
        value["bic"] = json!(bic);
        value["method"] = json!(method_name(args.method));
        if let Some((status, norm)) = certificate {
            value["status"] = json!(format!("{status:?}"));
            value["gradient_norm"] = json!(norm);
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    let (n, d) = data.x.dim();
    println!(
        "{}-component {} Gaussian mixture fitted to {} ({n} x {d}) by {}",
        model.n_components(),
        model.covariance_type(),
        args.data.data,
        method_name(args.method)
    );
    if let Some((status, norm)) = certificate {
        println!("status {status:?}, gradient norm at the fit {norm:.3e}");
    }
    println!(
        "iterations {} ({}), {:.3} s",
        model.n_iter(),
        if model.converged() {
            "converged"
        } else {
            "not converged: raise --max-iter or --tol"
        },
        seconds
    );
    println!(
        "mean log-likelihood {mean_ll:.6}   BIC {bic:.3}   AIC {:.3}   parameters {}",
        criteria.aic,
        model.n_parameters()
    );
    println!(
        "{:>9}  {:>8}  mean ({})",
        "component",
        "weight",
        data.columns.join(", ")
    );
    for (j, (w, mean)) in model
        .weights()
        .iter()
        .zip(model.means().outer_iter())
        .enumerate()
    {
        let m: Vec<String> = mean.iter().map(|v| format!("{v:.4}")).collect();
        println!("{j:>9}  {w:>8.4}  {}", m.join(", "));
    }
    Ok(())
}

/// The method's name as the command line spells it.
pub fn method_name(method: FitMethod) -> &'static str {
    method.gradient().map_or("em", Method::name)
}

/// The plane a fit plot shows: two chosen columns, or the first two
/// principal components of the data.
pub enum PlotView {
    Columns(usize, usize),
    Principal(PrincipalAxes),
}

impl PlotView {
    /// `--plot-columns` if given; else the data's two columns, or the first
    /// two principal components of wider data.
    pub fn choose(data: &Dataset, chosen: Option<&[String]>) -> Result<PlotView> {
        let find = |w: &String| {
            data.columns
                .iter()
                .position(|c| c == w)
                .or_else(|| w.parse::<usize>().ok().filter(|&i| i < data.columns.len()))
                .with_context(|| format!("--plot-columns: no column '{w}'"))
        };
        Ok(match (chosen, data.columns.len()) {
            (Some([a, b]), _) => PlotView::Columns(find(a)?, find(b)?),
            (Some(_), _) => bail!("--plot-columns takes exactly two columns"),
            (None, 1) => PlotView::Columns(0, 0),
            (None, 2) => PlotView::Columns(0, 1),
            (None, _) => PlotView::Principal(PrincipalAxes::fit(data.x.view(), 2)?),
        })
    }

    fn labels(&self, data: &Dataset) -> (String, String) {
        match self {
            PlotView::Columns(a, b) => (data.columns[*a].clone(), data.columns[*b].clone()),
            PlotView::Principal(_) => (
                "principal component 1".into(),
                "principal component 2".into(),
            ),
        }
    }

    /// The rows of `x` in the plane.
    fn points(&self, x: ArrayView2<f64>) -> Vec<(f64, f64)> {
        match self {
            PlotView::Columns(a, b) => x.outer_iter().map(|r| (r[*a], r[*b])).collect(),
            PlotView::Principal(p) => p.project(x).outer_iter().map(|r| (r[0], r[1])).collect(),
        }
    }

    /// A Gaussian's centre and 2 x 2 covariance in the plane.
    fn gaussian(&self, mean: ArrayView1<f64>, cov: ArrayView2<f64>) -> ((f64, f64), [[f64; 2]; 2]) {
        let (centre, c) = match self {
            PlotView::Columns(a, b) => {
                let idx = [*a, *b];
                let c = Array2::from_shape_fn((2, 2), |(i, j)| cov[[idx[i], idx[j]]]);
                ((mean[*a], mean[*b]), c)
            }
            PlotView::Principal(p) => {
                let m = p.project(mean.insert_axis(Axis(0)));
                ((m[[0, 0]], m[[0, 1]]), p.project_covariance(cov))
            }
        };
        (centre, [[c[[0, 0]], c[[0, 1]]], [c[[1, 0]], c[[1, 1]]]])
    }
}

/// The scatter with 1- and 2-sigma ellipses, and the lower bound per iteration.
pub fn fit_panels(
    data: &Dataset,
    model: &GaussianMixtureModel,
    view: &PlotView,
) -> Result<Vec<Panel>> {
    let labels = model.predict(data.x.view())?;
    let d = data.x.ncols();
    let (x_label, y_label) = view.labels(data);
    let mut scatter = Panel::new("data by component, 1 and 2 sigma", &x_label, &y_label);
    let points = view.points(data.x.view());
    for j in 0..model.n_components() {
        let mine = points
            .iter()
            .zip(&labels)
            .filter(|(_, &l)| l == j)
            .map(|(p, _)| *p)
            .collect();
        scatter.series.push(
            Series::new(mine, Mark::Dots, plot::colour(j)).labelled(format!("component {j}")),
        );
        let cov = model.covariances().component(j, d);
        let (centre, block) = view.gaussian(model.means().row(j), cov.view());
        for (radius, mark) in [(1.0, Mark::Line), (2.0, Mark::Dashed)] {
            scatter.series.push(Series::new(
                ellipse(centre, block, radius),
                mark,
                plot::colour(j),
            ));
        }
    }
    let mut trace = Panel::new(
        "log-likelihood per iteration",
        "iteration",
        "mean log-likelihood",
    );
    let bound: Vec<(f64, f64)> = model
        .log_likelihood_trace()
        .iter()
        .enumerate()
        .map(|(i, &v)| ((i + 1) as f64, v))
        .collect();
    trace
        .series
        .push(Series::new(bound.clone(), Mark::Line, plot::colour(0)).labelled("lower bound"));
    trace
        .series
        .push(Series::new(bound, Mark::Dots, plot::colour(0)));
    Ok(vec![scatter, trace])
}

/// Points of the `radius`-sigma ellipse of a 2-D Gaussian (closed: the last
/// point is the first): the unit circle mapped through the Cholesky factor
/// of the 2 x 2 covariance.
fn ellipse(centre: (f64, f64), cov: [[f64; 2]; 2], radius: f64) -> Vec<(f64, f64)> {
    let l11 = cov[0][0].max(0.0).sqrt();
    let l21 = if l11 > 0.0 { cov[1][0] / l11 } else { 0.0 };
    let l22 = (cov[1][1] - l21 * l21).max(0.0).sqrt();
    (0..=64)
        .map(|i| {
            let t = std::f64::consts::TAU * f64::from(i) / 64.0;
            let (u, v) = (radius * t.cos(), radius * t.sin());
            (centre.0 + l11 * u, centre.1 + l21 * u + l22 * v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipse_points_lie_on_the_mahalanobis_contour() {
        let cov = [[4.0, 1.2], [1.2, 1.0]];
        let det = cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0];
        for (x, y) in ellipse((1.0, -2.0), cov, 2.0) {
            let (u, v) = (x - 1.0, y + 2.0);
            // (u, v) Sigma^-1 (u, v)^T with the 2 x 2 inverse written out.
            let m = (cov[1][1] * u * u - 2.0 * cov[0][1] * u * v + cov[0][0] * v * v) / det;
            assert!((m - 4.0).abs() < 1e-12, "squared distance {m}");
        }
    }
}
