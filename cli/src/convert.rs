//! `admix convert`: a CSV file of any size into an `.npy` file that later
//! commands map instead of reading into memory.

use crate::data::{pick_columns, CsvLayout};
use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Options of `admix convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// The CSV file to read (same header and label rules as every command).
    pub input: PathBuf,
    /// The `.npy` file to write.
    pub output: PathBuf,
    /// Element type of the output: f64 or f32 (half the size); later commands map either (fits convert f32 into memory as float64 today).
    #[arg(long, default_value = "f64")]
    pub dtype: Dtype,
    /// Columns to keep, by name or 0-based index (comma-separated), in this order.
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// CSV columns to skip as labels, by name or 0-based index (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub labels: Option<Vec<String>>,
}

/// The element type of a converted file.
#[derive(Debug, Clone, Copy, PartialEq, clap::ValueEnum)]
pub enum Dtype {
    F32,
    F64,
}

impl Dtype {
    /// numpy's name for the type, little-endian.
    fn descr(self) -> &'static str {
        match self {
            Dtype::F32 => "<f4",
            Dtype::F64 => "<f8",
        }
    }
}

pub fn run(args: &ConvertArgs) -> Result<()> {
    let rows = convert(args)?;
    eprintln!("wrote {} rows to '{}'", rows, args.output.to_string_lossy());
    Ok(())
}

/// Streams the CSV into the `.npy` file in two passes that each hold one
/// row: the first learns the header, the columns and the row count, the
/// second writes the numbers. The output appears only when complete.
fn convert(args: &ConvertArgs) -> Result<usize> {
    let source = args.input.to_string_lossy().to_string();
    if args.output.extension().is_none_or(|e| e != "npy") {
        bail!(
            "'{}': the output's name must end in .npy",
            args.output.to_string_lossy()
        );
    }
    let open = || -> Result<BufReader<File>> {
        let file = File::open(&args.input).with_context(|| format!("cannot read '{source}'"))?;
        Ok(BufReader::new(file))
    };
    let layout = CsvLayout::scan(open()?, &source, args.labels.as_deref())?;
    let columns: Vec<String> = layout.columns().into_iter().cloned().collect();
    let picked = match &args.columns {
        Some(wanted) => pick_columns(&columns, wanted)?,
        None => (0..columns.len()).collect(),
    };
    let dir = match args.output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // A temporary file beside the output, removed if anything fails, so a
    // failed run leaves nothing at the output path.
    let mut builder = tempfile::Builder::new();
    builder.prefix(".admix-convert-").suffix(".npy.partial");
    // Readable by others as any new file is (the umask applies), not 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let temp = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in '{}'", dir.to_string_lossy()))?;
    let mut out = BufWriter::new(temp.as_file());
    out.write_all(&npy_header(args.dtype, layout.rows, picked.len()))?;
    let mut written = 0usize;
    layout.rows_of(open()?, &source, |row| {
        for &c in &picked {
            match args.dtype {
                Dtype::F64 => out.write_all(&row[c].to_le_bytes())?,
                // Rounds to the nearest float32, as numpy's astype does.
                #[allow(clippy::cast_possible_truncation)]
                Dtype::F32 => out.write_all(&(row[c] as f32).to_le_bytes())?,
            }
        }
        written += 1;
        Ok(())
    })?;
    if written != layout.rows {
        bail!(
            "'{source}' had {} rows on the first pass and {written} on the second: it changed while admix read it",
            layout.rows
        );
    }
    out.flush()?;
    drop(out);
    temp.as_file().sync_all()?;
    temp.persist(&args.output)
        .with_context(|| format!("cannot write '{}'", args.output.to_string_lossy()))?;
    Ok(written)
}

/// A version 1.0 `.npy` header for a C-order rows x cols array, padded with
/// spaces so the data starts at a multiple of 64 bytes, as numpy writes it.
fn npy_header(dtype: Dtype, rows: usize, cols: usize) -> Vec<u8> {
    let mut dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': ({rows}, {cols}), }}",
        dtype.descr()
    );
    while !(10 + dict.len() + 1).is_multiple_of(64) {
        dict.push(' ');
    }
    dict.push('\n');
    let length = u16::try_from(dict.len()).expect("a two-number shape fits in a short header");
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&length.to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    bytes
}
