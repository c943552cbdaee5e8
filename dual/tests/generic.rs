//! Generic code run on `f64` and on every dual type gives real parts that
//! are bitwise identical: the dual types add derivatives, never change values.

use admix_dual::{
    directional_derivative, gradient, hessian, jacobian, DividedDifference, Dual, DualVec, Scalar,
};
use approx::relative_eq;
use proptest::prelude::*;

/// A 4-D Gaussian-like log-density with a bit of everything: sums,
/// products, quotients, powers, transcendental functions, max, mul_add.
fn mixed<S: Scalar>(x: &[S]) -> S {
    let half = S::constant(0.5);
    let quad: S = x.iter().map(|&xi| xi * xi * half).sum();
    let prod: S = x.iter().map(|&xi| S::one() + xi.abs()).product();
    let trig = x[0].sin() * x[1].cos() + x[2].atan2(x[3]) - x[3].tanh();
    let logs = (S::one() + x[1] * x[1]).ln() + x[0].exp_m1() / (S::constant(2.0) + x[2].cos());
    let powers = (S::constant(1.5) + x[0].sin()).powf(x[1]) + x[2].hypot(x[3]).sqrt().cbrt();
    let misc = x[0].mul_add(x[1], x[2]).max(x[3]) + x[1].powi(3) / (S::one() + x[0].exp());
    let scaled = x[2].sin().scale(-2.5) + x[3].scale(1e-3);
    -quad - prod.ln() + trig + logs + powers + misc + scaled + S::FRAC_PI_4().to_degrees()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn real_parts_are_bitwise_equal(x in prop::collection::vec(-3.0..3.0_f64, 4)) {
        let plain = mixed(&x).to_bits();
        let dual: Vec<Dual<f64>> = x.iter().map(|&xi| Dual::variable(xi)).collect();
        prop_assert_eq!(mixed(&dual).re.to_bits(), plain);
        let vec: Vec<DualVec<f64, 3>> = x.iter().enumerate().map(|(i, &xi)| DualVec::variable(xi, i)).collect();
        prop_assert_eq!(mixed(&vec).re.to_bits(), plain);
        let nested: Vec<Dual<Dual<f64>>> = x
            .iter()
            .map(|&xi| Dual::new(Dual::variable(xi), Dual::variable(1.0)))
            .collect();
        prop_assert_eq!(mixed(&nested).re.re.to_bits(), plain);
        prop_assert_eq!(gradient(mixed, &x).0.to_bits(), plain);
        prop_assert_eq!(hessian(mixed, &x).0.to_bits(), plain);
        prop_assert_eq!(jacobian(|x| vec![mixed(x)], &x).unwrap().0[0].to_bits(), plain);
        let single: Vec<f32> = x.iter().map(|&xi| xi as f32).collect();
        let single_dual: Vec<Dual<f32>> = single.iter().map(|&xi| Dual::variable(xi)).collect();
        prop_assert_eq!(mixed(&single_dual).re.to_bits(), mixed(&single).to_bits());
    }

    /// The gradient sources an optimiser can swap: vector duals, one scalar
    /// dual per direction, nested duals, and central differences.
    #[test]
    fn gradient_sources_agree(x in prop::collection::vec(-2.0..2.0_f64, 4)) {
        // Keep divided-difference steps off the kinks of max() and abs().
        prop_assume!((x[0].mul_add(x[1], x[2]) - x[3]).abs() > 1e-3);
        prop_assume!(x.iter().all(|xi| xi.abs() > 1e-3));
        let (_, grad) = gradient(mixed, &x);
        let (_, hess_grad, _) = hessian(mixed, &x);
        let (_, approx) = DividedDifference::default().gradient(mixed, &x).unwrap();
        for i in 0..4 {
            let e: Vec<f64> = (0..4).map(|j| if i == j { 1.0 } else { 0.0 }).collect();
            let (_, along) = directional_derivative(mixed, &x, &e).unwrap();
            prop_assert!(relative_eq!(grad[i], along, max_relative = 1e-12, epsilon = 1e-12));
            prop_assert!(relative_eq!(grad[i], hess_grad[i], max_relative = 1e-12, epsilon = 1e-12));
            // Central differences: ~1e-10 relative on this smooth function.
            prop_assert!((grad[i] - approx[i]).abs() <= 1e-6 * (1.0 + grad[i].abs()));
        }
    }

    /// `scale(c)` multiplies every part by `c` (the closed form of the
    /// product with a constant), on every type.
    #[test]
    fn scale_is_a_product_with_a_constant(x in -1e3..1e3_f64, t in -10.0..10.0_f64, c in -1e3..1e3_f64) {
        prop_assert_eq!(x.scale(c).to_bits(), (c * x).to_bits());
        prop_assert_eq!((x as f32).scale(c).to_bits(), (c as f32 * x as f32).to_bits());
        let d = Dual::new(x, t).scale(c);
        prop_assert_eq!((d.re, d.eps), (c * x, c * t));
        let v = DualVec::<f64, 2>::new(x, [t, -t]).scale(c);
        prop_assert_eq!((v.re, v.eps), (c * x, [c * t, c * -t]));
        let n = Dual::new(Dual::new(x, t), Dual::new(-t, x)).scale(c);
        prop_assert_eq!((n.re.re, n.re.eps, n.eps.re, n.eps.eps), (c * x, c * t, c * -t, c * x));
    }
}
