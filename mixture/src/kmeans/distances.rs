//! The hot loop: dot products of rows with every centre, turned into
//!
//! ```text
//! v(x, c) = ||c||^2 - 2 x.c        (so ||x - c||^2 = ||x||^2 + v(x, c))
//! ```
//!
//! One kernel, written once over [`Lanes`]: a block of rows sits one row
//! per lane (8 `f64` or 16 `f32` rows with AVX-512, 4 or 8 with AVX2, one
//! row portably). Each feature of the block is loaded straight from the
//! data (8 features at a time, transposed in registers), centred there
//! (`x - shift`), squared into the rows' `||x||^2` and used from the
//! registers for the dot products with two tiles of `TILE` centres at a
//! time (broadcasts), never stored; with more tiles, the block is read
//! again (from L1) for each two. Each `v` and each `||x||^2`
//! is the same sequence of fused multiply-adds (features in index order)
//! in every lane type, and [`sq_norm`] and the centres' norms use the same
//! sequence, so a row is at distance 0 from itself. The
//! minimum over centres runs in index order keeping the first, so every
//! level gives bitwise the same numbers and labels. The path follows the
//! crate's [`simd`] level.
//!
//! Work per row for `k` centres of `d` features (`k` rounded up to a
//! multiple of `TILE`): `d` subtractions to centre, `2 d` flops for
//! `||x||^2`, `2 k d` for the dot products (`k d` fused multiply-adds),
//! `2 k` for `||c||^2 - 2 x.c`,
//! and `k` comparisons for the minimum. Bytes moved from memory: the row's
//! `8 d` (`4 d` for `f32`), read from memory once; the packed centres
//! (`8 k d + 8 k`) stay in L1.

#[cfg(target_arch = "x86_64")]
use super::lanes::{F32x16, F32x8, F64x4, F64x8};
use super::lanes::{Lane, Lanes};
use crate::simd::{self, Kernel, Level};
use ndarray::ArrayView2;
use std::marker::PhantomData;
use std::mem::MaybeUninit;

/// Centres per tile.
const TILE: usize = 8;

/// Centres packed for the kernel, with their squared norms.
#[derive(Debug, Clone)]
pub(crate) struct PackedCentres {
    k: usize,
    d: usize,
    /// Tile `t`, feature `j`, lane `q` at `(t * d + j) * TILE + q`; padding lanes are 0.
    tiles: Vec<f64>,
    /// `||c||^2`, padded with +inf so that padding lanes never win.
    sq_norms: Vec<f64>,
    /// The centres rounded to `f32`, same layout, for `f32` data.
    tiles32: Vec<f32>,
    /// `||c||^2` of the rounded centres, in `f32`.
    sq_norms32: Vec<f32>,
    /// `0, 1, 2...` up to the padded number of centres, as the kernels
    /// carry indices.
    indices: Vec<f64>,
    indices32: Vec<f32>,
}

impl PackedCentres {
    /// Packs `centres` (k x d).
    pub fn new(centres: ArrayView2<f64>) -> Self {
        let mut packed = Self {
            k: 0,
            d: 0,
            tiles: Vec::new(),
            sq_norms: Vec::new(),
            tiles32: Vec::new(),
            sq_norms32: Vec::new(),
            indices: Vec::new(),
            indices32: Vec::new(),
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
            self.sq_norms[c] = sq_norm(row.iter());
        }
        self.tiles32.clear();
        self.tiles32.extend(self.tiles.iter().map(|&v| v as f32));
        self.sq_norms32.clear();
        self.sq_norms32.resize(n_tiles * TILE, f32::INFINITY);
        for (c, row) in centres.rows().into_iter().enumerate() {
            self.sq_norms32[c] = sq_norm(row.iter().map(|&v| v as f32));
        }
        self.indices = (0..n_tiles * TILE).map(f64::index).collect();
        self.indices32 = (0..n_tiles * TILE).map(f32::index).collect();
    }

    /// Number of centres.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Number of features.
    pub fn d(&self) -> usize {
        self.d
    }
}

/// `||x||^2` summed in index order, as the kernel sums dot products, so
/// that `v(x, x) = -||x||^2` exactly and a row is at distance 0 from itself.
pub(crate) fn sq_norm<T: Lane>(x: impl IntoIterator<Item = impl std::borrow::Borrow<T>>) -> T {
    x.into_iter()
        .fold(T::ZERO, |acc, v| v.borrow().mul_add(*v.borrow(), acc))
}

/// The numbers of `f64` and `f32` rows, with the lane types each level
/// runs them in.
pub(crate) trait Vectors: Lane + Lanes<Elem = Self> {
    /// Rows in an AVX-512 register.
    #[cfg(target_arch = "x86_64")]
    type Avx512: Lanes<Elem = Self>;
    /// Rows in an AVX2 register.
    #[cfg(target_arch = "x86_64")]
    type Avx2: Lanes<Elem = Self>;
    /// The packed centres and their squared norms in this type.
    fn packed(centres: &PackedCentres) -> (&[Self], &[Self]);
    /// The centres' indices in this type.
    fn indices(centres: &PackedCentres) -> &[Self];
}

impl Vectors for f64 {
    #[cfg(target_arch = "x86_64")]
    type Avx512 = F64x8;
    #[cfg(target_arch = "x86_64")]
    type Avx2 = F64x4;
    fn packed(centres: &PackedCentres) -> (&[f64], &[f64]) {
        (&centres.tiles, &centres.sq_norms)
    }
    fn indices(centres: &PackedCentres) -> &[f64] {
        &centres.indices
    }
}

impl Vectors for f32 {
    #[cfg(target_arch = "x86_64")]
    type Avx512 = F32x16;
    #[cfg(target_arch = "x86_64")]
    type Avx2 = F32x8;
    fn packed(centres: &PackedCentres) -> (&[f32], &[f32]) {
        (&centres.tiles32, &centres.sq_norms32)
    }
    fn indices(centres: &PackedCentres) -> &[f32] {
        &centres.indices32
    }
}

/// A kernel over blocks of rows, run with one lane type.
trait LanesJob<T: Vectors> {
    type Output;
    /// Runs the job with rows in lanes of `V`.
    ///
    /// # Safety
    /// The CPU must have the instructions of `V`, and they must be enabled.
    unsafe fn run<V: Lanes<Elem = T>>(self) -> Self::Output;
}

/// `job` over rows of `d` values with the lane type of `level`, compiled
/// for `level`; rows too wide for that lane type's offsets (absurd, but
/// possible in a mapped file) take the portable level.
fn run_at<T: Vectors, J: LanesJob<T>>(level: Level, d: usize, job: J) -> J::Output {
    /// `J` with lanes `V` as a [`Kernel`].
    struct OnLanes<V, J>(J, PhantomData<V>);
    impl<T: Vectors, V: Lanes<Elem = T>, J: LanesJob<T>> Kernel for OnLanes<V, J> {
        type Output = J::Output;
        #[inline(always)]
        fn run(self) -> J::Output {
            // SAFETY: `run_at` only pairs `V` with a level that has its
            // instructions, and `dispatch` enables them.
            unsafe { self.0.run::<V>() }
        }
    }
    match level {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 if d <= T::Avx512::MAX_FEATURES => {
            simd::dispatch(level, OnLanes::<T::Avx512, J>(job, PhantomData))
        }
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 if d <= T::Avx2::MAX_FEATURES => {
            simd::dispatch(level, OnLanes::<T::Avx2, J>(job, PhantomData))
        }
        _ => simd::dispatch(Level::Scalar, OnLanes::<T, J>(job, PhantomData)),
    }
}

/// What is done with the centred columns of a block of rows, feature by
/// feature. (A trait, not a closure: a closure would not get the kernel's
/// target features, and the intrinsics in it would not be inlined.)
trait ColumnSink<V> {
    /// Takes feature `j`'s column (lane `r`: row `r`), in index order.
    ///
    /// # Safety
    /// `V`'s instructions must be enabled.
    unsafe fn column(&mut self, j: usize, col: V);
}

/// Gives `sink` the columns of the `V::N` rows of `block` (row `r` at
/// `r * d`), centred by `shift`, in index order: 8 features at a time from
/// whole rows ([`Lanes::columns8`]), then one at a time, each in registers
/// (the sink decides whether to store it: see [`all_tiles`]).
///
/// # Safety
/// `V`'s instructions must be enabled.
#[inline(always)]
unsafe fn for_each_column<V: Lanes>(
    block: &[V::Elem],
    offsets: V::Offsets,
    shift: &[f64],
    sink: &mut impl ColumnSink<V>,
) {
    let d = shift.len();
    assert!(block.len() >= (V::N - 1) * d + d);
    // SAFETY: lane r of feature j reads block[r * d + j], inside the assert.
    unsafe {
        let x = block.as_ptr();
        let whole = d / 8 * 8;
        for j in (0..whole).step_by(8) {
            let s = shift[j..j + 8].try_into().expect("8 shifts");
            // Named, not indexed in a loop: indexed, the compiler kept the
            // eight columns on the stack.
            let [c0, c1, c2, c3, c4, c5, c6, c7] = V::columns8(x.add(j), offsets, d, s);
            sink.column(j, c0);
            sink.column(j + 1, c1);
            sink.column(j + 2, c2);
            sink.column(j + 3, c3);
            sink.column(j + 4, c4);
            sink.column(j + 5, c5);
            sink.column(j + 6, c6);
            sink.column(j + 7, c7);
        }
        for (j, &s) in shift.iter().enumerate().skip(whole) {
            sink.column(j, V::column(x.add(j), offsets, s));
        }
    }
}

/// `||x||^2` of the rows of a block, summed in index order.
struct SquareSum<V>(V);

impl<V: Lanes> ColumnSink<V> for SquareSum<V> {
    #[inline(always)]
    unsafe fn column(&mut self, _: usize, col: V) {
        // SAFETY: the caller's contract.
        self.0 = unsafe { col.mul_add(col, self.0) };
    }
}

/// What is done with the values `v(x_r, c)` of a block of rows.
trait TileSink<V> {
    /// Takes `v[g][q] = v(x_r, c)` (row r in lane r) for the centres
    /// `c = first + g * TILE + q`, in index order from call to call.
    ///
    /// # Safety
    /// `V`'s instructions must be enabled.
    unsafe fn take<const G: usize>(&mut self, first: usize, v: &[[V; TILE]; G]);
}

/// Gives `sink` the values of the `V::N` rows of `block` (as
/// [`for_each_column`] reads them) for every centre (`tiles`, `norms`
/// packed as [`PackedCentres`]), and their `||x||^2` to `sq_norm` if asked.
/// The lines of `ahead` are prefetched on the way, one per tile and feature
/// (the rest at the end).
///
/// With 32 registers, two tiles at a time (16 independent sums keep both
/// vector units busy) from columns made in registers, again for each two
/// tiles (loads and shuffles, which the multiply-adds hide), never stored:
/// stored on the stack and loaded back, as the kernel did before, they
/// cost about 6% of it (f64 d = k = 16, one thread), as on Zen 4 a 512-bit
/// store takes a multiply-add slot for about 1.5 cycles. With 16 registers
/// the sums and the columns do not fit at once: the columns are made once
/// into `space` and loaded from there, one tile at a time (kept in
/// registers, AVX2 took 1.6 times as long).
///
/// # Safety
/// `V`'s instructions must be enabled.
#[inline(always)]
unsafe fn all_tiles<V: Lanes>(
    rows: Block<V>,
    (tiles, norms): (&[V::Elem], &[V::Elem]),
    sink: &mut impl TileSink<V>,
    ahead: Ahead,
    mut sq_norm: Option<&mut V>,
    space: &mut Space<V>,
) {
    let d = rows.2.len();
    let n_tiles = norms.len() / TILE;
    let mut t = 0;
    // SAFETY: the caller's contract; tiles t (and t + 1) exist.
    unsafe {
        if V::REGISTERS >= 32 {
            while t < n_tiles {
                let tiles = (&tiles[t * d * TILE..], &norms[t * TILE..]);
                let (sq_norm, at) = (sq_norm.take(), t * d);
                if t + 2 <= n_tiles {
                    let v = tile_values::<V, 2>(Source::Rows(rows), tiles, sq_norm, ahead, at);
                    sink.take(t * TILE, &v);
                    t += 2;
                } else {
                    let v = tile_values::<V, 1>(Source::Rows(rows), tiles, sq_norm, ahead, at);
                    sink.take(t * TILE, &v);
                    t += 1;
                }
            }
        } else {
            let cols = space.keep(rows, sq_norm);
            while t < n_tiles {
                let tiles = (&tiles[t * d * TILE..], &norms[t * TILE..]);
                let v = tile_values::<V, 1>(Source::Kept(cols), tiles, None, ahead, t * d);
                sink.take(t * TILE, &v);
                t += 1;
            }
        }
    }
    for line in n_tiles * d..ahead.lines {
        ahead.line(line);
    }
}

/// The `V::N` rows of a block as [`for_each_column`] reads them: the values
/// from the block's first row on, the lanes' row offsets, the shift.
type Block<'a, V> = (&'a [<V as Lanes>::Elem], <V as Lanes>::Offsets, &'a [f64]);

/// Where [`tile_values`] takes a block's columns from.
#[derive(Clone, Copy)]
enum Source<'a, V: Lanes> {
    /// The rows themselves.
    Rows(Block<'a, V>),
    /// Columns made already.
    Kept(&'a [V]),
}

impl<V: Lanes> Source<'_, V> {
    /// Gives `sink` the columns in index order.
    ///
    /// # Safety
    /// `V`'s instructions must be enabled.
    #[inline(always)]
    unsafe fn feed(self, sink: &mut impl ColumnSink<V>) {
        // SAFETY: the caller's contract.
        unsafe {
            match self {
                Source::Rows((block, offsets, shift)) => {
                    for_each_column(block, offsets, shift, sink)
                }
                Source::Kept(cols) => {
                    for (j, &col) in cols.iter().enumerate() {
                        sink.column(j, col);
                    }
                }
            }
        }
    }
}

/// Most features whose columns [`Space`] keeps on the stack.
const STACK_FEATURES: usize = 64;

/// Room for the `d` columns of a block, for lane types with 16 registers
/// (see [`all_tiles`]): on the stack up to [`STACK_FEATURES`].
struct Space<V> {
    stack: [MaybeUninit<V>; STACK_FEATURES],
    heap: Vec<MaybeUninit<V>>,
}

impl<V: Lanes> Space<V> {
    /// Room for columns of `d` features if `V` needs it.
    #[inline(always)]
    fn new(d: usize) -> Self {
        let heap = if V::REGISTERS < 32 && d > STACK_FEATURES {
            (0..d).map(|_| MaybeUninit::uninit()).collect()
        } else {
            Vec::new()
        };
        Self {
            stack: [const { MaybeUninit::uninit() }; STACK_FEATURES],
            heap,
        }
    }

    /// The columns of `rows` made into the room (`||x||^2` into `sq_norm`
    /// if asked).
    ///
    /// # Safety
    /// `V`'s instructions must be enabled.
    #[inline(always)]
    unsafe fn keep(&mut self, (block, offsets, shift): Block<V>, sq_norm: Option<&mut V>) -> &[V] {
        let d = shift.len();
        let room = if d <= STACK_FEATURES {
            &mut self.stack[..d]
        } else {
            &mut self.heap[..d]
        };
        struct Keep<'c, 's, V> {
            room: &'c mut [MaybeUninit<V>],
            sq_norm: Option<&'s mut V>,
        }
        impl<V: Lanes> ColumnSink<V> for Keep<'_, '_, V> {
            #[inline(always)]
            unsafe fn column(&mut self, j: usize, col: V) {
                self.room[j].write(col);
                if let Some(sq) = self.sq_norm.as_deref_mut() {
                    // SAFETY: the caller's contract.
                    *sq = unsafe { col.mul_add(col, *sq) };
                }
            }
        }
        let mut keep = Keep { room, sq_norm };
        // SAFETY: the caller's contract; `for_each_column` writes every one
        // of the `d` columns before the slice of them is made.
        unsafe {
            for_each_column(block, offsets, shift, &mut keep);
            std::slice::from_raw_parts(keep.room.as_ptr().cast::<V>(), d)
        }
    }
}

/// Lines of rows to prefetch, [`PREFETCH_BYTES`] ahead of the rows the
/// kernel works on. [`Nearest`] prefetches line `t * d + j` as it starts
/// feature `j` of tile `t`, so that the requests go out one by one among the
/// multiply-adds: all the lines of a block at once (as [`prefetch_ahead`]
/// does) fill the line-fill buffers, and the kernel stalls on the prefetches
/// (f64 d = 16 k = 16 on one thread: 17-22% slower).
#[derive(Clone, Copy)]
struct Ahead {
    at: *const u8,
    lines: usize,
}

impl Ahead {
    const NONE: Ahead = Ahead {
        at: std::ptr::null(),
        lines: 0,
    };

    /// The `len` values from `rows[first]`, moved [`PREFETCH_BYTES`] ahead
    /// in whole steps of `len` values (past the end of `rows` too: the next
    /// rows of the data).
    #[inline(always)]
    fn new<T>(rows: &[T], first: usize, len: usize) -> Self {
        let bytes = len * size_of::<T>();
        let at = first + PREFETCH_BYTES.div_ceil(bytes) * len;
        Ahead {
            at: rows.as_ptr().wrapping_add(at).cast(),
            lines: bytes.div_ceil(64),
        }
    }

    /// Prefetches line `i` (nothing past the last).
    #[inline(always)]
    fn line(self, i: usize) {
        if i < self.lines {
            crate::simd::prefetch(self.at.wrapping_add(64 * i));
        }
    }
}

/// `v(x_r, c)` of the rows of a block (their columns from `columns`) for
/// the centres of the `G` tiles at the start of `tiles` (`d x TILE` values
/// each) and `norms` (their `||c||^2`), with `||x||^2` into `sq_norm` if
/// given, prefetching lines `line + g * d + j` of `ahead` on the way.
///
/// # Safety
/// `V`'s instructions must be enabled.
#[inline(always)]
unsafe fn tile_values<V: Lanes, const G: usize>(
    columns: Source<V>,
    (tiles, norms): (&[V::Elem], &[V::Elem]),
    sq_norm: Option<&mut V>,
    ahead: Ahead,
    line: usize,
) -> [[V; TILE]; G] {
    let d = match columns {
        Source::Rows((_, _, shift)) => shift.len(),
        Source::Kept(cols) => cols.len(),
    };
    assert!(tiles.len() >= G * d * TILE && norms.len() >= G * TILE);
    // SAFETY: arithmetic, with `V`'s instructions enabled by the caller, and
    // reads inside the assert.
    unsafe {
        let mut products = Products::<V, G> {
            acc: [[V::splat(V::Elem::ZERO); TILE]; G],
            tiles: tiles.as_ptr(),
            d,
            sq_norm,
            ahead,
            line,
        };
        columns.feed(&mut products);
        let mut acc = products.acc;
        // `||c||^2 - 2 x.c` in one rounding: `2 x.c` is exact.
        let minus_two = V::splat(V::Elem::MINUS_TWO);
        for (g, acc) in acc.iter_mut().enumerate() {
            for (q, a) in acc.iter_mut().enumerate() {
                *a = a.mul_add(minus_two, V::splat(norms[g * TILE + q]));
            }
        }
        acc
    }
}

/// The dot products of a block's rows with `G` tiles of centres, column
/// by column (and the rows' `||x||^2`, if asked).
struct Products<'a, V: Lanes, const G: usize> {
    acc: [[V; TILE]; G],
    /// The tiles: centre `q` of tile `g`, feature `j` at `(g * d + j) * TILE + q`.
    tiles: *const V::Elem,
    d: usize,
    sq_norm: Option<&'a mut V>,
    ahead: Ahead,
    line: usize,
}

impl<V: Lanes, const G: usize> ColumnSink<V> for Products<'_, V, G> {
    #[inline(always)]
    unsafe fn column(&mut self, j: usize, col: V) {
        // SAFETY: the caller's contract; `tile_values` checked that the
        // tiles hold feature `j` of `G` tiles.
        unsafe {
            if let Some(sq) = self.sq_norm.as_deref_mut() {
                *sq = col.mul_add(col, *sq);
            }
            for g in 0..G {
                self.ahead.line(self.line + g * self.d + j);
                for (q, acc) in self.acc[g].iter_mut().enumerate() {
                    let cq = V::splat(*self.tiles.add((g * self.d + j) * TILE + q));
                    *acc = col.mul_add(cq, *acc);
                }
            }
        }
    }
}

/// The running first minimum of a block: value and index per lane.
/// (`indices[c]`: centre `c`'s index as a number, loaded rather than
/// converted and broadcast for every block.)
#[derive(Clone, Copy)]
struct Lowest<'a, V: Lanes> {
    value: V,
    index: V,
    indices: &'a [V::Elem],
}

impl<V: Lanes> TileSink<V> for Lowest<'_, V> {
    #[inline(always)]
    unsafe fn take<const G: usize>(&mut self, first: usize, v: &[[V; TILE]; G]) {
        // SAFETY: the caller's contract.
        unsafe {
            // The first minimum of each tile on its own, as a tree: pairs of
            // neighbouring centres, then pairs of pairs, the later one of
            // each pair winning only when strictly lower. That is the first
            // minimum in index order, as one chain of comparisons would give
            // (values are never NaN: finite rows and centres give finite or
            // infinite `v`), in three steps instead of eight (the chain's
            // latency, not the comparisons, was the cost). The tiles do not
            // wait on one another; then tile after tile against the running
            // minimum.
            let mut tile = [(V::splat(V::Elem::ZERO), V::splat(V::Elem::ZERO)); G];
            for (g, (lowest, v)) in tile.iter_mut().zip(v).enumerate() {
                let indices: &[V::Elem; TILE] = self.indices[first + g * TILE..][..TILE]
                    .try_into()
                    .expect("a tile of indices");
                let mut level: [(V, V); TILE] =
                    std::array::from_fn(|q| (v[q], V::splat(indices[q])));
                let mut len = TILE;
                while len > 1 {
                    len /= 2;
                    for q in 0..len {
                        let (value, index) = level[2 * q + 1];
                        level[q] = V::lower(level[2 * q], value, index);
                    }
                }
                *lowest = level[0];
            }
            for (value, index) in tile {
                (self.value, self.index) = V::lower((self.value, self.index), value, index);
            }
        }
    }
}

/// Values of a block of `V::N` rows from row `b`, into `out` (`k` per row).
struct Store<'a> {
    out: &'a mut [f64],
    b: usize,
    k: usize,
}

impl<V: Lanes<Elem = f64>> TileSink<V> for Store<'_> {
    #[inline(always)]
    unsafe fn take<const G: usize>(&mut self, first: usize, v: &[[V; TILE]; G]) {
        for (g, v) in v.iter().enumerate() {
            let first = first + g * TILE;
            for (q, vq) in v.iter().enumerate().take(self.k.saturating_sub(first)) {
                let mut lanes = [0.0; MAX_LANES];
                // SAFETY: the caller's contract; N lanes into N values.
                unsafe { vq.store(lanes[..V::N].as_mut_ptr()) };
                for (p, &value) in lanes[..V::N].iter().enumerate() {
                    self.out[(self.b + p) * self.k + first + q] = value;
                }
            }
        }
    }
}

/// Writes, for each row `i` of `rows` (row-major, `d` columns, as read),
/// centred by `shift`: its nearest centre (lowest index on ties) into
/// `labels[i]`, `v(x_i, c)` for that centre into `values[i]` and its
/// squared norm into `sq_norms[i]`. `f32` rows run against the centres
/// rounded to `f32`, in `f32`.
///
/// # Panics
/// When `rows` does not hold `labels.len()` rows of `centres.d()` values,
/// `shift` is not `d` long or `values`, `sq_norms` are not as long as
/// `labels` (a programming error).
#[track_caller]
pub(crate) fn nearest_at<T: Vectors>(
    level: Level,
    rows: &[T],
    shift: &[f64],
    centres: &PackedCentres,
    labels: &mut [usize],
    values: &mut [T],
    sq_norms: &mut [T],
) {
    assert_eq!(rows.len(), labels.len() * centres.d);
    assert_eq!(shift.len(), centres.d);
    assert_eq!(labels.len(), values.len());
    assert_eq!(labels.len(), sq_norms.len());
    let job = Nearest {
        rows,
        shift,
        centres: T::packed(centres),
        indices: T::indices(centres),
        labels,
        values,
        sq_norms,
    };
    run_at(level, centres.d, job)
}

/// [`nearest_at`] for rows prepared already (no shift), on this host's level.
pub(crate) fn nearest(
    rows: &[f64],
    centres: &PackedCentres,
    labels: &mut [usize],
    values: &mut [f64],
) {
    let mut sq_norms = vec![0.0; labels.len()];
    let zero = vec![0.0; centres.d];
    nearest_at(
        simd::level(),
        rows,
        &zero,
        centres,
        labels,
        values,
        &mut sq_norms,
    )
}

/// The arguments of [`nearest_at`].
struct Nearest<'a, T> {
    rows: &'a [T],
    shift: &'a [f64],
    centres: (&'a [T], &'a [T]),
    indices: &'a [T],
    labels: &'a mut [usize],
    values: &'a mut [T],
    sq_norms: &'a mut [T],
}

impl<T: Vectors> Nearest<'_, T> {
    /// The nearest centres of the block of `V::N` rows from row `b`.
    ///
    /// # Safety
    /// `V`'s instructions must be enabled; the rows `b..b + V::N` exist.
    #[inline(always)]
    unsafe fn block<V: Lanes<Elem = T>>(
        &mut self,
        b: usize,
        offsets: V::Offsets,
        space: &mut Space<V>,
    ) {
        let d = self.shift.len();
        // SAFETY: the caller's contract; the stores write N values from row b.
        unsafe {
            let mut sq_norm = V::splat(T::ZERO);
            let mut best = Lowest {
                value: V::splat(T::INFINITY),
                index: V::splat(T::ZERO),
                indices: self.indices,
            };
            let rows = (&self.rows[b * d..], offsets, self.shift);
            let ahead = Ahead::new(self.rows, b * d, V::N * d);
            let sq = Some(&mut sq_norm);
            all_tiles(rows, self.centres, &mut best, ahead, sq, space);
            let rows = b..b + V::N;
            best.value.store(self.values[rows.clone()].as_mut_ptr());
            sq_norm.store(self.sq_norms[rows.clone()].as_mut_ptr());
            // SAFETY: the lanes hold entries of `indices`, made by `index`.
            best.index.store_indices(self.labels[rows].as_mut_ptr());
        }
    }
}

impl<T: Vectors> LanesJob<T> for Nearest<'_, T> {
    type Output = ();

    /// One block of rows at a time, then row by row.
    #[inline(always)]
    unsafe fn run<V: Lanes<Elem = T>>(mut self) {
        let (n, d) = (self.labels.len(), self.shift.len());
        let full = n / V::N * V::N;
        let (offsets, mut space) = (V::offsets(d), Space::new(d));
        for b in (0..full).step_by(V::N) {
            // SAFETY: `V`'s instructions are enabled (the contract of
            // `run`); the block ends before `full`.
            unsafe { self.block::<V>(b, offsets, &mut space) };
        }
        if full < n {
            let Self {
                rows,
                shift,
                centres,
                indices,
                labels,
                values,
                sq_norms,
            } = self;
            let tail = Nearest {
                rows: &rows[full * d..],
                shift,
                centres,
                indices,
                labels: &mut labels[full..],
                values: &mut values[full..],
                sq_norms: &mut sq_norms[full..],
            };
            // SAFETY: portable lanes.
            unsafe { tail.run::<T>() }
        }
    }
}

/// Most rows in one register.
const MAX_LANES: usize = 16;

/// Writes `v(x_i, c)` for every row `i` (prepared) and centre `c` into `out[i * k + c]`.
pub(crate) fn all_centres(rows: &[f64], centres: &PackedCentres, out: &mut [f64]) {
    all_centres_at(simd::level(), rows, centres, out)
}

/// [`all_centres`] on the path for `level`.
///
/// # Panics
/// When `rows` does not hold `out.len() / centres.k()` rows of
/// `centres.d()` values (a programming error).
#[track_caller]
fn all_centres_at(level: Level, rows: &[f64], centres: &PackedCentres, out: &mut [f64]) {
    assert_eq!(out.len() % centres.k, 0);
    assert_eq!(rows.len(), out.len() / centres.k * centres.d);
    let job = AllCentres {
        rows,
        shift: &vec![0.0; centres.d],
        centres: f64::packed(centres),
        k: centres.k,
        out,
    };
    run_at(level, centres.d, job)
}

/// The arguments of [`all_centres_at`].
struct AllCentres<'a> {
    rows: &'a [f64],
    shift: &'a [f64],
    centres: (&'a [f64], &'a [f64]),
    k: usize,
    out: &'a mut [f64],
}

impl LanesJob<f64> for AllCentres<'_> {
    type Output = ();

    #[inline(always)]
    unsafe fn run<V: Lanes<Elem = f64>>(self) {
        let Self {
            rows,
            shift,
            centres: (tiles, norms),
            k,
            out,
        } = self;
        let d = shift.len();
        let n = out.len() / k;
        let full = n / V::N * V::N;
        let (offsets, mut space) = (V::offsets(d), Space::new(d));
        for b in (0..full).step_by(V::N) {
            // SAFETY: `V`'s instructions are enabled (the contract of `run`).
            unsafe {
                let block = (&rows[b * d..], offsets, shift);
                let store = &mut Store { out, b, k };
                all_tiles::<V>(block, (tiles, norms), store, Ahead::NONE, None, &mut space);
            }
        }
        if full < n {
            let tail = AllCentres {
                rows: &rows[full * d..],
                shift,
                centres: (tiles, norms),
                k,
                out: &mut out[full * k..],
            };
            // SAFETY: portable lanes.
            unsafe { tail.run::<f64>() }
        }
    }
}

/// `sq[i] = ||x_i||^2` for the rows of `x` (`d` columns), each summed in
/// index order (as [`sq_norm`]), as the kernel sums them.
pub(crate) fn sq_norms_of_rows(x: &[f64], d: usize, sq: &mut [f64]) {
    sq_norms_at(simd::level(), x, d, sq)
}

/// [`sq_norms_of_rows`] on the path for `level`.
fn sq_norms_at<T: Vectors>(level: Level, x: &[T], d: usize, sq: &mut [T]) {
    assert_eq!(x.len(), sq.len() * d);
    run_at(
        level,
        d,
        SqNorms {
            rows: x,
            shift: &vec![0.0; d],
            sq,
        },
    )
}

/// The arguments of [`sq_norms_at`].
struct SqNorms<'a, T> {
    rows: &'a [T],
    shift: &'a [f64],
    sq: &'a mut [T],
}

impl<T: Vectors> LanesJob<T> for SqNorms<'_, T> {
    type Output = ();

    #[inline(always)]
    unsafe fn run<V: Lanes<Elem = T>>(self) {
        let Self { rows, shift, sq } = self;
        let d = shift.len();
        let full = sq.len() / V::N * V::N;
        let offsets = V::offsets(d);
        for b in (0..full).step_by(V::N) {
            // SAFETY: `V`'s instructions are enabled (the contract of
            // `run`); the store writes N values from b < full.
            unsafe {
                let mut sum = SquareSum(V::splat(T::ZERO));
                for_each_column(&rows[b * d..], offsets, shift, &mut sum);
                sum.0.store(sq[b..b + V::N].as_mut_ptr());
            }
        }
        if full < sq.len() {
            let tail = SqNorms {
                rows: &rows[full * d..],
                shift,
                sq: &mut sq[full..],
            };
            // SAFETY: portable lanes.
            unsafe { tail.run::<T>() }
        }
    }
}

/// How far ahead of the kernels rows are prefetched (measured with
/// [`Ahead`], f64 d = 16 and 64 on one thread: 1, 2 and 8 KiB no better,
/// nor the hints for L2 or L3).
const PREFETCH_BYTES: usize = 4096;

/// Prefetches the rows [`PREFETCH_BYTES`] ahead of block `b` (of `block`
/// values each), past the end of `rows` too (the next rows of the data):
/// the kernel walks several rows at once, which the hardware prefetchers
/// follow poorly.
#[inline(always)]
pub(crate) fn prefetch_ahead<T>(rows: &[T], b: usize, block: usize) {
    let ahead = Ahead::new(rows, b * block, block);
    for line in 0..ahead.lines {
        ahead.line(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// Rows per register of the lane type `run_at` picks.
    #[cfg(target_arch = "x86_64")]
    struct LaneWidth;
    #[cfg(target_arch = "x86_64")]
    impl<T: Vectors> LanesJob<T> for LaneWidth {
        type Output = usize;
        unsafe fn run<V: Lanes<Elem = T>>(self) -> usize {
            V::N
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn rows_too_wide_for_the_lane_offsets_take_the_portable_level() {
        for level in simd::supported() {
            let widest = <f32 as Vectors>::Avx2::MAX_FEATURES;
            let narrow = run_at::<f32, _>(level, 16, LaneWidth);
            let wide = run_at::<f32, _>(level, widest + 1, LaneWidth);
            match level {
                Level::Avx2 => assert_eq!((narrow, wide), (8, 1), "{level:?}"),
                _ => assert_eq!(wide, narrow, "{level:?}"),
            }
        }
    }

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

    /// Rows x features x centres: one of each, odd sizes, a full AVX-512
    /// block, tiles past the first two (17, 24, 40 centres), whole groups of
    /// 8 features with and without a rest.
    const ODD_SHAPES: [(usize, usize, usize); 7] = [
        (1, 1, 1),
        (7, 3, 5),
        (9, 16, 16),
        (13, 5, 17),
        (40, 2, 9),
        (21, 7, 24),
        (20, 24, 40),
    ];

    /// With more than 12 centres, ties across tiles (3, 11) and within one
    /// (1, 6): the lower index must win on every path.
    fn with_ties(c: &mut Array2<f64>) {
        if c.nrows() > 12 {
            let first = c.row(3).to_owned();
            c.row_mut(11).assign(&first);
            let first = c.row(1).to_owned();
            c.row_mut(6).assign(&first);
        }
    }

    #[test]
    fn every_level_matches_direct_distances_for_odd_shapes() {
        for (n, d, k) in ODD_SHAPES {
            let x = filled(n, d, 1);
            let mut c = filled(k, d, 2);
            with_ties(&mut c);
            let packed = PackedCentres::new(c.view());
            let rows = x.as_slice().unwrap();
            let mut v = vec![0.0; n * k];
            all_centres_at(Level::Scalar, rows, &packed, &mut v);
            let mut labels = vec![0; n];
            let mut values = vec![0.0; n];
            let (zero, mut sq) = (vec![0.0; d], vec![0.0; n]);
            nearest_at(
                Level::Scalar,
                rows,
                &zero,
                &packed,
                &mut labels,
                &mut values,
                &mut sq,
            );
            // Every level the host runs gives the portable numbers, bit for bit.
            for level in simd::supported() {
                let mut v_level = vec![0.0; n * k];
                all_centres_at(level, rows, &packed, &mut v_level);
                let mut at_level = (vec![0; n], vec![0.0; n]);
                nearest_at(
                    level,
                    rows,
                    &zero,
                    &packed,
                    &mut at_level.0,
                    &mut at_level.1,
                    &mut sq,
                );
                let same =
                    |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits());
                assert!(same(&v_level, &v), "{}", level.name());
                assert_eq!(at_level.0, labels, "{}", level.name());
                assert!(same(&at_level.1, &values), "{}", level.name());
            }
            for i in 0..n {
                let (label, best) = (labels[i], values[i]);
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
            }
        }
    }

    #[test]
    fn every_level_gives_the_portable_f32_numbers_and_nearest_centres() {
        for (n, d, k) in ODD_SHAPES {
            let mut x = filled(n, d, 4);
            let mut c = filled(k, d, 5);
            with_ties(&mut c);
            // Rows equal to tied centres, so the ties decide their labels.
            if n > 5 && k > 12 {
                let tied = c.row(3).to_owned();
                x.row_mut(5).assign(&tied);
                let tied = c.row(1).to_owned();
                x.row_mut(2).assign(&tied);
            }
            let packed = PackedCentres::new(c.view());
            let rows: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let mut labels = vec![0; n];
            let mut values = vec![0.0f32; n];
            let (zero, mut sq) = (vec![0.0; d], vec![0.0f32; n]);
            nearest_at(
                Level::Scalar,
                &rows,
                &zero,
                &packed,
                &mut labels,
                &mut values,
                &mut sq,
            );
            if n > 5 && k > 12 {
                // At distance 0 from both centres of a tie: the lower index.
                assert_eq!((labels[5], labels[2]), (3, 1));
            }
            for level in simd::supported() {
                let mut at_level = (vec![0; n], vec![0.0f32; n]);
                let (labels_at, values_at) = (&mut at_level.0, &mut at_level.1);
                nearest_at(level, &rows, &zero, &packed, labels_at, values_at, &mut sq);
                assert_eq!(at_level.0, labels, "{}", level.name());
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&at_level.1), bits(&values), "{}", level.name());
            }
            // Against direct f64 distances of the rounded values: the label
            // is a nearest centre up to f32 round-off.
            for i in 0..n {
                let direct: Vec<f64> = (0..k)
                    .map(|cc| {
                        (0..d)
                            .map(|j| {
                                let diff =
                                    f64::from(rows[i * d + j]) - f64::from(c[[cc, j]] as f32);
                                diff * diff
                            })
                            .sum()
                    })
                    .collect();
                let min = direct.iter().cloned().fold(f64::INFINITY, f64::min);
                assert!(direct[labels[i]] - min <= 1e-4 * (1.0 + min), "row {i}");
                let xx: f64 = (0..d).map(|j| f64::from(rows[i * d + j]).powi(2)).sum();
                approx::assert_abs_diff_eq!(
                    xx + f64::from(values[i]),
                    direct[labels[i]],
                    epsilon = 1e-3
                );
            }
            if n > 5 && k > 12 {
                assert_eq!(
                    (labels[5], values[5] + sq_norm::<f32>(&rows[5 * d..6 * d])),
                    (3, 0.0)
                );
            }
        }
    }

    /// The kernel centres rows as it loads them: at every level, rows as
    /// read with a shift give the labels, values and squared norms of the
    /// rows centred beforehand (here, by the test) with no shift, bit for bit.
    #[test]
    fn rows_centred_in_the_kernel_give_the_numbers_of_rows_centred_before() {
        fn check<T: Vectors + std::fmt::Debug>(
            raw: &[T],
            centred: &[T],
            shift: &[f64],
            c: &PackedCentres,
        ) {
            let (n, d) = (raw.len() / shift.len(), shift.len());
            let run = |level, rows: &[T], shift: &[f64]| {
                let mut out = (vec![0; n], vec![T::ZERO; n], vec![T::ZERO; n]);
                nearest_at(level, rows, shift, c, &mut out.0, &mut out.1, &mut out.2);
                let bits = |v: &[T]| {
                    v.iter()
                        .map(|&x| Into::<f64>::into(x).to_bits())
                        .collect::<Vec<_>>()
                };
                (out.0, bits(&out.1), bits(&out.2))
            };
            let before = run(Level::Scalar, centred, &vec![0.0; d]);
            let norms: Vec<u64> = centred
                .chunks(d)
                .map(|r| Into::<f64>::into(sq_norm::<T>(r)).to_bits())
                .collect();
            assert_eq!(before.2, norms);
            for level in simd::supported() {
                assert_eq!(run(level, raw, shift), before, "{}", level.name());
            }
        }
        for (n, d, k) in [
            (1, 1, 1),
            (37, 3, 5),
            (41, 16, 16),
            (29, 5, 17),
            (70, 67, 9),
        ] {
            let x = filled(n, d, 7);
            let shift: Vec<f64> = (0..d).map(|j| 100.0 + 0.37 * j as f64).collect();
            let raw: Vec<f64> = x
                .iter()
                .enumerate()
                .map(|(i, v)| v + shift[i % d])
                .collect();
            let centred: Vec<f64> = raw
                .iter()
                .enumerate()
                .map(|(i, v)| v - shift[i % d])
                .collect();
            let packed = PackedCentres::new(filled(k, d, 8).view());
            check(&raw, &centred, &shift, &packed);
            let raw32: Vec<f32> = raw.iter().map(|&v| v as f32).collect();
            let centred32: Vec<f32> = raw32
                .iter()
                .enumerate()
                .map(|(i, &v)| (f64::from(v) - shift[i % d]) as f32)
                .collect();
            check(&raw32, &centred32, &shift, &packed);
        }
    }

    #[test]
    fn squared_norms_at_every_level_are_the_index_order_sums() {
        for (n, d) in [(1, 1), (8, 3), (21, 16), (13, 5)] {
            let x = filled(n, d, 6);
            let rows = x.as_slice().unwrap();
            let expected: Vec<u64> = x
                .rows()
                .into_iter()
                .map(|r| sq_norm::<f64>(r).to_bits())
                .collect();
            for level in simd::supported() {
                let mut sq = vec![0.0; n];
                sq_norms_at(level, rows, d, &mut sq);
                let bits: Vec<u64> = sq.iter().map(|v| v.to_bits()).collect();
                assert_eq!(bits, expected, "{} n={n} d={d}", level.name());
                let rows32: Vec<f32> = rows.iter().map(|&v| v as f32).collect();
                let mut sq32 = vec![0.0f32; n];
                sq_norms_at(level, &rows32, d, &mut sq32);
                for (i, s) in sq32.iter().enumerate() {
                    let direct = sq_norm::<f32>(&rows32[i * d..(i + 1) * d]);
                    assert_eq!(
                        s.to_bits(),
                        direct.to_bits(),
                        "{} f32 row {i}",
                        level.name()
                    );
                }
            }
        }
    }

    #[test]
    fn a_row_is_at_exactly_zero_distance_from_itself() {
        let x = filled(9, 13, 3);
        let packed = PackedCentres::new(x.view());
        let mut v = vec![0.0; 81];
        all_centres(x.as_slice().unwrap(), &packed, &mut v);
        let mut labels = vec![0; 9];
        let mut values = vec![0.0; 9];
        nearest(x.as_slice().unwrap(), &packed, &mut labels, &mut values);
        for (i, row) in x.rows().into_iter().enumerate() {
            assert_eq!(sq_norm::<f64>(row) + v[i * 9 + i], 0.0);
            assert_eq!(sq_norm::<f64>(row) + values[i], 0.0);
            assert_eq!(labels[i], i);
        }
    }
}
