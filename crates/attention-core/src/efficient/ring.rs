//! Ring attention, simulated on `P` devices.
//!
//! Queries and keys/values are split into `P` contiguous blocks (sizes
//! differ by at most one row: the first `n mod P` blocks get the extra row).
//! Device `p` holds query block `p` for the whole run and starts with K/V
//! block `p`. At each of `P` steps every device computes its queries against
//! the K/V block it holds (an online softmax, as in [`tiled`](super::tiled))
//! and then passes that block to device `p + 1 (mod P)`; so at step `t`
//! device `p` holds K/V block `(p - t) mod P`, and after `P` steps every
//! device has seen every block exactly once. `P` must be between 1 and `n`
//! (more devices than positions is an error, not clamped). With a causal
//! mask a device skips (holds but does not compute) blocks whose keys all
//! come after its queries.

use super::{ensure_positive, scale_factor, score_tile, validate_qkv, OnlineState};
use crate::{AttnError, Mat};

/// What one device does at one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceStep {
    /// The device `p`.
    pub device: usize,
    /// The K/V block it holds at this step: `(p - step) mod P`.
    pub kv_block: usize,
    /// Positions of that block, `start..end`.
    pub kv_range: (usize, usize),
    /// False when causal masking hides the whole block from the device's
    /// queries (nothing computed).
    pub computed: bool,
    /// Numbers of its query block: `rows * d_k`.
    pub query_numbers: usize,
    /// Numbers of the K/V block it holds: `block_rows * (d_k + d_v)`.
    pub kv_numbers: usize,
    /// Running max and sum: `2 * rows`.
    pub stats_numbers: usize,
    /// Partial output: `rows * d_v`.
    pub partial_numbers: usize,
    /// Score tile `rows * block_rows` (0 when not computed).
    pub tile_numbers: usize,
    /// Sum of the five counts above: held by the device at this step.
    pub total_numbers: usize,
}

/// One step of the ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingStep {
    /// The step `t` (0-based).
    pub step: usize,
    /// One entry per device, in device order.
    pub devices: Vec<DeviceStep>,
}

/// A device over the whole run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceMemory {
    /// The device `p`.
    pub device: usize,
    /// Its query positions, `start..end`.
    pub query_range: (usize, usize),
    /// Peak of `total_numbers` over the steps.
    pub peak_numbers: usize,
}

/// Result of [`ring_attention`].
#[derive(Clone, Debug, PartialEq)]
pub struct RingAttention {
    /// The output, `n x d_v` (equal to dense attention's).
    pub output: Mat,
    /// The `P` blocks, `start..end` each.
    pub blocks: Vec<(usize, usize)>,
    /// The schedule, one entry per step (`P` steps).
    pub schedule: Vec<RingStep>,
    /// Per-device peak memory.
    pub devices: Vec<DeviceMemory>,
    /// What one device running dense attention alone would hold:
    /// `n * n + n * d_v`.
    pub dense_numbers: usize,
    /// The factor c.
    pub scale_factor: f64,
}

/// The `devices` contiguous blocks `start..end` of `0..n`, sizes differing
/// by at most one (the first `n mod devices` blocks are one longer). Err if
/// `devices == 0` or `devices > n`.
pub fn ring_blocks(n: usize, devices: usize) -> Result<Vec<(usize, usize)>, AttnError> {
    ensure_positive("devices", devices)?;
    if devices > n {
        return Err(AttnError::value(
            "devices",
            format!("must be at most n = {n} (one position per device at least), got {devices}"),
        ));
    }
    let (base, extra) = (n / devices, n % devices);
    let mut blocks = Vec::with_capacity(devices);
    let mut start = 0;
    for p in 0..devices {
        let len = base + usize::from(p < extra);
        blocks.push((start, start + len));
        start += len;
    }
    Ok(blocks)
}

/// Ring attention of `q`, `k` (`n x d_k`) and `v` (`n x d_v`) on `devices`
/// simulated devices (see the module doc). Returns the `n x d_v` output
/// (equal to [`dense_attention`](super::dense_attention) up to rounding),
/// the blocks, the schedule (who holds which K/V block at each step and
/// the numbers each device holds) and the per-device peaks. Err if
/// `devices == 0` or `devices > n`, on bad shapes, non-finite inputs or
/// overflowing scores.
pub fn ring_attention(
    q: &Mat,
    k: &Mat,
    v: &Mat,
    causal: bool,
    scale: bool,
    devices: usize,
) -> Result<RingAttention, AttnError> {
    let (n, d_k, d_v) = validate_qkv(q, k, v)?;
    let blocks = ring_blocks(n, devices)?;
    let c = scale_factor(d_k, scale);
    let mut states: Vec<OnlineState> = blocks
        .iter()
        .map(|&(s, e)| OnlineState::new(e - s, d_v))
        .collect();
    let mut peaks = vec![0usize; devices];
    let mut schedule = Vec::with_capacity(devices);
    for step in 0..devices {
        let mut row = Vec::with_capacity(devices);
        for (p, ((state, &(q_start, q_end)), peak)) in states
            .iter_mut()
            .zip(blocks.iter())
            .zip(peaks.iter_mut())
            .enumerate()
        {
            let kv_block = (p + devices - step) % devices;
            let (k_start, k_end) = blocks.get(kv_block).copied().ok_or_else(|| {
                AttnError::value("devices", format!("no block {kv_block} (internal)"))
            })?;
            let (rows, cols) = (q_end - q_start, k_end - k_start);
            let computed = !(causal && k_start > q_end - 1);
            let mut tile_numbers = 0;
            if computed {
                let tile = score_tile(
                    &q.rows(q_start, rows),
                    q_start,
                    &k.rows(k_start, cols),
                    k_start,
                    c,
                    causal,
                )?;
                tile_numbers = tile.len();
                state.absorb(tile, &v.rows(k_start, cols));
            }
            let query_numbers = rows * d_k;
            let kv_numbers = cols * (d_k + d_v);
            let stats_numbers = state.stats_numbers();
            let partial_numbers = state.o.len();
            let total_numbers =
                query_numbers + kv_numbers + stats_numbers + partial_numbers + tile_numbers;
            *peak = (*peak).max(total_numbers);
            row.push(DeviceStep {
                device: p,
                kv_block,
                kv_range: (k_start, k_end),
                computed,
                query_numbers,
                kv_numbers,
                stats_numbers,
                partial_numbers,
                tile_numbers,
                total_numbers,
            });
        }
        schedule.push(RingStep { step, devices: row });
    }
    let mut output = Mat::zeros(n, d_v);
    for (state, &(s, e)) in states.iter().zip(blocks.iter()) {
        output.rows_mut(s, e - s).copy_from(&state.finish()?);
    }
    let devices = blocks
        .iter()
        .zip(peaks)
        .enumerate()
        .map(|(p, (&query_range, peak_numbers))| DeviceMemory {
            device: p,
            query_range,
            peak_numbers,
        })
        .collect();
    Ok(RingAttention {
        output,
        blocks,
        schedule,
        devices,
        dense_numbers: n * n + n * d_v,
        scale_factor: c,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_differ_by_at_most_one() {
        assert_eq!(ring_blocks(5, 2).unwrap(), vec![(0, 3), (3, 5)]);
        assert_eq!(ring_blocks(7, 3).unwrap(), vec![(0, 3), (3, 5), (5, 7)]);
        assert_eq!(ring_blocks(1, 1).unwrap(), vec![(0, 1)]);
        assert!(ring_blocks(3, 4).is_err());
        assert!(ring_blocks(3, 0).is_err());
    }
}
