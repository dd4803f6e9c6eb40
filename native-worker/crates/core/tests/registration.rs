//! Motion correction against synthetic movies with known rigid and non-rigid motion.

use worker_core::register::{register_source, RegisterOptions};
use worker_core::score::registration_rmse;
use worker_core::synth::{generate, SynthOptions};

#[test]
fn rigid_motion_is_recovered_to_subpixel_accuracy() {
    let so = SynthOptions { frames: 300, height: 128, width: 128, cells: 40, max_shift: 5.0, seed: 11, ..SynthOptions::default() };
    let (movies, truth) = generate(&so);
    let opts = RegisterOptions { nonrigid: false, ..RegisterOptions::default() };
    let reg = register_source(&movies[0], &opts, 100, &mut |_, _| Ok(()), &|_, _| {}).expect("register");
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
    let opts = RegisterOptions { block_size: 96, ..RegisterOptions::default() };
    let reg = register_source(&movies[0], &opts, 100, &mut |_, _| Ok(()), &|_, _| {}).expect("register");
    let grid = reg.grid.clone().expect("non-rigid grid");
    let (mut est, mut tru) = (Vec::new(), Vec::new());
    for (t, s) in reg.shifts.iter().enumerate() {
        let mut b = 0;
        for &y0 in &grid.ys {
            for &x0 in &grid.xs {
                let (cy, cx) = (y0 as f32 + (grid.bh as f32 - 1.0) / 2.0, x0 as f32 + (grid.bw as f32 - 1.0) / 2.0);
                est.push((s.block_dy[b], s.block_dx[b]));
                tru.push(truth.displacement(0, t, cy, cx));
                b += 1;
            }
        }
    }
    let err = registration_rmse(&est, &tru);
    let rigid_only: Vec<(f32, f32)> = reg.shifts.iter().flat_map(|s| std::iter::repeat((s.dy, s.dx)).take(grid.len())).collect();
    let err_rigid = registration_rmse(&rigid_only, &tru);
    println!(
        "non-rigid: {} blocks, RMS error {err:.3} px (rigid-only model: {err_rigid:.3} px); corr before {:.3} after {:.3}",
        grid.len(),
        reg.mean_corr_before(),
        reg.mean_corr_after()
    );
    assert!(err < 0.5, "non-rigid registration error {err:.3} px");
    assert!(err < err_rigid, "block shifts should explain more than a rigid shift");
}
