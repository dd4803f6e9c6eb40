//! A minimal Python pickle (protocol 3) writer for the objects suite2p's `stat.npy` and
//! `ops.npy` hold: `None`, `bool`, `int`, `float`, `str`, lists, tuples, string-keyed dicts,
//! NumPy arrays and NumPy scalars.
//!
//! Arrays and scalars are rebuilt by `numpy.core.multiarray._reconstruct` / `.scalar`, the
//! names NumPy 1.x pickles under and NumPy 2.x still loads (its `numpy.core` forwards to
//! `numpy._core` for unpickling), so the files load in both. No memo is written: every object is
//! emitted once, which unpickling does not require.

/// A Python object to pickle.
#[derive(Clone, Debug, PartialEq)]
pub enum PyValue {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<PyValue>),
    Tuple(Vec<PyValue>),
    /// A dict with string keys, in insertion order.
    Dict(Vec<(String, PyValue)>),
    /// `numpy.ndarray`: dtype descriptor (`<f4`, `<i8`, `|b1`, `|O`), C-order shape, and for a
    /// numeric array its little-endian bytes; for `|O` the elements in `objects`.
    Array(NdArray),
    /// A NumPy scalar (`numpy.float32(...)`): dtype descriptor and its little-endian bytes.
    Scalar(&'static str, Vec<u8>),
}

/// A NumPy array to pickle (see [`PyValue::Array`]).
#[derive(Clone, Debug, PartialEq)]
pub struct NdArray {
    pub descr: &'static str,
    pub shape: Vec<usize>,
    pub bytes: Vec<u8>,
    pub objects: Vec<PyValue>,
}

impl PyValue {
    /// A float32 NumPy array of `shape` (C order).
    #[must_use]
    pub fn f32_array(shape: &[usize], data: &[f32]) -> PyValue {
        PyValue::Array(NdArray {
            descr: "<f4",
            shape: shape.to_vec(),
            bytes: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            objects: Vec::new(),
        })
    }
    /// A float64 NumPy array of `shape`.
    #[must_use]
    pub fn f64_array(shape: &[usize], data: &[f64]) -> PyValue {
        PyValue::Array(NdArray {
            descr: "<f8",
            shape: shape.to_vec(),
            bytes: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            objects: Vec::new(),
        })
    }
    /// An int64 NumPy array of `shape`.
    #[must_use]
    pub fn i64_array(shape: &[usize], data: &[i64]) -> PyValue {
        PyValue::Array(NdArray {
            descr: "<i8",
            shape: shape.to_vec(),
            bytes: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            objects: Vec::new(),
        })
    }
    /// An int32 NumPy array of `shape`.
    #[must_use]
    pub fn i32_array(shape: &[usize], data: &[i32]) -> PyValue {
        PyValue::Array(NdArray {
            descr: "<i4",
            shape: shape.to_vec(),
            bytes: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            objects: Vec::new(),
        })
    }
    /// A bool NumPy array of `shape`.
    #[must_use]
    pub fn bool_array(shape: &[usize], data: &[bool]) -> PyValue {
        PyValue::Array(NdArray {
            descr: "|b1",
            shape: shape.to_vec(),
            bytes: data.iter().map(|&b| u8::from(b)).collect(),
            objects: Vec::new(),
        })
    }
    /// A NumPy object array of `shape` holding `items` (C order).
    #[must_use]
    pub fn object_array(shape: &[usize], items: Vec<PyValue>) -> PyValue {
        PyValue::Array(NdArray {
            descr: "|O",
            shape: shape.to_vec(),
            bytes: Vec::new(),
            objects: items,
        })
    }
    /// `numpy.float32(v)`.
    #[must_use]
    pub fn f32_scalar(v: f32) -> PyValue {
        PyValue::Scalar("<f4", v.to_le_bytes().to_vec())
    }
    /// `numpy.float64(v)`.
    #[must_use]
    pub fn f64_scalar(v: f64) -> PyValue {
        PyValue::Scalar("<f8", v.to_le_bytes().to_vec())
    }
    /// `numpy.int64(v)`.
    #[must_use]
    pub fn i64_scalar(v: i64) -> PyValue {
        PyValue::Scalar("<i8", v.to_le_bytes().to_vec())
    }
}

const PROTO: u8 = 0x80;
const STOP: u8 = b'.';
const MARK: u8 = b'(';
const NONE: u8 = b'N';
const NEWTRUE: u8 = 0x88;
const NEWFALSE: u8 = 0x89;
const BININT: u8 = b'J';
const LONG1: u8 = 0x8a;
const BINFLOAT: u8 = b'G';
const BINUNICODE: u8 = b'X';
const BINBYTES: u8 = b'B';
const EMPTY_LIST: u8 = b']';
const APPENDS: u8 = b'e';
const EMPTY_DICT: u8 = b'}';
const SETITEMS: u8 = b'u';
const EMPTY_TUPLE: u8 = b')';
const TUPLE: u8 = b't';
const GLOBAL: u8 = b'c';
const REDUCE: u8 = b'R';
const BUILD: u8 = b'b';

/// `value` as a protocol-3 pickle.
#[must_use]
pub fn pickle(value: &PyValue) -> Vec<u8> {
    let mut out = vec![PROTO, 3];
    put(value, &mut out);
    out.push(STOP);
    out
}

fn put_global(module: &str, name: &str, out: &mut Vec<u8>) {
    out.push(GLOBAL);
    out.extend_from_slice(module.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(name.as_bytes());
    out.push(b'\n');
}

fn put_str(s: &str, out: &mut Vec<u8>) {
    out.push(BINUNICODE);
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_bytes(b: &[u8], out: &mut Vec<u8>) {
    out.push(BINBYTES);
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

fn put_int(v: i64, out: &mut Vec<u8>) {
    if let Ok(small) = i32::try_from(v) {
        out.push(BININT);
        out.extend_from_slice(&small.to_le_bytes());
    } else {
        out.push(LONG1);
        out.push(8);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

fn put_tuple(items: &[PyValue], out: &mut Vec<u8>) {
    if items.is_empty() {
        out.push(EMPTY_TUPLE);
        return;
    }
    out.push(MARK);
    for i in items {
        put(i, out);
    }
    out.push(TUPLE);
}

/// `numpy.dtype(descr)` with its state: `dtype('f4', False, True)` then `__setstate__((3,
/// byteorder, None, None, None, -1, -1, flags))`, as NumPy itself pickles a dtype.
fn put_dtype(descr: &'static str, out: &mut Vec<u8>) {
    let (order, code, flags) = match descr {
        "|O" => ("|", "O8", 63),
        "|b1" => ("|", "b1", 0),
        d => ("<", &d[1..], 0),
    };
    put_global("numpy", "dtype", out);
    put_tuple(
        &[
            PyValue::Str(code.into()),
            PyValue::Bool(false),
            PyValue::Bool(true),
        ],
        out,
    );
    out.push(REDUCE);
    put_tuple(
        &[
            PyValue::Int(3),
            PyValue::Str(order.into()),
            PyValue::None,
            PyValue::None,
            PyValue::None,
            PyValue::Int(-1),
            PyValue::Int(-1),
            PyValue::Int(flags),
        ],
        out,
    );
    out.push(BUILD);
}

fn put_array(a: &NdArray, out: &mut Vec<u8>) {
    put_global("numpy.core.multiarray", "_reconstruct", out);
    out.push(MARK);
    put_global("numpy", "ndarray", out);
    put_tuple(&[PyValue::Int(0)], out);
    put_bytes(b"b", out);
    out.push(TUPLE);
    out.push(REDUCE);
    // __setstate__((version 1, shape, dtype, fortran False, data))
    out.push(MARK);
    put_int(1, out);
    let shape: Vec<PyValue> = a.shape.iter().map(|&d| PyValue::Int(d as i64)).collect();
    put_tuple(&shape, out);
    put_dtype(a.descr, out);
    out.push(NEWFALSE);
    if a.descr == "|O" {
        put(&PyValue::List(a.objects.clone()), out);
    } else {
        put_bytes(&a.bytes, out);
    }
    out.push(TUPLE);
    out.push(BUILD);
}

fn put(value: &PyValue, out: &mut Vec<u8>) {
    match value {
        PyValue::None => out.push(NONE),
        PyValue::Bool(b) => out.push(if *b { NEWTRUE } else { NEWFALSE }),
        PyValue::Int(v) => put_int(*v, out),
        PyValue::Float(v) => {
            out.push(BINFLOAT);
            out.extend_from_slice(&v.to_be_bytes());
        }
        PyValue::Str(s) => put_str(s, out),
        PyValue::List(items) => {
            out.push(EMPTY_LIST);
            if !items.is_empty() {
                out.push(MARK);
                for i in items {
                    put(i, out);
                }
                out.push(APPENDS);
            }
        }
        PyValue::Tuple(items) => put_tuple(items, out),
        PyValue::Dict(items) => {
            out.push(EMPTY_DICT);
            if !items.is_empty() {
                out.push(MARK);
                for (k, v) in items {
                    put_str(k, out);
                    put(v, out);
                }
                out.push(SETITEMS);
            }
        }
        PyValue::Array(a) => put_array(a, out),
        PyValue::Scalar(descr, bytes) => {
            put_global("numpy.core.multiarray", "scalar", out);
            out.push(MARK);
            put_dtype(descr, out);
            put_bytes(bytes, out);
            out.push(TUPLE);
            out.push(REDUCE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_and_containers_use_the_protocol_3_opcodes() {
        let p = pickle(&PyValue::List(vec![
            PyValue::Int(1),
            PyValue::Bool(true),
            PyValue::None,
        ]));
        assert_eq!(p, b"\x80\x03](J\x01\x00\x00\x00\x88Ne.".to_vec());
        let d = pickle(&PyValue::Dict(vec![("a".into(), PyValue::Float(0.5))]));
        assert_eq!(
            d,
            b"\x80\x03}(X\x01\x00\x00\x00aG?\xe0\x00\x00\x00\x00\x00\x00u.".to_vec()
        );
    }

    #[test]
    fn large_ints_use_long1() {
        let p = pickle(&PyValue::Int(1 << 40));
        assert_eq!(&p[2..4], &[LONG1, 8]);
    }
}
