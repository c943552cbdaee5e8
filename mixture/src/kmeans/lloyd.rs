//! Full-batch Lloyd iterations as an explicit loop whose state a caller can
//! inspect after every step.
//!
//! # Reference
//! Lloyd, Least squares quantization in PCM, IEEE Trans. Inf. Theory 28(2), 1982.

use super::assign::{tree_pass, Assignment};
use super::distances::{nearest, PackedCentres};
use super::params::Distance;
use super::prepare::{fold_chunks, Chunks, Prepared, Scratch, WINDOW};
use crate::distributed::Shard;
use crate::{check_data, Data, MixtureError};
use ndarray::{Array2, ArrayView2};

/// What one Lloyd step saw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LloydStep {
    /// Weighted sum of distances to the nearest centre, for the centres
    /// *before* the step moved them.
    pub inertia: f64,
    /// Centres the step changed (compared bit for bit). Zero means a fixed
    /// point: the next step would assign every row as this one did. No label
    /// is stored per row, so this takes the place of a count of changed labels.
    pub moved: usize,
}

/// Lloyd's algorithm one step at a time: each [`Lloyd::step`] assigns
/// every row to its nearest centre and moves each centre to the weighted
/// mean of its rows. The data are read in chunks at every step, never
/// copied.
///
/// A cluster left empty takes the row farthest from its own centre (the
/// next farthest for a second empty cluster, and so on; ties go to the
/// lower row index), which leaves that row's old cluster; a cluster that
/// still has no weight keeps its centre. No centre ever becomes NaN.
///
/// # Example
/// ```
/// # use admix_mixture::kmeans::{Distance, Lloyd};
/// # use ndarray::array;
/// let x = array![[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]];
/// let mut lloyd = Lloyd::new(x.view(), array![[0.0, 0.0], [1.0, 0.0]].view(), Distance::SquaredEuclidean)?;
/// lloyd.step()?;
/// let step = lloyd.step()?;
/// assert_eq!(step.moved, 0);
/// assert_eq!(lloyd.centroids(), array![[0.0, 0.5], [10.0, 0.5]]);
/// # Ok::<(), admix_mixture::MixtureError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Lloyd<'a> {
    data: Prepared<'a>,
    /// Centres in the prepared space (centred, or unit length for cosine).
    centres: Array2<f64>,
    packed: PackedCentres,
    assignment: Assignment,
    /// For a job of processes: the shard `data` holds and the rows per
    /// task of its tree sums.
    grid: Option<(Shard<'a>, usize)>,
}

impl<'a> Lloyd<'a> {
    /// Starts from `centres` (k x d) on the data `x` (n x d), which it
    /// borrows and reads at every step.
    pub fn new(
        x: impl Into<Data<'a>>,
        centres: ArrayView2<f64>,
        distance: Distance,
    ) -> Result<Self, MixtureError> {
        let x = x.into();
        check_data(x)?;
        let d = x.ncols();
        if centres.nrows() == 0 || centres.ncols() != d {
            return Err(MixtureError::CentresShape {
                rows: centres.nrows().max(1),
                cols: d,
                got_rows: centres.nrows(),
                got_cols: centres.ncols(),
            });
        }
        if let Some(((row, column), &value)) = centres.indexed_iter().find(|(_, v)| !v.is_finite())
        {
            return Err(MixtureError::NonFiniteCentre { row, column, value });
        }
        let data = Prepared::new(x, None, distance, None)?;
        let centres = data.to_prepared(centres)?;
        Ok(Lloyd::from_prepared(data, centres))
    }

    /// Starts from centres already in the prepared space of `data`.
    pub(crate) fn from_prepared(data: Prepared<'a>, centres: Array2<f64>) -> Self {
        let (k, d) = centres.dim();
        Self {
            assignment: Assignment::new(data.n_chunks(), k, d),
            packed: PackedCentres::new(centres.view()),
            data,
            centres,
            grid: None,
        }
    }

    /// Starts from prepared centres; with a `grid`, `data` is this
    /// process's rows of the shard, every pass summed over the job's
    /// processes in tasks of the given rows.
    pub(crate) fn on(
        data: Prepared<'a>,
        centres: Array2<f64>,
        grid: Option<(&Shard<'a>, usize)>,
    ) -> Self {
        Self {
            grid: grid.map(|(s, t)| (*s, t)),
            ..Self::from_prepared(data, centres)
        }
    }

    /// One iteration: assign, then move the centres.
    ///
    /// # Errors
    /// When the data's source fails to give its rows.
    pub fn step(&mut self) -> Result<LloydStep, MixtureError> {
        self.assign()?;
        self.fill_empty_clusters()?;
        let moved = self.move_centres();
        Ok(LloydStep {
            inertia: self.assignment.total.inertia,
            moved,
        })
    }

    /// Assigns every row to the current centres without moving them and
    /// returns the inertia.
    ///
    /// # Errors
    /// When the data's source fails to give its rows.
    pub fn inertia(&mut self) -> Result<f64, MixtureError> {
        self.assign()?;
        Ok(self.assignment.total.inertia)
    }

    /// The current centres, in data space (k x d).
    pub fn centroids(&self) -> Array2<f64> {
        self.data.to_data(&self.centres)
    }

    fn assign(&mut self) -> Result<(), MixtureError> {
        match &self.grid {
            None => self
                .assignment
                .pass(&self.data, &self.packed, self.data.distance),
            Some((shard, task_rows)) => {
                self.assignment.total = tree_pass(&self.data, shard, *task_rows, &self.packed)?;
                Ok(())
            }
        }
    }

    /// Moves the farthest rows into clusters of zero weight.
    fn fill_empty_clusters(&mut self) -> Result<(), MixtureError> {
        let total = &mut self.assignment.total;
        let empty: Vec<usize> = (0..total.weights.len())
            .filter(|&c| total.weights[c] == 0.0)
            .collect();
        if empty.is_empty() {
            return Ok(());
        }
        // Distances are recomputed here rather than stored by every pass:
        // empty clusters are rare.
        let far = farthest_rows(&self.data, &self.packed, empty.len())?;
        let d = self.data.n_features();
        let (far, rows) = match &self.grid {
            None => {
                let mut scratch = Scratch::default();
                let mut rows = Vec::with_capacity(far.len() * d);
                for f in &far {
                    rows.extend_from_slice(self.data.rows(f.row..f.row + 1, &mut scratch)?.x);
                }
                (far, rows)
            }
            Some((shard, _)) => {
                let far = farthest_of_job(shard, far, empty.len());
                let at: Vec<usize> = far.iter().map(|f| f.row).collect();
                let rows = self.data.to_prepared(shard.gather_rows(&at)?.view())?;
                (far, rows.into_raw_vec_and_offset().0)
            }
        };
        for ((&c, far), row) in empty.iter().zip(&far).zip(rows.chunks_exact(d)) {
            let old = far.label;
            // A job of processes is unweighted (see `fit_shard`).
            let w = if self.grid.is_some() {
                1.0
            } else {
                self.data.weight(far.row)
            };
            for (j, &xv) in row.iter().enumerate() {
                total.sums[old * d + j] -= w * xv;
                total.sums[c * d + j] = w * xv;
            }
            total.weights[old] -= w;
            total.weights[c] = w;
        }
        Ok(())
    }

    /// Moves each centre of positive weight to the mean of its rows (kept
    /// at unit length for cosine); returns how many centres changed.
    fn move_centres(&mut self) -> usize {
        let total = &self.assignment.total;
        let d = self.centres.ncols();
        let mut moved = 0;
        for (c, mut centre) in self.centres.rows_mut().into_iter().enumerate() {
            let sums = &total.sums[c * d..(c + 1) * d];
            let scale = match self.data.distance {
                Distance::SquaredEuclidean => total.weights[c],
                // The unit vector along the mean is the unit vector along the sum.
                Distance::Cosine => sums.iter().map(|s| s * s).sum::<f64>().sqrt(),
            };
            if total.weights[c] > 0.0 && scale > 0.0 {
                let mut changed = false;
                for (m, &s) in centre.iter_mut().zip(sums) {
                    let new = s / scale;
                    changed |= new.to_bits() != m.to_bits();
                    *m = new;
                }
                moved += usize::from(changed);
            }
        }
        self.packed.repack(self.centres.view());
        moved
    }
}

/// A row of positive weight far from its nearest centre.
#[derive(Debug, Clone, Copy)]
struct FarRow {
    row: usize,
    label: usize,
    sq_dist: f64,
}

/// The farthest-first order of [`farthest_rows`]: a total order.
fn farther(a: &FarRow, b: &FarRow) -> std::cmp::Ordering {
    b.sq_dist.total_cmp(&a.sq_dist).then(a.row.cmp(&b.row))
}

/// The `m` rows farthest from their centres among all processes' rows,
/// from each process's own `m` farthest (local indices): the same rows,
/// with global indices, on every process.
fn farthest_of_job(shard: &Shard<'_>, local: Vec<FarRow>, m: usize) -> Vec<FarRow> {
    let words: Vec<f64> = local
        .iter()
        .flat_map(|f| {
            [
                (shard.first_row() + f.row) as f64,
                f.label as f64,
                f.sq_dist,
            ]
        })
        .collect();
    let mut all: Vec<FarRow> = shard
        .comm()
        .all_gather(&words)
        .iter()
        .flat_map(|w| {
            w.chunks_exact(3).map(|f| FarRow {
                row: f[0] as usize,
                label: f[1] as usize,
                sq_dist: f[2],
            })
        })
        .collect::<Vec<_>>();
    all.sort_unstable_by(farther);
    all.truncate(m);
    all
}

/// The `m` rows of positive weight farthest from their nearest centre (by
/// squared Euclidean distance; for cosine, twice the cosine distance),
/// farthest first, the lower index first among equal distances: a total
/// order, so the same rows whatever the chunks. Keeps `m` rows per chunk.
fn farthest_rows(
    data: &Prepared,
    centres: &PackedCentres,
    m: usize,
) -> Result<Vec<FarRow>, MixtureError> {
    let order = farther;
    let keep = |rows: &mut Vec<FarRow>| {
        if rows.len() > m {
            rows.select_nth_unstable_by(m - 1, order);
            rows.truncate(m);
        }
    };
    let mut partials = vec![Vec::new(); data.n_chunks().clamp(1, WINDOW)];
    let mut far = Vec::with_capacity(2 * m);
    fold_chunks(
        data,
        &mut partials,
        |chunk, part: &mut Vec<FarRow>| {
            let n = chunk.sq_norms.len();
            let mut labels = vec![0; n];
            let mut values = vec![0.0; n];
            nearest(chunk.x, centres, &mut labels, &mut values);
            part.clear();
            for (i, (&label, &v)) in labels.iter().zip(&values).enumerate() {
                if chunk.weight(i) > 0.0 {
                    part.push(FarRow {
                        row: chunk.start + i,
                        label,
                        sq_dist: (chunk.sq_norms[i] + v).max(0.0),
                    });
                }
            }
            keep(part);
        },
        |_, part| {
            far.extend_from_slice(part);
            keep(&mut far);
        },
    )?;
    far.sort_unstable_by(order);
    Ok(far)
}
