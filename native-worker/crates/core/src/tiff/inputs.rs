//! Expanding the user's input (files and/or folders) into an ordered list of TIFF files.

use super::error::{Result, TiffError};
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// True if the name ends in `.tif` or `.tiff` (any case).
pub fn is_tiff_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("tif") || e.eq_ignore_ascii_case("tiff"))
}

/// Compares names so that embedded numbers sort by value (`t2` before `t10`).
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let nx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let ny = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (dx, dy) = (&x[..nx], &y[..ny]);
                let tx = dx.iter().skip_while(|&&c| c == b'0').count();
                let ty = dy.iter().skip_while(|&&c| c == b'0').count();
                let o = tx
                    .cmp(&ty)
                    .then_with(|| dx[nx - tx..].cmp(&dy[ny - ty..]))
                    .then_with(|| nx.cmp(&ny));
                if o != Ordering::Equal {
                    return o;
                }
                x = &x[nx..];
                y = &y[ny..];
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

/// Lists the TIFF files of a folder in natural name order.
pub fn list_folder(dir: &Path) -> Result<Vec<PathBuf>> {
    let io = |e| TiffError::Io {
        path: dir.to_path_buf(),
        source: e,
    };
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && is_tiff_name(p))
        .collect();
    v.sort_by(|a, b| {
        natural_cmp(
            &a.file_name().unwrap_or_default().to_string_lossy(),
            &b.file_name().unwrap_or_default().to_string_lossy(),
        )
    });
    Ok(v)
}

/// Expands inputs: folders become their TIFF files in name order, files stay in the given order.
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            out.extend(list_folder(p)?);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(TiffError::Io {
                path: p.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            });
        }
    }
    if out.is_empty() {
        return Err(TiffError::NoInput {
            path: inputs.first().cloned().unwrap_or_default(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut v = vec!["t10.tif", "t2.tif", "t1.tif", "t02.tif"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, vec!["t1.tif", "t2.tif", "t02.tif", "t10.tif"]);
    }
}
