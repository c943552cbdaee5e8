//! `admix demo`: the main job on the built-in data: the x^3 table of
//! divided differences against AD, and Old Faithful fitted by EM and by
//! L-BFGS through reverse mode, with plots.

use crate::data;
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
}

pub fn run(args: &DemoArgs) -> Result<()> {
    std::fs::create_dir_all(&args.out_dir)?;
    let rows = cube_table(&CUBE_POINTS);
    println!("== Divided differences against automatic differentiation");
    println!("{}", render_cube_table(&rows));
    let path = args.out_dir.join("x_cubed.svg");
    plot::save(&path, &[cube_panel(&rows, 2.0)])?;
    println!("plot: {}", path.display());

    println!();
    println!("== Old Faithful, two full-covariance components: EM against L-BFGS from one start");
    let faithful = data::load("faithful", None)?;
    let params = GaussianMixture::params(2)
        .tol(1e-9)
        .max_iter(1000)
        .gradient(Method::Lbfgs)
        .check()?;
    let cmp = compare(&params, faithful.x.view())?;
    print!("{}", crate::compare::render(&cmp, Method::Lbfgs.name()));
    let path = args.out_dir.join("faithful_compare.svg");
    plot::save(&path, &crate::compare::panels(&cmp, Method::Lbfgs.name()))?;
    println!("plot: {}", path.display());
    let path = args.out_dir.join("faithful_fit.svg");
    plot::save(
        &path,
        &crate::fit::fit_panels(
            &faithful,
            &cmp.em.model,
            &crate::fit::PlotView::Columns(0, 1),
        )?,
    )?;
    println!("plot: {}", path.display());

    println!();
    println!("== EM pictured: Old Faithful from a random start, iterations 0-6 and 20");
    let path = args.out_dir.join("faithful_em_iterations.svg");
    let fit_to = |i| {
        let params = GaussianMixture::params(2)
            .init(GmmInit::RandomFromData)
            .seed(3)
            .tol(0.0)
            .max_iter(i);
        Ok(params.fit(faithful.x.view())?)
    };
    let view = crate::fit::PlotView::Columns(0, 1);
    let iterations = [0, 1, 2, 3, 4, 5, 6, 20];
    let panels = crate::iterations_plot::panels(&faithful, &view, &iterations, fit_to)?;
    crate::iterations_plot::save(&path, &panels)?;
    println!("plot: {}", path.display());
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
