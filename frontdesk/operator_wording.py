"""The words of the operators' desk: the Outcome of an action, and how cases, people, times and log lines read.

Everything is said in the operators' language, in the phrases of messages-operator.yaml.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from frontdesk.cases import Case, CaseMessage
from frontdesk.phrases import Phrasebook
from frontdesk.safetext import continued_lines
from frontdesk.settings import Settings

SNIPPET = 60


@dataclass(frozen=True)
class Outcome:
    """What an action did: whether it happened, what to tell the operator, and the case as it now is."""

    ok: bool
    lines: list[str]
    case: Case | None = None


def localized(name: str, language: str) -> str:
    """Pick the language's part of a bilingual settings name written "中文 / English"."""
    parts = [p.strip() for p in name.split(" / ")]
    if len(parts) < 2:
        return name
    return parts[-1] if language == "en" else parts[0]


def snippet(text: str, width: int = SNIPPET) -> str:
    """Return text on one line, cut to `width` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


class OperatorWording:
    """Say things to operators: phrases, case labels, names, priorities, reasons, durations, local times, log lines."""

    phrases: Phrasebook
    language: str
    settings: Settings
    tz: dt.tzinfo

    def say(self, key: str, **fields: object) -> str:
        """Return an operator phrase in the operators' language."""
        return self.phrases.say(key, self.language, **fields)

    def language_name(self, language: str) -> str:
        """Return the name of a citizen's language (中文 / English), or its code when it has no name."""
        return self.say(f"language_{language}") if language in ("zh", "en") else language

    @staticmethod
    def label(number: int | None) -> str:
        """Return the case number as citizens and operators see it."""
        return f"#{number}"

    def local(self, timestamp: float) -> dt.datetime:
        """Return a timestamp as the hotline's local time."""
        return dt.datetime.fromtimestamp(timestamp, self.tz)

    def duration(self, seconds: float) -> str:
        """Say a length of time briefly: 45 s, 12 min, 2 h 5 min, 3 d 4 h."""
        seconds = max(0, int(seconds))
        if seconds < 60:
            return self.say("duration_seconds", s=seconds)
        minutes = seconds // 60
        if minutes < 60:
            return self.say("duration_minutes", m=minutes)
        hours, minutes = divmod(minutes, 60)
        if hours < 24:
            return self.say("duration_hours", h=hours, m=minutes)
        days, hours = divmod(hours, 24)
        return self.say("duration_days", d=days, h=hours)

    def _operator_name(self, operator_id: str) -> str:
        operator = self.settings.operator(operator_id)
        if operator is None:
            return operator_id
        name = localized(operator.name, self.language)
        return name if name == operator_id else f"{name} ({operator_id})"

    @staticmethod
    def _citizen_name(case: Case) -> str:
        return " ".join((case.citizen.display_name or case.citizen.user_id).split())

    def _citizen_text(self, text: str) -> str:
        """Return a citizen's text to show inside a desk line: each of its line breaks starts a marked continuation."""
        return continued_lines(text, self.say("continued_line"))

    def _priority(self, priority: str) -> str:
        key = f"priority_{priority}"
        return self.say(key) if key in self.phrases.phrases else priority

    def _reason(self, reason: str) -> str:
        key = f"reason_{reason}"
        return self.say(key) if key in self.phrases.phrases else reason

    def _author(self, message: CaseMessage) -> str:
        if message.author in ("operator", "note"):
            return self.say(f"author_{message.author}", operator=message.operator_id or "")
        return self.say(f"author_{message.author}")

    def _message_text(self, message: CaseMessage) -> str:
        if message.attachment is None:
            return self._citizen_text(message.text)
        return self.say("attachment_line", kind=message.attachment.kind,
                        text=self._citizen_text(message.text or message.attachment.ref))

    def _log_line(self, message: CaseMessage) -> str:
        return self.say("history_line", time=self.local(message.created_at).strftime("%m-%d %H:%M"),
                        author=self._author(message), text=self._message_text(message))
