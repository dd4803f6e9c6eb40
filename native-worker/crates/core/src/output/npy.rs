//! NumPy `.npy` (format 1.0) writer and a small reader for tests and tools.
//! Arrays are little-endian, C order; suite2p reads `F.npy`, `Fneu.npy`, `spks.npy` as
//! float32 `(n_rois, n_frames)` and `iscell.npy` as float64 `(n_rois, 2)`.

use super::{commit, create_tmp, OutputError};
use std::io::{Read, Write};
use std::path::Path;

/// A type that can be stored in an `.npy` file.
pub trait NpyElement: Copy {
    /// NumPy dtype descriptor, e.g. `<f4`.
    const DESCR: &'static str;
    /// Appends the little-endian bytes of `self`.
    fn put(self, out: &mut Vec<u8>);
}

macro_rules! npy_num {
    ($t:ty, $d:expr) => {
        impl NpyElement for $t {
            const DESCR: &'static str = $d;
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    };
}
npy_num!(f32, "<f4");
npy_num!(f64, "<f8");
npy_num!(i32, "<i4");
npy_num!(i64, "<i8");
npy_num!(u16, "<u2");
npy_num!(u32, "<u4");
npy_num!(u8, "|u1");

impl NpyElement for bool {
    const DESCR: &'static str = "|b1";
    fn put(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
}

pub(crate) fn header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dims = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        descr, dims
    );
    // Magic (6) + version (2) + length (2) + dict + newline, padded to a multiple of 64.
    let total = 10 + dict.len() + 1;
    dict.push_str(&" ".repeat((64 - total % 64) % 64));
    dict.push('\n');
    let mut h = b"\x93NUMPY\x01\x00".to_vec();
    h.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    h.extend_from_slice(dict.as_bytes());
    h
}

/// Streaming writer: declare the shape, then append elements in C order.
pub struct NpyWriter<T: NpyElement> {
    w: std::io::BufWriter<std::fs::File>,
    tmp: std::path::PathBuf,
    path: std::path::PathBuf,
    expected: usize,
    written: usize,
    buf: Vec<u8>,
    _t: std::marker::PhantomData<T>,
}

impl<T: NpyElement> NpyWriter<T> {
    /// Starts `path` with the given shape.
    pub fn create(path: &Path, shape: &[usize]) -> Result<Self, OutputError> {
        let (mut w, tmp) = create_tmp(path)?;
        w.write_all(&header(T::DESCR, shape))
            .map_err(|e| OutputError::io(&tmp, e))?;
        Ok(NpyWriter {
            w,
            tmp,
            path: path.to_path_buf(),
            expected: shape.iter().product(),
            written: 0,
            buf: Vec::new(),
            _t: Default::default(),
        })
    }

    /// Appends elements.
    pub fn write(&mut self, data: &[T]) -> Result<(), OutputError> {
        if self.written + data.len() > self.expected {
            return Err(OutputError::invalid(
                &self.path,
                format!(
                    "more than the {} elements of the declared shape",
                    self.expected
                ),
            ));
        }
        self.buf.clear();
        data.iter().for_each(|v| v.put(&mut self.buf));
        self.w
            .write_all(&self.buf)
            .map_err(|e| OutputError::io(&self.tmp, e))?;
        self.written += data.len();
        Ok(())
    }

    /// Checks the element count and moves the file into place.
    pub fn finish(self) -> Result<(), OutputError> {
        if self.written != self.expected {
            return Err(OutputError::invalid(
                &self.path,
                format!(
                    "{} elements written, shape holds {}",
                    self.written, self.expected
                ),
            ));
        }
        commit(self.w, &self.tmp, &self.path)
    }
}

/// Writes a whole array; `data.len()` must equal the product of `shape`.
pub fn write_npy<T: NpyElement>(
    path: &Path,
    shape: &[usize],
    data: &[T],
) -> Result<(), OutputError> {
    let mut w = NpyWriter::create(path, shape)?;
    w.write(data)?;
    w.finish()
}

/// Element data of an array read back from disk.
#[derive(Clone, Debug, PartialEq)]
pub enum NpyData {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
}

/// An array read by [`read_npy`], always in C order.
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub data: NpyData,
}

/// Reads little-endian `<f4`, `<f8`, `<i8`, `<i4`, `|b1` arrays (C or Fortran order) as written by
/// NumPy or [`write_npy`]. Object arrays (suite2p `stat.npy`) are rejected.
pub fn read_npy(path: &Path) -> Result<NpyArray, OutputError> {
    let bad = |d: &str| OutputError::invalid(path, d.to_string());
    let mut f = std::fs::File::open(path).map_err(|e| OutputError::io(path, e))?;
    let mut b = Vec::new();
    f.read_to_end(&mut b)
        .map_err(|e| OutputError::io(path, e))?;
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        return Err(bad("not an npy file"));
    }
    let (hlen, start) = match b[6] {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 if b.len() >= 12 => (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12),
        _ => return Err(bad("unknown npy version")),
    };
    let h = std::str::from_utf8(
        b.get(start..start + hlen)
            .ok_or_else(|| bad("short header"))?,
    )
    .map_err(|_| bad("header is not text"))?;
    let field = |k: &str| -> Option<&str> {
        let i = h.find(&format!("'{}':", k))? + k.len() + 3;
        Some(h[i..].trim_start())
    };
    let descr = field("descr")
        .and_then(|s| s.strip_prefix('\''))
        .and_then(|s| s.split('\'').next())
        .ok_or_else(|| bad("no descr"))?;
    let fortran = field("fortran_order").is_some_and(|s| s.starts_with("True"));
    let shape_txt = field("shape")
        .and_then(|s| s.strip_prefix('('))
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| bad("no shape"))?;
    let shape: Vec<usize> = shape_txt
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| bad("bad shape")))
        .collect::<Result<_, _>>()?;
    let n: usize = shape.iter().product();
    let body = &b[start + hlen..];
    let size = match descr {
        "<f4" | "<i4" => 4,
        "<f8" | "<i8" => 8,
        "|b1" | "|u1" => 1,
        _ => return Err(bad(&format!("dtype {} not supported", descr))),
    };
    if body.len() < n * size {
        return Err(bad("data shorter than shape"));
    }
    // Index in file order for C-order position i.
    let order: Vec<usize> = if fortran && shape.len() > 1 {
        let mut idx = Vec::with_capacity(n);
        for i in 0..n {
            let (mut rest, mut fi, mut stride) = (i, 0usize, 1usize);
            let mut coords = vec![0; shape.len()];
            for d in (0..shape.len()).rev() {
                coords[d] = rest % shape[d];
                rest /= shape[d];
            }
            for d in 0..shape.len() {
                fi += coords[d] * stride;
                stride *= shape[d];
            }
            idx.push(fi);
        }
        idx
    } else {
        (0..n).collect()
    };
    let at = |k: usize| &body[k * size..k * size + size];
    let data = match descr {
        "<f4" => NpyData::F32(
            order
                .iter()
                .map(|&k| f32::from_le_bytes(at(k).try_into().unwrap_or([0; 4])))
                .collect(),
        ),
        "<f8" => NpyData::F64(
            order
                .iter()
                .map(|&k| f64::from_le_bytes(at(k).try_into().unwrap_or([0; 8])))
                .collect(),
        ),
        "<i8" => NpyData::I64(
            order
                .iter()
                .map(|&k| i64::from_le_bytes(at(k).try_into().unwrap_or([0; 8])))
                .collect(),
        ),
        "<i4" => NpyData::I64(
            order
                .iter()
                .map(|&k| i32::from_le_bytes(at(k).try_into().unwrap_or([0; 4])) as i64)
                .collect(),
        ),
        "|u1" => NpyData::I64(order.iter().map(|&k| at(k)[0] as i64).collect()),
        _ => NpyData::Bool(order.iter().map(|&k| at(k)[0] != 0).collect()),
    };
    Ok(NpyArray { shape, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_64_byte_aligned_and_matches_numpy_text() {
        let h = header("<f4", &[23, 864]);
        assert_eq!(h.len() % 64, 0);
        let text = std::str::from_utf8(&h[10..]).unwrap();
        assert!(text.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (23, 864), }"));
        assert!(text.ends_with('\n'));
        assert!(std::str::from_utf8(&header("|b1", &[5])[10..])
            .unwrap()
            .contains("(5,)"));
    }

    #[test]
    fn roundtrip() {
        let p = std::env::temp_dir().join(format!("npy-rt-{}.npy", std::process::id()));
        write_npy(&p, &[2, 3], &[1f32, 2., 3., 4., 5., 6.]).unwrap();
        let a = read_npy(&p).unwrap();
        assert_eq!(a.shape, vec![2, 3]);
        assert_eq!(a.data, NpyData::F32(vec![1., 2., 3., 4., 5., 6.]));
        write_npy(&p, &[3], &[true, false, true]).unwrap();
        assert_eq!(
            read_npy(&p).unwrap().data,
            NpyData::Bool(vec![true, false, true])
        );
        let mut w = NpyWriter::<i64>::create(&p, &[2]).unwrap();
        w.write(&[1]).unwrap();
        assert!(w.finish().is_err());
        std::fs::remove_file(&p).ok();
    }
}
