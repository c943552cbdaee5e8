//! The data a fit reads ([`Data`]: an array of `f64` or `f32`, or a user's
//! [`RowSource`]) and the checks on it shared by every model of this crate.
//! Everything here reads the rows in chunks, so a memory-mapped file or a
//! source larger than memory is never copied whole.

use crate::distributed::{tree_sum, Shard};
use crate::gmm::TASK_ROWS;
use crate::MixtureError;
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2, CowArray, Ix2};
use std::ops::Range;

/// Rows read at a time by the checks and other whole-data passes.
pub(crate) const SCAN_ROWS: usize = 4096;

/// A floating-point type the data may come in: `f64`, or `f32` for half the
/// memory and bandwidth. Statistics are accumulated in `f64` either way.
pub trait Element:
    Copy + Send + Sync + PartialOrd + Into<f64> + std::fmt::Debug + sealed::Sealed + 'static
{
    /// The value rounded to this type.
    fn from_f64(v: f64) -> Self;
    /// Whether the value is neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// The rows as an array of this type, if they are of this type.
    fn view(rows: Rows<'_>) -> Option<ArrayView2<'_, Self>>;
}

impl Element for f64 {
    fn from_f64(v: f64) -> Self {
        v
    }
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    fn view(rows: Rows<'_>) -> Option<ArrayView2<'_, Self>> {
        match rows {
            Rows::F64(x) => Some(x),
            Rows::F32(_) => None,
        }
    }
}

impl Element for f32 {
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    fn view(rows: Rows<'_>) -> Option<ArrayView2<'_, Self>> {
        match rows {
            Rows::F32(x) => Some(x),
            Rows::F64(_) => None,
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for f32 {}
}

/// Rows that live elsewhere (a database, a remote store, a compressed file):
/// fits ask for row ranges, possibly from several threads and more than once
/// per fit, so a source must give the same values for the same rows every time.
pub trait RowSource<T: Element>: Sync {
    /// Number of rows and of columns.
    fn shape(&self) -> (usize, usize);
    /// Writes rows `start..start + out.nrows()` into `out`, whose number of
    /// columns is the source's; an error message is reported with the range.
    fn read_rows(&self, start: usize, out: ArrayViewMut2<'_, T>) -> Result<(), String>;
}

/// The data of a fit: in memory (or memory-mapped) as `f64` or `f32`, or a
/// user's [`RowSource`]. Arrays convert with `.into()`, so `fit(x.view())`
/// keeps working.
#[derive(Clone, Copy)]
pub enum Data<'a> {
    /// Rows of `f64`.
    F64(ArrayView2<'a, f64>),
    /// Rows of `f32`, read as they are (not converted up front).
    F32(ArrayView2<'a, f32>),
    /// Rows of `f64` read from a user's source.
    Source64(&'a dyn RowSource<f64>),
    /// Rows of `f32` read from a user's source.
    Source32(&'a dyn RowSource<f32>),
}

impl<'a> From<ArrayView2<'a, f64>> for Data<'a> {
    fn from(x: ArrayView2<'a, f64>) -> Self {
        Data::F64(x)
    }
}

impl<'a> From<ArrayView2<'a, f32>> for Data<'a> {
    fn from(x: ArrayView2<'a, f32>) -> Self {
        Data::F32(x)
    }
}

impl<'a> From<&'a Array2<f64>> for Data<'a> {
    fn from(x: &'a Array2<f64>) -> Self {
        Data::F64(x.view())
    }
}

impl<'a> From<&'a Array2<f32>> for Data<'a> {
    fn from(x: &'a Array2<f32>) -> Self {
        Data::F32(x.view())
    }
}

impl<'a> From<&'a dyn RowSource<f64>> for Data<'a> {
    fn from(x: &'a dyn RowSource<f64>) -> Self {
        Data::Source64(x)
    }
}

impl<'a> From<&'a dyn RowSource<f32>> for Data<'a> {
    fn from(x: &'a dyn RowSource<f32>) -> Self {
        Data::Source32(x)
    }
}

/// Some rows of a [`Data`]: borrowed from its array, or read into a
/// [`RowBuffer`] from its source.
#[derive(Clone, Copy)]
pub enum Rows<'b> {
    /// `f64` rows.
    F64(ArrayView2<'b, f64>),
    /// `f32` rows.
    F32(ArrayView2<'b, f32>),
}

impl Rows<'_> {
    /// Number of rows and of columns.
    pub fn dim(&self) -> (usize, usize) {
        match self {
            Rows::F64(x) => x.dim(),
            Rows::F32(x) => x.dim(),
        }
    }

    /// The value at (`row`, `column`) as `f64`.
    pub fn get(&self, row: usize, column: usize) -> f64 {
        match self {
            Rows::F64(x) => x[[row, column]],
            Rows::F32(x) => x[[row, column]].into(),
        }
    }

    /// The rows as an `f64` array (a copy; for small passes such as
    /// initialisation, not for the kernels).
    pub fn to_f64(&self) -> Array2<f64> {
        match self {
            Rows::F64(x) => x.to_owned(),
            Rows::F32(x) => x.mapv(f64::from),
        }
    }
}

impl<'b> From<Rows<'b>> for Data<'b> {
    fn from(rows: Rows<'b>) -> Self {
        match rows {
            Rows::F64(x) => Data::F64(x),
            Rows::F32(x) => Data::F32(x),
        }
    }
}

/// Reusable space for rows read from a [`RowSource`] (one per thread).
#[derive(Default)]
pub struct RowBuffer {
    f64s: Vec<f64>,
    f32s: Vec<f32>,
}

/// Reads `range` of `source` into `buffer` and views it.
fn read_source<'b, T: Element + Default>(
    source: &dyn RowSource<T>,
    range: Range<usize>,
    buffer: &'b mut Vec<T>,
) -> Result<ArrayView2<'b, T>, MixtureError> {
    let d = source.shape().1;
    let b = range.len();
    buffer.clear();
    buffer.resize(b * d, T::default());
    let out = ArrayViewMut2::from_shape((b, d), &mut buffer[..]).expect("buffer sized b x d");
    source
        .read_rows(range.start, out)
        .map_err(|message| MixtureError::DataSource {
            start: range.start,
            end: range.end,
            message,
        })?;
    Ok(ArrayView2::from_shape((b, d), &buffer[..]).expect("buffer sized b x d"))
}

impl<'a> Data<'a> {
    /// Number of rows and of columns.
    pub fn dim(&self) -> (usize, usize) {
        match self {
            Data::F64(x) => x.dim(),
            Data::F32(x) => x.dim(),
            Data::Source64(s) => s.shape(),
            Data::Source32(s) => s.shape(),
        }
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.dim().0
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.dim().1
    }

    /// The rows in `range`: a view of the array, or read into `buffer`.
    pub fn rows<'b>(
        &'b self,
        range: Range<usize>,
        buffer: &'b mut RowBuffer,
    ) -> Result<Rows<'b>, MixtureError> {
        use ndarray::s;
        Ok(match self {
            Data::F64(x) => Rows::F64(x.slice(s![range, ..])),
            Data::F32(x) => Rows::F32(x.slice(s![range, ..])),
            Data::Source64(src) => Rows::F64(read_source(*src, range, &mut buffer.f64s)?),
            Data::Source32(src) => Rows::F32(read_source(*src, range, &mut buffer.f32s)?),
        })
    }

    /// All the rows as one `f64` array in memory: borrowed for `f64`
    /// arrays, else read (for the methods that need the data whole, such as
    /// the gradient fits; the EM passes never do).
    pub fn to_f64(&self) -> Result<CowArray<'a, f64, Ix2>, MixtureError> {
        if let Data::F64(x) = self {
            return Ok(CowArray::from(x.reborrow()));
        }
        let mut out = Array2::zeros(self.dim());
        self.for_each_chunk(SCAN_ROWS, |start, rows| {
            let b = rows.dim().0;
            out.slice_mut(ndarray::s![start..start + b, ..])
                .assign(&rows.to_f64());
            Ok(())
        })?;
        Ok(CowArray::from(out))
    }

    /// Calls `f` with consecutive chunks of at most `chunk_rows` rows, in
    /// order, and the index of each chunk's first row.
    pub fn for_each_chunk(
        &self,
        chunk_rows: usize,
        mut f: impl FnMut(usize, Rows<'_>) -> Result<(), MixtureError>,
    ) -> Result<(), MixtureError> {
        let n = self.nrows();
        let chunk_rows = chunk_rows.max(1);
        let mut buffer = RowBuffer::default();
        let mut start = 0;
        while start < n {
            let end = (start + chunk_rows).min(n);
            f(start, self.rows(start..end, &mut buffer)?)?;
            start = end;
        }
        Ok(())
    }
}

/// Checks that `x` has at least one row and one column and only finite
/// values, naming the first offending entry. Streams over the rows.
pub fn check_data<'a>(x: impl Into<Data<'a>>) -> Result<(), MixtureError> {
    let x = x.into();
    check_not_empty(x)?;
    x.for_each_chunk(SCAN_ROWS, |start, rows| match rows {
        Rows::F64(r) => first_non_finite(start, r),
        Rows::F32(r) => first_non_finite(start, r),
    })
}

/// At least one row and one column.
fn check_not_empty(x: Data<'_>) -> Result<(), MixtureError> {
    let (n_samples, n_features) = x.dim();
    if n_samples == 0 || n_features == 0 {
        return Err(MixtureError::EmptyData {
            n_samples,
            n_features,
        });
    }
    Ok(())
}

/// The first entry of `rows` (whose first row is `start`) that is not finite.
fn first_non_finite<T: Element>(start: usize, rows: ArrayView2<T>) -> Result<(), MixtureError> {
    // Fast scan first; the position is only looked for when something is
    // wrong. Without an early exit inside a block, the test vectorises.
    let finite = |values: &[T]| values.iter().fold(true, |ok, v| ok & v.is_finite());
    let all_finite = match rows.as_slice() {
        Some(values) => values.chunks(1024).all(finite),
        None => rows.iter().all(|v| v.is_finite()),
    };
    if all_finite {
        return Ok(());
    }
    for ((row, column), &value) in rows.indexed_iter() {
        if !value.is_finite() {
            return Err(MixtureError::NonFiniteData {
                row: start + row,
                column,
                value: value.into(),
            });
        }
    }
    Ok(())
}

/// Checks that the data's scale leaves room for squares in `f64`: the
/// root-mean-square distance of the rows from their mean must have a square
/// whose sum over the samples (which bounds every moment sum of EM) is finite
/// and that is, unless all rows are equal, at least the smallest normal number (below it
/// variances and squared distances underflow and clusters merge silently).
/// Fitting calls it; predicting with a fitted model does not.
pub(crate) fn check_scale<'a>(x: impl Into<Data<'a>>) -> Result<(), MixtureError> {
    check_scale_shard(&Shard::whole(x), TASK_ROWS)
}

/// [`check_scale`] of the rows of a job's processes, with sums in the tree
/// of tasks of `task_rows` rows, so every process decides the same.
pub(crate) fn check_scale_shard(shard: &Shard<'_>, task_rows: usize) -> Result<(), MixtureError> {
    let x = shard.rows();
    let n = shard.total_rows() as f64;
    let d = x.ncols();
    // Per-column sums of `f(column, value)` over the job's rows.
    let sum_rows = |f: &(dyn Fn(usize, f64) -> f64 + Sync)| {
        tree_sum(shard, task_rows, RowBuffer::default, |buffer, range| {
            let rows = x.rows(range, buffer)?;
            let mut sums = vec![0.0; d];
            for i in 0..rows.dim().0 {
                for (l, s) in sums.iter_mut().enumerate() {
                    *s += f(l, rows.get(i, l));
                }
            }
            Ok(sums)
        })
        .map(|sums| sums.expect("data checked to have rows"))
    };
    let means: Vec<f64> = sum_rows(&|_, v| v)?.iter().map(|s| s / n).collect();
    // Sums of squares relative to the largest deviation neither overflow
    // nor underflow.
    let mut local_largest = 0.0f64;
    let local = x.for_each_chunk(SCAN_ROWS, |_, rows| {
        for i in 0..rows.dim().0 {
            for (l, m) in means.iter().enumerate() {
                local_largest = local_largest.max((rows.get(i, l) - m).abs());
            }
        }
        Ok(())
    });
    shard.agree(local)?;
    let largest = shard
        .comm()
        .all_gather(&[local_largest])
        .iter()
        .fold(local_largest, |a, v| a.max(v[0]));
    let spread = if largest == 0.0 {
        0.0
    } else {
        let relative = sum_rows(&|l, v| ((v - means[l]) / largest).powi(2))?
            .iter()
            .sum::<f64>()
            / n;
        largest * relative.sqrt()
    };
    let square = spread * spread;
    // float32 data are multiplied in f32 (sums of up to a chunk of rows):
    // the largest square needs room below f32::MAX, a typical one above
    // the responsibilities' flush level times f32's smallest normal.
    let f32_data = matches!(x, Data::F32(_) | Data::Source32(_));
    let problem = if !(square * n).is_finite() {
        "overflows f64 when summed over the samples"
    } else if spread > 0.0 && square < f64::MIN_POSITIVE {
        "is below the smallest normal f64, so variances and squared distances underflow"
    } else if f32_data && largest * largest >= 2f64.powi(100) {
        "(or that of the farthest row) is too large for float32 products: convert the data to float64, or"
    } else if f32_data && spread > 0.0 && square < 2f64.powi(-62) {
        "is too small for float32 products: convert the data to float64, or"
    } else {
        return Ok(());
    };
    Err(MixtureError::DataScale { spread, problem })
}

/// The checks of [`check_data`] on the rows of a job's processes, on every
/// process: rows are numbered in the whole data set.
pub(crate) fn check_finite_shard(shard: &Shard<'_>) -> Result<(), MixtureError> {
    let x = shard.rows();
    if shard.total_rows() == 0 || x.ncols() == 0 {
        return Err(MixtureError::EmptyData {
            n_samples: shard.total_rows(),
            n_features: x.ncols(),
        });
    }
    let local = match check_data(x) {
        Err(MixtureError::NonFiniteData { row, column, value }) => {
            Err(MixtureError::NonFiniteData {
                row: row + shard.first_row(),
                column,
                value,
            })
        }
        // A process may hold no rows when there are fewer tasks than processes.
        Err(MixtureError::EmptyData { .. }) => Ok(()),
        other => other,
    };
    shard.agree(local)
}

/// Checks that `x` is valid data with the `expected` number of features.
pub fn check_features<'a>(x: impl Into<Data<'a>>, expected: usize) -> Result<(), MixtureError> {
    let x = x.into();
    check_data(x)?;
    check_shape(x, expected)
}

/// The checks of [`check_features`] without the scan for non-finite values,
/// for passes that find those themselves (a non-finite value makes their
/// sums non-finite) and only then call [`check_data`] for the typed error.
pub(crate) fn check_shape(x: Data<'_>, expected: usize) -> Result<(), MixtureError> {
    check_not_empty(x)?;
    if x.ncols() != expected {
        return Err(MixtureError::DimensionMismatch {
            expected,
            got: x.ncols(),
        });
    }
    Ok(())
}

/// Checks per-sample weights: one per row of `n`, each finite and
/// non-negative (a weight of 2 counts a sample twice), naming the first bad one.
pub(crate) fn check_sample_weight(w: ArrayView1<f64>, n: usize) -> Result<(), MixtureError> {
    if w.len() != n {
        return Err(MixtureError::SampleWeightsLength {
            expected: n,
            got: w.len(),
        });
    }
    match w
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
    {
        Some((index, &value)) => Err(MixtureError::InvalidSampleWeight { index, value }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn names_the_first_non_finite_entry() {
        let x = array![[1.0, 2.0], [3.0, f64::NAN], [f64::INFINITY, 0.0]];
        match check_data(x.view()) {
            Err(MixtureError::NonFiniteData { row, column, .. }) => {
                assert_eq!((row, column), (1, 1))
            }
            other => panic!("expected NonFiniteData, got {other:?}"),
        }
    }

    #[test]
    fn rejects_empty_and_mismatched_data() {
        let empty = ndarray::Array2::<f64>::zeros((0, 3));
        assert!(matches!(
            check_data(empty.view()),
            Err(MixtureError::EmptyData { .. })
        ));
        let x = array![[1.0, 2.0]];
        assert_eq!(
            check_features(x.view(), 3),
            Err(MixtureError::DimensionMismatch {
                expected: 3,
                got: 2
            })
        );
    }

    /// A source serving rows of an array, failing from `fail_from` on.
    struct Served {
        x: ndarray::Array2<f32>,
        fail_from: usize,
    }

    impl RowSource<f32> for Served {
        fn shape(&self) -> (usize, usize) {
            self.x.dim()
        }
        fn read_rows(&self, start: usize, mut out: ArrayViewMut2<'_, f32>) -> Result<(), String> {
            if start + out.nrows() > self.fail_from {
                return Err("the store went away".into());
            }
            out.assign(&self.x.slice(ndarray::s![start..start + out.nrows(), ..]));
            Ok(())
        }
    }

    #[test]
    fn chunks_of_a_source_equal_the_array_it_serves() {
        let x = ndarray::Array2::from_shape_fn((10, 3), |(i, j)| (i * 3 + j) as f32 * 0.5);
        let served = Served {
            x: x.clone(),
            fail_from: usize::MAX,
        };
        let source: &dyn RowSource<f32> = &served;
        for data in [Data::from(&x), Data::from(source)] {
            let mut seen = Vec::new();
            data.for_each_chunk(4, |start, rows| {
                assert_eq!(rows.dim(), ((10 - start).min(4), 3));
                seen.extend(rows.to_f64().iter().copied());
                Ok(())
            })
            .unwrap();
            let expected: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
            assert_eq!(seen, expected);
        }
    }

    #[test]
    fn a_failing_source_names_the_rows_and_its_reason() {
        let served = Served {
            x: ndarray::Array2::zeros((10, 2)),
            fail_from: 6,
        };
        let source: &dyn RowSource<f32> = &served;
        match Data::from(source).for_each_chunk(4, |_, _| Ok(())) {
            Err(MixtureError::DataSource {
                start: 4,
                end: 8,
                message,
            }) => assert!(message.contains("went away")),
            other => panic!("expected DataSource for rows 4..8, got {other:?}"),
        }
    }

    #[test]
    fn names_a_non_finite_f32_entry_past_the_first_chunk() {
        let mut x = ndarray::Array2::<f32>::zeros((SCAN_ROWS + 5, 2));
        x[[SCAN_ROWS + 3, 1]] = f32::INFINITY;
        match check_data(x.view()) {
            Err(MixtureError::NonFiniteData { row, column, value }) => {
                assert_eq!((row, column, value), (SCAN_ROWS + 3, 1, f64::INFINITY))
            }
            other => panic!("expected NonFiniteData, got {other:?}"),
        }
    }
}
