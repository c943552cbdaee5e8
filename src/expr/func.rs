//! The elementary functions the expression language knows by name.

use admix_dual::Scalar;

/// A named elementary function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Func {
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Exp,
    Exp2,
    Expm1,
    Ln,
    Ln1p,
    Log2,
    Log10,
    Sqrt,
    Cbrt,
    Abs,
    Atan2,
    Hypot,
    Pow,
    Min,
    Max,
}

/// Every function with its name(s); the first name is the canonical one.
const TABLE: &[(Func, &[&str])] = &[
    (Func::Sin, &["sin"]),
    (Func::Cos, &["cos"]),
    (Func::Tan, &["tan"]),
    (Func::Asin, &["asin"]),
    (Func::Acos, &["acos"]),
    (Func::Atan, &["atan"]),
    (Func::Sinh, &["sinh"]),
    (Func::Cosh, &["cosh"]),
    (Func::Tanh, &["tanh"]),
    (Func::Asinh, &["asinh"]),
    (Func::Acosh, &["acosh"]),
    (Func::Atanh, &["atanh"]),
    (Func::Exp, &["exp"]),
    (Func::Exp2, &["exp2"]),
    (Func::Expm1, &["expm1", "exp_m1"]),
    (Func::Ln, &["ln", "log"]),
    (Func::Ln1p, &["ln1p", "log1p", "ln_1p"]),
    (Func::Log2, &["log2"]),
    (Func::Log10, &["log10"]),
    (Func::Sqrt, &["sqrt"]),
    (Func::Cbrt, &["cbrt"]),
    (Func::Abs, &["abs"]),
    (Func::Atan2, &["atan2"]),
    (Func::Hypot, &["hypot"]),
    (Func::Pow, &["pow"]),
    (Func::Min, &["min"]),
    (Func::Max, &["max"]),
];

impl Func {
    /// The function called `name`, if the language has it.
    pub fn from_name(name: &str) -> Option<Func> {
        TABLE
            .iter()
            .find(|(_, names)| names.contains(&name))
            .map(|(f, _)| *f)
    }

    /// The canonical name of every function.
    pub fn names() -> Vec<&'static str> {
        TABLE.iter().map(|(_, names)| names[0]).collect()
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        TABLE
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("?", |(_, names)| names[0])
    }

    /// How many arguments the function takes.
    pub fn arity(self) -> usize {
        match self {
            Func::Atan2 | Func::Hypot | Func::Pow | Func::Min | Func::Max => 2,
            _ => 1,
        }
    }

    /// Applies a one-argument function.
    pub(super) fn apply1<S: Scalar>(self, a: S) -> S {
        match self {
            Func::Sin => a.sin(),
            Func::Cos => a.cos(),
            Func::Tan => a.tan(),
            Func::Asin => a.asin(),
            Func::Acos => a.acos(),
            Func::Atan => a.atan(),
            Func::Sinh => a.sinh(),
            Func::Cosh => a.cosh(),
            Func::Tanh => a.tanh(),
            Func::Asinh => a.asinh(),
            Func::Acosh => a.acosh(),
            Func::Atanh => a.atanh(),
            Func::Exp => a.exp(),
            Func::Exp2 => a.exp2(),
            Func::Expm1 => a.exp_m1(),
            Func::Ln => a.ln(),
            Func::Ln1p => a.ln_1p(),
            Func::Log2 => a.log2(),
            Func::Log10 => a.log10(),
            Func::Sqrt => a.sqrt(),
            Func::Cbrt => a.cbrt(),
            Func::Abs => a.abs(),
            Func::Atan2 | Func::Hypot | Func::Pow | Func::Min | Func::Max => {
                unreachable!(
                    "two-argument function applied to one argument (arity is checked when parsing)"
                )
            }
        }
    }

    /// Applies a two-argument function.
    pub(super) fn apply2<S: Scalar>(self, a: S, b: S) -> S {
        match self {
            Func::Atan2 => a.atan2(b),
            Func::Hypot => a.hypot(b),
            Func::Pow => a.powf(b),
            Func::Min => a.min(b),
            Func::Max => a.max(b),
            _ => unreachable!(
                "one-argument function applied to two arguments (arity is checked when parsing)"
            ),
        }
    }
}
