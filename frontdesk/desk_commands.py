"""The citizens' commands (/start, /help, /human, /status, /cancel, /lang): how they are read and answered."""

from __future__ import annotations

import re

from frontdesk.cases import Case
from frontdesk.desk_choices import LANGUAGE_NAMES, case_label, category_key
from frontdesk.knowledge import Knowledge
from frontdesk.model import Choice, IncomingMessage, OutgoingMessage

COMMANDS = ("/start", "/help", "/human", "/status", "/cancel", "/lang")
FULL_WIDTH_SLASH = "／"
_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@\w+)?(?=\s|$)")  # Telegram's command syntax, any @botname


def half_width_command(text: str) -> str:
    """Return text with a leading full-width ／ (a Chinese keyboard's slash) as /, so "／status" is /status."""
    return "/" + text[1:] if text.startswith(FULL_WIDTH_SLASH) else text


def split_command(text: str) -> tuple[str, str]:
    """Return a message's command (lowercased, without @botname) and the words after it; ("", text) if none."""
    match = _COMMAND.match(text)
    if match is None:
        return "", text
    return "/" + match.group(1).lower(), text[match.end():].strip()


class DeskCommands:
    """The Desk's citizen commands; the Desk gives it the store, settings, replies and handoff."""

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
