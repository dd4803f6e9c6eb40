//! Throughput probe (prints timings; asserts nothing about speed). Run with `--ignored --nocapture`.
use std::time::Instant;
use worker_core::register::{build_reference, RegisterOptions, Registrar};
use worker_core::synth::{generate, SynthOptions};

#[test]
#[ignore]
fn registration_timing_probe() {
    let (m, _) = generate(&SynthOptions {
        frames: 100,
        height: 256,
        width: 256,
        cells: 100,
        max_shift: 3.0,
        ..SynthOptions::default()
    });
    let opts = RegisterOptions::default();
    let t = Instant::now();
    let r = build_reference(&m[0], &opts).unwrap();
    let t_ref = t.elapsed().as_secs_f64();
    let time_reg = |o: &RegisterOptions| {
        let reg = Registrar::new(&r, 256, 256, o);
        let mut out = vec![0.0; 256 * 256];
        let t = Instant::now();
        for _ in 0..3 {
            for f in 0..100 {
                let _ = reg.register(m[0].frame(f), &mut out);
            }
        }
        t.elapsed().as_secs_f64() / 300.0
    };
    let per = time_reg(&opts);
    let per_rigid = time_reg(&RegisterOptions {
        nonrigid: false,
        ..opts.clone()
    });
    let pc = worker_core::register::PhaseCorrelator::new(&r, 256, 256, 1.15, 3.45);
    let t = Instant::now();
    for _ in 0..3 {
        for f in 0..100 {
            let _ = pc.shift(m[0].frame(f), 25);
        }
    }
    let per_pc = t.elapsed().as_secs_f64() / 300.0;
    println!(
        "timing: reference {t_ref:.2}s, register {:.2} ms/frame (rigid only {:.2} ms; one phase correlation {:.2} ms)",
        per * 1e3,
        per_rigid * 1e3,
        per_pc * 1e3
    );
}
