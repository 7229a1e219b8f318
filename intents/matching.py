"""Match a citizen's question to FAQ entries: scored candidates, and the answer / suggest / handoff decision."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from frontdesk.faq import Faq
from frontdesk.settings import MatchingSettings
from intents.normalize import Lexicon, Synonyms, default_lexicon, is_cjk, normalize, strip_fillers
from intents.segment import Segmenter, char_grams, stem

ASK_PREFIX = "?"           # ask-kind terms are written "?how", "?cost" ...
ANSWER_MARGIN = 0.0        # points the best entry must lead the runner-up by to be answered directly
MAX_ASK_TOKENS = 4         # longest ask phrase, in words


@dataclass
class Tuning:
    """Knobs of the scoring function (fixed; exposed for the benchmark and for measurements)."""

    query_power: float = 1.0      # exponent on the share of the query's weight the variant covers
    variant_power: float = 0.5    # exponent on the share of the variant's weight the query covers
    gram_factor: float = 0.9      # how much a character-bigram match may count against a word match
    ask_weight: float = 1.0       # weight of a kind-of-ask term, relative to the median word weight
    unknown_df: float = 1.0       # document frequency assumed for a query word the FAQ never uses
    english_grams: bool = True    # character trigrams of English words as the fallback channel


@dataclass(frozen=True)
class Candidate:
    """One FAQ entry as a possible answer, with the variant that matched best and why."""

    entry_id: str
    score: float            # 0-100, comparable across FAQs
    question: str           # the variant that matched best
    matched: tuple[str, ...] = ()   # query terms found in that variant (for --explain)
    missing: tuple[str, ...] = ()   # important query terms not found, then important variant terms not asked
    unasked: tuple[str, ...] = ()   # the second part of `missing`: the variant's important terms the query lacks


@dataclass(frozen=True)
class MatchDecision:
    """What to do with a question: answer it, suggest entries, or hand it to a human."""

    kind: str                               # "answer" | "suggest" | "handoff"
    candidates: tuple[Candidate, ...]       # answer: (best,); suggest: the choices; handoff: top few (info)


@dataclass(frozen=True)
class Analysis:
    """A text as the matcher sees it: weighted words (with kinds of ask) and character grams."""

    words: tuple[str, ...]
    grams: tuple[str, ...]


class Analyzer:
    """Turns text into matching terms: normalise, drop fillers, apply synonyms, segment, stem, find the ask."""

    def __init__(self, synonyms: Synonyms, words: Iterable[str] = (), lexicon: Lexicon | None = None,
                 tuning: Tuning | None = None):
        self.lexicon = lexicon or default_lexicon()
        self.synonyms = synonyms
        self.tuning = tuning or Tuning()
        self.segmenter = Segmenter(set(words) | synonyms.terms())

    def prepare(self, text: str) -> str:
        """Return text normalised, without fillers, with FAQ synonyms made canonical."""
        return self.synonyms.apply(strip_fillers(normalize(text), self.lexicon))

    def analyze(self, text: str) -> Analysis:
        """Return the words and character grams of text."""
        prepared = self.prepare(text)
        tokens = self.segmenter.words(prepared)
        words: list[str] = []
        kind_of = self.lexicon.ask_kind_of
        stop = self.lexicon.stop_words
        i = 0
        while i < len(tokens):
            for j in range(min(len(tokens), i + MAX_ASK_TOKENS), i, -1):
                kind = kind_of.get("".join(tokens[i:j]) if is_cjk(tokens[i]) else " ".join(tokens[i:j]))
                if kind:
                    words.append(ASK_PREFIX + kind)
                    i = j
                    break
            else:
                token = tokens[i]
                i += 1
                if token in stop:
                    continue
                words.append(token if is_cjk(token) else stem(token))
        grams = char_grams(prepared)
        if self.tuning.english_grams:
            for word in words:
                if not is_cjk(word) and not word.startswith(ASK_PREFIX) and not word.isdigit():
                    padded = f"<{word}>"
                    grams.extend(padded[k : k + 3] for k in range(len(padded) - 2))
        return Analysis(tuple(dict.fromkeys(words)), tuple(dict.fromkeys(grams)))


class _Channel:
    """An inverted index of one kind of term over all variants, with rarity weights."""

    def __init__(self, docs: list[tuple[str, ...]], variant_entry: np.ndarray, n_entries: int, unknown_df: float):
        vocab: dict[str, int] = {}
        postings: list[list[int]] = []
        entry_sets: list[set[int]] = []
        for v, terms in enumerate(docs):
            for term in terms:
                tid = vocab.get(term)
                if tid is None:
                    tid = vocab[term] = len(postings)
                    postings.append([])
                    entry_sets.append(set())
                postings[tid].append(v)
                entry_sets[tid].add(int(variant_entry[v]))
        self.vocab = vocab
        self.n_entries = n_entries
        self.unknown_weight = self.idf(unknown_df)
        self.postings = [np.asarray(p, dtype=np.int32) for p in postings]
        self.weights = np.array([self.idf(len(s)) for s in entry_sets], dtype=np.float64)
        self.variant_weight = np.array(
            [sum(self.weights[vocab[t]] for t in terms) for terms in docs], dtype=np.float64,
        )
        self.n_variants = len(docs)

    def idf(self, df: float) -> float:
        """Return the rarity weight of a term used by df entries."""
        return math.log(1.0 + self.n_entries / df)

    def weight(self, term: str) -> float:
        """Return the weight of a term, the unknown-term weight when the FAQ never uses it."""
        tid = self.vocab.get(term)
        return self.unknown_weight if tid is None else float(self.weights[tid])

    def overlap(self, terms: Iterable[str], weights: dict[str, float]) -> np.ndarray:
        """Return, per variant, the summed weight of the given terms it contains."""
        idx = []
        vals = []
        for term in terms:
            tid = self.vocab.get(term)
            if tid is not None:
                post = self.postings[tid]
                idx.append(post)
                vals.append(np.full(len(post), weights[term]))
        if not idx:
            return np.zeros(self.n_variants)
        return np.bincount(np.concatenate(idx), weights=np.concatenate(vals), minlength=self.n_variants)


class FaqMatcher:
    """Ranks FAQ entries for a question; scores are 0-100 and mean the same on any FAQ."""

    def __init__(self, faq: Faq, lexicon: Lexicon | None = None, tuning: Tuning | None = None):
        self.faq = faq
        self.tuning = tuning or Tuning()
        keywords = {normalize(k) for e in faq.entries for k in e.keywords}
        self.analyzer = Analyzer(Synonyms(faq.synonyms), keywords, lexicon, self.tuning)
        self.entry_ids: list[str] = []
        questions: list[str] = []
        owners: list[int] = []
        for number, entry in enumerate(faq.entries):
            self.entry_ids.append(entry.id)
            for question in entry.questions:
                questions.append(question)
                owners.append(number)
        self.questions = questions
        self.variant_entry = np.asarray(owners, dtype=np.int32)
        analyses = [self.analyzer.analyze(q) for q in questions]
        self.analyses = analyses
        n = max(len(faq.entries), 1)
        self.words = _Channel([a.words for a in analyses], self.variant_entry, n, self.tuning.unknown_df)
        self.grams = _Channel([a.grams for a in analyses], self.variant_entry, n, self.tuning.unknown_df)
        content = [w for t, w in zip(self.words.vocab, self.words.weights, strict=True) if not t.startswith(ASK_PREFIX)]
        self.ask_weight = self.tuning.ask_weight * (float(np.median(content)) if content else 1.0)
        if self.tuning.ask_weight > 0:
            for term, tid in self.words.vocab.items():
                if term.startswith(ASK_PREFIX):
                    self.words.weights[tid] = max(self.words.weights[tid], self.ask_weight)
            self.words.variant_weight = np.array(
                [sum(self.words.weights[self.words.vocab[t]] for t in a.words) for a in analyses], dtype=np.float64,
            )

    def _word_weight(self, term: str) -> float:
        if term.startswith(ASK_PREFIX) and term not in self.words.vocab:
            return self.ask_weight
        return self.words.weight(term)

    def _similarity(self, channel: _Channel, terms: tuple[str, ...], weights: dict[str, float]) -> np.ndarray:
        total = sum(weights.values())
        if total <= 0:
            return np.zeros(channel.n_variants)
        shared = channel.overlap(terms, weights)
        query_share = shared / total
        variant_share = np.divide(shared, channel.variant_weight, out=np.zeros_like(shared),
                                  where=channel.variant_weight > 0)
        return query_share ** self.tuning.query_power * variant_share ** self.tuning.variant_power

    def variant_scores(self, text: str) -> np.ndarray:
        """Return the 0-100 score of every variant for text."""
        analysis = self.analyzer.analyze(text)
        word_weights = {t: self._word_weight(t) for t in analysis.words}
        gram_weights = {t: self.grams.weight(t) for t in analysis.grams}
        words = self._similarity(self.words, analysis.words, word_weights)
        grams = self._similarity(self.grams, analysis.grams, gram_weights)
        return 100.0 * np.maximum(words, self.tuning.gram_factor * grams)

    def rank(self, text: str, limit: int = 5) -> list[Candidate]:
        """Return up to `limit` entries that share anything with text, best first, one per entry."""
        scores = self.variant_scores(text)
        hits = np.flatnonzero(scores > 0)
        if len(hits) == 0 or limit <= 0:
            return []
        order = hits[np.argsort(-scores[hits], kind="stable")]
        analysis = self.analyzer.analyze(text)
        result: list[Candidate] = []
        seen: set[int] = set()
        for v in order:
            entry = int(self.variant_entry[v])
            if entry in seen:
                continue
            seen.add(entry)
            result.append(self._candidate(int(v), float(scores[v]), analysis))
            if len(result) >= limit:
                break
        return result

    def _candidate(self, variant: int, score: float, query: Analysis) -> Candidate:
        mine = self.analyses[variant]
        own = set(mine.words)
        asked = set(query.words)
        matched = tuple(t for t in query.words if t in own)
        important = 0.5 * self.words.unknown_weight
        missing = tuple(t for t in query.words if t not in own and self._word_weight(t) >= important * 0.5)
        unasked = tuple(t for t in mine.words if t not in asked and self._word_weight(t) >= important * 0.5)
        return Candidate(
            entry_id=self.entry_ids[self.variant_entry[variant]],
            score=round(score, 1),
            question=self.questions[variant],
            matched=matched,
            missing=missing + unasked,
            unasked=unasked,
        )

    def explain(self, text: str, limit: int = 3) -> list[str]:
        """Return one line per top candidate: entry, score, matched variant, matched and missing terms."""
        lines = []
        for c in self.rank(text, limit):
            asked = [t for t in c.missing if t not in c.unasked]
            line = f'{c.entry_id} {c.score:.1f}  "{c.question}"  matched: {" ".join(c.matched) or "-"}'
            if asked:
                line += f"  missing(query): {' '.join(asked)}"
            if c.unasked:
                line += f"  missing(entry): {' '.join(c.unasked)}"
            lines.append(line)
        return lines or [f"no FAQ entry shares a word with {text!r}"]


def decide(candidates: list[Candidate], settings: MatchingSettings) -> MatchDecision:
    """Answer, suggest or hand off, from ranked candidates and the named thresholds."""
    margin = getattr(settings, "margin", ANSWER_MARGIN)
    if not candidates:
        return MatchDecision("handoff", ())
    best = candidates[0]
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    if best.score >= settings.answer and best.score - runner_up >= margin:
        return MatchDecision("answer", (best,))
    if best.score >= settings.suggest:
        choices = [c for c in candidates[: settings.max_suggestions] if c.score >= settings.suggest]
        return MatchDecision("suggest", tuple(choices))
    return MatchDecision("handoff", tuple(candidates[: settings.max_suggestions]))


__all__ = ["Analysis", "Analyzer", "Candidate", "FaqMatcher", "MatchDecision", "Tuning", "decide", "field"]
