//! The hot loop: dot products of a block of rows with every centre, through
//! a register tile of `BLOCK` rows by `TILE` centres, turned into
//!
//! ```text
//! v(x, c) = ||c||^2 - 2 x.c        (so ||x - c||^2 = ||x||^2 + v(x, c))
//! ```
//!
//! Centres are packed tile by tile, feature-major, so the inner loop reads
//! `TILE` contiguous values and the compiler vectorises over centres. Every
//! lane does the same multiplications and additions in the same order on
//! every code path, so the AVX2 build gives bitwise the same numbers as the
//! portable one.

use ndarray::ArrayView2;
use std::array;

/// Centres per register tile.
const TILE: usize = 8;
/// Rows per register block.
const BLOCK: usize = 4;

/// Centres packed for the kernel, with their squared norms.
#[derive(Debug, Clone)]
pub(crate) struct PackedCentres {
    k: usize,
    d: usize,
    /// Tile `t`, feature `j`, lane `q` at `(t * d + j) * TILE + q`; padding lanes are 0.
    tiles: Vec<f64>,
    /// `||c||^2`, padded with +inf so that padding lanes never win.
    sq_norms: Vec<f64>,
}

impl PackedCentres {
    /// Packs `centres` (k x d).
    pub fn new(centres: ArrayView2<f64>) -> Self {
        let mut packed = Self {
            k: 0,
            d: 0,
            tiles: Vec::new(),
            sq_norms: Vec::new(),
        };
        packed.repack(centres);
        packed
    }

    /// Packs new centres into the same buffers.
    pub fn repack(&mut self, centres: ArrayView2<f64>) {
        let (k, d) = centres.dim();
        let n_tiles = k.div_ceil(TILE);
        self.k = k;
        self.d = d;
        self.tiles.clear();
        self.tiles.resize(n_tiles * d * TILE, 0.0);
        self.sq_norms.clear();
        self.sq_norms.resize(n_tiles * TILE, f64::INFINITY);
        for (c, row) in centres.rows().into_iter().enumerate() {
            let (t, q) = (c / TILE, c % TILE);
            for (j, &v) in row.iter().enumerate() {
                self.tiles[(t * d + j) * TILE + q] = v;
            }
            self.sq_norms[c] = row.dot(&row);
        }
    }

    /// Number of centres.
    pub fn k(&self) -> usize {
        self.k
    }
}

/// For each row `i` of `rows` (row-major, `centres.d` columns), calls
/// `visit(i, c, v)` with its nearest centre `c` (lowest index on ties) and
/// `v = ||c||^2 - 2 x.c`.
#[inline]
pub(crate) fn nearest(rows: &[f64], centres: &PackedCentres, visit: impl FnMut(usize, usize, f64)) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, as checked just above.
        return unsafe { nearest_avx2(rows, centres, visit) };
    }
    nearest_portable(rows, centres, visit)
}

/// Writes `v(x_i, c)` for every row `i` and centre `c` into `out[i * k + c]`.
#[inline]
pub(crate) fn all_centres(rows: &[f64], centres: &PackedCentres, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, as checked just above.
        return unsafe { all_centres_avx2(rows, centres, out) };
    }
    all_centres_portable(rows, centres, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn nearest_avx2(
    rows: &[f64],
    centres: &PackedCentres,
    visit: impl FnMut(usize, usize, f64),
) {
    nearest_portable(rows, centres, visit)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn all_centres_avx2(rows: &[f64], centres: &PackedCentres, out: &mut [f64]) {
    all_centres_portable(rows, centres, out)
}

#[inline(always)]
fn nearest_portable(
    rows: &[f64],
    centres: &PackedCentres,
    mut visit: impl FnMut(usize, usize, f64),
) {
    for_blocks(rows, centres.d, |i0, block| {
        if block.len() == BLOCK * centres.d {
            nearest_block::<BLOCK>(block, centres, i0, &mut visit)
        } else {
            for (r, row) in block.chunks_exact(centres.d).enumerate() {
                nearest_block::<1>(row, centres, i0 + r, &mut visit)
            }
        }
    })
}

#[inline(always)]
fn all_centres_portable(rows: &[f64], centres: &PackedCentres, out: &mut [f64]) {
    let k = centres.k;
    for_blocks(rows, centres.d, |i0, block| {
        let out = &mut out[i0 * k..];
        if block.len() == BLOCK * centres.d {
            all_centres_block::<BLOCK>(block, centres, out)
        } else {
            for (r, row) in block.chunks_exact(centres.d).enumerate() {
                all_centres_block::<1>(row, centres, &mut out[r * k..])
            }
        }
    })
}

/// Splits `rows` into blocks of `BLOCK` rows (the last one shorter) and
/// calls `f(first_row, block)`.
#[inline(always)]
fn for_blocks(rows: &[f64], d: usize, mut f: impl FnMut(usize, &[f64])) {
    for (b, block) in rows.chunks(BLOCK * d).enumerate() {
        f(b * BLOCK, block)
    }
}

#[inline(always)]
fn nearest_block<const P: usize>(
    block: &[f64],
    centres: &PackedCentres,
    i0: usize,
    visit: &mut impl FnMut(usize, usize, f64),
) {
    let mut best = [f64::INFINITY; P];
    let mut label = [0usize; P];
    for_tiles::<P>(block, centres, |t, v| {
        for p in 0..P {
            for (q, &vq) in v[p].iter().enumerate() {
                if vq < best[p] {
                    best[p] = vq;
                    label[p] = t * TILE + q;
                }
            }
        }
    });
    for p in 0..P {
        visit(i0 + p, label[p], best[p]);
    }
}

#[inline(always)]
fn all_centres_block<const P: usize>(block: &[f64], centres: &PackedCentres, out: &mut [f64]) {
    let k = centres.k;
    for_tiles::<P>(block, centres, |t, v| {
        let lanes = TILE.min(k - t * TILE);
        for (p, vp) in v.iter().enumerate() {
            out[p * k + t * TILE..][..lanes].copy_from_slice(&vp[..lanes]);
        }
    });
}

/// For a block of `P` rows, calls `f(t, v)` for every centre tile `t` with
/// `v[p][q] = ||c||^2 - 2 x_p.c` for centre `c = t * TILE + q`.
#[inline(always)]
fn for_tiles<const P: usize>(
    block: &[f64],
    centres: &PackedCentres,
    mut f: impl FnMut(usize, &[[f64; TILE]; P]),
) {
    let d = centres.d;
    let rows: [&[f64]; P] = array::from_fn(|p| &block[p * d..(p + 1) * d]);
    for (t, tile) in centres.tiles.chunks_exact(d * TILE).enumerate() {
        let mut acc = [[0.0; TILE]; P];
        for j in 0..d {
            let c: &[f64; TILE] = tile[j * TILE..(j + 1) * TILE]
                .try_into()
                .expect("tile rows have TILE lanes");
            for p in 0..P {
                let xv = rows[p][j];
                for q in 0..TILE {
                    acc[p][q] += xv * c[q];
                }
            }
        }
        let norms = &centres.sq_norms[t * TILE..(t + 1) * TILE];
        for accp in acc.iter_mut() {
            for (a, &nq) in accp.iter_mut().zip(norms) {
                *a = nq - 2.0 * *a;
            }
        }
        f(t, &acc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// Rows and centres with entries from a fixed integer recurrence.
    fn filled(n: usize, d: usize, salt: u64) -> Array2<f64> {
        let mut s = salt;
        Array2::from_shape_fn((n, d), |_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % 1000) as f64 / 100.0 - 5.0
        })
    }

    #[test]
    fn matches_direct_distances_for_odd_shapes() {
        for (n, d, k) in [(1, 1, 1), (7, 3, 5), (9, 16, 16), (13, 5, 17)] {
            let x = filled(n, d, 1);
            let c = filled(k, d, 2);
            let packed = PackedCentres::new(c.view());
            let mut v = vec![0.0; n * k];
            all_centres(x.as_slice().unwrap(), &packed, &mut v);
            let mut seen = 0;
            nearest(x.as_slice().unwrap(), &packed, |i, label, best| {
                seen += 1;
                let xx = x.row(i).dot(&x.row(i));
                let direct: Vec<f64> = (0..k)
                    .map(|c_| {
                        x.row(i)
                            .iter()
                            .zip(c.row(c_))
                            .map(|(a, b)| (a - b) * (a - b))
                            .sum()
                    })
                    .collect();
                for c_ in 0..k {
                    approx::assert_abs_diff_eq!(xx + v[i * k + c_], direct[c_], epsilon = 1e-9);
                }
                let min = direct.iter().cloned().fold(f64::INFINITY, f64::min);
                approx::assert_abs_diff_eq!(direct[label], min, epsilon = 1e-9);
                assert_eq!(best, v[i * k + label]);
            });
            assert_eq!(seen, n);
        }
    }
}
