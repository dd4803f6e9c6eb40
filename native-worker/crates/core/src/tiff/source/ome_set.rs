//! OME-TIFF file sets: the layout an OME block describes and, for its `TiffData` mapping, the
//! files of the set (found by name or, when renamed, by the UUID in their own OME header) and
//! the (file, IFD) of every frame.

use super::super::error::{Result, TiffError};
use super::super::handle::Backing;
use super::super::meta::{Axis, Layout, MetadataKind};
use super::super::ome::{self, FileRef, Ome};
use super::probe::probe;
use std::path::{Path, PathBuf};

/// Result of resolving an OME block: layout plus, for explicit mappings, the file set.
pub(super) struct Explicit {
    pub(super) files: Vec<Backing>,
    pub(super) table: Vec<Option<(u32, u32)>>,
    pub(super) frames: usize,
}

fn sibling_with_uuid(dir: &Path, uuid: &str) -> Option<PathBuf> {
    let list = super::super::inputs::list_folder(dir).ok()?;
    list.into_iter().find(|p| {
        let mut w = Vec::new();
        let Ok((_, pr)) = probe(&Backing::Path(p.clone()), &mut w) else {
            return false;
        };
        pr.first
            .descriptions
            .iter()
            .any(|d| d.contains("<OME") && ome::root_uuid(d).as_deref() == Some(uuid))
    })
}

fn resolve_file(dir: &Path, name: Option<&str>, uuid: Option<&str>) -> Option<PathBuf> {
    if let Some(n) = name {
        let p = dir.join(n);
        if p.is_file() {
            return Some(p);
        }
    }
    uuid.and_then(|u| sibling_with_uuid(dir, u))
}

pub(super) fn resolve_ome(
    b: &Backing,
    xml: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<(Layout, Option<Explicit>)>> {
    let name = b.name();
    let dir = name.parent().map(Path::to_path_buf).unwrap_or_default();
    let parsed = match ome::parse(xml, None) {
        Some(p) => p,
        None => {
            warnings.push(format!(
                "{}: OME-XML not understood; pages read in file order",
                name.display()
            ));
            return Ok(None);
        }
    };
    let (size_z, size_c, size_t, images, planes, rate_hz, voxel) = match parsed {
        Ome::Image {
            size_z,
            size_c,
            size_t,
            images,
            planes,
            time_increment_s,
            voxel,
        } => (
            size_z,
            size_c,
            size_t,
            images,
            planes,
            time_increment_s.map(|s| 1.0 / s),
            voxel,
        ),
        Ome::BinaryOnly {
            metadata_file,
            uuid,
        } => {
            let found = match &b {
                Backing::Path(_) => resolve_file(&dir, Some(&metadata_file), uuid.as_deref()),
                Backing::Memory(_) => None,
            };
            let Some(master) = found else {
                warnings.push(format!(
                    "{}: OME metadata file {} not found; reading this file alone",
                    name.display(),
                    metadata_file
                ));
                return Ok(None);
            };
            let text = if super::super::inputs::is_tiff_name(&master) {
                let mut w = Vec::new();
                let (_, p) = probe(&Backing::Path(master.clone()), &mut w)?;
                p.first
                    .descriptions
                    .into_iter()
                    .find(|d| d.contains("<OME"))
                    .unwrap_or_default()
            } else {
                let meta = std::fs::metadata(&master).map_err(|e| TiffError::Io {
                    path: master.clone(),
                    source: e,
                })?;
                if meta.len() > 256 << 20 {
                    return Ok(None);
                }
                std::fs::read_to_string(&master).map_err(|e| TiffError::Io {
                    path: master.clone(),
                    source: e,
                })?
            };
            if text.contains("BinaryOnly") {
                return Ok(None);
            }
            return resolve_ome(&Backing::Path(master), &text, warnings);
        }
    };
    if images > 1 {
        warnings.push(format!(
            "{}: OME describes {} images (positions/series); reading the first",
            name.display(),
            images
        ));
    }
    let layout = Layout {
        kind: MetadataKind::Ome,
        version: None,
        planes: size_z,
        z_in_file: size_z,
        page_channels: size_c,
        claimed_frames: Some(size_t),
        claimed_pages: None,
        order: [Axis::T, Axis::Z, Axis::C],
        rate_hz,
        voxel,
    };
    let mut files: Vec<Backing> = vec![b.clone()];
    let mut table = vec![None; size_t * size_z * size_c];
    for p in &planes {
        let fi = match &p.file {
            FileRef::This => 0,
            FileRef::Other { name: fname, uuid } => {
                let resolved = resolve_file(&dir, fname.as_deref(), uuid.as_deref());
                // Renamed single-file stacks (e.g. a prefix added to a Micro-Manager file) still
                // name their old file name: a name that ends this file's name means this file.
                let this_name = name
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if resolved.is_none()
                    && fname
                        .as_deref()
                        .is_some_and(|f| !f.is_empty() && this_name.ends_with(f))
                {
                    0
                } else {
                    let Some(path) = resolved else {
                        return Err(TiffError::Inconsistent {
                            path: name.clone(),
                            detail: format!(
                                "OME file set names {} (UUID {}), which is not in {}",
                                fname.as_deref().unwrap_or("?"),
                                uuid.as_deref().unwrap_or("?"),
                                dir.display()
                            ),
                        });
                    };
                    match files.iter().position(|f| f.name() == path) {
                        Some(i) => i,
                        None => {
                            files.push(Backing::Path(path));
                            files.len() - 1
                        }
                    }
                }
            }
        };
        let idx = (p.t * size_z + p.z) * size_c + p.c;
        if let Some(slot) = table.get_mut(idx) {
            *slot = Some((fi as u32, p.ifd.min(u32::MAX as usize) as u32));
        }
    }
    let missing = table.iter().filter(|s| s.is_none()).count();
    if missing > 0 {
        warnings.push(format!(
            "{}: {} planes are not mapped to any IFD and read as zeros",
            name.display(),
            missing
        ));
    }
    Ok(Some((
        layout,
        Some(Explicit {
            files,
            table,
            frames: size_t,
        }),
    )))
}
