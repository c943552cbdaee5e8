//! `admix fit --plot-iterations 0,1,2,...`: the lecture's pictorial view of
//! EM, one panel per listed iteration ("start, after the first iteration,
//! ..."), the data coloured by responsibility and each component's 1- and
//! 2-sigma ellipses.
//!
//! The model after iteration `i` is EM run again from the same start with
//! `max_iter = i`: with one restart that is bitwise the `i`-th iterate, so
//! the library needs no hook for it.

use crate::args::Fitter;
use crate::data::Dataset;
use crate::figures::{ellipse, Drawn, PlotView};
use crate::fit::FitArgs;
use crate::plot::{self, Mark, Panel, Series};
use admix::mixture::gmm::GaussianMixtureModel;
use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Panels per row of the picture.
const COLUMNS: usize = 4;

/// One panel per entry of `iterations`; `fit_to(i)` is the model after
/// `i` iterations from the common start.
pub fn panels(
    drawn: &Drawn,
    view: &PlotView,
    iterations: &[usize],
    fit_to: impl Fn(usize) -> Result<GaussianMixtureModel>,
) -> Result<Vec<Panel>> {
    if iterations.is_empty() {
        bail!("--plot-iterations needs at least one iteration, for example 0,1,2,5,20");
    }
    let (x_label, y_label) = view.labels(drawn.columns);
    let points = view.points(drawn.rows.view());
    let mut panels = Vec::with_capacity(iterations.len());
    for &i in iterations {
        let model = fit_to(i)?;
        let title = match i {
            0 => "start".to_string(),
            i if model.n_iter() < i => {
                format!("after iteration {i} (converged at {})", model.n_iter())
            }
            i => format!("after iteration {i}"),
        };
        let mut panel = Panel::new(&title, &x_label, &y_label);
        let responsibilities = model.predict_proba(drawn.rows.view())?;
        // Points of one blended colour share a series.
        let mut by_colour: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for (p, r) in points.iter().zip(responsibilities.outer_iter()) {
            by_colour.entry(blend(&r.to_vec())).or_default().push(*p);
        }
        for (colour, pts) in by_colour {
            panel.series.push(Series::new(pts, Mark::Dots, colour));
        }
        let d = drawn.rows.ncols();
        for j in 0..model.n_components() {
            let cov = model.covariances().component(j, d);
            let (centre, block) = view.gaussian(model.means().row(j), cov.view());
            for (radius, mark) in [(1.0, Mark::Line), (2.0, Mark::Dashed)] {
                panel.series.push(Series::new(
                    ellipse(centre, block, radius),
                    mark,
                    plot::colour(j),
                ));
            }
        }
        panels.push(panel);
    }
    // One frame for every panel, as on the slides, so the panels compare.
    let (mut lo, mut hi) = (
        (f64::INFINITY, f64::INFINITY),
        (f64::NEG_INFINITY, f64::NEG_INFINITY),
    );
    for &(x, y) in panels
        .iter()
        .flat_map(|p| &p.series)
        .flat_map(|s| &s.points)
    {
        lo = (lo.0.min(x), lo.1.min(y));
        hi = (hi.0.max(x), hi.1.max(y));
    }
    for panel in &mut panels {
        panel.extend_to(&[lo, hi]);
    }
    Ok(panels)
}

/// The palette colours of the components mixed in proportion to the
/// responsibilities `r`, as `#rrggbb`.
fn blend(r: &[f64]) -> String {
    let mut rgb = [0.0; 3];
    for (j, &weight) in r.iter().enumerate() {
        let hex = plot::colour(j).trim_start_matches('#');
        for (c, channel) in rgb.iter_mut().enumerate() {
            let value = u8::from_str_radix(&hex[2 * c..2 * c + 2], 16).unwrap_or(0);
            *channel += weight * f64::from(value);
        }
    }
    let byte = |v: f64| v.round().clamp(0.0, 255.0) as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        byte(rgb[0]),
        byte(rgb[1]),
        byte(rgb[2])
    )
}

/// The panels as one SVG picture, `COLUMNS` panels to a row: each row is
/// the plot module's document, nested at its offset.
pub fn render(panels: &[Panel]) -> String {
    let rows: Vec<String> = panels.chunks(COLUMNS).map(plot::render).collect();
    let (width, height) = dimensions(&rows[0]);
    let total = height * rows.len() as f64;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total}" viewBox="0 0 {width} {total}">"#
    );
    svg.push('\n');
    for (r, row) in rows.iter().enumerate() {
        svg += &row.replacen("<svg ", &format!(r#"<svg y="{}" "#, height * r as f64), 1);
    }
    svg.push_str("</svg>\n");
    svg
}

/// Width and height of a document written by `plot::render`.
fn dimensions(svg: &str) -> (f64, f64) {
    let attribute = |name: &str| {
        svg.split(&format!(r#" {name}=""#))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    (attribute("width"), attribute("height"))
}

/// The picture `admix fit --plot-iterations LIST --plot FILE` draws: EM
/// from the fit's own start, stopped after each listed iteration.
pub fn save_for_fit(
    path: &Path,
    args: &FitArgs,
    data: &Dataset,
    drawn: &Drawn,
    view: &PlotView,
    iterations: &[usize],
) -> Result<()> {
    if args.method != Fitter::Em {
        bail!("--plot-iterations draws EM iterations: use --method em");
    }
    if args.settings.n_init != 1 {
        bail!("--plot-iterations follows one start: use --n-init 1");
    }
    let fit_to = |i| {
        let params = args.settings.params(args.k, args.covariance)?.max_iter(i);
        Ok(params.check()?.fit(data.data()?)?)
    };
    save(path, &panels(drawn, view, iterations, fit_to)?)
}

/// Writes the picture of `panels` to `path`.
pub fn save(path: &Path, panels: &[Panel]) -> Result<()> {
    use anyhow::Context;
    std::fs::write(path, render(panels))
        .with_context(|| format!("cannot write the plot to '{}'", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use admix::mixture::gmm::GaussianMixture;

    #[test]
    fn one_panel_per_listed_iteration_in_rows_of_four() {
        let data = crate::data::load("faithful", None, None).unwrap();
        let view = PlotView::Columns(0, 1);
        let list = [0, 1, 2, 3, 4, 5, 6, 20];
        let fit_to = |i| {
            Ok(GaussianMixture::params(2)
                .tol(0.0)
                .max_iter(i)
                .seed(1)
                .fit(data.x.data())?)
        };
        let drawn = panels(&Drawn::of(&data).unwrap(), &view, &list, fit_to).unwrap();
        assert_eq!(drawn.len(), list.len());
        assert_eq!(drawn[0].title, "start");
        assert_eq!(drawn[7].title, "after iteration 20");
        let svg = render(&drawn);
        // Eight panel frames (each draws its title in bold), two nested rows.
        assert_eq!(svg.matches(r#"font-weight="bold""#).count(), 8);
        assert_eq!(svg.matches("<svg ").count(), 3);
        assert!(svg.contains(r#"<svg y="400" "#));
        assert!(panels(&Drawn::of(&data).unwrap(), &view, &[], fit_to).is_err());
    }

    #[test]
    fn blends_are_the_weighted_mean_of_the_component_colours() {
        assert_eq!(blend(&[1.0, 0.0]), plot::colour(0).to_lowercase());
        assert_eq!(blend(&[0.0, 1.0]), plot::colour(1).to_lowercase());
        // #0072B2 and #E69F00 half and half: (0+230)/2, (114+159)/2, (178+0)/2.
        assert_eq!(blend(&[0.5, 0.5]), "#738959");
    }
}
