//! Spike trains (independent and group-driven) and their calcium transients.

use crate::rng::Rng;

/// Spike counts per frame for `n` cells: each cell fires independently at `rate` Hz, and members
/// of a group (`groups[i] = Some(g)`) also fire with probability `p_join` at their group's shared
/// events, which occur at `group_rate` Hz.
#[must_use]
pub fn spike_trains(
    rng: &mut Rng,
    groups: &[Option<usize>],
    frames: usize,
    fs: f32,
    rate: f32,
    group_rate: f32,
    p_join: f32,
) -> Vec<Vec<f32>> {
    let n_groups = groups.iter().flatten().copied().max().map_or(0, |g| g + 1);
    let events: Vec<Vec<bool>> = (0..n_groups)
        .map(|_| {
            (0..frames)
                .map(|_| rng.uniform() < f64::from(group_rate / fs))
                .collect()
        })
        .collect();
    groups
        .iter()
        .map(|g| {
            (0..frames)
                .map(|t| {
                    let mut s = 0.0;
                    if rng.uniform() < f64::from(rate / fs) {
                        s += rng.range(0.7, 1.3) as f32;
                    }
                    if let Some(g) = g {
                        if events[*g][t] && rng.uniform() < f64::from(p_join) {
                            s += rng.range(0.7, 1.3) as f32;
                        }
                    }
                    s
                })
                .collect()
        })
        .collect()
}

/// Calcium transient: spikes convolved with a GCaMP-like double exponential (rise `tau_rise`,
/// decay `tau` seconds), peak-normalised so one spike peaks at 1.
#[must_use]
pub fn calcium(spikes: &[f32], fs: f32, tau: f32, tau_rise: f32) -> Vec<f32> {
    let gd = (-1.0 / (tau * fs)).exp();
    let gr = (-1.0 / (tau_rise.max(1e-3) * fs)).exp();
    // peak of exp(-t/td) - exp(-t/tr) over integer frames
    let mut peak = 0.0f32;
    let (mut a, mut b) = (1.0f32, 1.0f32);
    for _ in 0..(10.0 * tau * fs) as usize + 2 {
        peak = peak.max(a - b);
        a *= gd;
        b *= gr;
    }
    let peak = peak.max(1e-6);
    let (mut d, mut r) = (0.0f32, 0.0f32);
    spikes
        .iter()
        .map(|&s| {
            d = d * gd + s;
            r = r * gr + s;
            (d - r) / peak
        })
        .collect()
}
