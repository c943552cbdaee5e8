//! A small expression language for `admix diff`: numbers, variables,
//! `+ - * / ^`, unary minus, parentheses and the elementary functions.
//!
//! An expression is parsed straight into its evaluation trace (the Wengert
//! list of the lecture: `w1 = x`, `w2 = y`, `w3 = w1*w2`, `w4 = sin(w1)`, ...)
//! and evaluated generically, so forward mode, reverse mode and divided
//! differences all run the very same program.
//!
//! # Example
//! ```
//! use admix::expr::Expr;
//!
//! let f = Expr::parse("x^2 * sin(y) + 1", &["x", "y"])?;
//! let value: f64 = f.eval_at(&[3.0, 0.5]);
//! assert!((value - (9.0 * 0.5_f64.sin() + 1.0)).abs() < 1e-15);
//! # Ok::<(), admix::expr::ExprError>(())
//! ```

mod derivatives;
mod emit;
mod func;
mod parse;
mod steps;
mod trace;

pub use derivatives::{DerivativeReport, GradientsByMethod};
pub use emit::{Language, Mode};
pub use func::Func;
pub use steps::StepRow;
pub use trace::TraceRow;

use admix_dual::{Scalar, ScalarFn};
use thiserror::Error;

/// What went wrong while reading an expression; positions are byte offsets.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ExprError {
    /// A character that is not part of the language.
    #[error("unexpected character '{found}' at position {position}: use numbers, variables, + - * / ^, parentheses and functions such as sin(x)")]
    UnexpectedChar {
        /// Byte offset in the source.
        position: usize,
        /// The character found.
        found: char,
    },
    /// A number that does not parse.
    #[error("'{text}' at position {position} is not a number")]
    BadNumber {
        /// Byte offset in the source.
        position: usize,
        /// The text that failed to parse.
        text: String,
    },
    /// A token where another was expected.
    #[error("expected {expected} at position {position}, found {found}")]
    Unexpected {
        /// Byte offset in the source.
        position: usize,
        /// What the grammar allows here.
        expected: String,
        /// What was found instead.
        found: String,
    },
    /// A name that is neither a variable given a value nor a constant.
    #[error("unknown variable '{name}' at position {position}: give it a value (for example --at {name}=1)")]
    UnknownVariable {
        /// Byte offset in the source.
        position: usize,
        /// The name.
        name: String,
    },
    /// A call of a function the language does not have.
    #[error("unknown function '{name}' at position {position}; known: {}", Func::names().join(", "))]
    UnknownFunction {
        /// Byte offset in the source.
        position: usize,
        /// The name.
        name: String,
    },
    /// A function called with the wrong number of arguments.
    #[error("{name} at position {position} takes {expected} argument(s), got {got}")]
    WrongArity {
        /// Byte offset in the source.
        position: usize,
        /// The function's name.
        name: String,
        /// Arguments it takes.
        expected: usize,
        /// Arguments given.
        got: usize,
    },
    /// Parentheses, signs, powers or calls nested deeper than the parser
    /// allows (it recurses once per level, so the limit keeps the stack bounded).
    #[error("the expression nests deeper than {limit} levels at position {position}: remove redundant parentheses or signs")]
    TooDeep {
        /// Byte offset in the source where the limit was passed.
        position: usize,
        /// The most levels allowed.
        limit: usize,
    },
    /// The same variable named twice.
    #[error("variable '{name}' is given twice")]
    DuplicateVariable {
        /// The name.
        name: String,
    },
}

/// One elementary operation; arguments are indices of earlier steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// The value of variable number `.0`.
    Input(usize),
    /// A literal or a named constant.
    Const(f64),
    /// `a + b`
    Add(usize, usize),
    /// `a - b`
    Sub(usize, usize),
    /// `a * b`
    Mul(usize, usize),
    /// `a / b`
    Div(usize, usize),
    /// `a ^ n` for an integer literal exponent (exact, and defined for a < 0)
    Powi(usize, i32),
    /// `a ^ b` for any other exponent (`powf`)
    Pow(usize, usize),
    /// `-a`
    Neg(usize),
    /// `f(a)`
    Unary(Func, usize),
    /// `f(a, b)`
    Binary(Func, usize, usize),
}

/// One line of the evaluation trace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceStep {
    /// What this step computes.
    pub op: Op,
}

/// A parsed expression: its variables, and its evaluation trace in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    source: String,
    variables: Vec<String>,
    steps: Vec<TraceStep>,
    output: usize,
}

impl Expr {
    /// Parses `src`; `variables` name the inputs, in the order in which
    /// gradients and Hessians list them.
    pub fn parse<V: AsRef<str>>(src: &str, variables: &[V]) -> Result<Expr, ExprError> {
        let names: Vec<String> = variables.iter().map(|v| v.as_ref().to_string()).collect();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(ExprError::DuplicateVariable { name: name.clone() });
            }
        }
        parse::parse(src, &names)
    }

    /// Parses `src` taking each name that is not a function or constant as
    /// a variable, in order of first appearance (for printing a program
    /// when no point names the variables).
    pub fn parse_free(src: &str) -> Result<Expr, ExprError> {
        let mut names: Vec<String> = Vec::new();
        loop {
            match Expr::parse(src, &names) {
                Err(ExprError::UnknownVariable { name, .. }) => names.push(name),
                other => return other,
            }
        }
    }

    fn from_steps(
        source: String,
        variables: Vec<String>,
        steps: Vec<TraceStep>,
        output: usize,
    ) -> Self {
        Expr {
            source,
            variables,
            steps,
            output,
        }
    }

    /// The text the expression was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The variable names, in input order.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// The evaluation trace; the first steps are the inputs.
    pub fn steps(&self) -> &[TraceStep] {
        &self.steps
    }

    /// Index of the step whose value is the expression's value.
    pub fn output(&self) -> usize {
        self.output
    }

    /// The value of every step at `x`, in trace order.
    ///
    /// # Panics
    /// If `x` does not hold one value per variable.
    #[track_caller]
    pub fn eval_steps<S: Scalar>(&self, x: &[S]) -> Vec<S> {
        self.eval_steps_each(x, |v| v)
    }

    /// [`Expr::eval_steps`] with `each` applied to every step's value
    /// before later steps use it.
    #[track_caller]
    fn eval_steps_each<S: Scalar>(&self, x: &[S], each: impl Fn(S) -> S) -> Vec<S> {
        assert_eq!(
            x.len(),
            self.variables.len(),
            "one value per variable is needed"
        );
        let mut w: Vec<S> = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let value = each(step.op.apply(&w, x));
            w.push(value);
        }
        w
    }

    /// The value of the expression at `x`.
    ///
    /// # Panics
    /// If `x` does not hold one value per variable.
    #[track_caller]
    pub fn eval_at<S: Scalar>(&self, x: &[S]) -> S {
        self.eval_steps(x)[self.output]
    }

    /// The step written as in the lecture notes: `w3 = w1*w2`, `w4 = sin(w1)`.
    pub fn describe(&self, index: usize) -> String {
        let w = |i: usize| format!("w{}", i + 1);
        let rhs = match self.steps[index].op {
            Op::Input(v) => self.variables[v].clone(),
            Op::Const(c) => format!("{c}"),
            Op::Add(a, b) => format!("{} + {}", w(a), w(b)),
            Op::Sub(a, b) => format!("{} - {}", w(a), w(b)),
            Op::Mul(a, b) => format!("{}*{}", w(a), w(b)),
            Op::Div(a, b) => format!("{}/{}", w(a), w(b)),
            Op::Powi(a, n) => format!("{}^{}", w(a), n),
            Op::Pow(a, b) => format!("{}^{}", w(a), w(b)),
            Op::Neg(a) => format!("-{}", w(a)),
            Op::Unary(f, a) => format!("{}({})", f.name(), w(a)),
            Op::Binary(f, a, b) => format!("{}({}, {})", f.name(), w(a), w(b)),
        };
        format!("{} = {}", w(index), rhs)
    }
}

impl Op {
    /// The indices of the earlier steps this one reads.
    pub fn args(&self) -> Vec<usize> {
        match *self {
            Op::Input(_) | Op::Const(_) => vec![],
            Op::Neg(a) | Op::Powi(a, _) | Op::Unary(_, a) => vec![a],
            Op::Add(a, b)
            | Op::Sub(a, b)
            | Op::Mul(a, b)
            | Op::Div(a, b)
            | Op::Pow(a, b)
            | Op::Binary(_, a, b) => vec![a, b],
        }
    }

    /// The value of this step from the values `w` of the earlier ones.
    fn apply<S: Scalar>(&self, w: &[S], x: &[S]) -> S {
        match *self {
            Op::Input(v) => x[v],
            Op::Const(c) => S::constant(c),
            Op::Add(a, b) => w[a] + w[b],
            Op::Sub(a, b) => w[a] - w[b],
            Op::Mul(a, b) => w[a] * w[b],
            Op::Div(a, b) => w[a] / w[b],
            Op::Powi(a, n) => w[a].powi(n),
            Op::Pow(a, b) => w[a].powf(w[b]),
            Op::Neg(a) => -w[a],
            Op::Unary(f, a) => f.apply1(w[a]),
            Op::Binary(f, a, b) => f.apply2(w[a], w[b]),
        }
    }
}

impl ScalarFn for Expr {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        self.eval_at(x)
    }
}

#[cfg(test)]
mod tests;
