//! OME-XML: dimensions of the first Image and the mapping of its planes to (file, IFD).
//! Only what the reader needs is extracted; unknown elements are ignored.

use super::voxel::{self, VoxelSize};

/// Which file a plane lives in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileRef {
    /// The file that holds this XML.
    This,
    /// Another file of a multi-file set, by name and/or UUID.
    Other {
        name: Option<String>,
        uuid: Option<String>,
    },
}

/// A plane of the image and where it is stored.
#[derive(Clone, Debug)]
pub struct PlaneRef {
    pub t: usize,
    pub z: usize,
    pub c: usize,
    pub file: FileRef,
    pub ifd: usize,
}

/// What an OME-XML block says.
#[derive(Clone, Debug)]
pub enum Ome {
    /// Full metadata for the first image.
    Image {
        size_z: usize,
        size_c: usize,
        size_t: usize,
        images: usize,
        planes: Vec<PlaneRef>,
        /// Seconds between time points (`TimeIncrement`, converted from its unit).
        time_increment_s: Option<f64>,
        /// `PhysicalSizeX/Y/Z` in µm.
        voxel: VoxelSize,
    },
    /// `BinaryOnly`: the metadata lives in another file.
    BinaryOnly {
        metadata_file: String,
        uuid: Option<String>,
    },
}

/// Limit on planes described, to bound memory on hostile XML: a real document spends at
/// least a few bytes of XML per plane-mapping element, and a plane count far beyond that is a lie.
const MAX_PLANES: usize = 50_000_000;

fn plane_limit(xml_len: usize) -> usize {
    xml_len
        .saturating_mul(64)
        .saturating_add(1 << 20)
        .min(MAX_PLANES)
}

/// The root `UUID` attribute of an OME-XML document.
pub fn root_uuid(xml: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    doc.root_element().attribute("UUID").map(str::to_string)
}

fn attr_usize(n: &roxmltree::Node, k: &str) -> Option<usize> {
    n.attribute(k).and_then(|v| v.trim().parse().ok())
}

fn time_increment(px: &roxmltree::Node) -> Option<f64> {
    let v: f64 = px.attribute("TimeIncrement")?.trim().parse().ok()?;
    let scale = match px.attribute("TimeIncrementUnit").unwrap_or("s") {
        "s" => 1.0,
        "ms" => 1e-3,
        "µs" | "us" => 1e-6,
        "min" => 60.0,
        _ => return None,
    };
    Some(v * scale).filter(|s| s.is_finite() && *s > 0.0)
}

/// Parses OME-XML; `None` if it is not OME or not understood.
pub fn parse(xml: &str, this_uuid: Option<&str>) -> Option<Ome> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    let root = doc.root_element();
    if root.tag_name().name() != "OME" {
        return None;
    }
    let this_uuid = this_uuid
        .map(str::to_string)
        .or_else(|| root.attribute("UUID").map(str::to_string));
    if let Some(b) = root
        .children()
        .find(|n| n.tag_name().name() == "BinaryOnly")
    {
        return Some(Ome::BinaryOnly {
            metadata_file: b.attribute("MetadataFile").unwrap_or("").to_string(),
            uuid: b.attribute("UUID").map(str::to_string),
        });
    }
    let images: Vec<_> = root
        .children()
        .filter(|n| n.tag_name().name() == "Image")
        .collect();
    let image = images.first()?;
    let px = image.children().find(|n| n.tag_name().name() == "Pixels")?;
    let size_z = attr_usize(&px, "SizeZ").unwrap_or(1).max(1);
    let size_c_total = attr_usize(&px, "SizeC").unwrap_or(1).max(1);
    let size_t = attr_usize(&px, "SizeT").unwrap_or(1).max(1);
    // RGB-like channels stored as samples of one page count once per page here.
    let samples = px
        .children()
        .find(|n| n.tag_name().name() == "Channel")
        .and_then(|c| attr_usize(&c, "SamplesPerPixel"))
        .unwrap_or(1)
        .max(1);
    let size_c = if samples > 1 && size_c_total.is_multiple_of(samples) {
        size_c_total / samples
    } else {
        size_c_total
    };
    let total = size_z.checked_mul(size_c)?.checked_mul(size_t)?;
    if total > plane_limit(xml.len()) {
        return None;
    }
    let order = px.attribute("DimensionOrder").unwrap_or("XYZCT");
    // Axes from fastest to slowest after X and Y.
    let axes: Vec<char> = order.chars().skip(2).collect();
    let size = |a: char| match a {
        'Z' => size_z,
        'C' => size_c,
        _ => size_t,
    };
    let unravel = |i: usize| -> (usize, usize, usize) {
        let (mut t, mut z, mut c) = (0, 0, 0);
        let mut rest = i;
        for &a in &axes {
            let s = size(a);
            let v = rest % s;
            rest /= s;
            match a {
                'Z' => z = v,
                'C' => c = v,
                _ => t = v,
            }
        }
        (t, z, c)
    };
    let ravel = |t: usize, z: usize, c: usize| -> usize {
        let mut i = 0;
        for &a in axes.iter().rev() {
            let v = match a {
                'Z' => z,
                'C' => c,
                _ => t,
            };
            i = i * size(a) + v;
        }
        i
    };
    let tds: Vec<_> = px
        .children()
        .filter(|n| n.tag_name().name() == "TiffData")
        .collect();
    let mut planes = Vec::new();
    if tds.is_empty() {
        for i in 0..total {
            let (t, z, c) = unravel(i);
            planes.push(PlaneRef {
                t,
                z,
                c,
                file: FileRef::This,
                ifd: i,
            });
        }
    }
    for td in &tds {
        let ifd0 = attr_usize(td, "IFD").unwrap_or(0);
        let (fz, fc, ft) = (
            attr_usize(td, "FirstZ").unwrap_or(0),
            attr_usize(td, "FirstC").unwrap_or(0),
            attr_usize(td, "FirstT").unwrap_or(0),
        );
        if fz >= size_z || fc >= size_c || ft >= size_t {
            continue;
        }
        let start = ravel(ft, fz, fc);
        let count =
            attr_usize(td, "PlaneCount").unwrap_or(if tds.len() == 1 { total - start } else { 1 });
        let file = match td.children().find(|n| n.tag_name().name() == "UUID") {
            Some(u) => {
                let uuid = u.text().map(|s| s.trim().to_string());
                if uuid.is_some() && uuid.as_deref() == this_uuid.as_deref() {
                    FileRef::This
                } else {
                    FileRef::Other {
                        name: u.attribute("FileName").map(str::to_string),
                        uuid,
                    }
                }
            }
            None => FileRef::This,
        };
        for k in 0..count.min(total - start) {
            let (t, z, c) = unravel(start + k);
            planes.push(PlaneRef {
                t,
                z,
                c,
                file: file.clone(),
                ifd: ifd0.saturating_add(k),
            });
        }
    }
    Some(Ome::Image {
        size_z,
        size_c,
        size_t,
        images: images.len(),
        planes,
        time_increment_s: time_increment(&px),
        voxel: voxel::ome(|k| px.attribute(k)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimension_order_and_tiffdata() {
        let xml = r#"<OME UUID="urn:a"><Image><Pixels DimensionOrder="XYCZT" SizeX="2" SizeY="2" SizeZ="2" SizeC="3" SizeT="1">
            <TiffData IFD="0" PlaneCount="6"/></Pixels></Image></OME>"#;
        match parse(xml, None).unwrap() {
            Ome::Image {
                size_z,
                size_c,
                planes,
                ..
            } => {
                assert_eq!((size_z, size_c, planes.len()), (2, 3, 6));
                assert_eq!((planes[4].z, planes[4].c, planes[4].ifd), (1, 1, 4));
            }
            _ => panic!("expected image"),
        }
    }

    #[test]
    fn other_files_by_uuid() {
        let xml = r#"<OME UUID="urn:a"><Image><Pixels DimensionOrder="XYCTZ" SizeZ="2" SizeC="1" SizeT="1">
            <TiffData FirstZ="1"><UUID FileName="b.tif">urn:b</UUID></TiffData></Pixels></Image></OME>"#;
        let Some(Ome::Image { planes, .. }) = parse(xml, None) else {
            panic!()
        };
        assert_eq!(
            planes[0].file,
            FileRef::Other {
                name: Some("b.tif".into()),
                uuid: Some("urn:b".into())
            }
        );
    }
}
