//! `admix demo`: the main job on the built-in data: the x^3 table of
//! divided differences against AD, and Old Faithful fitted by EM and by
//! L-BFGS through reverse mode, with plots.

use crate::args::Threads;
use crate::data;
use crate::figures::{fit_panels, Drawn, PlotView};
use crate::plot::{self, Mark, Panel, Series};
use admix::dual::demo::{cube_table, render_cube_table, CubeRow, CUBE_POINTS};
use admix::mixture::gmm::{GaussianMixture, GmmInit};
use admix::mixture::gradient::{compare, Method};
use anyhow::Result;
use std::path::PathBuf;

/// Options of `admix demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Folder for the plots.
    #[arg(long, default_value = "admix-demo")]
    pub out_dir: PathBuf,
    #[command(flatten)]
    pub threads: Threads,
    /// Print JSON (the x^3 table, the comparison, the plot files) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The iterations the EM picture shows, as the lecture's slides do.
const EM_PICTURE_ITERATIONS: [usize; 8] = [0, 1, 2, 3, 4, 5, 6, 20];

pub fn run(args: &DemoArgs) -> Result<()> {
    std::fs::create_dir_all(&args.out_dir)?;
    let rows = cube_table(&CUBE_POINTS);
    let cube_plot = args.out_dir.join("x_cubed.svg");
    plot::save(&cube_plot, &[cube_panel(&rows, 2.0)])?;

    let faithful = data::load("faithful", None, None)?;
    let params = GaussianMixture::params(2)
        .tol(1e-9)
        .max_iter(1000)
        .gradient(Method::Lbfgs)
        .check()?;
    let cmp = args
        .threads
        .install(|| compare(&params, faithful.x.data()))??;
    let compare_plot = args.out_dir.join("faithful_compare.svg");
    plot::save(
        &compare_plot,
        &crate::compare::panels(&cmp, Method::Lbfgs.name()),
    )?;
    let fit_plot = args.out_dir.join("faithful_fit.svg");
    let drawn = Drawn::of(&faithful)?;
    plot::save(
        &fit_plot,
        &fit_panels(&drawn, &cmp.em.model, &PlotView::Columns(0, 1))?,
    )?;
    let iterations_plot = args.out_dir.join("faithful_em_iterations.svg");
    let fit_to = |i| {
        let params = GaussianMixture::params(2)
            .init(GmmInit::RandomFromData)
            .seed(3)
            .tol(0.0)
            .max_iter(i);
        Ok(params.fit(faithful.x.data())?)
    };
    let panels = crate::iterations_plot::panels(
        &drawn,
        &PlotView::Columns(0, 1),
        &EM_PICTURE_ITERATIONS,
        fit_to,
    )?;
    crate::iterations_plot::save(&iterations_plot, &panels)?;
    let plots = [cube_plot, compare_plot, fit_plot, iterations_plot];

    if args.json {
        let cube: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "x": r.x,
                    "h": r.h,
                    "forward_error": r.forward_error,
                    "forward_truncation": r.forward_truncation,
                    "central_error": r.central_error,
                    "central_truncation": r.central_truncation,
                    "ad_error": r.ad_error,
                })
            })
            .collect();
        let value = serde_json::json!({
            "cube": cube,
            "faithful": crate::compare::to_json(&cmp, Method::Lbfgs.name()),
            "plots": plots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("== Divided differences against automatic differentiation");
    println!("{}", render_cube_table(&rows));
    println!("plot: {}", plots[0].display());
    println!();
    println!("== Old Faithful, two full-covariance components: EM against L-BFGS from one start");
    print!("{}", crate::compare::render(&cmp, Method::Lbfgs.name()));
    for p in &plots[1..3] {
        println!("plot: {}", p.display());
    }
    println!();
    println!("== EM pictured: Old Faithful from a random start, iterations 0-6 and 20");
    println!("plot: {}", plots[3].display());
    Ok(())
}

/// Log-log errors of the x^3 table at one `x`, with the truncation terms.
fn cube_panel(rows: &[CubeRow], x: f64) -> Panel {
    let at: Vec<&CubeRow> = rows.iter().filter(|r| r.x == x).collect();
    let line = |f: fn(&CubeRow) -> f64| at.iter().map(|r| (r.h, f(r))).collect();
    let mut panel = Panel::new(
        &format!("f(x) = x^3 at x = {x}: error of f'(x)"),
        "step h",
        "absolute error",
    );
    panel.log_x = true;
    panel.log_y = true;
    panel.series = vec![
        Series::new(line(|r| r.forward_error), Mark::Line, plot::colour(0))
            .labelled("forward difference"),
        Series::new(
            line(|r| r.forward_truncation),
            Mark::Dashed,
            plot::colour(0),
        )
        .labelled("3xh + h^2"),
        Series::new(line(|r| r.central_error), Mark::Line, plot::colour(1))
            .labelled("central difference"),
        Series::new(
            line(|r| r.central_truncation),
            Mark::Dashed,
            plot::colour(1),
        )
        .labelled("h^2"),
    ];
    panel
}
