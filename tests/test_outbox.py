"""The outbox: stored first, delivered once, retried with backoff, kept across restarts, each chat in order."""

from __future__ import annotations

import asyncio

import pytest

from frontdesk.cases import CaseError
from frontdesk.clock import ManualClock
from frontdesk.model import Citizen
from frontdesk.outbox import Backoff, ConsoleSender, DeliveryError, OutboxWorker, console_delivery
from frontdesk.store import SqliteStore

WANG = Citizen("telegram", "1001", "chat-1001", "王先生")
ANN = Citizen("telegram", "1002", "chat-1002", "Ann")


class Recorder:
    """A working sender: delivers into a list, and can be told to fail the next attempts."""

    def __init__(self, failures: list[DeliveryError | Exception] | None = None):
        self.sent: list[tuple[str, str]] = []
        self.failures = list(failures or [])
        self.attempts = 0

    async def send(self, chat_id: str, text: str) -> str:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((chat_id, text))
        return f"tg-{len(self.sent)}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def store(tmp_path, clock):
    async with SqliteStore(tmp_path / "outbox.sqlite3", clock=clock) as opened:
        yield opened


async def held_case(store, citizen=WANG, operator="duty1"):
    case = await store.open_case(citizen, reason="unmatched", priority="normal", question="问题", language="zh")
    await store.claim(case.number, operator)
    return case


async def test_a_reply_is_stored_with_its_log_line_then_delivered_once(store, clock):
    case = await held_case(store)
    item = await store.enqueue(case.number, "telegram", WANG.chat_id, "您好，请问哪个小区？", "duty1")
    assert item.status == "pending" and item.message_id is not None
    line = (await store.messages(case.number))[-1]
    assert (line.id, line.author, line.operator_id, line.text) == (item.message_id, "operator", "duty1", item.text)
    sender = Recorder()
    worker = OutboxWorker(store, {"telegram": sender}, clock=clock)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    clock.advance(3600)
    assert await worker.run_once() == 0
    assert sender.sent == [(WANG.chat_id, "您好，请问哪个小区？")]
    [done] = await store.outbox_items(case.number)
    assert (done.status, done.delivered_at, done.platform_message_id, done.attempts) == (
        "delivered", clock.now - 3600, "tg-1", 1)
    assert (await store.messages(case.number))[-1].platform_message_id == "tg-1"


async def test_a_failing_sender_is_retried_with_backoff(store, clock):
    case = await held_case(store)
    await store.enqueue(case.number, "telegram", WANG.chat_id, "reply", "duty1")
    sender = Recorder([DeliveryError("timeout"), ConnectionError("reset")])
    worker = OutboxWorker(store, {"telegram": sender}, clock=clock, backoff=Backoff(base=2, factor=2, cap=300))
    assert await worker.run_once() == 0
    [item] = await store.outbox_items(case.number)
    assert (item.status, item.attempts, item.next_attempt_at, item.last_error) == (
        "pending", 1, clock.now + 2, "timeout")
    clock.advance(1)
    assert await worker.run_once() == 0 and sender.attempts == 1  # not due yet
    clock.advance(1)
    assert await worker.run_once() == 0 and sender.attempts == 2
    [item] = await store.outbox_items(case.number)
    assert item.next_attempt_at == clock.now + 4 and "reset" in item.last_error
    clock.advance(4)
    assert await worker.run_once() == 1
    assert sender.sent == [(WANG.chat_id, "reply")]
    [item] = await store.outbox_items(case.number)
    assert (item.status, item.attempts, item.last_error) == ("delivered", 3, None)


async def test_retry_after_from_the_platform_is_honoured(store, clock):
    case = await held_case(store)
    await store.enqueue(case.number, "telegram", WANG.chat_id, "reply", "duty1")
    worker = OutboxWorker(store, {"telegram": Recorder([DeliveryError("flood", retry_after=30)])}, clock=clock)
    await worker.run_once()
    [item] = await store.outbox_items(case.number)
    assert item.next_attempt_at == clock.now + 30


def test_backoff_grows_exponentially_to_its_cap():
    backoff = Backoff(base=2, factor=2, cap=60)
    assert [backoff.delay(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


async def test_a_permanent_failure_marks_the_item_failed_the_citizen_blocked_and_tells_the_operator(store, clock):
    case = await held_case(store)
    await store.enqueue(case.number, "telegram", WANG.chat_id, "reply", "duty1")
    sender = Recorder([DeliveryError("Forbidden: bot was blocked by the user", permanent=True)])
    await OutboxWorker(store, {"telegram": sender}, clock=clock).run_once()
    [item] = await store.outbox_items(case.number)
    assert item.status == "failed" and "blocked" in item.last_error
    assert (await store.get_case(case.number)).citizen_blocked is True
    [notice] = await store.pop_notices("duty1")
    assert notice.kind == "undeliverable" and notice.case.number == case.number
    clock.advance(86400)
    assert await OutboxWorker(store, {"telegram": Recorder()}, clock=clock).run_once() == 0  # never retried


async def test_an_item_that_keeps_failing_is_given_up_after_max_attempts(store, clock):
    case = await held_case(store)
    await store.enqueue(case.number, "telegram", WANG.chat_id, "reply", "duty1")
    sender = Recorder([DeliveryError("down")] * 10)
    worker = OutboxWorker(store, {"telegram": sender}, clock=clock, max_attempts=3)
    for _ in range(5):
        await worker.run_once()
        clock.advance(3600)
    [item] = await store.outbox_items(case.number)
    assert (item.status, item.attempts, sender.attempts) == ("failed", 3, 3)
    assert (await store.get_case(case.number)).citizen_blocked is False  # a temporary failure blocks nobody


async def test_pending_retries_survive_a_restart(tmp_path, clock):
    path = tmp_path / "restart.sqlite3"
    async with SqliteStore(path, clock=clock) as store:
        case = await held_case(store)
        await store.enqueue(case.number, "telegram", WANG.chat_id, "第一条", "duty1")
        await store.enqueue(case.number, "telegram", WANG.chat_id, "第二条", "duty1")
        await OutboxWorker(store, {"telegram": Recorder([DeliveryError("down")])}, clock=clock).run_once()
    clock.advance(10)
    async with SqliteStore(path, clock=clock) as store:  # a new process
        sender = Recorder()
        assert await OutboxWorker(store, {"telegram": sender}, clock=clock).run_once() == 2
        assert [text for _, text in sender.sent] == ["第一条", "第二条"]
        assert [i.attempts for i in await store.outbox_items(case.number)] == [2, 1]


async def test_a_crash_between_lease_and_delivery_is_sent_again_after_the_lease(tmp_path, clock):
    path = tmp_path / "lease.sqlite3"
    async with SqliteStore(path, clock=clock) as store:
        case = await held_case(store)
        await store.enqueue(case.number, "telegram", WANG.chat_id, "reply", "duty1")
        [leased] = await store.claim_due(("telegram",), lease=60)  # ... and the process died here
    async with SqliteStore(path, clock=clock) as store:
        sender = Recorder()
        worker = OutboxWorker(store, {"telegram": sender}, clock=clock)
        assert await worker.run_once() == 0  # the lease still holds: nobody else sends it meanwhile
        clock.advance(61)
        assert await worker.run_once() == 1
        assert sender.sent == [(WANG.chat_id, "reply")]
        assert (await store.outbox_items(case.number))[0].id == leased.id


async def test_each_chat_is_delivered_in_order_and_one_slow_chat_does_not_hold_the_others(store, clock):
    wang = await held_case(store, WANG)
    ann = await held_case(store, ANN)
    for text in ("w1", "w2", "w3"):
        await store.enqueue(wang.number, "telegram", WANG.chat_id, text, "duty1")
    await store.enqueue(ann.number, "telegram", ANN.chat_id, "a1", "duty1")

    class WangFailsOnce(Recorder):
        async def send(self, chat_id, text):
            if chat_id == WANG.chat_id and text == "w1" and not getattr(self, "failed", False):
                self.failed = True
                raise DeliveryError("timeout")
            return await super().send(chat_id, text)

    sender = WangFailsOnce()
    worker = OutboxWorker(store, {"telegram": sender}, clock=clock)
    assert await worker.run_once() == 1
    assert sender.sent == [(ANN.chat_id, "a1")]  # w2 and w3 wait behind w1
    clock.advance(2)
    assert await worker.run_once() == 3
    assert [t for c, t in sender.sent if c == WANG.chat_id] == ["w1", "w2", "w3"]


async def test_two_workers_on_one_file_never_send_an_item_twice(tmp_path, clock):
    path = tmp_path / "workers.sqlite3"
    async with SqliteStore(path, clock=clock) as store:
        cases = [await held_case(store, Citizen("telegram", str(i), f"chat-{i}")) for i in range(20)]
        for case in cases:
            for n in range(3):
                await store.enqueue(case.number, "telegram", case.citizen.chat_id, f"{case.number}-{n}", "duty1")
    first, second = SqliteStore(path, clock=clock), SqliteStore(path, clock=clock)
    await first.open()
    await second.open()
    try:
        shared = Recorder()
        sent = await asyncio.gather(OutboxWorker(first, {"telegram": shared}, clock=clock).run_once(),
                                    OutboxWorker(second, {"telegram": shared}, clock=clock).run_once())
    finally:
        await first.close()
        await second.close()
    assert sum(sent) == 60
    texts = [t for _, t in shared.sent]
    assert len(texts) == len(set(texts)) == 60


async def test_only_the_platforms_with_a_sender_are_touched(store, clock):
    case = await held_case(store)
    await store.enqueue(case.number, "telegram", WANG.chat_id, "reply", "duty1")
    assert await OutboxWorker(store, {"console": Recorder()}, clock=clock).run_once() == 0
    [item] = await store.outbox_items(case.number)
    assert (item.status, item.attempts) == ("pending", 0)


async def test_an_operator_reply_needs_the_case_and_bot_notices_do_not(store):
    case = await store.open_case(WANG, reason="unmatched", priority="normal", question="q", language="zh")
    with pytest.raises(CaseError) as refused:
        await store.enqueue(case.number, "telegram", WANG.chat_id, "reply", "duty1")
    assert (refused.value.code, refused.value.status) == ("bad_state", "open")
    notice = await store.enqueue(case.number, "telegram", WANG.chat_id, "已收到", None)
    assert notice.author_operator is None
    assert (await store.messages(case.number))[-1].author == "bot"


async def test_console_delivery_prints_only_this_citizens_replies(store, clock):
    me = Citizen("console", "alice", "alice", "Alice")
    other = Citizen("console", "bob", "bob", "Bob")
    mine = await held_case(store, me)
    theirs = await held_case(store, other)
    await store.enqueue(mine.number, "console", "alice", "hello Alice", "duty1")
    await store.enqueue(theirs.number, "console", "bob", "hello Bob", "duty1")
    deliver = console_delivery(store, clock=clock)
    assert await deliver(me) == ["hello Alice"]
    assert await deliver(me) == []
    assert await deliver(other) == ["hello Bob"]


async def test_console_sender_writes_and_returns_distinct_ids():
    lines: list[str] = []
    sender = ConsoleSender(lines.append)
    first = await sender.send("alice", "one")
    second = await sender.send("alice", "two")
    assert lines == ["one", "two"] and first != second


async def test_run_keeps_delivering_until_stopped(store):
    case = await held_case(store)
    sender = Recorder()
    stop = asyncio.Event()
    worker = OutboxWorker(store, {"telegram": sender})
    task = asyncio.create_task(worker.run(interval=0.01, stop=stop))
    await store.enqueue(case.number, "telegram", WANG.chat_id, "late reply", "duty1")
    for _ in range(200):
        if sender.sent:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert sender.sent == [(WANG.chat_id, "late reply")]


class WatchedStop(asyncio.Event):
    """A stop event that also says when the worker has started waiting on it."""

    def __init__(self):
        super().__init__()
        self.waited_on = asyncio.Event()

    async def wait(self):
        self.waited_on.set()
        return await super().wait()


async def test_cancelling_a_waiting_worker_ends_it_promptly(store):
    stop = WatchedStop()
    task = asyncio.create_task(OutboxWorker(store, {"telegram": Recorder()}).run(interval=60, stop=stop))
    await asyncio.wait_for(stop.waited_on.wait(), 2)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=1)
    assert task in done and task.cancelled()


async def test_a_cancel_that_lands_as_stop_is_set_is_not_swallowed(store):
    stop = WatchedStop()
    task = asyncio.create_task(OutboxWorker(store, {"telegram": Recorder()}).run(interval=60, stop=stop))
    await asyncio.wait_for(stop.waited_on.wait(), 2)
    stop.set()  # the wait is over, and in the same instant the task is cancelled (a shutdown racing a stop)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=1)
    assert task in done and task.cancelled()  # whoever cancelled it learns it was cancelled
