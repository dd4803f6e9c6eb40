//! `synth`: a synthetic recording with known cells, as a TIFF plus its ground truth as JSON.
//! Used by `scopecloud demo` and the benchmarks; the same generator the tests score against.

use crate::args::SynthArgs;
use crate::commands::Log;
use crate::exit::CliError;
use serde::Serialize;
use worker_core::output::write_json;
use worker_core::output::{TiffSample, TiffWriter};
use worker_core::synth::{generate, SynthOptions};

#[derive(Serialize)]
struct TruthCell {
    id: usize,
    plane: usize,
    group: Option<usize>,
    coordinates: Vec<[usize; 2]>,
}

#[derive(Serialize)]
struct Truth {
    schema: u32,
    frames: usize,
    height: usize,
    width: usize,
    planes: usize,
    fs: f32,
    seed: u64,
    /// Neurofinder-style regions of every planted cell.
    cells: Vec<TruthCell>,
    /// Rigid motion per plane per frame, `[dy, dx]`.
    rigid: Vec<Vec<[f32; 2]>>,
}

pub fn run(a: &SynthArgs, log: &Log) -> Result<(), CliError> {
    if a.frames == 0 || a.width < 16 || a.height < 16 || a.planes == 0 {
        return Err(CliError::Usage(
            "--frames and --planes must be at least 1, --width and --height at least 16".into(),
        ));
    }
    for (flag, v) in [("--pixel-size", a.pixel_size), ("--z-step", a.z_step)] {
        if v.is_some_and(|v| !(v.is_finite() && (1e-3..1e6).contains(&v))) {
            return Err(CliError::Usage(format!(
                "{flag} must be between 0.001 and 1000000 micrometres"
            )));
        }
    }
    let opts = SynthOptions {
        frames: a.frames,
        height: a.height,
        width: a.width,
        planes: a.planes,
        cells: a.cells,
        groups: a.groups,
        max_shift: a.max_shift,
        fs: a.fs,
        seed: a.seed,
        ..SynthOptions::default()
    };
    log.info(format!(
        "synth: {} frames x {} planes of {}x{}, {} cells, seed {}",
        a.frames, a.planes, a.width, a.height, a.cells, a.seed
    ));
    let (movies, truth) = generate(&opts);
    // Planes are interleaved page by page (t0z0, t0z1, ...) as ImageJ hyperstacks store them.
    let mut description = format!(
        "ImageJ=1.11a\nimages={}\nslices={}\nframes={}\nhyperstack={}\nfinterval={}\n",
        a.frames * a.planes,
        a.planes,
        a.frames,
        a.planes > 1,
        1.0 / a.fs
    );
    if a.pixel_size.is_some() || a.z_step.is_some() {
        description.push_str("unit=micron\n");
    }
    if let Some(z) = a.z_step {
        description.push_str(&format!("spacing={z}\n"));
    }
    // Pixels per micrometre as a rational with a denominator of 10^6.
    let resolution = a
        .pixel_size
        .map(|p| (((1e6 / p).round() as u32).max(1), 1_000_000));
    let w = TiffWriter::create(
        &a.out,
        a.width,
        a.height,
        TiffSample::U16,
        a.frames * a.planes,
        Some(&description),
    )?;
    let mut w = match resolution {
        Some((n, d)) => w.with_resolution(n, d),
        None => w,
    };
    for t in 0..a.frames {
        for m in &movies {
            w.write_frame(m.frame(t))?;
        }
    }
    w.finish()?;
    let truth_doc = Truth {
        schema: 1,
        frames: a.frames,
        height: a.height,
        width: a.width,
        planes: a.planes,
        fs: a.fs,
        seed: a.seed,
        cells: truth
            .cells
            .iter()
            .enumerate()
            .map(|(id, c)| TruthCell {
                id,
                plane: c.plane,
                group: c.group,
                coordinates: c.pixels.iter().map(|&(r, c)| [r, c]).collect(),
            })
            .collect(),
        rigid: truth
            .rigid
            .iter()
            .map(|p| p.iter().map(|&(dy, dx)| [dy, dx]).collect())
            .collect(),
    };
    if let Some(path) = &a.truth {
        write_json(path, &truth_doc)?;
    }
    Ok(())
}
