//! The translation corpus, checked by an independent rule-based translator:
//! it parses each source sentence left to right with its own dictionary and
//! must reproduce the generated target and alignment exactly.

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use attention_core::train::translate::{source_words, target_words, Corpus, Pair};
use attention_core::Rng;
use std::collections::HashMap;

struct Dict {
    nouns: HashMap<&'static str, &'static str>,
    adjectives: HashMap<&'static str, &'static str>,
    transitive: HashMap<&'static str, (&'static str, &'static str)>,
    intransitive: HashMap<&'static str, &'static str>,
}

fn dict() -> Dict {
    let nouns = [
        ("chat", "cat"),
        ("chien", "dog"),
        ("oiseau", "bird"),
        ("garçon", "boy"),
        ("homme", "man"),
        ("livre", "book"),
        ("gâteau", "cake"),
        ("fille", "girl"),
        ("femme", "woman"),
        ("souris", "mouse"),
        ("maison", "house"),
        ("voiture", "car"),
        ("fleur", "flower"),
        ("pomme", "apple"),
    ];
    let adjectives = [
        ("noir", "black"),
        ("noire", "black"),
        ("blanc", "white"),
        ("blanche", "white"),
        ("petit", "small"),
        ("petite", "small"),
        ("grand", "big"),
        ("grande", "big"),
        ("rouge", "red"),
        ("vieux", "old"),
        ("vieille", "old"),
        ("rapide", "fast"),
        ("joli", "pretty"),
        ("jolie", "pretty"),
    ];
    let transitive = [
        ("mange", ("eats", "eat")),
        ("voit", ("sees", "see")),
        ("aime", ("likes", "like")),
        ("suit", ("follows", "follow")),
        ("regarde", ("watches", "watch")),
    ];
    let intransitive = [
        ("dort", "sleeping"),
        ("court", "running"),
        ("chante", "singing"),
    ];
    Dict {
        nouns: nouns.into_iter().collect(),
        adjectives: adjectives.into_iter().collect(),
        transitive: transitive.into_iter().collect(),
        intransitive: intransitive.into_iter().collect(),
    }
}

/// Target words and `(target, source)` links.
type Parsed = (Vec<String>, Vec<(usize, usize)>);

/// A left-to-right parser producing target words and links.
struct Parser<'a> {
    d: &'a Dict,
    src: &'a [String],
    i: usize,
    out: Vec<String>,
    links: Vec<(usize, usize)>,
}

impl Parser<'_> {
    fn peek(&self, k: usize) -> Option<&str> {
        self.src.get(self.i + k).map(String::as_str)
    }
    fn emit(&mut self, w: &str, from: &[usize]) {
        let t = self.out.len();
        self.out.push(w.into());
        self.links.extend(from.iter().map(|&s| (t, s)));
    }
    fn noun_phrase(&mut self) -> Result<(), String> {
        let det = self.peek(0).ok_or("missing determiner")?;
        let the = match det {
            "le" | "la" => "the",
            "un" | "une" => "a",
            w => return Err(format!("expected a determiner at {}, got {w}", self.i)),
        };
        let s_det = self.i;
        self.i += 1;
        let (noun, noun_src) = if self.peek(0) == Some("pomme")
            && self.peek(1) == Some("de")
            && self.peek(2) == Some("terre")
        {
            self.i += 3;
            ("potato", vec![self.i - 3, self.i - 2, self.i - 1])
        } else {
            let w = self.peek(0).ok_or("missing noun")?;
            let n = *self.d.nouns.get(w).ok_or(format!("not a noun: {w}"))?;
            self.i += 1;
            (n, vec![self.i - 1])
        };
        let mut adjs = Vec::new();
        while let Some(a) = self.peek(0).and_then(|w| self.d.adjectives.get(w)) {
            adjs.push((*a, self.i));
            self.i += 1;
        }
        self.emit(the, &[s_det]);
        for (a, s) in adjs {
            self.emit(a, &[s]);
        }
        self.emit(noun, &noun_src);
        if self.peek(0) == Some("qui") {
            self.emit("that", &[self.i]);
            self.i += 1;
            self.verb_phrase()?;
        }
        Ok(())
    }
    fn verb_phrase(&mut self) -> Result<(), String> {
        let neg = self.peek(0) == Some("ne");
        let s_ne = self.i;
        if neg {
            self.i += 1;
        }
        let v = self.peek(0).ok_or("missing verb")?.to_string();
        let s_v = self.i;
        self.i += 1;
        let s_pas = self.i;
        if neg {
            if self.peek(0) != Some("pas") {
                return Err("ne without pas".into());
            }
            self.i += 1;
        }
        if let Some(&(third, base)) = self.d.transitive.get(v.as_str()) {
            if neg {
                self.emit("does", &[s_v]);
                self.emit("not", &[s_ne, s_pas]);
                self.emit(base, &[s_v]);
            } else {
                self.emit(third, &[s_v]);
            }
            self.noun_phrase()
        } else if let Some(&part) = self.d.intransitive.get(v.as_str()) {
            self.emit("is", &[s_v]);
            if neg {
                self.emit("not", &[s_ne, s_pas]);
            }
            self.emit(part, &[s_v]);
            Ok(())
        } else {
            Err(format!("not a verb: {v}"))
        }
    }
    fn sentence(mut self) -> Result<Parsed, String> {
        loop {
            self.noun_phrase()?;
            self.verb_phrase()?;
            match self.peek(0) {
                None => break,
                Some("et") => {
                    self.emit("and", &[self.i]);
                    self.i += 1;
                }
                Some(w) => return Err(format!("unexpected {w} at {}", self.i)),
            }
        }
        let mut links = self.links;
        links.sort_unstable();
        Ok((self.out, links))
    }
}

fn check(d: &Dict, p: &Pair) {
    let (target, links) = Parser {
        d,
        src: &p.source,
        i: 0,
        out: Vec::new(),
        links: Vec::new(),
    }
    .sentence()
    .unwrap_or_else(|e| panic!("{e}: {:?}", p.source));
    assert_eq!(target, p.target, "{:?}", p.source);
    assert_eq!(links, p.alignment, "{:?}", p.source);
    // Every word on both sides takes part in the alignment.
    for t in 0..p.target.len() {
        assert!(p.alignment.iter().any(|l| l.0 == t));
    }
    for s in 0..p.source.len() {
        assert!(
            p.alignment.iter().any(|l| l.1 == s),
            "{:?} word {s}",
            p.source
        );
    }
}

#[test]
fn every_alignment_is_rederived_by_an_independent_parser() {
    let d = dict();
    let c = Corpus::new(3, 40);
    let mut rng = Rng::new(7);
    let mut lengths = [0usize; 41];
    let mut seen = (false, false, false, false);
    for _ in 0..3000 {
        let p = c.sample(&mut rng);
        check(&d, &p);
        lengths[p.source.len()] += 1;
        let s = p.source.join(" ");
        seen.0 |= s.contains("pomme de terre");
        seen.1 |= s.contains(" ne ");
        seen.2 |= s.contains(" qui ");
        seen.3 |= s.contains(" et ");
    }
    assert!(
        seen.0 && seen.1 && seen.2 && seen.3,
        "every construction occurs: {seen:?}"
    );
    // Lengths from 3 to 40 all occur when asked for.
    for n in 3..=40 {
        let p = c.sample_len(&mut rng, n, n);
        assert_eq!(p.source.len(), n);
        check(&d, &p);
    }
    assert!(
        lengths[3..=12].iter().sum::<usize>() > 0 && lengths[25..=40].iter().sum::<usize>() > 0
    );
}

#[test]
fn word_order_really_differs_and_many_to_one_links_exist() {
    let d = dict();
    let c = Corpus::new(3, 20);
    let mut rng = Rng::new(3);
    let (mut crossing, mut many_to_one, mut one_to_many) = (0, 0, 0);
    for _ in 0..500 {
        let p = c.sample(&mut rng);
        check(&d, &p);
        let a = &p.alignment;
        if a.windows(2).any(|w| w[1].0 > w[0].0 && w[1].1 < w[0].1) {
            crossing += 1;
        }
        if (0..p.target.len()).any(|t| a.iter().filter(|l| l.0 == t).count() > 1) {
            many_to_one += 1;
        }
        if (0..p.source.len()).any(|s| a.iter().filter(|l| l.1 == s).count() > 1) {
            one_to_many += 1;
        }
    }
    assert!(
        crossing > 100 && many_to_one > 50 && one_to_many > 50,
        "{crossing} {many_to_one} {one_to_many}"
    );
}

#[test]
fn held_out_sentences_never_come_back_for_training() {
    let mut c = Corpus::new(3, 12);
    let sets = c.hold_out(&[(3, 6), (7, 12)], 200, 1);
    assert_eq!(sets.len(), 2);
    assert!(sets[0].iter().all(|p| (3..=6).contains(&p.source.len())));
    let mut rng = Rng::new(99);
    let mut short_repeats = 0;
    for _ in 0..3000 {
        let p = c.sample(&mut rng);
        assert!(!c.is_held_out(&p.source));
        if sets.iter().flatten().any(|h| h.source == p.source) {
            short_repeats += 1;
        }
    }
    assert_eq!(short_repeats, 0);
    // The vocabularies list every word used.
    let (src, tgt) = (source_words(), target_words());
    for p in sets.iter().flatten() {
        assert!(p.source.iter().all(|w| src.contains(&w.as_str())));
        assert!(p.target.iter().all(|w| tgt.contains(&w.as_str())));
    }
}
