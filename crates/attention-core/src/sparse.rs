//! Sparse attention patterns: masks, counts, reach over layers, and
//! attention that only scores the allowed keys (chapter 6).
//!
//! A pattern says which keys `j` each query `i` may see (`0 <= i, j < n`,
//! rows are queries). The exact definitions, with `r = w / 2` (integer
//! division: the half-width; an odd `w` is exactly `w` keys wide, an even
//! `w` is `w + 1` wide):
//!
//! * `Full`: every `j`.
//! * `Causal`: `j <= i`.
//! * `Window { w }`: `|i - j| <= r` (a symmetric band, as in Longformer's
//!   sliding window).
//! * `Dilated { w, stride }` (Child et al. 2019, "strided", here made
//!   bidirectional): `|i - j| <= r` **or** `|i - j|` is a multiple of
//!   `stride`. Child et al.'s autoregressive version is this mask with
//!   `j <= i` in addition.
//! * `LocalGlobal { w, globals: g }` (Longformer / BigBird global tokens):
//!   `|i - j| <= r` **or** `i < g` **or** `j < g` (the first `g` tokens see
//!   everything and are seen by everything).
//! * `RandomBlocks { block, per_row, seed }` (BigBird random attention):
//!   positions are cut into blocks of `block` (the last may be shorter),
//!   `nb = ceil(n / block)`; each query block sees its own (diagonal) block
//!   plus `min(per_row, nb - 1)` distinct other key blocks drawn uniformly
//!   without replacement by [`Rng`] seeded with `seed` (query blocks in
//!   order, Floyd's sampling algorithm for each). Not symmetric.
//!
//! Every pattern contains the diagonal, so a position always sees itself.
//!
//! The mask ([`BoolMask`]) is stored as the sorted list of allowed key
//! indices per query (memory = number of allowed entries), built directly
//! from the definition in `O(nnz)`; [`BoolMask::to_bitsets`] gives bit rows.
//! [`nonzero_count`] counts without building anything.

use crate::{softmax, AttnError, Mat, Rng};

/// The most allowed entries [`mask`] will build (`2^24`, about 16.8 million:
/// full attention at `n = 4096`);
/// use [`nonzero_count`] beyond.
pub const MAX_MASK_ENTRIES: u128 = 1 << 24;
/// The largest `n` any pattern accepts (`2^40`), so that every count fits
/// in `u128`.
pub const MAX_N: u64 = 1 << 40;
/// The largest `n` accepted by [`reach`] and [`BoolMask::to_dense`].
pub const MAX_REACH_N: usize = 4096;
/// The most layers accepted by [`reach`].
pub const MAX_REACH_LAYERS: usize = 256;

/// A sparse attention pattern (see the module docs for exact definitions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// Every query sees every key.
    Full,
    /// Query `i` sees keys `j <= i`.
    Causal,
    /// `|i - j| <= w / 2`; `w >= 1`.
    Window {
        /// Window width (`w >= 1`).
        w: usize,
    },
    /// `|i - j| <= w / 2` or `|i - j|` a multiple of `stride`.
    Dilated {
        /// Local window width (`w >= 1`).
        w: usize,
        /// Stride (`>= 1`).
        stride: usize,
    },
    /// `|i - j| <= w / 2` or `i < globals` or `j < globals`.
    LocalGlobal {
        /// Local window width (`w >= 1`).
        w: usize,
        /// Number of global tokens at the start (`<= n`).
        globals: usize,
    },
    /// Diagonal block plus `per_row` random other blocks per query block.
    RandomBlocks {
        /// Block size (`>= 1`).
        block: usize,
        /// Random key blocks per query block (capped at `nb - 1`).
        per_row: usize,
        /// Seed of the draw.
        seed: u64,
    },
}

impl Pattern {
    /// A short label, e.g. `window(w=3)`.
    pub fn label(&self) -> String {
        match self {
            Pattern::Full => "full".into(),
            Pattern::Causal => "causal".into(),
            Pattern::Window { w } => format!("window(w={w})"),
            Pattern::Dilated { w, stride } => format!("dilated(w={w}, stride={stride})"),
            Pattern::LocalGlobal { w, globals } => {
                format!("local+global(w={w}, globals={globals})")
            }
            Pattern::RandomBlocks {
                block,
                per_row,
                seed,
            } => format!("random blocks(block={block}, per_row={per_row}, seed={seed})"),
        }
    }

    /// True for patterns where no query sees a later key (only `Causal`).
    pub fn is_causal(&self) -> bool {
        matches!(self, Pattern::Causal)
    }

    /// Checks the pattern for length `n`: Err if `n = 0`, `w = 0`,
    /// `n > MAX_N`, `stride = 0`, `block = 0` or `globals > n`.
    pub fn validate(&self, n: usize) -> Result<(), AttnError> {
        if n == 0 {
            return Err(AttnError::value("n", "must be at least 1, got 0"));
        }
        if n as u64 > MAX_N {
            return Err(AttnError::value(
                "n",
                format!("must be at most {MAX_N}, got {n}"),
            ));
        }
        let zero = |field: &str| AttnError::value(field, "must be at least 1, got 0");
        match *self {
            Pattern::Full | Pattern::Causal => {}
            Pattern::Window { w } => {
                if w == 0 {
                    return Err(zero("w"));
                }
            }
            Pattern::Dilated { w, stride } => {
                if w == 0 {
                    return Err(zero("w"));
                }
                if stride == 0 {
                    return Err(zero("stride"));
                }
            }
            Pattern::LocalGlobal { w, globals } => {
                if w == 0 {
                    return Err(zero("w"));
                }
                if globals > n {
                    return Err(AttnError::value(
                        "globals",
                        format!("must be at most n = {n}, got {globals}"),
                    ));
                }
            }
            Pattern::RandomBlocks { block, .. } => {
                if block == 0 {
                    return Err(zero("block"));
                }
            }
        }
        Ok(())
    }
}

/// The allowed keys of every query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoolMask {
    /// Number of positions (queries = keys = `n`).
    pub n: usize,
    /// `rows[i]`: the allowed keys of query `i`, sorted ascending, distinct.
    pub rows: Vec<Vec<usize>>,
}

impl BoolMask {
    /// Whether query `i` may see key `j` (false when out of range).
    pub fn allows(&self, i: usize, j: usize) -> bool {
        self.rows
            .get(i)
            .is_some_and(|r| r.binary_search(&j).is_ok())
    }

    /// Number of allowed entries.
    pub fn nonzero(&self) -> u128 {
        self.rows.iter().map(|r| r.len() as u128).sum()
    }

    /// `nonzero / n^2`.
    pub fn fraction(&self) -> f64 {
        let n = self.n as f64;
        self.nonzero() as f64 / (n * n)
    }

    /// Each row as a bitset of `ceil(n / 64)` words; bit `j % 64` of word
    /// `j / 64` is key `j`.
    pub fn to_bitsets(&self) -> Vec<Vec<u64>> {
        let words = self.n.div_ceil(64);
        self.rows
            .iter()
            .map(|r| {
                let mut bits = vec![0u64; words];
                for &j in r {
                    if let Some(w) = bits.get_mut(j / 64) {
                        *w |= 1u64 << (j % 64);
                    }
                }
                bits
            })
            .collect()
    }

    /// The dense `n x n` boolean picture (`[i][j]` = query `i` sees key `j`),
    /// for drawing; Err if `n > MAX_REACH_N`.
    pub fn to_dense(&self) -> Result<Vec<Vec<bool>>, AttnError> {
        if self.n > MAX_REACH_N {
            return Err(AttnError::value(
                "n",
                format!("at most {MAX_REACH_N} for a dense picture, got {}", self.n),
            ));
        }
        Ok(self
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![false; self.n];
                for &j in r {
                    if let Some(b) = row.get_mut(j) {
                        *b = true;
                    }
                }
                row
            })
            .collect())
    }
}

/// Keys `i - r ..= i + r` clipped to `0..n`.
fn band(i: usize, r: usize, n: usize) -> std::ops::RangeInclusive<usize> {
    i.saturating_sub(r)..=i.saturating_add(r).min(n - 1)
}

/// The random key blocks of every query block (sorted, with the diagonal).
fn random_blocks(n: usize, block: usize, per_row: usize, seed: u64) -> Vec<Vec<usize>> {
    let nb = n.div_ceil(block);
    let others = nb.saturating_sub(1);
    let k = per_row.min(others);
    let mut rng = Rng::new(seed);
    (0..nb)
        .map(|qb| {
            // Floyd's algorithm: k distinct values of 0..others in
            // O(k log k) draws, then skip over the diagonal block qb.
            if k == others {
                return (0..nb).collect();
            }
            let mut picked = std::collections::BTreeSet::new();
            for top in others - k..others {
                let t = rng.below(top + 1);
                if !picked.insert(t) {
                    picked.insert(top);
                }
            }
            let mut chosen: Vec<usize> = picked
                .into_iter()
                .map(|b| if b >= qb { b + 1 } else { b })
                .collect();
            chosen.push(qb);
            chosen.sort_unstable();
            chosen
        })
        .collect()
}

/// The allowed keys of every query of `pattern` at length `n` (see
/// [`BoolMask`]), built in `O(nnz)` time. Err on an invalid pattern (see
/// [`Pattern::validate`]) or more than [`MAX_MASK_ENTRIES`] entries.
pub fn mask(pattern: &Pattern, n: usize) -> Result<BoolMask, AttnError> {
    let nnz = nonzero_count(pattern, n)?;
    if nnz > MAX_MASK_ENTRIES {
        return Err(AttnError::value(
            "n",
            format!(
                "{} at n = {n} has {nnz} allowed entries, more than the {MAX_MASK_ENTRIES} a mask may hold; count with nonzero_count",
                pattern.label()
            ),
        ));
    }
    let rows: Vec<Vec<usize>> = match *pattern {
        Pattern::Full => (0..n).map(|_| (0..n).collect()).collect(),
        Pattern::Causal => (0..n).map(|i| (0..=i).collect()).collect(),
        Pattern::Window { w } => (0..n).map(|i| band(i, w / 2, n).collect()).collect(),
        Pattern::Dilated { w, stride } => {
            let r = w / 2;
            (0..n)
                .map(|i| {
                    // Offsets d that are multiples of stride beyond the band.
                    let first = (r / stride + 1) * stride;
                    let far = || (first..n).step_by(stride);
                    let mut row: Vec<usize> = far().filter_map(|d| i.checked_sub(d)).collect();
                    row.reverse();
                    row.extend(band(i, r, n));
                    row.extend(far().map(|d| i + d).take_while(|&j| j < n));
                    row
                })
                .collect()
        }
        Pattern::LocalGlobal { w, globals } => (0..n)
            .map(|i| {
                if i < globals {
                    return (0..n).collect();
                }
                let local = band(i, w / 2, n);
                let start = (*local.start()).max(globals);
                let mut row: Vec<usize> = (0..globals).collect();
                row.extend(start..=*local.end());
                row
            })
            .collect(),
        Pattern::RandomBlocks {
            block,
            per_row,
            seed,
        } => {
            let blocks = random_blocks(n, block, per_row, seed);
            (0..n)
                .map(|i| {
                    blocks
                        .get(i / block)
                        .map(|bs| {
                            bs.iter()
                                .flat_map(|&b| b * block..((b + 1) * block).min(n))
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        }
    };
    Ok(BoolMask { n, rows })
}

/// Entries of a symmetric band of half-width `r` in an `n x n` matrix.
fn band_count(n: u128, r: u128) -> u128 {
    if n == 0 {
        return 0;
    }
    if r >= n - 1 {
        return n * n;
    }
    n * (2 * r + 1) - r * (r + 1)
}

/// The number of allowed entries of `pattern` at length `n`, without
/// building the mask: closed forms for all patterns except `RandomBlocks`
/// (`n^2` when `per_row` covers every block, else `O(n / block * per_row *
/// log per_row)`, drawing the same blocks as [`mask`]).
///
/// * Window: `n (2r+1) - r (r+1)` (or `n^2` once `r >= n-1`);
/// * Dilated: the band plus `2 (n - d)` for every multiple `d` of `stride`
///   with `r < d < n` (summed as an arithmetic series);
/// * LocalGlobal: `n^2 - (n-g)^2 + band(n-g, r)`.
///
/// Err on an invalid pattern.
pub fn nonzero_count(pattern: &Pattern, n: usize) -> Result<u128, AttnError> {
    pattern.validate(n)?;
    let nn = n as u128;
    Ok(match *pattern {
        Pattern::Full => nn * nn,
        Pattern::Causal => nn * (nn + 1) / 2,
        Pattern::Window { w } => band_count(nn, (w / 2) as u128),
        Pattern::Dilated { w, stride } => {
            let (r, s) = ((w / 2) as u128, stride as u128);
            // Offsets d = s*k with k0 <= k <= k1: r < d <= n-1.
            let (k0, k1) = (r / s + 1, (nn - 1) / s);
            let extra = if k1 >= k0 {
                let count = k1 - k0 + 1;
                let sum_k = (k1 * (k1 + 1) - (k0 - 1) * k0) / 2;
                2 * (nn * count - s * sum_k)
            } else {
                0
            };
            band_count(nn, r) + extra
        }
        Pattern::LocalGlobal { w, globals } => {
            let rest = (n - globals) as u128;
            nn * nn - rest * rest + band_count(rest, (w / 2) as u128)
        }
        Pattern::RandomBlocks { block, per_row, .. }
            if per_row >= n.div_ceil(block).saturating_sub(1) =>
        {
            nn * nn
        }
        Pattern::RandomBlocks {
            block,
            per_row,
            seed,
        } => {
            let len = |b: usize| (((b + 1) * block).min(n) - b * block) as u128;
            random_blocks(n, block, per_row, seed)
                .iter()
                .enumerate()
                .map(|(qb, bs)| len(qb) * bs.iter().map(|&b| len(b)).sum::<u128>())
                .sum()
        }
    })
}

/// `nonzero_count / n^2` (see [`nonzero_count`]).
pub fn fraction(pattern: &Pattern, n: usize) -> Result<f64, AttnError> {
    let nnz = nonzero_count(pattern, n)?;
    let nf = n as f64;
    Ok(nnz as f64 / (nf * nf))
}

/// Reach after `layers` layers of one pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct ReachLayer {
    /// Number of layers `L` (1-based).
    pub layers: usize,
    /// Position `n-1`'s output depends on position 0 (information flows
    /// forward from the first to the last token).
    pub first_reaches_last: bool,
    /// Position 0's output depends on position `n-1` (impossible when causal).
    pub last_reaches_first: bool,
    /// `first_reaches_last`, and also `last_reaches_first` for a non-causal
    /// pattern.
    pub ends_connected: bool,
    /// Pairs `(i, j)` with query `i` influenced by key `j` after `L` layers.
    pub connected_pairs: u128,
    /// `connected_pairs / n^2`.
    pub fraction: f64,
}

/// How far information travels when the mask is composed with itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Reach {
    /// The pattern.
    pub pattern: Pattern,
    /// Number of positions.
    pub n: usize,
    /// Entry `L - 1` is the reach after `L` layers, `L = 1..=layers`.
    pub per_layer: Vec<ReachLayer>,
    /// Smallest `L` (within the layers asked) with `ends_connected`.
    pub ends_connected_at: Option<usize>,
    /// Smallest `L` (within the layers asked) where every pair is
    /// connected (never for `Causal` when `n > 1`).
    pub all_pairs_at: Option<usize>,
    /// Smallest `L` after which more layers add nothing (`R_{L+1} = R_L`),
    /// if seen within the layers asked.
    pub stops_growing_at: Option<usize>,
}

/// Composes the mask of `pattern` (length `n`) with itself for
/// `L = 1..=layers` layers: `R_1 = M`, `R_L[i] = OR over k in M[i] of
/// R_{L-1}[k]` (bit rows), so `R_L[i][j]` says key `j` can influence query
/// `i`'s output after `L` layers (boolean matrix power; the residual stream
/// adds nothing since every pattern contains the diagonal). Cost
/// `O(layers * nnz * n / 64)`, stopping early once `R` stops growing.
/// Err on an invalid pattern, `n > MAX_REACH_N`, `layers = 0` or
/// `layers > MAX_REACH_LAYERS`.
pub fn reach(pattern: &Pattern, n: usize, layers: usize) -> Result<Reach, AttnError> {
    pattern.validate(n)?;
    if n > MAX_REACH_N {
        return Err(AttnError::value(
            "n",
            format!("at most {MAX_REACH_N} for reach, got {n}"),
        ));
    }
    if layers == 0 || layers > MAX_REACH_LAYERS {
        return Err(AttnError::value(
            "layers",
            format!("must be in 1..={MAX_REACH_LAYERS}, got {layers}"),
        ));
    }
    let m = mask(pattern, n)?;
    let bit = |row: &[u64], j: usize| row.get(j / 64).is_some_and(|w| (w >> (j % 64)) & 1 == 1);
    let summarize = |l: usize, r: &[Vec<u64>]| {
        let pairs: u128 = r
            .iter()
            .map(|row| row.iter().map(|w| w.count_ones() as u128).sum::<u128>())
            .sum();
        let first_reaches_last = r.get(n - 1).is_some_and(|row| bit(row, 0));
        let last_reaches_first = r.first().is_some_and(|row| bit(row, n - 1));
        let ends_connected = first_reaches_last && (pattern.is_causal() || last_reaches_first);
        ReachLayer {
            layers: l,
            first_reaches_last,
            last_reaches_first,
            ends_connected,
            connected_pairs: pairs,
            fraction: pairs as f64 / (n as f64 * n as f64),
        }
    };

    let mut r = m.to_bitsets();
    let mut per_layer = vec![summarize(1, &r)];
    let mut stops_growing_at = None;
    for l in 2..=layers {
        if stops_growing_at.is_none() {
            let next: Vec<Vec<u64>> = m
                .rows
                .iter()
                .map(|keys| {
                    let mut acc = vec![0u64; n.div_ceil(64)];
                    for &k in keys {
                        if let Some(src) = r.get(k) {
                            for (a, s) in acc.iter_mut().zip(src) {
                                *a |= s;
                            }
                        }
                    }
                    acc
                })
                .collect();
            if next == r {
                stops_growing_at = Some(l - 1);
            }
            r = next;
        }
        per_layer.push(summarize(l, &r));
    }
    let total = (n as u128) * (n as u128);
    Ok(Reach {
        pattern: *pattern,
        n,
        ends_connected_at: per_layer
            .iter()
            .find(|p| p.ends_connected)
            .map(|p| p.layers),
        all_pairs_at: per_layer
            .iter()
            .find(|p| p.connected_pairs == total)
            .map(|p| p.layers),
        stops_growing_at,
        per_layer,
    })
}

/// The result of [`sparse_attention`].
#[derive(Clone, Debug, PartialEq)]
pub struct SparseAttention {
    /// `n x d_v`: row `i` is `sum_j w_ij v_j` over the allowed keys.
    pub output: Mat,
    /// Per query, its allowed keys with their softmax weights (sum 1).
    pub weights: Vec<Vec<(usize, f64)>>,
    /// Number of scores computed (= allowed entries of the mask).
    pub scores_computed: u128,
}

fn check_qkv(q: &Mat, k: &Mat, v: &Mat, scale: f64) -> Result<usize, AttnError> {
    use crate::error::{dims, ensure_finite};
    let n = q.nrows();
    if n == 0 || q.ncols() == 0 {
        return Err(AttnError::shape("q", "n x d_k with n, d_k >= 1", dims(q)));
    }
    if k.nrows() != n || k.ncols() != q.ncols() {
        return Err(AttnError::shape(
            "k",
            format!("{n} x {} (n x d_k, like q)", q.ncols()),
            dims(k),
        ));
    }
    if v.nrows() != n || v.ncols() == 0 {
        return Err(AttnError::shape(
            "v",
            format!("{n} x d_v with d_v >= 1"),
            dims(v),
        ));
    }
    ensure_finite("q", q)?;
    ensure_finite("k", k)?;
    ensure_finite("v", v)?;
    if !scale.is_finite() {
        return Err(AttnError::value(
            "scale",
            format!("must be finite, got {scale}"),
        ));
    }
    Ok(n)
}

/// `(key, weight)` pairs of one query.
type KeyWeights = Vec<(usize, f64)>;

/// Softmax over the given keys of query row `i`; returns `(weights, out)`.
fn attend_row(
    q: &Mat,
    k: &Mat,
    v: &Mat,
    i: usize,
    keys: &[usize],
    scale: f64,
) -> Result<(KeyWeights, Vec<f64>), AttnError> {
    let qi = q.row(i);
    let logits: Vec<f64> = keys.iter().map(|&j| scale * qi.dot(&k.row(j))).collect();
    if let Some((p, l)) = logits.iter().enumerate().find(|(_, l)| !l.is_finite()) {
        return Err(AttnError::value(
            format!("logits[{i}][{}]", keys.get(p).copied().unwrap_or(0)),
            format!("non-finite logit {l}"),
        ));
    }
    let w = softmax(&logits)?;
    let mut out = vec![0.0; v.ncols()];
    for (&j, &wj) in keys.iter().zip(&w) {
        for (o, x) in out.iter_mut().zip(v.row(j).iter()) {
            *o += wj * x;
        }
    }
    Ok((keys.iter().copied().zip(w).collect(), out))
}

/// Attention where query `i` only scores its allowed keys: `q`, `k` are
/// `n x d_k`, `v` is `n x d_v` (self-attention, rows are positions),
/// `logit_ij = scale * q_i . k_j` for allowed `j`, softmax over those,
/// output row `i = sum_j w_ij v_j`. Never builds an `n x n` matrix: time and
/// memory are `O(nnz * d)`. Returns the `n x d_v` output and per query the
/// `(key, weight)` list. Err on bad shapes, non-finite inputs or scale, an
/// invalid pattern, or a non-finite logit.
pub fn sparse_attention(
    q: &Mat,
    k: &Mat,
    v: &Mat,
    pattern: &Pattern,
    scale: f64,
) -> Result<SparseAttention, AttnError> {
    let n = check_qkv(q, k, v, scale)?;
    let m = mask(pattern, n)?;
    let mut output = Mat::zeros(n, v.ncols());
    let mut weights = Vec::with_capacity(n);
    for (i, (keys, mut out_row)) in m.rows.iter().zip(output.row_iter_mut()).enumerate() {
        let (w, out) = attend_row(q, k, v, i, keys, scale)?;
        for (dst, x) in out_row.iter_mut().zip(out) {
            *dst = x;
        }
        weights.push(w);
    }
    Ok(SparseAttention {
        output,
        weights,
        scores_computed: m.nonzero(),
    })
}

/// Sparse attention next to full softmax attention.
#[derive(Clone, Debug, PartialEq)]
pub struct VsFull {
    /// The sparse result (see [`sparse_attention`]).
    pub sparse: SparseAttention,
    /// Full (unmasked) softmax attention output, `n x d_v`.
    pub full_output: Mat,
    /// Per query, max abs difference of its output rows.
    pub row_max_abs_diff: Vec<f64>,
    /// Max over all entries of `|sparse - full|`.
    pub max_abs_diff: f64,
}

/// [`sparse_attention`] and full attention (every key, same `scale`) on
/// the same `q`, `k` (`n x d_k`), `v` (`n x d_v`), with their max abs output
/// difference overall and per query row. The full reference is computed
/// row by row (`O(n)` memory per row, `O(n^2 d)` time). Errs as
/// [`sparse_attention`].
pub fn vs_full(
    q: &Mat,
    k: &Mat,
    v: &Mat,
    pattern: &Pattern,
    scale: f64,
) -> Result<VsFull, AttnError> {
    let sparse = sparse_attention(q, k, v, pattern, scale)?;
    let n = q.nrows();
    let all: Vec<usize> = (0..n).collect();
    let mut full_output = Mat::zeros(n, v.ncols());
    for (i, mut out_row) in full_output.row_iter_mut().enumerate() {
        let (_, out) = attend_row(q, k, v, i, &all, scale)?;
        for (dst, x) in out_row.iter_mut().zip(out) {
            *dst = x;
        }
    }
    let row_max_abs_diff: Vec<f64> = sparse
        .output
        .row_iter()
        .zip(full_output.row_iter())
        .map(|(a, b)| (a - b).amax())
        .collect();
    let max_abs_diff = row_max_abs_diff.iter().copied().fold(0.0, f64::max);
    Ok(VsFull {
        sparse,
        full_output,
        row_max_abs_diff,
        max_abs_diff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dilated_rows_by_definition() {
        // Compare the direct row builder with a scan of every key.
        for n in 1..20 {
            for w in 1..6 {
                for stride in 1..7 {
                    let p = Pattern::Dilated { w, stride };
                    let m = mask(&p, n).unwrap();
                    for i in 0..n {
                        let want: Vec<usize> = (0..n)
                            .filter(|&j| {
                                let d = i.abs_diff(j);
                                d <= w / 2 || d.is_multiple_of(stride)
                            })
                            .collect();
                        assert_eq!(m.rows[i], want, "n={n} w={w} s={stride} i={i}");
                    }
                }
            }
        }
    }

    #[test]
    fn band_count_small() {
        assert_eq!(band_count(8, 1), 22);
        assert_eq!(band_count(3, 5), 9);
        assert_eq!(band_count(1, 0), 1);
    }
}
