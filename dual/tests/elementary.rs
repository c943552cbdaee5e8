//! Each elementary function's dual derivative against its closed-form
//! derivative (written out here, independently of the crate) and against
//! divided differences, on generated points inside its domain.

use admix_dual::{DividedDifference, Dual, DualVec, Float, Scheme, Step};
use approx::relative_eq;
use proptest::prelude::*;

/// One function of one variable: the dual evaluation under test, the plain
/// `f64` evaluation, its closed-form derivative, and an interval inside its
/// domain where divided differences are well conditioned.
struct Case {
    name: &'static str,
    dual: fn(Dual<f64>) -> Dual<f64>,
    plain: fn(f64) -> f64,
    derivative: fn(f64) -> f64,
    domain: (f64, f64),
}

const LN2: f64 = std::f64::consts::LN_2;
const LN10: f64 = std::f64::consts::LN_10;

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "recip",
            dual: |x| x.recip(),
            plain: |x| 1.0 / x,
            derivative: |x| -1.0 / (x * x),
            domain: (0.1, 10.0),
        },
        Case {
            name: "sqrt",
            dual: |x| x.sqrt(),
            plain: f64::sqrt,
            derivative: |x| 0.5 / x.sqrt(),
            domain: (0.1, 100.0),
        },
        Case {
            name: "cbrt",
            dual: |x| x.cbrt(),
            plain: f64::cbrt,
            derivative: |x| x.abs().powf(-2.0 / 3.0) / 3.0,
            domain: (-50.0, -0.05),
        },
        Case {
            name: "exp",
            dual: |x| x.exp(),
            plain: f64::exp,
            derivative: f64::exp,
            domain: (-20.0, 20.0),
        },
        Case {
            name: "exp2",
            dual: |x| x.exp2(),
            plain: f64::exp2,
            derivative: |x| x.exp2() * LN2,
            domain: (-20.0, 20.0),
        },
        Case {
            name: "exp_m1",
            dual: |x| x.exp_m1(),
            plain: f64::exp_m1,
            derivative: f64::exp,
            domain: (-5.0, 5.0),
        },
        Case {
            name: "ln",
            dual: |x| x.ln(),
            plain: f64::ln,
            derivative: |x| 1.0 / x,
            domain: (0.05, 50.0),
        },
        Case {
            name: "ln_1p",
            dual: |x| x.ln_1p(),
            plain: f64::ln_1p,
            derivative: |x| 1.0 / (1.0 + x),
            domain: (-0.9, 50.0),
        },
        Case {
            name: "log2",
            dual: |x| x.log2(),
            plain: f64::log2,
            derivative: |x| 1.0 / (x * LN2),
            domain: (0.05, 50.0),
        },
        Case {
            name: "log10",
            dual: |x| x.log10(),
            plain: f64::log10,
            derivative: |x| 1.0 / (x * LN10),
            domain: (0.05, 50.0),
        },
        Case {
            name: "log base 3",
            dual: |x| x.log(Dual::from(3.0)),
            plain: |x| x.log(3.0),
            derivative: |x| 1.0 / (x * 3f64.ln()),
            domain: (0.05, 50.0),
        },
        Case {
            name: "sin",
            dual: |x| x.sin(),
            plain: f64::sin,
            derivative: f64::cos,
            domain: (-10.0, 10.0),
        },
        Case {
            name: "cos",
            dual: |x| x.cos(),
            plain: f64::cos,
            derivative: |x| -x.sin(),
            domain: (-10.0, 10.0),
        },
        Case {
            name: "tan",
            dual: |x| x.tan(),
            plain: f64::tan,
            derivative: |x| 1.0 / (x.cos() * x.cos()),
            domain: (-1.4, 1.4),
        },
        Case {
            name: "sin_cos.0",
            dual: |x| x.sin_cos().0,
            plain: f64::sin,
            derivative: f64::cos,
            domain: (-10.0, 10.0),
        },
        Case {
            name: "sin_cos.1",
            dual: |x| x.sin_cos().1,
            plain: f64::cos,
            derivative: |x| -x.sin(),
            domain: (-10.0, 10.0),
        },
        Case {
            name: "asin",
            dual: |x| x.asin(),
            plain: f64::asin,
            derivative: |x| 1.0 / (1.0 - x * x).sqrt(),
            domain: (-0.95, 0.95),
        },
        Case {
            name: "acos",
            dual: |x| x.acos(),
            plain: f64::acos,
            derivative: |x| -1.0 / (1.0 - x * x).sqrt(),
            domain: (-0.95, 0.95),
        },
        Case {
            name: "atan",
            dual: |x| x.atan(),
            plain: f64::atan,
            derivative: |x| 1.0 / (1.0 + x * x),
            domain: (-20.0, 20.0),
        },
        Case {
            name: "sinh",
            dual: |x| x.sinh(),
            plain: f64::sinh,
            derivative: f64::cosh,
            domain: (-10.0, 10.0),
        },
        Case {
            name: "cosh",
            dual: |x| x.cosh(),
            plain: f64::cosh,
            derivative: f64::sinh,
            domain: (-10.0, 10.0),
        },
        Case {
            name: "tanh",
            dual: |x| x.tanh(),
            plain: f64::tanh,
            derivative: |x| 1.0 / (x.cosh() * x.cosh()),
            domain: (-5.0, 5.0),
        },
        Case {
            name: "asinh",
            dual: |x| x.asinh(),
            plain: f64::asinh,
            derivative: |x| 1.0 / (x * x + 1.0).sqrt(),
            domain: (-20.0, 20.0),
        },
        Case {
            name: "acosh",
            dual: |x| x.acosh(),
            plain: f64::acosh,
            derivative: |x| 1.0 / (x * x - 1.0).sqrt(),
            domain: (1.05, 20.0),
        },
        Case {
            name: "atanh",
            dual: |x| x.atanh(),
            plain: f64::atanh,
            derivative: |x| 1.0 / (1.0 - x * x),
            domain: (-0.95, 0.95),
        },
        Case {
            name: "abs, x > 0",
            dual: |x| x.abs(),
            plain: f64::abs,
            derivative: |_| 1.0,
            domain: (0.01, 5.0),
        },
        Case {
            name: "abs, x < 0",
            dual: |x| x.abs(),
            plain: f64::abs,
            derivative: |_| -1.0,
            domain: (-5.0, -0.01),
        },
        Case {
            name: "powi 5",
            dual: |x| x.powi(5),
            plain: |x| x.powi(5),
            derivative: |x| 5.0 * x * x * x * x,
            domain: (-3.0, 3.0),
        },
        Case {
            name: "powi -3",
            dual: |x| x.powi(-3),
            plain: |x| x.powi(-3),
            derivative: |x| -3.0 / (x * x * x * x),
            domain: (0.2, 3.0),
        },
        Case {
            name: "powf 2.5",
            dual: |x| x.powf(Dual::from(2.5)),
            plain: |x| x.powf(2.5),
            derivative: |x| 2.5 * x.sqrt() * x,
            domain: (0.01, 10.0),
        },
        Case {
            name: "2^x by powf",
            dual: |x| Dual::from(2.0).powf(x),
            plain: |x| 2f64.powf(x),
            derivative: |x| 2f64.powf(x) * LN2,
            domain: (-10.0, 10.0),
        },
        Case {
            name: "x^x",
            dual: |x| x.powf(x),
            plain: |x| x.powf(x),
            derivative: |x| x.powf(x) * (x.ln() + 1.0),
            domain: (0.1, 5.0),
        },
        Case {
            name: "to_degrees",
            dual: |x| x.to_degrees(),
            plain: f64::to_degrees,
            derivative: |_| 180.0 / std::f64::consts::PI,
            domain: (-10.0, 10.0),
        },
        Case {
            name: "to_radians",
            dual: |x| x.to_radians(),
            plain: f64::to_radians,
            derivative: |_| std::f64::consts::PI / 180.0,
            domain: (-500.0, 500.0),
        },
        Case {
            name: "x % 0.7",
            dual: |x| x % 0.7,
            plain: |x| x % 0.7,
            derivative: |_| 1.0,
            domain: (0.01, 0.69),
        },
        Case {
            name: "fract",
            dual: |x| x.fract(),
            plain: f64::fract,
            derivative: |_| 1.0,
            domain: (2.01, 2.99),
        },
        Case {
            name: "floor",
            dual: |x| x.floor(),
            plain: f64::floor,
            derivative: |_| 0.0,
            domain: (2.01, 2.99),
        },
        Case {
            name: "signum",
            dual: |x| x.signum(),
            plain: f64::signum,
            derivative: |_| 0.0,
            domain: (0.1, 3.0),
        },
    ]
}

/// `x` at fraction `t` of the domain.
fn point(case: &Case, t: f64) -> f64 {
    let (lo, hi) = case.domain;
    lo + t * (hi - lo)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn dual_derivative_matches_the_closed_form(t in 0.0..=1.0_f64) {
        for case in cases() {
            let x = point(&case, t);
            let y = (case.dual)(Dual::variable(x));
            let expected = (case.derivative)(x);
            // Real parts are the plain function bit for bit.
            prop_assert_eq!(y.re.to_bits(), (case.plain)(x).to_bits(), "{} at {}", case.name, x);
            // Both sides round a few times in different orders.
            prop_assert!(
                relative_eq!(y.eps, expected, max_relative = 1e-12, epsilon = 1e-300),
                "{} at {}: dual {} vs closed form {}", case.name, x, y.eps, expected
            );
        }
    }

    #[test]
    fn dual_derivative_matches_divided_differences(t in 0.0..=1.0_f64) {
        // Relative accuracy of each scheme with the automatic step is about
        // eps^(p/(p+1)) times a factor from the higher derivatives:
        // ~4e-11 central, ~3e-13 five-point; the bounds leave room for the
        // steep ends of the domains.
        let central = DividedDifference::new(Scheme::Central, Step::Auto);
        let five_point = DividedDifference::new(Scheme::FivePoint, Step::Auto);
        for case in cases() {
            let x = point(&case, t);
            let y = (case.dual)(Dual::variable(x));
            let scale = y.eps.abs() + (case.plain)(x).abs().max(1.0);
            for (dd, bound) in [(central, 1e-5), (five_point, 1e-7)] {
                let (_, approx) = dd.derivative(case.plain, x).unwrap();
                prop_assert!(
                    (y.eps - approx).abs() <= bound * scale,
                    "{} at {} ({:?}): dual {} vs divided difference {}",
                    case.name, x, dd.scheme, y.eps, approx
                );
            }
        }
    }

    /// Any input, NaN and infinities included: no panic, and the value is
    /// exactly what the plain function gives (NaN where it gives NaN). The
    /// tangent is not checked: where the derivative is a constant (`x + 1`,
    /// `fract`) it stays finite even when the value is NaN.
    #[test]
    fn any_input_propagates_like_ieee(x in proptest::num::f64::ANY, n in any::<i32>()) {
        for case in cases() {
            let y = (case.dual)(Dual::variable(x));
            let plain = (case.plain)(x);
            prop_assert!(y.re.to_bits() == plain.to_bits() || (y.re.is_nan() && plain.is_nan()), "{} at {}", case.name, x);
        }
        let p = Dual::variable(x).powi(n);
        prop_assert!(p.re.to_bits() == x.powi(n).to_bits() || p.re.is_nan());
    }

    /// Two-argument functions: both partial derivatives in one pass.
    #[test]
    fn two_argument_functions_have_the_closed_form_partials(
        a in 0.2..5.0_f64,
        b in -3.0..3.0_f64,
        c in -2.0..2.0_f64,
    ) {
        let x = DualVec::<f64, 2>::variable(a, 0);
        let y = DualVec::<f64, 2>::variable(b, 1);
        let r2 = a * a + b * b;
        let checks: [(&str, DualVec<f64, 2>, [f64; 2]); 7] = [
            ("hypot", x.hypot(y), [a / r2.sqrt(), b / r2.sqrt()]),
            ("atan2(y, x)", y.atan2(x), [-b / r2, a / r2]),
            ("x^y", x.powf(y), [b * a.powf(b - 1.0), a.powf(b) * a.ln()]),
            ("log_x(y + 4)", (y + 4.0).log(x + 1.0), [
                -(b + 4.0).ln() / ((a + 1.0) * (a + 1.0).ln().powi(2)),
                1.0 / ((b + 4.0) * (a + 1.0).ln()),
            ]),
            ("mul_add", x.mul_add(y, x * c), [b + c, a]),
            ("x * y / (x + 1)", x * y / (x + 1.0), [b / ((a + 1.0) * (a + 1.0)), a / (a + 1.0)]),
            (
                "max(x, y) - min(x, y)",
                x.max(y) - x.min(y),
                if a > b { [1.0, -1.0] } else { [-1.0, 1.0] },
            ),
        ];
        for (name, value, expected) in checks {
            for (k, (&got, &want)) in value.eps.iter().zip(&expected).enumerate() {
                prop_assert!(
                    relative_eq!(got, want, max_relative = 1e-12, epsilon = 1e-14),
                    "{}, partial {} at ({}, {}): {} vs {}", name, k, a, b, got, want
                );
            }
        }
    }
}

#[test]
fn dual_f32_works_too() {
    let y = Dual::variable(0.5_f32).sin() * 2.0_f32;
    assert_eq!(y.re, 2.0 * 0.5_f32.sin());
    assert!((y.eps - 2.0 * 0.5_f32.cos()).abs() < 1e-6);
}
