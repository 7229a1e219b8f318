"""The desk: takes one neutral incoming message and decides the neutral replies."""

from __future__ import annotations

import dataclasses

from frontdesk.cases import Case, DeskStore
from frontdesk.faq import Entry
from frontdesk.knowledge import Knowledge, KnowledgeBase
from frontdesk.model import Choice, IncomingMessage, OutgoingMessage, SharedContact
from frontdesk.operator_wording import snippet
from frontdesk.settings import Settings
from intents.language import detect_language
from intents.understand import Understanding, understand

COMMANDS = ("/start", "/help", "/human", "/status", "/cancel", "/lang")
CHOICE_CHARS = 60  # a "did you mean" label cut from an answer (when no question is in the language) is this long
MAX_ROW_ID = 2**63 - 1  # SQLite's largest integer: a bigger number in a choice cannot name a row


def case_label(number: int) -> str:
    """Return the case number as citizens and operators see it."""
    return f"#{number}"


def row_id(text: str) -> int | None:
    """Return the id a choice carries (ASCII digits within SQLite's integer range), or None for anything else."""
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if number <= MAX_ROW_ID else None


class Desk:
    """The platform-neutral front desk: answers, suggests, or hands the citizen to a human."""

    def __init__(self, knowledge: KnowledgeBase, store: DeskStore, settings: Settings):
        self.knowledge = knowledge
        self.store = store
        self.settings = settings

    async def handle(self, message: IncomingMessage) -> list[OutgoingMessage]:
        """Decide the replies to one incoming message."""
        kb = self.knowledge.current
        lang = await self._language(message)
        active = await self.store.active_case_for(message.citizen.platform, message.citizen.user_id)
        if active is not None:
            active = await self._reachable(active, message)
        if message.choice:
            return await self._on_choice(message, kb, lang)
        if message.unusable:
            return [self._say(kb, "unusable_content", lang)]
        text = message.text.strip()
        command = text.split()[0].split("@")[0].lower() if text.startswith("/") else ""
        if command in COMMANDS:
            return await self._on_command(command, message, kb, lang, active)
        if active is not None:
            return await self._into_case(active, message, kb, lang)
        if message.contact is not None and not text:
            return [self._say(kb, "contact_no_case", lang)]
        if message.attachment is not None and not text:
            key = "unsupported" if message.attachment.kind == "sticker" else "attachment_no_case"
            return [self._say(kb, key, lang)]
        if not text:
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

    async def _language(self, message: IncomingMessage) -> str:
        chosen = await self.store.citizen_language(message.citizen.platform, message.citizen.user_id)
        if chosen:
            return chosen
        fallback = message.language_hint or message.citizen.language or "zh"
        fallback = fallback if fallback in ("zh", "en") else "zh"
        text = message.text.strip()
        return detect_language(text, fallback) if text and not text.startswith("/") else fallback

    @staticmethod
    def _say(kb: Knowledge, key: str, lang: str, message_kind: str = "info", **fields) -> OutgoingMessage:
        return OutgoingMessage(text=kb.phrases.say(key, lang, **fields), kind=message_kind, language=lang)

    async def _on_question(
        self, message: IncomingMessage, text: str, kb: Knowledge, lang: str,
    ) -> list[OutgoingMessage]:
        seen = understand(text, kb.intents, kb.matcher, self.settings.matching)
        intent = seen.intent
        if intent is not None and intent.name in ("greeting", "thanks", "goodbye"):
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
        if decision.kind == "suggest":
            iid = await self._log(message, text, lang, seen, None)
            choices = [Choice(f"faq:{c.entry_id}", self._title(kb.faq.get(c.entry_id), lang))
                       for c in decision.candidates]
            choices.append(Choice(f"human:{iid}", kb.phrases.say("suggest_none", lang)))
            return [OutgoingMessage(kb.phrases.say("suggest_prompt", lang), tuple(choices), "suggest", language=lang)]
        reopened = await self._reopen_recent(message, text, kb, lang)
        if reopened:
            return reopened
        return await self._handoff(message, text, kb, lang, seen, "unmatched", "normal", None)

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
        case = await self.store.open_case(
            message.citizen, reason=reason, priority=priority, question=text, language=lang,
            category=category, message_id=message.message_id,
        )
        await self._log(message, text, lang, seen, case.number, decision="handoff")
        key = {"urgent": "handoff_urgent", "requested": "handoff_requested", "complaint": "handoff_complaint",
               "not_helpful": "handoff_not_helpful"}.get(reason, "handoff_unmatched")
        kind = "urgent" if reason == "urgent" else "handoff"
        reply = OutgoingMessage(kb.phrases.say(key, lang, case=case_label(case.number)), kind=kind,
                                case_number=case.number, language=lang)
        return [reply]

    async def _reopen_recent(self, message: IncomingMessage, text: str, kb: Knowledge, lang: str):
        citizen = message.citizen
        within = self.settings.queue.reopen_days
        recent = await self.store.reopenable_case_for(citizen.platform, citizen.user_id, within)
        if recent is None:
            return None
        case = await self.store.reopen(recent.number, self._actor(message))
        await self.store.add_message(case.number, "citizen", text, platform_message_id=message.message_id)
        await self._follow(case, message)
        return [self._say(kb, "handoff_reopened", lang, "handoff", case=case_label(case.number))]

    async def _into_case(self, case: Case, message: IncomingMessage, kb: Knowledge, lang: str) -> list[OutgoingMessage]:
        text = message.text.strip()
        label = case_label(case.number)
        intent = kb.intents.classify(text) if text else None
        if intent is not None and intent.name == "urgent":
            # the message joins the open case, which becomes urgent (and so overdue sooner, escalated first)
            await self.store.open_case(message.citizen, reason="urgent", priority="urgent", question=text,
                                       language=lang, message_id=message.message_id)
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

    async def _on_choice(self, message: IncomingMessage, kb: Knowledge, lang: str) -> list[OutgoingMessage]:
        kind, _, arg = message.choice.partition(":")
        if kind == "faq":
            entry = kb.faq.get(arg)
            if entry is None:
                return [self._say(kb, "empty", lang)]
            return await self._answer(message, entry.questions[0], kb, lang, None, entry)
        if kind == "fb":
            verdict, _, iid = arg.partition(":")
            interaction = row_id(iid)
            if interaction is None:  # forged or garbled: nothing to record the verdict on
                return [self._say(kb, "empty", lang)]
            await self.store.record_feedback(interaction, verdict == "y")
            if verdict == "y":
                return [self._say(kb, "feedback_thanks", lang)]
            choices = (Choice(f"human:{iid}:nh", kb.phrases.say("feedback_to_human", lang)),
                       Choice("nothanks", kb.phrases.say("feedback_no_thanks", lang)))
            return [OutgoingMessage(kb.phrases.say("feedback_sorry", lang), choices, "feedback", language=lang)]
        if kind == "human":
            return await self._human_from_choice(message, kb, lang, arg)
        if kind == "nothanks":
            return [self._say(kb, "no_thanks_ok", lang)]
        if kind == "lang" and arg in ("zh", "en"):
            await self.store.set_citizen_language(message.citizen.platform, message.citizen.user_id, arg)
            return [self._say(kb, "lang_set", arg)]
        if kind == "cat":
            return self._category(kb, lang, arg)
        return [self._say(kb, "empty", lang)]

    async def _human_from_choice(self, message: IncomingMessage, kb: Knowledge, lang: str, arg: str):
        active = await self.store.active_case_for(message.citizen.platform, message.citizen.user_id)
        if active is not None:
            return [self._say(kb, "case_still_open", lang, case=case_label(active.number))]
        iid, _, flag = arg.partition(":")
        question = ""
        interaction = row_id(iid)
        if interaction is not None:
            question = await self.store.interaction_text(interaction) or ""
        reason = "not_helpful" if flag == "nh" else "requested"
        return await self._handoff(message, question or kb.phrases.say("suggest_none", lang), kb, lang, None,
                                   reason, "normal", None)

    async def _on_command(self, command: str, message: IncomingMessage, kb: Knowledge, lang: str,
                          active: Case | None):
        fields = {"hours": self.settings.hotline_hours, "phone": self.settings.hotline_phone,
                  "hotline_name": kb.phrases.say("hotline_name", lang)}
        if command == "/start":
            menu = tuple(Choice(f"cat:{i}", name) for i, name in enumerate(self._categories(kb)))
            return [self._say(kb, "welcome", lang, **fields),
                    OutgoingMessage(kb.phrases.say("menu_prompt", lang), menu, "menu", language=lang)]
        if command == "/help":
            return [self._say(kb, "help", lang, **fields)]
        if command == "/lang":
            choices = (Choice("lang:zh", "中文"), Choice("lang:en", "English"))
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
        rest = message.text.strip()[len(command):].strip()
        return await self._handoff(message, rest or command, kb, lang, None, "requested", "normal", None)

    @staticmethod
    def _categories(kb: Knowledge) -> list[str]:
        seen: dict[str, None] = {}
        for entry in kb.faq.entries:
            if entry.category:
                seen.setdefault(entry.category, None)
        return list(seen)

    def _category(self, kb: Knowledge, lang: str, arg: str) -> list[OutgoingMessage]:
        categories = self._categories(kb)
        index = row_id(arg)
        if index is None or index >= len(categories):
            return [self._say(kb, "empty", lang)]
        name = categories[index]
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
