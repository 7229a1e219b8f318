"""The desk's choices: their keys and labels, and what pressing one does (an FAQ entry, feedback, a person)."""

from __future__ import annotations

import hashlib
import re

from frontdesk.cases import Case, Interaction
from frontdesk.faq import Entry
from frontdesk.knowledge import Knowledge
from frontdesk.model import Choice, IncomingMessage, OutgoingMessage
from frontdesk.operator_wording import snippet
from intents.language import detect_language

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}  # the /lang buttons: each language in its own words
CHOICE_CHARS = 60  # a "did you mean" label cut from an answer (when no question is in the language) is this long
MAX_ROW_ID = 2**63 - 1  # SQLite's largest integer: a bigger number in a choice cannot name a row
_CATEGORY_KEY = re.compile(r"[0-9a-f]{8}")
# Choices that belong to a logged question name it: faq:ENTRY:ID, fb:y:ID, fb:n:ID, human:ID[:nh], nothanks:ID.
# This is where the ID sits among the parts after the kind; it gives the press its words and language.
_QUESTION_PART = {"faq": 1, "fb": 1, "human": 0, "nothanks": 0}


def case_label(number: int) -> str:
    """Return the case number as citizens and operators see it."""
    return f"#{number}"


def row_id(text: str) -> int | None:
    """Return the id a choice carries (ASCII digits within SQLite's integer range), or None for anything else."""
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if number <= MAX_ROW_ID else None


def category_key(name: str) -> str:
    """Return a category's key in the /start menu: from its name, so it stays put when other categories change."""
    return hashlib.blake2b(name.encode(), digest_size=4).hexdigest()


class DeskChoices:
    """The Desk's pressed choices; the Desk gives it the store, settings, replies and handoff."""

    async def _on_choice(self, message: IncomingMessage, kb: Knowledge, active: Case | None) -> list[OutgoingMessage]:
        """Answer a pressed choice in the language it was offered in (a press has no words to tell it by)."""
        kind, _, arg = message.choice.partition(":")
        parts = arg.split(":")
        asked = await self._asked(message, kind, parts)
        lang = await self._language(message, asked.language if asked else None)
        if kind == "faq":
            return await self._on_entry_choice(message, kb, lang, parts[0], asked)
        if kind == "fb":
            return await self._on_feedback(kb, lang, parts[0] == "y", asked)
        if kind == "human":
            return await self._human_from_choice(message, kb, lang, parts[1:2] == ["nh"], asked, active)
        if kind == "nothanks":
            return [self._say(kb, "no_thanks_ok", lang)]
        if kind == "lang" and arg in LANGUAGE_NAMES:
            return await self._choose_language(message, kb, arg, active)
        if kind == "cat":
            return self._category(kb, lang, arg)
        return [self._say(kb, "empty", lang)]

    async def _asked(self, message: IncomingMessage, kind: str, parts: list[str]) -> Interaction | None:
        """Return the citizen's own logged question a choice was offered for, or None (none named, or not theirs)."""
        at = _QUESTION_PART.get(kind)
        number = row_id(parts[at]) if at is not None and at < len(parts) else None
        if number is None:
            return None
        return await self.store.citizen_question(message.citizen.platform, message.citizen.user_id, number)

    async def _on_entry_choice(
        self, message: IncomingMessage, kb: Knowledge, lang: str, entry_id: str, asked: Interaction | None,
    ) -> list[OutgoingMessage]:
        """Answer a picked FAQ entry, logged with the citizen's own words (else the label they pressed)."""
        entry = kb.faq.get(entry_id)
        if entry is None:  # removed by a reload since the choice was offered
            return [self._say(kb, "choice_stale", lang)]
        words = (asked.text if asked is not None else "") or self._title(entry, lang)
        return await self._answer(message, words, kb, lang, None, entry)

    async def _on_feedback(
        self, kb: Knowledge, lang: str, helpful: bool, asked: Interaction | None,
    ) -> list[OutgoingMessage]:
        """Record the verdict on an answer; after "not helpful", offer a person."""
        if asked is None:  # forged, garbled or someone else's: nothing to record the verdict on
            return [self._say(kb, "empty", lang)]
        await self.store.record_feedback(asked.id, helpful)
        if helpful:
            return [self._say(kb, "feedback_thanks", lang)]
        choices = (Choice(f"human:{asked.id}:nh", kb.phrases.say("feedback_to_human", lang)),
                   Choice(f"nothanks:{asked.id}", kb.phrases.say("feedback_no_thanks", lang)))
        return [OutgoingMessage(kb.phrases.say("feedback_sorry", lang), choices, "feedback", language=lang)]

    async def _human_from_choice(
        self, message: IncomingMessage, kb: Knowledge, lang: str, not_helpful: bool, asked: Interaction | None,
        active: Case | None,
    ) -> list[OutgoingMessage]:
        """Hand the citizen to a person with the words they wrote; after "not helpful", say which answer they saw."""
        if active is not None:
            return [self._say(kb, "case_still_open", lang, case=case_label(active.number))]
        question = (asked.text if asked is not None else "") or kb.phrases.say("suggest_none", lang)
        seen_entry = asked.entry_id if not_helpful and asked is not None and asked.decision == "answer" else None
        entry = kb.faq.get(seen_entry) if seen_entry else None
        reason = "not_helpful" if not_helpful else "requested"
        replies = await self._handoff(message, question, kb, lang, None, reason, "normal",
                                      entry.category if entry else None)
        if seen_entry:
            await self._note_answer_seen(replies[0].case_number, kb, seen_entry, entry)
        return replies

    async def _note_answer_seen(self, case_number: int, kb: Knowledge, entry_id: str, entry: Entry | None) -> None:
        """Tell the case's operators which FAQ answer the citizen found not helpful."""
        language = self.settings.operator_language
        question = self._title(entry, language) if entry is not None else entry_id
        line = kb.phrases.say("answer_seen_line", language, question=question, entry=entry_id)
        await self.store.add_message(case_number, "system", line)

    async def _choose_language(
        self, message: IncomingMessage, kb: Knowledge, lang: str, active: Case | None,
    ) -> list[OutgoingMessage]:
        """Remember the citizen's language; an open case follows it (its notices, /faq answers and card)."""
        await self.store.set_citizen_language(message.citizen.platform, message.citizen.user_id, lang)
        if active is not None:
            line = kb.phrases.say("case_language_line", self.settings.operator_language,
                                  chosen=LANGUAGE_NAMES[lang])
            await self.store.set_case_language(active.number, lang, line)
        return [self._say(kb, "lang_set", lang)]

    @staticmethod
    def _categories(kb: Knowledge) -> list[str]:
        seen: dict[str, None] = {}
        for entry in kb.faq.entries:
            if entry.category:
                seen.setdefault(entry.category, None)
        return list(seen)

    def _category(self, kb: Knowledge, lang: str, key: str) -> list[OutgoingMessage]:
        """List a category's entries; a key no category has now (removed by a reload) has expired."""
        if not _CATEGORY_KEY.fullmatch(key):  # forged or garbled
            return [self._say(kb, "empty", lang)]
        name = next((name for name in self._categories(kb) if category_key(name) == key), None)
        if name is None:
            return [self._say(kb, "choice_stale", lang)]
        entries = [e for e in kb.faq.entries if e.category == name][:10]
        choices = tuple(Choice(f"faq:{e.id}", self._title(e, lang)) for e in entries)
        return [OutgoingMessage(kb.phrases.say("category_prompt", lang, category=name), choices, "menu", language=lang)]

    @staticmethod
    def _title(entry: Entry | None, lang: str) -> str:
        """Label a choice in the citizen's language: a question of the entry, else the start of its answer."""
        if entry is None:
            return "?"
        for question in entry.questions:
            if detect_language(question, "zh") == lang:
                return question
        if lang in entry.answers:
            return snippet(entry.answers[lang], CHOICE_CHARS)
        return entry.questions[0]
