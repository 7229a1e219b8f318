"""Every sentence the bot says, looked up by key and language from YAML (zh and en)."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from frontdesk.faq import LANGUAGES
from frontdesk.yamlfile import DataFileError, Problem, read_yaml

_FORMATTER = string.Formatter()


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in _FORMATTER.parse(text) if name}


@dataclass(frozen=True)
class Phrasebook:
    """Phrases by key, each in every supported language."""

    phrases: dict[str, dict[str, str]]

    def say(self, key: str, language: str, **fields: object) -> str:
        """Return the phrase `key` in `language` with `{placeholders}` filled from `fields`."""
        texts = self.phrases.get(key)
        if texts is None:
            raise KeyError(f"no phrase '{key}' in the message files")
        text = texts.get(language) or texts["zh"]
        return text.format_map(fields)

    def merged(self, other: Phrasebook) -> Phrasebook:
        """Return a phrasebook with `other`'s phrases added (other wins on equal keys)."""
        return Phrasebook({**self.phrases, **other.phrases})


def load_phrases(*paths: str | Path) -> Phrasebook:
    """Load one or more message files, refusing any phrase missing a language or a placeholder."""
    phrases: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for path in paths:
        root = read_yaml(path)
        file = str(path)
        top = root.value if isinstance(root.value, dict) else {}
        node = top.get("messages")
        if node is None or not isinstance(node.value, dict):
            problems.append(Problem(file, root.line, "messages", "missing: map each phrase key to zh and en"))
            continue
        for key, texts in node.value.items():
            if not isinstance(texts.value, dict):
                problems.append(Problem(file, texts.line, f"messages.{key}", "must map zh and en to text"))
                continue
            entry = {}
            for lang in LANGUAGES:
                text_node = texts.value.get(lang)
                if text_node is None or not isinstance(text_node.value, str) or not text_node.value.strip():
                    problems.append(Problem(file, texts.line, f"messages.{key}.{lang}", "missing or empty"))
                    continue
                entry[lang] = text_node.value.strip("\n")
            for lang, text_node in texts.value.items():
                if lang not in LANGUAGES:
                    problems.append(Problem(file, text_node.line, f"messages.{key}.{lang}", "unknown language key"))
            if len(entry) == len(LANGUAGES):
                names = {lang: _placeholders(text) for lang, text in entry.items()}
                if names["zh"] != names["en"]:
                    problems.append(Problem(
                        file, texts.line, f"messages.{key}",
                        f"placeholders differ between zh {sorted(names['zh'])} and en {sorted(names['en'])}",
                    ))
            phrases[key] = entry
    if problems:
        raise DataFileError(problems)
    return Phrasebook(phrases)
