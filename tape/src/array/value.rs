//! Array values as the tape holds them: a flat row-major buffer and a
//! shape, or a part of another value's buffer (slices of rows, reshapes: no copy). The elementwise
//! operations and their adjoints work on the flat slices; ndarray views are
//! built only for the operations that need axes (matmul, softmax, ...).

use ndarray::{ArrayD, ArrayViewD, Dimension, IxDyn};

/// Where the elements of a value are.
#[derive(Debug)]
enum Data {
    /// A buffer of its own.
    Own(Vec<f64>),
    /// The elements `start..start + len` of the buffer of value `root`
    /// (a value that owns its buffer): a slice of rows or a reshape.
    Part { root: usize, start: usize },
}

/// One array value: row-major elements and a shape.
#[derive(Debug)]
pub(crate) struct Value {
    dim: IxDyn,
    len: usize,
    data: Data,
}

impl Value {
    /// The value of shape `dim` holding `buffer` (one value per element,
    /// row-major).
    pub(crate) fn new(dim: IxDyn, buffer: Vec<f64>) -> Self {
        debug_assert_eq!(dim.size(), buffer.len(), "one value per element");
        Self {
            len: buffer.len(),
            dim,
            data: Data::Own(buffer),
        }
    }

    /// The value of an ndarray array of any layout.
    pub(crate) fn from_array<D: Dimension>(a: ndarray::Array<f64, D>) -> Self {
        let dim = IxDyn(a.shape());
        Self::new(dim, into_vec(a))
    }

    /// The buffer of a value that owns one (pooled when the tape is cleared).
    pub(crate) fn into_buffer(self) -> Option<Vec<f64>> {
        match self.data {
            Data::Own(buffer) => Some(buffer),
            Data::Part { .. } => None,
        }
    }
}

/// The row-major elements of `a`, without a copy when it is in standard
/// layout.
pub(crate) fn into_vec<D: Dimension>(a: ndarray::Array<f64, D>) -> Vec<f64> {
    if !a.is_standard_layout() {
        return a.iter().copied().collect();
    }
    let len = a.len();
    let (mut buffer, offset) = a.into_raw_vec_and_offset();
    let start = offset.unwrap_or(0);
    if start != 0 {
        buffer.drain(..start);
    }
    buffer.truncate(len);
    buffer
}

/// The values of a tape, indexed by array id.
#[derive(Debug, Default)]
pub(crate) struct Values(Vec<Value>);

impl Values {
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn push(&mut self, value: Value) {
        self.0.push(value);
    }

    /// Empties the list, handing over the values.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Value> + '_ {
        self.0.drain(..)
    }

    /// The shape of value `id`.
    pub(crate) fn shape(&self, id: usize) -> &[usize] {
        self.0[id].dim.slice()
    }

    /// The shape of value `id`, as an ndarray dimension.
    pub(crate) fn dim(&self, id: usize) -> &IxDyn {
        &self.0[id].dim
    }

    /// The number of elements of value `id`.
    pub(crate) fn len_of(&self, id: usize) -> usize {
        self.0[id].len
    }

    /// The elements of value `id`, row-major.
    pub(crate) fn data(&self, id: usize) -> &[f64] {
        let value = &self.0[id];
        match value.data {
            Data::Own(ref buffer) => buffer,
            Data::Part { root, start } => match self.0[root].data {
                Data::Own(ref buffer) => &buffer[start..start + value.len],
                Data::Part { .. } => unreachable!("a root owns its buffer"),
            },
        }
    }

    /// Value `id` as an ndarray view.
    pub(crate) fn view(&self, id: usize) -> ArrayViewD<'_, f64> {
        ArrayViewD::from_shape(self.dim(id).clone(), self.data(id)).expect("one value per element")
    }

    /// A copy of value `id`.
    pub(crate) fn to_array(&self, id: usize) -> ArrayD<f64> {
        ArrayD::from_shape_vec(self.dim(id).clone(), self.data(id).to_vec())
            .expect("one value per element")
    }

    /// The value of shape `dim` made of the elements `start..start + len`
    /// of value `id` (no copy).
    pub(crate) fn part_of(&self, id: usize, dim: IxDyn, start: usize) -> Value {
        let (root, start) = match self.0[id].data {
            Data::Own(_) => (id, start),
            Data::Part { root, start: s } => (root, s + start),
        };
        Value {
            len: dim.size(),
            dim,
            data: Data::Part { root, start },
        }
    }
}
