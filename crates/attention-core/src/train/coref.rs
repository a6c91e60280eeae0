//! The self-attention chapter's corpus: short English sentences whose right
//! answer, and the word that decides it, are known by construction.
//!
//! Two kinds of example, one question each:
//! * **Coreference** ([`Kind::Coref`]): "the dog didn't cross the street
//!   because it was too tired". The question is asked at "it": name its
//!   referent. The adjective decides: animal adjectives (tired, scared, ...)
//!   make "it" the animal, place adjectives (wide, busy, ...) the place.
//!   Several frames put the animal or the place first, so word order alone
//!   does not give the answer.
//! * **Agreement** ([`Kind::Agreement`]): "the keys to the cabinet [verb] on
//!   the shelf". The verb slot is the `[mask]` token and the question, asked
//!   there, is "is" or "are": the number of the subject (keys), not of the
//!   nearer attractor (cabinet).
//!
//! Every sentence records the positions of the query, the answer-giving word
//! (`referent`: the animal/place, or the subject), the competing word
//! (`distractor`) and the deciding word (`cue`: the adjective, or the
//! subject), so lessons can check where attention goes.
//!
//! **Held-out split.** A quarter of the (referent, adjective) pairs and a
//! quarter of the (subject, attractor) noun pairs never occur in training
//! sentences ([`Corpus::is_held_out`]); [`Corpus::held_out`] draws only from
//! them, so held-out accuracy measures generalisation to new combinations.
//! Every word still occurs in training in other combinations.
//!
//! The vocabulary is fixed ([`Corpus::vocab`]): id 0 is `[unk]` (any word
//! outside it), id 1 is `[mask]`.
//!
//! [`CorefTrainer`] trains the model a step at a time, or a small part of a
//! step at a time ([`CorefTrainer::part`], bit-identical to the whole
//! step); [`Measuring`] is [`accuracy`] one sentence at a time.

use super::{
    argmax, Adam, ClassifierConfig, ClassifierStep, EncoderClassifier, Question, StepStats,
};
use crate::{AttnError, Rng};

/// Animals ("it" refers to one of these when the adjective suits an animal).
pub const ANIMALS: [&str; 10] = [
    "animal", "dog", "cat", "horse", "fox", "rabbit", "cow", "sheep", "goat", "deer",
];
/// Places.
pub const PLACES: [&str; 10] = [
    "street", "road", "river", "bridge", "field", "square", "park", "yard", "lane", "valley",
];
/// Adjectives that describe an animal, never a place.
pub const ANIMAL_ADJECTIVES: [&str; 8] = [
    "tired",
    "scared",
    "sleepy",
    "lazy",
    "weak",
    "hungry",
    "nervous",
    "frightened",
];
/// Adjectives that describe a place, never an animal.
pub const PLACE_ADJECTIVES: [&str; 8] = [
    "wide", "busy", "icy", "long", "crowded", "muddy", "steep", "flooded",
];
/// Nouns of the agreement sentences: (singular, plural).
pub const NOUNS: [(&str, &str); 10] = [
    ("key", "keys"),
    ("cabinet", "cabinets"),
    ("book", "books"),
    ("box", "boxes"),
    ("door", "doors"),
    ("lamp", "lamps"),
    ("chair", "chairs"),
    ("desk", "desks"),
    ("window", "windows"),
    ("bottle", "bottles"),
];

/// Coreference frames: `A` animal, `P` place, `J` adjective; "it" is the
/// query. The first five put the animal first, the last three the place.
const COREF_FRAMES: [&str; 8] = [
    "the A didn't cross the P because it was too J",
    "the A did not cross the P because it was too J",
    "the A would not walk across the P as it was so J",
    "the A stayed away from the P because it was very J",
    "the A refused to enter the P since it was too J",
    "the P was not crossed by the A because it was too J",
    "near the P the A stopped because it was so J",
    "at the P the A turned back because it was really J",
];

/// Agreement frames: `S` subject, `N` attractor, `V` the verb slot.
const AGREEMENT_FRAMES: [&str; 6] = [
    "the S to the N V on the shelf",
    "the S near the N V old",
    "the S of the N V here",
    "the S beside the N V new",
    "the S behind the N V broken",
    "the S next to the N V clean",
];

/// The token that marks the agreement question (the verb slot).
pub const MASK: &str = "[mask]";
/// The token every out-of-vocabulary word becomes.
pub const UNK: &str = "[unk]";

/// Which question a sentence asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Who is "it"? Answer: the animal or the place.
    Coref,
    /// "is" or "are"? Answer: the subject's number.
    Agreement,
}

/// One labelled sentence. Positions index `words` and `tokens`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sentence {
    /// The words as a learner would read them (the verb slot reads
    /// `[mask]`).
    pub words: Vec<String>,
    /// Their vocabulary ids.
    pub tokens: Vec<usize>,
    /// Which question is asked.
    pub kind: Kind,
    /// Position of the question ("it" or the verb slot).
    pub query: usize,
    /// The right answer, a vocabulary id (the referent noun, or "is"/"are").
    pub target: usize,
    /// Position of the word that gives the answer (the referent, or the
    /// subject).
    pub referent: usize,
    /// Position of the competing noun (the other noun, or the attractor).
    pub distractor: usize,
    /// Position of the deciding word (the adjective, or the subject).
    pub cue: usize,
}

impl Sentence {
    /// The question as the model takes it.
    pub fn question(&self) -> Question {
        Question {
            tokens: self.tokens.clone(),
            query: self.query,
            target: self.target,
        }
    }
}

/// The vocabulary and the generator; see the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct Corpus {
    vocab: Vec<String>,
    max_len: usize,
}

impl Default for Corpus {
    fn default() -> Self {
        Corpus::new()
    }
}

impl Corpus {
    /// The fixed vocabulary (ids are stable: `[unk]` 0, `[mask]` 1, "is",
    /// "are", then every frame and content word in first-seen order).
    pub fn new() -> Self {
        let mut vocab: Vec<String> = Vec::new();
        let mut add = |w: &str| {
            if !vocab.iter().any(|v| v == w) {
                vocab.push(w.to_string());
            }
        };
        for w in [UNK, MASK, "is", "are"] {
            add(w);
        }
        for frame in COREF_FRAMES.iter().chain(AGREEMENT_FRAMES.iter()) {
            for w in frame.split(' ') {
                if !matches!(w, "A" | "P" | "J" | "S" | "N" | "V") {
                    add(w);
                }
            }
        }
        for w in ANIMALS
            .iter()
            .chain(PLACES.iter())
            .chain(ANIMAL_ADJECTIVES.iter())
            .chain(PLACE_ADJECTIVES.iter())
        {
            add(w);
        }
        for (s, p) in NOUNS {
            add(s);
            add(p);
        }
        let max_len = COREF_FRAMES
            .iter()
            .chain(AGREEMENT_FRAMES.iter())
            .map(|f| f.split(' ').count())
            .max()
            .unwrap_or(1);
        Corpus { vocab, max_len }
    }

    /// Every word, indexed by id.
    pub fn vocab(&self) -> &[String] {
        &self.vocab
    }

    /// The number of distinct ids.
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// The longest generated sentence, in words.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The id of `word` (lower-case, exact), if it is in the vocabulary.
    pub fn id(&self, word: &str) -> Option<usize> {
        self.vocab.iter().position(|v| v == word)
    }

    /// The word of `id` (`[unk]` for an id outside the vocabulary).
    pub fn word(&self, id: usize) -> &str {
        self.vocab.get(id).map(String::as_str).unwrap_or(UNK)
    }

    /// True if the pair never appears in training sentences: for
    /// coreference `(referent index, adjective index)` into
    /// [`ANIMALS`]/[`ANIMAL_ADJECTIVES`] or [`PLACES`]/[`PLACE_ADJECTIVES`];
    /// for agreement `(subject index, attractor index)` into [`NOUNS`].
    /// A quarter of the pairs, spread so every word keeps training pairs.
    pub fn is_held_out(kind: Kind, a: usize, b: usize) -> bool {
        match kind {
            Kind::Coref => (a + 3 * b) % 4 == 1,
            Kind::Agreement => a != b && (2 * a + b) % 4 == 3,
        }
    }

    /// A random training sentence (half coreference, half agreement).
    pub fn sample_train(&self, rng: &mut Rng) -> Sentence {
        self.sample(rng, false)
    }

    /// A random held-out sentence (its deciding pair is held out).
    pub fn sample_held_out(&self, rng: &mut Rng) -> Sentence {
        self.sample(rng, true)
    }

    /// `n` held-out sentences from a seeded stream (the same seed gives the
    /// same set).
    pub fn held_out(&self, n: usize, seed: u64) -> Vec<Sentence> {
        let mut rng = Rng::new(seed);
        (0..n).map(|_| self.sample_held_out(&mut rng)).collect()
    }

    fn sample(&self, rng: &mut Rng, held_out: bool) -> Sentence {
        if rng.below(2) == 0 {
            self.coref(rng, held_out)
        } else {
            self.agreement(rng, held_out)
        }
    }

    /// Draws pair indices `(a, b)` from `n_a x n_b` until their held-out
    /// status is `held_out`.
    fn pair(rng: &mut Rng, kind: Kind, n_a: usize, n_b: usize, held_out: bool) -> (usize, usize) {
        loop {
            let (a, b) = (rng.below(n_a), rng.below(n_b));
            if Corpus::is_held_out(kind, a, b) == held_out {
                return (a, b);
            }
        }
    }

    fn coref(&self, rng: &mut Rng, held_out: bool) -> Sentence {
        let frame = rng.pick(&COREF_FRAMES).copied().unwrap_or_default();
        let animal_is_it = rng.below(2) == 0;
        let (animal, place, adjective) = if animal_is_it {
            let (a, j) = Corpus::pair(
                rng,
                Kind::Coref,
                ANIMALS.len(),
                ANIMAL_ADJECTIVES.len(),
                held_out,
            );
            (a, rng.below(PLACES.len()), word_at(&ANIMAL_ADJECTIVES, j))
        } else {
            let (p, j) = Corpus::pair(
                rng,
                Kind::Coref,
                PLACES.len(),
                PLACE_ADJECTIVES.len(),
                held_out,
            );
            (rng.below(ANIMALS.len()), p, word_at(&PLACE_ADJECTIVES, j))
        };
        let mut s = self.fill(frame);
        let (pa, pp, pj) = (s.slot('A'), s.slot('P'), s.slot('J'));
        s.set(pa, word_at(&ANIMALS, animal), self);
        s.set(pp, word_at(&PLACES, place), self);
        s.set(pj, adjective, self);
        let (referent, distractor) = if animal_is_it { (pa, pp) } else { (pp, pa) };
        let query = s.words.iter().position(|w| w == "it").unwrap_or(0);
        let target = s.tokens.get(referent).copied().unwrap_or(0);
        s.finish(Kind::Coref, query, target, referent, distractor, pj)
    }

    fn agreement(&self, rng: &mut Rng, held_out: bool) -> Sentence {
        let frame = rng.pick(&AGREEMENT_FRAMES).copied().unwrap_or_default();
        let (subject, attractor) =
            Corpus::pair(rng, Kind::Agreement, NOUNS.len(), NOUNS.len(), held_out);
        let (subject_plural, attractor_plural) = (rng.below(2) == 1, rng.below(2) == 1);
        let form = |i: usize, plural: bool| {
            NOUNS
                .get(i)
                .map_or(UNK, |&(one, many)| if plural { many } else { one })
        };
        let mut s = self.fill(frame);
        let (ps, pn, pv) = (s.slot('S'), s.slot('N'), s.slot('V'));
        s.set(ps, form(subject, subject_plural), self);
        s.set(pn, form(attractor, attractor_plural), self);
        s.set(pv, MASK, self);
        let verb = if subject_plural { "are" } else { "is" };
        let target = self.id(verb).unwrap_or(0);
        s.finish(Kind::Agreement, pv, target, ps, pn, ps)
    }

    /// The frame's words with single-letter slots left in place.
    fn fill(&self, frame: &str) -> Draft {
        let words: Vec<String> = frame.split(' ').map(str::to_string).collect();
        let tokens = words.iter().map(|w| self.id(w).unwrap_or(0)).collect();
        Draft { words, tokens }
    }

    /// Splits `text` into lower-case words (whitespace-separated, with
    /// sentence punctuation `. , ; : ! ?` and quotes trimmed) and their ids;
    /// out-of-vocabulary words get id 0 (`[unk]`). "is" and "are" become
    /// `[mask]` in the ids (the model is asked to choose them), and the
    /// returned questions list where it is asked: every "it" and every
    /// masked verb.
    pub fn encode(&self, text: &str) -> Encoded {
        let mut out = Encoded::default();
        for raw in text.split_whitespace() {
            let w = crate::case::lowercase(
                raw.trim_matches(|c: char| ".,;:!?\"()\u{201c}\u{201d}".contains(c)),
            );
            if w.is_empty() {
                continue;
            }
            let pos = out.words.len();
            let id = if w == "is" || w == "are" {
                out.questions.push((pos, Kind::Agreement));
                self.id(MASK)
            } else {
                if w == "it" {
                    out.questions.push((pos, Kind::Coref));
                }
                self.id(&w)
            };
            out.known.push(id.is_some());
            out.tokens.push(id.unwrap_or(0));
            out.words.push(w);
        }
        out
    }
}

/// A learner's text as the model reads it (see [`Corpus::encode`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Encoded {
    /// The lower-cased words.
    pub words: Vec<String>,
    /// Their ids (`[unk]` = 0 for unknown words, `[mask]` for is/are).
    pub tokens: Vec<usize>,
    /// Per word: is it in the vocabulary?
    pub known: Vec<bool>,
    /// Where a question is asked and which.
    pub questions: Vec<(usize, Kind)>,
}

/// A sentence being filled in.
struct Draft {
    words: Vec<String>,
    tokens: Vec<usize>,
}

impl Draft {
    fn slot(&self, c: char) -> usize {
        let mut buf = [0u8; 4];
        let key: &str = c.encode_utf8(&mut buf);
        self.words.iter().position(|w| w == key).unwrap_or(0)
    }

    fn set(&mut self, pos: usize, word: &str, corpus: &Corpus) {
        if let (Some(w), Some(t)) = (self.words.get_mut(pos), self.tokens.get_mut(pos)) {
            *w = word.to_string();
            *t = corpus.id(word).unwrap_or(0);
        }
    }

    fn finish(
        self,
        kind: Kind,
        query: usize,
        target: usize,
        referent: usize,
        distractor: usize,
        cue: usize,
    ) -> Sentence {
        Sentence {
            words: self.words,
            tokens: self.tokens,
            kind,
            query,
            target,
            referent,
            distractor,
            cue,
        }
    }
}

/// Settings of a [`CorefTrainer`] run.
#[derive(Clone, Debug, PartialEq)]
pub struct CorefTraining {
    /// The model's sizes (`vocab`, `max_len` and `n_classes` are set from
    /// the corpus by [`CorefTraining::new`]).
    pub model: ClassifierConfig,
    /// Sentences per optimisation step.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Probability that a training sentence has one frame word (not a noun,
    /// the adjective, "it" or the verb slot) replaced by `[unk]`, so the
    /// model copes with words it does not know.
    pub unk_rate: f64,
    /// Seed of the training-sentence stream.
    pub data_seed: u64,
}

impl CorefTraining {
    /// The shipped configuration: d_model 32, 2 layers x 4 heads (width 8),
    /// MLP width 64, scaled; batch 32, Adam 3e-3, 5% `[unk]` noise; seeds 1
    /// (weights) and 2 (data).
    pub fn new(corpus: &Corpus) -> Self {
        CorefTraining {
            model: ClassifierConfig {
                vocab: corpus.vocab_size(),
                max_len: corpus.max_len(),
                n_classes: corpus.vocab_size(),
                d_model: 32,
                n_heads: 4,
                d_hidden: 64,
                n_layers: 2,
                scale: true,
                seed: 1,
            },
            batch: 32,
            lr: 3e-3,
            unk_rate: 0.05,
            data_seed: 2,
        }
    }
}

/// Trains an [`EncoderClassifier`] on the corpus one step at a time (so a
/// browser can spread training over animation frames).
#[derive(Clone, Debug)]
pub struct CorefTrainer {
    /// The model being trained.
    pub model: EncoderClassifier,
    /// The settings.
    pub settings: CorefTraining,
    corpus: Corpus,
    opt: Adam,
    rng: Rng,
    steps: usize,
    /// The step [`CorefTrainer::part`] is doing.
    pending: Option<ClassifierStep>,
}

impl CorefTrainer {
    /// A fresh model and optimizer. Err on bad sizes.
    pub fn new(corpus: Corpus, settings: CorefTraining) -> Result<Self, AttnError> {
        super::nonzero("batch", settings.batch)?;
        Ok(CorefTrainer {
            model: EncoderClassifier::new(settings.model.clone())?,
            opt: Adam::new(settings.lr),
            rng: Rng::new(settings.data_seed),
            corpus,
            settings,
            steps: 0,
            pending: None,
        })
    }

    /// Steps taken so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// One optimisation step on a fresh batch of training sentences;
    /// returns that batch's loss and accuracy before the update.
    pub fn step(&mut self) -> Result<StepStats, AttnError> {
        let batch = self.batch();
        let stats = self.model.train_step(&batch, &mut self.opt)?;
        self.steps += 1;
        Ok(stats)
    }

    /// [`CorefTrainer::step`] in small parts (see [`ClassifierStep`]; the
    /// batch is drawn at the first): the same parameters after the last
    /// part as after the whole step (tested). Returns the step's stats once
    /// its last part is done.
    pub fn part(&mut self) -> Result<Option<StepStats>, AttnError> {
        let mut step = match self.pending.take() {
            Some(s) => s,
            None => ClassifierStep::train(self.batch(), self.model.cfg.n_classes)?,
        };
        let stats = step.part(&mut self.model, &mut self.opt)?;
        match stats {
            Some(_) => self.steps += 1,
            None => self.pending = Some(step),
        }
        Ok(stats)
    }

    /// A fresh batch of training sentences.
    fn batch(&mut self) -> Vec<Question> {
        (0..self.settings.batch)
            .map(|_| {
                let mut s = self.corpus.sample_train(&mut self.rng);
                if self.rng.uniform() < self.settings.unk_rate {
                    let keep = [s.query, s.referent, s.distractor, s.cue];
                    let free: Vec<usize> =
                        (0..s.tokens.len()).filter(|i| !keep.contains(i)).collect();
                    if !free.is_empty() {
                        if let Some(t) = self.rng.pick(&free).and_then(|&i| s.tokens.get_mut(i)) {
                            *t = 0;
                        }
                    }
                }
                s.question()
            })
            .collect()
    }
}

/// Accuracy on `sentences`, overall and per kind (`None` for a kind with
/// no sentence).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KindAccuracy {
    /// All sentences.
    pub all: f64,
    /// Coreference sentences.
    pub coref: Option<f64>,
    /// Agreement sentences.
    pub agreement: Option<f64>,
}

/// Measures `model` on `sentences` (arg-max answer against the target).
/// Err on an empty list or a sentence the model cannot read.
pub fn accuracy(
    model: &EncoderClassifier,
    sentences: &[Sentence],
) -> Result<KindAccuracy, AttnError> {
    let mut m = Measuring::default();
    loop {
        if let Some(a) = m.part(model, sentences)? {
            return Ok(a);
        }
    }
}

/// [`accuracy`] one sentence at a time (so a page can spread it over
/// animation frames).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measuring {
    tally: Tally,
    /// Sentences measured.
    next: usize,
}

impl Measuring {
    /// Measures the next of `sentences` (the same list at every call);
    /// returns the accuracy once all are measured. Err on an empty list or
    /// a sentence the model cannot read.
    pub fn part(
        &mut self,
        model: &EncoderClassifier,
        sentences: &[Sentence],
    ) -> Result<Option<KindAccuracy>, AttnError> {
        if sentences.is_empty() {
            return Err(AttnError::value("sentences", "need at least one"));
        }
        if let Some(s) = sentences.get(self.next) {
            let (logits, _) = model.forward(&s.tokens, s.query)?;
            let row: Vec<f64> = logits.row(0).iter().copied().collect();
            self.tally.add(s.kind, argmax(&row) == s.target);
            self.next += 1;
        }
        Ok((self.next >= sentences.len()).then(|| self.tally.accuracy()))
    }
}

/// Right answers out of questions seen, of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Count {
    right: usize,
    seen: usize,
}

impl Count {
    fn fraction(self) -> Option<f64> {
        (self.seen > 0).then(|| self.right as f64 / self.seen as f64)
    }
}

/// Counts right answers per kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Tally {
    coref: Count,
    agreement: Count,
}

impl Tally {
    /// Counts one answer to a question of kind `kind`.
    pub(super) fn add(&mut self, kind: Kind, right: bool) {
        let count = match kind {
            Kind::Coref => &mut self.coref,
            Kind::Agreement => &mut self.agreement,
        };
        count.seen += 1;
        count.right += usize::from(right);
    }

    /// The fractions right (`all` is 0 when nothing was counted).
    pub(super) fn accuracy(&self) -> KindAccuracy {
        let (c, a) = (self.coref, self.agreement);
        KindAccuracy {
            all: (c.right + a.right) as f64 / (c.seen + a.seen).max(1) as f64,
            coref: c.fraction(),
            agreement: a.fraction(),
        }
    }
}

/// `list[i]`, or [`UNK`] if `i` is out of range (callers draw `i` below
/// `list.len()`).
fn word_at(list: &[&'static str], i: usize) -> &'static str {
    list.get(i).copied().unwrap_or(UNK)
}
