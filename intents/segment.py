"""Split normalised text into matching terms: jieba words for Chinese, stemmed words for English."""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable

import jieba

_base_lock = threading.Lock()
_base_dictionary: tuple[dict[str, int], int] | None = None

_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\W_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CUT_CACHE = 200_000  # Chinese runs whose segmentation one Segmenter remembers
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _base() -> tuple[dict[str, int], int]:
    """Load jieba's bundled dictionary once per process (from the package, no network, no cache file)."""
    global _base_dictionary
    with _base_lock:
        if _base_dictionary is None:
            logging.getLogger("jieba").setLevel(logging.WARNING)
            loader = jieba.Tokenizer()
            _base_dictionary = loader.gen_pfdict(loader.get_dict_file())
        return _base_dictionary


_VOWELS = frozenset("aeiou")


def _consonant(word: str, i: int) -> bool:
    ch = word[i]
    if ch in _VOWELS:
        return False
    if ch == "y":
        return i == 0 or not _consonant(word, i - 1)
    return True


def _measure(stem: str) -> int:
    """Count the vowel-consonant sequences (Porter's m) in stem."""
    pattern = "".join("c" if _consonant(stem, i) else "v" for i in range(len(stem)))
    return pattern.count("vc")


def _has_vowel(stem: str) -> bool:
    return any(not _consonant(stem, i) for i in range(len(stem)))


def _double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _consonant(word, len(word) - 1)


def _cvc(word: str) -> bool:
    return (len(word) >= 3 and _consonant(word, len(word) - 3) and not _consonant(word, len(word) - 2)
            and _consonant(word, len(word) - 1) and word[-1] not in "wxy")


def _replace(word: str, rules: tuple[tuple[str, str], ...]) -> str:
    for suffix, replacement in rules:
        if word.endswith(suffix):
            stem = word[: len(word) - len(suffix)]
            return stem + replacement if _measure(stem) > 0 else word
    return word


_STEP2 = (
    ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"), ("bli", "ble"),
    ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"),
    ("ator", "ate"), ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"),
    ("iviti", "ive"), ("biliti", "ble"), ("logi", "log"),
)
_STEP3 = (("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""))
_STEP4 = (
    "ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ion", "ism", "ate", "iti", "ous", "ive", "ize",
    "al", "er", "ic", "ou",
)


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the Porter stem of an English word (spread, spreads, spreading -> spread)."""
    if len(word) <= 2 or not word.isascii() or not word.isalpha():
        return word
    # Step 1a: plurals.
    if word.endswith(("sses", "ies")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us")):
        word = word[:-1]
    # Step 1b: -eed, -ed, -ing.
    if word.endswith("eed"):
        if _measure(word[:-3]) > 0:
            word = word[:-1]
    else:
        for suffix in ("ed", "ing"):
            if word.endswith(suffix) and _has_vowel(word[: -len(suffix)]):
                word = word[: -len(suffix)]
                if word.endswith(("at", "bl", "iz")):
                    word += "e"
                elif _double_consonant(word) and word[-1] not in "lsz":
                    word = word[:-1]
                elif _measure(word) == 1 and _cvc(word):
                    word += "e"
                break
    # Step 1c: y -> i after a vowel somewhere before it.
    if word.endswith("y") and _has_vowel(word[:-1]):
        word = word[:-1] + "i"
    word = _replace(word, _STEP2)
    word = _replace(word, _STEP3)
    # Step 4: drop a suffix when what stays is long enough.
    for suffix in _STEP4:
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            if _measure(base) > 1 and (suffix != "ion" or base.endswith(("s", "t"))):
                word = base
            break
    # Step 5: final -e and -ll.
    if word.endswith("e"):
        base = word[:-1]
        if _measure(base) > 1 or (_measure(base) == 1 and not _cvc(base)):
            word = base
    if _measure(word) > 1 and _double_consonant(word) and word.endswith("l"):
        word = word[:-1]
    return word


class Segmenter:
    """Word segmentation with a private jieba tokenizer whose dictionary knows the FAQ's own terms."""

    def __init__(self, words: Iterable[str] = (), new_words: Iterable[str] = ()):
        freq, total = _base()
        tokenizer = jieba.Tokenizer()
        tokenizer.FREQ = dict(freq)
        tokenizer.total = total
        tokenizer.initialized = True
        self._tokenizer = tokenizer
        self._cuts: dict[str, tuple[str, ...]] = {}  # Chinese run -> its words; FAQ texts repeat many runs
        for word in sorted(set(words)):
            self.add_word(word)
        for word in sorted(set(new_words)):
            if self.is_new(word):
                self.add_word(word)

    def add_word(self, word: str) -> None:
        """Teach the segmenter a Chinese term so it is kept whole."""
        word = word.strip()
        if _CJK_RUN.fullmatch(word) and len(word) > 1:
            freq = max(self._tokenizer.FREQ.get(word, 0), self._tokenizer.suggest_freq(word, tune=False))
            self._tokenizer.add_word(word, freq=freq)
            self._cuts.clear()

    def is_new(self, word: str) -> bool:
        """Say whether the dictionary would break a Chinese term into single characters somewhere."""
        if not _CJK_RUN.fullmatch(word) or len(word) < 2:
            return False
        pieces = list(self._tokenizer.cut(word, HMM=False))
        return len(pieces) > 1 and any(len(p) == 1 for p in pieces)

    def is_word(self, word: str) -> bool:
        """Say whether the dictionary (with the FAQ's own terms) holds word."""
        return self._tokenizer.FREQ.get(word, 0) > 0

    def frequency(self, word: str) -> int:
        """Return how often the dictionary says word is used (0 for no word)."""
        return self._tokenizer.FREQ.get(word, 0) or 0

    def words(self, text: str) -> list[str]:
        """Return the words of normalised text: Chinese words from the dictionary, English and digits as written."""
        result: list[str] = []
        cuts = self._cuts
        for token in _TOKEN.findall(text):
            if _CJK_RUN.fullmatch(token):
                words = cuts.get(token)
                if words is None:
                    words = tuple(w for w in self._tokenizer.cut(token, HMM=False) if w.strip())
                    if len(cuts) >= _CUT_CACHE:
                        cuts.clear()
                    cuts[token] = words
                result.extend(words)
            else:
                result.append(token)
        return result


def char_grams(text: str) -> list[str]:
    """Return the Chinese character bigrams of text (a lone character stands for itself)."""
    grams = []
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            grams.append(run)
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


_TONE_MARKS = dict.fromkeys(map(ord, "\u0300\u0301\u0304\u030c"))


@functools.lru_cache(maxsize=65536)
def syllable(ch: str) -> str:
    """Return the toneless pinyin of a Chinese character's first reading (绿 -> lv), or "" for anything else."""
    from pypinyin.pinyin_dict import pinyin_dict  # imported on first use: the table is large

    readings = pinyin_dict.get(ord(ch))
    if not readings:
        return ""
    first = unicodedata.normalize("NFD", readings.split(",", 1)[0]).translate(_TONE_MARKS)
    return unicodedata.normalize("NFC", first).replace("ü", "v")


RARE_WORD = 1000  # a dictionary word used less often than this (of 60 million) may be a typo of an FAQ word


class Homophones:
    """Repairs homophone typos of the FAQ's own words (合酸 -> 核酸, 隔里 -> 隔离, 核算 -> 核酸, 蜜接 -> 密接).

    Only words the FAQ uses are targets, sounding the same (toneless pinyin) and sharing a character in place.
    What changes: a word that is rare in general use and not three times as common as its target (核算, not
    那个 -> 哪个 or 反映 -> 反应), or two characters the segmenter had to leave single that sound like a
    two-character FAQ word (合|酸: a typo breaks a word into characters). Nothing changes that would break a
    word around it (健康码上 keeps 码: 康码 is a pair of an FAQ word).
    """

    def __init__(self, words: Iterable[str], segmenter: Segmenter, stop_words: Iterable[str] = ()):
        self._segmenter = segmenter
        self._stop = frozenset(stop_words)
        self._words = frozenset(w for w in words if len(w) >= 2 and all(is_han(ch) for ch in w))
        self._pairs = frozenset(w[i : i + 2] for w in self._words for i in range(len(w) - 1))
        self._by_sound: dict[tuple[str, ...], list[str]] = {}
        for word in sorted(self._words):
            self._by_sound.setdefault(_sounds(word), []).append(word)

    def _known(self, pair: str) -> bool:
        return pair in self._pairs or self._segmenter.is_word(pair)

    def correct(self, text: str) -> str:
        """Return normalised text with homophone typos of FAQ words repaired."""
        if not self._pairs or not _CJK_RUN.search(text):
            return text
        return _CJK_RUN.sub(lambda run: self._correct_run(run[0]), text)

    def _correct_run(self, run: str) -> str:
        tokens = self._segmenter.words(run)
        chars = list(run)
        start = 0
        for n, token in enumerate(tokens):
            end = start + len(token)
            if len(token) >= 2:
                used = self._segmenter.frequency(token)
                if token not in self._words and token not in self._stop and used < RARE_WORD:
                    self._replace(chars, start, end, common=used / 3)
            elif n + 1 < len(tokens) and len(tokens[n + 1]) == 1:
                self._replace(chars, start, end + 1, common=0.0)
            start = end
        return "".join(chars)

    def _replace(self, chars: list[str], start: int, end: int, common: float) -> None:
        """Replace chars[start:end] by the FAQ word or pair it sounds like, if that is safe."""
        text = "".join(chars[start:end])
        if text in self._pairs or not all(is_han(ch) for ch in text):
            return
        for target in self._by_sound.get(_sounds(text), ()):
            if not any(a == b for a, b in zip(text, target, strict=True)):
                continue
            if common and self._segmenter.frequency(target) <= common:
                continue
            edges = [(start - 1, start), (end - 1, end)]
            if any(a >= 0 and b < len(chars) and self._known(chars[a] + chars[b])
                   and not self._known((chars[a] if a < start else target[-1]) + (chars[b] if b >= end else target[0]))
                   for a, b in edges):
                continue  # the change would break a word around it
            chars[start:end] = list(target)
            return


def _sounds(text: str) -> tuple[str, ...]:
    return tuple(syllable(ch) for ch in text)


def is_han(ch: str) -> bool:
    """Say whether one character is a Chinese character."""
    return _CJK_RUN.match(ch) is not None
