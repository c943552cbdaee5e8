//! Graph colourings that compress a sparse derivative into few dense
//! directions.
//!
//! # References
//! - Curtis, Powell and Reid, *On the estimation of sparse Jacobian
//!   matrices*, IMA J. Appl. Math. 13 (1974): columns with no common row
//!   share one direction.
//! - Gebremedhin, Manne and Pothen, *What color is your Jacobian? Graph
//!   coloring for computing derivatives*, SIAM Review 47 (2005): star
//!   colourings for symmetric matrices, read back directly.

use super::pattern::Pattern;

/// A colour per column, colours numbered from 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Colouring {
    pub(crate) colour: Vec<u32>,
    pub(crate) count: usize,
}

impl Colouring {
    fn from_colours(colour: Vec<u32>) -> Self {
        let count = colour.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
        Self { colour, count }
    }

    /// The seed matrix, one 0/1 direction per colour: entry `j` of
    /// direction `c` is 1 when column `j` has colour `c`.
    pub(crate) fn directions(&self) -> Vec<Vec<f64>> {
        let mut seeds = vec![vec![0.0; self.colour.len()]; self.count];
        for (j, &c) in self.colour.iter().enumerate() {
            seeds[c as usize][j] = 1.0;
        }
        seeds
    }
}

/// Smallest colour not stamped with `v` in `forbidden` (which grows as
/// needed).
fn first_free(forbidden: &mut Vec<usize>, v: usize) -> u32 {
    let c = forbidden.iter().position(|&s| s != v).unwrap_or_else(|| {
        forbidden.push(usize::MAX);
        forbidden.len() - 1
    });
    c as u32
}

/// Greedy distance-1 colouring of the column intersection graph (columns
/// in natural order): two columns with an entry in the same row get
/// different colours, so each compressed column `J d_c` holds, in every
/// row, at most one entry of colour `c`. A banded matrix of bandwidth `b`
/// gets `b` colours.
pub(crate) fn column_colouring(rows: &Pattern) -> Colouring {
    let columns = rows.transpose();
    const NONE: u32 = u32::MAX;
    let mut colour = vec![NONE; rows.ncols];
    // forbidden[c] == j: colour c is taken by a column that meets column j.
    let mut forbidden: Vec<usize> = Vec::new();
    for j in 0..rows.ncols {
        for &i in columns.row(j) {
            for &k in rows.row(i as usize) {
                let c = colour[k as usize];
                if c != NONE {
                    forbidden[c as usize] = j;
                }
            }
        }
        colour[j] = first_free(&mut forbidden, j);
    }
    Colouring::from_colours(colour)
}

/// Greedy star colouring of the adjacency graph of a symmetric pattern
/// (vertices in natural order): neighbours get different colours and no
/// path on four vertices has only two colours. Then every entry `h_ij` is
/// read directly from the compressed columns: from `(H d_{c(j)})_i` when no
/// other neighbour of `i` has colour `c(j)`, else from `(H d_{c(i)})_j`.
/// An arrowhead gets two colours where a column colouring needs `n`.
pub(crate) fn star_colouring(pattern: &Pattern) -> Colouring {
    let n = pattern.nrows;
    const NONE: u32 = u32::MAX;
    let mut colour = vec![NONE; n];
    let mut forbidden: Vec<usize> = Vec::new();
    let neighbours = |v: usize| {
        pattern
            .row(v)
            .iter()
            .map(|&w| w as usize)
            .filter(move |&w| w != v)
    };
    // counts[c]: how many neighbours of the current vertex have colour c.
    let mut counts: Vec<u32> = Vec::new();
    for v in 0..n {
        let forbid = |c: u32, forbidden: &mut Vec<usize>| {
            if c != NONE {
                forbidden[c as usize] = v;
            }
        };
        counts.resize(forbidden.len(), 0);
        for a in neighbours(v) {
            if colour[a] != NONE {
                counts[colour[a] as usize] += 1;
            }
        }
        for a in neighbours(v) {
            let ca = colour[a];
            // v next to a: distance-1.
            forbid(ca, &mut forbidden);
            if ca == NONE {
                continue;
            }
            for b in neighbours(a).filter(|&b| b != v) {
                let cb = colour[b];
                if cb == NONE {
                    continue;
                }
                // v - a - b - d with c(d) = c(a): c(v) = c(b) would make it
                // two-coloured.
                if neighbours(b).any(|d| d != a && colour[d] == ca) {
                    forbid(cb, &mut forbidden);
                }
            }
            // b - v - a - d with c(b) = c(a): c(v) = c(d) would make it
            // two-coloured, for every other neighbour d of a.
            if counts[ca as usize] > 1 {
                for d in neighbours(a).filter(|&d| d != v) {
                    forbid(colour[d], &mut forbidden);
                }
            }
        }
        for a in neighbours(v) {
            if colour[a] != NONE {
                counts[colour[a] as usize] = 0;
            }
        }
        colour[v] = first_free(&mut forbidden, v);
    }
    Colouring::from_colours(colour)
}
