"""A working fake of the Telegram Bot API over local HTTP, for end-to-end tests through python-telegram-bot.

It serves ``POST /bot<token>/<method>`` on 127.0.0.1 with form or JSON bodies, keeps chats and their messages,
feeds updates through long-polled ``getUpdates``, records every call, and can be told to fail calls with
429 (retry after), 403 (blocked) or 5xx. It validates what real Telegram validates and what our code could
get wrong: HTML parse mode (unknown tags, unescaped ``<`` and ``&``), the 4096-character limit, callback data
over 64 bytes, editing a message to the same content, answering a callback query twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
LONG_POLL_CAP = 0.5  # seconds a getUpdates call may hang, whatever timeout the client asked for

# Parameters that are plain strings even when they look like JSON ("123", "true").
TEXT_PARAMS = {
    "text", "caption", "parse_mode", "callback_query_id", "language_code", "url", "secret_token",
    "photo", "document", "voice", "video", "sticker", "file_id", "name", "title", "description",
    "short_description", "emoji", "icon_custom_emoji_id",
}
HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span", "tg-spoiler",
    "blockquote", "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+=\"[^\"]*\")*)\s*>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status, description and optional parameters."""

    def __init__(self, status: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def parse_html(text: str) -> str:
    """Return the visible text of an HTML-mode message, raising ApiError where Telegram would refuse it."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if m is None:
                raise ApiError(400, f"Bad Request: can't parse entities: Unexpected character at byte offset {i}")
            closing, name = m.group(1), m.group(2).lower()
            if name not in HTML_TAGS:
                raise ApiError(400, f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" '
                                    f"at byte offset {i}")
            if closing:
                if not stack or stack[-1] != name:
                    raise ApiError(400, f'Bad Request: can\'t parse entities: Unmatched end tag "{name}"')
                stack.pop()
            else:
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if m is None:
                raise ApiError(400, f"Bad Request: can't parse entities: Character '&' is reserved at offset {i}")
            name = m.group(1)
            if name in _NAMED:
                out.append(_NAMED[name])
            else:
                out.append(chr(int(name[2:], 16) if name[1] == "x" else int(name[1:])))
            i = m.end()
        elif ch == ">":
            raise ApiError(400, f"Bad Request: can't parse entities: Character '>' is reserved at offset {i}")
        else:
            out.append(ch)
            i += 1
    if stack:
        raise ApiError(400, f'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag '
                            f'"{stack[-1]}"')
    return "".join(out)


def utf16_len(text: str) -> int:
    """Return the length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One request the bot made: the method, its decoded parameters, and the result or error it got."""

    method: str
    params: dict[str, Any]
    result: Any = None
    error: ApiError | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        """Say whether the server answered the call successfully."""
        return self.error is None


@dataclass
class Failure:
    """A planned failure of the next calls of one method (optionally only for one chat)."""

    method: str
    times: int
    status: int
    description: str
    retry_after: int | None = None
    chat_id: int | None = None
    after: int = 0  # matching calls to let through before failing


class FakeBotApi:
    """The fake server; ``async with FakeBotApi() as api`` starts it on a free local port."""

    def __init__(self, token: str = "123456:TEST-token", username: str = "frontdesk_test_bot"):
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.bot_user = {"id": self.bot_id, "is_bot": True, "first_name": "Frontdesk", "username": username}
        self.username = username
        self.calls: list[Call] = []
        self.updates: list[dict] = []
        self.chats: dict[int, dict] = {}
        self.messages: dict[tuple[int, int], dict] = {}
        self.blocked: set[int] = set()
        self.pinned: dict[int, list[int]] = {}
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.topics: dict[int, dict[int, dict]] = {}
        self.failures: list[Failure] = []
        self._callbacks: dict[str, bool] = {}  # callback query id -> answered
        self._next_message_id: dict[int, itertools.count] = {}
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ----- lifecycle -----

    async def start(self, port: int = 0) -> FakeBotApi:
        """Start serving on 127.0.0.1 and `port` (a free one by default)."""
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_post("/_control/{action}", self._control)
        app.router.add_get("/_control/{action}", self._control)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Wake any long poll and stop serving."""
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Return the URL in python-telegram-bot's ``base_url`` form (the token is appended)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Return the file download URL in python-telegram-bot's ``base_file_url`` form."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ----- chats, users and updates the tests feed in -----

    @staticmethod
    def user(user_id: int, first_name: str = "Citizen", last_name: str | None = None,
             language_code: str | None = "zh-hans", username: str | None = None) -> dict:
        """Return a Telegram User object."""
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if language_code:
            user["language_code"] = language_code
        if username:
            user["username"] = username
        return user

    def add_group(self, chat_id: int, title: str = "Operators", forum: bool = False) -> dict:
        """Register a group (or forum supergroup) the bot is a member of."""
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        if forum:
            chat["is_forum"] = True
        self.chats[chat_id] = chat
        return chat

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Delete a forum topic as an operator would: the topic and every message in it are gone."""
        self.topics.get(chat_id, {}).pop(thread_id, None)
        for key in [key for key, message in self.messages.items()
                    if key[0] == chat_id and message.get("message_thread_id") == thread_id]:
            del self.messages[key]

    def _private_chat(self, user: dict) -> dict:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "last_name" in user:
            chat["last_name"] = user["last_name"]
        self.chats.setdefault(user["id"], chat)
        return self.chats[user["id"]]

    def _message_id(self, chat_id: int) -> int:
        counter = self._next_message_id.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _store(self, message: dict) -> dict:
        self.messages[(message["chat"]["id"], message["message_id"])] = message
        return message

    def block(self, chat_id: int) -> None:
        """Make the user of a private chat block the bot: every send to it gets 403 from now on."""
        self.blocked.add(chat_id)

    def fail_next(self, method: str, times: int = 1, *, status: int = 429, retry_after: int | None = 1,
                  description: str | None = None, chat_id: int | None = None, after: int = 0) -> None:
        """Make `times` calls of `method` (to `chat_id`, if given) fail with `status`, after letting `after` through."""
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                403: "Forbidden: bot was blocked by the user",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(status, "Error")
        if status != 429:
            retry_after = None
        self.failures.append(Failure(method, times, status, description, retry_after, chat_id, after))

    def _message(self, user: dict, chat: dict | None, **fields) -> dict:
        chat = chat or self._private_chat(user)
        reply = fields.get("reply_to_message")
        if reply is not None:  # Telegram nests one level only, and shows the replied message as it is now
            current = self.messages.get((reply["chat"]["id"], reply["message_id"]), reply)
            fields["reply_to_message"] = {k: v for k, v in current.items() if k != "reply_to_message"}
        message = {"message_id": self._message_id(chat["id"]), "from": user, "chat": chat, "date": int(time.time())}
        message.update({k: v for k, v in fields.items() if v is not None})
        return self._store(message)

    def push(self, **update_fields) -> dict:
        """Queue an update (its fields besides update_id) for the next getUpdates; return the update."""
        update = {"update_id": next(self._update_ids), **update_fields}
        self.updates.append(update)
        self._notify_soon()
        return update

    def send_text(self, user: dict, text: str, *, chat: dict | None = None, reply_to: dict | None = None,
                  thread_id: int | None = None) -> dict:
        """Feed a text message (a command when it starts with /) from `user`; return the message."""
        entities = None
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        mention = f"@{self.username}"
        if mention in text:
            entities = [*(entities or []), {"type": "mention", "offset": utf16_len(text[:text.index(mention)]),
                                            "length": len(mention)}]
        if thread_id is not None and reply_to is None:  # in a forum topic, a plain message answers the topic's root
            reply_to = self.messages.get((chat["id"], thread_id)) if chat else None
        message = self._message(
            user, chat, text=text, entities=entities, reply_to_message=reply_to, message_thread_id=thread_id,
            is_topic_message=True if thread_id else None,
        )
        self.push(message=message)
        return message

    def send_photo(self, user: dict, file_id: str = "AgACAgIAAxkBAAIBZ2", caption: str | None = None,
                   *, chat: dict | None = None) -> dict:
        """Feed a photo message with the usual three sizes; return the message."""
        sizes = [{"file_id": f"{file_id}-{w}", "file_unique_id": f"u{file_id}-{w}", "width": w, "height": w,
                  "file_size": w * 100} for w in (90, 320, 1280)]
        message = self._message(user, chat, photo=sizes, caption=caption)
        self.push(message=message)
        return message

    def send_document(self, user: dict, file_id: str = "BQACAgIAAxkBAAIB", name: str = "report.pdf",
                      *, chat: dict | None = None) -> dict:
        """Feed a document message; return the message."""
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": name,
                    "mime_type": "application/pdf", "file_size": 12345}
        message = self._message(user, chat, document=document)
        self.push(message=message)
        return message

    def send_location(self, user: dict, latitude: float, longitude: float, *, chat: dict | None = None) -> dict:
        """Feed a location message; return the message."""
        message = self._message(user, chat, location={"latitude": latitude, "longitude": longitude})
        self.push(message=message)
        return message

    def send_voice(self, user: dict, file_id: str = "AwACAgIAAxkBAAIB", *, chat: dict | None = None) -> dict:
        """Feed a voice message; return the message."""
        voice = {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": 3, "mime_type": "audio/ogg"}
        message = self._message(user, chat, voice=voice)
        self.push(message=message)
        return message

    def press(self, user: dict, message: dict, data: str) -> str:
        """Feed a callback query: `user` presses the button with `data` under the bot's `message`."""
        current = self.messages.get((message["chat"]["id"], message["message_id"]), message)
        query_id = str(next(self._callback_ids))
        self._callbacks[query_id] = False
        self.push(callback_query={
            "id": query_id, "from": user, "message": current, "chat_instance": f"ci{message['chat']['id']}",
            "data": data,
        })
        return query_id

    # ----- what the tests look at -----

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        """Return the recorded calls of `method` (to `chat_id`, if given)."""
        return [c for c in self.calls if c.method == method and (chat_id is None or c.params.get("chat_id") == chat_id)]

    def sent_to(self, chat_id: int) -> list[dict]:
        """Return the messages the bot successfully posted in a chat, oldest first."""
        return [m for (cid, _), m in self.messages.items()
                if cid == chat_id and m.get("from", {}).get("id") == self.bot_id]

    async def wait_for(self, method: str, where: Callable[[Call], bool] = lambda call: True, *,
                       ok: bool | None = True, timeout: float = 5.0, after: int = 0) -> Call:
        """Wait until a call of `method` matching `where` (and succeeding, unless ok is None/False) was made."""

        def found() -> Call | None:
            """Return the first matching call, if any."""
            for call in self.calls[after:]:
                if call.method == method and (ok is None or call.ok == ok) and where(call):
                    return call
            return None

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
            except TimeoutError:
                seen = [(c.method, c.params.get("chat_id"), str(c.params.get("text", ""))[:60]) for c in self.calls]
                raise AssertionError(f"no {method} call matched within {timeout}s; calls so far: {seen}") from None
            return found()

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
        """Wait until `condition()` holds, re-checking after every call the bot makes."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(condition), timeout)
            except TimeoutError:
                raise AssertionError(f"{what} did not happen within {timeout}s") from None

    def _notify_soon(self) -> None:
        async def notify() -> None:
            """Wake everyone waiting on the server's state."""
            async with self._changed:
                self._changed.notify_all()

        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().create_task(notify())

    # ----- the HTTP side -----

    @staticmethod
    def _decode(raw: dict[str, Any]) -> dict[str, Any]:
        params = {}
        for key, value in raw.items():
            if isinstance(value, str) and key not in TEXT_PARAMS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            form = await request.post()
            params = self._decode({k: v for k, v in form.items() if isinstance(v, str)})
        call = Call(method, params)
        try:
            self._planned_failure(method, params)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params) if asyncio.iscoroutinefunction(handler) else handler(params)
            call.result = result
            body, status = {"ok": True, "result": result}, 200
        except ApiError as exc:
            call.error = exc
            body = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            status = exc.status
        if method != "getUpdates" or call.result:
            self.calls.append(call)
            async with self._changed:
                self._changed.notify_all()
        return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    def _planned_failure(self, method: str, params: dict) -> None:
        for failure in self.failures:
            if failure.method == method and failure.times > 0 and (
                failure.chat_id is None or failure.chat_id == params.get("chat_id")
            ):
                if failure.after > 0:
                    failure.after -= 1
                    continue
                failure.times -= 1
                parameters = {"retry_after": failure.retry_after} if failure.retry_after else None
                raise ApiError(failure.status, failure.description, parameters)

    def _chat(self, chat_id: Any) -> dict:
        if not isinstance(chat_id, int) or chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return self.chats[chat_id]

    @staticmethod
    def _check_markup(markup: Any) -> dict | None:
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return markup
        for row in markup["inline_keyboard"]:
            for button in row:
                data = button.get("callback_data")
                if data is not None and len(data.encode()) > MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        return markup

    @staticmethod
    def _visible(params: dict, key: str = "text") -> str:
        text = params.get(key, "")
        if not isinstance(text, str):
            text = str(text)
        visible = parse_html(text) if str(params.get("parse_mode", "")).upper() == "HTML" else text
        return visible

    def _reply_to(self, chat_id: int, params: dict) -> dict | None:
        reply = params.get("reply_parameters")
        target = reply.get("message_id") if isinstance(reply, dict) else params.get("reply_to_message_id")
        if target is None:
            return None
        original = self.messages.get((chat_id, target))
        if original is None:
            if isinstance(reply, dict) and reply.get("allow_sending_without_reply"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return original

    def _bot_message(self, chat: dict, params: dict, **content) -> dict:
        message = {"message_id": self._message_id(chat["id"]), "from": self.bot_user, "chat": chat,
                   "date": int(time.time()), **content}
        original = self._reply_to(chat["id"], params)
        if original is not None:
            message["reply_to_message"] = {k: v for k, v in original.items() if k != "reply_to_message"}
        thread = params.get("message_thread_id")
        if thread is not None:
            if thread not in self.topics.get(chat["id"], {}):
                raise ApiError(400, "Bad Request: message thread not found")
            message["message_thread_id"] = thread
            message["is_topic_message"] = True
        markup = self._check_markup(params.get("reply_markup"))
        if markup:
            message["reply_markup"] = markup
        return self._store(message)

    # ----- Bot API methods -----

    def _api_getMe(self, params: dict) -> dict:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    def _api_deleteWebhook(self, params: dict) -> bool:
        return True

    def _api_setWebhook(self, params: dict) -> bool:
        return True

    def _api_close(self, params: dict) -> bool:
        return True

    async def _api_getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), LONG_POLL_CAP)

        def pending() -> list[dict]:
            """Return the updates not yet confirmed by the offset."""
            return [u for u in self.updates if u["update_id"] >= offset][:limit]

        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not pending() and wait > 0 and not self._closing:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(pending()) or self._closing), wait)
        return pending()

    def _api_setMyCommands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or not commands:
            raise ApiError(400, "Bad Request: commands must be a non-empty list")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[(scope, params.get("language_code") or "")] = commands
        return True

    def _api_deleteMyCommands(self, params: dict) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands.pop((scope, params.get("language_code") or ""), None)
        return True

    def _api_getChat(self, params: dict) -> dict:
        chat = self._chat(params.get("chat_id"))
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": {
            "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False, "premium_subscription": False,
            "gifts_from_channels": False}}

    def _api_sendMessage(self, params: dict) -> dict:
        chat = self._chat(params.get("chat_id"))
        visible = self._visible(params)
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(visible) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return self._bot_message(chat, params, text=visible, html=params.get("text"))

    def _api_copyMessage(self, params: dict) -> dict:
        chat = self._chat(params.get("chat_id"))
        source = self.messages.get((params.get("from_chat_id"), params.get("message_id")))
        if source is None:
            raise ApiError(400, "Bad Request: message to copy not found")
        content = {k: v for k, v in source.items()
                   if k in ("text", "photo", "document", "voice", "video", "location", "sticker", "caption")}
        if "caption" in params:
            content["caption"] = self._visible(params, "caption")
        message = self._bot_message(chat, params, **content, copied_from=(source["chat"]["id"], source["message_id"]))
        return {"message_id": message["message_id"]}

    def _api_forwardMessage(self, params: dict) -> dict:
        chat = self._chat(params.get("chat_id"))
        source = self.messages.get((params.get("from_chat_id"), params.get("message_id")))
        if source is None:
            raise ApiError(400, "Bad Request: message to forward not found")
        content = {k: v for k, v in source.items() if k in ("text", "photo", "document", "voice", "location")}
        return self._bot_message(chat, {"message_thread_id": params.get("message_thread_id")}, **content,
                                 forward_origin={"type": "user", "date": source["date"], "sender_user": source["from"]})

    def _api_sendPhoto(self, params: dict) -> dict:
        chat = self._chat(params.get("chat_id"))
        photo = params.get("photo")
        if not isinstance(photo, str):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        caption = self._visible(params, "caption") if params.get("caption") else None
        sizes = [{"file_id": photo, "file_unique_id": f"u{photo}", "width": 1280, "height": 1280}]
        return self._bot_message(chat, params, photo=sizes, caption=caption)

    def _edited(self, params: dict) -> dict:
        key = (params.get("chat_id"), params.get("message_id"))
        message = self.messages.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _api_editMessageText(self, params: dict) -> dict:
        message = self._edited(params)
        visible = self._visible(params)
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(visible) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        markup = self._check_markup(params.get("reply_markup"))
        if params.get("text") == message.get("html") and markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                "markup are exactly the same as a current content and reply markup of the message")
        message.update(text=visible, html=params.get("text"), edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return message

    def _api_editMessageReplyMarkup(self, params: dict) -> dict:
        message = self._edited(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                "markup are exactly the same as a current content and reply markup of the message")
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return message

    def _api_answerCallbackQuery(self, params: dict) -> bool:
        query_id = params.get("callback_query_id")
        if self._callbacks.get(query_id, True):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._callbacks[query_id] = True
        return True

    def _api_pinChatMessage(self, params: dict) -> bool:
        chat = self._chat(params.get("chat_id"))
        if (chat["id"], params.get("message_id")) not in self.messages:
            raise ApiError(400, "Bad Request: message to pin not found")
        self.pinned.setdefault(chat["id"], []).append(params["message_id"])
        return True

    def _api_unpinChatMessage(self, params: dict) -> bool:
        chat = self._chat(params.get("chat_id"))
        pins = self.pinned.get(chat["id"], [])
        target = params.get("message_id")
        if target is None and pins:
            pins.pop()
        elif target in pins:
            pins.remove(target)
        else:
            raise ApiError(400, "Bad Request: message to unpin not found")
        return True

    def _api_createForumTopic(self, params: dict) -> dict:
        chat = self._chat(params.get("chat_id"))
        if not chat.get("is_forum"):
            raise ApiError(400, "Bad Request: the chat is not a forum")
        thread_id = self._message_id(chat["id"])
        topic = {"message_thread_id": thread_id, "name": params.get("name", ""), "icon_color": 7322096}
        self.topics.setdefault(chat["id"], {})[thread_id] = topic
        self._store({"message_id": thread_id, "from": self.bot_user, "chat": chat, "date": int(time.time()),
                     "message_thread_id": thread_id, "is_topic_message": True,
                     "forum_topic_created": {"name": topic["name"], "icon_color": topic["icon_color"]}})
        return topic

    def _api_setMessageReaction(self, params: dict) -> bool:
        key = (params.get("chat_id"), params.get("message_id"))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to react not found")
        self.messages[key]["reactions"] = params.get("reaction") or []
        return True

    def _api_getFile(self, params: dict) -> dict:
        file_id = params.get("file_id")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": 1000,
                "file_path": f"photos/{file_id}.jpg"}

    # ----- control over HTTP, for a server running in its own process (benchmarks, trying the bot by hand) -----

    async def _control(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        body = await request.json() if request.method == "POST" and request.can_read_body else {}
        if action == "group":
            result: Any = self.add_group(int(body["chat_id"]), body.get("title", "Operators"), bool(body.get("forum")))
        elif action == "text":
            result = [self.send_text(item["user"], item["text"], chat=self.chats.get(item.get("chat_id")))
                      for item in body["messages"]]
        elif action == "press":
            result = [self.press(item["user"], self.messages[(item["chat_id"], item["message_id"])], item["data"])
                      for item in body["presses"]]
        elif action == "block":
            self.block(int(body["chat_id"]))
            result = True
        elif action == "stats":
            counts: dict[str, int] = {}
            for call in self.calls:
                key = call.method if call.ok else f"{call.method}:failed"
                counts[key] = counts.get(key, 0) + 1
            result = {"calls": counts, "total": len(self.calls), "pending_updates": len(self.updates)}
        elif action == "calls":
            since = int(request.query.get("since", 0))
            method = request.query.get("method")
            result = [{"method": c.method, "params": c.params, "result": c.result, "ok": c.ok, "at": c.at}
                      for c in self.calls[since:] if method is None or c.method == method]
        else:
            raise web.HTTPNotFound(text=f"no control action {action}")
        return web.json_response({"ok": True, "result": result}, dumps=lambda o: json.dumps(o, ensure_ascii=False))


async def serve(port: int, token: str) -> None:
    """Run the fake server until interrupted, printing the settings that point the bot at it."""
    api = await FakeBotApi(token).start(port)
    print(f"TELEGRAM_API_BASE_URL={api.base_url}", flush=True)
    print(f"TELEGRAM_BOT_TOKEN={token}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await api.stop()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Serve the fake Telegram Bot API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-token")
    options = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(options.port, options.token))
