//! Lower-casing words for vocabulary lookups, without the standard
//! library's full Unicode tables (about 12 KB of data in every page that
//! reads a sentence).
//!
//! [`lowercase`] folds the capitals of Basic Latin, Latin-1, Latin
//! Extended-A, the Greek and the Cyrillic alphabets, exactly as
//! `char::to_lowercase` does; every other character is kept as it is. The
//! vocabularies (English, and French for the translators) are written in
//! Basic Latin, Latin-1 and Latin Extended-A, so a lookup finds the same
//! word as with `str::to_lowercase`, except for the rare capitals outside
//! those blocks whose lower case is in them (the Kelvin sign `K` is not
//! read as `k`). A final capital sigma becomes `σ`, not `ς`.

/// `c` in lower case, for the alphabets above; any other character as is.
pub fn lower_char(c: char) -> char {
    let u = u32::from(c);
    let to = match u {
        0x41..=0x5A | 0xC0..=0xD6 | 0xD8..=0xDE | 0x391..=0x3A1 | 0x3A3..=0x3A9 | 0x410..=0x42F => {
            u + 32
        }
        0x400..=0x40F => u + 80,
        // Latin Extended-A: capital and small letters alternate.
        0x100..=0x12F | 0x132..=0x137 | 0x14A..=0x177 if u % 2 == 0 => u + 1,
        0x139..=0x148 | 0x179..=0x17E if u % 2 == 1 => u + 1,
        0x178 => 0xFF,
        _ => u,
    };
    char::from_u32(to).unwrap_or(c)
}

/// `s` with [`lower_char`] applied to every character.
pub fn lowercase(s: &str) -> String {
    s.chars().map(lower_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_standard_library_or_keeps_the_character() {
        let mut folded = 0;
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let std: Vec<char> = c.to_lowercase().collect();
            let ours = lower_char(c);
            if ours != c {
                assert_eq!(std, vec![ours], "{c:?} U+{:04X}", u32::from(c));
                folded += 1;
            }
        }
        // Every capital in the blocks covered (but U+0130, whose lower case
        // is two characters) is folded.
        for u in (0x00..=0x17F).chain(0x370..=0x3FF).chain(0x400..=0x4FF) {
            let Some(c) = char::from_u32(u) else { continue };
            let std: Vec<char> = c.to_lowercase().collect();
            let covered =
                u <= 0x17F || (0x391..=0x3A9).contains(&u) || (0x400..=0x42F).contains(&u);
            if covered && std.len() == 1 && std != [c] {
                assert_eq!(lower_char(c), std[0], "U+{u:04X}");
            }
        }
        assert!(folded > 150, "{folded}");
    }

    #[test]
    fn every_vocabulary_is_written_in_the_blocks_covered() {
        let coref = crate::train::coref::Corpus::new();
        let translate = crate::train::translate::Vocab::default();
        let words = coref
            .vocab()
            .iter()
            .map(String::as_str)
            .chain(translate.source.iter().copied())
            .chain(translate.target.iter().copied());
        let mut n = 0;
        for w in words {
            n += 1;
            assert!(w.chars().all(|c| u32::from(c) <= 0x17F), "{w}");
            assert_eq!(lowercase(w), w.to_lowercase(), "{w}");
        }
        assert!(n > 50, "{n}");
    }

    #[test]
    fn words() {
        assert_eq!(lowercase("The CAT"), "the cat");
        assert_eq!(lowercase("École ÀÉÎÕÜ Ÿ Łódź"), "école àéîõü ÿ łódź");
        assert_eq!(lowercase("ΑΘΗΝΑ Москва"), "αθηνα москва");
        assert_eq!(lowercase("日本 😀 ß"), "日本 😀 ß");
        assert_eq!(lowercase(""), "");
    }
}
