//! Small dense linear algebra on row-major slices: the d x d matrices of one
//! mixture component, and a checked front end to `matrixmultiply`'s GEMM for the
//! tall-skinny products of the EM passes.

/// A matrix inside a slice: element (i, j) lives at `i * row + j * col`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mat<'a> {
    data: &'a [f64],
    row: usize,
    col: usize,
}

impl<'a> Mat<'a> {
    /// Row-major storage with `cols` columns.
    pub fn rows(data: &'a [f64], cols: usize) -> Self {
        Mat {
            data,
            row: cols,
            col: 1,
        }
    }

    /// The transpose of row-major storage with `cols` columns.
    pub fn transposed(data: &'a [f64], cols: usize) -> Self {
        Mat {
            data,
            row: 1,
            col: cols,
        }
    }
}

/// Row-major storage with `cols` columns, written by [`gemm`].
#[derive(Debug)]
pub(crate) struct MatMut<'a> {
    data: &'a mut [f64],
    cols: usize,
}

impl<'a> MatMut<'a> {
    /// Row-major storage with `cols` columns.
    pub fn rows(data: &'a mut [f64], cols: usize) -> Self {
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
pub(crate) fn gemm(
    (m, k, n): (usize, usize, usize),
    alpha: f64,
    a: Mat<'_>,
    b: Mat<'_>,
    beta: f64,
    c: MatMut<'_>,
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
        matrixmultiply::dgemm(
            m,
            k,
            n,
            alpha,
            a.data.as_ptr(),
            a.row as isize,
            a.col as isize,
            b.data.as_ptr(),
            b.row as isize,
            b.col as isize,
            beta,
            c.data.as_mut_ptr(),
            c.cols as isize,
            1,
        );
    }
}

/// Cholesky factor `L` (lower, row-major) of the symmetric `d x d` matrix `a`,
/// reading only its lower triangle; `None` when `a` is not positive definite.
pub(crate) fn cholesky(a: &[f64], d: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let mut s = a[i * d + j];
            for p in 0..j {
                s -= l[i * d + p] * l[j * d + p];
            }
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i * d + i] = s.sqrt();
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
    }
    Some(l)
}

/// Inverse of a lower-triangular `d x d` matrix with non-zero diagonal, by
/// forward substitution on the identity.
pub(crate) fn invert_lower(l: &[f64], d: usize) -> Vec<f64> {
    let mut inv = vec![0.0; d * d];
    for col in 0..d {
        for i in col..d {
            let mut s = if i == col { 1.0 } else { 0.0 };
            for p in col..i {
                s -= l[i * d + p] * inv[p * d + col];
            }
            inv[i * d + col] = s / l[i * d + i];
        }
    }
    inv
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
    use approx::assert_relative_eq;

    #[test]
    fn cholesky_reproduces_the_matrix_and_inverse_is_inverse() {
        let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let l = cholesky(&a, 3).unwrap();
        let back = times_own_transpose(&l, 3);
        for (x, y) in back.iter().zip(&a) {
            assert_relative_eq!(x, y, epsilon = 1e-14);
        }
        let inv = invert_lower(&l, 3);
        let mut id = vec![0.0; 9];
        gemm(
            (3, 3, 3),
            1.0,
            Mat::rows(&l, 3),
            Mat::rows(&inv, 3),
            0.0,
            MatMut::rows(&mut id, 3),
        );
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert_relative_eq!(id[i * 3 + j], want, epsilon = 1e-14);
            }
        }
        assert_eq!(transpose(&transpose(&a, 3), 3), a.to_vec());
    }

    #[test]
    fn cholesky_rejects_indefinite_and_nan() {
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
        assert!(cholesky(&[f64::NAN], 1).is_none());
        assert!(cholesky(&[0.0], 1).is_none());
    }
}
