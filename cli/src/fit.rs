//! `admix fit`: fit a Gaussian mixture and report, save and plot it.

use crate::args::{DataArgs, FitSettings, Fitter};
use crate::figures::{fit_panels, Drawn, PlotView};
use crate::job;
use crate::online::OnlineArgs;
use crate::plot;
use crate::progress::progress_bar;
use admix::mixture::gmm::CovarianceType;
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// Options of `admix fit`.
#[derive(Debug, clap::Args)]
pub struct FitArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Number of components.
    #[arg(short = 'k', long = "components", default_value_t = 2)]
    pub k: usize,
    /// Covariance structure: full, tied, diag or spherical (default: the
    /// --init file's, else full).
    #[arg(long)]
    pub covariance: Option<CovarianceType>,
    /// Fitting method: em; lbfgs (L-BFGS, gradient by reverse-mode AD);
    /// adam (full batch, or mini-batch with --mini-batch); gd (gradient
    /// descent: backtracking, or fixed step with --mini-batch).
    #[arg(long, default_value = "em")]
    pub method: Fitter,
    #[command(flatten)]
    pub settings: FitSettings,
    #[command(flatten)]
    pub online: OnlineArgs,
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
    /// Instead of the usual figure, --plot draws one panel per listed EM
    /// iteration (0 is the start), data coloured by responsibility.
    #[arg(long, value_delimiter = ',', value_name = "LIST", requires = "plot")]
    pub plot_iterations: Option<Vec<usize>>,
    /// Print JSON instead of text: the model file's fields plus fit_seconds,
    /// mean_log_likelihood, bic, method, and for gradient methods status and
    /// gradient_norm.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &FitArgs) -> Result<()> {
    let data = job::agree(args.data.load())?;
    if args.online.online || args.plot_iterations.is_some() {
        job::single_process_only("--online and --plot-iterations")?;
    }
    if args.online.online && (args.method != Fitter::Em || args.plot_iterations.is_some()) {
        bail!("--online fits by online EM: leave out --method and --plot-iterations");
    }
    let x = data.data()?;
    let start = Instant::now();
    let mut online = None;
    let (model, certificate) = match args.method {
        Fitter::Em if args.online.online => {
            let (model, run) = args
                .online
                .fit(x, args.k, args.covariance, &args.settings)?;
            online = Some(run);
            (model, None)
        }
        Fitter::Em => {
            let params = args.settings.params(args.k, args.covariance)?.check()?;
            let per_restart = params.max_iter();
            let total = per_restart.saturating_mul(params.n_init());
            let bar = progress_bar("EM", total, "iterations");
            let share = job::shard(x, params.task_rows());
            let shard = share.shard();
            let model = args.settings.threads.install(|| {
                params.fit_shard_with_progress(shard, &mut |p| {
                    let done = p
                        .restart
                        .saturating_mul(per_restart)
                        .saturating_add(p.iteration)
                        .saturating_add(1);
                    bar.set_position(u64::try_from(done).unwrap_or(u64::MAX));
                    bar.set_message(format!("log-likelihood {:.6}", p.log_likelihood));
                })
            })??;
            bar.finish_and_clear();
            (model, None)
        }
        Fitter::Gradient(method) => {
            let params = args
                .settings
                .gradient_params(args.k, args.covariance, method)?;
            let unit = match params.mini_batch() {
                Some(_) => "epochs",
                None => "iterations",
            };
            let bar = progress_bar(method.name(), params.gmm().max_iter(), unit);
            let share = job::shard(x, params.gmm().task_rows());
            let shard = share.shard();
            let fit = args.settings.threads.install(|| {
                // The first trace point is the start; each later one a step.
                let mut points = 0;
                params.fit_shard_with_progress(shard, &mut |p| {
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
    // Every rank takes part in this pass; rank 0 alone writes and prints.
    let criteria = job::criteria(&model, data.data()?)?;
    if !job::is_root() {
        return Ok(());
    }
    if let Some(path) = &args.out {
        std::fs::write(path, model.to_json())
            .with_context(|| format!("cannot write the model to '{}'", path.display()))?;
    }
    if let Some(path) = &args.plot {
        let drawn = Drawn::of(&data)?;
        let view = PlotView::choose(&drawn, args.plot_columns.as_deref())?;
        match &args.plot_iterations {
            Some(list) => {
                crate::iterations_plot::save_for_fit(path, args, &data, &drawn, &view, list)?
            }
            None => plot::save(path, &fit_panels(&drawn, &model, &view)?)?,
        }
    }
    let (mean_ll, bic) = (criteria.score, criteria.bic);
    if args.json {
        let mut value: serde_json::Value = serde_json::from_str(&model.to_json())?;
        value["fit_seconds"] = json!(seconds);
        value["mean_log_likelihood"] = json!(mean_ll);
        value["bic"] = json!(bic);
        value["method"] = json!(args.method.name());
        if job::is_distributed() {
            value["mpi_traffic"] = job::traffic();
        }
        if let Some((status, norm)) = certificate {
            value["status"] = json!(format!("{status:?}"));
            value["gradient_norm"] = json!(norm);
        }
        if let Some(run) = &online {
            value["online_batches"] = json!(run.batches);
            value["batch_rows"] = json!(run.batch_rows);
            value["epochs"] = json!(run.epochs);
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
        args.method.name()
    );
    if let Some((status, norm)) = certificate {
        println!("status {status:?}, gradient norm at the fit {norm:.3e}");
    }
    if let Some(run) = &online {
        println!(
            "online EM: {} batches of at most {} rows ({} passes), {seconds:.3} s",
            run.batches, run.batch_rows, run.epochs
        );
    } else {
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
    }
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
