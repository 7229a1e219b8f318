"""Whether replies can reach a citizen: "citizen blocked the bot" set and cleared again, and the case's reply chat.

A 403 marks the case's citizen as blocking the bot; a later message from them, or a delivery that goes through,
clears the flag again (each recorded as a case event), so operators stop being told to call and the citizen
gets the step notices again. A citizen writing about their case from another chat moves its replies there.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from frontdesk.clock import ManualClock
from frontdesk.desk import Desk
from frontdesk.knowledge import KnowledgeBase
from frontdesk.model import Citizen, IncomingMessage
from frontdesk.operators import OperatorDesk, load_operator_phrases
from frontdesk.outbox import DeliveryError, OutboxWorker
from frontdesk.settings import Operator, load_settings
from frontdesk.store import SqliteStore

ROOT = Path(__file__).resolve().parent.parent
FAQ = """\
version: 1
entries:
  - id: health-code-yellow
    questions: [健康码变黄了怎么办]
    answer: {zh: 黄码请按提示完成三天两检。, en: "With a yellow code take two tests in three days."}
"""
ZHANG = Citizen("telegram", "1001", "1001", "张三")
IN_GROUP = dataclasses.replace(ZHANG, chat_id="-100555")  # the same citizen, asking in a public group
PHRASES = load_operator_phrases()


class Sender:
    """A Telegram-like sender: 403 for the chats that blocked the bot, delivered otherwise."""

    def __init__(self):
        self.blocked: set[str] = set()
        self.sent: list[tuple[str, str]] = []

    async def send(self, chat_id: str, text: str) -> str:
        if chat_id in self.blocked:
            raise DeliveryError("Forbidden: bot was blocked by the user", permanent=True, blocked=True)
        self.sent.append((chat_id, text))
        return str(len(self.sent))

    def texts(self, chat_id: str) -> list[str]:
        return [text for chat, text in self.sent if chat == chat_id]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def store(tmp_path, clock):
    async with SqliteStore(tmp_path / "blocked.sqlite3", clock=clock) as opened:
        yield opened


@pytest.fixture
def settings(tmp_path):
    faq = tmp_path / "faq.yaml"
    faq.write_text(FAQ, encoding="utf-8")
    base = load_settings(ROOT / "settings.yaml", environ={})
    return dataclasses.replace(base, faq_path=faq, operators=(Operator("duty1", "值班员一 / Duty 1"),))


@pytest.fixture
def desk(settings, store) -> Desk:
    return Desk(KnowledgeBase(settings.faq_path, settings.intents_path, settings.messages_paths), store, settings)


@pytest.fixture
def operators(settings, store, clock) -> OperatorDesk:
    return OperatorDesk(store, settings, PHRASES, clock=clock)


@pytest.fixture
def sender() -> Sender:
    return Sender()


@pytest.fixture
def worker(store, sender, clock) -> OutboxWorker:
    return OutboxWorker(store, {"telegram": sender}, clock=clock)


_ids = iter(range(1, 10**6))


def says(text: str, citizen: Citizen = ZHANG) -> IncomingMessage:
    return IncomingMessage(citizen, text=text, message_id=f"m{next(_ids)}")


async def blocked_case(desk, operators, worker, sender, citizen: Citizen = ZHANG) -> int:
    """Open and take a case, then have the citizen block the bot so a reply fails with 403."""
    await desk.handle(says("我要人工", citizen))
    await operators.handle("duty1", "/take 1")
    await worker.run_once()
    sender.blocked.add(citizen.chat_id)
    await operators.handle("duty1", "/reply 1 请问您家住哪个小区？")
    await worker.run_once()
    assert (await desk.store.get_case(1)).citizen_blocked
    return 1


async def test_a_new_message_from_the_citizen_clears_blocked_and_the_resolution_notice_goes_out(
        desk, operators, worker, sender, store):
    number = await blocked_case(desk, operators, worker, sender)
    sender.blocked.clear()  # the citizen unblocks the bot and writes again
    await desk.handle(says("我住阳光小区"))
    assert not (await store.get_case(number)).citizen_blocked
    reply = await operators.handle("duty1", "/reply 1 阳光小区明天不停水。")
    assert not [line for line in reply if "屏蔽" in line]  # operators are no longer told to call instead
    await operators.handle("duty1", "/resolve 1 已答复")
    await worker.run_once()
    assert [t for t in sender.texts(ZHANG.chat_id) if "已办理完毕" in t]
    unblocked = [e for e in await store.events(number) if e.kind == "citizen_unblocked"]
    assert [(e.actor, e.target) for e in unblocked] == [("citizen:1001", None)]


async def test_a_button_press_in_the_case_chat_clears_blocked_too(desk, operators, worker, sender, store):
    number = await blocked_case(desk, operators, worker, sender)
    sender.blocked.clear()
    await desk.handle(IncomingMessage(ZHANG, choice="nothanks", message_id="cb:1"))
    assert not (await store.get_case(number)).citizen_blocked


async def test_a_later_delivery_clears_blocked_and_names_the_case_for_its_card(
        desk, operators, worker, sender, store):
    number = await blocked_case(desk, operators, worker, sender)
    assert worker.reach_changes() == [number]  # the card must say the citizen blocked the bot...
    assert worker.reach_changes() == []
    sender.blocked.clear()  # unblocked without writing: the next reply simply goes through
    await operators.handle("duty1", "/reply 1 还在吗？")
    await worker.run_once()
    assert sender.texts(ZHANG.chat_id)[-1] == "还在吗？"
    assert not (await store.get_case(number)).citizen_blocked
    assert worker.reach_changes() == [number]  # ...and then that they can be reached again
    kinds = [e.kind for e in await store.events(number)]
    assert kinds.count("citizen_blocked") == 1 and kinds[-1] == "citizen_unblocked"


async def test_deliveries_to_a_reachable_citizen_record_nothing(desk, operators, worker, sender, store):
    await desk.handle(says("我要人工"))
    await operators.handle("duty1", "/take 1")
    await operators.handle("duty1", "/reply 1 您好")
    assert await worker.run_once() == 2
    assert worker.reach_changes() == []
    assert [e.kind for e in await store.events(1)] == ["opened", "claimed"]


async def test_blocked_is_recorded_once_however_many_replies_fail(desk, operators, worker, sender, store):
    number = await blocked_case(desk, operators, worker, sender)
    await operators.handle("duty1", "/reply 1 再试一次")
    await worker.run_once()
    assert [e.kind for e in await store.events(number)].count("citizen_blocked") == 1


async def test_a_delivery_to_a_chat_the_case_has_left_does_not_clear_blocked(store):
    case = await store.open_case(IN_GROUP, reason="unmatched", priority="normal", question="问题", language="zh")
    await store.mark_citizen_blocked(case.number)
    assert await store.mark_citizen_reachable(case.number, ZHANG.chat_id) is False
    assert (await store.get_case(case.number)).citizen_blocked
    assert await store.mark_citizen_reachable(case.number, IN_GROUP.chat_id) is True
    assert not (await store.get_case(case.number)).citizen_blocked


async def test_writing_from_another_chat_moves_the_replies_and_clears_blocked(desk, operators, worker, sender, store):
    number = await blocked_case(desk, operators, worker, sender, citizen=IN_GROUP)  # the bot left the group
    await operators.handle("duty1", "/reply 1 这条等待发送")  # still waiting in the outbox, for the group
    await operators.handle("duty1", "/reply 1 这条还在排队")
    await desk.handle(says("我私聊补充一下：身份证110101199001011234"))
    case = await store.get_case(number)
    assert (case.citizen.chat_id, case.citizen_blocked) == (ZHANG.chat_id, False)
    await worker.run_once()
    assert sender.texts(ZHANG.chat_id)[-2:] == ["这条等待发送", "这条还在排队"]  # waiting replies followed
    assert not [t for t in sender.texts(IN_GROUP.chat_id) if "等待" in t or "排队" in t]
    kinds = [e.kind for e in await store.events(number)]
    assert kinds[-2:] == ["chat_moved", "citizen_unblocked"]
    lines = [(m.author, m.text) for m in await store.messages(number)]
    assert lines[0] == ("citizen", "我要人工") and lines[-1][1].startswith("我私聊补充")  # the log is kept whole


async def test_messages_not_about_the_case_from_another_chat_leave_its_chat_alone(desk, store):
    await desk.handle(says("我要人工", IN_GROUP))
    for text in ("/start", "/help", "/lang"):
        await desk.handle(says(text))
    await desk.handle(IncomingMessage(ZHANG, choice="nothanks", message_id="cb:2"))
    assert (await store.get_case(1)).citizen.chat_id == IN_GROUP.chat_id
    await desk.handle(says("/status"))  # asking about the case is writing about it
    assert (await store.get_case(1)).citizen.chat_id == ZHANG.chat_id
