"""`run`: start the Telegram bot, with long polling or (for production behind HTTPS) a webhook.

Configuration comes from the environment, optionally from a KEY=VALUE file (`--config`, values already in the
environment win), and settings.yaml. Anything missing or malformed stops start-up with one sentence each.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

from frontdesk.cli.common import add_data_options, knowledge_from, settings_from
from frontdesk.privacy import install_masking

DEFAULT_LISTEN = "0.0.0.0"
DEFAULT_PORT = 8443
_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def register(sub: argparse._SubParsersAction) -> None:
    """Register the `run` command."""
    parser = sub.add_parser("run", help="start the Telegram bot (needs TELEGRAM_BOT_TOKEN)",
                            description="Start the Telegram bot: long polling by default, a webhook with "
                                        "--webhook-url. See docs/telegram.md for the settings.")
    add_data_options(parser)
    parser.add_argument("--config", type=Path,
                        help="file of KEY=VALUE lines (TELEGRAM_BOT_TOKEN=..., OPERATOR_CHAT_ID=...); "
                             "variables already set in the environment win")
    parser.add_argument("--webhook-url",
                        help="public HTTPS URL Telegram sends updates to (or TELEGRAM_WEBHOOK_URL); "
                             "without it the bot uses long polling")
    parser.add_argument("--listen", help=f"address the webhook server binds (default {DEFAULT_LISTEN}, "
                                         "or TELEGRAM_WEBHOOK_LISTEN)")
    parser.add_argument("--port", type=int, help=f"port the webhook server binds (default {DEFAULT_PORT}, "
                                                 "or TELEGRAM_WEBHOOK_PORT)")
    parser.set_defaults(handler=run)


def read_config_file(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines (blank lines and # comments skipped, optional quotes removed)."""
    values = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{path}:{number}: expected KEY=VALUE, got {raw.strip()!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def startup_problems(environ: dict[str, str], webhook: dict[str, object] | None = None) -> list[str]:
    """Check the Telegram settings in `environ` (and the webhook options); return one sentence per problem."""
    problems = []
    token = environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        problems.append("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token in the "
                        "environment (or in a --config file).")
    elif not _TOKEN.fullmatch(token):
        problems.append("TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then letters, "
                        "digits, - or _): check for quotes or spaces around it.")
    base_url = environ.get("TELEGRAM_API_BASE_URL", "").strip()
    if base_url:
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            problems.append(f"TELEGRAM_API_BASE_URL must be an http(s) URL like http://127.0.0.1:8081/bot, "
                            f"not {base_url!r}.")
        elif not (parsed.path.endswith("/bot") or "{token}" in base_url):
            problems.append(f"TELEGRAM_API_BASE_URL must end in /bot (the token is appended to it), "
                            f"e.g. {base_url.rstrip('/')}/bot.")
    chat = environ.get("OPERATOR_CHAT_ID", "").strip()
    if chat and not re.fullmatch(r"-\d+", chat):
        problems.append(f"OPERATOR_CHAT_ID must be the operators' group's numeric chat id, which is negative "
                        f"(like -1001234567890), not {chat!r}.")
    ids = [part.strip() for part in environ.get("OPERATOR_IDS", "").split(",") if part.strip()]
    wrong = [part for part in ids if not part.isdigit()]
    if wrong:
        problems.append(f"OPERATOR_IDS must be comma-separated numeric Telegram user ids; {wrong[0]!r} is not one.")
    elif chat and not ids:
        problems.append("OPERATOR_IDS is empty, so nobody could act on cases in the operators' group: list the "
                        "operators' Telegram user ids, comma-separated.")
    problems.extend(_webhook_problems(environ, webhook or {}))
    return problems


def _webhook_problems(environ: dict[str, str], webhook: dict[str, object]) -> list[str]:
    problems = []
    url = webhook.get("url")
    if not url:
        if webhook.get("listen") is not None or webhook.get("port") is not None:
            problems.append("--listen and --port only apply to webhook mode: add --webhook-url "
                            "(or TELEGRAM_WEBHOOK_URL).")
        return problems
    parsed = urlparse(str(url))
    if parsed.scheme != "https" or not parsed.netloc:
        problems.append(f"The webhook URL must be a public https:// URL (Telegram only calls HTTPS), not {url!r}.")
    port = webhook.get("port")
    if not isinstance(port, int) or not 1 <= port <= 65535:
        problems.append(f"The webhook port must be a number from 1 to 65535, not {port!r}.")
    secret = environ.get("TELEGRAM_WEBHOOK_SECRET", "")
    if secret and not _SECRET.fullmatch(secret):
        problems.append("TELEGRAM_WEBHOOK_SECRET may only hold letters, digits, - and _ (1 to 256 of them).")
    return problems


def _webhook_options(args: argparse.Namespace, environ: dict[str, str]) -> dict[str, object]:
    url = args.webhook_url or environ.get("TELEGRAM_WEBHOOK_URL") or None
    port: object = args.port
    if port is None and environ.get("TELEGRAM_WEBHOOK_PORT"):
        raw = environ["TELEGRAM_WEBHOOK_PORT"].strip()
        port = int(raw) if raw.isdigit() else raw
    listen = args.listen or environ.get("TELEGRAM_WEBHOOK_LISTEN") or None
    if url:
        port = DEFAULT_PORT if port is None else port
        listen = listen or DEFAULT_LISTEN
    return {"url": url, "listen": listen, "port": port}


def _stop(sentences: list[str]) -> int:
    for sentence in sentences:
        print(f"Cannot start: {sentence}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Validate the configuration, then run the bot until interrupted."""
    if args.config is not None:
        try:
            for key, value in read_config_file(args.config).items():
                os.environ.setdefault(key, value)
        except (OSError, ValueError) as exc:
            return _stop([f"the config file cannot be read: {exc}."])
    environ = dict(os.environ)
    webhook = _webhook_options(args, environ)
    problems = startup_problems(environ, webhook)
    settings = settings_from(args)
    if not Path(settings.faq_path).is_file():
        problems.append(f"the FAQ file {settings.faq_path} does not exist (use --faq or FRONTDESK_FAQ).")
    db_folder = Path(settings.db_path).resolve().parent
    if not db_folder.is_dir():
        problems.append(f"the database folder {db_folder} does not exist (use --db or FRONTDESK_DB).")
    if problems:
        return _stop(problems)
    if not settings.operator_chat_id:
        print("Note: OPERATOR_CHAT_ID is not set, so cases wait in the queue for the console desk "
              "(python bot.py desk) instead of being posted to a Telegram group.", file=sys.stderr)
    knowledge = knowledge_from(settings)
    return _serve(settings, knowledge, webhook, environ)


def _serve(settings, knowledge, webhook: dict[str, object], environ: dict[str, str]) -> int:
    from telegram.error import InvalidToken, TelegramError

    from handlers.telegram_app import UPDATES, StartupError, build_application, hide_token

    root = logging.getLogger()
    install_masking(root)
    hide_token(settings.telegram_token, root.handlers)
    application = build_application(settings, knowledge)
    try:
        if webhook["url"]:
            path = urlparse(str(webhook["url"])).path.lstrip("/")
            application.run_webhook(
                listen=str(webhook["listen"]), port=int(webhook["port"]), url_path=path,
                webhook_url=str(webhook["url"]), secret_token=environ.get("TELEGRAM_WEBHOOK_SECRET") or None,
                allowed_updates=list(UPDATES),
            )
        else:
            application.run_polling(allowed_updates=list(UPDATES), timeout=30, bootstrap_retries=3)
    except StartupError as exc:
        return _stop([str(exc)])
    except InvalidToken:
        return _stop(["Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather (/token)."])
    except TelegramError as exc:
        return _stop([f"the Bot API at {settings.telegram_base_url or 'api.telegram.org'} could not be used "
                      f"({type(exc).__name__}); check the network and TELEGRAM_API_BASE_URL."])
    return 0
