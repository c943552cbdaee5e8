//! Figures of a fitted mixture: the data by component with 1- and 2-sigma
//! ellipses, in two chosen columns or the two leading principal axes, and
//! the log-likelihood per iteration.

use crate::data::Dataset;
use crate::plot::{self, Mark, Panel, Series};
use admix::mixture::gmm::GaussianMixtureModel;
use admix::mixture::PrincipalAxes;
use anyhow::{bail, Context, Result};
use ndarray::{Array2, ArrayView1, ArrayView2, Axis};

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

    pub fn labels(&self, data: &Dataset) -> (String, String) {
        match self {
            PlotView::Columns(a, b) => (data.columns[*a].clone(), data.columns[*b].clone()),
            PlotView::Principal(_) => (
                "principal component 1".into(),
                "principal component 2".into(),
            ),
        }
    }

    /// The rows of `x` in the plane.
    pub fn points(&self, x: ArrayView2<f64>) -> Vec<(f64, f64)> {
        match self {
            PlotView::Columns(a, b) => x.outer_iter().map(|r| (r[*a], r[*b])).collect(),
            PlotView::Principal(p) => p.project(x).outer_iter().map(|r| (r[0], r[1])).collect(),
        }
    }

    /// A Gaussian's centre and 2 x 2 covariance in the plane.
    pub fn gaussian(
        &self,
        mean: ArrayView1<f64>,
        cov: ArrayView2<f64>,
    ) -> ((f64, f64), [[f64; 2]; 2]) {
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
pub fn ellipse(centre: (f64, f64), cov: [[f64; 2]; 2], radius: f64) -> Vec<(f64, f64)> {
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
