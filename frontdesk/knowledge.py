"""What the desk knows: the FAQ with its matcher, the intent patterns and the phrasebook, reloadable as one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from frontdesk.faq import Faq, load_faq
from frontdesk.phrases import Phrasebook, load_phrases
from frontdesk.yamlfile import DataFileError, Problem
from intents.classify import IntentClassifier, load_intents
from intents.matching import FaqMatcher


@dataclass(frozen=True)
class Knowledge:
    """One consistent snapshot of the maintainer-edited data, ready to use."""

    faq: Faq
    matcher: FaqMatcher
    intents: IntentClassifier
    phrases: Phrasebook
    loaded_on: dt.date = field(default_factory=dt.date.today)


def load_knowledge(
    faq_path: Path, intents_path: Path, messages_paths: tuple[Path, ...], today: dt.date | None = None,
) -> Knowledge:
    """Load and validate every data file, raising DataFileError with all problems found."""
    problems: list[Problem] = []
    faq = intents = phrases = None
    try:
        faq = load_faq(faq_path)
    except DataFileError as exc:
        problems.extend(exc.problems)
    try:
        intents = load_intents(intents_path)
    except DataFileError as exc:
        problems.extend(exc.problems)
    try:
        phrases = load_phrases(*messages_paths)
    except DataFileError as exc:
        problems.extend(exc.problems)
    if problems:
        raise DataFileError(problems)
    today = today or dt.date.today()
    active = faq.active(today)
    return Knowledge(faq=active, matcher=FaqMatcher(active), intents=intents, phrases=phrases, loaded_on=today)


class KnowledgeBase:
    """Holds the current Knowledge and swaps in a new one only when it loads cleanly."""

    def __init__(
        self, faq_path: Path, intents_path: Path, messages_paths: tuple[Path, ...],
        today: Callable[[], dt.date] = dt.date.today,
    ):
        self.faq_path = Path(faq_path)
        self.intents_path = Path(intents_path)
        self.messages_paths = tuple(Path(p) for p in messages_paths)
        self.today = today  # the hotline's calendar day: entries expire after their valid_until there
        self.current = load_knowledge(self.faq_path, self.intents_path, self.messages_paths, today())

    def reload(self) -> Knowledge:
        """Load the files again; on a problem keep the last good knowledge and raise DataFileError."""
        self.current = load_knowledge(self.faq_path, self.intents_path, self.messages_paths, self.today())
        return self.current

    def watched_paths(self) -> tuple[Path, ...]:
        """Return every file the knowledge is built from."""
        return (self.faq_path, self.intents_path, *self.messages_paths)
