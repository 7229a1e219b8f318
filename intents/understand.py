"""Understand one message: its intent first, then the FAQ decision."""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.settings import MatchingSettings
from intents.classify import Intent, IntentClassifier
from intents.matching import Candidate, FaqMatcher, MatchDecision, decide

MAX_MATCH_CHARS = 400  # a long message is matched on its first part; intents and the case see the whole text


@dataclass(frozen=True)
class Understanding:
    """What a message asks for: an intent (or None) and the FAQ decision."""

    intent: Intent | None
    decision: MatchDecision
    ranked: tuple[Candidate, ...] = ()  # the FAQ entries ranked for the message, best first

    @property
    def kind(self) -> str:
        """Return the overall outcome: answer, suggest, handoff, or the name of a conversational intent."""
        if self.intent is None:
            return self.decision.kind
        if self.intent.name in ("greeting", "thanks", "goodbye"):
            return self.intent.name
        return "handoff"


def understand(text: str, intents: IntentClassifier, matcher: FaqMatcher, settings: MatchingSettings) -> Understanding:
    """Classify the message's intent and rank the FAQ for it."""
    intent = intents.classify(text)  # the whole message: an emergency may come at the end of a long story
    candidates = matcher.rank(text[:MAX_MATCH_CHARS], limit=max(5, settings.max_suggestions))
    return Understanding(intent=intent, decision=decide(candidates, settings), ranked=tuple(candidates))
