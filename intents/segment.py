"""Split normalised text into matching terms: jieba words for Chinese, stemmed words for English."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

import jieba

_base_lock = threading.Lock()
_base_dictionary: tuple[dict[str, int], int] | None = None

_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\W_]+")
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


def stem(word: str) -> str:
    """Return a light English stem: plurals, -ing, -ed, -ly and similar endings removed."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    for suffix, keep in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            word = word[: len(word) - len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


_SUFFIXES = (
    ("ational", 3), ("ization", 3), ("fulness", 3), ("iveness", 3), ("ousness", 3),
    ("ations", 3), ("ation", 3), ("ities", 3), ("ility", 3), ("ments", 3), ("ment", 3), ("ness", 3),
    ("ings", 3), ("ing", 3), ("ies", 2), ("ied", 2), ("ives", 3), ("ive", 3), ("ers", 3), ("ed", 3),
    ("ly", 3), ("es", 3), ("s", 3),
)


class Segmenter:
    """Word segmentation with a private jieba tokenizer whose dictionary knows the FAQ's own terms."""

    def __init__(self, words: Iterable[str] = ()):
        freq, total = _base()
        tokenizer = jieba.Tokenizer()
        tokenizer.FREQ = dict(freq)
        tokenizer.total = total
        tokenizer.initialized = True
        self._tokenizer = tokenizer
        for word in sorted(set(words)):
            self.add_word(word)

    def add_word(self, word: str) -> None:
        """Teach the segmenter a Chinese term so it is kept whole."""
        word = word.strip()
        if _CJK_RUN.fullmatch(word) and len(word) > 1:
            self._tokenizer.add_word(word, freq=max(self._tokenizer.FREQ.get(word, 0), self._suggest(word)))

    def _suggest(self, word: str) -> int:
        return self._tokenizer.suggest_freq(word, tune=False)

    def words(self, text: str) -> list[str]:
        """Return the words of normalised text: Chinese words from the dictionary, English and digits as written."""
        result = []
        for token in _TOKEN.findall(text):
            if _CJK_RUN.fullmatch(token):
                result.extend(w for w in self._tokenizer.cut(token, HMM=False) if w.strip())
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
