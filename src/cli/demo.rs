//! `admix demo`: the main job on the built-in data.

use super::plot::{self, Mark, Panel, Series};
use admix::dual::demo::{cube_table, render_cube_table, CubeRow, CUBE_POINTS};
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
