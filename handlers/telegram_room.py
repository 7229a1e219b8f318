"""The operators' room on Telegram: the group at OPERATOR_CHAT_ID, where every case has a card and reads as one thread.

`OperatorRoom` keeps the group showing the truth: it posts a case card when a case opens (pinned when urgent,
in its own topic when the group is a forum), threads the citizen's later messages under the card, and edits
the card whenever the case changes. Where a case's card and topic are (and whether the card is pinned) is kept
in the store's case posts, so after a restart, or after a card Telegram refused, the bot edits the card (and
uses the topic) it has instead of posting another. A citizen's line the group refuses waits in memory and is
posted again at the sweeps, in order; a case whose topic an operator deleted gets a new topic and card.
The bot's own messages about one case (command answers, notices) are posts of that case too.

The room is assembled from parts with one job each: telegram_group holds what they share (the chat, phrases,
operators' names, case posts), telegram_cards the cards, telegram_threads a case's thread and forum topic,
telegram_citizen_lines the citizens' lines and their retries. `GroupNotifier` posts the escalation notices.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from frontdesk.cases import Notice
from handlers.keyed_locks import KeyedLocks
from handlers.telegram_cards import Card, CaseCards
from handlers.telegram_citizen_lines import CitizenLine, CitizenLines
from handlers.telegram_render import MAX_TEXT, escape, split_text
from handlers.telegram_threads import CaseThreads

if TYPE_CHECKING:
    from handlers.telegram_services import Services


class OperatorRoom(CaseCards, CaseThreads, CitizenLines):
    """The operators' group: case cards, case threads and notices, always edited to match the store."""

    def __init__(self, services: Services, chat_id: int, *, forum: bool = False):
        self.services = services
        self.chat_id = chat_id
        self.forum = forum
        self.cards: dict[int, Card] = {}  # a cache of the cards recorded in the store's case posts
        self.names: dict[str, str] = {}  # operator id -> their Telegram name, learned as they act
        self.stale: dict[int, int] = {}  # case number -> failed tries to update its card, retried at the sweeps
        self.waiting: dict[int, list[CitizenLine]] = {}  # case number -> its lines the group refused, in order
        self._locks = KeyedLocks()  # one per case whose card is being changed


class GroupNotifier:
    """The escalation Notifier for Telegram: notices go to the operators' group, naming the operator."""

    def __init__(self, room: OperatorRoom, bot):
        self.room = room
        self.bot = bot
        self._case: int | None = None  # the case of the notice being posted, set by `rendering`

    async def notify(self, operator_id: str | None, text: str) -> None:
        """Post one notice in the group, mentioning the operator it is for when that is a Telegram user."""
        mention = ""
        if operator_id and operator_id.isdigit():
            mention = f'<a href="tg://user?id={operator_id}">{escape(self.room.operator_name(operator_id))}</a> '
        number, self._case = self._case, None
        for part in split_text(text, MAX_TEXT - 200):
            sent = await self.room.post(self.bot, mention + escape(part))
            if number is not None:  # a reply to the notice goes to its case
                await self.room.remember(number, sent, "notice")
            mention = ""

    def rendering(self, render: Callable[[Notice], str]) -> Callable[[Notice], str]:
        """Wrap a notice renderer so that `notify` knows the notice's case (relay_notices renders, then notifies)."""

        def render_noting_case(notice: Notice) -> str:
            self._case = notice.case.number
            return render(notice)

        return render_noting_case
