//! `admix teach LESSON`: the lecture's demonstrations printed and drawn,
//! one command each. The numbers come from `admix::lessons`; this file only
//! prints, plots and writes the recipe's files.

use crate::plot::{self, Mark, Panel, Series};
use admix::lessons::{hard_assignments, means_only, modes, noisy};
use anyhow::{Context, Result};
use ndarray::{Array1, Array2};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Options of `admix teach`.
#[derive(Debug, clap::Args)]
pub struct TeachArgs {
    /// Which demonstration.
    #[arg(value_enum)]
    pub lesson: Lesson,
    /// Folder for the picture (and the means-only recipe's files).
    #[arg(long, default_value = "admix-teach")]
    pub out_dir: PathBuf,
    /// Print JSON (the lesson's numbers and the picture's path) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What a lesson shows: its table, its numbers, its picture.
struct Report {
    text: String,
    json: serde_json::Value,
    panels: Vec<Panel>,
}

/// The demonstrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lesson {
    /// Forward against reverse mode: sweeps and time for whole Jacobians, n, m = 1 ... 1000.
    Modes,
    /// When divided differences are as good as AD: table lookup, Monte Carlo.
    Noisy,
    /// EM learning only the two means of a 1-D mixture.
    MeansOnly,
    /// K-means against a full-covariance mixture on elongated clusters.
    HardAssignments,
}

pub fn run(args: &TeachArgs) -> Result<()> {
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create '{}'", args.out_dir.display()))?;
    let (name, mut report) = match args.lesson {
        Lesson::Modes => ("modes.svg", modes_lesson()?),
        Lesson::Noisy => ("noisy.svg", noisy_lesson()?),
        Lesson::MeansOnly => ("means_only.svg", means_only_lesson(&args.out_dir)?),
        Lesson::HardAssignments => ("hard_assignments.svg", hard_assignments_lesson()?),
    };
    let path = args.out_dir.join(name);
    plot::save(&path, &report.panels)?;
    if args.json {
        report.json["plot"] = json!(path);
        println!("{}", serde_json::to_string_pretty(&report.json)?);
    } else {
        print!("{}", report.text);
        println!("plot: {}", path.display());
    }
    Ok(())
}

fn log_panel(title: &str, x_label: &str, y_label: &str) -> Panel {
    let mut panel = Panel::new(title, x_label, y_label);
    panel.log_x = true;
    panel.log_y = true;
    panel
}

fn modes_lesson() -> Result<Report> {
    let f = modes::many_to_one_costs(&modes::SIZES);
    let g = modes::one_to_many_costs(&modes::SIZES);
    let text = format!(
        "F: R^n -> R, F(x) = sum sin(x_i) x_(i+1): the gradient\n{}\nG: R -> R^m, G_j(t) = sin(j t) exp(-t / j): the m derivatives\n{}\n",
        modes::render("n", &f),
        modes::render("m", &g)
    );
    let json = json!({"many_to_one": f, "one_to_many": g});
    let line = |rows: &[modes::ModeCost], pick: fn(&modes::ModeCost) -> f64| {
        rows.iter().map(|r| (r.size as f64, pick(r))).collect()
    };
    let mut sweeps = log_panel("sweeps for the whole Jacobian", "n or m", "sweeps");
    sweeps.series = vec![
        Series::new(
            line(&f, |r| r.forward_sweeps as f64),
            Mark::Line,
            plot::colour(0),
        )
        .labelled("F, forward: n"),
        Series::new(
            line(&f, |r| r.reverse_sweeps as f64),
            Mark::Dashed,
            plot::colour(0),
        )
        .labelled("F, reverse: 1"),
        // Dots: G's sweeps lie on F's lines.
        Series::new(
            line(&g, |r| r.forward_sweeps as f64),
            Mark::Dots,
            plot::colour(1),
        )
        .labelled("G, forward: 1"),
        Series::new(
            line(&g, |r| r.reverse_sweeps as f64),
            Mark::Dots,
            plot::colour(1),
        )
        .labelled("G, reverse: m"),
    ];
    let time = |title: &str, size: &str, rows: &[modes::ModeCost]| {
        let mut panel = log_panel(title, size, "seconds");
        panel.series = vec![
            Series::new(
                line(rows, |r| r.forward_seconds),
                Mark::Line,
                plot::colour(2),
            )
            .labelled("forward (dual)"),
            Series::new(
                line(rows, |r| r.reverse_seconds),
                Mark::Line,
                plot::colour(3),
            )
            .labelled("reverse (tape)"),
        ];
        panel
    };
    let panels = vec![
        sweeps,
        time("F: R^n -> R, time of the gradient", "n", &f),
        time("G: R -> R^m, time of the m derivatives", "m", &g),
    ];
    Ok(Report { text, json, panels })
}

fn noisy_lesson() -> Result<Report> {
    let cases = noisy::cases();
    let panels = cases
        .iter()
        .map(|case| {
            let mut panel = log_panel(case.name, "step h", "error of the slope");
            let ends = [noisy::STEPS[0], noisy::STEPS[noisy::STEPS.len() - 1]];
            let ad_error = (case.ad - case.exact).abs();
            panel.series = vec![
                Series::new(
                    case.differences
                        .iter()
                        .map(|&(h, d)| (h, (d - case.exact).abs()))
                        .collect(),
                    Mark::Line,
                    plot::colour(0),
                )
                .labelled("central difference"),
                Series::new(
                    ends.iter().map(|&h| (h, ad_error)).collect(),
                    Mark::Dashed,
                    plot::colour(1),
                )
                .labelled("AD of the code"),
            ];
            panel
        })
        .collect();
    Ok(Report {
        text: noisy::render(&cases),
        // An object, so that `run` can add the picture's path.
        json: json!({ "cases": cases }),
        panels,
    })
}

/// The means per iteration, the recipe's data and start model written to
/// `dir`, and the recipe.
fn means_only_lesson(dir: &Path) -> Result<Report> {
    let x = means_only::data()?;
    let paths = means_only::mean_paths(&x, 20)?;
    let data_file = dir.join("means_only.csv");
    let mut csv = String::from("x\n");
    for v in x.column(0) {
        csv += &format!("{v:?}\n");
    }
    std::fs::write(&data_file, csv)
        .with_context(|| format!("cannot write '{}'", data_file.display()))?;
    let start_file = dir.join("means_only_start.json");
    let start = means_only::start_model(means_only::START_MEANS)?;
    std::fs::write(&start_file, start.to_json())
        .with_context(|| format!("cannot write '{}'", start_file.display()))?;
    let recipe = format!(
        "admix fit {} -k 2 --covariance spherical --init {} --params m --tol 0 --max-iter 20",
        data_file.display(),
        start_file.display()
    );
    let text = format!(
        "{}the same with the program:\n  {recipe}\n",
        means_only::render(&paths)
    );
    let json = json!({"means": paths, "data": data_file, "start": start_file, "recipe": recipe});
    let mut panel = Panel::new(
        "learn means only: EM from a poor start",
        "iteration",
        "mean",
    );
    for j in 0..2 {
        let path = paths
            .iter()
            .enumerate()
            .map(|(i, m)| (i as f64, m[j]))
            .collect();
        let truth = [
            (0.0, means_only::TRUE_MEANS[j]),
            (20.0, means_only::TRUE_MEANS[j]),
        ];
        panel.series.push(
            Series::new(path, Mark::Line, plot::colour(j)).labelled(format!("mean {}", j + 1)),
        );
        panel.series.push(
            Series::new(truth.to_vec(), Mark::Dashed, plot::colour(j))
                .labelled(format!("true mean {}", j + 1)),
        );
    }
    // Room above the paths for the legend.
    let top = paths
        .iter()
        .flatten()
        .fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let bottom = paths.iter().flatten().fold(f64::INFINITY, |a, &b| a.min(b));
    panel.extend_to(&[(0.0, top + 0.6 * (top - bottom))]);
    Ok(Report {
        text,
        json,
        panels: vec![panel],
    })
}

fn hard_assignments_lesson() -> Result<Report> {
    let c = hard_assignments::compare()?;
    let agreement = |labels| hard_assignments::Comparison::agreement(labels, &c.truth);
    let json = json!({
        "n_samples": c.x.nrows(),
        "kmeans_agreement": agreement(&c.kmeans),
        "gmm_agreement": agreement(&c.gmm),
    });
    let panels = vec![
        labelled_scatter("truth", &c.x, &c.truth, &c.truth),
        labelled_scatter(
            &format!("K-means: {:.1}% agree", 100.0 * agreement(&c.kmeans)),
            &c.x,
            &c.kmeans,
            &c.truth,
        ),
        labelled_scatter(
            &format!(
                "full-covariance GMM: {:.1}% agree",
                100.0 * agreement(&c.gmm)
            ),
            &c.x,
            &c.gmm,
            &c.truth,
        ),
    ];
    Ok(Report {
        text: hard_assignments::render(&c),
        json,
        panels,
    })
}

/// The 2-D samples coloured by `labels`, renamed to agree with `truth`
/// where they can (two clusters: swapped if that agrees better), and the
/// samples whose label then disagrees with the truth drawn over them.
fn labelled_scatter(
    title: &str,
    x: &Array2<f64>,
    labels: &Array1<usize>,
    truth: &Array1<usize>,
) -> Panel {
    let same = labels.iter().zip(truth).filter(|(a, b)| a == b).count();
    let swap = 2 * same < truth.len();
    let named: Vec<usize> = labels
        .iter()
        .map(|&l| if swap { 1 - l } else { l })
        .collect();
    let points: Vec<(f64, f64)> = x.outer_iter().map(|r| (r[0], r[1])).collect();
    let pick = |keep: &dyn Fn(usize) -> bool| -> Vec<(f64, f64)> {
        (0..points.len())
            .filter(|&i| keep(i))
            .map(|i| points[i])
            .collect()
    };
    let mut panel = Panel::new(title, "x1", "x2");
    for j in 0..2 {
        panel.series.push(
            Series::new(pick(&|i| named[i] == j), Mark::Dots, plot::colour(j))
                .labelled(format!("cluster {}", j + 1)),
        );
    }
    let wrong = pick(&|i| named[i] != truth[i]);
    if !wrong.is_empty() {
        panel
            .series
            .push(Series::new(wrong, Mark::Dots, plot::colour(7)).labelled("disagrees with truth"));
    }
    panel
}
