//! Reading a data matrix: a CSV file, an `.npy` file, or a built-in data set.

use anyhow::{bail, Context, Result};
use ndarray::Array2;
use std::path::Path;

/// The data sets shipped inside the binary.
const BUILT_IN: &[(&str, &str)] = &[
    ("faithful", include_str!("../../data/faithful.csv")),
    ("iris", include_str!("../../data/iris.csv")),
];

/// A data matrix (one row per sample) and the names of its columns.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub columns: Vec<String>,
    pub x: Array2<f64>,
}

/// Loads `source`: a built-in name (`faithful`, `iris`), an `.npy` file, or
/// a CSV file; `columns` picks columns by name or 0-based index.
pub fn load(source: &str, columns: Option<&[String]>) -> Result<Dataset> {
    let data = if let Some((_, text)) = BUILT_IN.iter().find(|(name, _)| *name == source) {
        parse_csv(text, source)?
    } else if source.ends_with(".npy") {
        read_npy(Path::new(source))?
    } else {
        let path = Path::new(source);
        if !path.exists() {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            bail!(
                "no file '{source}' (and it is not a built-in data set: {})",
                names.join(", ")
            );
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read '{source}' as text"))?;
        parse_csv(&text, source)?
    };
    match columns {
        Some(wanted) => select(data, wanted),
        None => Ok(data),
    }
}

/// Parses CSV text. A first row that is not all numbers is a header. A
/// column whose first data value is not a number is a label column and is
/// skipped; any later non-number in a numeric column is an error.
fn parse_csv(text: &str, source: &str) -> Result<Dataset> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut records = reader.records().enumerate();
    let Some((_, first)) = records.next() else {
        bail!("'{source}' holds no rows: a CSV file needs at least one row of numbers");
    };
    let first = first.with_context(|| format!("'{source}' line 1 is not valid CSV"))?;
    let header_row = first.iter().any(|field| field.parse::<f64>().is_err());
    let width = first.len();
    let mut names: Vec<String> = if header_row {
        first.iter().map(str::to_string).collect()
    } else {
        (0..width).map(|i| format!("x{i}")).collect()
    };
    let mut numeric: Option<Vec<bool>> = None;
    let mut values = Vec::new();
    let mut rows = 0;
    let first_data = if header_row {
        None
    } else {
        Some((0, Ok(first)))
    };
    for (line, record) in first_data.into_iter().chain(records) {
        let record =
            record.with_context(|| format!("'{source}' line {} is not valid CSV", line + 1))?;
        if record.len() != width {
            bail!(
                "'{source}' line {} has {} fields but the first row has {width}: fix the row or the header",
                line + 1,
                record.len()
            );
        }
        let keep = numeric
            .get_or_insert_with(|| record.iter().map(|f| f.parse::<f64>().is_ok()).collect());
        for (column, field) in record.iter().enumerate().filter(|(c, _)| keep[*c]) {
            let value: f64 = field.parse().map_err(|_| {
                anyhow::anyhow!(
                    "'{source}' line {}, column {} ('{}'): '{field}' is not a number",
                    line + 1,
                    column + 1,
                    names[column]
                )
            })?;
            values.push(value);
        }
        rows += 1;
    }
    let Some(keep) = numeric else {
        bail!("'{source}' has a header but no data rows");
    };
    names = names
        .into_iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(n, _)| n)
        .collect();
    if names.is_empty() {
        bail!("'{source}' has no numeric column");
    }
    let x = Array2::from_shape_vec((rows, names.len()), values)?;
    Ok(Dataset { columns: names, x })
}

/// Reads a 1-D or 2-D `.npy` array of f64 or f32 (a 1-D array is one column).
fn read_npy(path: &Path) -> Result<Dataset> {
    use ndarray::{Array1, Axis};
    use ndarray_npy::ReadNpyExt;
    let open =
        || std::fs::File::open(path).with_context(|| format!("cannot open '{}'", path.display()));
    let unreadable = |e: ndarray_npy::ReadNpyError| {
        anyhow::anyhow!(
            "'{}' is not a 1-D or 2-D .npy array of f64 or f32 ({e})",
            path.display()
        )
    };
    let x = if let Ok(x) = Array2::<f64>::read_npy(open()?) {
        x
    } else if let Ok(x) = Array2::<f32>::read_npy(open()?) {
        x.mapv(f64::from)
    } else if let Ok(x) = Array1::<f64>::read_npy(open()?) {
        x.insert_axis(Axis(1))
    } else {
        let x = Array1::<f32>::read_npy(open()?).map_err(unreadable)?;
        x.mapv(f64::from).insert_axis(Axis(1))
    };
    let columns = (0..x.ncols()).map(|i| format!("x{i}")).collect();
    Ok(Dataset { columns, x })
}

/// Keeps the named (or 0-based numbered) columns, in the order given.
fn select(data: Dataset, wanted: &[String]) -> Result<Dataset> {
    let mut picked = Vec::with_capacity(wanted.len());
    for w in wanted {
        let index = data
            .columns
            .iter()
            .position(|c| c == w)
            .or_else(|| w.parse::<usize>().ok().filter(|&i| i < data.columns.len()))
            .with_context(|| {
                format!(
                    "no column '{w}'; the numeric columns are: {}",
                    data.columns.join(", ")
                )
            })?;
        picked.push(index);
    }
    let x = data.x.select(ndarray::Axis(1), &picked);
    let columns = picked.iter().map(|&i| data.columns[i].clone()).collect();
    Ok(Dataset { columns, x })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_data_sets_have_their_published_shapes() {
        let faithful = load("faithful", None).unwrap();
        assert_eq!(faithful.x.dim(), (272, 2));
        assert_eq!(faithful.columns, ["eruptions", "waiting"]);
        assert_eq!(faithful.x[[0, 0]], 3.6);
        let iris = load("iris", None).unwrap();
        assert_eq!(
            iris.x.dim(),
            (150, 4),
            "the species column is a label, not data"
        );
    }

    #[test]
    fn header_is_optional_and_columns_can_be_picked() {
        let d = parse_csv("1,2,3\n4,5,6\n", "t").unwrap();
        assert_eq!(d.x, ndarray::array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        let d = select(d, &["2".into(), "x0".into()]).unwrap();
        assert_eq!(d.x, ndarray::array![[3.0, 1.0], [6.0, 4.0]]);
    }

    #[test]
    fn bad_rows_are_named() {
        let err = parse_csv("a,b\n1,2\n3,oops\n", "t")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("oops"), "{err}");
        let err = parse_csv("a,b\n1,2\n3\n", "t").unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(parse_csv("", "t").is_err());
        assert!(load("/nonexistent/file.csv", None).is_err());
    }
}
