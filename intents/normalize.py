"""Normalise citizen text: width, case, traditional to simplified Chinese, punctuation, fillers, FAQ synonyms."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import zhconv

from frontdesk.yamlfile import DataFileError, Node, Problem, read_yaml

LEXICON_PATH = Path(__file__).resolve().parent / "lexicon.yaml"

_PUNCT = re.compile(r"[^\w\s]|_", re.UNICODE)
_SPACE = re.compile(r"\s+")
_LATIN = r"[0-9a-z\u00c0-\u024f]"  # a letter or digit of an alphabetic word (Chinese next to it is a boundary)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Sentence-final particles: dropped only at the end of a clause, so 吗啡 or 呢绒 stay whole.
_PARTICLES = re.compile(r"(?:吗|呢|啊|呀|吧|哦|哈|嘛|啦|呐|噢|哇)+(?=\s|$)")


_WORD_RUN = re.compile(r"[^\W\x00-\x7f]\w*|\w*[^\W\x00-\x7f]\w*")  # a run of letters with some non-ASCII


@functools.lru_cache(maxsize=65536)
def _to_simplified(run: str) -> str:
    return zhconv.convert(run, "zh-cn")


def _simplified(match: re.Match[str]) -> str:
    """Convert one run of letters to simplified Chinese (punctuation, which becomes space, never joins a phrase)."""
    return _to_simplified(match[0])


def normalize(text: str) -> str:
    """Return text in NFKC, lower case, simplified Chinese, with punctuation turned into spaces."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():  # ASCII has nothing to convert
        text = _WORD_RUN.sub(_simplified, text)
    text = text.casefold()
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def is_cjk(text: str) -> bool:
    """Say whether text contains a Chinese character."""
    return _CJK.search(text) is not None


def _trie_regex(phrases: list[str]) -> str:
    """Return a regex matching any of the phrases, longest first, shaped as a trie so it stays fast."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """Compile phrases into one regex, longest first; Chinese phrases match anywhere, others as whole words."""
    unique = sorted({p for p in phrases if p})
    if not unique:
        return None
    cjk = [p for p in unique if is_cjk(p)]
    other = [p for p in unique if not is_cjk(p)]
    parts = []
    if cjk:
        parts.append(_trie_regex(cjk))
    if other:
        parts.append(rf"(?<!{_LATIN})(?:{_trie_regex(other)})(?!{_LATIN})")
    return re.compile("|".join(parts))


@dataclass(frozen=True)
class Lexicon:
    """General language data for matching: fillers, stop words, kinds of ask and synonyms, per language."""

    fillers: tuple[str, ...] = ()
    stop_words: frozenset[str] = frozenset()
    ask_kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> phrases (all languages)
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)   # canonical -> other wordings

    @functools.cached_property
    def filler_pattern(self) -> re.Pattern[str] | None:
        """Return the regex that finds filler phrases, longest first."""
        return phrase_pattern(self.fillers)

    @functools.cached_property
    def ask_pattern(self) -> re.Pattern[str] | None:
        """Return the regex that finds ask phrases, longest first."""
        return phrase_pattern(p for phrases in self.ask_kinds.values() for p in phrases)

    @functools.cached_property
    def ask_prefixes(self) -> frozenset[str]:
        """Return every prefix of every ask phrase, to stop looking early."""
        return frozenset(p[:k] for phrases in self.ask_kinds.values() for p in phrases for k in range(1, len(p) + 1))

    @functools.cached_property
    def ask_kind_of(self) -> dict[str, str]:
        """Return the map from each ask phrase to its kind."""
        return {p: kind for kind, phrases in self.ask_kinds.items() for p in phrases}


def _phrases(node: Node | None, file: str, where: str, problems: list[Problem]) -> list[str]:
    if node is None or node.value is None:
        return []
    if not isinstance(node.value, list):
        problems.append(Problem(file, node.line, where, "must be a list of words or phrases"))
        return []
    result = []
    for i, item in enumerate(node.value):
        if isinstance(item.value, bool):
            problems.append(Problem(file, item.line, f"{where}[{i}]", "YAML reads this as true/false: quote it"))
        elif isinstance(item.value, (dict, list)) or item.value is None or not normalize(str(item.value)):
            problems.append(Problem(file, item.line, f"{where}[{i}]", "must be a non-empty word or phrase"))
        else:
            result.append(normalize(str(item.value)))
    return result


def parse_lexicon(root: Node, file: str) -> Lexicon:
    """Validate a parsed lexicon.yaml tree and build the Lexicon, raising DataFileError listing every problem."""
    problems: list[Problem] = []
    top = root.value if isinstance(root.value, dict) else {}
    if not isinstance(root.value, dict):
        problems.append(Problem(file, root.line, "(top level)", "must be a mapping with version, zh and en"))
    elif top.get("version") is None or top["version"].value != 1:
        problems.append(Problem(file, root.line, "version", "missing or unsupported: write 'version: 1'"))
    fillers: list[str] = []
    stop_words: set[str] = set()
    ask_kinds: dict[str, list[str]] = {}
    synonyms: dict[str, list[str]] = {}
    for lang, node in top.items():
        if lang == "version":
            continue
        if lang not in ("zh", "en") or not isinstance(node.value, dict):
            problems.append(Problem(file, node.line, lang, "expected a language section 'zh' or 'en' (a mapping)"))
            continue
        for name, section in node.value.items():
            where = f"{lang}.{name}"
            if name == "fillers":
                fillers += _phrases(section, file, where, problems)
            elif name == "stop_words":
                stop_words.update(_phrases(section, file, where, problems))
            elif name == "ask_kinds":
                kinds = section.value or {}
                if not isinstance(kinds, dict):
                    problems.append(Problem(file, section.line, where, "must map a kind of ask to its phrases"))
                    continue
                for kind, phrases in kinds.items():
                    ask_kinds.setdefault(kind, []).extend(_phrases(phrases, file, f"{where}.{kind}", problems))
            elif name == "synonyms":
                groups = section.value or {}
                if not isinstance(groups, dict):
                    problems.append(Problem(file, section.line, where, "must map a word to its other wordings"))
                    continue
                for term, phrases in groups.items():
                    if not normalize(str(term)):
                        problems.append(Problem(file, phrases.line, f"{where}.{term}", "must be a non-empty word"))
                        continue
                    synonyms.setdefault(normalize(str(term)), []).extend(
                        _phrases(phrases, file, f"{where}.{term}", problems))
            else:
                problems.append(Problem(file, section.line, where,
                                        "unknown field (fillers, stop_words, ask_kinds, synonyms)"))
    if problems:
        raise DataFileError(problems)
    return Lexicon(tuple(fillers), frozenset(stop_words), {k: tuple(v) for k, v in ask_kinds.items()},
                   {k: tuple(v) for k, v in synonyms.items()})


def load_lexicon(path: str | Path = LEXICON_PATH) -> Lexicon:
    """Load and validate a lexicon file, raising DataFileError that names file, line and field."""
    return parse_lexicon(read_yaml(path), str(path))


@functools.cache
def default_lexicon() -> Lexicon:
    """Return the lexicon shipped in intents/lexicon.yaml, loaded once."""
    return load_lexicon(LEXICON_PATH)


def strip_fillers(text: str, lexicon: Lexicon | None = None) -> str:
    """Remove polite fillers (请问, 你好, please) and clause-final particles (吗, 呢) from normalised text."""
    lexicon = lexicon or default_lexicon()
    if lexicon.filler_pattern is not None:
        text = lexicon.filler_pattern.sub(" ", text)
    text = _PARTICLES.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def merge_synonyms(own: Mapping[str, Iterable[str]], general: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Return an FAQ's synonyms joined with general ones: a general group touching an FAQ group joins it.

    The FAQ's own canonical term wins, and a wording the FAQ already maps keeps the FAQ's meaning.
    """
    merged = {normalize(term): [normalize(v) for v in variants] for term, variants in own.items()}
    owner = {v: term for term, variants in merged.items() for v in (term, *variants)}
    for term, variants in general.items():
        group = [normalize(term), *(normalize(v) for v in variants)]
        target = next((owner[w] for w in group if w in owner), group[0])
        merged.setdefault(target, [])
        for wording in group:
            if wording not in owner:
                owner[wording] = target
                if wording != target:
                    merged[target].append(wording)
    return merged


class Synonyms:
    """FAQ synonyms: rewrites every variant to its canonical term, longest variant first."""

    def __init__(self, synonyms: Mapping[str, Iterable[str]]):
        self.canonical: dict[str, str] = {}
        for term, variants in synonyms.items():
            canonical = normalize(term)
            for variant in variants:
                variant = normalize(variant)
                if variant and variant != canonical:
                    self.canonical.setdefault(variant, canonical)
        self._pattern = phrase_pattern(self.canonical)

    def terms(self) -> set[str]:
        """Return every canonical term, for the word segmenter's dictionary."""
        return set(self.canonical.values())

    def found(self, text: str) -> list[str]:
        """Return the synonym variants in normalised text, as written, longest first where they overlap."""
        return [] if self._pattern is None else self._pattern.findall(text)

    def apply(self, text: str) -> str:
        """Return normalised text with each synonym variant replaced by its canonical term."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self.canonical[m.group(0)], text)
