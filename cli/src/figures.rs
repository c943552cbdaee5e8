//! Figures of a fitted mixture: the data by component with 1- and 2-sigma
//! ellipses, in two chosen columns or the two leading principal axes, and
//! the log-likelihood per iteration.

use crate::data::Dataset;
use crate::plot::{self, Mark, Panel, Series};
use admix::mixture::gmm::GaussianMixtureModel;
use admix::mixture::{Data, PrincipalAxes, RowBuffer};
use anyhow::{bail, Context, Result};
use ndarray::{Array2, ArrayView1, ArrayView2, Axis, CowArray, Ix2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The most rows a figure draws. A larger data set is drawn as a seeded
/// sample of this many rows: a scatter of more points is a blot, and the
/// sample keeps a plot of a mapped file larger than memory in memory.
pub const PLOT_ROWS: usize = 10_000;

/// Seed of that sample, fixed so the same file gives the same picture.
const PLOT_SEED: u64 = 11;

/// The rows a figure draws, with the names of their columns.
pub struct Drawn<'a> {
    pub columns: &'a [String],
    pub rows: CowArray<'a, f64, Ix2>,
}

impl<'a> Drawn<'a> {
    /// Every row of a data set of at most [`PLOT_ROWS`] rows (borrowed when
    /// it is float64); of a larger one, [`PLOT_ROWS`] rows drawn uniformly
    /// without replacement by a generator seeded with [`PLOT_SEED`], in file
    /// order. Reads only the chosen rows of a mapped file.
    pub fn of(data: &'a Dataset) -> Result<Drawn<'a>> {
        let x = data.data()?;
        let (n, d) = x.dim();
        let rows = match x {
            Data::F64(x) if n <= PLOT_ROWS => CowArray::from(x),
            _ => {
                let chosen = if n <= PLOT_ROWS {
                    (0..n).collect()
                } else {
                    let mut rng = ChaCha8Rng::seed_from_u64(PLOT_SEED);
                    let mut chosen = rand::seq::index::sample(&mut rng, n, PLOT_ROWS).into_vec();
                    chosen.sort_unstable();
                    chosen
                };
                let mut picked = Array2::zeros((chosen.len(), d));
                let mut buffer = RowBuffer::default();
                for (mut to, &i) in picked.outer_iter_mut().zip(&chosen) {
                    let row = x.rows(i..i + 1, &mut buffer)?;
                    for (c, v) in to.iter_mut().enumerate() {
                        *v = row.get(0, c);
                    }
                }
                CowArray::from(picked)
            }
        };
        Ok(Drawn {
            columns: &data.columns,
            rows,
        })
    }
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
    pub fn choose(drawn: &Drawn, chosen: Option<&[String]>) -> Result<PlotView> {
        let find = |w: &String| {
            drawn
                .columns
                .iter()
                .position(|c| c == w)
                .or_else(|| w.parse::<usize>().ok().filter(|&i| i < drawn.columns.len()))
                .with_context(|| format!("--plot-columns: no column '{w}'"))
        };
        Ok(match (chosen, drawn.columns.len()) {
            (Some([a, b]), _) => PlotView::Columns(find(a)?, find(b)?),
            (Some(_), _) => bail!("--plot-columns takes exactly two columns"),
            (None, 1) => PlotView::Columns(0, 0),
            (None, 2) => PlotView::Columns(0, 1),
            (None, _) => PlotView::Principal(PrincipalAxes::fit(drawn.rows.view(), 2)?),
        })
    }

    pub fn labels(&self, columns: &[String]) -> (String, String) {
        match self {
            PlotView::Columns(a, b) => (columns[*a].clone(), columns[*b].clone()),
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
    drawn: &Drawn,
    model: &GaussianMixtureModel,
    view: &PlotView,
) -> Result<Vec<Panel>> {
    let labels = model.predict(drawn.rows.view())?;
    let d = drawn.rows.ncols();
    let (x_label, y_label) = view.labels(drawn.columns);
    let mut scatter = Panel::new("data by component, 1 and 2 sigma", &x_label, &y_label);
    let points = view.points(drawn.rows.view());
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
    use crate::data::Matrix;

    /// Row i holds (i, -i): a drawn row tells which row of the data it is.
    fn numbered(n: usize) -> Dataset {
        Dataset {
            columns: vec!["a".into(), "b".into()],
            x: Matrix::Owned(Array2::from_shape_fn((n, 2), |(i, j)| {
                if j == 0 {
                    i as f64
                } else {
                    -(i as f64)
                }
            })),
        }
    }

    #[test]
    fn a_small_data_set_is_drawn_whole_without_a_copy() {
        let data = numbered(PLOT_ROWS);
        let drawn = Drawn::of(&data).unwrap();
        assert!(drawn.rows.is_view());
        assert_eq!(drawn.rows.view(), data.x.to_f64());
    }

    #[test]
    fn a_large_data_set_is_drawn_as_a_seeded_sample_of_distinct_rows_in_order() {
        let n = 5 * PLOT_ROWS + 3;
        let data = numbered(n);
        let drawn = Drawn::of(&data).unwrap();
        let again = Drawn::of(&data).unwrap();
        assert_eq!(drawn.rows, again.rows, "the same rows every time");
        assert_eq!(drawn.rows.dim(), (PLOT_ROWS, 2));
        let picked: Vec<f64> = drawn.rows.column(0).to_vec();
        // Real rows, distinct and in file order.
        assert!(drawn.rows.outer_iter().all(|r| r[1] == -r[0]));
        assert!(picked.windows(2).all(|w| w[0] < w[1]));
        // Spread over the whole file, not its start or a stride: about a
        // fifth of the rows in each fifth of the file.
        for fifth in 0..5 {
            let (lo, hi) = ((fifth * n / 5) as f64, ((fifth + 1) * n / 5) as f64);
            let count = picked.iter().filter(|&&i| lo <= i && i < hi).count();
            assert!((1_800..2_200).contains(&count), "fifth {fifth}: {count}");
        }
        let strided = picked
            .windows(2)
            .all(|w| w[1] - w[0] == picked[1] - picked[0]);
        assert!(!strided);
    }

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
