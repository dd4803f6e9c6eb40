//! Throughput probe (prints timings; asserts nothing about speed). Run with `--ignored --nocapture`.
use std::time::Instant;
use worker_core::register::{build_reference, Registrar, RegisterOptions};
use worker_core::synth::{generate, SynthOptions};

#[test]
#[ignore]
fn registration_timing_probe() {
    let (m, _) = generate(&SynthOptions { frames: 100, height: 256, width: 256, cells: 100, max_shift: 3.0, ..SynthOptions::default() });
    let opts = RegisterOptions::default();
    let t = Instant::now();
    let r = build_reference(&m[0], &opts).unwrap();
    let t_ref = t.elapsed().as_secs_f64();
    let reg = Registrar::new(&r, 256, 256, &opts);
    let mut out = vec![0.0; 256 * 256];
    let t = Instant::now();
    for f in 0..100 {
        let _ = reg.register(m[0].frame(f), &mut out);
    }
    let per = t.elapsed().as_secs_f64() / 100.0;
    let pc = worker_core::register::PhaseCorrelator::new(&r, 256, 256, 1.15, 3.45);
    let t = Instant::now();
    for f in 0..100 {
        let _ = pc.shift(m[0].frame(f), 25);
    }
    let per_pc = t.elapsed().as_secs_f64() / 100.0;
    println!("timing: reference {t_ref:.2}s, register {:.2} ms/frame (one phase correlation {:.2} ms)", per * 1e3, per_pc * 1e3);
}
