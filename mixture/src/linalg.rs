//! Small dense linear algebra on row-major slices: the d x d matrices of one
//! mixture component, and a checked front end to `matrixmultiply`'s GEMM (in
//! `f64`, and in `f32` for `f32` data) for the tall-skinny products of the EM
//! passes. Cholesky factors and triangular inverses come from
//! [`admix_optim::linalg`].

/// A type `matrixmultiply` multiplies: `f64` (dgemm) or `f32` (sgemm).
pub(crate) trait Gemm: Copy + 'static {
    /// `matrixmultiply`'s GEMM for this type, arguments as its own.
    ///
    /// # Safety
    /// As `matrixmultiply::dgemm`: every index the strides form lies inside
    /// the buffers, and `c` does not alias `a` or `b`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn raw(
        dims: (usize, usize, usize),
        alpha: Self,
        a: (*const Self, isize, isize),
        b: (*const Self, isize, isize),
        beta: Self,
        c: (*mut Self, isize, isize),
    );
}

impl Gemm for f64 {
    unsafe fn raw(
        (m, k, n): (usize, usize, usize),
        alpha: f64,
        a: (*const f64, isize, isize),
        b: (*const f64, isize, isize),
        beta: f64,
        c: (*mut f64, isize, isize),
    ) {
        // SAFETY: passed on from the caller.
        unsafe {
            matrixmultiply::dgemm(
                m, k, n, alpha, a.0, a.1, a.2, b.0, b.1, b.2, beta, c.0, c.1, c.2,
            )
        }
    }
}

impl Gemm for f32 {
    unsafe fn raw(
        (m, k, n): (usize, usize, usize),
        alpha: f32,
        a: (*const f32, isize, isize),
        b: (*const f32, isize, isize),
        beta: f32,
        c: (*mut f32, isize, isize),
    ) {
        // SAFETY: passed on from the caller.
        unsafe {
            matrixmultiply::sgemm(
                m, k, n, alpha, a.0, a.1, a.2, b.0, b.1, b.2, beta, c.0, c.1, c.2,
            )
        }
    }
}

/// A matrix inside a slice: element (i, j) lives at `i * row + j * col`.
#[derive(Debug)]
pub(crate) struct Mat<'a, T = f64> {
    data: &'a [T],
    row: usize,
    col: usize,
}

impl<T> Clone for Mat<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Mat<'_, T> {}

impl<'a, T> Mat<'a, T> {
    /// Row-major storage with `cols` columns.
    pub fn rows(data: &'a [T], cols: usize) -> Self {
        Mat {
            data,
            row: cols,
            col: 1,
        }
    }

    /// The transpose of row-major storage with `cols` columns.
    pub fn transposed(data: &'a [T], cols: usize) -> Self {
        Mat {
            data,
            row: 1,
            col: cols,
        }
    }
}

/// Row-major storage with `cols` columns, written by [`gemm`].
#[derive(Debug)]
pub(crate) struct MatMut<'a, T = f64> {
    data: &'a mut [T],
    cols: usize,
}

impl<'a, T> MatMut<'a, T> {
    /// Row-major storage with `cols` columns.
    pub fn rows(data: &'a mut [T], cols: usize) -> Self {
        MatMut { data, cols }
    }
}

/// One past the largest index an `r x c` matrix with strides `(row, col)` touches.
fn extent(r: usize, c: usize, row: usize, col: usize) -> usize {
    if r == 0 || c == 0 {
        0
    } else {
        (r - 1) * row + (c - 1) * col + 1
    }
}

/// `c = alpha * a * b + beta * c` with `a` of shape (m, k), `b` (k, n), `c` (m, n).
///
/// # Panics
/// When a matrix reaches past the end of its slice (a programming error).
#[track_caller]
pub(crate) fn gemm<T: Gemm>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    assert!(
        extent(m, k, a.row, a.col) <= a.data.len(),
        "gemm: a too short"
    );
    assert!(
        extent(k, n, b.row, b.col) <= b.data.len(),
        "gemm: b too short"
    );
    assert!(extent(m, n, c.cols, 1) <= c.data.len(), "gemm: c too short");
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the asserts above keep every index matrixmultiply forms inside the
    // slices, and `c` is borrowed mutably so it cannot alias `a` or `b`.
    unsafe {
        T::raw(
            (m, k, n),
            alpha,
            (a.data.as_ptr(), a.row as isize, a.col as isize),
            (b.data.as_ptr(), b.row as isize, b.col as isize),
            beta,
            (c.data.as_mut_ptr(), c.cols as isize, 1),
        );
    }
}

/// Transpose of a square `d x d` row-major matrix.
pub(crate) fn transpose(a: &[f64], d: usize) -> Vec<f64> {
    let mut t = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            t[j * d + i] = a[i * d + j];
        }
    }
    t
}

/// `a * a^T` for a square `d x d` row-major matrix.
pub(crate) fn times_own_transpose(a: &[f64], d: usize) -> Vec<f64> {
    let mut out = vec![0.0; d * d];
    gemm(
        (d, d, d),
        1.0,
        Mat::rows(a, d),
        Mat::transposed(a, d),
        0.0,
        MatMut::rows(&mut out, d),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use admix_optim::linalg::cholesky;
    use approx::assert_relative_eq;

    #[test]
    fn gemm_with_transposed_operands_and_l_l_transpose() {
        let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let l = cholesky(&a, 3).unwrap();
        let back = times_own_transpose(&l, 3);
        for (x, y) in back.iter().zip(&a) {
            assert_relative_eq!(x, y, epsilon = 1e-14);
        }
        // (2 x 3) times the transpose of a (2 x 3): hand-computed products.
        let m = [1.0, 2.0, 3.0, -1.0, 0.5, 2.0];
        let mut c = vec![1.0; 4];
        gemm(
            (2, 3, 2),
            2.0,
            Mat::rows(&m, 3),
            Mat::transposed(&m, 3),
            1.0,
            MatMut::rows(&mut c, 2),
        );
        assert_eq!(c, vec![29.0, 13.0, 13.0, 11.5]);
        assert_eq!(transpose(&transpose(&a, 3), 3), a.to_vec());
    }
}
