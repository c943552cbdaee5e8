//! The processes of the running job: one, or the ranks of `mpirun -n P`
//! when the program is built with the `mpi` feature. Each rank fits on its
//! own share of the rows; rank 0 alone prints and writes.

use admix::mixture::distributed::{first_failure, share, Communicator, Shard};
use admix::mixture::gmm::{Criteria, GaussianMixture, GaussianMixtureModel};
use admix::mixture::{Data, RowSource};
use anyhow::{anyhow, Result};
use ndarray::{s, ArrayView2, ArrayViewMut2};
use std::ops::Range;

#[cfg(feature = "mpi")]
use crate::rsmpi::MpiCommunicator;

/// MPI kept initialised while the program runs (finalised on drop).
#[cfg(feature = "mpi")]
pub struct Started(#[allow(dead_code)] mpi::environment::Universe);
#[cfg(not(feature = "mpi"))]
pub struct Started;

#[cfg(feature = "mpi")]
static WORLD: std::sync::OnceLock<MpiCommunicator> = std::sync::OnceLock::new();

/// Joins the job (initialises MPI when built with it); on ranks other than
/// 0, standard output goes to /dev/null, so only rank 0 prints.
pub fn start() -> Result<Started> {
    #[cfg(feature = "mpi")]
    {
        let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Serialized)
            .ok_or_else(|| anyhow!("MPI was already initialised"))?;
        let world = MpiCommunicator::new(universe.world())?;
        let _ = WORLD.set(world);
        if !is_root() {
            silence_stdout();
        }
        Ok(Started(universe))
    }
    #[cfg(not(feature = "mpi"))]
    Ok(Started)
}

/// The communicator of the job.
pub fn comm() -> &'static dyn Communicator {
    #[cfg(feature = "mpi")]
    if let Some(world) = WORLD.get() {
        return world;
    }
    &admix::mixture::distributed::SingleProcess
}

/// What this rank's gathers have cost so far, as JSON (null in one process).
pub fn traffic() -> serde_json::Value {
    #[cfg(feature = "mpi")]
    if let Some(world) = WORLD.get().filter(|_| is_distributed()) {
        let t = world.traffic();
        return serde_json::json!({
            "ranks": comm().size(),
            "collectives": t.collectives,
            "bytes_sent": t.bytes_sent,
            "bytes_received": t.bytes_received,
            "seconds": t.seconds,
        });
    }
    serde_json::Value::Null
}

/// Whether this process prints and writes the job's outputs.
pub fn is_root() -> bool {
    comm().rank() == 0
}

/// Whether the job has several processes.
pub fn is_distributed() -> bool {
    comm().size() > 1
}

/// This process's rows of the job's data: its share, as whole tasks of
/// `task_rows` rows ([`Share::shard`] gives the `Shard` a fit takes).
pub struct Share<'a> {
    mine: Mine<'a>,
    first_row: usize,
    total_rows: usize,
}

/// The rows of a share: a view of an array, or a window on a row source.
enum Mine<'a> {
    F64(ArrayView2<'a, f64>),
    F32(ArrayView2<'a, f32>),
    Source64(Window<'a, f64>),
    Source32(Window<'a, f32>),
}

/// Rows `rows` of a row source, as a row source.
struct Window<'a, T> {
    source: &'a dyn RowSource<T>,
    rows: Range<usize>,
}

impl<T: admix::mixture::Element> RowSource<T> for Window<'_, T> {
    fn shape(&self) -> (usize, usize) {
        (self.rows.len(), self.source.shape().1)
    }
    fn read_rows(&self, start: usize, out: ArrayViewMut2<'_, T>) -> Result<(), String> {
        self.source.read_rows(self.rows.start + start, out)
    }
}

impl Share<'_> {
    /// The share as a fit's shard.
    pub fn shard<'s>(&'s self) -> Shard<'s> {
        let mine: Data<'s> = match &self.mine {
            Mine::F64(x) => Data::F64(x.view()),
            Mine::F32(x) => Data::F32(x.view()),
            Mine::Source64(w) => Data::Source64(w),
            Mine::Source32(w) => Data::Source32(w),
        };
        Shard::new(mine, self.first_row, self.total_rows, comm())
    }
}

/// This process's share of `x`, the whole data set (mapped, so rows outside
/// the share are never read), as whole tasks of `task_rows` rows.
pub fn shard(x: Data<'_>, task_rows: usize) -> Share<'_> {
    let comm = comm();
    let n = x.nrows();
    let rows = share(n, task_rows, comm.rank(), comm.size());
    let first_row = rows.start;
    let mine = match x {
        Data::F64(x) => Mine::F64(x.slice_move(s![rows, ..])),
        Data::F32(x) => Mine::F32(x.slice_move(s![rows, ..])),
        Data::Source64(source) => Mine::Source64(Window { source, rows }),
        Data::Source32(source) => Mine::Source32(Window { source, rows }),
    };
    Share {
        mine,
        first_row,
        total_rows: n,
    }
}

/// This process's result made the job's: when any process failed, every
/// process fails, with its own error or the first failing rank's message
/// (so no process waits for another that has stopped).
pub fn agree<T>(local: Result<T>) -> Result<T> {
    let message = local.as_ref().err().map(|e| format!("{e:#}"));
    let first = first_failure(comm(), message.as_deref());
    let value = local?;
    match first {
        None => Ok(value),
        Some((rank, message)) => Err(anyhow!("rank {rank}: {message}")),
    }
}

/// Mean log-likelihood, BIC and AIC of the job's rows (`x` is the whole
/// data set; each process reads its share).
pub fn criteria(model: &GaussianMixtureModel, x: Data<'_>) -> Result<Criteria> {
    if !is_distributed() {
        return Ok(model.criteria(x)?);
    }
    let task_rows = GaussianMixture::params(1).check()?.task_rows();
    Ok(model.criteria_shard(&shard(x, task_rows).shard(), task_rows)?)
}

/// The bytes `owner` passes in (every process passes its own; only the
/// owner's count), on every process: a collective, carried as the f64
/// words of the communicator's gather (length first, then 8 bytes a word).
pub fn bytes_from(owner: usize, bytes: &[u8]) -> Vec<u8> {
    let gathered = comm().all_gather(&to_words(bytes));
    from_words(&gathered[owner])
}

/// `bytes` as f64 words: the length, then the bytes 8 to a word (the last
/// padded with zeros), each word's bits carried unchanged.
fn to_words(bytes: &[u8]) -> Vec<f64> {
    let chunks = bytes.chunks(8).map(|chunk| {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        f64::from_bits(u64::from_le_bytes(word))
    });
    std::iter::once(bytes.len() as f64).chain(chunks).collect()
}

/// The bytes of [`to_words`]'s words.
fn from_words(words: &[f64]) -> Vec<u8> {
    let Some((&len, words)) = words.split_first() else {
        return Vec::new();
    };
    let mut bytes: Vec<u8> = words
        .iter()
        .flat_map(|w| w.to_bits().to_le_bytes())
        .collect();
    bytes.truncate(len as usize);
    bytes
}

/// Refuses what a job of several processes cannot do yet.
pub fn single_process_only(what: &str) -> Result<()> {
    if is_distributed() {
        return Err(anyhow!(
            "{what} does not run over MPI ranks yet: run it without mpirun (or with -n 1)"
        ));
    }
    Ok(())
}

#[cfg(feature = "mpi")]
fn silence_stdout() {
    use std::os::fd::AsRawFd;
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        // SAFETY: both descriptors are open; dup2 replaces standard output,
        // which nothing has written to yet.
        unsafe {
            libc::dup2(null.as_raw_fd(), libc::STDOUT_FILENO);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_survive_the_words_of_a_gather_whatever_their_length() {
        // Lengths around the 8-byte word, and words whose bits are NaNs
        // (0xff.. bytes) and subnormals (mostly zero bytes).
        for len in [0, 1, 7, 8, 9, 16, 17, 1000] {
            let bytes: Vec<u8> = (0..len).map(|i| [0xff, 0x7f, 0, 1, b','][i % 5]).collect();
            let words = to_words(&bytes);
            assert_eq!(words.len(), 1 + len.div_ceil(8));
            assert_eq!(from_words(&words), bytes, "length {len}");
        }
        assert_eq!(bytes_from(0, b"one process"), b"one process");
    }
}
