"""Live reload: watch the FAQ, intent and message files and swap in new knowledge only when it loads cleanly.

The watcher polls each file's modification time, size and inode every second or two. Polling needs no
dependency, behaves the same on every filesystem (network shares, Docker bind mounts and editors that save
by renaming a temporary file all defeat inotify-style watchers now and then), and costs three `stat` calls a
second. `watchfiles` would react a second sooner, which a hotline FAQ does not need.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path

from frontdesk.knowledge import Knowledge, KnowledgeBase
from frontdesk.phrases import Phrasebook
from frontdesk.yamlfile import DataFileError, Problem

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
MAX_PROBLEMS_SHOWN = 10  # an operators' chat message stays short and under Telegram's limit

OnReload = Callable[[Knowledge], Awaitable[None]]
OnProblem = Callable[[list[Problem]], Awaitable[None]]
Signature = tuple[tuple[int, int, int] | None, ...]


class _State:
    """Per knowledge base: one reload at a time, and the file state the current knowledge was read from."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.signature: Signature | None = None


_states: weakref.WeakKeyDictionary[KnowledgeBase, _State] = weakref.WeakKeyDictionary()


def _state(kb: KnowledgeBase) -> _State:
    state = _states.get(kb)
    if state is None:
        state = _states[kb] = _State()
    return state


def signature(paths: tuple[Path, ...]) -> Signature:
    """Return what identifies the current content of each file: (mtime_ns, size, inode), None when missing."""
    result = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            result.append(None)
        else:
            result.append((st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(result)


def drop_expired(kb: KnowledgeBase, today: dt.date) -> bool:
    """Stop answering entries whose valid_until passed before `today`, keeping everything else; say if any did."""
    from intents.matching import FaqMatcher

    current = kb.current
    if not any(entry.expired(today) for entry in current.faq.entries):
        return False
    active = current.faq.active(today)
    kb.current = dataclasses.replace(current, faq=active, matcher=FaqMatcher(active), loaded_on=today)
    return True


def describe_reload(knowledge: Knowledge, phrases: Phrasebook | None = None, language: str = "zh") -> str:
    """Return the operators' message for a successful reload (phrase `reload_done` when the phrasebook has it)."""
    entries = len(knowledge.faq.entries)
    if phrases is not None and "reload_done" in phrases.phrases:
        return phrases.say("reload_done", language, entries=entries)
    return f"Reloaded the FAQ, intents and messages: {entries} FAQ entries in use."


def describe_problems(problems: list[Problem], knowledge: Knowledge, phrases: Phrasebook | None = None,
                      language: str = "zh") -> str:
    """Return the operators' message for a refused edit: what is wrong and where, and what is still served."""
    shown = [str(p) for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        shown.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more (python bot.py faq check)")
    details = "\n".join(shown)
    entries = len(knowledge.faq.entries)
    if phrases is not None and "reload_refused" in phrases.phrases:
        return phrases.say("reload_refused", language, entries=entries, problems=details)
    return (f"The edit was refused; the bot keeps answering with the last good FAQ ({entries} entries).\n"
            f"Fix these and save again:\n{details}")


async def _load(kb: KnowledgeBase) -> Knowledge:
    """Reload in a worker thread (parsing and building the matcher take a fraction of a second)."""
    try:
        return await asyncio.to_thread(kb.reload)
    except DataFileError:
        raise
    except Exception as exc:  # a bug in a loader must not stop the desk: keep the last good knowledge
        log.exception("reloading the knowledge failed")
        raise DataFileError([Problem("(reload)", None, "(internal)", f"{type(exc).__name__}: {exc}")]) from exc


async def reload_now(kb: KnowledgeBase, phrases: Phrasebook | None = None, language: str = "zh") -> str:
    """Reload the data files now (the operators' /reload) and return the message to show the operator."""
    state = _state(kb)
    async with state.lock:
        seen = signature(kb.watched_paths())
        try:
            knowledge = await _load(kb)
        except DataFileError as exc:
            state.signature = seen
            return describe_problems(exc.problems, kb.current, phrases, language)
        state.signature = seen
        return describe_reload(knowledge, phrases, language)


async def _log_reload(knowledge: Knowledge) -> None:
    log.info("knowledge reloaded: %d FAQ entries in use", len(knowledge.faq.entries))


async def _log_problems(problems: list[Problem]) -> None:
    log.warning("edit refused, still serving the last good FAQ:\n%s", "\n".join(f"  {p}" for p in problems))


class KnowledgeWatcher:
    """An asyncio task that reloads the knowledge when a watched file changes or the date changes."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        on_reload: OnReload | None = None,
        on_problem: OnProblem | None = None,
        interval: float = POLL_SECONDS,
        today: Callable[[], dt.date] | None = None,
    ):
        self.kb = kb
        self.on_reload = on_reload or _log_reload
        self.on_problem = on_problem or _log_problems
        self.interval = interval
        self.today = today = today or kb.today
        self._state = _state(kb)
        if self._state.signature is None:
            self._state.signature = signature(kb.watched_paths())
        self._pending: Signature | None = None
        self._day = today()
        self._task: asyncio.Task | None = None

    def start(self) -> asyncio.Task:
        """Start polling in the background and return the task."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="knowledge-watcher")
        return self._task

    async def stop(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("knowledge watcher: check failed; trying again")
            await asyncio.sleep(self.interval)

    async def check(self) -> bool:
        """Poll once: reload when the files changed and have settled, or when the day changed; say if it did."""
        now = signature(self.kb.watched_paths())
        day = self.today()
        if now != self._state.signature:
            if now != self._pending:  # wait one more poll so a half-written save is not read
                self._pending = now
                return False
            self._pending = None
            return await self._reload(now, day)
        self._pending = None
        if day != self._day:
            return await self._reload(now, day)
        return False

    async def _reload(self, seen: Signature, day: dt.date) -> bool:
        async with self._state.lock:
            self._day = day
            try:
                knowledge = await _load(self.kb)
            except DataFileError as exc:
                self._state.signature = seen
                if drop_expired(self.kb, day):
                    await self._tell(self.on_reload, self.kb.current)
                await self._tell(self.on_problem, exc.problems)
                return False
            self._state.signature = seen
            if drop_expired(self.kb, day):
                knowledge = self.kb.current
            await self._tell(self.on_reload, knowledge)
            return True

    @staticmethod
    async def _tell(callback: Callable[[object], Awaitable[None]], value: object) -> None:
        try:
            await callback(value)
        except Exception:  # the operators' chat being down must not stop the watcher
            log.exception("knowledge watcher: callback failed")
