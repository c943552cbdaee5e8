//! Fits over rows shared among the processes of a job (MPI ranks, or any
//! engine that can gather small vectors): the [`Communicator`] they talk
//! through, the [`Shard`] of rows each holds, and the fixed-shape tree sum
//! that makes every pass bitwise the same for any number of processes.
//!
//! A pass cuts the rows of the whole data set into a global grid of tasks
//! (`task_rows` rows each, the last one shorter) and sums the per-task
//! statistics in a binary tree over the task indices: node `(level, i)` is
//! the sum of tasks `i 2^level .. (i + 1) 2^level`, its left child plus its
//! right child (a node whose right child lies past the last task is its left
//! child unchanged). The tree depends on the number of tasks alone, so the
//! sum is the same for any number of processes and threads. A process holds
//! whole tasks, folds the largest subtrees inside its share, and the
//! processes exchange those O(log n) partial sums to finish the same tree.
//!
//! The crate knows no engine: the `admix` program's `cli/src/rsmpi.rs` makes
//! an rsmpi (Open MPI) communicator a [`Communicator`].

use crate::{Data, MixtureError, RowBuffer};
use ndarray::Array2;
use rayon::prelude::*;
use std::collections::HashMap;
use std::ops::Range;

/// The processes of one job, as a fit sees them. Every process must make
/// the same calls in the same order (they are collectives); a fit makes them
/// from the thread that called it, one at a time (never from its parallel
/// tasks).
pub trait Communicator: Sync {
    /// This process's index, from 0.
    fn rank(&self) -> usize;
    /// Number of processes.
    fn size(&self) -> usize;
    /// Every process's `local` values, in rank order, on every process
    /// (MPI's allgatherv).
    fn all_gather(&self, local: &[f64]) -> Vec<Vec<f64>>;
}

/// The communicator of a job that is one process.
#[derive(Clone, Copy, Debug, Default)]
pub struct SingleProcess;

impl Communicator for SingleProcess {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn all_gather(&self, local: &[f64]) -> Vec<Vec<f64>> {
        vec![local.to_vec()]
    }
}

/// One process's share of the rows of a data set: contiguous rows
/// `first_row .. first_row + x.nrows()` of `total_rows`, shares in rank
/// order (see [`share`] for the rows a rank should hold).
#[derive(Clone, Copy)]
pub struct Shard<'a> {
    x: Data<'a>,
    first_row: usize,
    total_rows: usize,
    comm: &'a dyn Communicator,
}

impl std::fmt::Debug for Shard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shard")
            .field("rows", &(self.first_row..self.first_row + self.x.nrows()))
            .field("total_rows", &self.total_rows)
            .field("rank", &self.comm.rank())
            .field("size", &self.comm.size())
            .finish()
    }
}

impl<'a> Shard<'a> {
    /// All of `x`, in a job of one process.
    pub fn whole(x: impl Into<Data<'a>>) -> Self {
        let x = x.into();
        Shard {
            x,
            first_row: 0,
            total_rows: x.nrows(),
            comm: &SingleProcess,
        }
    }

    /// Rows `first_row ..` of a data set of `total_rows` rows, held by this
    /// process of `comm`. A fit checks, with every process, that the shares
    /// tile the data in rank order on its grid of tasks.
    pub fn new(
        x: impl Into<Data<'a>>,
        first_row: usize,
        total_rows: usize,
        comm: &'a dyn Communicator,
    ) -> Self {
        Shard {
            x: x.into(),
            first_row,
            total_rows,
            comm,
        }
    }

    /// This process's rows.
    pub fn rows(&self) -> Data<'a> {
        self.x
    }

    /// Index of this process's first row in the whole data set.
    pub fn first_row(&self) -> usize {
        self.first_row
    }

    /// Rows of the whole data set.
    pub fn total_rows(&self) -> usize {
        self.total_rows
    }

    /// The processes sharing the rows.
    pub fn comm(&self) -> &'a dyn Communicator {
        self.comm
    }

    /// Turns this process's result into the job's: every process learns
    /// whether any failed, and all fail with this process's own error, or
    /// else with the first failing process's message.
    pub fn agree<T>(&self, local: Result<T, MixtureError>) -> Result<T, MixtureError> {
        let message = local.as_ref().err().map(|e| e.to_string());
        let first = first_failure(self.comm, message.as_deref());
        let value = local?;
        match first {
            None => Ok(value),
            Some((rank, message)) => Err(MixtureError::OnOtherRank { rank, message }),
        }
    }

    /// Checks with every process that the shares are consecutive in rank
    /// order, cover the same `total_rows` with the same columns, and hold
    /// whole tasks of `task_rows` rows (the grid that fixes the sums).
    pub(crate) fn check_grid(&self, task_rows: usize) -> Result<(), MixtureError> {
        let mine = [
            self.first_row as f64,
            self.x.nrows() as f64,
            self.total_rows as f64,
            self.x.ncols() as f64,
        ];
        let all = self.comm.all_gather(&mine);
        let mut next = 0;
        for (rank, s) in all.iter().enumerate() {
            let (first, rows, total, cols) =
                (s[0] as usize, s[1] as usize, s[2] as usize, s[3] as usize);
            let end = first + rows;
            let problem = if total != self.total_rows {
                Some(format!(
                    "says the data has {total} rows, not {}",
                    self.total_rows
                ))
            } else if cols != self.x.ncols() {
                Some(format!("has {cols} columns, not {}", self.x.ncols()))
            } else if first != next {
                Some(format!("starts at row {first}, not {next}"))
            } else if rows > 0 && !first.is_multiple_of(task_rows)
                || (!end.is_multiple_of(task_rows) && end != total)
            {
                Some(format!(
                    "holds rows {first}..{end}, which are not whole tasks of {task_rows} rows"
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(MixtureError::BadShares {
                    rank,
                    problem,
                    task_rows,
                });
            }
            next = end;
        }
        if next != self.total_rows {
            return Err(MixtureError::BadShares {
                rank: all.len() - 1,
                problem: format!("ends at row {next}, not {}", self.total_rows),
                task_rows,
            });
        }
        Ok(())
    }

    /// The rows with these global indices, from whichever process holds
    /// them, in the order given; a process that cannot read its rows makes
    /// every process fail.
    pub(crate) fn gather_rows(&self, indices: &[usize]) -> Result<Array2<f64>, MixtureError> {
        let d = self.x.ncols();
        let mut buffer = RowBuffer::default();
        let mine = indices
            .iter()
            .enumerate()
            .filter(|(_, &i)| (self.first_row..self.first_row + self.x.nrows()).contains(&i))
            .try_fold(Vec::new(), |mut mine, (slot, &i)| {
                let local = i - self.first_row;
                let row = self.x.rows(local..local + 1, &mut buffer)?;
                mine.push(slot as f64);
                mine.extend((0..d).map(|j| row.get(0, j)));
                Ok(mine)
            });
        let mine = self.agree(mine)?;
        let mut rows = Array2::zeros((indices.len(), d));
        for words in self.comm.all_gather(&mine) {
            for row in words.chunks_exact(d + 1) {
                rows.row_mut(row[0] as usize)
                    .iter_mut()
                    .zip(&row[1..])
                    .for_each(|(r, v)| *r = *v);
            }
        }
        Ok(rows)
    }
}

/// The first process (in rank order) whose `local` message says it failed,
/// with that message, on every process: how a job's processes agree to stop
/// together instead of waiting for one that has stopped.
pub fn first_failure(comm: &dyn Communicator, local: Option<&str>) -> Option<(usize, String)> {
    if comm.size() == 1 {
        return local.map(|m| (0, m.to_string()));
    }
    // One value per byte, plus a leading 1 so that an empty message counts.
    let words: Vec<f64> = local.map_or_else(Vec::new, |m| {
        std::iter::once(1.0)
            .chain(m.bytes().map(f64::from))
            .collect()
    });
    let all = comm.all_gather(&words);
    let rank = all.iter().position(|w| !w.is_empty())?;
    let bytes: Vec<u8> = all[rank][1..].iter().map(|&b| b as u8).collect();
    Some((rank, String::from_utf8_lossy(&bytes).into_owned()))
}

/// The rows that `rank` of `size` processes should hold of `total_rows`:
/// whole tasks of `task_rows` rows, contiguous, in rank order, the first
/// ranks one task more when the tasks do not divide evenly.
pub fn share(total_rows: usize, task_rows: usize, rank: usize, size: usize) -> Range<usize> {
    let tasks = total_rows.div_ceil(task_rows.max(1));
    let (base, extra) = (tasks / size, tasks % size);
    let first = rank * base + rank.min(extra);
    let last = first + base + usize::from(rank < extra);
    (first * task_rows).min(total_rows)..(last * task_rows).min(total_rows)
}

/// Leaves computed in parallel at a time: the tree does not depend on it,
/// only the memory held (this many leaves plus one partial sum per level).
const LEAVES_PER_ROUND: usize = 32;

/// A partial sum: node `(level, index)` of the tree.
struct Node {
    level: u32,
    index: usize,
    sum: Vec<f64>,
}

/// The sum over the whole job of `leaf(scratch, rows)` for every task of
/// `task_rows` rows (local row ranges of this process's shard), added
/// element by element in the fixed tree of the module's doc; `None` when the
/// data has no rows. Every process gets the same value, or every process an
/// error when a leaf fails on any of them.
pub(crate) fn tree_sum<S>(
    shard: &Shard<'_>,
    task_rows: usize,
    init: impl Fn() -> S + Sync + Send,
    leaf: impl Fn(&mut S, Range<usize>) -> Result<Vec<f64>, MixtureError> + Sync + Send,
) -> Result<Option<Vec<f64>>, MixtureError> {
    let local = local_subtrees(shard, task_rows, init, leaf);
    let n_tasks = shard.total_rows.div_ceil(task_rows);
    let mut nodes: HashMap<(u32, usize), Vec<f64>> = HashMap::new();
    if shard.comm.size() == 1 {
        nodes.extend(local?.into_iter().map(|b| ((b.level, b.index), b.sum)));
    } else {
        // One message either way: the subtrees, or a failure (a negative
        // count and the message's bytes), so no process waits for another.
        let words = match &local {
            Ok(stack) => {
                let mut words = vec![stack.len() as f64];
                for b in stack {
                    words.extend([f64::from(b.level), b.index as f64]);
                    words.extend(&b.sum);
                }
                words
            }
            Err(e) => std::iter::once(-1.0)
                .chain(e.to_string().bytes().map(f64::from))
                .collect(),
        };
        let all = shard.comm.all_gather(&words);
        local?;
        for (rank, words) in all.into_iter().enumerate() {
            if words[0] < 0.0 {
                let bytes: Vec<u8> = words[1..].iter().map(|&b| b as u8).collect();
                return Err(MixtureError::OnOtherRank {
                    rank,
                    message: String::from_utf8_lossy(&bytes).into_owned(),
                });
            }
            let count = words[0] as usize;
            if count == 0 {
                continue;
            }
            for b in words[1..].chunks_exact((words.len() - 1) / count) {
                nodes.insert((b[0] as u32, b[1] as usize), b[2..].to_vec());
            }
        }
    }
    if n_tasks == 0 {
        return Ok(None);
    }
    let root = n_tasks.next_power_of_two().trailing_zeros();
    Ok(Some(node_sum(&mut nodes, root, 0, n_tasks)))
}

/// The largest subtrees of the tree that lie inside this process's share,
/// their leaves computed in parallel rounds and folded as they come.
fn local_subtrees<S>(
    shard: &Shard<'_>,
    task_rows: usize,
    init: impl Fn() -> S + Sync + Send,
    leaf: impl Fn(&mut S, Range<usize>) -> Result<Vec<f64>, MixtureError> + Sync + Send,
) -> Result<Vec<Node>, MixtureError> {
    let n = shard.x.nrows();
    let first_task = shard.first_row / task_rows;
    let local_tasks = n.div_ceil(task_rows);
    let mut stack: Vec<Node> = Vec::new();
    let mut t = 0;
    while t < local_tasks {
        let round = t..(t + LEAVES_PER_ROUND).min(local_tasks);
        let leaves: Vec<Result<Vec<f64>, MixtureError>> = round
            .clone()
            .into_par_iter()
            .map_init(&init, |s, t| {
                leaf(s, t * task_rows..((t + 1) * task_rows).min(n))
            })
            .collect();
        for (t, sum) in round.clone().zip(leaves) {
            let mut node = Node {
                level: 0,
                index: first_task + t,
                sum: sum?,
            };
            // Right child meets its left sibling: fold them into the parent.
            while let Some(top) = stack.last_mut() {
                if top.level != node.level
                    || node.index.is_multiple_of(2)
                    || top.index + 1 != node.index
                {
                    break;
                }
                add(&mut top.sum, &node.sum);
                top.level += 1;
                top.index /= 2;
                node = stack.pop().expect("top exists");
            }
            stack.push(node);
        }
        t = round.end;
    }
    Ok(stack)
}

/// The value of node `(level, index)` from the partial sums in `nodes`.
fn node_sum(
    nodes: &mut HashMap<(u32, usize), Vec<f64>>,
    level: u32,
    index: usize,
    n_tasks: usize,
) -> Vec<f64> {
    if let Some(sum) = nodes.remove(&(level, index)) {
        return sum;
    }
    assert!(level > 0, "task {index} is in no process's share");
    let mut sum = node_sum(nodes, level - 1, 2 * index, n_tasks);
    if ((2 * index + 1) << (level - 1)) < n_tasks {
        add(
            &mut sum,
            &node_sum(nodes, level - 1, 2 * index + 1, n_tasks),
        );
    }
    sum
}

fn add(a: &mut [f64], b: &[f64]) {
    for (a, b) in a.iter_mut().zip(b) {
        *a += b;
    }
}

#[cfg(test)]
pub(crate) mod simulated {
    //! A job of several "processes" as threads of one test, exchanging
    //! through shared slots: the protocol of a real job without MPI.

    use super::Communicator;
    use std::sync::{Barrier, Mutex};

    /// What the ranks of one simulated job share.
    pub(crate) struct Job {
        size: usize,
        slots: Mutex<Vec<Vec<f64>>>,
        barrier: Barrier,
    }

    /// One rank's handle on a [`Job`].
    pub(crate) struct Rank<'j> {
        job: &'j Job,
        rank: usize,
    }

    impl Job {
        pub(crate) fn new(size: usize) -> Self {
            Job {
                size,
                slots: Mutex::new(vec![Vec::new(); size]),
                barrier: Barrier::new(size),
            }
        }

        /// Runs `body` on every rank, each in its own thread; the results in rank order.
        pub(crate) fn run<T: Send>(&self, body: impl Fn(&Rank<'_>) -> T + Sync) -> Vec<T> {
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..self.size)
                    .map(|rank| {
                        let body = &body;
                        s.spawn(move || body(&Rank { job: self, rank }))
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            })
        }
    }

    impl Communicator for Rank<'_> {
        fn rank(&self) -> usize {
            self.rank
        }
        fn size(&self) -> usize {
            self.job.size
        }
        fn all_gather(&self, local: &[f64]) -> Vec<Vec<f64>> {
            self.job.slots.lock().unwrap()[self.rank] = local.to_vec();
            self.job.barrier.wait();
            let all = self.job.slots.lock().unwrap().clone();
            self.job.barrier.wait();
            all
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// The tree sum equals a naive recursive pairwise sum of the task sums
    /// written here, bitwise, for every number of processes (more processes
    /// than tasks included), and differs from a left-to-right sum (so the
    /// shape is really fixed by the tree).
    #[test]
    fn tree_sum_is_the_pairwise_sum_for_any_number_of_processes() {
        let n = 37; // not a power of two nor a multiple of the process counts
        let x = Array2::from_shape_fn((n, 1), |(i, _)| {
            1.0 / (i as f64 + 1.0) * 1e15f64.powi((i % 3) as i32 - 1)
        });
        fn pairwise(v: &[f64], width: usize) -> f64 {
            // Sum of an aligned block of `width` (a power of two), clipped to v.
            if width == 1 {
                return v[0];
            }
            let half = width / 2;
            if v.len() <= half {
                pairwise(v, half)
            } else {
                pairwise(&v[..half], half) + pairwise(&v[half..], half)
            }
        }
        for task_rows in [1, 16] {
            let tasks: Vec<f64> = x
                .column(0)
                .to_vec()
                .chunks(task_rows)
                .map(|c| c.iter().sum())
                .collect();
            let want = pairwise(&tasks, tasks.len().next_power_of_two());
            if task_rows == 1 {
                let left_to_right: f64 = tasks.iter().sum();
                assert_ne!(want.to_bits(), left_to_right.to_bits());
            }
            for size in 1..=6 {
                let job = simulated::Job::new(size);
                let sums = job.run(|comm| {
                    let rows = share(n, task_rows, comm.rank(), size);
                    let mine = x.slice(ndarray::s![rows.clone(), ..]);
                    let shard = Shard::new(mine, rows.start, n, comm);
                    shard.check_grid(task_rows).unwrap();
                    let leaf = |_: &mut (), r: Range<usize>| {
                        Ok(vec![mine.slice(ndarray::s![r, 0]).iter().sum()])
                    };
                    tree_sum(&shard, task_rows, || (), leaf).unwrap().unwrap()[0]
                });
                for s in sums {
                    assert_eq!(
                        s.to_bits(),
                        want.to_bits(),
                        "{size} processes, {task_rows} rows per task"
                    );
                }
            }
        }
    }

    #[test]
    fn shares_are_whole_tasks_in_rank_order() {
        assert_eq!(share(10, 3, 0, 3), 0..6);
        assert_eq!(share(10, 3, 1, 3), 6..9);
        assert_eq!(share(10, 3, 2, 3), 9..10);
        // More processes than tasks: the last ones hold nothing.
        assert_eq!(share(4, 4, 1, 2), 4..4);
    }

    #[test]
    fn misaligned_shares_are_an_error_on_every_rank() {
        let x = Array2::<f64>::zeros((10, 2));
        let job = simulated::Job::new(2);
        let results = job.run(|comm| {
            let rows = if comm.rank() == 0 { 0..5 } else { 5..10 };
            Shard::new(x.slice(ndarray::s![rows.clone(), ..]), rows.start, 10, comm).check_grid(4)
        });
        for r in results {
            assert!(
                matches!(r, Err(MixtureError::BadShares { rank: 0, .. })),
                "{r:?}"
            );
        }
    }
}
