"""The desk: takes one neutral incoming message and decides the neutral replies."""

from __future__ import annotations

import contextlib
import dataclasses

from frontdesk.cases import Case, CaseError, DeskStore
from frontdesk.desk_choices import (
    CHOICE_CHARS,
    LANGUAGE_NAMES,
    MAX_ROW_ID,
    DeskChoices,
    case_label,
    category_key,
    row_id,
)
from frontdesk.desk_commands import COMMANDS, FULL_WIDTH_SLASH, DeskCommands, half_width_command, split_command
from frontdesk.faq import Entry
from frontdesk.knowledge import Knowledge, KnowledgeBase
from frontdesk.model import Choice, IncomingMessage, OutgoingMessage, SharedContact
from frontdesk.settings import Settings
from intents.language import detect_language
from intents.understand import Understanding, understand

__all__ = [
    "CHOICE_CHARS", "COMMANDS", "FULL_WIDTH_SLASH", "HANDOFF_PHRASES", "LANGUAGE_NAMES", "MAX_ROW_ID", "POLITE",
    "Desk", "case_label", "category_key", "half_width_command", "nothing_to_answer", "row_id", "split_command",
    "words_of",
]

POLITE = ("greeting", "thanks", "goodbye")  # intents answered with a phrase; they never open or reopen a case
HANDOFF_PHRASES = {"urgent": "handoff_urgent", "requested": "handoff_requested", "complaint": "handoff_complaint",
                   "not_helpful": "handoff_not_helpful"}


def words_of(message: IncomingMessage) -> str:
    """Return what the citizen wrote: the text, else an attachment's caption; a full-width ／ command as /."""
    text = message.text.strip() or (message.attachment.caption.strip() if message.attachment else "")
    return half_width_command(text)


def nothing_to_answer(text: str) -> bool:
    """Say whether a message has no letter, digit or character to read (empty, emoji or punctuation only)."""
    return not any(ch.isalnum() for ch in text)


class Desk(DeskCommands, DeskChoices):
    """The platform-neutral front desk: answers, suggests, or hands the citizen to a human."""

    def __init__(self, knowledge: KnowledgeBase, store: DeskStore, settings: Settings):
        self.knowledge = knowledge
        self.store = store
        self.settings = settings

    async def handle(self, message: IncomingMessage) -> list[OutgoingMessage]:
        """Decide the replies to one incoming message."""
        kb = self.knowledge.current
        active = await self.store.active_case_for(message.citizen.platform, message.citizen.user_id)
        if active is not None:
            active = await self._reachable(active, message)
        if message.choice:
            return await self._on_choice(message, kb, active)
        lang = await self._language(message)
        if message.unusable:
            return [self._say(kb, "unusable_content", lang)]
        text = words_of(message)
        command, rest = split_command(text)
        if command in COMMANDS:
            return await self._on_command(command, rest, message, kb, lang, active)
        if active is not None:
            return await self._into_case(active, message, kb, lang)
        return await self._without_case(message, text, command, kb, lang)

    async def _without_case(
        self, message: IncomingMessage, text: str, command: str, kb: Knowledge, lang: str,
    ) -> list[OutgoingMessage]:
        """Answer a citizen with no open case: their words go to the intents and the FAQ, if there are any."""
        if message.contact is not None and not text:
            return [self._say(kb, "contact_no_case", lang)]
        if message.attachment is not None and not text:
            key = "unsupported" if message.attachment.kind == "sticker" else "attachment_no_case"
            return [self._say(kb, key, lang)]
        if command:  # a command the desk does not have (/stop, /menu): a word of help, no case
            return [self._say(kb, "unknown_command", lang)]
        if nothing_to_answer(text):  # "👍", "？？", "。。。": nothing to answer or to pass on
            return [self._say(kb, "empty", lang)]
        return await self._on_question(message, text, kb, lang)

    async def _reachable(self, case: Case, message: IncomingMessage) -> Case:
        """The citizen wrote in their case's chat, so replies reach them there again: clear "blocked"."""
        if not case.citizen_blocked or case.citizen.chat_id != message.citizen.chat_id:
            return case
        await self.store.mark_citizen_reachable(case.number, message.citizen.chat_id, self._actor(message))
        return dataclasses.replace(case, citizen_blocked=False)

    async def _follow(self, case: Case, message: IncomingMessage) -> None:
        """The citizen wrote about their case: its replies and notices go to the chat they wrote from."""
        if case.citizen.chat_id != message.citizen.chat_id or case.citizen_blocked:
            await self.store.citizen_wrote_from(case.number, message.citizen.chat_id, self._actor(message))

    @staticmethod
    def _actor(message: IncomingMessage) -> str:
        """Name the citizen as a case event's actor."""
        return f"citizen:{message.citizen.user_id}"

    async def _language(self, message: IncomingMessage, offered: str | None = None) -> str:
        """Choose the reply language: /lang's choice, else the one a choice was offered in, the words', the hint's."""
        chosen = await self.store.citizen_language(message.citizen.platform, message.citizen.user_id)
        if chosen:
            return chosen
        if offered in LANGUAGE_NAMES:
            return offered
        fallback = message.language_hint or message.citizen.language or "zh"
        fallback = fallback if fallback in LANGUAGE_NAMES else "zh"
        text = words_of(message)
        return detect_language(text, fallback) if text and not text.startswith("/") else fallback

    @staticmethod
    def _say(kb: Knowledge, key: str, lang: str, message_kind: str = "info", **fields) -> OutgoingMessage:
        return OutgoingMessage(text=kb.phrases.say(key, lang, **fields), kind=message_kind, language=lang)

    async def _on_question(
        self, message: IncomingMessage, text: str, kb: Knowledge, lang: str,
    ) -> list[OutgoingMessage]:
        seen = understand(text, kb.intents, kb.matcher, self.settings.matching)
        intent = seen.intent
        if intent is not None and intent.name in POLITE:
            await self._log(message, text, lang, seen, None)
            return [self._say(kb, intent.name, lang)]
        if intent is not None and intent.name == "urgent":
            return await self._urgent(message, text, kb, lang, seen)
        if intent is not None and intent.name in ("human", "complaint"):
            reason = "requested" if intent.name == "human" else "complaint"
            return await self._handoff(message, text, kb, lang, seen, reason, intent.priority, intent.category)
        decision = seen.decision
        if decision.kind == "answer":
            return await self._answer(message, text, kb, lang, seen, kb.faq.get(decision.candidates[0].entry_id))
        if decision.kind == "suggest" and not await self._in_reopen_window(message):
            return await self._suggest(message, text, kb, lang, seen)
        return await self._handoff(message, text, kb, lang, seen, "unmatched", "normal", None)

    async def _suggest(
        self, message: IncomingMessage, text: str, kb: Knowledge, lang: str, seen: Understanding,
    ) -> list[OutgoingMessage]:
        """Offer "did you mean" choices; each names the logged question, so a press keeps the citizen's words."""
        iid = await self._log(message, text, lang, seen, None)
        choices = [Choice(f"faq:{c.entry_id}:{iid}", self._title(kb.faq.get(c.entry_id), lang))
                   for c in seen.decision.candidates]
        choices.append(Choice(f"human:{iid}", kb.phrases.say("suggest_none", lang)))
        return [OutgoingMessage(kb.phrases.say("suggest_prompt", lang), tuple(choices), "suggest", language=lang)]

    async def _answer(
        self, message: IncomingMessage, text: str, kb: Knowledge, lang: str, seen: Understanding | None, entry: Entry,
    ) -> list[OutgoingMessage]:
        iid = await self.store.log_interaction(
            message.citizen, text=text, language=lang, decision="answer",
            intent=seen.intent.name if seen and seen.intent else None, entry_id=entry.id,
            score=seen.decision.candidates[0].score if seen else None,
        )
        feedback = (
            Choice(f"fb:y:{iid}", kb.phrases.say("feedback_yes", lang)),
            Choice(f"fb:n:{iid}", kb.phrases.say("feedback_no", lang)),
        )
        return [
            OutgoingMessage(entry.answer(lang), kind="answer", entry_id=entry.id, language=lang),
            OutgoingMessage(kb.phrases.say("feedback_prompt", lang), feedback, "feedback", language=lang),
        ]

    async def _urgent(
        self, message: IncomingMessage, text: str, kb: Knowledge, lang: str, seen: Understanding,
    ) -> list[OutgoingMessage]:
        replies = await self._handoff(message, text, kb, lang, seen, "urgent", "urgent", None)
        if seen.decision.kind == "answer":
            entry = kb.faq.get(seen.decision.candidates[0].entry_id)
            replies.append(OutgoingMessage(entry.answer(lang), kind="answer", entry_id=entry.id, language=lang))
        return replies

    async def _handoff(
        self, message: IncomingMessage, text: str, kb: Knowledge, lang: str, seen: Understanding | None,
        reason: str, priority: str, category: str | None,
    ) -> list[OutgoingMessage]:
        candidates = seen.decision.candidates if seen is not None else ()
        if category is None and candidates and candidates[0].score >= self.settings.matching.suggest:
            top = kb.faq.get(candidates[0].entry_id)  # only a plausible topic labels the case
            category = top.category if top else None
        case, reopened = await self._case_for(message, text, lang, reason, priority, category)
        await self._attach(case, message)
        await self._log(message, text, lang, seen, case.number, decision="handoff")
        key = HANDOFF_PHRASES.get(reason, "handoff_unmatched")
        if reopened and reason != "urgent":  # an emergency keeps its phrase: it gives the emergency numbers
            key = "handoff_reopened"
        kind = "urgent" if reason == "urgent" else "handoff"
        reply = OutgoingMessage(kb.phrases.say(key, lang, case=case_label(case.number)), kind=kind,
                                case_number=case.number, language=lang)
        return [reply]

    # Reopening. A resolved case's citizen is told "reply within N days to continue" (queue.reopen_days), so
    # within that window every handoff continues the resolved case instead of opening a new one: an unmatched
    # message, 人工 / human / /human, a complaint, "none of these" or "not helpful, talk to a person", and an
    # urgent message (the case then becomes urgent, as an open case does). A message the FAQ would only guess
    # at ("did you mean") counts as unmatched there: the citizen is most likely following up. Not reopening:
    # greetings, thanks and goodbyes (a "谢谢" after the resolution), emoji or punctuation only, and a
    # question the FAQ answers confidently (the answer is given; "not helpful" then reopens the case).

    async def _in_reopen_window(self, message: IncomingMessage) -> bool:
        """Say whether the citizen has a case resolved recently enough that writing continues it."""
        citizen = message.citizen
        within = self.settings.queue.reopen_days
        return await self.store.reopenable_case_for(citizen.platform, citizen.user_id, within) is not None

    async def _case_for(
        self, message: IncomingMessage, text: str, lang: str, reason: str, priority: str, category: str | None,
    ) -> tuple[Case, bool]:
        """Open the handoff's case, or continue the citizen's recently resolved one; say whether it was reopened.

        open_case adds the message to the citizen's active case when there is one (raising its priority if the
        new reason is more urgent): the reopened case, whoever of two racing messages reopened it.
        """
        recent = await self._reopen_recent(message)
        case = await self.store.open_case(
            message.citizen, reason=reason, priority=priority, question=text, language=lang,
            category=category, message_id=message.message_id,
        )
        await self._follow(case, message)
        return case, case.number == recent

    async def _reopen_recent(self, message: IncomingMessage) -> int | None:
        """Put the citizen's case resolved within the reopen window back in the queue; return its number."""
        citizen = message.citizen
        within = self.settings.queue.reopen_days
        recent = await self.store.reopenable_case_for(citizen.platform, citizen.user_id, within)
        if recent is None:
            return None
        with contextlib.suppress(CaseError):  # another message of theirs reopened it a moment ago
            await self.store.reopen(recent.number, self._actor(message))
        return recent.number

    async def _attach(self, case: Case, message: IncomingMessage) -> None:
        """Keep the file whose caption the citizen wrote their question in with the case line it made."""
        if message.attachment is not None and message.message_id:
            await self.store.attach(case.number, message.message_id, message.attachment)

    async def _into_case(self, case: Case, message: IncomingMessage, kb: Knowledge, lang: str) -> list[OutgoingMessage]:
        text = words_of(message)
        label = case_label(case.number)
        intent = kb.intents.classify(text) if text else None
        if intent is not None and intent.name == "urgent":
            # the message joins the open case, which becomes urgent (and so overdue sooner, escalated first)
            joined = await self.store.open_case(message.citizen, reason="urgent", priority="urgent", question=text,
                                                language=lang, message_id=message.message_id)
            await self._attach(joined, message)
            await self._follow(case, message)
            return [self._say(kb, "handoff_urgent", lang, "urgent", case=label)]
        added = await self.store.add_message(
            case.number, "citizen", self._case_line(message),
            platform_message_id=message.message_id, attachment=message.attachment,
        )
        if not added:
            return []
        await self._follow(case, message)
        if message.attachment is not None:
            kind_key = f"kind_{message.attachment.kind}"
            kind = kb.phrases.say(kind_key if kind_key in kb.phrases.phrases else "kind_other", lang)
            return [self._say(kb, "attachment_added", lang, kind=kind, case=label)]
        if message.contact is not None and not text:
            return [self._say(kb, "contact_added", lang, case=label)]
        return [self._say(kb, "case_message_added", lang, case=label)]

    def _case_line(self, message: IncomingMessage) -> str:
        """Return the text a message adds to the case log: the citizen's words, caption, or shared contact."""
        text = message.text.strip()
        if text:
            return text
        if message.attachment is not None:
            return message.attachment.caption
        if message.contact is not None:
            return self.contact_line(message.contact)
        return ""

    def contact_line(self, contact: SharedContact) -> str:
        """Return a shared contact as a line of the case log, in the operators' language."""
        shown = " ".join(part for part in (contact.name.strip(), contact.phone.strip()) if part)
        return self.knowledge.current.phrases.say("contact_line", self.settings.operator_language, contact=shown)

    async def _log(self, message, text, lang, seen: Understanding | None, case_number, decision: str | None = None):
        top = seen.decision.candidates[0] if seen and seen.decision.candidates else None
        return await self.store.log_interaction(
            message.citizen, text=text, language=lang,
            decision=decision or (seen.kind if seen else "handoff"),
            intent=seen.intent.name if seen and seen.intent else None,
            entry_id=top.entry_id if top else None, score=top.score if top else None, case_number=case_number,
        )
