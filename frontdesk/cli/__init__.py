"""The command line: `python bot.py COMMAND`; each command lives in its own module."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from frontdesk.cli import ask, console, desk, evaluate, faqcheck, purge, report, run
from frontdesk.privacy import install_masking

COMMANDS = (console, desk, ask, evaluate, faqcheck, report, purge, run)


# Libraries whose debug lines dump what they carry (updates, API parameters, SQL parameters: citizens' texts
# and names) stay at INFO at least, whatever FRONTDESK_LOG_LEVEL; httpx at WARNING, its INFO request lines
# show the URL, which holds the bot's token; jieba's INFO lines are noise.
LIBRARY_LEVELS = {"telegram": logging.INFO, "httpcore": logging.INFO, "aiosqlite": logging.INFO,
                  "httpx": logging.WARNING, "jieba": logging.WARNING}


def quiet_libraries() -> None:
    """Keep the libraries' loggers at or above their floor, and never below the level the root logs at."""
    root = logging.getLogger().getEffectiveLevel()
    for name, floor in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(max(root, floor))


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="python bot.py",
        description="frontdesk: a chat-bot front desk for public hotlines. "
        "With no command it runs on Telegram when TELEGRAM_BOT_TOKEN is set, else the console.",
    )
    parser.add_argument("--settings", help="settings file (default: settings.yaml next to bot.py)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=os.environ.get("FRONTDESK_LOG_LEVEL", "WARNING"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_libraries()
    install_masking()  # phone and ID-card numbers never reach a log line, whatever the command
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        default = "run" if os.environ.get("TELEGRAM_BOT_TOKEN") else "console"
        args = parser.parse_args([*argv, default])
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into a program that stopped reading (e.g. `| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
