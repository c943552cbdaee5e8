//! An rsmpi (Open MPI) communicator as the mixture crate's [`Communicator`]:
//! gathers are MPI's allgather of the counts, then allgatherv of the values.
//! The library knows no engine; this is the one place that binds MPI.

use admix::mixture::distributed::Communicator;
use anyhow::{anyhow, Result};
use mpi::datatype::PartitionMut;
use mpi::environment::{threading_support, Threading};
use mpi::topology::SimpleCommunicator;
use mpi::traits::CommunicatorCollectives;
use mpi::Count;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// An MPI communicator that a fit can use: MPI must have been initialised
/// with at least `Threading::Serialized` (`mpi::initialize_with_threading`),
/// since a fit may run on a worker thread of a pool.
pub struct MpiCommunicator {
    comm: SimpleCommunicator,
    traffic: [AtomicU64; 4],
}

/// What this process's gathers have cost so far (for measurements).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Traffic {
    /// MPI collective calls (two per gather: counts, then values).
    pub collectives: u64,
    /// Bytes this process contributed.
    pub bytes_sent: u64,
    /// Bytes this process received from the others.
    pub bytes_received: u64,
    /// Wall time inside the collectives, waiting for slower processes included.
    pub seconds: f64,
}

// SAFETY: MPI was initialised with MPI_THREAD_SERIALIZED or more (checked in
// `new`), which allows MPI calls from any thread one at a time; a fit makes
// its collective calls one at a time from the thread that called it, and
// never from its parallel tasks.
unsafe impl Sync for MpiCommunicator {}
// SAFETY: as for Sync: the handle may be used from another thread under
// MPI_THREAD_SERIALIZED.
unsafe impl Send for MpiCommunicator {}

impl MpiCommunicator {
    /// Wraps `comm`, checking that MPI allows calls from any thread.
    ///
    /// # Errors
    /// When MPI was initialised with less than `Threading::Serialized`.
    pub fn new(comm: SimpleCommunicator) -> Result<Self> {
        match threading_support() {
            Threading::Serialized | Threading::Multiple => Ok(MpiCommunicator {
                comm,
                traffic: Default::default(),
            }),
            level => Err(anyhow!(
                "MPI threading is {level:?}: a fit needs Serialized or Multiple \
                 (start MPI with mpi::initialize_with_threading)"
            )),
        }
    }

    /// What the gathers have cost so far.
    pub fn traffic(&self) -> Traffic {
        let [calls, sent, received, nanos] =
            self.traffic.each_ref().map(|a| a.load(Ordering::Relaxed));
        Traffic {
            collectives: calls,
            bytes_sent: sent,
            bytes_received: received,
            seconds: nanos as f64 * 1e-9,
        }
    }
}

impl Communicator for MpiCommunicator {
    fn rank(&self) -> usize {
        usize::try_from(mpi::traits::Communicator::rank(&self.comm)).expect("MPI ranks are >= 0")
    }

    fn size(&self) -> usize {
        usize::try_from(mpi::traits::Communicator::size(&self.comm)).expect("MPI sizes are >= 1")
    }

    fn all_gather(&self, local: &[f64]) -> Vec<Vec<f64>> {
        let began = Instant::now();
        let size = Communicator::size(self);
        let mine = Count::try_from(local.len()).expect("a gather of under 2^31 values");
        let mut counts: Vec<Count> = vec![0; size];
        self.comm.all_gather_into(&mine, &mut counts[..]);
        let starts: Vec<Count> = counts
            .iter()
            .scan(0, |next, &c| {
                let start = *next;
                *next += c;
                Some(start)
            })
            .collect();
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut values = vec![0.0; total];
        {
            let mut parts = PartitionMut::new(&mut values[..], &counts[..], &starts[..]);
            self.comm.all_gather_varcount_into(local, &mut parts);
        }
        let count = std::mem::size_of::<Count>() as u64;
        let value = std::mem::size_of::<f64>() as u64;
        let others = (total - local.len()) as u64;
        for (slot, add) in self.traffic.iter().zip([
            2,
            count + value * local.len() as u64,
            count * (size as u64 - 1) + value * others,
            began.elapsed().as_nanos() as u64,
        ]) {
            slot.fetch_add(add, Ordering::Relaxed);
        }
        let mut rest = &values[..];
        counts
            .iter()
            .map(|&c| {
                let (part, tail) = rest.split_at(c as usize);
                rest = tail;
                part.to_vec()
            })
            .collect()
    }
}
