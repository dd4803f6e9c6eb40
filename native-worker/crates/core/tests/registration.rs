//! Motion correction against synthetic movies with known rigid and non-rigid motion.

use worker_core::register::{register_source, RegisterOptions};
use worker_core::score::registration_rmse;
use worker_core::synth::{generate, SynthOptions};

#[test]
fn rigid_motion_is_recovered_to_subpixel_accuracy() {
    let so = SynthOptions {
        frames: 300,
        height: 128,
        width: 128,
        cells: 40,
        max_shift: 5.0,
        seed: 11,
        ..SynthOptions::default()
    };
    let (movies, truth) = generate(&so);
    let opts = RegisterOptions {
        nonrigid: false,
        ..RegisterOptions::default()
    };
    let reg =
        register_source(&movies[0], &opts, 100, &mut |_, _| Ok(()), &|_, _| {}).expect("register");
    let est: Vec<(f32, f32)> = reg.shifts.iter().map(|s| (s.dy, s.dx)).collect();
    let err = registration_rmse(&est, &truth.rigid[0]);
    println!(
        "rigid: RMS error {err:.3} px; corr to reference before {:.3} after {:.3}",
        reg.mean_corr_before(),
        reg.mean_corr_after()
    );
    assert!(err < 0.5, "rigid registration error {err:.3} px");
    assert!(reg.mean_corr_after() > reg.mean_corr_before());
}

#[test]
fn nonrigid_motion_is_recovered_at_block_centres() {
    let so = SynthOptions {
        frames: 200,
        height: 256,
        width: 256,
        cells: 150,
        max_shift: 4.0,
        nonrigid: 1.5,
        seed: 12,
        ..SynthOptions::default()
    };
    let (movies, truth) = generate(&so);
    let opts = RegisterOptions {
        block_size: 96,
        ..RegisterOptions::default()
    };
    let reg =
        register_source(&movies[0], &opts, 100, &mut |_, _| Ok(()), &|_, _| {}).expect("register");
    let grid = reg.grid.clone().expect("non-rigid grid");
    // The reference is itself an average of deformed frames, so each block's displacement is
    // known only up to that block's own constant offset: score every block's series separately.
    let (mut se, mut sr) = (0.0f64, 0.0f64);
    let mut b = 0;
    for &y0 in &grid.ys {
        for &x0 in &grid.xs {
            let (cy, cx) = (
                y0 as f32 + (grid.bh as f32 - 1.0) / 2.0,
                x0 as f32 + (grid.bw as f32 - 1.0) / 2.0,
            );
            let tru: Vec<(f32, f32)> = (0..reg.shifts.len())
                .map(|t| truth.displacement(0, t, cy, cx))
                .collect();
            let est: Vec<(f32, f32)> = reg
                .shifts
                .iter()
                .map(|s| (s.block_dy[b], s.block_dx[b]))
                .collect();
            let rigid: Vec<(f32, f32)> = reg.shifts.iter().map(|s| (s.dy, s.dx)).collect();
            se += registration_rmse(&est, &tru).powi(2);
            sr += registration_rmse(&rigid, &tru).powi(2);
            b += 1;
        }
    }
    let err = (se / grid.len() as f64).sqrt();
    let err_rigid = (sr / grid.len() as f64).sqrt();
    println!(
        "non-rigid: {} blocks, RMS error {err:.3} px (rigid-only model: {err_rigid:.3} px); corr before {:.3} after {:.3}",
        grid.len(),
        reg.mean_corr_before(),
        reg.mean_corr_after()
    );
    assert!(err < 0.5, "non-rigid registration error {err:.3} px");
    assert!(
        err < err_rigid,
        "block shifts should explain more than a rigid shift"
    );
}
