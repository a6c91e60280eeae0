//! Sorting the short lists the engine builds (a grammar's few hundred
//! words, a sentence's alignment links) by insertion.
//!
//! The standard library's sorts are fast on long slices, and each type they
//! sort brings several KB of code (quicksort, heapsort, small-sort
//! networks) into every page that uses it: two of them were about 16 KB of
//! the alignment chapter's first screen. For the lists here, at most a few
//! hundred items sorted once, or about ten per sampled sentence, insertion
//! is as quick and a few hundred bytes.

/// Sorts `v` in place, ascending (equal items keep their order). Quadratic
/// in the worst case: for short slices only.
pub fn sort_small<T: Ord>(v: &mut [T]) {
    sort_small_by(v, T::cmp);
}

/// Sorts `v` in place by `cmp`, stably (like `slice::sort_by`, whose
/// order it gives). Quadratic in the worst case: for short slices only.
pub fn sort_small_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> std::cmp::Ordering) {
    for i in 1..v.len() {
        let mut j = i;
        while let (Some(a), Some(b)) = (j.checked_sub(1).and_then(|k| v.get(k)), v.get(j)) {
            if cmp(a, b) != std::cmp::Ordering::Greater {
                break;
            }
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn sorts_like_the_standard_sort() {
        let mut rng = Rng::new(7);
        for len in [0usize, 1, 2, 3, 10, 57, 300] {
            for _ in 0..20 {
                // Few distinct values, so there are many ties.
                let v: Vec<(usize, usize)> =
                    (0..len).map(|_| (rng.below(12), rng.below(5))).collect();
                let mut want = v.clone();
                want.sort();
                let mut got = v;
                sort_small(&mut got);
                assert_eq!(got, want, "length {len}");
            }
        }
        // By a key only, ties keep their order, as the standard stable sort.
        for len in [0usize, 1, 5, 64] {
            let v: Vec<(f64, usize)> = (0..len)
                .map(|i| ((rng.below(4) as f64).sqrt(), i))
                .collect();
            let mut want = v.clone();
            want.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut got = v;
            sort_small_by(&mut got, |a, b| b.0.total_cmp(&a.0));
            assert_eq!(got, want, "length {len}");
        }
        let mut words = vec!["the", "a", "cat", "a", "zebra", "The"];
        sort_small(&mut words);
        assert_eq!(words, ["The", "a", "a", "cat", "the", "zebra"]);
    }
}
