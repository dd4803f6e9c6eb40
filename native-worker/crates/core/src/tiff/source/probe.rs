//! The first look at one file: its header, IFD chain and first page, and the comparisons
//! between pages that decide what belongs to the movie.

use super::super::error::Result;
use super::super::handle::{Backing, Handle};
use super::super::header::{read_header, walk_chain, Header};
use super::super::ifd::{read_ifd, Ifd};
use super::super::page::check_supported;

pub(super) struct Probe {
    pub(super) header: Header,
    pub(super) ifds: Vec<u64>,
    pub(super) first: Ifd,
}

pub(super) fn probe(b: &Backing, warnings: &mut Vec<String>) -> Result<(Handle, Probe)> {
    let mut h = b.open()?;
    let header = read_header(&mut h)?;
    let mut ifds = walk_chain(&mut h, &header, warnings)?;
    let first = read_ifd(&mut h, header, ifds[0])?;
    check_supported(&first, &h)?;
    // Trailing pages of another size (previews, thumbnails, masks) are dropped, not read as
    // frames; pages of another size in the middle are reported when read.
    while ifds.len() > 1 {
        let last = *ifds.last().unwrap_or(&0);
        let keep = matches!(read_ifd(&mut h, header, last), Ok(l) if same_format(&l, &first));
        if keep {
            break;
        }
        ifds.pop();
        warnings.push(format!(
            "{}: last page differs from the first (preview or corrupt page); ignored",
            h.path().display()
        ));
    }
    Ok((
        h,
        Probe {
            header,
            ifds,
            first,
        },
    ))
}

/// Frame-invariant ScanImage text stored after the header of SI 2016+ files.
pub(super) fn scanimage_header_text(h: &mut Handle, hd: &Header) -> Option<String> {
    let at = if hd.bigtiff { 16 } else { 8 };
    let mut b = [0u8; 16];
    h.read_at(at, &mut b, "ScanImage header").ok()?;
    if hd.order.u32(&b[0..4]) != 117_637_889 {
        return None;
    }
    let len = hd.order.u32(&b[8..12]) as u64;
    if len > 64 << 20 {
        return None;
    }
    let v = h.read_vec(at + 16, len, "ScanImage metadata").ok()?;
    Some(String::from_utf8_lossy(&v).into_owned())
}

/// Pages in the first series of a tifffile "shaped" file (`{"shape": [...]}` description).
pub(super) fn shaped_series_pages(first: &Ifd) -> Option<usize> {
    let d = first.descriptions.first()?;
    if !d.starts_with("{\"shape\"") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(d).ok()?;
    let mut n: u128 = 1;
    for x in v.get("shape")?.as_array()? {
        n = n.checked_mul(x.as_u64()? as u128)?;
    }
    let per_page = first.width as u128 * first.height as u128 * first.samples_per_pixel as u128;
    usize::try_from(n / per_page).ok().filter(|&p| p > 0)
}

pub(super) fn same_format(a: &Ifd, b: &Ifd) -> bool {
    a.width == b.width
        && a.height == b.height
        && a.samples_per_pixel == b.samples_per_pixel
        && a.bits_per_sample == b.bits_per_sample
        && (a.sample_format == b.sample_format
            || a.sample_format.max(b.sample_format) == 4
                && a.sample_format.min(b.sample_format) == 1)
}

pub(super) fn format_text(i: &Ifd) -> String {
    format!(
        "{}x{} pixels, {} samples of {} bits (format {})",
        i.width, i.height, i.samples_per_pixel, i.bits_per_sample, i.sample_format
    )
}
