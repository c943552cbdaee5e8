//! Reading a data matrix: a CSV file, an `.npy` file, or a built-in data set.

use admix::mixture::{Data, RowSource};
use anyhow::{bail, Context, Result};
use memmap2::Mmap;
use ndarray::{Array2, ArrayView2, CowArray, Ix2, ShapeBuilder};
use std::fs::File;
use std::io::BufRead;
use std::path::Path;

/// The data sets shipped inside the binary.
const BUILT_IN: &[(&str, &str)] = &[
    ("faithful", include_str!("../../data/faithful.csv")),
    ("iris", include_str!("../../data/iris.csv")),
];

/// A data matrix (one row per sample) and the names of its columns.
#[derive(Debug)]
pub struct Dataset {
    pub columns: Vec<String>,
    pub x: Matrix,
}

impl Dataset {
    /// The rows as they are stored (a float32 file stays float32), after
    /// checking that a mapped file still has the size it had at load: call
    /// this before each pass over the data.
    pub fn data(&self) -> Result<Data<'_>> {
        self.x.check()?;
        Ok(self.x.data())
    }
}

/// The numbers of a data set: in memory, or the pages of a float64 or
/// float32 `.npy` file mapped read-only, so a file larger than memory costs
/// no heap.
#[derive(Debug)]
pub enum Matrix {
    Owned(Array2<f64>),
    Mapped(MappedNpy),
    /// Shard files read as one data set, their rows one after the other.
    Shards(ShardFiles),
}

/// Mapped `.npy` shard files of one element type and column count whose
/// rows, file after file, are the data set's: a row source over the maps.
#[derive(Debug)]
pub struct ShardFiles {
    files: Vec<MappedNpy>,
    /// Index of each file's first row in the data set, then the row count.
    starts: Vec<usize>,
}

impl ShardFiles {
    /// The files as one data set, after checking they agree on the element
    /// type and the number of columns.
    fn new(files: Vec<MappedNpy>) -> Result<ShardFiles> {
        let first = files.first().context("no shard files")?;
        for f in &files {
            if f.cols != first.cols || f.element != first.element {
                bail!(
                    "shard '{}' has {} columns of {:?} but '{}' has {} of {:?}: \
                     every shard of a data set needs the same columns and type",
                    f.source,
                    f.cols,
                    f.element,
                    first.source,
                    first.cols,
                    first.element
                );
            }
        }
        let mut starts = vec![0];
        for f in &files {
            starts.push(starts.last().copied().unwrap_or(0) + f.rows);
        }
        Ok(ShardFiles { files, starts })
    }

    fn read<T: Copy + Default + 'static>(
        &self,
        element: Element,
        start: usize,
        mut out: ndarray::ArrayViewMut2<'_, T>,
    ) -> std::result::Result<(), String> {
        if self.files[0].element != element {
            return Err("shards read as the wrong element type".into());
        }
        let end = start + out.nrows();
        // The first file holding row `start` (files may be empty).
        let mut file = self
            .starts
            .partition_point(|&s| s <= start)
            .saturating_sub(1);
        let mut row = start;
        while row < end {
            let (first, f) = (self.starts[file], &self.files[file]);
            let upto = end.min(first + f.rows);
            if upto > row {
                out.slice_mut(ndarray::s![row - start..upto - start, ..])
                    .assign(
                        &f.values::<T>()
                            .slice(ndarray::s![row - first..upto - first, ..]),
                    );
                row = upto;
            }
            file += 1;
        }
        Ok(())
    }
}

impl RowSource<f64> for ShardFiles {
    fn shape(&self) -> (usize, usize) {
        (*self.starts.last().unwrap_or(&0), self.files[0].cols)
    }
    fn read_rows(
        &self,
        start: usize,
        out: ndarray::ArrayViewMut2<'_, f64>,
    ) -> std::result::Result<(), String> {
        self.read(Element::F64, start, out)
    }
}

impl RowSource<f32> for ShardFiles {
    fn shape(&self) -> (usize, usize) {
        (*self.starts.last().unwrap_or(&0), self.files[0].cols)
    }
    fn read_rows(
        &self,
        start: usize,
        out: ndarray::ArrayViewMut2<'_, f32>,
    ) -> std::result::Result<(), String> {
        self.read(Element::F32, start, out)
    }
}

/// A little-endian, C-order float64 or float32 `.npy` file mapped into
/// memory.
#[derive(Debug)]
pub struct MappedNpy {
    source: String,
    file: File,
    map: Mmap,
    /// The file's size at load, in bytes.
    len: u64,
    /// Where the data starts, in bytes from the start of the file.
    start: usize,
    rows: usize,
    cols: usize,
    element: Element,
}

/// What a mapped file holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Element {
    F64,
    F32,
}

impl MappedNpy {
    /// The mapped values as `T` (the file's element type).
    fn values<T>(&self) -> ArrayView2<'_, T> {
        let count = self.rows * self.cols;
        let bytes = &self.map[self.start..self.start + count * std::mem::size_of::<T>()];
        // SAFETY: `load_npy` maps only when the data starts aligned for the
        // file's element type and holds rows x cols little-endian values of
        // it on a little-endian target, and callers ask for that type; every
        // bit pattern is a valid f64 or f32.
        let values = unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<T>(), count) };
        ArrayView2::from_shape((self.rows, self.cols), values).expect("shape checked at load")
    }
}

impl Matrix {
    /// The rows as stored: over the mapping for a mapped file (a float32
    /// file stays `f32`), never copied.
    pub fn data(&self) -> Data<'_> {
        match self {
            Matrix::Owned(x) => Data::F64(x.view()),
            Matrix::Mapped(m) => match m.element {
                Element::F64 => Data::F64(m.values::<f64>()),
                Element::F32 => Data::F32(m.values::<f32>()),
            },
            Matrix::Shards(s) => match s.files[0].element {
                Element::F64 => Data::Source64(s),
                Element::F32 => Data::Source32(s),
            },
        }
    }

    /// The rows as `f64`: borrowed for float64 data, a copy of a float32 file.
    pub fn to_f64(&self) -> CowArray<'_, f64, Ix2> {
        self.data().to_f64().expect("an array, not a row source")
    }

    /// Errors when a mapped file no longer has its size at load: reading a
    /// page past a shrunken end would kill the program (SIGBUS).
    pub fn check(&self) -> Result<()> {
        match self {
            Matrix::Owned(_) => Ok(()),
            Matrix::Mapped(m) => m.check(),
            Matrix::Shards(s) => s.files.iter().try_for_each(MappedNpy::check),
        }
    }

    pub fn dim(&self) -> (usize, usize) {
        match self {
            Matrix::Owned(x) => x.dim(),
            Matrix::Mapped(m) => (m.rows, m.cols),
            Matrix::Shards(s) => RowSource::<f64>::shape(s),
        }
    }

    pub fn nrows(&self) -> usize {
        self.dim().0
    }

    /// The numbers in memory (a copy, for a mapped file).
    pub fn into_owned(self) -> Array2<f64> {
        match self {
            Matrix::Owned(x) => x,
            Matrix::Mapped(_) | Matrix::Shards(_) => self.to_f64().into_owned(),
        }
    }

    /// Whether the numbers are mapped files rather than a heap copy.
    pub fn is_mapped(&self) -> bool {
        !matches!(self, Matrix::Owned(_))
    }
}

impl MappedNpy {
    /// Errors when the file no longer has its size at load: reading a page
    /// past a shrunken end would kill the program (SIGBUS).
    fn check(&self) -> Result<()> {
        let m = self;
        let now = m
            .file
            .metadata()
            .with_context(|| format!("cannot check the size of '{}'", m.source))?
            .len();
        if now != m.len {
            bail!(
                "'{}' changed size while admix had it mapped ({} bytes at load, {now} now): \
                 do not write to a data file during a run; run again once it is complete",
                m.source,
                m.len
            );
        }
        Ok(())
    }
}

impl PartialEq<Array2<f64>> for Matrix {
    fn eq(&self, other: &Array2<f64>) -> bool {
        self.to_f64() == other
    }
}

/// Loads `source`: a built-in name (`faithful`, `iris`), an `.npy` file, or
/// a CSV file; `columns` picks columns by name or 0-based index; `labels`
/// names CSV columns to skip as labels.
pub fn load(
    source: &str,
    columns: Option<&[String]>,
    labels: Option<&[String]>,
) -> Result<Dataset> {
    let data = if let Some(paths) = shard_paths(source)? {
        if labels.is_some() {
            bail!("--labels applies to CSV files; .npy shards have no label columns");
        }
        load_shards(&paths)?
    } else if let Some((_, text)) = BUILT_IN.iter().find(|(name, _)| *name == source) {
        parse_csv(text, source, labels)?
    } else {
        let path = Path::new(source);
        if !path.exists() {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            bail!(
                "no file '{source}' (and it is not a built-in data set: {})",
                names.join(", ")
            );
        }
        if source.ends_with(".npy") {
            if labels.is_some() {
                bail!("--labels applies to CSV files; an .npy array has no label columns");
            }
            load_npy(path, source)?
        } else {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read '{source}' as text"))?;
            parse_csv(&text, source, labels)?
        }
    };
    match columns {
        Some(wanted) => select(data, wanted),
        None => Ok(data),
    }
}

/// The shard files `source` names, in the order their rows follow each
/// other: a comma-separated list as listed, or a pattern (`*` any run of
/// characters, `?` one, in the file name only) as the matching names sort;
/// None for a single file or built-in name.
pub fn shard_paths(source: &str) -> Result<Option<Vec<String>>> {
    if source.contains(',') {
        return Ok(Some(source.split(',').map(str::to_string).collect()));
    }
    let (dir, name) = match source.rsplit_once('/') {
        Some((dir, name)) => (if dir.is_empty() { "/" } else { dir }, name),
        None => (".", source),
    };
    if !name.contains(['*', '?']) {
        return Ok(None);
    }
    if dir.contains(['*', '?']) {
        bail!("'{source}': a shard pattern may use * and ? in the file name only");
    }
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot list '{dir}'"))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list '{dir}'"))?;
        if let Some(file) = entry.file_name().to_str() {
            if matches_pattern(name.as_bytes(), file.as_bytes()) {
                names.push(file.to_string());
            }
        }
    }
    if names.is_empty() {
        bail!("no file matches the shard pattern '{source}'");
    }
    names.sort();
    let joined = |n: String| match source.rsplit_once('/') {
        Some(_) => format!("{}/{n}", dir.trim_end_matches('/')),
        None => n,
    };
    Ok(Some(names.into_iter().map(joined).collect()))
}

/// Whether `name` matches `pattern`, whose `*` stands for any run of bytes
/// and `?` for one byte.
fn matches_pattern(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| matches_pattern(rest, &name[i..])),
        Some((&p, rest)) => name
            .split_first()
            .is_some_and(|(&c, tail)| (p == b'?' || p == c) && matches_pattern(rest, tail)),
    }
}

/// Maps every shard file: each must be an `.npy` file that maps in place
/// (little-endian, C-order float64 or float32).
fn load_shards(paths: &[String]) -> Result<Dataset> {
    let mut files = Vec::new();
    for path in paths {
        if !path.ends_with(".npy") {
            bail!("shard '{path}': shards are .npy files (convert CSV with `admix convert`)");
        }
        if !Path::new(path).exists() {
            bail!("no shard file '{path}'");
        }
        match load_npy(Path::new(path), path)?.x {
            Matrix::Mapped(m) => files.push(m),
            _ => bail!(
                "shard '{path}' cannot be mapped in place: write it as a little-endian, \
                 C-order float64 or float32 .npy file"
            ),
        }
    }
    let shards = ShardFiles::new(files)?;
    let columns = (0..RowSource::<f64>::shape(&shards).1)
        .map(|i| format!("x{i}"))
        .collect();
    Ok(Dataset {
        columns,
        x: Matrix::Shards(shards),
    })
}

/// What one CSV field holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Number(f64),
    /// Empty, NA, NaN, null and the like.
    Missing,
    Infinite,
    Text,
}

impl Field {
    fn read(text: &str) -> Field {
        const MISSING: &[&str] = &["", "na", "n/a", "nan", "null", "none", "?"];
        if MISSING.contains(&text.to_ascii_lowercase().as_str()) {
            return Field::Missing;
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Field::Number(v),
            Ok(v) if v.is_nan() => Field::Missing,
            Ok(_) => Field::Infinite,
            Err(_) => Field::Text,
        }
    }
}

/// Parses CSV text into memory (see [`CsvLayout::scan`] for the rules).
pub(crate) fn parse_csv(text: &str, source: &str, labels: Option<&[String]>) -> Result<Dataset> {
    let layout = CsvLayout::scan(text.as_bytes(), source, labels)?;
    let mut values = Vec::with_capacity(layout.rows.saturating_mul(layout.columns().len()));
    layout.rows_of(text.as_bytes(), source, |row| {
        values.extend_from_slice(row);
        Ok(())
    })?;
    let columns: Vec<String> = layout.columns().into_iter().cloned().collect();
    let x = Array2::from_shape_vec((layout.rows, columns.len()), values)?;
    Ok(Dataset {
        columns,
        x: Matrix::Owned(x),
    })
}

/// A CSV reader with admix's settings, after any byte-order mark.
fn csv_reader<R: BufRead>(mut input: R) -> Result<csv::Reader<R>> {
    if input.fill_buf()?.starts_with("\u{feff}".as_bytes()) {
        input.consume(3);
    }
    Ok(csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(input))
}

/// The line of the file a record starts on.
fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, csv::Position::line)
}

/// What a first pass over a CSV file learns: whether its first row is a
/// header, the column names, which columns are data and how many rows.
#[derive(Debug)]
pub(crate) struct CsvLayout {
    header: bool,
    names: Vec<String>,
    keep: Vec<bool>,
    pub rows: usize,
}

impl CsvLayout {
    /// Reads the whole input once, holding one row at a time. The first row
    /// is a header when it holds no number, or text in a column that holds
    /// numbers below it. A column is a label column (skipped) when `labels`
    /// names it or, without `labels`, when none of its values is a number
    /// and some are text.
    pub(crate) fn scan<R: BufRead>(
        input: R,
        source: &str,
        labels: Option<&[String]>,
    ) -> Result<CsvLayout> {
        let mut records = csv_reader(input)?.into_records();
        let Some(first) = records.next() else {
            bail!("'{source}' holds no rows: a CSV file needs at least one row of numbers");
        };
        let first = first.with_context(|| format!("'{source}' is not valid CSV"))?;
        let width = first.len();
        // Which columns hold a number or a text somewhere below the first row.
        let mut has_number = vec![false; width];
        let mut has_text = vec![false; width];
        let see = |record: &csv::StringRecord, number: &mut [bool], text: &mut [bool]| {
            for (c, field) in record.iter().enumerate() {
                match Field::read(field) {
                    Field::Number(_) | Field::Infinite => number[c] = true,
                    Field::Text => text[c] = true,
                    Field::Missing => {}
                }
            }
        };
        let mut rows = 0usize;
        for record in records {
            let record = record.with_context(|| format!("'{source}' is not valid CSV"))?;
            if record.len() != width {
                bail!(
                    "'{source}' line {} has {} fields but the first row has {width}: fix the row or the header",
                    line_of(&record),
                    record.len()
                );
            }
            see(&record, &mut has_number, &mut has_text);
            rows += 1;
        }
        // The first row is a header when it holds no number, or text above a
        // number; text only in columns that are text throughout is a label of
        // a first data row.
        let first_fields: Vec<Field> = first.iter().map(Field::read).collect();
        let header = !first_fields.iter().any(|f| matches!(f, Field::Number(_)))
            || (0..width).any(|c| first_fields[c] == Field::Text && has_number[c]);
        if !header {
            see(&first, &mut has_number, &mut has_text);
            rows += 1;
        }
        let names: Vec<String> = if header {
            first.iter().map(str::to_string).collect()
        } else {
            (0..width).map(|i| format!("x{i}")).collect()
        };
        if rows == 0 {
            bail!("'{source}' has a header but no data rows");
        }
        let keep: Vec<bool> = match labels {
            Some(named) => {
                let mut keep = vec![true; width];
                for w in named {
                    let i = find_column(&names, w)
                        .with_context(|| format!("--labels: '{source}' has no column '{w}'"))?;
                    keep[i] = false;
                }
                keep
            }
            // A column of only missing values is data with holes, not labels.
            None => (0..width).map(|c| has_number[c] || !has_text[c]).collect(),
        };
        if !keep.contains(&true) {
            bail!("'{source}' has no numeric column");
        }
        Ok(CsvLayout {
            header,
            names,
            keep,
            rows,
        })
    }

    /// The names of the data columns.
    pub(crate) fn columns(&self) -> Vec<&String> {
        self.names
            .iter()
            .zip(&self.keep)
            .filter(|(_, k)| **k)
            .map(|(n, _)| n)
            .collect()
    }

    /// Reads the same input again and hands each row's data columns to
    /// `each`; every value must be a finite number, and the error names the
    /// line and column of the first that is not.
    pub(crate) fn rows_of<R: BufRead>(
        &self,
        input: R,
        source: &str,
        mut each: impl FnMut(&[f64]) -> Result<()>,
    ) -> Result<()> {
        let mut row = Vec::with_capacity(self.names.len());
        for record in csv_reader(input)?
            .into_records()
            .skip(usize::from(self.header))
        {
            let record = record.with_context(|| format!("'{source}' is not valid CSV"))?;
            if record.len() != self.names.len() {
                bail!(
                    "'{source}' line {} has {} fields but the first row has {}: the file changed while admix read it",
                    line_of(&record),
                    record.len(),
                    self.names.len()
                );
            }
            row.clear();
            for (column, field) in record.iter().enumerate().filter(|(c, _)| self.keep[*c]) {
                let at = || {
                    format!(
                        "'{source}' line {}, column {} ('{}')",
                        line_of(&record),
                        column + 1,
                        self.names[column]
                    )
                };
                match Field::read(field) {
                    Field::Number(v) => row.push(v),
                    Field::Missing => bail!(
                        "{}: '{field}' is a missing value; admix cannot fit with missing values yet: drop or fill in the row",
                        at()
                    ),
                    Field::Infinite => bail!("{}: '{field}' is not a finite number", at()),
                    Field::Text => bail!(
                        "{}: '{field}' is not a number (a column is read as labels only when none of its values is a number, or when --labels names it)",
                        at()
                    ),
                }
            }
            each(&row)?;
        }
        Ok(())
    }
}

/// The element types an `.npy` file may hold that admix reads.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Float {
    F64 { big_endian: bool },
    F32 { big_endian: bool },
}

/// Where the numbers of a checked `.npy` file are and what they are.
#[derive(Debug, Clone, Copy)]
struct NpyLayout {
    float: Float,
    fortran_order: bool,
    rows: usize,
    cols: usize,
    /// Where the data starts, in bytes from the start of the file.
    start: usize,
}

/// Opens an `.npy` file. A little-endian, C-order float64 array is mapped,
/// never copied; float32, big-endian and Fortran-order files are converted
/// to one float64 matrix in memory (read from the mapping).
fn load_npy(path: &Path, source: &str) -> Result<Dataset> {
    let file = File::open(path).with_context(|| format!("cannot read '{source}'"))?;
    let len = file
        .metadata()
        .with_context(|| format!("cannot read '{source}'"))?
        .len();
    if len == 0 {
        return parse_npy(&[], source);
    }
    // SAFETY: the map is read-only; another process may still change the
    // file, which `Matrix::check` detects by its size before each pass.
    let map = unsafe { Mmap::map(&file) }.with_context(|| format!("cannot map '{source}'"))?;
    let layout = npy_layout(&map, source)?;
    let (element, size) = match layout.float {
        Float::F64 { big_endian: false } => (Element::F64, 8),
        Float::F32 { big_endian: false } => (Element::F32, 4),
        _ => return decode_npy(&map, layout),
    };
    let aligned = (map.as_ptr() as usize + layout.start).is_multiple_of(size);
    let native = cfg!(target_endian = "little");
    if !(native && aligned && (!layout.fortran_order || layout.cols == 1)) {
        return decode_npy(&map, layout);
    }
    let columns = (0..layout.cols).map(|i| format!("x{i}")).collect();
    let mapped = MappedNpy {
        source: source.to_string(),
        file,
        map,
        len,
        start: layout.start,
        rows: layout.rows,
        cols: layout.cols,
        element,
    };
    Ok(Dataset {
        columns,
        x: Matrix::Mapped(mapped),
    })
}

/// Reads the bytes of a 1-D or 2-D `.npy` array of f64 or f32 (either byte
/// order, C or Fortran order; a 1-D array is one column) into memory.
pub(crate) fn parse_npy(bytes: &[u8], source: &str) -> Result<Dataset> {
    decode_npy(bytes, npy_layout(bytes, source)?)
}

/// Checks an `.npy` file's header against its length. Every content other
/// than a 1-D or 2-D float array of exactly the bytes its shape needs gets
/// an error that says what it is.
///
/// # Reference
/// The NPY format, numpy.lib.format (versions 1.0, 2.0 and 3.0).
fn npy_layout(bytes: &[u8], source: &str) -> Result<NpyLayout> {
    const MAGIC: &[u8] = b"\x93NUMPY";
    if !bytes.starts_with(MAGIC) {
        if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
            bail!("'{source}' is truncated: it ends inside the .npy magic string");
        }
        bail!("'{source}' is not an .npy file (it does not start with \\x93NUMPY)");
    }
    let truncated_header =
        || anyhow::anyhow!("'{source}' is truncated: it ends inside the .npy header");
    let (major, minor) = match bytes.get(6..8) {
        Some(v) => (v[0], v[1]),
        None => return Err(truncated_header()),
    };
    let (length_bytes, utf8) = match major {
        1 => (2, false),
        2 => (4, false),
        3 => (4, true),
        _ => bail!("'{source}' is .npy version {major}.{minor}; admix reads versions 1, 2 and 3"),
    };
    let start = 8 + length_bytes;
    let length = match bytes.get(8..start) {
        Some([a, b]) => usize::from(u16::from_le_bytes([*a, *b])),
        Some([a, b, c, d]) => u32::from_le_bytes([*a, *b, *c, *d]) as usize,
        _ => return Err(truncated_header()),
    };
    let header = bytes
        .get(start..start.saturating_add(length))
        .ok_or_else(truncated_header)?;
    let header = if utf8 {
        std::str::from_utf8(header).ok()
    } else {
        header
            .is_ascii()
            .then(|| std::str::from_utf8(header).ok())
            .flatten()
    }
    .with_context(|| format!("'{source}': the .npy header is not text"))?;
    let dict = NpyHeader::parse(header)
        .map_err(|why| anyhow::anyhow!("'{source}': the .npy header is malformed ({why})"))?;
    let float = dict.float(source)?;
    let (rows, cols) = match dict.shape[..] {
        [n] => (n, 1),
        [n, d] => (n, d),
        [] => bail!("'{source}' holds a single number (a 0-D array): save a 1-D or 2-D array"),
        _ => bail!(
            "'{source}' holds a {}-D array of shape {}: save a 2-D array (rows x features)",
            dict.shape.len(),
            dict.tuple()
        ),
    };
    if rows == 0 || cols == 0 {
        bail!(
            "'{source}' holds an array of shape {}: there is no data in it",
            dict.tuple()
        );
    }
    let size = match float {
        Float::F64 { .. } => 8,
        Float::F32 { .. } => 4,
    };
    let data = &bytes[start + length..];
    let expected = rows
        .checked_mul(cols)
        .and_then(|n| n.checked_mul(size))
        .with_context(|| format!("'{source}': the shape {} is too large", dict.tuple()))?;
    if data.len() < expected {
        bail!(
            "'{source}' is truncated: its shape {} needs {expected} bytes of data but the file has {}",
            dict.tuple(),
            data.len()
        );
    }
    if data.len() > expected {
        bail!(
            "'{source}' has {} bytes after the data its shape {} describes: not a valid .npy file",
            data.len() - expected,
            dict.tuple()
        );
    }
    Ok(NpyLayout {
        float,
        fortran_order: dict.fortran_order,
        rows,
        cols,
        start: start + length,
    })
}

/// The numbers of a checked `.npy` file as one float64 matrix in C order.
fn decode_npy(bytes: &[u8], layout: NpyLayout) -> Result<Dataset> {
    let NpyLayout {
        float,
        fortran_order,
        rows,
        cols,
        start,
    } = layout;
    let data = &bytes[start..];
    let values: Vec<f64> = match float {
        Float::F64 { big_endian } => data
            .chunks_exact(8)
            .map(|c| {
                let b: [u8; 8] = c.try_into().expect("chunks of 8");
                if big_endian {
                    f64::from_be_bytes(b)
                } else {
                    f64::from_le_bytes(b)
                }
            })
            .collect(),
        Float::F32 { big_endian } => data
            .chunks_exact(4)
            .map(|c| {
                let b: [u8; 4] = c.try_into().expect("chunks of 4");
                f64::from(if big_endian {
                    f32::from_be_bytes(b)
                } else {
                    f32::from_le_bytes(b)
                })
            })
            .collect(),
    };
    let x = if fortran_order {
        Array2::from_shape_vec((rows, cols).f(), values)?
            .as_standard_layout()
            .into_owned()
    } else {
        Array2::from_shape_vec((rows, cols), values)?
    };
    let columns = (0..cols).map(|i| format!("x{i}")).collect();
    Ok(Dataset {
        columns,
        x: Matrix::Owned(x),
    })
}

/// The three entries of an `.npy` header, a Python dict literal such as
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }`.
#[derive(Debug, PartialEq)]
struct NpyHeader {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

impl NpyHeader {
    fn parse(text: &str) -> std::result::Result<NpyHeader, String> {
        let body = text
            .trim()
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .ok_or("not a {...} dict")?;
        let mut descr = None;
        let mut fortran_order = None;
        let mut shape = None;
        let mut rest = body.trim_start();
        while !rest.is_empty() {
            let (key, after) = quoted(rest).ok_or("a key is not a quoted string")?;
            let after = after
                .trim_start()
                .strip_prefix(':')
                .ok_or("no ':' after a key")?
                .trim_start();
            rest = match key {
                "descr" => {
                    if after.starts_with('[') {
                        return Err("a structured dtype (a list of fields)".into());
                    }
                    let (v, after) = quoted(after).ok_or("descr is not a quoted string")?;
                    descr = Some(v.to_string());
                    after
                }
                "fortran_order" => {
                    let (v, after) = if let Some(a) = after.strip_prefix("True") {
                        (true, a)
                    } else if let Some(a) = after.strip_prefix("False") {
                        (false, a)
                    } else {
                        return Err("fortran_order is not True or False".into());
                    };
                    fortran_order = Some(v);
                    after
                }
                "shape" => {
                    let inner = after.strip_prefix('(').ok_or("shape is not a tuple")?;
                    let close = inner.find(')').ok_or("shape has no ')'")?;
                    let dims = inner[..close]
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| s.trim_end_matches('L').parse::<usize>())
                        .collect::<std::result::Result<Vec<_>, _>>()
                        .map_err(|_| "shape holds something other than counts")?;
                    shape = Some(dims);
                    &inner[close + 1..]
                }
                other => return Err(format!("unknown key '{other}'")),
            }
            .trim_start();
            rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        }
        Ok(NpyHeader {
            descr: descr.ok_or("no descr")?,
            fortran_order: fortran_order.ok_or("no fortran_order")?,
            shape: shape.ok_or("no shape")?,
        })
    }

    /// The shape as Python writes it: `(2, 3)`, `(5,)`, `()`.
    fn tuple(&self) -> String {
        match &self.shape[..] {
            [n] => format!("({n},)"),
            dims => {
                let dims: Vec<String> = dims.iter().map(usize::to_string).collect();
                format!("({})", dims.join(", "))
            }
        }
    }

    /// The element type, or an error that names what the file holds instead.
    fn float(&self, source: &str) -> Result<Float> {
        let d = self.descr.as_str();
        let (order, code) = match d.chars().next() {
            Some(c @ ('<' | '>' | '|' | '=')) => (c, &d[1..]),
            _ => ('=', d),
        };
        let big_endian = match order {
            '>' => true,
            '<' | '|' => false,
            _ => cfg!(target_endian = "big"),
        };
        let kind = match code.chars().next() {
            Some('f') => match code {
                "f8" => return Ok(Float::F64 { big_endian }),
                "f4" => return Ok(Float::F32 { big_endian }),
                _ => "floats of a width other than 4 or 8 bytes",
            },
            Some('i' | 'u') => "integers",
            Some('c') => "complex numbers",
            Some('b' | '?') => "booleans",
            Some('O') => "Python objects (pickled)",
            Some('U' | 'S' | 'a') => "strings",
            Some('M' | 'm') => "dates or times",
            _ => "an unknown element type",
        };
        bail!("'{source}' holds {kind} (dtype '{d}'): save it as float64, e.g. np.save(path, x.astype(np.float64))")
    }
}

/// The contents of a leading '...' or "..." string, and the text after it.
fn quoted(text: &str) -> Option<(&str, &str)> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let end = text[1..].find(quote)? + 1;
    Some((&text[1..end], &text[end + 1..]))
}

/// The index of column `w`: by name, else as a 0-based number.
fn find_column(names: &[String], w: &str) -> Option<usize> {
    names
        .iter()
        .position(|c| c == w)
        .or_else(|| w.parse::<usize>().ok().filter(|&i| i < names.len()))
}

/// The indices of the named (or 0-based numbered) columns, in the order given.
pub(crate) fn pick_columns(columns: &[String], wanted: &[String]) -> Result<Vec<usize>> {
    wanted
        .iter()
        .map(|w| {
            find_column(columns, w).with_context(|| {
                format!(
                    "no column '{w}'; the numeric columns are: {}",
                    columns.join(", ")
                )
            })
        })
        .collect()
}

/// Keeps the named (or 0-based numbered) columns, in the order given.
fn select(data: Dataset, wanted: &[String]) -> Result<Dataset> {
    let picked = pick_columns(&data.columns, wanted)?;
    if picked.iter().copied().eq(0..data.columns.len()) {
        return Ok(data);
    }
    // A subset of a mapped file's columns is copied into memory: the rows
    // of a C-order file interleave the columns.
    let x = match data.data()? {
        Data::F32(x) => x.select(ndarray::Axis(1), &picked).mapv(f64::from),
        _ => data.x.to_f64().select(ndarray::Axis(1), &picked),
    };
    let columns = picked.iter().map(|&i| data.columns[i].clone()).collect();
    Ok(Dataset {
        columns,
        x: Matrix::Owned(x),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ndarray::array;

    fn csv(text: &str) -> Result<Dataset> {
        parse_csv(text, "t", None)
    }

    fn error(r: Result<Dataset>) -> String {
        format!("{:#}", r.expect_err("an error"))
    }

    #[test]
    fn built_in_data_sets_have_their_published_shapes() {
        let faithful = load("faithful", None, None).unwrap();
        assert_eq!(faithful.x.dim(), (272, 2));
        assert_eq!(faithful.columns, ["eruptions", "waiting"]);
        assert_eq!(faithful.x.to_f64()[[0, 0]], 3.6);
        let iris = load("iris", None, None).unwrap();
        assert_eq!(
            iris.x.dim(),
            (150, 4),
            "the species column is a label, not data"
        );
    }

    #[test]
    fn header_is_optional_and_columns_can_be_picked() {
        let d = csv("1,2,3\n4,5,6\n").unwrap();
        assert_eq!(d.x, array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        let d = select(d, &["2".into(), "x0".into()]).unwrap();
        assert_eq!(d.x, array![[3.0, 1.0], [6.0, 4.0]]);
        // A byte-order mark and comment lines are not data.
        let d = csv("\u{feff}a,b\n# note\n1,2\n").unwrap();
        assert_eq!(d.columns, ["a", "b"]);
        assert_eq!(d.x, array![[1.0, 2.0]]);
    }

    #[test]
    fn a_column_is_a_label_only_when_no_value_in_it_is_a_number() {
        let d = csv("name,a,b\nx,1,2\ny,3,4\n").unwrap();
        assert_eq!(d.columns, ["a", "b"]);
        assert_eq!(d.x, array![[1.0, 2.0], [3.0, 4.0]]);
        // Before: a first value of NA (or empty, or a word) made the whole
        // column a label column and it was dropped without a word.
        for first in ["NA", "", "oops"] {
            let e = error(csv(&format!("a,b\n1,{first}\n3,4\n")));
            assert!(e.contains("line 2, column 2 ('b')"), "{e}");
        }
        let e = error(csv("a,b\n1,NA\n3,4\n"));
        assert!(e.contains("missing value"), "{e}");
        let e = error(csv("a,b\n1,oops\n3,4\n"));
        assert!(e.contains("'oops' is not a number"), "{e}");
        let e = error(csv("a,b\n1,inf\n3,4\n"));
        assert!(e.contains("not a finite number"), "{e}");
        // A column of nothing but missing values is an error, not a label.
        let e = error(csv("a,b\n1,\n3,\n"));
        assert!(
            e.contains("line 2, column 2") && e.contains("missing"),
            "{e}"
        );
    }

    #[test]
    fn a_first_row_with_only_a_label_as_text_is_data() {
        // Before: any text in the first row made it a header, so a file
        // without one lost its first sample.
        let d = csv("5.1,3.5,setosa\n4.9,3.0,setosa\n6.3,2.9,virginica\n").unwrap();
        assert_eq!(d.columns, ["x0", "x1"]);
        assert_eq!(d.x, array![[5.1, 3.5], [4.9, 3.0], [6.3, 2.9]]);
        // Text above numbers is a header, even beside a label column.
        let d = csv("a,b,species\n1,2,x\n").unwrap();
        assert_eq!(d.columns, ["a", "b"]);
        assert_eq!(d.x, array![[1.0, 2.0]]);
        // A row of only a name and numbers alone in the file is data.
        let d = csv("x,1\n").unwrap();
        assert_eq!(d.x, array![[1.0]]);
    }

    #[test]
    fn labels_names_columns_to_skip_whatever_they_hold() {
        let text = "id,a,b\n1,0.5,2\n2,1.5,4\n";
        let all = csv(text).unwrap();
        assert_eq!(all.columns, ["id", "a", "b"]);
        let d = parse_csv(text, "t", Some(&["id".into()])).unwrap();
        assert_eq!(d.columns, ["a", "b"]);
        assert_eq!(d.x, array![[0.5, 2.0], [1.5, 4.0]]);
        let d = parse_csv(text, "t", Some(&["0".into(), "b".into()])).unwrap();
        assert_eq!(d.columns, ["a"]);
        let e = error(parse_csv(text, "t", Some(&["nope".into()])));
        assert!(e.contains("--labels") && e.contains("'nope'"), "{e}");
        // Named labels leave the other columns fully checked.
        let e = error(parse_csv("k,a\nx,1\ny,z\n", "t", Some(&["k".into()])));
        assert!(e.contains("line 3, column 2 ('a')"), "{e}");
    }

    #[test]
    fn bad_rows_are_named_by_their_line_in_the_file() {
        let e = error(csv("a,b\n1,2\n3,oops\n"));
        assert!(e.contains("line 3") && e.contains("oops"), "{e}");
        let e = error(csv("a,b\n1,2\n3\n"));
        assert!(
            e.contains("line 3 has 1 fields but the first row has 2"),
            "{e}"
        );
        // Comment lines count: the bad value is on line 4 of the file.
        let e = error(csv("a,b\n# c\n1,2\n3,?\n"));
        assert!(e.contains("line 4"), "{e}");
        assert!(error(csv("")).contains("no rows"));
        assert!(error(csv("a,b\n")).contains("no data rows"));
        assert!(error(csv("a,b\nx,y\n")).contains("no numeric column"));
        let e = error(load("/nonexistent/file.csv", None, None));
        assert!(e.contains("no file '/nonexistent/file.csv'"), "{e}");
    }

    /// An `.npy` file written by hand: version 1.0, the header dict padded
    /// with spaces to a multiple of 64 bytes as numpy does.
    pub(crate) fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let order = if fortran { "True" } else { "False" };
        let dict = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
        npy_with_header(dict, data)
    }

    fn npy_with_header(mut dict: String, data: &[u8]) -> Vec<u8> {
        while !(10 + dict.len() + 1).is_multiple_of(64) {
            dict.push(' ');
        }
        dict.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        bytes.extend_from_slice(dict.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    fn le64(values: &[f64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn npy_error(bytes: &[u8]) -> String {
        error(parse_npy(bytes, "a.npy"))
    }

    #[test]
    fn npy_float_arrays_in_every_byte_order_and_layout_read_correctly() {
        let want = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let c_order = le64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let d = parse_npy(&npy("<f8", false, "(2, 3)", &c_order), "a.npy").unwrap();
        assert_eq!(d.x, want);
        assert_eq!(d.columns, ["x0", "x1", "x2"]);
        // Fortran order stores the columns one after the other.
        let f_order = le64(&[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        let d = parse_npy(&npy("<f8", true, "(2, 3)", &f_order), "a.npy").unwrap();
        assert_eq!(d.x, want);
        let be: Vec<u8> = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let d = parse_npy(&npy(">f8", false, "(2, 3)", &be), "a.npy").unwrap();
        assert_eq!(d.x, want);
        let f32_be: Vec<u8> = [1.5f32, -2.25]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let d = parse_npy(&npy(">f4", false, "(2,)", &f32_be), "a.npy").unwrap();
        assert_eq!(d.x, array![[1.5], [-2.25]]);
        let f32_le: Vec<u8> = [0.5f32, 8.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let d = parse_npy(&npy("<f4", false, "(1, 2)", &f32_le), "a.npy").unwrap();
        assert_eq!(d.x, array![[0.5, 8.0]]);
    }

    #[test]
    fn c_order_little_endian_npy_files_are_mapped_and_others_are_read_into_memory() {
        let dir = tempfile::tempdir().unwrap();
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let want = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path.to_string_lossy().to_string()
        };
        let c = write("c.npy", &npy("<f8", false, "(2, 3)", &le64(&values)));
        let d = load(&c, None, None).unwrap();
        assert!(d.x.is_mapped());
        assert_eq!(d.x, want);
        assert_eq!(d.data().unwrap().to_f64().unwrap(), want);
        // All columns in order stay mapped; a subset is a copy.
        assert!(
            load(&c, Some(&["x0".into(), "x1".into(), "x2".into()]), None)
                .unwrap()
                .x
                .is_mapped()
        );
        let d = load(&c, Some(&["x2".into()]), None).unwrap();
        assert!(!d.x.is_mapped());
        assert_eq!(d.x, array![[3.0], [6.0]]);
        let f = write(
            "f.npy",
            &npy(
                "<f8",
                true,
                "(2, 3)",
                &le64(&[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]),
            ),
        );
        let d = load(&f, None, None).unwrap();
        assert!(!d.x.is_mapped());
        assert_eq!(d.x, want);
        // float32 C order is mapped and read as float32; as f64 on request.
        let f32_le: Vec<u8> = values
            .iter()
            .flat_map(|v| (*v as f32).to_le_bytes())
            .collect();
        let s = write("s.npy", &npy("<f4", false, "(2, 3)", &f32_le));
        let d = load(&s, None, None).unwrap();
        assert!(d.x.is_mapped());
        let Data::F32(x32) = d.data().unwrap() else {
            panic!("float32 rows stay float32");
        };
        assert_eq!(x32, want.mapv(|v| v as f32));
        assert_eq!(d.x, want);
        let d = load(&s, Some(&["x2".into()]), None).unwrap();
        assert!(!d.x.is_mapped());
        assert_eq!(d.x, array![[3.0], [6.0]]);
        // Big-endian float32 is decoded into memory.
        let f32_be: Vec<u8> = values
            .iter()
            .flat_map(|v| (*v as f32).to_be_bytes())
            .collect();
        let d = load(
            &write("b.npy", &npy(">f4", false, "(2, 3)", &f32_be)),
            None,
            None,
        )
        .unwrap();
        assert!(!d.x.is_mapped());
        assert_eq!(d.x, want);
        // The existing errors come from the mapped path too.
        let e = error(load(
            &write("t.npy", &npy("<f8", false, "(3, 3)", &le64(&values))),
            None,
            None,
        ));
        assert!(e.contains("truncated"), "{e}");
        let e = error(load(&write("e.npy", b""), None, None));
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn a_mapped_file_that_shrinks_is_an_error_before_the_next_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        std::fs::write(&path, npy("<f8", false, "(4, 2)", &le64(&[0.5; 8]))).unwrap();
        let d = load(path.to_str().unwrap(), None, None).unwrap();
        assert!(d.data().is_ok());
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(file.metadata().unwrap().len() - 16).unwrap();
        let e = format!("{:#}", d.data().err().expect("the file shrank"));
        assert!(
            e.contains("changed size while admix had it mapped") && e.contains("x.npy"),
            "{e}"
        );
    }

    #[test]
    fn npy_failures_each_say_what_is_wrong() {
        let good = npy("<f8", false, "(2, 1)", &le64(&[1.0, 2.0]));
        let header_end = good.len() - 16;
        let e = npy_error(&good[..5]);
        assert!(e.contains("truncated") && e.contains("magic"), "{e}");
        let e = npy_error(&good[..9]);
        assert!(e.contains("truncated") && e.contains("header"), "{e}");
        let e = npy_error(&good[..header_end - 7]);
        assert!(e.contains("truncated") && e.contains("header"), "{e}");
        let e = npy_error(&good[..good.len() - 3]);
        assert!(
            e.contains("truncated") && e.contains("needs 16 bytes of data but the file has 13"),
            "{e}"
        );
        let mut longer = good.clone();
        longer.push(0);
        assert!(npy_error(&longer).contains("1 bytes after the data"));
        let kinds = [
            ("<i8", "integers"),
            ("|u1", "integers"),
            ("<c16", "complex numbers"),
            ("|b1", "booleans"),
            ("|O", "Python objects"),
            ("<U5", "strings"),
            ("<f2", "width other than 4 or 8"),
        ];
        for (descr, kind) in kinds {
            let e = npy_error(&npy(descr, false, "(2,)", &[0; 16]));
            assert!(
                e.contains(kind) && e.contains(descr) && e.contains("float64"),
                "{descr}: {e}"
            );
        }
        let e = npy_error(&npy("<f8", false, "(0, 3)", &[]));
        assert!(e.contains("(0, 3)") && e.contains("no data"), "{e}");
        let e = npy_error(&npy("<f8", false, "(2, 2, 2)", &le64(&[0.0; 8])));
        assert!(e.contains("3-D") && e.contains("2-D"), "{e}");
        let e = npy_error(&npy("<f8", false, "()", &le64(&[0.0])));
        assert!(e.contains("0-D"), "{e}");
        assert!(npy_error(b"a,b\n1,2\n").contains("not an .npy file"));
        let mut v9 = good.clone();
        v9[6] = 9;
        assert!(npy_error(&v9).contains("version 9"));
        let structured = npy_with_header(
            "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }".into(),
            &le64(&[1.0]),
        );
        assert!(npy_error(&structured).contains("structured"));
        // A shape whose byte count overflows is refused before any allocation.
        let huge = npy("<f8", false, "(18446744073709551615, 4)", &[]);
        assert!(npy_error(&huge).contains("too large"));
    }

    #[test]
    fn shard_patterns_match_star_and_question_mark_in_the_whole_name() {
        let m = |p: &str, n: &str| matches_pattern(p.as_bytes(), n.as_bytes());
        assert!(m("part-*.npy", "part-0.npy") && m("part-*.npy", "part-.npy"));
        assert!(m("part-?.npy", "part-7.npy") && !m("part-?.npy", "part-10.npy"));
        assert!(m("*", "") && m("a*b*c", "aXbYc") && !m("a*b*c", "aXbY"));
        assert!(!m("part-*.npy", "xpart-0.npy") && !m("part-*.npy", "part-0.npy.bak"));
        assert!(shard_paths("x.npy").unwrap().is_none());
        assert!(shard_paths("iris").unwrap().is_none());
        assert_eq!(
            shard_paths("b.npy,a.npy").unwrap().unwrap(),
            ["b.npy", "a.npy"],
            "a list keeps its order"
        );
    }

    #[test]
    fn shard_files_read_as_the_concatenated_rows_across_file_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        // Rows i of the whole: [i, 10 i], cut into files of 3, 1 and 4 rows;
        // names that sort apart from their order of creation.
        let row = |i: usize| [i as f64, 10.0 * i as f64];
        for (name, rows) in [("s-b.npy", 3..4), ("s-a.npy", 0..3), ("s-c.npy", 4..8)] {
            let values: Vec<f64> = rows.clone().flat_map(row).collect();
            let bytes = npy(
                "<f8",
                false,
                &format!("({}, 2)", rows.len()),
                &le64(&values),
            );
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let at = 8;
        std::fs::write(dir.path().join("other.npy"), b"not a shard").unwrap();
        let pattern = format!("{}/s-*.npy", dir.path().display());
        let d = load(&pattern, None, None).unwrap();
        let want = Array2::from_shape_fn((at, 2), |(i, j)| row(i)[j]);
        assert_eq!(d.x, want);
        // Every window, across each boundary, read on its own.
        let x = d.data().unwrap();
        let mut buffer = admix::mixture::RowBuffer::default();
        for start in 0..at {
            for end in start..=at {
                let rows = x.rows(start..end, &mut buffer).unwrap().to_f64();
                assert_eq!(rows, want.slice(ndarray::s![start..end, ..]));
            }
        }
        // Shards that disagree on their columns are refused, naming both.
        let three = npy("<f8", false, "(1, 3)", &le64(&[1.0, 2.0, 3.0]));
        std::fs::write(dir.path().join("s-d.npy"), three).unwrap();
        let e = format!("{:#}", load(&pattern, None, None).unwrap_err());
        assert!(e.contains("s-d.npy") && e.contains("same columns"), "{e}");
        let e = format!(
            "{:#}",
            load(&format!("{}/none-*.npy", dir.path().display()), None, None).unwrap_err()
        );
        assert!(e.contains("no file matches"), "{e}");
    }
}
