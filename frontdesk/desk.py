"""The desk: takes one neutral incoming message and decides the neutral replies."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import re

from frontdesk.cases import Case, CaseError, DeskStore, Interaction
from frontdesk.faq import Entry
from frontdesk.knowledge import Knowledge, KnowledgeBase
from frontdesk.model import Choice, IncomingMessage, OutgoingMessage, SharedContact
from frontdesk.operator_wording import snippet
from frontdesk.settings import Settings
from intents.language import detect_language
from intents.understand import Understanding, understand

COMMANDS = ("/start", "/help", "/human", "/status", "/cancel", "/lang")
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}  # the /lang buttons: each language in its own words
POLITE = ("greeting", "thanks", "goodbye")  # intents answered with a phrase; they never open or reopen a case
HANDOFF_PHRASES = {"urgent": "handoff_urgent", "requested": "handoff_requested", "complaint": "handoff_complaint",
                   "not_helpful": "handoff_not_helpful"}
CHOICE_CHARS = 60  # a "did you mean" label cut from an answer (when no question is in the language) is this long
MAX_ROW_ID = 2**63 - 1  # SQLite's largest integer: a bigger number in a choice cannot name a row
FULL_WIDTH_SLASH = "／"
_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@\w+)?(?=\s|$)")  # Telegram's command syntax, any @botname
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


def half_width_command(text: str) -> str:
    """Return text with a leading full-width ／ (a Chinese keyboard's slash) as /, so "／status" is /status."""
    return "/" + text[1:] if text.startswith(FULL_WIDTH_SLASH) else text


def words_of(message: IncomingMessage) -> str:
    """Return what the citizen wrote: the text, else an attachment's caption; a full-width ／ command as /."""
    text = message.text.strip() or (message.attachment.caption.strip() if message.attachment else "")
    return half_width_command(text)


def split_command(text: str) -> tuple[str, str]:
    """Return a message's command (lowercased, without @botname) and the words after it; ("", text) if none."""
    match = _COMMAND.match(text)
    if match is None:
        return "", text
    return "/" + match.group(1).lower(), text[match.end():].strip()


def nothing_to_answer(text: str) -> bool:
    """Say whether a message has no letter, digit or character to read (empty, emoji or punctuation only)."""
    return not any(ch.isalnum() for ch in text)


def category_key(name: str) -> str:
    """Return a category's key in the /start menu: from its name, so it stays put when other categories change."""
    return hashlib.blake2b(name.encode(), digest_size=4).hexdigest()


class Desk:
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

    # -- choices -------------------------------------------------------------------------------------

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

    # -- commands ------------------------------------------------------------------------------------

    async def _on_command(self, command: str, rest: str, message: IncomingMessage, kb: Knowledge, lang: str,
                          active: Case | None):
        fields = {"hours": self.settings.hotline_hours, "phone": self.settings.hotline_phone,
                  "hotline_name": kb.phrases.say("hotline_name", lang)}
        if command == "/start":
            menu = tuple(Choice(f"cat:{category_key(name)}", name) for name in self._categories(kb))
            return [self._say(kb, "welcome", lang, **fields),
                    OutgoingMessage(kb.phrases.say("menu_prompt", lang), menu, "menu", language=lang)]
        if command == "/help":
            return [self._say(kb, "help", lang, **fields)]
        if command == "/lang":
            choices = tuple(Choice(f"lang:{code}", name) for code, name in LANGUAGE_NAMES.items())
            return [OutgoingMessage(kb.phrases.say("lang_prompt", lang), choices, "menu", language=lang)]
        if command == "/status":
            if active is None:
                return [self._say(kb, "status_none", lang)]
            await self._follow(active, message)
            label = case_label(active.number)
            if active.status == "claimed":
                return [self._say(kb, "status_claimed", lang, case=label)]
            position = await self.store.queue_position(active.number) or 1
            return [self._say(kb, "status_open", lang, case=label, ahead=position - 1)]
        if command == "/cancel":
            if active is None:
                return [self._say(kb, "cancel_none", lang)]
            await self.store.cancel(active.number, self._actor(message))
            return [self._say(kb, "cancel_done", lang, case=case_label(active.number))]
        if active is not None:  # /human with a case already open
            await self._follow(active, message)
            return [self._say(kb, "case_still_open", lang, case=case_label(active.number))]
        return await self._handoff(message, rest or command, kb, lang, None, "requested", "normal", None)

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

    async def _log(self, message, text, lang, seen: Understanding | None, case_number, decision: str | None = None):
        top = seen.decision.candidates[0] if seen and seen.decision.candidates else None
        return await self.store.log_interaction(
            message.citizen, text=text, language=lang,
            decision=decision or (seen.kind if seen else "handoff"),
            intent=seen.intent.name if seen and seen.intent else None,
            entry_id=top.entry_id if top else None, score=top.score if top else None, case_number=case_number,
        )
