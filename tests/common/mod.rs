//! Shared proptest strategies for the top-level tests: random expressions
//! written as text for `admix::expr::Expr`, each with a point inside its
//! domain and a tree that evaluates the same operations independently of
//! the parser.
//!
//! # The generated family
//!
//! Every expression is smooth at every point of the box `[-2, 2]^n`: the
//! functions that have a restricted domain or a singularity only ever see
//! guarded arguments, built into the grammar rather than filtered out
//! afterwards (a filter would hide what the generator cannot make):
//!
//! ```text
//! ln, log2, log10, sqrt, cbrt, acosh, ^-k   of  1 + w^2  or  2 + w^2
//! a / b                                     with b = 1 + w^2 or 2 + tanh(u)
//! exp, exp2, expm1                          of  tanh(u), sin(t), atan(w), -w^2
//! asin, acos                                of  tanh(t)   (|t| <= pi, so |tanh t| <= 0.997)
//! atanh                                     of  tanh(t)/2
//! tan                                       of  atan(w)/2 (inside (-pi/4, pi/4))
//! sin, cos, sinh, cosh                      of  t
//! tanh (u above)                            of  w
//! ```
//!
//! Two sorts keep the divided differences meaningful: a *tame* node `t` has
//! a value in [-pi, pi] (inputs, constants, pi and bounded functions),
//! a *wild* node `w` may grow polynomially (sums, products, `w^2`, `w^3`,
//! `sqrt(1 + w^2)` ...). Oscillating functions (sin, cos) and fast-growing
//! ones (sinh, cosh) take only tame arguments: of a wild argument of size
//! 1e8 they would be noise that no divided difference can follow, which
//! says nothing about AD. The depth is bounded so that values stay far
//! from overflow: `w^3` is the fastest growth, so on the box no value
//! exceeds about `pi^(3^4) ~ 1e40`.
//!
//! The text is rendered with the fewest parentheses the grammar needs
//! (`-w^2` is `-(w^2)`, `a - (b + c)`, `(a*b)^3`), and constants sometimes
//! in scientific notation, so that the parser's precedence and number
//! reading are exercised too: the tree and the parsed expression must
//! compute bitwise the same values.

// Each test file uses part of this module.
#![allow(dead_code)]

use admix::dual::{Scalar, ScalarFn, VectorFn};
use admix::expr::Expr;
use proptest::prelude::*;

/// Variable names, in input order.
pub const NAMES: [&str; 3] = ["x", "y", "z"];

/// The box the points are drawn from.
pub const BOX: f64 = 2.0;

/// A function the language knows by name, applied to tree nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fun {
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
    Atan2,
    Hypot,
}

impl Fun {
    /// The name as the expression language spells it (with its aliases,
    /// so that `log` and `log1p` are read too).
    fn name(self, alias: bool) -> &'static str {
        match self {
            Fun::Sin => "sin",
            Fun::Cos => "cos",
            Fun::Tan => "tan",
            Fun::Asin => "asin",
            Fun::Acos => "acos",
            Fun::Atan => "atan",
            Fun::Sinh => "sinh",
            Fun::Cosh => "cosh",
            Fun::Tanh => "tanh",
            Fun::Asinh => "asinh",
            Fun::Acosh => "acosh",
            Fun::Atanh => "atanh",
            Fun::Exp => "exp",
            Fun::Exp2 => "exp2",
            Fun::Expm1 if alias => "exp_m1",
            Fun::Expm1 => "expm1",
            Fun::Ln if alias => "log",
            Fun::Ln => "ln",
            Fun::Ln1p if alias => "log1p",
            Fun::Ln1p => "ln1p",
            Fun::Log2 => "log2",
            Fun::Log10 => "log10",
            Fun::Sqrt => "sqrt",
            Fun::Cbrt => "cbrt",
            Fun::Atan2 => "atan2",
            Fun::Hypot => "hypot",
        }
    }

    fn apply<S: Scalar>(self, args: &[S]) -> S {
        let a = args[0];
        match self {
            Fun::Sin => a.sin(),
            Fun::Cos => a.cos(),
            Fun::Tan => a.tan(),
            Fun::Asin => a.asin(),
            Fun::Acos => a.acos(),
            Fun::Atan => a.atan(),
            Fun::Sinh => a.sinh(),
            Fun::Cosh => a.cosh(),
            Fun::Tanh => a.tanh(),
            Fun::Asinh => a.asinh(),
            Fun::Acosh => a.acosh(),
            Fun::Atanh => a.atanh(),
            Fun::Exp => a.exp(),
            Fun::Exp2 => a.exp2(),
            Fun::Expm1 => a.exp_m1(),
            Fun::Ln => a.ln(),
            Fun::Ln1p => a.ln_1p(),
            Fun::Log2 => a.log2(),
            Fun::Log10 => a.log10(),
            Fun::Sqrt => a.sqrt(),
            Fun::Cbrt => a.cbrt(),
            Fun::Atan2 => a.atan2(args[1]),
            Fun::Hypot => a.hypot(args[1]),
        }
    }
}

/// An expression tree: the reference the parsed text is checked against.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Var(usize),
    /// A non-negative literal; `scientific` renders it as `2.5e0`.
    Const {
        value: f64,
        scientific: bool,
    },
    Pi,
    Add(Box<Node>, Box<Node>),
    Sub(Box<Node>, Box<Node>),
    Mul(Box<Node>, Box<Node>),
    Div(Box<Node>, Box<Node>),
    Neg(Box<Node>),
    /// `a^n` with an integer literal: `powi`.
    Powi(Box<Node>, i32),
    /// `a^(b)`: `powf`.
    Powf(Box<Node>, Box<Node>),
    /// A named function; `alias` picks the alternative spelling if any.
    Call {
        fun: Fun,
        args: Vec<Node>,
        alias: bool,
    },
}

/// Binding strength in the grammar: sum < product < unary minus < power < atom.
const SUM: u8 = 1;
const PRODUCT: u8 = 2;
const UNARY: u8 = 3;
const POWER: u8 = 4;
const ATOM: u8 = 5;

impl Node {
    /// The value at `x`, the operations in the order the text spells them.
    pub fn value<S: Scalar>(&self, x: &[S]) -> S {
        match self {
            Node::Var(i) => x[*i],
            Node::Const { value, .. } => S::constant(*value),
            Node::Pi => S::constant(std::f64::consts::PI),
            Node::Add(a, b) => a.value(x) + b.value(x),
            Node::Sub(a, b) => a.value(x) - b.value(x),
            Node::Mul(a, b) => a.value(x) * b.value(x),
            Node::Div(a, b) => a.value(x) / b.value(x),
            Node::Neg(a) => -a.value(x),
            Node::Powi(a, n) => a.value(x).powi(*n),
            Node::Powf(a, b) => a.value(x).powf(b.value(x)),
            Node::Call { fun, args, .. } => {
                let values: Vec<S> = args.iter().map(|a| a.value(x)).collect();
                fun.apply(&values)
            }
        }
    }

    /// The text, with parentheses only where the grammar needs them.
    pub fn render(&self) -> String {
        self.render_at(SUM)
    }

    fn precedence(&self) -> u8 {
        match self {
            Node::Add(..) | Node::Sub(..) => SUM,
            Node::Mul(..) | Node::Div(..) => PRODUCT,
            Node::Neg(_) => UNARY,
            Node::Powi(..) | Node::Powf(..) => POWER,
            Node::Var(_) | Node::Const { .. } | Node::Pi | Node::Call { .. } => ATOM,
        }
    }

    /// Renders in a context that binds at least as tightly as `min`.
    fn render_at(&self, min: u8) -> String {
        let text = match self {
            Node::Var(i) => NAMES[*i].to_string(),
            Node::Const {
                value,
                scientific: true,
            } => format!("{value:e}"),
            Node::Const { value, .. } => format!("{value}"),
            Node::Pi => "pi".to_string(),
            // Left associative: the right operand of a - b needs parentheses
            // around another sum, the left one does not.
            Node::Add(a, b) => format!("{} + {}", a.render_at(SUM), b.render_at(PRODUCT)),
            Node::Sub(a, b) => format!("{} - {}", a.render_at(SUM), b.render_at(PRODUCT)),
            Node::Mul(a, b) => format!("{}*{}", a.render_at(PRODUCT), b.render_at(UNARY)),
            Node::Div(a, b) => format!("{}/{}", a.render_at(PRODUCT), b.render_at(UNARY)),
            Node::Neg(a) => format!("-{}", a.render_at(UNARY)),
            Node::Powi(a, n) => format!("{}^{n}", a.render_at(ATOM)),
            // Always parenthesised: a bare integer exponent would read as powi.
            Node::Powf(a, b) => format!("{}^({})", a.render_at(ATOM), b.render_at(SUM)),
            Node::Call { fun, args, alias } => {
                let args: Vec<String> = args.iter().map(|a| a.render_at(SUM)).collect();
                format!("{}({})", fun.name(*alias), args.join(", "))
            }
        };
        if self.precedence() < min {
            format!("({text})")
        } else {
            text
        }
    }
}

impl ScalarFn for Node {
    fn eval<S: Scalar>(&self, x: &[S]) -> S {
        self.value(x)
    }
}

fn b(node: Node) -> Box<Node> {
    Box::new(node)
}

fn constant(value: f64) -> Node {
    Node::Const {
        value,
        scientific: false,
    }
}

fn call(fun: Fun, args: Vec<Node>) -> Node {
    Node::Call {
        fun,
        args,
        alias: false,
    }
}

/// `c + w^2`, at least `c > 0`: the guard for logarithms, roots and
/// denominators.
fn shifted_square(c: f64, w: Node) -> Node {
    Node::Add(b(constant(c)), b(Node::Powi(b(w), 2)))
}

/// Leaves: a variable, a constant in [0, 2] (quarters, some in scientific
/// notation), or pi.
fn leaf(n_vars: usize) -> BoxedStrategy<Node> {
    prop_oneof![
        4 => (0..n_vars).prop_map(Node::Var),
        2 => (0..=8u8, any::<bool>()).prop_map(|(k, scientific)| Node::Const {
            value: f64::from(k) / 4.0,
            scientific,
        }),
        1 => Just(Node::Pi),
    ]
    .boxed()
}

/// Tame nodes of at most `depth` levels: values in [-pi, pi] whatever the
/// arguments below them.
fn tame(g: Grammar, depth: u32) -> BoxedStrategy<Node> {
    let n_vars = g.n_vars;
    if depth == 0 {
        return leaf(n_vars);
    }
    let t = tame(g, depth - 1);
    let w = wild(g, depth - 1);
    let tanh = |a: Node| call(Fun::Tanh, vec![a]);
    prop_oneof![
        2 => leaf(n_vars),
        1 => t.clone().prop_map(|t| call(Fun::Sin, vec![t])),
        1 => t.clone().prop_map(|t| call(Fun::Cos, vec![t])),
        1 => w.clone().prop_map(tanh),
        1 => w.clone().prop_map(|w| call(Fun::Atan, vec![w])),
        // The Gudermannian function: derivative sech(t), smooth everywhere.
        1 => t.clone().prop_map(move |t| call(Fun::Asin, vec![tanh(t)])),
        1 => t.clone().prop_map(move |t| call(Fun::Acos, vec![tanh(t)])),
        1 => t.clone().prop_map(move |t| {
            call(Fun::Atanh, vec![Node::Div(b(tanh(t)), b(constant(2.0)))])
        }),
        // w / (1 + w^2), one subtree used twice: |value| <= 1/2.
        1 => w.clone().prop_map(|w| Node::Div(b(w.clone()), b(shifted_square(1.0, w)))),
        1 => w.clone().prop_map(|w| {
            let half = Node::Div(b(call(Fun::Atan, vec![w])), b(constant(2.0)));
            call(Fun::Tan, vec![half])
        }),
        1 => (t.clone(), t).prop_map(|(t, s)| {
            let positive = Node::Add(b(constant(2.0)), b(call(Fun::Cos, vec![s])));
            call(Fun::Atan2, vec![t, positive])
        }),
    ]
    .boxed()
}

/// Wild nodes of at most `depth` levels: anything smooth on the box.
fn wild(g: Grammar, depth: u32) -> BoxedStrategy<Node> {
    let n_vars = g.n_vars;
    if depth == 0 {
        return leaf(n_vars);
    }
    let t = tame(g, depth - 1);
    let w = wild(g, depth - 1);
    let pair = (w.clone(), w.clone());
    let unary = |fun: Fun, arg: Node, alias: bool| Node::Call {
        fun,
        args: vec![arg],
        alias,
    };
    prop_oneof![
        2 => t.clone(),
        2 => pair.clone().prop_map(|(a, c)| Node::Add(b(a), b(c))),
        2 => pair.clone().prop_map(|(a, c)| Node::Sub(b(a), b(c))),
        2 => pair.clone().prop_map(|(a, c)| Node::Mul(b(a), b(c))),
        1 => pair.clone().prop_map(|(a, c)| Node::Div(b(a), b(shifted_square(1.0, c)))),
        1 => (w.clone(), w.clone()).prop_map(|(a, c)| {
            let positive = Node::Add(b(constant(2.0)), b(call(Fun::Tanh, vec![c])));
            Node::Div(b(a), b(positive))
        }),
        1 => w.clone().prop_map(|a| Node::Neg(b(a))),
        2 => (w.clone(), 2..=3i32).prop_map(|(a, n)| Node::Powi(b(a), n)),
        1 => (w.clone(), -2..=-1i32).prop_map(|(a, n)| Node::Powi(b(shifted_square(1.0, a)), n)),
        // An exponent in [-1, 1]: (1 + w^2)^e grows no faster than w^2.
        1 => (w.clone(), t.clone()).prop_map(|(a, e)| {
            Node::Powf(b(shifted_square(1.0, a)), b(call(Fun::Sin, vec![e])))
        }),
        1 => w.clone().prop_map(|a| Node::Powf(b(shifted_square(1.0, a)), b(constant(0.5)))),
        1 => (w.clone(), prop_oneof![Just(Fun::Sqrt), Just(Fun::Cbrt)])
            .prop_map(|(a, f)| call(f, vec![shifted_square(1.0, a)])),
        1 => (w.clone(), prop_oneof![Just(Fun::Ln), Just(Fun::Log2), Just(Fun::Log10)], any::<bool>())
            .prop_map(move |(a, f, alias)| unary(f, shifted_square(1.0, a), alias)),
        1 => (w.clone(), any::<bool>())
            .prop_map(move |(a, alias)| unary(Fun::Ln1p, Node::Powi(b(a), 2), alias)),
        1 => w.clone().prop_map(|a| call(Fun::Acosh, vec![shifted_square(2.0, a)])),
        1 => w.clone().prop_map(|a| call(Fun::Asinh, vec![a])),
        1 => w.clone().prop_map(|a| call(Fun::Exp, vec![call(Fun::Tanh, vec![a])])),
        1 => w.clone().prop_map(|a| call(Fun::Exp, vec![Node::Neg(b(Node::Powi(b(a), 2)))])),
        1 => t.clone().prop_map(|a| call(Fun::Exp2, vec![call(Fun::Sin, vec![a])])),
        1 => (w.clone(), any::<bool>())
            .prop_map(move |(a, alias)| unary(Fun::Expm1, call(Fun::Atan, vec![a]), alias)),
        1 => t.clone().prop_map(|a| call(Fun::Sinh, vec![a])),
        1 => t.prop_map(|a| call(Fun::Cosh, vec![a])),
        1 => w.prop_map(|a| call(Fun::Hypot, vec![a, constant(1.0)])),
    ]
    .boxed()
}

/// Which expressions a strategy draws.
#[derive(Clone, Copy, Debug)]
struct Grammar {
    n_vars: usize,
}

/// Levels of nesting: with inputs in [-2, 2], the largest value the
/// grammar can reach at this depth stays below about `pi^81 ~ 1e40`.
pub const DEPTH: u32 = 4;

/// A generated expression: its tree, its text, and a point in the box.
#[derive(Clone, Debug)]
pub struct Case {
    pub tree: Node,
    pub text: String,
    pub point: Vec<f64>,
}

impl Case {
    /// The names of this case's variables.
    pub fn variables(&self) -> &[&'static str] {
        &NAMES[..self.point.len()]
    }

    /// The text parsed with this case's variables.
    ///
    /// # Panics
    /// If the text does not parse: every generated text must.
    #[track_caller]
    pub fn expr(&self) -> Expr {
        Expr::parse(&self.text, self.variables())
            .unwrap_or_else(|e| panic!("{:?} does not parse: {e}", self.text))
    }
}

/// A point with `n` coordinates in the box.
pub fn point(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-BOX..BOX, n)
}

/// Expressions in 1 to 3 variables (not every variable need appear), with
/// a point.
pub fn case() -> impl Strategy<Value = Case> {
    (1..=3usize).prop_flat_map(|n_vars| {
        let g = Grammar { n_vars };
        (wild(g, DEPTH), point(n_vars)).prop_map(|(tree, point)| Case {
            text: tree.render(),
            tree,
            point,
        })
    })
}

/// Several expressions of the same variables, and a point: a vector
/// function `R^n -> R^m` with `m` in 1..=3.
pub fn system() -> impl Strategy<Value = (Vec<Node>, Vec<f64>)> {
    (1..=3usize, 1..=3usize).prop_flat_map(|(n_vars, m)| {
        let g = Grammar { n_vars };
        (prop::collection::vec(wild(g, DEPTH - 1), m), point(n_vars))
    })
}

/// A vector function whose outputs are parsed expressions.
#[derive(Clone, Debug)]
pub struct System(pub Vec<Expr>);

impl System {
    /// Parses each tree's text with the first `n` variable names.
    ///
    /// # Panics
    /// If a text does not parse.
    #[track_caller]
    pub fn from_trees(trees: &[Node], n: usize) -> Self {
        System(
            trees
                .iter()
                .map(|t| {
                    let text = t.render();
                    Expr::parse(&text, &NAMES[..n])
                        .unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"))
                })
                .collect(),
        )
    }

    /// Parses texts typed by hand.
    ///
    /// # Panics
    /// If a text does not parse.
    #[track_caller]
    pub fn parse(texts: &[&str], variables: &[&str]) -> Self {
        System(
            texts
                .iter()
                .map(|t| Expr::parse(t, variables).unwrap_or_else(|e| panic!("{t:?}: {e}")))
                .collect(),
        )
    }
}

impl VectorFn for System {
    fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S> {
        self.0.iter().map(|e| e.eval_at(x)).collect()
    }
}
