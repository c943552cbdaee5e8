//! Sparsity patterns read off a recording: which inputs each node depends
//! on (index sets propagated forward), and from these which entries of a
//! Jacobian or a Hessian can be non-zero.
//!
//! Structural and conservative: a dependency counts when it is recorded,
//! whatever the value of its partial at this point (`x * y` at `y = 0`
//! still depends on `x`), so the pattern holds at every point where the
//! function takes the same branches.

use crate::tape::{Curvature, Node, SINK};

/// A sparsity pattern in compressed rows: the sorted column indices of row
/// `i` are `cols[starts[i]..starts[i + 1]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    pub(crate) nrows: usize,
    pub(crate) ncols: usize,
    pub(crate) starts: Vec<usize>,
    pub(crate) cols: Vec<u32>,
}

impl Pattern {
    /// Builds the pattern from one column list per row (sorted and
    /// deduplicated here).
    fn from_rows(ncols: usize, rows: Vec<Vec<u32>>) -> Self {
        let mut starts = Vec::with_capacity(rows.len() + 1);
        let mut cols = Vec::new();
        starts.push(0);
        let nrows = rows.len();
        for mut row in rows {
            row.sort_unstable();
            row.dedup();
            cols.extend_from_slice(&row);
            starts.push(cols.len());
        }
        Self {
            nrows,
            ncols,
            starts,
            cols,
        }
    }

    /// The sorted column indices of row `i`.
    pub(crate) fn row(&self, i: usize) -> &[u32] {
        &self.cols[self.starts[i]..self.starts[i + 1]]
    }

    /// Number of structurally non-zero entries.
    pub(crate) fn nnz(&self) -> usize {
        self.cols.len()
    }

    /// The same pattern by columns: row `j` of the result lists the rows
    /// with an entry in column `j`.
    pub(crate) fn transpose(&self) -> Self {
        let mut rows = vec![Vec::new(); self.ncols];
        for i in 0..self.nrows {
            for &j in self.row(i) {
                rows[j as usize].push(i as u32);
            }
        }
        Self::from_rows(self.nrows, rows)
    }
}

/// For each node, the sorted inputs it depends on, stored end to end:
/// node `v`'s set is `data[starts[v]..starts[v + 1]]`.
struct IndexSets {
    starts: Vec<usize>,
    data: Vec<u32>,
}

impl IndexSets {
    /// Propagates forward: input `j` (node `inputs[j]`) has the set `{j}`,
    /// every other node the union of its parents' sets (the sink's is
    /// empty).
    fn propagate<T>(nodes: &[Node<T>], inputs: &[u32]) -> Self {
        let mut input_of = vec![u32::MAX; nodes.len()];
        for (j, &node) in inputs.iter().enumerate() {
            input_of[node as usize] = j as u32;
        }
        let mut sets = Self {
            starts: Vec::with_capacity(nodes.len() + 1),
            data: Vec::new(),
        };
        sets.starts.push(0);
        for (v, node) in nodes.iter().enumerate() {
            if input_of[v] != u32::MAX {
                sets.data.push(input_of[v]);
            } else if v != SINK as usize {
                let [p, q] = node.parent_indices();
                sets.push_union(p, q);
            }
            sets.starts.push(sets.data.len());
        }
        sets
    }

    fn get(&self, v: usize) -> &[u32] {
        &self.data[self.starts[v]..self.starts[v + 1]]
    }

    /// Appends the sorted union of the sets of nodes `p` and `q`.
    fn push_union(&mut self, p: usize, q: usize) {
        let (mut i, end_i) = (self.starts[p], self.starts[p + 1]);
        let (mut k, end_k) = (self.starts[q], self.starts[q + 1]);
        while i < end_i && k < end_k {
            let (a, b) = (self.data[i], self.data[k]);
            self.data.push(a.min(b));
            i += usize::from(a <= b);
            k += usize::from(b <= a);
        }
        self.data.extend_from_within(i..end_i);
        self.data.extend_from_within(k..end_k);
    }
}

/// The Jacobian pattern of the outputs (node indices, `None` for a
/// constant output) with respect to the inputs (node indices).
pub(crate) fn jacobian_pattern<T>(
    nodes: &[Node<T>],
    inputs: &[u32],
    outputs: &[Option<u32>],
) -> Pattern {
    let sets = IndexSets::propagate(nodes, inputs);
    let rows = outputs
        .iter()
        .map(|y| y.map_or_else(Vec::new, |y| sets.get(y as usize).to_vec()))
        .collect();
    Pattern::from_rows(inputs.len(), rows)
}

/// The Hessian pattern of the output `y` (a node index) with respect to the
/// inputs: every node that `y` depends on adds the interactions its
/// curvature allows between its parents' input sets (a product: the cross
/// terms; a curved function: all pairs; a sum: none), since the Hessian is
/// the sum over nodes of their second derivatives, carried to the inputs.
pub(crate) fn hessian_pattern<T>(nodes: &[Node<T>], inputs: &[u32], y: Option<u32>) -> Pattern {
    let n = inputs.len();
    let mut rows = vec![Vec::new(); n];
    let Some(y) = y else {
        return Pattern::from_rows(n, rows);
    };
    let sets = IndexSets::propagate(nodes, inputs);
    let mut live = vec![false; nodes.len()];
    live[y as usize] = true;
    let mut union = Vec::new();
    for v in (1..=y as usize).rev() {
        if !live[v] {
            continue;
        }
        let node = &nodes[v];
        let [p, q] = node.parent_indices();
        live[p] = true;
        live[q] = true;
        match node.curvature() {
            Curvature::Linear => {}
            Curvature::Cross => {
                for &a in sets.get(p) {
                    for &b in sets.get(q) {
                        rows[a as usize].push(b);
                        rows[b as usize].push(a);
                    }
                }
            }
            Curvature::Full => {
                union.clear();
                union.extend_from_slice(sets.get(p));
                union.extend_from_slice(sets.get(q));
                for &a in &union {
                    rows[a as usize].extend_from_slice(&union);
                }
            }
        }
    }
    Pattern::from_rows(n, rows)
}
