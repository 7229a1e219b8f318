"""Citizens on Telegram: private chats (and groups that address the bot) talking to the desk.

One function translates an update into a neutral IncomingMessage (`to_incoming`); `telegram_render.render`
translates the desk's replies back. Choices arrive as callback queries: each press is acknowledged, the
keyboard is taken away (showing what was chosen) so it cannot be pressed twice, then the desk answers.
A message sent on behalf of a chat (an anonymous group admin, a channel) names no person and is politely
refused; a shared contact joins the citizen's open case; what the desk cannot use gets a polite answer. A
file's caption is read as the citizen's words: a photo captioned with a question is answered like the
question, and when it opens or joins a case the file goes with it, into the case and its thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING

from telegram import Chat, Message, MessageEntity, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes, filters

from frontdesk.desk import half_width_command
from frontdesk.model import Attachment, Citizen, IncomingMessage, OutgoingMessage, SharedContact
from handlers.telegram_render import button_label, escape, render
from intents.language import detect_language

if TYPE_CHECKING:
    from handlers.telegram_services import Services

log = logging.getLogger(__name__)

PLATFORM = "telegram"
PRESSES_KEPT = 5_000  # keyboards remembered as pressed, so a double tap is answered only once
# What citizens may send the desk: any message but a service message (joins, pins, topic changes ...). What the
# desk cannot use (a dice, a poll ...) still gets a polite answer instead of silence.
CITIZEN_MESSAGES = ~filters.StatusUpdate.ALL


def language_hint(code: str | None) -> str | None:
    """Map a Telegram language_code (zh-hans, en-US, ...) to the desk's zh / en, or None."""
    if not code:
        return None
    code = code.lower()
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    return None


def _attachment(message: Message) -> Attachment | None:
    caption = message.caption or ""
    if message.photo:
        return Attachment("photo", message.photo[-1].file_id, caption)
    if message.document:
        return Attachment("document", message.document.file_id, caption)
    if message.voice:
        return Attachment("voice", message.voice.file_id, caption)
    if message.video:
        return Attachment("video", message.video.file_id, caption)
    if message.location:
        return Attachment("location", f"{message.location.latitude},{message.location.longitude}", caption)
    if message.sticker:
        return Attachment("sticker", message.sticker.file_id, caption)
    if message.audio or message.video_note or message.animation:
        item = message.audio or message.video_note or message.animation
        return Attachment("other", item.file_id, caption)
    return None


def _contact(message: Message) -> SharedContact | None:
    """Return the phone contact the message shares, if it shares one."""
    contact = message.contact
    if contact is None:
        return None
    name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
    return SharedContact(contact.phone_number, name)


def _without_mention(text: str, username: str | None) -> str:
    if username:
        text = re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE)
    return text.strip()


def to_incoming(update: Update, choice: str | None = None) -> IncomingMessage | None:
    """Translate a citizen's Telegram update into a neutral message; None when there is nothing for the desk."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return None
    hint = language_hint(user.language_code)
    citizen = Citizen(PLATFORM, str(user.id), str(chat.id), user.full_name, hint)
    query = update.callback_query
    if query is not None:
        return IncomingMessage(citizen, choice=choice, message_id=f"cb:{query.id}", language_hint=hint)
    message = update.effective_message
    if message is None or message.sender_chat is not None:  # no person to tell apart: see on_message
        return None
    attachment = _attachment(message)
    contact = _contact(message)
    text = half_width_command(message.text or "")  # "／status" is /status here too, as the operators' room reads it
    if chat.type != Chat.PRIVATE:
        username = message.get_bot().username
        text = _without_mention(text, username)
        if attachment is not None:
            attachment = dataclasses.replace(attachment, caption=_without_mention(attachment.caption, username))
    unusable = message.text is None and attachment is None and contact is None
    return IncomingMessage(citizen, text=text, message_id=f"{chat.id}:{message.message_id}", language_hint=hint,
                           attachment=attachment, contact=contact, unusable=unusable)


def _caption_made_case(before, after, incoming: IncomingMessage) -> bool:
    """Say whether a file whose caption was the citizen's question just opened or reopened their case."""
    changed = after is not None and (before is None or before.number != after.number)
    return changed and incoming.attachment is not None and not incoming.text.strip()


class AddressedToBot(filters.MessageFilter):
    """Group messages meant for the bot: mentioning it, replying to it, or a command with its @name."""

    def filter(self, message: Message) -> bool:
        """Say whether the message addresses the bot."""
        bot = message.get_bot()
        username = (bot.username or "").lower()
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == bot.id:
            return True
        for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.BOT_COMMAND]).items():
            value = value.lower()
            if entity.type == MessageEntity.MENTION and value == f"@{username}":
                return True
            if entity.type == MessageEntity.BOT_COMMAND and value.endswith(f"@{username}"):
                return True
        return False


async def send_replies(bot, chat_id: int, replies: list[OutgoingMessage], codec,
                       reply_to: int | None = None) -> list[Message]:
    """Send the desk's replies to a chat, rendered (escaped, split, keyboards); return the sent messages."""
    sent = []
    for reply in replies:
        for part in render(reply, codec):
            params = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
            sent.append(await bot.send_message(chat_id, part.html, parse_mode=ParseMode.HTML,
                                               reply_markup=part.markup, reply_parameters=params))
            reply_to = None  # only the first part answers the citizen's message in a group
    return sent


class CitizenHandlers:
    """The citizen-facing callbacks; `telegram_app` registers them."""

    def __init__(self, services: Services):
        self.services = services
        self._pressed: OrderedDict[tuple[int, int], None] = OrderedDict()

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Hand a citizen's message (text, command, attachment or contact) to the desk and send its replies."""
        message = update.effective_message
        if message is not None and message.sender_chat is not None:
            await self._refuse_anonymous(context.bot, message)
            return
        incoming = to_incoming(update)
        if incoming is None:
            return
        services = self.services
        chat = update.effective_chat
        in_group = chat.type != Chat.PRIVATE
        before = await services.store.active_case_for(PLATFORM, incoming.citizen.user_id)
        reply_to = update.effective_message.message_id if in_group else None
        try:
            replies = await services.desk.handle(incoming)
            try:  # the citizen first: the group may be slow (Telegram allows it ~20 messages a minute)
                await send_replies(context.bot, chat.id, replies, services.codec, reply_to=reply_to)
            except Forbidden:
                log.info("a citizen chat blocked the bot; replies dropped")
        finally:  # what the desk stored reaches the operators even when the reply failed
            await self._show_operators(context.bot, before, incoming, update.effective_message)

    async def _refuse_anonymous(self, bot, message: Message) -> None:
        """Politely turn away a message sent as a chat (an anonymous admin, a channel): it names no person.

        Every anonymous admin of every group is the same Telegram user, and so are a channel's posts: taking
        them as a citizen would mix different people's cases, and answers could only go to the group.
        """
        if message.is_automatic_forward:  # a linked channel's post copied into its discussion group
            return
        text = _without_mention(message.text or message.caption or "", message.get_bot().username)
        lang = detect_language(text, "zh") if text else "zh"
        refusal = OutgoingMessage(self.services.phrases.say("anonymous_sender", lang), language=lang)
        try:
            await send_replies(bot, message.chat_id, [refusal], self.services.codec, reply_to=message.message_id)
        except Forbidden:
            log.info("a group that addressed the bot anonymously does not let it write; refusal dropped")

    async def _show_operators(self, bot, before, incoming: IncomingMessage, message: Message | None) -> None:
        """Let the operators' group reflect what this message did to the citizen's case (never raising)."""
        services = self.services
        if services.room is None:
            return
        if incoming.contact is not None and not incoming.text:  # the operators read it as the case log has it
            incoming = dataclasses.replace(incoming, text=services.desk.contact_line(incoming.contact))
        try:
            after = await services.store.active_case_for(PLATFORM, incoming.citizen.user_id)
            await services.room.citizen_activity(bot, before, after, incoming, message)
            if _caption_made_case(before, after, incoming):  # the card shows the caption; the file goes under it
                await services.room.citizen_line(bot, after, incoming, message)
        except Exception as exc:  # the citizen's own reply must not depend on the group
            log.error("updating the operators' group failed: %s", type(exc).__name__)

    async def on_choice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Acknowledge a pressed choice, take its keyboard away, and let the desk answer the choice."""
        services = self.services
        query = update.callback_query
        message = query.message if isinstance(query.message, Message) else None
        if message is not None and message.chat.type != Chat.PRIVATE and not self._presser_asked(query, message):
            await query.answer(services.phrases.say("choice_not_yours", self._language(update)), show_alert=True)
            return
        await query.answer()
        key = services.codec.decode(query.data or "")
        if message is not None:
            pressed = (message.chat.id, message.message_id)
            if pressed in self._pressed:
                return
            self._pressed[pressed] = None
            while len(self._pressed) > PRESSES_KEPT:
                self._pressed.popitem(last=False)
        if key is None:
            lang = self._language(update)
            await self._close_keyboard(message, None, lang)
            await context.bot.send_message(update.effective_chat.id,
                                           escape(services.phrases.say("choice_expired", lang)),
                                           parse_mode=ParseMode.HTML)
            return
        incoming = to_incoming(update, choice=key)
        before = await services.store.active_case_for(PLATFORM, incoming.citizen.user_id)
        try:
            replies = await services.desk.handle(incoming)
        finally:
            await self._show_operators(context.bot, before, incoming, None)
        lang = replies[0].language if replies else self._language(update)
        await self._close_keyboard(message, button_label(message.reply_markup if message else None, query.data), lang)
        await send_replies(context.bot, update.effective_chat.id, replies, services.codec)

    @staticmethod
    def _presser_asked(query, message: Message) -> bool:
        asked = message.reply_to_message
        return asked is None or asked.from_user is None or asked.from_user.id == query.from_user.id

    @staticmethod
    def _language(update: Update) -> str:
        user = update.effective_user
        return language_hint(user.language_code if user else None) or "zh"

    async def _close_keyboard(self, message: Message | None, label: str | None, lang: str) -> None:
        """Remove the keyboard from a pressed message, adding what was chosen to its text when known."""
        if message is None:
            return
        with contextlib.suppress(BadRequest):  # already edited, or too old to edit: nothing left to press
            if label and message.text:
                chosen = self.services.knowledge.current.phrases.say("choice_taken", lang, label=label)
                await message.edit_text(f"{message.text_html}\n\n<i>{escape(chosen)}</i>", parse_mode=ParseMode.HTML,
                                        reply_markup=None)
            else:
                await message.edit_reply_markup(reply_markup=None)
