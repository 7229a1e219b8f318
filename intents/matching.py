"""Match a citizen's question to FAQ entries: scored candidates, and the answer / suggest / handoff decision.

How a score is made (a fixed function, the same on any FAQ, so the thresholds in settings.yaml need no tuning):
a text becomes terms: words (jieba for Chinese with the FAQ's own terms in its dictionary, Porter stems for
English, synonyms made canonical: the FAQ's own joined with the general ones of intents/lexicon.yaml, fillers
and stop words dropped) plus one term per kind of ask (how, cost, where, when ... from intents/lexicon.yaml).
A citizen's text first has homophone typos of the FAQ's own words repaired (隔里 -> 隔离, 核算 -> 核酸:
intents.segment.Homophones, by toneless pinyin). Every term weighs its rarity across the FAQ's entries (IDF,
counting the entries whose questions, keywords and synonyms use it); a kind of ask weighs at least as a word
used by 2% of entries, however common it is. For a query and one variant

    covered(query)   = credit-weighted share of the query's terms the variant's ENTRY knows
                       (an entry knows its variants' and keywords' terms fully, also the words of the synonyms
                       its variants use as written ("red code" besides 红码); the terms of the first 300
                       characters of each language of its answer partly, BM25F-style: a term's credit is
                       c * count / (count + 1.2 * (0.25 + 0.75 * length / average length)), where c is 0.8
                       for an entry with one variant, 0.48 with 3, 0.2 with 10: the fewer ways an entry is
                       asked, the more its answer has to say what it is about. A term the questions use
                       keeps its full credit.)
    covered(variant) = weight of the variant's terms the query has / weight of all the variant's terms
    similarity       = covered(query) ** 1.0 * covered(variant) ** 0.3

The same similarity is computed on character grams (Chinese bigrams and single characters, English
trigrams, and the kinds of ask), the fallback for unknown words and typos (合酸 ~ 核酸), and the two are
averaged. A query that asks a kind of thing its entry never answers (多少钱 against 在哪里) scores x0.8.
An entry with no question in the query's language (Chinese, or Latin letters only) scores the credit-weighted
share of the query's topic words it knows, kinds of ask left out, mostly from its answer in that language:
a "did you mean" for an English question on an FAQ written in Chinese, never a direct answer.
score = 100 * similarity; an entry takes its best variant's score; a query that repeats one of its variants
scores 100 whatever the answer says. Each constant was measured on the shipped FAQ with 3 and with 8-10
variants per entry, and on covid-qa-en (benchmarks/README.md). `decide` answers only a clear winner: at least
`answer`, ahead of the runner-up by `margin` points AND with the runner-up at most `runner_up_share` of it (a
ratio means the same at any score).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from frontdesk.faq import Faq
from frontdesk.settings import MatchingSettings
from intents.normalize import (
    Lexicon,
    Synonyms,
    default_lexicon,
    is_cjk,
    merge_synonyms,
    normalize,
    strip_fillers,
)
from intents.segment import Homophones, Segmenter, stem

ASK_PREFIX = "?"           # a kind-of-ask term is written "?how", "?cost" ...
COMMON_CHARACTER_SHARE = 0.2  # a single character used by more entries than this is no evidence (and slow)
ANSWER_CHARS = 300         # how much of each answer (per language) counts as terms its entry partly knows
_SENTENCE_END = re.compile(r"[。！？!?；;\n]+|\.\s+")  # answers are analysed (and remembered) sentence by sentence


@dataclass(frozen=True)
class Tuning:
    """The fixed constants of the scoring function, in one place for the benchmark and for measurements."""

    query_power: float = 1.0      # exponent on the share of the query's weight the entry covers
    variant_power: float = 0.3    # exponent on the share of the variant's weight the query covers
    answer_credit: float = 0.8    # most credit for a query term found only in the answer of a one-variant entry
    answer_half: float = 3.0      # ...which halves when the entry has this many more variants (4 in all)
    answer_k1: float = 1.2        # BM25 saturation of an answer term's count (a term said twice counts more)
    answer_b: float = 0.75        # BM25 length normalisation (a term in a long answer counts less)
    ask_share: float = 0.02       # a kind-of-ask term weighs at least as a word used by this share of entries
    other_ask: float = 0.8        # factor when the query asks a kind of thing its entry never answers
    cross_language: bool = True   # an entry with no question in the query's language is matched by its answer


@dataclass(frozen=True)
class Candidate:
    """One FAQ entry as a possible answer, with the variant that matched best and why."""

    entry_id: str
    score: float            # 0-100, comparable across FAQs
    question: str           # the variant that matched best
    matched: tuple[str, ...] = ()   # query terms found in that variant (for --explain)
    missing: tuple[str, ...] = ()   # important query terms not found, then important variant terms not asked
    unasked: tuple[str, ...] = ()   # the second part of `missing`: the variant's important terms the query lacks
    by_answer: bool = False         # found through its answer only (no question in the asker's language)


@dataclass(frozen=True)
class MatchDecision:
    """What to do with a question: answer it, suggest entries, or hand it to a human."""

    kind: str                               # "answer" | "suggest" | "handoff"
    candidates: tuple[Candidate, ...]       # answer: (best,); suggest: the choices; handoff: top few (info)


@dataclass(frozen=True)
class Terms:
    """A text as the matcher sees it: words (with kinds of ask) and character grams, each once, in order."""

    words: tuple[str, ...]
    grams: tuple[str, ...]


class Analyzer:
    """Turns text into matching terms: normalise, apply synonyms, drop fillers, segment, stem, find the ask."""

    def __init__(self, synonyms: Synonyms, new_words: Iterable[str] = (), lexicon: Lexicon | None = None):
        self.lexicon = lexicon or default_lexicon()
        self.synonyms = synonyms
        self.segmenter = Segmenter(synonyms.terms(), new_words)

    def prepare(self, text: str, canonical: bool = True, normalized: bool = False) -> str:
        """Return text normalised, with FAQ synonyms made canonical (unless told not to) and without fillers."""
        text = text if normalized else normalize(text)
        return strip_fillers(self.synonyms.apply(text) if canonical else text, self.lexicon)

    def terms(self, text: str, canonical: bool = True, normalized: bool = False) -> Terms:
        """Return the words and character grams of text (kinds of ask count in both); say if it is normalised."""
        words, grams = self.term_lists(text, canonical, normalized)
        return Terms(tuple(dict.fromkeys(words)), tuple(dict.fromkeys(grams)))

    def term_lists(self, text: str, canonical: bool = True, normalized: bool = False) -> tuple[list[str], list[str]]:
        """Return the words and character grams of text in order, repeats kept (for term frequencies)."""
        tokens = self.segmenter.words(self.prepare(text, canonical, normalized))
        kind_of = self.lexicon.ask_kind_of
        prefixes = self.lexicon.ask_prefixes
        stop = self.lexicon.stop_words
        words: list[str] = []
        grams: list[str] = []
        run = ""  # consecutive Chinese content words, for bigrams across word boundaries (typos split words)
        i = 0
        while i < len(tokens):
            token = tokens[i]
            chinese = _han(token[0])  # the segmenter keeps Chinese and other tokens apart
            kind, end, phrase = None, i, ""
            if token in prefixes:
                for j in range(i, len(tokens)):  # the longest ask phrase starting here, aligned to words
                    phrase = phrase + tokens[j] if chinese or not phrase else f"{phrase} {tokens[j]}"
                    if phrase not in prefixes:
                        break
                    if phrase in kind_of:
                        kind, end = kind_of[phrase], j + 1
            if kind is not None:
                words.append(ASK_PREFIX + kind)
                grams.append(ASK_PREFIX + kind)
                grams.extend(_run_grams(run))
                run = ""
                i = end
                continue
            i += 1
            if token in stop:
                grams.extend(_run_grams(run))
                run = ""
            elif chinese:
                words.append(token)
                run += token
            else:
                grams.extend(_run_grams(run))
                run = ""
                word = stem(token)
                words.append(word)
                grams.extend(_trigrams(word))
        grams.extend(_run_grams(run))
        grams.extend(ch for w in words if _han(w[0]) for ch in w)  # single characters: 码黄了 ~ 黄码
        return words, grams


def _language(words: Iterable[str]) -> str | None:
    """Return "zh" for a query with Chinese words, "en" for one with only Latin-letter words, else None."""
    latin = False
    for word in words:
        if word.startswith(ASK_PREFIX):
            continue
        if is_cjk(word):
            return "zh"
        latin = latin or any("a" <= ch <= "z" for ch in word)
    return "en" if latin else None


def _han(ch: str) -> bool:
    """Say whether one character is Chinese (the ranges intents.segment splits on), without a regex."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def _run_grams(run: str) -> list[str]:
    """Return the character bigrams of a run of Chinese characters (a lone character stands for itself)."""
    if len(run) == 1:
        return [run]
    return [run[k : k + 2] for k in range(len(run) - 1)]


@functools.lru_cache(maxsize=65536)
def _trigrams(word: str) -> tuple[str, ...]:
    """Return the letter trigrams of an English word with its edges marked (<co, cod, ode, de>)."""
    if not word.isalpha():
        return ()
    padded = f"<{word}>"
    return tuple(padded[k : k + 3] for k in range(len(padded) - 2))


class _Index:
    """An inverted index of one kind of term: which variants hold it, and how well each entry knows it.

    An entry knows the terms of its variants (and keywords ...) fully and its answer's terms partly; a term's
    rarity (IDF) counts only the entries that know it fully, so long answers do not make every word common.
    """

    def __init__(self, docs: list[tuple[str, ...]], known: list[Iterable[str]], vocab: dict[str, int],
                 partly: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None):
        """Index variant terms `docs`, the terms each entry knows fully, and (entry, term id, credit) rows it
        knows partly; `vocab` holds the ids already given to the partly known terms and takes the new ones."""
        n_entries = len(known)
        ids = vocab.setdefault
        own_t = [ids(term, len(vocab)) for terms in docs for term in terms]
        known_t = [ids(term, len(vocab)) for terms in known for term in terms]
        self.vocab = vocab
        self.n_entries = n_entries
        self.n_variants = len(docs)
        self._own_variants = np.repeat(np.arange(len(docs), dtype=np.int32), [len(terms) for terms in docs])
        self._own_terms = np.asarray(own_t, dtype=np.int32)
        known_terms = np.asarray(known_t, dtype=np.int32)
        known_entries = np.repeat(np.arange(n_entries, dtype=np.int32), [len(terms) for terms in known])
        self._entries_per_term = np.bincount(known_terms, minlength=len(vocab))
        credits = np.ones(len(known_terms))
        if partly is not None:  # a term known both ways keeps its full credit
            entries, terms, partial = partly
            known_entries = np.concatenate((known_entries, entries))
            known_terms = np.concatenate((known_terms, terms))
            credits = np.concatenate((credits, partial))
            order = np.lexsort((-credits, known_entries, known_terms))
            keep = np.ones(len(order), dtype=bool)
            keep[1:] = (np.diff(known_terms[order]) != 0) | (np.diff(known_entries[order]) != 0)
            order = order[keep]  # ordered by term, then entry: the postings as _postings would sort them
            known_terms = known_terms[order]
            self._known_bounds = np.searchsorted(known_terms, np.arange(len(vocab) + 1))
            self._known, self._credit = known_entries[order], credits[order]
        else:
            self._known_bounds, (self._known, self._credit) = _postings(
                known_terms, len(vocab), known_entries, credits)
        self._own_bounds, (self._own,) = _postings(self._own_terms, len(vocab), self._own_variants)
        self.weights = np.log1p(n_entries / np.maximum(self._entries_per_term, 1)).astype(np.float64)
        self.variant_weight = self._variant_weights()

    def idf(self, df: float) -> float:
        """Return the rarity weight of a term used by df entries (a term no entry uses counts as used by one)."""
        return math.log1p(self.n_entries / max(df, 1.0))

    def floor(self, prefix: str, least: float) -> None:
        """Raise the weight of every term starting with prefix to at least `least`."""
        for term, tid in self.vocab.items():
            if term.startswith(prefix):
                self.weights[tid] = max(self.weights[tid], least)
        self.variant_weight = self._variant_weights()

    def silence(self, which, share: float) -> None:
        """Weigh zero (and so skip) the terms `which` accepts that more than `share` of the entries use."""
        common = self._entries_per_term > share * self.n_entries
        for term, tid in self.vocab.items():
            if common[tid] and which(term):
                self.weights[tid] = 0.0
        self.variant_weight = self._variant_weights()

    def _variant_weights(self) -> np.ndarray:
        return np.bincount(self._own_variants, self.weights[self._own_terms], minlength=self.n_variants)

    def weight(self, term: str, unknown: float) -> float:
        """Return the weight of a term; `unknown` for a term the FAQ never uses."""
        tid = self.vocab.get(term)
        return unknown if tid is None else float(self.weights[tid])

    def knows(self, term: str, entry: int) -> bool:
        """Say whether an entry knows a term, fully or partly."""
        tid = self.vocab.get(term)
        if tid is None:
            return False
        return bool(np.any(self._known[self._known_bounds[tid] : self._known_bounds[tid + 1]] == entry))

    def similarity(self, terms: tuple[str, ...], weights: dict[str, float], owners: np.ndarray,
                   tuning: Tuning, stand_in: np.ndarray | None = None) -> np.ndarray:
        """Return, per variant, how well its entry covers the query and the query covers the variant (0-1).

        The variants `stand_in` marks (their entry has no question in the query's language) score the share of
        the query's topic words (not kinds of ask) their entry knows, mostly from its answer in that language.
        """
        total = sum(weights.values())
        if total <= 0:
            return np.zeros(self.n_variants)
        own_idx, own_val, known_idx, known_val, topical = [], [], [], [], []
        for term in terms:
            tid = self.vocab.get(term)
            if tid is None:
                continue
            w = weights[term]
            if w <= 0:
                continue
            own = self._own[self._own_bounds[tid] : self._own_bounds[tid + 1]]
            start, end = self._known_bounds[tid], self._known_bounds[tid + 1]
            own_idx.append(own)
            own_val.append(np.full(len(own), w))
            known_idx.append(self._known[start:end])
            known_val.append(self._credit[start:end] * w)
            topical.append(np.full(end - start, not term.startswith(ASK_PREFIX)))
        if not own_idx:
            return np.zeros(self.n_variants)
        shared = np.bincount(np.concatenate(own_idx), np.concatenate(own_val), minlength=self.n_variants)
        shared = shared.astype(np.float64, copy=False)  # an empty bincount comes back as integers
        known_entries, known_values = np.concatenate(known_idx), np.concatenate(known_val)
        covered = np.bincount(known_entries, known_values, minlength=self.n_entries)
        query_share = np.minimum(covered[owners] / total, 1.0)
        variant_share = np.divide(shared, self.variant_weight, out=np.zeros_like(shared),
                                  where=self.variant_weight > 0)
        if stand_in is not None and stand_in.any():
            topic = sum(w for t, w in weights.items() if not t.startswith(ASK_PREFIX))
            on_topic = np.concatenate(topical)
            topic_covered = np.bincount(known_entries[on_topic], known_values[on_topic], minlength=self.n_entries)
            topic_share = np.minimum(topic_covered[owners] / topic, 1.0) if topic > 0 else np.zeros(len(owners))
            return np.where(stand_in, topic_share ** tuning.query_power,
                            query_share ** tuning.query_power * variant_share ** tuning.variant_power)
        return query_share ** tuning.query_power * variant_share ** tuning.variant_power


class FaqMatcher:
    """Ranks FAQ entries for a question; scores are 0-100 and mean the same on any FAQ."""

    def __init__(self, faq: Faq, lexicon: Lexicon | None = None, tuning: Tuning | None = None):
        self.faq = faq
        self.tuning = tuning = tuning or Tuning()
        normal = _Normalized()
        keywords = [tuple(normal(k) for k in e.keywords) for e in faq.entries]
        new_words = {k for ks in keywords for k in ks if is_cjk(k)}
        lexicon = lexicon or default_lexicon()
        self.analyzer = Analyzer(Synonyms(merge_synonyms(faq.synonyms, lexicon.synonyms)), new_words, lexicon)
        self.entry_ids = [e.id for e in faq.entries]
        self.questions: list[str] = []
        owners: list[int] = []
        for number, entry in enumerate(faq.entries):
            for question in entry.questions:
                self.questions.append(question)
                owners.append(number)
        self.variant_entry = np.asarray(owners, dtype=np.int32)
        self.max_variants = max((len(e.questions) for e in faq.entries), default=1)
        chinese = np.asarray([is_cjk(q) for q in self.questions], dtype=bool)
        has_zh = np.bincount(self.variant_entry[chinese], minlength=len(faq.entries)) > 0
        has_en = np.bincount(self.variant_entry[~chinese], minlength=len(faq.entries)) > 0
        # per query language: the variants of entries with no question in it (they match through their answer)
        self.variant_lacks = {"zh": ~has_zh[self.variant_entry], "en": ~has_en[self.variant_entry]}
        normalized = [normalize(q) for q in self.questions]
        self.variant_terms = [self.analyzer.terms(q, normalized=True) for q in normalized]
        segmenter = self.analyzer.segmenter
        phrases = [normal(t) for term, variants in faq.synonyms.items() for t in (term, *variants)]
        self.homophones = Homophones(
            [*(w for t in self.variant_terms for w in t.words), *(k for ks in keywords for k in ks), *phrases,
             *(w for p in phrases for w in segmenter.words(p))],
            segmenter, self.analyzer.lexicon.stop_words)
        # What each entry knows fully: its keywords, every variant's terms, the words of its synonyms as written.
        known_words: list[dict[str, None]] = [{} for _ in faq.entries]
        known_grams: list[dict[str, None]] = [{} for _ in faq.entries]
        seen: dict[tuple[str, bool], tuple[str, ...]] = {}
        for e, ks in enumerate(keywords):
            for keyword in ks:
                known_words[e].update(dict.fromkeys(self._plain_words(keyword, seen)))
        for v, question in enumerate(normalized):  # the words of a variant's synonyms as written (red code)
            for phrase in self.analyzer.synonyms.found(question):
                known_words[owners[v]].update(dict.fromkeys(self._plain_words(phrase, seen, canonical=False)))
        for v, terms in enumerate(self.variant_terms):
            known_words[owners[v]].update(dict.fromkeys(terms.words))
            known_grams[owners[v]].update(dict.fromkeys(terms.grams))
        # ... and partly: the terms of its answer, less as it has more variants (see _answer_knowledge).
        word_ids: dict[str, int] = {}
        gram_ids: dict[str, int] = {}
        answer_words, answer_grams = self._answer_knowledge(faq, word_ids, gram_ids)
        self.words = _Index([t.words for t in self.variant_terms], known_words, word_ids, answer_words)
        self.grams = _Index([t.grams for t in self.variant_terms], known_grams, gram_ids, answer_grams)
        n = max(len(faq.entries), 1)
        self.ask_weight = self.words.idf(tuning.ask_share * n)
        kinds = {kind: 1 << i for i, kind in enumerate(sorted(self.analyzer.lexicon.ask_kinds))}
        self.ask_bits = {ASK_PREFIX + kind: bit for kind, bit in kinds.items()}
        entry_asks = np.zeros(len(faq.entries), dtype=np.int64)
        for v, terms in enumerate(self.variant_terms):
            entry_asks[owners[v]] |= sum(self.ask_bits.get(t, 0) for t in terms.words if t.startswith(ASK_PREFIX))
        self.variant_asks = entry_asks[self.variant_entry]
        self.unknown_weight = self.words.idf(1.0)  # a word no entry uses weighs as much as the rarest
        self.words.floor(ASK_PREFIX, self.ask_weight)
        self.grams.silence(lambda gram: len(gram) == 1, COMMON_CHARACTER_SHARE)

    def _answer_knowledge(self, faq: Faq, word_ids: dict[str, int], gram_ids: dict[str, int]) -> tuple:
        """Return the (entry, term id, credit) rows of the words and of the grams entries know from their answers.

        BM25F-style: a term's credit saturates with its count in the first ANSWER_CHARS characters of each
        language's answer and shrinks with the answer's length (k1, b), times the entry's answer credit, which
        shrinks as the entry has more variants (the questions then say what the entry is about). Each sentence
        is analysed once per FAQ: answers repeat sentences (phone numbers, "subject to the latest notice").
        """
        tuning = self.tuning
        if tuning.answer_credit <= 0 or not faq.entries:
            return None, None
        sentences: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        parts: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
        sizes = np.zeros((2, len(faq.entries)), dtype=np.int64)
        for e, entry in enumerate(faq.entries):
            for text in entry.answers.values():
                for sentence in _SENTENCE_END.split(text[:ANSWER_CHARS]):
                    ids = sentences.get(sentence)
                    if ids is None:
                        words, grams = self.analyzer.term_lists(sentence)
                        ids = sentences[sentence] = (
                            np.fromiter((word_ids.setdefault(t, len(word_ids)) for t in words
                                         if t[0] != ASK_PREFIX), np.int32),
                            np.fromiter((gram_ids.setdefault(t, len(gram_ids)) for t in grams
                                         if t[0] != ASK_PREFIX), np.int32))
                    for kind in (0, 1):
                        parts[kind].append(ids[kind])
                        sizes[kind, e] += len(ids[kind])
        variants = np.asarray([len(entry.questions) for entry in faq.entries], dtype=np.float64)
        credit = tuning.answer_credit * tuning.answer_half / (tuning.answer_half + variants - 1.0)
        rows = []
        for kind, vocab in ((0, word_ids), (1, gram_ids)):
            terms = np.concatenate(parts[kind]) if parts[kind] else np.zeros(0, dtype=np.int32)
            entries = np.repeat(np.arange(len(faq.entries), dtype=np.int64), sizes[kind])
            key, count = np.unique(entries * max(len(vocab), 1) + terms, return_counts=True)
            entry = (key // max(len(vocab), 1)).astype(np.int32)
            length = sizes[kind, entry] / max(float(sizes[kind].mean()), 1.0)
            k1, b = tuning.answer_k1, tuning.answer_b
            saturated = count / (count + k1 * (1.0 - b + b * length))  # BM25's tf part over its limit k1 + 1
            rows.append((entry, (key % max(len(vocab), 1)).astype(np.int32), credit[entry] * saturated))
        return rows[0], rows[1]

    def _plain_words(self, text: str, seen: dict, canonical: bool = True) -> tuple[str, ...]:
        """Return the words of a keyword or answer (no kinds of ask), analysing each distinct text once."""
        key = (text, canonical)
        if key not in seen:
            words = self.analyzer.terms(text, canonical).words
            seen[key] = tuple(t for t in words if not t.startswith(ASK_PREFIX))
        return seen[key]

    def _word_weight(self, term: str) -> float:
        if term.startswith(ASK_PREFIX):
            return max(self.words.weight(term, 0.0), self.ask_weight)
        return self.words.weight(term, self.unknown_weight)

    def _gram_weight(self, term: str) -> float:
        return self.grams.weight(term, self.unknown_weight)  # a silenced common character weighs 0

    def _stand_in(self, query: Terms) -> np.ndarray | None:
        """Return which variants' entries have no question in the query's language (None: no such rule)."""
        language = _language(query.words) if self.tuning.cross_language else None
        return None if language is None else self.variant_lacks[language]

    def _scores(self, query: Terms, stand_in: np.ndarray | None) -> np.ndarray:
        word_weights = {t: self._word_weight(t) for t in query.words}
        gram_weights = {t: self._gram_weight(t) for t in query.grams}
        words = self.words.similarity(query.words, word_weights, self.variant_entry, self.tuning, stand_in)
        grams = self.grams.similarity(query.grams, gram_weights, self.variant_entry, self.tuning, stand_in)
        similarity = (words + grams) / 2.0
        asks = sum(self.ask_bits.get(t, 0) for t in set(query.words) if t.startswith(ASK_PREFIX))
        if asks and self.tuning.other_ask != 1.0:
            other = (self.variant_asks != 0) & ((self.variant_asks & asks) == 0)
            similarity = np.where(other, similarity * self.tuning.other_ask, similarity)
        return 100.0 * similarity

    def query_terms(self, text: str) -> Terms:
        """Return the terms of a citizen's text, homophone typos repaired against the FAQ's own wording."""
        return self.analyzer.terms(self.homophones.correct(normalize(text)))

    def variant_scores(self, text: str) -> np.ndarray:
        """Return the 0-100 score of every question variant for text."""
        query = self.query_terms(text)
        return self._scores(query, self._stand_in(query))

    def rank(self, text: str, limit: int = 5) -> list[Candidate]:
        """Return up to `limit` entries that share anything with text, best first, one per entry."""
        query = self.query_terms(text)
        stand_in = self._stand_in(query)
        scores = self._scores(query, stand_in)
        hits = np.flatnonzero(scores > 0)
        if len(hits) == 0 or limit <= 0:
            return []
        keep = min(len(hits), limit * self.max_variants)  # enough variants to hold `limit` distinct entries
        if keep < len(hits):
            hits = hits[np.argpartition(-scores[hits], keep - 1)[:keep]]
        order = hits[np.lexsort((hits, -scores[hits]))]  # best first; ties in FAQ order
        result: list[Candidate] = []
        seen: set[int] = set()
        for v in order:
            entry = int(self.variant_entry[v])
            if entry not in seen:
                seen.add(entry)
                result.append(self._candidate(int(v), float(scores[v]), query, stand_in))
                if len(result) >= limit:
                    break
        return result

    def _candidate(self, variant: int, score: float, query: Terms, stand_in: np.ndarray | None) -> Candidate:
        entry = int(self.variant_entry[variant])
        important = 0.5 * self.ask_weight
        if stand_in is not None and stand_in[variant]:  # matched through its answer
            topic = [t for t in query.words if not t.startswith(ASK_PREFIX)]
            matched = tuple(t for t in topic if self.words.knows(t, entry))
            missing = tuple(t for t in topic if t not in matched and self._word_weight(t) >= important)
            unasked: tuple[str, ...] = ()
            by_answer = True
        else:
            by_answer = False
            own = set(self.variant_terms[variant].words)
            asked = set(query.words)
            matched = tuple(t for t in query.words if t in own)
            missing = tuple(t for t in query.words if t not in own and self._word_weight(t) >= important)
            unasked = tuple(t for t in self.variant_terms[variant].words
                            if t not in asked and self._word_weight(t) >= important)
        return Candidate(
            entry_id=self.entry_ids[entry],
            score=round(score, 1),
            question=self.questions[variant],
            matched=matched,
            missing=missing + unasked,
            unasked=unasked,
            by_answer=by_answer,
        )

    def explain(self, text: str, limit: int = 3) -> list[str]:
        """Return one line per top candidate: entry, score, matched variant, matched and missing terms."""
        lines = []
        for c in self.rank(text, limit):
            asked = [t for t in c.missing if t not in c.unasked]
            via = "through its answer (no question in this language)" if c.by_answer else f'"{c.question}"'
            line = f'{c.entry_id} {c.score:.1f}  {via}  matched: {" ".join(c.matched) or "-"}'
            if asked:
                line += f"  missing(query): {' '.join(asked)}"
            if c.unasked:
                line += f"  missing(entry): {' '.join(c.unasked)}"
            lines.append(line)
        return lines or [f"no FAQ entry shares a word with {text!r}"]


class _Normalized(dict):
    """normalize() with a memory, for texts an FAQ repeats (keywords, synonyms)."""

    def __call__(self, text: str) -> str:
        if text not in self:
            self[text] = normalize(text)
        return self[text]


def _postings(terms: np.ndarray, size: int, *columns: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return the bounds of each term id's postings and the columns ordered by term (then by the first column)."""
    order = np.lexsort((columns[0], terms))
    bounds = np.searchsorted(terms[order], np.arange(size + 1))
    return bounds, [column[order] for column in columns]


def decide(candidates: list[Candidate], settings: MatchingSettings) -> MatchDecision:
    """Answer, suggest or hand off, from ranked candidates and the named thresholds."""
    margin = settings.margin
    if not candidates:
        return MatchDecision("handoff", ())
    best = candidates[0]
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    clear = best.score - runner_up >= margin and runner_up <= settings.runner_up_share * best.score
    if best.score >= settings.answer and clear and not best.by_answer:  # an answer's words alone only suggest
        return MatchDecision("answer", (best,))
    if best.score >= settings.suggest:
        choices = [c for c in candidates[: settings.max_suggestions] if c.score >= settings.suggest]
        return MatchDecision("suggest", tuple(choices))
    return MatchDecision("handoff", tuple(candidates[: settings.max_suggestions]))
