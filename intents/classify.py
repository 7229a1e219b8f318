"""Spot the intents that come before the FAQ: urgent, wants a human, complaint, greeting, thanks, goodbye."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from frontdesk.faq import LANGUAGES
from frontdesk.yamlfile import DataFileError, Node, Problem, read_yaml
from intents.normalize import normalize

INTENT_ORDER = ("urgent", "complaint", "human", "greeting", "thanks", "goodbye")
RULE_FIELDS = {*LANGUAGES, "priority", "category", "whole_message", "unless"}
WHOLE_MESSAGE_SLACK = 4  # characters (zh) or words (en) a whole-message intent may leave over
NEGATION_GAP = {"zh": ("任何", "什么", "明显", "过"), "en": ("a", "an", "any")}  # may stand between 没有 and 发烧
_CLAUSE_END = re.compile(r"[，,。.！!？?；;：:\n]")
_FILLER = re.compile(r"(请问|麻烦|一下|啊|呀|吧|呢|哦|哈|嗯|的|了|非常|十分|很|您|你们|大家|\s)+")


@dataclass(frozen=True)
class Intent:
    """One recognised intent and the phrase that triggered it."""

    name: str
    phrase: str
    priority: str = "normal"
    category: str | None = None


@dataclass(frozen=True)
class _Rule:
    name: str
    priority: str
    category: str | None
    whole_message: bool
    phrases: dict[str, tuple[str, ...]]
    unless: dict[str, tuple[str, ...]]


def _masked(text: str, phrases: list[str]) -> str:
    """Blank out every occurrence of phrases (发热门诊 hides the 发热 inside it, not the rest of the message)."""
    for phrase in phrases:
        while (pos := _contains(text, phrase)) >= 0:
            text = text[:pos] + " " * len(phrase) + text[pos + len(phrase):]
    return text


def _ends_with_word(text: str, word: str) -> bool:
    """Say whether text ends with word (for English, as a whole word)."""
    if not text.endswith(word):
        return False
    return _is_cjk(word) or len(text) == len(word) or not text[-len(word) - 1].isalnum()


def _asks_either_way(before: str, word: str) -> bool:
    """Say whether a Chinese negation is the middle of an A-not-A question (是不是, 有没有): no negation."""
    return _is_cjk(word) and len(before) > len(word) and before[-len(word) - 1] == word[-1]


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _contains(text: str, phrase: str) -> int:
    """Return the index of phrase in text: substring for Chinese, whole words for English; -1 if absent."""
    if _is_cjk(phrase):
        return text.find(phrase)
    match = re.search(rf"(?<![\w/]){re.escape(phrase)}(?!\w)", text)
    return match.start() if match else -1


class IntentClassifier:
    """Recognises intents from phrase lists loaded from intents/patterns.yaml."""

    def __init__(self, rules: list[_Rule], negations: dict[str, tuple[str, ...]]):
        self._rules = rules
        self._negations = negations

    def classify(self, text: str) -> Intent | None:
        """Return the first intent (in priority order) the message expresses, or None."""
        norm = normalize(text)
        if not norm:
            return None
        raw = text.strip().casefold()
        for rule in self._rules:
            hit = self._match(rule, norm, raw)
            if hit:
                return Intent(rule.name, hit, rule.priority, rule.category)
        return None

    def _match(self, rule: _Rule, norm: str, raw: str) -> str | None:
        norm = _masked(norm, [p for lang in LANGUAGES for p in rule.unless.get(lang, ())])
        for lang in LANGUAGES:
            for phrase in rule.phrases.get(lang, ()):
                target = raw if phrase.startswith("/") else norm
                pos = _contains(target, phrase)
                if pos < 0 or self._negated(target, pos, lang):
                    continue
                if rule.whole_message and not self._is_whole(norm, phrase):
                    continue
                return phrase
        return None

    def _negated(self, text: str, pos: int, lang: str) -> bool:
        """Say whether a negation word stands right before pos, in the same clause, across a word like 任何 / a."""
        before = _CLAUSE_END.split(text[max(0, pos - 16):pos])[-1].rstrip()
        for _ in range(2):
            gap = next((w for w in NEGATION_GAP.get(lang, ()) if _ends_with_word(before, w)), None)
            if gap is None:
                break
            before = before[: len(before) - len(gap)].rstrip()
        for word in self._negations.get(lang, ()):
            if _ends_with_word(before, word) and not _asks_either_way(before, word):
                return True
        return False

    @staticmethod
    def _is_whole(norm: str, phrase: str) -> bool:
        rest = norm.replace(phrase, " ", 1)
        if _is_cjk(phrase) or _is_cjk(rest):
            rest = _FILLER.sub("", rest)
            return len(rest) <= WHOLE_MESSAGE_SLACK // 2
        words = [w for w in rest.split() if w not in {"so", "much", "very", "you", "there", "all", "a", "lot"}]
        return len(words) <= WHOLE_MESSAGE_SLACK // 2


def _phrases(node: Node | None, file: str, where: str, problems: list[Problem]) -> dict[str, tuple[str, ...]]:
    if node is None:
        return {}
    if not isinstance(node.value, dict):
        problems.append(Problem(file, node.line, where, "must map zh/en to lists of phrases"))
        return {}
    result = {}
    for lang, items in node.value.items():
        if lang not in LANGUAGES:
            problems.append(Problem(file, items.line, f"{where}.{lang}", "unknown language key"))
            continue
        if not isinstance(items.value, list):
            problems.append(Problem(file, items.line, f"{where}.{lang}", "must be a list of phrases"))
            continue
        result[lang] = tuple(normalize(str(i.value)) if not str(i.value).startswith("/") else str(i.value)
                             for i in items.value if i.value is not None and str(i.value).strip())
    return result


def load_intents(path: str | Path) -> IntentClassifier:
    """Load intent patterns, raising DataFileError naming file, line and field when they are invalid."""
    file = str(path)
    root = read_yaml(path)
    problems: list[Problem] = []
    top = root.value if isinstance(root.value, dict) else {}
    intents_node = top.get("intents")
    if intents_node is None or not isinstance(intents_node.value, dict):
        raise DataFileError([Problem(file, root.line, "intents", "missing: map intent names to phrases")])
    rules = []
    for name, node in intents_node.value.items():
        if name not in INTENT_ORDER:
            known = ", ".join(INTENT_ORDER)
            problems.append(Problem(file, node.line, f"intents.{name}", f"unknown intent (use {known})"))
            continue
        fields = node.value if isinstance(node.value, dict) else {}
        for key, value in fields.items():
            if key not in RULE_FIELDS:
                problems.append(Problem(file, value.line, f"intents.{name}.{key}", "unknown field or language key"))
        phrases = _phrases(Node({k: v for k, v in fields.items() if k in LANGUAGES}, node.line), file,
                           f"intents.{name}", problems)
        if not any(phrases.values()):
            problems.append(Problem(file, node.line, f"intents.{name}", "no phrases given"))
        priority = fields.get("priority")
        category = fields.get("category")
        whole = fields.get("whole_message")
        rules.append(_Rule(
            name=name,
            priority=str(priority.value) if priority else "normal",
            category=str(category.value) if category else None,
            whole_message=bool(whole.value) if whole else False,
            phrases=phrases,
            unless=_phrases(fields.get("unless"), file, f"intents.{name}.unless", problems),
        ))
    negations = _phrases(top.get("negations"), file, "negations", problems)
    if problems:
        raise DataFileError(problems)
    rules.sort(key=lambda r: INTENT_ORDER.index(r.name))
    return IntentClassifier(rules, negations)
