"""Neutral messages that cross the boundary between platform adapters and the desk."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Choice:
    """A button or numbered option offered to the citizen; `key` comes back when it is picked."""

    key: str
    label: str


@dataclass(frozen=True)
class Attachment:
    """A non-text item a citizen sent (photo, document, voice, location) as a platform reference."""

    kind: str  # photo | document | voice | video | location | sticker | other
    ref: str  # platform file id, or "lat,lon" for a location
    caption: str = ""


@dataclass(frozen=True)
class SharedContact:
    """A phone contact a citizen shared (their own number, usually), for the operators to call."""

    phone: str
    name: str = ""


@dataclass(frozen=True)
class Citizen:
    """Who is writing, as the platform identifies them."""

    platform: str
    user_id: str
    chat_id: str
    display_name: str = ""
    language: str | None = None


@dataclass(frozen=True)
class IncomingMessage:
    """One thing a citizen did: typed text, picked a choice, sent an attachment or a contact."""

    citizen: Citizen
    text: str = ""
    choice: str | None = None  # the key of a Choice the citizen picked
    message_id: str | None = None  # platform message id, for de-duplication
    language_hint: str | None = None  # "zh" / "en" from the platform or the citizen's /lang
    attachment: Attachment | None = None
    contact: SharedContact | None = None
    unusable: bool = False  # the citizen sent something the desk cannot use (a dice, a poll ...)


@dataclass(frozen=True)
class OutgoingMessage:
    """One reply the desk wants shown to the citizen; adapters render `choices` natively."""

    text: str
    choices: tuple[Choice, ...] = ()
    kind: str = "info"  # answer | suggest | handoff | urgent | info | feedback | error
    case_number: int | None = None
    entry_id: str | None = None
    language: str = "zh"
    extra: dict = field(default_factory=dict, compare=False)
