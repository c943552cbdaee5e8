//! The lecture's Newton method, `x <- x - f(x) / f'(x)`, with `f'` from
//! forward-mode AD: one dual-number evaluation gives `f(x)` and `f'(x)`
//! together, exact to round-off, so the iteration converges quadratically
//! (the number of correct digits doubles each step) until round-off.
//!
//! Then a 2x2 system `F(x) = 0`, `x <- x - J(x)^-1 F(x)`, with the Jacobian
//! by forward mode, and both checked against `admix::optim::NewtonRoot`.
//!
//! Run with `cargo run --release -p admix --example newton`.

use admix::dual::{derivative, jacobian, Scalar, VectorFn};
use admix::optim::NewtonRoot;
use std::error::Error;

/// f(x) = x^3 - 2, written once for every number type; its root is the
/// cube root of 2.
fn f<S: Scalar>(x: S) -> S {
    x * x * x - S::constant(2.0)
}

/// x^2 + y^2 = 4 and x y = 1: with s = x + y and d = x - y, s^2 = 6 and
/// d^2 = 2, so one root is ((sqrt 6 + sqrt 2) / 2, (sqrt 6 - sqrt 2) / 2).
struct CircleHyperbola;

impl VectorFn for CircleHyperbola {
    fn eval<S: Scalar>(&self, v: &[S]) -> Vec<S> {
        let (x, y) = (v[0], v[1]);
        vec![x * x + y * y - S::constant(4.0), x * y - S::one()]
    }
}

fn scalar_equation() {
    let root = 2f64.cbrt();
    println!("Newton's method for x^3 - 2 = 0, f' by forward-mode AD");
    println!("root: 2^(1/3) = {root:.17}\n");
    println!(
        "{:>2}  {:>22}  {:>10}  {:>16}",
        "k", "x_k", "|e_k|", "|e_k| / e_(k-1)^2"
    );
    let mut x = 1.0_f64;
    let mut previous: Option<f64> = None;
    for k in 0..8 {
        let error = (x - root).abs();
        let ratio = previous.map_or(String::new(), |p: f64| {
            if error > 0.0 {
                format!("{:.4}", error / (p * p))
            } else {
                "(exact)".to_string()
            }
        });
        println!("{k:>2}  {x:>22.17}  {error:>10.3e}  {ratio:>16}");
        if error == 0.0 {
            break;
        }
        previous = Some(error);
        let (fx, dfx) = derivative(f, x);
        x -= fx / dfx;
    }
    println!(
        "the ratio tends to f''(r) / (2 f'(r)) = 1/r = {:.4}: quadratic convergence\n",
        1.0 / root
    );

    let report = NewtonRoot::new().find(f, 1.0);
    println!(
        "admix::optim::NewtonRoot: {:.17} after {} steps ({:?})\n",
        report.x[0], report.iterations, report.status
    );
}

/// Solves the 2x2 system `J dx = F` by Cramer's rule.
fn solve_2x2(j: &[Vec<f64>], f: &[f64]) -> [f64; 2] {
    let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
    [
        (f[0] * j[1][1] - j[0][1] * f[1]) / det,
        (j[0][0] * f[1] - f[0] * j[1][0]) / det,
    ]
}

fn system() -> Result<(), Box<dyn Error>> {
    let (s6, s2) = (6f64.sqrt(), 2f64.sqrt());
    let root = [(s6 + s2) / 2.0, (s6 - s2) / 2.0];
    println!("Newton's method for x^2 + y^2 = 4, x y = 1, J by forward-mode AD");
    println!("root: ({:.17}, {:.17})\n", root[0], root[1]);
    println!(
        "{:>2}  {:>20}  {:>20}  {:>10}  {:>10}",
        "k", "x_k", "y_k", "|F(x_k)|", "|e_k|"
    );
    let mut v = [2.0_f64, 0.0];
    for k in 0..8 {
        let (values, jac) = jacobian(|w| CircleHyperbola.eval(w), &v)?;
        let residual = values[0].hypot(values[1]);
        let error = (v[0] - root[0]).hypot(v[1] - root[1]);
        println!(
            "{k:>2}  {:>20.17}  {:>20.17}  {residual:>10.3e}  {error:>10.3e}",
            v[0], v[1]
        );
        if residual == 0.0 || error < 1e-15 {
            break;
        }
        let dx = solve_2x2(&jac, &values);
        v = [v[0] - dx[0], v[1] - dx[1]];
    }
    let report = NewtonRoot::new().find_system(&CircleHyperbola, &[2.0, 0.0])?;
    println!(
        "\nadmix::optim::NewtonRoot: ({:.17}, {:.17}) after {} steps ({:?})",
        report.x[0], report.x[1], report.iterations, report.status
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    scalar_equation();
    system()
}
