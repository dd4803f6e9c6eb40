//! `crc32c`: the CRC32C (Castagnoli) of files in the form S3 and ScopeCloud's session manifests
//! record it: base64 of the 4-byte big-endian value. Streams each file (1 MiB buffer); uses the
//! SSE4.2 instruction when the CPU has it, a lookup table otherwise (same result).

use crate::args::Crc32cArgs;
use crate::exit::CliError;
use std::fs::File;
use std::io::{ErrorKind, Read, Write};

const POLY: u32 = 0x82F6_3B78;

const fn table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static TABLE: [u32; 256] = table();

/// Advances the raw (pre-inverted) CRC state over `data`.
fn update(state: u32, data: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("sse4.2") {
            // SAFETY: the CPU supports SSE4.2 (checked above).
            return unsafe { update_sse42(state, data) };
        }
    }
    data.iter().fold(state, |c, &b| {
        TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8)
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
unsafe fn update_sse42(state: u32, data: &[u8]) -> u32 {
    use std::arch::x86_64::{_mm_crc32_u64, _mm_crc32_u8};
    let mut c = state as u64;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        c = _mm_crc32_u64(c, u64::from_le_bytes(w.try_into().unwrap()));
    }
    let mut c = c as u32;
    for &b in words.remainder() {
        c = _mm_crc32_u8(c, b);
    }
    c
}

fn base64_be(v: u32) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = v.to_be_bytes();
    let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
    let m = (b[3] as u32) << 16;
    [n >> 18, n >> 12, n >> 6, n, m >> 18, m >> 12]
        .iter()
        .map(|&i| A[(i & 63) as usize] as char)
        .chain("==".chars())
        .collect()
}

fn file_crc(path: &std::path::Path) -> Result<(u32, u64), CliError> {
    let what = |e: std::io::Error| CliError::Input(format!("{}: {}", path.display(), e));
    let mut f = File::open(path).map_err(what)?;
    let mut buf = vec![0u8; 1 << 20];
    let (mut state, mut bytes) = (!0u32, 0u64);
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                state = update(state, &buf[..n]);
                bytes += n as u64;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(what(e)),
        }
    }
    Ok((!state, bytes))
}

pub fn run(a: &Crc32cArgs) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    for path in &a.files {
        let (crc, bytes) = file_crc(path)?;
        let line = serde_json::json!({ "path": path.display().to_string(), "crc32c": base64_be(crc), "bytes": bytes });
        writeln!(out, "{}", line).map_err(|e| CliError::Output(format!("stdout: {}", e)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crc32c(data: &[u8]) -> u32 {
        !update(!0, data)
    }

    #[test]
    fn known_values() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
        let table_only = !b"123456789".iter().fold(!0u32, |c, &b| {
            TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8)
        });
        assert_eq!(table_only, 0xE306_9283);
        // as S3 reports it
        assert_eq!(base64_be(0xE306_9283), "4waSgw==");
        assert_eq!(base64_be(0), "AAAAAA==");
    }

    #[test]
    fn long_input_matches_the_table() {
        let data: Vec<u8> = (0..100_003u32).map(|i| (i * 31 % 251) as u8).collect();
        let table_only = !data.iter().fold(!0u32, |c, &b| {
            TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8)
        });
        assert_eq!(crc32c(&data), table_only);
    }
}
