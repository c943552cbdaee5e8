//! User-defined array operations with their own adjoint rule.

use crate::TapeError;
use ndarray::{ArrayD, ArrayViewD};

/// An operation with a hand-written forward and adjoint (vector-Jacobian
/// product), recorded as one step by [`Tape::custom`](crate::Tape::custom),
/// in the spirit of JAX's `custom_vjp`: fuse many elementary operations
/// into one pass, or supply a more stable derivative.
///
/// `Send` keeps a `Tape<f64>` movable to another thread.
///
/// `backward` receives the inputs, the output and the adjoint of the output
/// (same shape as the output), and returns for every input `i` with
/// `wanted[i]` its adjoint contribution, of the input's shape (`None` when
/// not wanted). An operation that needs intermediates of `forward` in
/// `backward` may recompute them or keep them in a `RefCell` of its own.
///
/// # Example
/// A fused Gaussian log-density of the rows of `x` for mean `mu` and
/// standard deviation `sigma` (a scalar), with its gradient with respect
/// to `mu` and `sigma`:
///
/// ```text
/// l_i = -|x_i - mu|^2 / (2 s^2) - d ln s - d/2 ln(2 pi)
/// dl_i/dmu = (x_i - mu) / s^2      dl_i/ds = |x_i - mu|^2 / s^3 - d / s
/// ```
/// ```
/// use admix_tape::{CustomOp, Tape, TapeError};
/// use ndarray::{array, arr0, ArrayD, ArrayViewD, Axis, Ix2};
///
/// struct GaussLogDensity;
///
/// impl CustomOp for GaussLogDensity {
///     fn name(&self) -> &str {
///         "gauss_log_density"
///     }
///     fn forward(&self, inputs: &[ArrayViewD<'_, f64>]) -> Result<ArrayD<f64>, TapeError> {
///         let (x, mu, s) = (&inputs[0], &inputs[1], inputs[2].sum());
///         if x.ndim() != 2 || mu.len() != x.shape()[1] {
///             return Err(TapeError::Custom {
///                 name: self.name().into(),
///                 message: "pass x (n x d), mu (d) and sigma (a scalar)".into(),
///             });
///         }
///         let d = mu.len() as f64;
///         let c = -d * s.ln() - 0.5 * d * (2.0 * std::f64::consts::PI).ln();
///         let sq = (x - mu).mapv(|r| r * r).sum_axis(Axis(1));
///         Ok(sq.mapv(|q| c - 0.5 * q / (s * s)))
///     }
///     fn backward(
///         &self,
///         inputs: &[ArrayViewD<'_, f64>],
///         _output: ArrayViewD<'_, f64>,
///         adjoint: ArrayViewD<'_, f64>,
///         wanted: &[bool],
///     ) -> Vec<Option<ArrayD<f64>>> {
///         let (x, mu, s) = (&inputs[0], &inputs[1], inputs[2].sum());
///         let d = mu.len() as f64;
///         let r = (x - mu).into_dimensionality::<Ix2>().expect("checked in forward");
///         let g = adjoint.into_dimensionality::<ndarray::Ix1>().expect("one per row");
///         let sq = r.mapv(|r| r * r).sum_axis(Axis(1));
///         let dmu = r.t().dot(&g) / (s * s);
///         let ds = g.iter().zip(&sq).map(|(g, q)| g * (q / s.powi(3) - d / s)).sum::<f64>();
///         vec![
///             None, // the data x is not differentiated
///             wanted[1].then(|| dmu.into_dyn()),
///             wanted[2].then(|| arr0(ds).into_dyn()),
///         ]
///     }
/// }
///
/// # fn main() -> Result<(), TapeError> {
/// let tape = Tape::new();
/// let x = tape.array_const(array![[1.0, 2.0], [0.0, -1.0]]);
/// let mu = tape.array_var(array![0.5, 0.5]);
/// let sigma = tape.array_var(arr0(2.0));
/// let loglik = tape.custom(GaussLogDensity, &[x, mu, sigma])?.sum().to_scalar()?;
/// let g = tape.gradient(loglik);
/// // d/dmu sum_i l_i = sum_i (x_i - mu) / s^2 = [(0.5 - 0.5), (1.5 - 1.5)] / 4
/// assert!(g.wrt_array(mu).iter().all(|v| v.abs() < 1e-12));
/// # Ok(())
/// # }
/// ```
pub trait CustomOp: Send + 'static {
    /// A short name, for error messages and debugging.
    fn name(&self) -> &str;

    /// The output computed from the input values.
    ///
    /// # Errors
    /// Return [`TapeError::Custom`] (or a shape error) for inputs the
    /// operation cannot take; it is reported when the operation is recorded.
    fn forward(&self, inputs: &[ArrayViewD<'_, f64>]) -> Result<ArrayD<f64>, TapeError>;

    /// The adjoint of each wanted input, given the adjoint of the output.
    fn backward(
        &self,
        inputs: &[ArrayViewD<'_, f64>],
        output: ArrayViewD<'_, f64>,
        adjoint: ArrayViewD<'_, f64>,
        wanted: &[bool],
    ) -> Vec<Option<ArrayD<f64>>>;
}
