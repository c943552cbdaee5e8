//! The little dense linear algebra the solvers (and the mixtures of
//! `admix-mixture`) need, on slices.
//!
//! Matrices are row-major `n * n` slices. Sizes are the caller's
//! responsibility: the public functions panic on a slice shorter than `n * n`.

/// `a . b`.
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Euclidean norm, without overflow when the squares overflow but the
/// norm does not.
pub(crate) fn norm(a: &[f64]) -> f64 {
    let plain = dot(a, a);
    if plain.is_finite() {
        return plain.sqrt();
    }
    let scale = a.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    if !scale.is_finite() || scale == 0.0 {
        return scale;
    }
    scale * a.iter().map(|v| (v / scale).powi(2)).sum::<f64>().sqrt()
}

/// `y += alpha * x`.
pub(crate) fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// Euclidean distance between `a` and `b`.
pub(crate) fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Whether every entry is finite.
pub(crate) fn all_finite(a: &[f64]) -> bool {
    a.iter().all(|v| v.is_finite())
}

/// Cholesky factor `L` (lower, row-major) of the symmetric `a`, or `None`
/// when `a` is not (numerically) positive definite. Reads only the lower
/// triangle.
///
/// # Example
/// ```
/// let l = admix_optim::linalg::cholesky(&[4.0, 2.0, 2.0, 5.0], 2).unwrap();
/// assert_eq!(l, vec![2.0, 0.0, 1.0, 2.0]);
/// ```
///
/// # Panics
/// When `a` is shorter than `n * n`.
#[track_caller]
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= l[j * n + k] * l[j * n + k];
        }
        if !(d > 0.0 && d.is_finite()) {
            return None;
        }
        let d = d.sqrt();
        l[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            l[i * n + j] = s / d;
        }
    }
    Some(l)
}

/// Inverse of a lower-triangular `n x n` matrix with non-zero diagonal, by
/// forward substitution on the identity.
///
/// # Panics
/// When `l` is shorter than `n * n`.
#[track_caller]
pub fn invert_lower(l: &[f64], n: usize) -> Vec<f64> {
    let mut inv = vec![0.0; n * n];
    for col in 0..n {
        for i in col..n {
            let mut s = if i == col { 1.0 } else { 0.0 };
            for p in col..i {
                s -= l[i * n + p] * inv[p * n + col];
            }
            inv[i * n + col] = s / l[i * n + i];
        }
    }
    inv
}

/// Inverse of a symmetric positive definite matrix by its Cholesky factor,
/// `A^-1 = L^-T L^-1`; `None` when `a` is not positive definite.
///
/// # Panics
/// When `a` is shorter than `n * n`.
#[track_caller]
pub fn invert_spd(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let inv_l = invert_lower(&cholesky(a, n)?, n);
    let mut inv = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            // (L^-T L^-1)_ij = sum over p >= max(i, j) of inv_l[p][i] inv_l[p][j].
            inv[i * n + j] = (i.max(j)..n)
                .map(|p| inv_l[p * n + i] * inv_l[p * n + j])
                .sum();
        }
    }
    Some(inv)
}

/// Solves `L L^T x = b` in place, given the Cholesky factor `L`.
pub(crate) fn cholesky_solve(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Cholesky factor of `a + tau I` with the smallest `tau` of the sequence
/// `0, beta, 2 beta, 4 beta, ...` (`beta = 1e-3 * max |a_ii|`, at least
/// 1e-8) that makes it positive definite, and that `tau`.
///
/// ```text
/// tau_0 = 0 if min a_ii > 0, else beta - min a_ii;  tau_{k+1} = max(2 tau_k, beta)
/// ```
///
/// # Reference
/// Nocedal and Wright, Numerical Optimization (2nd ed.), Algorithm 3.3
/// (Cholesky with added multiple of the identity).
pub(crate) fn modified_cholesky(a: &[f64], n: usize) -> Option<(Vec<f64>, f64)> {
    let diag = (0..n).map(|i| a[i * n + i]);
    let min_diag = diag.clone().fold(f64::INFINITY, f64::min);
    let beta = (1e-3 * diag.map(f64::abs).fold(0.0, f64::max)).max(1e-8);
    let mut tau = if min_diag > 0.0 { 0.0 } else { beta - min_diag };
    let mut shifted = a.to_vec();
    // Doubling from beta reaches any finite shift well within 200 tries.
    for _ in 0..200 {
        for i in 0..n {
            shifted[i * n + i] = a[i * n + i] + tau;
        }
        if let Some(l) = cholesky(&shifted, n) {
            return Some((l, tau));
        }
        tau = (2.0 * tau).max(beta);
    }
    None
}

/// Solves `a x = b` by LU decomposition with partial pivoting; `None` when
/// `a` is singular to working precision (a zero or non-finite pivot, or a
/// pivot below `n * eps` times the largest entry).
pub(crate) fn lu_solve(a: &[f64], n: usize, b: &[f64]) -> Option<Vec<f64>> {
    let mut m = a.to_vec();
    let mut x = b.to_vec();
    let scale = m.iter().fold(0.0_f64, |acc, v| acc.max(v.abs()));
    let tiny = scale * n as f64 * f64::EPSILON;
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| m[i * n + col].abs().total_cmp(&m[j * n + col].abs()))
            .unwrap_or(col);
        let p = m[pivot * n + col];
        if !(p.abs() > tiny && p.is_finite()) {
            return None;
        }
        if pivot != col {
            for k in 0..n {
                m.swap(col * n + k, pivot * n + k);
            }
            x.swap(col, pivot);
        }
        for row in col + 1..n {
            let factor = m[row * n + col] / p;
            if factor != 0.0 {
                for k in col..n {
                    m[row * n + k] -= factor * m[col * n + k];
                }
                x[row] -= factor * x[col];
            }
        }
    }
    for row in (0..n).rev() {
        let mut s = x[row];
        for k in row + 1..n {
            s -= m[row * n + k] * x[k];
        }
        x[row] = s / m[row * n + row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// `a * x` for a row-major square `a` (the slow obvious way).
    fn matvec(a: &[f64], x: &[f64]) -> Vec<f64> {
        let n = x.len();
        (0..n).map(|i| dot(&a[i * n..(i + 1) * n], x)).collect()
    }

    #[test]
    fn norm_survives_overflowing_squares() {
        assert_eq!(norm(&[3.0, 4.0]), 5.0);
        assert_relative_eq!(norm(&[3e200, 4e200]), 5e200, max_relative = 1e-15);
        assert!(norm(&[f64::NAN, 1.0]).is_nan());
        assert_eq!(norm(&[f64::INFINITY, 1.0]), f64::INFINITY);
    }

    #[test]
    fn cholesky_reproduces_a_known_factor() {
        // A = L L^T with L = [[2,0,0],[1,3,0],[-1,2,1]] chosen by hand.
        let a = [4.0, 2.0, -2.0, 2.0, 10.0, 5.0, -2.0, 5.0, 6.0];
        let l = cholesky(&a, 3).unwrap();
        let expected = [2.0, 0.0, 0.0, 1.0, 3.0, 0.0, -1.0, 2.0, 1.0];
        for (x, y) in l.iter().zip(expected) {
            assert_relative_eq!(*x, y, epsilon = 1e-14);
        }
        let mut b = vec![1.0, 2.0, 3.0];
        cholesky_solve(&l, 3, &mut b);
        let back = matvec(&a, &b);
        for (x, y) in back.iter().zip([1.0, 2.0, 3.0]) {
            assert_relative_eq!(*x, y, epsilon = 1e-13);
        }
    }

    #[test]
    fn inverses_multiply_back_to_the_identity() {
        let a = [4.0, 2.0, -2.0, 2.0, 10.0, 5.0, -2.0, 5.0, 6.0];
        let l = cholesky(&a, 3).unwrap();
        let inv_l = invert_lower(&l, 3);
        let inv = invert_spd(&a, 3).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let id = f64::from(u8::from(i == j));
                let ll: f64 = (0..3).map(|p| l[i * 3 + p] * inv_l[p * 3 + j]).sum();
                let aa: f64 = (0..3).map(|p| a[i * 3 + p] * inv[p * 3 + j]).sum();
                assert_relative_eq!(ll, id, epsilon = 1e-14);
                assert_relative_eq!(aa, id, epsilon = 1e-13);
                assert_eq!(inv[i * 3 + j], inv[j * 3 + i]);
            }
        }
        assert!(invert_spd(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }

    #[test]
    fn indefinite_matrices_are_shifted_to_positive_definite() {
        // Eigenvalues 3 and -1.
        let a = [1.0, 2.0, 2.0, 1.0];
        assert!(cholesky(&a, 2).is_none());
        let (_, tau) = modified_cholesky(&a, 2).unwrap();
        assert!(
            tau > 1.0,
            "the shift must exceed the most negative eigenvalue"
        );
        let (_, tau0) = modified_cholesky(&[2.0, 0.0, 0.0, 3.0], 2).unwrap();
        assert_eq!(tau0, 0.0);
    }

    #[test]
    fn lu_solves_with_pivoting_and_reports_singularity() {
        // A zero leading entry forces a row swap.
        let a = [0.0, 1.0, 2.0, 1.0, 1.0, 0.0, 3.0, 0.0, 1.0];
        let x_true = [1.0, -2.0, 0.5];
        let b = matvec(&a, &x_true);
        let x = lu_solve(&a, 3, &b).unwrap();
        for (u, v) in x.iter().zip(x_true) {
            assert_relative_eq!(*u, v, epsilon = 1e-14);
        }
        assert!(lu_solve(&[1.0, 2.0, 2.0, 4.0], 2, &[1.0, 1.0]).is_none());
    }
}
