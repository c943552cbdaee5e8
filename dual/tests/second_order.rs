//! Nested duals against closed-form second derivatives, and `hessian`
//! against known Hessians (Rosenbrock, a quadratic form).

use admix_dual::{hessian, second_derivative, Dual, Float, Scalar};
use approx::{assert_relative_eq, relative_eq};
use proptest::prelude::*;

type D2 = Dual<Dual<f64>>;

/// A function on nested duals, its closed-form second derivative, a domain.
struct Case {
    name: &'static str,
    f: fn(D2) -> D2,
    second: fn(f64) -> f64,
    domain: (f64, f64),
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "sin",
            f: |x| x.sin(),
            second: |x| -x.sin(),
            domain: (-5.0, 5.0),
        },
        Case {
            name: "exp",
            f: |x| x.exp(),
            second: f64::exp,
            domain: (-10.0, 10.0),
        },
        Case {
            name: "ln",
            f: |x| x.ln(),
            second: |x| -1.0 / (x * x),
            domain: (0.1, 10.0),
        },
        Case {
            name: "sqrt",
            f: |x| x.sqrt(),
            second: |x| -0.25 * x.powf(-1.5),
            domain: (0.1, 10.0),
        },
        Case {
            name: "cbrt",
            f: |x| x.cbrt(),
            second: |x| -2.0 / 9.0 * x.powf(-5.0 / 3.0),
            domain: (0.1, 10.0),
        },
        Case {
            name: "recip",
            f: |x| x.recip(),
            second: |x| 2.0 / (x * x * x),
            domain: (0.2, 5.0),
        },
        Case {
            name: "tan",
            f: |x| x.tan(),
            second: |x| 2.0 * x.tan() / (x.cos() * x.cos()),
            domain: (-1.3, 1.3),
        },
        Case {
            name: "atan",
            f: |x| x.atan(),
            second: |x| -2.0 * x / (1.0 + x * x).powi(2),
            domain: (-5.0, 5.0),
        },
        Case {
            name: "asin",
            f: |x| x.asin(),
            second: |x| x / (1.0 - x * x).powf(1.5),
            domain: (-0.9, 0.9),
        },
        Case {
            name: "tanh",
            f: |x| x.tanh(),
            second: |x| -2.0 * x.tanh() / x.cosh().powi(2),
            domain: (-4.0, 4.0),
        },
        Case {
            name: "asinh",
            f: |x| x.asinh(),
            second: |x| -x / (x * x + 1.0).powf(1.5),
            domain: (-5.0, 5.0),
        },
        Case {
            name: "acosh",
            f: |x| x.acosh(),
            second: |x| -x / (x * x - 1.0).powf(1.5),
            domain: (1.1, 5.0),
        },
        Case {
            name: "atanh",
            f: |x| x.atanh(),
            second: |x| 2.0 * x / (1.0 - x * x).powi(2),
            domain: (-0.9, 0.9),
        },
        Case {
            name: "powi 5",
            f: |x| x.powi(5),
            second: |x| 20.0 * x * x * x,
            domain: (-2.0, 2.0),
        },
        Case {
            name: "powf 2.5",
            f: |x| x.powf(D2::constant(2.5)),
            second: |x| 3.75 * x.sqrt(),
            domain: (0.1, 5.0),
        },
        Case {
            name: "x^x",
            f: |x| x.powf(x),
            second: |x| x.powf(x) * ((x.ln() + 1.0).powi(2) + 1.0 / x),
            domain: (0.2, 3.0),
        },
        Case {
            name: "log2",
            f: |x| x.log2(),
            second: |x| -1.0 / (x * x * std::f64::consts::LN_2),
            domain: (0.1, 10.0),
        },
        Case {
            name: "exp2",
            f: |x| x.exp2(),
            second: |x| x.exp2() * std::f64::consts::LN_2.powi(2),
            domain: (-5.0, 5.0),
        },
        Case {
            name: "x / (1 + x^2)",
            f: |x| x / (D2::constant(1.0) + x * x),
            second: |x| 2.0 * x * (x * x - 3.0) / (1.0 + x * x).powi(3),
            domain: (-3.0, 3.0),
        },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn nested_duals_give_the_closed_form_second_derivative(t in 0.0..=1.0_f64) {
        for case in cases() {
            let x = case.domain.0 + t * (case.domain.1 - case.domain.0);
            let (_, _, d2) = second_derivative(case.f, x);
            let expected = (case.second)(x);
            prop_assert!(
                relative_eq!(d2, expected, max_relative = 1e-11, epsilon = 1e-12),
                "{} at {}: {} vs {}", case.name, x, d2, expected
            );
        }
    }

    #[test]
    fn hessian_of_rosenbrock(x in prop::collection::vec(-2.0..2.0_f64, 2..7)) {
        let (value, grad, hess) = hessian(rosenbrock, &x);
        prop_assert_eq!(value, rosenbrock(&x));
        let (expected_grad, expected_hess) = rosenbrock_derivatives(&x);
        for i in 0..x.len() {
            prop_assert!(relative_eq!(grad[i], expected_grad[i], max_relative = 1e-12, epsilon = 1e-12));
            for j in 0..x.len() {
                prop_assert!(
                    relative_eq!(hess[i][j], expected_hess[i][j], max_relative = 1e-12, epsilon = 1e-12),
                    "H[{}][{}] = {} vs {}", i, j, hess[i][j], expected_hess[i][j]
                );
            }
        }
    }

    #[test]
    fn hessian_of_a_quadratic_form_is_its_matrix(
        entries in prop::collection::vec(-3.0..3.0_f64, 16),
        b in prop::collection::vec(-3.0..3.0_f64, 4),
        x in prop::collection::vec(-3.0..3.0_f64, 4),
    ) {
        // A = M + M^T is symmetric; f = x^T A x / 2 + b^T x has Hessian A.
        let a: Vec<Vec<f64>> = (0..4)
            .map(|i| (0..4).map(|j| entries[4 * i + j] + entries[4 * j + i]).collect())
            .collect();
        let f = |x: &[D2]| {
            let mut sum = D2::constant(0.0);
            for i in 0..4 {
                sum += x[i] * D2::constant(b[i]);
                for j in 0..4 {
                    sum += x[i] * x[j] * D2::constant(a[i][j] * 0.5);
                }
            }
            sum
        };
        let (_, grad, hess) = hessian(f, &x);
        for i in 0..4 {
            let expected: f64 = b[i] + (0..4).map(|j| a[i][j] * x[j]).sum::<f64>();
            prop_assert!(relative_eq!(grad[i], expected, max_relative = 1e-12, epsilon = 1e-12));
            for j in 0..4 {
                // Each entry sums a_ij / 2 twice (i != j) or 2 a_ii / 2: exact.
                prop_assert_eq!(hess[i][j], a[i][j]);
            }
        }
    }
}

fn rosenbrock<S: Scalar>(x: &[S]) -> S {
    let hundred = S::constant(100.0);
    x.windows(2)
        .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (S::one() - w[0]).powi(2))
        .sum()
}

/// Gradient and Hessian of Rosenbrock's function, differentiated by hand:
/// each term 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2 contributes
/// d/dx_i = -400 x_i (x_{i+1} - x_i^2) - 2 (1 - x_i), d/dx_{i+1} = 200 (x_{i+1} - x_i^2),
/// d2/dx_i^2 = 1200 x_i^2 - 400 x_{i+1} + 2, d2/dx_i dx_{i+1} = -400 x_i,
/// d2/dx_{i+1}^2 = 200.
fn rosenbrock_derivatives(x: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut h = vec![vec![0.0; n]; n];
    for i in 0..n - 1 {
        let r = x[i + 1] - x[i] * x[i];
        g[i] += -400.0 * x[i] * r - 2.0 * (1.0 - x[i]);
        g[i + 1] += 200.0 * r;
        h[i][i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        h[i][i + 1] += -400.0 * x[i];
        h[i + 1][i] += -400.0 * x[i];
        h[i + 1][i + 1] += 200.0;
    }
    (g, h)
}

#[test]
fn rosenbrock_hessian_at_the_minimum() {
    // At (1, 1): H = [[802, -400], [-400, 200]].
    let (value, grad, hess) = hessian(rosenbrock, &[1.0, 1.0]);
    assert_eq!(value, 0.0);
    assert_eq!(grad, vec![0.0, 0.0]);
    assert_relative_eq!(hess[0][0], 802.0);
    assert_eq!(hess[0][1], -400.0);
    assert_eq!(hess[1][1], 200.0);
}
